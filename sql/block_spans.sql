-- The spans of the blocks' transaction numbers, through which a
-- transaction's block is found (src/record.c, "Block spans";
-- docs/design.md).  Blocks whose spans overlap, and the look-up finding
-- the one that lists a transaction: test/isolation/specs/block_spans.spec
-- (it needs two sessions and no background sealer).
-- the look-up (as block_of_xact makes it) goes through the index, as an
-- index or a bitmap scan (a sequential scan would read every block's list)
SET enable_seqscan = off;
DO $$
DECLARE
    line text;
    uses_span boolean := false;
BEGIN
    FOR line IN EXECUTE
        'EXPLAIN (COSTS OFF) SELECT block_no FROM ledger.blocks
          WHERE ledger._block_span(ledger_id, xact_ids) @> ledger._xact_span(1, 2)
            AND (ledger_id + 0) = 1 ORDER BY block_no'
    LOOP
        uses_span := uses_span OR line LIKE '%Index Cond: (ledger._block_span(ledger_id, xact_ids) @> ''[18446744073709551618,18446744073709551618]''::numrange)%';
    END LOOP;
    RAISE NOTICE 'look-up through blocks_xact_span_idx, key 2^64 + 2: %', uses_span;
END $$;
RESET enable_seqscan;

-- the functions themselves: NULL in, NULL out; an empty list has no span
SELECT ledger._block_span(NULL, ARRAY[1::int8]) IS NULL AS null_ledger,
       ledger._block_span(1, NULL) IS NULL AS null_list,
       ledger._block_span(1, '{}') IS NULL AS empty_list,
       ledger._block_span(1, ARRAY[NULL::int8]) IS NULL AS only_nulls,
       ledger._xact_span(NULL, 1) IS NULL AS null_ledger_x,
       ledger._xact_span(1, NULL) IS NULL AS null_xact;
-- NULL elements are skipped; any shape of array is a list
SELECT ledger._block_span(7, ARRAY[5, NULL, 3]::int8[]) = ledger._block_span(7, ARRAY[3, 5]::int8[]) AS nulls_skipped,
       ledger._block_span(7, ARRAY[[5, 9], [3, 4]]::int8[]) = ledger._block_span(7, ARRAY[3, 9]::int8[]) AS two_dims;
-- the whole int8 range of both: (ledger, xact) order kept, no two pairs
-- meet (the key is ledger * 2^64 + xact)
SELECT ledger._xact_span(0, 9223372036854775807) << ledger._xact_span(1, -9223372036854775808) AS across_ledgers,
       ledger._xact_span(-9223372036854775808, 9223372036854775807)
         << ledger._xact_span(-9223372036854775807, -9223372036854775808) AS lowest_ledgers,
       ledger._xact_span(9223372036854775807, -9223372036854775808)
         >> ledger._xact_span(9223372036854775806, 9223372036854775807) AS highest_ledgers,
       ledger._block_span(3, ARRAY[-9223372036854775808, 9223372036854775807]::int8[])
         @> ledger._xact_span(3, 0) AS full_span,
       NOT ledger._block_span(3, ARRAY[-9223372036854775808, 9223372036854775807]::int8[])
         && ledger._xact_span(2, 9223372036854775807) AS other_ledger;
-- a list of a million transactions: one pass
SELECT ledger._block_span(1, (SELECT array_agg(i) FROM generate_series(1::int8, 1000000) i))
       = ledger._block_span(1, ARRAY[1, 1000000]::int8[]) AS million;

-- A record's primary-key entry is inserted directly when that key is the
-- only index of ledger.transactions (src/pending.c); an index a DBA adds
-- sends the insert through CatalogTupleInsert, which maintains every index
CREATE TABLE rec_idx (id int);
SELECT ledger.create_ledger('rec_idx') IS NOT NULL AS created;
CREATE INDEX transactions_dba_idx ON ledger.transactions (committed_at, ledger_id);
INSERT INTO rec_idx VALUES (1);
INSERT INTO rec_idx VALUES (2), (3);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- (the primary key cannot serve this query: only the DBA's index can)
EXPLAIN (COSTS OFF) SELECT count(*) FROM ledger.transactions
 WHERE committed_at > '-infinity' AND (ledger_id + 0) = 1;
SELECT count(*) AS through_dba_index, sum(row_count) AS rows
  FROM ledger.transactions
 WHERE committed_at > '-infinity' AND (ledger_id + 0) = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'rec_idx'::regclass);
RESET enable_bitmapscan;
RESET enable_seqscan;
DROP INDEX ledger.transactions_dba_idx;
-- and without it, straight into the primary key again
INSERT INTO rec_idx VALUES (4);
SELECT count(*) AS records, sum(row_count) AS rows
  FROM ledger.transactions
 WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'rec_idx'::regclass);
SELECT ok, rows_checked FROM ledger.verify('rec_idx');
SELECT ledger.drop_ledger('rec_idx');
