import { useEffect, useState } from 'preact/hooks';
import type { AllergyIntolerance, Appointment, Bundle, Condition, DiagnosticReport, Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import type { PatientTimeline } from '../api.ts';
import { get } from './api.ts';
import { codeText, identifierText, nameText, patientName, periodText, quantityText, rangeText, replacedBy } from './fhir-text.ts';
import { href } from './route.ts';
import { AckBadge, ErrorNote, Facts, MessageTimeTypeCells, PageHeading, StateBadge, errorText, formatTime } from './widgets.tsx';

// The Patient 360 card: everything GET /fhir/Patient/:id/$everything returns (following `next`
// links up to a bound), grouped for reading, and the timeline of the events that built it.

const maxPages = 20;

type Everything = { resources: Resource[]; truncated: boolean };

async function fetchEverything(id: string, signal: AbortSignal): Promise<Everything> {
  const resources: Resource[] = [];
  let path: string | null = `/fhir/Patient/${encodeURIComponent(id)}/$everything`;
  for (let page = 0; path !== null && page < maxPages; page += 1) {
    const bundle: Bundle = await get<Bundle>(path, signal);
    for (const entry of bundle.entry ?? []) if (entry.resource !== undefined) resources.push(entry.resource);
    const next = bundle.link?.find((l) => l.relation === 'next')?.url;
    path = next === undefined ? null : sameOriginPath(next);
  }
  return { resources, truncated: path !== null };
}

/** The path and query of a `next` link (the server may write its own base URL). */
function sameOriginPath(url: string): string {
  const parsed = new URL(url, location.href);
  return `${parsed.pathname}${parsed.search}`;
}

const ofType = <T extends Resource>(resources: Resource[], type: T['resourceType']): T[] => resources.filter((r): r is T => r.resourceType === type);

export function PatientPage({ id }: { id: string }) {
  const [data, setData] = useState<Everything | null>(null);
  const [timeline, setTimeline] = useState<PatientTimeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [timelineError, setTimelineError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetchEverything(id, controller.signal).then(setData, (err: unknown) => {
      if (!controller.signal.aborted) setError(errorText(err));
    });
    get<PatientTimeline>(`/api/console/patients/${encodeURIComponent(id)}/timeline`, controller.signal).then(setTimeline, (err: unknown) => {
      if (!controller.signal.aborted) setTimelineError(errorText(err));
    });
    return () => controller.abort();
  }, [id]);

  const patient = data === null ? undefined : ofType<Patient>(data.resources, 'Patient').find((p) => p.id === id);
  return (
    <>
      <PageHeading title="Patient card">
        <nav class="steps" aria-label="Other patients">
          <a href={href.patients}>Back to the search</a>
        </nav>
      </PageHeading>
      <ErrorNote error={error} />
      {data === null ? error === null ? <p>Loading…</p> : null : <Card data={data} patient={patient} />}
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <ErrorNote error={timelineError} />
        {timeline === null ? timelineError === null ? <p>Loading…</p> : null : <Timeline timeline={timeline} />}
      </section>
    </>
  );
}

function Card({ data, patient }: { data: Everything; patient: Patient | undefined }) {
  const r = data.resources;
  const observations = new Map(ofType<Observation>(r, 'Observation').map((o) => [`Observation/${o.id}`, o]));
  const reports = ofType<DiagnosticReport>(r, 'DiagnosticReport');
  const inReports = new Set(reports.flatMap((d) => (d.result ?? []).map((ref) => ref.reference ?? '')));
  const loose = [...observations.entries()].filter(([ref]) => !inReports.has(ref)).map(([, o]) => o);
  return (
    <>
      {data.truncated ? <p class="note note-warn">This patient has more than {maxPages} pages of resources; the card shows the first {maxPages}.</p> : null}
      {patient === undefined ? <p class="note note-warn">The Patient resource itself is missing from the answer.</p> : <Demographics patient={patient} />}
      <Section title="Encounters" items={ofType<Encounter>(r, 'Encounter')} head={['Class', 'Status', 'Period', 'Location']}>
        {(e) => [e.class?.display ?? e.class?.code ?? '—', e.status, periodText(e.period), (e.location ?? []).map((l) => l.location.display ?? l.location.reference ?? '').join('; ') || '—']}
      </Section>
      <section aria-labelledby="results-heading">
        <h2 id="results-heading">Results</h2>
        {reports.length === 0 && loose.length === 0 ? <p>None.</p> : null}
        {reports.map((report) => (
          <ObservationTable
            key={report.id}
            caption={`${codeText(report.code)} · ${report.status}${report.effectiveDateTime === undefined ? '' : ` · ${formatTime(report.effectiveDateTime)}`}`}
            observations={(report.result ?? []).flatMap((ref) => observations.get(ref.reference ?? '') ?? [])}
          />
        ))}
        {loose.length === 0 ? null : <ObservationTable caption="Observations outside a report" observations={loose} />}
      </section>
      <Section title="Appointments" items={ofType<Appointment>(r, 'Appointment')} head={['Start', 'End', 'Status', 'What']}>
        {(a) => [formatTime(a.start), formatTime(a.end), a.status, a.description ?? (a.serviceType ?? []).map(codeText).join('; ') ?? '—']}
      </Section>
      <Section title="Allergies" items={ofType<AllergyIntolerance>(r, 'AllergyIntolerance')} head={['Allergen', 'Criticality', 'Reactions']}>
        {(a) => [codeText(a.code), a.criticality ?? '—', (a.reaction ?? []).flatMap((x) => (x.manifestation ?? []).map(codeText)).join('; ') || '—']}
      </Section>
      <Section title="Conditions" items={ofType<Condition>(r, 'Condition')} head={['Condition', 'Clinical status', 'Recorded']}>
        {(c) => [codeText(c.code), codeText(c.clinicalStatus), formatTime(c.recordedDate)]}
      </Section>
    </>
  );
}

function Demographics({ patient }: { patient: Patient }) {
  const survivor = replacedBy(patient);
  return (
    <section aria-labelledby="demo-heading">
      <h2 id="demo-heading">{patientName(patient)}</h2>
      {survivor === null ? null : (
        <p class="note note-warn">
          Merged: this record was replaced by <a href={href.patient(survivor)}>another patient record</a>.
        </p>
      )}
      <Facts
        items={[
          ['Birth date', patient.birthDate],
          ['Gender', patient.gender],
          ['Other names', (patient.name ?? []).slice(1).map(nameText).join('; ')],
          ['Address', (patient.address ?? []).map((a) => a.text ?? [...(a.line ?? []), a.city, a.postalCode, a.country].filter((p) => p !== undefined && p !== '').join(', ')).join('; ')],
          ['Telecom', (patient.telecom ?? []).map((t) => `${t.system ?? ''} ${t.value ?? ''}`.trim()).join('; ')],
          ['Active', patient.active === false ? 'no' : 'yes'],
          ['Deceased', patient.deceasedBoolean === true ? 'yes' : patient.deceasedDateTime === undefined ? null : formatTime(patient.deceasedDateTime)],
        ]}
      />
      <h3>Identifiers</h3>
      {(patient.identifier ?? []).length === 0 ? (
        <p>None.</p>
      ) : (
        <ul class="plain">
          {(patient.identifier ?? []).map((i, n) => (
            <li key={n}>{identifierText(i)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ObservationTable({ caption, observations }: { caption: string; observations: Observation[] }) {
  return (
    <table class="list">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Test</th>
          <th scope="col">Value</th>
          <th scope="col">Flags</th>
          <th scope="col">Reference range</th>
          <th scope="col">Status</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {observations.map((o) => (
          <tr key={o.id}>
            <th scope="row">{codeText(o.code)}</th>
            <td>{observationValue(o)}</td>
            <td>{(o.interpretation ?? []).map((i) => i.coding?.[0]?.code ?? codeText(i)).join(' ') || '—'}</td>
            <td>{(o.referenceRange ?? []).map(rangeText).filter((t) => t !== '').join('; ') || '—'}</td>
            <td>{o.status}</td>
            <td>{formatTime(o.effectiveDateTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function observationValue(o: Observation): string {
  if (o.valueQuantity !== undefined) return quantityText(o.valueQuantity);
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueCodeableConcept !== undefined) return codeText(o.valueCodeableConcept);
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'yes' : 'no';
  if (o.valueDateTime !== undefined) return formatTime(o.valueDateTime);
  if (o.valueRange !== undefined) return rangeText(o.valueRange);
  return o.dataAbsentReason === undefined ? '—' : codeText(o.dataAbsentReason);
}

type SectionProps<T> = { title: string; items: T[]; head: string[]; children: (item: T) => Array<string | undefined> };

function Section<T extends Resource>({ title, items, head, children }: SectionProps<T>) {
  const slug = title.toLowerCase();
  return (
    <section aria-labelledby={`${slug}-heading`}>
      <h2 id={`${slug}-heading`}>{title}</h2>
      {items.length === 0 ? (
        <p>None.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              {head.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((item, n) => (
              <tr key={item.id ?? n}>
                {children(item).map((cell, i) =>
                  i === 0 ? (
                    <th scope="row" key={i}>
                      {cell ?? '—'}
                    </th>
                  ) : (
                    <td key={i}>{cell ?? '—'}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Timeline({ timeline }: { timeline: PatientTimeline }) {
  if (timeline.events.length === 0) return <p>No events recorded.</p>;
  return (
    <table class="list">
      <caption class="visually-hidden">Events that built this patient's record, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Event</th>
          <th scope="col">ACK</th>
          <th scope="col">Processing</th>
          <th scope="col">Resources written</th>
        </tr>
      </thead>
      <tbody>
        {timeline.events.map((e) => (
          <tr key={e.messageId}>
            <MessageTimeTypeCells id={e.messageId} receivedAt={e.receivedAt} type={e.type} event={e.event} />
            <td>
              <AckBadge code={e.ackCode} />
            </td>
            <td>
              <StateBadge state={e.processingState} />
            </td>
            <td>{summarise(e.resources.map((x) => x.resourceType))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function summarise(types: string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n === 1 ? t : `${t} ×${n}`)).join(', ') || '—';
}
