import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { TestReceiver, launchChromium, repoRoot, startStack, until, type RunningStack } from '@ais/testing';
import { startReceiver, type Receiver } from '../../../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../../../test/psu.js';

const HOUR = 3_600_000;
const SIX_HOURS = 6 * HOUR;
const SCREENSHOTS = path.join(repoRoot, 'tmp/screenshots');

/** percentile_cont: linear interpolation between the closest ranks. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = p * (sorted.length - 1);
  const lower = Math.floor(at);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (at - lower) * (sorted[upper] - sorted[lower]);
}

/**
 * The dashboard's charts in a real browser, drawn from a real flow: every app as a process, a PSU
 * authorising at the sandbox bank, the first sync and its webhooks, a refresh the bank answers with a
 * 429, one it answers with broken JSON, a refresh waiting in a paused queue, and (for the 7-day view)
 * older runs written to the database. Each chart's numbers (its table, its legend under the cursor,
 * the coloured pixels of its series) are checked against the database and the API; screenshots go to
 * tmp/screenshots/.
 */
describe('ops dashboard charts, black box in a real browser', () => {
  let stack: RunningStack;
  let browser: Browser;
  let redirects: Receiver;
  const hooks = new TestReceiver();
  let db: pg.Client;
  let apiKey: string;
  let consentId: string;
  let apiCalls = 0;
  const problems: string[] = [];

  const api = async (method: string, path: string, body?: unknown, key: string | null = apiKey) => {
    apiCalls++;
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const admin = async (method: string, path: string) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    return (await res.json()) as any;
  };
  const faults = (patch: Record<string, unknown>) =>
    fetch(`${stack.sandboxUrl}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
  /** Refreshes with the PSU present (no budget used) and waits for the run to end as `status`. */
  async function refresh(status: string, errorCode: string | null) {
    const res = await api('POST', `/v1/consents/${consentId}/refresh`, { psuIpAddress: '203.0.113.9' });
    expect(res.status).toBe(202);
    const run = await until(
      `sync run ${res.body.syncRunId} ${status}`,
      async () => {
        const r = await db.query('SELECT status::text, error_code FROM sync_runs WHERE id = $1', [res.body.syncRunId]);
        return ['succeeded', 'failed', 'deferred'].includes(r.rows[0]?.status) ? r.rows[0] : null;
      },
      60_000,
      250,
    );
    expect(run).toEqual({ status, error_code: errorCode });
  }

  beforeAll(async () => {
    // The scheduler stays out of the way (it would sync the consent again after the 429's short wait):
    // every run here is one the test asked for, so the totals below are exact.
    stack = await startStack({ label: 'dashcharts', env: { SYNC_SCHEDULER_EVERY_MS: '3600000' } });
    browser = await launchChromium();
    redirects = await startReceiver();
    await hooks.start(stack.webhookReceiverPort);
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await until(
      'sandbox banks onboarded',
      async () => (await db.query('SELECT 1 FROM provider_registrations')).rowCount! >= 3,
      30_000,
      250,
    );
    const tenant = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Charts', redirectUris: [redirects.url] }),
    });
    apiKey = ((await tenant.json()) as { apiKey: string }).apiKey;
    const webhook = await api('POST', '/v1/webhooks', {
      url: `${hooks.url}/hooks`,
      events: ['consent.authorised', 'sync.completed', 'transactions.added'],
    });
    expect(webhook.status).toBe(201);

    // The real flow: a PSU authorises at allstar in the browser, the first sync runs, webhooks go out.
    const created = await api('POST', '/v1/consents', {
      providerId: 'allstar',
      redirectUri: redirects.url,
      psuIpAddress: '203.0.113.9',
    });
    expect(created.status).toBe(201);
    consentId = created.body.id;
    const psus = (await (await fetch(`${stack.sandboxUrl}/allstar/sandbox/psus`)).json()) as any;
    const alice = (Array.isArray(psus) ? psus : psus.psus).find((p: SandboxPsu) => p.username === 'alice');
    await actAsPsu(browser, created.body.authorisationUrl, alice, 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    await until(
      'the first sync',
      async () =>
        (await db.query(`SELECT 1 FROM sync_runs WHERE consent_id = $1 AND status = 'succeeded'`, [consentId]))
          .rowCount === 1,
      120_000,
      250,
    );

    // The bank sends broken JSON to one refresh (a failed run), then rate-limits the next (a deferred
    // run, bank_rate_limited), asking for 30 s: longer than the connector waits inline.
    await faults({ malformedJsonRate: 1 });
    await refresh('failed', 'bank_invalid_response');
    await faults({ malformedJsonRate: 0, failNext: { status: 429, count: 5 }, retryAfterSeconds: 30 });
    await refresh('deferred', 'bank_rate_limited');
    await faults({ failNext: null });

    // Earlier runs (3 h and 30 h ago) for the hourly and 6-hourly views.
    const tenantId = (await db.query('SELECT tenant_id FROM consents WHERE id = $1', [consentId])).rows[0].tenant_id;
    for (const [id, hoursAgo, status, code] of [
      ['sr_hist_1', 3, 'succeeded', null],
      ['sr_hist_2', 3, 'failed', 'bank_unavailable'],
      ['sr_hist_3', 30, 'succeeded', null],
      ['sr_hist_4', 30, 'deferred', 'budget_exhausted'],
    ] as const)
      await db.query(
        `INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at, started_at, finished_at, error_code)
         VALUES ($1, $2, $3, 'scheduled', $4, now() - ($5 || ' hours')::interval, now() - ($5 || ' hours')::interval,
                 now() - ($5 || ' hours')::interval + interval '2 seconds', $6)`,
        [id, tenantId, consentId, status, String(hoursAgo), code],
      );

    // A refresh waiting in the bank's paused queue: the queue-depth chart shows it.
    expect((await admin('POST', '/admin/queues/sync.allstar/pause')).paused).toBe(true);
    expect((await api('POST', `/v1/consents/${consentId}/refresh`, { psuIpAddress: '203.0.113.9' })).status).toBe(202);
    // Three refused calls (4xx) for the API chart.
    for (let i = 0; i < 3; i++) expect((await api('GET', '/v1/consents', undefined, null)).status).toBe(401);

    await until(
      'every webhook delivered',
      async () => {
        const r = await db.query(
          `SELECT count(*) FILTER (WHERE status <> 'succeeded')::int AS open, count(*)::int AS n FROM webhook_deliveries`,
        );
        return r.rows[0].n >= 3 && r.rows[0].open === 0;
      },
      60_000,
      250,
    );
    // Every gateway instance adds its API traffic to Redis every 5 s: let the last of it land.
    await new Promise((r) => setTimeout(r, 6_000));
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await admin('POST', '/admin/queues/sync.allstar/resume').catch(() => undefined);
    await db?.end();
    await browser?.close();
    await redirects?.close();
    await hooks.stop();
    await stack?.stop();
  });

  async function openDashboard(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${stack.gatewayUrl}/admin`);
    await page.getByLabel('Admin token').fill(stack.adminToken);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    return page;
  }

  /** A chart's table of numbers: bucket start → the values of its series, by label. */
  async function chartTable(page: Page, id: string): Promise<Map<string, Record<string, string>>> {
    const data = page.locator(`#${id} details.chart-data`);
    const labels = (await data.locator('thead th').allTextContents()).slice(1);
    const out = new Map<string, Record<string, string>>();
    for (const row of await data.locator('tbody tr').all()) {
      const cells = (await row.locator('td').allTextContents()).slice(1);
      out.set((await row.getAttribute('data-bucket')) ?? '', Object.fromEntries(labels.map((l, i) => [l, cells[i]])));
    }
    return out;
  }

  /** How many canvas pixels of the chart have the colour a series is drawn in (read in the page: an expression, as the tests here run without DOM types). */
  const pixelsOf = (page: Page, id: string, hex: string): Promise<number> => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return page.evaluate(`(() => {
      const canvas = document.querySelector('#${id} canvas');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (Math.abs(data[i] - ${r}) < 8 && Math.abs(data[i + 1] - ${g}) < 8 && Math.abs(data[i + 2] - ${b}) < 8) n++;
      return n;
    })()`);
  };

  /** Sync runs per bucket from the database, bucketed here (epoch-aligned, like the gateway). */
  async function runsPerBucket(size: number) {
    const rows = (
      await db.query<{ at: Date; status: string; code: string | null }>(
        `SELECT queued_at AS at, status::text AS status, error_code AS code FROM sync_runs WHERE provider_id = 'allstar'`,
      )
    ).rows;
    const out = new Map<string, Record<string, number>>();
    const from = (Math.floor(Date.now() / size) + 1) * size - (size === HOUR ? 24 : 28) * size;
    for (const r of rows) {
      if (r.at.getTime() < from) continue;
      const key = new Date(Math.floor(r.at.getTime() / size) * size).toISOString();
      const b = out.get(key) ?? {
        Succeeded: 0,
        Failed: 0,
        Deferred: 0,
        'In flight': 0,
        'Bank 429s': 0,
        'Budget spent': 0,
      };
      if (r.status === 'succeeded') b.Succeeded++;
      if (r.status === 'failed') b.Failed++;
      if (r.status === 'deferred') b.Deferred++;
      if (r.status === 'queued' || r.status === 'running') b['In flight']++;
      if (r.code === 'bank_rate_limited') b['Bank 429s']++;
      if (r.code === 'budget_exhausted') b['Budget spent']++;
      out.set(key, b);
    }
    return out;
  }

  it('draws sync runs, bank pressure, deliveries and latency, API traffic and queue depth from the real flow', async () => {
    const page = await openDashboard();
    for (const id of [
      'chart-sync-runs',
      'chart-bank-pressure',
      'chart-deliveries',
      'chart-latency',
      'chart-api',
      'chart-queues',
    ])
      await page.locator(`#${id} canvas`).first().waitFor();
    await page.locator('#chart-sync-runs details.chart-data table').waitFor({ state: 'attached' });

    // Sync runs, every bank together (only allstar has any): the table is the database, bucket by bucket.
    const hourly = await runsPerBucket(HOUR);
    const runs = await chartTable(page, 'chart-sync-runs');
    expect(await page.locator('#chart-sync-runs').getAttribute('data-points')).toBe('24');
    expect([...runs.keys()].sort()).toEqual([...hourly.keys()].sort());
    for (const [bucket, b] of hourly)
      expect({ bucket, ...runs.get(bucket) }).toEqual({
        bucket,
        Succeeded: String(b.Succeeded),
        Failed: String(b.Failed),
        Deferred: String(b.Deferred),
        'In flight': String(b['In flight']),
      });
    const total = (key: string) => [...hourly.values()].reduce((a, b) => a + b[key], 0);
    // The first sync and 3 h ago's; the broken JSON and 3 h ago's; the 429; the refresh held by the pause.
    expect([total('Succeeded'), total('Failed'), total('Deferred'), total('In flight')]).toEqual([2, 2, 1, 1]);
    expect([total('Bank 429s'), total('Budget spent')]).toEqual([1, 0]); // the spent budget was 30 h ago
    for (const color of ['#137a3a', '#b42318', '#c27803', '#2457c5'])
      expect({ color, drawn: (await pixelsOf(page, 'chart-sync-runs', color)) > 20 }).toEqual({ color, drawn: true });

    // The legend under the cursor: hovering the last bucket shows this hour's numbers.
    const over = page.locator('#chart-sync-runs .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    const legend = async () => {
      const series = page.locator('#chart-sync-runs .u-legend .u-series');
      const labels = await series.locator('.u-label').allTextContents();
      const values = await series.locator('.u-value').allTextContents();
      return Object.fromEntries(labels.map((l, i) => [l, values[i]]));
    };
    const thisHour = new Date(Math.floor(Date.now() / HOUR) * HOUR).toISOString();
    const now = hourly.get(thisHour) ?? { Succeeded: 0, Failed: 0, Deferred: 0, 'In flight': 0 };
    const expected = {
      Bucket: thisHour.replace('T', ' ').slice(0, 16),
      Succeeded: String(now.Succeeded),
      Failed: String(now.Failed),
      Deferred: String(now.Deferred),
      'In flight': String(now['In flight']),
    };
    await until('the legend to follow the cursor', async () => (await legend()).Bucket === expected.Bucket, 5_000, 100);
    expect(await legend()).toEqual(expected);

    // Bank pressure: the 429 this hour; the unattended calls are the ledger's.
    const pressure = await chartTable(page, 'chart-bank-pressure');
    const calls = (
      await db.query<{ bucket: Date; n: number }>(
        `SELECT date_trunc('hour', at) AS bucket, count(*)::int AS n FROM access_ledger WHERE NOT psu_present AND at > now() - interval '24 hours' GROUP BY 1`,
      )
    ).rows;
    // (A bucket with nothing to show has no row.)
    for (const [bucket, b] of hourly) {
      const row = pressure.get(bucket);
      expect({ bucket, r429: row?.['Bank 429s'] ?? '0', spent: row?.['Budget spent'] ?? '0' }).toEqual({
        bucket,
        r429: String(b['Bank 429s']),
        spent: String(b['Budget spent']),
      });
    }
    for (const c of calls) expect(pressure.get(c.bucket.toISOString())?.['Unattended calls']).toBe(String(c.n));

    // Webhook deliveries and their commit→delivery latency, from the deliveries and their events.
    const deliveries = (
      await db.query<{ at: Date; latency: number }>(
        `SELECT d.last_attempt_at AS at, (extract(epoch FROM d.succeeded_at - e.created_at) * 1000)::float8 AS latency
           FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.status = 'succeeded'`,
      )
    ).rows;
    expect(deliveries.length).toBeGreaterThanOrEqual(3);
    const byHour = new Map<string, number[]>();
    for (const d of deliveries) {
      const key = new Date(Math.floor(d.at.getTime() / HOUR) * HOUR).toISOString();
      byHour.set(key, [...(byHour.get(key) ?? []), Math.max(0, d.latency)]);
    }
    const delivered = await chartTable(page, 'chart-deliveries');
    const latency = await chartTable(page, 'chart-latency');
    for (const [bucket, values] of byHour) {
      expect({ bucket, delivered: delivered.get(bucket)?.Delivered }).toEqual({
        bucket,
        delivered: String(values.length),
      });
      for (const [label, p] of [
        ['p50', 0.5],
        ['p99', 0.99],
      ] as const)
        expect({ bucket, label, ms: Number(latency.get(bucket)?.[label]) }).toEqual({
          bucket,
          label,
          ms: Math.round(percentile(values, p) * 10) / 10,
        });
    }
    expect(await pixelsOf(page, 'chart-deliveries', '#137a3a')).toBeGreaterThan(20);
    expect(await pixelsOf(page, 'chart-latency', '#2457c5')).toBeGreaterThan(20);

    // API traffic: what the gateway answered this test, the three 401s among the 4xx; the chart is the API's.
    const traffic = await admin('GET', '/admin/timeseries/api-requests?window=1h');
    const apiTable = await chartTable(page, 'chart-api');
    const sum = (key: string) => (traffic[key] as number[]).reduce((a, b) => a + b, 0);
    const shown = (label: string) => [...apiTable.values()].reduce((a, r) => a + Number(r[label]), 0);
    expect([shown('Requests'), shown('4xx'), shown('5xx')]).toEqual([
      sum('requests'),
      sum('clientErrors'),
      sum('serverErrors'),
    ]);
    expect(sum('requests')).toBeGreaterThanOrEqual(apiCalls);
    expect(sum('clientErrors')).toBeGreaterThanOrEqual(3);
    expect(sum('serverErrors')).toBe(0);

    // Queue depth: allstar's queue holds the refresh waiting behind the pause, now (the last point).
    await page.locator('#chart-queue').selectOption('sync.allstar');
    const depth = await until(
      'the queue chart for sync.allstar',
      async () => {
        const t = await chartTable(page, 'chart-queues');
        const last = [...t.entries()].pop();
        return last && last[1].Waiting === '1' ? last : null;
      },
      5_000,
      100,
    );
    const queues = await admin('GET', '/admin/timeseries/queues');
    expect(depth[0]).toBe(queues.buckets[queues.buckets.length - 1]);
    expect(queues.queues.find((q: any) => q.name === 'sync.allstar').current.waiting).toBe(1);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-charts-24h.png'), fullPage: true });
    for (const id of [
      'chart-sync-runs',
      'chart-bank-pressure',
      'chart-deliveries',
      'chart-latency',
      'chart-api',
      'chart-queues',
    ])
      await page.locator(`#${id}`).screenshot({ path: path.join(SCREENSHOTS, `${id}.png`) });

    // The 7-day view: 6-hour buckets, the run of 30 hours ago included.
    await page.locator('#chart-window').selectOption('7d');
    await until(
      'the 7-day view',
      async () => (await page.locator('#chart-sync-runs').getAttribute('data-points')) === '28',
      10_000,
      100,
    );
    const week = await runsPerBucket(SIX_HOURS);
    const weekTable = await chartTable(page, 'chart-sync-runs');
    expect([...weekTable.keys()].sort()).toEqual([...week.keys()].sort());
    for (const [bucket, b] of week)
      expect({ bucket, ...weekTable.get(bucket) }).toEqual({
        bucket,
        Succeeded: String(b.Succeeded),
        Failed: String(b.Failed),
        Deferred: String(b.Deferred),
        'In flight': String(b['In flight']),
      });
    const old = new Date(Math.floor((Date.now() - 30 * HOUR) / SIX_HOURS) * SIX_HOURS).toISOString();
    expect(weekTable.get(old)).toMatchObject({ Succeeded: expect.stringMatching(/^[1-9]/), Deferred: '1' });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-charts-7d.png'), fullPage: true });

    // Another bank: nothing ran there, the chart says so.
    await page.locator('#chart-bank').selectOption('alsalam');
    await page.locator('#chart-sync-runs details.chart-data p.muted').waitFor({ state: 'attached' });

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
