import { createStore } from '../src/store/create-store.ts';
import { createFhirStore, type FhirStore } from '../src/fhir/store/fhir-store.ts';
import { parseSearch } from '../src/fhir/search/params.ts';
import type { FhirResource, Projection } from '../src/fhir/projection.ts';
import { createMariaDbBenchDb } from './bench-db.ts';
import { createHistogram, percentileUs, record } from './histogram.ts';

// FHIR figures (issue 11), on MariaDB: seed FHIR_BENCH_PATIENTS patients (default 1,000,000)
// directly through the store, then time Patient search by family + birthdate, and $everything of
// a patient with 1,000 resources. `npx tsx bench/fhir.ts`. Synthetic data only.
//   FHIR_BENCH_PATIENTS=100000 npx tsx bench/fhir.ts     a quicker run
//   FHIR_BENCH_QUERIES=2000                                queries per measurement (default 1000)

const patients = Number(process.env.FHIR_BENCH_PATIENTS ?? 1_000_000);
const queries = Number(process.env.FHIR_BENCH_QUERIES ?? 1000);
const perProjection = 500;
const appliers = 2;

/** A deterministic pseudo-random sequence, so runs seed the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const syllables = ['an', 'ber', 'car', 'dal', 'en', 'fos', 'gar', 'hol', 'ing', 'jor', 'kal', 'lin', 'mor', 'nel', 'ost', 'par', 'quin', 'ros', 'sten', 'tor', 'ul', 'vin', 'wal', 'xen', 'yor', 'zel'];
/** ~17,000 family names (three syllables), a few hundred given names. */
function familyOf(n: number): string {
  const a = syllables[n % 26] ?? '';
  const b = syllables[Math.floor(n / 26) % 26] ?? '';
  const c = syllables[Math.floor(n / 676) % 26] ?? '';
  return (a + b + c).replace(/^./, (x) => x.toUpperCase());
}

function patientOf(i: number, random: () => number): FhirResource {
  const birth = new Date(Date.UTC(1930, 0, 1) + Math.floor(random() * 90 * 365.25) * 86_400_000).toISOString().slice(0, 10);
  return {
    resourceType: 'Patient',
    id: `bench-p${i}`,
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: `MRN${i}` }],
    name: [{ family: familyOf(Math.floor(random() * 17_576)), given: [familyOf(Math.floor(random() * 400)), 'Q'] }],
    gender: random() < 0.5 ? 'female' : 'male',
    birthDate: birth,
  };
}

async function seed(fhir: FhirStore): Promise<void> {
  const random = rng(42);
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < patients) {
      const from = next;
      next = Math.min(patients, next + perProjection);
      const writes = [];
      for (let i = from; i < next; i++) writes.push({ op: 'upsert' as const, resource: patientOf(i, random) });
      await fhir.apply({ eventTime: '2026-01-01T00:00:00Z', writes });
      if (Math.floor(next / 50_000) !== Math.floor(from / 50_000)) process.stdout.write(`  seeded ${next} patients (${Math.round(next / ((Date.now() - started) / 1000))}/s)\n`);
    }
  };
  await Promise.all(Array.from({ length: appliers }, worker));
  // One patient with 1,000 resources for $everything.
  const observations: Projection['writes'] = Array.from({ length: 999 }, (_, i) => ({
    op: 'upsert',
    resource: {
      resourceType: 'Observation',
      id: `bench-o${i}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      subject: { reference: 'Patient/bench-p0' },
      effectiveDateTime: '2026-01-01T00:00:00Z',
      valueQuantity: { value: i, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
    },
  }));
  await fhir.apply({ eventTime: '2026-01-01T00:00:00Z', writes: observations });
  process.stdout.write(`seeded ${patients} patients + 999 observations in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

async function measure(name: string, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await run(i); // warm-up
  const h = createHistogram();
  for (let i = 0; i < queries; i++) {
    const t0 = process.hrtime.bigint();
    await run(i);
    record(h, Number(process.hrtime.bigint() - t0) / 1000);
  }
  const ms = (p: number): string => (percentileUs(h, p) / 1000).toFixed(2);
  process.stdout.write(`${name}: ${queries} queries, p50 ${ms(50)} ms, p95 ${ms(95)} ms, p99 ${ms(99)} ms\n`);
}

async function main(): Promise<void> {
  const db = await createMariaDbBenchDb();
  process.stdout.write(`${await db.settings()}\n${db.describe}\n`);
  const store = await createStore(db.config);
  try {
    if (store.handle === undefined) throw new Error('no store handle');
    const fhir = createFhirStore(store.handle);
    await seed(fhir);
    const random = rng(42);
    const samples = Array.from({ length: 200 }, () => patientOf(0, random));
    await measure(`Patient?family=&birthdate= over ${patients} patients`, async (i) => {
      const p = samples[i % samples.length];
      const family = (p?.name as { family: string }[])[0]?.family ?? '';
      const parsed = parseSearch('Patient', { family, birthdate: String(p?.birthDate) }, false);
      if (!parsed.ok) throw new Error(parsed.issues.join('; '));
      return fhir.search(parsed.spec);
    });
    await measure('Patient/$everything (1,000 resources, one page of 1,000)', () =>
      fhir.everything({ patientIds: ['bench-p0'], types: null, since: null, count: 1000, offset: 0 }),
    );
  } finally {
    await store.close();
    if (process.env.FHIR_BENCH_KEEP !== '1') await db.drop();
  }
}

await main();
