import type { ProcessingRoute } from '../config/schema.ts';

// Which route an event takes: the first whose every given key matches (a list matches any of its
// values). Pure: the engine asks, the config decides.

export type RoutedFields = {
  messageType: string | null;
  triggerEvent: string | null;
  version: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
};

export type RouteMatch = { route: ProcessingRoute; index: number } | { route: null; reason: string };

const matches = (allowed: readonly string[] | undefined, value: string | null): boolean =>
  allowed === undefined || (value !== null && allowed.includes(value));

export function isRouteMatch(route: ProcessingRoute, event: RoutedFields): boolean {
  const m = route.match;
  return (
    matches(m.type, event.messageType) &&
    matches(m.event, event.triggerEvent) &&
    matches(m.version, event.version) &&
    matches(m.sendingApplication, event.sendingApplication) &&
    matches(m.sendingFacility, event.sendingFacility)
  );
}

export function matchRoute(routes: readonly ProcessingRoute[], event: RoutedFields): RouteMatch {
  const index = routes.findIndex((route) => isRouteMatch(route, event));
  const route = routes[index];
  if (route !== undefined) return { route, index };
  // Type, event and version only: header codes, never identifiers.
  const what = `${event.messageType ?? '?'}^${event.triggerEvent ?? '?'} (v${event.version ?? '?'})`;
  return { route: null, reason: `no route matches ${what}` };
}
