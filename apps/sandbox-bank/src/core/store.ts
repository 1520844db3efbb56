import type { JSONWebKeySet } from 'jose';
import type { Logger } from '@ais/observability';
import type { BankId } from '../data/banks.js';
import { PgState, type StateRows } from './pg-state.js';

export type ClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'none';

export interface ClientRecord {
  clientId: string;
  bank: BankId;
  name: string;
  clientSecret?: string;
  redirectUris: string[];
  authMethod: ClientAuthMethod;
  jwks?: JSONWebKeySet;
  jwksUri?: string;
  tlsSubjectDn?: string;
  softwareId?: string;
  orgId?: string;
  /** The registration claims as accepted (DCR), echoed back on GET /register/{ClientId}. */
  registration?: Record<string, unknown>;
  createdAt: number;
}

/** A consent in the bank's own vocabulary: OBIE statuses at Allstar/Al Salam, Berlin Group at Salt Bank. */
export interface ConsentRecord {
  id: string;
  bank: BankId;
  clientId?: string;
  status: string;
  createdAt: number;
  statusUpdatedAt: number;
  psu?: string;
  accountIds: string[];
  authorisedAt?: number;
  // OBIE
  permissions?: string[];
  expiresAt?: number | null;
  transactionFrom?: number;
  transactionTo?: number;
  // Berlin Group
  access?: Record<string, unknown>;
  recurringIndicator?: boolean;
  validUntil?: string;
  frequencyPerDay?: number;
  lastActionDate?: string;
  tppRedirectUri?: string;
  tppNokRedirectUri?: string;
}

export interface TokenRecord {
  token: string;
  bank: BankId;
  clientId: string;
  kind: 'access' | 'refresh';
  grant: 'client_credentials' | 'authorization_code';
  consentId?: string;
  scope: string;
  expiresAt: number;
  /** RFC 8705: SHA-256 thumbprint of the client certificate the token is bound to. */
  certThumbprint?: string;
  revoked?: boolean;
}

export interface CodeRecord {
  code: string;
  bank: BankId;
  clientId: string;
  consentId: string;
  redirectUri: string;
  nonce?: string;
  codeChallenge?: string;
  psu: string;
  expiresAt: number;
  used: boolean;
}

export interface AuthSession {
  id: string;
  bank: BankId;
  clientId: string;
  consentId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  responseType: string;
  responseMode: 'query' | 'fragment';
  codeChallenge?: string;
  stage: 'login' | 'otp' | 'accounts' | 'done';
  psu?: string;
  failures: number;
  createdAt: number;
}

export interface SoftwareRecord {
  softwareId: string;
  orgId: string;
  clientName: string;
  redirectUris: string[];
  jwks: JSONWebKeySet;
  roles: string[];
  createdAt: number;
}

/** A transport certificate (TPP identity, QWAC stand-in) the directory issued; the certificate itself is not kept. */
export interface CertificateRecord {
  serialNumber: string;
  softwareId: string;
  subjectDn: string;
  thumbprintS256: string;
  issuedAt: number;
}

/** What generated the PSU data of this state: the same state needs the same seed and epoch. */
export interface DataOrigin {
  seed: string;
  dataEpoch: string;
}

/**
 * The banks' mutable state: clients, consents, tokens, codes, PSU sessions, the directory's software
 * statements and issued certificates, the keys (bank signing keys, directory key, CA) and, through
 * `bankState`, each bank's clock, access counters and faults. Services read and change the maps
 * synchronously and call `changed()`. In memory only, or (`SandboxStore.open`) loaded from PostgreSQL
 * at start and written through after each change (debounced, one transaction per write, only the rows
 * that changed). Generated account data never lives here: it is a function of the data origin.
 */
export class SandboxStore {
  readonly clients = new Map<string, ClientRecord>();
  readonly consents = new Map<string, ConsentRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly codes = new Map<string, CodeRecord>();
  readonly sessions = new Map<string, AuthSession>();
  readonly software = new Map<string, SoftwareRecord>();
  readonly certificates = new Map<string, CertificateRecord>();
  keys: Record<string, unknown> = {};
  origin: DataOrigin | undefined;
  /** Bank id → the state of its clock, counters and faults, as loaded at start (read once by the context). */
  loadedBanks: Record<string, unknown> = {};
  /** Bank id → the current state of its clock, counters and faults (set by the context). */
  bankState: () => Record<string, unknown> = () => ({});
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** While `open` settles the state under its lock, which writes it itself. */
  private opening = false;

  /** Without `pg`, in memory only (`SandboxStore.memory()`). */
  constructor(private readonly pg?: PgState) {}

  /** A store that forgets everything when the process ends (in-process tests). */
  static memory(): SandboxStore {
    return new SandboxStore();
  }

  /**
   * A store kept in PostgreSQL (schema `sandbox_bank`, created when missing): loads every row, then
   * runs `init` (which creates missing keys and settles the clocks) and writes the result, all under
   * an advisory lock, so two sandboxes starting at once on one database end up with the same keys.
   */
  static async open(
    databaseUrl: string,
    logger: Logger,
    init: (store: SandboxStore) => Promise<void>,
  ): Promise<SandboxStore> {
    const pg = new PgState(databaseUrl, logger);
    try {
      let store!: SandboxStore;
      await pg.locked(async (rows) => {
        store = new SandboxStore(pg);
        store.opening = true;
        try {
          store.load(rows);
          await init(store);
          return store.rows();
        } finally {
          store.opening = false;
        }
      });
      return store;
    } catch (error) {
      await pg.close();
      throw error;
    }
  }

  private load(rows: StateRows): void {
    const each = <T>(table: keyof StateRows, put: (value: T) => void) => {
      for (const value of rows[table].values()) put(value as T);
    };
    each<ClientRecord>('clients', (c) => this.clients.set(c.clientId, c));
    each<ConsentRecord>('consents', (c) => this.consents.set(c.id, c));
    each<TokenRecord>('tokens', (t) => this.tokens.set(t.token, t));
    each<CodeRecord>('codes', (c) => this.codes.set(c.code, c));
    each<AuthSession>('sessions', (s) => this.sessions.set(s.id, s));
    each<SoftwareRecord>('software', (s) => this.software.set(s.softwareId, s));
    each<CertificateRecord>('certificates', (c) => this.certificates.set(c.serialNumber, c));
    this.keys = Object.fromEntries(rows.keys);
    this.loadedBanks = Object.fromEntries(rows.banks);
    this.origin = rows.meta.get('origin') as DataOrigin | undefined;
  }

  /** The whole state as table → id → row. */
  private rows(): StateRows {
    const byId = <T>(map: Map<string, T>) => new Map<string, unknown>(map);
    return {
      meta: new Map(this.origin ? [['origin', this.origin]] : []),
      keys: new Map(Object.entries(this.keys)),
      banks: new Map(Object.entries(this.bankState())),
      software: byId(this.software),
      certificates: byId(this.certificates),
      clients: byId(this.clients),
      consents: byId(this.consents),
      tokens: byId(this.tokens),
      codes: byId(this.codes),
      sessions: byId(this.sessions),
    };
  }

  get persistent(): boolean {
    return this.pg !== undefined;
  }

  /** Schedules a write (no-op in memory). Cheap: call it after every change. */
  changed(): void {
    if (!this.pg || this.closed || this.opening || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 50);
    this.timer.unref();
  }

  /**
   * Writes what changed since the last successful write, now. A failed write is logged, never thrown
   * (the bank keeps answering from memory), and retried with the next change or at close.
   */
  async flush(): Promise<void> {
    if (!this.pg) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pg.write(() => this.rows());
  }

  /** Forgets everything (POST /sandbox/reset); the next write replaces every table. */
  clear(): void {
    for (const map of [
      this.clients,
      this.consents,
      this.tokens,
      this.codes,
      this.sessions,
      this.software,
      this.certificates,
    ])
      map.clear();
    this.keys = {};
    this.loadedBanks = {};
    this.pg?.rewriteAll();
  }

  /** Writes the last changes and closes the connection pool; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.pg?.close();
  }
}
