import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { MAX_TRANSACTION_IDS_PER_EVENT, type ConnectorDataContext, type JobPayloads, type RpcPattern, type RpcRequest, type RpcResponse } from '@ais/contracts';
import {
  ConsentConditionRepository,
  AccessBudgetRepository,
  AccountWriteRepository,
  EventRepository,
  PRISMA,
  SyncConsentRepository,
  SyncRunRepository,
  TransactionWriteRepository,
  canonicalJson,
  lockConsentSync,
  type AccountRow,
  type BalanceRow,
  type PrismaClient,
  type Prisma,
  type ResourceRow,
  type StoredAccount,
  type SyncConsent,
  type SyncRunRecord,
} from '@ais/db';
import { AppError, accountIdentityKey, usablePermissions, type Account, type Balance, type OptionalAccountResource, type Transaction } from '@ais/domain';
import type { RpcClient } from '@ais/rpc';
import { CLOCK, CONNECTOR_RPC, LOGGER, SYNC_WORKER_CONFIG, type Clock, type Logger } from '../tokens.js';
import type { SyncWorkerConfig } from '../sync-worker.config.js';
import { classifySyncError } from './sync-error.js';
import { backfillWindows, nextSyncAt, transactionWindow, type TransactionWindow } from './sync-plan.js';
import { diffTransactions, serialise, serialiseAll, type Serialised } from './transaction-diff.js';

type SyncJob = JobPayloads['sync-consent'];
type ConnectorPattern = Extract<RpcPattern, `connector.${string}`>;
/** A connector-service call for this consent: the provider and the data context are filled in. */
type ConnectorCall = <P extends ConnectorPattern>(pattern: P, extra: Omit<RpcRequest<P>, 'providerId' | 'context'>) => Promise<RpcResponse<P>>;

/** What one account batch stores. */
interface AccountData {
  balances?: Balance[];
  transactions?: Transaction[];
  /** `serialise` of each transaction, when done ahead. */
  serialised?: Serialised[];
  resources: Partial<Record<OptionalAccountResource, ResourceRow[]>>;
  /** Transactions of statements we did not hold yet, by the statement's bank id. */
  statementTransactions?: Map<string, unknown[]>;
}

/** Statement transactions fetched per account and sync, newest statements first (a call each). */
const STATEMENTS_PER_SYNC = 12;

/** What the processor does with the job once the run has been recorded. */
export type SyncOutcome =
  | { kind: 'done'; status: 'succeeded' | 'deferred' | 'skipped'; pauseProviderMs?: number }
  /** The provider's circuit is open: pause its queue for `ms` and put the job back. */
  | { kind: 'pause'; ms: number }
  /** Transient failure with attempts left: run the job again after `delayMs`. */
  | { kind: 'retry'; delayMs: number; reason: string }
  /** The run failed for good (recorded, event written): end the job without retries. */
  | { kind: 'failed'; code: string; detail: string };

interface RunCounts {
  accounts: number;
  added: number;
  modified: number;
  removed: number;
}

const RESOURCE_KIND = {
  beneficiaries: 'beneficiary',
  standingOrders: 'standing_order',
  directDebits: 'direct_debit',
  scheduledPayments: 'scheduled_payment',
  statements: 'statement',
  party: 'party',
} as const satisfies Record<OptionalAccountResource, string>;

/** Days a removed pending row stays eligible to be replaced by a booked one arriving later. */
const PENDING_REPLACEMENT_DAYS = 10;

const sha = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);

/**
 * One sync run of one consent: extract (the connector-service over RPC), transform (diff against
 * what is stored) and load (one database transaction per account, bulk SQL, the change feed and the
 * events in the same transaction). Re-running a run, or a crash anywhere in it, converges on the
 * same state: every account batch re-reads what is stored under the consent's lock and writes only
 * the difference.
 */
@Injectable()
export class SyncService {
  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly runs: SyncRunRepository,
    private readonly consents: SyncConsentRepository,
    private readonly budgets: AccessBudgetRepository,
    private readonly accounts: AccountWriteRepository,
    private readonly transactions: TransactionWriteRepository,
    private readonly events: EventRepository,
    private readonly conditions: ConsentConditionRepository,
  ) {}

  async run(job: SyncJob): Promise<SyncOutcome> {
    const run = await this.runs.start(job, this.clock.now());
    if (!run) return { kind: 'done', status: 'skipped' };
    const consent = await this.consents.load(job.tenantId, job.consentId);
    if (!consent) return this.fail(run, null, { code: 'not_found', detail: 'The consent no longer exists.' });
    if (consent.status !== 'authorised') return this.fail(run, consent, { code: `consent_${consent.status}`, detail: `The consent is ${consent.status}.` }, false);
    try {
      const counts = await this.syncConsent(consent, run, job);
      await this.succeed(consent, run, job, counts);
      return { kind: 'done', status: 'succeeded' };
    } catch (error) {
      return this.handleFailure(error, consent, run);
    }
  }

  private async syncConsent(consent: SyncConsent, run: SyncRunRecord, job: SyncJob): Promise<RunCounts> {
    const now = this.clock.now();
    const caps = consent.capabilities;
    const context: ConnectorDataContext = {
      consentId: consent.id,
      frequencyPerDay: consent.frequencyPerDay,
      ...(job.psuIpAddress ? { psu: { ipAddress: job.psuIpAddress } } : {}),
      ...(consent.authorisedAt ? { authorisedAt: consent.authorisedAt.toISOString() } : {}),
    };
    const stored = await this.accounts.listForConsent(consent.tenantId, consent.id);
    if (!job.psuIpAddress) {
      // A sync the budget cannot carry is not sent: the bank would answer 429 part-way through.
      const budget = await this.budgets.syncBudget(
        { tenantId: consent.tenantId, consentId: consent.id, permissions: consent.permissions, frequencyPerDay: consent.frequencyPerDay, capabilities: caps, accountExternalIds: stored.map((a) => a.externalId) },
        now,
      );
      if (budget.nextAllowedAt) {
        throw new AppError('budget_exhausted', 'The unattended access budget of this consent is spent for now.', { nextAllowedAt: budget.nextAllowedAt.toISOString() });
      }
    }
    const window = transactionWindow({
      now,
      capabilities: caps,
      transactionsFrom: consent.transactionsFrom,
      authorisedAt: consent.authorisedAt,
      lastSyncedAt: consent.lastSyncedAt,
      oldestOpenPending: consent.lastSyncedAt ? await this.consents.oldestOpenPending(consent.tenantId, consent.id) : null,
      overlapDays: this.config.sync.overlapDays,
      pendingLookbackDays: this.config.sync.pendingLookbackDays,
    });
    const usable = usablePermissions(caps, consent.permissions);
    const call: ConnectorCall = (pattern, extra) => this.connector.send(pattern, { providerId: consent.providerId, context, ...extra });

    const { accounts: bankAccounts } = await call('connector.listAccounts', {});
    const accountIds = await this.storeAccounts(consent, bankAccounts, stored);
    const externalIds = bankAccounts.map((a) => a.externalId);
    const bulk = (kind: 'balances' | 'transactions') => caps.bulkEndpoints.includes(kind) && usable.has(kind);
    // An unattended first sync reads its history in chunks, newest first, going on where a previous
    // run stopped (accounts.backfilled_from); otherwise one call reads the whole window.
    const chunked = window.full && !job.psuIpAddress;
    const progress = chunked ? new Map((await this.accounts.listForConsent(consent.tenantId, consent.id)).map((a) => [a.id, a.backfilledFrom])) : new Map<string, string | null>();
    const windowsOf = (ids: string[]) => {
      if (!chunked || !usable.has('transactions')) return [window];
      // With a bulk endpoint the accounts move back together: go on from the one that got least far.
      const dates = ids.map((id) => progress.get(accountIds.get(id)!) ?? null);
      const resumeFrom = dates.includes(null) ? null : dates.reduce((a, b) => (a! > b! ? a : b));
      return backfillWindows(window, resumeFrom, this.config.sync.backfillChunkDays);
    };
    const transactionsOf = async (ids: string[], w: TransactionWindow) =>
      usable.has('transactions') ? new Map((await call('connector.getTransactions', { accountIds: ids, from: w.from, to: w.to, status: 'both' })).accounts.map((a) => [a.accountId, a.transactions])) : undefined;
    const bulkBalances = bulk('balances') ? new Map((await call('connector.getBalances', { accountIds: externalIds })).accounts.map((a) => [a.accountId, a.balances])) : undefined;
    /** An account's balances and optional resources: stored with its first window. */
    const extrasOf = async (id: string): Promise<Pick<AccountData, 'balances' | 'resources'>> => {
      let balances: Balance[] | undefined;
      if (bulkBalances) balances = bulkBalances.get(id) ?? [];
      else if (usable.has('balances')) balances = (await call('connector.getBalances', { accountIds: [id] })).accounts.find((a) => a.accountId === id)?.balances ?? [];
      const resources = await this.fetchResources(usable, id, call);
      // A statement never changes once issued, but each one's transactions cost a call: fetched while
      // the PSU is present (first sync, PSU-present refresh), once, for the newest statements.
      const statementTransactions = context.psu && resources.statements?.length ? await this.fetchStatementTransactions(accountIds.get(id)!, id, resources.statements, call) : undefined;
      return { balances, resources, ...(statementTransactions ? { statementTransactions } : {}) };
    };

    const counts: RunCounts = { accounts: bankAccounts.length, added: 0, modified: 0, removed: 0 };
    const load = async (id: string, w: TransactionWindow, data: AccountData) => {
      const c = await this.loadAccount(consent, run, accountIds.get(id)!, w, data);
      counts.added += c.added;
      counts.modified += c.modified;
      counts.removed += c.removed;
    };
    if (bulk('transactions')) {
      // One call per window for every account (the bank counts it under '*').
      for (const [i, w] of windowsOf(externalIds).entries()) {
        const byAccount = await transactionsOf(externalIds, w);
        // As below: the next account's items are serialised while the current one is stored.
        const serialisedOf = (id: string | undefined) => (byAccount && id !== undefined ? serialiseAll(byAccount.get(id) ?? []) : Promise.resolve(undefined));
        let next = serialisedOf(externalIds[0]);
        for (const [j, id] of externalIds.entries()) {
          const serialised = await next;
          next = serialisedOf(externalIds[j + 1]);
          await load(id, w, { transactions: byAccount?.get(id) ?? [], serialised, ...(i === 0 ? await extrasOf(id) : { resources: {} }) });
        }
      }
      return counts;
    }
    // Account by account, each account's windows in order. The next batch is read and serialised
    // while the current one is stored (the database works on another core meanwhile). An account
    // whose budget runs out does not stop the others: the bank counts per account.
    const batches = externalIds.flatMap((id) => windowsOf([id]).map((w, i) => ({ id, w, first: i === 0 })));
    const prepare = async ({ id, w, first }: (typeof batches)[number]): Promise<AccountData> => {
      const transactions = (await transactionsOf([id], w))?.get(id) ?? (usable.has('transactions') ? [] : undefined);
      return { transactions, serialised: transactions ? await serialiseAll(transactions) : undefined, ...(first ? await extrasOf(id) : { resources: {} }) };
    };
    const exhaustedIds = new Set<string>();
    const exhausted: AppError[] = [];
    const nextFrom = (k: number) => batches.findIndex((b, i) => i >= k && !exhaustedIds.has(b.id));
    let k = nextFrom(0);
    let reading = k >= 0 ? settled(prepare(batches[k])) : undefined;
    while (k >= 0 && reading) {
      const batch = batches[k];
      const read = await reading;
      if (!read.ok) {
        if (!(read.error instanceof AppError && read.error.code === 'budget_exhausted')) throw read.error;
        exhaustedIds.add(batch.id);
        exhausted.push(read.error);
      }
      k = nextFrom(k + 1);
      reading = k >= 0 ? settled(prepare(batches[k])) : undefined;
      if (read.ok) await load(batch.id, batch.w, read.value);
    }
    if (exhausted.length > 0) {
      // What was read is stored; the run is deferred until every exhausted account can go on.
      const at = exhausted.map((e) => (typeof e.extensions.nextAllowedAt === 'string' ? e.extensions.nextAllowedAt : '')).sort().at(-1);
      throw new AppError('budget_exhausted', `The unattended budget of ${exhausted.length} account(s) ran out part-way; ${counts.added} transaction(s) stored so far.`, { nextAllowedAt: at });
    }
    return counts;
  }

  /** The permitted optional resources of one account, keyed by the bank's id (or a content hash). */
  private async fetchResources(usable: Set<string>, accountId: string, call: ConnectorCall): Promise<Partial<Record<OptionalAccountResource, ResourceRow[]>>> {
    const out: Partial<Record<OptionalAccountResource, ResourceRow[]>> = {};
    const rows = (items: Record<string, unknown>[]) => items.map((item) => ({ externalId: typeof item.externalId === 'string' ? item.externalId : `h:${sha(item.raw ?? item)}`, data: item }));
    if (usable.has('beneficiaries')) out.beneficiaries = rows((await call('connector.listBeneficiaries', { accountId })).beneficiaries);
    if (usable.has('standingOrders')) out.standingOrders = rows((await call('connector.listStandingOrders', { accountId })).standingOrders);
    if (usable.has('directDebits')) out.directDebits = rows((await call('connector.listDirectDebits', { accountId })).directDebits);
    if (usable.has('scheduledPayments')) out.scheduledPayments = rows((await call('connector.listScheduledPayments', { accountId })).scheduledPayments);
    if (usable.has('statements')) out.statements = rows((await call('connector.listStatements', { accountId })).statements as unknown as Record<string, unknown>[]);
    if (usable.has('party')) out.party = rows((await call('connector.getParties', { accountId })).parties);
    return out;
  }

  private async fetchStatementTransactions(accountId: string, bankAccountId: string, statements: ResourceRow[], call: ConnectorCall): Promise<Map<string, unknown[]>> {
    const held = await this.accounts.statementsWithTransactions(accountId);
    const missing = statements
      .filter((s) => !held.has(s.externalId) && !s.externalId.startsWith('h:'))
      .sort((a, b) => String((b.data as { endAt?: string }).endAt ?? '').localeCompare(String((a.data as { endAt?: string }).endAt ?? '')))
      .slice(0, STATEMENTS_PER_SYNC);
    const out = new Map<string, unknown[]>();
    for (const s of missing) out.set(s.externalId, (await call('connector.getStatementTransactions', { accountId: bankAccountId, statementId: s.externalId })).transactions);
    return out;
  }

  /** Matches the bank's accounts to stored ones by identity key; writes new and changed ones. */
  private async storeAccounts(consent: SyncConsent, bankAccounts: Account[], stored: StoredAccount[]): Promise<Map<string, string>> {
    const byKey = new Map(stored.map((a) => [a.identityKey, a]));
    const rows = bankAccounts.map((a) => ({ externalId: a.externalId, row: accountRow(a), existing: byKey.get(accountIdentityKey(a)) }));
    const ids = new Map<string, string>();
    const now = this.clock.now();
    // Written when new, changed, or known under another bank id (banks may issue new ids per consent).
    const write = rows.filter((r) => !r.existing || r.existing.contentHash !== r.row.contentHash || r.existing.externalId !== r.row.externalId);
    for (const r of rows) if (r.existing && !write.includes(r)) ids.set(r.externalId, r.existing.id);
    if (write.length > 0) {
      const scope = { tenantId: consent.tenantId, consentId: consent.id, providerId: consent.providerId };
      await this.prisma.$transaction(async (tx) => {
        await lockConsentSync(tx, consent.id);
        // Re-read under the lock: a concurrent run may have inserted the account meanwhile.
        const current = new Map((await this.accounts.listForConsent(consent.tenantId, consent.id, tx)).map((a) => [a.identityKey, a]));
        for (const r of write) ids.set(r.externalId, await this.accounts.upsert(tx, scope, r.row, current.get(r.row.identityKey), now));
      });
    }
    return ids;
  }

  /** One account batch: one transaction, the consent's lock, a diff, and only the writes it needs. */
  private async loadAccount(
    consent: SyncConsent,
    run: SyncRunRecord,
    accountId: string,
    window: TransactionWindow,
    data: AccountData,
  ): Promise<{ added: number; modified: number; removed: number }> {
    const now = this.clock.now();
    // The CPU-heavy part (serialising and hashing every item) before the transaction and its lock.
    const serialised = data.serialised ?? data.transactions?.map(serialise);
    return this.prisma.$transaction(
      async (tx) => {
        await lockConsentSync(tx, consent.id);
        let counts = { added: 0, modified: 0, removed: 0 };
        if (data.transactions) {
          const stored = await this.transactions.loadForDiff(
            tx,
            accountId,
            window,
            new Date(now.getTime() - PENDING_REPLACEMENT_DAYS * 86_400_000),
            data.transactions.map((t) => t.identityKey),
          );
          const diff = diffTransactions(data.transactions, stored, window, serialised);
          counts = diff.counts;
          if (window.full) await this.accounts.markBackfilled(tx, accountId, window.from);
          if (diff.upserts.length + diff.removedIds.length > 0) {
            const changes = await this.transactions.write(tx, { tenantId: consent.tenantId, consentId: consent.id, accountId, upserts: diff.upserts, removedIds: diff.removedIds, now });
            await this.runs.addCounts(tx, run.id, counts);
            await this.appendTransactionEvents(tx, consent, run, accountId, changes);
          }
        }
        if (data.balances) await this.accounts.replaceBalances(tx, { tenantId: consent.tenantId, accountId, balances: data.balances.map(balanceRow), syncRunId: run.id, now });
        for (const [resource, items] of Object.entries(data.resources) as [OptionalAccountResource, ResourceRow[]][]) {
          await this.accounts.replaceResources(tx, { tenantId: consent.tenantId, accountId, kind: RESOURCE_KIND[resource], items, now });
        }
        for (const [statementId, items] of data.statementTransactions ?? []) await this.accounts.storeStatementTransactions(tx, accountId, statementId, items);
        return counts;
      },
      { timeout: this.config.sync.batchTimeoutMs, maxWait: this.config.sync.batchTimeoutMs },
    );
  }

  private async appendTransactionEvents(
    tx: Prisma.TransactionClient,
    consent: SyncConsent,
    run: SyncRunRecord,
    accountId: string,
    changes: { transactionId: string; kind: 'added' | 'modified' | 'removed' }[],
  ): Promise<void> {
    for (const kind of ['added', 'modified', 'removed'] as const) {
      const ids = changes.filter((c) => c.kind === kind).map((c) => c.transactionId);
      if (ids.length === 0) continue;
      const transactionIds = ids.slice(0, MAX_TRANSACTION_IDS_PER_EVENT);
      await this.events.append(tx, consent.tenantId, `transactions.${kind}`, {
        consentId: consent.id,
        accountId,
        syncRunId: run.id,
        count: ids.length,
        transactionIds,
        truncated: ids.length > transactionIds.length,
      });
    }
  }

  private async succeed(consent: SyncConsent, run: SyncRunRecord, job: SyncJob, counts: RunCounts): Promise<void> {
    const now = this.clock.now();
    const startedAt = run.startedAt ?? now;
    const changed = counts.added + counts.modified + counts.removed > 0;
    await this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, consent.id);
      await this.runs.finish(tx, run.id, { status: 'succeeded', accounts: counts.accounts }, now);
      await this.consents.markSynced(tx, consent.tenantId, consent.id, startedAt);
      // A PSU-present refresh does not use the budget, so it leaves the schedule as it is.
      // The next sync counts from this run's end: its last calls, not its first, must age out first.
      if (job.trigger !== 'psu_present' || consent.nextSyncAt === null) await this.consents.scheduleNext(tx, consent.tenantId, consent.id, this.nextScheduled(consent, now));
      // Someone waits for a run they asked for; a scheduled run that found nothing new stays quiet.
      if (changed || job.trigger !== 'scheduled') {
        await this.events.append(tx, consent.tenantId, 'sync.completed', {
          consentId: consent.id,
          syncRunId: run.id,
          trigger: job.trigger,
          accounts: counts.accounts,
          transactionsAdded: counts.added,
          transactionsModified: counts.modified,
          transactionsRemoved: counts.removed,
        });
      }
    });
  }

  private nextScheduled(consent: SyncConsent, after: Date): Date {
    return nextSyncAt({
      window: consent.capabilities.accessWindow,
      frequencyPerDay: consent.frequencyPerDay,
      consentId: consent.id,
      after,
      marginMs: this.config.sync.marginSeconds * 1000,
      jitterRatio: this.config.sync.jitterRatio,
      random: Math.random,
    });
  }

  private async handleFailure(error: unknown, consent: SyncConsent, run: SyncRunRecord): Promise<SyncOutcome> {
    const { failure, code, detail } = classifySyncError(error);
    const log = { consentId: consent.id, syncRunId: run.id, code, attempt: run.attempts };
    switch (failure.kind) {
      case 'defer': {
        const now = this.clock.now();
        const margin = this.config.sync.marginSeconds * 1000;
        const until = failure.until ? new Date(failure.until.getTime() + margin) : this.nextScheduled(consent, now);
        await this.prisma.$transaction(async (tx) => {
          await lockConsentSync(tx, consent.id);
          await this.runs.finish(tx, run.id, { status: 'deferred', error: { code, detail: `${detail} Next attempt at ${until.toISOString()}.` } }, now);
          await this.consents.scheduleNext(tx, consent.tenantId, consent.id, until);
        });
        this.logger.info({ ...log, until }, 'sync deferred');
        const waitMs = failure.until ? failure.until.getTime() - now.getTime() : 0;
        const pause = failure.pauseProvider && waitMs > 0 && waitMs <= this.config.sync.providerPauseMaxSeconds * 1000;
        return { kind: 'done', status: 'deferred', ...(pause ? { pauseProviderMs: waitMs } : {}) };
      }
      case 'consent_ended':
        // The one implementation of a bank-side end of a consent (shared with the consent-service).
        await this.conditions.recordBankCondition(consent.id, code === 'consent_revoked' ? 'consent_revoked' : 'consent_expired', detail, this.clock.now());
        return this.fail(run, consent, { code, detail }, false);
      case 'circuit_open':
        await this.runs.retrying(run.id, { code, detail });
        this.logger.warn(log, 'bank circuit open: pausing the provider queue');
        return { kind: 'pause', ms: this.config.sync.backoffMs };
      case 'retry':
        if (run.attempts < this.config.sync.attempts) {
          const delayMs = this.config.sync.backoffMs * 2 ** (run.attempts - 1);
          await this.runs.retrying(run.id, { code, detail });
          this.logger.warn({ ...log, err: error, delayMs }, 'sync failed; will retry');
          return { kind: 'retry', delayMs, reason: `${code}: ${detail}` };
        }
        return this.fail(run, consent, { code, detail });
      case 'fail':
        return this.fail(run, consent, { code, detail });
    }
  }

  /** Ends the run as failed with sync.failed; `reschedule` keeps the consent's cadence going. */
  private async fail(run: SyncRunRecord, consent: SyncConsent | null, error: { code: string; detail: string }, reschedule = true): Promise<SyncOutcome> {
    const now = this.clock.now();
    await this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, run.consentId);
      await this.runs.finish(tx, run.id, { status: 'failed', error }, now);
      if (consent && reschedule) await this.consents.scheduleNext(tx, consent.tenantId, consent.id, this.nextScheduled(consent, now));
      await this.events.append(tx, run.tenantId, 'sync.failed', { consentId: run.consentId, syncRunId: run.id, trigger: run.trigger, error });
    });
    this.logger.warn({ consentId: run.consentId, syncRunId: run.id, code: error.code }, 'sync failed');
    return { kind: 'failed', ...error };
  }
}

function accountRow(a: Account): AccountRow {
  return {
    identityKey: accountIdentityKey(a),
    externalId: a.externalId,
    type: a.type,
    subtype: a.subtype,
    currency: a.currency,
    name: a.name,
    nickname: a.nickname,
    identifiers: a.identifiers,
    servicer: a.servicer,
    status: a.status,
    openedAt: a.openedAt,
    raw: a.raw,
    contentHash: sha(a),
  };
}

function balanceRow(b: Balance): BalanceRow {
  return { type: b.type, originalType: b.originalType, amount: b.amount.amount, currency: b.amount.currency, creditLines: b.creditLines, referenceDate: b.referenceDate, referenceAt: b.referenceAt };
}

/** A promise that never rejects: read ahead while something else is awaited, without an unhandled rejection. */
function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
