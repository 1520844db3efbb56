import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { AppError } from '@ais/domain';
import { createLogger } from '@ais/observability';
import { testEnv } from '@ais/testing';

/**
 * The sandbox banks (apps/sandbox-bank) in this process on ephemeral ports, over real HTTP and mTLS.
 * Loaded by path: Nx forbids importing an app as a module. Its own tests start it the same way.
 */
const SANDBOX_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sandbox-bank/src/sandbox.ts');

export interface SandboxUnderTest {
  url: string;
  mtlsUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the sandbox in memory: a restart on the same ports (`ports` of the previous one) is a bank
 * that forgot every client, consent and token and made itself a new CA.
 */
export async function startSandbox(
  ports: { port: number; mtlsPort: number } = { port: 0, mtlsPort: 0 },
): Promise<SandboxUnderTest> {
  const mod = (await import(SANDBOX_ENTRY)) as {
    startSandbox(o: Record<string, unknown>): Promise<{ url: string; mtlsUrl?: string; close(): Promise<void> }>;
  };
  const s = await mod.startSandbox({
    host: '127.0.0.1',
    port: ports.port,
    mtlsPort: ports.mtlsPort,
    seed: 'connector-service-tests',
    dataEpoch: '2024-01-01',
    clockScale: 1,
    pageSize: 100,
    mtlsEnabled: true,
    logger: createLogger('sandbox-under-test', 'silent'),
  });
  return { url: s.url, mtlsUrl: s.mtlsUrl!, close: () => s.close() };
}

async function http(url: string, init: { method?: 'GET' | 'POST'; form?: Record<string, string | string[]> } = {}) {
  let body: string | undefined;
  if (init.form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(init.form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    body = p.toString();
  }
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    body,
  });
  return { status: res.statusCode, location: res.headers.location as string | undefined, text: await res.body.text() };
}

/** The PSU on the bank's consent pages: sign in, OTP, accounts, approve. Answers the redirect back. */
export async function psuApproves(
  authorisationUrl: string,
  psu: { username: string; password: string; otp: string },
): Promise<string> {
  const start = await http(authorisationUrl);
  if (start.status !== 302 || !start.location)
    throw new Error(`authorisation URL answered ${start.status}: ${start.text.slice(0, 200)}`);
  const page = new URL(start.location, authorisationUrl).toString();
  await http(`${page}/login`, { method: 'POST', form: { username: psu.username, password: psu.password } });
  const otp = await http(`${page}/otp`, { method: 'POST', form: { otp: psu.otp } });
  const offered = [...otp.text.matchAll(/name="accountIds" value="([^"]+)"/g)].map((m) => m[1]);
  const done = await http(`${page}/accounts`, { method: 'POST', form: { accountIds: offered, decision: 'approve' } });
  if (done.status !== 302 || !done.location)
    throw new Error(`decision answered ${done.status}: ${done.text.slice(0, 200)}`);
  return done.location;
}

export function callbackParams(location: string): Record<string, string> {
  const url = new URL(location);
  return Object.fromEntries(url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams);
}

export async function sandboxCounters(
  sandboxUrl: string,
  bank: string,
  consentId: string,
): Promise<{ accountId: string; resource: string; unattended: number; psuPresent: number; rejected429: number }[]> {
  const r = await http(`${sandboxUrl}/${bank}/sandbox/counters?consentId=${encodeURIComponent(consentId)}`);
  return (JSON.parse(r.text) as { counters: never[] }).counters;
}

/** The AppError a call failed with (codes survive RPC); fails the test when it succeeds or fails otherwise. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

/** The callback the tests register at the banks. */
export const TEST_REDIRECT_URI = 'https://gateway.example/v1/callback';

/** A connector-service's test environment against this sandbox and database; `extra` adds or overrides. */
export function connectorTestEnv(
  db: { url: string },
  sandbox: { url: string; mtlsUrl: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return testEnv({
    DATABASE_URL: db.url,
    NODE_ENV: 'test',
    CONNECTOR_SANDBOX_URL: sandbox.url,
    CONNECTOR_SANDBOX_MTLS_URL: sandbox.mtlsUrl,
    CONNECTOR_ONBOARD_ON_START: 'true',
    TPP_REDIRECT_URI: TEST_REDIRECT_URI,
    ...extra,
  });
}
