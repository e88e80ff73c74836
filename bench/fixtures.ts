import { buildMessage } from '../test/support/messages.ts';

// Synthetic messages of realistic size and shape (no real data): an ADT^A01 of about 1.2 KB and an
// ORU^R01 of about 20 KB with 100 OBX segments. Every message gets its own MSH-10 of a fixed width,
// so all messages of one kind have the same size.

export type MessageKind = 'ADT' | 'ORU';

export const kindLabel: Record<MessageKind, string> = { ADT: 'ADT 1.2KB', ORU: 'ORU 20KB' };

const targetBytes: Record<MessageKind, number> = { ADT: 1_200, ORU: 20_000 };
const obxCount = 100;

const pid =
  'PID|1||PAT-0012345^^^HOSP^MR~9876543210^^^NHS^NH||SYNTHETIC^ALPHA^B^^MS||19800101|F|||' +
  '1 TEST STREET^^TESTTOWN^^TE1 1ST^GBR^H||01234567890^PRN^PH|||S||ACC-55555|||||||||||N';

function adtBody(padding: string): string[] {
  return [
    'EVN|A01|20260115103000|||OPER01^OPERATOR^TEST',
    pid,
    'PD1|||TEST SURGERY^^S123|G1234567^GP^TEST',
    'NK1|1|SYNTHETIC^BETA|SPO^Spouse|1 TEST STREET^^TESTTOWN^^TE1 1ST^GBR|01234567891',
    'PV1|1|I|WARD1^BAY2^BED3^HOSP||||C1234^CONSULTANT^TEST|||MED||||ADM|||||VPAT-0012345|||||||||||||||||||||||||20260115103000',
    'PV2|||CHEST PAIN',
    'AL1|1|DA|PEN^Penicillin|SV|Rash',
    'DG1|1||R07.4^Chest pain, unspecified^I10||20260115|A',
    'IN1|1|INS01|PAY01|TEST INSURANCE CO',
    `NTE|1||${padding}`,
  ];
}

function oruBody(padding: string): string[] {
  const obx = Array.from({ length: obxCount }, (_, i) => {
    const n = i + 1;
    const code = `T${String(n).padStart(3, '0')}`;
    return (
      `OBX|${n}|NM|${code}^Synthetic analyte ${n}^LN^${code}L^Local ${n}^L||` +
      `${(n * 1.37).toFixed(2)}|mmol/L^millimole per litre^UCUM|0.50-9.99|N|||F|||20260115101500|LAB^Synthetic Laboratory|` +
      `TECH01^TECHNICIAN^TEST|ANALYSER-${n % 4}`
    );
  });
  return [
    pid,
    'PV1|1|O|CLINIC1^^^HOSP||||C1234^CONSULTANT^TEST',
    // The filler order number carries the patient number (frames.ts overwrites it with PID-3's), so
    // each patient's results are their own resources, as with a real lab's order numbers.
    'ORC|RE|ORD-123456|FPAT-0012345||CM',
    'OBR|1|ORD-123456|FPAT-0012345|PANEL^Synthetic panel^L|||20260115090000|||||||20260115091000||C1234^CONSULTANT^TEST||||||20260115101500|||F',
    ...obx,
    `NTE|1||${padding}`,
  ];
}

function build(kind: MessageKind, controlId: string, padding: string): string {
  const body = kind === 'ADT' ? adtBody(padding) : oruBody(padding);
  return buildMessage({ type: kind, event: kind === 'ADT' ? 'A01' : 'R01', controlId, body });
}

/** Control ids are `prefix` + a zero-padded counter, so sizes do not drift with the count. */
export function controlId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(8, '0')}`;
}

/** Returns a builder whose messages are `targetBytes` long for a control id of the given length. */
export function messageFactory(kind: MessageKind, controlIdLength: number): (controlId: string) => Buffer {
  const probe = build(kind, 'X'.repeat(controlIdLength), '');
  const padLength = Math.max(0, targetBytes[kind] - Buffer.byteLength(probe));
  const padding = 'Synthetic note text for sizing only. '.repeat(Math.ceil(padLength / 37)).slice(0, padLength);
  return (id) => Buffer.from(build(kind, id, padding), 'latin1');
}

/** `count` messages with distinct MSH-10 values `prefix00000000`, `prefix00000001`, ... */
export function messages(kind: MessageKind, prefix: string, count: number): Buffer[] {
  const make = messageFactory(kind, controlId(prefix, 0).length);
  return Array.from({ length: count }, (_, i) => make(controlId(prefix, i)));
}
