import type { SessionView } from '../api.ts';
import { backgroundHeader, csrfHeader } from '../headers.ts';

// The browser's only door to the service. Same-origin fetch with the session cookie; every
// state-changing request carries the session's CSRF token; problem+json and FHIR OperationOutcome
// answers become an ApiError whose message a person can read. A 401 means the session is gone: the
// app shows the sign-in page (except on the sign-in calls themselves, which report it in place).

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Listener = { unauthorized(): void; used(): void };

let csrfToken: string | null = null;
let listener: Listener = { unauthorized: () => undefined, used: () => undefined };

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function listen(next: Listener): void {
  listener = next;
}

export type RequestOptions = {
  json?: unknown;
  form?: URLSearchParams;
  signal?: AbortSignal;
  /** Report a 401 to the caller instead of showing the sign-in page. */
  own401?: boolean;
  /** A timed refresh, not a person's action: the server does not count it as use of the session. */
  background?: boolean;
};

export type Answer<T> = { status: number; body: T };

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json, application/fhir+json, application/problem+json' };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.form.toString();
  }
  // The header names of src/console/api.ts (csrfHeader, backgroundHeader), written out: the page
  // imports that module's types only, never zod.
  if (method !== 'GET' && csrfToken !== null) headers[csrfHeader] = csrfToken;
  if (options.background === true) headers[backgroundHeader] = '1';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store', signal: options.signal ?? null });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('The service did not answer (network error). Check that it is running and try again.', 0);
  }
  const parsed = await readBody(response);
  if (response.status === 401 && options.own401 !== true) listener.unauthorized();
  if (!response.ok) throw new ApiError(describeFailure(response.status, parsed), response.status);
  if (options.background !== true) listener.used();
  return { status: response.status, body: parsed as T };
}

export const get = <T>(path: string, signal?: AbortSignal, options: { background?: boolean } = {}): Promise<T> =>
  request<T>('GET', path, signal === undefined ? options : { ...options, signal }).then((a) => a.body);

export function postJson<T>(path: string, json?: unknown): Promise<Answer<T>> {
  return request<T>('POST', path, json === undefined ? {} : { json });
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The words of a problem+json (detail, else title) or of an OperationOutcome's issues. */
export function describeFailure(status: number, body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    if (record.resourceType === 'OperationOutcome' && Array.isArray(record.issue)) {
      const words = (record.issue as Array<Record<string, unknown>>)
        .map((issue) => textOf(issue.diagnostics) ?? textOf((issue.details as Record<string, unknown> | undefined)?.text) ?? textOf(issue.code))
        .filter((w): w is string => w !== null);
      if (words.length > 0) return words.join('; ');
    }
    const detail = textOf(record.detail) ?? textOf(record.message) ?? textOf(record.title);
    if (detail !== null) return statusWords(status, detail);
  }
  return statusWords(status, null);
}

function statusWords(status: number, detail: string | null): string {
  const lead =
    status === 401
      ? 'Not signed in, or the session has ended'
      : status === 403
        ? 'Not allowed'
        : status === 404
          ? 'Not found'
          : status === 409
            ? 'Not possible now'
            : status === 429
              ? 'Too many attempts; wait a moment'
              : status >= 500
                ? 'The service could not answer'
                : `Refused (HTTP ${status})`;
  return detail === null || detail === lead ? `${lead}.` : `${lead}: ${detail}`;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

// --- the session -----------------------------------------------------------------------------

/** The current session, or null when none (401). */
export async function fetchSession(): Promise<SessionView | null> {
  try {
    return (await request<SessionView>('GET', '/api/console/session', { own401: true })).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** With an API key, or with the client certificate the browser presented (no body). */
export async function signIn(apiKey: string | null): Promise<SessionView> {
  const options: RequestOptions = { own401: true };
  if (apiKey !== null) options.json = { apiKey };
  return (await request<SessionView>('POST', '/api/console/session', options)).body;
}

export async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/api/console/session', { own401: true });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
}
