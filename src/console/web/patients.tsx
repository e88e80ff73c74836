import { useState } from 'preact/hooks';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { request } from './api.ts';
import { identifierText, patientName, replacedBy } from './fhir-text.ts';
import { href } from './route.ts';
import { ErrorNote, PageHeading, errorText, formatTime } from './widgets.tsx';

// Patient search by name and birth date, POSTed as a form to /fhir/Patient/_search so that no name
// or date ever sits in a URL. The last search stays in memory (only) for the way back from a card.

type Search = { family: string; given: string; birthdate: string };
const blank: Search = { family: '', given: '', birthdate: '' };
const memory: { search: Search; results: Patient[] | null } = { search: blank, results: null };

/** On sign-out: no name or result outlives the session in this page. */
export function forgetPatientSearch(): void {
  memory.search = blank;
  memory.results = null;
}

export function PatientsPage() {
  const [search, setSearch] = useState<Search>(memory.search);
  const [results, setResults] = useState<Patient[] | null>(memory.results);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(): Promise<void> {
    const form = new URLSearchParams();
    if (search.family.trim() !== '') form.set('family', search.family.trim());
    if (search.given.trim() !== '') form.set('given', search.given.trim());
    if (search.birthdate !== '') form.set('birthdate', search.birthdate);
    if ([...form.keys()].length === 0) {
      setError('Enter a family name, a given name or a birth date.');
      return;
    }
    form.set('_count', '50');
    setBusy(true);
    setError(null);
    try {
      const bundle = (await request<Bundle<Patient>>('POST', '/fhir/Patient/_search', { form })).body;
      const patients = (bundle.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'Patient' ? [e.resource] : []));
      memory.search = search;
      memory.results = patients;
      setResults(patients);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const set = (key: keyof Search, value: string): void => setSearch((s) => ({ ...s, [key]: value }));
  return (
    <>
      <PageHeading title="Patients" />
      <form
        class="filters card"
        role="search"
        aria-label="Patient search"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div class="field">
          <label for="p-family">Family name</label>
          <input id="p-family" type="text" autoComplete="off" spellcheck={false} value={search.family} onInput={(e) => set('family', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="p-given">Given name</label>
          <input id="p-given" type="text" autoComplete="off" spellcheck={false} value={search.given} onInput={(e) => set('given', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="p-birthdate">Birth date</label>
          <input id="p-birthdate" type="date" value={search.birthdate} onInput={(e) => set('birthdate', e.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Search patients
          </button>
        </div>
        <p class="hint">Names match from their start, ignoring case and accents.</p>
      </form>
      <ErrorNote error={error} />
      <p class="live" aria-live="polite">
        {busy ? 'Searching…' : results === null ? '' : `${results.length} patient${results.length === 1 ? '' : 's'} found.`}
      </p>
      {results === null || results.length === 0 ? null : <PatientTable patients={results} />}
    </>
  );
}

function PatientTable({ patients }: { patients: Patient[] }) {
  return (
    <table class="list">
      <caption class="visually-hidden">Patients found</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Birth date</th>
          <th scope="col">Gender</th>
          <th scope="col">Identifiers</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {patients.map((p) => {
          const survivor = replacedBy(p);
          return (
            <tr key={p.id}>
              <th scope="row">{p.id === undefined ? patientName(p) : <a href={href.patient(p.id)}>{patientName(p)}</a>}</th>
              <td>{p.birthDate ?? '—'}</td>
              <td>{p.gender ?? '—'}</td>
              <td>{(p.identifier ?? []).map(identifierText).join('; ') || '—'}</td>
              <td>
                {survivor !== null ? (
                  <span class="badge badge-warn">merged</span>
                ) : p.active === false ? (
                  <span class="badge badge-none">inactive</span>
                ) : (
                  <span class="badge badge-good">active</span>
                )}
                {p.meta?.lastUpdated === undefined ? null : <span class="muted"> updated {formatTime(p.meta.lastUpdated)}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
