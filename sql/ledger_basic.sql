-- Ledger tables: creation, every way of inserting, sealing, digest, verify.
CREATE EXTENSION IF NOT EXISTS ledger;
\set VERBOSITY terse

-- an existing table with rows becomes a ledger: its rows form block 0
CREATE TABLE payments (id int4 PRIMARY KEY, account text NOT NULL, amount numeric(12,2), booked date);
INSERT INTO payments SELECT g, 'acct-' || (g % 3), g * 10.5, date '2026-01-01' + g FROM generate_series(1, 5) g;
SELECT d->>'block' AS block, d->>'rows' AS rows, d->>'transactions' AS txs,
       d->>'format_version' AS fmt, length(d->>'block_hash') AS hash_hex_len,
       d->>'ledger' AS ledger
FROM ledger.create_ledger('payments') d;

-- the ledger columns are there, filled for the genesis rows
SELECT id, ledger_seq, ledger_hash = ledger.leaf_hash(p, p.ledger_xact, p.ledger_seq) AS hash_ok,
       ledger_hash = ledger.leaf_hash(p) AS format_1_hash
FROM payments p ORDER BY id;
SELECT count(*) AS genesis_blocks FROM ledger.blocks b
  JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'payments'::regclass;

-- single-row, multi-row, INSERT ... SELECT
INSERT INTO payments (id, account, amount) VALUES (6, 'acct-0', 1.00);
INSERT INTO payments (id, account, amount) VALUES (7, 'acct-1', 2.00), (8, 'acct-2', 3.00);
INSERT INTO payments (id, account, amount) SELECT 100 + g, 'bulk', g FROM generate_series(1, 50) g;
-- COPY
COPY payments (id, account, amount, booked) FROM STDIN;
200	copy-a	1.10	2026-02-01
201	copy-b	\N	\N
\.
-- PL/pgSQL
DO $$ BEGIN FOR i IN 300..309 LOOP INSERT INTO payments (id, account, amount) VALUES (i, 'plpgsql', i); END LOOP; END $$;
-- prepared statement
PREPARE ins(int4, text, numeric) AS INSERT INTO payments (id, account, amount) VALUES ($1, $2, $3);
EXECUTE ins(400, 'prepared', 4);
EXECUTE ins(401, 'prepared', 5);
DEALLOCATE ins;
-- savepoints: the rolled-back row is not part of the transaction's root
BEGIN;
INSERT INTO payments (id, account, amount) VALUES (500, 'sp', 1);
SAVEPOINT a;
INSERT INTO payments (id, account, amount) VALUES (501, 'sp-rolled-back', 1);
SAVEPOINT b;
INSERT INTO payments (id, account, amount) VALUES (502, 'sp-rolled-back', 1);
ROLLBACK TO a;
INSERT INTO payments (id, account, amount) VALUES (503, 'sp', 1);
SAVEPOINT c;
INSERT INTO payments (id, account, amount) VALUES (504, 'sp-released', 1);
RELEASE c;
COMMIT;
-- an exception block is a subtransaction too
DO $$
BEGIN
  INSERT INTO payments (id, account, amount) VALUES (600, 'exc', 1);
  BEGIN
    INSERT INTO payments (id, account, amount) VALUES (601, 'exc-rolled-back', 1);
    RAISE EXCEPTION 'boom';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  INSERT INTO payments (id, account, amount) VALUES (602, 'exc', 1);
END $$;
-- an aborted transaction leaves nothing
BEGIN;
INSERT INTO payments (id, account, amount) VALUES (700, 'aborted', 1);
ROLLBACK;
-- a failing statement inside a transaction aborts it all
BEGIN;
INSERT INTO payments (id, account, amount) VALUES (701, 'aborted', 1);
INSERT INTO payments (id, account, amount) VALUES (701, 'duplicate key', 1);
COMMIT;

SELECT ledger.seal('payments') >= 0 AS sealed;
SELECT count(*) AS rows, count(*) FILTER (WHERE account LIKE '%rolled-back%' OR account = 'aborted') AS ghosts
FROM payments;
SELECT t.row_count, count(*) AS transactions
FROM ledger.transactions t JOIN ledger.ledgers l USING (ledger_id)
WHERE l.relation = 'payments'::regclass GROUP BY t.row_count ORDER BY 1;
SELECT count(*) FILTER (WHERE block_no IS NULL) AS unsealed FROM ledger.transaction_blocks;

-- within one transaction, rows are numbered in insertion order
SELECT id, ledger_seq FROM payments WHERE account IN ('sp', 'sp-released') ORDER BY ledger_seq;
SELECT count(DISTINCT ledger_xact) AS xacts_of_sp FROM payments WHERE account IN ('sp', 'sp-released');

-- verify recomputes everything
SELECT ok, rows_checked, transactions_checked, unsealed_transactions, problem FROM ledger.verify('payments');

-- a digest kept outside, checked later
CREATE TEMP TABLE kept AS SELECT ledger.digest('payments') AS d;
SELECT (d->>'rows')::int AS rows, d ? 'block_hash' AND d ? 'root' AND d ? 'sealed_at' AND d ? 'ledger_uuid' AS complete
FROM kept;
INSERT INTO payments (id, account, amount) VALUES (800, 'after digest', 1);
SELECT ok, problem FROM ledger.verify('payments', (SELECT d FROM kept));
SELECT (ledger.digest('payments')->>'rows')::int AS rows_now;
-- the same text in every session: sealed_at in UTC whatever TimeZone says
-- (a peer or an auditor elsewhere compares digests as text)
SET TimeZone = 'Asia/Tokyo';
CREATE TEMP TABLE tz_digest AS SELECT ledger.digest('payments')::text AS t;
SET TimeZone = 'America/New_York';
SELECT ledger.digest('payments')::text = t AS same_text_in_two_zones,
       (t::jsonb->>'sealed_at') LIKE '%+00:00' AS utc
FROM tz_digest;
SHOW TimeZone;
RESET TimeZone;

-- the block chain links: each block names its predecessor's hash
SELECT bool_and(b.prev_hash = p.block_hash) AS linked, count(*) > 0 AS have_links
FROM ledger.blocks b JOIN ledger.blocks p ON p.ledger_id = b.ledger_id AND p.block_no = b.block_no - 1
JOIN ledger.ledgers l ON l.ledger_id = b.ledger_id WHERE l.relation = 'payments'::regclass;

-- a second ledger, new and empty, in the same database
CREATE TABLE trades (trade_id uuid DEFAULT gen_random_uuid(), qty int8, px float8, meta jsonb, at timestamptz DEFAULT now());
SELECT d->>'block' AS block, d->>'rows' AS rows FROM ledger.create_ledger('trades') d;
INSERT INTO trades (qty, px, meta) SELECT g, g / 3.0, jsonb_build_object('n', g) FROM generate_series(1, 20) g;
SELECT ok, rows_checked, problem FROM ledger.verify('trades');
SELECT ok, rows_checked FROM ledger.verify('payments');
SELECT count(*) AS ledgers FROM ledger.ledgers;

-- the ledger computes its own columns
INSERT INTO payments (id, account, amount, ledger_xact) VALUES (900, 'forged', 1, 1);
INSERT INTO payments (id, account, amount, ledger_seq) VALUES (900, 'forged', 1, 1);
-- a row carrying a hash that does not match its content is refused
INSERT INTO payments (id, account, amount, ledger_xact, ledger_seq, ledger_hash)
VALUES (901, 'forged', 1, 1, 1, '\x00');
-- an ordinary user cannot supply ledger columns at all
CREATE ROLE ledger_clerk;
GRANT INSERT, SELECT ON payments TO ledger_clerk;
SET ROLE ledger_clerk;
INSERT INTO payments (id, account, amount) VALUES (902, 'clerk', 1);
INSERT INTO payments (id, account, amount, ledger_xact, ledger_seq, ledger_hash)
SELECT 903, account, amount, ledger_xact, ledger_seq, ledger_hash FROM payments WHERE id = 1;
-- the clerk can verify and digest what it can read, but not seal everything
SELECT ok FROM ledger.verify('payments');
SELECT (ledger.digest('payments')->>'rows')::int > 0 AS clerk_digest;
SELECT ledger.seal();
RESET ROLE;
REVOKE ALL ON payments FROM ledger_clerk;
SET ROLE ledger_clerk;
SELECT ok FROM ledger.verify('payments');
RESET ROLE;
DROP ROLE ledger_clerk;

SELECT ok, problem FROM ledger.verify('payments');

-- INSERT ... ON CONFLICT DO NOTHING fires the row trigger, then may skip
-- the row: a skipped row must not enter the transaction's tree (verify
-- would report a missing row) and leaves a gap in ledger_seq, like a row
-- rolled back to a savepoint.
CREATE TABLE idem (id int PRIMARY KEY, v text);
SELECT ledger.create_ledger('idem') IS NOT NULL AS created;
INSERT INTO idem VALUES (1, 'a'), (3, 'c');
-- middle, first, last and every row conflicting, in one transaction each
INSERT INTO idem VALUES (2, 'b'), (3, 'dup'), (4, 'd') ON CONFLICT DO NOTHING;
INSERT INTO idem VALUES (1, 'dup'), (5, 'e') ON CONFLICT (id) DO NOTHING;
INSERT INTO idem VALUES (6, 'f'), (5, 'dup') ON CONFLICT DO NOTHING;
INSERT INTO idem VALUES (1, 'dup'), (2, 'dup') ON CONFLICT DO NOTHING;
-- several statements, a savepoint rolled back, and a conflict in one
-- transaction
BEGIN;
INSERT INTO idem VALUES (7, 'g') ON CONFLICT DO NOTHING;
SAVEPOINT s;
INSERT INTO idem VALUES (8, 'rolled back');
ROLLBACK TO s;
INSERT INTO idem VALUES (7, 'dup') ON CONFLICT DO NOTHING;
INSERT INTO idem SELECT g, 'gen' FROM generate_series(8, 10) g ON CONFLICT DO NOTHING;
COMMIT;
-- MERGE inserts like INSERT; its UPDATE and DELETE actions are refused
MERGE INTO idem USING (VALUES (10, 'dup'), (11, 'merged')) s(id, v) ON idem.id = s.id
  WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v) WHEN MATCHED THEN DO NOTHING;
MERGE INTO idem USING (VALUES (1, 'z')) s(id, v) ON idem.id = s.id
  WHEN MATCHED THEN UPDATE SET v = s.v;
MERGE INTO idem USING (VALUES (1)) s(id) ON idem.id = s.id
  WHEN MATCHED THEN DELETE;
INSERT INTO idem VALUES (1, 'z') ON CONFLICT (id) DO UPDATE SET v = 'z';
SELECT id, v, ledger_seq FROM idem ORDER BY id;
SELECT t.row_count FROM ledger.transactions t JOIN ledger.ledgers l USING (ledger_id)
 WHERE l.relation = 'idem'::regclass AND t.xact_id > 0 ORDER BY t.xact_id;
SELECT ok, rows_checked, transactions_checked, problem FROM ledger.verify('idem');
-- (the background sealer may have sealed them first: seal() then has nothing left)
SELECT ledger.seal('idem') >= 0 AS sealed;
SELECT ok, rows_checked, unsealed_transactions, problem FROM ledger.verify('idem');
SELECT ledger.drop_ledger('idem');

-- in a REPEATABLE READ transaction whose snapshot an earlier statement took,
-- and in a SERIALIZABLE one, with rows and empty: the rows are stamped, the
-- ledger verifies against the digest create_ledger returned, which is the
-- one ledger.digest gives after commit (a row committed after the snapshot
-- is a serialization failure: test/isolation/specs/ddl_insert.spec)
CREATE TABLE rr_book (id int4, memo text);
INSERT INTO rr_book VALUES (1, 'a'), (2, 'b');
CREATE TABLE rr_empty (id int4);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM rr_book;
CREATE TEMP TABLE rr_digest AS SELECT ledger.create_ledger('rr_book') AS d;
SELECT ok, rows_checked, problem FROM ledger.verify('rr_book');
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT ledger.create_ledger('rr_empty')->>'rows' AS rows;
INSERT INTO rr_empty VALUES (1);
COMMIT;
SELECT d->>'block' AS block, d->>'rows' AS rows FROM rr_digest;
SELECT ok, rows_checked, problem FROM ledger.verify('rr_book', (SELECT d FROM rr_digest));
SELECT ledger.digest('rr_book') = d AS digest_stable FROM rr_digest;
SELECT ok, rows_checked, problem FROM ledger.verify('rr_empty', ledger.digest('rr_empty'));
SELECT ledger.drop_ledger('rr_book'), ledger.drop_ledger('rr_empty');
DROP TABLE rr_digest;

-- verify and prove read whole transactions: a caller restricted by
-- row-level security is refused (verify would otherwise reveal rows of
-- others, prove would fail on rows it cannot see)
CREATE TABLE shared_book (id int, owner name, amount numeric);
SELECT ledger.create_ledger('shared_book') IS NOT NULL AS created;
INSERT INTO shared_book VALUES (1, 'ledger_teller', 10), (2, 'someone_else', 20);
ALTER TABLE shared_book ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON shared_book USING (owner = current_user);
CREATE ROLE ledger_teller;
GRANT SELECT ON shared_book TO ledger_teller;
SET ROLE ledger_teller;
SELECT id FROM shared_book;
SELECT ok FROM ledger.verify('shared_book');
SELECT ledger.prove('shared_book', ledger_xact, ledger_seq) FROM shared_book;
RESET ROLE;
SELECT ok, rows_checked FROM ledger.verify('shared_book');
SELECT ledger.seal('shared_book') >= 0 AS sealed;
SELECT (ledger.prove('shared_book', ledger_xact, ledger_seq)->'transaction'->>'row_count')::int AS rows_in_proof
  FROM shared_book WHERE id = 1;
-- proof_version 2 is compact (docs/canonical-format.md): none of the hashes
-- a verifier computes (row leaf, transaction root, history root, block
-- hash), bytes and hashes in standard base64 with padding
SELECT k, (SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_object_keys(p->k) x) AS fields
  FROM shared_book s, LATERAL ledger.prove('shared_book', s.ledger_xact, s.ledger_seq) p,
       unnest(ARRAY['row', 'transaction', 'history', 'block']) k
 WHERE s.id = 1 ORDER BY k;
SELECT p->>'proof_version' AS version,
       decode(p->'row'->>'canonical_bytes', 'base64')
         = ledger.canonical_bytes(s, s.ledger_xact, s.ledger_seq) AS row_bytes_base64,
       (SELECT bool_and(h #>> '{}' ~ '^[A-Za-z0-9+/]{43}=$' AND octet_length(decode(h #>> '{}', 'base64')) = 32)
          FROM jsonb_array_elements((p->'transaction'->'path') || (p->'history'->'path')
                                    || jsonb_build_array(p->'block'->'prev_hash', p->'block'->'root')) h) AS hashes_base64,
       jsonb_array_length(p->'history'->'path') AS history_path_len,
       jsonb_array_length(p->'transaction'->'path') AS row_path_len
  FROM shared_book s, LATERAL ledger.prove('shared_book', s.ledger_xact, s.ledger_seq) p
 WHERE s.id = 1;
DROP POLICY own_rows ON shared_book;
REVOKE ALL ON shared_book FROM ledger_teller;
DROP ROLE ledger_teller;
SELECT ledger.drop_ledger('shared_book');
