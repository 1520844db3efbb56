import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';
import { DataFixtures } from '../../test/data-fixtures.js';
import { expectTypedPages } from '../../test/openapi-pages.js';

type ResourceKind = 'statement' | 'party' | 'beneficiary' | 'standing_order' | 'direct_debit' | 'scheduled_payment';

/** A cursor with its position edited and its signature kept as it was. */
function tamper(cursor: string, edit: (position: Record<string, unknown>) => void): string {
  const [body, ...rest] = cursor.split('.');
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  edit(payload.p);
  return [Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'), ...rest].join('.');
}

interface Page {
  data: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

/**
 * The per-account lists of the data API (balances, statements and their transactions, party and the
 * other optional resources) follow the list contract: `limit` (1–500) and `cursor` in, `{ data,
 * nextCursor }` out, keyset-paginated with signed cursors.
 */
describe('per-account lists page with limit and cursor', () => {
  let gw: GatewayUnderTest;
  let fx: DataFixtures;
  let key: string;
  let tenantId: string;
  let consentId: string;

  const get = (path: string) => gw.request('GET', path, { token: key });

  /** Follows nextCursor from the first page to the last; `between` runs after each page. */
  async function pageThrough(path: string, limit: number, between?: (pages: Page[]) => Promise<void>) {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const res = await get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      pages.push(res.body as Page);
      cursor = res.body.nextCursor ?? undefined;
      if (cursor) expect(cursor.length).toBeLessThanOrEqual(512);
      await between?.(pages);
    } while (cursor && pages.length < 10);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    return pages;
  }

  async function expectProblem(path: string, code: string, field: string) {
    const res = await get(path);
    expect([path, res.status]).toEqual([path, 400]);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, code });
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  }

  /** limit 0 and 501, a cursor edited by hand, and a genuine cursor of another list: each a 400. */
  async function expectRejects(path: string, cursor: string, foreignCursor: string) {
    await expectProblem(`${path}?limit=0`, 'validation_failed', 'limit');
    await expectProblem(`${path}?limit=501`, 'validation_failed', 'limit');
    const edited = tamper(cursor, (p) => {
      const [name] = Object.keys(p);
      p[name] = typeof p[name] === 'number' ? p[name] + 1 : `${String(p[name])}0`;
    });
    await expectProblem(`${path}?cursor=${encodeURIComponent(edited)}`, 'invalid_cursor', 'cursor');
    await expectProblem(`${path}?cursor=${encodeURIComponent(foreignCursor)}`, 'invalid_cursor', 'cursor');
    await expectProblem(`${path}?cursor=${encodeURIComponent('not a cursor')}`, 'invalid_cursor', 'cursor');
  }

  let accountsCursor: string;

  beforeAll(async () => {
    gw = await startGateway();
    fx = new DataFixtures(gw.db.url);
    await fx.prisma.provider.create({
      data: {
        id: 'listbank',
        name: 'List Bank',
        country: 'GB',
        standard: 'obie_3_1',
        profile: 'allstar',
        status: 'active',
        capabilities: { accessWindow: { kind: 'rolling24h' }, maxFrequencyPerDay: 4 },
      },
    });
    const tenant = await gw.request('POST', '/admin/tenants', {
      token: gw.adminToken,
      body: { name: 'Lists', redirectUris: [] },
    });
    key = tenant.body.apiKey;
    tenantId = tenant.body.id;
    consentId = await fx.consent(tenantId, 'listbank', [
      'accounts',
      'balances',
      'statements',
      'party',
      'beneficiaries',
      'standingOrders',
      'directDebits',
      'scheduledPayments',
    ]);
    await fx.account(tenantId, consentId, 'listbank', 'GBP', 'GB29NWBK60161331926819');
    await fx.account(tenantId, consentId, 'listbank', 'GBP', 'GB94BARC10201530093459');
    accountsCursor = (await get(`/v1/accounts?consentId=${consentId}&limit=1`)).body.nextCursor;
    expect(typeof accountsCursor).toBe('string');
  });
  afterAll(async () => {
    await fx.close();
    await gw.close();
  });

  const newAccount = async (iban: string) => fx.account(tenantId, consentId, 'listbank', 'GBP', iban);

  it.each<[string, ResourceKind, string]>([
    ['statements', 'statement', 'GB33BUKB20201555555555'],
    ['party', 'party', 'GB71BARC20031885842853'],
    ['beneficiaries', 'beneficiary', 'GB39BARC20037838431497'],
    ['standing-orders', 'standing_order', 'GB60BARC20035383788426'],
    ['direct-debits', 'direct_debit', 'GB82WEST12345698765432'],
    ['scheduled-payments', 'scheduled_payment', 'GB15MIDL40051512345678'],
  ])(
    'GET /v1/accounts/{id}/%s pages through every item once, in the order stored, while items arrive',
    async (path, kind, iban) => {
      const accountId = await newAccount(iban);
      const item = (externalId: string) => ({ externalId, data: { externalId, reference: `ref ${externalId}` } });
      // Stored in this order (ids are time-ordered), which is not the bank ids' alphabetical order.
      await fx.resources(tenantId, accountId, kind, [item('x-3'), item('x-1'), item('x-2')]);
      const list = `/v1/accounts/${accountId}/${path}`;

      const pages = await pageThrough(list, 2, async (sofar) => {
        // After the first page the bank lists one more item, sorting first by its id: it must show up
        // once, on a later page, and push nothing already served into a later page.
        if (sofar.length === 1)
          await fx.resources(tenantId, accountId, kind, [item('x-3'), item('x-1'), item('x-2'), item('x-0')]);
      });
      expect(pages.map((p) => p.data.length)).toEqual([2, 2]);
      expect(typeof pages[0].nextCursor).toBe('string');
      const items = pages.flatMap((p) => p.data);
      expect(items.map((i) => i.externalId)).toEqual(['x-3', 'x-1', 'x-2', 'x-0']);
      const ids = items.map((i) => i.id as string);
      expect(new Set(ids).size).toBe(4);
      expect([...ids].sort()).toEqual(ids);
      expect(items[0]).toMatchObject({ reference: 'ref x-3', syncedAt: expect.any(String) });

      // Without limit: the default page (100) holds everything.
      const all = await get(list);
      expect(all.body).toEqual({ data: items, nextCursor: null });

      await expectRejects(list, pages[0].nextCursor!, accountsCursor);
    },
  );

  it('GET /v1/accounts/{id}/statements/{statementId}/transactions pages through the statement in the bank’s order', async () => {
    const accountId = await newAccount('GB27BOFI90212729823529');
    await fx.resources(tenantId, accountId, 'statement', [
      { externalId: 'st-1', data: { externalId: 'st-1', type: 'RegularPeriodic' } },
      { externalId: 'st-2', data: { externalId: 'st-2', type: 'RegularPeriodic' } },
    ]);
    const items = ['first', 'second', 'third'].map((description, i) => ({
      externalId: `t-${i}`,
      description,
      amount: { amount: `-${i + 1}.00`, currency: 'GBP' },
    }));
    await fx.statementTransactions(accountId, 'st-1', items);
    await fx.statementTransactions(accountId, 'st-2', items.slice(0, 2));
    const statements = (await get(`/v1/accounts/${accountId}/statements`)).body.data as Array<{ id: string }>;
    const [s1, s2] = statements.map((s) => s.id);
    const list = `/v1/accounts/${accountId}/statements/${s1}/transactions`;

    const pages = await pageThrough(list, 2);
    expect(pages.map((p) => p.data.length)).toEqual([2, 1]);
    expect(pages.flatMap((p) => p.data)).toEqual(items);
    expect((await get(list)).body).toEqual({ data: items, nextCursor: null });

    // A cursor of the other statement's transactions belongs to another list.
    const other = await pageThrough(`/v1/accounts/${accountId}/statements/${s2}/transactions`, 1);
    expect(other.map((p) => p.data.length)).toEqual([1, 1]);
    await expectRejects(list, pages[0].nextCursor!, other[0].nextCursor!);
  });

  it('GET /v1/accounts/{id}/balances pages by balance type', async () => {
    const accountId = await newAccount('GB24NWBK60161331926820');
    const balance = (type: string, originalType: string, amount: string) => ({
      type,
      originalType,
      amount,
      currency: 'GBP',
      creditLines: [],
      referenceDate: '2026-03-01',
      referenceAt: null,
    });
    await fx.balances(tenantId, accountId, [
      balance('interimAvailable', 'InterimAvailable', '10.00'),
      balance('closingBooked', 'ClosingBooked', '12.00'),
      balance('expected', 'Expected', '9.50'),
    ]);
    const list = `/v1/accounts/${accountId}/balances`;

    const pages = await pageThrough(list, 2);
    expect(pages.map((p) => p.data.length)).toEqual([2, 1]);
    const items = pages.flatMap((p) => p.data);
    expect(items.map((b) => [b.type, b.originalType, b.amount])).toEqual([
      ['closingBooked', 'ClosingBooked', { amount: '12.00', currency: 'GBP' }],
      ['expected', 'Expected', { amount: '9.50', currency: 'GBP' }],
      ['interimAvailable', 'InterimAvailable', { amount: '10.00', currency: 'GBP' }],
    ]);
    expect((await get(list)).body).toEqual({ data: items, nextCursor: null });

    await expectRejects(list, pages[0].nextCursor!, accountsCursor);
  });

  it('declares limit, cursor and a typed page for each list in the OpenAPI document', async () => {
    await expectTypedPages(gw, [
      '/v1/accounts',
      '/v1/accounts/{accountId}/transactions',
      '/v1/accounts/{accountId}/balances',
      '/v1/accounts/{accountId}/statements',
      '/v1/accounts/{accountId}/statements/{statementId}/transactions',
      '/v1/accounts/{accountId}/party',
      '/v1/accounts/{accountId}/beneficiaries',
      '/v1/accounts/{accountId}/standing-orders',
      '/v1/accounts/{accountId}/direct-debits',
      '/v1/accounts/{accountId}/scheduled-payments',
    ]);
  });
});
