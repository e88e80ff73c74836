import { hash } from 'node:crypto';
import type { FhirResource, Projection, ResourceWrite } from '../projection.ts';
import { chunks, maxParams, maxUnion, writeStates, type WrittenState } from './apply-writes.ts';
import { isSameJson } from './same-json.ts';
import type { Row, Step } from './engine.ts';

// How projections become versions, written once for both engines as a generator of SQL steps: the
// SQLite driver runs it synchronously inside one transaction (nothing else can touch the one handle
// in between), the MariaDB driver awaits each step on one connection, and begins the transaction
// only at the first step that locks or writes.
//
// Two passes, because most writes change nothing (an A08 repeating what is stored, a result sent
// again):
//   1. a plain read of each target's version, event time and content hash settles every write that
//      is stale, absent or unchanged (its content hashes as the stored one's): no lock, no content;
//   2. only the targets left, if any, are read again with their content, locked (FOR UPDATE, so
//      concurrent appliers of a resource queue up), and all their writes worked out in order on that
//      fresh state, then written as multi-row statements per table (apply-writes.ts).
// A write settled in pass 1 changes nothing, so it is as if it ran at that read; every rule here is
// per resource, so the resources of pass 2 may run later without breaking any.

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'absent';

/** A projection that can never apply (bad eventTime): retrying cannot help. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
}

type State = WrittenState;
/** Pass 1's view of a stored row. */
type Seen = { eventTime: number; hash: string | null };


export function eventTimeOf(projection: Projection): number {
  const eventTime = Date.parse(projection.eventTime);
  if (Number.isNaN(eventTime)) throw new ProjectionError('the projection eventTime is not an instant');
  return eventTime;
}

/**
 * The hash stored beside a resource's content (fhir_resource.content_hash): of its JSON as written,
 * without meta.versionId/lastUpdated. Equal hashes: unchanged. Different hashes with equal JSON but
 * for key order (the mapper always writes one order) fall back to comparing the content.
 */
export function contentHashOf(resource: FhirResource): string {
  return hash('sha256', JSON.stringify(withoutMeta(resource)), 'base64');
}

/** One outcome list per projection, each with one outcome per write, in order. */
export function* applySteps(projections: readonly Projection[], now: number): Generator<Step, WriteOutcome[][], Row[]> {
  const times = projections.map(eventTimeOf);
  const writes = projections.flatMap((projection, i) =>
    projection.writes.map((write) => ({ write, key: keyOf(...targetOf(write)), eventTime: times[i] ?? 0, messageId: projection.messageId ?? null })),
  );
  const hashes = new Map<ResourceWrite, string>();
  const hashOf = (write: ResourceWrite & { op: 'upsert' }): string => {
    let h = hashes.get(write);
    if (h === undefined) hashes.set(write, (h = contentHashOf(write.resource)));
    return h;
  };

  const seen = yield* readSeen([...new Set(writes.map((w) => w.key))]);
  const outcomes: WriteOutcome[] = [];
  const open = new Set<string>();
  for (const w of writes) {
    const outcome = open.has(w.key) ? null : settle(w.write, seen.get(w.key), w.eventTime, hashOf);
    if (outcome === null) open.add(w.key);
    outcomes.push(outcome ?? 'absent'); // for an open target, a placeholder: pass 2 decides
  }
  if (open.size > 0) {
    // A target whose every write hashes as pass 1 saw it stored (only its time moves) is read without
    // its content, unless its hash has moved since; any other is read with it.
    const expected = new Map([...open].map((key): [string, string | null] => [key, seen.get(key)?.hash ?? null]));
    for (const { key, write } of writes) {
      if (expected.get(key) !== undefined && (write.op === 'patch' || hashOf(write) !== expected.get(key))) expected.set(key, null);
    }
    const states = yield* readStates(expected);
    // Every write of an open target again, in order, on the fresh state (those pass 1 settled too).
    writes.forEach((w, i) => {
      if (open.has(w.key)) outcomes[i] = applyWrite(states, w.write, w.eventTime, now, w.messageId, hashOf);
    });
    yield* writeStates([...states.values()], now);
  }
  let at = 0;
  return projections.map((projection) => outcomes.slice(at, (at += projection.writes.length)));
}

const keyOf = (type: string, id: string): string => `${type}/${id}`;
const targetOf = (write: ResourceWrite): [string, string] =>
  write.op === 'upsert' ? [write.resource.resourceType, write.resource.id] : [write.resourceType, write.id];
const splitKey = (key: string): [string, string] => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
};

/** The outcome of a write that changes nothing, from pass 1's view; null: pass 2 must decide. */
function settle(write: ResourceWrite, seen: Seen | undefined, eventTime: number, hashOf: (w: ResourceWrite & { op: 'upsert' }) => string): WriteOutcome | null {
  if (seen === undefined) return write.op === 'patch' && !write.create ? 'absent' : null;
  if (eventTime < seen.eventTime) return 'stale';
  if (write.op === 'patch' || eventTime > seen.eventTime || seen.hash === null) return null;
  return hashOf(write) === seen.hash ? 'unchanged' : null;
}

/** Pass 1: event time and hash of the targets that exist, without locking or content. */
function* readSeen(keys: string[]): Generator<Step, Map<string, Seen>, Row[]> {
  const seen = new Map<string, Seen>();
  for (const chunk of chunks(keys, maxParams / maxUnion)) {
    const union = chunk.map(() => 'SELECT resource_type, id, event_time, content_hash FROM fhir_resource WHERE resource_type = ? AND id = ?');
    for (const row of yield { union, params: chunk.flatMap(splitKey) }) {
      seen.set(keyOf(String(row.resource_type), String(row.id)), { eventTime: Number(row.event_time), hash: row.content_hash === null ? null : String(row.content_hash) });
    }
  }
  return seen;
}

/**
 * Pass 2: the targets' rows, locked until the transaction ends, with their content unless it hashes
 * as `expected` says (then the hash stands for it: content null, `stored` true).
 */
function* readStates(expected: Map<string, string | null>): Generator<Step, Map<string, State>, Row[]> {
  const states = new Map<string, State>();
  for (const key of expected.keys()) {
    const [type, id] = splitKey(key);
    states.set(key, { type, id, stored: false, version: 0, eventTime: -Infinity, content: null, hash: null, versions: [], messageIds: [], touched: false });
  }
  const keys = [...expected.keys()];
  for (const chunk of chunks(keys, maxParams / maxUnion)) {
    const union = chunk.map(
      () => 'SELECT resource_type, id, version, event_time, content_hash, CASE WHEN content_hash = ? THEN NULL ELSE content END AS content FROM fhir_resource WHERE resource_type = ? AND id = ?',
    );
    const rows = yield { union, params: chunk.flatMap((key) => [expected.get(key) ?? null, ...splitKey(key)]), lock: true };
    for (const row of rows) {
      const state = states.get(keyOf(String(row.resource_type), String(row.id)));
      if (state === undefined) continue;
      Object.assign(state, {
        stored: true,
        version: Number(row.version),
        eventTime: Number(row.event_time),
        content: row.content === null ? null : (JSON.parse(String(row.content)) as FhirResource),
        hash: row.content_hash === null ? null : String(row.content_hash),
      });
    }
  }
  return states;
}

function applyWrite(
  states: Map<string, State>,
  write: ResourceWrite,
  eventTime: number,
  now: number,
  messageId: number | null,
  hashOf: (w: ResourceWrite & { op: 'upsert' }) => string,
): WriteOutcome {
  const [type, id] = targetOf(write);
  const state = states.get(keyOf(type, id));
  if (state === undefined) throw new Error('unreachable: every target was read');
  const exists = state.stored || state.versions.length > 0;
  // An older event never overwrites what a newer one wrote (the same time applies: a redelivery).
  if (exists && eventTime < state.eventTime) return 'stale';
  // A patch's target was read with its content (readStates: no expected hash), or written just now.
  const next = nextContent(write, state.content, type, id);
  if (next === null) return 'absent';
  const nextHash = write.op === 'upsert' ? hashOf(write) : contentHashOf(next);
  // Without its content, a stored row is compared by hash alone (it was read as hashing as expected).
  if (exists && (state.hash === nextHash || (state.content !== null && isSameJson(withoutMeta(state.content), next)))) {
    if (eventTime > state.eventTime || state.hash !== nextHash) {
      // Moved forward, or the stored row's hash is missing (written before it was kept) or was of
      // another key order: recorded, so the next such write is settled without a lock.
      state.eventTime = Math.max(state.eventTime, eventTime);
      state.hash = nextHash;
      state.touched = true;
    }
    return 'unchanged';
  }
  const created = !exists;
  state.version += 1;
  state.eventTime = eventTime;
  state.content = stamp(next, state.version, now);
  state.hash = nextHash;
  state.versions.push(state.content);
  state.messageIds.push(messageId);
  return created ? 'created' : 'updated';
}

/** The resource the write makes of what is stored; null when a patch may not create it. */
function nextContent(write: ResourceWrite, current: FhirResource | null, type: string, id: string): FhirResource | null {
  if (write.op === 'upsert') return withoutMeta(write.resource);
  if (current === null && !write.create) return null;
  const base: FhirResource = current === null ? { resourceType: type, id } : withoutMeta(current);
  for (const [key, value] of Object.entries(write.set)) {
    if (key === 'resourceType' || key === 'id') continue;
    if (value === null) delete base[key];
    else base[key] = value;
  }
  return base;
}

/** The resource without meta.versionId / meta.lastUpdated (which the store owns); other meta stays. */
function withoutMeta(resource: FhirResource): FhirResource {
  const { meta, ...rest } = resource;
  if (meta === null || typeof meta !== 'object') return { ...rest } as FhirResource;
  const { versionId: _v, lastUpdated: _l, ...kept } = meta as Record<string, unknown>;
  return (Object.keys(kept).length === 0 ? { ...rest } : { ...rest, meta: kept }) as FhirResource;
}

function stamp(resource: FhirResource, version: number, now: number): FhirResource {
  const { resourceType, id, meta, ...rest } = resource;
  const kept = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
  return { resourceType, id, meta: { ...kept, versionId: String(version), lastUpdated: new Date(now).toISOString() }, ...rest };
}
