import { jest } from '@jest/globals';
import { AppError } from '@ais/domain';
import type { ProviderRegistration, ResilienceSettings } from '../src/index.js';
import {
  PSU_IP,
  PSUS,
  Sandbox,
  TEST_RESILIENCE,
  type AuthorisedConsent,
  type BankId,
  type Psu,
  type TestConnector,
} from './sandbox.js';

// Real sockets; some cases wait out latency, Retry-After and the breaker's half-open delay.
jest.setTimeout(60_000);

const psu = { ipAddress: PSU_IP };

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

const PSU_OF: Record<BankId, Psu> = { allstar: PSUS.alice, alsalam: PSUS.fatima, saltbank: PSUS.max };

describe('the sandbox fault knobs, mapped to the normalised error codes', () => {
  let sandbox: Sandbox;
  const registrations = {} as Record<BankId, ProviderRegistration>;
  const open: TestConnector[] = [];

  async function authorised(
    bank: BankId,
    resilience: Partial<ResilienceSettings> = {},
  ): Promise<{ c: TestConnector; consent: AuthorisedConsent }> {
    const c = sandbox.connector(bank, registrations[bank], { resilience: { ...TEST_RESILIENCE, ...resilience } });
    open.push(c);
    return { c, consent: await c.authorise({ psu: PSU_OF[bank] }) };
  }

  beforeAll(async () => {
    sandbox = await Sandbox.start();
    registrations.allstar = await sandbox.onboard('allstar', 'private_key_jwt');
    registrations.alsalam = await sandbox.onboard('alsalam');
    registrations.saltbank = await sandbox.onboard('saltbank', 'none');
  });
  afterEach(async () => {
    for (const bank of ['allstar', 'alsalam', 'saltbank'] as const) await sandbox.resetFaults(bank);
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await sandbox.close();
  });

  describe.each<BankId>(['allstar', 'alsalam', 'saltbank'])('%s', (bank) => {
    it('retries a 500 on reads then reports bank_unavailable; a 503 honours its Retry-After; a 500 on a consent POST is not retried', async () => {
      const { c, consent } = await authorised(bank);
      const ctx = { consentId: consent.consentId, frequencyPerDay: 4, psu };
      let before = (await sandbox.injected(bank)).status500;
      await sandbox.faults(bank, { failNext: { status: 500, count: 10 }, pathContains: '/accounts' });
      const e500 = await failure(c.connector.listAccounts(ctx));
      expect(e500.code).toBe('bank_unavailable');
      expect((await sandbox.injected(bank)).status500 - before).toBe(TEST_RESILIENCE.maxAttempts);
      expect(JSON.stringify(e500)).not.toContain(consent.tokens.accessToken);
      await sandbox.resetFaults(bank);

      // 503 + Retry-After 30 s: longer than we wait inline, so no retry, and retryAt for the scheduler.
      before = (await sandbox.injected(bank)).status503;
      await sandbox.faults(bank, {
        failNext: { status: 503, count: 10 },
        retryAfterSeconds: 30,
        pathContains: '/accounts',
      });
      const e503 = await failure(c.connector.listAccounts(ctx));
      expect(e503).toMatchObject({ code: 'bank_unavailable', extensions: { retryAfterSeconds: 30 } });
      expect((await sandbox.injected(bank)).status503 - before).toBe(1);
      await sandbox.resetFaults(bank);

      // 503 + Retry-After 1 s: waited out, and the retry succeeds.
      await sandbox.faults(bank, {
        failNext: { status: 503, count: 1 },
        retryAfterSeconds: 1,
        pathContains: '/accounts',
      });
      const started = Date.now();
      await expect(c.connector.listAccounts(ctx)).resolves.not.toHaveLength(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);

      const consentPath = bank === 'saltbank' ? '/v1/consents' : '/account-access-consents';
      await sandbox.faults(bank, { failNext: { status: 500, count: 10 }, pathContains: consentPath });
      before = (await sandbox.injected(bank)).status500;
      const e = await failure(
        c.connector.createConsent({
          consentId: 'p',
          permissions: ['accounts'],
          frequencyPerDay: 4,
          redirectUri: 'https://gateway.example/v1/callback',
          psu,
        }),
      );
      expect(e.code).toBe('bank_unavailable');
      expect((await sandbox.injected(bank)).status500 - before).toBe(1);
    });

    it('maps 429 with Retry-After to bank_rate_limited with retryAt, and holds back that consent until then (not the others)', async () => {
      const { c, consent } = await authorised(bank);
      const other = await c.authorise({ psu: PSU_OF[bank] });
      await sandbox.faults(bank, {
        failNext: { status: 429, count: 1 },
        retryAfterSeconds: 120,
        pathContains: '/accounts',
      });
      const started = Date.now();
      const e = await failure(c.connector.listAccounts({ consentId: consent.consentId, frequencyPerDay: 4, psu }));
      expect(e.code).toBe('bank_rate_limited');
      expect(e.extensions.retryAfterSeconds).toBe(120);
      expect(Date.parse(e.extensions.retryAt as string)).toBeGreaterThanOrEqual(started + 119_000);
      const sent = c.exchanges.length;
      expect(
        (await failure(c.connector.listAccounts({ consentId: consent.consentId, frequencyPerDay: 4, psu }))).code,
      ).toBe('bank_rate_limited');
      expect(c.exchanges.length).toBe(sent);
      await expect(
        c.connector.listAccounts({ consentId: other.consentId, frequencyPerDay: 4, psu }),
      ).resolves.not.toHaveLength(0);
    });

    it('waits out a short Retry-After and retries', async () => {
      const { c, consent } = await authorised(bank);
      await sandbox.faults(bank, {
        failNext: { status: 429, count: 1 },
        retryAfterSeconds: 1,
        pathContains: '/accounts',
      });
      const started = Date.now();
      await expect(
        c.connector.listAccounts({ consentId: consent.consentId, frequencyPerDay: 4, psu }),
      ).resolves.not.toHaveLength(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(c.exchanges.filter((x) => x.operation.endsWith('.accounts')).map((x) => x.status)).toEqual([429, 200]);
    });

    it('refuses malformed JSON and schema-violating payloads whole as bank_invalid_response', async () => {
      const { c, consent } = await authorised(bank);
      const ctx = { consentId: consent.consentId, frequencyPerDay: 4, psu };
      const [account] = await c.connector.listAccounts(ctx);
      for (const knob of ['malformedJsonRate', 'schemaViolationRate']) {
        await sandbox.faults(bank, { [knob]: 1 });
        for (const call of [
          () => c.connector.listAccounts(ctx),
          () => c.connector.getBalances(ctx, { accountIds: [account.externalId] }),
        ]) {
          const e = await failure(call());
          expect([knob, e.code]).toEqual([knob, 'bank_invalid_response']);
          expect(e.extensions.bank).toMatchObject({ cause: expect.any(String) });
          expect(e.detail).not.toContain('{');
        }
        await sandbox.resetFaults(bank);
      }
    });
  });

  it('gives up on a bank slower than the timeout: bank_unavailable after the retries, each attempt cut at the timeout', async () => {
    const { c, consent } = await authorised('allstar', { timeoutMs: 300, maxAttempts: 2 });
    await sandbox.faults('allstar', { latencyMs: 1_500, pathContains: '/accounts' });
    const started = Date.now();
    const e = await failure(c.connector.listAccounts({ consentId: consent.consentId, frequencyPerDay: 4, psu }));
    const elapsed = Date.now() - started;
    expect(e.code).toBe('bank_unavailable');
    expect(e.extensions.bank).toMatchObject({ cause: 'timeout after 2 attempt(s)' });
    expect(elapsed).toBeGreaterThanOrEqual(600);
    // Uncut, two attempts would take at least 3 000 ms; the bound leaves room for a busy CI machine.
    expect(elapsed).toBeLessThan(2_500);
  });

  it('opens the circuit after consecutive failures (no call reaches the bank), then closes it after a successful trial', async () => {
    const { c, consent } = await authorised('saltbank', {
      maxAttempts: 1,
      breakerConsecutiveFailures: 3,
      breakerHalfOpenAfterMs: 600,
    });
    const ctx = { consentId: consent.consentId, frequencyPerDay: 4, psu };
    await sandbox.faults('saltbank', { failNext: { status: 500, count: 3 }, pathContains: '/accounts' });
    for (let i = 0; i < 3; i++) expect((await failure(c.connector.listAccounts(ctx))).code).toBe('bank_unavailable');
    const sent = c.exchanges.length;
    const open = await failure(c.connector.listAccounts(ctx));
    expect(open).toMatchObject({ code: 'bank_unavailable', extensions: { circuit: 'open' } });
    expect(c.exchanges.length).toBe(sent);
    await new Promise((r) => setTimeout(r, 700));
    await expect(c.connector.listAccounts(ctx)).resolves.toHaveLength(2);
    await expect(c.connector.listAccounts(ctx)).resolves.toHaveLength(2);
  });

  it('keeps to the outbound rate limit of each provider, without slowing the other providers', async () => {
    const slow = await authorised('allstar', { ratePerSecond: 2, burst: 1 });
    const fast = await authorised('saltbank');
    const started = Date.now();
    const slowCalls = Promise.all(
      Array.from({ length: 5 }, () =>
        slow.c.connector.listAccounts({ consentId: slow.consent.consentId, frequencyPerDay: 4, psu }),
      ),
    );
    await Promise.all(
      Array.from({ length: 5 }, () =>
        fast.c.connector.listAccounts({ consentId: fast.consent.consentId, frequencyPerDay: 4, psu }),
      ),
    );
    const fastDone = Date.now() - started;
    await slowCalls;
    const slowDone = Date.now() - started;
    // 1 at once, then one every 500 ms: the fifth leaves at ≥ 2 s. Sharing that limiter, the fast
    // provider's calls would finish at about the same time; on their own they take milliseconds.
    expect(slowDone).toBeGreaterThanOrEqual(1_950);
    expect(fastDone).toBeLessThan(1_500);
  });
});
