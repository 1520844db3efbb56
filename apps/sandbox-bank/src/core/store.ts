import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { BankId } from '../data/banks.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'none';

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

interface Persisted {
  clients: ClientRecord[];
  consents: ConsentRecord[];
  tokens: TokenRecord[];
  codes: CodeRecord[];
  software: SoftwareRecord[];
  keys: Record<string, unknown>;
}

/**
 * The banks' mutable state: clients, consents, tokens, codes, PSU sessions and the directory's
 * software statements. In memory; with a state file it is written after each change (atomically)
 * and read at start, so a demo survives a restart. Generated account data never lives here.
 */
export class SandboxStore {
  readonly clients = new Map<string, ClientRecord>();
  readonly consents = new Map<string, ConsentRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly codes = new Map<string, CodeRecord>();
  readonly sessions = new Map<string, AuthSession>();
  readonly software = new Map<string, SoftwareRecord>();
  keys: Record<string, unknown> = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<Persisted>;
      for (const c of data.clients ?? []) this.clients.set(c.clientId, c);
      for (const c of data.consents ?? []) this.consents.set(c.id, c);
      for (const t of data.tokens ?? []) this.tokens.set(t.token, t);
      for (const c of data.codes ?? []) this.codes.set(c.code, c);
      for (const s of data.software ?? []) this.software.set(s.softwareId, s);
      this.keys = data.keys ?? {};
    }
  }

  /** Schedules a write of the state file (no-op without one). */
  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 50);
    this.timer.unref();
  }

  flush(): void {
    if (!this.file) return;
    const data: Persisted = {
      clients: [...this.clients.values()],
      consents: [...this.consents.values()],
      tokens: [...this.tokens.values()].filter((t) => !t.revoked),
      codes: [...this.codes.values()].filter((c) => !c.used),
      software: [...this.software.values()],
      keys: this.keys,
    };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
