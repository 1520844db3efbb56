import { PgReader } from '@ais/db';
import type { AppError } from '@ais/domain';
import { ProvidersController } from './providers.controller.js';
import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';
import { DataFixtures } from '../../test/data-fixtures.js';
import { expectTypedPages } from '../../test/openapi-pages.js';

/** A cursor with its position edited and its signature kept as it was. */
function tamper(cursor: string, edit: (position: Record<string, unknown>) => void): string {
  const [body, ...rest] = cursor.split('.');
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  edit(payload.p);
  return [Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'), ...rest].join('.');
}

interface Page {
  data: Array<{ id: string; name: string; status: string }>;
  nextCursor: string | null;
}

describe('GET /v1/providers follows the list contract', () => {
  let gw: GatewayUnderTest;
  let fx: DataFixtures;
  let key: string;
  let tenantId: string;

  const get = (path: string) => gw.request('GET', path, { token: key });

  async function pageThrough(query: string, limit: number, between?: (pages: Page[]) => Promise<void>) {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const res = await get(
        `/v1/providers?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect([query, res.status]).toEqual([query, 200]);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      pages.push(res.body as Page);
      cursor = res.body.nextCursor ?? undefined;
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

  const provider = (id: string, name: string, country: string, status: 'active' | 'inactive') =>
    fx.prisma.provider.create({
      data: {
        id,
        name,
        country,
        standard: 'obie_3_1',
        profile: 'allstar',
        status,
        capabilities: { maxConsentDays: 90, accessWindow: { kind: 'rolling24h' } },
        sortCodeRanges: ['[400000,490000)'],
      },
    });

  beforeAll(async () => {
    gw = await startGateway();
    fx = new DataFixtures(gw.db.url);
    await provider('zeta', 'Zeta Bank', 'GB', 'active');
    await provider('alpha-uk', 'Alpha Bank', 'GB', 'active');
    await provider('alpha-de', 'Alpha Bank', 'DE', 'active'); // same name: the id breaks the tie
    await provider('beta', 'Beta Bank', 'GB', 'inactive');
    await provider('gamma', 'Gamma_Bank', 'BH', 'active');
    const tenant = await gw.request('POST', '/admin/tenants', {
      token: gw.adminToken,
      body: { name: 'Catalogue reader', redirectUris: [] },
    });
    key = tenant.body.apiKey;
    tenantId = tenant.body.id;
  });
  afterAll(async () => {
    await fx.close();
    await gw.close();
  });

  it('pages through the catalogue, active providers first, then by name, each provider once', async () => {
    const pages = await pageThrough('', 2, async (sofar) => {
      // A provider added while a client pages, sorting before the cursor, does not shift the pages.
      if (sofar.length === 1) await provider('aardvark', 'Aardvark Bank', 'GB', 'active');
    });
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(typeof pages[0].nextCursor).toBe('string');
    expect(pages.flatMap((p) => p.data.map((d) => d.id))).toEqual(['alpha-de', 'alpha-uk', 'gamma', 'zeta', 'beta']);
    expect(pages[2].data[0]).toEqual({
      id: 'beta',
      name: 'Beta Bank',
      country: 'GB',
      standard: 'obie_3_1',
      status: 'inactive',
      capabilities: { maxConsentDays: 90, accessWindow: { kind: 'rolling24h' } },
      sortCodeRanges: ['[400000,490000)'],
    });

    const all = await get('/v1/providers');
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.data.map((d: { id: string }) => d.id)).toEqual([
      'aardvark',
      'alpha-de',
      'alpha-uk',
      'gamma',
      'zeta',
      'beta',
    ]);
  });

  it('pages within the filters', async () => {
    const pages = await pageThrough('country=GB&standard=obie_3_1', 1);
    expect(pages.flatMap((p) => p.data.map((d) => d.id))).toEqual(['aardvark', 'alpha-uk', 'zeta', 'beta']);
    const search = await pageThrough('q=ALPHA', 1);
    expect(search.flatMap((p) => p.data.map((d) => d.id))).toEqual(['alpha-de', 'alpha-uk']);
    // q is text, not a pattern: _ and % match themselves.
    expect((await get('/v1/providers?q=_')).body.data.map((d: { id: string }) => d.id)).toEqual(['gamma']);
    expect((await get('/v1/providers?q=%25')).body.data).toEqual([]);
  });

  it('answers limit 0 or 501 and a changed or foreign cursor with a 400 problem', async () => {
    await expectProblem('/v1/providers?limit=0', 'validation_failed', 'limit');
    await expectProblem('/v1/providers?limit=501', 'validation_failed', 'limit');
    const cursor: string = (await get('/v1/providers?limit=1')).body.nextCursor;
    expect(typeof cursor).toBe('string');
    await expectProblem(
      `/v1/providers?cursor=${encodeURIComponent(tamper(cursor, (p) => (p.n = 'Zeta Bank')))}`,
      'invalid_cursor',
      'cursor',
    );
    // A genuine cursor of another list.
    const consentId = await fx.consent(tenantId, 'zeta', ['accounts']);
    await fx.account(tenantId, consentId, 'zeta', 'GBP', 'GB29NWBK60161331926819');
    await fx.account(tenantId, consentId, 'zeta', 'GBP', 'GB94BARC10201530093459');
    const accountsCursor: string = (await get(`/v1/accounts?limit=1`)).body.nextCursor;
    expect(typeof accountsCursor).toBe('string');
    await expectProblem(`/v1/providers?cursor=${encodeURIComponent(accountsCursor)}`, 'invalid_cursor', 'cursor');
    await expectProblem(`/v1/providers?cursor=${encodeURIComponent('not a cursor')}`, 'invalid_cursor', 'cursor');
    // The cursor handed out still works.
    expect((await get(`/v1/providers?limit=1&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
  });

  it('answers lookups made together each with its own provider, in one statement', async () => {
    const statements: string[] = [];
    const stop = gw.app.get(PgReader).onQuery((text) => {
      if (/FROM providers/.test(text)) statements.push(text);
    });
    try {
      const ids = ['zeta', 'beta', 'alpha-de', 'no-such-bank', 'zeta'];
      const controller = gw.app.get(ProvidersController);
      // Called in one tick, as concurrent requests reach the handler under load.
      const answers = await Promise.allSettled(ids.map((id) => controller.get(id)));
      expect(answers.map((a) => (a.status === 'fulfilled' ? a.value.id : (a.reason as AppError).code))).toEqual([
        'zeta',
        'beta',
        'alpha-de',
        'not_found',
        'zeta',
      ]);
      expect(answers[1]).toMatchObject({ value: { status: 'inactive', sortCodeRanges: ['[400000,490000)'] } });
      expect(statements).toHaveLength(1);
      // And over HTTP, the view as before.
      const res = await get('/v1/providers/alpha-de');
      expect(res.body).toEqual({
        id: 'alpha-de',
        name: 'Alpha Bank',
        country: 'DE',
        standard: 'obie_3_1',
        status: 'active',
        capabilities: { maxConsentDays: 90, accessWindow: { kind: 'rolling24h' } },
        sortCodeRanges: ['[400000,490000)'],
      });
    } finally {
      stop();
    }
  });

  it('declares limit, cursor and a typed page in the OpenAPI document', async () => {
    await expectTypedPages(gw, ['/v1/providers']);
  });
});
