
-- ===================================================================
-- Replicas keep the names their origin gives them (docs/replication.md,
-- "Schema changes")
-- ===================================================================
--
-- A subscription finds each replica by schema and table name.  Renamed at
-- the peer alone (the table, its schema, or the table moved to another
-- schema), a replica stops receiving changes, perhaps only when the apply
-- worker next restarts.  Refused while the replica's subscription is
-- enabled (src/replica.c).  The same event trigger refuses, at the start of
-- ALTER TABLE and ALTER TYPE, what the DDL guard at the command's end
-- cannot judge: the ledger's triggers set to fire on origin only, and any
-- change of a ledger column's type (even to a type of the same name),
-- directly or through the type of a typed ledger; and, at the start of
-- ALTER TYPE, ALTER DOMAIN, ALTER COLLATION and ALTER SCHEMA, renaming or
-- moving a type or collation whose name a ledger's recorded column
-- definitions hold, or renaming its schema (src/guard.c, guard_rename_start).
CREATE FUNCTION ledger._guard_replica_rename() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_replica_rename'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._guard_replica_rename() IS
'Internal: event trigger refusing to rename a replica, move it, or rename its schema while its subscription is enabled, ALTER TABLE/ALTER TYPE commands on ledgers the DDL guard cannot judge at their end, renaming or moving a type, collation or schema that a ledger''s recorded columns name, and ALTER TABLE/ALTER INDEX of the extension''s own tables that would change their persistence, owner, names or columns';
REVOKE ALL ON FUNCTION ledger._guard_replica_rename() FROM PUBLIC;
CREATE EVENT TRIGGER ledger_guard_replica_rename ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SCHEMA', 'ALTER TYPE', 'ALTER DOMAIN', 'ALTER COLLATION')
    EXECUTE FUNCTION ledger._guard_replica_rename();
