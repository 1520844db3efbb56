import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { connectorsSection, loadConfig, rpcSection } from '@ais/config';
import { KeyRing } from '@ais/crypto';
import {
  AuditLogRepository,
  createPrismaClient,
  ProviderOperationRepository,
  RegistrationGate,
  SyncConsentRepository,
  SyncRunRepository,
  type PrismaClient,
  type SyncRunRecord,
} from '@ais/db';
import { newId, type Permission } from '@ais/domain';
import type { ConnectorTokenSet, RpcRequest, RpcResponse, SyncTrigger } from '@ais/contracts';
import { createHttpApp } from '@ais/http-kit';
import { Metrics, createLogger } from '@ais/observability';
import { createPingController, createRpcClient, startRpcServer, type RpcClient } from '@ais/rpc';
import { RequestSync, SyncJobQueues } from '@ais/sync';
import { createTestDatabase, testEnv, type TestDatabase } from '@ais/testing';
import { SyncWorkerModule } from '../src/app.module.js';
import { loadSyncWorkerConfig, type SyncWorkerConfig } from '../src/sync-worker.config.js';
import type { Clock } from '../src/tokens.js';

/**
 * The sync-worker under test with everything it talks to, over the real transports:
 * - the sandbox banks (apps/sandbox-bank) in this process on ephemeral ports, over HTTP and mTLS;
 * - the connector-service's own classes (registry, RPC controller, Postgres access guard) served over
 *   Redis RPC, assembled here so the access guard can count on the banks' clock;
 * - `consent-service.getAccessToken` served from `consent_token_sets` (sealed with the key ring, AAD =
 *   consent id, JSON ConnectorTokenSet), as the consent-service will: it is not there yet;
 * - consents authorised through the real OAuth flow (connector RPC + the PSU's pages over HTTP);
 * - the worker itself in this process (SyncWorkerModule) on a fresh database and Redis prefix.
 * Other apps are loaded by path: Nx forbids importing an app as a module (the connectors' tests do
 * the same).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
/** Another app's module, as source under Jest or compiled JS when this file runs from a build (benchmarks). */
const app = (p: string) => path.resolve(here, '../..', import.meta.url.endsWith('.js') ? p.replace(/\.ts$/, '.js') : p);

export type BankId = 'allstar' | 'alsalam' | 'saltbank';
export const BANKS: readonly BankId[] = ['allstar', 'alsalam', 'saltbank'];
export interface Psu {
  username: string;
  password: string;
  otp: string;
}
export const PSUS = {
  alice: { username: 'alice', password: 'alice-pass', otp: '123456' },
  bob: { username: 'bob', password: 'bob-pass', otp: '234567' },
  fatima: { username: 'fatima', password: 'fatima-pass', otp: '111111' },
  ahmed: { username: 'ahmed', password: 'ahmed-pass', otp: '222222' },
  max: { username: 'max', password: 'max-pass', otp: '444444' },
  erika: { username: 'erika', password: 'erika-pass', otp: '555555' },
  jonas: { username: 'jonas', password: 'jonas-pass', otp: '666666' },
} satisfies Record<string, Psu>;
export const PSU_IP = '198.51.100.7';
const REDIRECT_URI = 'http://localhost:3000/v1/callback';
/** A year: the banks' clocks jump and run compressed in these tests. */
export const TOKEN_LIFETIME_SECONDS = 31_536_000;

interface BankClock {
  now(): number;
  set(ms: number, scale?: number): void;
  advance(ms: number): void;
  setScale(scale: number): void;
  readonly scale: number;
}
/** The bank's own records of a consent and its tokens (apps/sandbox-bank core/store.ts), as far as cloning needs. */
interface BankConsentRecord {
  id: string;
  accountIds: string[];
  [key: string]: unknown;
}
interface BankTokenRecord {
  token: string;
  consentId?: string;
  [key: string]: unknown;
}
interface RawSandbox {
  url: string;
  mtlsUrl?: string;
  ctx: {
    bank(id: BankId): {
      clock: BankClock;
      limiter: {
        reset(): void;
        snapshot(): { resource: string; unattended: number; psuPresent: number; rejected429: number }[];
      };
    };
    store: {
      consents: Map<string, BankConsentRecord>;
      tokens: Map<string, BankTokenRecord>;
      changed(): void;
    };
  };
  close(): Promise<void>;
}

export interface Summary {
  accounts: {
    accountId: string;
    currency: string;
    historyFrom: string;
    /** In the bank's own vocabulary (Salt Bank: iban, bban, maskedPan). */
    identifiers: { scheme: string; identification: string }[];
    booked: { count: number; sum: string };
    pending: { count: number; sum: string };
  }[];
}
export interface CounterRow {
  consentId: string;
  accountId: string;
  resource: string;
  unattended: number;
  psuPresent: number;
  rejected429: number;
  unattendedInWindow: number;
}

export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const location = res.headers.location;
  return { status: res.statusCode, text, json, location: typeof location === 'string' ? location : undefined };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

/** The sandbox banks in this process, and their control API. */
export class SandboxBanks {
  constructor(private readonly raw: RawSandbox) {}
  get url(): string {
    return this.raw.url;
  }
  get mtlsUrl(): string {
    return this.raw.mtlsUrl!;
  }
  /** The banks' common clock (the harness keeps the three banks' clocks equal). */
  now(): Date {
    return new Date(this.raw.ctx.bank('allstar').clock.now());
  }
  advance(ms: number): void {
    for (const id of BANKS) this.raw.ctx.bank(id).clock.advance(ms);
  }
  /** Sets every bank's clock to the same instant and scale (the scale compresses the day). */
  setClock(at: Date, scale = 1): void {
    for (const id of BANKS) this.raw.ctx.bank(id).clock.set(at.getTime(), scale);
  }
  private async control(method: string, p: string, body?: unknown): Promise<any> {
    const r = await http(`${this.url}${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
    return r.json;
  }
  /** Every call the bank counted so far, summed by resource (in process: no listing of every counter). */
  callTotals(bank: BankId): Map<string, { psuPresent: number; unattended: number; rejected429: number }> {
    const out = new Map<string, { psuPresent: number; unattended: number; rejected429: number }>();
    for (const c of this.raw.ctx.bank(bank).limiter.snapshot()) {
      const t = out.get(c.resource) ?? { psuPresent: 0, unattended: 0, rejected429: 0 };
      t.psuPresent += c.psuPresent;
      t.unattended += c.unattended;
      t.rejected429 += c.rejected429;
      out.set(c.resource, t);
    }
    return out;
  }
  /**
   * Copies of an authorised bank consent (same PSU, accounts, permissions and expiry), each with its
   * own id and its own tokens, as if the PSU had authorised it again: for benchmarks that need
   * thousands of consents, whose OAuth flows would take longer than the syncs they measure.
   */
  cloneBankConsent(bankConsentId: string, count: number): { bankConsentId: string; tokens: Map<string, string> }[] {
    const { consents, tokens } = this.raw.ctx.store;
    const template = consents.get(bankConsentId);
    if (!template) throw new Error(`no bank consent ${bankConsentId}`);
    const own = [...tokens.values()].filter((t) => t.consentId === bankConsentId);
    const out: { bankConsentId: string; tokens: Map<string, string> }[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${bankConsentId.replace(/-[^-]*$/, '')}-c${randomBytes(9).toString('hex')}`;
      consents.set(id, { ...structuredClone(template), id });
      const renamed = new Map<string, string>();
      for (const t of own) {
        const token = randomBytes(32).toString('base64url');
        tokens.set(token, { ...structuredClone(t), token, consentId: id });
        renamed.set(t.token, token);
      }
      out.push({ bankConsentId: id, tokens: renamed });
    }
    this.raw.ctx.store.changed();
    return out;
  }
  summary(bank: BankId, username: string, from?: string): Promise<Summary> {
    return this.control('GET', `/${bank}/sandbox/psus/${username}/summary${from ? `?from=${from}` : ''}`);
  }
  async counters(bank: BankId, consentId?: string): Promise<CounterRow[]> {
    return (
      await this.control(
        'GET',
        `/${bank}/sandbox/counters${consentId ? `?consentId=${encodeURIComponent(consentId)}` : ''}`,
      )
    ).counters;
  }
  /** Sets fault knobs (the PATCH changes only the knobs it names), with the long token lifetime. */
  faults(bank: BankId, patch: Record<string, unknown>): Promise<unknown> {
    return this.control('PATCH', `/${bank}/sandbox/faults`, { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS, ...patch });
  }
  /** Back to no faults (DELETE: every knob to its default), then the long token lifetime again. */
  async resetFaults(bank: BankId): Promise<void> {
    await this.control('DELETE', `/${bank}/sandbox/faults`);
    await this.faults(bank, {});
  }
  revoke(bank: BankId, bankConsentId: string): Promise<unknown> {
    return this.control('POST', `/${bank}/sandbox/consents/${encodeURIComponent(bankConsentId)}/revoke`);
  }
  expire(bank: BankId, bankConsentId: string): Promise<unknown> {
    return this.control('POST', `/${bank}/sandbox/consents/${encodeURIComponent(bankConsentId)}/expire`);
  }

  /** The PSU signs in, enters the OTP, keeps every offered account and approves. Answers the redirect. */
  async psuApproves(authorisationUrl: string, psu: Psu): Promise<string> {
    const start = await http(authorisationUrl);
    if (start.status !== 302 || !start.location)
      throw new Error(`authorisation URL answered ${start.status}: ${start.text.slice(0, 300)}`);
    const page = new URL(start.location, authorisationUrl).toString();
    if ((await http(page)).status !== 200) throw new Error('consent page did not open');
    const login = await http(`${page}/login`, {
      method: 'POST',
      headers: FORM,
      body: form({ username: psu.username, password: psu.password }),
    });
    if (login.status !== 200) throw new Error(`login answered ${login.status}`);
    const otp = await http(`${page}/otp`, { method: 'POST', headers: FORM, body: form({ otp: psu.otp }) });
    if (otp.status !== 200) throw new Error(`otp answered ${otp.status}`);
    const offered = [...otp.text.matchAll(/name="accountIds" value="([^"]+)"/g)].map((m) => m[1]);
    const decided = await http(`${page}/accounts`, {
      method: 'POST',
      headers: FORM,
      body: form({ accountIds: offered, decision: 'approve' }),
    });
    if (decided.status !== 302 || !decided.location)
      throw new Error(`decision answered ${decided.status}: ${decided.text.slice(0, 300)}`);
    return decided.location;
  }
}

export interface HarnessOptions {
  /** Extra environment for the worker and the connector-service (SYNC_*, CONNECTOR_*). */
  env?: Record<string, string>;
  pageSize?: number;
  /** Start the in-process worker (default true). */
  worker?: boolean;
  /** A database to use (default: a fresh one cloned from the test template). */
  database?: TestDatabase;
  /** The banks' clock at start (default: now), set before the gateway registers at them. */
  clockStart?: Date;
  /**
   * The connector-service keeps each consent's token until the vault would refresh it, as it does in
   * production (CachedTokenSource, the vault answering `refreshAt`); default off: every bank call asks
   * the vault, so tests see each token the vault hands out.
   */
  tokenCache?: boolean;
  /**
   * Connections of this process's pool (default 4), which the connector-service's access guard, the
   * token vault and the test share; a production connector-service has DATABASE_POOL_SIZE (10) of its own.
   */
  poolSize?: number;
}

export interface AuthorisedConsent {
  consentId: string;
  bankConsentId: string;
  bank: BankId;
  psu: Psu;
}

/** Everything started for one test file. */
export class SyncHarness {
  worker: INestApplication | undefined;
  readonly tenantId = newId('tenant');

  private constructor(
    readonly db: TestDatabase,
    readonly prisma: PrismaClient,
    readonly sandbox: SandboxBanks,
    readonly env: Record<string, string>,
    readonly connector: RpcClient,
    private readonly keys: KeyRing,
    private readonly closers: (() => Promise<unknown>)[],
  ) {}

  /** The gateway's clock in tests: the banks' clock. */
  readonly clock: Clock = { now: () => this.sandbox.now() };

  static async start(options: HarnessOptions = {}): Promise<SyncHarness> {
    const closers: (() => Promise<unknown>)[] = [];
    const db = options.database ?? (await createTestDatabase('sync'));
    closers.push(() => db.drop());
    const env = testEnv({
      DATABASE_URL: db.url,
      CONNECTOR_BACKOFF_INITIAL_MS: '10',
      CONNECTOR_BACKOFF_MAX_MS: '50',
      CONNECTOR_BREAKER_FAILURES: '1000',
      CONNECTOR_RATE_PER_SECOND: '1000',
      CONNECTOR_RATE_BURST: '1000',
      SYNC_SCHEDULER_EVERY_MS: '3600000',
      SYNC_BACKOFF_MS: '200',
      ...options.env,
    });
    const prisma = createPrismaClient({ url: db.url, poolSize: options.poolSize ?? 4 });
    closers.unshift(() => prisma.$disconnect());
    const logger = createLogger('sync-tests', env.LOG_LEVEL);
    const redis = { url: env.REDIS_URL, prefix: env.REDIS_PREFIX };
    try {
      const sandboxMod = (await import(app('sandbox-bank/src/sandbox.ts'))) as {
        startSandbox(o: Record<string, unknown>): Promise<RawSandbox>;
      };
      const raw = await sandboxMod.startSandbox({
        host: '127.0.0.1',
        port: 0,
        mtlsPort: 0,
        seed: 'sync-tests',
        dataEpoch: '2024-01-01',
        clockScale: 1,
        pageSize: options.pageSize ?? 100,
        mtlsEnabled: true,
        logger: createLogger('sandbox', 'silent'),
      });
      closers.unshift(() => raw.close());
      const sandbox = new SandboxBanks(raw);
      sandbox.setClock(options.clockStart ?? new Date());
      // Tests move the banks' clocks by days: tokens that outlive that keep the tests about syncing.
      for (const bank of BANKS) await sandbox.resetFaults(bank);

      const keys = new KeyRing(...keyRingOf(env));
      const rpc = loadConfig({ rpc: rpcSection }, env).rpc;
      const connectors = loadConfig(
        { connectors: connectorsSection },
        { ...env, CONNECTOR_SANDBOX_URL: sandbox.url, CONNECTOR_SANDBOX_MTLS_URL: sandbox.mtlsUrl },
      ).connectors;
      const seed = (await import(app('connector-service/src/provider-seed.ts'))) as {
        seedProviders(p: PrismaClient, c: { sandboxUrl: string; sandboxMtlsUrl: string }): Promise<number>;
      };
      await seed.seedProviders(prisma, { sandboxUrl: sandbox.url, sandboxMtlsUrl: sandbox.mtlsUrl });

      const vault = await startTokenVault(prisma, keys, rpc, redis, logger, () => sandbox.now(), options.tokenCache);
      closers.unshift(() => vault.close());
      const connectorApp = await startConnectorService(
        prisma,
        keys,
        connectors,
        rpc,
        redis,
        logger,
        () => sandbox.now(),
        options.tokenCache,
      );
      closers.unshift(() => connectorApp.close());
      const connector = createRpcClient('connector-service', rpc, redis);
      closers.unshift(async () => connector.close());
      for (const bank of BANKS) await connector.send('connector.onboard', { providerId: bank });

      const harness = new SyncHarness(db, prisma, sandbox, env, connector, keys, closers);
      await prisma.tenant.create({ data: { id: harness.tenantId, name: 'Sync tests', rateLimitPerMinute: 600 } });
      if (options.worker ?? true) await harness.startWorker();
      return harness;
    } catch (error) {
      for (const close of closers) await close().catch(() => undefined);
      throw error;
    }
  }

  get workerConfig(): SyncWorkerConfig {
    return loadSyncWorkerConfig(this.env);
  }

  async startWorker(): Promise<void> {
    const config = this.workerConfig;
    const logger = createLogger('sync-worker', config.runtime.logLevel);
    const worker = await createHttpApp(
      SyncWorkerModule.forRoot(config, new Metrics('sync-worker'), logger, { clock: this.clock }),
      { service: 'sync-worker', logger },
    );
    await worker.init();
    this.worker = worker;
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
  }

  /** A consent authorised by the PSU through the real OAuth flow, stored as the consent-service will. */
  async authorise(
    bank: BankId,
    psu: Psu,
    options: {
      permissions?: Permission[];
      frequencyPerDay?: number;
      transactionsFrom?: string;
      tenantId?: string;
      /** A dedicated-account consent: the accounts it names. */
      accounts?: { scheme: 'iban'; identification: string }[];
    } = {},
  ): Promise<AuthorisedConsent> {
    const consentId = newId('consent');
    const permissions = options.permissions ?? ['accounts', 'balances', 'transactions'];
    const frequencyPerDay = options.frequencyPerDay ?? 4;
    const bankConsent = await this.connector.send('connector.createConsent', {
      providerId: bank,
      consentId,
      permissions,
      frequencyPerDay,
      redirectUri: REDIRECT_URI,
      psu: { ipAddress: PSU_IP },
      ...(options.transactionsFrom ? { transactionsFrom: options.transactionsFrom } : {}),
      ...(options.accounts ? { accounts: options.accounts } : {}),
    });
    const now = this.clock.now();
    await this.prisma.consent.create({
      data: {
        id: consentId,
        tenantId: options.tenantId ?? this.tenantId,
        providerId: bank,
        status: 'awaiting_authorisation',
        permissions,
        frequencyPerDay,
        expiresAt: bankConsent.expiresAt ? new Date(bankConsent.expiresAt) : new Date(now.getTime() + 90 * 86_400_000),
        redirectUri: REDIRECT_URI,
        externalId: bankConsent.externalConsentId,
        ...(options.transactionsFrom ? { transactionsFrom: new Date(`${options.transactionsFrom}T00:00:00Z`) } : {}),
        ...(options.accounts ? { namedAccounts: options.accounts } : {}),
      },
    });
    const auth = await this.connector.send('connector.buildAuthorisation', {
      providerId: bank,
      externalConsentId: bankConsent.externalConsentId,
      redirectUri: REDIRECT_URI,
      consentLinks: bankConsent.links,
    });
    const back = new URL(await this.sandbox.psuApproves(auth.url, psu));
    const params = Object.fromEntries(
      (back.hash ? new URLSearchParams(back.hash.slice(1)) : back.searchParams).entries(),
    );
    const tokens = await this.connector.send('connector.exchangeCode', {
      providerId: bank,
      session: auth.session,
      callback: params,
    });
    await this.storeTokens(consentId, tokens);
    await this.prisma.consent.update({
      where: { id: consentId },
      data: { status: 'authorised', authorisedAt: this.clock.now() },
    });
    return { consentId, bankConsentId: bankConsent.externalConsentId, bank, psu };
  }

  /**
   * `count` more consents like `template` (same tenant, provider, permissions, frequency, window),
   * each over its own copy of the bank consent with its own tokens (`SandboxBanks.cloneBankConsent`),
   * authorised now. For benchmarks of thousands of consents: the worker cannot tell them from consents
   * that went through the OAuth flow.
   */
  async cloneConsents(template: AuthorisedConsent, count: number): Promise<AuthorisedConsent[]> {
    const row = await this.prisma.consent.findUniqueOrThrow({ where: { id: template.consentId } });
    const sealed = await this.prisma.consentTokenSet.findUniqueOrThrow({ where: { consentId: template.consentId } });
    const tokens = this.keys.openJson<ConnectorTokenSet>(sealed.ciphertext, template.consentId);
    const clones = this.sandbox.cloneBankConsent(template.bankConsentId, count);
    const out: AuthorisedConsent[] = [];
    for (let i = 0; i < clones.length; i += 1000) {
      const batch = clones.slice(i, i + 1000).map((c) => ({ ...c, consentId: newId('consent') }));
      const authorisedAt = this.clock.now();
      await this.prisma.consent.createMany({
        data: batch.map((c) => ({
          id: c.consentId,
          tenantId: row.tenantId,
          providerId: row.providerId,
          status: row.status,
          permissions: row.permissions,
          transactionsFrom: row.transactionsFrom,
          expiresAt: row.expiresAt,
          frequencyPerDay: row.frequencyPerDay,
          redirectUri: row.redirectUri,
          externalId: c.bankConsentId,
          authorisedAt,
        })),
      });
      await this.prisma.consentTokenSet.createMany({
        data: batch.map((c) => {
          const set: ConnectorTokenSet = {
            ...tokens,
            accessToken: c.tokens.get(tokens.accessToken) ?? tokens.accessToken,
            refreshToken: tokens.refreshToken ? (c.tokens.get(tokens.refreshToken) ?? tokens.refreshToken) : null,
            externalConsentId: c.bankConsentId,
          };
          const ciphertext = this.keys.sealJson(set, c.consentId);
          return {
            consentId: c.consentId,
            keyId: KeyRing.keyIdOf(ciphertext),
            ciphertext,
            accessTokenExpiresAt: sealed.accessTokenExpiresAt,
            refreshTokenExpiresAt: sealed.refreshTokenExpiresAt,
          };
        }),
      });
      for (const c of batch) out.push({ ...template, consentId: c.consentId, bankConsentId: c.bankConsentId });
    }
    return out;
  }

  /**
   * The PSU authorises the consent again through a new bank consent, as the consent-service's
   * re-authorisation does: new tokens, the new bank consent id, authorisedAt now. The caller then
   * requests the `initial` sync, as the consent-service's callback does.
   */
  async reauthorise(consent: AuthorisedConsent): Promise<AuthorisedConsent> {
    const row = await this.prisma.consent.findUniqueOrThrow({ where: { id: consent.consentId } });
    const bankConsent = await this.connector.send('connector.createConsent', {
      providerId: consent.bank,
      consentId: consent.consentId,
      permissions: row.permissions as Permission[],
      frequencyPerDay: row.frequencyPerDay,
      redirectUri: REDIRECT_URI,
      psu: { ipAddress: PSU_IP },
      ...(row.transactionsFrom ? { transactionsFrom: row.transactionsFrom.toISOString().slice(0, 10) } : {}),
    });
    const auth = await this.connector.send('connector.buildAuthorisation', {
      providerId: consent.bank,
      externalConsentId: bankConsent.externalConsentId,
      redirectUri: REDIRECT_URI,
      consentLinks: bankConsent.links,
    });
    const back = new URL(await this.sandbox.psuApproves(auth.url, consent.psu));
    const params = Object.fromEntries(
      (back.hash ? new URLSearchParams(back.hash.slice(1)) : back.searchParams).entries(),
    );
    const tokens = await this.connector.send('connector.exchangeCode', {
      providerId: consent.bank,
      session: auth.session,
      callback: params,
    });
    await this.storeTokens(consent.consentId, tokens);
    await this.prisma.consent.update({
      where: { id: consent.consentId },
      data: { status: 'authorised', authorisedAt: this.clock.now(), externalId: bankConsent.externalConsentId },
    });
    return { ...consent, bankConsentId: bankConsent.externalConsentId };
  }

  private async storeTokens(consentId: string, tokens: ConnectorTokenSet): Promise<void> {
    const ciphertext = this.keys.sealJson(tokens, consentId);
    const data = {
      keyId: KeyRing.keyIdOf(ciphertext),
      ciphertext,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt ? new Date(tokens.accessTokenExpiresAt) : null,
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt ? new Date(tokens.refreshTokenExpiresAt) : null,
    };
    await this.prisma.consentTokenSet.upsert({ where: { consentId }, create: { consentId, ...data }, update: data });
  }

  private producer: { requestSync: RequestSync; queues: SyncJobQueues } | undefined;

  /** The producer side (as the gateway and the scheduler use it), whether or not a worker runs here. */
  private get enqueue(): { requestSync: RequestSync; queues: SyncJobQueues } {
    if (!this.producer) {
      const queues = new SyncJobQueues({ url: this.env.REDIS_URL, prefix: this.env.REDIS_PREFIX });
      this.producer = {
        requestSync: new RequestSync(
          new SyncRunRepository(this.prisma),
          new SyncConsentRepository(this.prisma),
          queues,
        ),
        queues,
      };
    }
    return this.producer;
  }

  /** Requests a sync as the gateway or the scheduler would; answers the run's id. */
  async request(
    consentId: string,
    options: { trigger?: SyncTrigger; psuIpAddress?: string; tenantId?: string; full?: boolean } = {},
  ): Promise<string> {
    const consent = await this.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
    const { syncRunId } = await this.enqueue.requestSync.execute(
      {
        tenantId: options.tenantId ?? consent.tenantId,
        consentId,
        providerId: consent.providerId,
        trigger: options.trigger ?? 'manual',
        ...(options.psuIpAddress ? { psuIpAddress: options.psuIpAddress } : {}),
        ...(options.full ? { full: true } : {}),
      },
      this.clock.now(),
    );
    return syncRunId;
  }

  /** Requests a sync and waits until the run has ended. */
  async sync(
    consentId: string,
    options: { trigger?: SyncTrigger; psuIpAddress?: string; tenantId?: string; full?: boolean } = {},
  ): Promise<SyncRunRecord> {
    return this.waitForRun(await this.request(consentId, options));
  }

  async waitForRun(syncRunId: string, timeoutMs = 60_000): Promise<SyncRunRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.prisma.syncRun.findUnique({ where: { id: syncRunId } });
      if (run && ['succeeded', 'failed', 'deferred'].includes(run.status)) return run;
      if (Date.now() > deadline)
        throw new Error(`run ${syncRunId} did not end within ${timeoutMs} ms (status ${run?.status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.producer?.queues.onApplicationShutdown();
    for (const close of this.closers) await close().catch(() => undefined);
  }
}

function keyRingOf(env: Record<string, string>): [Map<string, Buffer>, string] {
  const keys = new Map<string, Buffer>();
  for (const entry of env.ENCRYPTION_KEYS.split(',')) {
    const i = entry.indexOf(':');
    keys.set(entry.slice(0, i), Buffer.from(entry.slice(i + 1), 'base64'));
  }
  return [keys, [...keys.keys()].at(-1)!];
}

/** `consent-service.getAccessToken` over consent_token_sets, refreshing through the connector when due. */
async function startTokenVault(
  prisma: PrismaClient,
  keys: KeyRing,
  rpc: ReturnType<typeof loadConfig<{ rpc: typeof rpcSection }>>['rpc'],
  redis: { url: string; prefix: string },
  logger: ReturnType<typeof createLogger>,
  now: () => Date,
  /** Answer `refreshAt` (30 s before expiry, when the vault refreshes), so the connector may keep the token. */
  refreshAt = false,
) {
  const connector = createRpcClient('connector-service', rpc, redis);
  @Controller()
  class TokenVaultController {
    @MessagePattern('consent-service.getAccessToken')
    async getAccessToken(
      @Payload() req: RpcRequest<'consent-service.getAccessToken'>,
    ): Promise<RpcResponse<'consent-service.getAccessToken'>> {
      const row = await prisma.consentTokenSet.findUniqueOrThrow({
        where: { consentId: req.consentId },
        include: { consent: { select: { providerId: true } } },
      });
      let tokens = keys.openJson<ConnectorTokenSet>(row.ciphertext, req.consentId);
      if (
        tokens.accessTokenExpiresAt &&
        Date.parse(tokens.accessTokenExpiresAt) < now().getTime() + 30_000 &&
        tokens.refreshToken
      ) {
        tokens = {
          ...(await connector.send('connector.refreshTokens', {
            providerId: row.consent.providerId,
            refreshToken: tokens.refreshToken,
            externalConsentId: tokens.externalConsentId,
          })),
          refreshToken: tokens.refreshToken,
        };
        const ciphertext = keys.sealJson(tokens, req.consentId);
        await prisma.consentTokenSet.update({
          where: { consentId: req.consentId },
          data: { keyId: KeyRing.keyIdOf(ciphertext), ciphertext },
        });
      }
      return {
        accessToken: tokens.accessToken,
        tokenType: tokens.tokenType,
        externalConsentId: tokens.externalConsentId,
        expiresAt: tokens.accessTokenExpiresAt,
        ...(refreshAt && tokens.accessTokenExpiresAt && tokens.refreshToken
          ? { refreshAt: new Date(Date.parse(tokens.accessTokenExpiresAt) - 30_000).toISOString() }
          : {}),
      };
    }
  }
  @Module({ controllers: [TokenVaultController, createPingController('consent-service')] })
  class TokenVaultModule {}
  const nest = await createHttpApp(TokenVaultModule, { service: 'consent-service', logger });
  await startRpcServer(nest, 'consent-service', rpc, redis, logger);
  await nest.init();
  return {
    close: async () => {
      await nest.close();
      await connector.close();
    },
  };
}

/**
 * The connector-service's RPC surface from its own classes; only the access guard's clock is the
 * banks' (the sandbox counts on its clock, which tests move and compress).
 */
async function startConnectorService(
  prisma: PrismaClient,
  keys: KeyRing,
  connectors: ReturnType<typeof loadConfig<{ connectors: typeof connectorsSection }>>['connectors'],
  rpc: ReturnType<typeof loadConfig<{ rpc: typeof rpcSection }>>['rpc'],
  redis: { url: string; prefix: string },
  logger: ReturnType<typeof createLogger>,
  guardNow: () => Date,
  tokenCache = false,
) {
  // One at a time: Jest's ESM loader can fail concurrent dynamic imports that share modules ("request
  // for 'jose' is not in cache").
  const { ConnectorController } = await import(app('connector-service/src/connector.controller.ts'));
  const { ConnectorRegistry } = await import(app('connector-service/src/connector-registry.service.ts'));
  const { PostgresAccessGuard } = await import(app('connector-service/src/postgres-access-guard.ts'));
  const { RegistrationRepository } = await import(app('connector-service/src/registration.repository.ts'));
  const { RpcTokenSource } = await import(app('connector-service/src/rpc-token-source.ts'));
  const { CachedTokenSource } = await import(app('connector-service/src/cached-token-source.ts'));
  const vault = createRpcClient('consent-service', rpc, redis);
  const tokenSource = tokenCache ? new CachedTokenSource(new RpcTokenSource(vault)) : new RpcTokenSource(vault);
  const registry = new ConnectorRegistry(
    prisma,
    new RegistrationRepository(prisma, keys),
    {
      accessGuard: new PostgresAccessGuard(prisma, guardNow),
      tokenSource,
      resilience: connectors.resilience,
      logger,
      metrics: new Metrics('connector-service'),
    },
    connectors,
  );
  // Every connector.* call goes through ProviderCalls (registration healing, operation outcomes).
  const { ProviderCalls } = await import(app('connector-service/src/provider-calls.ts'));
  const { HeldPages } = await import(app('connector-service/src/held-pages.ts'));
  const gateRedis = new Redis(redis.url);
  const calls = new ProviderCalls({
    prisma,
    registry,
    operations: new ProviderOperationRepository(prisma),
    audit: new AuditLogRepository(prisma),
    gate: new RegistrationGate(gateRedis, redis.prefix),
    metrics: new Metrics('connector-service'),
    logger,
    reregisterIntervalSeconds: connectors.reregisterIntervalSeconds,
  });
  @Module({
    controllers: [ConnectorController, createPingController('connector-service')],
    providers: [
      { provide: ConnectorRegistry, useValue: registry },
      { provide: ProviderCalls, useValue: calls },
      { provide: HeldPages, useValue: new HeldPages(gateRedis, redis.prefix, rpc.maxMessageBytes) },
      ...(tokenCache ? [{ provide: CachedTokenSource, useValue: tokenSource }] : []),
    ],
  })
  class ConnectorTestModule {}
  const nest = await createHttpApp(ConnectorTestModule, { service: 'connector-service', logger });
  await startRpcServer(nest, 'connector-service', rpc, redis, logger, undefined, undefined, gateRedis);
  await nest.init();
  return {
    close: async () => {
      await nest.close();
      await registry.close();
      await vault.close();
      gateRedis.disconnect();
    },
  };
}
