
-- ===================================================================
-- Sealing status (docs/reference.md#sealing_status)
-- ===================================================================

-- One row per ledger written here (not replicas, which are never sealed
-- here): how many committed transactions wait for a block, since when, and
-- the newest block.  What a DBA's alert watches: commits stay unsealed
-- while no background worker slot is free, while a sealing pass fails, or
-- between two scheduled seal() calls without the background sealer; and
-- the background sealer's last error for the ledger (or, failing that,
-- of its scheduled checkpoint).  A
-- function owned by the extension's owner (the work list is for superusers
-- only); the status is for superusers and pg_monitor.  The counts come
-- from the sealer's work list, which a crash, a restore or a promotion
-- empties until the next sealing pass rebuilds it, and which has no marker
-- row in a database where no pass has run yet: the status has it rebuilt
-- then (ledger._rebuild_seal_list), so that a broken scheduled seal() shows
-- as a growing lag.  While it cannot be (a half-restored catalog, no
-- background worker slot free) they are NULL, unknown, rather than a false
-- zero.

-- The last error of a background sealing pass for a ledger, until a pass
-- seals it again (C: shared memory, since the server started).
CREATE FUNCTION ledger._sealing_errors(OUT ledger_id pg_catalog.int8,
    OUT error_at pg_catalog.timestamptz, OUT error pg_catalog.text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'ledger_sealing_errors'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ledger._sealing_errors() IS 'Internal: the last error of the background sealer for each ledger of this database, until it seals that ledger';
REVOKE ALL ON FUNCTION ledger._sealing_errors() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger._sealing_errors() TO pg_monitor;

-- Has the work list rebuilt if it awaits its rebuild, in a one-shot
-- background worker (why so, and not counted from the catalog: the C
-- function's comment); true when it is complete.
CREATE FUNCTION ledger._rebuild_seal_list() RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'ledger_rebuild_seal_list'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ledger._rebuild_seal_list() IS 'Internal: has the sealer''s work list rebuilt (in a one-shot background worker, waiting at most ledger.digest_wait) if it awaits its rebuild; true when it is complete';
REVOKE ALL ON FUNCTION ledger._rebuild_seal_list() FROM PUBLIC;

CREATE FUNCTION ledger._sealing_status(OUT ledger pg_catalog.regclass, OUT ledger_id pg_catalog.int8,
    OUT unsealed_transactions pg_catalog.int8, OUT oldest_unsealed_at pg_catalog.timestamptz,
    OUT seal_lag_seconds pg_catalog.float8, OUT last_block_no pg_catalog.int8,
    OUT last_sealed_at pg_catalog.timestamptz, OUT sealed_transactions pg_catalog.int8,
    OUT last_error pg_catalog.text, OUT last_error_at pg_catalog.timestamptz)
    RETURNS SETOF record
    -- VOLATILE: the query below takes a snapshot of its own, which sees
    -- the list rebuilt just before
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- A hot standby cannot read the unlogged work list, and seals nothing
    -- (its blocks arrive by replay): what waits is unknown there (NULL),
    -- the newest block replayed is known.
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN QUERY
        SELECT g.relation, g.ledger_id, NULL::pg_catalog.int8, NULL::pg_catalog.timestamptz,
               NULL::pg_catalog.float8, h.block_no, h.sealed_at,
               COALESCE(h.first_position OPERATOR(pg_catalog.+) h.tx_count, 0),
               NULL::pg_catalog.text, NULL::pg_catalog.timestamptz
          FROM ledger.ledgers g
          LEFT JOIN LATERAL (SELECT b.block_no, b.sealed_at, b.first_position, b.tx_count
                               FROM ledger.blocks b
                              WHERE b.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                              ORDER BY b.block_no DESC LIMIT 1) h ON true
         WHERE g.replica IS NOT TRUE;
        RETURN;
    END IF;
    -- the list awaiting its rebuild (no marker) is rebuilt now; the
    -- query reads the marker again, with the counts, under one snapshot
    PERFORM ledger._rebuild_seal_list();
    RETURN QUERY
        WITH list AS (
            SELECT EXISTS (SELECT 1 FROM ledger.seal_queue q
                            WHERE q.ledger_id OPERATOR(pg_catalog.=) 0
                              AND q.xact_id OPERATOR(pg_catalog.=) 0) AS complete),
        queued AS (
            SELECT q.ledger_id, pg_catalog.count(*) AS n, pg_catalog.min(t.committed_at) AS oldest
              FROM ledger.seal_queue q
              LEFT JOIN ledger.transactions t
                     ON t.ledger_id OPERATOR(pg_catalog.=) q.ledger_id
                    AND t.xact_id OPERATOR(pg_catalog.=) q.xact_id
             WHERE q.ledger_id OPERATOR(pg_catalog.<>) 0
             GROUP BY q.ledger_id),
        -- also work listed for a ledger that has no row (a superuser deleted
        -- it): never sealed, and the sealer's error says so
        known AS (
            SELECT COALESCE(g.ledger_id, w.ledger_id) AS ledger_id, g.relation, g.replica, w.n, w.oldest
              FROM ledger.ledgers g
              FULL JOIN queued w ON w.ledger_id OPERATOR(pg_catalog.=) g.ledger_id)
        SELECT k.relation,
               k.ledger_id,
               CASE WHEN l.complete THEN COALESCE(k.n, 0) END,
               CASE WHEN l.complete THEN k.oldest END,
               CASE WHEN l.complete
                    THEN COALESCE(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) k.oldest), 0)
                    END::pg_catalog.float8,
               h.block_no,
               h.sealed_at,
               COALESCE(h.first_position OPERATOR(pg_catalog.+) h.tx_count, 0),
               e.error,
               e.error_at
          FROM known k
          CROSS JOIN list l
          LEFT JOIN LATERAL (SELECT b.block_no, b.sealed_at, b.first_position, b.tx_count
                               FROM ledger.blocks b
                              WHERE b.ledger_id OPERATOR(pg_catalog.=) k.ledger_id
                              ORDER BY b.block_no DESC LIMIT 1) h ON true
          LEFT JOIN ledger._sealing_errors() e ON e.ledger_id OPERATOR(pg_catalog.=) k.ledger_id
         WHERE k.replica IS NOT TRUE;
END
$$;
COMMENT ON FUNCTION ledger._sealing_status() IS 'Internal: the rows of ledger.sealing_status';
REVOKE ALL ON FUNCTION ledger._sealing_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger._sealing_status() TO pg_monitor;
CREATE VIEW ledger.sealing_status AS
    SELECT s.ledger, s.ledger_id, s.unsealed_transactions, s.oldest_unsealed_at,
           s.seal_lag_seconds, s.last_block_no, s.last_sealed_at, s.sealed_transactions,
           s.last_error, s.last_error_at
      FROM ledger._sealing_status() s;
COMMENT ON VIEW ledger.sealing_status IS 'One row per ledger written here: committed transactions waiting for a block (NULL, unknown, while the sealer''s work list cannot be rebuilt: a half-restored catalog, no background worker slot free), the oldest one''s commit time and age in seconds, the newest block, the transactions sealed so far, and the background sealer''s last error for it until it seals it';
REVOKE ALL ON ledger.sealing_status FROM PUBLIC;
GRANT SELECT ON ledger.sealing_status TO pg_monitor;
