import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The public corpus (third-party messages, see fixtures/corpus/README.md) and what the service is
// expected to do with each file, shared by the door tests (MLLP: corpus.test.ts, HTTPS:
// https-corpus.test.ts).

export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corpus');

export type CorpusRow = { file: string; expected: 'accept' | 'reject'; notes: string };

export const corpusRows: CorpusRow[] = readFileSync(join(corpusDir, 'MANIFEST.tsv'), 'latin1')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const cols = line.split('\t');
    return { file: cols[0] ?? '', expected: cols[6] === 'accept' ? 'accept' : 'reject', notes: cols[7] ?? '' };
  });

// Where the service's documented defaults differ from the MANIFEST's MSH-level expectation.
// Each entry says why; the MANIFEST README names these cases as configuration choices.
export const defaultsDiffer: Record<string, { expected: 'accept' | 'reject'; why: string }> = {
  'valid/hapi__EscapeTest_ORU_FT_br_H_N.hl7': { expected: 'reject', why: 'ORU without PID (required by default)' },
  'valid/hapi__NewPipeParserTest_ADT_A08_v22.hl7': { expected: 'reject', why: 'ADT without PID (required by default)' },
  'valid/nodehl7__NTE_escapes_F_S_R_T_E_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7__NTE_hex_escape_X4869_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7__NTE_control_escapes_C_H_M_N_Z_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7client__MSH_only_ADT_A01_v271.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/pythonhl7__rep_sample_hl7_repetitions_subcomponents.hl7': { expected: 'reject', why: 'ORU without OBR' },
};

/**
 * Batch files whose messages are judged one by one, some accepted and some refused, where the
 * MANIFEST expects the file as a whole to be refused: MSA-1 of each ACK in the answer envelope
 * (status 200 over HTTPS). Batch answers hold one ACK per message whatever MSH-15 says, so
 * NE/NE messages get commit codes.
 */
export const batchAnswers: Record<string, { acks: string[]; why: string }> = {
  'invalid/rubyhl7__realm-batch.hl7': { acks: ['CA', 'CR'], why: 'the second MSH has a 3-character MSH-2; the first message is fine' },
};

/** What the service does with a file by default: the MANIFEST, unless `defaultsDiffer` says otherwise. */
export function expectationOf(row: CorpusRow): 'accept' | 'reject' {
  return defaultsDiffer[row.file]?.expected ?? row.expected;
}

/** MSH fields as written (index i is MSH-(i+1)), read independently of the service's parser. */
export function mshFields(bytes: Buffer): string[] {
  const first = bytes.toString('latin1').split(/\r\n|\r|\n/)[0] ?? '';
  return first.startsWith('MSH') ? ['MSH', ...first.slice(4).split(first.charAt(3))] : [];
}
