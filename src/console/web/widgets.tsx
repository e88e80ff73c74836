import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { MessageItem } from '../../http/routes/messages-view.ts';
import { href } from './route.ts';

// Small pieces every page uses: the page heading (one h1, focused on arrival so a screen reader
// announces the new page), badges, an error note, and formatting of times and sizes.

export function PageHeading({ title, children }: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · HL7 console`;
    ref.current?.focus();
  }, [title]);
  return (
    <div class="page-heading">
      <h1 ref={ref} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </div>
  );
}

export function ErrorNote({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p class="note note-error" role="alert">
      {error}
    </p>
  );
}

const ackTone: Record<string, string> = { AA: 'good', CA: 'good', AE: 'warn', CE: 'warn', AR: 'bad', CR: 'bad' };
const stateTone: Record<string, string> = { processed: 'good', received: 'info', processing: 'info', failed: 'bad', skipped: 'warn' };

export function AckBadge({ code }: { code: string | null }) {
  return <span class={`badge badge-${code === null ? 'none' : (ackTone[code] ?? 'none')}`}>{code ?? 'none'}</span>;
}

export function StateBadge({ state }: { state: string | null }) {
  return <span class={`badge badge-${state === null ? 'none' : (stateTone[state] ?? 'none')}`}>{state ?? '—'}</span>;
}

/** Local time with seconds and the date, 24 h (users asked for seconds and one clock). */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A `dl` of facts; a null value shows as a dash. */
export function Facts({ items }: { items: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value === null || value === undefined || value === '' ? '—' : value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A message row's first cells: receipt time (the row's link, the row header), type^event. */
export function MessageTimeTypeCells({ id, receivedAt, type, event }: { id: number; receivedAt: string; type: string | null; event: string | null }) {
  return (
    <>
      <th scope="row">
        <a href={href.message(id)} aria-label={`Message ${id}, received ${formatTime(receivedAt)}`}>
          {formatTime(receivedAt)}
        </a>
      </th>
      <td>{type === null ? '—' : `${type}^${event ?? ''}`}</td>
    </>
  );
}

/** A list row's first cells: receipt time, type^event, control id. */
export function MessageKeyCells({ item }: { item: Pick<MessageItem, 'id' | 'receivedAt' | 'type' | 'event' | 'controlId'> }) {
  return (
    <>
      <MessageTimeTypeCells id={item.id} receivedAt={item.receivedAt} type={item.type} event={item.event} />
      <td class="mono">{item.controlId ?? '—'}</td>
    </>
  );
}
