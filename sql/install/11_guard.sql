
-- ===================================================================
-- Ledger tables: the DDL guard's event-trigger functions (shared by the
-- install script and the update from 0.1.0, which replaces them in place)
-- ===================================================================

-- Whether a relation is a ledger, read as the extension's owner (src/catalog.c):
-- the guards below run as the role running the DDL, and read ledger.ledgers
-- as that role every CREATE TABLE, DROP TABLE, ALTER TRIGGER and table
-- rewrite of any table failed with "permission denied for table ledgers" once
-- a DBA had revoked SELECT on the catalog from PUBLIC (review of 2026-12-07).
-- Executable by every role, as the guards must be; a ledger's triggers (in
-- pg_trigger) say as much.
CREATE OR REPLACE FUNCTION ledger._is_ledger(tbl pg_catalog.regclass) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'ledger_is_ledger'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._is_ledger(pg_catalog.regclass) IS 'Internal: whether a relation is a ledger (for the DDL guards, which run as the role running the DDL)';

-- Only the relations a command touched are checked, so a broken ledger does
-- not block DDL elsewhere; for a relation that is not a ledger, the check is
-- that no ledger is among its parents or children (INHERITS, ATTACH
-- PARTITION). After CREATE or ALTER, the ledger's triggers may be missing
-- (pg_restore creates them one by one) but never changed, disabled or
-- renamed; dropping one is refused by the sql_drop guard.
CREATE OR REPLACE FUNCTION ledger._guard_ddl() RETURNS event_trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    rel pg_catalog.oid;
BEGIN
    FOR r IN SELECT c.classid, c.objid FROM pg_catalog.pg_event_trigger_ddl_commands() c LOOP
        rel := CASE r.classid
            WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN r.objid
            WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
                (SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE t.oid OPERATOR(pg_catalog.=) r.objid)
            WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN
                (SELECT w.ev_class FROM pg_catalog.pg_rewrite w WHERE w.oid OPERATOR(pg_catalog.=) r.objid)
        END;
        IF rel IS NOT NULL THEN
            PERFORM ledger._check_ledger(rel::pg_catalog.regclass, false);
        END IF;
        -- ALTER TYPE ... CASCADE changes the columns of the tables typed by
        -- a composite type (ALTER TABLE ... OF), which the command does not
        -- list: it names the type, or the type's own pg_class entry
        -- (only then: pg_class has no index on reloftype, and pg_restore
        -- runs thousands of ALTER TABLE)
        IF tg_tag OPERATOR(pg_catalog.=) 'ALTER TYPE' THEN
            FOR rel IN SELECT c.oid FROM pg_catalog.pg_class c
                       WHERE c.reloftype OPERATOR(pg_catalog.<>) 0
                         AND (c.reloftype OPERATOR(pg_catalog.=) r.objid
                              AND r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                              OR c.reloftype OPERATOR(pg_catalog.=) ANY (
                                  SELECT t.reltype FROM pg_catalog.pg_class t
                                  WHERE t.oid OPERATOR(pg_catalog.=) r.objid
                                    AND t.relkind OPERATOR(pg_catalog.=) 'c'
                                    AND r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass))
            LOOP
                PERFORM ledger._check_ledger(rel::pg_catalog.regclass, false);
            END LOOP;
        END IF;
    END LOOP;
    -- A ledger table made a member of an extension (ALTER EXTENSION ... ADD
    -- TABLE), or one of its triggers made to depend on one (ALTER TRIGGER
    -- ... DEPENDS ON EXTENSION), would be dropped with that extension.
    -- (create_ledger refuses a table that is a member already, so no
    -- ledger is one and the check can look at all of them: ALTER EXTENSION
    -- does not name the table it added.)
    -- (the tables and triggers that are members of another extension, or
    -- depend on one, are few: each is asked whether it is a ledger)
    IF tg_tag OPERATOR(pg_catalog.=) ANY (ARRAY['ALTER EXTENSION', 'ALTER TRIGGER']) THEN
        FOR r IN SELECT m.relation, m.extname
                 FROM (SELECT CASE WHEN d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                   THEN d.objid
                                   ELSE (SELECT t.tgrelid FROM pg_catalog.pg_trigger t
                                         WHERE t.oid OPERATOR(pg_catalog.=) d.objid) END::pg_catalog.regclass AS relation,
                              e.extname
                       FROM pg_catalog.pg_depend d
                       JOIN pg_catalog.pg_extension e
                         ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                        AND e.oid OPERATOR(pg_catalog.=) d.refobjid
                       WHERE d.classid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_class'::pg_catalog.regclass,
                                                                         'pg_catalog.pg_trigger'::pg_catalog.regclass]::pg_catalog.oid[])
                         AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['e', 'x']::"char"[])
                         -- the extension's own ledgers (ledger.margin_calls) are its members
                         AND e.extname OPERATOR(pg_catalog.<>) 'ledger') m
                 WHERE m.relation IS NOT NULL AND ledger._is_ledger(m.relation)
                 ORDER BY 1, 2
                 LIMIT 1 LOOP
            RAISE EXCEPTION USING
                ERRCODE = 'feature_not_supported',
                MESSAGE = pg_catalog.format('cannot make ledger table "%s" or its triggers part of extension "%s"',
                                            r.relation, r.extname),
                DETAIL = 'Dropping the extension would drop them, and the ledger''s history with them.';
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_ddl() IS 'Internal: event trigger checking the relations a DDL command touched';

-- Rewriting a ledger's table (ALTER COLUMN TYPE, even to the same type with
-- USING or another type modifier; a volatile default; SET ACCESS METHOD)
-- would rewrite stored values: refused before it happens.
CREATE OR REPLACE FUNCTION ledger._guard_rewrite() RETURNS event_trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel pg_catalog.oid := pg_catalog.pg_event_trigger_table_rewrite_oid();
    -- AT_REWRITE_* of PostgreSQL's event_trigger.h: 1 persistence, 2 a
    -- column's default, 4 a column's type, 8 the access method
    reason pg_catalog.int4 := pg_catalog.pg_event_trigger_table_rewrite_reason();
BEGIN
    -- (read as the extension's owner: see ledger._is_ledger)
    IF ledger._is_ledger(rel::pg_catalog.regclass) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'feature_not_supported',
            MESSAGE = pg_catalog.format('cannot alter ledger table "%s" this way',
                                        (SELECT c.relname FROM pg_catalog.pg_class c
                                         WHERE c.oid OPERATOR(pg_catalog.=) rel)),
            DETAIL = CASE WHEN reason OPERATOR(pg_catalog.&) 6 OPERATOR(pg_catalog.<>) 0
                          THEN 'The command would rewrite the table and its stored values, which are hashed as they were written.'
                          WHEN reason OPERATOR(pg_catalog.&) 1 OPERATOR(pg_catalog.<>) 0
                          THEN 'An unlogged table is emptied by a crash and not replicated to standbys: the ledger''s recorded rows would be lost while its history names them.'
                          ELSE 'The command would rewrite the table into another access method, moving every recorded row.' END,
            HINT = CASE WHEN reason OPERATOR(pg_catalog.&) 6 OPERATOR(pg_catalog.<>) 0
                        THEN 'Add a new column instead of retyping one; add columns without a volatile default.'
                        ELSE 'Ledger tables stay logged heap tables.' END;
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_rewrite() IS 'Internal: event trigger refusing to rewrite a ledger''s table';

CREATE OR REPLACE FUNCTION ledger._guard_drop() RETURNS event_trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    rel pg_catalog.regclass;
BEGIN
    -- DROP EXTENSION ledger itself (superuser only) drops the guard too;
    -- any other extension is checked like any DROP: a ledger table made a
    -- member of it, or a trigger made to depend on it, must not go with it
    IF tg_tag OPERATOR(pg_catalog.=) 'DROP EXTENSION'
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() d
                   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                     AND d.object_identity OPERATOR(pg_catalog.=) 'ledger') THEN
        RETURN;
    END IF;
    FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        IF r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           -- (read as the extension's owner: see ledger._is_ledger)
           AND ledger._is_ledger(r.objid::pg_catalog.regclass) THEN
            IF r.objsubid OPERATOR(pg_catalog.=) 0 THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'feature_not_supported',
                    MESSAGE = pg_catalog.format('cannot drop ledger table %s', r.object_identity),
                    DETAIL = 'A ledger''s history is kept for good.',
                    HINT = 'A superuser can remove a ledger with ledger.drop_ledger().';
            END IF;
            -- a dropped column: the shape check names it
            PERFORM ledger._check_ledger(r.objid::pg_catalog.regclass, true);
        ELSIF r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
           AND r.address_names[pg_catalog.array_length(r.address_names, 1)]
               OPERATOR(pg_catalog.=) ANY (ARRAY['zz_ledger_row', 'ledger_append_only', 'ledger_append_only_row', 'ledger_signature']) THEN
            rel := pg_catalog.to_regclass(pg_catalog.quote_ident(r.address_names[1])
                   OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.address_names[2]));
            IF rel IS NOT NULL
               AND ledger._is_ledger(rel) THEN
                PERFORM ledger._check_ledger(rel, true);
            END IF;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._guard_drop() IS 'Internal: event trigger refusing to drop ledger tables, their columns or triggers';
