\echo Use "CREATE EXTENSION ledger" to load this file. \quit
-- ledger install script, assembled from sql/install/*.sql in name order.
-- Every built-in is schema-qualified; the extension's schema is "ledger".

-- ===================================================================
-- The schema must be the extension's own (review of 2026-12-05)
-- ===================================================================
--
-- CREATE EXTENSION uses a schema "ledger" that already exists, whoever
-- owns it and whatever it holds.  A database owner who made it first could
-- plant a function that this script, run by a superuser, would call (an
-- overload preferred to the extension's own), or rename the schema later
-- and put a fake catalog under the name the library reads: superuser for
-- them.  So the schema must belong to a superuser, grant CREATE to no other
-- role, and hold nothing yet; pg_restore makes it empty, owned as it was
-- dumped, before CREATE EXTENSION, which passes.
DO $$
DECLARE
    nsp pg_catalog.oid;
    owner_super pg_catalog.bool;
    creator pg_catalog.text;
    held pg_catalog.text;
BEGIN
    SELECT n.oid, r.rolsuper INTO nsp, owner_super
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger';
    IF NOT owner_super THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'schema "ledger" is owned by a role that is not a superuser',
            DETAIL = 'Its owner could change what the extension''s functions find there, and so run code as a superuser.',
            HINT = 'Drop the schema (or make a superuser its owner) before CREATE EXTENSION ledger.';
    END IF;
    SELECT r.rolname INTO creator
      FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND (r.rolsuper IS NOT TRUE)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('schema "ledger" grants CREATE to %s, which is not a superuser',
                                        COALESCE(pg_catalog.quote_ident(creator), 'PUBLIC')),
            HINT = 'Revoke it, or drop the schema, before CREATE EXTENSION ledger.';
    END IF;
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
