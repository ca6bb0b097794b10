-- The same text in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/24b_guard_signed.sql links here), so CREATE OR
-- REPLACE; 25_signed.sql makes its event trigger (install only).

-- The signature trigger of a signed ledger is checked with the ledger's
-- other triggers by ledger._check_ledger (src/guard.c: its whole definition,
-- no second trigger on its function, no BEFORE INSERT row trigger after it,
-- no inheritance or partitioning) and its DROP by ledger._guard_drop.  The
-- key registry is not a ledger: this guard keeps its triggers exactly as
-- the extension made them.  The extension's schema, tables and functions are
-- found in pg_catalog by name: to_regclass('ledger.keys') and
-- to_regprocedure want USAGE on schema ledger of the role running the DDL,
-- and every ALTER TABLE, CREATE TRIGGER and DROP TRIGGER in the database
-- failed with "permission denied for schema ledger" once a DBA had revoked
-- it from PUBLIC (test/t/597_revoked_execute.pl).
CREATE OR REPLACE FUNCTION ledger._guard_signed() RETURNS event_trigger
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nsp pg_catalog.oid := (SELECT n.oid FROM pg_catalog.pg_namespace n
						   WHERE n.nspname OPERATOR(pg_catalog.=) 'ledger');
	keys_made pg_catalog.int8;
	checkpoints_made pg_catalog.int8;
	catalog_made pg_catalog.int8;
BEGIN
	-- the triggers this guard keeps, each as the extension made it: on its
	-- table, under its name, calling its function with no arguments, of its
	-- type, with no condition, enabled ALWAYS (a table or function not made
	-- yet matches none)
	SELECT pg_catalog.count(*) FILTER (WHERE w.registry),
		   pg_catalog.count(*) FILTER (WHERE NOT w.registry),
		   pg_catalog.count(*) FILTER (WHERE w.registry IS NULL)
	  INTO keys_made, checkpoints_made, catalog_made
	  FROM (VALUES
			(true, 'keys', 'keys_append_only', 'keys_append_only', 27),	-- ROW, BEFORE, DELETE, UPDATE
			(true, 'keys', 'keys_insert', 'keys_append_only', 7),	-- ROW, BEFORE, INSERT
			(true, 'keys', 'keys_no_truncate', 'keys_append_only', 34),	-- STATEMENT, BEFORE, TRUNCATE
			(true, 'keys', 'keys_changed', 'keys_changed', 20),	-- STATEMENT, AFTER, INSERT, UPDATE
			(false, 'checkpoints', 'checkpoints_guard', '_checkpoints_guard', 31),	-- ROW, BEFORE, INSERT, DELETE, UPDATE
			(false, 'checkpoints', 'checkpoints_guard_truncate', '_checkpoints_guard', 34),
			(false, 'checkpoint_signatures', 'checkpoint_signatures_guard', '_checkpoint_signatures_guard', 31),
			(false, 'checkpoint_signatures', 'checkpoint_signatures_guard_truncate', '_checkpoint_signatures_guard', 34),
			(false, 'checkpoint_conflicts', 'checkpoint_conflicts_guard', '_checkpoint_conflicts_guard', 27),
			(false, 'checkpoint_conflicts', 'checkpoint_conflicts_guard_truncate', '_checkpoint_conflicts_guard', 34),
			-- the ledger catalog (NULL): the checks of what a subscription
			-- brings (50_sync.sql, 52_sync_signed.sql) and the sealer's
			-- triggers for loaded records and blocks and the guard of its work
			-- list (14_records_loaded.sql, 14b_blocks_loaded.sql)
			(NULL, 'ledgers', 'catalog_guard', 'catalog_guard', 31),
			(NULL, 'ledgers', 'catalog_guard_truncate', 'catalog_guard', 34),
			(NULL, 'transactions', 'catalog_guard', 'catalog_guard', 31),
			(NULL, 'transactions', 'catalog_guard_truncate', 'catalog_guard', 34),
			(NULL, 'transactions', 'records_loaded', 'records_loaded', 4),	-- STATEMENT, AFTER, INSERT
			(NULL, 'blocks', 'catalog_guard', 'catalog_guard', 31),
			(NULL, 'blocks', 'catalog_guard_truncate', 'catalog_guard', 34),
			(NULL, 'blocks', 'blocks_loaded', 'blocks_loaded', 4),
			(NULL, 'seal_queue', 'seal_queue_guard', 'seal_queue_guard', 22),	-- STATEMENT, BEFORE, INSERT, UPDATE
			(NULL, 'ledger_keys', 'catalog_guard', 'catalog_guard', 31),
			(NULL, 'ledger_keys', 'catalog_guard_truncate', 'catalog_guard', 34),
			(NULL, 'signed_ledgers', 'catalog_guard', 'catalog_guard', 31),
			(NULL, 'signed_ledgers', 'catalog_guard_truncate', 'catalog_guard', 34))
		   AS w(registry, rel, name, func, type)
	  JOIN pg_catalog.pg_trigger t
		ON t.tgrelid OPERATOR(pg_catalog.=) (SELECT c.oid FROM pg_catalog.pg_class c
											 WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
											   AND c.relname OPERATOR(pg_catalog.=) w.rel)
	   AND t.tgname OPERATOR(pg_catalog.=) w.name
	   AND t.tgfoid OPERATOR(pg_catalog.=) (SELECT p.oid FROM pg_catalog.pg_proc p
											WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
											  AND p.proname OPERATOR(pg_catalog.=) w.func
											  AND p.pronargs OPERATOR(pg_catalog.=) 0)
	   AND t.tgtype OPERATOR(pg_catalog.=) w.type
	   AND t.tgqual IS NULL AND t.tgnargs OPERATOR(pg_catalog.=) 0
	   AND t.tgenabled OPERATOR(pg_catalog.=) 'A';
	IF keys_made OPERATOR(pg_catalog.<>) 4 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the key registry "ledger.keys" this way',
			DETAIL = 'Its triggers keys_append_only, keys_insert, keys_no_truncate and keys_changed must stay as the extension made them, enabled ALWAYS.',
			HINT = 'Keys are changed only with ledger.add_key and ledger.revoke_key.';
	END IF;
	-- the checkpoint tables (sql/install/60_checkpoints.sql), kept the same
	-- way: signed evidence is never deleted or changed.  The extension's
	-- own scripts make them after this event trigger, table first.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
				   WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
					 AND c.relname OPERATOR(pg_catalog.=) 'checkpoint_conflicts')
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c WHERE c.in_extension) THEN
		RETURN;
	END IF;
	IF checkpoints_made OPERATOR(pg_catalog.<>) 6 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the checkpoint tables this way',
			DETAIL = 'The triggers of ledger.checkpoints, ledger.checkpoint_signatures and ledger.checkpoint_conflicts must stay as the extension made them, enabled ALWAYS: checkpoints, signatures and evidence of equivocation are kept as made.',
			HINT = 'Conflicts are cleared only with ledger.clear_checkpoint_conflicts.';
	END IF;
	-- The ledger catalog's.  DISABLE TRIGGER ALL (pg_restore --data-only
	-- --disable-triggers) hid loaded records from the sealer, which then
	-- never sealed them, and the ENABLE TRIGGER ALL after it left the
	-- triggers enabled on origin only: a subscription's apply worker
	-- (session_replication_role = replica) then stored what it brought
	-- unchecked (a restore review on 2026-12-06).
	IF catalog_made OPERATOR(pg_catalog.<>) 13 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the triggers of the ledger catalog this way',
			DETAIL = 'The triggers of ledger.ledgers, ledger.transactions, ledger.blocks, ledger.seal_queue, ledger.ledger_keys and ledger.signed_ledgers must stay as the extension made them, enabled ALWAYS: they check what a subscription brings, tell the sealer of loaded records and blocks, and keep its work list to what the extension writes.',
			HINT = 'Restore without --disable-triggers (docs/replication.md, "Backup and restore").';
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_signed() IS
'Internal: event trigger refusing DDL that changes the triggers of the key registry, of the checkpoint tables and of the ledger catalog';
