// The read benchmark's baseline: Fastify and a node-postgres Pool, nothing else (no Nest, no Prisma, no
// passport, no class-validator). It serves the benchmarked routes with the gateway's contract and the
// same I/O per request: the same SQL statements (queries.ts, in the gateway's order), the same
// in-process credential cache (a credential and its tenant looked up at most once per key per
// CREDENTIAL_CACHE_TTL_MS, concurrent misses sharing the lookup, as the gateway's CredentialCache; the
// provider lookups of one tick in one statement, as ProviderRepository.findView), the same Redis call for the tenant rate limit (the gateway's own RateLimiter: EVALSHA of its GCRA
// script), the same API key hashing and access-token verification (jose) on every request. What it
// leaves out is what the comparison is about: the framework (Nest's guards, pipes, interceptors,
// passport), the ORM (Prisma's query compiler and row mapping), request logging, metrics and request
// ids. It also leaves out the gateway's once-a-minute-per-credential `last_used_at` touch (one UPDATE a
// minute, off the request's path) and its subscription to credential-change notices (no request
// work: nothing changes credentials during a run).
//
// Run by bench.ts as its own process: it reads its settings from the environment and prints
// {"port": n} on stdout when it listens.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import pg from 'pg';
import { canonicalDecimal, categorize, formatAmount, type CategoryInput } from '@ais/domain';
import { hashSecret } from '../../libs/crypto/src/secrets.js';
import { RateLimiter } from '../../libs/auth/src/rate-limiter.js';
import {
  ACCOUNTS_OF_TENANT,
  ACCOUNT_WITH_PERMISSIONS,
  CHANGES_OF_CONSENT,
  CONSENT_OWNED,
  CREDENTIAL_BY_ID,
  CREDENTIAL_BY_SECRET_HASH,
  PROVIDERS_VIEW_BY_IDS,
  TENANT_OF_CREDENTIAL,
  TENANT_OF_UNIQUE_CREDENTIAL,
  TRANSACTIONS_OF_ACCOUNT,
  TRANSACTIONS_BY_IDS,
} from './queries.js';

const env = process.env;
const DATABASE_URL = env.DATABASE_URL!;
const POOL_SIZE = Number(env.DATABASE_POOL_SIZE ?? 10);
const CURSOR_KEY = Buffer.from(env.BARE_CURSOR_KEY!, 'base64');
const ISSUER = env.BARE_ISSUER!;
const JWKS_URL = env.BARE_JWKS_URL!;
/** The gateway's CREDENTIAL_CACHE_TTL_MS (@ais/auth), passed in by bench.ts. */
const CREDENTIAL_CACHE_TTL_MS = Number(env.BARE_CREDENTIAL_CACHE_TTL_MS);
if (!(CREDENTIAL_CACHE_TTL_MS > 0)) throw new Error('BARE_CREDENTIAL_CACHE_TTL_MS must be a positive number');

// DATE as its text (YYYY-MM-DD), as the API writes it; the rest as node-postgres parses it by default
// (jsonb parsed, timestamptz as Date, numeric and int8 as text).
pg.types.setTypeParser(1082, (value) => value);
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE });
const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 3 });
redis.on('error', () => undefined); // it reconnects by itself; a failed call fails its request
const limiter = new RateLimiter(redis, env.BARE_REDIS_PREFIX!);
const keySet = createLocalJWKSet((await (await fetch(JWKS_URL)).json()) as JSONWebKeySet);

/** Rows as node-postgres returns them for the SQL in queries.ts (columns by name, snake_case). */
interface CredentialRow {
  id: string;
  tenant_id: string;
  status: string;
  expires_at: Date | null;
}
interface TenantRow {
  status: string;
  rate_limit_per_minute: number;
}
interface ProviderRow {
  id: string;
  name: string;
  country: string;
  standard: string;
  status: string;
  capabilities: unknown;
  sortCodeRanges: string[];
}
/** ACCOUNT_SELECT aliases its columns to camelCase, as AccountDataRepository reads them. */
interface AccountRow {
  id: string;
  consentId: string;
  providerId: string;
  externalId: string;
  type: string;
  subtype: string | null;
  currency: string;
  name: string | null;
  nickname: string | null;
  identifiers: unknown;
  servicer: unknown;
  status: string;
  openedAt: string | null;
  unavailable: string[] | null;
  createdAt: Date;
  consentPermissions: string[];
}
/** TRANSACTION_COLUMNS alias their columns to camelCase, as AccountDataRepository reads them. */
interface TransactionRow {
  id: string;
  accountId: string;
  externalId: string | null;
  idSource: string;
  status: string;
  bookingDate: string;
  valueDate: string | null;
  bookedAt: Date | null;
  amount: string;
  currency: string;
  description: string;
  merchantName: string | null;
  merchantCategoryCode: string | null;
  counterparty: unknown;
  bankTransactionCode: unknown;
  reference: string | null;
  runningBalance: unknown;
  currencyExchange: unknown;
  pendingTransactionId: string | null;
}
interface ChangeRow {
  id: string;
  xid: string;
  transactionId: string;
  kind: 'added' | 'modified' | 'removed';
}

const query = async <T>(text: string, values: unknown[]): Promise<T[]> => (await pool.query(text, values)).rows as T[];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

// ── credentials and the rate limit ──

interface Principal {
  tenantId: string;
  rateLimitPerMinute: number;
}

/** A credential with what auth needs of its tenant: what the gateway's CredentialCache holds. */
type CachedCredential = CredentialRow & { tenant: TenantRow };

/**
 * The gateway's CredentialCache (libs/auth/src/credential-cache.ts), semantics for semantics: a Map by
 * key (`api_key:<the key's hash>` or `id:<the credential id an access token names>`); an entry answers
 * for CREDENTIAL_CACHE_TTL_MS from the start of its lookup (performance.now()); concurrent misses
 * share one lookup; a failed lookup is not kept, an unknown key (null) is; at most 10,000 entries,
 * the oldest dropped first. Nothing clears it during a run (the gateway clears on credential changes).
 */
class CredentialCache {
  private readonly entries = new Map<string, { at: number; value: Promise<CachedCredential | null> }>();

  get(key: string, load: () => Promise<CachedCredential | null>): Promise<CachedCredential | null> {
    const t = performance.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < CREDENTIAL_CACHE_TTL_MS) return hit.value;
    const entry = { at: t, value: load() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
    return entry.value;
  }
}
const credentials = new CredentialCache();

/**
 * The credential, then its tenant: the two statements of CredentialRepository.findBySecretHash / findById.
 * (For an unknown key Prisma still sends the tenant statement, `IN (NULL)`; no row of the benchmark sends one.)
 */
async function lookUpCredential(
  credentialSql: string,
  credentialParams: unknown[],
  tenantSql: string,
): Promise<CachedCredential | null> {
  const [credential] = await query<CredentialRow>(credentialSql, credentialParams);
  if (!credential) return null;
  const [tenant] = await query<TenantRow>(tenantSql, [credential.tenant_id, 0]);
  return { ...credential, tenant };
}

/** TenantAuthService.principalFor: checked on every request, cached or not (expiry against now). */
function principalFor(credential: CachedCredential | null): Principal {
  if (!credential) throw new HttpError(401, 'unauthorized');
  if (credential.status !== 'active' || (credential.expires_at && credential.expires_at <= new Date()))
    throw new HttpError(401, 'unauthorized');
  if (credential.tenant.status !== 'active') throw new HttpError(403, 'tenant_suspended');
  return { tenantId: credential.tenant_id, rateLimitPerMinute: credential.tenant.rate_limit_per_minute };
}

async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) throw new HttpError(401, 'unauthorized');
  const token = match[1];
  let principal: Principal;
  if (token.startsWith('sk_') && token.length > 20) {
    const hash = hashSecret(token);
    principal = principalFor(
      await credentials.get(`api_key:${hash}`, () =>
        lookUpCredential(CREDENTIAL_BY_SECRET_HASH, [hash, 'api_key', 1, 0], TENANT_OF_CREDENTIAL),
      ),
    );
  } else {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: ISSUER,
      audience: `${ISSUER}/v1`,
      algorithms: ['ES256'],
      typ: 'at+jwt',
    }).catch(() => {
      throw new HttpError(401, 'unauthorized');
    });
    const credentialId = payload['cid'] as string;
    const credential = await credentials.get(`id:${credentialId}`, () =>
      lookUpCredential(CREDENTIAL_BY_ID, [credentialId, 1, 0], TENANT_OF_UNIQUE_CREDENTIAL),
    );
    if (!credential || credential.tenant_id !== payload.sub) throw new HttpError(401, 'unauthorized');
    principal = principalFor(credential);
  }
  const decision = await limiter.consume(`tenant:${principal.tenantId}`, principal.rateLimitPerMinute);
  void reply.header('ratelimit-limit', String(decision.limit));
  void reply.header('ratelimit-remaining', String(decision.remaining));
  void reply.header('ratelimit-reset', String(Math.ceil(decision.resetMs / 1000)));
  if (!decision.allowed) throw new HttpError(429, 'rate_limited');
  return principal;
}

// ── the provider lookup: ProviderRepository.findView's, the lookups of one tick in one statement ──

let providerBatch: { id: string; resolve: (row: ProviderRow | undefined) => void; reject: (e: unknown) => void }[] = [];

function findProvider(id: string): Promise<ProviderRow | undefined> {
  return new Promise((resolve, reject) => {
    if (providerBatch.length === 0) process.nextTick(dispatchProviderBatch);
    providerBatch.push({ id, resolve, reject });
  });
}

function dispatchProviderBatch(): void {
  const batch = providerBatch;
  providerBatch = [];
  query<ProviderRow>(PROVIDERS_VIEW_BY_IDS, [[...new Set(batch.map((b) => b.id))]]).then(
    (rows) => {
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const b of batch) b.resolve(byId.get(b.id));
    },
    (error: unknown) => {
      for (const b of batch) b.reject(error);
    },
  );
}

// ── cursors: the gateway's format (base64url JSON {k, p} . 16 bytes of HMAC-SHA256) ──

const tag = (body: string) =>
  createHmac('sha256', CURSOR_KEY).update(body, 'utf8').digest().subarray(0, 16).toString('base64url');

function encodeCursor(kind: string, position: Record<string, string>): string {
  const body = Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
  return `${body}.${tag(body)}`;
}

function decodeChangesCursor(cursor: string | undefined): { x: string; n: string } {
  if (cursor === undefined) return { x: '0', n: '0' };
  const [body, mac] = cursor.split('.');
  const expected = Buffer.from(tag(body ?? ''), 'latin1');
  const given = Buffer.from(mac ?? '', 'latin1');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new HttpError(400, 'invalid_cursor');
  const { k, p } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
    k: string;
    p: { x: string; n: string };
  };
  if (k !== 'changes' || !/^(0|[1-9][0-9]{0,18})$/.test(p.x) || !/^(0|[1-9][0-9]{0,18})$/.test(p.n))
    throw new HttpError(400, 'invalid_cursor');
  return p;
}

// ── query strings ──

function pageQuery(request: FastifyRequest, allowed: string[]): { limit: number; cursor?: string; consentId?: string } {
  const q = request.query as Record<string, string | undefined>;
  for (const key of Object.keys(q)) if (!allowed.includes(key)) throw new HttpError(400, 'validation_failed');
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'validation_failed');
  if (q.cursor !== undefined && q.cursor.length > 512) throw new HttpError(400, 'validation_failed');
  return { limit, cursor: q.cursor, consentId: q.consentId };
}

// ── views: the API's JSON, field for field ──

const accountView = (a: AccountRow) => ({
  id: a.id,
  consentId: a.consentId,
  providerId: a.providerId,
  externalId: a.externalId,
  type: a.type,
  subtype: a.subtype,
  currency: a.currency.trim(),
  name: a.name,
  nickname: a.nickname,
  identifiers: a.identifiers,
  servicer: a.servicer,
  status: a.status,
  openedAt: a.openedAt,
  unavailable: a.unavailable ?? [],
});

const transactionView = (t: TransactionRow) => {
  const amount = canonicalDecimal(t.amount);
  const currency = t.currency.trim();
  return {
    id: t.id,
    accountId: t.accountId,
    externalId: t.externalId,
    idSource: t.idSource,
    status: t.status,
    bookingDate: t.bookingDate,
    valueDate: t.valueDate,
    bookedAt: t.bookedAt?.toISOString() ?? null,
    amount: { amount: formatAmount(amount, currency), currency },
    description: t.description,
    merchant:
      t.merchantName || t.merchantCategoryCode ? { name: t.merchantName, categoryCode: t.merchantCategoryCode } : null,
    counterparty: t.counterparty,
    bankTransactionCode: t.bankTransactionCode,
    reference: t.reference,
    runningBalance: t.runningBalance,
    currencyExchange: t.currencyExchange,
    pendingTransactionId: t.pendingTransactionId,
    category: categorize({
      merchantCategoryCode: t.merchantCategoryCode,
      bankTransactionCode: t.bankTransactionCode as CategoryInput['bankTransactionCode'],
      amount,
    }),
  };
};

/** The account with its consent's permissions, or a 404 (one statement, as AccountDataRepository.findAccount). */
async function requireAccount(tenantId: string, accountId: string): Promise<AccountRow> {
  if (!/^acc_[0-9A-Za-z_]{1,64}$/.test(accountId)) throw new HttpError(404, 'not_found');
  const [account] = await query<AccountRow>(ACCOUNT_WITH_PERMISSIONS, [accountId, tenantId]);
  if (!account) throw new HttpError(404, 'not_found');
  return account;
}

// ── routes ──

const app = Fastify({ logger: false });

app.setErrorHandler((error, _request, reply) => {
  const status = error instanceof HttpError ? error.status : 500;
  void reply
    .status(status)
    .send({ code: error instanceof HttpError ? error.code : 'internal', detail: (error as Error).message });
});

app.get('/health/live', async () => ({ status: 'up' }));

app.get<{ Params: { providerId: string } }>('/v1/providers/:providerId', async (request, reply) => {
  await authenticate(request, reply);
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(request.params.providerId)) throw new HttpError(404, 'not_found');
  const p = await findProvider(request.params.providerId);
  if (!p) throw new HttpError(404, 'not_found');
  return {
    id: p.id,
    name: p.name,
    country: p.country,
    standard: p.standard,
    status: p.status,
    capabilities: p.capabilities,
    sortCodeRanges: p.sortCodeRanges,
  };
});

app.get('/v1/accounts', async (request, reply) => {
  const { tenantId } = await authenticate(request, reply);
  const q = pageQuery(request, ['limit']);
  const rows = await query<AccountRow>(ACCOUNTS_OF_TENANT, [tenantId, q.limit + 1]);
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page.at(-1);
  return {
    data: page.map(accountView),
    nextCursor: more && last ? encodeCursor('accounts', { c: last.createdAt.toISOString(), i: last.id }) : null,
  };
});

app.get<{ Params: { accountId: string } }>('/v1/accounts/:accountId/transactions', async (request, reply) => {
  const { tenantId } = await authenticate(request, reply);
  const q = pageQuery(request, ['limit']);
  const account = await requireAccount(tenantId, request.params.accountId);
  if (!account.consentPermissions.includes('transactions')) throw new HttpError(403, 'permission_not_granted');
  const rows = await query<TransactionRow>(TRANSACTIONS_OF_ACCOUNT, [account.id, tenantId, q.limit + 1]);
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page.at(-1);
  return {
    data: page.map(transactionView),
    nextCursor: more && last ? encodeCursor('transactions', { d: last.bookingDate, i: last.id }) : null,
  };
});

app.get('/v1/transactions/sync', async (request, reply) => {
  const { tenantId } = await authenticate(request, reply);
  const q = pageQuery(request, ['limit', 'cursor', 'consentId']);
  if (!q.consentId || !/^cons_[0-9A-Za-z_]{1,64}$/.test(q.consentId)) throw new HttpError(400, 'validation_failed');
  const [{ owned }] = await query<{ owned: boolean }>(CONSENT_OWNED, [q.consentId, tenantId]);
  if (!owned) throw new HttpError(404, 'not_found');
  const after = decodeChangesCursor(q.cursor);
  const rows = await query<ChangeRow>(CHANGES_OF_CONSENT, [tenantId, q.consentId, after.x, after.n, q.limit + 1]);
  const page = rows.slice(0, q.limit);
  const kinds = new Map<string, string>();
  for (const row of page) {
    if (row.kind === 'modified' && kinds.get(row.transactionId) === 'added') continue;
    kinds.set(row.transactionId, row.kind);
  }
  const ids = [...kinds].filter(([, k]) => k !== 'removed').map(([id]) => id);
  const live = ids.length === 0 ? [] : await query<TransactionRow>(TRANSACTIONS_BY_IDS, [tenantId, ids]);
  const byId = new Map(live.map((t) => [t.id, t]));
  const added: ReturnType<typeof transactionView>[] = [];
  const modified: ReturnType<typeof transactionView>[] = [];
  const removed: { id: string }[] = [];
  for (const [id, kind] of kinds) {
    const t = byId.get(id);
    if (kind === 'removed' || !t) removed.push({ id });
    else (kind === 'added' ? added : modified).push(transactionView(t));
  }
  const last = page.at(-1);
  return {
    added,
    modified,
    removed,
    nextCursor: encodeCursor('changes', last ? { x: last.xid, n: last.id } : after),
    hasMore: rows.length > q.limit,
  };
});

await app.listen({ port: Number(env.BARE_PORT ?? 0), host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
const close = () => {
  void app.close().then(async () => {
    await pool.end();
    redis.disconnect();
    process.exit(0);
  });
};
process.once('SIGTERM', close);
process.once('SIGINT', close);
