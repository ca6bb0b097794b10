-- Write and verify path costs (issue #13).

-- A block lists up to ledger.block_max_transactions ids (80 kB at 10,000):
-- stored out of line but not compressed, which cost the sealer more than
-- the rest of a block's work (pglz over the whole list).  Blocks sealed
-- before keep their compressed lists; both read the same.
ALTER TABLE ledger.blocks ALTER COLUMN xact_ids SET STORAGE EXTERNAL;
