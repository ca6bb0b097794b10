
-- ===================================================================
-- Ledger tables: DDL guards (issue #9)
-- ===================================================================
-- The DDL guard now checks every relation a command touched (a table that
-- inherits from a ledger or becomes its parent is refused), also for
-- CREATE TABLE and foreign tables; ledger._check_ledger compares whole
-- trigger definitions and column definitions with type modifiers (its C
-- code changed, its signature did not).  Table rewrites of ledgers are
-- refused by a new table_rewrite event trigger.
DROP EVENT TRIGGER ledger_guard_ddl;
DROP FUNCTION ledger._guard_ddl();

-- Only the relations a command touched are checked, so a broken ledger does
-- not block DDL elsewhere; for a relation that is not a ledger, the check is
-- that no ledger is among its parents or children (INHERITS, ATTACH
-- PARTITION). After CREATE or ALTER, the ledger's triggers may be missing
-- (pg_restore creates them one by one) but never changed, disabled or
-- renamed; dropping one is refused by the sql_drop guard.
CREATE FUNCTION ledger._guard_ddl() RETURNS event_trigger
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
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._guard_ddl() IS 'Internal: event trigger checking the relations a DDL command touched';

-- Rewriting a ledger's table (ALTER COLUMN TYPE, even to the same type with
-- USING or another type modifier; a volatile default; SET ACCESS METHOD)
-- would rewrite stored values: refused before it happens.
CREATE FUNCTION ledger._guard_rewrite() RETURNS event_trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel pg_catalog.oid := pg_catalog.pg_event_trigger_table_rewrite_oid();
BEGIN
    IF EXISTS (SELECT 1 FROM ledger.ledgers g
               WHERE g.relation::pg_catalog.oid OPERATOR(pg_catalog.=) rel) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'feature_not_supported',
            MESSAGE = pg_catalog.format('cannot alter ledger table "%s" this way',
                                        (SELECT c.relname FROM pg_catalog.pg_class c
                                         WHERE c.oid OPERATOR(pg_catalog.=) rel)),
            DETAIL = 'The command would rewrite the table and its stored values, which are hashed as they were written.',
            HINT = 'Add a new column instead of retyping one; add columns without a volatile default.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_rewrite() IS 'Internal: event trigger refusing to rewrite a ledger''s table';

CREATE EVENT TRIGGER ledger_guard_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE TRIGGER', 'CREATE RULE',
                 'CREATE TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE')
    EXECUTE FUNCTION ledger._guard_ddl();
CREATE EVENT TRIGGER ledger_guard_rewrite ON table_rewrite
    EXECUTE FUNCTION ledger._guard_rewrite();

-- Row-level append-only guard of every ledger table: the apply worker of a
-- subscription fires row triggers but not statement triggers for UPDATE and
-- DELETE, so a change sent by a tampered origin meets this one.
CREATE FUNCTION ledger.refuse_row_change() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_refuse_change'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.refuse_row_change() IS 'Row trigger of ledger tables: refuses UPDATE and DELETE, also when they arrive through logical replication';

