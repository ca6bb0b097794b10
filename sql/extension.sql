--
-- extension: CREATE EXTENSION ledger, its version, schema and preloading.
--
-- pg_regress has already created the extension (--load-extension=ledger);
-- drop it and create it again so the install script runs from scratch here.
DROP EXTENSION ledger;
CREATE EXTENSION ledger;

-- installed at the control file's default version, in schema "ledger"
SELECT e.extname, e.extversion, n.nspname AS schema, e.extrelocatable
  FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
 WHERE e.extname OPERATOR(pg_catalog.=) 'ledger';

SELECT name, default_version OPERATOR(pg_catalog.=) installed_version AS at_default_version
  FROM pg_catalog.pg_available_extensions
 WHERE name OPERATOR(pg_catalog.=) 'ledger';

-- released versions update to the current one, step by step (the objects
-- an update yields are compared with a fresh install by test/t/090_upgrade.pl)
SELECT source, target, path FROM pg_catalog.pg_extension_update_paths('ledger')
 WHERE path IS NOT NULL ORDER BY source, target;
DROP EXTENSION ledger;
CREATE EXTENSION ledger VERSION '0.1.0';
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'ledger';
ALTER EXTENSION ledger UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'ledger';
DROP EXTENSION ledger;
CREATE EXTENSION ledger;

-- the library is preloaded (test/ledger.conf)
SELECT 'ledger' OPERATOR(pg_catalog.=) ANY (pg_catalog.string_to_array(
         pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''),
         ',')) AS preloaded;

-- a second CREATE is refused; the schema cannot be moved
CREATE EXTENSION ledger;
ALTER EXTENSION ledger SET SCHEMA public;

-- DROP EXTENSION ledger, with or without CASCADE, is refused while a
-- ledger exists: the extension's tables hold every ledger's history, and
-- CASCADE deleted it and left the table writable (review of 2026-12-05)
CREATE TABLE keep_me (id int, memo text);
SELECT pg_catalog.jsonb_typeof(ledger.create_ledger('keep_me')) AS created;
INSERT INTO keep_me VALUES (1, 'kept');
DROP EXTENSION ledger CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION ledger;
SELECT count(*) AS ledgers FROM ledger.ledgers;
SELECT ok, rows_checked FROM ledger.verify('keep_me');
UPDATE keep_me SET memo = 'rewritten';
-- DROP SCHEMA of the extension's schema drops the extension too, sql_drop
-- guard included: refused the same way (review of 2026-12-06)
DROP SCHEMA ledger CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA IF EXISTS no_such_schema, ledger CASCADE;
SELECT count(*) AS ledgers FROM ledger.ledgers;
UPDATE keep_me SET memo = 'rewritten';
-- other extensions' DROP and other schemas' DROP pass through
DROP EXTENSION IF EXISTS no_such_extension;
CREATE SCHEMA drop_me;
CREATE TABLE drop_me.t (id int);
DROP SCHEMA drop_me CASCADE;
-- without ledgers the extension can be dropped (here rolled back), with
-- its schema too
SELECT ledger.drop_ledger('keep_me');
BEGIN;
DROP EXTENSION ledger;
ROLLBACK;
BEGIN;
DROP SCHEMA ledger CASCADE;
ROLLBACK;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'ledger';
