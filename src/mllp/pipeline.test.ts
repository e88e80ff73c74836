import { describe, expect, it } from 'vitest';
import { createReplyPipeline, type PipelineOptions } from './pipeline.ts';
import type { FrameReply, InboundFrame } from './frame-handler.ts';

type Deferred = { frame: string; resolve(reply: string | null): void; reject(err: Error): void };

/** A pipeline whose handler calls are settled by the test; records what was written and when. */
function harness(limit: number, canStart: () => boolean = () => true) {
  const calls: Deferred[] = [];
  const written: string[] = [];
  const failures: unknown[] = [];
  const options: PipelineOptions = {
    limit,
    handle: (frame: InboundFrame) =>
      new Promise<FrameReply>((resolve, reject) => {
        const text = frame.kind === 'message' ? frame.payload.toString('latin1') : 'oversize';
        calls.push({ frame: text, resolve: (r) => resolve({ reply: r === null ? null : Buffer.from(r) }), reject });
      }),
    canStart,
    write: (replies) => written.push(...replies.map((r) => r.toString('latin1'))),
    onFailure: (err) => failures.push(err),
    onProgress: () => pipeline.pump(),
  };
  const pipeline = createReplyPipeline(options);
  const push = (...texts: string[]): void => {
    for (const text of texts) pipeline.push({ kind: 'message', payload: Buffer.from(text) });
    pipeline.pump();
  };
  const settle = async (frame: string, reply: string | null | Error): Promise<void> => {
    const call = calls.find((c) => c.frame === frame);
    if (call === undefined) throw new Error(`${frame} was not started`);
    if (reply instanceof Error) call.reject(reply);
    else call.resolve(reply);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let the promise callbacks run
  };
  return { pipeline, calls, written, failures, push, settle };
}

describe('reply pipeline', () => {
  it.each([
    ['in order', ['A', 'B', 'C', 'D']],
    ['reversed', ['D', 'C', 'B', 'A']],
    ['head last', ['B', 'D', 'C', 'A']],
    ['head first, then reversed', ['A', 'D', 'C', 'B']],
  ])('releases replies in arrival order whatever the completion order (%s)', async (_name, order) => {
    const h = harness(8);
    h.push('A', 'B', 'C', 'D');
    expect(h.calls.map((c) => c.frame)).toEqual(['A', 'B', 'C', 'D']);
    for (const frame of order) await h.settle(frame, `ACK:${frame}`);
    expect(h.written).toEqual(['ACK:A', 'ACK:B', 'ACK:C', 'ACK:D']);
    expect(h.pipeline.idle).toBe(true);
  });

  it('holds a finished reply until every earlier one is released', async () => {
    const h = harness(8);
    h.push('A', 'B');
    await h.settle('B', 'ACK:B');
    expect(h.written).toEqual([]);
    expect(h.pipeline.unanswered).toBe(2);
    await h.settle('A', 'ACK:A');
    expect(h.written).toEqual(['ACK:A', 'ACK:B']);
  });

  it('skips a frame answered with nothing (MSH-15/16 NE) and keeps the order of the others', async () => {
    const h = harness(8);
    h.push('A', 'SILENT', 'C');
    await h.settle('C', 'ACK:C');
    await h.settle('SILENT', null);
    await h.settle('A', 'ACK:A');
    expect(h.written).toEqual(['ACK:A', 'ACK:C']);
  });

  it('starts at most `limit` frames and counts finished-but-held ones against it', async () => {
    const h = harness(2);
    h.push('A', 'B', 'C', 'D');
    expect(h.calls.map((c) => c.frame)).toEqual(['A', 'B']);
    await h.settle('B', 'ACK:B'); // held behind A: still two unanswered
    expect(h.calls).toHaveLength(2);
    await h.settle('A', 'ACK:A');
    expect(h.calls.map((c) => c.frame)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('starts nothing while canStart() is false, and resumes on the next pump', () => {
    let open = false;
    const h = harness(8, () => open);
    h.push('A', 'B');
    expect(h.calls).toHaveLength(0);
    open = true;
    h.pipeline.pump();
    expect(h.calls).toHaveLength(2);
  });

  it('after a failure answers the earlier frames, nothing from the failed one on, and starts nothing more', async () => {
    const h = harness(2);
    h.push('A', 'BOOM', 'C', 'D');
    await h.settle('BOOM', new Error('handler failed'));
    expect(h.failures).toHaveLength(1);
    expect(h.calls.map((c) => c.frame)).toEqual(['A', 'BOOM']); // C and D dropped unstarted
    await h.settle('A', 'ACK:A');
    expect(h.written).toEqual(['ACK:A']);
    expect(h.pipeline.idle).toBe(true);
  });

  it('is not idle while a handler whose reply was dropped still runs', async () => {
    const h = harness(4);
    h.push('BOOM', 'LATER');
    await h.settle('BOOM', new Error('handler failed'));
    expect(h.pipeline.unanswered).toBe(0);
    expect(h.pipeline.idle).toBe(false);
    await h.settle('LATER', 'ACK:LATER');
    expect(h.written).toEqual([]);
    expect(h.pipeline.idle).toBe(true);
  });

  it('holds the payload bytes of every unanswered frame until its reply is released', async () => {
    const h = harness(2);
    h.push('AAAA', 'BB', 'C'); // C waits for a free slot: it counts too
    expect(h.pipeline.heldBytes).toBe(7);
    await h.settle('BB', 'ACK'); // handled, but held behind AAAA
    expect(h.pipeline.heldBytes).toBe(7);
    await h.settle('AAAA', 'ACK');
    expect(h.pipeline.heldBytes).toBe(1);
    await h.settle('C', null); // answered with nothing: released all the same
    expect(h.pipeline.heldBytes).toBe(0);
  });

  it('counts the head of an oversize frame, and gives back the bytes of dropped frames', async () => {
    const h = harness(1);
    h.pipeline.push({ kind: 'oversize', head: Buffer.alloc(100), bytes: 5000 });
    h.push('BOOM', 'LATER');
    expect(h.pipeline.heldBytes).toBe(109);
    await h.settle('oversize', new Error('handler failed'));
    expect(h.pipeline.heldBytes).toBe(0);
    h.push('IGNORED');
    expect(h.pipeline.heldBytes).toBe(0);
  });

  it('gives back every held byte when abandoned', () => {
    const h = harness(1);
    h.push('AAA', 'BB');
    h.pipeline.abandon();
    expect(h.pipeline.heldBytes).toBe(0);
  });

  it('treats a handler that throws synchronously as a failure', async () => {
    const failures: unknown[] = [];
    const pipeline = createReplyPipeline({
      limit: 1,
      handle: () => {
        throw new Error('sync');
      },
      canStart: () => true,
      write: () => undefined,
      onFailure: (err) => failures.push(err),
      onProgress: () => undefined,
    });
    pipeline.push({ kind: 'message', payload: Buffer.from('X') });
    expect(() => pipeline.pump()).not.toThrow();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(failures).toEqual([new Error('sync')]);
    expect(pipeline.idle).toBe(true);
  });
});
