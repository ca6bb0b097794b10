\echo Use "ALTER EXTENSION ledger UPDATE TO '0.2.0'" to load this file. \quit
-- ledger update script 0.1.0 -> 0.2.0, assembled from
-- sql/update/0.1.0--0.2.0/*.sql in name order.  Every change to the
-- catalog, the canonical format or a hash between the two versions is
-- here; test/t/090_upgrade.pl upgrades ledgers made by 0.1.0 with it.

-- The schema must be the extension's own (review of 2026-12-05; the
-- install script checks the same before it creates anything): owned by a
-- superuser, granting CREATE to no other role, holding no function,
-- relation (indexes aside: a DBA may index the catalog), type or operator
-- that is not the extension's, which this script could find instead of
-- its own while a superuser runs it.
DO $$
DECLARE
    nsp pg_catalog.oid;
    ext pg_catalog.oid;
    owner_super pg_catalog.bool;
    creator pg_catalog.text;
    held pg_catalog.text;
BEGIN
    SELECT e.oid, n.oid, r.rolsuper INTO ext, nsp, owner_super
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE e.extname OPERATOR(pg_catalog.=) 'ledger';
    IF NOT owner_super THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'schema "ledger" is owned by a role that is not a superuser',
            DETAIL = 'Its owner could change what the extension''s functions find there, and so run code as a superuser.',
            HINT = 'Make a superuser its owner (ALTER SCHEMA ledger OWNER TO ...) before updating the extension.';
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
            HINT = 'Revoke it before updating the extension.';
    END IF;
    SELECT x.what INTO held FROM (
        -- a composite type's relation belongs to its type, the member
        SELECT pg_catalog.format('relation %s', c.relname) AS what,
               CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'c' THEN 'pg_catalog.pg_type'::pg_catalog.regclass
                    ELSE 'pg_catalog.pg_class'::pg_catalog.regclass END AS cls,
               CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'c' THEN c.reltype ELSE c.oid END AS oid
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind NOT IN ('i', 'I')
        UNION ALL
        SELECT pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure), 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid
          FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('operator %s', o.oid::pg_catalog.regoperator), 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid
          FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) nsp
        UNION ALL
        SELECT pg_catalog.format('type %s', t.typname), 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid
          FROM pg_catalog.pg_type t
         WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp
           -- a relation's row type and an array type belong to their owner
           AND t.typrelid OPERATOR(pg_catalog.=) 0 AND t.typcategory OPERATOR(pg_catalog.<>) 'A') x
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid OPERATOR(pg_catalog.=) x.cls AND d.objid OPERATOR(pg_catalog.=) x.oid
                          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND d.refobjid OPERATOR(pg_catalog.=) ext AND d.deptype OPERATOR(pg_catalog.=) 'e')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('schema "ledger" holds %s, which is not part of the extension', held),
            DETAIL = 'This script could find it instead of the extension''s own.',
            HINT = 'Drop it, or move it to another schema, before updating the extension.';
    END IF;
END
$$;
