/**
 * The read horizon of the outbox and the change feed (both ordered by (xid, seq)): the oldest transaction id still running in this database (or the
 * next id to be assigned when none is). Every transaction below it has finished, so the events below
 * it are final. Transactions of other databases on the cluster are left out (they cannot write our
 * events; pg_current_snapshot() alone would let, say, a long job in another database hold back every
 * webhook here); an id whose database is unknown (ended meanwhile, prepared transactions) counts.
 */
export const READ_HORIZON_SQL = `(
  SELECT coalesce(
           (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s.snap) AS x
             WHERE NOT EXISTS (
               SELECT 1 FROM pg_stat_activity a
                WHERE a.datname IS DISTINCT FROM current_database()
                  AND a.backend_xid::text::bigint = (x::text::bigint & 4294967295))),
           pg_snapshot_xmax(s.snap)::text::bigint)
    FROM (SELECT pg_current_snapshot() AS snap) s)`;
