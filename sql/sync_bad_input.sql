-- Sync set-up functions (docs/replication.md): bad arguments, missing
-- privileges and internal functions called by hand.  The flows between
-- real servers are in test/t/100_sync.pl.
\set VERBOSITY terse
CREATE TABLE sb_plain (id int);
CREATE TABLE sb_led (id int PRIMARY KEY, v text);
SELECT ledger.create_ledger('sb_led') IS NOT NULL AS created;
CREATE TABLE sb_nokey (v text);
SELECT ledger.create_ledger('sb_nokey') IS NOT NULL AS created;

-- create_publication
SELECT ledger.create_publication(NULL, ARRAY['sb_led'::regclass]);
SELECT ledger.create_publication('', ARRAY['sb_led'::regclass]);
SELECT ledger.create_publication('sb_pub', NULL);
SELECT ledger.create_publication('sb_pub', '{}');
SELECT ledger.create_publication('sb_pub', ARRAY[NULL::regclass]);
SELECT ledger.create_publication('sb_pub', ARRAY[['sb_led'::regclass]]);
SELECT ledger.create_publication('sb_pub', ARRAY['sb_plain'::regclass]);
SELECT ledger.create_publication('sb_pub', ARRAY[0::regclass]);
SELECT ledger.create_publication('sb_pub', ARRAY['sb_led'::regclass, 'sb_led'::regclass]);
SELECT ledger.create_publication('sb_pub', array_fill('sb_led'::regclass, ARRAY[10001]));
SELECT count(*) AS publications FROM pg_publication WHERE pubname = 'sb_pub';

-- a good one: the ledgers and exactly their catalog rows, every action;
-- the ledger without a key publishes its updates by the whole row
SELECT ledger.create_publication('sb_pub', ARRAY['sb_led'::regclass, 'sb_nokey'::regclass]);
SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = 'sb_pub';
SELECT schemaname, tablename, rowfilter IS NOT NULL AS filtered
  FROM pg_publication_tables WHERE pubname = 'sb_pub' ORDER BY 1, 2;
SELECT relname, relreplident FROM pg_class WHERE oid IN ('sb_led'::regclass, 'sb_nokey'::regclass) ORDER BY 1;
-- the filters name the two ledgers' ids
SELECT count(*) AS filters_with_both_ids
  FROM pg_publication_tables p, ledger.ledgers g
 WHERE p.pubname = 'sb_pub' AND p.schemaname = 'ledger'
   AND g.relation IN ('sb_led'::regclass, 'sb_nokey'::regclass)
   AND p.rowfilter LIKE '%' || g.ledger_id || '%';
SELECT ledger.create_publication('sb_pub', ARRAY['sb_led'::regclass]);

-- add_to_publication
SELECT ledger.add_to_publication(NULL, ARRAY['sb_led'::regclass]);
SELECT ledger.add_to_publication('sb_none', ARRAY['sb_led'::regclass]);
SELECT ledger.add_to_publication('sb_pub', ARRAY['sb_led'::regclass]);
CREATE PUBLICATION sb_other FOR TABLE sb_plain;
SELECT ledger.add_to_publication('sb_other', ARRAY['sb_led'::regclass]);
CREATE TABLE sb_led2 (id int PRIMARY KEY);
SELECT ledger.create_ledger('sb_led2') IS NOT NULL AS created;
-- it says what the peers must do (the origin cannot tell who streams it)
\set VERBOSITY default
SELECT ledger.add_to_publication('sb_pub', ARRAY['sb_led2'::regclass]);
\set VERBOSITY terse
SELECT count(*) AS ledgers_published FROM pg_publication_tables
 WHERE pubname = 'sb_pub' AND schemaname = 'public';
SELECT count(*) AS filters_with_three_ids
  FROM pg_publication_tables p, ledger.ledgers g
 WHERE p.pubname = 'sb_pub' AND p.schemaname = 'ledger'
   AND g.relation IN ('sb_led'::regclass, 'sb_nokey'::regclass, 'sb_led2'::regclass)
   AND p.rowfilter LIKE '%' || g.ledger_id || '%';
-- a schema or a table added to it by hand: add_to_publication and
-- remove_from_publication rewrite the list (SET TABLE), which would take it
-- out without a word; refused, naming it, and the publication keeps it
CREATE SCHEMA sb_extra;
CREATE TABLE sb_extra.t (id int);
ALTER PUBLICATION sb_pub ADD TABLES IN SCHEMA sb_extra;
\set VERBOSITY default
SELECT ledger.remove_from_publication('sb_pub', ARRAY['sb_led2'::regclass]);
\set VERBOSITY terse
SELECT ledger.add_to_publication('sb_pub', ARRAY['sb_nokey'::regclass]);
SELECT count(*) AS schemas_kept FROM pg_publication_namespace pn
  JOIN pg_publication p ON p.oid = pn.pnpubid WHERE p.pubname = 'sb_pub';
SELECT count(*) AS ledgers_still_published FROM pg_publication_tables
 WHERE pubname = 'sb_pub' AND schemaname = 'public';
ALTER PUBLICATION sb_pub DROP TABLES IN SCHEMA sb_extra;
ALTER PUBLICATION sb_pub ADD TABLE sb_plain;
\set VERBOSITY default
SELECT ledger.remove_from_publication('sb_pub', ARRAY['sb_led2'::regclass]);
\set VERBOSITY terse
SELECT count(*) AS plain_table_kept FROM pg_publication_tables
 WHERE pubname = 'sb_pub' AND tablename = 'sb_plain';
ALTER PUBLICATION sb_pub DROP TABLE sb_plain;
-- without them, both work again
SELECT ledger.remove_from_publication('sb_pub', ARRAY['sb_led2'::regclass]);
SELECT count(*) AS ledgers_published FROM pg_publication_tables
 WHERE pubname = 'sb_pub' AND schemaname = 'public';
SELECT ledger.add_to_publication('sb_pub', ARRAY['sb_led2'::regclass]);
SELECT count(*) AS ledgers_published FROM pg_publication_tables
 WHERE pubname = 'sb_pub' AND schemaname = 'public';
DROP SCHEMA sb_extra CASCADE;

-- create_subscription, resync_subscription, drop_subscription
SELECT ledger.create_subscription(NULL, 'dbname=postgres', 'sb_pub');
SELECT ledger.create_subscription('sb_sub', NULL, 'sb_pub');
SELECT ledger.create_subscription('sb_sub', 'dbname=postgres', NULL);
SELECT ledger.create_subscription('', 'dbname=postgres', 'sb_pub');
SELECT ledger.create_subscription('sb_sub', 'port=1 host=/nonexistent', 'sb_pub');
SELECT ledger.create_subscription('sb_sub', 'this is not a conninfo', 'sb_pub');
SELECT ledger.resync_subscription('sb_none');
SELECT ledger.resync_subscription(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.drop_subscription('sb_none');
SELECT ledger.drop_subscription(NULL);
SELECT ledger.drop_subscription('sb_none', NULL);
-- a subscription not made by create_subscription is not theirs to touch
CREATE SUBSCRIPTION sb_foreign CONNECTION 'dbname=postgres' PUBLICATION sb_other
  WITH (connect = false);
SELECT ledger.resync_subscription('sb_foreign');
SELECT ledger.drop_subscription('sb_foreign');
SELECT ledger.create_subscription('sb_foreign', 'dbname=postgres', 'sb_pub');
ALTER SUBSCRIPTION sb_foreign SET (slot_name = NONE);
DROP SUBSCRIPTION sb_foreign;

-- internal functions called by hand
SELECT ledger.catalog_guard();
SELECT ledger.refuse_row_change();
SELECT ledger.records_loaded();
-- records_loaded is ledger.transactions' own: on another table, as
-- another kind of trigger, or by a role without EXECUTE, refused
CREATE TABLE sb_other (x int);
CREATE TRIGGER sb_other_loaded AFTER INSERT ON sb_other
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.records_loaded();
INSERT INTO sb_other VALUES (1);
DROP TRIGGER sb_other_loaded ON sb_other;
CREATE TRIGGER sb_other_loaded BEFORE INSERT ON sb_other
  FOR EACH ROW EXECUTE FUNCTION ledger.records_loaded();
INSERT INTO sb_other VALUES (1);
DROP TABLE sb_other;
SELECT tgname, tgtype, tgenabled FROM pg_trigger
 WHERE tgrelid = 'ledger.transactions'::regclass AND tgname = 'records_loaded';
SELECT has_function_privilege('public', 'ledger.records_loaded()', 'EXECUTE') AS public_may_execute;
-- seal_queue_guard likewise is ledger.seal_queue's own
SELECT ledger.seal_queue_guard();
CREATE TABLE sb_other (x int);
CREATE TRIGGER sb_other_guard BEFORE INSERT ON sb_other
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.seal_queue_guard();
INSERT INTO sb_other VALUES (1);
DROP TRIGGER sb_other_guard ON sb_other;
CREATE TRIGGER sb_other_guard BEFORE INSERT ON sb_other
  FOR EACH ROW EXECUTE FUNCTION ledger.seal_queue_guard();
INSERT INTO sb_other VALUES (1);
DROP TABLE sb_other;
SELECT tgname, tgtype, tgenabled FROM pg_trigger
 WHERE tgrelid = 'ledger.seal_queue'::regclass AND tgname = 'seal_queue_guard';
SELECT has_function_privilege('public', 'ledger.seal_queue_guard()', 'EXECUTE') AS public_may_execute;
SELECT ledger.blocks_loaded();
CREATE TABLE sb_other (x int);
CREATE TRIGGER sb_other_loaded AFTER INSERT ON sb_other
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.blocks_loaded();
INSERT INTO sb_other VALUES (1);
DROP TABLE sb_other;
SELECT tgname, tgtype, tgenabled FROM pg_trigger
 WHERE tgrelid = 'ledger.blocks'::regclass AND tgname = 'blocks_loaded';
SELECT has_function_privilege('public', 'ledger.blocks_loaded()', 'EXECUTE') AS public_may_execute;
SELECT ledger._shape(NULL);
SELECT ledger._shape(0);
SELECT ledger._shape('sb_led') = (SELECT shape FROM ledger.ledgers WHERE relation = 'sb_led'::regclass) AS shape_as_recorded;
SELECT count(*) AS errors FROM ledger._replication_errors();
SELECT count(*) AS status_rows FROM ledger.replication_status WHERE role = 'replica';

-- the row guard of every ledger refuses like the statement guard
SELECT tgname, tgtype, tgenabled FROM pg_trigger
 WHERE tgrelid = 'sb_led'::regclass ORDER BY tgname;
INSERT INTO sb_led VALUES (1, 'a');
SET session_replication_role = replica;
UPDATE sb_led SET v = 'b';
DELETE FROM sb_led;
RESET session_replication_role;
-- it cannot be dropped or disabled
DROP TRIGGER ledger_append_only_row ON sb_led;
ALTER TABLE sb_led DISABLE TRIGGER ledger_append_only_row;

-- unprivileged roles
CREATE ROLE sb_user;
SET ROLE sb_user;
SELECT ledger.create_publication('sb_pub2', ARRAY['sb_led'::regclass]);
SELECT ledger.create_subscription('sb_sub', 'dbname=postgres', 'sb_pub');
SELECT ledger.drop_subscription('sb_sub');
INSERT INTO ledger.replicas (ledger_id, subscription, publication) VALUES (1, 'x', 'y');
-- nor load records, nor use their trigger function on a table of its own
INSERT INTO ledger.transactions VALUES (1, 1, 1, '\x00', now());
CREATE TEMP TABLE sb_mine (x int);
CREATE TRIGGER sb_mine_loaded AFTER INSERT ON sb_mine
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.records_loaded();
DROP TABLE sb_mine;
SELECT count(*) FROM ledger.replication_status;
-- nor the apply workers' errors behind it, directly or through the view
SELECT count(*) FROM ledger._replication_errors();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM ledger.replication_status;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- monitoring roles may read the status
GRANT pg_monitor TO sb_user;
SET ROLE sb_user;
SELECT count(*) AS status_rows FROM ledger.replication_status;
SELECT count(*) AS status_rows FROM ledger.replication_status WHERE role = 'replica';
SELECT count(*) AS errors FROM ledger._replication_errors();
RESET ROLE;
DROP ROLE sb_user;

-- drop_ledger refuses a ledger that a publication a peer can subscribe to
-- carries, whatever kind: made by create_publication, or by hand through the
-- ledger's schema or beside other schemas, each with the hint that takes the
-- ledger out; not one that no peer can subscribe to (FOR ALL TABLES, a CDC
-- feed of the ledger alone, one of a schema with other tables), which it
-- once refused or let pass by the kind alone (review of 2026-12-06)
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT ledger.drop_ledger('sb_led2');
CREATE TABLE sb_cdc (id int PRIMARY KEY);
SELECT ledger.create_ledger('sb_cdc') IS NOT NULL AS created;
CREATE PUBLICATION sb_cdc_pub FOR TABLE sb_cdc;
CREATE PUBLICATION sb_all FOR ALL TABLES;
CREATE PUBLICATION sb_public FOR TABLES IN SCHEMA public;
CREATE SCHEMA sb_s;
CREATE SCHEMA sb_e;
CREATE TABLE sb_s.led (id int PRIMARY KEY);
SELECT ledger.create_ledger('sb_s.led') IS NOT NULL AS created;
CREATE PUBLICATION sb_by_schema FOR TABLES IN SCHEMA sb_s,
  TABLE ledger.ledgers, ledger.transactions, ledger.blocks;
SELECT p.pubname, g.relation FROM ledger._peer_publications() p
  JOIN ledger.ledgers g USING (ledger_id) ORDER BY p.pubname, g.relation::text;
SELECT ledger.drop_ledger('sb_cdc');
DROP PUBLICATION sb_cdc_pub, sb_all, sb_public;
SELECT ledger.drop_ledger('sb_s.led');
DROP PUBLICATION sb_by_schema;
CREATE PUBLICATION sb_mixed FOR TABLES IN SCHEMA sb_e,
  TABLE sb_s.led, ledger.ledgers, ledger.transactions, ledger.blocks;
SELECT ledger.drop_ledger('sb_s.led');
-- with another table in it: a peer subscribed before keeps receiving it
-- (the drop was let through, and stopped that peer, until a last read)
ALTER PUBLICATION sb_mixed ADD TABLE sb_plain;
SELECT ledger.drop_ledger('sb_s.led');
DROP PUBLICATION sb_mixed;
-- through its schema and by name: the hint names both
CREATE PUBLICATION sb_both FOR TABLES IN SCHEMA sb_s,
  TABLE ledger.ledgers, ledger.transactions, ledger.blocks;
ALTER PUBLICATION sb_both ADD TABLE sb_s.led;
SELECT ledger.drop_ledger('sb_s.led');
DROP PUBLICATION sb_both;
SELECT ledger.drop_ledger('sb_s.led');
DROP SCHEMA sb_s, sb_e;
-- the publications a walsender streams, as PostgreSQL 15's walreceiver
-- writes them: quoted names, and E'' with doubled backslashes when a name
-- holds one (it read NULL before)
SELECT ledger._streamed_publications($q$START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '3', publication_names '"a","it''s","B"')$q$);
SELECT ledger._streamed_publications($q$START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '3', publication_names  E'"a\\b","c"')$q$);
SELECT ledger._streamed_publications('SELECT 1');
\set VERBOSITY terse
\set SHOW_CONTEXT errors

DROP PUBLICATION sb_pub, sb_other;
SELECT ledger.drop_ledger('sb_led');
SELECT ledger.drop_ledger('sb_led2');
SELECT ledger.drop_ledger('sb_nokey');
DROP TABLE sb_plain;

-- ledgers.replica (written true by create_subscription): a ledger whose row
-- says so is never sealed here, nor its records put on the work list,
-- whatever ledger.replicas holds (a restore may load that table last)
CREATE TABLE sb_flag (id int);
SELECT ledger.create_ledger('sb_flag') IS NOT NULL AS created;
SELECT replica FROM ledger.ledgers WHERE relation = 'sb_flag'::regclass;
UPDATE ledger.ledgers SET replica = true WHERE relation = 'sb_flag'::regclass;
INSERT INTO sb_flag VALUES (1);
SELECT count(*) AS in_replicas FROM ledger.replicas r JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation = 'sb_flag'::regclass;
SELECT ledger.seal('sb_flag');
SELECT count(*) AS unsealed FROM ledger.transaction_blocks t JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation = 'sb_flag'::regclass AND t.block_no IS NULL;
SELECT ledger.drop_ledger('sb_flag');

-- ledger.sync_reconnect_delay: seconds, -1 (never) to 3600, set in the
-- server's configuration only (the sealer reads it)
SHOW ledger.sync_reconnect_delay;
SELECT setting, unit, context, min_val, max_val FROM pg_settings
 WHERE name = 'ledger.sync_reconnect_delay';
SET ledger.sync_reconnect_delay = 5;
ALTER SYSTEM SET ledger.sync_reconnect_delay = -2;
ALTER SYSTEM SET ledger.sync_reconnect_delay = 3601;
ALTER SYSTEM SET ledger.sync_reconnect_delay = 'NaN';
ALTER SYSTEM SET ledger.sync_reconnect_delay = '99999999999999999999';
ALTER SYSTEM SET ledger.sync_reconnect_delay = NULL;
