
-- ===================================================================
-- The library this server runs must be as new as this script
-- ===================================================================
--
-- ledger is in shared_preload_libraries: after a package upgrade, until
-- the server restarts, every session (also one started since) runs the
-- library the postmaster loaded when it started.  Run then, the script
-- made its first C function of the new version against that library and
-- failed with 42883 'could not find function "ledger_ledger_id_of" in file
-- ".../ledger.so"' and no hint (an upgrade review on 2026-12-06); had it
-- got through, the old library would have driven the new catalog.  So
-- the script first makes a function of the symbol every library since
-- 0.2.0 exports, and drops it again.
DO $$
DECLARE
    why pg_catalog.text;
BEGIN
    BEGIN
        CREATE FUNCTION ledger._library_version() RETURNS pg_catalog.text
            LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'ledger_library_version';
    EXCEPTION WHEN undefined_function THEN
        GET STACKED DIAGNOSTICS why = MESSAGE_TEXT;
        IF EXISTS (SELECT 1
                     FROM pg_catalog.regexp_split_to_table(pg_catalog.current_setting('shared_preload_libraries'), ',') l
                    WHERE pg_catalog.btrim(l, ' "') OPERATOR(pg_catalog.=) ANY
                          (ARRAY['ledger', 'ledger.so', '$libdir/ledger', '$libdir/ledger.so'])) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = 'the ledger library this server runs is older than version 0.2.0 of the extension',
                DETAIL = pg_catalog.format('The library is loaded through shared_preload_libraries when the server starts, and a package upgrade since then does not replace it in the running server (%s).', why),
                HINT = 'Restart the server so that it loads the installed library, then run the command again.';
        END IF;
        -- not preloaded: this session loaded the old library before the
        -- package upgrade and keeps it to its end (a review on 2026-12-06:
        -- the message above sent the DBA to restart the server)
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'the ledger library this session runs is older than version 0.2.0 of the extension',
            DETAIL = pg_catalog.format('ledger is not in shared_preload_libraries: a session keeps the library it loaded first, and this one loaded it before the package upgrade (%s).', why),
            HINT = 'Run the command again in a new session.';
    END;
    DROP FUNCTION ledger._library_version();
END
$$;
