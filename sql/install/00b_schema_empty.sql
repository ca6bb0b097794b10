
-- The schema holds nothing before the install (review of 2026-12-05; after
-- 00a_schema_owner.sql: owned by a superuser, granting CREATE to no other
-- role): an object there could be found instead of the extension's own.
DO $$
DECLARE
    nsp pg_catalog.oid := (SELECT n.oid FROM pg_catalog.pg_namespace n
                            WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger');
    held pg_catalog.text;
BEGIN
    SELECT x.what INTO held FROM (
        SELECT pg_catalog.format('relation %s', c.relname) AS what
          FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('function %s', p.proname)
          FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('type %s', t.typname)
          FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('operator %s', o.oprname)
          FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('collation %s', l.collname)
          FROM pg_catalog.pg_collation l WHERE l.collnamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('conversion %s', v.conname)
          FROM pg_catalog.pg_conversion v WHERE v.connamespace OPERATOR(pg_catalog.=) nsp) x
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('schema "ledger" already holds %s', held),
            DETAIL = 'The extension''s schema must hold nothing before it is installed: an object there could be found instead of the extension''s own.',
            HINT = 'Drop the schema before CREATE EXTENSION ledger.';
    END IF;
END
$$;
