/**
 * Keyset pagination conditions the planner can serve from a composite (a, b) index in order:
 * a bounded range on `a`, with the tie-break as a filter — `a <= x AND (a < x OR b < y)` — rather than
 * `a < x OR (a = x AND b < y)`, which defeats the index order (bitmap OR + sort).
 */
export function keysetAfter<A extends string, B extends string>(
  a: A,
  aValue: unknown,
  b: B,
  bValue: unknown,
  direction: 'asc' | 'desc',
) {
  const [inclusive, strict] = direction === 'asc' ? (['gte', 'gt'] as const) : (['lte', 'lt'] as const);
  return {
    AND: [{ [a]: { [inclusive]: aValue } }, { OR: [{ [a]: { [strict]: aValue } }, { [b]: { [strict]: bValue } }] }],
  } as Record<string, unknown>;
}
