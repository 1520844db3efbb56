import { jest } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { addDays, AppError, draftDigest, localDateOf } from '@ais/domain';
import { bankProfile, providerCatalogue } from '@ais/connectors';
import type { RpcRequest, RpcResponse } from '@ais/contracts';
import { CircuitStore, createPrismaClient, type PrismaClient } from '@ais/db';
import { createHttpApp } from '@ais/http-kit';
import { createLogger, Metrics } from '@ais/observability';
import { createRpcClient, startRpcServer, type RpcClient } from '@ais/rpc';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { loadConnectorServiceConfig, type ConnectorServiceConfig } from '../src/connector-service.config.js';
import { startConnectorService } from '../src/connector-service.js';
import { Redis } from 'ioredis';
import { seedProviders } from '../src/provider-seed.js';
import {
  callbackParams,
  connectorTestEnv,
  failure,
  psuApproves,
  sandboxCounters,
  type SandboxUnderTest,
  startSandbox,
  TEST_REDIRECT_URI,
} from './sandbox.js';

// The connector-service in-process over a fresh database, Redis RPC and the sandbox banks over HTTP.
jest.setTimeout(90_000);

const REDIRECT = TEST_REDIRECT_URI;
const PSU = { ipAddress: '198.51.100.7' };
const logger = createLogger('connector-service-test', 'silent');

/** The consent-service's token vault, as far as the connector-service needs it (RPC peer). */
const vault = new Map<string, RpcResponse<'consent-service.getAccessToken'>>();
@Controller()
class VaultController {
  @MessagePattern('consent-service.getAccessToken')
  getAccessToken(
    @Payload() r: RpcRequest<'consent-service.getAccessToken'>,
  ): RpcResponse<'consent-service.getAccessToken'> {
    const token = vault.get(r.consentId);
    if (!token) throw new AppError('not_found', `No bank token for ${r.consentId}.`);
    return token;
  }
}
@Module({ controllers: [VaultController] })
class VaultModule {}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('connector-service over RPC, against the sandbox banks', () => {
  let sandbox: SandboxUnderTest;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let config: ConnectorServiceConfig;
  let service: NestFastifyApplication;
  let peer: NestFastifyApplication;
  let rpc: RpcClient;
  let baseUrl: string;

  beforeAll(async () => {
    [sandbox, db] = await Promise.all([startSandbox(), createTestDatabase('connrpc')]);
    config = loadConnectorServiceConfig(
      connectorTestEnv(db, sandbox, {
        CONNECTOR_BACKOFF_INITIAL_MS: '10',
        CONNECTOR_BACKOFF_MAX_MS: '50',
        CONNECTOR_BREAKER_FAILURES: '4',
        CONNECTOR_BREAKER_HALF_OPEN_MS: '500',
        RPC_TIMEOUT_MS: '30000',
      }),
    );
    service = await startConnectorService(config, logger, new Metrics('connector-service'), 0);
    baseUrl = `http://127.0.0.1:${(service.getHttpServer().address() as { port: number }).port}`;
    peer = await createHttpApp(VaultModule, { service: 'consent-service-stub', logger });
    await startRpcServer(peer, 'consent-service', config.rpc, config.redis, logger);
    await peer.init();
    rpc = createRpcClient('connector-service', config.rpc, config.redis);
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
  });
  afterAll(async () => {
    await rpc?.close();
    await peer?.close();
    await service?.close();
    await prisma?.$disconnect();
    await sandbox?.close();
    await db?.drop();
  });

  it('is ready on Postgres and Redis, seeds the provider catalogue idempotently and onboards the sandbox banks by itself', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { name: string; status: string }[] }).checks).toEqual([
      expect.objectContaining({ name: 'postgres', status: 'up' }),
      expect.objectContaining({ name: 'redis', status: 'up' }),
    ]);

    const expected = providerCatalogue({
      sandboxUrl: config.connectors.sandboxUrl,
      sandboxMtlsUrl: config.connectors.sandboxMtlsUrl,
    });
    const rows = await prisma.provider.findMany({ orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(expected.length);
    expect(rows.filter((r) => r.status === 'active').map((r) => r.id)).toEqual(['allstar', 'alsalam', 'saltbank']);
    expect(rows.find((r) => r.id === 'saltbank')!.capabilities).toEqual(
      JSON.parse(JSON.stringify(bankProfile('saltbank').capabilities)),
    );
    expect(rows.find((r) => r.id === 'ob-hsbc-personal')).toMatchObject({
      status: 'inactive',
      sortCodeRanges: ['[400000,490000)'],
    });
    await seedProviders(prisma, {
      sandboxUrl: config.connectors.sandboxUrl,
      sandboxMtlsUrl: config.connectors.sandboxMtlsUrl,
    });
    expect(await prisma.provider.count()).toBe(expected.length);

    const registrations = await eventually(
      () => prisma.providerRegistration.findMany({ orderBy: { providerId: 'asc' } }),
      (r) => r.length === 3,
    );
    expect(registrations.map((r) => [r.providerId, r.tokenEndpointAuthMethod])).toEqual([
      ['allstar', 'client_secret_basic'],
      ['alsalam', 'private_key_jwt'],
      ['saltbank', 'none'],
    ]);
    for (const r of registrations) {
      expect(r.secretsEncrypted).toMatch(/^v1\./);
      expect(r.secretsEncrypted).not.toContain('PRIVATE KEY');
    }
  });

  it('Salt Bank end to end through connector.*: consent, PKCE authorisation, data under the Postgres budget, revocation', async () => {
    await eventually(
      () => prisma.providerRegistration.count({ where: { providerId: 'saltbank' } }),
      (n) => n === 1,
    );
    const consentId = 'cns_rpc_salt';
    const consent = await rpc.send('connector.createConsent', {
      providerId: 'saltbank',
      consentId,
      permissions: ['accounts', 'balances', 'transactions'],
      frequencyPerDay: 1,
      redirectUri: REDIRECT,
      psu: PSU,
    });
    expect(consent).toMatchObject({ status: 'awaiting_authorisation', frequencyPerDay: 1 });
    const auth = await rpc.send('connector.buildAuthorisation', {
      providerId: 'saltbank',
      externalConsentId: consent.externalConsentId,
      redirectUri: REDIRECT,
      consentLinks: consent.links,
    });
    const callback = callbackParams(
      await psuApproves(auth.url, { username: 'max', password: 'max-pass', otp: '444444' }),
    );
    const tokens = await rpc.send('connector.exchangeCode', {
      providerId: 'saltbank',
      session: auth.session,
      callback,
    });
    vault.set(consentId, {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      externalConsentId: tokens.externalConsentId,
      expiresAt: tokens.accessTokenExpiresAt,
    });
    expect(
      (
        await rpc.send('connector.getConsentStatus', {
          providerId: 'saltbank',
          externalConsentId: consent.externalConsentId,
        })
      ).status,
    ).toBe('authorised');

    const context = { consentId, frequencyPerDay: 1, authorisedAt: new Date().toISOString() };
    const { accounts } = await rpc.send('connector.listAccounts', {
      providerId: 'saltbank',
      context: { ...context, psu: PSU },
    });
    expect(accounts).toHaveLength(2);
    const accountIds = accounts.map((a) => a.externalId);
    const balances = await rpc.send('connector.getBalances', { providerId: 'saltbank', context, accountIds });
    expect(balances.accounts.every((b) => b.balances.every((x) => typeof x.amount.amount === 'string'))).toBe(true);
    // frequencyPerDay 1: the second unattended read is refused by the guard, before the bank.
    expect(
      (await failure(rpc.send('connector.getBalances', { providerId: 'saltbank', context, accountIds }))).code,
    ).toBe('budget_exhausted');
    expect(
      await prisma.accessLedgerEntry.count({ where: { consentId, psuPresent: false, resource: 'balances' } }),
    ).toBe(2);
    for (const row of (await sandboxCounters(sandbox.url, 'saltbank', consent.externalConsentId)).filter(
      (r) => r.resource === 'balances',
    )) {
      expect(row).toMatchObject({ unattended: 1, rejected429: 0 });
    }
    const today = localDateOf(new Date(), 'Europe/Berlin');
    const tx = await rpc.send('connector.getTransactionsPage', {
      providerId: 'saltbank',
      context: { ...context, psu: PSU },
      accountIds,
      from: addDays(today, -30),
      to: today,
    });
    expect(tx.accounts.flatMap((a) => a.transactions).length).toBeGreaterThan(0);
    // Each draft's digest, made with the page's text: the sync-worker compares windows by them.
    for (const a of tx.accounts) expect(a.digests).toEqual(a.transactions.map((t) => draftDigest(JSON.stringify(t))));

    await expect(
      rpc.send('connector.revokeConsent', { providerId: 'saltbank', externalConsentId: consent.externalConsentId }),
    ).resolves.toEqual({ revoked: true });
    const revoked = await failure(
      rpc.send('connector.listAccounts', { providerId: 'saltbank', context: { ...context, psu: PSU } }),
    );
    expect(revoked.code).toBe('consent_revoked');
    // The bank's detail travels to the RPC callers for operators (the gateway strips it); no secrets in it.
    expect(revoked.extensions.bank).toMatchObject({ consentStatus: 'revoked' });
    expect(JSON.stringify(revoked)).not.toContain(tokens.accessToken);
  });

  it('re-onboards Allstar by RPC with tls_client_auth: the encrypted registration carries its certificate into certificate-bound calls', async () => {
    const onboarded = await rpc.send('connector.onboard', {
      providerId: 'allstar',
      tokenEndpointAuthMethod: 'tls_client_auth',
      force: true,
    });
    expect(onboarded).toMatchObject({
      providerId: 'allstar',
      tokenEndpointAuthMethod: 'tls_client_auth',
      source: 'dcr',
    });
    const consentId = 'cns_rpc_allstar';
    const consent = await rpc.send('connector.createConsent', {
      providerId: 'allstar',
      consentId,
      permissions: ['accounts', 'balances'],
      frequencyPerDay: 4,
      redirectUri: REDIRECT,
      psu: PSU,
    });
    const auth = await rpc.send('connector.buildAuthorisation', {
      providerId: 'allstar',
      externalConsentId: consent.externalConsentId,
      redirectUri: REDIRECT,
    });
    const callback = callbackParams(
      await psuApproves(auth.url, { username: 'alice', password: 'alice-pass', otp: '123456' }),
    );
    const tokens = await rpc.send('connector.exchangeCode', { providerId: 'allstar', session: auth.session, callback });
    expect(tokens.idTokenClaims).toMatchObject({ openbanking_intent_id: consent.externalConsentId });
    vault.set(consentId, {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      externalConsentId: tokens.externalConsentId,
      expiresAt: tokens.accessTokenExpiresAt,
    });
    const { accounts } = await rpc.send('connector.listAccounts', {
      providerId: 'allstar',
      context: { consentId, frequencyPerDay: 4, psu: PSU },
    });
    expect(accounts).toHaveLength(3);
    const plain = await fetch(`${sandbox.url}/allstar/open-banking/v3.1/aisp/accounts`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(plain.status).toBe(401);
  });

  it('publishes its circuit breaker to Redis while a bank fails, and clears it once a trial call succeeds', async () => {
    await eventually(
      () => prisma.providerRegistration.count({ where: { providerId: 'alsalam' } }),
      (n) => n === 1,
    );
    const redis = new Redis(config.redis.url);
    const circuits = new CircuitStore(redis, config.redis.prefix);
    const faults = (body: object | null) =>
      fetch(`${sandbox.url}/alsalam/sandbox/faults`, {
        method: body ? 'PATCH' : 'DELETE',
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const status = () =>
      rpc.send('connector.getConsentStatus', { providerId: 'alsalam', externalConsentId: 'no-such-consent' });
    try {
      await faults({ error503Rate: 1 });
      // Each call is retried: a few calls make the four consecutive failures that open it.
      let last: AppError | undefined;
      for (let i = 0; i < 5 && last?.extensions.circuit !== 'open'; i++) {
        last = await failure(status());
        expect(last.code).toBe('bank_unavailable');
      }
      expect(last!.extensions.circuit).toBe('open');
      // Published beside the RPC answer (another connection): read until it lands.
      const open = await eventually(
        async () => (await circuits.read(['alsalam'])).get('alsalam')!,
        (r) => r.state === 'open',
        5_000,
      );
      expect(open).toMatchObject({ state: 'open', instances: 1 });
      expect(open.halfOpenAt!.getTime() - open.since!.getTime()).toBe(500);
      expect((await circuits.read(['saltbank'])).get('saltbank')!.state).toBe('closed');

      await faults(null);
      await new Promise((r) => setTimeout(r, 600));
      // The trial call reaches the bank (which has no such consent) and closes the breaker.
      expect((await failure(status())).code).not.toBe('bank_unavailable');
      expect(
        await eventually(
          async () => (await circuits.read(['alsalam'])).get('alsalam')!.state,
          (state) => state === 'closed',
          5_000,
        ),
      ).toBe('closed');
    } finally {
      await faults(null);
      redis.disconnect();
    }
  });
});
