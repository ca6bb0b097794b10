
-- ===================================================================
-- Ledger tables: the DDL guard's event-trigger functions (shared by the
-- install script and the update from 0.1.0, which replaces them in place)
-- ===================================================================

-- The guard's event-trigger functions are C (src/guard.c): they call the
-- checks directly and read pg_catalog only, as the role running the DDL.
-- Written in PL/pgSQL until 2026-12-07, they called ledger._is_ledger and
-- ledger._check_ledger as that role, which needs EXECUTE on them and USAGE
-- on schema ledger: once a DBA had revoked either from PUBLIC, every CREATE
-- TABLE, ALTER TABLE, CREATE TRIGGER, DROP TABLE and table rewrite in the
-- database failed (test/t/597_revoked_execute.pl).  An event trigger's own
-- function is not checked for EXECUTE when it fires.  (ledger._is_ledger,
-- which they called, is gone: nothing else did.)

-- Only the relations a command touched are checked, so a broken ledger does
-- not block DDL elsewhere; for a relation that is not a ledger, the check is
-- that no ledger is among its parents or children (INHERITS, ATTACH
-- PARTITION). After CREATE or ALTER, the ledger's triggers may be missing
-- (pg_restore creates them one by one) but never changed, disabled or
-- renamed; dropping one is refused by the sql_drop guard.  ALTER TYPE
-- ... CASCADE: the tables typed by the type too.  ALTER EXTENSION and
-- ALTER TRIGGER: no ledger table or trigger of one may become a member of
-- another extension or depend on one (dropping it would drop them).
CREATE OR REPLACE FUNCTION ledger._guard_ddl() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_ddl'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._guard_ddl() IS 'Internal: event trigger checking the relations a DDL command touched';

-- Rewriting a ledger's table (ALTER COLUMN TYPE, even to the same type with
-- USING or another type modifier; a volatile default; SET UNLOGGED; SET
-- ACCESS METHOD) would rewrite stored values: refused before it happens.
CREATE OR REPLACE FUNCTION ledger._guard_rewrite() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_rewrite'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._guard_rewrite() IS 'Internal: event trigger refusing to rewrite a ledger''s table';

-- Dropping a ledger table, a column of one, or one of its triggers: refused.
CREATE OR REPLACE FUNCTION ledger._guard_drop() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_drop'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._guard_drop() IS 'Internal: event trigger refusing to drop ledger tables, their columns or triggers';
