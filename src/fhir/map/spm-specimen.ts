import { resourceId } from '../ids.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { eiKey, eiToIdentifier } from './cx-identifier.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { comp, compText, field, repetitions, text, type Segment } from './v2-reader.ts';

// SPM → Specimen (IG "SPM[Specimen]"): SPM-2 (EIP: placer ^ filler assigned id) → identifiers,
// SPM-4 type, SPM-8 source site → collection.bodySite, SPM-17 collection time (DR: a period when
// it has an end), SPM-18 received time, SPM-14 description and the NTEs that follow → note.
// Keyed by the specimen's filler id, else its placer id, else the order and SPM-1.

export function specimenKeyOf(spm: Segment, orderKey: string, index: number, ctx: MapContext): string {
  const { d } = ctx;
  const eip = repetitions(field(spm, 2), d)[0] ?? '';
  // EIP components are EIs written as sub-components.
  const asEi = (n: number): string => comp(eip, n, d).split(d.subcomponent).join(d.component);
  return eiKey(asEi(2), ctx) ?? eiKey(asEi(1), ctx) ?? `${orderKey}#${compText(field(spm, 1), 1, d) ?? String(index + 1)}`;
}

export function specimenIdOf(key: string): string {
  return resourceId('Specimen', [key]);
}

export function mapSpecimen(spm: Segment, notes: Segment[], id: string, patient: string, ctx: MapContext): Json {
  const { d } = ctx;
  const zone = ctx.options.defaultTimeZone;
  const eip = repetitions(field(spm, 2), d)[0] ?? '';
  const asEi = (n: number): string => comp(eip, n, d).split(d.subcomponent).join(d.component);
  const collected = repetitions(field(spm, 17), d)[0] ?? '';
  const start = toFhirDateTime(compText(collected, 1, d), zone);
  const end = toFhirDateTime(compText(collected, 2, d), zone);
  const description = compText(field(spm, 14), 1, d);
  const noteTexts = [description, ...notes.map((nte) => repetitions(field(nte, 3), d).map((r) => text(r, d)).filter((t) => t !== undefined).join('\n'))];
  return {
    resourceType: 'Specimen',
    id,
    identifier: [eiToIdentifier(asEi(1), ctx, 'PLAC'), eiToIdentifier(asEi(2), ctx, 'FILL')],
    type: toCodeableConcept(field(spm, 4), ctx, '0487'),
    subject: { reference: `Patient/${patient}` },
    receivedTime: toFhirDateTime(compText(field(spm, 18), 1, d), zone),
    collection: {
      collectedDateTime: end === undefined ? start : undefined,
      collectedPeriod: end === undefined ? undefined : { start, end },
      bodySite: toCodeableConcept(field(spm, 8), ctx),
    },
    note: noteTexts.filter((n) => n !== undefined && n !== '').map((n) => ({ text: n })),
  };
}
