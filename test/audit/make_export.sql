-- Builds a synthetic ledger history in schema audit_fixture from the
-- format specification (docs/canonical-format.md) with SQL's sha256 and
-- ledger.merkle_root, independently of the sealer and of tools/ledger-audit,
-- and prints it as a ledger export (one JSON object per line) or a digest.
--
--   psql -v txs=N -v per_block=K -v unsealed=U -v row_format=F -v v2_from=B \
--        -v out=export|digest -f test/audit/make_export.sql
--
-- Transaction t (0-based) has xact_id 1000 + t, 1 + t % 3 rows and commits
-- at 800000000000000 + 1000 t microseconds; block b holds transactions
-- [b K, (b + 1) K) of the first N - U; blocks from B on are format 2
-- (history tree in the block hash).  test/audit/export-small.ndjson and
-- digest-small.json are its output for N=7 K=2 U=1 F=1 B=2.
\set QUIET on
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS audit_fixture CASCADE;
CREATE SCHEMA audit_fixture;
CREATE TABLE audit_fixture.params AS
SELECT 'c0ffee00-0000-4000-8000-000000000001'::uuid AS lid, :txs::int AS txs, :per_block::int AS per_block,
       :unsealed::int AS unsealed, :row_format::int AS fmt, :v2_from::int AS v2_from;

-- rows: 'L' 'R' format [xact seq] ncols, then columns id int4 (tag 3) and memo text (tag 8)
CREATE TABLE audit_fixture.rows AS
SELECT t, 1000 + t AS xact, s AS seq,
       '\x4c52'::bytea || set_byte('\x00'::bytea, 0, p.fmt)
       || CASE WHEN p.fmt = 2 THEN int8send(1000 + t::int8) || int8send(s::int8) ELSE '\x'::bytea END
       || '\x0002'::bytea
       || '\x0002'::bytea || 'id'::bytea || '\x03'::bytea || int4send(4) || int4send(t * 10 + s)
       || '\x0004'::bytea || 'memo'::bytea || '\x08'::bytea
       || int4send(length(convert_to('row ' || t || '.' || s, 'UTF8')))
       || convert_to('row ' || t || '.' || s, 'UTF8') AS bytes
FROM audit_fixture.params p, generate_series(0, p.txs - 1) t, generate_series(0, t % 3) s;

CREATE TABLE audit_fixture.tx AS
SELECT t, 1000 + t AS xact_id, count(*)::int8 AS row_count,
       ledger.merkle_root(array_agg(r.bytes ORDER BY r.seq)) AS root,
       800000000000000 + 1000 * t::int8 AS committed_at_us,
       CASE WHEN t < p.txs - p.unsealed THEN t / p.per_block END AS block_no
FROM audit_fixture.rows r, audit_fixture.params p GROUP BY t, p.txs, p.unsealed, p.per_block;
-- leaf data of a transaction: 'T' format xact_id row_count root committed_at
ALTER TABLE audit_fixture.tx ADD COLUMN leaf_data bytea;
UPDATE audit_fixture.tx x SET leaf_data = 'T'::bytea || set_byte('\x00'::bytea, 0, p.fmt)
    || int8send(xact_id) || int8send(row_count) || root || int8send(committed_at_us)
FROM audit_fixture.params p;

CREATE TABLE audit_fixture.blocks AS
SELECT b.block_no, count(*)::int8 AS tx_count, sum(x.row_count)::int8 AS row_count,
       ledger.merkle_root(array_agg(x.leaf_data ORDER BY x.t)) AS root,
       array_agg(x.xact_id ORDER BY x.t) AS xact_ids,
       max(x.t) + 1 AS tree_size,
       800000000000000 + 1000000 * b.block_no::int8 AS sealed_at_us,
       CASE WHEN b.block_no >= p.v2_from THEN 2 ELSE 1 END AS format_version
FROM (SELECT DISTINCT block_no FROM audit_fixture.tx WHERE block_no IS NOT NULL) b
JOIN audit_fixture.tx x USING (block_no), audit_fixture.params p
GROUP BY b.block_no, p.v2_from;
ALTER TABLE audit_fixture.blocks ADD COLUMN tree_root bytea, ADD COLUMN prev_hash bytea, ADD COLUMN block_hash bytea;
UPDATE audit_fixture.blocks b SET tree_root = (SELECT ledger.merkle_root(array_agg(x.leaf_data ORDER BY x.t))
                                              FROM audit_fixture.tx x WHERE x.t < b.tree_size);

-- the chain, block by block
DO $$
DECLARE
    b record;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    h bytea;
    lid bytea := uuid_send((SELECT lid FROM audit_fixture.params));
BEGIN
    FOR b IN SELECT * FROM audit_fixture.blocks ORDER BY block_no LOOP
        h := CASE WHEN b.format_version = 1 THEN sha256(convert_to('ledger-block-v1', 'UTF8') || '\x00'::bytea
                 || lid || int8send(b.block_no::int8) || prev || b.root || int8send(b.tx_count)
                 || int8send(b.row_count) || int8send(b.sealed_at_us) || int8send(1))
             ELSE sha256(convert_to('ledger-block-v2', 'UTF8') || '\x00'::bytea
                 || lid || int8send(b.block_no::int8) || prev || b.root || int8send(b.tx_count)
                 || int8send(b.row_count) || int8send(b.sealed_at_us) || int8send(2)
                 || int8send(b.tree_size::int8) || b.tree_root) END;
        UPDATE audit_fixture.blocks SET prev_hash = prev, block_hash = h WHERE block_no = b.block_no;
        prev := h;
    END LOOP;
END $$;

-- Proofs and digests over the fixture, as ledger.prove (proof_version 2),
-- ledger.consistency_proof and ledger.digest give them, from the SQL merkle
-- functions: for test/t/085_audit_tool.pl.  Proofs carry bytes and hashes
-- in standard base64 (encode(..., 'base64') without its line breaks) and
-- nothing a verifier computes.
CREATE FUNCTION audit_fixture.b64(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
$f$ SELECT translate(encode(b, 'base64'), E'\n', '') $f$;
CREATE FUNCTION audit_fixture.b64s(h bytea[]) RETURNS json LANGUAGE sql IMMUTABLE AS
$f$ SELECT to_json(ARRAY(SELECT audit_fixture.b64(x) FROM unnest(h) x)) $f$;
CREATE FUNCTION audit_fixture.history_leaves() RETURNS bytea[] LANGUAGE sql STABLE AS
$f$ SELECT array_agg(leaf_data ORDER BY t) FROM audit_fixture.tx WHERE block_no IS NOT NULL $f$;
-- proof of row (xact 1000 + t, seq s) at block b
CREATE FUNCTION audit_fixture.proof(t int, s int, b int) RETURNS json LANGUAGE sql STABLE AS $f$
SELECT json_build_object('proof_version', 2, 'ledger', 'audit_fixture.pay', 'ledger_uuid', p.lid,
    'row', json_build_object('xact', r.xact, 'seq', r.seq, 'canonical_bytes', audit_fixture.b64(r.bytes)),
    'transaction', json_build_object('row_count', x.row_count, 'committed_at_us', x.committed_at_us,
        'leaf_index', r.seq,
        'path', audit_fixture.b64s(ledger.merkle_inclusion_proof(
            (SELECT array_agg(bytes ORDER BY seq) FROM audit_fixture.rows WHERE rows.t = x.t), r.seq, x.row_count))),
    'history', json_build_object('leaf_index', x.t,
        'path', audit_fixture.b64s(ledger.merkle_inclusion_proof(audit_fixture.history_leaves(), x.t, k.tree_size))),
    'block', json_build_object('block_no', k.block_no, 'prev_hash', audit_fixture.b64(k.prev_hash),
        'root', audit_fixture.b64(k.root), 'tx_count', k.tx_count, 'row_count', k.row_count,
        'sealed_at_us', k.sealed_at_us, 'tree_size', k.tree_size))
FROM audit_fixture.params p, audit_fixture.rows r, audit_fixture.tx x, audit_fixture.blocks k
WHERE r.t = $1 AND r.seq = $2 AND x.t = $1 AND k.block_no = $3
$f$;
-- consistency proof between the history sizes of two blocks
CREATE FUNCTION audit_fixture.consistency(old_size int8, new_size int8) RETURNS json LANGUAGE sql STABLE AS $f$
SELECT json_build_object('proof_version', 2, 'ledger_uuid', p.lid, 'old_size', $1, 'new_size', $2,
    'path', audit_fixture.b64s(ledger.merkle_consistency_proof(l, $1, $2)))
FROM audit_fixture.params p, audit_fixture.history_leaves() l
$f$;
-- digest of block b
CREATE FUNCTION audit_fixture.digest(b int) RETURNS json LANGUAGE sql STABLE AS $f$
SELECT json_build_object('ledger', 'audit_fixture.pay', 'ledger_uuid', p.lid, 'block', k.block_no,
    'block_hash', encode(k.block_hash, 'hex'), 'root', encode(k.root, 'hex'),
    -- as ledger.digest() gives it: a format-1 block has no history tree
    'tree_size', k.tree_size,
    'tree_root', CASE WHEN k.format_version = 2 THEN encode(k.tree_root, 'hex') END, 'transactions', k.tree_size,
    'rows', (SELECT sum(row_count) FROM audit_fixture.blocks WHERE block_no <= k.block_no),
    'sealed_at', '2025-05-08T06:13:20+00:00', 'format_version', k.format_version)
FROM audit_fixture.params p, audit_fixture.blocks k WHERE k.block_no = $1
$f$;

SELECT line FROM (
    SELECT 0 AS k, 0::int8 AS a, 0::int8 AS b,
           json_build_object('type', 'ledger', 'ledger', 'audit_fixture.pay', 'ledger_uuid', lid,
                             'row_format', fmt)::text AS line
    FROM audit_fixture.params
    UNION ALL
    SELECT 1, xact, seq, json_build_object('type', 'row', 'xact', xact, 'seq', seq,
                             'canonical_bytes', encode(bytes, 'hex'),
                             'leaf_hash', encode(sha256('\x00'::bytea || bytes), 'hex'))::text
    FROM audit_fixture.rows
    UNION ALL
    SELECT 2, xact_id, 0, json_build_object('type', 'transaction', 'xact_id', xact_id, 'row_count', row_count,
                             'root', encode(root, 'hex'), 'committed_at_us', committed_at_us)::text
    FROM audit_fixture.tx
    UNION ALL
    SELECT 3, block_no, 0, (json_build_object('type', 'block', 'block_no', block_no, 'prev_hash', encode(prev_hash, 'hex'),
                             'root', encode(root, 'hex'), 'tx_count', tx_count, 'row_count', row_count,
                             'sealed_at_us', sealed_at_us, 'format_version', format_version)::jsonb
                            || CASE WHEN format_version = 2 THEN jsonb_build_object('tree_size', tree_size,
                                   'tree_root', encode(tree_root, 'hex')) ELSE '{}' END
                            || jsonb_build_object('block_hash', encode(block_hash, 'hex'), 'xact_ids', xact_ids))::text
    FROM audit_fixture.blocks) l
WHERE :'out' = 'export'
ORDER BY k, a, b;

SELECT audit_fixture.digest(max(block_no)) FROM audit_fixture.blocks WHERE :'out' = 'digest';
