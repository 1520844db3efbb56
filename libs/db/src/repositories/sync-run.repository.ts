import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import { AppError, newId, type AccessLedgerRecord } from '@ais/domain';
import type { EventPayloads, SyncJobData, SyncTrigger } from '@ais/contracts';
import { poolOf, type PrismaClient, type Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import {
  storedAccountOfRow,
  storedAccountsStatement,
  storedStateOfRow,
  storedStatesStatement,
  type StoredAccount,
  type StoredAccountState,
  type StoredStateRow,
} from './account-write.repository.js';
import { unattendedEntriesStatement } from './access-budget.repository.js';
import {
  syncConsentOfRow,
  syncConsentStatement,
  windowAnchorsOfRows,
  windowAnchorsStatement,
  type SyncConsent,
  type SyncConsentRow,
  type WindowAnchors,
} from './sync-consent.repository.js';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'deferred';

export interface SyncRunRecord {
  id: string;
  tenantId: string;
  consentId: string;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  accounts: number;
  transactionsAdded: number;
  transactionsModified: number;
  transactionsRemoved: number;
  errorCode: string | null;
  errorDetail: string | null;
  attempts: number;
  /** Optional resources (permission names) the bank refused during the run; they do not fail it. */
  unavailable: string[];
}

/** A run as it starts, with what it starts from (`SyncRunRepository.begin`). */
export interface RunBegun {
  /** null: the run has finished already (a redelivered job), and must do nothing. */
  run: SyncRunRecord | null;
  consent: SyncConsent | null;
  accounts: StoredAccount[];
  /** The consent's unattended ledger entries of the last 26 hours and any stamped later. */
  ledger: AccessLedgerRecord[];
  anchors: WindowAnchors;
  /**
   * The stored state of each of the consent's accounts, by account id (`AccountWriteRepository
   * .storedState`); empty for a full read (`full`, or an `initial` sync).
   */
  storedStates: Map<string, StoredAccountState>;
}

export interface SyncCounts {
  added: number;
  modified: number;
  removed: number;
}

/** What `RequestSync` decides on, read under the consent's lock (`SyncRunRepository.requestUnderLock`). */
export interface RequestState {
  /** The consent's next_sync_at is still the scheduler's claim (always true without one). */
  claimed: boolean;
  /** The consent's run in flight (queued or running), newest first. */
  inFlightId: string | null;
}

/** A write of `RequestSync`'s transaction, sent with its COMMIT. */
export type RequestWrite =
  /** Closes a run whose job vanished from Redis (a lost enqueue, a flushed Redis) so it cannot block the consent for ever. */
  | { kind: 'closeLost'; runId: string; now: Date }
  /** The `queued` row of a run whose job has just been added. */
  | { kind: 'createQueued'; run: { id: string; tenantId: string; consentId: string; trigger: SyncTrigger }; now: Date };

const lit = pg.escapeLiteral;
const timestamp = (d: Date) => `${lit(d.toISOString())}::timestamptz`;
const int = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

function requestWriteStatement(w: RequestWrite): string {
  if (w.kind === 'closeLost')
    return `UPDATE sync_runs SET status = 'failed', finished_at = ${timestamp(w.now)}, error_code = 'job_lost',
                   error_detail = ${lit('The run’s job was no longer queued; a new run replaced it.')}
             WHERE id = ${lit(w.runId)} AND status IN ('queued', 'running')`;
  const r = w.run;
  return `INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at)
          VALUES (${lit(r.id)}, ${lit(r.tenantId)}, ${lit(r.consentId)}, ${lit(r.trigger)}::"SyncTrigger", 'queued', ${timestamp(w.now)})`;
}

/** A connection of the pool, or an error when none is free within `ms` (one that comes later goes back). */
async function connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const connecting = pool.connect();
  try {
    return await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new AppError('service_unavailable', `No database connection was free within ${ms} ms: try again.`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (late)
      connecting.then(
        (c) => c.release(),
        () => undefined,
      );
  }
}

/** sync_runs as `begin` reads it back (node-postgres: timestamptz as Date, text[] as string[]). */
interface SyncRunRow {
  id: string;
  tenant_id: string;
  consent_id: string;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  accounts: number;
  transactions_added: number;
  transactions_modified: number;
  transactions_removed: number;
  error_code: string | null;
  error_detail: string | null;
  attempts: number;
  unavailable: string[];
}
const RUN_COLUMNS =
  'id, tenant_id, consent_id, trigger, status, queued_at, started_at, finished_at, accounts, transactions_added, ' +
  'transactions_modified, transactions_removed, error_code, error_detail, attempts, unavailable';
const toRunRecord = (r: SyncRunRow): SyncRunRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  consentId: r.consent_id,
  trigger: r.trigger,
  status: r.status,
  queuedAt: r.queued_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  accounts: r.accounts,
  transactionsAdded: r.transactions_added,
  transactionsModified: r.transactions_modified,
  transactionsRemoved: r.transactions_removed,
  errorCode: r.error_code,
  errorDetail: r.error_detail,
  attempts: r.attempts,
  unavailable: r.unavailable,
});

/** Serialises everything that starts or writes a consent's sync (one transaction at a time per consent). */
export async function lockConsentSync(tx: Prisma.TransactionClient, consentId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sync:${consentId}`}, 0))`;
}

/**
 * Sync runs (one row per run: trigger, timings, counts, error). A consent has at most one run in
 * flight (queued or running); starting one is the `RequestSync` use case (libs/sync), which reads and
 * writes runs here under the consent's advisory lock. Tenant-owned reads take the tenant id.
 */
@Injectable()
export class SyncRunRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction under the consent's sync lock (see `lockConsentSync`). */
  async underConsentLock<T>(
    consentId: string,
    work: (tx: Prisma.TransactionClient) => Promise<T>,
    options?: { timeout: number; maxWait: number },
  ): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, consentId);
      return work(tx);
    }, options);
  }

  /**
   * `RequestSync`'s transaction in two round trips on one pooled connection, where an interactive
   * transaction took six (every scheduled sync starts here): the first opens it, takes the consent's
   * lock and reads what `decide` decides on (in a statement of its own, whose snapshot follows the
   * lock); `decide` may call Redis meanwhile; the second writes what it answered and commits. Anything
   * thrown rolls back. As Prisma's transaction options did: no pooled connection within 2 s, or the lock
   * not had within 10 s, fails it, and Postgres ends the session should it idle in the transaction for
   * 10 s (Redis hanging).
   */
  async requestUnderLock<T>(
    target: { tenantId: string; consentId: string; claimedUntil?: Date },
    decide: (state: RequestState) => Promise<{ answer: T; writes?: RequestWrite[] }>,
  ): Promise<T> {
    const client = await connectWithin(poolOf(this.prisma), 2_000);
    // A checked-out client has no error listener: a session ended by the server between two queries
    // (while `decide` waits for Redis) would be an unhandled 'error'. Its next query fails instead.
    const ignore = () => undefined;
    client.on('error', ignore);
    let released = false;
    try {
      const consent = `id = ${lit(target.consentId)} AND tenant_id = ${lit(target.tenantId)}`;
      const claimed = target.claimedUntil
        ? `(SELECT next_sync_at FROM consents WHERE ${consent}) = ${timestamp(target.claimedUntil)}`
        : 'true';
      const results = (await client.query(
        [
          'BEGIN',
          `SET LOCAL lock_timeout = '10s'`,
          `SET LOCAL idle_in_transaction_session_timeout = '10s'`,
          `SELECT pg_advisory_xact_lock(hashtextextended(${lit(`sync:${target.consentId}`)}, 0))`,
          `SELECT ${claimed} AS claimed,
                  (SELECT id FROM sync_runs
                    WHERE tenant_id = ${lit(target.tenantId)} AND consent_id = ${lit(target.consentId)}
                      AND status IN ('queued', 'running')
                    ORDER BY queued_at DESC LIMIT 1) AS in_flight_id`,
        ].join(';\n'),
      )) as unknown as pg.QueryResult<{ claimed: boolean | null; in_flight_id: string | null }>[];
      const row = results[results.length - 1].rows[0];
      const { answer, writes = [] } = await decide({ claimed: row.claimed === true, inFlightId: row.in_flight_id });
      await client.query([...writes.map(requestWriteStatement), 'COMMIT'].join(';\n'));
      return answer;
    } catch (error) {
      // A connection in an unknown state (its session ended, a broken socket) is not given back.
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      client.removeListener('error', ignore);
      client.release(broken);
      released = true;
      throw error;
    } finally {
      if (!released) {
        client.removeListener('error', ignore);
        client.release();
      }
    }
  }

  /**
   * Marks the run running (creating it when the enqueuer wrote no row), or answers a null run when it
   * has already finished: a redelivered job after its run committed, which must do nothing. In the
   * same round trip, everything the run starts from: the consent with its provider's capabilities
   * (as `SyncConsentRepository.load`), its stored accounts (`AccountWriteRepository.listForConsent`),
   * its unattended ledger entries that may count now (the budget's pre-check), its window's anchors
   * (`SyncConsentRepository.windowAnchors`) and, unless the run reads everything again, each
   * account's stored state (`AccountWriteRepository.storedState`). One list of statements under the
   * consent's lock (the reads after the run's row is written, in one snapshot each), where a scheduled
   * run that finds nothing new sent an interactive transaction of five statements, five reads (four
   * through Prisma) and one more read per account.
   */
  async begin(job: SyncJobData, now: Date): Promise<RunBegun> {
    const at = timestamp(now);
    const fullRead = job.full === true || job.trigger === 'initial';
    const results = await this.lockedResults(job.consentId, [
      `INSERT INTO sync_runs AS r (id, tenant_id, consent_id, trigger, status, queued_at, started_at, attempts)
       VALUES (${lit(job.syncRunId)}, ${lit(job.tenantId)}, ${lit(job.consentId)}, ${lit(job.trigger)}::"SyncTrigger", 'running', ${at}, ${at}, 1)
       ON CONFLICT (id) DO UPDATE SET status = 'running', started_at = coalesce(r.started_at, excluded.started_at), attempts = r.attempts + 1
        WHERE r.status IN ('queued', 'running') AND r.tenant_id = excluded.tenant_id
       RETURNING ${RUN_COLUMNS}`,
      syncConsentStatement(job.tenantId, job.consentId),
      storedAccountsStatement(job.tenantId, job.consentId),
      unattendedEntriesStatement(job.consentId, now),
      windowAnchorsStatement(job.tenantId, job.consentId),
      // A full read compares nothing with what is stored before writing (the sync-worker's storedAlready).
      fullRead ? 'SELECT NULL LIMIT 0' : storedStatesStatement(job),
    ]);
    const [run, consent, accounts, ledger, anchors, states] = results.slice(-6).map((r) => r.rows);
    return {
      storedStates: new Map(
        (states as StoredStateRow[]).map((row) => [row.account_id, storedStateOfRow(row)] as const),
      ),
      run: run[0] ? toRunRecord(run[0] as SyncRunRow) : null,
      consent: consent[0] ? syncConsentOfRow(consent[0] as SyncConsentRow) : null,
      accounts: accounts.map((a) => storedAccountOfRow(a as Parameters<typeof storedAccountOfRow>[0])),
      ledger: ledger as AccessLedgerRecord[],
      anchors: windowAnchorsOfRows(anchors as Parameters<typeof windowAnchorsOfRows>[0]),
    };
  }

  /**
   * Ends a run that succeeded, in one round trip under the consent's lock: the run's row, the
   * consent's last sync (`syncedAt`) and, unless `nextSyncAt` is undefined, its next (only while it is
   * authorised), and the `sync.completed` event when one is given (its `unavailable` filled in from
   * the run's row). What `finish`, `SyncConsentRepository.scheduleNext` and `EventRepository.append`
   * do in a transaction, as one statement list for the path every run ends on.
   */
  async finishSucceeded(input: {
    runId: string;
    tenantId: string;
    consentId: string;
    accounts: number;
    now: Date;
    syncedAt: Date;
    nextSyncAt?: Date | null;
    event?: Omit<EventPayloads['sync.completed'], 'unavailable'>;
  }): Promise<void> {
    const now = timestamp(input.now);
    const consent = `id = ${lit(input.consentId)} AND tenant_id = ${lit(input.tenantId)}`;
    const next =
      input.nextSyncAt === undefined
        ? ''
        : `, next_sync_at = CASE WHEN status = 'authorised' THEN ${input.nextSyncAt === null ? 'NULL' : timestamp(input.nextSyncAt)} ELSE next_sync_at END`;
    await this.lockedStatements(input.consentId, [
      `UPDATE sync_runs SET status = 'succeeded', finished_at = ${now}, accounts = ${int(input.accounts)},
              error_code = NULL, error_detail = NULL
        WHERE id = ${lit(input.runId)}`,
      `UPDATE consents SET last_synced_at = ${timestamp(input.syncedAt)}${next}, updated_at = ${timestamp(new Date())} WHERE ${consent}`,
      ...(input.event
        ? [
            `INSERT INTO events (id, tenant_id, type, data)
             SELECT ${lit(newId('event'))}, ${lit(input.tenantId)}, 'sync.completed',
                    jsonb_set(${lit(JSON.stringify({ ...input.event, unavailable: [] }))}::jsonb, '{unavailable}', to_jsonb(r.unavailable))
               FROM sync_runs r WHERE r.id = ${lit(input.runId)}`,
          ]
        : []),
    ]);
  }

  /**
   * Statements run in one implicit transaction after taking the consent's sync lock, in one round
   * trip (the simple protocol: values are literals, escaped here); answers the last statement's rows.
   */
  private async lockedStatements<R extends pg.QueryResultRow>(consentId: string, statements: string[]): Promise<R[]> {
    const results = await this.lockedResults(consentId, statements);
    return results[results.length - 1].rows as R[];
  }

  /** `lockedStatements`, answering every statement's result (the lock's first). */
  private async lockedResults(consentId: string, statements: string[]): Promise<pg.QueryResult[]> {
    return (await poolOf(this.prisma).query(
      [`SELECT pg_advisory_xact_lock(hashtextextended(${lit(`sync:${consentId}`)}, 0))`, ...statements].join(';\n'),
    )) as unknown as pg.QueryResult[];
  }

  /** Adds the counts of one account batch, inside that batch's transaction (exact across crashes). */
  async addCounts(tx: Prisma.TransactionClient, runId: string, counts: SyncCounts): Promise<void> {
    if (counts.added + counts.modified + counts.removed === 0) return;
    await tx.syncRun.update({
      where: { id: runId },
      data: {
        transactionsAdded: { increment: counts.added },
        transactionsModified: { increment: counts.modified },
        transactionsRemoved: { increment: counts.removed },
      },
    });
  }

  /** Lists optional resources the bank refused, inside the account batch's transaction that stored the rest. */
  async addUnavailable(tx: Prisma.TransactionClient, runId: string, resources: readonly string[]): Promise<void> {
    if (resources.length === 0) return;
    await tx.$executeRaw`
      UPDATE sync_runs SET unavailable = ARRAY(SELECT DISTINCT r FROM unnest(coalesce(unavailable, '{}') || ${[...resources]}::text[]) AS r ORDER BY r)
       WHERE id = ${runId}`;
  }

  /** Ends the run (succeeded, failed or deferred) inside the caller's transaction; returns its final row. */
  async finish(
    tx: Prisma.TransactionClient,
    runId: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'deferred';
      accounts?: number;
      error?: { code: string; detail: string };
    },
    now: Date,
  ): Promise<SyncRunRecord> {
    const row = await tx.syncRun.update({
      where: { id: runId },
      data: {
        status: outcome.status,
        finishedAt: now,
        ...(outcome.accounts !== undefined ? { accounts: outcome.accounts } : {}),
        errorCode: outcome.error?.code ?? null,
        errorDetail: outcome.error?.detail ?? null,
      },
    });
    return row;
  }

  /** A transient failure that will be retried: the run waits again, with the last error visible. */
  async retrying(runId: string, error: { code: string; detail: string }): Promise<void> {
    await this.prisma.syncRun.updateMany({
      where: { id: runId, status: 'running' },
      data: { status: 'queued', errorCode: error.code, errorDetail: error.detail },
    });
  }

  /** Newest first, keyset on (queued_at, id): sync_runs_tenant_id_consent_id_queued_at_id_idx. */
  /** One run of the tenant's, or null. */
  async findForTenant(tenantId: string, id: string): Promise<SyncRunRecord | null> {
    return this.prisma.syncRun.findFirst({ where: { id, tenantId } });
  }

  async listForConsent(
    tenantId: string,
    consentId: string,
    page: { limit: number; before?: { queuedAt: Date; id: string } },
  ): Promise<SyncRunRecord[]> {
    const before = page.before;
    const rows = await this.prisma.syncRun.findMany({
      where: {
        tenantId,
        consentId,
        ...(before
          ? { OR: [{ queuedAt: { lt: before.queuedAt } }, { queuedAt: before.queuedAt, id: { lt: before.id } }] }
          : {}),
      },
      orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
      take: page.limit,
    });
    return rows;
  }
}
