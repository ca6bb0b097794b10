-- The key registry's INSERT trigger: the same text in the install script
-- and in the update from 0.1.0 (sql/update/0.1.0--0.2.0/22a_keys_insert.sql
-- links here; 0.1.0 had no such trigger).  Its function, keys_append_only,
-- is in 21_keys_functions.sql: an added_at in the future is refused, and
-- an added_at or added_by other than the defaults is refused but to the
-- table's owner (pg_restore inserts the rows with their old values).
-- ALWAYS, as the registry's other triggers.

CREATE TRIGGER keys_insert
	BEFORE INSERT ON ledger.keys
	FOR EACH ROW EXECUTE FUNCTION ledger.keys_append_only();
ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER keys_insert;
