import { useEffect, useState } from 'preact/hooks';
import type { MessageResources, MessageTree } from '../api.ts';
import type { MessageDetail } from '../../http/routes/messages-view.ts';
import { ApiError, get, postJson } from './api.ts';
import { MessageTreeView } from './message-tree.tsx';
import { neighbours } from './messages-list.ts';
import { href } from './route.ts';
import { Tabs } from './tabs.tsx';
import { AckBadge, ErrorNote, Facts, PageHeading, StateBadge, errorText, formatBytes, formatTime } from './widgets.tsx';

// One message: header facts, then Tree, Raw, ACK, Processing and FHIR. An operator may reprocess it;
// anyone who may read it may download the exact bytes received.

const tabs = [
  { id: 'tree', label: 'Tree' },
  { id: 'raw', label: 'Raw' },
  { id: 'ack', label: 'ACK' },
  { id: 'processing', label: 'Processing' },
  { id: 'fhir', label: 'FHIR' },
];
const finalStates = new Set(['processed', 'failed', 'skipped']);

export function MessagePage({ id, canOperate }: { id: string; canOperate: boolean }) {
  const [detail, setDetail] = useState<MessageDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState('tree');
  const [outcome, setOutcome] = useState<{ text: string; tone: 'good' | 'bad' } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (): Promise<MessageDetail | null> => {
    try {
      const next = await get<MessageDetail>(`/api/messages/${id}`);
      setDetail(next);
      return next;
    } catch (err) {
      setError(errorText(err));
      return null;
    }
  };

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the page is keyed by id
  }, []);

  async function reprocess(): Promise<void> {
    setBusy(true);
    setOutcome(null);
    try {
      await postJson(`/api/messages/${id}/reprocess`);
      setOutcome({ text: 'Queued: the message will be processed again (202 Accepted). Its state below follows.', tone: 'good' });
      await follow();
    } catch (err) {
      setOutcome({ text: err instanceof ApiError && err.status === 409 ? `Not reprocessed (409): ${err.message}` : errorText(err), tone: 'bad' });
    } finally {
      setBusy(false);
    }
  }

  /** Re-reads the message until processing reaches a final state again (at most ~30 s). */
  async function follow(): Promise<void> {
    for (let i = 0; i < 30; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, i === 0 ? 300 : 1000));
      const next = await load();
      if (next === null || (next.processingState !== null && finalStates.has(next.processingState))) {
        if (next !== null) setOutcome({ text: `Reprocessed: the message is now ${next.processingState}.`, tone: next.processingState === 'processed' ? 'good' : 'bad' });
        return;
      }
    }
  }

  const numericId = Number(id);
  const near = neighbours(numericId);
  return (
    <>
      <PageHeading title={`Message ${id}`}>
        <nav class="steps" aria-label="Other messages">
          <a href={href.messages}>Back to the list</a>
          {near.previous === null ? null : <a href={href.message(near.previous)}>Newer message</a>}
          {near.next === null ? null : <a href={href.message(near.next)}>Older message</a>}
        </nav>
      </PageHeading>
      <ErrorNote error={error} />
      {detail === null ? (
        error === null ? <p>Loading…</p> : null
      ) : (
        <>
          <Facts
            items={[
              ['Received', formatTime(detail.receivedAt)],
              ['Transport', `${detail.transport.toUpperCase()}${detail.remoteAddress === null ? '' : ` from ${detail.remoteAddress}`}`],
              ['Sender', [detail.sendingApplication, detail.sendingFacility].filter((v) => v !== null && v !== '').join(' / ')],
              ['Type', detail.type === null ? null : `${detail.type}^${detail.event ?? ''} (v${detail.version ?? '?'})`],
              ['Control id', detail.controlId],
              ['ACK code', <AckBadge code={detail.ackCode} />],
              ['Processing state', <StateBadge state={detail.processingState} />],
              ['Attempts', detail.processingAttempts === null ? null : String(detail.processingAttempts)],
              ['Error', detail.processingError ?? detail.error],
              ['Size', formatBytes(detail.sizeBytes)],
            ]}
          />
          <div class="actions">
            {canOperate ? (
              <button type="button" class="primary" disabled={busy || detail.status === 'rejected'} onClick={() => void reprocess()}>
                Reprocess
              </button>
            ) : null}
            <a class="button" href={`/api/messages/${id}/raw`} download={`message-${id}.hl7`}>
              Download raw
            </a>
          </div>
          <div class="live" aria-live="polite">
            {outcome === null ? null : <p class={`note note-${outcome.tone === 'good' ? 'good' : 'error'}`}>{outcome.text}</p>}
          </div>
          <Tabs label="Message views" tabs={tabs} selected={tab} onSelect={setTab}>
            {tab === 'tree' ? <TreePanel id={id} /> : null}
            {tab === 'raw' ? <RawPanel segments={detail.segments} /> : null}
            {tab === 'ack' ? <AckPanel ack={detail.ack} /> : null}
            {tab === 'processing' ? <ProcessingPanel detail={detail} /> : null}
            {tab === 'fhir' ? <FhirPanel id={id} /> : null}
          </Tabs>
        </>
      )}
    </>
  );
}

function useLoad<T>(path: string): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    get<T>(path, controller.signal).then(setData, (err: unknown) => {
      if (!controller.signal.aborted) setError(errorText(err));
    });
    return () => controller.abort();
  }, [path]);
  return { data, error };
}

function TreePanel({ id }: { id: string }) {
  const { data, error } = useLoad<MessageTree>(`/api/messages/${id}/tree`);
  if (error !== null) return <ErrorNote error={error} />;
  if (data === null) return <p>Loading the tree…</p>;
  return (
    <>
      <h2 class="visually-hidden">Segments and fields</h2>
      <MessageTreeView tree={data} />
    </>
  );
}

function RawPanel({ segments }: { segments: string[] }) {
  const [whitespace, setWhitespace] = useState(false);
  const shown = whitespace ? segments.map((s) => `${s.replace(/ /g, '·').replace(/\t/g, '→')}¶`) : segments;
  return (
    <>
      <h2 class="visually-hidden">Raw text</h2>
      <label class="check">
        <input type="checkbox" checked={whitespace} onChange={(e) => setWhitespace(e.currentTarget.checked)} /> Show whitespace (· space, → tab, ¶ segment end)
      </label>
      <pre class="raw" tabIndex={0} aria-label="The message, one segment per line">
        {shown.join('\n')}
      </pre>
    </>
  );
}

function AckPanel({ ack }: { ack: string | null }) {
  return (
    <>
      <h2 class="visually-hidden">The ACK sent</h2>
      {ack === null ? (
        <p>No ACK was sent for this message.</p>
      ) : (
        <pre class="raw" tabIndex={0} aria-label="The ACK sent, one segment per line">
          {ack.split('\r').filter((s) => s !== '').join('\n')}
        </pre>
      )}
    </>
  );
}

function ProcessingPanel({ detail }: { detail: MessageDetail }) {
  return (
    <>
      <h2 class="visually-hidden">Processing</h2>
      <Facts
        items={[
          ['State', <StateBadge state={detail.processingState} />],
          ['Attempts', detail.processingAttempts === null ? null : String(detail.processingAttempts)],
          ['Last error', detail.processingError],
          ['Next attempt', detail.nextAttemptAt === null ? null : formatTime(detail.nextAttemptAt)],
          ['Processed at', detail.processedAt === null ? null : formatTime(detail.processedAt)],
        ]}
      />
      {detail.status === 'rejected' ? <p>This message was refused, so it is never processed.</p> : null}
    </>
  );
}

function FhirPanel({ id }: { id: string }) {
  const { data, error } = useLoad<MessageResources>(`/api/messages/${id}/fhir`);
  if (error !== null) return <ErrorNote error={error} />;
  if (data === null) return <p>Loading the resources…</p>;
  if (data.resources.length === 0) return <p>Processing of this message wrote no FHIR resources.</p>;
  return (
    <table class="list">
      <caption>FHIR resource versions this message wrote</caption>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Version</th>
          <th scope="col">Written</th>
        </tr>
      </thead>
      <tbody>
        {data.resources.map((r) => (
          <tr key={`${r.resourceType}/${r.id}/${r.version}`}>
            <th scope="row">
              {r.resourceType === 'Patient' ? (
                <a href={href.patient(r.id)}>Patient card ({short(r.id)})</a>
              ) : (
                <a href={`/fhir/${r.resourceType}/${r.id}/_history/${r.version}`} target="_blank" rel="noopener">
                  {r.resourceType}/{short(r.id)}
                </a>
              )}
            </th>
            <td>{r.version}</td>
            <td>{formatTime(r.lastUpdated)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const short = (id: string): string => (id.length > 16 ? `${id.slice(0, 12)}…` : id);
