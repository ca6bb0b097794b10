-- Ledger tables refuse what would rewrite history.
CREATE EXTENSION IF NOT EXISTS ledger;
\set VERBOSITY terse
CREATE TABLE g (id int4, memo text, amount numeric);
SELECT (ledger.create_ledger('g'))->>'block' AS genesis;
INSERT INTO g VALUES (1, 'a', 1), (2, 'b', 2);

-- UPDATE, DELETE, TRUNCATE: SQLSTATE 23000, constraint g_append_only
UPDATE g SET amount = 0;
\echo :LAST_ERROR_SQLSTATE
UPDATE g SET amount = 0 WHERE false;
DELETE FROM g WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE g;
\echo :LAST_ERROR_SQLSTATE
-- ... also in replica mode, which switches ordinary triggers off
SET session_replication_role = replica;
UPDATE g SET amount = 0;
DELETE FROM g;
RESET session_replication_role;
-- the constraint name reaches clients
DO $$
DECLARE c text; t text; d text;
BEGIN
  DELETE FROM g;
EXCEPTION WHEN integrity_constraint_violation THEN
  GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME, t = TABLE_NAME, d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'constraint %, table %: %', c, t, d;
END $$;

-- DDL that would change how stored rows hash is refused (0A000)
\set VERBOSITY default
ALTER TABLE g DROP COLUMN memo;
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE g RENAME COLUMN memo TO note;
ALTER TABLE g ALTER COLUMN amount TYPE float8;
ALTER TABLE g ALTER COLUMN id TYPE int8;
ALTER TABLE g DROP COLUMN ledger_hash;
ALTER TABLE g RENAME COLUMN ledger_seq TO s;
ALTER TABLE g ADD COLUMN filled text DEFAULT 'x';
ALTER TABLE g ADD COLUMN pt point;
ALTER TABLE g DISABLE TRIGGER ALL;
ALTER TABLE g DISABLE TRIGGER zz_ledger_row;
-- (ENABLE without ALWAYS is refused since 2026-12-05: a session in replica
-- mode then wrote around the triggers; pg_restore creates them that way and
-- then makes them ALWAYS, which passes)
ALTER TABLE g ENABLE TRIGGER zz_ledger_row;
ALTER TABLE g ENABLE ALWAYS TRIGGER zz_ledger_row;
ALTER TABLE g ENABLE REPLICA TRIGGER ledger_append_only;
DROP TRIGGER zz_ledger_row ON g;
ALTER TRIGGER zz_ledger_row ON g RENAME TO other;
\set VERBOSITY default
-- with a reason of its own (it said to add a column instead of retyping one)
ALTER TABLE g SET UNLOGGED;
\set VERBOSITY terse
CREATE RULE g_divert AS ON INSERT TO g DO INSTEAD NOTHING;
DROP TABLE g;
\echo :LAST_ERROR_SQLSTATE

-- what does not touch history is allowed
ALTER TABLE g ADD COLUMN note text;
ALTER TABLE g RENAME TO g2;
ALTER TABLE g2 RENAME TO g;
CREATE INDEX g_id ON g (id);
COMMENT ON TABLE g IS 'a ledger';
GRANT SELECT ON g TO PUBLIC;
INSERT INTO g (id, memo, amount, note) VALUES (3, 'c', 3, 'with note');
SELECT ok, rows_checked, problem FROM ledger.verify('g');

-- the types and collations a ledger's columns name, and their schemas, keep
-- their names: the recorded column definitions name them and the guard
-- compares names (until 2026-12-06 such a rename passed; every later ALTER
-- TABLE of the ledger was then refused, and a dump restored it without its
-- triggers)
CREATE SCHEMA gdom;
CREATE DOMAIN gdom.amount AS numeric(12,2);
CREATE COLLATION gdom.gcoll FROM "C";
CREATE SCHEMA gcs;
CREATE COLLATION gcs.gcoll2 FROM "C";
CREATE TABLE gn (id int4, amt gdom.amount, memo text COLLATE gdom.gcoll,
                 note text COLLATE gcs.gcoll2);
SELECT (ledger.create_ledger('gn'))->>'block' AS genesis;
INSERT INTO gn VALUES (1, 10, 'a', 'b');
\set VERBOSITY default
ALTER DOMAIN gdom.amount RENAME TO amount_eur;
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
ALTER TYPE gdom.amount RENAME TO amount_eur;
ALTER DOMAIN gdom.amount SET SCHEMA gcs;
ALTER TYPE gdom.amount SET SCHEMA gcs;
ALTER COLLATION gdom.gcoll RENAME TO gcoll_c;
ALTER COLLATION gdom.gcoll SET SCHEMA gcs;
\set VERBOSITY default
ALTER SCHEMA gdom RENAME TO gdom2;
ALTER SCHEMA gcs RENAME TO gcs2;
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
-- a rename made past the guard (a superuser disabled it) breaks the
-- ledger's DDL, and can be undone
ALTER EVENT TRIGGER ledger_guard_replica_rename DISABLE;
ALTER DOMAIN gdom.amount RENAME TO amount_eur;
ALTER EVENT TRIGGER ledger_guard_replica_rename ENABLE ALWAYS;
\set VERBOSITY default
ALTER TABLE gn ADD COLUMN extra text;
\set VERBOSITY terse
ALTER DOMAIN gdom.amount_eur RENAME TO amount;
-- what no ledger column names can be renamed and moved, and so can a
-- ledger and its schema that holds none of them
CREATE DOMAIN gdom.spare AS int4;
ALTER DOMAIN gdom.spare RENAME TO spare2;
ALTER TYPE gdom.spare2 SET SCHEMA gcs;
CREATE COLLATION gdom.spare_coll FROM "C";
ALTER COLLATION gdom.spare_coll RENAME TO spare_coll2;
ALTER DOMAIN gdom.amount ADD CONSTRAINT amount_not_negative CHECK (VALUE >= 0);
ALTER DOMAIN gdom.amount RENAME CONSTRAINT amount_not_negative TO amount_sign;
CREATE SCHEMA gled;
CREATE TABLE gled.t (id int4, amt gdom.amount);
SELECT (ledger.create_ledger('gled.t'))->>'block' AS genesis;
ALTER TABLE gled.t RENAME TO t2;
ALTER SCHEMA gled RENAME TO gled2;
ALTER TABLE gn ADD COLUMN extra text;
INSERT INTO gn (id, amt, memo, note, extra) VALUES (2, 20, 'c', 'd', 'e');
SELECT ok, rows_checked FROM ledger.verify('gn');
SELECT ledger.drop_ledger('gn'), ledger.drop_ledger('gled2.t2');
DROP SCHEMA gdom, gcs, gled2 CASCADE;

-- user triggers: fine if they fire before the ledger's row trigger ...
CREATE FUNCTION g_upper() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.memo := upper(NEW.memo); RETURN NEW; END $$;
CREATE TRIGGER a_upper BEFORE INSERT ON g FOR EACH ROW EXECUTE FUNCTION g_upper();
INSERT INTO g (id, memo, amount) VALUES (4, 'lower', 4);
SELECT memo FROM g WHERE id = 4;
SELECT ok, problem FROM ledger.verify('g');
-- ... and refused when created if they would change rows after hashing
CREATE TRIGGER zzz_late BEFORE INSERT ON g FOR EACH ROW EXECUTE FUNCTION g_upper();
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER a_upper ON g;
DROP FUNCTION g_upper();

-- session_replication_role = replica does not switch the guards off: they
-- are event triggers enabled ALWAYS, like the ledger's own triggers (until
-- 0.2.0 a role or database given the setting by a superuser could drop or
-- unguard its ledgers)
SET session_replication_role = replica;
ALTER TABLE g DISABLE TRIGGER ALL;
DROP TABLE g;
RESET session_replication_role;
SELECT evtname, evtenabled FROM pg_event_trigger WHERE evtname LIKE 'ledger%' ORDER BY 1;
-- the guards' functions are event triggers, not callable from SQL
SELECT ledger._guard_subscription_enable();
SELECT ledger._guard_replica_rename();

-- a superuser can force a change past the guards, by disabling them by
-- name; verify catches it
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE g DISABLE TRIGGER ALL;
UPDATE g SET amount = 1000 WHERE id = 2;
ALTER TABLE g ENABLE ALWAYS TRIGGER zz_ledger_row;
ALTER TABLE g ENABLE ALWAYS TRIGGER ledger_append_only;
ALTER TABLE g ENABLE ALWAYS TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
SELECT ok, regexp_replace(problem, 'transaction \d+', 'transaction N') AS problem FROM ledger.verify('g');

-- renumbering rows while keeping their order is caught too: in row format 2
-- a row's transaction and sequence number are part of its hashed bytes
CREATE TABLE rn (id int4, memo text);
SELECT (ledger.create_ledger('rn'))->>'format_version' AS block_format;
SELECT format_version AS row_format FROM ledger.ledgers WHERE relation = 'rn'::regclass;
BEGIN;
INSERT INTO rn VALUES (1, 'a');
SAVEPOINT s; INSERT INTO rn VALUES (2, 'rolled back'); ROLLBACK TO SAVEPOINT s;
INSERT INTO rn VALUES (3, 'c');
COMMIT;
SELECT id, ledger_seq FROM rn ORDER BY ledger_seq;
SELECT ok FROM ledger.verify('rn');
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE rn DISABLE TRIGGER ledger_append_only, DISABLE TRIGGER ledger_append_only_row;
UPDATE rn SET ledger_seq = 1 WHERE id = 3;
ALTER TABLE rn ENABLE ALWAYS TRIGGER ledger_append_only, ENABLE ALWAYS TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
SELECT ok, regexp_replace(problem, 'transaction \d+', 'transaction N') AS problem FROM ledger.verify('rn');
SELECT ledger.drop_ledger('rn');

-- a superuser's edit of a stored hash into something that is not one (a
-- NULL, or not 32 bytes): verify reports it, in both forms, and never
-- raises (until 2026-12-06 it failed with XX001 "stored hash is not 32
-- bytes long", and digest() handed out "root": "00"); each edit in a
-- transaction rolled back
CREATE TABLE mh (id int4, memo text);
SELECT (ledger.create_ledger('mh'))->>'block' AS genesis;
INSERT INTO mh VALUES (1, 'a'), (2, 'b');
SELECT ledger.seal('mh') >= 0 AS sealed;
INSERT INTO mh VALUES (3, 'c');
SELECT ledger.seal('mh') >= 0 AS sealed;
CREATE TABLE mh_kept AS SELECT ledger.digest('mh') AS d;
CREATE FUNCTION mh_edit(tbl text, col text, val bytea, cond text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE ledger.%I c SET %I = $1 FROM ledger.ledgers l '
                 'WHERE l.ledger_id = c.ledger_id AND l.relation = ''mh''::regclass AND %s',
                 tbl, col, cond) USING val;
END $$;
CREATE VIEW mh_verify AS
  SELECT v.ok, w.ok AS ok_with_digest, v.problem = w.problem AS same_problem,
         regexp_replace(v.problem, 'transaction \d+', 'transaction N') AS problem
  FROM ledger.verify('mh') v, ledger.verify('mh', (SELECT d FROM mh_kept)) w;
BEGIN; SELECT mh_edit('blocks', 'root', '\x00', 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'root', sha256('x') || '\x00', 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'prev_hash', '\x00', 'block_no = 2');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'prev_hash', sha256('x') || '\x00', 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'block_hash', '\x00', 'block_no = 2');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'block_hash', sha256('x') || '\x00', 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'tree_root', '\x00', 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'tree_root', sha256('x') || '\x00', 'block_no = 2');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'tree_root', NULL, 'block_no = 1');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('transactions', 'root', '\x00', 'xact_id = (SELECT ledger_xact FROM mh WHERE id = 3)');
SELECT * FROM mh_verify; ROLLBACK;
BEGIN; SELECT mh_edit('transactions', 'root', sha256('x') || '\x00', 'xact_id = (SELECT ledger_xact FROM mh WHERE id = 1)');
SELECT * FROM mh_verify; ROLLBACK;
-- the catalog's NOT NULL hash columns, with the constraint dropped
BEGIN;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE ledger.blocks ALTER COLUMN root DROP NOT NULL;
ALTER TABLE ledger.transactions ALTER COLUMN root DROP NOT NULL;
SAVEPOINT s;
SELECT mh_edit('blocks', 'root', NULL, 'block_no = 2');
SELECT * FROM mh_verify;
ROLLBACK TO SAVEPOINT s;
SELECT mh_edit('transactions', 'root', NULL, 'xact_id = (SELECT ledger_xact FROM mh WHERE id = 1)');
SELECT * FROM mh_verify;
ROLLBACK;
-- a row's ledger_hash
BEGIN;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE mh DISABLE TRIGGER ALL;
SAVEPOINT s;
UPDATE mh SET ledger_hash = '\x00' WHERE id = 2;
SELECT * FROM mh_verify;
ROLLBACK TO SAVEPOINT s;
UPDATE mh SET ledger_hash = ledger_hash || '\x00' WHERE id = 2;
SELECT * FROM mh_verify;
ROLLBACK;
-- digest() names the newest block's hash, root and history root: one that
-- is not a hash is refused (XX001), not handed out; prove() and
-- consistency_proof() raise XX001 and send to verify, which reports it
\set VERBOSITY default
BEGIN; SELECT mh_edit('blocks', 'root', '\x00', 'block_no = 2');
SELECT ledger.digest('mh'); ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'tree_root', NULL, 'block_no = 2');
SELECT ledger.digest('mh'); ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'block_hash', sha256('x') || '\x00', 'block_no = 2');
SELECT ledger.digest('mh'); ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'root', '\x00', 'block_no = 1');
SELECT ledger.prove('mh', (SELECT ledger_xact FROM mh WHERE id = 1), 0); ROLLBACK;
BEGIN; SELECT mh_edit('blocks', 'tree_root', '\x00', 'block_no = 2');
SELECT ledger.consistency_proof('mh', (SELECT d FROM mh_kept)); ROLLBACK;
\set VERBOSITY terse
SELECT ok, problem FROM ledger.verify('mh', (SELECT d FROM mh_kept));
DROP VIEW mh_verify;
DROP FUNCTION mh_edit(text, text, bytea, text);
DROP TABLE mh_kept;
SELECT ledger.drop_ledger('mh');

-- a superuser can drop a ledger on purpose, with its history
SELECT ledger.drop_ledger('g');
SELECT count(*) AS left_behind FROM ledger.ledgers WHERE name = 'public.g';
SELECT to_regclass('g') IS NULL AS dropped;

-- the extension's own tables and indexes (review of 2026-12-06): SET
-- UNLOGGED lost the history at a crash, OWNER TO let a role that is not a
-- superuser delete history records, a renamed index broke ledger calls
ALTER TABLE ledger.transactions SET UNLOGGED;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
ALTER TABLE ledger.blocks SET UNLOGGED;
ALTER TABLE ledger.ledgers SET UNLOGGED;
ALTER TABLE ledger.seal_queue SET LOGGED;
ALTER TABLE ledger.transactions OWNER TO pg_monitor;
ALTER INDEX ledger.transactions_pkey RENAME TO tp2;
ALTER TABLE ledger.transactions_pkey RENAME TO tp2;
ALTER TABLE ledger.transactions RENAME TO t2;
ALTER TABLE ledger.transactions RENAME COLUMN ledger_id TO l2;
ALTER TABLE ledger.transactions RENAME CONSTRAINT transactions_pkey TO tp2;
ALTER TABLE ledger.transactions SET SCHEMA public;
ALTER TABLE ledger.transactions ADD COLUMN extra int;
ALTER TABLE ledger.transactions DROP COLUMN row_count;
ALTER TABLE ledger.transactions ALTER COLUMN row_count TYPE int4;
ALTER TABLE ledger.ledgers REPLICA IDENTITY FULL;
SET search_path = ledger, public;
ALTER TABLE transactions SET UNLOGGED;
RESET search_path;
\set VERBOSITY default
SELECT c.relname, c.relpersistence, pg_catalog.pg_get_userbyid(c.relowner) = current_user AS owner_kept
FROM pg_catalog.pg_class c
WHERE c.relnamespace = 'ledger'::regnamespace
  AND c.relname IN ('transactions', 'transactions_pkey', 'blocks', 'ledgers', 'seal_queue')
ORDER BY 1;
-- what keeps the data as it is stays allowed
ALTER TABLE ledger.transactions SET (fillfactor = 90);
ALTER TABLE ledger.transactions RESET (fillfactor);
ALTER TABLE ledger.transactions SET TABLESPACE pg_default;
ALTER TABLE ledger.transactions ALTER COLUMN ledger_id SET STATISTICS 200;
ALTER TABLE ledger.transactions ALTER COLUMN ledger_id SET STATISTICS -1;
ALTER TABLE ledger.transactions CLUSTER ON transactions_pkey;
ALTER TABLE ledger.transactions SET WITHOUT CLUSTER;
ALTER INDEX ledger.transactions_pkey SET TABLESPACE pg_default;
ALTER INDEX ledger.transactions_pkey SET (fillfactor = 90);
ALTER INDEX ledger.transactions_pkey RESET (fillfactor);
CREATE INDEX guard_extra ON ledger.transactions (ledger_id);
DROP INDEX ledger.guard_extra;
VACUUM ledger.transactions;
CLUSTER ledger.blocks USING blocks_pkey;
REINDEX TABLE ledger.transactions;
-- and a table of another schema is altered as before
CREATE TABLE not_ours (id int);
ALTER TABLE not_ours SET UNLOGGED;
ALTER TABLE not_ours RENAME TO not_ours2;
DROP TABLE not_ours2;

-- ===================================================================
-- The sealer's work list takes entries from the extension only
-- (src/sealer.c, ledger_seal_queue_guard).  bench/proofs.sh loaded
-- records by a statement (the rebuild then listed and sealed them) and
-- listed them by hand again: seal() sealed those transactions into second
-- blocks and verify failed ("transaction ... is listed by blocks 101 and
-- 1001"; found on 2026-12-06).
-- ===================================================================
CREATE TABLE gq (id bigint PRIMARY KEY, v text NOT NULL);
SELECT ledger.create_ledger('gq') IS NOT NULL AS created;
-- two transactions of rows loaded as a restore or the proofs bench loads them
SELECT pg_catalog.setval('ledger.transaction_id_seq',
       pg_catalog.nextval('ledger.transaction_id_seq') + 4) - 4 AS base \gset
INSERT INTO gq (id, v, ledger_xact, ledger_seq, ledger_hash)
SELECT g, 'v' || g, :base + g, 0,
       ledger.leaf_hash(ROW(g, 'v' || g, NULL, NULL, NULL)::gq, :base + g, 0)
  FROM pg_catalog.generate_series(1, 2) g;
INSERT INTO ledger.transactions (ledger_id, xact_id, row_count, root, committed_at)
SELECT l.ledger_id, t.ledger_xact, 1, t.ledger_hash, '2026-01-01 00:00+00'::timestamptz + t.id * interval '1 s'
  FROM gq t, ledger.ledgers l WHERE l.relation = 'gq'::regclass;
-- the rebuild lists them, seal() seals them
SELECT ledger.seal('gq') >= 0 AS sealed;
SELECT count(*) AS unsealed FROM ledger.transaction_blocks tb, ledger.ledgers l
 WHERE l.relation = 'gq'::regclass AND tb.ledger_id = l.ledger_id AND tb.block_no IS NULL;
-- listing them again is refused, by INSERT, COPY and UPDATE, and in replica mode too
INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid)
SELECT t.ledger_id, t.xact_id, t.ctid FROM ledger.transactions t, ledger.ledgers l
 WHERE l.relation = 'gq'::regclass AND t.ledger_id = l.ledger_id;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
COPY ledger.seal_queue FROM STDIN;
1	1	(0,1)
\.
UPDATE ledger.seal_queue SET xact_id = xact_id WHERE false;
SET session_replication_role = replica;
INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid)
SELECT t.ledger_id, t.xact_id, t.ctid FROM ledger.transactions t, ledger.ledgers l
 WHERE l.relation = 'gq'::regclass AND t.ledger_id = l.ledger_id;
RESET session_replication_role;
-- so nothing is sealed twice: the next two transactions, loaded alike
INSERT INTO gq (id, v, ledger_xact, ledger_seq, ledger_hash)
SELECT g, 'v' || g, :base + g, 0,
       ledger.leaf_hash(ROW(g, 'v' || g, NULL, NULL, NULL)::gq, :base + g, 0)
  FROM pg_catalog.generate_series(3, 4) g;
INSERT INTO ledger.transactions (ledger_id, xact_id, row_count, root, committed_at)
SELECT l.ledger_id, t.ledger_xact, 1, t.ledger_hash, '2026-01-01 00:00+00'::timestamptz + t.id * interval '1 s'
  FROM gq t, ledger.ledgers l WHERE l.relation = 'gq'::regclass AND t.id > 2;
SELECT ledger.seal('gq') >= 0 AS sealed;
SELECT ok, rows_checked, transactions_checked, problem FROM ledger.verify('gq');
-- each of the four transactions in exactly one block
SELECT count(*) AS listed, count(DISTINCT x) AS distinct_listed
  FROM ledger.blocks b, ledger.ledgers l, pg_catalog.unnest(b.xact_ids) x
 WHERE l.relation = 'gq'::regclass AND b.ledger_id = l.ledger_id;
-- the guard stays as made: not disabled, nor made to fire on origin only
ALTER TABLE ledger.seal_queue DISABLE TRIGGER seal_queue_guard;
ALTER TABLE ledger.seal_queue ENABLE TRIGGER seal_queue_guard;
SELECT tgenabled FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'ledger.seal_queue'::regclass AND tgname = 'seal_queue_guard';
-- taking entries off stays allowed (the rebuild lists them again)
DELETE FROM ledger.seal_queue WHERE false;
TRUNCATE ledger.seal_queue;
SELECT ledger.drop_ledger('gq');
