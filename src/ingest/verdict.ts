import type { Issue } from '../hl7/errors.ts';
import { parseMessage, type MessageHeader, type ParsedMessage } from '../hl7/message.ts';
import { validateMessage, type ValidationRules } from '../hl7/validate.ts';
import type { IngestInput } from './source.ts';

// What parsing and validation concluded about one message, before anything is stored.

export type Verdict = {
  header: Partial<MessageHeader> | null;
  charset: string;
  patientId: string | null;
  /** PID-3.4 of the repetition patientId came from (processing keys a patient by both). */
  patientAuthority: string | null;
  issues: Issue[];
};

export type JudgeOptions = { rules: ValidationRules; defaultCharset: string; maxMessageBytes: number };

/** `bytes` is the whole message, or the head of an oversize one. */
export function judge(input: IngestInput, bytes: Buffer, options: JudgeOptions): Verdict {
  // A charset declared by the transport (HTTP Content-Type) wins over MSH-18.
  const declared = input.kind === 'message' ? input.charset : undefined;
  const parsed = parseMessage(bytes, { defaultCharset: options.defaultCharset, charset: declared });
  const verdict: Verdict = parsed.ok
    ? { header: parsed.message.header, charset: parsed.message.charset, ...patientOf(parsed.message), issues: [] }
    : { header: parsed.header, charset: parsed.charset, patientId: null, patientAuthority: null, issues: [parsed.issue] };
  // Size decides first: the head was read only to address the AR to the right MSH-10.
  if (input.kind === 'oversize') return { ...verdict, issues: [tooLarge(input.bytes, options.maxMessageBytes)] };
  // validateMessage keeps an inbound ACK (MSH-9.1 = ACK) whatever hl7.acceptedTypes lists.
  return parsed.ok ? { ...verdict, issues: validateMessage(parsed.message, options.rules) } : verdict;
}

function patientOf(message: ParsedMessage): { patientId: string | null; patientAuthority: string | null } {
  return { patientId: message.patientId, patientAuthority: message.patientAuthority };
}

export function tooLarge(bytes: number, limit: number): Issue {
  return {
    code: 'message-too-large',
    location: { segment: 'MSH' },
    message: `message of ${bytes} bytes or more exceeds the limit of ${limit} bytes`,
  };
}
