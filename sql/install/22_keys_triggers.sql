-- The key registry's append-only triggers (install only: 0.1.0 made them,
-- and the update keeps them and enables them ALWAYS, 20_keys.sql); their
-- function is in 21_keys_functions.sql.

CREATE TRIGGER keys_append_only
	BEFORE UPDATE OR DELETE ON ledger.keys
	FOR EACH ROW EXECUTE FUNCTION ledger.keys_append_only();
CREATE TRIGGER keys_no_truncate
	BEFORE TRUNCATE ON ledger.keys
	FOR EACH STATEMENT EXECUTE FUNCTION ledger.keys_append_only();
-- ALWAYS: a key administrator's role with session_replication_role =
-- replica (which a superuser may give it, as to a loader) edited and
-- un-revoked keys through origin-only triggers until 2026-12-05.
ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER keys_append_only,
	ENABLE ALWAYS TRIGGER keys_no_truncate;
