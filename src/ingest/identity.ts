import type { SendersConfig } from '../config/schema.ts';
import type { ErrorCode, Issue } from '../hl7/errors.ts';
import type { MessageHeader } from '../hl7/message.ts';
import { createAddressMatcher, type AddressMatcher } from '../net/allow-list.ts';
import type { IngestSource } from './source.ts';
import type { Verdict } from './verdict.ts';

// Identity rules (`senders`): which MSH-3/MSH-4 a peer may claim. A rule matches a peer when the
// peer's address is in its `cidr` and its verified client certificate subject equals its
// `certSubject` (each only when set; a rule with neither matches every peer). A message passes
// when one matching rule lists both its MSH-3 and its MSH-4; otherwise it is refused AR 207
// "not authorised" (HTTP 403), stored as rejected. With no rules, anyone may claim anything.
//
// An entry is compared with the field as written (no unescaping, case-sensitive):
// - without `^` (`LAB`): with the field's first component, the HD namespace id, so `LAB` allows
//   `LAB`, `LAB^1.2.3^ISO` and `LAB^^`;
// - with `^` (`LAB^1.2.3^ISO`): with the whole field, so universal id and its type must match too
//   (empty trailing components are ignored on both sides);
// - `*`: any value, the empty field included.

type CompiledRule = {
  peer: AddressMatcher | null;
  certSubject: string | null;
  applications: readonly string[];
  facilities: readonly string[];
};

export type SenderRules = readonly CompiledRule[];

/** undefined when there are no rules: nothing to check. */
export function compileSenderRules(senders: SendersConfig): SenderRules | undefined {
  if (senders.length === 0) return undefined;
  return senders.map((rule) => ({
    peer: rule.cidr === undefined ? null : createAddressMatcher([rule.cidr]),
    certSubject: rule.certSubject ?? null,
    applications: rule.sendingApplications,
    facilities: rule.sendingFacilities,
  }));
}

// Checked only on messages whose MSH was read; these refusals already answer AR on their own.
const decidedEarlier: readonly ErrorCode[] = ['no-msh', 'bad-encoding-characters', 'message-too-large'];

/**
 * The verdict, or the same verdict refused for its sender. Content issues are dropped then: a
 * sender that may not send this message learns nothing about what else is wrong with it.
 */
export function checkSender(verdict: Verdict, source: IngestSource, rules: SenderRules | undefined): Verdict {
  const header = verdict.header;
  if (rules === undefined || header === null || header.sendingApplication === undefined) return verdict;
  if (verdict.issues.some((i) => decidedEarlier.includes(i.code))) return verdict;
  const issue = findSenderIssue(header, source, rules);
  return issue === null ? verdict : { ...verdict, issues: [issue] };
}

type Claim = Pick<MessageHeader, 'sendingApplication' | 'sendingFacility'> & { delimiters?: Pick<MessageHeader['delimiters'], 'component'> };

export function findSenderIssue(header: Partial<Claim>, source: IngestSource, rules: SenderRules): Issue | null {
  const component = header.delimiters?.component ?? '^';
  const application = components(header.sendingApplication ?? '', component);
  const facility = components(header.sendingFacility ?? '', component);
  let applicationAllowed = false;
  for (const rule of rules) {
    if (!matchesPeer(rule, source)) continue;
    if (!rule.applications.some((entry) => claims(entry, application))) continue;
    if (rule.facilities.some((entry) => claims(entry, facility))) return null;
    applicationAllowed = true;
  }
  return notAuthorised(applicationAllowed ? 4 : 3);
}

function matchesPeer(rule: CompiledRule, source: IngestSource): boolean {
  if (rule.peer !== null && (source.remoteAddress === null || !rule.peer(source.remoteAddress))) return false;
  return rule.certSubject === null || rule.certSubject === source.tlsClientSubject;
}

function claims(entry: string, field: readonly string[]): boolean {
  if (entry === '*') return true;
  const wanted = components(entry, '^');
  return wanted.length <= 1 ? (field[0] ?? '') === (wanted[0] ?? '') : wanted.join('^') === field.join('^');
}

/** Components of an HD field, empty trailing ones dropped. */
function components(value: string, separator: string): string[] {
  const parts = value.split(separator);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function notAuthorised(field: 3 | 4): Issue {
  const name = field === 3 ? 'MSH-3 (sending application)' : 'MSH-4 (sending facility)';
  // Names the field, never its value.
  return { code: 'sender-not-authorised', location: { segment: 'MSH', sequence: 1, field }, message: `not authorised: this sender may not claim this ${name}` };
}
