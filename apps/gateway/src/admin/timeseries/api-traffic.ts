/** One series of the request histogram's `_count`: its labels and the requests it counted since the process began. */
export interface RequestCountSample {
  labels: Partial<Record<string, string | number>>;
  value: number;
}

/** Requests answered in some interval: all of them, and those answered 4xx and 5xx. */
export interface TrafficFigures {
  requests: number;
  clientErrors: number;
  serverErrors: number;
}

/**
 * Whether a route is the API (tenants' /v1, the bank callback, the OpenAPI document, unmatched paths)
 * rather than the operators' own surface (/admin and the dashboard polling it), the Prometheus scrape or
 * the probes, which would otherwise drown it.
 */
export function isApiRoute(route: string): boolean {
  return !(route === '/admin' || route.startsWith('/admin/') || route === '/metrics' || route.startsWith('/health'));
}

/**
 * What the request counters grew by since `previous` (the counts last recorded, by series), and the
 * counts to record now. A series that went down was reset (a new registry): all of it is new.
 */
export function trafficSince(
  previous: ReadonlyMap<string, number>,
  samples: readonly RequestCountSample[],
): { figures: TrafficFigures; counts: Map<string, number> } {
  const figures: TrafficFigures = { requests: 0, clientErrors: 0, serverErrors: 0 };
  const counts = new Map<string, number>();
  for (const sample of samples) {
    const route = String(sample.labels.route ?? 'unmatched');
    if (!isApiRoute(route)) continue;
    const status = Number(sample.labels.status);
    const key = `${String(sample.labels.method ?? '')} ${route} ${status}`;
    counts.set(key, sample.value);
    const before = previous.get(key) ?? 0;
    const grown = sample.value >= before ? sample.value - before : sample.value;
    if (grown <= 0) continue;
    figures.requests += grown;
    if (status >= 500) figures.serverErrors += grown;
    else if (status >= 400) figures.clientErrors += grown;
  }
  return { figures, counts };
}
