
-- ===================================================================
-- Ledger tables: catalog
-- ===================================================================

CREATE TABLE ledger.ledgers (
    ledger_id       pg_catalog.int8 PRIMARY KEY,
    relation        pg_catalog.regclass NOT NULL UNIQUE,
    ledger_uuid     pg_catalog.uuid NOT NULL UNIQUE DEFAULT pg_catalog.gen_random_uuid(),
    name            pg_catalog.text NOT NULL,
    shape           pg_catalog.text[] NOT NULL,
    format_version  pg_catalog.int4 NOT NULL,
    created_at      pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by      pg_catalog.name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE ledger.ledgers IS 'One row per ledger table: identity (ledger_id is derived from the uuid, so it is the same in every database that holds the ledger), column shape, row format';

-- The ledgers held here as replicas of another institution's ledgers.
CREATE TABLE ledger.replicas (
    ledger_id       pg_catalog.int8 PRIMARY KEY,
    subscription    pg_catalog.name,
    publication     pg_catalog.name NOT NULL,
    added_at        pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ledger.replicas IS 'Ledgers held here as verified replicas of another institution''s ledgers, and the subscription that writes each (NULL once it was dropped and the replica kept)';
SELECT pg_catalog.pg_extension_config_dump('ledger.replicas', '');

-- One record per transaction that wrote a ledger, inserted by the writer at
-- pre-commit and never updated.  Which block a record was sealed into is
-- said by the block (ledger.blocks.xact_ids).  The primary key serves
-- verify (a ledger's records, in one index range), proofs and replicas
-- (a record by its transaction) and refuses a record twice.
-- Column order is relied upon by the C code (pending.c inserts tuples directly).
CREATE TABLE ledger.transactions (
    ledger_id       pg_catalog.int8 NOT NULL,
    xact_id         pg_catalog.int8 NOT NULL,
    row_count       pg_catalog.int8 NOT NULL,
    root            pg_catalog.bytea NOT NULL,
    committed_at    pg_catalog.timestamptz NOT NULL,
    PRIMARY KEY (ledger_id, xact_id)
);
COMMENT ON TABLE ledger.transactions IS 'One row per transaction that wrote a ledger: row count and RFC 6962 root of its rows';

-- Sealed blocks.  xact_ids lists the block's transactions in block order
-- ((committed_at, xact_id)); first_position is the history position of the
-- first of them, so the history tree (all transactions in seal order) has
-- first_position + tx_count leaves after the block, with root tree_root
-- (format_version 2 blocks cover it in their hash; blocks of format 1,
-- sealed by 0.1.0, have none).  total_rows counts the rows of this block
-- and all before it (for digests; verify checks it).
CREATE TABLE ledger.blocks (
    ledger_id       pg_catalog.int8 NOT NULL,
    block_no        pg_catalog.int8 NOT NULL,
    prev_hash       pg_catalog.bytea NOT NULL,
    root            pg_catalog.bytea NOT NULL,
    tx_count        pg_catalog.int4 NOT NULL,
    row_count       pg_catalog.int8 NOT NULL,
    sealed_at       pg_catalog.timestamptz NOT NULL,
    format_version  pg_catalog.int4 NOT NULL,
    block_hash      pg_catalog.bytea NOT NULL,
    xact_ids        pg_catalog.int8[] NOT NULL,
    first_position  pg_catalog.int8 NOT NULL,
    tree_root       pg_catalog.bytea,
    total_rows      pg_catalog.int8 NOT NULL,
    PRIMARY KEY (ledger_id, block_no)
);
-- A block lists up to ledger.block_max_transactions ids (80 kB at 10,000):
-- stored out of line but not compressed, which cost the sealer more than
-- the rest of a block's work (pglz over the whole list).
ALTER TABLE ledger.blocks ALTER COLUMN xact_ids SET STORAGE EXTERNAL;
COMMENT ON TABLE ledger.blocks IS 'Sealed blocks: RFC 6962 root over their transactions, chained by hash, with the history tree''s size and root after them';

-- The history tree of each ledger (RFC 9162 over every transaction leaf in
-- seal order) in tiles of 32 node hashes (src/history.c), for proofs that
-- read O(log n) rows.  Derived from the records and blocks, so it is not
-- dumped: the sealer rebuilds what is missing.
CREATE TABLE ledger.history_tiles (
    ledger_id       pg_catalog.int8 NOT NULL,
    level           pg_catalog.int2 NOT NULL,
    idx             pg_catalog.int8 NOT NULL,
    hashes          pg_catalog.bytea NOT NULL,
    PRIMARY KEY (ledger_id, level, idx)
);
COMMENT ON TABLE ledger.history_tiles IS 'History tree of each ledger in tiles of 32 node hashes (derived data, rebuilt when missing)';

-- The sealer's work list: a committed, unsealed record and where it is.
-- Unlogged (a writer's entry costs no WAL) and so emptied by a crash, a
-- restore or a promotion; the sealer then rebuilds it from the records
-- that no block holds, which it knows to do because the marker row
-- (ledger_id 0) is gone with it.
CREATE UNLOGGED TABLE ledger.seal_queue (
    ledger_id       pg_catalog.int8 NOT NULL,
    xact_id         pg_catalog.int8 NOT NULL,
    record_tid      pg_catalog.tid NOT NULL
);
COMMENT ON TABLE ledger.seal_queue IS 'The sealer''s list of committed, unsealed transaction records (rebuilt after a crash)';

-- Where each transaction record is: the block that lists it, or NULL while
-- it is not sealed yet.
-- (A function that joins by hashing, whatever the statistics say: a plan
-- made when the catalog looked small would otherwise join each record with
-- every block's list, in time quadratic in the number of transactions.)
CREATE FUNCTION ledger._transaction_blocks(OUT ledger_id pg_catalog.int8,
    OUT xact_id pg_catalog.int8, OUT row_count pg_catalog.int8,
    OUT committed_at pg_catalog.timestamptz, OUT block_no pg_catalog.int8)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    SET enable_nestloop = off
    SET enable_mergejoin = off
    -- the unnest can only be joined by a nested loop, whose disabled
    -- cost passes every JIT threshold: full JIT took 470 ms of a 60 ms
    -- query (operations review, 2026-12-05)
    SET jit = off
AS $$
    SELECT t.ledger_id, t.xact_id, t.row_count, t.committed_at, m.block_no
      FROM ledger.transactions t
      LEFT JOIN (SELECT b.ledger_id, b.block_no, x.xact_id
                   FROM ledger.blocks b, pg_catalog.unnest(b.xact_ids) AS x(xact_id)) m
        ON m.ledger_id OPERATOR(pg_catalog.=) t.ledger_id
       AND m.xact_id OPERATOR(pg_catalog.=) t.xact_id
$$;
COMMENT ON FUNCTION ledger._transaction_blocks() IS 'Internal: the rows of ledger.transaction_blocks';
CREATE VIEW ledger.transaction_blocks AS
    SELECT tb.ledger_id, tb.xact_id, tb.row_count, tb.committed_at, tb.block_no
      FROM ledger._transaction_blocks() tb;
COMMENT ON VIEW ledger.transaction_blocks IS 'Each transaction record with the block that lists it (NULL: not sealed yet)';
GRANT SELECT ON ledger.transaction_blocks TO PUBLIC;

-- Ledger transaction numbers (0 is the genesis transaction of every ledger).
CREATE SEQUENCE ledger.transaction_id_seq AS pg_catalog.int8 START 1;
COMMENT ON SEQUENCE ledger.transaction_id_seq IS 'Ledger transaction numbers, one per writing transaction';

-- pg_dump keeps the catalog, so a restored ledger verifies against old digests.
SELECT pg_catalog.pg_extension_config_dump('ledger.ledgers', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.transactions', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.blocks', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.transaction_id_seq', '');

-- Hashes and counts are public; only the extension writes them.
REVOKE ALL ON ledger.ledgers, ledger.transactions, ledger.blocks,
    ledger.history_tiles, ledger.seal_queue, ledger.replicas FROM PUBLIC;
GRANT SELECT ON ledger.ledgers, ledger.transactions, ledger.blocks,
    ledger.history_tiles, ledger.replicas TO PUBLIC;
GRANT USAGE ON SCHEMA ledger TO PUBLIC;

-- ===================================================================
-- Ledger tables: functions
-- ===================================================================

-- Symbol ledger_row_trigger_2, which the 0.1.0 library lacks: a 0.1.0
-- library run on this catalog (a package downgraded, a session that loaded
-- it before the upgrade) then fails every insert into a ledger (42883)
-- instead of storing rows under a truncated ledger_id that verify rejects
-- (an upgrade review on 2026-12-06).  ledger_row_trigger, 0.1.0's symbol,
-- stays exported for pg_upgrade.
CREATE FUNCTION ledger.row_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_row_trigger_2'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.row_trigger() IS 'BEFORE INSERT row trigger of ledger tables: stamps and hashes each row';

CREATE FUNCTION ledger.refuse_change() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_refuse_change'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.refuse_change() IS 'Statement trigger of ledger tables: refuses UPDATE, DELETE and TRUNCATE';

-- Row-level append-only guard of every ledger table: the apply worker of a
-- subscription fires row triggers but not statement triggers for UPDATE and
-- DELETE, so a change sent by a tampered origin meets this one.
CREATE FUNCTION ledger.refuse_row_change() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ledger_refuse_change'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.refuse_row_change() IS 'Row trigger of ledger tables: refuses UPDATE and DELETE, also when they arrive through logical replication';

CREATE FUNCTION ledger.create_ledger(tbl pg_catalog.regclass) RETURNS pg_catalog.jsonb
    AS 'MODULE_PATHNAME', 'ledger_create_ledger'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.create_ledger(pg_catalog.regclass) IS 'Turns a table into an append-only, hash-chained ledger; existing rows form the genesis block. Returns its digest';

CREATE FUNCTION ledger.seal(tbl pg_catalog.regclass DEFAULT NULL) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'ledger_seal'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.seal(pg_catalog.regclass) IS 'Seals committed transactions of one ledger (or all) into blocks; returns the number of blocks written';

CREATE FUNCTION ledger.digest(tbl pg_catalog.regclass) RETURNS pg_catalog.jsonb
    AS 'MODULE_PATHNAME', 'ledger_digest'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.digest(pg_catalog.regclass) IS 'Seals, then returns the newest block''s digest: keep it outside the database';

-- verify, prove, consistency_proof (and signing_bytes, 25_signed.sql) are
-- PARALLEL UNSAFE: they read under a snapshot of the call (verify.c,
-- verify_push_call_snapshot) and look a ledger up in the catalog under the
-- newest snapshot (catalog.c), and PostgreSQL refuses GetLatestSnapshot()
-- while a Gather runs, also in the leader (XX000 before 0.2.0).
CREATE FUNCTION ledger.verify(tbl pg_catalog.regclass, digest pg_catalog.jsonb DEFAULT NULL,
    OUT ok pg_catalog.bool, OUT rows_checked pg_catalog.int8,
    OUT transactions_checked pg_catalog.int8, OUT blocks_checked pg_catalog.int8,
    OUT unsealed_transactions pg_catalog.int8, OUT problem pg_catalog.text)
    RETURNS record
    AS 'MODULE_PATHNAME', 'ledger_verify'
    LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.verify(pg_catalog.regclass, pg_catalog.jsonb) IS 'Recomputes a ledger from its rows up (and checks a digest); names the first row, transaction or block that does not match';

CREATE FUNCTION ledger.canonical_bytes(row_value record) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_canonical_bytes'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.canonical_bytes(record) IS 'Canonical bytes of a row (docs/canonical-format.md), ledger columns left out';

CREATE FUNCTION ledger.leaf_hash(row_value record) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_leaf_hash'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.leaf_hash(record) IS 'RFC 6962 leaf hash of a row''s canonical bytes';

CREATE FUNCTION ledger.canonical_bytes(row_value record, xact pg_catalog.int8, seq pg_catalog.int8)
    RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_canonical_bytes_2'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.canonical_bytes(record, pg_catalog.int8, pg_catalog.int8) IS 'Canonical bytes of a row of a format-2 ledger (docs/canonical-format.md) as transaction xact, sequence seq';

CREATE FUNCTION ledger.leaf_hash(row_value record, xact pg_catalog.int8, seq pg_catalog.int8)
    RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_leaf_hash_2'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.leaf_hash(record, pg_catalog.int8, pg_catalog.int8) IS 'RFC 6962 leaf hash of a row of a format-2 ledger as transaction xact, sequence seq';

CREATE FUNCTION ledger._ledger_id_of(ledger_uuid pg_catalog.uuid) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'ledger_ledger_id_of'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._ledger_id_of(pg_catalog.uuid) IS 'The ledger_id of the ledger with this uuid: the first 8 bytes of its SHA-256 as a positive int8';

CREATE FUNCTION ledger.merkle_root(leaves pg_catalog.bytea[]) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_merkle_root'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.merkle_root(pg_catalog.bytea[]) IS 'RFC 6962 Merkle tree hash over the given leaf data, in order';

CREATE FUNCTION ledger._check_ledger(tbl pg_catalog.regclass, require_triggers pg_catalog.bool) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_check_ledger'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._check_ledger(pg_catalog.regclass, pg_catalog.bool) IS 'Internal: refuses DDL that would break a ledger''s verification';

CREATE FUNCTION ledger._prepare_builtin(tbl pg_catalog.regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_prepare_builtin'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger._prepare_builtin(pg_catalog.regclass) IS 'Internal: gives one of the extension''s own tables its ledger columns and triggers; it is registered at its first insert';
REVOKE ALL ON FUNCTION ledger._prepare_builtin(pg_catalog.regclass) FROM PUBLIC;

-- Sealing everything is an administrator's call; digest() seals one ledger
-- for anyone who may read it.
REVOKE ALL ON FUNCTION ledger.seal(pg_catalog.regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger.create_ledger(pg_catalog.regclass) FROM PUBLIC;

-- ===================================================================
-- Ledger tables: DDL guards
-- ===================================================================



CREATE FUNCTION ledger.prove(tbl pg_catalog.regclass, xact pg_catalog.int8, seq pg_catalog.int8,
    to_block pg_catalog.int8 DEFAULT NULL) RETURNS pg_catalog.jsonb
    AS 'MODULE_PATHNAME', 'ledger_prove'
    LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.prove(pg_catalog.regclass, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) IS 'Inclusion proof of one row (by ledger_xact, ledger_seq) up to a block (default the head): through the history tree to a block of format 2, through the chain of blocks to one sealed by 0.1.0; for tools/ledger-audit';

CREATE FUNCTION ledger.consistency_proof(tbl pg_catalog.regclass, old_digest pg_catalog.jsonb,
    new_digest pg_catalog.jsonb DEFAULT NULL) RETURNS pg_catalog.jsonb
    AS 'MODULE_PATHNAME', 'ledger_consistency_proof'
    LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.consistency_proof(pg_catalog.regclass, pg_catalog.jsonb, pg_catalog.jsonb) IS 'RFC 9162 proof that the ledger''s history at old_digest is a prefix of its history at new_digest (default: the newest block), for tools/ledger-audit';
