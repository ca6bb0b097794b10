-- Write and verify path costs (issue #13).

-- A block lists up to ledger.block_max_transactions ids (80 kB at 10,000):
-- stored out of line but not compressed, which cost the sealer more than
-- the rest of a block's work (pglz over the whole list).  Blocks sealed
-- before keep their compressed lists; both read the same.
ALTER TABLE ledger.blocks ALTER COLUMN xact_ids SET STORAGE EXTERNAL;

-- 0.1.0 declared the key and signature functions COST 10000 (25 units a
-- call), five times what a verification's 50-75 us are on the scale of
-- docs/pricing.md ("Planner cost"; a DER or PEM key takes 2-6 times
-- longer, docs/signing.md, and is parsed a key at a time): a query
-- verifying 4,000 signatures passed jit_above_cost, and the JIT compilation
-- (and, in a fresh session, the load of LLVM) cost more than half the
-- verification again.  2000 keeps cheap quals first (sql/install/20_keys.sql).
ALTER FUNCTION ledger.verify_signature(pg_catalog.text, pg_catalog.bytea, pg_catalog.bytea, pg_catalog.bytea) COST 2000;
ALTER FUNCTION ledger.canonical_public_key(pg_catalog.text, pg_catalog.bytea) COST 2000;
ALTER FUNCTION ledger.public_key_from_pem(pg_catalog.text) COST 2000;

-- 0.1.0 left the European pricing functions at the default COST 1 of a C
-- function (25 ns); they take 0.1-0.5 us a call (sql/install/30_pricing.sql,
-- docs/pricing.md).  The American ones get theirs in 30_pricing.sql.
ALTER FUNCTION ledger.bsm_price(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 4;
ALTER FUNCTION ledger.black76_price(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 4;
ALTER FUNCTION ledger.bachelier_price(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 4;
ALTER FUNCTION ledger.bsm_greeks(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 10;
ALTER FUNCTION ledger.black76_greeks(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 10;
ALTER FUNCTION ledger.bachelier_greeks(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 10;
ALTER FUNCTION ledger.bsm_implied_vol(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 12;
ALTER FUNCTION ledger.black76_implied_vol(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 12;
ALTER FUNCTION ledger.bachelier_implied_vol(pg_catalog.text, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) COST 20;
