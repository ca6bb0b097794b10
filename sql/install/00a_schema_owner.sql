
-- ===================================================================
-- The schema must be the extension's own (review of 2026-12-05)
-- ===================================================================
--
-- CREATE EXTENSION uses a schema "ledger" that already exists, whoever
-- owns it and whatever it holds.  A database owner who made it first could
-- plant a function that the install or update script, run by a superuser,
-- would call (an overload preferred to the extension's own), or rename the
-- schema later and put a fake catalog under the name the library read:
-- superuser for them.  So the schema must belong to a superuser and grant
-- CREATE to no other role (this file, in the install and the update
-- script); what it may already hold is checked by each (00_schema.sql,
-- update/*/00_header.sql).  pg_restore makes it empty, owned as it was
-- dumped, before CREATE EXTENSION, which passes.
DO $$
DECLARE
    owner_super pg_catalog.bool;
    creator pg_catalog.text;
BEGIN
    SELECT r.rolsuper INTO owner_super
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger';
    IF NOT owner_super THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'schema "ledger" is owned by a role that is not a superuser',
            DETAIL = 'Its owner could change what the extension''s functions find there, and so run code as a superuser.',
            HINT = 'Drop the schema, or make a superuser its owner, before installing or updating the extension.';
    END IF;
    SELECT r.rolname INTO creator
      FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger' AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND (r.rolsuper IS NOT TRUE)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('schema "ledger" grants CREATE to %s, which is not a superuser',
                                        COALESCE(pg_catalog.quote_ident(creator), 'PUBLIC')),
            HINT = 'Revoke it, or drop the schema, before installing or updating the extension.';
    END IF;
END
$$;
