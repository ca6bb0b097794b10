
-- Everything the schema holds is the extension's (review of 2026-12-05):
-- no function, relation (indexes aside: a DBA may index the catalog), type
-- or operator that this script, run by a superuser, could find instead of
-- its own.  Owner and CREATE: 00a_schema_owner.sql, shared with the
-- install script.
DO $$
DECLARE
    nsp pg_catalog.oid;
    ext pg_catalog.oid;
    held pg_catalog.text;
BEGIN
    SELECT e.oid, e.extnamespace INTO ext, nsp
      FROM pg_catalog.pg_extension e
     WHERE e.extname OPERATOR(pg_catalog.=) 'ledger';
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
