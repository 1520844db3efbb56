import pg from 'pg';
import { Queue, Worker } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { bullPrefix, syncQueueName } from '@ais/contracts';
import { openBullConnection } from '@ais/db';
import { launchChromium, startStack, type RunningStack } from '@ais/testing';

const HOSTILE_NAME = '<img src=x onerror=alert(1)> Evil & Co';

/**
 * The operators' dashboard in a real browser against the apps as processes: sign in with the admin
 * token, read the overview and the queues, retry a failed job, pause and resume a bank's queue,
 * re-onboard a bank, and check the token only ever travels as an Authorization header.
 */
describe('ops dashboard, black box in a real browser', () => {
  let stack: RunningStack;
  let browser: Browser;
  let db: pg.Client;
  let syncQueue: Queue;
  let failedJobId: string;
  /** Every request a page made, with the headers it was sent with. */
  interface Sent {
    url: string;
    method: string;
    postData: string;
    headers: Promise<Record<string, string>>;
  }
  let requests: Sent[] = [];
  let problems: string[] = [];

  const admin = async (method: string, path: string) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'dashboard',
    });
    browser = await launchChromium();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    for (let i = 0; i < 120; i++) {
      if ((await db.query(`SELECT 1 FROM provider_registrations WHERE provider_id = 'allstar'`)).rowCount === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const tenant = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: HOSTILE_NAME, redirectUris: [] }),
    });
    const tenantId = ((await tenant.json()) as { id: string }).id;
    await db.query(
      `INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, updated_at)
       VALUES ('cons_e2e', $1, 'allstar', 'authorised', now() + interval '30 days', 4, 'https://x/cb', now())`,
      [tenantId],
    );
    await db.query(
      `INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at, finished_at, error_code, error_detail)
       VALUES ('sr_e2e', $1, 'cons_e2e', 'scheduled', 'failed', now() - interval '2 minutes', now() - interval '1 minute', 'bank_invalid_response', '<script>alert(2)</script> bad JSON')`,
      [tenantId],
    );

    // No sync-worker runs in this stack: a throwaway worker fails one job on allstar's queue.
    const connection = openBullConnection({ url: stack.env.REDIS_URL, prefix: stack.env.REDIS_PREFIX }).connection;
    const prefix = bullPrefix(stack.env.REDIS_PREFIX, syncQueueName('allstar'));
    syncQueue = new Queue(syncQueueName('allstar'), { connection, prefix });
    const worker = new Worker(
      syncQueueName('allstar'),
      async () => {
        throw new Error('bank_invalid_response: the bank sent HTML');
      },
      { connection, prefix },
    );
    failedJobId = 'sync-cons_e2e';
    await syncQueue.add(
      'sync-consent',
      { tenantId, consentId: 'cons_e2e', providerId: 'allstar', syncRunId: 'sr_e2e', trigger: 'scheduled' },
      { jobId: failedJobId, attempts: 1, removeOnFail: false },
    );
    for (let i = 0; i < 200 && (await syncQueue.getFailedCount()) === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    await worker.close();
    expect(await syncQueue.getJobState(failedJobId)).toBe('failed');
  });

  afterAll(async () => {
    await syncQueue?.obliterate({ force: true }).catch(() => undefined);
    await syncQueue?.close();
    await db?.end();
    await browser?.close();
    await stack?.stop();
  });

  /** The token went only in the Authorization header of same-origin admin API calls: not in a URL, a body, another header, or to the page and its assets. */
  async function expectTokenOnlyInAuthorizationHeaders(): Promise<void> {
    const origin = new URL(stack.gatewayUrl).origin;
    const isApi = (url: URL) => url.pathname.startsWith('/admin/') && !url.pathname.startsWith('/admin/assets/');
    expect(requests.filter((r) => isApi(new URL(r.url))).length).toBeGreaterThan(8);
    expect(requests.some((r) => r.method === 'POST')).toBe(true);
    for (const r of requests) {
      const url = new URL(r.url);
      expect(url.origin).toBe(origin);
      expect(r.url).not.toContain(stack.adminToken);
      expect(r.postData).not.toContain(stack.adminToken);
      const headers = await r.headers;
      for (const [name, value] of Object.entries(headers)) {
        if (name !== 'authorization')
          expect({ name, leaks: value.includes(stack.adminToken) }).toEqual({ name, leaks: false });
      }
      expect({ path: url.pathname, authorization: headers.authorization }).toEqual({
        path: url.pathname,
        authorization: isApi(url) ? `Bearer ${stack.adminToken}` : undefined,
      });
    }
  }

  async function openDashboard(): Promise<Page> {
    requests = [];
    problems = [];
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('request', (r) => {
      const headers = r.allHeaders();
      headers.catch(() => undefined);
      requests.push({ url: r.url(), method: r.method(), postData: r.postData() ?? '', headers });
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      if (d.type() !== 'confirm') problems.push(`unexpected ${d.type()}: ${d.message()}`);
      void d.accept();
    });
    await page.goto(`${stack.gatewayUrl}/admin`);
    return page;
  }

  it('signs in with the token, shows stats, providers and queues, retries a failed job, pauses and resumes a queue, sending the token only as a header', async () => {
    const page = await openDashboard();
    await page.getByLabel('Admin token').fill(stack.adminToken);
    await page.getByRole('button', { name: 'Open dashboard' }).click();

    // Overview and the queue with its failed job.
    await page.locator('#stats .card').first().waitFor();
    await expectText(page, '#stats', 'Tenants');
    await expectText(page, '#stats', '1 failed');
    const allstarQueue = page.locator('#queues tr[data-queue="sync.allstar"]');
    await allstarQueue.waitFor();
    expect(await allstarQueue.locator('td').nth(4).textContent()).toBe('1');
    await page.locator('#providers tr[data-provider="allstar"]').waitFor();
    expect(await page.locator('#providers tr[data-provider="allstar"] td').nth(2).textContent()).not.toBe('missing');

    // Whatever the API returns is text on the page, never markup.
    await expectText(page, '#tenants', HOSTILE_NAME);
    await expectText(page, '#sync-runs', '<script>alert(2)</script> bad JSON');
    expect(await page.locator('#tenants img, #sync-runs script').count()).toBe(0);

    // Retry the failed job.
    const retry = page.locator(`#failed-jobs button[data-action="retry"][data-job="${failedJobId}"]`);
    await retry.click();
    await page.getByText(`Job ${failedJobId} is waiting again.`).waitFor();
    expect(await syncQueue.getJobState(failedJobId)).toBe('waiting');
    await page.locator(`#failed-jobs button[data-job="${failedJobId}"]`).waitFor({ state: 'detached' });
    await expectText(page, '#audit', 'queue.job_retried');

    // Pause allstar's queue during a bank incident, then resume it.
    await allstarQueue.getByRole('button', { name: 'Pause' }).click();
    await allstarQueue.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await syncQueue.isPaused()).toBe(true);
    await expectText(page, '#providers tr[data-provider="allstar"]', 'paused');
    await allstarQueue.getByRole('button', { name: 'Resume' }).click();
    await allstarQueue.getByRole('button', { name: 'Pause' }).waitFor();
    expect(await syncQueue.isPaused()).toBe(false);

    // Onboarding through the connector-service (the registration exists: it is confirmed, not redone).
    await page.locator('#providers tr[data-provider="allstar"] button[data-action="onboard"]').click();
    await page.getByText('allstar is registered.').waitFor();
    const audit = await admin('GET', '/admin/audit-log?limit=10');
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['queue.job_retried', 'queue.paused', 'queue.resumed', 'provider.onboarded']),
    );

    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await expectTokenOnlyInAuthorizationHeaders();
    await page.context().close();
  });

  it('asks again for the token when the API refuses it', async () => {
    const page = await openDashboard();
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.getByText('The admin token was refused: enter it again.').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    await page.context().close();
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).getByText(text, { exact: false }).first().waitFor();
}
