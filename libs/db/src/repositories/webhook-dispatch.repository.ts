import type pg from 'pg';
import { OUTBOX_HORIZON_SQL } from './webhook-outbox.repository.js';

export interface RelayResult {
  /** Another instance holds the cursor: nothing was done. */
  busy: boolean;
  events: number;
  deliveries: number;
  /** The relay read a full batch: more may be waiting. */
  full: boolean;
  /** The endpoints it created deliveries for (each once). */
  endpoints: string[];
}

/** A due delivery of an endpoint the claiming instance now holds, with its body. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** Attempts before this one: the outcome is recorded only if nobody recorded one meanwhile. */
  attempts: number;
  manualRetry: boolean;
  /** The webhook body (`{ id, type, createdAt, data }`), the same bytes on every attempt; null once the event aged out. */
  body: string | null;
  /** When the event was written (ms since the epoch). */
  eventCreatedMs: number | null;
  /** The version of the endpoint's settings (its updated_at, ms since the epoch) when this was read. */
  endpointUpdatedMs: number;
  /** A first attempt's place in the endpoint's order (next attempt, as Postgres writes it): where to read on from. */
  position: string | null;
}

/** Where to read an endpoint's deliveries on from: after a first attempt read before (ClaimedDelivery.position). */
export interface ReadFrom {
  at: string;
  id: string;
}

export interface DeliveryOutcome {
  id: string;
  /** `attempts` as claimed: the fence against a stalled instance's late write. */
  attemptsBefore: number;
  ok: boolean;
  /** The state after this attempt (the dispatcher's retry policy decided it). */
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: Date | null;
  startedAt: Date;
  latencyMs: number;
  responseStatus: number | null;
  error: string | null;
}

/**
 * An array parameter as Postgres' array literal, written by JSON.stringify: the same text for strings
 * that need no escaping (ids, ISO timestamps, numbers, booleans, null), in one native call instead of
 * node-postgres' element-by-element encoder, which the benchmark found at a twentieth of the
 * dispatcher's CPU for the claim's and the outcomes' arrays. Anything JSON had to escape (a backslash
 * in its output) is left to node-postgres. Pass it to a parameter cast to the array's type.
 */
function arrayParam(values: readonly unknown[]): string | readonly unknown[] {
  const json = JSON.stringify(values);
  return json.includes('\\') ? values : `{${json.slice(1, -1)}}`;
}

/** Postgres advisory-lock key serialising claims across dispatcher instances ('whclaim' as bytes). */
const CLAIM_LOCK_KEY = '33610298457942381';

/**
 * The dispatcher's hot path: relay, claim and outcome writes, several thousand rows a second. It runs
 * on node-postgres directly rather than through Prisma's raw-query layer, which cost about a sixth of
 * the dispatcher's CPU per delivery (row decoding and parameter encoding) in the benchmark; the SQL is
 * the same set-based SQL either way. The pool is the dispatcher's own.
 */
export class WebhookDispatchRepository {
  constructor(private readonly pool: pg.Pool) {}

  async ensureCursor(name: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO outbox_cursors (name, xid, seq, updated_at) VALUES ($1, 0, 0, now()) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
  }

  /**
   * Whether events wait past the cursor (read-only and cheap: the relay's idle poll, every 20 ms). The
   * first event past the cursor in (xid, seq) order is one probe of that index whatever the planner
   * knows of the table (a plain EXISTS may be planned as a scan of the event log hoping to meet a row
   * early, which is every row once the relay has caught up); only when there is one is it compared
   * with the horizon, whose statement reads every backend's state and costs a millisecond to plan.
   */
  async hasNewEvents(name: string): Promise<boolean> {
    const first = await this.pool.query<{ xid: string }>(
      `SELECT e.xid FROM outbox_cursors c
        CROSS JOIN LATERAL (
          SELECT e.xid FROM events e WHERE (e.xid, e.seq) > (c.xid, c.seq) ORDER BY e.xid, e.seq LIMIT 1) e
        WHERE c.name = $1`,
      [name],
    );
    if (first.rows.length === 0) return false;
    const { rows } = await this.pool.query<{ ready: boolean }>(`SELECT $1::bigint < ${OUTBOX_HORIZON_SQL} AS ready`, [
      first.rows[0].xid,
    ]);
    return rows[0]?.ready ?? true;
  }

  /**
   * One relay step in one transaction: lock the cursor (SKIP LOCKED: one relay at a time across
   * instances), read up to `batch` events (and about `maxDeliveries` deliveries) past it below the
   * horizon (OUTBOX_HORIZON), create one delivery per enabled endpoint of the event's tenant subscribed
   * to its type, tenant-wide or scoped to the event's consent (webhook.test: only the endpoint it
   * names), move the cursor. Deliveries are idempotent on (endpoint, event), so a crash anywhere
   * repeats the step harmlessly. `newId` names deliveries in relay order (ULIDs), which is
   * their send order.
   */
  async relay(name: string, batch: number, newId: () => string, maxDeliveries = 10_000): Promise<RelayResult> {
    return this.transaction(async (client) => {
      // The horizon is taken first: every transaction below it has finished, so the next statement
      // (a newer snapshot) sees all of their events. As a constant it also lets the planner walk
      // the (xid, seq) index and stop after `batch` rows.
      const cursor = (
        await client.query<{ xid: string; seq: string; horizon: string }>(
          `SELECT xid, seq, ${OUTBOX_HORIZON_SQL} AS horizon FROM outbox_cursors WHERE name = $1 FOR UPDATE SKIP LOCKED`,
          [name],
        )
      ).rows[0];
      if (!cursor) return { busy: true, events: 0, deliveries: 0, full: false, endpoints: [] };
      const { rows } = await client.query<{
        eventId: string;
        seq: string;
        xid: string;
        tenantId: string;
        endpointIds: string[];
      }>(
        `WITH ev AS (
           SELECT e.id, e.seq, e.xid, e.tenant_id, e.type, e.created_at, e.data->>'webhookId' AS target,
                  e.data->>'consentId' AS consent_id
             FROM events e
            WHERE (e.xid, e.seq) > ($1::bigint, $2::bigint) AND e.xid < $3::bigint
            ORDER BY e.xid, e.seq
            LIMIT $4
         )
         SELECT ev.id AS "eventId", ev.seq, ev.xid, ev.tenant_id AS "tenantId",
                coalesce(array_agg(w.id ORDER BY w.id) FILTER (WHERE w.id IS NOT NULL), '{}') AS "endpointIds"
           FROM ev
           -- Three index lookups per event: the endpoint a webhook.test names; the tenant's tenant-wide
           -- endpoints; the endpoints scoped to the event's consent ((tenant_id, consent_id) index, so a
           -- tenant with an endpoint per consent does not scan them all for every event). The status is
           -- checked on the rows found (status::text), not through its own index, which a planner without
           -- statistics on a young table prefers: every enabled endpoint of every tenant, for each event.
           LEFT JOIN LATERAL (
             SELECT w.id FROM webhook_endpoints w
              WHERE ev.type = 'webhook.test' AND w.id = ev.target AND w.tenant_id = ev.tenant_id
                AND w.status::text = 'enabled' AND w.created_at <= ev.created_at
             UNION ALL
             SELECT w.id FROM webhook_endpoints w
              WHERE ev.type <> 'webhook.test' AND w.tenant_id = ev.tenant_id AND w.consent_id IS NULL
                AND w.status::text = 'enabled' AND w.created_at <= ev.created_at
                AND (ev.type = ANY(w.events) OR '*' = ANY(w.events))
             UNION ALL
             SELECT w.id FROM webhook_endpoints w
              WHERE ev.type <> 'webhook.test' AND ev.consent_id IS NOT NULL
                AND w.tenant_id = ev.tenant_id AND w.consent_id = ev.consent_id
                AND w.status::text = 'enabled' AND w.created_at <= ev.created_at
                AND (ev.type = ANY(w.events) OR '*' = ANY(w.events))
           ) w ON true
          GROUP BY ev.id, ev.seq, ev.xid, ev.tenant_id
          ORDER BY ev.xid, ev.seq`,
        [cursor.xid, cursor.seq, cursor.horizon, batch],
      );
      if (rows.length === 0) return { busy: false, events: 0, deliveries: 0, full: false, endpoints: [] };
      // A big fan-out is split over several short transactions (each event whole): a long one would
      // delay everyone else's deliveries and hold back the outbox horizon of the whole database.
      let take = 0;
      for (
        let fanOut = 0;
        take < rows.length && (take === 0 || fanOut + rows[take].endpointIds.length <= maxDeliveries);
        take++
      ) {
        fanOut += rows[take].endpointIds.length;
      }
      const cut = take < rows.length;
      rows.length = take;

      const ids: string[] = [];
      const tenants: string[] = [];
      const endpoints: string[] = [];
      const events: string[] = [];
      const seqs: string[] = [];
      for (const row of rows) {
        for (const endpointId of row.endpointIds) {
          ids.push(newId());
          tenants.push(row.tenantId);
          endpoints.push(endpointId);
          events.push(row.eventId);
          seqs.push(row.seq);
        }
      }
      let created = 0;
      if (ids.length > 0) {
        const inserted = await client.query(
          `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_seq, 'pending', 0, clock_timestamp(), now(), now()
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS d(id, tenant_id, endpoint_id, event_id, event_seq)
           ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
          [ids, tenants, endpoints, events, seqs].map(arrayParam),
        );
        created = inserted.rowCount ?? 0;
      }
      const last = rows[rows.length - 1];
      await client.query(`UPDATE outbox_cursors SET xid = $2, seq = $3, updated_at = now() WHERE name = $1`, [
        name,
        last.xid,
        last.seq,
      ]);
      return {
        busy: false,
        events: rows.length,
        deliveries: created,
        full: cut || rows.length >= batch,
        endpoints: [...new Set(endpoints)],
      };
    });
  }

  /**
   * Takes the lease of endpoints that have due deliveries and are not held by another live instance,
   * and returns them; extends the caller's own leases of `held` (not probed) once half of the lease
   * has passed; `skip`: endpoints not to take now. Deliveries are not touched: the caller reads them
   * with `refill`. Lease writes are serialised across instances by an advisory lock (held until the
   * lease statement commits), so two instances never take one endpoint, and two statements writing
   * leases never wait on each other in a cycle.
   */
  async lease(holder: string, opts: { held: string[]; skip: string[]; leaseMs: number }): Promise<string[]> {
    return this.transaction(async (client) => {
      await this.lockClaims(client);
      const { rows } = await client.query<{ id: string }>(
        `WITH due AS (
           SELECT w.id FROM webhook_endpoints w
            WHERE w.status = 'enabled' AND NOT (w.id = ANY($2::text[])) AND NOT (w.id = ANY($4::text[]))
              AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= now())
         ),
         leased AS (
           INSERT INTO webhook_endpoint_leases AS l (endpoint_id, holder, expires_at)
           SELECT id, $1, now() + $3 * interval '1 millisecond' FROM due
           ON CONFLICT (endpoint_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
           RETURNING endpoint_id
         ),
         renewed AS (
           UPDATE webhook_endpoint_leases SET expires_at = now() + $3 * interval '1 millisecond'
            WHERE holder = $1 AND endpoint_id = ANY($4::text[]) AND expires_at < now() + $3 * interval '0.5 millisecond'
         )
         SELECT endpoint_id AS id FROM leased`,
        [holder, arrayParam(opts.skip), opts.leaseMs, arrayParam(opts.held)],
      );
      return rows.map((r) => r.id);
    });
  }

  /**
   * Up to `perEndpoint` due deliveries of each endpoint in `endpoints` that the caller holds with at
   * least half of its lease left (leases are renewed well before that; `lease` renews late ones), in
   * the endpoint's order (next attempt, id), leaving out `exclude`, at most `total` in all, endpoints
   * in the order given; with the webhook body built by Postgres. No lease is written, so this is one
   * statement, with no lock and no transaction. The endpoint and its lease are one primary-key probe
   * each (a lateral subquery with LIMIT, which the planner cannot turn into a join over every endpoint
   * or lease).
   *
   * `from` (per endpoint, or null): read only after that place in the endpoint's order. The index
   * keeps the entries of delivered rows until a vacuum, at the front of the endpoint's pending range,
   * where every read from the start walks (and checks) them again.
   */
  async refill(
    holder: string,
    opts: {
      endpoints: string[];
      from: (ReadFrom | null)[];
      exclude: string[];
      perEndpoint: number;
      total: number;
      leaseMs: number;
    },
  ): Promise<ClaimedDelivery[]> {
    const { rows } = await this.pool.query<ClaimedDelivery>(
      `SELECT p.id, p.tenant_id AS "tenantId", p.endpoint_id AS "endpointId", p.event_id AS "eventId",
              p.attempts, p.manual_retry AS "manualRetry",
              '{"id":' || to_json(ev.id)::text || ',"type":' || to_json(ev.type)::text
                || ',"createdAt":"' || to_char(ev.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                || '","data":' || ev.data::text || '}' AS body,
              (extract(epoch FROM ev.created_at) * 1000)::float8 AS "eventCreatedMs",
              (extract(epoch FROM w.updated_at) * 1000)::float8 AS "endpointUpdatedMs",
              CASE WHEN p.attempts = 0 THEN p.next_attempt_at::text END AS position
         FROM unnest($1::text[], $7::timestamptz[], $8::text[]) WITH ORDINALITY AS h(id, from_at, from_id, n)
         CROSS JOIN LATERAL (SELECT w.status, w.updated_at FROM webhook_endpoints w WHERE w.id = h.id LIMIT 1) w
         CROSS JOIN LATERAL (SELECT l.holder, l.expires_at FROM webhook_endpoint_leases l WHERE l.endpoint_id = h.id LIMIT 1) l
         CROSS JOIN LATERAL (
           SELECT d.id, d.tenant_id, d.endpoint_id, d.event_id, d.attempts, d.manual_retry, d.next_attempt_at FROM webhook_deliveries d
            WHERE d.endpoint_id = h.id AND d.status = 'pending' AND d.next_attempt_at <= now() AND NOT (d.id = ANY($2::text[]))
              AND (d.next_attempt_at, d.id) > (coalesce(h.from_at, '-infinity'), coalesce(h.from_id, ''))
            ORDER BY d.next_attempt_at, d.id
            LIMIT $3
         ) p
         LEFT JOIN events ev ON ev.id = p.event_id
        WHERE w.status = 'enabled' AND l.holder = $5 AND l.expires_at >= now() + $6 * interval '0.5 millisecond'
        ORDER BY h.n, p.next_attempt_at, p.id
        LIMIT $4`,
      [
        arrayParam(opts.endpoints),
        arrayParam(opts.exclude),
        opts.perEndpoint,
        opts.total,
        holder,
        opts.leaseMs,
        arrayParam(opts.from.map((f) => f?.at ?? null)),
        arrayParam(opts.from.map((f) => f?.id ?? null)),
      ],
    );
    return rows;
  }

  /**
   * Records attempt outcomes and logs the attempts, in one statement. Fenced by `attemptsBefore`: if
   * anyone recorded an attempt since the claim (a stalled instance whose endpoint was taken over),
   * this one is dropped. A delivery failed meanwhile (its endpoint got disabled) keeps that state
   * unless this attempt succeeded. A first attempt that succeeded is fully described by the delivery
   * row, so it gets no log row (the common case, and one write fewer per delivery).
   *
   * Rows are locked in id order first (`locked`): every statement that locks several deliveries does
   * so in id order, so none of them can wait on another in a cycle (endpoint deletion, whose cascade
   * would otherwise lock them in heap order, is the one this meets; see WebhookEndpointRepository).
   * Each is locked through its primary key, one after the other in the order of the sorted batch (a
   * lateral subquery with FOR UPDATE runs once per row, in order), and then updated by the row
   * version it locked (ctid, which cannot move while the lock is held): the plan is the same whatever
   * the planner knows of the table, where a join of the batch with the table could be planned as a
   * scan of it, or as a nested loop comparing every outcome with every row.
   */
  async recordOutcomes(outcomes: DeliveryOutcome[]): Promise<{ id: string; endpointId: string }[]> {
    if (outcomes.length === 0) return [];
    const col = <K extends keyof DeliveryOutcome>(key: K) => arrayParam(outcomes.map((o) => o[key]));
    const { rows } = await this.pool.query<{ id: string; endpointId: string }>(
      `WITH r AS (
         SELECT * FROM unnest($1::text[], $2::int[], $3::boolean[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::int[], $8::int[], $9::text[])
           AS r(id, attempts_before, ok, status, next_at, started_at, latency_ms, response_status, error)
       ),
       locked AS (
         SELECT l.tid, r.* FROM (SELECT * FROM r ORDER BY r.id) r
          CROSS JOIN LATERAL (
            SELECT d.ctid AS tid FROM webhook_deliveries d WHERE d.id = r.id AND d.attempts = r.attempts_before FOR UPDATE
          ) l
       ),
       upd AS (
         UPDATE webhook_deliveries d SET
           status = CASE WHEN d.status = 'pending' THEN l.status::"WebhookDeliveryStatus"
                         WHEN l.ok THEN 'succeeded'::"WebhookDeliveryStatus" ELSE d.status END,
           next_attempt_at = CASE WHEN d.status = 'pending' AND l.status = 'pending' THEN l.next_at END,
           attempts = d.attempts + 1,
           last_attempt_at = l.started_at,
           last_response_status = l.response_status,
           last_error = l.error,
           last_latency_ms = l.latency_ms,
           succeeded_at = CASE WHEN l.ok THEN l.started_at + l.latency_ms * interval '1 millisecond' ELSE d.succeeded_at END,
           manual_retry = false,
           updated_at = now()
         FROM locked l
         WHERE d.ctid = l.tid AND d.attempts = l.attempts_before
         RETURNING d.id, d.endpoint_id, d.attempts, l.ok, l.started_at, l.latency_ms, l.response_status, l.error
       ),
       logged AS (
         INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, response_status, error)
         SELECT id, attempts, started_at, latency_ms, response_status, error FROM upd
          WHERE NOT (ok AND attempts = 1)
       )
       SELECT id, endpoint_id AS "endpointId" FROM upd`,
      [
        col('id'),
        col('attemptsBefore'),
        col('ok'),
        col('status'),
        col('nextAttemptAt'),
        col('startedAt'),
        col('latencyMs'),
        col('responseStatus'),
        col('error'),
      ],
    );
    return rows;
  }

  /** Endpoints that answered 2xx are healthy again (a no-op for those that were). */
  async markHealthy(endpointIds: string[]): Promise<void> {
    if (endpointIds.length === 0) return;
    await this.pool.query(
      `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ANY($1::text[]) AND failing_since IS NOT NULL`,
      [arrayParam(endpointIds)],
    );
  }

  /**
   * Extends `holder`'s leases on endpoints it still works on, and gives up the others. Under the claim
   * lock: lease rows are only ever written by one statement at a time (no lock-order deadlocks).
   */
  async renewLeases(holder: string, endpointIds: string[], leaseMs: number): Promise<void> {
    await this.transaction(async (client) => {
      await this.lockClaims(client);
      await client.query(
        `WITH renewed AS (
           UPDATE webhook_endpoint_leases SET expires_at = now() + $3 * interval '1 millisecond'
            WHERE holder = $1 AND endpoint_id = ANY($2::text[]))
         DELETE FROM webhook_endpoint_leases WHERE holder = $1 AND NOT (endpoint_id = ANY($2::text[]))`,
        [holder, arrayParam(endpointIds), leaseMs],
      );
    });
  }

  /** Gives up all of `holder`'s endpoints (graceful shutdown): another instance may take them at once. */
  async releaseLeases(holder: string): Promise<void> {
    await this.transaction(async (client) => {
      await this.lockClaims(client);
      await client.query(`DELETE FROM webhook_endpoint_leases WHERE holder = $1`, [holder]);
    });
  }

  /** Deliveries due now over enabled endpoints (capped per endpoint): the backlog. */
  async countDue(capPerEndpoint = 100_000): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT coalesce(sum(x.n), 0)::bigint AS n FROM webhook_endpoints w
        CROSS JOIN LATERAL (
          SELECT count(*) AS n FROM (
            SELECT 1 FROM webhook_deliveries d
             WHERE d.endpoint_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= now() LIMIT $1) s) x
        WHERE w.status = 'enabled'`,
      [capPerEndpoint],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Serialises claims and lease writes across instances, until the transaction ends. */
  private async lockClaims(client: pg.PoolClient): Promise<void> {
    await client.query(`SELECT pg_advisory_xact_lock($1::bigint)`, [CLAIM_LOCK_KEY]);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
