import { createLogger } from '@ais/observability';
import { startSandbox, type RunningSandbox } from '../src/sandbox.js';

/** An in-memory sandbox without mTLS; `clockStart` unset means now. */
const start = (clock: { clockStart?: string; clockScale: number }) =>
  startSandbox({
    host: '127.0.0.1',
    port: 0,
    mtlsPort: 0,
    seed: 'clock-test',
    dataEpoch: '2024-01-01',
    pageSize: 100,
    mtlsEnabled: false,
    logger: createLogger('sandbox-test', 'silent'),
    ...clock,
  });

/**
 * Without a configured start, each bank's clock is real time from the first instant: the sync
 * oracle (`summary?at=`) and a gateway comparing its own timestamps with the bank's rely on it.
 */
describe('bank clocks without a configured start', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await start({ clockScale: 1 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it.each(['allstar', 'alsalam', 'saltbank'])(
    '%s tells real time, not the time its keys were generated at',
    async (bank) => {
      const before = Date.now();
      const clock = (await (await fetch(`${sandbox.url}/${bank}/sandbox/clock`)).json()) as { now: string };
      const after = Date.now();
      const bankNow = Date.parse(clock.now);
      // Bracketed by two real readings: a few milliseconds of rounding, never the seconds keys take.
      expect(bankNow).toBeGreaterThanOrEqual(before - 5);
      expect(bankNow).toBeLessThanOrEqual(after + 5);
    },
  );
});

describe('the summary oracle at an earlier instant', () => {
  let sandbox: RunningSandbox;
  const DAY = 86_400_000;
  beforeAll(async () => {
    sandbox = await start({ clockStart: '2026-03-10T10:00:00Z', clockScale: 1e-9 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const summary = async (query: string) => {
    const res = await fetch(`${sandbox.url}/allstar/sandbox/psus/alice/summary?${query}`);
    return {
      status: res.status,
      body: (await res.json()) as { asOf?: string; accounts?: { booked: { count: number } }[] },
    };
  };

  it('answers the account as it stood then (what a sync that ran then saw)', async () => {
    const now = await summary('from=2026-01-01');
    const earlier = await summary(
      `from=2026-01-01&at=${new Date(Date.parse('2026-03-10T10:00:00Z') - 3 * DAY).toISOString()}`,
    );
    expect(earlier.status).toBe(200);
    expect(earlier.body.asOf).toBe('2026-03-07T10:00:00.000Z');
    const booked = (s: typeof now) => s.body.accounts!.reduce((n, a) => n + a.booked.count, 0);
    expect(booked(earlier)).toBeLessThan(booked(now));
    expect(await summary(`from=2026-01-01&at=${now.body.asOf}`)).toEqual(now);
  });

  it('refuses an instant after the bank clock, or one that is not an instant', async () => {
    expect((await summary('at=2026-03-11T00:00:00Z')).status).toBe(400);
    expect((await summary('at=yesterday')).status).toBe(400);
  });
});
