
-- ---------------------------------------------------------------------------
-- Keys and signatures (sql/install/20_keys.sql, 25_signed.sql).
--
-- Changed functions are replaced with CREATE OR REPLACE, which keeps the
-- grants an administrator gave on them (DROP and CREATE would silently lose
-- them); in an extension script, PostgreSQL refuses to replace a function
-- that is not already a member of the extension.
-- ---------------------------------------------------------------------------

-- keys_append_only lets a revocation be brought forward, at a finite time.
CREATE OR REPLACE FUNCTION ledger.keys_append_only()
RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
		RAISE EXCEPTION 'cannot truncate table "%.%"', TG_TABLE_SCHEMA, TG_TABLE_NAME
			USING ERRCODE = '23000', CONSTRAINT = 'keys_append_only',
				SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
				HINT = 'Keys are never deleted; revoke a key with ledger.revoke_key.';
	ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		RAISE EXCEPTION 'cannot delete key "%" from table "%.%"', OLD.key_id,
				TG_TABLE_SCHEMA, TG_TABLE_NAME
			USING ERRCODE = '23000', CONSTRAINT = 'keys_append_only',
				SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
				HINT = 'Keys are never deleted; revoke a key with ledger.revoke_key.';
	END IF;
	-- UPDATE (INSERTs are checked by add_key, not here: pg_restore inserts
	-- rows of older versions, which allowed infinite times)
	IF NOT pg_catalog.isfinite(NEW.revoked_at) THEN
		RAISE EXCEPTION 'key "%" must have a finite revocation time', NEW.key_id
			USING ERRCODE = '22000', CONSTRAINT = 'keys_finite',
				SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
				DETAIL = pg_catalog.format('revoked_at %s.', NEW.revoked_at);
	END IF;
	-- only the revocation, set once, or brought forward
	IF NEW.revoked_at IS NOT NULL
		AND (OLD.revoked_at IS NULL OR
			 NEW.revoked_at OPERATOR(pg_catalog.<) OLD.revoked_at)
		AND ROW(NEW.key_id, NEW.owner, NEW.algorithm, NEW.public_key,
				NEW.valid_from, NEW.valid_until, NEW.added_at, NEW.added_by)
			IS NOT DISTINCT FROM
			ROW(OLD.key_id, OLD.owner, OLD.algorithm, OLD.public_key,
				OLD.valid_from, OLD.valid_until, OLD.added_at, OLD.added_by)
	THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'cannot update key "%" in table "%.%"', OLD.key_id,
			TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = '23000', CONSTRAINT = 'keys_append_only',
			SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
			DETAIL = 'A registered key is never edited; only its revocation may be recorded, and then only brought forward.',
			HINT = 'Register a new key with ledger.add_key and revoke the old one with ledger.revoke_key.';
END
$$;
COMMENT ON FUNCTION ledger.keys_append_only() IS
'trigger function: refuses DELETE, TRUNCATE and any UPDATE of ledger.keys other than recording a revocation, at a finite time, or bringing it forward';

COMMENT ON TABLE ledger.keys IS
'registry of signing public keys; append-only except that a revocation is recorded, and may later be brought forward';


-- Prepared transactions (docs/signing.md#prepared-transactions).  At
-- PREPARE TRANSACTION, the keys that signed the rows a transaction records,
-- written inside it (so they commit or roll back with it); before COMMIT
-- PREPARED, the hook in src/signed.c finds them by transaction id, checks
-- the keys again and records that check in signed_commit_checks, in the
-- COMMIT PREPARED statement's own transaction.  Column order is relied
-- upon by src/signed.c.
CREATE TABLE ledger.signed_prepared_keys (
	xact_id pg_catalog.int8 NOT NULL,
	transaction pg_catalog.xid8 NOT NULL,
	key_id pg_catalog.text NOT NULL,
	prepared_at pg_catalog.timestamptz NOT NULL,
	PRIMARY KEY (xact_id, key_id)
);
CREATE INDEX signed_prepared_keys_transaction_idx
	ON ledger.signed_prepared_keys (transaction);
COMMENT ON TABLE ledger.signed_prepared_keys IS
'keys that signed the rows of each prepared transaction (ledger transaction number, transaction id), recorded at PREPARE TRANSACTION';

CREATE TABLE ledger.signed_commit_checks (
	xact_id pg_catalog.int8 PRIMARY KEY,
	gid pg_catalog.text NOT NULL,
	checked_at pg_catalog.timestamptz NOT NULL,
	checked_by pg_catalog.name NOT NULL
);
COMMENT ON TABLE ledger.signed_commit_checks IS
'when COMMIT PREPARED re-checked the signing keys of a prepared transaction (and by whom) before committing it';

SELECT pg_catalog.pg_extension_config_dump('ledger.signed_prepared_keys', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.signed_commit_checks', '');
REVOKE ALL ON ledger.signed_prepared_keys, ledger.signed_commit_checks FROM PUBLIC;
GRANT SELECT ON ledger.signed_prepared_keys, ledger.signed_commit_checks TO PUBLIC;

-- The signature trigger of a signed ledger is now checked with the
-- ledger's other triggers by ledger._check_ledger (src/guard.c), and its
-- DROP by ledger._guard_drop (11_guard.sql); ledger._guard_signed keeps
-- only the key registry's triggers (the event trigger's commands are
-- unchanged).
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
				 AND t.tgenabled OPERATOR(pg_catalog.=) ANY (ARRAY['O', 'A']::pg_catalog."char"[]))
				OR (t.tgname OPERATOR(pg_catalog.=) 'keys_no_truncate'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_append_only()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 34		-- STATEMENT, BEFORE, TRUNCATE
				 AND t.tgenabled OPERATOR(pg_catalog.=) ANY (ARRAY['O', 'A']::pg_catalog."char"[]))
				OR (t.tgname OPERATOR(pg_catalog.=) 'keys_changed'
				 AND t.tgfoid OPERATOR(pg_catalog.=) 'ledger.keys_changed()'::pg_catalog.regprocedure
				 AND t.tgtype OPERATOR(pg_catalog.=) 20		-- STATEMENT, AFTER, INSERT, UPDATE
				 AND t.tgenabled OPERATOR(pg_catalog.=) 'A')))
		OPERATOR(pg_catalog.<>) 3 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'feature_not_supported',
			MESSAGE = 'cannot alter the key registry "ledger.keys" this way',
			DETAIL = 'Its triggers keys_append_only, keys_no_truncate and keys_changed must stay as the extension made them.',
			HINT = 'Keys are changed only with ledger.add_key and ledger.revoke_key.';
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._guard_signed() IS
'Internal: event trigger refusing DDL that changes the key registry''s triggers';

