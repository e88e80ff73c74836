import type { FastifyRequest } from 'fastify';
import { csrfHeader } from '../console/headers.ts';

// Cross-site request forgery checks for requests the console's session cookie authorises (a
// browser attaches the cookie by itself; a Bearer key it never does). Two layers: the session's
// CSRF token in a custom header, which a page on another site can neither read nor send without a
// CORS preflight; and Fetch Metadata, which browsers send to say where a request came from.

export const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sec-Fetch-Site says another site (or a sibling subdomain) made the request; `none` is the user's own action. */
export function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/** Why a cookie-authorised request is refused as a possible forgery; null when it is not (safe methods always pass). */
export function csrfRefusal(request: FastifyRequest, isTokenRight: (token: string | undefined) => boolean): string | null {
  if (safeMethods.has(request.method)) return null;
  if (isCrossSite(request)) return 'the console session serves requests from its own pages only (Sec-Fetch-Site is not same-origin)';
  const token = request.headers[csrfHeader];
  if (!isTokenRight(typeof token === 'string' ? token : undefined)) return "the console's CSRF token is missing or wrong: reload the console";
  return null;
}
