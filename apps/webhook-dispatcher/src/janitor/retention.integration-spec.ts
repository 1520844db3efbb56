import pg from 'pg';
import { WebhookDeliveryRepository } from '@ais/db';
import { newId } from '@ais/domain';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { Fixtures, txnData } from '../../test/fixtures.js';
import { dispatcherEnv } from '../../test/dispatcher-harness.js';
import { ulidFloor } from './retention.service.js';

const DAY = 86_400_000;

describe('webhook delivery retention', () => {
  let db: TestDatabase;
  let fx: Fixtures;
  let sql: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('wd_retention');
    fx = new Fixtures(db.url, dispatcherEnv(db.url).ENCRYPTION_KEYS);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await fx?.close();
    await db?.drop();
  });

  it('deletes finished deliveries made before the cut-off in batches, keeps pending and newer ones, and skips one another statement holds', async () => {
    const tenant = await fx.tenant();
    const endpoint = await fx.endpoint(tenant, 'https://hooks.example.test/r');
    const events = await fx.emit(tenant, 'transactions.added', txnData, 8);
    const old = Date.now() - 40 * DAY;
    // newId never goes back in time (monotonic ULIDs), so old ids are spelled out: that millisecond's
    // smallest ULID.
    const row = (i: number, made: number, status: 'pending' | 'succeeded' | 'failed') => ({
      id: made === old ? `whd_${ulidFloor(old + i)}` : newId('webhookDelivery'),
      endpointId: endpoint.id,
      eventId: events[i],
      status,
      attempts: 1,
      nextAttemptAt: status === 'pending' ? new Date() : null,
    });
    const rows = [
      row(0, old, 'succeeded'),
      row(1, old, 'failed'),
      row(2, old, 'succeeded'),
      row(3, old, 'pending'), // still being retried: kept whatever its age
      row(4, old, 'succeeded'), // held by another transaction below: skipped, not waited for
      row(5, old, 'failed'),
      row(6, Date.now(), 'succeeded'), // newer than the cut-off
      row(7, Date.now(), 'failed'),
    ];
    await fx.deliveries(tenant, rows);
    const repo = new WebhookDeliveryRepository(fx.prisma);
    const floor = `whd_${ulidFloor(Date.now() - 30 * DAY)}`;

    await sql.query('BEGIN');
    await sql.query('SELECT 1 FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [rows[4].id]);
    const first = await repo.pruneFinished(floor, 2);
    const second = await repo.pruneFinished(floor, 2);
    const third = await repo.pruneFinished(floor, 2);
    await sql.query('COMMIT');
    expect(first + second + third).toBe(4);
    expect(first).toBe(2);

    const left = await sql.query<{ id: string }>(
      'SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id',
      [endpoint.id],
    );
    expect(left.rows.map((r) => r.id)).toEqual([rows[3].id, rows[4].id, rows[6].id, rows[7].id]);
    expect(await repo.pruneFinished(floor, 10)).toBe(1);
  });
});
