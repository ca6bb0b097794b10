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
