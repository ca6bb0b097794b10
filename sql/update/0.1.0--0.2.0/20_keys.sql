
-- ---------------------------------------------------------------------------
-- Keys and signatures (sql/install/20_keys.sql, 25_signed.sql).  The changed
-- functions (keys_append_only, add_key, revoke_key, _guard_signed), the
-- registry's new INSERT trigger keys_insert and the new tables of prepared
-- transactions are in files this update shares with the install script:
-- 21_keys_functions.sql, 22a_keys_insert.sql, 24_signed_prepared.sql,
-- 24b_guard_signed.sql (CREATE OR REPLACE keeps the grants an administrator
-- gave on the functions).
-- ---------------------------------------------------------------------------

COMMENT ON TABLE ledger.keys IS
'registry of signing public keys; append-only except that a revocation is recorded, and may later be brought forward';

-- 0.1.0 made the append-only triggers fire on origin only: a key
-- administrator's role with session_replication_role = replica edited and
-- un-revoked keys (found by a review on 2026-12-05).
ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER keys_append_only,
	ENABLE ALWAYS TRIGGER keys_no_truncate;

-- require_signatures was STRICT: a NULL argument returned NULL and left the
-- ledger unsigned, for good once it had rows.  It now refuses it (22004).
ALTER FUNCTION ledger.require_signatures(pg_catalog.regclass, pg_catalog.name, pg_catalog.name)
	CALLED ON NULL INPUT;
