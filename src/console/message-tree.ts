import { defaultDelimiters, readDelimiters, type Delimiters } from '../hl7/delimiters.ts';
import { unescapeText } from '../hl7/escape.ts';
import { datatypeComponents, segmentDefinitions } from '../hl7/field-names.ts';
import { splitSegments } from '../hl7/segments.ts';
import type { MessageTree, TreeField, TreeSegment } from './api.ts';

// The message tree the console shows beside the raw text (GET /api/messages/:id/tree): segments,
// their non-empty fields with HL7 v2.5.1 names (src/hl7/field-names.ts, generated), repetitions,
// and components / subcomponents where a value has them. Pure: the decoded text in, plain data out.
//
// The message's own delimiters (MSH-1, MSH-2) split it; a message whose MSH cannot give them (a
// refused one) is split with the usual |^~\& so it can still be looked at.

type Component = TreeField['repetitions'][number]['components'][number];
type Leaf = Component['subcomponents'][number];

export function buildMessageTree(id: number, text: string): MessageTree {
  const segments = splitSegments(text);
  const delimiters = delimitersOf(segments[0] ?? '');
  const obx2 = (fields: string[]): string | null => {
    const type = (fields[2] ?? '').split(delimiters.component)[0]?.trim() ?? '';
    return type === '' ? null : type;
  };
  return {
    id,
    segments: segments.map((segment, i): TreeSegment => {
      const parts = segment.split(delimiters.field);
      const name = parts[0] ?? '';
      const definition = segmentDefinitions[name];
      const fields = name === 'MSH' ? mshFields(segment, delimiters) : parts.map((value, position) => ({ position, value })).slice(1);
      return {
        index: i + 1,
        name,
        description: definition?.[0] ?? null,
        fields: fields
          .filter((f) => f.value !== '')
          .map((f) => {
            const known = definition?.[1][f.position - 1];
            // OBX-5 is of the type OBX-2 names (table 0125).
            const datatype = name === 'OBX' && f.position === 5 ? (obx2(parts) ?? known?.[1] ?? null) : (known?.[1] ?? null);
            return buildField(`${name}-${f.position}`, f.position, known?.[0] ?? null, datatype, f.value, delimiters, name === 'MSH' && f.position <= 2);
          }),
      };
    }),
  };
}

/** MSH-1 is the field separator itself and MSH-2 the encoding characters: MSH-n is the n-th part after `MSH`, counting the separator as MSH-1. */
function mshFields(segment: string, d: Delimiters): { position: number; value: string }[] {
  const rest = segment.slice(4).split(d.field);
  return [{ position: 1, value: d.field }, ...rest.map((value, i) => ({ position: i + 2, value }))];
}

function delimitersOf(first: string): Delimiters {
  if (!first.startsWith('MSH')) return defaultDelimiters;
  const read = readDelimiters(first);
  if (read.ok) return read.delimiters;
  return read.field === null ? defaultDelimiters : { ...defaultDelimiters, field: read.field };
}

function buildField(id: string, position: number, name: string | null, datatype: string | null, value: string, d: Delimiters, literal: boolean): TreeField {
  // MSH-1 and MSH-2 are delimiters, not values: never split or unescaped.
  if (literal) return { position, id, name, datatype, repetitions: [{ text: value, components: [] }] };
  return {
    position,
    id,
    name,
    datatype,
    repetitions: value.split(d.repetition).map((repetition) => ({
      text: unescapeText(repetition, d),
      components: repetition.includes(d.component) ? components(id, datatype, repetition, d) : [],
    })),
  };
}

function components(fieldId: string, datatype: string | null, value: string, d: Delimiters): Component[] {
  const named = datatype === null ? undefined : datatypeComponents[datatype];
  return value.split(d.component).flatMap((text, i) => {
    if (text === '') return [];
    const leaf = leafOf(`${fieldId}.${i + 1}`, i + 1, named?.[i], text, d);
    const subcomponents = text.includes(d.subcomponent) ? subcomponentsOf(leaf.id, leaf.datatype, text, d) : [];
    return [{ ...leaf, subcomponents }];
  });
}

function subcomponentsOf(componentId: string, datatype: string | null, value: string, d: Delimiters): Leaf[] {
  const named = datatype === null ? undefined : datatypeComponents[datatype];
  return value.split(d.subcomponent).flatMap((text, i) => (text === '' ? [] : [leafOf(`${componentId}.${i + 1}`, i + 1, named?.[i], text, d)]));
}

function leafOf(id: string, position: number, named: readonly [string, string] | undefined, text: string, d: Delimiters): Leaf {
  return { position, id, name: named?.[0] ?? null, datatype: named?.[1] ?? null, text: unescapeText(text, d) };
}
