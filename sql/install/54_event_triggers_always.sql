
-- ===================================================================
-- The guards fire whatever session_replication_role says
-- ===================================================================
--
-- An event trigger enabled the default way fires only while
-- session_replication_role is "origin" or "local".  A superuser may give a
-- role or a database the setting "replica" (ALTER ROLE loader SET
-- session_replication_role = replica, to load data without foreign-key
-- checks); a table owner with it then dropped, rewrote or unguarded a
-- ledger unchecked.  Like the ledgers' own triggers, these fire always; a
-- superuser who means to go around them disables them by name (ALTER EVENT
-- TRIGGER ... DISABLE), and ledger.verify catches what that lets through.
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_rewrite ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_replica_rename ENABLE ALWAYS;
