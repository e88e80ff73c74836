import { useEffect, useState } from 'preact/hooks';
import type { MessageItem, MessagePage } from '../../http/routes/messages-view.ts';
import type { ProcessingView } from '../../http/routes/processing.ts';
import { get, postJson } from './api.ts';
import { href } from './route.ts';
import { ErrorNote, Facts, MessageKeyCells, PageHeading, errorText, formatSeconds } from './widgets.tsx';

// Processing at a glance (GET /api/processing), the failed events with their reasons, and the two
// controls of an operator: retry the selected events (reprocess each) or every failed one.

const states = ['received', 'processing', 'processed', 'failed', 'skipped'] as const;
const failedLimit = 100;

export function ProcessingPage({ canOperate }: { canOperate: boolean }) {
  const [view, setView] = useState<ProcessingView | null>(null);
  const [failed, setFailed] = useState<MessagePage | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh(): Promise<void> {
    try {
      const [nextView, nextFailed] = await Promise.all([
        get<ProcessingView>('/api/processing'),
        get<MessagePage>(`/api/messages?processingState=failed&limit=${failedLimit}`),
      ]);
      setView(nextView);
      setFailed(nextFailed);
      setSelected((s) => new Set([...s].filter((id) => nextFailed.items.some((m) => m.id === id))));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }

  useEffect(() => {
    void refresh();
  }, []);

  async function act(run: () => Promise<string>): Promise<void> {
    setBusy(true);
    setResult(null);
    try {
      setResult(await run());
    } catch (err) {
      setResult(errorText(err));
    } finally {
      setBusy(false);
      await refresh();
    }
  }

  const retrySelected = (): Promise<string> =>
    Promise.allSettled([...selected].map((id) => postJson(`/api/messages/${id}/reprocess`))).then((outcomes) => {
      const queued = outcomes.filter((o) => o.status === 'fulfilled').length;
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      const why = refused.length === 0 ? '' : ` ${refused.length} not queued: ${errorText(refused[0]?.reason)}`;
      setSelected(new Set());
      return `${queued} event${queued === 1 ? '' : 's'} queued for processing again.${why}`;
    });
  const retryAll = (): Promise<string> =>
    postJson<{ retried: number }>('/api/processing/retry', { processingState: 'failed' }).then(
      (a) => `${a.body.retried} failed event${a.body.retried === 1 ? '' : 's'} queued for processing again.`,
    );

  const items = failed?.items ?? [];
  return (
    <>
      <PageHeading title="Processing" />
      <ErrorNote error={error} />
      {view === null ? (
        <p>Loading…</p>
      ) : (
        <section aria-labelledby="state-heading">
          <h2 id="state-heading">State</h2>
          {view.enabled ? null : <p class="note note-warn">Processing is switched off (processing.enabled: false): events are stored and acknowledged only.</p>}
          <dl class="tiles">
            {states.map((s) => (
              <div key={s} class={`tile ${s === 'failed' && (view.counts[s] ?? 0) > 0 ? 'tile-bad' : ''}`}>
                <dt>{s}</dt>
                <dd>{view.counts[s] ?? 0}</dd>
              </div>
            ))}
          </dl>
          <Facts
            items={[
              ['Ordering', view.ordering],
              ['On failure', view.onFailure === 'block' ? 'block the lane' : 'skip the event'],
              [
                'Oldest waiting',
                view.oldestWaiting === null ? 'nothing waits' : (
                  <>
                    <a href={href.message(view.oldestWaiting.id)}>message {view.oldestWaiting.id}</a>, {formatSeconds(view.oldestWaiting.ageSeconds)}
                    {view.lagging ? ' (lagging)' : ''}
                  </>
                ),
              ],
              ['Blocked lanes', String(view.blocked.count)],
            ]}
          />
          {view.blocked.lanes.length === 0 ? null : (
            <table class="list">
              <caption>Lanes held back by a failed event</caption>
              <thead>
                <tr>
                  <th scope="col">Lane</th>
                  <th scope="col">Failed event</th>
                  <th scope="col" class="num">
                    Waiting behind it
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.blocked.lanes.map((lane) => (
                  <tr key={lane.orderingKey}>
                    <th scope="row" class="mono">
                      {lane.orderingKey.slice(0, 16)}
                    </th>
                    <td>
                      <a href={href.message(lane.failedId)}>message {lane.failedId}</a>
                    </td>
                    <td class="num">{lane.waiting}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <section aria-labelledby="failed-heading">
        <h2 id="failed-heading">Failed events</h2>
        {canOperate ? (
          <div class="actions">
            <button type="button" class="primary" disabled={busy || selected.size === 0} onClick={() => void act(retrySelected)}>
              Retry selected ({selected.size})
            </button>
            <button type="button" disabled={busy || items.length === 0} onClick={() => void act(retryAll)}>
              Retry all failed
            </button>
          </div>
        ) : (
          <p class="hint">Retrying needs the operate role.</p>
        )}
        <div class="live" aria-live="polite">
          {result === null ? null : <p class="note">{result}</p>}
        </div>
        <FailedTable items={items} canOperate={canOperate} selected={selected} onToggle={(id, on) => setSelected((s) => toggled(s, id, on))} />
        {failed?.nextCursor === undefined ? null : <p class="hint">Showing the newest {failedLimit}; filter the message list by processing state "failed" for the rest.</p>}
      </section>
    </>
  );
}

function toggled(set: Set<number>, id: number, on: boolean): Set<number> {
  const next = new Set(set);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

type FailedTableProps = { items: MessageItem[]; canOperate: boolean; selected: Set<number>; onToggle(id: number, on: boolean): void };

function FailedTable({ items, canOperate, selected, onToggle }: FailedTableProps) {
  if (items.length === 0) return <p>No failed events.</p>;
  return (
    <table class="list">
      <caption class="visually-hidden">Failed events, newest first</caption>
      <thead>
        <tr>
          {canOperate ? (
            <th scope="col">
              <span class="visually-hidden">Select</span>
            </th>
          ) : null}
          <th scope="col">Received</th>
          <th scope="col">Type</th>
          <th scope="col">Control id</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {items.map((m) => (
          <tr key={m.id}>
            {canOperate ? (
              <td>
                <input type="checkbox" id={`sel-${m.id}`} aria-label={`Select message ${m.id}`} checked={selected.has(m.id)} onChange={(e) => onToggle(m.id, e.currentTarget.checked)} />
              </td>
            ) : null}
            <MessageKeyCells item={m} />
            <td class="num">{m.processingAttempts ?? 0}</td>
            <td>{m.processingError ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
