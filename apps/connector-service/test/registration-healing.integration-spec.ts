import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPrismaClient, type PrismaClient } from '@ais/db';
import { createLogger, Metrics } from '@ais/observability';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { loadConnectorServiceConfig, type ConnectorServiceConfig } from '../src/connector-service.config.js';
import { startConnectorService } from '../src/connector-service.js';
import {
  callbackParams,
  connectorTestEnv,
  failure,
  psuApproves,
  type SandboxUnderTest,
  startSandbox,
  TEST_REDIRECT_URI,
} from './sandbox.js';

// A bank that forgets our registration and regenerates its CA (the sandbox restarted in memory on the
// same ports): the connector-service registers again by itself, once per interval, audited and
// counted, and operators see in the gateway's provider health when that did not help.
jest.setTimeout(120_000);

const REDIRECT = TEST_REDIRECT_URI;
const PSU = { ipAddress: '198.51.100.7' };
const BANKS = ['allstar', 'alsalam', 'saltbank'] as const;
const logger = createLogger('registration-healing-test', 'silent');

/** The gateway in this process (loaded by path: an app never imports another app as a module). */
const GATEWAY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../gateway/src');
async function startGatewayOn(env: Record<string, string>): Promise<{ app: NestFastifyApplication; url: string }> {
  const { createGateway } = (await import(path.join(GATEWAY_DIR, 'bootstrap.ts'))) as {
    createGateway(config: unknown, logger: unknown): Promise<NestFastifyApplication>;
  };
  const { loadGatewayConfig } = (await import(path.join(GATEWAY_DIR, 'gateway.config.ts'))) as {
    loadGatewayConfig(env: Record<string, string>): unknown;
  };
  const app = await createGateway(loadGatewayConfig(env), logger);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

describe('connector-service: self-healing registrations against the sandbox banks', () => {
  let sandbox: SandboxUnderTest;
  let ports: { port: number; mtlsPort: number };
  let db: TestDatabase;
  let prisma: PrismaClient;
  let env: Record<string, string>;
  let config: ConnectorServiceConfig;
  let service: NestFastifyApplication;
  let serviceUrl: string;
  let gateway: { app: NestFastifyApplication; url: string };
  let rpc: RpcClient;

  const admin = async (p: string) => {
    const res = await fetch(`${gateway.url}${p}`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    return (await res.json()) as any;
  };
  const clientIds = async () =>
    Object.fromEntries((await prisma.providerRegistration.findMany()).map((r) => [r.providerId, r.clientId]));
  const metric = async (provider: string, outcome: string) => {
    const text = await (await fetch(`${serviceUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('connector_reregistrations_total{') &&
          l.includes(`provider="${provider}"`) &&
          l.includes(`outcome="${outcome}"`),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const createConsent = (providerId: string, consentId: string) =>
    rpc.send('connector.createConsent', {
      providerId,
      consentId,
      permissions: ['accounts', 'balances', 'transactions'],
      frequencyPerDay: 4,
      redirectUri: REDIRECT,
      psu: PSU,
    });
  /** The bank restarts without its state: clients, consents and tokens forgotten, a new CA. */
  const restartBank = async () => {
    await sandbox.close();
    sandbox = await startSandbox(ports);
  };

  beforeAll(async () => {
    [sandbox, db] = await Promise.all([startSandbox(), createTestDatabase('reheal')]);
    ports = { port: Number(new URL(sandbox.url).port), mtlsPort: Number(new URL(sandbox.mtlsUrl).port) };
    env = connectorTestEnv(db, sandbox, {
      CONNECTOR_BACKOFF_INITIAL_MS: '10',
      CONNECTOR_BACKOFF_MAX_MS: '50',
      CONNECTOR_REREGISTER_INTERVAL_SECONDS: '300',
      RPC_TIMEOUT_MS: '60000',
    });
    config = loadConnectorServiceConfig(env);
    service = await startConnectorService(config, logger, new Metrics('connector-service'), 0);
    serviceUrl = `http://127.0.0.1:${(service.getHttpServer().address() as { port: number }).port}`;
    rpc = createRpcClient('connector-service', config.rpc, config.redis);
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
    gateway = await startGatewayOn(env);
    for (let i = 0; i < 200 && (await prisma.providerRegistration.count()) < BANKS.length; i++)
      await new Promise((r) => setTimeout(r, 150));
  });
  afterAll(async () => {
    await rpc?.close();
    await gateway?.app.close();
    await service?.close();
    await prisma?.$disconnect();
    await sandbox?.close();
    await db?.drop();
  });

  it('registers again at each bank after it forgot our client and its CA, and the consent creation succeeds: audited, counted, no secrets', async () => {
    for (const bank of BANKS) await createConsent(bank, `cns_before_${bank}`); // clients, tokens and TLS sessions in use
    const before = await clientIds();
    expect(Object.keys(before).sort()).toEqual([...BANKS]);

    await restartBank();
    for (const bank of BANKS) {
      const consent = await createConsent(bank, `cns_after_${bank}`);
      expect(consent).toMatchObject({ status: 'awaiting_authorisation' });
    }
    const after = await clientIds();
    for (const bank of BANKS) {
      expect(after[bank]).not.toBe(before[bank]);
      expect(await metric(bank, 'succeeded')).toBe(1);
    }

    // The new registration works through the whole flow: an authorisation and its code exchange.
    const consent = await createConsent('alsalam', 'cns_flow_alsalam');
    const auth = await rpc.send('connector.buildAuthorisation', {
      providerId: 'alsalam',
      externalConsentId: consent.externalConsentId,
      redirectUri: REDIRECT,
      consentLinks: consent.links,
    });
    const callback = callbackParams(
      await psuApproves(auth.url, { username: 'fatima', password: 'fatima-pass', otp: '111111' }),
    );
    await expect(
      rpc.send('connector.exchangeCode', { providerId: 'alsalam', session: auth.session, callback }),
    ).resolves.toMatchObject({ externalConsentId: consent.externalConsentId });

    const audit = await admin('/admin/audit-log?limit=50');
    const entries = (audit.data as any[]).filter((e) => e.action === 'provider.reregistered');
    expect(entries.map((e) => e.targetId).sort()).toEqual([...BANKS]);
    for (const e of entries) {
      expect(e).toMatchObject({
        actor: 'connector-service',
        targetType: 'provider',
        details: { previousClientId: before[e.targetId], clientId: after[e.targetId], identity: 'sandbox_directory' },
      });
    }
    expect(entries.find((e) => e.targetId === 'alsalam').details).toMatchObject({
      rejection: 'registration',
      bank: expect.stringContaining('invalid_client'),
    });
    expect(entries.find((e) => e.targetId === 'saltbank').details).toMatchObject({ rejection: 'certificate' });
    const text = JSON.stringify(audit);
    expect(text).not.toMatch(/PRIVATE KEY|client_secret"|secretsEncrypted/);

    // Healed: health sees the consent creations succeed and no rejection.
    const health = await admin('/admin/providers/health');
    for (const bank of BANKS) {
      const p = (health.data as any[]).find((x) => x.providerId === bank);
      expect(p).toMatchObject({
        verdict: 'healthy',
        registration: { present: true, clientId: after[bank], rejectedSince: null },
      });
      expect(p.operations.consentCreations.lastHour.succeeded).toBeGreaterThanOrEqual(2);
    }
  });

  it('within the interval a second rejection does not register again: bank_unauthorised without secrets, and health says since when the bank rejects us', async () => {
    const before = await clientIds();
    const audited = (await admin('/admin/audit-log?limit=50')).data.length;
    await restartBank();
    const started = Date.now();

    const error = await failure(createConsent('alsalam', 'cns_again_alsalam'));
    expect(error.code).toBe('bank_unauthorised');
    expect(error.detail).toContain('registration');
    expect(JSON.stringify(error)).not.toMatch(/PRIVATE KEY|eyJ[A-Za-z0-9_-]{10,}/);
    const second = await failure(createConsent('alsalam', 'cns_again2_alsalam'));
    expect(second.code).toBe('bank_unauthorised');

    expect((await clientIds()).alsalam).toBe(before.alsalam);
    expect(await metric('alsalam', 'succeeded')).toBe(1);
    expect(await metric('alsalam', 'skipped')).toBe(2);
    expect((await admin('/admin/audit-log?limit=50')).data.length).toBe(audited);

    const health = await admin('/admin/providers/health');
    const alsalam = (health.data as any[]).find((x) => x.providerId === 'alsalam');
    expect(alsalam.verdict).toBe('down');
    const since = Date.parse(alsalam.registration.rejectedSince);
    expect(since).toBeGreaterThanOrEqual(started - 1000);
    expect(alsalam.registration).toMatchObject({
      rejected: 'registration',
      rejectionDetail: expect.stringContaining('invalid_client'),
      nextReregistrationAt: expect.any(String),
    });
    expect(alsalam.reasons[0]).toMatch(
      new RegExp(
        `^The bank rejects our registration \\(it does not know our client\\) since ${alsalam.registration.rejectedSince.replace(/[.]/g, '\\.')}\\.`,
      ),
    );
    expect(alsalam.reasons[0]).toContain('onboard the provider with force');
    expect(alsalam.operations.consentCreations.lastHour).toMatchObject({
      failed: 2,
      errors: [{ code: 'bank_unauthorised', count: 2 }],
    });
    expect(JSON.stringify(health)).not.toMatch(/PRIVATE KEY|secretsEncrypted/);
  });

  it('a bank that fails consent creations is not healthy, whatever its syncs say', async () => {
    // Allstar's registration was renewed an interval ago too: renew it by hand (an operator's onboarding) so it works again.
    await rpc.send('connector.onboard', { providerId: 'allstar', force: true }, 60_000);
    await createConsent('allstar', 'cns_ok_allstar');
    let health = await admin('/admin/providers/health');
    const healed = (health.data as any[]).find((x) => x.providerId === 'allstar');
    expect(healed.verdict).toBe('healthy');
    expect(healed.registration.rejectedSince ?? null).toBeNull();

    await fetch(`${sandbox.url}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: { status: 500, count: 3 }, pathContains: 'account-access-consents' }),
    });
    for (let i = 0; i < 3; i++)
      expect((await failure(createConsent('allstar', `cns_fail_${i}`))).code).toBe('bank_unavailable');
    health = await admin('/admin/providers/health');
    const allstar = (health.data as any[]).find((x) => x.providerId === 'allstar');
    expect(allstar.verdict).toBe('down');
    expect(allstar.lastHour.runs).toBe(0);
    expect(allstar.reasons).toEqual([
      expect.stringMatching(/^\d+% of the consent creations in the last hour failed \(bank_unavailable\)\.$/),
    ]);
    expect(await metric('allstar', 'skipped')).toBe(0);
  });
});
