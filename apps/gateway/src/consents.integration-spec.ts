import { startGateway, type GatewayUnderTest } from '../test/gateway-harness.js';
import { DataFixtures } from '../test/data-fixtures.js';

describe('consent reads: list, filters, cursor, budget', () => {
  let gw: GatewayUnderTest;
  let fx: DataFixtures;
  let key: string;
  let tenantId: string;
  const get = (path: string) => gw.request('GET', path, { token: key });

  beforeAll(async () => {
    gw = await startGateway();
    fx = new DataFixtures(gw.db.url);
    for (const [id, window] of [
      ['rollingbank', { kind: 'rolling24h' }],
      ['calendarbank', { kind: 'calendarDay', timeZone: 'Europe/Berlin' }],
    ] as const) {
      await fx.prisma.provider.create({
        data: {
          id,
          name: id,
          country: 'GB',
          standard: 'obie_3_1',
          profile: 'allstar',
          status: 'active',
          capabilities: {
            supportedPermissions: ['accounts', 'balances', 'transactions'],
            bulkEndpoints: [],
            accessWindow: window,
          },
        },
      });
    }
    const tenant = (
      await gw.request('POST', '/admin/tenants', { token: gw.adminToken, body: { name: 'Lister', redirectUris: [] } })
    ).body;
    key = tenant.apiKey;
    tenantId = tenant.id;
  });
  afterAll(async () => {
    await fx.close();
    await gw.close();
  });

  it('lists newest first with filters and a cursor that never repeats or skips', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = await fx.consent(tenantId, i % 2 ? 'rollingbank' : 'calendarbank');
      await fx.prisma.consent.update({
        where: { id },
        data: { endUserId: i < 3 ? 'u-1' : 'u-2', status: i === 6 ? 'revoked' : 'authorised' },
      });
      ids.push(id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(`/v1/consents?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await get('/v1/consents?endUserId=u-1')).body.data.map((c: any) => c.id)).toEqual(
      ids.slice(0, 3).reverse(),
    );
    expect((await get('/v1/consents?status=revoked')).body.data.map((c: any) => c.id)).toEqual([ids[6]]);
    expect((await get('/v1/consents?providerId=rollingbank')).body.data).toHaveLength(3);
    const bad = await get('/v1/consents?status=happy&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['limit', 'status']);
  });

  it('shows the unattended budget the way the bank counts it, per scope of the next sync', async () => {
    const consentId = await fx.consent(tenantId, 'rollingbank');
    await fx.account(tenantId, consentId, 'rollingbank', 'GBP', 'GB33BUKB20201555555555');
    await fx.prisma.account.updateMany({ where: { consentId }, data: { externalId: 'acc-1' } });
    const now = Date.now();
    const entries = [
      { scope: '*', resource: 'accounts', ago: 60 },
      { scope: 'acc-1', resource: 'transactions', ago: 23 * 60 },
      { scope: 'acc-1', resource: 'transactions', ago: 60 },
      { scope: 'acc-1', resource: 'transactions', ago: 30 },
      { scope: 'acc-1', resource: 'transactions', ago: 10 },
      { scope: 'acc-1', resource: 'transactions', ago: 25 * 60 }, // outside the rolling window
    ];
    for (const e of entries)
      await fx.prisma.accessLedgerEntry.create({
        data: {
          consentId,
          scope: e.scope,
          resource: e.resource,
          psuPresent: false,
          at: new Date(now - e.ago * 60_000),
        },
      });
    await fx.prisma.accessLedgerEntry.create({
      data: { consentId, scope: 'acc-1', resource: 'transactions', psuPresent: true, at: new Date(now - 5 * 60_000) },
    }); // never counts
    const consent = (await get(`/v1/consents/${consentId}`)).body;
    expect(consent.budget).toMatchObject({ unattendedPerDay: 4, usedInWindow: 4, window: 'rolling24h' });
    expect(consent.budget.scopes.map((s: any) => `${s.scope}/${s.resource}`).sort()).toEqual([
      '*/accounts',
      'acc-1/balances',
      'acc-1/transactions',
    ]);
    expect(consent.budget.scopes.find((s: any) => s.resource === 'transactions')).toMatchObject({
      scope: 'acc-1',
      used: 4,
      remaining: 0,
    });
    expect(consent.budget.scopes.find((s: any) => s.resource === 'balances')).toMatchObject({
      used: 0,
      remaining: 4,
      nextAllowedAt: null,
    });
    // The oldest counted call (23 h ago) leaves the window 1 h from now: that is when a full sync can run.
    const next = Date.parse(consent.budget.nextAllowedAt);
    expect(Math.abs(next - (now - 23 * 3_600_000 + 24 * 3_600_000))).toBeLessThan(5_000);
    expect(consent.budget.scopes.find((s: any) => s.scope === '*')).toMatchObject({
      used: 1,
      remaining: 3,
      nextAllowedAt: null,
    });
  });

  it('validates the consent body field by field before anything happens', async () => {
    const res = await gw.request('POST', '/v1/consents', {
      token: key,
      body: {
        providerId: '',
        redirectUri: 5,
        permissions: ['accounts', 'telepathy'],
        frequencyPerDay: 0,
        expiresAt: 'tomorrow',
        transactionsFrom: '2026/01/01',
        metadata: { a: 1 },
        psuIpAddress: 'localhost',
        surprise: true,
      },
    });
    expect(res.status).toBe(400);
    expect([...new Set(res.body.errors.map((e: any) => e.field))].sort()).toEqual(
      [
        'expiresAt',
        'frequencyPerDay',
        'metadata',
        'permissions',
        'providerId',
        'psuIpAddress',
        'redirectUri',
        'surprise',
        'transactionsFrom',
      ].sort(),
    );
    expect(await fx.prisma.consent.count({ where: { tenantId, providerId: '' } })).toBe(0);
  });
});
