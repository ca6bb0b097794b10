-- Block spans: which block holds a transaction (proofs, replicas, signed
-- commits), one GiST entry per block over the span of its transaction
-- numbers (src/record.c, "Block spans"; docs/design.md, "Finding a
-- transaction's block"); callers check the list itself.  The same text in
-- the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/11a_block_spans.sql links here), which runs it
-- after 11_catalog.sql has given ledger.blocks its xact_ids.
CREATE FUNCTION ledger._block_span(ledger_id pg_catalog.int8, xact_ids pg_catalog.int8[])
    RETURNS pg_catalog.numrange
    AS 'MODULE_PATHNAME', 'ledger_block_span'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._block_span(pg_catalog.int8, pg_catalog.int8[]) IS 'Internal: the span of a block''s transaction numbers in (ledger_id, xact_id) order, indexed to find a transaction''s block; NULL for an empty list';
CREATE FUNCTION ledger._xact_span(ledger_id pg_catalog.int8, xact_id pg_catalog.int8)
    RETURNS pg_catalog.numrange
    AS 'MODULE_PATHNAME', 'ledger_xact_span'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._xact_span(pg_catalog.int8, pg_catalog.int8) IS 'Internal: the span of one transaction number, to look it up among ledger._block_span';
CREATE INDEX blocks_xact_span_idx ON ledger.blocks USING gist (ledger._block_span(ledger_id, xact_ids));
