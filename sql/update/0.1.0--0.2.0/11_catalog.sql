
-- ===================================================================
-- Ledger tables: catalog 0.2.0 (docs/design.md, "Catalog")
-- ===================================================================
-- What changes, and why it keeps every 0.1.0 ledger verifying against its
-- old digests: no hash covers a ledger_id, the membership of a transaction
-- in a block, or the head columns; blocks keep their headers and hashes.
--
-- 1. ledger_id becomes int8, derived from the ledger's uuid (the first 8
--    bytes of its SHA-256, sign bit cleared), so that a ledger has the same id in every
--    database that holds it (replicas) and ids of different institutions'
--    ledgers never collide.
-- 2. Transaction records are never updated again: which block holds a
--    record is said by the block (blocks.xact_ids, in block order, and
--    first_position, its place in the history tree); records get a primary
--    key (ledger_id, xact_id).  The 0.1.0 column transactions.block_no is
--    read once here to fill blocks.xact_ids, then goes.
-- 3. ledgers.head_block and head_hash go: the head is the newest block.
-- 4. New: the history tree's tiles and the sealer's (unlogged) work list.
--    Committed but unsealed 0.1.0 records reach the work list when the
--    sealer first runs (it rebuilds the list when its marker row is absent).
-- ledgers and transactions are rebuilt (not altered) so that they carry no
-- dropped columns: an upgraded database then holds exactly a fresh
-- install's catalog (test/t/090_upgrade.pl compares the two).

-- The catalog tables are renamed and rebuilt below; the extension's DDL
-- guards, which read them, stay out of it (event triggers do not fire in
-- replica mode).
SET LOCAL session_replication_role = replica;

CREATE FUNCTION ledger._ledger_id_of(ledger_uuid pg_catalog.uuid) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'ledger_ledger_id_of'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._ledger_id_of(pg_catalog.uuid) IS 'The ledger_id of the ledger with this uuid: the first 8 bytes of its SHA-256 as a positive int8';

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

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger.transactions
               GROUP BY ledger_id, xact_id HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'data_corrupted',
            MESSAGE = 'cannot update extension "ledger": a transaction record appears twice',
            DETAIL = 'Version 0.2.0 refuses duplicate transaction records; ledger.verify() names the ledger and transaction.',
            HINT = 'Keep the database as it is for the investigation, and update a copy without the forged record.';
    END IF;
END
$$;

-- 1. the new ledger ids, in the tables that refer to ledgers
ALTER TABLE ledger.blocks ALTER COLUMN ledger_id TYPE pg_catalog.int8;
ALTER TABLE ledger.signed_ledgers ALTER COLUMN ledger_id TYPE pg_catalog.int8;
ALTER TABLE ledger.signed_messages ALTER COLUMN ledger_id TYPE pg_catalog.int8;

-- 2. block membership, from the 0.1.0 records
ALTER TABLE ledger.blocks
    ADD COLUMN xact_ids pg_catalog.int8[],
    ADD COLUMN first_position pg_catalog.int8,
    ADD COLUMN tree_root pg_catalog.bytea,
    ADD COLUMN total_rows pg_catalog.int8;
-- One pass over the records and one over the blocks, joined by hashing: a
-- subquery per block scanned every 0.1.0 record once per block (the only
-- index of 0.1.0's ledger.transactions is on unsealed records) and summed
-- every earlier block of its ledger twice, in time quadratic in the
-- history; hours for a year's history (an upgrade review at scale on
-- 2026-12-07).  A block with no record keeps an empty list.  The blocks
-- get their new ledger ids (3. below) in the same pass, which leaves one
-- dead version of each block instead of two.
WITH members AS (
    SELECT t.ledger_id, t.block_no,
           pg_catalog.array_agg(t.xact_id ORDER BY t.committed_at, t.xact_id) AS xact_ids
      FROM ledger.transactions t
     WHERE t.block_no IS NOT NULL
     GROUP BY t.ledger_id, t.block_no
), sums AS (
    SELECT p.ledger_id, p.block_no,
           (pg_catalog.sum(p.tx_count) OVER w OPERATOR(pg_catalog.-) p.tx_count)::pg_catalog.int8 AS first_position,
           (pg_catalog.sum(p.row_count) OVER w)::pg_catalog.int8 AS total_rows
      FROM ledger.blocks p
    WINDOW w AS (PARTITION BY p.ledger_id ORDER BY p.block_no
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
UPDATE ledger.blocks b
   SET ledger_id = COALESCE(ledger._ledger_id_of(l.ledger_uuid), b.ledger_id),
       xact_ids = COALESCE(m.xact_ids, '{}'::pg_catalog.int8[]),
       first_position = s.first_position,
       total_rows = s.total_rows
  FROM sums s
  LEFT JOIN members m
    ON m.ledger_id OPERATOR(pg_catalog.=) s.ledger_id
   AND m.block_no OPERATOR(pg_catalog.=) s.block_no
  LEFT JOIN ledger.ledgers l
    ON l.ledger_id OPERATOR(pg_catalog.=) s.ledger_id
 WHERE b.ledger_id OPERATOR(pg_catalog.=) s.ledger_id
   AND b.block_no OPERATOR(pg_catalog.=) s.block_no;
ALTER TABLE ledger.blocks
    ALTER COLUMN xact_ids SET NOT NULL,
    ALTER COLUMN first_position SET NOT NULL,
    ALTER COLUMN total_rows SET NOT NULL;
COMMENT ON TABLE ledger.blocks IS 'Sealed blocks: RFC 6962 root over their transactions, chained by hash, with the history tree''s size and root after them';

-- the records, rebuilt without block_no and with their primary key
DROP INDEX ledger.transactions_unsealed_idx;
ALTER TABLE ledger.transactions RENAME TO transactions_0_1;
ALTER EXTENSION ledger DROP TABLE ledger.transactions_0_1;
CREATE TABLE ledger.transactions (
    ledger_id       pg_catalog.int8 NOT NULL,
    xact_id         pg_catalog.int8 NOT NULL,
    row_count       pg_catalog.int8 NOT NULL,
    root            pg_catalog.bytea NOT NULL,
    committed_at    pg_catalog.timestamptz NOT NULL
);
COMMENT ON TABLE ledger.transactions IS 'One row per transaction that wrote a ledger: row count and RFC 6962 root of its rows';
-- with the new ledger ids (3. below): each record is written once (an
-- UPDATE after the copy wrote every record a second time), and the primary
-- key is built after the copy, in one sort (half the time and a quarter
-- less WAL than 2.1 million index insertions, 2026-12-07)
INSERT INTO ledger.transactions (ledger_id, xact_id, row_count, root, committed_at)
    SELECT COALESCE(ledger._ledger_id_of(l.ledger_uuid), t.ledger_id), t.xact_id, t.row_count,
           t.root, t.committed_at
      FROM ledger.transactions_0_1 t
      LEFT JOIN ledger.ledgers l ON l.ledger_id OPERATOR(pg_catalog.=) t.ledger_id;
ALTER TABLE ledger.transactions ADD PRIMARY KEY (ledger_id, xact_id);
DROP TABLE ledger.transactions_0_1;

-- 3. the ledgers, rebuilt with int8 ids and without a stored head
ALTER TABLE ledger.ledgers RENAME TO ledgers_0_1;
ALTER TABLE ledger.ledgers_0_1 RENAME CONSTRAINT ledgers_pkey TO ledgers_0_1_pkey;
ALTER TABLE ledger.ledgers_0_1 RENAME CONSTRAINT ledgers_relation_key TO ledgers_0_1_relation_key;
ALTER TABLE ledger.ledgers_0_1 RENAME CONSTRAINT ledgers_ledger_uuid_key TO ledgers_0_1_ledger_uuid_key;
ALTER EXTENSION ledger DROP TABLE ledger.ledgers_0_1;
ALTER EXTENSION ledger DROP SEQUENCE ledger.ledgers_ledger_id_seq;
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
INSERT INTO ledger.ledgers (ledger_id, relation, ledger_uuid, name, shape, format_version,
                            created_at, created_by)
    SELECT ledger._ledger_id_of(l.ledger_uuid), l.relation, l.ledger_uuid, l.name, l.shape,
           l.format_version, l.created_at, l.created_by
      FROM ledger.ledgers_0_1 l;
UPDATE ledger.signed_ledgers s SET ledger_id = ledger._ledger_id_of(l.ledger_uuid)
  FROM ledger.ledgers_0_1 l WHERE s.ledger_id OPERATOR(pg_catalog.=) l.ledger_id;
UPDATE ledger.signed_messages m SET ledger_id = ledger._ledger_id_of(l.ledger_uuid)
  FROM ledger.ledgers_0_1 l WHERE m.ledger_id OPERATOR(pg_catalog.=) l.ledger_id;
DROP TABLE ledger.ledgers_0_1;

-- 4. replicas (sync between institutions), the history tree and the
-- sealer's work list
-- The ledgers held here as replicas of another institution's ledgers.
CREATE TABLE ledger.replicas (
    ledger_id       pg_catalog.int8 PRIMARY KEY,
    subscription    pg_catalog.name,
    publication     pg_catalog.name NOT NULL,
    added_at        pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ledger.replicas IS 'Ledgers held here as verified replicas of another institution''s ledgers, and the subscription that writes each (NULL once it was dropped and the replica kept)';
SELECT pg_catalog.pg_extension_config_dump('ledger.replicas', '');

CREATE TABLE ledger.history_tiles (
    ledger_id       pg_catalog.int8 NOT NULL,
    level           pg_catalog.int2 NOT NULL,
    idx             pg_catalog.int8 NOT NULL,
    hashes          pg_catalog.bytea NOT NULL,
    PRIMARY KEY (ledger_id, level, idx)
);
COMMENT ON TABLE ledger.history_tiles IS 'History tree of each ledger in tiles of 32 node hashes (derived data, rebuilt when missing)';
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

SELECT pg_catalog.pg_extension_config_dump('ledger.ledgers', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.transactions', '');
REVOKE ALL ON ledger.ledgers, ledger.transactions, ledger.blocks,
    ledger.history_tiles, ledger.seal_queue, ledger.replicas FROM PUBLIC;
GRANT SELECT ON ledger.ledgers, ledger.transactions, ledger.blocks,
    ledger.history_tiles, ledger.replicas TO PUBLIC;

-- 5. proofs find a transaction's rows through a BRIN index on ledger_xact
-- (create_ledger adds one to every new ledger; the extension's own ledger
-- tables have one from their install)
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgrelid::pg_catalog.regclass AS relation FROM pg_catalog.pg_trigger t
              WHERE t.tgname OPERATOR(pg_catalog.=) 'zz_ledger_row'
                AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.row_trigger()'::pg_catalog.regprocedure
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid
                                  JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.relam
                                 WHERE i.indrelid OPERATOR(pg_catalog.=) t.tgrelid
                                   AND a.amname OPERATOR(pg_catalog.=) 'brin') LOOP
        EXECUTE pg_catalog.format('CREATE INDEX ON %s USING brin (ledger_xact) WITH (pages_per_range = 16)',
                                  r.relation);
    END LOOP;
END
$$;

SET LOCAL session_replication_role = origin;

-- drop_ledger removes the new catalogs' rows too (re-created by
-- 13_drop_ledger.sql, which the install script shares)
DROP FUNCTION ledger.drop_ledger(pg_catalog.regclass);

CREATE FUNCTION ledger.consistency_proof(tbl pg_catalog.regclass, old_digest pg_catalog.jsonb,
    new_digest pg_catalog.jsonb DEFAULT NULL) RETURNS pg_catalog.jsonb
    AS 'MODULE_PATHNAME', 'ledger_consistency_proof'
    LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.consistency_proof(pg_catalog.regclass, pg_catalog.jsonb, pg_catalog.jsonb) IS 'RFC 9162 proof that the ledger''s history at old_digest is a prefix of its history at new_digest (default: the newest block), for tools/ledger-audit';
COMMENT ON FUNCTION ledger.prove(pg_catalog.regclass, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) IS 'Inclusion proof of one row (by ledger_xact, ledger_seq) up to a block (default the head): through the history tree to a block of format 2, through the chain of blocks to one sealed by 0.1.0; for tools/ledger-audit';
