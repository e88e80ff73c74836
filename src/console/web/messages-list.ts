import type { MessagePage } from '../../http/routes/messages-view.ts';
import { get } from './api.ts';

// The message list's filters and paging, kept in memory (never the URL or web storage: a patient id
// or a control id is a search term worth protecting) so that leaving a message returns to the same
// page, and the message view can step to the previous or next row of the results.

export type Filters = {
  from: string;
  to: string;
  type: string;
  event: string;
  status: '' | 'received' | 'rejected';
  processingState: '' | 'received' | 'processing' | 'processed' | 'failed' | 'skipped' | 'none';
  sendingApplication: string;
  sendingFacility: string;
  controlId: string;
  patientId: string;
  transport: '' | 'mllp' | 'https';
  limit: string;
  /** By receipt time; the API's keyset paging works in both. */
  order: 'newest' | 'oldest';
};

/** `datetime-local` value for a moment, in local time. */
export function toLocalInput(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function defaultFilters(now = new Date()): Filters {
  return {
    from: toLocalInput(new Date(now.getTime() - 60 * 60 * 1000)),
    to: '',
    type: '',
    event: '',
    status: '',
    processingState: '',
    sendingApplication: '',
    sendingFacility: '',
    controlId: '',
    patientId: '',
    transport: '',
    limit: '50',
    order: 'newest',
  };
}

export type ListState = {
  filters: Filters;
  /** cursors[i] opens page i; page 0 has none. */
  cursors: string[];
  page: MessagePage | null;
};

export const listMemory: { state: ListState | null } = { state: null };

/** On sign-out: the next person at this browser starts afresh. */
export function forgetList(): void {
  listMemory.state = null;
}

/** The query string of GET /api/messages for the filters (datetime-local is local time). */
export function toQuery(filters: Filters, cursor: string | undefined): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters) as Array<[keyof Filters, string]>) {
    const text = value.trim();
    if (text === '') continue;
    if (key === 'from' || key === 'to') {
      const date = new Date(text);
      if (!Number.isNaN(date.getTime())) query.set(key, date.toISOString());
    } else {
      query.set(key, text);
    }
  }
  if (cursor !== undefined) query.set('cursor', cursor);
  return query;
}

export function fetchPage(filters: Filters, cursor: string | undefined, signal?: AbortSignal): Promise<MessagePage> {
  return get<MessagePage>(`/api/messages?${toQuery(filters, cursor).toString()}`, signal);
}

/** The neighbours of a message in the last list shown, if it was there. */
export function neighbours(id: number): { previous: number | null; next: number | null } {
  const items = listMemory.state?.page?.items ?? [];
  const index = items.findIndex((item) => item.id === id);
  if (index < 0) return { previous: null, next: null };
  return { previous: items[index - 1]?.id ?? null, next: items[index + 1]?.id ?? null };
}
