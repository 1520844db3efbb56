import pg from 'pg';
import type { Logger } from '@ais/observability';

/**
 * The sandbox's own schema. The sandbox is a test double with a bounded context of its own: it lives
 * beside the product's tables (same database by default) but never in the product's Prisma schema or
 * migrations. It creates what it needs at start.
 */
export const SANDBOX_SCHEMA = 'sandbox_bank';

/** Every table has the same shape: (id text primary key, data jsonb, updated_at). */
export const STATE_TABLES = [
  'meta',
  'keys',
  'banks',
  'software',
  'certificates',
  'clients',
  'consents',
  'tokens',
  'codes',
  'sessions',
] as const;
export type StateTable = (typeof STATE_TABLES)[number];
/** The whole state: table → id → row (any JSON value). */
export type StateRows = Record<StateTable, Map<string, unknown>>;

const TABLE_COMMENTS: Record<StateTable, string> = {
  meta: 'origin: the seed and data epoch the PSU data of this state is generated from',
  keys: 'private keys: bank:<id> signing keys, directory (SSA signing key), ca (key pair and certificate)',
  banks: 'per bank: clock anchor {anchorBankMs, anchorRealMs, scale}, access counters, fault knobs',
  software: 'directory software statements (SoftwareRecord)',
  certificates: 'transport certificates (TPP identities) the directory issued',
  clients: 'registered clients of every bank (ClientRecord)',
  consents: 'consents of every bank (ConsentRecord)',
  tokens: 'access and refresh tokens (TokenRecord), revoked ones included',
  codes: 'authorisation codes (CodeRecord)',
  sessions: 'PSU authentication sessions of the consent page (AuthSession)',
};

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${SANDBOX_SCHEMA}`,
  `COMMENT ON SCHEMA ${SANDBOX_SCHEMA} IS 'apps/sandbox-bank: the simulated banks'' state (created by the sandbox at start; not part of the product''s migrations)'`,
  ...STATE_TABLES.flatMap((t) => [
    `CREATE TABLE IF NOT EXISTS ${SANDBOX_SCHEMA}.${t} (id text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    `COMMENT ON TABLE ${SANDBOX_SCHEMA}.${t} IS '${TABLE_COMMENTS[t].replace(/'/g, "''")}'`,
  ]),
].join(';\n');

type Written = Record<StateTable, Map<string, string>>;

const emptyWritten = (): Written =>
  Object.fromEntries(STATE_TABLES.map((t) => [t, new Map<string, string>()])) as Written;

/**
 * The PostgreSQL side of the sandbox store: creates the schema, reads every row at start and writes
 * the rows that changed since the last successful write, one transaction per write, one write at a
 * time. It remembers what the database holds (the JSON text of each row), so a write is a diff.
 */
export class PgState {
  private readonly pool: pg.Pool;
  private written: Written = emptyWritten();
  private replaceAll = false;
  private chain: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'sandbox-bank' });
    // An idle connection that dies (database restart) must not crash the bank.
    this.pool.on('error', (err) => this.logger.warn({ err }, 'sandbox state: idle PostgreSQL connection failed'));
  }

  /**
   * Under a session advisory lock (two sandboxes starting at once on one database serialise here):
   * creates the schema and tables when missing (idempotent), reads every row, lets `init` settle the
   * state (new keys on a first start) and writes it before the lock is released.
   */
  async locked(init: (rows: StateRows) => Promise<StateRows>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [SANDBOX_SCHEMA]);
      try {
        await client.query(DDL);
        const rows = {} as StateRows;
        for (const table of STATE_TABLES) {
          const result = await client.query<{ id: string; data: unknown }>(
            `SELECT id, data FROM ${SANDBOX_SCHEMA}.${table}`,
          );
          rows[table] = new Map(result.rows.map((r) => [r.id, r.data]));
          // The store keeps these very objects, so their JSON text is what the database holds.
          this.written[table] = new Map(result.rows.map((r) => [r.id, JSON.stringify(r.data)]));
        }
        const settled = await init(rows);
        await this.writeWith(client, settled);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [SANDBOX_SCHEMA]).catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  /** The next write deletes every row first (after a reset). */
  rewriteAll(): void {
    this.replaceAll = true;
  }

  /**
   * Queues a write of the state `rows()` answers when its turn comes. Never rejects: a failure is
   * logged and the rows stay "unwritten", so the next write (next change, or close) retries them.
   */
  write(rows: () => StateRows): Promise<void> {
    const run = async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await this.writeWith(client, rows());
        if (this.failing) this.logger.info('sandbox state: writing to PostgreSQL again');
        this.failing = false;
      } catch (err) {
        if (!this.failing)
          this.logger.error(
            { err },
            'sandbox state: write to PostgreSQL failed; the banks go on from memory and the write is retried with the next change',
          );
        else this.logger.warn({ err }, 'sandbox state: write to PostgreSQL failed again');
        this.failing = true;
      } finally {
        client?.release();
      }
    };
    this.chain = this.chain.then(run);
    return this.chain;
  }

  private async writeWith(client: pg.PoolClient, rows: StateRows): Promise<void> {
    // Serialise now, synchronously: the services change the objects in place.
    const next = emptyWritten();
    for (const table of STATE_TABLES) for (const [id, value] of rows[table]) next[table].set(id, JSON.stringify(value));
    const replaceAll = this.replaceAll;
    const work: { table: StateTable; upsert: [string, string][]; remove: string[] }[] = [];
    for (const table of STATE_TABLES) {
      const before = replaceAll ? new Map<string, string>() : this.written[table];
      const upsert = [...next[table]].filter(([id, json]) => before.get(id) !== json);
      const remove = [...before.keys()].filter((id) => !next[table].has(id));
      if (upsert.length > 0 || remove.length > 0 || replaceAll) work.push({ table, upsert, remove });
    }
    if (work.length === 0) return;
    await client.query('BEGIN');
    try {
      for (const { table, upsert, remove } of work) {
        const name = `${SANDBOX_SCHEMA}.${table}`;
        if (replaceAll) await client.query(`DELETE FROM ${name}`);
        else if (remove.length > 0) await client.query(`DELETE FROM ${name} WHERE id = ANY($1::text[])`, [remove]);
        if (upsert.length > 0) {
          await client.query(
            `INSERT INTO ${name} (id, data) SELECT id, data FROM unnest($1::text[], $2::jsonb[]) AS u(id, data)
             ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
            [upsert.map(([id]) => id), upsert.map(([, json]) => json)],
          );
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    this.written = next;
    if (replaceAll) this.replaceAll = false;
  }

  /** Waits for queued writes, then closes the pool. */
  async close(): Promise<void> {
    await this.chain;
    await this.pool.end();
  }
}
