// What counts as PHI in the corpus, read with a parser of its own (nothing from src/), and a
// scanner that finds those values in captured log lines. Used by test/integration/no-phi.test.ts.

export type PhiToken = { value: string; kind: string; file: string };
export type PhiHit = { token: PhiToken; line: string };

type Delims = { field: string; component: string; repetition: string; subcomponent: string };

const defaultDelims: Delims = { field: '|', component: '^', repetition: '~', subcomponent: '&' };

/** Which parts of which fields are identifying, and the shortest value worth looking for. */
type Rule = { kind: string; pick: (value: string, d: Delims) => string[]; min: number };

const pieces = (value: string, d: Delims): string[] =>
  value.split(d.repetition).flatMap((rep) => rep.split(d.component).flatMap((c) => [c, ...c.split(d.subcomponent)]));
const firstComponents = (value: string, d: Delims): string[] => value.split(d.repetition).map((rep) => rep.split(d.component)[0] ?? '');
const components = (indexes: number[]) => (value: string, d: Delims): string[] =>
  value.split(d.repetition).flatMap((rep) => indexes.map((i) => (rep.split(d.component)[i] ?? '').split(d.subcomponent)[0] ?? ''));
const whole = (value: string, d: Delims): string[] => [...value.split(d.repetition), ...pieces(value, d)];
/** Free text: whole repetitions, and parts of several words; a single dictionary word identifies no one. */
const text = (value: string, d: Delims): string[] => [...value.split(d.repetition), ...pieces(value, d).filter((p) => /[^\p{L}]/u.test(p.trim()))];

const NAME: Rule = { kind: 'name', pick: components([0, 1, 2, 3, 4]), min: 3 };
const ID: Rule = { kind: 'identifier', pick: firstComponents, min: 4 };
const rules: Record<string, Record<number, Rule>> = {
  PID: {
    2: ID, 3: ID, 4: ID, 18: ID, 19: { kind: 'identifier', pick: whole, min: 4 }, 20: ID,
    5: NAME, 6: NAME, 9: NAME,
    7: { kind: 'birth date', pick: firstComponents, min: 6 },
    11: { kind: 'address street', pick: components([0, 1]), min: 4 },
    13: { kind: 'phone', pick: firstComponents, min: 7 },
    14: { kind: 'phone', pick: firstComponents, min: 7 },
  },
  NK1: { 2: NAME, 4: { kind: 'address street', pick: components([0, 1]), min: 4 }, 5: { kind: 'phone', pick: firstComponents, min: 7 } },
  OBX: { 5: { kind: 'observation text', pick: text, min: 7 } },
  NTE: { 3: { kind: 'note text', pick: text, min: 7 } },
};

/** Long values of any other PID field are treated as identifying too. */
const OTHER_PID: Rule = { kind: 'other PID value', pick: pieces, min: 7 };

export function extractPhi(file: string, bytes: Buffer): PhiToken[] {
  const texts = new Set([bytes.toString('latin1'), bytes.toString('utf8')]);
  const found = new Map<string, PhiToken>();
  for (const text of texts) {
    let d = defaultDelims;
    for (const raw of text.split(/\r\n|\r|\n/)) {
      const line = raw.replace(/[\x0b\x1c]/g, '');
      // An MSH starts the line, or follows junk that is no segment (never a field value "MSH").
      const msh = /^[A-Z][A-Z0-9]{2}[^A-Za-z0-9]/.test(line) ? (line.startsWith('MSH') ? 0 : -1) : line.indexOf('MSH');
      if (msh >= 0 && line.length > msh + 4) d = delimitersOf(line.slice(msh));
      const id = line.slice(0, 3);
      const fields = line.split(d.field);
      fields.forEach((value, n) => {
        const rule = rules[id]?.[n] ?? (id === 'PID' && n > 0 ? OTHER_PID : undefined);
        if (rule === undefined) return;
        for (const piece of rule.pick(value, d)) addToken(found, { value: piece.trim(), kind: `${id}-${n} ${rule.kind}`, file }, rule.min);
      });
    }
  }
  return [...found.values()];
}

function delimitersOf(msh: string): Delims {
  const field = msh.charAt(3);
  const enc = msh.slice(4, 8);
  return { field, component: enc.charAt(0) || '^', repetition: enc.charAt(1) || '~', subcomponent: enc.charAt(3) || '&' };
}

function addToken(found: Map<string, PhiToken>, token: PhiToken, min: number): void {
  const v = token.value;
  if (v.length < min || v.includes('\\') || !/[\p{L}\p{N}]/u.test(v)) return;
  // Short bare numbers collide with ports, byte counts and durations in any log; 6+ digits do not.
  if (/^\d+$/.test(v) && v.length < 6) return;
  if (!found.has(v)) found.set(v, token);
}

// `_` too: it joins words into one identifier (hl7_test_x is not the word "test").
const wordChar = /[\p{L}\p{N}_]/u;

/** Every line holding a token as a whole word (not inside a longer word or number). */
export function scanForPhi(tokens: readonly PhiToken[], lines: readonly string[]): PhiHit[] {
  const text = lines.join('\n');
  const hits: PhiHit[] = [];
  for (const token of tokens) {
    // Logs are JSON: look for the value as JSON writes it.
    const needle = JSON.stringify(token.value).slice(1, -1);
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const before = text.charAt(at - 1);
      const after = text.charAt(at + needle.length);
      if ((before !== '' && wordChar.test(before)) || (after !== '' && wordChar.test(after))) continue;
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      hits.push({ token, line: text.slice(start, end < 0 ? undefined : end) });
      break;
    }
  }
  return hits;
}
