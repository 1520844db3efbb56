import pg from 'pg';
import { AppError, accessWindowStart, computeAccessBudget, type AccessBudget, type AccessWindow } from '@ais/domain';
import type { AccessGrant, AccessGuard, AccessRequest } from '@ais/connectors';
import { poolOf, type PrismaClient } from '@ais/db';

const DAY_MS = 86_400_000;

/**
 * The unattended-access budget on the `access_ledger` table: an advisory lock on the scope serialises
 * concurrent reservations, then count and insert. PSU-present calls are recorded (for operators) and
 * never limited.
 *
 * Every bank call goes through here, so the usual case is one round trip on Prisma's pool: a
 * multi-statement query (one implicit transaction) that takes the scope's lock only if it is free,
 * then, in a statement whose snapshot follows the lock, counts the window and inserts when the count
 * allows. Only when another reservation of the same scope holds the lock (two runs of one consent at
 * once, rare) does it fall back to waiting for the lock in an interactive transaction, reading the
 * clock under the lock so that the reservations granted meanwhile are counted.
 */
export class PostgresAccessGuard implements AccessGuard {
  private readonly pool: pg.Pool;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.pool = poolOf(prisma);
  }

  async reserve(r: AccessRequest): Promise<AccessGrant> {
    if (r.psuPresent) {
      await this.pool.query(
        'INSERT INTO access_ledger (consent_id, scope, resource, psu_present, at) VALUES ($1, $2, $3, true, $4)',
        [r.consentId, r.scope, r.resource, this.now()],
      );
      return { used: 0, remaining: r.limit };
    }
    return (await this.reserveIfFree(r)) ?? this.reserveWaiting(r);
  }

  /** One round trip when nobody holds the scope's lock; undefined when somebody does. */
  private async reserveIfFree(r: AccessRequest): Promise<AccessGrant | undefined> {
    const now = this.now();
    const { from, fromInclusive, until } = countedBetween(r.window, now);
    const lit = pg.escapeLiteral;
    const at = (d: Date) => `${lit(d.toISOString())}::timestamptz`;
    const scope = `consent_id = ${lit(r.consentId)} AND scope = ${lit(r.scope)} AND resource = ${lit(r.resource)}`;
    // Literals, not parameters: a query of several statements goes by the simple protocol, which has none.
    const results = (await this.pool.query(`
      SELECT set_config('ais.access_guard_locked',
        pg_try_advisory_xact_lock(hashtextextended(${lit(`${r.consentId}|${r.scope}|${r.resource}`)}, 0))::text, true);
      WITH counted AS (
        SELECT at FROM access_ledger
         WHERE ${scope} AND NOT psu_present
           AND at ${fromInclusive ? '>=' : '>'} ${at(from)}${until ? ` AND at < ${at(until)}` : ''}
      ), granted AS (
        INSERT INTO access_ledger (consent_id, scope, resource, psu_present, at)
        SELECT ${lit(r.consentId)}, ${lit(r.scope)}, ${lit(r.resource)}, false, ${at(now)}
         WHERE current_setting('ais.access_guard_locked') = 'true'
           AND (SELECT count(*) FROM counted) < ${Math.trunc(r.limit)}
        RETURNING 1
      )
      SELECT current_setting('ais.access_guard_locked') = 'true' AS locked,
             (SELECT count(*) FROM granted)::int AS granted,
             coalesce((SELECT json_agg((extract(epoch FROM at) * 1000)::bigint) FROM counted), '[]') AS counted`)) as unknown as pg.QueryResult[];
    const row = results[results.length - 1].rows[0] as { locked: boolean; granted: number; counted: number[] };
    if (!row.locked) return undefined;
    const budget = this.budget(
      r,
      row.counted.map((ms) => new Date(ms)),
      now,
    );
    // The insert was decided on the same count (the budget only adds the error's details).
    if (row.granted === 0) throw exhausted(r, budget);
    return { used: budget.used + 1, remaining: Math.max(0, budget.remaining - 1) };
  }

  /** Waits for the scope's lock (another reservation of it is running), then counts and inserts. */
  private reserveWaiting(r: AccessRequest): Promise<AccessGrant> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${r.consentId}|${r.scope}|${r.resource}`}, 0))`;
        // The clock is read under the lock: a reservation that waited must see (and count) the ones
        // granted meanwhile, whose timestamps are later than the moment it started waiting.
        const now = this.now();
        const since = accessWindowStart(r.window, now);
        const entries = await tx.accessLedgerEntry.findMany({
          where: {
            consentId: r.consentId,
            scope: r.scope,
            resource: r.resource,
            psuPresent: false,
            at: { gte: since },
          },
          select: { at: true },
        });
        const budget = this.budget(
          r,
          entries.map((e) => e.at),
          now,
        );
        if (budget.remaining <= 0) throw exhausted(r, budget);
        await tx.accessLedgerEntry.create({
          data: { consentId: r.consentId, scope: r.scope, resource: r.resource, psuPresent: false, at: now },
        });
        return { used: budget.used + 1, remaining: budget.remaining - 1 };
        // Reservations of one scope queue on the lock: wait for a pooled connection and the lock.
      },
      { maxWait: 10_000, timeout: 10_000 },
    );
  }

  private budget(r: AccessRequest, at: Date[], now: Date): AccessBudget {
    const scope = { consentId: r.consentId, scope: r.scope, resource: r.resource };
    return computeAccessBudget(
      at.map((a) => ({ ...scope, psuPresent: false, at: a })),
      scope,
      r.limit,
      r.window,
      now,
    );
  }
}

/**
 * The calls that count towards the window containing `now`, as `computeAccessBudget` counts them:
 * rolling, after the instant 24 h ago (one exactly 24 h ago has dropped out); calendar day, from the
 * local midnight that started it (inclusive) to the next (exclusive). The bound of the calendar day is
 * one day on from its start, or nearly (a day of a clock change is 23 or 25 hours): the end is the
 * next local midnight, taken from `accessWindowStart` a day later.
 */
function countedBetween(window: AccessWindow, now: Date): { from: Date; fromInclusive: boolean; until?: Date } {
  const from = accessWindowStart(window, now);
  if (window.kind === 'rolling24h') return { from, fromInclusive: false };
  // The next local midnight: the start of the window containing an instant safely inside the next day.
  const until = accessWindowStart(window, new Date(from.getTime() + DAY_MS + 3 * 3_600_000));
  return { from, fromInclusive: true, until };
}

function exhausted(r: AccessRequest, budget: AccessBudget): AppError {
  return new AppError('budget_exhausted', 'The unattended access budget of this consent is spent for now.', {
    providerId: r.providerId,
    scope: r.scope,
    resource: r.resource,
    nextAllowedAt: budget.nextAllowedAt?.toISOString() ?? null,
  });
}
