-- The table's owner (not a superuser) tries to change or hide history.
-- Every way around the guards found by the attack review, and more of the
-- same kinds; each one is refused (0A000 for DDL, 23000 for writes), and the
-- ledger still verifies at the end.
CREATE EXTENSION IF NOT EXISTS ledger;
\set VERBOSITY terse
CREATE ROLE ledger_owner;
GRANT CREATE ON SCHEMA public TO ledger_owner;
GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass) TO ledger_owner;
SET ROLE ledger_owner;
CREATE TABLE a (id int4 PRIMARY KEY, memo varchar(10), amount numeric(18,2),
                code char(3), note text);
INSERT INTO a VALUES (1, 'first', 1.25, 'USD', 'x'), (2, 'second', 2.50, 'EUR', NULL);
SELECT (ledger.create_ledger('a'))->>'rows' AS genesis_rows;
INSERT INTO a VALUES (3, 'third', 3.75, 'GBP', 'y');

-- 1. the ledger's triggers, replaced in place (CREATE OR REPLACE TRIGGER)
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE TRUNCATE ON a
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
\echo :LAST_ERROR_SQLSTATE
UPDATE a SET amount = 0;
\echo :LAST_ERROR_SQLSTATE
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON a
  FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION ledger.refuse_change();
CREATE OR REPLACE TRIGGER ledger_append_only AFTER UPDATE OR DELETE OR TRUNCATE ON a
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON a
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OF note OR DELETE OR TRUNCATE ON a
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
\set VERBOSITY default
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT ON a
  FOR EACH ROW WHEN (false) EXECUTE FUNCTION ledger.row_trigger();
\set VERBOSITY terse
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT ON a
  FOR EACH ROW WHEN (NEW.id > 100) EXECUTE FUNCTION ledger.row_trigger();
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT ON a
  FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger('x');
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT ON a
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.row_trigger();
CREATE OR REPLACE TRIGGER zz_ledger_row AFTER INSERT ON a
  FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger();
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT OR UPDATE ON a
  FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger();
CREATE FUNCTION a_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE OR REPLACE TRIGGER zz_ledger_row BEFORE INSERT ON a
  FOR EACH ROW EXECUTE FUNCTION a_noop();
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON a
  FOR EACH STATEMENT EXECUTE FUNCTION a_noop();
-- a second trigger on the ledger's functions, or the ledger's names taken
CREATE TRIGGER aa_copy BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger();
CREATE TRIGGER zz_guard_copy BEFORE UPDATE ON a FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
-- a trigger that would change rows after they are hashed (name order)
\set VERBOSITY default
CREATE TRIGGER zzz_late BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION a_noop();
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER a_early BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION a_noop();
ALTER TRIGGER a_early ON a RENAME TO zzz_late;
ALTER TABLE a DISABLE TRIGGER a_early;
DROP TRIGGER a_early ON a;
-- the triggers are exactly as made
SELECT tgname, tgtype, tgenabled, tgqual IS NULL AS no_when, tgnargs, tgattr::text
  FROM pg_trigger WHERE tgrelid = 'a'::regclass ORDER BY tgname;
-- writes are still refused
UPDATE a SET amount = 0;
DELETE FROM a;
TRUNCATE a;

-- 2. inheritance and partitions: statements on a parent reach its children
CREATE TABLE parent_t (id int4, memo varchar(10), amount numeric(18,2), code char(3), note text);
ALTER TABLE a INHERIT parent_t;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
CREATE TABLE child_t () INHERITS (a);
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE other_t (id int4 NOT NULL, memo varchar(10), amount numeric(18,2), code char(3), note text,
                      ledger_xact int8 NOT NULL, ledger_seq int8 NOT NULL, ledger_hash bytea NOT NULL);
ALTER TABLE other_t INHERIT a;
CREATE TABLE parted (id int4, memo varchar(10), amount numeric(18,2), code char(3), note text,
                     ledger_xact int8 NOT NULL, ledger_seq int8 NOT NULL, ledger_hash bytea NOT NULL)
  PARTITION BY RANGE (id);
ALTER TABLE parted ATTACH PARTITION a FOR VALUES FROM (0) TO (1000);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE parted ATTACH PARTITION a DEFAULT;
SELECT count(*) AS inheritance_links FROM pg_inherits
 WHERE inhrelid = 'a'::regclass OR inhparent = 'a'::regclass;
-- tables already in a hierarchy cannot become ledgers
CREATE TABLE kid () INHERITS (parent_t);
SELECT ledger.create_ledger('kid');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.create_ledger('parent_t');
CREATE TABLE part_1 PARTITION OF parted FOR VALUES FROM (1000) TO (2000);
SELECT ledger.create_ledger('part_1');
DROP TABLE kid, part_1;

-- 3. retyping, also to a type that encodes the same way, or USING
\set VERBOSITY default
ALTER TABLE a ALTER COLUMN amount TYPE numeric(18,4);
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE a ALTER COLUMN code TYPE char(5);
ALTER TABLE a ALTER COLUMN amount TYPE numeric(18,2) USING amount * 2;
ALTER TABLE a ALTER COLUMN memo TYPE varchar(20);
ALTER TABLE a ALTER COLUMN memo TYPE text;
ALTER TABLE a ALTER COLUMN note TYPE text COLLATE "C";
ALTER TABLE a ALTER COLUMN note SET DATA TYPE varchar;
SELECT amount, code, memo FROM a ORDER BY id;

-- 4. added columns: generated, with a default, under FORCE ROW LEVEL SECURITY
ALTER TABLE a ADD COLUMN twice int4 GENERATED ALWAYS AS (id * 2) STORED;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE a ADD COLUMN stamped timestamptz DEFAULT now();
ALTER TABLE a ADD COLUMN filled text DEFAULT 'x';
ALTER TABLE a ENABLE ROW LEVEL SECURITY;
ALTER TABLE a FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_all ON a USING (false);
SELECT count(*) AS rows_the_owner_sees FROM a;
\set VERBOSITY default
ALTER TABLE a ADD COLUMN filled text DEFAULT 'x';
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE a ADD COLUMN blinded int4 DEFAULT 7;
DROP POLICY hide_all ON a;
ALTER TABLE a NO FORCE ROW LEVEL SECURITY;
ALTER TABLE a DISABLE ROW LEVEL SECURITY;
-- the ledger columns keep no default and stay NOT NULL
ALTER TABLE a ALTER COLUMN ledger_hash SET DEFAULT '\x00';
ALTER TABLE a ALTER COLUMN ledger_seq DROP NOT NULL;
ALTER TABLE a ALTER COLUMN ledger_xact ADD GENERATED ALWAYS AS IDENTITY;
-- a plain nullable column without a default is still fine, and so is a
-- default set afterwards (it applies to new rows only)
ALTER TABLE a ADD COLUMN later text;
ALTER TABLE a ALTER COLUMN later SET DEFAULT 'new rows only';
INSERT INTO a (id, memo, amount, code) VALUES (4, 'fourth', 4, 'CHF');
SELECT id, later FROM a ORDER BY id;

-- 5. cascading foreign keys run UPDATE and DELETE on the ledger: refused
CREATE TABLE currencies (code char(3) PRIMARY KEY);
INSERT INTO currencies VALUES ('USD'), ('EUR'), ('GBP'), ('CHF');
ALTER TABLE a ADD CONSTRAINT a_code_fk FOREIGN KEY (code) REFERENCES currencies
  ON DELETE CASCADE ON UPDATE CASCADE;
DELETE FROM currencies WHERE code = 'USD';
\echo :LAST_ERROR_SQLSTATE
UPDATE currencies SET code = 'XXX' WHERE code = 'EUR';
SELECT count(*) AS rows_kept FROM a;

-- after all of it the ledger verifies
RESET ROLE;
SELECT ok, rows_checked, problem FROM ledger.verify('a');
-- ledgers.created_by names the role that called create_ledger, not the
-- extension's owner (issue #9, item 15)
SELECT created_by, created_by = 'ledger_owner' AS caller
  FROM ledger.ledgers WHERE relation = 'a'::regclass;
SELECT ledger.drop_ledger('a');
DROP TABLE parent_t, other_t, parted, currencies;
DROP FUNCTION a_noop();
REVOKE CREATE ON SCHEMA public FROM ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.create_ledger(regclass) FROM ledger_owner;
DROP ROLE ledger_owner;
