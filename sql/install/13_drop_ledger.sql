-- ledger.drop_ledger: the same text in the install script and in the update
-- from 0.1.0 (sql/update/0.1.0--0.2.0/13_drop_ledger.sql links here; the
-- update drops the 0.1.0 function first, in 11_catalog.sql).

CREATE FUNCTION ledger.drop_ledger(tbl pg_catalog.regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id pg_catalog.int8;
    pub pg_catalog.name;
    own pg_catalog.int8;
    wrote pg_catalog.bool;
    hint pg_catalog.text;
BEGIN
    -- not STRICT: a NULL (to_regclass of a mistyped name) dropped nothing
    IF tbl IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'ledger table must not be NULL';
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r
            WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'must be superuser to drop a ledger',
            HINT = 'Dropping a ledger destroys its history; ask a superuser.';
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'active_sql_transaction',
            MESSAGE = 'cannot drop a ledger in a REPEATABLE READ or SERIALIZABLE transaction',
            DETAIL = 'Its history is deleted as committed when each statement runs, which a transaction snapshot would not see.',
            HINT = 'Call ledger.drop_ledger() in a READ COMMITTED transaction.';
    END IF;
    -- First, a rebuild of the sealer's work list (after a crash, a restore
    -- or a promotion) in progress: it puts back the records no block lists,
    -- read under its statement's snapshot, so records deleted below by a
    -- drop not yet committed then went back on the list, for a ledger that
    -- no longer exists, and every seal() and pass warned of it for good
    -- (found by a crash campaign on 2026-12-06; test/t/480_crash_review.pl).
    -- The rebuild holds this lock to its end; one that starts after it
    -- waits for this transaction and sees the records gone, one before it
    -- has committed its entries, which the DELETE below sees.  Writers'
    -- entries (ROW EXCLUSIVE) do not wait for it.  Taken before the
    -- ledger's row: seal() rebuilds under it and then locks each ledger's
    -- row, so the other order deadlocked with a seal() after a crash (480
    -- part 4).
    LOCK TABLE ledger.seal_queue IN SHARE UPDATE EXCLUSIVE MODE;
    -- the sealer's lock first (it takes the ledger's row, then the rest)
    SELECT g.ledger_id INTO id FROM ledger.ledgers g
     WHERE g.relation OPERATOR(pg_catalog.=) tbl FOR UPDATE;
    IF id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('table "%s" is not a ledger', tbl);
    END IF;
    -- A published ledger's peers hold replicas of it: the deletion of its
    -- history would reach them, be refused there, and stop their
    -- subscriptions (every ledger of this origin with them).  The
    -- publications that carry ledgers to peers (ledger._peer_publications,
    -- sql/install/50_sync.sql): every one that carries ledger.transactions,
    -- by name or through a schema, whatever else it carries (a peer
    -- subscribed before a table was added keeps receiving it); not FOR ALL
    -- TABLES, nor a CDC feed of the ledger alone (found by reviews on
    -- 2026-12-06).
    SELECT pp.pubname INTO pub FROM ledger._peer_publications() pp
     WHERE pp.ledger_id OPERATOR(pg_catalog.=) id
     ORDER BY pp.pubname LIMIT 1;
    IF pub IS NOT NULL THEN
        SELECT CASE
               -- through its schema and by name: both must go
               WHEN by_schema AND by_name
               THEN pg_catalog.format('Take it out of the publication first (ALTER PUBLICATION %I DROP TABLE %s, then ALTER PUBLICATION %I DROP TABLES IN SCHEMA %I), or drop the publication; peers keep their replicas.',
                                      pub, tbl::pg_catalog.text, pub, x.nspname)
               -- carried through its schema: only that schema's removal takes it out
               WHEN by_schema
               THEN pg_catalog.format('Take its schema out of the publication first (ALTER PUBLICATION %I DROP TABLES IN SCHEMA %I), or drop the publication; peers keep their replicas.',
                                      pub, x.nspname)
               -- a publication of tables only: remove_from_publication's
               WHEN NOT any_schema
               THEN pg_catalog.format('Remove it from the publication first: SELECT ledger.remove_from_publication(%L, ARRAY[%L::regclass]); peers keep their replicas.', pub, tbl::pg_catalog.text)
               ELSE pg_catalog.format('Take it out of the publication first (ALTER PUBLICATION %I DROP TABLE %s), or drop the publication; peers keep their replicas.', pub, tbl::pg_catalog.text)
               END INTO hint
          FROM (SELECT n.nspname,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn
                                WHERE pn.pnpubid OPERATOR(pg_catalog.=) p.oid
                                  AND pn.pnnspid OPERATOR(pg_catalog.=) c.relnamespace) AS by_schema,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr
                                WHERE pr.prpubid OPERATOR(pg_catalog.=) p.oid
                                  AND pr.prrelid OPERATOR(pg_catalog.=) c.oid) AS by_name,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn
                                WHERE pn.pnpubid OPERATOR(pg_catalog.=) p.oid) AS any_schema
                  FROM pg_catalog.pg_publication p, pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
                 WHERE p.pubname OPERATOR(pg_catalog.=) pub AND c.oid OPERATOR(pg_catalog.=) tbl) x;
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('cannot drop ledger "%s": publication "%s" carries it', tbl, pub),
            DETAIL = 'Its peers hold replicas of it; the deletion of its history would reach them, be refused there, and stop their subscriptions.',
            HINT = hint;
    END IF;
    -- A replica its subscription still writes: the next change to it would
    -- find no table, and stop the subscription for every ledger it carries.
    SELECT s.subname INTO pub FROM ledger.replicas r
      JOIN pg_catalog.pg_subscription s ON s.subname OPERATOR(pg_catalog.=) r.subscription
       AND s.subdbid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                             WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
     WHERE r.ledger_id OPERATOR(pg_catalog.=) id;
    IF pub IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('cannot drop replica "%s": subscription "%s" writes it', tbl, pub),
            DETAIL = 'The next change of it from its origin would find no table, and stop the subscription for every ledger it carries.',
            HINT = pg_catalog.format('Drop the subscription with its replicas (ledger.drop_subscription(%L, true)), or once the origin has retired the ledger (ledger.remove_from_publication), call ledger.resync_subscription(%L) first.', pub, pub);
    END IF;
    -- Writers first: a transaction still writing to the table (or prepared
    -- with rows in it) writes its record at commit; deleted before it, the
    -- record stayed, for a ledger that no longer exists, and seal() and
    -- the sealer's rebuild after a crash failed for every ledger of the
    -- database (found by a review on 2026-12-05).  Each DELETE below then
    -- sees what they committed (a statement's snapshot: READ COMMITTED
    -- only, checked above).
    EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', tbl);
    -- The one writer that lock does not wait for is the caller: rows this
    -- transaction wrote have their record written at its commit, which then
    -- stood for a ledger that no longer exists (with a row count missing
    -- the last row), or failed the COMMIT (found by a review on 2026-12-06).
    own := ledger._own_xact();
    IF own IS NOT NULL THEN
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s WHERE ledger_xact OPERATOR(pg_catalog.=) $1)', tbl)
            INTO wrote USING own;
        IF wrote THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_in_use',
                MESSAGE = pg_catalog.format('cannot drop ledger "%s": this transaction wrote rows to it', tbl),
                DETAIL = 'Their transaction record is written when the transaction commits.',
                HINT = 'Commit the transaction first, then call ledger.drop_ledger() in a new one.';
        END IF;
    END IF;
    -- signed ledgers (sql/install/25_signed.sql, 52_sync_signed.sql) keep
    -- three more catalogs
    DELETE FROM ledger.signed_messages m WHERE m.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.ledger_keys k WHERE k.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.signed_ledgers g WHERE g.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.seal_queue q WHERE q.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.history_tiles h WHERE h.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.transactions t WHERE t.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.blocks b WHERE b.ledger_id OPERATOR(pg_catalog.=) id;
    DELETE FROM ledger.ledgers g WHERE g.ledger_id OPERATOR(pg_catalog.=) id;
    EXECUTE pg_catalog.format('DROP TABLE %s', tbl);
END
$$;
COMMENT ON FUNCTION ledger.drop_ledger(pg_catalog.regclass) IS 'Superuser only: drops a ledger table and its history';
REVOKE ALL ON FUNCTION ledger.drop_ledger(pg_catalog.regclass) FROM PUBLIC;
