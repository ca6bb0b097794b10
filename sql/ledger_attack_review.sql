-- Ways around the guards found by the attack review of 2026-12-04, each by
-- the table's owner (not a superuser).  Before the fixes: the owner dropped
-- a ledger table with its history (made a member of an extension it then
-- dropped), removed the ledger's triggers the same way (ALTER TRIGGER ...
-- DEPENDS ON EXTENSION) and then updated, deleted and truncated rows,
-- retyped a ledger's columns through its row type (ALTER TABLE ... OF, then
-- ALTER TYPE ... CASCADE), made a ledger with rows hidden by row-level
-- security a signed ledger, stalled the sealing of the whole database with
-- an advisory lock, and was refused every DDL on a ledger with a collation
-- of its own.
\set VERBOSITY terse
CREATE ROLE review_owner;
GRANT CREATE ON SCHEMA public TO review_owner;
GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass),
  ledger.require_signatures(regclass, name, name) TO review_owner;
SELECT format('GRANT CREATE ON DATABASE %I TO review_owner', current_database()) \gexec
SET ROLE review_owner;

-- 1. a ledger table made a member of another extension, to be dropped with it
CREATE TABLE pay (id int4 PRIMARY KEY, memo text);
INSERT INTO pay VALUES (1, 'genesis');
SELECT (ledger.create_ledger('pay'))->>'rows' AS genesis_rows;
INSERT INTO pay VALUES (2, 'second');
CREATE EXTENSION citext;
ALTER EXTENSION citext ADD TABLE pay;
\echo :LAST_ERROR_SQLSTATE
-- a member of an extension cannot become a ledger
CREATE TABLE pay_member (id int4, memo text);
ALTER EXTENSION citext ADD TABLE pay_member;
SELECT ledger.create_ledger('pay_member');
\echo :LAST_ERROR_SQLSTATE
ALTER EXTENSION citext DROP TABLE pay_member;
SELECT (ledger.create_ledger('pay_member'))->>'rows' AS genesis_rows;
INSERT INTO pay_member VALUES (1, 'kept');
-- and one made a member past the event triggers (a superuser disabled the
-- DDL guard) is not dropped with the extension: the sql_drop guard refuses
-- it, for any extension but ledger itself
RESET ROLE;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EXTENSION citext ADD TABLE pay_member;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
SET ROLE review_owner;
DROP EXTENSION citext;
\echo :LAST_ERROR_SQLSTATE
SELECT to_regclass('pay_member') IS NOT NULL AS still_there;
RESET ROLE;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EXTENSION citext DROP TABLE pay_member;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
-- the owner with session_replication_role = replica (which a superuser may
-- give a role: ALTER ROLE ... SET, for loading data without foreign-key
-- checks; here set before SET ROLE): the guards are event triggers enabled
-- ALWAYS and still refuse.  Until 0.2.0 they did not fire, and the owner
-- dropped the ledger, disabled its triggers or made it a member.
SET session_replication_role = replica;
SET ROLE review_owner;
DROP TABLE pay_member;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE pay_member DISABLE TRIGGER ALL;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE pay_member ALTER COLUMN memo TYPE varchar(100);
\echo :LAST_ERROR_SQLSTATE
ALTER EXTENSION citext ADD TABLE pay_member;
\echo :LAST_ERROR_SQLSTATE
SELECT to_regclass('pay_member') IS NOT NULL AS still_there;
RESET ROLE;
RESET session_replication_role;
SET ROLE review_owner;

-- 2. the ledger's triggers made to depend on an extension
CREATE EXTENSION hstore;
ALTER TRIGGER zz_ledger_row ON pay DEPENDS ON EXTENSION hstore;
\echo :LAST_ERROR_SQLSTATE
ALTER TRIGGER ledger_append_only ON pay DEPENDS ON EXTENSION hstore;
\echo :LAST_ERROR_SQLSTATE
ALTER TRIGGER ledger_append_only_row ON pay DEPENDS ON EXTENSION hstore;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION hstore;
SELECT count(*) AS ledger_triggers FROM pg_trigger WHERE tgrelid = 'pay'::regclass;
UPDATE pay SET memo = 'changed' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM pay WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE

-- 3. a ledger's columns retyped through its row type
CREATE TABLE typed (id int4, memo text, amount numeric(18,2), code varchar(3));
INSERT INTO typed VALUES (1, 'one', 1, 'USD');
SELECT (ledger.create_ledger('typed'))->>'rows' AS genesis_rows;
CREATE TYPE typed_row AS (id int4, memo text, amount numeric(18,2), code varchar(3),
                          ledger_xact int8, ledger_seq int8, ledger_hash bytea);
ALTER TABLE typed OF typed_row;
ALTER TYPE typed_row ALTER ATTRIBUTE amount TYPE numeric CASCADE;
\echo :LAST_ERROR_SQLSTATE
ALTER TYPE typed_row ALTER ATTRIBUTE code TYPE varchar(50) CASCADE;
\echo :LAST_ERROR_SQLSTATE
ALTER TYPE typed_row RENAME ATTRIBUTE memo TO note CASCADE;
\echo :LAST_ERROR_SQLSTATE
ALTER TYPE typed_row ADD ATTRIBUTE p point CASCADE;
\echo :LAST_ERROR_SQLSTATE
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'typed'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
-- what the guard allows on a typed ledger's type: a new nullable attribute
ALTER TYPE typed_row ADD ATTRIBUTE extra text CASCADE;
SELECT $$ok$$ AS added;
INSERT INTO typed (id, memo, amount, code, extra) VALUES (2, 'two', 2, 'EUR', 'x');

-- 4. rows hidden from require_signatures by row-level security
CREATE TABLE sl (id int PRIMARY KEY, payer text, amount numeric, key_id text, sig bytea);
SELECT (ledger.create_ledger('sl'))->>'rows' AS genesis_rows;
INSERT INTO sl VALUES (1, 'mallory', 1000000, 'no-such-key', '\x00');
ALTER TABLE sl ENABLE ROW LEVEL SECURITY;
ALTER TABLE sl FORCE ROW LEVEL SECURITY;
CREATE POLICY hide ON sl USING (false);
SELECT count(*) AS rows_visible_to_owner FROM sl;
SELECT ledger.require_signatures('sl', 'sig', 'key_id');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS signed FROM ledger.signed_ledgers WHERE ledger_id =
  (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'sl'::regclass);

-- 5. a ledger whose column has a collation of the owner's, made with that
-- collation's schema on the search_path: later DDL is judged like any other
CREATE COLLATION review_ci (provider = icu, locale = 'und');
CREATE TABLE col (id int, note text COLLATE review_ci);
SELECT (ledger.create_ledger('col'))->>'rows' AS genesis_rows;
SELECT shape FROM ledger.ledgers WHERE relation = 'col'::regclass;
ALTER TABLE col ADD COLUMN extra text;
ALTER TABLE col RENAME TO col2;
SELECT attname FROM pg_attribute WHERE attrelid = 'col2'::regclass AND attnum > 0
  AND NOT attisdropped ORDER BY attnum;
ALTER TABLE col2 ALTER COLUMN note TYPE text COLLATE "C";
\echo :LAST_ERROR_SQLSTATE

-- 6. the lock the sealer takes to rebuild its work list is not one a role
-- can hold against it (it was an advisory lock): with the work list's
-- marker gone, as after a crash, the ledger is still sealed on demand
SELECT pg_advisory_lock(1818518629, 1936026988) AS old_lock_held;
RESET ROLE;
DELETE FROM ledger.seal_queue WHERE ledger_id = 0;
SET ROLE review_owner;
INSERT INTO col2 (id, note) VALUES (2, 'b');
RESET ROLE;
SET ledger.digest_wait = '20s';
SELECT (ledger.digest('col2'))->>'rows' AS rows_in_digest;
SELECT ok, rows_checked, unsealed_transactions FROM ledger.verify('col2');
SELECT count(*) AS marker FROM ledger.seal_queue WHERE ledger_id = 0;
SET ROLE review_owner;
SELECT pg_advisory_unlock(1818518629, 1936026988);
RESET ROLE;

-- 7. a large row's canonical bytes are not kept for the rest of the
-- session (a 300 MB row kept 512 MB in TopMemoryContext until disconnect)
CREATE TEMP TABLE top_before AS
  SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';
INSERT INTO col2 (id, note) VALUES (3, repeat('x', 8000000));
SELECT m.total_bytes - b.total_bytes < 1000000 AS not_kept
FROM pg_backend_memory_contexts m, top_before b WHERE m.name = 'TopMemoryContext';

-- 8. the key registry's statement trigger function attached as a row
-- trigger to an ordinary table: its NULL skipped every row (INSERT 0 0)
CREATE TABLE not_keys (id int);
CREATE TRIGGER kc BEFORE INSERT ON not_keys FOR EACH ROW EXECUTE FUNCTION ledger.keys_changed();
INSERT INTO not_keys VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE not_keys;

-- 9. ledger.sealing_status reads the sealer's work list, which is for
-- superusers only: the view and its function are for superusers and
-- pg_monitor, not PUBLIC
CREATE ROLE status_app;
CREATE ROLE status_monitor IN ROLE pg_monitor;
SET ROLE status_app;
SELECT count(*) FROM ledger.sealing_status;
SELECT count(*) FROM ledger._sealing_status();
RESET ROLE;
SET ROLE status_monitor;
SELECT count(*) > 0 AS monitor_reads FROM ledger.sealing_status WHERE unsealed_transactions IS NOT NULL;
RESET ROLE;
DROP ROLE status_app, status_monitor;

-- 10. drop_ledger in the transaction that wrote rows to the ledger: the
-- record written at commit stood for a ledger that no longer exists, with
-- a row count one short (2026-12-06); now refused, and the rows kept
CREATE TABLE dl (id int PRIMARY KEY, v text);
SELECT (ledger.create_ledger('dl'))->>'rows' AS genesis_rows;
SELECT ledger_id AS dl_id FROM ledger.ledgers WHERE relation = 'dl'::regclass \gset
BEGIN;
INSERT INTO dl VALUES (1, 'a'), (2, 'b');
SAVEPOINT before_drop;
SELECT ledger.drop_ledger('dl');
ROLLBACK TO before_drop;
COMMIT;
SELECT row_count FROM ledger.transactions WHERE ledger_id = :dl_id AND row_count > 0;
SELECT ok, rows_checked FROM ledger.verify('dl');
-- a transaction that wrote to another ledger only may drop it
BEGIN;
INSERT INTO col2 (id, note) VALUES (4, 'd');
SELECT ledger.drop_ledger('dl');
COMMIT;
SELECT count(*) AS records_left FROM ledger.transactions WHERE ledger_id = :dl_id;
SELECT count(*) AS queued_left FROM ledger.seal_queue WHERE ledger_id = :dl_id;

-- 11. a refused signed row's buffers are not kept for the rest of the
-- session (a refused 100 MB row kept 268 MB until the next accepted one)
CREATE TABLE sg (id int PRIMARY KEY, v text, key_id text, sig bytea);
SELECT (ledger.create_ledger('sg'))->>'rows' AS genesis_rows;
SELECT ledger.require_signatures('sg', 'sig', 'key_id');
TRUNCATE top_before;
INSERT INTO top_before
  SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';
INSERT INTO sg VALUES (1, repeat('x', 8000000), 'no-such-key', '\x00');
SELECT m.total_bytes - b.total_bytes < 1000000 AS not_kept
FROM pg_backend_memory_contexts m, top_before b WHERE m.name = 'TopMemoryContext';

-- 12. create_ledger of a table with rows takes no lock the sealer's pass
-- waits for: it took the work list's lock to the end of its transaction,
-- and in a database whose list had no marker yet (a new one, or after a
-- crash) the first pass waited for it, and a digest() later in the same
-- transaction waited ledger.digest_wait for that pass (2026-12-06)
BEGIN;
CREATE TABLE gl (id int);
INSERT INTO gl VALUES (1), (2);
SELECT (ledger.create_ledger('gl'))->>'rows' AS genesis_rows;
SELECT count(*) AS list_locked FROM pg_locks
WHERE relation = 'ledger.seal_queue'::regclass AND pid = pg_backend_pid()
  AND mode = 'ShareUpdateExclusiveLock';
COMMIT;

-- everything still verifies
SELECT relation, ok, rows_checked FROM ledger.ledgers g, ledger.verify(g.relation)
WHERE g.relation::text IN ('pay', 'pay_member', 'typed', 'sl', 'col2', 'sg', 'gl') ORDER BY 1;

SELECT ledger.drop_ledger(relation) FROM ledger.ledgers
WHERE relation::text IN ('pay', 'pay_member', 'typed', 'sl', 'col2', 'sg', 'gl');
DROP EXTENSION citext;
DROP TYPE typed_row CASCADE;
DROP COLLATION review_ci;
SELECT format('REVOKE CREATE ON DATABASE %I FROM review_owner', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM review_owner;
REVOKE EXECUTE ON FUNCTION ledger.create_ledger(regclass),
  ledger.require_signatures(regclass, name, name) FROM review_owner;
DROP ROLE review_owner;

-- 13. REASSIGN OWNED BY the extension's owner, run by a role without that
-- role's privileges: PostgreSQL's own error, as for DROP OWNED; ledger's
-- refusal, which names the extension's owner, came first until 2026-12-07
CREATE ROLE review_reassign_nopriv;
SET ROLE review_reassign_nopriv;
DO $$
BEGIN
	EXECUTE pg_catalog.format('REASSIGN OWNED BY %s TO review_reassign_nopriv',
		(SELECT e.extowner::pg_catalog.regrole::text FROM pg_catalog.pg_extension e WHERE e.extname = 'ledger'));
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END $$;
RESET ROLE;
DROP ROLE review_reassign_nopriv;
