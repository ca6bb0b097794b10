
-- ===================================================================
-- History tree: RFC 9162 inclusion and consistency proofs (issue #12)
-- ===================================================================
-- Pure functions over arrays of leaf data, computed by the same tiled
-- history tree (src/history.c) that holds a ledger's history, in memory.
-- Leaves are leaf data, hashed as SHA-256(0x00 || data) like
-- ledger.merkle_root; leaf indexes count from 0.

CREATE FUNCTION ledger.merkle_inclusion_proof(leaves pg_catalog.bytea[], leaf_index pg_catalog.int8, tree_size pg_catalog.int8)
    RETURNS pg_catalog.bytea[]
    AS 'MODULE_PATHNAME', 'ledger_merkle_inclusion_proof'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.merkle_inclusion_proof(pg_catalog.bytea[], pg_catalog.int8, pg_catalog.int8) IS 'RFC 9162 inclusion proof (audit path, bottom-up) of leaf leaf_index (from 0) in the tree of the first tree_size leaves; at most 1048576 leaves';

CREATE FUNCTION ledger.merkle_consistency_proof(leaves pg_catalog.bytea[], old_size pg_catalog.int8, new_size pg_catalog.int8)
    RETURNS pg_catalog.bytea[]
    AS 'MODULE_PATHNAME', 'ledger_merkle_consistency_proof'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.merkle_consistency_proof(pg_catalog.bytea[], pg_catalog.int8, pg_catalog.int8) IS 'RFC 9162 consistency proof between the trees of the first old_size and the first new_size leaves (empty if old_size is 0 or new_size); at most 1048576 leaves';

CREATE FUNCTION ledger.merkle_verify_inclusion(leaf pg_catalog.bytea, leaf_index pg_catalog.int8, tree_size pg_catalog.int8, path pg_catalog.bytea[], root pg_catalog.bytea)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'ledger_merkle_verify_inclusion'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.merkle_verify_inclusion(pg_catalog.bytea, pg_catalog.int8, pg_catalog.int8, pg_catalog.bytea[], pg_catalog.bytea) IS 'RFC 9162 inclusion proof verification for the leaf data leaf; false if the proof does not lead to root';

CREATE FUNCTION ledger.merkle_verify_consistency(old_size pg_catalog.int8, new_size pg_catalog.int8, old_root pg_catalog.bytea, new_root pg_catalog.bytea, proof pg_catalog.bytea[])
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'ledger_merkle_verify_consistency'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.merkle_verify_consistency(pg_catalog.int8, pg_catalog.int8, pg_catalog.bytea, pg_catalog.bytea, pg_catalog.bytea[]) IS 'RFC 9162 consistency proof verification: true if the tree of old_size leaves with old_root is a prefix of the tree of new_size leaves with new_root';

-- Test hook: tiles read by the history tree's proofs over a synthetic
-- store (sql/merkle_proofs.sql holds them to the bounds of src/history.c).
CREATE FUNCTION ledger._history_read_count(tree_size pg_catalog.int8, leaf_index pg_catalog.int8,
    OUT root_reads pg_catalog.int4, OUT inclusion_reads pg_catalog.int4,
    OUT consistency_reads pg_catalog.int4, OUT append_reads pg_catalog.int4,
    OUT append_writes pg_catalog.int4)
    RETURNS record
    AS 'MODULE_PATHNAME', 'ledger_history_read_count'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._history_read_count(pg_catalog.int8, pg_catalog.int8) IS 'Internal test hook: history tiles read by root, inclusion proof of leaf_index, consistency proof from leaf_index + 1, and read and written by appending one leaf, over a synthetic tree of tree_size leaves';
REVOKE ALL ON FUNCTION ledger._history_read_count(pg_catalog.int8, pg_catalog.int8) FROM PUBLIC;
