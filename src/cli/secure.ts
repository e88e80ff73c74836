import { decryptSecret, encryptSecret } from '../config/secrets.ts';

// `npm run secure -- encrypt <value>` / `decrypt <value>`: makes and reads the '![...]' values of
// config-secured-<env>.yaml. Messages never repeat the input: it is a secret or its ciphertext.

/** Each call is one message; the caller adds the line break. */
export type SecureIo = { out: (line: string) => void; err: (line: string) => void };

const USAGE = [
  'usage: npm run secure -- encrypt <value>    prints the encrypted form, ![...]',
  '       npm run secure -- decrypt <![...]>   prints the plain value',
  'The key comes from HL7_KEY. In YAML, quote the result: password: \'![...]\'',
].join('\n');

export function runSecure(args: readonly string[], env: NodeJS.ProcessEnv, io: SecureIo): number {
  const [command, value, ...rest] = args;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return 0;
  }
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
