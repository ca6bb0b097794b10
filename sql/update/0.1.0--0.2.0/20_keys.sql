
-- ---------------------------------------------------------------------------
-- Keys and signatures (sql/install/20_keys.sql, 25_signed.sql).  The changed
-- functions (keys_append_only, add_key, revoke_key, _guard_signed) and the
-- new tables of prepared transactions are in files this update shares with
-- the install script: 21_keys_functions.sql, 24_signed_prepared.sql,
-- 24b_guard_signed.sql (CREATE OR REPLACE keeps the grants an administrator
-- gave on the functions).
-- ---------------------------------------------------------------------------

COMMENT ON TABLE ledger.keys IS
'registry of signing public keys; append-only except that a revocation is recorded, and may later be brought forward';
