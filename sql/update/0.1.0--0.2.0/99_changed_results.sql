
-- ===================================================================
-- Objects of the administrator's over pricing results that changed
-- ===================================================================
-- The pricing and margin functions below stay IMMUTABLE, but 0.2.0
-- returns other values for them than 0.1.0 did (docs/pricing.md,
-- "Upgrading from 0.1.0"): american_price and american_implied_vol by
-- whole percents (the default method is qdfp instead of bjs2002, and
-- bjs2002 and baw were repaired), regt_requirement where 0.1.0's was
-- negative (now 0), the others in the last bits.  An index,
-- a stored generated column, a CHECK constraint, a materialized view or a
-- partition key made over one of them under 0.1.0 keeps 0.1.0's values: an
-- index scan then misses rows or returns rows that do not match (an
-- upgrade review on 2026-12-06).  As PostgreSQL does for a collation whose
-- version changed, each is named in a WARNING with the command that
-- recomputes it; the update itself goes on.  Functions whose results are
-- unchanged (bachelier_price, bachelier_implied_vol, the risk array sums
-- and scans, regt_naked; bachelier_greeks gives 0 where 0.1.0 gave -0,
-- equal under every comparison) are not listed.
DO $$
DECLARE
    o record;
    path pg_catalog.text := pg_catalog.current_setting('search_path');
BEGIN
    -- the hints' expressions name every object with its schema
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);
    FOR o IN
        WITH fn AS (
            SELECT p.oid, pg_catalog.format('%I.%I', n.nspname, p.proname) AS name
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
             WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger'
               AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY[
                   'american_price', 'american_implied_vol',
                   'bsm_price', 'bsm_greeks', 'bsm_implied_vol',
                   'black76_price', 'black76_greeks', 'black76_implied_vol',
                   'span_risk_array', 'pm_risk_array', 'regt_requirement']::pg_catalog.name[])),
        dep AS (
            SELECT d.classid, d.objid,
                   pg_catalog.string_agg(DISTINCT fn.name, ', ') AS fns,
                   pg_catalog.count(DISTINCT fn.oid) AS nfn
              FROM pg_catalog.pg_depend d
              JOIN fn ON fn.oid OPERATOR(pg_catalog.=) d.refobjid
             WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
               AND d.deptype OPERATOR(pg_catalog.=) 'n'
             GROUP BY d.classid, d.objid),
        obj AS (
            -- indexes (expressions and predicates); an index of a partition
            -- is rebuilt with its parent's
            SELECT 1 AS ord, i.indrelid AS rel,
                   pg_catalog.format('index %I.%I', n.nspname, c.relname) AS what,
                   'Its entries hold the values ledger 0.1.0 computed: a scan of the index can miss rows or return rows that do not match.' AS detail,
                   pg_catalog.format('Rebuild it: REINDEX INDEX %I.%I;', n.nspname, c.relname) AS hint,
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) c.oid
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
               AND (c.relkind OPERATOR(pg_catalog.=) 'i' OR c.relkind OPERATOR(pg_catalog.=) 'I')
               AND NOT c.relispartition
            UNION ALL
            -- stored generated columns: an UPDATE recomputes a row's only
            -- when it sets a column the expression reads
            SELECT 2, t.oid,
                   pg_catalog.format('generated column %I of table %I.%I', a.attname, n.nspname, t.relname),
                   'Its stored values were computed by ledger 0.1.0.',
                   CASE WHEN b.attname IS NOT NULL
                        THEN pg_catalog.format('Recompute them: UPDATE %I.%I SET %I = %I;', n.nspname, t.relname, b.attname, b.attname)
                        ELSE pg_catalog.format('Recompute them: ALTER TABLE %I.%I DROP COLUMN %I, ADD COLUMN %I %s GENERATED ALWAYS AS (%s) STORED;',
                            n.nspname, t.relname, a.attname, a.attname,
                            pg_catalog.format_type(a.atttypid, a.atttypmod),
                            pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)) END,
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_attrdef ad ON ad.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) ad.adrelid
                                            AND a.attnum OPERATOR(pg_catalog.=) ad.adnum
              JOIN pg_catalog.pg_class t ON t.oid OPERATOR(pg_catalog.=) ad.adrelid
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.relnamespace
              LEFT JOIN pg_catalog.pg_attribute b
                ON b.attrelid OPERATOR(pg_catalog.=) ad.adrelid
               AND b.attnum OPERATOR(pg_catalog.=) (
                   SELECT pg_catalog.min(cd.refobjsubid)
                     FROM pg_catalog.pg_depend cd
                    WHERE cd.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_attrdef'::pg_catalog.regclass
                      AND cd.objid OPERATOR(pg_catalog.=) ad.oid
                      AND cd.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND cd.refobjid OPERATOR(pg_catalog.=) ad.adrelid
                      AND cd.refobjsubid OPERATOR(pg_catalog.>) 0
                      AND cd.deptype OPERATOR(pg_catalog.=) 'n')
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_attrdef'::pg_catalog.regclass
               AND a.attgenerated OPERATOR(pg_catalog.=) 's'
               AND NOT t.relispartition
            UNION ALL
            -- CHECK constraints of tables (not the copies a child inherits)
            SELECT 3, t.oid,
                   pg_catalog.format('constraint %I of table %I.%I', k.conname, n.nspname, t.relname),
                   'Its rows were checked with the values ledger 0.1.0 computed; some may not satisfy it now.',
                   pg_catalog.format('Find the rows that fail it now: SELECT * FROM %I.%I WHERE NOT (%s);',
                       n.nspname, t.relname, pg_catalog.pg_get_expr(k.conbin, k.conrelid)),
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_constraint k ON k.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_class t ON t.oid OPERATOR(pg_catalog.=) k.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.relnamespace
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass
               AND k.contype OPERATOR(pg_catalog.=) 'c' AND k.conislocal
            UNION ALL
            -- CHECK constraints of domains
            SELECT 4, NULL::pg_catalog.oid,
                   pg_catalog.format('constraint %I of domain %I.%I', k.conname, n.nspname, ty.typname),
                   'The values stored in columns of the domain were checked with the values ledger 0.1.0 computed; some may not satisfy it now.',
                   pg_catalog.format('Check the columns of domain %I.%I against it: %s.', n.nspname, ty.typname,
                       pg_catalog.pg_get_constraintdef(k.oid)),
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_constraint k ON k.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) k.contypid
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) ty.typnamespace
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass
               AND k.contype OPERATOR(pg_catalog.=) 'c'
            UNION ALL
            -- materialized views
            SELECT 5, m.oid,
                   pg_catalog.format('materialized view %I.%I', n.nspname, m.relname),
                   'Its rows were computed by ledger 0.1.0.',
                   pg_catalog.format('Recompute it: REFRESH MATERIALIZED VIEW %I.%I;', n.nspname, m.relname),
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_class m ON m.oid OPERATOR(pg_catalog.=) r.ev_class
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) m.relnamespace
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
               AND m.relkind OPERATOR(pg_catalog.=) 'm'
            UNION ALL
            -- partition keys: an UPDATE moves a row whose key now falls in
            -- another partition
            SELECT 6, t.oid,
                   pg_catalog.format('the partition key of table %I.%I', n.nspname, t.relname),
                   'Its rows were routed to partitions by the values ledger 0.1.0 computed: some may now belong in another partition, and a query pruned by the key can miss them.',
                   pg_catalog.format('Move them where the key now puts them: UPDATE %I.%I SET %I = %I;',
                       n.nspname, t.relname, b.attname, b.attname),
                   dep.fns, dep.nfn
              FROM dep
              JOIN pg_catalog.pg_class t ON t.oid OPERATOR(pg_catalog.=) dep.objid
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.relnamespace
              JOIN pg_catalog.pg_attribute b
                ON b.attrelid OPERATOR(pg_catalog.=) t.oid
               AND b.attnum OPERATOR(pg_catalog.=) (
                   SELECT pg_catalog.min(x.attnum) FROM pg_catalog.pg_attribute x
                    WHERE x.attrelid OPERATOR(pg_catalog.=) t.oid
                      AND x.attnum OPERATOR(pg_catalog.>) 0 AND NOT x.attisdropped
                      AND x.attgenerated OPERATOR(pg_catalog.=) '')
             WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
               AND t.relkind OPERATOR(pg_catalog.=) 'p')
        SELECT obj.*
          FROM obj
         -- not the extension's own (it has none today)
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                            WHERE e.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                              AND e.objid OPERATOR(pg_catalog.=) obj.rel
                              AND e.deptype OPERATOR(pg_catalog.=) 'e')
         ORDER BY obj.ord, obj.what
    LOOP
        RAISE WARNING USING
            ERRCODE = '01000',
            MESSAGE = pg_catalog.format('%s depends on %s %s, whose results changed in ledger 0.2.0',
                o.what, CASE WHEN o.nfn OPERATOR(pg_catalog.=) 1 THEN 'function' ELSE 'functions' END, o.fns),
            DETAIL = o.detail,
            HINT = o.hint;
    END LOOP;
    PERFORM pg_catalog.set_config('search_path', path, true);
END
$$;
