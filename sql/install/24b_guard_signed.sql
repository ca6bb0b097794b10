-- The same text in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/24b_guard_signed.sql links here), so CREATE OR
-- REPLACE; 25_signed.sql makes its event trigger (install only).

-- The signature trigger of a signed ledger is checked with the ledger's
-- other triggers by ledger._check_ledger (src/guard.c: its whole definition,
-- no second trigger on its function, no BEFORE INSERT row trigger after it,
-- no inheritance or partitioning) and its DROP by ledger._guard_drop.  The
-- key registry is not a ledger: this guard keeps its triggers exactly as
-- the extension made them.
CREATE OR REPLACE FUNCTION ledger._guard_signed() RETURNS event_trigger
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid OPERATOR(pg_catalog.=) 'ledger.keys'::pg_catalog.regclass
		   AND t.tgqual IS NULL AND t.tgnargs OPERATOR(pg_catalog.=) 0
		   AND ((t.tgname OPERATOR(pg_catalog.=) 'keys_append_only'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_append_only()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 27		-- ROW, BEFORE, DELETE, UPDATE
				 AND t.tgenabled OPERATOR(pg_catalog.=) 'A')
				OR (t.tgname OPERATOR(pg_catalog.=) 'keys_insert'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_append_only()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 7		-- ROW, BEFORE, INSERT
				 AND t.tgenabled OPERATOR(pg_catalog.=) 'A')
				OR (t.tgname OPERATOR(pg_catalog.=) 'keys_no_truncate'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_append_only()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 34		-- STATEMENT, BEFORE, TRUNCATE
				 AND t.tgenabled OPERATOR(pg_catalog.=) 'A')
				OR (t.tgname OPERATOR(pg_catalog.=) 'keys_changed'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_changed()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 20		-- STATEMENT, AFTER, INSERT, UPDATE
				 AND t.tgenabled OPERATOR(pg_catalog.=) 'A')))
		OPERATOR(pg_catalog.<>) 4 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the key registry "ledger.keys" this way',
			DETAIL = 'Its triggers keys_append_only, keys_insert, keys_no_truncate and keys_changed must stay as the extension made them, enabled ALWAYS.',
			HINT = 'Keys are changed only with ledger.add_key and ledger.revoke_key.';
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_signed() IS
'Internal: event trigger refusing DDL that changes the key registry''s triggers';
