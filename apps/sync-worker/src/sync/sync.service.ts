import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type ConnectorDataContext,
  type JobPayloads,
  type RpcPattern,
  type RpcRequest,
  type RpcResponse,
} from '@ais/contracts';
import {
  AccountWriteRepository,
  EventRepository,
  SyncConsentRepository,
  SyncRunRepository,
  TransactionWriteRepository,
  balanceChanges,
  canonicalJson,
  changesUnavailable,
  resourceChanges,
  type AccountRow,
  type BalanceRow,
  type ResourceRow,
  type RunBegun,
  type StoredAccount,
  type StoredAccountState,
  type SyncConsent,
  type SyncRunRecord,
  type WindowAnchors,
} from '@ais/db';
import {
  AppError,
  accountIdentityKey,
  usablePermissions,
  type AccessLedgerRecord,
  type Account,
  type Balance,
  type OptionalAccountResource,
  type Permission,
  type Transaction,
} from '@ais/domain';
import type { RpcClient } from '@ais/rpc';
import { CheckSyncBudget, RecordBankCondition } from '@ais/sync';
import { CLOCK, CONNECTOR_RPC, LOGGER, SYNC_WORKER_CONFIG, type Clock, type Logger } from '../tokens.js';
import type { SyncWorkerConfig } from '../sync-worker.config.js';
import { classifySyncError, isResourceRefusal } from './sync-error.js';
import { backfillWindows, nextSyncAt, transactionWindow, type TransactionWindow } from './sync-plan.js';
import { unchangedSince } from './transaction-fingerprint.js';
import {
  loadTransactions,
  prepareTransactions,
  readDigestedWindow,
  type ItemDigests,
  type PreparedTransactions,
} from './transaction-load.js';

type SyncJob = JobPayloads['sync-consent'];
type ConnectorPattern = Extract<RpcPattern, `connector.${string}`>;
/** A connector-service call for this consent: the provider and the data context are filled in. */
type ConnectorCall = <P extends ConnectorPattern>(
  pattern: P,
  extra: Omit<RpcRequest<P>, 'providerId' | 'context'>,
) => Promise<RpcResponse<P>>;

/** What one account batch stores. */
interface AccountData {
  balances?: Balance[];
  /** The window's transactions, hashed and digested ahead (undefined: not permitted). */
  transactions?: PreparedTransactions;
  resources: Partial<Record<OptionalAccountResource, ResourceRow[]>>;
  /** The optional resources asked for: what the bank served (stored above) and what it refused. */
  availability?: ResourceAvailability;
  /** Transactions of statements we did not hold yet, by the statement's bank id. */
  statementTransactions?: Map<string, unknown[]>;
}

interface ResourceAvailability {
  served: OptionalAccountResource[];
  refused: OptionalAccountResource[];
}

/**
 * Statements whose transactions are fetched per account and sync, newest first (a call each, more for
 * long statements). With the PSU present the calls are free; unattended, each one spends the bank's
 * budget for the account's statement transactions (counted apart from its transactions), so a
 * scheduled sync fetches one statement and stops at the first budget refusal: the rest follow in later
 * syncs, and until then the API shows those statements' transactions as `pending`.
 */
const STATEMENTS_PER_SYNC = { psuPresent: 12, unattended: 1 } as const;

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

/** What a run decides before its first call to the bank. */
interface RunStart {
  consent: SyncConsent;
  run: SyncRunRecord;
  job: SyncJob;
  now: Date;
  /** The PSU is present (their IP goes to the bank): no budget used, statements' transactions read. */
  psuPresent: boolean;
  /** The consent's accounts as stored before the run. */
  stored: StoredAccount[];
  /**
   * Each stored account's state as the run began (`RunBegun.storedStates`), taken by the account's
   * first batch (see `loadAccount`).
   */
  storedStates: Map<string, StoredAccountState>;
  usable: Set<Permission>;
  call: ConnectorCall;
}

/** ...and once the bank's accounts are known, the transaction window. */
interface RunPlan extends RunStart {
  window: TransactionWindow;
  /** An unattended full read goes through its history in chunks, newest first (see `windowsOf`). */
  chunked: boolean;
}

/** The bank's accounts of the consent, stored, with what their data batches need. */
interface FetchedAccounts {
  /** The bank's account ids, in the bank's order. */
  externalIds: string[];
  /** Our account id of each bank account id. */
  ids: Map<string, string>;
  /** How far back each account's history is stored (accounts.backfilled_from), by our id. */
  backfilledFrom: Map<string, string | null>;
  /** Every account's balances from one bulk call, where the bank has one. */
  bulkBalances?: Map<string, Balance[]>;
}

/** One account's transactions for one window (the unit of the account-by-account path). */
interface AccountBatch {
  id: string;
  window: TransactionWindow;
  /** The account's first window: its balances and optional resources come with it. */
  first: boolean;
}

const RESOURCE_KIND = {
  beneficiaries: 'beneficiary',
  standingOrders: 'standing_order',
  directDebits: 'direct_debit',
  scheduledPayments: 'scheduled_payment',
  statements: 'statement',
  party: 'party',
} as const satisfies Record<OptionalAccountResource, string>;

const sha = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);

/**
 * One sync run of one consent: extract (the connector-service over RPC), transform (diff against
 * what is stored) and load (one database transaction per account, bulk SQL, the change feed and the
 * events in the same transaction). Re-running a run, or a crash anywhere in it, converges on the
 * same state: every account batch checks what is stored under the consent's lock (its fingerprint,
 * else its rows) and writes only the difference.
 */
@Injectable()
export class SyncService {
  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly runs: SyncRunRepository,
    private readonly consents: SyncConsentRepository,
    private readonly accounts: AccountWriteRepository,
    private readonly transactions: TransactionWriteRepository,
    private readonly events: EventRepository,
    private readonly budgets: CheckSyncBudget,
    private readonly recordBankCondition: RecordBankCondition,
  ) {}

  async run(job: SyncJob): Promise<SyncOutcome> {
    const begun = await this.runs.begin(job, this.clock.now());
    const { run, consent } = begun;
    if (!run) return { kind: 'done', status: 'skipped' };
    if (!consent) return this.fail(run, null, { code: 'not_found', detail: 'The consent no longer exists.' });
    if (consent.status !== 'authorised')
      return this.fail(
        run,
        consent,
        { code: `consent_${consent.status}`, detail: `The consent is ${consent.status}.` },
        false,
      );
    try {
      const counts = await this.syncConsent(consent, run, job, begun);
      await this.succeed(consent, run, job, counts);
      return { kind: 'done', status: 'succeeded' };
    } catch (error) {
      return this.handleFailure(error, consent, run);
    }
  }

  /**
   * One run's work as a sequence of steps: plan (budget), fetch and store the accounts, plan the
   * window, then their data batch by batch (all accounts at once where the bank has bulk
   * transactions), each batch stored as it arrives.
   */
  private async syncConsent(
    consent: SyncConsent,
    run: SyncRunRecord,
    job: SyncJob,
    begun: RunBegun,
  ): Promise<RunCounts> {
    const start = this.planRun(consent, run, job, begun);
    const accounts = await this.fetchAccounts(start);
    const plan = this.planWindow(start, accounts, begun.anchors);
    const counts: RunCounts = { accounts: accounts.externalIds.length, added: 0, modified: 0, removed: 0 };
    if (this.bulk(plan, 'transactions')) await this.syncAllAccountsAtOnce(plan, accounts, counts);
    else await this.syncAccountByAccount(plan, accounts, counts);
    return counts;
  }

  /** What the run starts from (read as it began), refusing an unattended run the budget cannot carry. */
  private planRun(consent: SyncConsent, run: SyncRunRecord, job: SyncJob, begun: RunBegun): RunStart {
    const now = this.clock.now();
    const psuPresent = Boolean(job.psuIpAddress);
    const stored = begun.accounts;
    if (!psuPresent) this.requireBudget(consent, stored, begun.ledger, now);
    return {
      consent,
      run,
      job,
      now,
      psuPresent,
      stored,
      storedStates: begun.storedStates,
      usable: usablePermissions(consent.capabilities, consent.permissions),
      call: this.connectorCall(consent, job),
    };
  }

  /** A sync the budget cannot carry is not sent: the bank would answer 429 part-way through. */
  private requireBudget(
    consent: SyncConsent,
    stored: StoredAccount[],
    ledger: readonly AccessLedgerRecord[],
    now: Date,
  ): void {
    this.budgets.requireUnattendedWith(
      {
        tenantId: consent.tenantId,
        consentId: consent.id,
        permissions: consent.permissions,
        frequencyPerDay: consent.frequencyPerDay,
        capabilities: consent.capabilities,
        accountExternalIds: stored.map((a) => a.externalId),
      },
      ledger,
      now,
      'The unattended access budget of this consent is spent for now.',
    );
  }

  /**
   * The run's transaction window (see `transactionWindow`): the full history for a first sync, an
   * `initial` sync or a full refresh, or while an account the bank lists is not stored back that far;
   * otherwise from the provider's look-back before the newest booked date held.
   */
  private planWindow(start: RunStart, accounts: FetchedAccounts, anchors: WindowAnchors): RunPlan {
    const { consent, job } = start;
    const held = consent.lastSyncedAt !== null;
    const window = transactionWindow({
      now: start.now,
      capabilities: consent.capabilities,
      transactionsFrom: consent.transactionsFrom,
      authorisedAt: consent.authorisedAt,
      lastSyncedAt: consent.lastSyncedAt,
      fullRefresh: job.full === true || job.trigger === 'initial',
      backfilledFrom: start.usable.has('transactions')
        ? accounts.externalIds.map((id) => accounts.backfilledFrom.get(accounts.ids.get(id)!) ?? null)
        : [],
      // Read as the run began: a sync writes no transaction before this, and deletes no account.
      ...(held ? anchors : { newestBooked: null, oldestOpenPending: null }),
      pendingLookbackDays: this.config.sync.pendingLookbackDays,
    });
    return { ...start, window, chunked: window.full && !start.psuPresent };
  }

  /** Calls the connector-service for this consent, with the PSU's IP when they are present. */
  private connectorCall(consent: SyncConsent, job: SyncJob): ConnectorCall {
    const context: ConnectorDataContext = {
      consentId: consent.id,
      frequencyPerDay: consent.frequencyPerDay,
      ...(job.psuIpAddress ? { psu: { ipAddress: job.psuIpAddress } } : {}),
      ...(consent.authorisedAt ? { authorisedAt: consent.authorisedAt.toISOString() } : {}),
    };
    return (pattern, extra) => this.connector.send(pattern, { providerId: consent.providerId, context, ...extra });
  }

  /** Whether the bank serves `kind` for every account in one call, and the consent permits it. */
  private bulk(plan: RunStart, kind: 'balances' | 'transactions'): boolean {
    return plan.consent.capabilities.bulkEndpoints.includes(kind) && plan.usable.has(kind);
  }

  /** Lists the bank's accounts and stores them, then reads where each one's backfill stands and the bulk balances. */
  private async fetchAccounts(plan: RunStart): Promise<FetchedAccounts> {
    const { accounts: bankAccounts } = await plan.call('connector.listAccounts', {});
    const { ids, wrote } = await this.storeAccounts(plan.consent, bankAccounts, plan.stored);
    const externalIds = bankAccounts.map((a) => a.externalId);
    // Read again only when accounts were written (a new one, or one a concurrent run wrote meanwhile).
    const accountsNow = wrote
      ? await this.accounts.listForConsent(plan.consent.tenantId, plan.consent.id)
      : plan.stored;
    const backfilledFrom = new Map(accountsNow.map((a) => [a.id, a.backfilledFrom]));
    const bulkBalances = this.bulk(plan, 'balances')
      ? new Map(
          (await plan.call('connector.getBalances', { accountIds: externalIds })).accounts.map((a) => [
            a.accountId,
            a.balances,
          ]),
        )
      : undefined;
    return { externalIds, ids, backfilledFrom, ...(bulkBalances ? { bulkBalances } : {}) };
  }

  /**
   * The transaction windows to read for these accounts: the plan's window, or, for an unattended
   * full read, its chunks from where a previous run stopped (accounts.backfilled_from). With a bulk
   * endpoint the accounts move back together: go on from the one that got least far.
   */
  private windowsOf(plan: RunPlan, accounts: FetchedAccounts, bankIds: string[]): TransactionWindow[] {
    if (!plan.chunked || !plan.usable.has('transactions')) return [plan.window];
    const dates = bankIds.map((id) => accounts.backfilledFrom.get(accounts.ids.get(id)!) ?? null);
    const resumeFrom = dates.includes(null) ? null : dates.reduce((a, b) => (a! > b! ? a : b));
    return backfillWindows(plan.window, resumeFrom, this.config.sync.backfillChunkDays);
  }

  /**
   * The accounts' transactions in one window, by bank account id, with the connector's digest of
   * each (undefined: not permitted).
   */
  private async fetchTransactions(
    plan: RunPlan,
    bankIds: string[],
    window: TransactionWindow,
  ): Promise<{ byAccount: Map<string, Transaction[]>; digests: ItemDigests } | undefined> {
    if (!plan.usable.has('transactions')) return undefined;
    // Page by page (each RPC message holds one bank page), numbered over the whole window.
    const digests: ItemDigests = new WeakMap();
    const byAccount = await readDigestedWindow(
      bankIds,
      (cursor) =>
        plan.call('connector.getTransactionsPage', {
          accountIds: bankIds,
          from: window.from,
          to: window.to,
          status: 'both',
          ...(cursor === undefined ? {} : { cursor }),
        }),
      digests,
    );
    return { byAccount, digests };
  }

  /** An account's balances and optional resources: stored with its first window. */
  private async fetchExtras(
    plan: RunPlan,
    accounts: FetchedAccounts,
    id: string,
  ): Promise<Pick<AccountData, 'balances' | 'resources' | 'availability' | 'statementTransactions'>> {
    let balances: Balance[] | undefined;
    if (accounts.bulkBalances) balances = accounts.bulkBalances.get(id) ?? [];
    else if (plan.usable.has('balances'))
      balances =
        (await plan.call('connector.getBalances', { accountIds: [id] })).accounts.find((a) => a.accountId === id)
          ?.balances ?? [];
    const { resources, availability } = await this.fetchResources(plan, id);
    // A statement never changes once issued, but each one's transactions cost a call: fetched once,
    // newest statements first, as many as STATEMENTS_PER_SYNC allows.
    const statementTransactions = resources.statements?.length
      ? await this.fetchStatementTransactions(plan, accounts.ids.get(id)!, id, resources.statements)
      : undefined;
    return { balances, resources, availability, ...(statementTransactions ? { statementTransactions } : {}) };
  }

  /** Stores one account batch and adds its counts to the run's. */
  private async storeBatch(
    plan: RunPlan,
    accounts: FetchedAccounts,
    counts: RunCounts,
    id: string,
    window: TransactionWindow,
    data: AccountData,
  ): Promise<void> {
    const c = await this.loadAccount(plan, accounts.ids.get(id)!, window, data);
    counts.added += c.added;
    counts.modified += c.modified;
    counts.removed += c.removed;
  }

  /**
   * Bulk transactions: one call per window for every account (the bank counts it under '*'), then
   * each account stored in turn; the next account's items are prepared while the current one is
   * stored.
   */
  private async syncAllAccountsAtOnce(plan: RunPlan, accounts: FetchedAccounts, counts: RunCounts): Promise<void> {
    const { externalIds } = accounts;
    for (const [i, window] of this.windowsOf(plan, accounts, externalIds).entries()) {
      const fetched = await this.fetchTransactions(plan, externalIds, window);
      const prepared = (id: string | undefined) =>
        fetched && id !== undefined
          ? prepareTransactions(fetched.byAccount.get(id) ?? [], i > 0 || this.holdsRows(accounts, id), fetched.digests)
          : Promise.resolve(undefined);
      let next = prepared(externalIds[0]);
      for (const [j, id] of externalIds.entries()) {
        const transactions = await next;
        next = prepared(externalIds[j + 1]);
        await this.storeBatch(plan, accounts, counts, id, window, {
          transactions,
          ...(i === 0 ? await this.fetchExtras(plan, accounts, id) : { resources: {} }),
        });
      }
    }
  }

  /**
   * Account by account, each account's windows in order. The next batch is read and prepared while
   * the current one is stored (the database works on another core meanwhile). An account whose
   * budget runs out does not stop the others (the bank counts per account); what was read is stored,
   * and the run is deferred until every exhausted account can go on.
   */
  private async syncAccountByAccount(plan: RunPlan, accounts: FetchedAccounts, counts: RunCounts): Promise<void> {
    const batches: AccountBatch[] = accounts.externalIds.flatMap((id) =>
      this.windowsOf(plan, accounts, [id]).map((window, i) => ({ id, window, first: i === 0 })),
    );
    const exhaustedIds = new Set<string>();
    const exhausted: AppError[] = [];
    const nextFrom = (k: number) => batches.findIndex((b, i) => i >= k && !exhaustedIds.has(b.id));
    let k = nextFrom(0);
    let reading = k >= 0 ? settled(this.readBatch(plan, accounts, batches[k])) : undefined;
    while (k >= 0 && reading) {
      const batch = batches[k];
      const read = await reading;
      if (!read.ok) {
        if (!(read.error instanceof AppError && read.error.code === 'budget_exhausted')) throw read.error;
        exhaustedIds.add(batch.id);
        exhausted.push(read.error);
      }
      k = nextFrom(k + 1);
      reading = k >= 0 ? settled(this.readBatch(plan, accounts, batches[k])) : undefined;
      if (read.ok) await this.storeBatch(plan, accounts, counts, batch.id, batch.window, read.value);
    }
    if (exhausted.length > 0) throw budgetRanOut(exhausted, counts);
  }

  /** Reads one account batch from the bank and prepares its transactions, ready to store. */
  private async readBatch(
    plan: RunPlan,
    accounts: FetchedAccounts,
    { id, window, first }: AccountBatch,
  ): Promise<AccountData> {
    const fetched = await this.fetchTransactions(plan, [id], window);
    return {
      transactions: fetched
        ? await prepareTransactions(
            fetched.byAccount.get(id) ?? [],
            !first || this.holdsRows(accounts, id),
            fetched.digests,
          )
        : undefined,
      ...(first ? await this.fetchExtras(plan, accounts, id) : { resources: {} }),
    };
  }

  /** Whether the account should hold transactions already: one of its windows was stored before. */
  private holdsRows(accounts: FetchedAccounts, bankAccountId: string): boolean {
    return (accounts.backfilledFrom.get(accounts.ids.get(bankAccountId)!) ?? null) !== null;
  }

  /**
   * The permitted optional resources of one account, keyed by the bank's id (or a content hash). A
   * resource the bank refuses (isResourceRefusal) is listed as refused and the others are read on:
   * one unavailable resource never costs the run the rest.
   */
  private async fetchResources(
    plan: RunPlan,
    accountId: string,
  ): Promise<{
    resources: Partial<Record<OptionalAccountResource, ResourceRow[]>>;
    availability: ResourceAvailability;
  }> {
    const { call, usable } = plan;
    const resources: Partial<Record<OptionalAccountResource, ResourceRow[]>> = {};
    const availability: ResourceAvailability = { served: [], refused: [] };
    const rows = (items: Record<string, unknown>[]) =>
      items.map((item) => ({
        externalId: typeof item.externalId === 'string' ? item.externalId : `h:${sha(item.raw ?? item)}`,
        data: item,
      }));
    const read = async (resource: OptionalAccountResource, fetch: () => Promise<Record<string, unknown>[]>) => {
      if (!usable.has(resource)) return;
      try {
        resources[resource] = rows(await fetch());
        availability.served.push(resource);
      } catch (error) {
        if (!isResourceRefusal(error)) throw error;
        availability.refused.push(resource);
        const { code, detail, extensions } = error as AppError;
        this.logger.warn(
          {
            consentId: plan.consent.id,
            syncRunId: plan.run.id,
            accountId,
            resource,
            code,
            detail,
            bank: extensions.bank,
          },
          'the bank refused an optional resource: listed as unavailable',
        );
      }
    };
    await read('beneficiaries', async () => (await call('connector.listBeneficiaries', { accountId })).beneficiaries);
    await read(
      'standingOrders',
      async () => (await call('connector.listStandingOrders', { accountId })).standingOrders,
    );
    await read('directDebits', async () => (await call('connector.listDirectDebits', { accountId })).directDebits);
    await read(
      'scheduledPayments',
      async () => (await call('connector.listScheduledPayments', { accountId })).scheduledPayments,
    );
    await read(
      'statements',
      async () =>
        (await call('connector.listStatements', { accountId })).statements as unknown as Record<string, unknown>[],
    );
    await read('party', async () => (await call('connector.getParties', { accountId })).parties);
    return { resources, availability };
  }

  /**
   * The transactions of the account's newest statements not fetched yet. A statement is fetched whole
   * or not at all: a budget refusal (or a bank refusal) part-way leaves it, and the ones after it,
   * `pending` for a later sync, and never fails the run.
   */
  private async fetchStatementTransactions(
    plan: RunPlan,
    accountId: string,
    bankAccountId: string,
    statements: ResourceRow[],
  ): Promise<Map<string, unknown[]>> {
    const held = await this.accounts.statementsWithTransactions(accountId);
    const missing = statements
      .filter((s) => !held.has(s.externalId) && !s.externalId.startsWith('h:'))
      .sort((a, b) =>
        String((b.data as { endAt?: string }).endAt ?? '').localeCompare(
          String((a.data as { endAt?: string }).endAt ?? ''),
        ),
      )
      .slice(0, plan.psuPresent ? STATEMENTS_PER_SYNC.psuPresent : STATEMENTS_PER_SYNC.unattended);
    const out = new Map<string, unknown[]>();
    for (const s of missing) {
      try {
        const { transactions } = await plan.call('connector.getStatementTransactions', {
          accountId: bankAccountId,
          statementId: s.externalId,
        });
        out.set(s.externalId, transactions);
      } catch (error) {
        const code = error instanceof AppError ? error.code : null;
        if (code !== 'budget_exhausted' && !isResourceRefusal(error)) throw error;
        this.logger.info(
          { consentId: plan.consent.id, syncRunId: plan.run.id, accountId, statement: s.externalId, code },
          'statement transactions left pending for a later sync',
        );
        break;
      }
    }
    return out;
  }

  /** Matches the bank's accounts to stored ones by identity key; writes new and changed ones. */
  private async storeAccounts(
    consent: SyncConsent,
    bankAccounts: Account[],
    stored: StoredAccount[],
  ): Promise<{ ids: Map<string, string>; wrote: boolean }> {
    const byKey = new Map(stored.map((a) => [a.identityKey, a]));
    const rows = bankAccounts.map((a) => ({
      externalId: a.externalId,
      row: accountRow(a),
      existing: byKey.get(accountIdentityKey(a)),
    }));
    const ids = new Map<string, string>();
    const now = this.clock.now();
    // Written when new, changed, or known under another bank id (banks may issue new ids per consent).
    const write = rows.filter(
      (r) => !r.existing || r.existing.contentHash !== r.row.contentHash || r.existing.externalId !== r.row.externalId,
    );
    for (const r of rows) if (r.existing && !write.includes(r)) ids.set(r.externalId, r.existing.id);
    if (write.length > 0) {
      const scope = { tenantId: consent.tenantId, consentId: consent.id, providerId: consent.providerId };
      await this.runs.underConsentLock(consent.id, async (tx) => {
        // Re-read under the lock: a concurrent run may have inserted the account meanwhile.
        const current = new Map(
          (await this.accounts.listForConsent(consent.tenantId, consent.id, tx)).map((a) => [a.identityKey, a]),
        );
        for (const r of write)
          ids.set(r.externalId, await this.accounts.upsert(tx, scope, r.row, current.get(r.row.identityKey), now));
      });
    }
    return { ids, wrote: write.length > 0 };
  }

  /**
   * One account batch: one transaction, the consent's lock, then its transactions (see
   * `loadTransactions`: nothing read or written when the fingerprint vouches for them, else a diff and
   * only the writes it needs), balances and resources.
   */
  private async loadAccount(
    { consent, run, storedStates }: RunPlan,
    accountId: string,
    window: TransactionWindow,
    data: AccountData,
  ): Promise<{ added: number; modified: number; removed: number }> {
    // The state read as the run began holds until the account's first batch (nothing else writes the
    // consent's data while its run is in flight); a later batch reads it anew.
    const began = storedStates.get(accountId);
    storedStates.delete(accountId);
    if (await this.storedAlready(accountId, window, data, began)) return { added: 0, modified: 0, removed: 0 };
    const now = this.clock.now();
    return this.runs.underConsentLock(
      consent.id,
      async (tx) => {
        let counts = { added: 0, modified: 0, removed: 0 };
        if (data.transactions) {
          counts = await loadTransactions(
            tx,
            { transactions: this.transactions, runs: this.runs, events: this.events },
            {
              tenantId: consent.tenantId,
              consentId: consent.id,
              accountId,
              syncRunId: run.id,
              window,
              prepared: data.transactions,
              now,
            },
          );
          if (window.full) await this.accounts.markBackfilled(tx, accountId, window.from);
        }
        if (data.balances)
          await this.accounts.replaceBalances(tx, {
            tenantId: consent.tenantId,
            accountId,
            balances: data.balances.map(balanceRow),
            syncRunId: run.id,
            now,
          });
        for (const [resource, items] of Object.entries(data.resources) as [OptionalAccountResource, ResourceRow[]][]) {
          await this.accounts.replaceResources(tx, {
            tenantId: consent.tenantId,
            accountId,
            kind: RESOURCE_KIND[resource],
            items,
            now,
          });
        }
        if (data.availability) {
          await this.accounts.markAvailability(tx, accountId, data.availability);
          await this.runs.addUnavailable(tx, run.id, data.availability.refused);
        }
        for (const [statementId, items] of data.statementTransactions ?? [])
          await this.accounts.storeStatementTransactions(tx, accountId, statementId, items);
        return counts;
      },
      { timeout: this.config.sync.batchTimeoutMs, maxWait: this.config.sync.batchTimeoutMs },
    );
  }

  /**
   * Whether the batch has nothing to write, known without the consent's lock from the account's
   * stored state (read with the run's start, `RunBegun.storedStates`; for a later batch of the
   * account, by one statement): the usual scheduled batch (the bank's answer as stored) then costs no
   * round trip instead of a locked transaction of five statements or more. Every write the locked
   * path could make is decided here on the same comparisons with what is stored: the transactions
   * (the fingerprint vouches for the window, with no day outside it to count:
   * transaction-fingerprint.ts), balances, optional resources and the account's unavailable list. Not
   * for a full read (it records the backfill), refused resources (the run records them) or statement
   * transactions to store. Skipping is what the locked path does for such a batch, without its
   * transaction. The state is one snapshot (the fingerprint and the rows it sums up were committed
   * together), and only the consent's run in flight writes its data (one at a time, `RequestSync`): a
   * run that wrote meanwhile, say the same job delivered twice, wrote under the lock what it read from
   * the bank, as it could have after this batch's transaction.
   */
  private async storedAlready(
    accountId: string,
    window: TransactionWindow,
    data: AccountData,
    began: StoredAccountState | undefined,
  ): Promise<boolean> {
    const hashed = data.transactions?.hashed;
    if (
      window.full ||
      !hashed ||
      (data.availability?.refused.length ?? 0) > 0 ||
      (data.statementTransactions?.size ?? 0) > 0
    )
      return false;
    const stored = began ?? (await this.accounts.storedState(accountId));
    if (unchangedSince(stored.fingerprint, window, hashed.days)?.outside.length !== 0) return false;
    if (data.balances) {
      const { changed, gone } = balanceChanges(stored.balances, data.balances.map(balanceRow));
      if (changed.length + gone.length > 0) return false;
    }
    for (const [resource, items] of Object.entries(data.resources) as [OptionalAccountResource, ResourceRow[]][]) {
      const { changed, gone } = resourceChanges(stored.resources.get(RESOURCE_KIND[resource]) ?? [], items);
      if (changed.length + gone.length > 0) return false;
    }
    return !data.availability || !changesUnavailable(stored.unavailable, data.availability);
  }

  private async succeed(consent: SyncConsent, run: SyncRunRecord, job: SyncJob, counts: RunCounts): Promise<void> {
    const now = this.clock.now();
    const changed = counts.added + counts.modified + counts.removed > 0;
    await this.runs.finishSucceeded({
      runId: run.id,
      tenantId: consent.tenantId,
      consentId: consent.id,
      accounts: counts.accounts,
      now,
      syncedAt: run.startedAt ?? now,
      // A PSU-present refresh does not use the budget, so it leaves the schedule as it is.
      // The next sync counts from this run's end: its last calls, not its first, must age out first.
      ...(job.trigger !== 'psu_present' || consent.nextSyncAt === null
        ? { nextSyncAt: this.nextScheduled(consent, now) }
        : {}),
      // Someone waits for a run they asked for; a scheduled run that found nothing new stays quiet.
      ...(changed || job.trigger !== 'scheduled'
        ? {
            event: {
              consentId: consent.id,
              syncRunId: run.id,
              trigger: job.trigger,
              accounts: counts.accounts,
              transactionsAdded: counts.added,
              transactionsModified: counts.modified,
              transactionsRemoved: counts.removed,
            },
          }
        : {}),
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
        await this.runs.underConsentLock(consent.id, async (tx) => {
          await this.runs.finish(
            tx,
            run.id,
            { status: 'deferred', error: { code, detail: `${detail} Next attempt at ${until.toISOString()}.` } },
            now,
          );
          await this.consents.scheduleNext(tx, consent.tenantId, consent.id, until);
        });
        this.logger.info({ ...log, until }, 'sync deferred');
        const waitMs = failure.until ? failure.until.getTime() - now.getTime() : 0;
        const pause = failure.pauseProvider && waitMs > 0 && waitMs <= this.config.sync.providerPauseMaxSeconds * 1000;
        return { kind: 'done', status: 'deferred', ...(pause ? { pauseProviderMs: waitMs } : {}) };
      }
      case 'consent_ended':
        // The one implementation of a bank-side end of a consent (shared with the consent-service).
        await this.recordBankCondition.execute(
          {
            consentId: consent.id,
            condition: code === 'consent_revoked' ? 'consent_revoked' : 'consent_expired',
            detail,
          },
          this.clock.now(),
        );
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
  private async fail(
    run: SyncRunRecord,
    consent: SyncConsent | null,
    error: { code: string; detail: string },
    reschedule = true,
  ): Promise<SyncOutcome> {
    const now = this.clock.now();
    await this.runs.underConsentLock(run.consentId, async (tx) => {
      await this.runs.finish(tx, run.id, { status: 'failed', error }, now);
      if (consent && reschedule)
        await this.consents.scheduleNext(tx, consent.tenantId, consent.id, this.nextScheduled(consent, now));
      await this.events.append(tx, run.tenantId, 'sync.failed', {
        consentId: run.consentId,
        syncRunId: run.id,
        trigger: run.trigger,
        error,
      });
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
  return {
    type: b.type,
    originalType: b.originalType,
    amount: b.amount.amount,
    currency: b.amount.currency,
    creditLines: b.creditLines,
    referenceDate: b.referenceDate,
    referenceAt: b.referenceAt,
  };
}

/** The run's deferral when accounts ran out of budget part-way: until the last of them can go on. */
function budgetRanOut(exhausted: AppError[], counts: RunCounts): AppError {
  const at = exhausted
    .map((e) => (typeof e.extensions.nextAllowedAt === 'string' ? e.extensions.nextAllowedAt : ''))
    .sort()
    .at(-1);
  return new AppError(
    'budget_exhausted',
    `The unattended budget of ${exhausted.length} account(s) ran out part-way; ${counts.added} transaction(s) stored so far.`,
    { nextAllowedAt: at },
  );
}

/** A promise that never rejects: read ahead while something else is awaited, without an unhandled rejection. */
function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
