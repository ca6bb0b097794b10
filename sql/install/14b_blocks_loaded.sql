-- Blocks loaded by a statement (pg_restore, a superuser putting blocks back
-- from a backup; not the sealer's own, nor a replica's): the sealer's work
-- list loses the entries of the transactions they list (src/sealer.c,
-- ledger_blocks_loaded).  Without this, a rebuild of the list after
-- ledger.transactions was loaded and before ledger.blocks was (pg_restore
-- -j, a restore into a database with other ledgers) listed records the
-- blocks then brought, and the next pass sealed them a second time.  The
-- same text in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/14b_blocks_loaded.sql links here).
CREATE FUNCTION ledger.blocks_loaded() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_blocks_loaded'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.blocks_loaded() IS 'Internal: AFTER INSERT statement trigger of ledger.blocks: the transactions of blocks loaded by a statement (a restore) leave the sealer''s work list';
REVOKE ALL ON FUNCTION ledger.blocks_loaded() FROM PUBLIC;

CREATE TRIGGER blocks_loaded AFTER INSERT ON ledger.blocks
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.blocks_loaded();
-- ALWAYS: a restore run with session_replication_role = replica too
ALTER TABLE ledger.blocks ENABLE ALWAYS TRIGGER blocks_loaded;
