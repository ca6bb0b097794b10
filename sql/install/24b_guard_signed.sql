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
	-- the checkpoint tables (sql/install/60_checkpoints.sql), kept the same
	-- way: signed evidence is never deleted or changed.  The extension's
	-- own scripts make them after this event trigger, table first.
	IF pg_catalog.to_regclass('ledger.checkpoint_conflicts') IS NULL
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c WHERE c.in_extension) THEN
		RETURN;
	END IF;
	IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t
		 WHERE t.tgqual IS NULL AND t.tgnargs OPERATOR(pg_catalog.=) 0
		   AND t.tgenabled OPERATOR(pg_catalog.=) 'A'
		   AND ((t.tgrelid OPERATOR(pg_catalog.=) 'ledger.checkpoints'::pg_catalog.regclass
				 AND ((t.tgname OPERATOR(pg_catalog.=) 'checkpoints_guard'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoints_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 31)		-- ROW, BEFORE, INSERT, DELETE, UPDATE
					  OR (t.tgname OPERATOR(pg_catalog.=) 'checkpoints_guard_truncate'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoints_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 34)))	-- STATEMENT, BEFORE, TRUNCATE
				OR (t.tgrelid OPERATOR(pg_catalog.=) 'ledger.checkpoint_signatures'::pg_catalog.regclass
				 AND ((t.tgname OPERATOR(pg_catalog.=) 'checkpoint_signatures_guard'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoint_signatures_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 31)
					  OR (t.tgname OPERATOR(pg_catalog.=) 'checkpoint_signatures_guard_truncate'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoint_signatures_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 34)))
				OR (t.tgrelid OPERATOR(pg_catalog.=) 'ledger.checkpoint_conflicts'::pg_catalog.regclass
				 AND ((t.tgname OPERATOR(pg_catalog.=) 'checkpoint_conflicts_guard'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoint_conflicts_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 27)		-- ROW, BEFORE, DELETE, UPDATE
					  OR (t.tgname OPERATOR(pg_catalog.=) 'checkpoint_conflicts_guard_truncate'
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger._checkpoint_conflicts_guard()'::pg_catalog.regprocedure
					   AND t.tgtype OPERATOR(pg_catalog.=) 34)))))
		OPERATOR(pg_catalog.<>) 6 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the checkpoint tables this way',
			DETAIL = 'The triggers of ledger.checkpoints, ledger.checkpoint_signatures and ledger.checkpoint_conflicts must stay as the extension made them, enabled ALWAYS: checkpoints, signatures and evidence of equivocation are kept as made.',
			HINT = 'Conflicts are cleared only with ledger.clear_checkpoint_conflicts.';
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_signed() IS
'Internal: event trigger refusing DDL that changes the triggers of the key registry and of the checkpoint tables';
