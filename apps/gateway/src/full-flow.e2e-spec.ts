import { Decimal } from 'decimal.js';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import {
  ResponseContract,
  TestReceiver,
  launchChromium,
  startStack,
  until,
  verifyStandardWebhook,
  type RunningStack,
} from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

interface OracleAccount {
  accountId: string;
  currency: string;
  booked: { count: number; sum: string };
  pending: { count: number; sum: string };
}

/**
 * The whole product, black box: every app as a process, a real browser at each sandbox bank, the first
 * sync, then the data served by the API equals the bank's own account of it (the sandbox oracle), the
 * change feed delivers every transaction once, and signed webhooks announce them with ids that resolve.
 */
describe('full flow: authorise in a browser, sync, read, be told', () => {
  let stack: RunningStack;
  let browser: Browser;
  let redirects: Receiver;
  const hooks = new TestReceiver();
  let db: pg.Client;
  let apiKey: string;
  let webhookSecret: string;
  let contract: ResponseContract;
  /** Every answer of the flow, checked against the published OpenAPI document. */
  const contractErrors: string[] = [];

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${apiKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    contractErrors.push(
      ...contract.check(init.method ?? 'GET', path, res.status, res.headers.get('content-type') ?? '', text),
    );
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const sandbox = async (path: string) => (await fetch(`${stack.sandboxUrl}${path}`)).json() as Promise<any>;
  const psu = async (bank: string, username: string): Promise<SandboxPsu> => {
    const list = await sandbox(`/${bank}/sandbox/psus`);
    return (Array.isArray(list) ? list : list.psus).find((p: SandboxPsu) => p.username === username);
  };
  const allPages = async <T>(path: string): Promise<T[]> => {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: any = await api(`${path}${sep}limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      out.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return out;
  };
  const waitForSync = (consentId: string, runs = 1) =>
    until(
      `${runs} successful sync(s) of ${consentId}`,
      async () => {
        const list = (await api(`/v1/consents/${consentId}/sync-runs`)).body;
        const failed = list.data.find((r: any) => r.status === 'failed');
        if (failed) throw new Error(`sync failed: ${JSON.stringify(failed.error)}`);
        return list.data.filter((r: any) => r.status === 'succeeded').length >= runs;
      },
      120_000,
      500,
    );

  async function authorise(bank: string, username: string): Promise<string> {
    const created = await api('/v1/consents', {
      method: 'POST',
      body: { providerId: bank, redirectUri: redirects.url, psuIpAddress: '203.0.113.9' },
    });
    if (created.status !== 201) throw new Error(`consent: ${created.status} ${JSON.stringify(created.body)}`);
    await actAsPsu(browser, created.body.authorisationUrl, await psu(bank, username), 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    return created.body.id;
  }

  beforeAll(async () => {
    // A (nearly) frozen bank clock: no new transaction arrives between the sync and the oracle.
    stack = await startStack({ label: 'fullflow', env: { SANDBOX_CLOCK_SCALE: '0.000001' } });
    contract = await ResponseContract.fetch(stack.gatewayUrl);
    browser = await launchChromium();
    redirects = await startReceiver();
    await hooks.start(stack.webhookReceiverPort); // the port the stack's allow-list names
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
      body: JSON.stringify({ name: 'Full Flow', redirectUris: [redirects.url] }),
    });
    apiKey = ((await tenant.json()) as { apiKey: string }).apiKey;
    const webhook = await api('/v1/webhooks', {
      method: 'POST',
      body: { url: `${hooks.url}/hooks`, events: ['transactions.added', 'sync.completed', 'consent.authorised'] },
    });
    expect(webhook.status).toBe(201);
    webhookSecret = webhook.body.secret;
  });
  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await redirects?.close();
    await hooks.stop();
    await stack?.stop();
  });

  it.each([
    { bank: 'allstar', username: 'alice' },
    { bank: 'alsalam', username: 'fatima' },
    { bank: 'saltbank', username: 'max' },
  ])('$bank: the API serves exactly what the bank has, the feed and the webhooks agree', async ({ bank, username }) => {
    const consentId = await authorise(bank, username);
    await waitForSync(consentId);
    const consent = (await api(`/v1/consents/${consentId}`)).body;
    expect(consent.lastSyncedAt).toEqual(expect.any(String));

    const accounts = await allPages<any>(`/v1/accounts?consentId=${consentId}`);
    const oracle = (await sandbox(`/${bank}/sandbox/psus/${username}/summary?from=${consent.transactionsFrom}`))
      .accounts as OracleAccount[];
    expect(accounts.map((a) => a.externalId).sort()).toEqual(oracle.map((o) => o.accountId).sort());

    const allIds: string[] = [];
    let categorisedAtBank = 0;
    for (const account of accounts) {
      const expected = oracle.find((o) => o.accountId === account.externalId)!;
      const txs = await allPages<any>(`/v1/accounts/${account.id}/transactions`);
      allIds.push(...txs.map((t) => t.id));
      const tally = (status: string) => {
        const of = txs.filter((t) => t.status === status);
        return { count: of.length, sum: of.reduce((s, t) => s.plus(t.amount.amount), new Decimal(0)) };
      };
      for (const status of ['booked', 'pending'] as const) {
        const got = tally(status);
        expect({ account: account.externalId, status, count: got.count }).toEqual({
          account: account.externalId,
          status,
          count: expected[status].count,
        });
        expect({ account: account.externalId, status, sum: got.sum.toString() }).toEqual({
          account: account.externalId,
          status,
          sum: new Decimal(expected[status].sum).toString(),
        });
      }
      for (const t of txs) {
        expect(t.amount.currency).toBe(expected.currency);
        expect(t.amount.amount).toMatch(
          bank === 'alsalam' && expected.currency === 'BHD' ? /^-?\d+\.\d{3}$/ : /^-?\d+\.\d{2,}$/,
        );
        expect(t.bookingDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        // Categories from the bank's codes: a payment at a supermarket (MCC 5411) is groceries, whatever
        // the bank; its refund is a refund.
        if (t.merchant?.categoryCode === '5411')
          expect(t.category).toBe(t.amount.amount.startsWith('-') ? 'groceries' : 'refund');
      }
      const categorised = txs.filter((t) => t.category !== null).length;
      categorisedAtBank += categorised;
      // Al Salam sends no code for its transfers (seed 003): only its card payments have a category.
      if (bank !== 'alsalam')
        expect({ account: account.externalId, categorised: categorised >= txs.length / 2 }).toEqual({
          account: account.externalId,
          categorised: true,
        });
      if (account.currency)
        expect((await api(`/v1/accounts/${account.id}/balances`)).body.data.length).toBeGreaterThan(0);
    }
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(categorisedAtBank).toBeGreaterThan(0);

    // The change feed from the start: every transaction once, as added. The feed shows changes once no
    // older transaction is still running anywhere in the cluster, so a client polls: so does this test.
    const feed: string[] = [];
    let cursor: string | undefined;
    await until(
      'the change feed to deliver every transaction',
      async () => {
        for (;;) {
          const page = (
            await api(`/v1/transactions/sync?consentId=${consentId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`)
          ).body;
          feed.push(...page.added.map((t: { id: string }) => t.id));
          cursor = page.nextCursor;
          if (!page.hasMore) break;
        }
        return feed.length >= allIds.length;
      },
      30_000,
      500,
    );
    expect(feed.sort()).toEqual([...allIds].sort());

    // Webhooks: signed, with ids that resolve through the API, each event also in GET /v1/events.
    const announced = await until(
      `transactions.added webhooks for ${consentId}`,
      () => {
        const events = hooks.received
          .map((r) => ({ r, body: JSON.parse(r.body) }))
          .filter(({ body }) => body.type === 'transactions.added' && body.data.consentId === consentId);
        const total = events.reduce((n, e) => n + e.body.data.count, 0);
        return total === allIds.length ? events : null;
      },
      60_000,
      250,
    );
    for (const { r, body } of announced) {
      expect(verifyStandardWebhook(webhookSecret, r.headers, r.body)).toEqual({ ok: true });
      expect(r.headers['webhook-id']).toBe(body.id);
      for (const id of body.data.transactionIds) expect(allIds).toContain(id);
      const logged = (await api(`/v1/events/${body.id}`)).body;
      expect(logged).toMatchObject({ id: body.id, type: 'transactions.added' });
    }
  });

  it('syncs statements and, with the PSU present, their transactions', async () => {
    const created = await api('/v1/consents', {
      method: 'POST',
      body: {
        providerId: 'allstar',
        redirectUri: redirects.url,
        psuIpAddress: '203.0.113.9',
        permissions: ['accounts', 'transactions', 'statements'],
      },
    });
    expect(created.status).toBe(201);
    await actAsPsu(browser, created.body.authorisationUrl, await psu('allstar', 'alice'), 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    await waitForSync(created.body.id);
    const [account] = await allPages<any>(`/v1/accounts?consentId=${created.body.id}`);
    const statements = (await api(`/v1/accounts/${account.id}/statements`)).body.data;
    expect(statements.length).toBeGreaterThan(0);
    const withTransactions = [];
    for (const statement of statements) {
      const res = await api(`/v1/accounts/${account.id}/statements/${statement.id}/transactions`);
      if (statement.transactionsStatus === 'available') {
        expect(res.status).toBe(200);
        if (res.body.data.length > 0) withTransactions.push(res.body.data);
      } else {
        // Not fetched yet: said so, never an empty list that would read as "no transactions".
        expect(statement).toMatchObject({ transactionsStatus: 'pending', transactionsFetchedAt: null });
        expect(res).toMatchObject({ status: 409, body: { code: 'conflict', transactionsStatus: 'pending' } });
      }
    }
    // With the PSU present the newest 12 are fetched; a later scheduled sync fetches the rest.
    const available = statements.filter((s: any) => s.transactionsStatus === 'available');
    expect(available.length).toBe(Math.min(statements.length, 12));
    expect(withTransactions.length).toBeGreaterThan(0);
    for (const t of withTransactions.flat()) expect(t.amount.amount).toMatch(/^-?\d+\.\d{2,}$/);
    expect((await api(`/v1/accounts/${account.id}/statements/res_nope/transactions`)).status).toBe(404);
  });

  it('keeps account and transaction ids across re-authorisation, even when the bank issues new account ids', async () => {
    const consentId = await authorise('allstar', 'bob');
    await waitForSync(consentId);
    const before = await allPages<any>(`/v1/accounts?consentId=${consentId}`);
    const txBefore = new Map<string, string[]>();
    for (const a of before)
      txBefore.set(a.id, (await allPages<any>(`/v1/accounts/${a.id}/transactions`)).map((t) => t.id).sort());

    // Many OBIE banks issue account ids per consent. The sandbox keeps them, so set the scene: the ids
    // we hold become what an earlier consent's ids would look like; matching must go by identifiers.
    await db.query(`UPDATE accounts SET external_id = 'earlier-consent-' || external_id WHERE consent_id = $1`, [
      consentId,
    ]);
    const again = await api(`/v1/consents/${consentId}/reauthorise`, { method: 'POST', body: {} });
    expect(again.status).toBe(200);
    await actAsPsu(browser, again.body.authorisationUrl, await psu('allstar', 'bob'), 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    await waitForSync(consentId, 2);

    const after = await allPages<any>(`/v1/accounts?consentId=${consentId}`);
    expect(after.map((a) => a.id).sort()).toEqual(before.map((a) => a.id).sort());
    for (const a of after)
      expect((await allPages<any>(`/v1/accounts/${a.id}/transactions`)).map((t) => t.id).sort()).toEqual(
        txBefore.get(a.id),
      );
    // The accounts now carry the bank's current ids again.
    expect(after.map((a) => a.externalId).sort()).toEqual(before.map((a) => a.externalId).sort());
    expect(after.every((a) => !a.externalId.startsWith('earlier-consent-'))).toBe(true);
  });

  it('syncs now with an answer: Prefer: wait returns the finished run, and a second refresh joins it', async () => {
    const consentId = await authorise('allstar', 'carol');
    await waitForSync(consentId);
    const refresh = async (prefer?: string) => {
      const res = await fetch(`${stack.gatewayUrl}/v1/consents/${consentId}/refresh`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(prefer ? { prefer } : {}),
        },
        body: JSON.stringify({ psuIpAddress: '203.0.113.9' }),
      });
      const text = await res.text();
      contractErrors.push(
        ...contract.check(
          'POST',
          `/v1/consents/${consentId}/refresh`,
          res.status,
          res.headers.get('content-type') ?? '',
          text,
        ),
      );
      return { status: res.status, applied: res.headers.get('preference-applied'), body: JSON.parse(text) };
    };
    // Both at once: the plain one is answered at once with the run, the waiting one with the run ended.
    const [waited, plain] = await Promise.all([refresh('wait=30'), refresh()]);
    expect(plain.status).toBe(202);
    expect(waited).toMatchObject({
      status: 200,
      applied: 'wait=30',
      body: { id: plain.body.syncRunId, status: 'succeeded' },
    });
    expect(waited.body.counts).toEqual(expect.objectContaining({ accounts: expect.any(Number) }));
    const runs = (await api(`/v1/consents/${consentId}/sync-runs`)).body.data as { id: string }[];
    expect(runs.filter((r) => r.id === plain.body.syncRunId)).toHaveLength(1);
    expect(runs).toHaveLength(2);
  });

  it('answered everything above as the OpenAPI document declares it', () => {
    expect(contractErrors).toEqual([]);
    // Consents, accounts, balances, transactions, the change feed, statements, sync runs, events, webhooks.
    expect(contract.seen.size).toBeGreaterThanOrEqual(12);
  });
});
