/**
 * Rewrites for documented deviations of OBIE-shaped banks, applied before validation so the
 * standard's schema still guards everything else. Each is small, pure and named after the quirk.
 */
type Json = unknown;

function walk(value: Json, visit: (key: string, v: Json, parent: Record<string, Json>) => Json): Json {
  if (Array.isArray(value)) return value.map((v) => walk(v, visit));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value as Record<string, Json>)) {
      const next = visit(k, walk(v, visit), value as Record<string, Json>);
      if (next !== undefined) out[k] = next;
    }
    return out;
  }
  return value;
}

const COMPACT_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})(\d{2})$/;

/** `2019-06-10T08:38:25.064+0000` → `2019-06-10T08:38:25.064+00:00` (ISO 8601 basic offset). */
export function colonOffsets(body: Json): Json {
  return walk(body, (_k, v) =>
    typeof v === 'string' && COMPACT_OFFSET.test(v) ? v.replace(COMPACT_OFFSET, '$1$2:$3') : v,
  );
}

/** `"Links": null` and other null members → absent. */
export function nullsAsAbsent(body: Json): Json {
  return walk(body, (_k, v) => (v === null ? undefined : v));
}

/** `"ProprietaryBankTransactionCode": {}` and `"DebtorAccount": {}` → absent (Risk stays: it is empty by design). */
export function emptyObjectsAsAbsent(body: Json): Json {
  return walk(body, (k, v) =>
    k !== 'Risk' && v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? undefined : v,
  );
}

/** `"CreditLine": { … }` (one object) → `"CreditLine": [{ … }]`. */
export function creditLineAsArray(body: Json): Json {
  return walk(body, (k, v) => (k === 'CreditLine' && v && typeof v === 'object' && !Array.isArray(v) ? [v] : v));
}

export function compose(...fns: ((b: Json) => Json)[]): (b: Json) => Json {
  return (b) => fns.reduce((acc, fn) => fn(acc), b);
}
