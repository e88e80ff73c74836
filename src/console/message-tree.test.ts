import { describe, expect, it } from 'vitest';
import { messageTreeSchema, type TreeField } from './api.ts';
import { buildMessageTree } from './message-tree.ts';

const msh = 'MSH|^~\\&|LAB|HOSP|EHR|HOSP|20250101120000||ORU^R01^ORU_R01|CTRL1|P|2.5.1';

function fieldOf(text: string, id: string): TreeField | undefined {
  const tree = buildMessageTree(7, text);
  return tree.segments.flatMap((s) => s.fields).find((f) => f.id === id);
}

describe('buildMessageTree', () => {
  it('answers the contract shape, segments numbered from 1, non-empty fields only', () => {
    const tree = buildMessageTree(7, `${msh}\rPID|1||123^^^HOSP^MR||DOE^JANE\r`);
    expect(messageTreeSchema.parse(tree)).toEqual(tree);
    expect(tree.id).toBe(7);
    expect(tree.segments.map((s) => [s.index, s.name, s.description])).toEqual([
      [1, 'MSH', 'Message Header'],
      [2, 'PID', 'Patient Identification'],
    ]);
    expect(tree.segments[1]?.fields.map((f) => f.id)).toEqual(['PID-1', 'PID-3', 'PID-5']);
  });

  it.each([
    ['MSH-1 is the field separator', 'MSH-1', 'Field Separator', 'ST', '|'],
    ['MSH-2 the encoding characters, never split', 'MSH-2', 'Encoding Characters', 'ST', '^~\\&'],
    ['MSH-3 the sending application', 'MSH-3', 'Sending Application', 'HD', 'LAB'],
    ['MSH-9 the message type', 'MSH-9', 'Message Type', 'MSG', 'ORU^R01^ORU_R01'],
    ['MSH-10 the control id', 'MSH-10', 'Message Control ID', 'ST', 'CTRL1'],
    ['MSH-12 the version', 'MSH-12', 'Version ID', 'VID', '2.5.1'],
  ])('numbers MSH as the standard does: %s', (_what, id, name, datatype, text) => {
    const field = fieldOf(msh, id);
    expect(field).toMatchObject({ name, datatype, repetitions: [{ text }] });
    if (id === 'MSH-2' || id === 'MSH-1') expect(field?.repetitions[0]?.components).toEqual([]);
  });

  it('names components from the data type (PID-5 XPN) and lists them only when there are several', () => {
    const text = `${msh}\rPID|1||123||DOE^JANE^Q||19800101`;
    expect(fieldOf(text, 'PID-5')).toMatchObject({
      name: 'Patient Name',
      datatype: 'XPN',
      repetitions: [
        {
          text: 'DOE^JANE^Q',
          components: [
            { position: 1, id: 'PID-5.1', name: 'Family Name', datatype: 'FN', text: 'DOE', subcomponents: [] },
            { position: 2, id: 'PID-5.2', name: 'Given Name', datatype: 'ST', text: 'JANE', subcomponents: [] },
            { position: 3, id: 'PID-5.3', name: 'Second and Further Given Names or Initials Thereof', datatype: 'ST', text: 'Q', subcomponents: [] },
          ],
        },
      ],
    });
    expect(fieldOf(text, 'PID-7')?.repetitions).toEqual([{ text: '19800101', components: [] }]);
  });

  it('splits subcomponents of a composite component (PID-3.4, an HD)', () => {
    const field = fieldOf(`${msh}\rPID|1||123^^^HOSP&1.2.3&ISO^MR`, 'PID-3');
    const authority = field?.repetitions[0]?.components.find((c) => c.position === 4);
    expect(authority).toMatchObject({ id: 'PID-3.4', name: 'Assigning Authority', datatype: 'HD', text: 'HOSP&1.2.3&ISO' });
    expect(authority?.subcomponents).toEqual([
      { position: 1, id: 'PID-3.4.1', name: 'Namespace ID', datatype: 'IS', text: 'HOSP' },
      { position: 2, id: 'PID-3.4.2', name: 'Universal ID', datatype: 'ST', text: '1.2.3' },
      { position: 3, id: 'PID-3.4.3', name: 'Universal ID Type', datatype: 'ID', text: 'ISO' },
    ]);
    expect(field?.repetitions[0]?.components.map((c) => c.id)).toEqual(['PID-3.1', 'PID-3.4', 'PID-3.5']);
  });

  it('keeps repetitions apart', () => {
    const field = fieldOf(`${msh}\rPID|1||123^^^A^MR~456^^^B^PI`, 'PID-3');
    expect(field?.repetitions.map((r) => r.text)).toEqual(['123^^^A^MR', '456^^^B^PI']);
    expect(field?.repetitions[1]?.components.map((c) => [c.id, c.text])).toEqual([
      ['PID-3.1', '456'],
      ['PID-3.4', 'B'],
      ['PID-3.5', 'PI'],
    ]);
  });

  it.each([
    ['\\F\\', '|'],
    ['\\S\\', '^'],
    ['\\T\\', '&'],
    ['\\R\\', '~'],
    ['\\E\\', '\\'],
    ['\\X41\\', 'A'],
    ['\\.br\\', '\n'],
  ])('decodes the escape %s in a value', (escape, plain) => {
    const field = fieldOf(`${msh}\rNTE|1||a${escape}b`, 'NTE-3');
    expect(field?.repetitions).toEqual([{ text: `a${plain}b`, components: [] }]);
  });

  it('reads the message with its own encoding characters', () => {
    const tree = buildMessageTree(1, 'MSH#$*@%#LAB#HOSP\rPID#1##123$$$A%B$MR*9\rNTE#1##x@F@y');
    const pid3 = tree.segments[1]?.fields.find((f) => f.id === 'PID-3');
    expect(pid3?.repetitions.map((r) => r.text)).toEqual(['123$$$A%B$MR', '9']);
    expect(pid3?.repetitions[0]?.components[1]?.subcomponents.map((s) => s.text)).toEqual(['A', 'B']);
    expect(tree.segments[0]?.fields.slice(0, 2).map((f) => f.repetitions[0]?.text)).toEqual(['#', '$*@%']);
    expect(tree.segments[2]?.fields.find((f) => f.id === 'NTE-3')?.repetitions[0]?.text).toBe('x#y');
  });

  it('gives no names to a segment it does not know (ZXY)', () => {
    const tree = buildMessageTree(1, `${msh}\rZXY|1|a^b`);
    expect(tree.segments[1]).toEqual({
      index: 2,
      name: 'ZXY',
      description: null,
      fields: [
        { position: 1, id: 'ZXY-1', name: null, datatype: null, repetitions: [{ text: '1', components: [] }] },
        {
          position: 2,
          id: 'ZXY-2',
          name: null,
          datatype: null,
          repetitions: [
            {
              text: 'a^b',
              components: [
                { position: 1, id: 'ZXY-2.1', name: null, datatype: null, text: 'a', subcomponents: [] },
                { position: 2, id: 'ZXY-2.2', name: null, datatype: null, text: 'b', subcomponents: [] },
              ],
            },
          ],
        },
      ],
    });
  });

  it.each([
    ['CE', 'OBX|1|CE|GLU^Glucose^LN||POS^Positive^L', 'Identifier'],
    ['XPN', 'OBX|1|XPN|NAME^Name^L||DOE^JOHN', 'Family Name'],
    ['NM (no components)', 'OBX|1|NM|GLU^Glucose^LN||5.4', null],
  ])('types OBX-5 by OBX-2: %s', (_what, obx, firstName) => {
    const field = fieldOf(`${msh}\r${obx}`, 'OBX-5');
    expect(field?.name).toBe('Observation Value');
    expect(field?.datatype).toBe(obx.split('|')[2]);
    expect(field?.repetitions[0]?.components[0]?.name ?? null).toBe(firstName);
  });

  it('normalises the dictionary names (no " _ ", no trailing period)', () => {
    expect(fieldOf(`${msh}\rOBR|1||||R`, 'OBR-5')?.name).toBe('Priority - OBR');
    expect(fieldOf(`${msh}\rSPM|1`, 'SPM-1')?.name).toBe('Set ID - SPM');
  });

  it('splits a refused message whose MSH-2 is unusable with the usual delimiters', () => {
    const tree = buildMessageTree(1, 'MSH|^^|APP\rPID|1||X^Y');
    expect(tree.segments[1]?.fields.find((f) => f.id === 'PID-3')?.repetitions[0]?.components.map((c) => c.text)).toEqual(['X', 'Y']);
  });
});
