import type { CodeableConcept, HumanName, Identifier, Patient, Period, Quantity, Range } from '@medplum/fhirtypes';
import { formatTime } from './widgets.tsx';

// FHIR values as the words a person reads: names, codes, periods, quantities, ranges.

export function nameText(name: HumanName | undefined): string {
  if (name === undefined) return 'No name';
  if (name.text !== undefined && name.text !== '') return name.text;
  const given = (name.given ?? []).join(' ');
  const family = name.family ?? '';
  const text = [family.toUpperCase(), given].filter((p) => p !== '').join(', ');
  return text === '' ? 'No name' : text;
}

export function patientName(patient: Patient): string {
  const names = patient.name ?? [];
  return nameText(names.find((n) => n.use === 'official') ?? names[0]);
}

export function codeText(concept: CodeableConcept | undefined): string {
  if (concept === undefined) return '—';
  if (concept.text !== undefined && concept.text !== '') return concept.text;
  const coding = concept.coding?.[0];
  if (coding === undefined) return '—';
  return coding.display ?? coding.code ?? '—';
}

export function identifierText(identifier: Identifier): string {
  const type = identifier.type === undefined ? '' : `${codeText(identifier.type)} `;
  const system = identifier.system === undefined ? '' : ` (${identifier.system})`;
  return `${type}${identifier.value ?? '—'}${system}`;
}

export function periodText(period: Period | undefined): string {
  if (period === undefined) return '—';
  const start = period.start === undefined ? '…' : formatTime(period.start);
  const end = period.end === undefined ? 'ongoing' : formatTime(period.end);
  return `${start} – ${end}`;
}

export function quantityText(q: Quantity | undefined): string {
  if (q === undefined) return '';
  const value = q.value === undefined ? '' : `${q.comparator ?? ''}${q.value}`;
  const unit = q.unit ?? q.code ?? '';
  return [value, unit].filter((p) => p !== '').join(' ');
}

export function rangeText(range: { low?: Quantity; high?: Quantity; text?: string } | Range | undefined): string {
  if (range === undefined) return '';
  if ('text' in range && range.text !== undefined && range.text !== '') return range.text;
  const low = quantityText(range.low);
  const high = quantityText(range.high);
  if (low !== '' && high !== '') return `${low} – ${high}`;
  if (low !== '') return `≥ ${low}`;
  if (high !== '') return `≤ ${high}`;
  return '';
}

/** A merged-away patient: inactive, or linked to the one that replaced it. */
export function replacedBy(patient: Patient): string | null {
  const link = patient.link?.find((l) => l.type === 'replaced-by');
  const reference = link?.other?.reference;
  if (reference !== undefined) return reference.replace(/^Patient\//, '');
  return null;
}
