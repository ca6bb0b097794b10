-- test/demo.sql: the narrated walkthrough "make demo" runs (psql -X -a)
-- on a throwaway cluster with shared_preload_libraries = 'ledger'.
\set ON_ERROR_STOP 1
\pset footer off

\echo
\echo '== 1. Install the extension in an existing database'
CREATE EXTENSION ledger;
SELECT extname, extversion, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'ledger';

\echo
\echo '== 2. A payments table that already has rows becomes a ledger.'
\echo '      Its rows are sealed into block 0, the genesis block; the result'
\echo '      is the genesis digest.'
CREATE TABLE payments (id bigserial PRIMARY KEY, payer text NOT NULL,
                       amount numeric(18,2) NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO payments (payer, amount)
  SELECT 'client ' || g, g * 10.5 FROM generate_series(1, 5) g;
SELECT jsonb_pretty(ledger.create_ledger('payments')) AS genesis_digest;
\d payments

\echo
\echo '== 3. Four concurrent clients insert 50 payments each (pgbench).'
\echo '      Writers never wait for each other: each transaction computes its'
\echo '      own Merkle root and writes one record at commit.'
\! pgbench -n -c 4 -j 2 -t 50 -f test/demo.d/insert_payment.sql > /dev/null
SELECT count(*) AS rows FROM payments;
SELECT count(*) AS transactions, count(*) FILTER (WHERE block_no IS NULL) AS not_yet_sealed
  FROM ledger.transaction_blocks;

\echo
\echo '== 4. The background sealer closes blocks off the commit path'
\echo '      (ledger.seal_interval = 200ms); ledger.seal() does it on demand.'
SELECT pg_sleep(1);
SELECT ledger.seal('payments') AS blocks_sealed_now;
SELECT block_no, tx_count, row_count, first_position + tx_count AS history_size,
       left(encode(block_hash, 'hex'), 16) AS block_hash, left(encode(prev_hash, 'hex'), 16) AS prev_hash
  FROM ledger.blocks ORDER BY block_no LIMIT 5;
\echo '      What a DBA watches: transactions waiting for a block, and since when.'
SELECT ledger, unsealed_transactions, seal_lag_seconds, last_block_no, sealed_transactions
  FROM ledger.sealing_status;

\echo
\echo '== 5. A digest: store it outside the database (here: a psql variable).'
SELECT ledger.digest('payments') AS digest \gset
\echo :digest

\echo
\echo '== 6. Verify recomputes rows -> transactions -> blocks -> chain -> digest.'
SELECT * FROM ledger.verify('payments', :'digest');

\echo
\echo '== 6b. An inclusion proof of one payment (O(log n) hashes up the history'
\echo '       tree to the digest), checked outside the database by'
\echo '       tools/ledger-audit inclusion (Python standard library only).'
\t on
\a
\o demo_proof.json
SELECT ledger.prove('payments', ledger_xact, ledger_seq) FROM payments WHERE id = 42;
\o demo_digest.json
SELECT :'digest';
\o
\a
\t off
\! python3 tools/ledger-audit inclusion demo_proof.json demo_digest.json
\! rm -f demo_proof.json demo_digest.json
\echo '       The proof holds no hash the verifier computes; hashes in base64:'
SELECT p->'proof_version' AS version, length(p::text) AS bytes,
       jsonb_array_length(p->'history'->'path') AS history_hashes, p->'block'->'tree_size' AS history_size
  FROM payments, LATERAL ledger.prove('payments', ledger_xact, ledger_seq) p WHERE id = 42;

\echo
\echo '== 7. History cannot be changed through SQL.'
\set ON_ERROR_STOP 0
UPDATE payments SET amount = 0 WHERE id = 1;
DELETE FROM payments WHERE id = 1;
TRUNCATE payments;
ALTER TABLE payments DROP COLUMN payer;
ALTER TABLE payments DISABLE TRIGGER ALL;
\set ON_ERROR_STOP 1

\echo
\echo '== 8. A superuser forces a change past every guard'
\echo '      (it disables the DDL guard, an event trigger, by name) ...'
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE payments DISABLE TRIGGER ALL;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
UPDATE payments SET amount = amount * 100 WHERE id = 3;
ALTER TABLE payments ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
  ENABLE ALWAYS TRIGGER ledger_append_only_row;
\echo '      ... and verify names the row:'
SELECT ok, problem FROM ledger.verify('payments', :'digest');

\echo
\echo '== 9. Rewriting the newest history consistently (rows, records and'
\echo '      blocks) fools a verify without a digest, but not one with it.'
CREATE TABLE audit (id int4, what text);
SELECT ledger.create_ledger('audit') IS NOT NULL AS created;
INSERT INTO audit VALUES (1, 'first');
SELECT ledger.digest('audit') AS audit_digest \gset
INSERT INTO audit VALUES (2, 'second');
SELECT (ledger.digest('audit'))->>'block' AS newest_block;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE audit DISABLE TRIGGER ALL;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
DELETE FROM audit;
DELETE FROM ledger.transactions WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'audit'::regclass);
DELETE FROM ledger.blocks WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'audit'::regclass) AND block_no > 0;
DELETE FROM ledger.history_tiles WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'audit'::regclass);
ALTER TABLE audit ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
  ENABLE ALWAYS TRIGGER ledger_append_only_row;
SELECT ok, problem FROM ledger.verify('audit') AS without_digest;
SELECT ok, problem FROM ledger.verify('audit', :'audit_digest') AS with_digest;

\echo
\echo '== 10. Signatures: Ed25519 (RFC 8032 section 7.1, TEST 1) through OpenSSL.'
SELECT ledger.verify_signature('ed25519',
  '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  '\x',
  '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b')
  AS rfc8032_test1_verifies;

\echo
\echo '== 11. Signed rows: a participant key made and used by the openssl'
\echo '       command line; the database refuses any row it did not sign.'
\! openssl genpkey -algorithm ed25519 -out demo_alice.pem 2>/dev/null
\set alice_pub `openssl pkey -in demo_alice.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64`
SELECT key_id, owner, algorithm FROM ledger.add_key('alice-2026', 'Alice Bank', 'ed25519', decode(:'alice_pub', 'hex'));
CREATE TABLE transfers (id int PRIMARY KEY, payer text, payee text, amount numeric(18,2),
                        key_id text, sig bytea);
SELECT ledger.create_ledger('transfers') IS NOT NULL AS is_ledger;
SELECT ledger.require_signatures('transfers', 'sig', 'key_id');
\echo '       The exact bytes Alice signs for her row:'
\t on
\a
\o demo_msg.hex
SELECT encode(ledger.signing_bytes('transfers', ROW(1, 'alice', 'bob', 250.00, 'alice-2026', NULL, NULL, NULL, NULL)::transfers), 'hex');
\o
\a
\t off
\! xxd -r -p demo_msg.hex > demo_msg.bin
\set alice_sig `openssl pkeyutl -sign -inkey demo_alice.pem -rawin -in demo_msg.bin | xxd -p -c 128`
INSERT INTO transfers (id, payer, payee, amount, key_id, sig)
VALUES (1, 'alice', 'bob', 250.00, 'alice-2026', decode(:'alice_sig', 'hex'));
\echo '       The same signature on a changed amount, and a replay, are refused:'
\set ON_ERROR_STOP 0
INSERT INTO transfers (id, payer, payee, amount, key_id, sig)
VALUES (2, 'alice', 'bob', 2500.00, 'alice-2026', decode(:'alice_sig', 'hex'));
INSERT INTO transfers (id, payer, payee, amount, key_id, sig)
VALUES (1, 'alice', 'bob', 250.00, 'alice-2026', decode(:'alice_sig', 'hex'));
\set ON_ERROR_STOP 1
SELECT ok, rows_checked, problem FROM ledger.verify('transfers');
\! rm -f demo_alice.pem demo_msg.hex demo_msg.bin

\echo
\echo '== 12. Margin: SPAN-style, portfolio and strategy-based requirements; a'
\echo '       margin call appended to a ledger and announced with NOTIFY.'
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan, short_option_minimum)
VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300),
       ('XYZ', 'equity', 100, 'physical', NULL, NULL, 0);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18), ('XYZ', 50, 0.30);
INSERT INTO ledger.margin_haircuts VALUES ('treasury', 0.02);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
  ('fund-a', 'ES', 'future', NULL, '2026-06-19', 10, NULL),
  ('fund-b', 'XYZ', 'call', 50, '2026-06-19', -5, 1.00),
  ('fund-b', 'XYZ', 'stock', NULL, NULL, 500, NULL);
INSERT INTO ledger.margin_collateral VALUES ('fund-a', 'USD', 'cash', 10000), ('fund-a', 'UST', 'treasury', 20000),
  ('fund-b', 'USD', 'cash', 100000);
SELECT account, round(span_total) AS span, round(portfolio_requirement) AS portfolio, round(strategy_requirement) AS strategy,
       round(requirement) AS requirement, round(collateral_after_haircut) AS collateral,
       round(net_option_value) AS options, round(excess) AS excess
  FROM ledger.margin_requirements('2026-03-20') ORDER BY account;
LISTEN ledger_margin_call;
SELECT ledger.run_margin_calls('2026-03-20 21:00+00') AS new_calls;
SELECT ledger.run_margin_calls('2026-03-20 21:00+00') AS new_calls_on_rerun;
SELECT account, deficit, figures->>'span_total' AS span_total FROM ledger.margin_calls;
SELECT ok, rows_checked FROM ledger.verify('ledger.margin_calls');

\echo
\echo '== 13. Pricing in plain SQL: Black-Scholes-Merton, Greeks, implied vol.'
\echo '      (Haug, The Complete Guide to Option Pricing Formulas, 2nd ed., p. 3:'
\echo '       call S=60 K=65 T=0.25 r=8% sigma=30% -> 2.1334)'
SELECT round(ledger.bsm_price('call', 60, 65, 0.25, 0.08, 0, 0.30)::numeric, 4) AS haug_call;
SELECT (g).* FROM (SELECT ledger.bsm_greeks('call', 60, 65, 0.25, 0.08, 0, 0.30) AS g) s;
SELECT ledger.bsm_implied_vol('call', ledger.bsm_price('call', 60, 65, 0.25, 0.08, 0, 0.30), 60, 65, 0.25, 0.08, 0) AS implied_vol_round_trip;
\echo '      A book of options, all its Greeks through LATERAL (one call a row, run'
\echo '      by ledger\'s scan node, "Custom Scan (LedgerPricingScan)"):'
CREATE TEMP TABLE demo_positions (book text, kind text, qty float8, s float8, k float8,
  t float8, r float8, q float8, sigma float8);
INSERT INTO demo_positions VALUES
  ('equity', 'call', 100, 60, 65, 0.25, 0.08, 0, 0.30),
  ('equity', 'put', -50, 60, 55, 0.50, 0.08, 0, 0.28),
  ('fx', 'call', 1000, 1.08, 1.10, 1.0, 0.04, 0.03, 0.08);
SELECT p.book, round(sum(p.qty * g.price)::numeric, 2) AS value,
       round(sum(p.qty * g.delta)::numeric, 2) AS delta,
       round(sum(p.qty * g.gamma)::numeric, 4) AS gamma,
       round(sum(p.qty * g.vega / 100)::numeric, 2) AS vega_per_vol_point
  FROM demo_positions p,
       LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.sigma) g
 GROUP BY p.book ORDER BY p.book;

\echo
\echo '== 14. Sync between institutions: this database (bank A) publishes its'
\echo '       ledger; a second database (bank B; in practice another server)'
\echo '       subscribes.  B copies and verifies A\'s history under the snapshot'
\echo '       of its new replication slot, then verifies every row, transaction'
\echo '       record and block as it arrives.'
CREATE TABLE settlements (id int PRIMARY KEY, counterparty text, amount numeric(18,2));
SELECT ledger.create_ledger('settlements') IS NOT NULL AS is_ledger;
INSERT INTO settlements VALUES (1, 'bank B', 1000.00), (2, 'bank C', 250.00);
SELECT ledger.create_publication('bank_a_ledgers', ARRAY['settlements'::regclass]);
\getenv pghost PGHOST
\getenv pgport PGPORT
CREATE DATABASE bank_b;
\c bank_b
CREATE EXTENSION ledger;
SELECT ledger.create_subscription('bank_b_from_a',
  format('host=%s port=%s dbname=demo', :'pghost', :'pgport'), 'bank_a_ledgers') AS ledgers_replicated;
\c demo
INSERT INTO settlements VALUES (3, 'bank B', 75.50);
SELECT ledger.digest('settlements') AS a_digest \gset
\c bank_b
\echo '       B waits until A\'s newest block has arrived and been verified:'
CREATE FUNCTION pg_temp.wait_for_block(hash text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. 600 LOOP
    IF EXISTS (SELECT 1 FROM ledger.blocks WHERE block_hash = decode(hash, 'hex')) THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT pg_temp.wait_for_block(:'a_digest'::jsonb->>'block_hash') AS arrived;
SELECT * FROM settlements ORDER BY id;
SELECT ledger.digest('settlements') = :'a_digest'::jsonb AS same_digest_as_bank_a;
SELECT ok, rows_checked, blocks_checked FROM ledger.verify('settlements', :'a_digest');
SELECT role, peer, state, verified_block FROM ledger.replication_status;
\echo '       A replica is read-only:'
\set ON_ERROR_STOP 0
INSERT INTO settlements VALUES (4, 'bank B', 1.00);
\set ON_ERROR_STOP 1
\echo '       A superuser at bank A rewrites a settlement past every guard; the'
\echo '       change travels to B, is refused on arrival and stops the'
\echo '       subscription; B keeps what it verified:'
\c demo
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE settlements DISABLE TRIGGER ALL;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
UPDATE settlements SET amount = 1.00 WHERE id = 1;
ALTER TABLE settlements ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
  ENABLE ALWAYS TRIGGER ledger_append_only_row;
\c bank_b
CREATE FUNCTION pg_temp.wait_for_refusal() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. 600 LOOP
    IF NOT (SELECT subenabled FROM pg_subscription WHERE subname = 'bank_b_from_a') THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT pg_temp.wait_for_refusal() AS subscription_stopped;
SELECT state, last_error FROM ledger.replication_status;
SELECT id, amount FROM settlements WHERE id = 1;
SELECT ledger.drop_subscription('bank_b_from_a');
\c demo
DROP DATABASE bank_b;

\echo
\echo '== 15. Audit: history only ever appended, and checkpoints signed outside'
\echo '       the database; an auditor checks both offline with tools/ledger-audit.'
CREATE TABLE trades (id int PRIMARY KEY, isin text, qty int);
SELECT ledger.create_ledger('trades') IS NOT NULL AS is_ledger;
INSERT INTO trades VALUES (1, 'US0378331005', 100);
INSERT INTO trades VALUES (2, 'DE0007164600', -50);
SELECT ledger.digest('trades') AS old_digest \gset
INSERT INTO trades SELECT g, 'GB0002634946', g FROM generate_series(3, 40) g;
INSERT INTO trades VALUES (41, 'FR0000120271', 7);
SELECT ledger.digest('trades') AS new_digest \gset
SELECT (:'old_digest'::jsonb)->>'tree_size' AS old_size, (:'new_digest'::jsonb)->>'tree_size' AS new_size;
\echo '       The newer digest extends the older one (RFC 9162 consistency proof):'
\t on
\a
\o demo_consistency.json
SELECT ledger.consistency_proof('trades', :'old_digest', :'new_digest');
\o demo_old.json
SELECT :'old_digest';
\o demo_new.json
SELECT :'new_digest';
\o
\a
\t off
\! python3 tools/ledger-audit consistency demo_consistency.json demo_old.json demo_new.json
\echo '       Bank A registers the public half of its checkpoint key (the private'
\echo '       key stays in a file here, in an HSM in practice), makes a checkpoint'
\echo '       (C2SP signed-note text), signs it outside and stores the signature,'
\echo '       which the database checks before keeping it:'
\! openssl genpkey -algorithm ed25519 -out demo_cp.pem 2>/dev/null
\set cp_pub `openssl pkey -in demo_cp.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64`
SELECT (ledger.add_key('bank-a-cp-2026', 'bank-a', 'ed25519', decode(:'cp_pub', 'hex'))).key_id;
SELECT ledger.set_institution('bank-a.example', 'bank-a-cp-2026');
\t on
\a
\o demo_note.txt
SELECT ledger.checkpoint('trades');
\o
\a
\t off
\! cat demo_note.txt
\set cp_size `sed -n 2p demo_note.txt`
\set cp_line `python3 tools/ledger-audit sign demo_note.txt demo_cp.pem`
SELECT ledger.add_checkpoint_signature('trades', :cp_size, :'cp_line') AS signed_note;
SELECT ledger, tree_size, signed_by, quorum_reached FROM ledger.checkpoint_status;
\echo '       The auditor holds bank A''s verifier key and checks the signed note'
\echo '       (psql adds a newline after a value: head -c -1 takes it off):'
\! psql -XAtc "SELECT ledger.signed_checkpoint('trades')" | head -c -1 > demo_signed.txt
\! python3 tools/ledger-audit verifier-key --name "$(head -1 demo_note.txt)" demo_cp.pem > demo_keys.txt
\! python3 tools/ledger-audit checkpoint demo_signed.txt demo_keys.txt
\! rm -f demo_consistency.json demo_old.json demo_new.json demo_cp.pem demo_note.txt demo_signed.txt demo_keys.txt

\echo
\echo '== Done.'
