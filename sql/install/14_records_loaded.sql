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

-- The sealer's work list names only records no block holds (src/sealer.c,
-- ledger_seal_queue_guard): the extension writes it, nobody else.  An
-- entry listed by hand for a transaction a block already held was sealed a
-- second time, and the ledger no longer verified.
CREATE FUNCTION ledger.seal_queue_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_seal_queue_guard'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.seal_queue_guard() IS 'Internal: BEFORE INSERT OR UPDATE statement trigger of ledger.seal_queue: only the extension lists transactions for sealing';
REVOKE ALL ON FUNCTION ledger.seal_queue_guard() FROM PUBLIC;

CREATE TRIGGER seal_queue_guard BEFORE INSERT OR UPDATE ON ledger.seal_queue
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.seal_queue_guard();
-- ALWAYS: a session with session_replication_role = replica too
ALTER TABLE ledger.seal_queue ENABLE ALWAYS TRIGGER seal_queue_guard;
