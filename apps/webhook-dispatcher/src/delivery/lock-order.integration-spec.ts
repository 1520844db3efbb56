import pg from 'pg';
import {
  WebhookDeliveryRepository,
  WebhookDispatchRepository,
  WebhookEndpointRepository,
  type DeliveryOutcome,
} from '@ais/db';
import { newId } from '@ais/domain';
import { createTestDatabase, until, type TestDatabase } from '@ais/testing';
import { Fixtures, txnData } from '../../test/fixtures.js';
import { dispatcherEnv } from '../../test/dispatcher-harness.js';

const N = 200;
const OTHERS = 20;

/**
 * Deleting an endpoint cascades to its deliveries, and disabling one fails its pending deliveries,
 * while the dispatcher may be recording outcomes for them: statements locking the same delivery rows. Postgres breaks a lock cycle by aborting one
 * transaction (deadlock detected), so both sides take delivery locks in id order.
 *
 * The race is made deterministic: a third session holds one delivery in the middle, so the outcome
 * statement and its rival both queue on it with whatever they locked before; when it lets go, the
 * two must not be waiting on each other. As after retries, the deliveries' next attempts run against
 * their ids, so the endpoint's index (status, next attempt, id) meets them in the opposite order to the
 * primary key.
 */
describe('webhook deliveries: lock order between the dispatcher and endpoint deletion or disabling', () => {
  let db: TestDatabase;
  let fx: Fixtures;
  let pool: pg.Pool;
  let dispatch: WebhookDispatchRepository;

  beforeAll(async () => {
    db = await createTestDatabase('wd_lock_order');
    fx = new Fixtures(db.url, dispatcherEnv(db.url).ENCRYPTION_KEYS);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    dispatch = new WebhookDispatchRepository(pool);
  });
  /** Pending deliveries of `events` to the endpoint, ids in time order, next attempts in the reverse order, stored newest first. */
  async function insertDeliveries(
    tenantId: string,
    endpointId: string,
    events: string[],
    base: number,
  ): Promise<string[]> {
    const ids = events.map((_, i) => newId('webhookDelivery', base + i));
    const rows = ids.map((id, i) => ({
      id,
      endpointId,
      eventId: events[i],
      status: 'pending' as const,
      attempts: 1,
      nextAttemptAt: new Date(base + (events.length - i) * 1_000),
    }));
    await fx.deliveries(tenantId, rows.reverse());
    return ids;
  }

  afterAll(async () => {
    await pool?.end();
    await fx?.close();
    await db?.drop();
  });

  /**
   * Sets up an endpoint with N pending deliveries (and other endpoints' beside them), holds the middle
   * one, starts the dispatcher's outcome statement for all N, then `rival`; lets go once both wait.
   */
  async function race<T>(
    rival: (tenantId: string, endpointId: string) => Promise<T>,
  ): Promise<{ endpointId: string; rival: T }> {
    const tenant = await fx.tenant();
    const endpoint = await fx.endpoint(tenant, 'https://hooks.example.test/a');
    const events = await fx.emit(tenant, 'transactions.added', txnData, N);
    // Other endpoints' deliveries make the endpoint's own index the way to find its rows.
    for (let i = 0; i < OTHERS; i++) {
      const other = await fx.endpoint(tenant, `https://hooks.example.test/other-${i}`);
      await insertDeliveries(tenant, other.id, events, Date.now());
    }
    const ids = await insertDeliveries(tenant, endpoint.id, events, Date.now());
    await pool.query('ANALYZE webhook_deliveries');

    const holder = await pool.connect();
    const waiting = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
      ).rows[0].n;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [ids[N / 2]]);

      const outcomes: DeliveryOutcome[] = ids.map((id) => ({
        id,
        attemptsBefore: 1,
        ok: false,
        status: 'pending',
        nextAttemptAt: new Date(Date.now() + 300_000),
        startedAt: new Date(),
        latencyMs: 12,
        responseStatus: 503,
        error: null,
      }));
      const recording = dispatch.recordOutcomes(outcomes);
      await until('the outcome statement waits', async () => (await waiting()) === 1, 5_000);
      const rivalling = rival(tenant, endpoint.id);
      await until('the rival waits too', async () => (await waiting()) === 2, 5_000);
      await holder.query('COMMIT');

      const [recorded, rivalled] = await Promise.allSettled([recording, rivalling]);
      expect([recorded, rivalled].map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual([
        'fulfilled',
        'fulfilled',
      ]);
      expect((recorded as PromiseFulfilledResult<unknown[]>).value).toHaveLength(N);
      return { endpointId: endpoint.id, rival: (rivalled as PromiseFulfilledResult<T>).value };
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  }

  it('records outcomes while the endpoint is deleted, without a deadlock', async () => {
    const endpoints = new WebhookEndpointRepository(fx.prisma);
    const { endpointId, rival } = await race((tenantId, id) =>
      fx.prisma.$transaction((tx) => endpoints.delete(tx, tenantId, id), { timeout: 30_000 }),
    );
    expect(rival).toBe(true);
    const left = await pool.query(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1)::int AS deliveries, (SELECT count(*) FROM webhook_endpoints WHERE id = $1)::int AS endpoints`,
      [endpointId],
    );
    expect(left.rows[0]).toEqual({ deliveries: 0, endpoints: 0 });
  });

  it('records outcomes while the endpoint is disabled and its pending deliveries failed, without a deadlock', async () => {
    const endpoints = new WebhookEndpointRepository(fx.prisma);
    const deliveries = new WebhookDeliveryRepository(fx.prisma);
    const reason = 'endpoint disabled: disabled by the tenant';
    const { endpointId, rival } = await race((_, id) =>
      fx.prisma.$transaction(
        async (tx) => {
          await endpoints.disable(tx, [id], 'disabled by the tenant');
          return deliveries.failPending(tx, [id], reason);
        },
        { timeout: 30_000 },
      ),
    );
    expect(rival).toBeGreaterThan(0);
    const { rows } = await pool.query(
      `SELECT status, attempts, count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY 1, 2`,
      [endpointId],
    );
    expect(rows).toEqual([{ status: 'failed', attempts: 2, n: N }]);
  });
});
