import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { request } from 'undici';
import { createLogger } from '@ais/observability';
import {
  createConnector,
  DEFAULT_RESILIENCE,
  InMemoryAccessGuard,
  InMemoryTokenSource,
  providerCatalogue,
  type AuthorisationCallback,
  type BankConsent,
  type BankTokenSet,
  type ClientAuthMethod,
  type ClosableConnector,
  type ConnectorDeps,
  type HttpExchange,
  type ProviderRegistration,
  type ResilienceSettings,
  type TppIdentity,
} from '../src/index.js';

/**
 * Test harness: the sandbox banks (apps/sandbox-bank) started in this process on ephemeral ports,
 * driven over real HTTP (plain and mutual TLS). The sandbox is the banks' test double: never mocked.
 * It is loaded by path because Nx forbids importing an app as a module; its own tests start it the
 * same way (startSandbox with port 0).
 */
const SANDBOX_ENTRY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../apps/sandbox-bank/src/sandbox.ts',
);

export type BankId = 'allstar' | 'alsalam' | 'saltbank';

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
  /** Al Salam's fixture for the seed-003 data quirks (unsigned transfers, year-0001 booking dates). */
  layla: { username: 'layla', password: 'layla-pass', otp: '333333' },
  max: { username: 'max', password: 'max-pass', otp: '444444' },
  erika: { username: 'erika', password: 'erika-pass', otp: '555555' },
  /** Salt Bank's PSU with a card account. */
  jonas: { username: 'jonas', password: 'jonas-pass', otp: '666666' },
} satisfies Record<string, Psu>;

export const REDIRECT_URI = 'https://gateway.example/v1/callback';
export const PSU_IP = '198.51.100.7';

/** Fast retries, a breaker that does not trip by accident, and no outbound throttling to speak of. */
export const TEST_RESILIENCE: ResilienceSettings = {
  ...DEFAULT_RESILIENCE,
  timeoutMs: 5_000,
  maxAttempts: 3,
  initialBackoffMs: 10,
  maxBackoffMs: 50,
  maxInlineRetryAfterMs: 2_000,
  breakerConsecutiveFailures: 1_000,
  breakerHalfOpenAfterMs: 1_000,
  ratePerSecond: 1_000,
  burst: 1_000,
};

interface RawSandbox {
  url: string;
  mtlsUrl?: string;
  close(): Promise<void>;
}

export interface Http {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

/** A port free on 127.0.0.1 right now (the sandbox binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Http> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { status: res.statusCode, headers, text, json };
}

function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };

export interface CounterRow {
  consentId: string;
  accountId: string;
  resource: string;
  unattended: number;
  psuPresent: number;
  rejected429: number;
  unattendedInWindow: number;
}

/** One in-process sandbox and its control API (clock, faults, counters, oracle, bank-side revocation). */
export class Sandbox {
  private constructor(
    private readonly raw: RawSandbox,
    readonly url: string,
    readonly mtlsUrl: string,
  ) {}

  /**
   * `hosts`: the name the bank writes into its discovery, issuer, links and SSAs (`advertised`, what
   * the browser opens) and the name the connectors and this harness call it by (`connector`), e.g.
   * `npm start`'s localhost vs 127.0.0.1. Without it both are 127.0.0.1 (mTLS: localhost).
   */
  static async start(
    options: { pageSize?: number; clockStart?: string; hosts?: { advertised: string; connector: string } } = {},
  ): Promise<Sandbox> {
    const mod = (await import(SANDBOX_ENTRY)) as { startSandbox(o: Record<string, unknown>): Promise<RawSandbox> };
    const hosts = options.hosts;
    // The advertised URLs carry the port, so with two names the ports are chosen before the start.
    const [port, mtlsPort] = hosts ? [await freePort(), await freePort()] : [0, 0];
    const raw = await mod.startSandbox({
      host: '127.0.0.1',
      port,
      mtlsPort,
      ...(hosts
        ? {
            publicUrl: `http://${urlHost(hosts.advertised)}:${port}`,
            mtlsPublicUrl: `https://${urlHost(hosts.advertised)}:${mtlsPort}`,
          }
        : {}),
      seed: 'connector-tests',
      dataEpoch: '2024-01-01',
      clockStart: options.clockStart,
      clockScale: 1,
      pageSize: options.pageSize ?? 100,
      mtlsEnabled: true,
      logger: createLogger('sandbox-under-test', 'silent'),
    });
    if (!raw.mtlsUrl) throw new Error('the sandbox started without its mTLS listener');
    if (hosts)
      return new Sandbox(
        raw,
        `http://${urlHost(hosts.connector)}:${port}`,
        `https://${urlHost(hosts.connector)}:${mtlsPort}`,
      );
    return new Sandbox(raw, raw.url, raw.mtlsUrl);
  }

  close(): Promise<void> {
    return this.raw.close();
  }

  get(url: string): Promise<Http> {
    return http(url.startsWith('http') ? url : `${this.url}${url}`);
  }

  private async control(method: string, p: string, body?: unknown): Promise<any> {
    const r = await http(`${this.url}${p}`, {
      method,
      headers: body === undefined ? {} : JSON_CT,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
    return r.json;
  }

  faults(
    bank: BankId,
    patch: Record<string, unknown>,
  ): Promise<{ faults: Record<string, unknown>; injected: Record<string, number> }> {
    return this.control('PATCH', `/${bank}/sandbox/faults`, patch);
  }

  injected(bank: BankId): Promise<Record<string, number>> {
    return this.control('GET', `/${bank}/sandbox/faults`).then((r) => r.injected);
  }

  resetFaults(bank: BankId): Promise<unknown> {
    return this.control('DELETE', `/${bank}/sandbox/faults`);
  }

  async counters(bank: BankId, consentId: string): Promise<CounterRow[]> {
    return (await this.control('GET', `/${bank}/sandbox/counters?consentId=${encodeURIComponent(consentId)}`)).counters;
  }

  summary(
    bank: BankId,
    username: string,
    from?: string,
  ): Promise<{
    asOf: string;
    accounts: {
      accountId: string;
      currency: string;
      identifiers: { scheme: string; identification: string }[];
      booked: { count: number; sum: string };
      pending: { count: number; sum: string };
    }[];
  }> {
    return this.control('GET', `/${bank}/sandbox/psus/${username}/summary${from ? `?from=${from}` : ''}`);
  }

  revokeAtBank(bank: BankId, consentId: string): Promise<unknown> {
    return this.control('POST', `/${bank}/sandbox/consents/${encodeURIComponent(consentId)}/revoke`);
  }

  expireAtBank(bank: BankId, consentId: string): Promise<unknown> {
    return this.control('POST', `/${bank}/sandbox/consents/${encodeURIComponent(consentId)}/expire`);
  }

  advanceClock(bank: BankId, by: { hours?: number; days?: number; minutes?: number }): Promise<{ now: string }> {
    return this.control('POST', `/${bank}/sandbox/clock/advance`, by);
  }

  async bankNow(bank: BankId): Promise<Date> {
    return new Date((await this.control('GET', `/${bank}/sandbox/clock`)).now as string);
  }

  /**
   * The gateway's identity towards the banks, from the sandbox directory (the OBIE Directory and
   * QTSP stand-in): a PS256 signing key, a software statement listing REDIRECT_URI and its public
   * keys, and a transport certificate issued by the sandbox CA.
   */
  async tppIdentity(options: { transport?: boolean } = {}): Promise<TppIdentity> {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub);
    const ssa = await this.control('POST', '/directory/software-statements', {
      client_name: 'AIS Gateway (tests)',
      redirect_uris: [REDIRECT_URI],
      jwks: { keys: [{ ...pub, kid, alg: 'PS256', use: 'sig' }] },
    });
    const identity: TppIdentity = {
      clientName: 'AIS Gateway (tests)',
      signingKey: { kid, alg: 'PS256', privateJwk },
      softwareId: ssa.software_id,
      organisationId: ssa.org_id,
      softwareStatement: ssa.software_statement,
      jwksUri: ssa.software_jwks_endpoint,
    };
    if (options.transport ?? true) {
      const cert = await this.control('POST', '/directory/certificates', { software_id: ssa.software_id });
      identity.transport = {
        certPem: cert.certificate_pem,
        keyPem: cert.private_key_pem,
        caPem: cert.ca_pem,
        subjectDn: cert.subject_dn,
      };
    }
    return identity;
  }

  /**
   * The PSU at the bank: opens the authorisation URL, signs in (username + password), enters the OTP,
   * picks accounts and decides, with plain HTML form posts. Answers the redirect back to the TPP.
   */
  async psuApproves(
    authorisationUrl: string,
    psu: Psu,
    options: { pick?: (offered: string[]) => string[]; decision?: 'approve' | 'deny' } = {},
  ): Promise<string> {
    const start = await http(authorisationUrl);
    if (start.status !== 302 || !start.headers.location)
      throw new Error(`authorisation URL answered ${start.status}: ${start.text.slice(0, 300)}`);
    const page = new URL(start.headers.location, authorisationUrl).toString();
    const first = await http(page);
    if (first.status !== 200) throw new Error(`consent page answered ${first.status}`);
    const login = await http(`${page}/login`, {
      method: 'POST',
      headers: FORM,
      body: form({ username: psu.username, password: psu.password }),
    });
    if (login.status !== 200) throw new Error(`login answered ${login.status}`);
    const otp = await http(`${page}/otp`, { method: 'POST', headers: FORM, body: form({ otp: psu.otp }) });
    if (otp.status !== 200) throw new Error(`otp answered ${otp.status}`);
    const offered = [...otp.text.matchAll(/name="accountIds" value="([^"]+)"/g)].map((m) => m[1]);
    const chosen = options.pick ? options.pick(offered) : offered;
    const decided = await http(`${page}/accounts`, {
      method: 'POST',
      headers: FORM,
      body: form({ accountIds: chosen, decision: options.decision ?? 'approve' }),
    });
    if (decided.status !== 302 || !decided.headers.location)
      throw new Error(`decision answered ${decided.status}: ${decided.text.slice(0, 300)}`);
    return decided.headers.location;
  }

  /** Onboards at the Salt Bank / Al Salam developer portal or Allstar DCR through the connector. */
  async onboard(
    bank: BankId,
    method?: ClientAuthMethod,
    deps: Partial<ConnectorDeps> = {},
  ): Promise<ProviderRegistration> {
    const connector = this.connector(bank, undefined, deps).connector;
    try {
      return await connector.onboard({
        redirectUris: [REDIRECT_URI],
        tpp: await this.tppIdentity(),
        ...(method ? { tokenEndpointAuthMethod: method } : {}),
      });
    } finally {
      await connector.close();
    }
  }

  /** The connector of a sandbox bank, as the connector-service would build it from its catalogue row. */
  connector(
    bank: BankId,
    registration: ProviderRegistration | undefined,
    deps: Partial<ConnectorDeps> & { guardNow?: () => Date } = {},
  ): TestConnector {
    const row = providerCatalogue({ sandboxUrl: this.url, sandboxMtlsUrl: this.mtlsUrl }).find((p) => p.id === bank)!;
    const guard = new InMemoryAccessGuard(deps.guardNow ?? deps.now);
    const tokens = new InMemoryTokenSource();
    const exchanges: HttpExchange[] = [];
    const connector = createConnector(row, registration, {
      accessGuard: guard,
      tokenSource: tokens,
      resilience: TEST_RESILIENCE,
      observer: (e) => exchanges.push(e),
      ...deps,
    });
    return new TestConnector(this, bank, connector, guard, tokens, exchanges);
  }
}

/** The PSU's answer on the redirect, as the gateway's callback would read it. */
export function callbackOf(location: string): AuthorisationCallback {
  const url = new URL(location);
  const params = url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
  const out: AuthorisationCallback = {};
  for (const k of ['code', 'state', 'id_token', 'error', 'error_description'] as const) {
    const v = params.get(k);
    if (v !== null) out[k] = v;
  }
  return out;
}

export interface AuthorisedConsent {
  consentId: string;
  consent: BankConsent;
  tokens: BankTokenSet;
  authorisedAt: string;
}

/** A connector under test with its in-memory ports and everything it sent (for conformance checks). */
export class TestConnector {
  constructor(
    readonly sandbox: Sandbox,
    readonly bank: BankId,
    readonly connector: ClosableConnector,
    readonly guard: InMemoryAccessGuard,
    readonly tokens: InMemoryTokenSource,
    readonly exchanges: HttpExchange[],
  ) {}

  close(): Promise<void> {
    return this.connector.close();
  }

  /** The whole authorisation: consent at the bank, the PSU's approval on the bank pages, code exchange. */
  async authorise(options: {
    psu: Psu;
    permissions?: BankConsent['permissions'];
    frequencyPerDay?: number;
    pick?: (ids: string[]) => string[];
    transactionsFrom?: string;
    /** A dedicated-account consent: the accounts it names. */
    accounts?: { scheme: 'iban'; identification: string }[];
  }): Promise<AuthorisedConsent> {
    const consentId = `cns_${randomUUID()}`;
    const consent = await this.connector.createConsent({
      consentId,
      permissions: options.permissions ?? ['accounts', 'balances', 'transactions'],
      frequencyPerDay: options.frequencyPerDay ?? 4,
      redirectUri: REDIRECT_URI,
      psu: { ipAddress: PSU_IP },
      ...(options.transactionsFrom ? { transactionsFrom: options.transactionsFrom } : {}),
      ...(options.accounts ? { accounts: options.accounts } : {}),
    });
    const auth = await this.connector.buildAuthorisation({
      externalConsentId: consent.externalConsentId,
      redirectUri: REDIRECT_URI,
      consentLinks: consent.links,
      psu: { ipAddress: PSU_IP },
    });
    const location = await this.sandbox.psuApproves(auth.url, options.psu, { pick: options.pick });
    const tokens = await this.connector.exchangeCode({ session: auth.session, callback: callbackOf(location) });
    this.tokens.set(consentId, {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      externalConsentId: tokens.externalConsentId,
      expiresAt: tokens.accessTokenExpiresAt,
    });
    return { consentId, consent, tokens, authorisedAt: new Date().toISOString() };
  }
}
