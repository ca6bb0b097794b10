
-- ===================================================================
-- Sync between institutions (docs/replication.md)
-- ===================================================================
--
-- Each institution writes its own ledgers and publishes them with
-- ledger.create_publication(); a peer subscribes with
-- ledger.create_subscription(), which copies and verifies what the origin
-- holds under the snapshot of a new replication slot, then lets PostgreSQL's
-- logical replication stream the rest.  What arrives is verified before it
-- is applied (src/replica.c): the rows' hashes, each transaction's record
-- against its rows, each block against its transactions, the chain and the
-- history tree.  Replicas are written by nothing else.

-- The catalog rows a publication carries, checked on arrival at a peer.
CREATE FUNCTION ledger.catalog_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_catalog_guard'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.catalog_guard() IS 'Trigger of the ledger catalog: in a subscription''s apply worker, verifies arriving transaction records and blocks and refuses changes of history';

CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.ledgers
    FOR EACH ROW EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON ledger.ledgers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.transactions
    FOR EACH ROW EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON ledger.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.blocks
    FOR EACH ROW EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON ledger.blocks
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.catalog_guard();
ALTER TABLE ledger.ledgers ENABLE ALWAYS TRIGGER catalog_guard,
    ENABLE ALWAYS TRIGGER catalog_guard_truncate;
ALTER TABLE ledger.transactions ENABLE ALWAYS TRIGGER catalog_guard,
    ENABLE ALWAYS TRIGGER catalog_guard_truncate;
ALTER TABLE ledger.blocks ENABLE ALWAYS TRIGGER catalog_guard,
    ENABLE ALWAYS TRIGGER catalog_guard_truncate;

-- The column definitions of a ledger as ledger.ledgers.shape records them
-- (format "shape-v2"); a peer reads them from the origin.
CREATE FUNCTION ledger._shape(tbl pg_catalog.regclass) RETURNS pg_catalog.text[]
    AS 'MODULE_PATHNAME', 'ledger_shape'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._shape(pg_catalog.regclass) IS 'Internal: column definitions of a table in shape-v2 form (marker, then "name type [COLLATE c]" per column)';

CREATE FUNCTION ledger.create_publication(pubname pg_catalog.name, tables pg_catalog.regclass[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_create_publication'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.create_publication(pg_catalog.name, pg_catalog.regclass[]) IS 'Origin, superuser: publishes ledgers and exactly the catalog rows a peer needs to verify them (inserts, updates, deletes and truncates, so that tampering travels and is refused)';

CREATE FUNCTION ledger.add_to_publication(pubname pg_catalog.name, tables pg_catalog.regclass[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_add_to_publication'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.add_to_publication(pg_catalog.name, pg_catalog.regclass[]) IS 'Origin, superuser: adds ledgers to a publication made by ledger.create_publication (peers then call ledger.resync_subscription)';

CREATE FUNCTION ledger.remove_from_publication(pubname pg_catalog.name, tables pg_catalog.regclass[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_remove_from_publication'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.remove_from_publication(pg_catalog.name, pg_catalog.regclass[]) IS 'Origin, superuser: the publication stops carrying these ledgers and their catalog rows (before ledger.drop_ledger); peers keep their replicas as they are';

CREATE FUNCTION ledger.create_subscription(subname pg_catalog.name, conninfo pg_catalog.text,
    pubname pg_catalog.name) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'ledger_create_subscription'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.create_subscription(pg_catalog.name, pg_catalog.text, pg_catalog.name) IS 'Peer, superuser: creates or checks the replica tables, copies and verifies the origin''s ledgers, then subscribes; returns the number of ledgers replicated';

CREATE FUNCTION ledger.resync_subscription(subname pg_catalog.name) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'ledger_resync_subscription'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.resync_subscription(pg_catalog.name) IS 'Peer, superuser: after a lost slot or for ledgers added to the publication, compares what is held with the origin, copies and verifies the rest, and resubscribes from a new slot; returns the number of ledgers replicated';

CREATE FUNCTION ledger.drop_subscription(subname pg_catalog.name,
    drop_replicas pg_catalog.bool DEFAULT false) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_drop_subscription'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.drop_subscription(pg_catalog.name, pg_catalog.bool) IS 'Peer, superuser: drops a subscription made by ledger.create_subscription and its slot at the origin; its replicas are kept (read-only, verifiable) unless drop_replicas';

REVOKE ALL ON FUNCTION ledger.create_publication(pg_catalog.name, pg_catalog.regclass[]),
    ledger.add_to_publication(pg_catalog.name, pg_catalog.regclass[]),
    ledger.remove_from_publication(pg_catalog.name, pg_catalog.regclass[]),
    ledger.create_subscription(pg_catalog.name, pg_catalog.text, pg_catalog.name),
    ledger.resync_subscription(pg_catalog.name),
    ledger.drop_subscription(pg_catalog.name, pg_catalog.bool) FROM PUBLIC;

-- The last error of each subscription's apply worker (kept in shared memory
-- when the library is preloaded).
CREATE FUNCTION ledger._replication_errors(OUT subid pg_catalog.oid,
    OUT error_at pg_catalog.timestamptz, OUT error pg_catalog.text,
    OUT error_lsn pg_catalog.pg_lsn, OUT reconnect_at pg_catalog.timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'ledger_replication_errors'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger._replication_errors() IS 'Internal: the last error of each subscription''s apply worker since the server started, and when a subscription a lost connection disabled is enabled again (needs shared_preload_libraries)';
-- The errors carry the refused changes' text: for those who may read
-- ledger.replication_status (superusers and pg_monitor), not for PUBLIC.
REVOKE ALL ON FUNCTION ledger._replication_errors() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger._replication_errors() TO pg_monitor;

-- The publications of this database that carry ledgers to peers, with each
-- ledger they carry: every publication that carries ledger.transactions
-- (create_publication's, or one made by hand with the same tables), by
-- name or through a schema, whatever else it carries.  Not a FOR ALL TABLES
-- publication (create_subscription refuses one, and PostgreSQL cannot turn
-- a publication into one later), nor one that carries no ledger catalog (a
-- CDC feed of a ledger, say).  Whatever else such a publication carries
-- now, a peer subscribed to it before keeps receiving it: what matters to
-- drop_ledger and to replication_status is what it carries, not what a new
-- subscription would accept (a review of 2026-12-06 found a table added to
-- a peer's publication let drop_ledger stop that peer).  By OID, from the
-- catalogs, so that a concurrent DROP PUBLICATION is no error.
CREATE FUNCTION ledger._peer_publications(OUT pubname pg_catalog.name, OUT ledger_id pg_catalog.int8)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH carried AS (
        SELECT p.oid AS pubid, p.pubname, r.prrelid AS relid
          FROM pg_catalog.pg_publication p
          JOIN pg_catalog.pg_publication_rel r ON r.prpubid OPERATOR(pg_catalog.=) p.oid
         WHERE NOT p.puballtables
        UNION
        SELECT p.oid, p.pubname, c.oid
          FROM pg_catalog.pg_publication p
          JOIN pg_catalog.pg_publication_namespace n ON n.pnpubid OPERATOR(pg_catalog.=) p.oid
          JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.pnnspid
           AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::pg_catalog."char"[])
         WHERE NOT p.puballtables
    ), records AS (
        SELECT c.oid FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
         WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger'
           AND c.relname OPERATOR(pg_catalog.=) 'transactions'
    )
    SELECT DISTINCT k.pubname, g.ledger_id
      FROM carried k
      JOIN ledger.ledgers g ON g.relation::pg_catalog.oid OPERATOR(pg_catalog.=) k.relid
     WHERE EXISTS (SELECT 1 FROM carried x, records t
                    WHERE x.pubid OPERATOR(pg_catalog.=) k.pubid
                      AND x.relid OPERATOR(pg_catalog.=) t.oid)
$$;
COMMENT ON FUNCTION ledger._peer_publications() IS 'Internal: the publications that carry ledgers to peers (every one that carries ledger.transactions, but FOR ALL TABLES), and the ledgers each carries';
REVOKE ALL ON FUNCTION ledger._peer_publications() FROM PUBLIC;

-- The publications a walsender streams, from its START_REPLICATION command
-- (pg_stat_activity.query: walsender.c reports replication commands as
-- activity): the option publication_names, a string literal ('' for ', and
-- E'...' with \\ for \ when a name holds a backslash: PQescapeLiteral)
-- holding a list of identifiers as pgoutput reads it (quoted with "" for ",
-- or else folded to lower case).  NULL for any other command, or one cut
-- short by track_activity_query_size.
CREATE FUNCTION ledger._streamed_publications(query pg_catalog.text) RETURNS pg_catalog.name[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    -- its literals hold backslashes, parsed when it runs
    SET standard_conforming_strings = on
AS $$
    SELECT pg_catalog.array_agg(CASE WHEN pg_catalog.left(i[1], 1) OPERATOR(pg_catalog.=) '"'
                                     THEN pg_catalog.replace(pg_catalog.substr(i[1], 2, pg_catalog.length(i[1]) OPERATOR(pg_catalog.-) 2), '""', '"')
                                     ELSE pg_catalog.lower(i[1]) END::pg_catalog.name)
      FROM pg_catalog.regexp_match(query,
               '^\s*START_REPLICATION\s.*[(,]\s*"?publication_names"?\s+(E?)''((?:[^'']|'''')*)''', 's') m
     CROSS JOIN LATERAL (SELECT CASE WHEN m[1] OPERATOR(pg_catalog.=) 'E'
                                     THEN pg_catalog.replace(pg_catalog.replace(m[2], '''''', ''''), '\\', '\')
                                     ELSE pg_catalog.replace(m[2], '''''', '''') END AS list) l
     CROSS JOIN LATERAL pg_catalog.regexp_matches(l.list,
               '\s*("(?:[^"]|"")*"|[^",\s]+)\s*(?:,|$)', 'g') i
$$;
COMMENT ON FUNCTION ledger._streamed_publications(pg_catalog.text) IS 'Internal: the publication names of a walsender''s START_REPLICATION command, or NULL';
REVOKE ALL ON FUNCTION ledger._streamed_publications(pg_catalog.text) FROM PUBLIC;

-- One row per (peer, ledger).  At the origin, a peer is a logical
-- replication slot of this database; at a peer, the subscription.  A
-- function owned by the extension's owner (it reads the apply workers'
-- errors and the slots); the status is for superusers and pg_monitor.
CREATE FUNCTION ledger._replication_status(OUT role pg_catalog.text, OUT peer pg_catalog.name,
    OUT ledger pg_catalog.regclass, OUT ledger_id pg_catalog.int8, OUT state pg_catalog.text,
    OUT verified_block pg_catalog.int8, OUT verified_block_hash pg_catalog.bytea,
    OUT lag_bytes pg_catalog.int8, OUT lag_seconds pg_catalog.float8,
    OUT last_error pg_catalog.text, OUT last_error_at pg_catalog.timestamptz,
    OUT last_error_lsn pg_catalog.pg_lsn, OUT reconnect_at pg_catalog.timestamptz)
    RETURNS SETOF record
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH peer_pubs AS MATERIALIZED (SELECT * FROM ledger._peer_publications()),
    -- each slot once, with the publications its walsender streams: parsing
    -- the START_REPLICATION command per (slot, ledger) pair took 0.14 ms
    -- each, 2 s at 3,500 ledgers and 4 slots (a review of 2026-12-06)
    slots AS MATERIALIZED (
        SELECT sl.slot_name, sl.wal_status, sl.active, sl.confirmed_flush_lsn,
               sr.state, sr.replay_lag, sr.flush_lag, sr.write_lag,
               ledger._streamed_publications(a.query) AS pubs
          FROM pg_catalog.pg_replication_slots sl
          LEFT JOIN pg_catalog.pg_stat_replication sr ON sr.pid OPERATOR(pg_catalog.=) sl.active_pid
          LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) sl.active_pid
         WHERE sl.slot_type OPERATOR(pg_catalog.=) 'logical' AND sl.plugin OPERATOR(pg_catalog.=) 'pgoutput'
           AND sl.database OPERATOR(pg_catalog.=) pg_catalog.current_database())
    SELECT 'replica'::pg_catalog.text AS role,
           r.subscription AS peer,
           g.relation AS ledger,
           g.ledger_id,
           CASE WHEN s.oid IS NULL THEN 'dropped'
                -- made again by pg_upgrade or pg_restore without its tables
                WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription_rel sr
                                  WHERE sr.srsubid OPERATOR(pg_catalog.=) s.oid
                                    AND sr.srrelid OPERATOR(pg_catalog.=) g.relation::pg_catalog.oid)
                     THEN 'not subscribed'
                -- a lost connection or a transient error: enabled again at e.reconnect_at
                WHEN NOT s.subenabled AND e.reconnect_at IS NOT NULL THEN 'reconnecting'
                WHEN NOT s.subenabled THEN 'disabled'
                WHEN st.pid IS NULL THEN 'starting'
                WHEN c.behind THEN 'catching up'
                ELSE 'streaming' END AS state,
           h.block_no AS verified_block,
           h.block_hash AS verified_block_hash,
           CASE WHEN c.behind THEN pg_catalog.pg_wal_lsn_diff(st.received_lsn, o.remote_lsn)::pg_catalog.int8
                WHEN st.pid IS NOT NULL THEN 0::pg_catalog.int8 END AS lag_bytes,
           CASE WHEN c.behind
                THEN pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) st.last_msg_send_time)
                WHEN st.pid IS NOT NULL THEN pg_catalog.date_part('epoch', st.last_msg_receipt_time OPERATOR(pg_catalog.-) st.last_msg_send_time)
                END::pg_catalog.float8 AS lag_seconds,
           e.error AS last_error,
           e.error_at AS last_error_at,
           e.error_lsn AS last_error_lsn,
           CASE WHEN NOT s.subenabled THEN e.reconnect_at END AS reconnect_at
      FROM ledger.replicas r
      JOIN ledger.ledgers g ON g.ledger_id OPERATOR(pg_catalog.=) r.ledger_id
      LEFT JOIN LATERAL (SELECT b.block_no, b.block_hash FROM ledger.blocks b
                          WHERE b.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                          ORDER BY b.block_no DESC LIMIT 1) h ON true
      LEFT JOIN pg_catalog.pg_subscription s
             ON s.subname OPERATOR(pg_catalog.=) r.subscription
            AND s.subdbid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                                  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
      LEFT JOIN pg_catalog.pg_stat_subscription st
             ON st.subid OPERATOR(pg_catalog.=) s.oid AND st.relid IS NULL
      LEFT JOIN pg_catalog.pg_replication_origin_status o
             ON o.external_id OPERATOR(pg_catalog.=) ('pg_' OPERATOR(pg_catalog.||) s.oid::pg_catalog.text)
      -- Behind: changes arrived after the origin's last keepalive (which the
      -- worker reads after applying all that came before it) and beyond the
      -- last origin transaction applied here.  Not the keepalive's position
      -- against the applied one: that grows with every WAL record the
      -- origin writes that this subscription does not carry.
      CROSS JOIN LATERAL (SELECT COALESCE(st.received_lsn OPERATOR(pg_catalog.>) st.latest_end_lsn
                                          AND st.received_lsn OPERATOR(pg_catalog.>) o.remote_lsn, false) AS behind) c
      LEFT JOIN ledger._replication_errors() e ON e.subid OPERATOR(pg_catalog.=) s.oid
    UNION ALL
    SELECT 'origin',
           sl.slot_name,
           g.relation,
           g.ledger_id,
           CASE WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost' THEN 'lost'
                WHEN NOT sl.active THEN 'disconnected'
                WHEN sl.state OPERATOR(pg_catalog.=) 'catchup' THEN 'catching up'
                ELSE COALESCE(sl.state, 'connected') END,
           h.block_no,
           h.block_hash,
           GREATEST(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), sl.confirmed_flush_lsn), 0)::pg_catalog.int8,
           pg_catalog.date_part('epoch', COALESCE(sl.replay_lag, sl.flush_lag, sl.write_lag))::pg_catalog.float8,
           NULL::pg_catalog.text,
           NULL::pg_catalog.timestamptz,
           NULL::pg_catalog.pg_lsn,
           NULL::pg_catalog.timestamptz
      FROM ledger.ledgers g
      CROSS JOIN slots sl
      LEFT JOIN LATERAL (SELECT b.block_no, b.block_hash FROM ledger.blocks b
                          WHERE b.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                          ORDER BY b.block_no DESC LIMIT 1) h ON true
      -- A slot a walsender streams is a peer of the ledgers that the
      -- publications it reads carry (a CDC feed of other tables is not);
      -- nothing records what an inactive slot (or one read otherwise) will
      -- read: it is listed against every ledger a peer could subscribe to.
     WHERE EXISTS (SELECT 1 FROM peer_pubs pp
                    WHERE pp.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                      AND (sl.pubs IS NULL OR pp.pubname OPERATOR(pg_catalog.=) ANY (sl.pubs)))
       AND NOT EXISTS (SELECT 1 FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) g.ledger_id)
$$;
COMMENT ON FUNCTION ledger._replication_status() IS 'Internal: the rows of ledger.replication_status';
REVOKE ALL ON FUNCTION ledger._replication_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger._replication_status() TO pg_monitor;
CREATE VIEW ledger.replication_status AS
    SELECT s.role, s.peer, s.ledger, s.ledger_id, s.state, s.verified_block,
           s.verified_block_hash, s.lag_bytes, s.lag_seconds, s.last_error,
           s.last_error_at, s.last_error_lsn, s.reconnect_at
      FROM ledger._replication_status() s;
COMMENT ON VIEW ledger.replication_status IS 'One row per (peer, ledger): role, state, newest block held (at a replica: verified), lag in bytes and seconds, last error of the apply worker and the LSN that ALTER SUBSCRIPTION ... SKIP takes to pass over the refused transaction, and when a subscription a lost connection or a transient error disabled is enabled again';
REVOKE ALL ON ledger.replication_status FROM PUBLIC;
GRANT SELECT ON ledger.replication_status TO pg_monitor;

-- Positions are changed in place by their owners.  Under a publication of
-- updates that carries them (FOR ALL TABLES, FOR TABLES IN SCHEMA ledger) a
-- table without a key needs its whole row as replica identity, or every
-- UPDATE and DELETE of it fails.
ALTER TABLE ledger.margin_positions REPLICA IDENTITY FULL;
