import type { FastifyRequest } from 'fastify';
import type { Logger } from '@ais/observability';
import { AccessLimiter, type AccessCounter } from './core/access-limiter.js';
import { BankClock, type ClockState } from './core/clock.js';
import { FaultState, type FaultSnapshot } from './core/faults.js';
import { isMtls } from './core/http.js';
import { SandboxCa, signingKey, type SigningKey } from './core/keys.js';
import { SandboxStore } from './core/store.js';
import { BANK_IDS, BANKS, type BankId, type BankProfile } from './data/banks.js';
import { bankData, type BankData } from './data/ledger.js';

export interface SandboxOptions {
  publicUrl: string;
  mtlsPublicUrl: string;
  seed: string;
  dataEpoch: string;
  clockStart?: string;
  clockScale: number;
  pageSize: number;
  /**
   * PostgreSQL URL: keep the whole state there (schema sandbox_bank), so a restart changes nothing a
   * client can observe. Without it the state lives in memory only (in-process tests).
   */
  databaseUrl?: string;
  mtlsEnabled: boolean;
  logger: Logger;
}

/** What the store keeps of one bank beside its clients, consents and tokens. */
interface BankSnapshot {
  clock: ClockState;
  counters: AccessCounter[];
  faults: FaultSnapshot;
}

/** The body of POST /sandbox/reset. */
export interface ResetOptions {
  /** ISO instant; default SANDBOX_CLOCK_START, else now. */
  clockStart?: string;
  /** Default SANDBOX_CLOCK_SCALE. */
  clockScale?: number;
}

/** One simulated bank at runtime: its data, clock, faults, access counters and signing key. */
export class BankRuntime {
  readonly limiter: AccessLimiter;
  readonly faults: FaultState;

  constructor(
    readonly id: BankId,
    readonly profile: BankProfile,
    /** Replaced only by a reset to another seed. */
    public data: BankData,
    readonly clock: BankClock,
    /** Replaced only by a reset (new keys). */
    public signing: SigningKey,
    private readonly ctx: { publicUrl: string; mtlsPublicUrl: string; pageSize: number },
    seed: string,
    onChange: () => void,
  ) {
    this.limiter = new AccessLimiter(profile.standard === 'obie' ? 'rolling24h' : 'calendarDay', profile.timeZone);
    this.faults = new FaultState(`${seed}:${id}`);
    this.clock.onChange = onChange;
    this.limiter.onChange = onChange;
    this.faults.onChange = onChange;
  }

  snapshot(): BankSnapshot {
    return { clock: this.clock.snapshot(), counters: this.limiter.snapshot(), faults: this.faults.snapshot() };
  }

  restore(saved: BankSnapshot): void {
    this.clock.restore(saved.clock);
    this.limiter.restore(saved.counters ?? []);
    if (saved.faults) this.faults.restore(saved.faults);
  }

  /** Base URL of the bank on the plain HTTP listener, e.g. http://localhost:3100/allstar. */
  get baseUrl(): string {
    return `${this.ctx.publicUrl}/${this.id}`;
  }

  get mtlsBaseUrl(): string {
    return `${this.ctx.mtlsPublicUrl}/${this.id}`;
  }

  /**
   * The public origin of the listener a request came in on (http://localhost:3100 or the mTLS
   * https://localhost:3443): links in a response point back at it, so a client with a
   * certificate-bound token can follow them. The configured public URLs, never the Host header.
   */
  originOf(req: FastifyRequest): string {
    return isMtls(req) ? this.ctx.mtlsPublicUrl : this.ctx.publicUrl;
  }

  /** This bank's base URL on the listener a request came in on. */
  baseUrlOf(req: FastifyRequest): string {
    return `${this.originOf(req)}/${this.id}`;
  }

  /** OIDC issuer (Allstar) / authorisation-server issuer. */
  get issuer(): string {
    return this.baseUrl;
  }

  pageSize(): number {
    return this.faults.faults.pageSize ?? this.ctx.pageSize;
  }

  now(): number {
    return this.clock.now();
  }
}

export class SandboxContext {
  private readonly resetListeners: (() => Promise<void>)[] = [];

  private constructor(
    readonly options: SandboxOptions,
    readonly store: SandboxStore,
    readonly banks: Record<BankId, BankRuntime>,
    /** Replaced only by a reset. */
    public directoryKey: SigningKey,
    /** Replaced only by a reset. */
    public ca: SandboxCa,
  ) {}

  /**
   * Builds the banks from the store: with `databaseUrl`, everything the database keeps (keys, CA,
   * clients, consents, tokens, clocks, counters, faults, the data origin), creating what is missing
   * on a first start; otherwise a new bank in memory.
   */
  static async create(options: SandboxOptions): Promise<SandboxContext> {
    let ctx: SandboxContext | undefined;
    const build = async (store: SandboxStore) => {
      ctx = await SandboxContext.build(options, store);
    };
    if (options.databaseUrl) await SandboxStore.open(options.databaseUrl, options.logger, build);
    else await build(SandboxStore.memory());
    return ctx!;
  }

  private static async build(options: SandboxOptions, store: SandboxStore): Promise<SandboxContext> {
    const configured = { seed: options.seed, dataEpoch: options.dataEpoch };
    if (store.origin && (store.origin.seed !== configured.seed || store.origin.dataEpoch !== configured.dataEpoch)) {
      // The consents name accounts of the data this state was made with: keep generating that data.
      options.logger.warn(
        { kept: store.origin, configured },
        'sandbox state: kept the seed and data epoch of the saved state (POST /sandbox/reset starts over with the configured ones)',
      );
    }
    const origin = store.origin ?? configured;
    store.origin = origin;
    const changed = () => store.changed();
    const keys = {} as Record<BankId, SigningKey>;
    for (const id of BANK_IDS) keys[id] = await signingKey(store, `bank:${id}`, SIGNING_ALG[id]);
    // The clocks start together, after the (slow) key generation and before the data is built: a
    // clock anchored earlier would lag real time by as long as those took.
    const start = options.clockStart ? Date.parse(options.clockStart) : Date.now();
    const clocks = Object.fromEntries(BANK_IDS.map((id) => [id, new BankClock(start, options.clockScale)])) as Record<
      BankId,
      BankClock
    >;
    const banks = {} as Record<BankId, BankRuntime>;
    for (const id of BANK_IDS) {
      banks[id] = new BankRuntime(
        id,
        BANKS[id],
        bankData(id, origin.seed, origin.dataEpoch),
        clocks[id],
        keys[id],
        options,
        origin.seed,
        changed,
      );
      const saved = store.loadedBanks[id] as BankSnapshot | undefined;
      if (saved?.clock) banks[id].restore(saved);
    }
    store.bankState = () => Object.fromEntries(BANK_IDS.map((id) => [id, banks[id].snapshot()]));
    const directoryKey = await signingKey(store, 'directory', 'PS256');
    const ca = await SandboxCa.load(store);
    return new SandboxContext(options, store, banks, directoryKey, ca);
  }

  bank(id: BankId): BankRuntime {
    return this.banks[id];
  }

  /** Runs after a reset, once the new keys and CA are in place (the mTLS listener takes a new certificate). */
  onReset(listener: () => Promise<void>): void {
    this.resetListeners.push(listener);
  }

  /**
   * Starts the bank over (POST /sandbox/reset): forgets clients, consents, tokens, codes, sessions,
   * software statements and issued certificates, counters and faults; new signing keys, directory key
   * and CA (certificates issued before no longer verify); the configured seed and data epoch; every
   * clock at `clockStart` (default SANDBOX_CLOCK_START, else now) and `clockScale`. Persisted before it
   * answers.
   */
  async reset(options: ResetOptions = {}): Promise<void> {
    const store = this.store;
    store.clear();
    const origin = { seed: this.options.seed, dataEpoch: this.options.dataEpoch };
    store.origin = origin;
    const clockStart = options.clockStart ?? this.options.clockStart;
    const start = clockStart ? Date.parse(clockStart) : Date.now();
    const scale = options.clockScale ?? this.options.clockScale;
    for (const id of BANK_IDS) {
      const bank = this.banks[id];
      bank.signing = await signingKey(store, `bank:${id}`, SIGNING_ALG[id]);
      bank.data = bankData(id, origin.seed, origin.dataEpoch);
      bank.clock.set(start, scale);
      bank.limiter.reset();
      bank.faults.resetAll(`${origin.seed}:${id}`);
    }
    this.directoryKey = await signingKey(store, 'directory', 'PS256');
    this.ca = await SandboxCa.load(store);
    for (const listener of this.resetListeners) await listener();
    await store.flush();
  }

  /** Writes the last changes and closes the database connections; idempotent. */
  async close(): Promise<void> {
    await this.store.close();
  }
}

const SIGNING_ALG: Record<BankId, string> = { allstar: 'PS256', alsalam: 'RS512', saltbank: 'PS256' };
