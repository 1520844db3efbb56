import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Prisma } from './prisma.js';

/**
 * COPY inside a Prisma interactive transaction.
 *
 * Prisma has no COPY, and `$executeRaw` with `jsonb_to_recordset` measured at half the speed of
 * COPY for the sync's first load (the bind step alone, parsing the batch as one JSON document, cost
 * as much as COPY's whole insert). A Prisma transaction runs on one connection of the pg pool that
 * `createPrismaClient` owns and tracks here by backend pid, so the transaction asks Postgres for its
 * pid and streams the rows through pg-copy-streams on that same connection: same transaction, same
 * locks, rolled back with it. Prisma sends nothing on the connection meanwhile (the caller awaits).
 */
const connections = new Map<number, pg.PoolClient>();

/** The backend pid node-postgres read at connect (public on Client, missing from PoolClient's type). */
const backendPid = (client: pg.PoolClient): number | null =>
  (client as unknown as { processID?: number | null }).processID ?? null;

/** Called by `createPrismaClient` for the pool it hands to the Prisma adapter. */
export function trackPoolConnections(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const pid = backendPid(client);
    if (pid !== null) connections.set(pid, client);
  });
  pool.on('remove', (client) => {
    const pid = backendPid(client);
    if (pid !== null && connections.get(pid) === client) connections.delete(pid);
  });
}

const TEXT_SPECIAL = /[\\\n\r\t]/;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One field of COPY's text format: NULL is \N; backslash, newline, CR and tab are escaped. JSON
 * text (most of a row's bytes) rarely holds any of them, so most values go in untouched, where CSV
 * would double every quote of every JSON document.
 */
export function copyTextField(value: string | null): string {
  if (value === null) return '\\N';
  return TEXT_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => TEXT_ESCAPES[c]) : value;
}

/** One row of COPY's text format: fields as `copyTextField` makes them, tab-separated. */
export function copyTextLine(values: readonly (string | null)[]): string {
  return values.map(copyTextField).join('\t');
}

/** The connection each transaction runs on, looked up once per transaction. */
const byTransaction = new WeakMap<Prisma.TransactionClient, pg.PoolClient>();

async function transactionConnection(tx: Prisma.TransactionClient): Promise<pg.PoolClient> {
  const known = byTransaction.get(tx);
  if (known) return known;
  const [{ pid, database }] = await tx.$queryRaw<
    { pid: number; database: string }[]
  >`SELECT pg_backend_pid() AS pid, current_database() AS database`;
  const client = connections.get(pid);
  // Pids are unique per server; the database name guards against a pool of another server's.
  if (!client || (client as unknown as { database?: string }).database !== database) {
    throw new Error(
      `COPY needs a Prisma client made by createPrismaClient (no tracked connection for backend ${pid} of ${database})`,
    );
  }
  byTransaction.set(tx, client);
  return client;
}

/** Bytes of COPY text sent at a time: Postgres inserts one chunk while the next is being built. */
const CHUNK_BYTES = 256 * 1024;

/**
 * The lines as COPY text in chunks of about CHUNK_BYTES, each line written straight into the chunk's
 * buffer. Appending the lines to a 256 KB string and encoding that made V8 flatten the concatenation
 * first: with it, building the COPY text of 2,595 transactions took 37 ms against 6 ms now (with the
 * one-template line of transaction-write.repository.ts).
 */
function* chunked<T>(items: Iterable<T>, line: (item: T) => string): Generator<Buffer> {
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  for (const item of items) {
    const text = line(item) + '\n';
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (used + text.length * 3 > chunk.length) {
      if (used > 0) yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, text.length * 3));
      used = 0;
    }
    used += chunk.write(text, used);
  }
  if (used > 0) yield chunk.subarray(0, used);
}

/**
 * Streams `items` as lines of COPY's text format (`line` makes one, see `copyTextLine`) into
 * `table (columns)` on the transaction's own connection, in chunks built as they are sent: an iterable
 * that makes its items as it goes is read while Postgres inserts the chunks before.
 */
export async function copyInTransaction<T>(
  tx: Prisma.TransactionClient,
  table: string,
  columns: readonly string[],
  items: Iterable<T>,
  line: (item: T) => string,
): Promise<void> {
  if (Array.isArray(items) && items.length === 0) return;
  const client = await transactionConnection(tx);
  const copy = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunked(items, line)), copy);
}

/**
 * A query on the transaction's own connection through node-postgres, like COPY: rows as pg decodes
 * them, without Prisma's row mapping (for the sync's reads of a few thousand rows at a time).
 */
export async function queryInTransaction<R extends pg.QueryResultRow>(
  tx: Prisma.TransactionClient,
  text: string,
  values: unknown[],
): Promise<R[]> {
  const client = await transactionConnection(tx);
  return (await client.query<R>(text, values)).rows;
}
