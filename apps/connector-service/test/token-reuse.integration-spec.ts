import { jest } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { addDays, AppError, readTransactionWindow } from '@ais/domain';
import type { ConnectorTokenSet, RpcRequest, RpcResponse } from '@ais/contracts';
import { createPrismaClient, type PrismaClient } from '@ais/db';
import { createHttpApp } from '@ais/http-kit';
import { createLogger, Metrics } from '@ais/observability';
import { createRpcClient, startRpcServer, type RpcClient } from '@ais/rpc';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { loadConnectorServiceConfig, type ConnectorServiceConfig } from '../src/connector-service.config.js';
import { startConnectorService } from '../src/connector-service.js';
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

// The connector-service in-process over a fresh database and Redis RPC, the sandbox banks over HTTP,
// and a consent-service vault stand-in that counts how often the connector-service asks it for a token.
jest.setTimeout(90_000);

const REDIRECT = TEST_REDIRECT_URI;
const PSU = { ipAddress: '198.51.100.7' };
const logger = createLogger('connector-service-test', 'silent');
/** The consent-service's default TOKEN_REFRESH_MARGIN_SECONDS. */
const REFRESH_MARGIN_MS = 120_000;

/**
 * The vault as the connector-service sees it: the consent's current bank tokens, and when the vault
 * would refresh them (the margin before expiry, capped at half the lifetime), as the real one says.
 */
const vault = new Map<string, { tokens: ConnectorTokenSet; revoked: boolean }>();
const asked = new Map<string, number>();
@Controller()
class VaultController {
  @MessagePattern('consent-service.getAccessToken')
  getAccessToken(
    @Payload() r: RpcRequest<'consent-service.getAccessToken'>,
  ): RpcResponse<'consent-service.getAccessToken'> {
    asked.set(r.consentId, (asked.get(r.consentId) ?? 0) + 1);
    const held = vault.get(r.consentId);
    if (!held) throw new AppError('not_found', `No bank token for ${r.consentId}.`);
    if (held.revoked) throw new AppError('consent_revoked', 'The consent has been revoked.');
    const { tokens } = held;
    const expiresAt = Date.parse(tokens.accessTokenExpiresAt!);
    const lifetime = tokens.obtainedAt ? expiresAt - Date.parse(tokens.obtainedAt) : Number.POSITIVE_INFINITY;
    const refreshAt = new Date(expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 2)).toISOString();
    return {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      externalConsentId: tokens.externalConsentId,
      expiresAt: tokens.accessTokenExpiresAt,
      refreshAt,
    };
  }
}
@Module({ controllers: [VaultController] })
class VaultModule {}

describe('bank tokens in the connector-service: one trip to the vault per token, not per page', () => {
  let sandbox: SandboxUnderTest;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let config: ConnectorServiceConfig;
  let service: NestFastifyApplication;
  let peer: NestFastifyApplication;
  let rpc: RpcClient;

  /** Creates and authorises a bank consent at Allstar (alice approves) for the gateway consent `consentId`; the vault holds its tokens. */
  async function authorise(consentId: string): Promise<ConnectorTokenSet> {
    const consent = await rpc.send('connector.createConsent', {
      providerId: 'allstar',
      consentId,
      permissions: ['accounts', 'balances', 'transactions'],
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
    vault.set(consentId, { tokens, revoked: false });
    return tokens;
  }

  /** Calls the bank answered for a bank consent, PSU present (never budget-limited), per resource. */
  async function bankCalls(externalConsentId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await sandboxCounters(sandbox.url, 'allstar', externalConsentId))
      out[c.resource] = (out[c.resource] ?? 0) + c.psuPresent;
    return out;
  }

  const context = (consentId: string) => ({ consentId, frequencyPerDay: 4, psu: PSU });

  beforeAll(async () => {
    [sandbox, db] = await Promise.all([startSandbox(), createTestDatabase('tokenreuse')]);
    config = loadConnectorServiceConfig(
      connectorTestEnv(db, sandbox, {
        RPC_TIMEOUT_MS: '30000',
      }),
    );
    service = await startConnectorService(config, logger, new Metrics('connector-service'), 0);
    peer = await createHttpApp(VaultModule, { service: 'consent-service-stub', logger });
    await startRpcServer(peer, 'consent-service', config.rpc, config.redis, logger);
    await peer.init();
    rpc = createRpcClient('connector-service', config.rpc, config.redis);
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
    const until = Date.now() + 30_000;
    while ((await prisma.providerRegistration.count({ where: { providerId: 'allstar' } })) === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    // Small pages: a month of transactions is many of them.
    await fetch(`${sandbox.url}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: 2 }),
    });
  });
  afterAll(async () => {
    await rpc?.close();
    await peer?.close();
    await service?.close();
    await prisma?.$disconnect();
    await sandbox?.close();
    await db?.drop();
  });

  it('asks the vault once for a sync of many pages, not once per page', async () => {
    const consentId = 'cns_pages';
    const tokens = await authorise(consentId);
    asked.set(consentId, 0);

    const { accounts } = await rpc.send('connector.listAccounts', {
      providerId: 'allstar',
      context: context(consentId),
    });
    expect(accounts).toHaveLength(3);
    const to = new Date().toISOString().slice(0, 10);
    const accountIds = [accounts[0].externalId];
    const transactions = await readTransactionWindow(accountIds, (cursor) =>
      rpc.send('connector.getTransactionsPage', {
        providerId: 'allstar',
        context: context(consentId),
        accountIds,
        from: addDays(to, -30),
        to,
        ...(cursor === undefined ? {} : { cursor }),
      }),
    );
    expect([...transactions.keys()]).toEqual(accountIds);

    const calls = await bankCalls(tokens.externalConsentId);
    expect(calls.accounts).toBe(1);
    expect(calls.transactions).toBeGreaterThanOrEqual(3); // 2 transactions a page
    // A connector call per page, four pages or more: one token, asked for once.
    expect(asked.get(consentId)).toBe(1);
  });

  it('does not reuse a token whose bank consent was revoked at the bank: the vault’s newer one is used', async () => {
    const consentId = 'cns_reauthorised';
    const first = await authorise(consentId);
    await rpc.send('connector.listAccounts', { providerId: 'allstar', context: context(consentId) });
    // Re-authorised: a new bank consent and tokens in the vault, and the old consent revoked at the
    // bank (its tokens with it) without this connector-service hearing of it.
    const second = await authorise(consentId);
    const revoked = await fetch(
      `${sandbox.url}/allstar/sandbox/consents/${encodeURIComponent(first.externalConsentId)}/revoke`,
      { method: 'POST' },
    );
    expect(revoked.status).toBeLessThan(300);
    asked.set(consentId, 0);

    const { accounts } = await rpc.send('connector.listAccounts', {
      providerId: 'allstar',
      context: context(consentId),
    });
    expect(accounts).toHaveLength(3);
    expect(asked.get(consentId)).toBe(1);
    expect((await bankCalls(second.externalConsentId)).accounts).toBe(1);
  });

  it('drops a token the bank refuses with its consent, and asks the vault again on the next call', async () => {
    const consentId = 'cns_revoked';
    const tokens = await authorise(consentId);
    await rpc.send('connector.listAccounts', { providerId: 'allstar', context: context(consentId) });
    const revoked = await fetch(
      `${sandbox.url}/allstar/sandbox/consents/${encodeURIComponent(tokens.externalConsentId)}/revoke`,
      { method: 'POST' },
    );
    expect(revoked.status).toBeLessThan(300);
    asked.set(consentId, 0);

    const refused = await failure(
      rpc.send('connector.listAccounts', { providerId: 'allstar', context: context(consentId) }),
    );
    expect(refused.code).toBe('consent_revoked');
    expect(refused.extensions.bank).toMatchObject({ consentStatus: 'Revoked' });
    expect(JSON.stringify(refused)).not.toContain(tokens.accessToken);
    const asksAfterRefusal = asked.get(consentId)!;
    expect(asksAfterRefusal).toBeLessThanOrEqual(1);

    // The vault has heard of it now; the refused token is not sent to the bank again.
    vault.get(consentId)!.revoked = true;
    const before = await bankCalls(tokens.externalConsentId);
    const next = await failure(
      rpc.send('connector.listAccounts', { providerId: 'allstar', context: context(consentId) }),
    );
    expect(next.code).toBe('consent_revoked');
    expect(next.extensions.bank).toBeUndefined();
    expect(asked.get(consentId)).toBe(asksAfterRefusal + 1);
    expect(await bankCalls(tokens.externalConsentId)).toEqual(before);
  });

  it('moves a whole history a bank page at a time: no RPC message grows with the account', async () => {
    await fetch(`${sandbox.url}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: null }),
    });
    const consentId = 'cns_history';
    await authorise(consentId);
    const { accounts } = await rpc.send('connector.listAccounts', {
      providerId: 'allstar',
      context: context(consentId),
    });
    const accountIds = accounts.map((a) => a.externalId);
    const to = new Date().toISOString().slice(0, 10);
    const sizes: number[] = [];
    const history = await readTransactionWindow(accountIds, async (cursor) => {
      const page = await rpc.send('connector.getTransactionsPage', {
        providerId: 'allstar',
        context: context(consentId),
        accountIds,
        from: addDays(to, -730),
        to,
        ...(cursor === undefined ? {} : { cursor }),
      });
      sizes.push(Buffer.byteLength(JSON.stringify(page)));
      return page;
    });
    const all = [...history.values()].flat();
    // The whole history in one message, as the RPC used to carry it, would be well over 1 MB.
    expect(Buffer.byteLength(JSON.stringify(all))).toBeGreaterThan(1_048_576);
    expect(Math.max(...sizes)).toBeLessThan(1_048_576 / 2);
    expect(sizes.length).toBeGreaterThan(3);
    // Identities numbered over the window, exactly once each per account.
    for (const list of history.values()) expect(new Set(list.map((t) => t.identityKey)).size).toBe(list.length);
  });
});
