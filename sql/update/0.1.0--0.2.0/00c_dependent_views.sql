
-- ===================================================================
-- The administrator's objects over the catalog the update rebuilds
-- ===================================================================
-- ledger.ledgers, ledger.transactions and ledger.blocks are rebuilt below
-- (11_catalog.sql: transactions.block_no and ledgers.head_block go), and
-- ledger.margin_requirements is dropped and made again with a new result
-- type (40_margin.sql).  A view, materialized view, rule or SQL-standard
-- function of the administrator's over one of them made the update fail
-- with PostgreSQL's "cannot drop table transactions_0_1 because other
-- objects depend on it" or "cannot alter type of a column used by a view
-- or rule", naming tables nobody made (an upgrade review on 2026-12-06).
-- Refused up front, naming each.
DO $$
DECLARE
    deps pg_catalog.text;
BEGIN
    SELECT pg_catalog.string_agg(DISTINCT CASE
               WHEN d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
               THEN (SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.ev_class, 0)
                       FROM pg_catalog.pg_rewrite r WHERE r.oid OPERATOR(pg_catalog.=) d.objid)
               ELSE pg_catalog.pg_describe_object(d.classid, d.objid, 0) END, ', ')
      INTO deps
      FROM pg_catalog.pg_depend d
     WHERE d.classid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_rewrite'::pg_catalog.regclass,
                                                      'pg_catalog.pg_proc'::pg_catalog.regclass])
       AND d.deptype OPERATOR(pg_catalog.=) 'n'
       AND ((d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
             AND d.refobjid OPERATOR(pg_catalog.=) ANY (ARRAY['ledger.ledgers'::pg_catalog.regclass,
                                                             'ledger.transactions'::pg_catalog.regclass,
                                                             'ledger.blocks'::pg_catalog.regclass]::pg_catalog.oid[]))
            OR (d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                AND d.refobjid OPERATOR(pg_catalog.=) ANY (
                    SELECT p.oid FROM pg_catalog.pg_proc p
                     WHERE p.pronamespace OPERATOR(pg_catalog.=) 'ledger'::pg_catalog.regnamespace
                       AND p.proname OPERATOR(pg_catalog.=) 'margin_requirements')))
       -- not the extension's own
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                        WHERE e.deptype OPERATOR(pg_catalog.=) 'e'
                          AND ((d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                AND e.classid OPERATOR(pg_catalog.=) d.classid
                                AND e.objid OPERATOR(pg_catalog.=) d.objid)
                               OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                   AND e.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                   AND e.objid OPERATOR(pg_catalog.=) (SELECT r.ev_class FROM pg_catalog.pg_rewrite r
                                                                        WHERE r.oid OPERATOR(pg_catalog.=) d.objid))));
    IF deps IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'dependent_objects_still_exist',
            MESSAGE = pg_catalog.format('cannot update extension ledger: %s depend on its catalog', deps),
            DETAIL = 'The update to 0.2.0 rebuilds ledger.ledgers, ledger.transactions and ledger.blocks (transactions.block_no and ledgers.head_block go; a transaction''s block is in ledger.transaction_blocks) and makes ledger.margin_requirements again with a new result type.',
            HINT = 'Drop them, run ALTER EXTENSION ledger UPDATE, then make them again over the 0.2.0 catalog.';
    END IF;
END
$$;
