import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

/**
 * A time range cut into equal buckets: [from, to), `to - from` a whole number of `bucketSeconds`,
 * `from` on a bucket boundary. Rows come back keyed by their bucket's start.
 */
export interface BucketRange {
  from: Date;
  to: Date;
  bucketSeconds: number;
}

/** A provider's sync runs queued in one bucket, by their status now and by the error codes that tell of pressure. */
export interface SyncRunBucketRow {
  providerId: string;
  bucket: Date;
  runs: number;
  succeeded: number;
  failed: number;
  deferred: number;
  /** Queued or running (a run being retried keeps its last error code). */
  inFlight: number;
  /** The bank answered 429 (error code bank_rate_limited). */
  bankRateLimited: number;
  /** Deferred because the consent's unattended budget was spent (budget_exhausted). */
  budgetExhausted: number;
}

/** Unattended calls to a provider's bank in one bucket, from the access ledger (what the budgets count). */
export interface UnattendedCallBucketRow {
  providerId: string;
  bucket: Date;
  calls: number;
}

/** Webhook deliveries that finished in one bucket (by their last attempt), and how long the successful ones took. */
export interface DeliveryBucketRow {
  bucket: Date;
  succeeded: number;
  /** Deliveries given up after their last attempt (status failed). */
  failed: number;
  /** Commit→delivery latency of the bucket's successful deliveries: event written → delivered, in ms. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/** Delivery attempts in one bucket that did not get a 2xx (an HTTP error, a timeout, a refused connection). */
export interface FailedAttemptBucketRow {
  bucket: Date;
  failedAttempts: number;
}

/**
 * The operators' dashboard time series, aggregated in Postgres. Every query is one range over an
 * indexed timestamp limited to the window (sync_runs (queued_at, id), access_ledger (at),
 * webhook_deliveries (last_attempt_at), webhook_attempts (started_at)), grouped into buckets with
 * date_bin: its cost follows the rows inside the window, never the history before it. Cross-tenant by
 * design (operators only).
 */
@Injectable()
export class OpsTimeseriesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Runs per provider and bucket of their queued time (the same clock as /admin/stats and provider health). */
  async syncRunBuckets(range: BucketRange): Promise<SyncRunBucketRow[]> {
    return this.prisma.$queryRaw<SyncRunBucketRow[]>`
      SELECT provider_id AS "providerId", ${bin(range, Prisma.sql`queued_at`)} AS bucket,
             count(*)::int AS runs,
             count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
             count(*) FILTER (WHERE status = 'failed')::int AS failed,
             count(*) FILTER (WHERE status = 'deferred')::int AS deferred,
             count(*) FILTER (WHERE status IN ('queued', 'running'))::int AS "inFlight",
             count(*) FILTER (WHERE error_code = 'bank_rate_limited')::int AS "bankRateLimited",
             count(*) FILTER (WHERE error_code = 'budget_exhausted')::int AS "budgetExhausted"
        FROM sync_runs
       WHERE queued_at >= ${range.from} AND queued_at < ${range.to} AND provider_id IS NOT NULL
       GROUP BY 1, 2`;
  }

  /**
   * Unattended (PSU not present) calls per provider and bucket: the calls each consent's budget counts.
   * Counted per consent within the window first, so the join to consents (for the provider) takes one
   * row per consent and bucket, not one per call.
   */
  async unattendedCallBuckets(range: BucketRange): Promise<UnattendedCallBucketRow[]> {
    return this.prisma.$queryRaw<UnattendedCallBucketRow[]>`
      SELECT c.provider_id AS "providerId", l.bucket, sum(l.calls)::int AS calls
        FROM (
          SELECT consent_id, ${bin(range, Prisma.sql`at`)} AS bucket, count(*) AS calls
            FROM access_ledger
           WHERE at >= ${range.from} AND at < ${range.to} AND NOT psu_present
           GROUP BY 1, 2
        ) l
        JOIN consents c ON c.id = l.consent_id
       GROUP BY 1, 2`;
  }

  /**
   * Finished deliveries per bucket of their last attempt. The latency runs from the event's
   * created_at (the time of the transaction that wrote it with the data) to succeeded_at; the event
   * is looked up by its primary key for each successful delivery in the window (a correlated
   * subquery, so the planner never trades it for a scan of the whole event log), once per delivery
   * (the CTE is materialised, not inlined into each percentile).
   */
  async deliveryBuckets(range: BucketRange): Promise<DeliveryBucketRow[]> {
    return this.prisma.$queryRaw<DeliveryBucketRow[]>`
      WITH finished AS MATERIALIZED (
          SELECT ${bin(range, Prisma.sql`d.last_attempt_at`)} AS bucket, d.status,
                 CASE WHEN d.status = 'succeeded' THEN
                   GREATEST(extract(epoch FROM (d.succeeded_at - (SELECT e.created_at FROM events e WHERE e.id = d.event_id))) * 1000, 0)::float8
                 END AS latency
            FROM webhook_deliveries d
           WHERE d.last_attempt_at >= ${range.from} AND d.last_attempt_at < ${range.to} AND d.status <> 'pending'
      )
      SELECT bucket,
             count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
             count(*) FILTER (WHERE status = 'failed')::int AS failed,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency) AS "latencyP50Ms",
             percentile_cont(0.99) WITHIN GROUP (ORDER BY latency) AS "latencyP99Ms"
        FROM finished
       GROUP BY bucket`;
  }

  /** Attempts without a 2xx per bucket (the dispatcher logs every attempt but a first one that succeeded). */
  async failedAttemptBuckets(range: BucketRange): Promise<FailedAttemptBucketRow[]> {
    return this.prisma.$queryRaw<FailedAttemptBucketRow[]>`
      SELECT ${bin(range, Prisma.sql`started_at`)} AS bucket, count(*)::int AS "failedAttempts"
        FROM webhook_attempts
       WHERE started_at >= ${range.from} AND started_at < ${range.to}
         AND (response_status IS NULL OR response_status NOT BETWEEN 200 AND 299)
       GROUP BY 1`;
  }
}

/** The start of the bucket `column` falls in: buckets of the range's size, counted from its start. */
function bin(range: BucketRange, column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`date_bin(${range.bucketSeconds}::int * interval '1 second', ${column}, ${range.from}::timestamptz)`;
}
