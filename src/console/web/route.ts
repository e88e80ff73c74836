import { useEffect, useState } from 'preact/hooks';

// Hash routes carry opaque ids only (a message's number, a FHIR Patient id, itself a hash): never a
// name, an MRN or message text, which would land in history and screenshots.

export type Route =
  | { page: 'overview' }
  | { page: 'messages' }
  | { page: 'message'; id: string }
  | { page: 'processing' }
  | { page: 'patients' }
  | { page: 'patient'; id: string }
  | { page: 'not-found' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/' || path === '/overview') return { page: 'overview' };
  if (path === '/messages') return { page: 'messages' };
  if (path === '/processing') return { page: 'processing' };
  if (path === '/patients') return { page: 'patients' };
  const message = /^\/messages\/(\d{1,16})$/.exec(path);
  if (message?.[1] !== undefined) return { page: 'message', id: message[1] };
  const patient = /^\/patients\/([A-Za-z0-9\-.]{1,64})$/.exec(path);
  if (patient?.[1] !== undefined) return { page: 'patient', id: patient[1] };
  return { page: 'not-found' };
}

export const href = {
  overview: '#/overview',
  messages: '#/messages',
  message: (id: number | string) => `#/messages/${id}`,
  processing: '#/processing',
  patients: '#/patients',
  patient: (id: string) => `#/patients/${encodeURIComponent(id)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
