import { randomBytes } from 'node:crypto';

// MSH-10 of the ACKs we send: unique per process and across restarts, at most 20 characters
// (the ST length of MSH-10 before v2.5). Time in base 36, a per-process random tag, a counter.

export function createControlIdGenerator(now: () => number = Date.now): () => string {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  let counter = 0;
  return () => {
    counter = (counter + 1) % 36 ** 3;
    return `${now().toString(36).toUpperCase()}${tag}${counter.toString(36).toUpperCase().padStart(3, '0')}`;
  };
}
