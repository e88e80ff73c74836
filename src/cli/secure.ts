import { createHash, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from '../config/secrets.ts';

// `npm run secure -- encrypt <value>` / `decrypt <value>`: makes and reads the '![...]' values of
// config-secured-<env>.yaml. Messages never repeat the input: it is a secret or its ciphertext.
// `new-api-key <name>`: a fresh HTTPS API key, printed once, and the https.apiKeys entry holding
// only its SHA-256 (no config file ever holds a usable key).

/** Each call is one message; the caller adds the line break. */
export type SecureIo = { out: (line: string) => void; err: (line: string) => void };

const USAGE = [
  'usage: npm run secure -- encrypt <value>    prints the encrypted form, ![...]',
  '       npm run secure -- decrypt <![...]>   prints the plain value',
  'The key comes from HL7_KEY. In YAML, quote the result: password: \'![...]\'',
  '       npm run secure -- new-api-key <name> [--roles ingest,read,operate,fhir]',
  '                                            prints a new HTTPS API key once, and its https.apiKeys entry',
].join('\n');

export function runSecure(args: readonly string[], env: NodeJS.ProcessEnv, io: SecureIo): number {
  const [command, value, ...rest] = args;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return 0;
  }
  if (command === 'new-api-key') return newApiKey(args.slice(1), io);
  if ((command !== 'encrypt' && command !== 'decrypt') || value === undefined || rest.length > 0) {
    const hint = rest.length > 0 ? 'expected exactly one value (quote it if it has spaces)\n' : '';
    io.err(`${hint}${USAGE}`);
    return 1;
  }
  const key = env.HL7_KEY;
  if (key === undefined || key === '') {
    io.err(`HL7_KEY is ${key === undefined ? 'not set' : 'empty'}; set it to the key the config values are encrypted with`);
    return 1;
  }
  return command === 'encrypt' ? encrypt(value, key, io) : decrypt(value, key, io);
}

function encrypt(value: string, key: string, io: SecureIo): number {
  // An empty value is most often an unset shell variable, not a wish to encrypt nothing.
  if (value === '') {
    io.err('nothing to encrypt: the value is empty');
    return 1;
  }
  io.out(`${encryptSecret(value, key)}`);
  return 0;
}

function decrypt(value: string, key: string, io: SecureIo): number {
  const result = decryptSecret(value, key);
  if (result.ok) {
    io.out(`${result.value}`);
    return 0;
  }
  io.err(
    result.reason === 'wrong-key-or-tampered'
      ? 'cannot decrypt: wrong HL7_KEY or tampered value'
      : 'cannot decrypt: not a value made by `npm run secure -- encrypt` (expected ![...])',
  );
  return 1;
}

// The roles of https.apiKeys (config schema): operate implies read, read implies fhir.
const roleNames = ['ingest', 'read', 'operate', 'fhir'] as const;

/** The name goes into YAML unquoted and into logs: keep it to a plain word. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function newApiKey(args: readonly string[], io: SecureIo): number {
  const [name, ...options] = args;
  const roles = readRoles(options);
  if (name === undefined || !namePattern.test(name) || roles === null) {
    io.err(
      'usage: npm run secure -- new-api-key <name> [--roles ingest,read,operate,fhir]\n' +
        'name: letters, digits, . _ - (at most 64); roles: any of ingest, read, operate, fhir (default ingest)',
    );
    return 1;
  }
  // 32 random bytes: the key cannot be guessed, so a plain SHA-256 of it is safe to publish.
  const key = `hl7k_${randomBytes(32).toString('base64url')}`;
  const sha256 = createHash('sha256').update(key, 'utf8').digest('hex');
  io.out(`API key for ${name} (shown once: give it to the sender, it cannot be recovered):`);
  io.out(`  ${key}`);
  io.out('Add this entry to https.apiKeys in config-<env>.yaml (it holds only the SHA-256 of the key):');
  io.out(`  - name: ${name}\n    sha256: ${sha256}\n    roles: [${roles.join(', ')}]`);
  io.out(`The sender sends it as: Authorization: Bearer ${key.slice(0, 9)}...`);
  return 0;
}

function readRoles(options: readonly string[]): string[] | null {
  if (options.length === 0) return ['ingest'];
  const [flag = '', value] = options;
  let list: string | undefined;
  if (options.length === 1 && flag.startsWith('--roles=')) list = flag.slice('--roles='.length);
  else if (options.length === 2 && flag === '--roles') list = value;
  if (list === undefined) return null;
  const roles = [...new Set(list.split(',').map((r) => r.trim()))];
  return roles.every((r) => (roleNames as readonly string[]).includes(r)) ? roles : null;
}
