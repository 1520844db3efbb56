import pg from 'pg';
import { TestReceiver, startStack, until, verifyStandardWebhook, type RunningStack } from '@ais/testing';
import { Fixtures, txnData } from './fixtures.js';

/**
 * The dispatcher as its own process (from dist/), killed with SIGKILL in the middle of a batch: a
 * request is held open at the receiver, so it was received but its outcome can never be recorded.
 */
describe('webhook dispatcher process: SIGKILL mid-batch', () => {
  let stack: RunningStack;
  let fx: Fixtures;
  const receivers: TestReceiver[] = [];

  beforeAll(async () => {
    stack = await startStack({
      apps: ['webhook-dispatcher'],
      label: 'wd_crash',
      env: {
        WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1/32', // receivers on ports of their own
        WEBHOOK_TIMEOUT: '1s',
        WEBHOOK_LEASE: '2s',
        WEBHOOK_POLL_INTERVAL: '20ms',
        WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s',
      },
    });
    fx = new Fixtures(stack.db.url, stack.env.ENCRYPTION_KEYS);
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await fx?.close();
    await stack?.stop();
  });

  it('loses no event, and what arrives twice carries the same webhook-id and body', async () => {
    const tenant = await fx.tenant();
    const lanes: { r: TestReceiver; secret: string; id: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await new TestReceiver().start();
      receivers.push(r);
      const endpoint = await fx.endpoint(tenant, `${r.url}/hook`, ['transactions.added']);
      lanes.push({ r, ...endpoint });
    }
    const [first] = lanes;
    // Ordinary receivers answer quickly; the 41st request to the first one is held open: the process dies meanwhile.
    for (const { r } of lanes) r.behaviour = () => ({ status: 200, delayMs: 5 });
    first.r.behaviour = () => ({ status: 200, delayMs: first.r.received.length === 41 ? 10_000 : 5 });

    const events: string[] = [];
    for (let batch = 0; batch < 4; batch++) events.push(...(await fx.emit(tenant, 'transactions.added', txnData, 50)));

    await until('the held request arrived', () => first.r.received.length >= 41, 30_000);
    const held = String(first.r.received[40].headers['webhook-id']);
    await stack.kill('webhook-dispatcher', 'SIGKILL');
    const seenAtKill = lanes.map(({ r }) => r.received.length);
    expect(seenAtKill[0]).toBeLessThan(events.length); // it really died mid-batch

    await stack.restart('webhook-dispatcher');
    await until(
      'every event accepted by both',
      () => lanes.every(({ r }) => events.every((id) => (r.tally().get(id)?.accepted ?? 0) >= 1)),
      60_000,
    );

    for (const { r, secret } of lanes) {
      const tally = r.tally();
      expect([...tally.keys()].sort()).toEqual([...events].sort()); // nothing lost, nothing foreign
      const bodies = new Map<string, string>();
      for (const req of r.received) {
        const id = String(req.headers['webhook-id']);
        expect(JSON.parse(req.body).id).toBe(id);
        expect(bodies.get(id) ?? req.body).toBe(req.body); // a duplicate is the same event, byte for byte
        bodies.set(id, req.body);
        expect(verifyStandardWebhook(secret, req.headers, req.body)).toEqual({ ok: true });
      }
    }
    // The request held open when the process died was received, never recorded, and came again.
    expect(first.r.tally().get(held)!.requests).toBeGreaterThanOrEqual(2);

    const sql = new pg.Client({ connectionString: stack.db.url });
    await sql.connect();
    try {
      await until('all recorded', async () => {
        const { rows } = await sql.query(`SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`);
        return rows.length === 1 && rows[0].status === 'succeeded' && rows[0].n === events.length * 2;
      });
    } finally {
      await sql.end();
    }
  });
});
