// Splits a SQL script into statements so the schema file runs statement by statement on an ordinary
// pooled connection: the pool never needs `multipleStatements` (which would let an injected `;` stack
// statements), and a failure names the statement that failed.
// Knows quotes ('…', "…", `…`) and comments (`-- `, `#`, `/* */`) so a `;` inside them does not split.
// It does not know `DELIMITER` (stored procedures); the schema has none.

type Scanner = { text: string; at: number };

function skipQuoted(s: Scanner, quote: string): void {
  s.at += 1;
  while (s.at < s.text.length) {
    const ch = s.text[s.at];
    if (ch === '\\' && quote !== '`') s.at += 2;
    else if (ch === quote && s.text[s.at + 1] === quote) s.at += 2;
    else if (ch === quote) return void (s.at += 1);
    else s.at += 1;
  }
}

function skipToLineEnd(s: Scanner): void {
  const end = s.text.indexOf('\n', s.at);
  s.at = end === -1 ? s.text.length : end;
}

function skipBlockComment(s: Scanner): void {
  const end = s.text.indexOf('*/', s.at + 2);
  s.at = end === -1 ? s.text.length : end + 2;
}

/** MariaDB only reads `--` as a comment when whitespace (or the end) follows. */
function isDashComment(text: string, at: number): boolean {
  return text.startsWith('--', at) && (at + 2 >= text.length || /\s/.test(text[at + 2] ?? ''));
}

export function splitSqlStatements(text: string): string[] {
  const statements: string[] = [];
  const s: Scanner = { text, at: 0 };
  let current = '';
  while (s.at < text.length) {
    const ch = text[s.at] ?? '';
    const from = s.at;
    if (ch === "'" || ch === '"' || ch === '`') skipQuoted(s, ch);
    else if (ch === '#' || isDashComment(text, s.at)) {
      skipToLineEnd(s);
      continue;
    } else if (text.startsWith('/*', s.at)) {
      skipBlockComment(s);
      current += ' ';
      continue;
    } else if (ch === ';') {
      statements.push(current);
      current = '';
      s.at += 1;
      continue;
    } else s.at += 1;
    current += text.slice(from, s.at);
  }
  statements.push(current);
  return statements.map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}
