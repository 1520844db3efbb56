import fc from 'fast-check';
import pg from 'pg';
import { ResponseContract, startStack, until, type RunningStack } from '@ais/testing';
import { DataFixtures } from '../test/data-fixtures.js';

/** Fixed: a failure names its request, and the same seed generates the same requests again. */
const SEED = Number(process.env.HOSTILE_SEED ?? 20261205);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 5_000);
const BATCH = 16;

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  auth: 'tenant' | 'admin' | 'none';
}
type Mutation =
  | { kind: 'none' }
  | { kind: 'path' | 'query' | 'body'; name: string; value: unknown }
  | { kind: 'raw'; body: string; contentType: string }
  | { kind: 'auth'; auth: 'none' | 'other-tenant' | 'forged' };
interface GeneratedRequest {
  op: string;
  method: string;
  url: string;
  auth: 'tenant' | 'admin' | 'none' | 'other-tenant' | 'forged';
  body?: string;
  contentType?: string;
  mutation: string;
}

/**
 * Hostile input, generated: every operation of the live /openapi.json, with values drawn from its own
 * schemas and then, four times in five, one mutation (wrong types, NUL and lone surrogates, huge and
 * deep values, impossible dates, tampered and forged cursors, nulls, another tenant's ids, bodies that
 * are not JSON). Whatever is sent: never a 5xx, every error is problem+json, and a batch of refused
 * requests writes nothing. Beside it, one tenant's poisonous stream never fails another tenant's
 * plain requests.
 */
describe('hostile input, generated from the OpenAPI document', () => {
  let stack: RunningStack;
  let fx: DataFixtures;
  let db: pg.Client;
  let contract: ResponseContract;
  let doc: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
  const ids: Record<string, string> = {};
  /**
   * Where a valid call would end what the rest relies on, it acts on a spare: the second consent and
   * webhook are the ones deleted, and onboarding (which replaces a bank's registration under every other
   * request) names no bank.
   */
  const spare: Record<string, Record<string, string>> = {};
  const cursors: string[] = [];
  let tenantKey: string;
  let otherKey: string;

  const send = async (r: Pick<GeneratedRequest, 'method' | 'url' | 'auth' | 'body' | 'contentType'>) => {
    const token = { tenant: tenantKey, admin: stack.adminToken, 'other-tenant': otherKey, forged: 'ak_forged.x' }[
      r.auth as string
    ];
    const res = await fetch(`${stack.gatewayUrl}${r.url}`, {
      method: r.method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(r.body !== undefined ? { 'content-type': r.contentType ?? 'application/json' } : {}),
      },
      body: r.body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  };
  const api = async (method: string, url: string, body?: unknown, auth: 'tenant' | 'admin' = 'tenant') => {
    const res = await send({ method, url, auth, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: res.text ? JSON.parse(res.text) : undefined };
  };

  /** What a request may have written: every table a gateway request writes (not credentials' last use). */
  const snapshot = async () =>
    (
      await db.query(`
        SELECT string_agg(t.name || ':' || t.h, ',' ORDER BY t.name) AS all FROM (
          SELECT 'consents' AS name, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM consents x
          UNION ALL SELECT 'accounts', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM accounts x
          UNION ALL SELECT 'transactions', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM transactions x
          UNION ALL SELECT 'webhook_endpoints', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM webhook_endpoints x
          UNION ALL SELECT 'webhook_deliveries', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM webhook_deliveries x
          UNION ALL SELECT 'events', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM events x
          UNION ALL SELECT 'sync_runs', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM sync_runs x
          UNION ALL SELECT 'authorisation_sessions', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM authorisation_sessions x
          UNION ALL SELECT 'idempotency_records', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM idempotency_records x
          UNION ALL SELECT 'tenants', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM tenants x
          UNION ALL SELECT 'credentials', md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' ORDER BY x.id), '')) FROM credentials x
        ) t`)
    ).rows[0].all as string;
  /** After accepted writes, background work (an RPC's tail, a queued revocation) settles first. */
  const settled = async () => {
    let last = await snapshot();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const now = await snapshot();
      if (now === last) return now;
      last = now;
    }
    return last;
  };

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'hostile',
      env: { CONSENT_MAINTENANCE_INTERVAL_SECONDS: '3600', CONSENT_STATUS_CHECK_TICK_SECONDS: '3600' },
    });
    fx = new DataFixtures(stack.db.url);
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await until(
      'sandbox banks onboarded',
      async () => (await db.query('SELECT 1 FROM provider_registrations')).rowCount! >= 3,
      30_000,
      250,
    );
    doc = (await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json()) as typeof doc;
    contract = await ResponseContract.fetch(stack.gatewayUrl);

    const tenant = async (name: string) =>
      (
        await api(
          'POST',
          '/admin/tenants',
          { name, redirectUris: ['https://app.example.com/bank/callback'], rateLimitPerMinute: 100_000 },
          'admin',
        )
      ).body as { id: string; apiKey: string };
    const a = await tenant('Generated');
    const b = await tenant('Bystander');
    const c = await tenant('Administered'); // what the admin operations act on
    tenantKey = a.apiKey;
    otherKey = b.apiKey;
    ids.tenantId = c.id;
    ids.credentialId = (await api('GET', `/admin/tenants/${c.id}/credentials`, undefined, 'admin')).body.data[0].id;

    const permissions = ['accounts', 'balances', 'transactions', 'statements', 'party', 'beneficiaries'];
    const consents = [await fx.consent(a.id, 'allstar', permissions), await fx.consent(a.id, 'allstar', permissions)];
    ids.consentId = consents[0];
    spare['DELETE /v1/consents/{consentId}'] = { consentId: consents[1] };
    spare['POST /admin/providers/{providerId}/onboard'] = { providerId: 'nobank' };
    const accounts = [
      await fx.account(a.id, consents[0], 'allstar', 'GBP', 'GB33BUKB20201555555555'),
      await fx.account(a.id, consents[0], 'allstar', 'GBP', 'GB94BARC10201530093459'),
    ];
    ids.accountId = accounts[0];
    await fx.write(
      a.id,
      consents[0],
      accounts[0],
      ['2026-01-01', '2026-01-02', '2026-01-03'].map((d) => ({
        row: fx.row({ bookingDate: d, amount: '-12.30', currency: 'GBP' }),
        kind: 'added' as const,
      })),
    );
    // A statement as the connectors map one, stored through the sync's write path.
    await fx.resources(a.id, accounts[0], 'statement', [
      {
        externalId: 'st-1',
        data: {
          externalId: 'st-1',
          accountId: 'bank-GB33BUKB20201555555555',
          type: 'RegularPeriodic',
          reference: null,
          startAt: '2025-12-01T00:00:00.000Z',
          endAt: '2025-12-31T23:59:59.000Z',
          createdAt: '2026-01-01T06:00:00.000Z',
          description: ['December'],
          amounts: [{ type: 'ClosingBalance', amount: { amount: '120.50', currency: 'GBP' } }],
          raw: { StatementId: 'st-1' },
        },
      },
    ]);
    ids.statementId = (
      await db.query(`SELECT id FROM account_resources WHERE account_id = $1 AND kind = 'statement'`, [accounts[0]])
    ).rows[0].id;
    for (const host of ['b', 'a']) {
      const hook = await api('POST', '/v1/webhooks', {
        url: `https://${host}.example.com/hooks`,
        events: ['consent.authorised'],
      });
      expect(hook.status).toBe(201);
      if (host === 'b') spare['DELETE /v1/webhooks/{webhookId}'] = { webhookId: hook.body.id };
      ids.webhookId = hook.body.id;
    }
    expect((await api('POST', `/v1/webhooks/${ids.webhookId}/test`, {})).status).toBeLessThan(300);
    ids.eventId = (await db.query(`SELECT id FROM events WHERE tenant_id = $1 LIMIT 1`, [a.id])).rows[0].id;
    ids.deliveryId =
      (await db.query(`SELECT id FROM webhook_deliveries WHERE tenant_id = $1 LIMIT 1`, [a.id])).rows[0]?.id ??
      'whd_none';
    ids.providerId = 'allstar';
    ids.queue = 'sync.allstar';
    ids.jobId = `sync-${ids.consentId}`;
    for (const list of [
      '/v1/accounts?limit=1',
      '/v1/consents?limit=1',
      `/v1/accounts/${ids.accountId}/transactions?limit=1`,
      `/v1/transactions/sync?consentId=${ids.consentId}&limit=1`,
      '/v1/webhooks?limit=1',
    ]) {
      const page = await api('GET', list);
      expect({ list, status: page.status }).toEqual({ list, status: 200 });
      if (page.body.nextCursor) cursors.push(page.body.nextCursor);
    }
    expect(cursors.length).toBeGreaterThanOrEqual(4);
  });
  afterAll(async () => {
    await db?.end();
    await fx?.close();
    await stack?.stop();
  });

  function operations(): Operation[] {
    const out: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const security = (op.security ?? []) as Record<string, unknown>[];
        const content = op.requestBody?.content ?? {};
        out.push({
          method: method.toUpperCase(),
          path,
          parameters: (op.parameters ?? []) as Parameter[],
          body: (content['application/json'] ?? content['application/x-www-form-urlencoded'])?.schema,
          auth: security.some((s) => 'admin' in s) ? 'admin' : security.some((s) => 'tenant' in s) ? 'tenant' : 'none',
        });
      }
    return out;
  }

  const resolve = (schema: Schema | undefined): Schema => {
    let s = schema ?? {};
    for (let i = 0; i < 10 && s.$ref; i++) s = doc.components.schemas[s.$ref.split('/').pop()!] ?? {};
    if (s.allOf?.length) return resolve(Object.assign({}, ...s.allOf.map(resolve)));
    if (s.oneOf?.length || s.anyOf?.length) return resolve((s.oneOf ?? s.anyOf)![0]);
    return s;
  };

  /** A value the schema allows (or an id of ours where the name says it is one). */
  function valid(schema: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = resolve(schema);
    if (name in ids && depth <= 1) return fc.constantFrom(ids[name], ids[name], 'cons_01JD8ZUNKNOWN0000000000000');
    if (name === 'cursor') return fc.constantFrom(...cursors);
    if (s.enum) return fc.constantFrom(...s.enum);
    const examples = s.example !== undefined ? [s.example] : [];
    switch (s.type) {
      case 'integer':
      case 'number': {
        const min = s.minimum ?? 0;
        const max = s.maximum ?? Math.max(min, 1_000);
        return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
      }
      case 'boolean':
        return fc.boolean();
      case 'array':
        return depth > 3
          ? fc.constant([])
          : fc.array(valid(s.items, name, depth + 1), { minLength: s.minItems ?? 0, maxLength: 3 });
      case 'object': {
        if (!s.properties || depth > 3) return fc.constant({});
        const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, valid(v, k, depth + 1)]));
        return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      }
      default: {
        const text = /url|uri/i.test(name)
          ? fc.constantFrom('https://app.example.com/bank/callback', 'https://a.example.com/hooks')
          : /date|from|to$|at$/i.test(name)
            ? fc.constantFrom('2026-01-02', '2025-12-31', '2026-01-02T10:00:00Z')
            : fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, 24) });
        return examples.length > 0 ? fc.oneof(fc.constantFrom(...examples), text) : text;
      }
    }
  }

  const tampered = () =>
    fc.tuple(fc.constantFrom(...cursors), fc.nat(), fc.constantFrom('A', 'z', '0', '_', '-')).map(([c, i, ch]) => {
      const at = i % c.length;
      return c.slice(0, at) + (c[at] === ch ? 'B' : ch) + c.slice(at + 1);
    });
  const forged = () =>
    fc
      .constantFrom(
        { k: 'accounts', p: { t: '2026-13-45T00:00:00Z', id: 'acc_1' } },
        { k: 'feed', p: { x: "1'" } },
        { k: 'transactions', p: { d: '2026-02-30', id: "txn_1' OR '1'='1" } },
      )
      .map((o) => Buffer.from(JSON.stringify(o)).toString('base64url'));

  const BAD_TEXT = ['\u0000', 'a\u0000b', 'ok\u0000', '\ud800', 'x\udfffy', '\udc00\ud800'];
  const BAD_DATES = ['2026-13-01', '2026-02-30', '2026-00-10', '0000-00-00', '2026-1-1', '9999-99-99T99:99:99Z'];
  const OTHER = [
    null,
    0,
    -1,
    1.5,
    1e308,
    2 ** 63,
    -(2 ** 63),
    true,
    [],
    {},
    [null],
    { a: { b: { c: [] } } },
    '',
    '   ',
    "' OR '1'='1",
    '../../admin/tenants',
    '%00',
    '{"$gt":""}',
    '𝕏😀',
    'NaN',
    '1e400',
    'https://127.0.0.1:6379/',
    'http://[::ffff:127.0.0.1]:5432/',
  ];
  const DATE_LIKE = /date|^from$|^to$|At$|after|before/i;
  const FORGED_CURSORS = [
    { k: 'accounts', p: { t: '2026-13-45T00:00:00Z', id: 'acc_1' } },
    { k: 'feed', p: { x: "1'" } },
    { k: 'transactions', p: { d: '2026-02-30', id: "txn_1' OR '1'='1" } },
  ].map((o) => Buffer.from(JSON.stringify(o)).toString('base64url'));

  /**
   * Values no schema allows, weighted by what the field is: impossible dates where a date is expected, a
   * tampered or forged cursor where a cursor is, and everywhere text no database can store, wrong types,
   * huge values and another kind's id.
   */
  const hostile = (name = ''): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<unknown>(...BAD_TEXT) },
      { weight: DATE_LIKE.test(name) ? 8 : 1, arbitrary: fc.constantFrom<unknown>(...BAD_DATES) },
      { weight: 4, arbitrary: fc.constantFrom<unknown>(...OTHER) },
      { weight: 1, arbitrary: fc.constantFrom('x'.repeat(5_000), 'é'.repeat(100_000)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
      { weight: name === 'cursor' ? 8 : 1, arbitrary: fc.oneof(tampered(), forged()) },
      { weight: 1, arbitrary: fc.constant(ids.accountId) }, // an id, of the wrong kind unless an account's
    );

  const enc = (value: unknown): string => {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
    try {
      return encodeURIComponent(text);
    } catch {
      return '%ED%A0%80'; // a lone surrogate has no UTF-8: send the bytes a careless client would
    }
  };

  function request(op: Operation, fixed?: Mutation): fc.Arbitrary<GeneratedRequest> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const bodyFields = Object.keys(resolve(op.body).properties ?? {});
    if (bodyFields.length === 0) bodyFields.push('name');
    const canHaveBody = op.method !== 'GET'; // fetch (like most clients) sends no body with a GET
    const own = spare[`${op.method} ${op.path}`] ?? {};
    const base = fc.record({
      path: fc.record(
        Object.fromEntries(
          pathParams.map((p) => [p.name, p.name in own ? fc.constant(own[p.name]) : valid(p.schema, p.name)]),
        ),
      ),
      query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valid(p.schema, p.name)])), {
        requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name),
      }),
      body: op.body ? valid(op.body) : fc.constant(undefined),
    });
    const mutation: fc.Arbitrary<Mutation> = fixed
      ? fc.constant(fixed)
      : fc.oneof(
          { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
          {
            weight: pathParams.length > 0 ? 3 : 0,
            arbitrary: fc.record({
              kind: fc.constant('path' as const),
              name: fc.constantFrom(...(pathParams.length ? pathParams.map((p) => p.name) : ['-'])),
              value: fc.oneof(hostile(), fc.constantFrom('%FF', 'cons_%00', 'x'.repeat(150), '..%2F..%2Fadmin')),
            }),
          },
          {
            weight: 3,
            arbitrary: fc
              .oneof(
                { weight: 4, arbitrary: fc.constantFrom(...queryParams.map((p) => p.name), 'cursor') },
                { weight: 1, arbitrary: fc.constantFrom('limit', 'from', 'unknownField') },
              )
              .chain((name) =>
                fc.record({ kind: fc.constant('query' as const), name: fc.constant(name), value: hostile(name) }),
              ),
          },
          {
            weight: canHaveBody ? (op.body ? 4 : 1) : 0,
            arbitrary: fc
              .oneof(
                { weight: 4, arbitrary: fc.constantFrom(...bodyFields) },
                { weight: 1, arbitrary: fc.constantFrom('unknownField', '__proto__') },
              )
              .chain((name) =>
                fc.record({ kind: fc.constant('body' as const), name: fc.constant(name), value: hostile(name) }),
              ),
          },
          {
            weight: canHaveBody ? (op.body ? 2 : 1) : 0,
            arbitrary: fc.record({
              kind: fc.constant('raw' as const),
              body: fc.constantFrom(
                `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
                '{"name": ',
                'null',
                '"just a string"',
                '[1,2,3]',
                '{"a":"\\u0000"}',
                '{"a":"\\ud800"}',
                `{"pad":"${'x'.repeat(1_100_000)}"}`,
              ),
              contentType: fc.constantFrom(
                'application/json',
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/xml',
              ),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant('auth' as const),
              auth: fc.constantFrom('none' as const, 'other-tenant' as const, 'forged' as const),
            }),
          },
        );
    return fc.tuple(base, mutation).map(([b, m]) => {
      const path: Record<string, unknown> = { ...b.path };
      const query: Record<string, unknown> = { ...b.query };
      let body: unknown = b.body;
      let raw: string | undefined;
      let contentType: string | undefined;
      let auth: GeneratedRequest['auth'] = op.auth;
      let rawPath: { name: string; text: string } | undefined;
      let label = 'none';
      if (m.kind === 'path') {
        if (typeof m.value === 'string' && /^(%FF|cons_%00|\.\.%2F)/.test(m.value))
          rawPath = { name: m.name, text: m.value };
        else path[m.name] = m.value;
        label = `path.${m.name}=${JSON.stringify(m.value)?.slice(0, 40)}`;
      } else if (m.kind === 'query') {
        query[m.name] = m.value;
        label = `query.${m.name}=${JSON.stringify(m.value)?.slice(0, 40)}`;
      } else if (m.kind === 'body') {
        body = { ...(body && typeof body === 'object' ? body : {}), [m.name]: m.value };
        label = `body.${m.name}=${JSON.stringify(m.value)?.slice(0, 40)}`;
      } else if (m.kind === 'raw') {
        raw = m.body;
        contentType = m.contentType;
        label = `raw ${m.contentType} ${m.body.slice(0, 30)}`;
      } else if (m.kind === 'auth') {
        auth = m.auth;
        label = `auth=${m.auth}`;
      }
      const url =
        op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
          rawPath?.name === name ? rawPath.text : enc(path[name] ?? ids[name] ?? 'x'),
        ) +
        (Object.keys(query).length
          ? `?${Object.entries(query)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${enc(k)}=${enc(v)}`)
              .join('&')}`
          : '');
      const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
      return {
        op: `${op.method} ${op.path}`,
        method: op.method,
        url,
        auth,
        body: raw ?? (hasBody || m.kind === 'body' ? JSON.stringify(body ?? {}) : undefined),
        contentType,
        mutation: label,
      };
    });
  }

  /**
   * Besides the random draw, every field of every operation once with each mutation that matters for it:
   * a NUL and a lone surrogate everywhere, impossible dates where a date goes, forged cursors where a
   * cursor goes, null in every body field, a 10,000-deep body. So no fix can be reverted unnoticed
   * because the random draw happened to miss the one field it guards.
   */
  function systematic(op: Operation): fc.Arbitrary<GeneratedRequest>[] {
    const mutations: Mutation[] = [];
    const field = (kind: 'path' | 'query' | 'body', name: string, values: unknown[]) =>
      mutations.push(...values.map((value) => ({ kind, name, value })));
    for (const p of op.parameters.filter((q) => q.in === 'path')) field('path', p.name, ['a\u0000b', '\ud800']);
    for (const p of op.parameters.filter((q) => q.in === 'query'))
      field('query', p.name, [
        'a\u0000b',
        ...(DATE_LIKE.test(p.name) ? BAD_DATES.slice(0, 3) : []),
        ...(p.name === 'cursor' ? FORGED_CURSORS : []),
      ]);
    if (op.method !== 'GET' && op.body) {
      for (const name of Object.keys(resolve(op.body).properties ?? {}))
        field('body', name, ['a\u0000b', null, ...(DATE_LIKE.test(name) ? BAD_DATES.slice(0, 3) : [])]);
      mutations.push({
        kind: 'raw',
        body: `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        contentType: 'application/json',
      });
    }
    return mutations.map((m) => request(op, m));
  }

  it(`answers ${RUNS} generated requests over every operation: no 5xx, problem+json, refused writes nothing`, async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(50);
    const requests = [
      ...ops.flatMap(systematic).flatMap((arb, i) => fc.sample(arb, { numRuns: 1, seed: SEED + i })),
      ...fc.sample(
        fc.constantFrom(...ops).chain((op) => request(op)),
        { numRuns: RUNS, seed: SEED },
      ),
    ];
    expect(requests.length).toBeGreaterThanOrEqual(5_000);
    const failures: string[] = [];
    const covered = new Set<string>();
    const acceptedOps = new Set<string>();
    let baseline = await snapshot();
    for (let i = 0; i < requests.length; i += BATCH) {
      const batch = requests.slice(i, i + BATCH);
      const answers = await Promise.all(
        batch.map(async (r) => {
          try {
            return await send(r);
          } catch (error) {
            return { status: 599, contentType: '', text: String(error) };
          }
        }),
      );
      answers.forEach((a, j) => {
        const r = batch[j];
        covered.add(r.op);
        const where = `#${i + j} ${r.op} [${r.mutation}] → ${a.status}`;
        if (a.status < 400) acceptedOps.add(r.op);
        for (const e of contract.check(r.method, r.url, a.status, a.contentType, a.text))
          failures.push(`#${i + j} [${r.mutation}] ${e}`);
        if (a.status >= 500) failures.push(`${where}: ${a.text.slice(0, 200)}`);
        else if (a.status >= 400) {
          let problem: { status?: unknown; code?: unknown; type?: unknown; title?: unknown } = {};
          try {
            problem = JSON.parse(a.text);
          } catch {
            // reported below
          }
          if (
            !a.contentType.startsWith('application/problem+json') ||
            problem.status !== a.status ||
            typeof problem.code !== 'string' ||
            typeof problem.type !== 'string' ||
            typeof problem.title !== 'string'
          )
            failures.push(`${where}: not a problem: ${a.contentType} ${a.text.slice(0, 200)}`);
        }
      });
      if (answers.every((a) => a.status >= 400)) {
        const after = await snapshot();
        if (after !== baseline)
          failures.push(
            `batch #${i}: refused requests wrote: ${batch.map((r) => `${r.op} [${r.mutation}]`).join('; ')}`,
          );
        baseline = after;
      } else baseline = await settled();
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(covered.size).toBe(ops.length);
    // Every operation's answers were checked against its declared schemas.
    const checked = new Set([...contract.seen].map((k) => k.split(' ').slice(0, 2).join(' ')));
    expect(ops.map((o) => `${o.method} ${o.path}`).filter((o) => !checked.has(o))).toEqual([]);
    // The generator reaches past validation too: most operations answered a valid request at least once.
    expect(acceptedOps.size).toBeGreaterThanOrEqual(Math.floor((ops.length * 2) / 3));
  });

  it('declares, for every operation, its success body and problem+json for every error', () => {
    const missing: string[] = [];
    for (const op of operations()) {
      const responses = doc.paths[op.path][op.method.toLowerCase()].responses as Record<
        string,
        { content?: Record<string, { schema?: unknown; example?: unknown }> }
      >;
      const success = Object.entries(responses).filter(([s]) => s.startsWith('2'));
      if (success.length === 0) missing.push(`${op.method} ${op.path}: no success response`);
      for (const [status, r] of success)
        if (status !== '204' && !Object.values(r.content ?? {}).some((m) => m.schema))
          missing.push(`${op.method} ${op.path} ${status}: no schema`);
      for (const [status, r] of Object.entries(responses).filter(([s]) => s >= '4' || s === 'default')) {
        const problem = r.content?.['application/problem+json'];
        if (!problem?.schema || !problem.example)
          missing.push(`${op.method} ${op.path} ${status}: no problem schema/example`);
      }
      if (!responses.default) missing.push(`${op.method} ${op.path}: no default (problem) response`);
    }
    expect(missing).toEqual([]);
  });

  it('a tenant’s stream of poisonous requests never fails another tenant’s requests', async () => {
    const poison = [
      '/v1/providers/%00',
      '/v1/providers/a%00b',
      `/v1/consents/cons_%00`,
      `/v1/accounts/${ids.accountId}/transactions?from=2026-13-01`,
      `/v1/accounts/${ids.accountId}/transactions?to=2026-02-30`,
      `/v1/accounts?cursor=${Buffer.from(JSON.stringify({ k: 'accounts', p: { t: 'x', id: 'y' } })).toString('base64url')}`,
      `/v1/transactions/sync?cursor=${Buffer.from(JSON.stringify({ k: 'feed', p: { x: "1'" } })).toString('base64url')}`,
      '/v1/providers/%ED%A0%80',
    ];
    const plain = ['/v1/providers/saltbank', '/v1/providers/allstar', '/v1/consents', '/v1/webhooks'];
    const failed: string[] = [];
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all([
        ...Array.from({ length: 16 }, (_, i) =>
          send({ method: 'GET', url: poison[(wave + i) % poison.length], auth: 'tenant' }),
        ),
        ...Array.from({ length: 16 }, async (_, i) => {
          const url = plain[i % plain.length];
          const res = await send({ method: 'GET', url, auth: 'other-tenant' });
          if (res.status !== 200) failed.push(`${url} → ${res.status} ${res.text.slice(0, 120)}`);
        }),
        send({
          method: 'POST',
          url: '/v1/webhooks',
          auth: 'tenant',
          body: `{"url":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        }),
      ]);
    }
    expect(failed).toEqual([]);
  });
});
