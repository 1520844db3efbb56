import type { FastifyRequest } from 'fastify';
import type { Logger } from '@ais/observability';
import { AccessLimiter } from './core/access-limiter.js';
import { BankClock } from './core/clock.js';
import { FaultState } from './core/faults.js';
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
  stateFile?: string;
  mtlsEnabled: boolean;
  logger: Logger;
}

/** One simulated bank at runtime: its data, clock, faults, access counters and signing key. */
export class BankRuntime {
  readonly limiter: AccessLimiter;
  readonly faults: FaultState;

  constructor(
    readonly id: BankId,
    readonly profile: BankProfile,
    readonly data: BankData,
    readonly clock: BankClock,
    readonly signing: SigningKey,
    private readonly ctx: { publicUrl: string; mtlsPublicUrl: string; pageSize: number; seed: string },
  ) {
    this.limiter = new AccessLimiter(profile.standard === 'obie' ? 'rolling24h' : 'calendarDay', profile.timeZone);
    this.faults = new FaultState(`${ctx.seed}:${id}`);
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
  private constructor(
    readonly options: SandboxOptions,
    readonly store: SandboxStore,
    readonly banks: Record<BankId, BankRuntime>,
    readonly directoryKey: SigningKey,
    readonly ca: SandboxCa,
  ) {}

  static async create(options: SandboxOptions): Promise<SandboxContext> {
    const store = new SandboxStore(options.stateFile);
    const start = options.clockStart ? Date.parse(options.clockStart) : Date.now();
    const banks = {} as Record<BankId, BankRuntime>;
    for (const id of BANK_IDS) {
      const key = await signingKey(store, `bank:${id}`, id === 'alsalam' ? 'RS512' : 'PS256');
      banks[id] = new BankRuntime(id, BANKS[id], bankData(id, options.seed, options.dataEpoch), new BankClock(start, options.clockScale), key, options);
    }
    const directoryKey = await signingKey(store, 'directory', 'PS256');
    const ca = await SandboxCa.load(store);
    return new SandboxContext(options, store, banks, directoryKey, ca);
  }

  bank(id: BankId): BankRuntime {
    return this.banks[id];
  }
}
