// A latency histogram in the manner of HdrHistogram: constant memory whatever the message count,
// about 3 % relative precision, mergeable across load-generator processes (plain count arrays).
// Values are whole microseconds. Below 64 µs each value has its own bucket; above, each power of
// two is split into 32 buckets.

const LINEAR = 64;
const SUB_BUCKETS = 32;
const MAX_EXPONENT = 31;
export const HISTOGRAM_SIZE = LINEAR + (MAX_EXPONENT - 6 + 1) * SUB_BUCKETS;

export type Histogram = { counts: number[]; total: number; maxUs: number };

export function createHistogram(): Histogram {
  return { counts: new Array<number>(HISTOGRAM_SIZE).fill(0), total: 0, maxUs: 0 };
}

export function bucketOf(us: number): number {
  const v = Math.max(0, Math.min(Math.floor(us), 2 ** MAX_EXPONENT - 1));
  if (v < LINEAR) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - 5;
  return LINEAR + (msb - 6) * SUB_BUCKETS + ((v >>> shift) - SUB_BUCKETS);
}

/** The largest value that falls in bucket `index`. */
export function bucketUpperUs(index: number): number {
  if (index < LINEAR) return index;
  const exponent = Math.floor((index - LINEAR) / SUB_BUCKETS) + 6;
  const sub = ((index - LINEAR) % SUB_BUCKETS) + SUB_BUCKETS;
  const shift = exponent - 5;
  return (sub + 1) * 2 ** shift - 1;
}

export function record(h: Histogram, us: number): void {
  const index = bucketOf(us);
  h.counts[index] = (h.counts[index] ?? 0) + 1;
  h.total++;
  if (us > h.maxUs) h.maxUs = us;
}

export function merge(into: Histogram, from: Histogram): void {
  from.counts.forEach((count, i) => {
    into.counts[i] = (into.counts[i] ?? 0) + count;
  });
  into.total += from.total;
  into.maxUs = Math.max(into.maxUs, from.maxUs);
}

/** Nearest-rank percentile, reported as the upper bound of its bucket (never optimistic). */
export function percentileUs(h: Histogram, p: number): number {
  if (h.total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * h.total));
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= rank) return Math.min(bucketUpperUs(i), h.maxUs);
  }
  return h.maxUs;
}
