// Header names the console's pages and the service share. A file of their own, without zod, so the
// browser bundle imports the values (api.ts holds the schemas and is imported by type only).

/** The header a cookie-authenticated, state-changing request carries. */
export const csrfHeader = 'x-csrf-token';

/** Sent (value `1`) by a page's timed refresh: the request is served but does not renew the session's idle time. */
export const backgroundHeader = 'x-console-background';
