-- Write and verify path costs (issue #13).

-- A block lists up to ledger.block_max_transactions ids (80 kB at 10,000):
-- stored out of line but not compressed, which cost the sealer more than
-- the rest of a block's work (pglz over the whole list).  Blocks sealed
-- before keep their compressed lists; both read the same.
ALTER TABLE ledger.blocks ALTER COLUMN xact_ids SET STORAGE EXTERNAL;

-- 0.1.0 declared the key and signature functions COST 10000 (25 units a
-- call), five times what their 50-75 us are on PostgreSQL's scale: a query
-- verifying 4,000 signatures passed jit_above_cost, and the JIT compilation
-- (and, in a fresh session, the load of LLVM) cost more than half the
-- verification again.  2000 keeps cheap quals first (sql/install/20_keys.sql).
ALTER FUNCTION ledger.verify_signature(pg_catalog.text, pg_catalog.bytea, pg_catalog.bytea, pg_catalog.bytea) COST 2000;
ALTER FUNCTION ledger.canonical_public_key(pg_catalog.text, pg_catalog.bytea) COST 2000;
ALTER FUNCTION ledger.public_key_from_pem(pg_catalog.text) COST 2000;
