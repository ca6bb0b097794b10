-- 00_extension: the extension is installed, preloaded and owns schema "ledger".
BEGIN;
SELECT plan(5);

SELECT has_extension('ledger', 'extension ledger is installed');
SELECT has_schema('ledger', 'schema ledger exists');
SELECT is(
    (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'ledger'),
    (SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'ledger'),
    'installed version is the control file''s default version');
SELECT is(
    (SELECT n.nspname::text FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'ledger'),
    'ledger',
    'extension lives in schema ledger');
SELECT ok(
    'ledger' = ANY (pg_catalog.string_to_array(
        pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ',')),
    'ledger is in shared_preload_libraries');

SELECT * FROM finish();
ROLLBACK;
