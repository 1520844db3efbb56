import type pg from 'pg';
import { newId } from '@ais/domain';
import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';
import { appendEvents, createTenant, sqlClient, txnData, type TestTenant } from '../webhooks/test/fixtures.js';

interface EventItem {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

describe('gateway: GET /v1/events', () => {
  let gw: GatewayUnderTest;
  let sql: pg.Client;
  let acme: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    gw = await startGateway();
    sql = await sqlClient(gw.db.url);
    acme = await createTenant(gw, 'Acme');
    other = await createTenant(gw, 'Other');
  });
  afterAll(async () => {
    await sql.end();
    await gw.close();
  });

  const list = async (tenant: TestTenant, query: string) => {
    const res = await gw.request('GET', `/v1/events${query}`, { token: tenant.apiKey });
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { data: EventItem[]; nextCursor: string | null };
  };

  async function readAll(tenant: TestTenant, query = '', limit = 3): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(tenant, `?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  it('lists the tenant’s events oldest first with the envelope of the webhooks, paging by cursor or by after', async () => {
    const added = await appendEvents(gw, acme.id, 'transactions.added', txnData, 4);
    const failed = await appendEvents(
      gw,
      acme.id,
      'sync.failed',
      (i) => ({
        consentId: 'cons_1',
        syncRunId: `sr_${i}`,
        trigger: 'scheduled',
        error: { code: 'bank_unavailable', detail: 'down' },
      }),
      2,
    );
    await appendEvents(gw, other.id, 'transactions.added', txnData, 3);

    const first = await list(acme, '?limit=2');
    expect(first.data[0]).toEqual({
      id: added[0],
      type: 'transactions.added',
      createdAt: expect.stringMatching(/Z$/),
      data: txnData(0),
    });
    expect(await readAll(acme)).toEqual([...added, ...failed]);
    expect(await readAll(acme, '&type=sync.failed', 1)).toEqual(failed);
    expect(await readAll(acme, '&type=sync.failed,transactions.added', 4)).toEqual([...added, ...failed]);

    const afterSecond = await list(acme, `?after=${added[1]}`);
    expect(afterSecond.data.map((e) => e.id)).toEqual([...added.slice(2), ...failed]);
    expect(afterSecond.nextCursor).toBeNull();
    expect((await list(acme, `?after=${failed[1]}`)).data).toEqual([]);

    expect(await readAll(other)).toHaveLength(3);
    expect((await readAll(other)).some((id) => added.includes(id))).toBe(false);
  });

  it('never lets an event that commits late appear before a position already read', async () => {
    const t = await createTenant(gw, 'Late');
    const [early] = await appendEvents(gw, t.id, 'transactions.added', txnData);
    // A writer starts first (takes the smaller transaction id) but commits last.
    const slow = await sqlClient(gw.db.url);
    await slow.query('BEGIN');
    await slow.query('SELECT pg_current_xact_id()');
    const lateId = newId('event');
    await slow.query(`INSERT INTO events (id, tenant_id, type, data) VALUES ($1, $2, 'transactions.added', $3)`, [
      lateId,
      t.id,
      JSON.stringify(txnData(99)),
    ]);
    const committed = await appendEvents(gw, t.id, 'transactions.added', txnData, 2);

    // While the slow writer runs, the log stops before anything that could still be preceded by it.
    const during = await list(t, `?after=${early}`);
    expect(during.data).toEqual([]);
    expect((await list(t, '')).data.map((e) => e.id)).toEqual([early]);

    await slow.query('COMMIT');
    await slow.end();
    // Continuing from the same position: nothing skipped, in commit-safe (transaction id) order.
    expect((await list(t, `?after=${early}`)).data.map((e) => e.id)).toEqual([lateId, ...committed]);
    expect(await readAll(t, '', 1)).toEqual([early, lateId, ...committed]);
  });

  it('gets one event, and answers 404 for another tenant’s event id as an id or a position', async () => {
    const [id] = await appendEvents(gw, acme.id, 'webhook.test', () => ({ webhookId: 'we_x', message: 'hi' }));
    expect((await gw.request('GET', `/v1/events/${id}`, { token: acme.apiKey })).body).toMatchObject({
      id,
      type: 'webhook.test',
      data: { webhookId: 'we_x', message: 'hi' },
    });
    expect((await gw.request('GET', `/v1/events/${id}`, { token: other.apiKey })).status).toBe(404);
    expect((await gw.request('GET', `/v1/events?after=${id}`, { token: other.apiKey })).status).toBe(404);
    expect((await gw.request('GET', '/v1/events?after=evt_unknown', { token: acme.apiKey })).status).toBe(404);
  });

  it.each([
    ['?type=transactions.deleted', 'type'],
    ['?type=sync.failed,', 'type'],
    ['?limit=501', 'limit'],
    ['?limit=0', 'limit'],
    ['?cursor=bm9wZQ', 'cursor'],
    ['?after=evt_x&cursor=abc', 'after'],
    ['?since=2026-01-01', 'since'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await gw.request('GET', `/v1/events${query}`, { token: acme.apiKey });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('requires tenant auth', async () => {
    expect((await gw.request('GET', '/v1/events')).status).toBe(401);
  });
});
