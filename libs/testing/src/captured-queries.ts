/** A statement as Prisma's `query` event reports it, its parameters parsed. */
export interface CapturedQuery {
  query: string;
  params: unknown[];
}

/** Prisma's client option that makes it report every statement it sends (see `captureQueries`). */
export const LOG_QUERIES = [{ emit: 'event', level: 'query' }] as const;

/**
 * Collects every statement a Prisma client made with `log: LOG_QUERIES` sends into `into`: for tests
 * that EXPLAIN what the repositories actually send. Typed loosely so that this library does not load
 * the generated client.
 */
export function captureQueries(prisma: unknown, into: CapturedQuery[]): void {
  (prisma as { $on(event: 'query', cb: (e: { query: string; params: string }) => void): void }).$on('query', (e) =>
    into.push({ query: e.query, params: JSON.parse(e.params) as unknown[] }),
  );
}
