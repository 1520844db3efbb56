import pg from 'pg';

const DATE_OID = 1082;

/**
 * `date` columns as Postgres writes them (`YYYY-MM-DD`, what the API serves) instead of node-postgres'
 * default, a JS Date at local midnight; every other type as node-postgres parses it (numeric as its
 * exact decimal text, jsonb parsed, timestamptz a Date).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID && format !== 'binary'
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export type QueryObserver = (text: string, values: readonly unknown[]) => void;

/**
 * Reads sent straight to node-postgres on the pool Prisma uses, for the hottest list routes only.
 * bench/read measured Prisma's row mapping (its query compiler's result unpacking, Decimal and Date
 * objects per field) and the garbage it leaves at half of the gateway's CPU on a page of 100
 * transactions, against nothing of the kind on a bare pg server sending the same SQL. Everything else
 * reads through Prisma (house rule), and these statements are plain parameterised SQL checked by
 * apps/gateway/src/query-plans.integration-spec.ts like Prisma's.
 */
export class PgReader {
  private readonly observers = new Set<QueryObserver>();

  constructor(private readonly pool: pg.Pool) {}

  async rows<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    for (const observe of this.observers) observe(text, values);
    return (await this.pool.query<T>({ text, values, types })).rows;
  }

  /** Tests and benchmarks: see every statement sent (as Prisma's `query` event does for its own). */
  onQuery(observer: QueryObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
}
