import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { taggedKey } from '@ais/db';
import { AppError } from '@ais/domain';
import { BankHttpClient, DEFAULT_RESILIENCE, type BankRequest, type HttpExchange } from '@ais/connectors';
import { createLogger } from '@ais/observability';
import { RedisThrottleBoard } from '../src/redis-throttle-board.js';
import { startSandbox, type SandboxUnderTest } from './sandbox.js';

const logger = createLogger('throttle-board-test', 'silent');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A bank counts our client, not our process: its 429 with Retry-After told to one connector-service
 * instance must hold every instance back, including one started afterwards. Two instances here are
 * two HTTP clients of the same provider, each with its own Redis connection and board, against the
 * sandbox bank over HTTP.
 */
describe('banks’ 429 pauses, shared by every connector-service instance', () => {
  let sandbox: SandboxUnderTest;
  // Each test its own Redis prefix: a 120 s pause from one must not hold up the next.
  const run = `test-throttle-${randomUUID()}`;
  let tests = 0;
  let prefix = '';
  const connections: Redis[] = [];
  const boards: RedisThrottleBoard[] = [];
  const clients: BankHttpClient[] = [];

  async function instance(): Promise<{ board: RedisThrottleBoard; client: BankHttpClient; exchanges: HttpExchange[] }> {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    const board = new RedisThrottleBoard(redis, prefix, logger);
    await board.start();
    boards.push(board);
    const exchanges: HttpExchange[] = [];
    const client = new BankHttpClient({
      providerId: 'allstar',
      resilience: { ...DEFAULT_RESILIENCE, maxAttempts: 1 },
      throttleBoard: board,
      observer: (x) => void exchanges.push(x),
    });
    clients.push(client);
    return { board, client, exchanges };
  }

  const faults = (body: unknown) =>
    fetch(`${sandbox.url}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const accounts = (throttleKey?: string): BankRequest => ({
    method: 'GET',
    url: `${sandbox.url}/allstar/open-banking/v3.1/aisp/accounts`,
    idempotent: true,
    operation: 'test.listAccounts',
    ...(throttleKey ? { throttleKey } : {}),
  });
  async function until(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  async function refusal(p: Promise<unknown>): Promise<AppError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
    return e;
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  beforeEach(() => {
    prefix = `${run}-${++tests}`;
  });
  afterEach(async () => {
    await fetch(`${sandbox.url}/allstar/sandbox/faults`, { method: 'DELETE' });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    for (const b of boards) await b.close();
    const keys = await connections[0]?.keys(`${run}-*`);
    if (keys?.length) await connections[0].del(...keys);
    for (const r of connections) r.disconnect();
    await sandbox?.close();
  });

  it('pauses the provider on every instance, and on one started after the 429, until Retry-After', async () => {
    const a = await instance();
    const b = await instance();
    expect(
      (await faults({ failNext: { status: 429, count: 1 }, retryAfterSeconds: 120, pathContains: '/aisp/accounts' }))
        .status,
    ).toBe(200);

    const answered = await a.client.send(accounts());
    expect(answered.status).toBe(429);
    expect(answered.headers['retry-after']).toBe('120');
    await until('instance B hears of the pause', () => b.board.pausedUntil('allstar', 'provider') > 0);
    expect(b.board.pausedUntil('allstar', 'provider')).toBeGreaterThan(Date.now() + 115_000);

    const refused = await refusal(b.client.send(accounts()));
    expect(refused.code).toBe('bank_rate_limited');
    expect(refused.extensions.retryAfterSeconds).toBeGreaterThan(115);
    expect(b.exchanges).toEqual([]); // nothing reached the bank from B

    const late = await instance();
    expect(late.board.pausedUntil('allstar', 'provider')).toBe(a.board.pausedUntil('allstar', 'provider'));
    expect((await refusal(late.client.send(accounts()))).code).toBe('bank_rate_limited');
    expect(late.exchanges).toEqual([]);
    // Another provider is not held back by Allstar's pause.
    expect(late.board.pausedUntil('saltbank', 'provider')).toBe(0);
  });

  it('keeps a consent’s pause to that consent, on every instance', async () => {
    const a = await instance();
    const b = await instance();
    await faults({ failNext: { status: 429, count: 1 }, retryAfterSeconds: 60, pathContains: '/aisp/accounts' });
    expect((await a.client.send(accounts('consent:c-1'))).status).toBe(429);
    await until('instance B hears of the pause', () => b.board.pausedUntil('allstar', 'consent:c-1') > 0);

    expect((await refusal(b.client.send(accounts('consent:c-1')))).code).toBe('bank_rate_limited');
    expect(b.exchanges).toEqual([]);
    // Another consent's call goes to the bank (which refuses it for want of a token: it got there).
    expect((await b.client.send(accounts('consent:c-2'))).status).toBe(401);
    expect(b.exchanges).toHaveLength(1);
  });

  it('forgets a pause when it ends: the key expires in Redis and calls go through again', async () => {
    const a = await instance();
    const b = await instance();
    await faults({ failNext: { status: 429, count: 1 }, retryAfterSeconds: 1, pathContains: '/aisp/accounts' });
    expect((await a.client.send(accounts('consent:c-3'))).status).toBe(429); // one attempt: not waited out inline
    await until('instance B hears of the pause', () => b.board.pausedUntil('allstar', 'consent:c-3') > 0);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(b.board.pausedUntil('allstar', 'consent:c-3')).toBe(0);
    expect(await connections[0].exists(taggedKey(prefix, 'bank-throttle', 'pauses'))).toBe(0);
    expect((await b.client.send(accounts('consent:c-3'))).status).toBe(401);
  });
});
