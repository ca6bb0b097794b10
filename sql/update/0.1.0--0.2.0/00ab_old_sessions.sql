
-- Without shared_preload_libraries (sealing on demand only), a session
-- loads the library at its first call and keeps it to its end: one that
-- loaded the 0.1.0 library before the package upgrade ran it on after the
-- update, and its next insert into a ledger wrote a transaction record
-- under the low 32 bits of the new int8 ledger_id, a row that belongs to no
-- recorded transaction: verify failed on the ledger from then on (an
-- upgrade review on 2026-12-06).  A library is not seen from SQL, so the
-- update refuses while another session of this database started before
-- the library file was installed (its inode's change time, in whole
-- seconds: a session of the same second counts as earlier).  Preloaded,
-- every session runs the library the postmaster loaded, and
-- 00aa_library.sql found it to be new.
DO $$
DECLARE
    installed pg_catalog.timestamptz;
    pids pg_catalog.text;
    n pg_catalog.int8;
BEGIN
    IF EXISTS (SELECT 1
                 FROM pg_catalog.regexp_split_to_table(pg_catalog.current_setting('shared_preload_libraries'), ',') l
                WHERE pg_catalog.btrim(l, ' "') OPERATOR(pg_catalog.=) ANY
                      (ARRAY['ledger', 'ledger.so', '$libdir/ledger', '$libdir/ledger.so'])) THEN
        RETURN;
    END IF;
    SELECT f.change INTO installed
      FROM pg_catalog.pg_config c,
           LATERAL pg_catalog.pg_stat_file(c.setting OPERATOR(pg_catalog.||) '/ledger.so', true) f
     WHERE c.name OPERATOR(pg_catalog.=) 'PKGLIBDIR';
    IF installed IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.string_agg(a.pid::pg_catalog.text, ', ' ORDER BY a.pid), pg_catalog.count(*)
      INTO pids, n
      FROM pg_catalog.pg_stat_activity a
     WHERE a.datid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                            WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
       AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()
       AND a.backend_start OPERATOR(pg_catalog.<) (installed OPERATOR(pg_catalog.+) '1 second'::pg_catalog.interval);
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_in_use',
            MESSAGE = pg_catalog.format('cannot update extension "ledger" while %s of this database started before its library was installed',
                CASE WHEN n OPERATOR(pg_catalog.=) 1 THEN 'session ' ELSE 'sessions ' END OPERATOR(pg_catalog.||) pids),
            DETAIL = pg_catalog.format('ledger is not in shared_preload_libraries, so a session keeps the library it loaded first; one that loaded the library of ledger 0.1.0 would write into the updated catalog records that do not verify. The library was installed at %s.', installed),
            HINT = 'End those sessions (pg_terminate_backend) or restart the server, then run ALTER EXTENSION ledger UPDATE again.';
    END IF;
END
$$;
