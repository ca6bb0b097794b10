\echo Use "ALTER EXTENSION ledger UPDATE TO '0.2.0'" to load this file. \quit
-- ledger update script 0.1.0 -> 0.2.0, assembled from
-- sql/update/0.1.0--0.2.0/*.sql in name order.  Every change to the
-- catalog, the canonical format or a hash between the two versions is
-- here; test/t/090_upgrade.pl upgrades ledgers made by 0.1.0 with it.

-- No transaction prepared before the update may hold a lock on the
-- extension's tables or on a ledger (review of 2026-12-06): the script
-- locks them exclusively, and would wait for a COMMIT PREPARED or ROLLBACK
-- PREPARED that may never come, silently, holding its own locks meanwhile.
-- A prepared transaction's locks are listed in pg_locks without a pid,
-- under the virtual transaction holding its transaction id's lock (the
-- original one, or -1/xid after a restart).
DO $$
DECLARE
    gids pg_catalog.text;
    n pg_catalog.int8;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('"%s"', p.gid), ', ' ORDER BY p.gid),
           pg_catalog.count(*)
      INTO gids, n
      FROM pg_catalog.pg_prepared_xacts p
     WHERE p.database OPERATOR(pg_catalog.=) pg_catalog.current_database()
       AND EXISTS (
        SELECT 1
          FROM pg_catalog.pg_locks t
          JOIN pg_catalog.pg_locks l
            ON l.virtualtransaction OPERATOR(pg_catalog.=) t.virtualtransaction
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) l.relation
          JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) l.database
         WHERE t.locktype OPERATOR(pg_catalog.=) 'transactionid'
           AND t.transactionid OPERATOR(pg_catalog.=) p.transaction AND t.pid IS NULL
           AND l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.pid IS NULL
           AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
           AND (c.relnamespace OPERATOR(pg_catalog.=) 'ledger'::pg_catalog.regnamespace
                OR EXISTS (SELECT 1 FROM ledger.ledgers g
                            WHERE g.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.oid)));
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_in_use',
            MESSAGE = pg_catalog.format('cannot update extension "ledger" while prepared %s %s %s locks on its tables',
                CASE WHEN n OPERATOR(pg_catalog.=) 1 THEN 'transaction' ELSE 'transactions' END,
                gids,
                CASE WHEN n OPERATOR(pg_catalog.=) 1 THEN 'holds' ELSE 'hold' END),
            DETAIL = 'The update locks the extension''s tables and the ledgers, and would wait until they end.',
            HINT = 'End them with COMMIT PREPARED or ROLLBACK PREPARED, then run ALTER EXTENSION ledger UPDATE again.';
    END IF;
END
$$;
