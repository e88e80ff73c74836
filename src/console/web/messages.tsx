import { useEffect, useRef, useState } from 'preact/hooks';
import type { MessageItem } from '../../http/routes/messages-view.ts';
import { defaultFilters, fetchPage, listMemory, type Filters, type ListState } from './messages-list.ts';
import { AckBadge, ErrorNote, MessageKeyCells, PageHeading, StateBadge, errorText, formatBytes } from './widgets.tsx';

// The message list: every filter of GET /api/messages, newest or oldest first (the Received column's
// sort button), keyset
// paging through a stack of cursors (no total: counting a big store is what makes other consoles
// slow). `/` jumps to the filters; each row's time is a link, so Tab reaches it and Enter opens it.

type TextFilter = Exclude<keyof Filters, 'status' | 'processingState' | 'transport' | 'limit' | 'from' | 'to' | 'order'>;

const textFilters: Array<[TextFilter, string, string]> = [
  ['type', 'Message type', 'MSH-9.1, e.g. ORU'],
  ['event', 'Trigger event', 'MSH-9.2, e.g. R01'],
  ['sendingApplication', 'Sending application', 'MSH-3, exact'],
  ['sendingFacility', 'Sending facility', 'MSH-4, exact'],
  ['controlId', 'Control id', 'MSH-10, exact'],
  ['patientId', 'Patient id', 'PID-3.1, exact'],
];

export function MessagesPage() {
  const [state, setState] = useState<ListState>(() => listMemory.state ?? { filters: defaultFilters(), cursors: [], page: null });
  const [draft, setDraft] = useState<Filters>(state.filters);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const firstField = useRef<HTMLInputElement>(null);

  async function load(filters: Filters, cursors: string[]): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const page = await fetchPage(filters, cursors[cursors.length - 1]);
      const next = { filters, cursors, page };
      listMemory.state = next;
      setState(next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (state.page === null) void load(state.filters, state.cursors);
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      const typing = target !== null && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
      if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        firstField.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on arrival
  }, []);

  const set = <K extends keyof Filters>(key: K, value: Filters[K]): void => setDraft((d) => ({ ...d, [key]: value }));
  const items = state.page?.items ?? [];
  const pageNumber = state.cursors.length + 1;

  return (
    <>
      <PageHeading title="Messages" />
      <form
        class="filters card"
        role="search"
        aria-label="Message filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(draft, []);
        }}
      >
        <div class="field">
          <label for="f-from">Received from</label>
          <input ref={firstField} id="f-from" type="datetime-local" value={draft.from} onInput={(e) => set('from', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="f-to">Received before</label>
          <input id="f-to" type="datetime-local" value={draft.to} onInput={(e) => set('to', e.currentTarget.value)} />
        </div>
        {textFilters.map(([key, label, hint]) => (
          <div class="field" key={key}>
            <label for={`f-${key}`}>{label}</label>
            <input id={`f-${key}`} type="text" placeholder={hint} autoComplete="off" spellcheck={false} value={draft[key]} onInput={(e) => set(key, e.currentTarget.value)} />
          </div>
        ))}
        <div class="field">
          <label for="f-status">ACK state</label>
          <select id="f-status" value={draft.status} onChange={(e) => set('status', e.currentTarget.value as Filters['status'])}>
            <option value="">any</option>
            <option value="received">accepted</option>
            <option value="rejected">refused</option>
          </select>
        </div>
        <div class="field">
          <label for="f-processingState">Processing state</label>
          <select id="f-processingState" value={draft.processingState} onChange={(e) => set('processingState', e.currentTarget.value as Filters['processingState'])}>
            <option value="">any</option>
            {['received', 'processing', 'processed', 'failed', 'skipped', 'none'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-transport">Transport</label>
          <select id="f-transport" value={draft.transport} onChange={(e) => set('transport', e.currentTarget.value as Filters['transport'])}>
            <option value="">any</option>
            <option value="mllp">MLLP</option>
            <option value="https">HTTPS</option>
          </select>
        </div>
        <div class="field">
          <label for="f-limit">Rows per page</label>
          <select id="f-limit" value={draft.limit} onChange={(e) => set('limit', e.currentTarget.value)}>
            {['25', '50', '100', '200'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Search
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              const fresh = defaultFilters();
              setDraft(fresh);
              void load(fresh, []);
            }}
          >
            Reset to the last hour
          </button>
        </div>
        <p class="hint">
          {state.filters.order === 'newest' ? 'Newest' : 'Oldest'} first (the Received column sorts). Press <kbd>/</kbd> to come back to the filters.
        </p>
      </form>
      <ErrorNote error={error} />
      <p class="live" aria-live="polite">
        {busy ? 'Loading…' : state.page === null ? '' : `Page ${pageNumber}: ${items.length} message${items.length === 1 ? '' : 's'}${state.page.nextCursor === undefined ? '' : ', more on the next page'}.`}
      </p>
      <MessageTable
        items={items}
        order={state.filters.order}
        onSort={() => {
          // A new order starts at page 1 (a cursor pages one order only), with the filters in force.
          const filters: Filters = { ...state.filters, order: state.filters.order === 'newest' ? 'oldest' : 'newest' };
          setDraft({ ...draft, order: filters.order });
          void load(filters, []);
        }}
      />
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={busy || state.cursors.length === 0} onClick={() => void load(state.filters, state.cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {pageNumber}</span>
        <button
          type="button"
          disabled={busy || state.page?.nextCursor === undefined}
          onClick={() => {
            const cursor = state.page?.nextCursor;
            if (cursor !== undefined) void load(state.filters, [...state.cursors, cursor]);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}

function MessageTable({ items, order, onSort }: { items: MessageItem[]; order: Filters['order']; onSort: () => void }) {
  if (items.length === 0) return <p>No messages match these filters.</p>;
  return (
    <table class="list">
      <caption class="visually-hidden">Messages, {order} first</caption>
      <thead>
        <tr>
          <th scope="col" aria-sort={order === 'newest' ? 'descending' : 'ascending'}>
            <button type="button" class="sort" onClick={onSort}>
              Received <span aria-hidden="true">{order === 'newest' ? '▼' : '▲'}</span>
              <span class="visually-hidden">, {order} first: show {order === 'newest' ? 'oldest' : 'newest'} first</span>
            </button>
          </th>
          <th scope="col">Type</th>
          <th scope="col">Control id</th>
          <th scope="col">Sender</th>
          <th scope="col">ACK</th>
          <th scope="col">Processing</th>
          <th scope="col" class="num">
            Size
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((m) => (
          <tr key={m.id}>
            <MessageKeyCells item={m} />
            <td>{[m.sendingApplication, m.sendingFacility].filter((v) => v !== null && v !== '').join(' / ') || '—'}</td>
            <td>
              <AckBadge code={m.ackCode} />
            </td>
            <td>
              <StateBadge state={m.processingState} />
            </td>
            <td class="num">{formatBytes(m.sizeBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
