-- Records loaded by a statement (pg_restore, a superuser; not a replica's
-- first copy, which the function skips) rather than written by a ledger's
-- writer, which adds them below SQL: the sealer looks for them again at its
-- next pass (src/sealer.c, ledger_records_loaded).  Without this, records a dump held unsealed and
-- a restore loaded after a sealing pass had run in the new database (one
-- that wrote the work list's marker) would stay unsealed.  The same text
-- in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/14_records_loaded.sql links here).
CREATE FUNCTION ledger.records_loaded() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_records_loaded'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.records_loaded() IS 'Internal: AFTER INSERT statement trigger of ledger.transactions: records loaded by a statement (a restore) are looked for by the sealer''s next pass';
REVOKE ALL ON FUNCTION ledger.records_loaded() FROM PUBLIC;

CREATE TRIGGER records_loaded AFTER INSERT ON ledger.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.records_loaded();
-- ALWAYS: a restore run with session_replication_role = replica too
ALTER TABLE ledger.transactions ENABLE ALWAYS TRIGGER records_loaded;
