
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

-- Row-level append-only guard of every ledger table: the apply worker of a
-- subscription fires row triggers but not statement triggers for UPDATE and
-- DELETE, so a change sent by a tampered origin meets this one.
CREATE FUNCTION ledger.refuse_row_change() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_refuse_change'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.refuse_row_change() IS 'Row trigger of ledger tables: refuses UPDATE and DELETE, also when they arrive through logical replication';

-- create_ledger and digest were STRICT: a NULL table (to_regclass of a
-- mistyped name, an unset script variable) returned NULL and made no
-- ledger, or no digest, without a word.  They now refuse it (22004).
ALTER FUNCTION ledger.create_ledger(pg_catalog.regclass) CALLED ON NULL INPUT;
ALTER FUNCTION ledger.digest(pg_catalog.regclass) CALLED ON NULL INPUT;

-- The row trigger of every ledger under a symbol the 0.1.0 library lacks
-- (sql/install/10_ledger.sql): the 0.1.0 library, run on the updated
-- catalog, then refuses every insert into a ledger instead of storing rows
-- that do not verify.
CREATE OR REPLACE FUNCTION ledger.row_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_row_trigger_2'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
