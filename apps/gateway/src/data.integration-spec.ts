import { startGateway, type GatewayUnderTest } from '../test/gateway-harness.js';
import { DataFixtures } from '../test/data-fixtures.js';
import { TransactionWriteRepository } from '@ais/db';

/** A cursor with its position edited (whatever follows the position, e.g. a signature, kept as it was). */
function tamper(cursor: string, edit: (position: Record<string, unknown>) => void): string {
  const [body, ...rest] = cursor.split('.');
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  edit(payload.p);
  return [Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'), ...rest].join('.');
}

describe('data API over data written through the load-path repositories', () => {
  let gw: GatewayUnderTest;
  let fx: DataFixtures;
  let key: string;
  let tenantId: string;

  const get = async (path: string) => gw.request('GET', path, { token: key });

  beforeAll(async () => {
    gw = await startGateway();
    fx = new DataFixtures(gw.db.url);
    await fx.prisma.provider.create({
      data: {
        id: 'testbank',
        name: 'Test Bank',
        country: 'GB',
        standard: 'obie_3_1',
        profile: 'allstar',
        status: 'active',
        capabilities: {
          supportedPermissions: ['accounts', 'balances', 'transactions'],
          accessWindow: { kind: 'rolling24h' },
          maxConsentDays: 90,
          maxHistoryDays: 730,
          maxFrequencyPerDay: 4,
        },
      },
    });
    const tenant = await gw.request('POST', '/admin/tenants', {
      token: gw.adminToken,
      body: { name: 'Reader', redirectUris: [] },
    });
    key = tenant.body.apiKey;
    tenantId = tenant.body.id;
  });
  afterAll(async () => {
    await fx.close();
    await gw.close();
  });

  it('formats money as decimal strings in the currency’s minor units and dates as the bank’s calendar dates', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const gbp = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB33BUKB20201555555555');
    const bhd = await fx.account(tenantId, consentId, 'testbank', 'BHD', 'BH02ALSA01010200120101');
    await fx.write(tenantId, consentId, gbp, [
      {
        row: fx.row({
          bookingDate: '2026-03-01',
          amount: '-12.5',
          currency: 'GBP',
          merchantName: 'Coffee',
          merchantCategoryCode: '5814',
        }),
        kind: 'added',
      },
      { row: fx.row({ bookingDate: '2026-03-02', amount: '1.234', currency: 'GBP' }), kind: 'added' },
    ]);
    await fx.write(tenantId, consentId, bhd, [
      { row: fx.row({ bookingDate: '2016-06-26', amount: '-352.5', currency: 'BHD' }), kind: 'added' },
    ]);

    const gbpTx = (await get(`/v1/accounts/${gbp}/transactions`)).body.data;
    expect(gbpTx.map((t: any) => [t.bookingDate, t.amount])).toEqual([
      ['2026-03-02', { amount: '1.234', currency: 'GBP' }], // extra precision kept
      ['2026-03-01', { amount: '-12.50', currency: 'GBP' }],
    ]);
    expect(gbpTx[1].merchant).toEqual({ name: 'Coffee', categoryCode: '5814' });
    expect(gbpTx[1]).not.toHaveProperty('raw');
    expect((await get(`/v1/accounts/${gbp}/transactions?include=raw`)).body.data[0].raw).toEqual({ bank: 'item' });
    const bhdTx = (await get(`/v1/accounts/${bhd}/transactions`)).body.data;
    expect(bhdTx[0].amount).toEqual({ amount: '-352.500', currency: 'BHD' });
    expect(bhdTx[0].bookingDate).toBe('2016-06-26');
    // No JSON number anywhere an amount lives.
    expect(JSON.stringify(gbpTx)).not.toMatch(/"amount":\s*-?\d/);
    const account = (await get(`/v1/accounts/${bhd}`)).body;
    expect(account).toMatchObject({
      id: bhd,
      consentId,
      currency: 'BHD',
      identifiers: [{ scheme: 'iban', identification: 'BH02ALSA01010200120101' }],
      openedAt: '2020-05-01',
    });
  });

  it('keeps pages stable while transactions arrive: no row lost or repeated', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'EUR', 'DE89370400440532013000');
    const days = Array.from({ length: 30 }, (_, i) => `2026-02-${String((i % 28) + 1).padStart(2, '0')}`);
    const original = days.flatMap((d, i) =>
      [0, 1, 2].map((n) => fx.row({ bookingDate: d, amount: `-${i}.${n}0`, currency: 'EUR' })),
    );
    await fx.write(
      tenantId,
      consentId,
      accountId,
      original.map((row) => ({ row, kind: 'added' as const })),
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res: { body: { data: Array<{ id: string; bookingDate: string }>; nextCursor: string | null } } = await get(
        `/v1/accounts/${accountId}/transactions?limit=17${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.data.map((t) => t.id));
      cursor = res.body.nextCursor;
      if (page++ === 1) {
        // Inserts while the client pages: newer, older and same-day as the cursor's position.
        const late = ['2026-03-15', '2026-02-01', res.body.data.at(-1)!.bookingDate, '2026-02-14'].map((d) =>
          fx.row({ bookingDate: d, amount: '-9.99', currency: 'EUR' }),
        );
        await fx.write(
          tenantId,
          consentId,
          accountId,
          late.map((row) => ({ row, kind: 'added' as const })),
        );
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length); // nothing repeated
    for (const row of original) expect(seen).toContain(row.id); // nothing lost
  });

  it('filters by booking-date window and status, and validates the filters', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB94BARC10201530093459');
    await fx.write(tenantId, consentId, accountId, [
      { row: fx.row({ bookingDate: '2026-01-10', amount: '-1', currency: 'GBP' }), kind: 'added' },
      { row: fx.row({ bookingDate: '2026-01-20', amount: '-2', currency: 'GBP', status: 'pending' }), kind: 'added' },
      { row: fx.row({ bookingDate: '2026-01-30', amount: '-3', currency: 'GBP' }), kind: 'added' },
    ]);
    const window = (await get(`/v1/accounts/${accountId}/transactions?from=2026-01-15&to=2026-01-30`)).body.data;
    expect(window.map((t: any) => t.bookingDate)).toEqual(['2026-01-30', '2026-01-20']);
    const pending = (await get(`/v1/accounts/${accountId}/transactions?status=pending`)).body.data;
    expect(pending.map((t: any) => t.status)).toEqual(['pending']);
    const bad = await get(`/v1/accounts/${accountId}/transactions?from=2026-1-5&status=maybe&limit=501`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['from', 'limit', 'status']);
    expect((await get(`/v1/accounts/${accountId}/transactions?from=2026-02-01&to=2026-01-01`)).status).toBe(400);
    // Days that do not exist are refused by name (month 13 reached Prisma as an Invalid Date: 500).
    for (const [query, field] of [
      ['from=2026-13-01', 'from'],
      ['from=2026-00-10', 'from'],
      ['to=2026-02-30', 'to'],
      ['to=2025-02-29', 'to'],
    ]) {
      const res = await get(`/v1/accounts/${accountId}/transactions?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toEqual([field]);
    }
    expect((await get(`/v1/accounts/${accountId}/transactions?to=2024-02-29`)).status).toBe(200);
  });

  it('serves the change feed: added, modified, removed once each, replayable cursors', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB29NWBK60161331926819');
    const rows = Array.from({ length: 12 }, (_, i) =>
      fx.row({
        bookingDate: `2026-04-${String(i + 1).padStart(2, '0')}`,
        amount: `-${i + 1}.00`,
        currency: 'GBP',
        status: i === 0 ? 'pending' : 'booked',
      }),
    );
    await fx.write(
      tenantId,
      consentId,
      accountId,
      rows.map((row) => ({ row, kind: 'added' as const })),
    );

    // The feed shows committed changes once no older transaction of this database is still running:
    // poll as a client would.
    let first: any;
    for (let i = 0; i < 50 && !(first?.added?.length === 5); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      first = (await get(`/v1/transactions/sync?consentId=${consentId}&limit=5`)).body;
    }
    expect(first.added).toHaveLength(5);
    expect(first.hasMore).toBe(true);
    const replay = (await get(`/v1/transactions/sync?consentId=${consentId}&limit=5`)).body;
    expect(replay.added.map((t: any) => t.id)).toEqual(first.added.map((t: any) => t.id));
    let cursor = first.nextCursor;
    const second = (await get(`/v1/transactions/sync?consentId=${consentId}&cursor=${cursor}&limit=50`)).body;
    expect(second.added).toHaveLength(7);
    expect(second.hasMore).toBe(false);
    cursor = second.nextCursor;
    expect((await get(`/v1/transactions/sync?consentId=${consentId}&cursor=${cursor}`)).body).toEqual({
      added: [],
      modified: [],
      removed: [],
      nextCursor: cursor,
      hasMore: false,
    });

    // The pending one books under a new id (and is removed); another is modified.
    const booked = fx.row({
      bookingDate: '2026-04-01',
      amount: '-1.00',
      currency: 'GBP',
      pendingTransactionId: rows[0].id,
    });
    const changed = { ...rows[5], description: 'Card payment (corrected)', contentHash: 'changed' };
    await fx.write(
      tenantId,
      consentId,
      accountId,
      [
        { row: booked, kind: 'added' },
        { row: changed, kind: 'modified' },
      ],
      [rows[0].id],
    );
    let third: any;
    for (let i = 0; i < 50 && !(third?.removed?.length === 1); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      third = (await get(`/v1/transactions/sync?accountId=${accountId}&cursor=${cursor}`)).body;
    }
    expect(third.added.map((t: any) => [t.id, t.pendingTransactionId])).toEqual([[booked.id, rows[0].id]]);
    expect(third.modified.map((t: any) => [t.id, t.description])).toEqual([[rows[5].id, 'Card payment (corrected)']]);
    expect(third.removed).toEqual([{ id: rows[0].id }]);
    const list = (await get(`/v1/accounts/${accountId}/transactions?limit=500`)).body.data.map((t: any) => t.id);
    expect(list).not.toContain(rows[0].id);

    expect((await get(`/v1/transactions/sync?consentId=${consentId}&accountId=${accountId}`)).status).toBe(400);
    expect((await get(`/v1/transactions/sync`)).status).toBe(400);
    expect(
      (await get(`/v1/transactions/sync?consentId=${consentId}&cursor=${first.nextCursor.slice(0, -4)}`)).status,
    ).toBe(400);
  });

  it('stores new rows COPYed in byte for byte, and nothing of a batch that rolls back', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB94BARC10201530093459');
    const awkward = 'Say "hi",\tpay £5,00\r\nsecond line \\ back\\slash \\. ünïcödé';
    const rows = [
      fx.row({
        bookingDate: '2026-06-01',
        amount: '-5.00',
        currency: 'GBP',
        description: awkward,
        reference: '',
        merchantName: null,
        counterparty: JSON.stringify({ name: 'O"Brien, "Ltd"\n' }),
        raw: JSON.stringify({ note: awkward, nested: { list: [1, '2', null] } }),
      }),
      fx.row({ bookingDate: '2026-06-02', amount: '0.00000001', currency: 'GBP', description: '' }),
    ];
    await fx.write(
      tenantId,
      consentId,
      accountId,
      rows.map((row) => ({ row, kind: 'added' as const, fresh: true })),
    );
    const stored = await fx.prisma.transaction.findMany({ where: { accountId }, orderBy: { bookingDate: 'asc' } });
    expect(
      stored.map((t) => [
        t.id,
        t.description,
        t.reference,
        t.merchantName,
        t.amount.toFixed(),
        t.counterparty,
        t.raw,
        t.removedAt,
      ]),
    ).toEqual([
      [
        rows[0].id,
        awkward,
        '',
        null,
        '-5',
        { name: 'O"Brien, "Ltd"\n' },
        { note: awkward, nested: { list: [1, '2', null] } },
        null,
      ],
      [rows[1].id, '', null, null, '0.00000001', null, { bank: 'item' }, null],
    ]);
    const changes = await fx.prisma.transactionChange.findMany({ where: { accountId }, orderBy: { id: 'asc' } });
    expect(changes.map((c) => [c.transactionId, c.kind])).toEqual(rows.map((r) => [r.id, 'added']));

    const lost = fx.row({ bookingDate: '2026-06-03', amount: '-1.00', currency: 'GBP' });
    await expect(
      fx.prisma.$transaction(async (tx) => {
        await new TransactionWriteRepository().write(tx, {
          tenantId,
          consentId,
          accountId,
          upserts: [{ row: lost, kind: 'added', fresh: true }],
          removedIds: [],
          now: new Date(),
        });
        throw new Error('the sync failed after the load');
      }),
    ).rejects.toThrow('the sync failed after the load');
    expect(await fx.prisma.transaction.count({ where: { id: lost.id } })).toBe(0);
    expect(await fx.prisma.transactionChange.count({ where: { transactionId: lost.id } })).toBe(0);
  });

  it('never lets a cursor skip a change whose transaction commits late', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB12CITI08321012345678');
    const feed = async (cursor?: string) =>
      (await get(`/v1/transactions/sync?consentId=${consentId}${cursor ? `&cursor=${cursor}` : ''}`)).body;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = fx.row({ bookingDate: '2026-05-01', amount: '-1.00', currency: 'GBP' });
    const fast = fx.row({ bookingDate: '2026-05-02', amount: '-2.00', currency: 'GBP' });
    // A sync starts writing first but commits last (e.g. a big account), while a small one commits.
    let started!: () => void;
    const began = new Promise<void>((resolve) => (started = resolve));
    const late = fx.prisma.$transaction(
      async (tx) => {
        await new TransactionWriteRepository().write(tx, {
          tenantId,
          consentId,
          accountId,
          upserts: [{ row: slow, kind: 'added' }],
          removedIds: [],
          now: new Date(),
        });
        started();
        await gate;
      },
      { timeout: 30_000 },
    );
    await began;
    await fx.write(tenantId, consentId, accountId, [{ row: fast, kind: 'added' }]);
    const whileOpen = await feed();
    expect(whileOpen.added).toEqual([]); // the committed change waits behind the older open one
    release();
    await late;
    const after = await feed(whileOpen.nextCursor);
    expect(after.added.map((t: { id: string }) => t.id).sort()).toEqual([slow.id, fast.id].sort());
  });

  it('answers a tampered cursor with a 400 invalid_cursor problem, and pages on with the cursors it handed out', async () => {
    const consentId = await fx.consent(tenantId, 'testbank');
    const accounts = [
      await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB71BARC20031885842853'),
      await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB39BARC20037838431497'),
      await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB60BARC20035383788426'),
    ];
    const accountsPage = async (cursor?: string) =>
      get(`/v1/accounts?consentId=${consentId}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await accountsPage(cursor);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((a: { id: string }) => a.id));
      cursor = page.body.nextCursor ?? undefined;
      if (cursor) expect(cursor.length).toBeLessThanOrEqual(512);
    } while (cursor);
    expect(seen.sort()).toEqual([...accounts].sort());

    await fx.write(tenantId, consentId, accounts[0], [
      { row: fx.row({ bookingDate: '2026-07-01', amount: '-1.00', currency: 'GBP' }), kind: 'added' },
    ]);
    const feedCursor: string = (await get(`/v1/transactions/sync?consentId=${consentId}`)).body.nextCursor;
    const firstAccounts: string = (await accountsPage()).body.nextCursor;

    // The position inside a cursor edited by hand (what the black-box sweep sent): a date that does not
    // exist reached Postgres, and "1'" reached BigInt(); both were a 500.
    const invalid = async (path: string) => {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code: 'invalid_cursor' });
    };
    await invalid(
      `/v1/accounts?consentId=${consentId}&cursor=${tamper(firstAccounts, (p) => (p.c = '2026-13-45T99:00:00.000Z'))}`,
    );
    await invalid(`/v1/transactions/sync?consentId=${consentId}&cursor=${tamper(feedCursor, (p) => (p.x = "1'"))}`);
    await invalid(`/v1/transactions/sync?consentId=${consentId}&cursor=${tamper(feedCursor, (p) => (p.x = '2'))}`);
    // A genuine cursor of another list, and text that is no cursor at all.
    await invalid(`/v1/transactions/sync?consentId=${consentId}&cursor=${firstAccounts}`);
    await invalid(`/v1/accounts?cursor=${encodeURIComponent('not a cursor')}`);

    // The cursors handed out still work after all that.
    expect((await accountsPage(firstAccounts)).body.data).toHaveLength(1);
    expect((await get(`/v1/transactions/sync?consentId=${consentId}&cursor=${feedCursor}`)).status).toBe(200);
  });

  it('answers permission_not_granted for resources outside the consent', async () => {
    const consentId = await fx.consent(tenantId, 'testbank', ['accounts']);
    const accountId = await fx.account(tenantId, consentId, 'testbank', 'GBP', 'GB82WEST12345698765432');
    for (const path of [
      'balances',
      'transactions',
      'statements',
      'party',
      'beneficiaries',
      'standing-orders',
      'direct-debits',
      'scheduled-payments',
    ]) {
      const res = await get(`/v1/accounts/${accountId}/${path}`);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_not_granted');
    }
  });
});
