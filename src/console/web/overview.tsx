import { useEffect, useState } from 'preact/hooks';
import type { OverviewView } from '../api.ts';
import { get } from './api.ts';
import { TimeChart, formatNumber, type Line } from './chart.tsx';
import { ErrorNote, PageHeading, errorText, formatSeconds, formatTime } from './widgets.tsx';

// The live overview: GET /api/console/overview every 5 s (in-memory samples, never a database
// read), marked as a background refresh so an overview left open still reaches the idle expiry.
// Tiles show the newest sample; charts the last hour.

const pollMs = 5_000;

export function OverviewPage() {
  const [view, setView] = useState<OverviewView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = async (): Promise<void> => {
      try {
        const next = await get<OverviewView>('/api/console/overview', controller.signal, { background: true });
        if (stopped) return;
        setView(next);
        setError(null);
      } catch (err) {
        if (!stopped) setError(errorText(err));
      }
      if (!stopped) timer = setTimeout(() => void poll(), pollMs);
    };
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, []);

  return (
    <>
      <PageHeading title="Overview" />
      <p class="live" aria-live="polite">
        {view === null ? 'Loading the newest figures…' : `Updated ${formatTime(view.sampledAt)}; refreshes every ${pollMs / 1000} s.`}
      </p>
      <ErrorNote error={error} />
      {view === null ? null : <OverviewBody view={view} />}
    </>
  );
}

const last = (values: number[]): number => values[values.length - 1] ?? 0;

function OverviewBody({ view }: { view: OverviewView }) {
  const s = view.series;
  const failed = view.processing.counts.failed ?? last(s.failed);
  const tiles: Array<[string, string, string]> = [
    ['Messages in per second', formatNumber(last(s.receivedPerSecond)), ''],
    ['Received since start', String(view.totals.received), ''],
    ['Refused since start', String(view.totals.refused), view.totals.refused > 0 ? 'warn' : ''],
    ['Open MLLP connections', String(last(s.openConnections.mllp)), ''],
    ['Processing backlog', String(last(s.backlog)), ''],
    ['Oldest waiting', last(s.oldestWaitingSeconds) === 0 ? 'none' : formatSeconds(last(s.oldestWaitingSeconds)), ''],
    ['Failed events', String(failed), failed > 0 ? 'bad' : ''],
    ['Store', view.store.state, view.store.state === 'up' ? 'good' : 'bad'],
    ['Processing', view.processing.state, view.processing.state === 'up' ? 'good' : view.processing.state === 'disabled' ? '' : 'warn'],
    ['Blocked lanes', String(view.processing.blockedLanes), view.processing.blockedLanes > 0 ? 'warn' : ''],
  ];
  const byType: Line[] = Object.entries(s.byType).map(([label, values]) => ({ label, values }));
  const byAck: Line[] = Object.entries(s.byAck).map(([label, values]) => ({ label, values }));
  return (
    <>
      <section aria-labelledby="now-heading">
        <h2 id="now-heading">Now</h2>
        <dl class="tiles">
          {tiles.map(([term, value, tone]) => (
            <div key={term} class={`tile ${tone === '' ? '' : `tile-${tone}`}`}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        {view.store.detail === null ? null : <p class="note note-warn">Store: {view.store.detail}</p>}
      </section>
      <section aria-labelledby="hour-heading">
        <h2 id="hour-heading">The last hour</h2>
        <div class="charts">
          <TimeChart title="Messages in per second by type" unit="messages per second" t={s.t} lines={byType.length > 0 ? byType : [{ label: 'all', values: s.receivedPerSecond }]} />
          <TimeChart title="Messages per second by ACK code" unit="messages per second" t={s.t} lines={[...byAck, { label: 'refused', values: s.refusedPerSecond }]} />
          <TimeChart
            title="Processing backlog and failures"
            unit="events"
            t={s.t}
            lines={[
              { label: 'backlog', values: s.backlog },
              { label: 'failed', values: s.failed },
            ]}
          />
          <TimeChart
            title="Processing lag"
            unit="seconds and events per second"
            t={s.t}
            lines={[
              { label: 'oldest waiting (s)', values: s.oldestWaitingSeconds },
              { label: 'processed per second', values: s.processedPerSecond },
            ]}
          />
        </div>
      </section>
    </>
  );
}
