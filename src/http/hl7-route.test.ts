import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Ingest } from '../ingest/deps.ts';
import type { IngestOutcome } from '../ingest/outcome.ts';
import { createByteBudget, type ByteBudget } from '../net/byte-budget.ts';
import { hl7Routes } from './hl7-route.ts';

// POST /hl7 takes its body's bytes from the budget both doors share (mllp.maxInFlightBytes): it
// waits while the budget is full, holds the bytes while ingest runs, and gives them back once answered.

const body = 'MSH|^~\\&|A|B|C|D|20260115103000||ADT^A01|C1|P|2.5.1\r';
const outcome: IngestOutcome = {
  ack: Buffer.from('MSH|^~\\&\rMSA|AA|C1\r'),
  ackCode: 'AA',
  result: 'accept',
  stored: true,
  issues: [],
  httpStatus: 200,
  controlId: 'C1',
  messageType: 'ADT',
};

async function routeWith(budget: ByteBudget, ingest: Ingest) {
  const app = Fastify();
  await app.register(hl7Routes, { ingest, maxMessageBytes: 64 * 1024, budget });
  return app;
}

const post = (app: Awaited<ReturnType<typeof routeWith>>) =>
  app.inject({ method: 'POST', url: '/hl7', headers: { 'content-type': 'application/hl7-v2' }, payload: body });

describe('POST /hl7 and the byte budget', () => {
  it('holds the body’s bytes while ingest runs and gives them back once answered', async () => {
    const budget = createByteBudget(1024 * 1024);
    let heldDuringIngest = -1;
    const app = await routeWith(budget, async () => {
      heldDuringIngest = budget.used;
      return outcome;
    });
    const answer = await post(app);
    expect(answer.statusCode).toBe(200);
    expect(heldDuringIngest).toBe(Buffer.byteLength(body));
    expect(budget.used).toBe(0);
    await app.close();
  });

  it('waits while the budget is full (MLLP frames hold it), then goes on', async () => {
    const budget = createByteBudget(4096);
    const release = await budget.acquire(4096); // an MLLP door's frames fill the budget
    let asked!: () => void;
    const askedForBudget = new Promise<void>((resolve) => (asked = resolve));
    const spy: ByteBudget = {
      get limit() { return budget.limit; },
      get used() { return budget.used; },
      get full() { return budget.full; },
      openAccount: (onChange) => budget.openAccount(onChange),
      acquire: (bytes, signal) => {
        asked();
        return budget.acquire(bytes, signal);
      },
    };
    let ingested = 0;
    const app = await routeWith(spy, async () => {
      ingested++;
      return outcome;
    });
    const answering = post(app);
    await askedForBudget;
    expect(ingested).toBe(0); // its acquire cannot resolve before the frames give their bytes back
    release();
    expect((await answering).statusCode).toBe(200);
    expect(ingested).toBe(1);
    await app.close();
  });
});
