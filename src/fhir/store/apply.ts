import { hash } from 'node:crypto';
import type { FhirResource, Projection, ResourceWrite } from '../projection.ts';
import { chunks, writeStates, type WrittenState } from './apply-writes.ts';
import { isSameJson } from './same-json.ts';
import type { Row, Step } from './engine.ts';

// How projections become versions, written once for both engines as a generator of SQL steps: the
// SQLite driver runs it synchronously inside one transaction (nothing else can touch the one handle
// in between), the MariaDB driver awaits each step on one connection inside one transaction.
// Round trips are few whatever the number of writes: the current rows are read (FOR UPDATE, so
// concurrent appliers of a resource queue up) in one statement per chunk, the writes are worked out
// in memory in order, then written as multi-row statements per table (apply-writes.ts).
//
// Most writes change nothing (an A08 repeating what is stored, a result sent again): each current
// row keeps a hash of its content, and the read brings a row's content only when that hash differs
// from the incoming writes' (or for a patch, which needs it), so an unchanged write costs a compare
// of two hashes, not a read, parse and deep compare of the stored JSON.

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'absent';

/** A projection that can never apply (bad eventTime): retrying cannot help. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
}

type State = WrittenState;

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
  // Without a meta (as the mapping writes them) the resource is its own JSON: no copy to make.
  return hash('sha256', JSON.stringify(resource.meta === undefined ? resource : withoutMeta(resource)), 'base64');
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

  // A target's content is read only where the hash cannot decide: when it is patched, when its writes
  // do not all hash alike, or when the stored row's hash is not theirs (readStates).
  const expected = new Map<string, string | null>();
  for (const { key, write } of writes) {
    const h = write.op === 'patch' ? null : hashOf(write);
    expected.set(key, expected.has(key) && expected.get(key) !== h ? null : h);
  }
  const states = yield* readStates(expected);
  const outcomes = writes.map((w) => applyWrite(states, w.write, w.eventTime, now, w.messageId, hashOf));
  yield* writeStates([...states.values()], now);
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

/**
 * The targets' rows, locked until the transaction ends, then the content of those that need it:
 * stored rows whose hash is not `expected` (null: always). For the others the hash stands for the
 * content (content null, `stored` true).
 */
function* readStates(expected: Map<string, string | null>): Generator<Step, Map<string, State>, Row[]> {
  const states = new Map<string, State>();
  for (const key of expected.keys()) {
    const [type, id] = splitKey(key);
    states.set(key, { type, id, stored: false, version: 0, eventTime: -Infinity, content: null, hash: null, versions: [], messageIds: [], touched: false });
  }
  const stateOf = (row: Row): State | undefined => states.get(keyOf(String(row.resource_type), String(row.id)));
  for (const row of yield* lookup([...states.values()], 'version, event_time, content_hash', true)) {
    const state = stateOf(row);
    if (state === undefined) continue;
    Object.assign(state, { stored: true, version: Number(row.version), eventTime: Number(row.event_time), hash: row.content_hash === null ? null : String(row.content_hash) });
  }
  const unsure = [...expected].flatMap(([key, hash]) => {
    const state = states.get(key);
    return state !== undefined && state.stored && (hash === null || state.hash !== hash) ? [state] : [];
  });
  for (const row of yield* lookup(unsure, 'content', false)) {
    const state = stateOf(row);
    if (state !== undefined) state.content = JSON.parse(String(row.content)) as FhirResource;
  }
  return states;
}

/** Primary-key reads of these resources' rows: one statement per chunk, grouped by type. */
function* lookup(targets: readonly State[], columns: string, lock: boolean): Generator<Step, Row[], Row[]> {
  const found: Row[] = [];
  for (const chunk of chunks(targets, 2)) {
    const idsByType = new Map<string, string[]>();
    for (const { type, id } of chunk) {
      const ids = idsByType.get(type);
      if (ids === undefined) idsByType.set(type, [id]);
      else ids.push(id);
    }
    const groups = [...idsByType].map(([type, ids]) => ({ type, ids }));
    found.push(...(yield { lookup: { table: 'fhir_resource', columns, groups }, lock }));
  }
  return found;
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
  // The common case first, with nothing built: an upsert of what is stored.
  if (exists && write.op === 'upsert' && state.hash === hashOf(write)) return unchanged(state, eventTime, state.hash);
  // A patch's target was read with its content (readStates: no expected hash), or written just now.
  const next = nextContent(write, state.content, type, id);
  if (next === null) return 'absent';
  const nextHash = write.op === 'upsert' ? hashOf(write) : contentHashOf(next);
  // Without its content, a stored row is compared by hash alone (it was read as hashing as expected).
  if (exists && (state.hash === nextHash || (state.content !== null && isSameJson(withoutMeta(state.content), next)))) return unchanged(state, eventTime, nextHash);
  const created = !exists;
  state.version += 1;
  state.eventTime = eventTime;
  state.content = stamp(next, state.version, now);
  state.hash = nextHash;
  state.versions.push(state.content);
  state.messageIds.push(messageId);
  return created ? 'created' : 'updated';
}

/** A write that changes nothing: no version, but a newer event time (or a missing hash) is recorded. */
function unchanged(state: State, eventTime: number, hash: string): WriteOutcome {
  if (eventTime > state.eventTime || state.hash !== hash) {
    // Moved forward, or the stored row's hash is missing (written before it was kept) or was of
    // another key order: recorded, so the next such write is decided by its hash alone.
    state.eventTime = Math.max(state.eventTime, eventTime);
    state.hash = hash;
    state.touched = true;
  }
  return 'unchanged';
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
