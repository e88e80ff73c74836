import fc from 'fast-check';
import { buildMessage } from './messages.ts';

// fast-check arbitraries shared by the fuzz tests (src/**/*.fuzz.test.ts, test/integration/fuzz-*.ts):
// valid synthetic messages, MSH damage that must never be accepted, byte streams rich in MLLP
// control bytes. The oracles below are written from the standard, not from src/.
//
// A failing property prints its seed and path; replay it with HL7_FUZZ_SEED=<seed> (and
// HL7_FUZZ_PATH=<path>); HL7_FUZZ_RUNS raises the number of runs for a longer local hunt.

export function fuzzOptions(numRuns: number): { numRuns: number; seed?: number; path?: string } {
  const seed = process.env.HL7_FUZZ_SEED;
  const path = process.env.HL7_FUZZ_PATH;
  const runs = Number(process.env.HL7_FUZZ_RUNS ?? numRuns);
  return { numRuns: runs, ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) };
}

/** Type^event pairs the default configuration accepts. */
const accepted: [string, string][] = [
  ['ADT', 'A01'],
  ['ADT', 'A08'],
  ['ORU', 'R01'],
  ['SIU', 'S12'],
];
const versions = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.8'];

/** Valid messages (accepted by default) with random MSH-3, MSH-10, type and version. */
export const validMessage = fc
  .record({
    kind: fc.constantFrom(...accepted),
    version: fc.constantFrom(...versions),
    controlId: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
    sendingApplication: fc.stringMatching(/^[A-Z]{1,10}$/),
    note: fc.stringMatching(/^[A-Za-z0-9 .]{0,40}$/),
  })
  .map(({ kind, ...rest }) => buildMessage({ ...rest, type: kind[0], event: kind[1] }));

// Oracles, from HL7 v2 chapter 2 and the default configuration (README: ACK rules).
const acceptedTypes: Record<string, string[]> = { ADT: adtEvents(), ORU: ['R01', 'R30', 'R31', 'R32', 'R40', 'R41', 'W01'], SIU: siuEvents() };
const knownVersions = new Set(['2.1', '2.2', '2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9']);

function adtEvents(): string[] {
  return Array.from({ length: 62 }, (_, i) => `A${String(i + 1).padStart(2, '0')}`);
}
function siuEvents(): string[] {
  return ['S12', 'S13', 'S14', 'S15', 'S16', 'S17', 'S18', 'S19', 'S20', 'S21', 'S22', 'S23', 'S24', 'S26'];
}

/** Printable ASCII, neither letter, digit nor space. */
export function isLegalDelimiter(char: string): boolean {
  return /^[!-/:-@[-`{-~]$/.test(char);
}
export function isLegalEncoding(chars: string, field: string): boolean {
  const list = [...chars];
  return list.length >= 4 && list.length <= 5 && list.every((c, i) => isLegalDelimiter(c) && c !== field && list.indexOf(c) === i);
}
export function isAcceptedType(msh9: string): boolean {
  const [type = '', event = ''] = msh9.split('^').map((s) => s.trim());
  return Object.hasOwn(acceptedTypes, type) && (acceptedTypes[type] ?? []).includes(event);
}
export function isKnownVersion(msh12: string): boolean {
  return knownVersions.has((msh12.split('^')[0] ?? '').trim());
}

export type Damage = { field: 'MSH-1' | 'MSH-2' | 'MSH-9' | 'MSH-10' | 'MSH-12'; value: string };

const text = (alphabet: string, maxLength: number) => fc.string({ unit: fc.constantFrom(...alphabet), maxLength });

/** A value that breaks its field for certain (checked by the oracles above). */
export const mshDamage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ field: fc.constant('MSH-1' as const), value: fc.oneof(fc.constant(''), text('A1 #^~&\\\t\u00e9', 1)) }).filter((d) => d.value !== '|'),
  fc.record({ field: fc.constant('MSH-2' as const), value: text('^~\\&#!A1 ', 7) }).filter((d) => !isLegalEncoding(d.value, '|')),
  fc.record({ field: fc.constant('MSH-9' as const), value: text('ADTORUSIadtA0128^_ ', 12) }).filter((d) => !isAcceptedType(d.value)),
  fc.record({ field: fc.constant('MSH-10' as const), value: text(' ', 3) }),
  fc.record({ field: fc.constant('MSH-12' as const), value: text('0123456789.^ xv', 8) }).filter((d) => !isKnownVersion(d.value)),
);

/** The message with one MSH field replaced (MSH-1 is the character after `MSH`). */
export function applyDamage(message: string, damage: Damage): string {
  const end = message.indexOf('\r');
  const msh = message.slice(0, end);
  const rest = message.slice(end);
  if (damage.field === 'MSH-1') return `MSH${damage.value}${msh.slice(4)}${rest}`;
  const fields = msh.split('|');
  const index = { 'MSH-2': 1, 'MSH-9': 8, 'MSH-10': 9, 'MSH-12': 11 }[damage.field];
  fields[index] = damage.value;
  return `${fields.join('|')}${rest}`;
}

/** Valid messages with one MSH field broken for certain. */
export const damagedMessage = fc.tuple(validMessage, mshDamage).map(([message, damage]) => ({ damage, text: applyDamage(message, damage) }));

/** Random bytes, rich in MLLP control bytes (0x0B, 0x1C, 0x0D) and in `MSH|` starts. */
export const mllpNoise = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 3, arbitrary: fc.constantFrom(...[[0x0b], [0x1c], [0x0d], [0x1c, 0x0d], [0x0a]].map((b) => Uint8Array.from(b))) },
      { weight: 1, arbitrary: fc.constant(Uint8Array.from(Buffer.from('MSH|^~\\&|'))) },
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts));

/** Cut points for a buffer of `length` bytes: the chunks cover it exactly, in order. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

/**
 * Complete frames in a stream, by the MLLP rule (0x0B … 0x1C 0x0D), counted independently of src/.
 * A 0x0B always starts a frame: inside an unfinished one it abandons it (MLLP content has no 0x0B).
 */
export function countFrames(bytes: Buffer): number {
  let frames = 0;
  let inFrame = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0b) inFrame = true;
    else if (inFrame && bytes[i] === 0x1c && bytes[i + 1] === 0x0d) {
      frames += 1;
      inFrame = false;
      i += 1;
    }
  }
  return frames;
}
