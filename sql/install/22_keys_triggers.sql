-- The key registry's append-only triggers (install only: 0.1.0 made them,
-- and the update keeps them); their function is in 21_keys_functions.sql.

CREATE TRIGGER keys_append_only
	BEFORE UPDATE OR DELETE ON ledger.keys
	FOR EACH ROW EXECUTE FUNCTION ledger.keys_append_only();
CREATE TRIGGER keys_no_truncate
	BEFORE TRUNCATE ON ledger.keys
	FOR EACH STATEMENT EXECUTE FUNCTION ledger.keys_append_only();
