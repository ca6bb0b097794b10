-- keys_append_only, add_key and revoke_key: the same text in the install
-- script and in the update from 0.1.0 (sql/update/0.1.0--0.2.0/
-- 21_keys_functions.sql links here), so CREATE OR REPLACE, which keeps
-- grants an administrator gave.  The registry's triggers on
-- keys_append_only are made by 22_keys_triggers.sql (install only) and
-- 22a_keys_insert.sql (install and update).

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
	IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
		-- When and by whom a key was registered is the registry's to record:
		-- a key counts from added_at on (the signature trigger and
		-- ledger.verify), so one registered "in the future" had rows
		-- accepted that verify refused for good.  Only a role with the
		-- privileges of the table's owner (pg_restore, which inserts the
		-- rows with their old added_at and added_by) may give other values
		-- than the defaults, and never a time after now.  (Finite times
		-- and key id lengths are checked by add_key, not here: pg_restore
		-- inserts rows of older versions, which allowed infinite times.)
		IF NEW.added_at OPERATOR(pg_catalog.>) pg_catalog.now() THEN
			RAISE EXCEPTION 'key "%" cannot be registered with an added_at in the future',
					NEW.key_id
				USING ERRCODE = '23514', CONSTRAINT = 'keys_added_at',
					SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
					DETAIL = pg_catalog.format('Its added_at is %s; the registering transaction started at %s.',
											   NEW.added_at, pg_catalog.now()),
					HINT = 'Leave added_at and added_by to their defaults, as ledger.add_key does.';
		END IF;
		IF (NEW.added_at OPERATOR(pg_catalog.<>) pg_catalog.now()
			OR NEW.added_by OPERATOR(pg_catalog.<>) CURRENT_USER::pg_catalog.text)
			AND NOT pg_catalog.pg_has_role(CURRENT_USER,
				(SELECT c.relowner FROM pg_catalog.pg_class c
				  WHERE c.oid OPERATOR(pg_catalog.=) TG_RELID), 'USAGE') THEN
			RAISE EXCEPTION 'permission denied to choose added_at or added_by of key "%"',
					NEW.key_id
				USING ERRCODE = '42501',
					SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
					DETAIL = pg_catalog.format('Only a role with the privileges of the owner of table "%s.%s" (restoring a dump) may register a key with an added_at other than now() or an added_by other than the current user.',
											   TG_TABLE_SCHEMA, TG_TABLE_NAME),
					HINT = 'Leave added_at and added_by to their defaults, as ledger.add_key does.';
		END IF;
		RETURN NEW;
	END IF;
	-- UPDATE
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
		-- brought forward: the row keeps the earlier date and reason, for
		-- revoke_key and a direct UPDATE alike (a NULL reason is left for
		-- keys_revocation to refuse)
		IF OLD.revoked_at IS NOT NULL AND NEW.revocation_reason IS NOT NULL THEN
			NEW.revocation_reason := pg_catalog.format('%s (brought forward from %s, when the reason was: %s)',
													   NEW.revocation_reason, OLD.revoked_at,
													   OLD.revocation_reason);
		END IF;
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
'trigger function: refuses DELETE, TRUNCATE and any UPDATE of ledger.keys other than recording a revocation, at a finite time, or bringing it forward (keeping the earlier date and reason); refuses an INSERT with added_at in the future, or, but for the table''s owner, added_at or added_by other than the defaults';

-- add_key refuses infinite times and over-long key ids; revoke_key brings
-- an existing revocation forward instead of answering "already revoked".
CREATE OR REPLACE FUNCTION ledger.add_key(key_id text, owner text, algorithm text,
							   public_key bytea,
							   valid_from timestamptz DEFAULT pg_catalog.now(),
							   valid_until timestamptz DEFAULT NULL)
RETURNS ledger.keys
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	k ledger.keys;
	canon bytea;
BEGIN
	IF add_key.key_id IS NULL OR add_key.owner IS NULL OR
		add_key.algorithm IS NULL OR add_key.public_key IS NULL OR
		add_key.valid_from IS NULL THEN
		RAISE EXCEPTION 'key_id, owner, algorithm, public_key and valid_from must not be null'
			USING ERRCODE = '22023';
	END IF;
	IF add_key.key_id OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'key_id must not be empty' USING ERRCODE = '22023';
	END IF;
	IF pg_catalog.octet_length(add_key.key_id) OPERATOR(pg_catalog.>) 256 THEN
		RAISE EXCEPTION 'key_id is too long'
			USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('It is %s bytes long; at most 256 are allowed.',
										   pg_catalog.octet_length(add_key.key_id));
	END IF;
	IF NOT pg_catalog.isfinite(add_key.valid_from) THEN
		RAISE EXCEPTION 'valid_from must be finite for key "%"', add_key.key_id
			USING ERRCODE = '22000',
				DETAIL = pg_catalog.format('It is %s.', add_key.valid_from);
	END IF;
	IF NOT pg_catalog.isfinite(add_key.valid_until) THEN
		RAISE EXCEPTION 'valid_until must be finite for key "%"', add_key.key_id
			USING ERRCODE = '22000',
				DETAIL = pg_catalog.format('It is %s.', add_key.valid_until),
				HINT = 'Leave valid_until NULL for a key with no end of validity.';
	END IF;
	IF add_key.valid_until IS NOT NULL AND
		add_key.valid_until OPERATOR(pg_catalog.<=) add_key.valid_from THEN
		RAISE EXCEPTION 'valid_until must be later than valid_from for key "%"',
				add_key.key_id
			USING ERRCODE = '22023';
	END IF;
	canon := ledger.canonical_public_key(add_key.algorithm, add_key.public_key);
	IF EXISTS (SELECT 1 FROM ledger.keys
			   WHERE keys.key_id OPERATOR(pg_catalog.=) add_key.key_id) THEN
		RAISE EXCEPTION 'key "%" already exists', add_key.key_id
			USING ERRCODE = '23505', CONSTRAINT = 'keys_pkey',
				SCHEMA = 'ledger', TABLE = 'keys',
				HINT = 'Key identifiers are never reused; choose a new one.';
	END IF;
	INSERT INTO ledger.keys (key_id, owner, algorithm, public_key,
							 valid_from, valid_until)
	VALUES (add_key.key_id, add_key.owner, add_key.algorithm, canon,
			add_key.valid_from, add_key.valid_until)
	RETURNING * INTO k;
	RETURN k;
END
$$;
COMMENT ON FUNCTION ledger.add_key(text, text, text, bytea, timestamptz, timestamptz) IS
'registers a public key (raw or DER SubjectPublicKeyInfo; stored in canonical form) valid from valid_from until valid_until (finite; NULL: no end)';
REVOKE ALL ON FUNCTION ledger.add_key(text, text, text, bytea, timestamptz, timestamptz) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ledger.revoke_key(key_id text, reason text,
								  revoked_at timestamptz DEFAULT pg_catalog.now())
RETURNS ledger.keys
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	k ledger.keys;
BEGIN
	IF revoke_key.key_id IS NULL OR revoke_key.reason IS NULL OR
		revoke_key.revoked_at IS NULL THEN
		RAISE EXCEPTION 'key_id, reason and revoked_at must not be null'
			USING ERRCODE = '22023';
	END IF;
	IF pg_catalog.octet_length(revoke_key.key_id) OPERATOR(pg_catalog.>) 256 THEN
		RAISE EXCEPTION 'key_id is too long'
			USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('It is %s bytes long; no key id is longer than 256.',
										   pg_catalog.octet_length(revoke_key.key_id));
	END IF;
	IF NOT pg_catalog.isfinite(revoke_key.revoked_at) THEN
		RAISE EXCEPTION 'revoked_at must be finite for key "%"', revoke_key.key_id
			USING ERRCODE = '22000',
				DETAIL = pg_catalog.format('It is %s.', revoke_key.revoked_at);
	END IF;
	SELECT * INTO k FROM ledger.keys
	 WHERE keys.key_id OPERATOR(pg_catalog.=) revoke_key.key_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'key "%" does not exist', revoke_key.key_id
			USING ERRCODE = '42704';
	END IF;
	IF k.revoked_at IS NOT NULL THEN
		-- a revocation is only ever brought forward (a compromise found
		-- before a scheduled rotation), never put off or withdrawn
		IF revoke_key.revoked_at OPERATOR(pg_catalog.>=) k.revoked_at THEN
			RAISE EXCEPTION 'key "%" is already revoked', revoke_key.key_id
				USING ERRCODE = '55000',
					DETAIL = pg_catalog.format('It is revoked from %s on; a revocation can only be brought forward.',
											   k.revoked_at);
		END IF;
		-- keys_append_only appends the earlier date and reason
	END IF;
	UPDATE ledger.keys
	   SET revoked_at = revoke_key.revoked_at,
		   revocation_reason = revoke_key.reason
	 WHERE keys.key_id OPERATOR(pg_catalog.=) revoke_key.key_id
	RETURNING * INTO k;
	RETURN k;
END
$$;
COMMENT ON FUNCTION ledger.revoke_key(text, text, timestamptz) IS
'records that a key is revoked from revoked_at on, with a reason; an existing revocation can only be brought forward';
REVOKE ALL ON FUNCTION ledger.revoke_key(text, text, timestamptz) FROM PUBLIC;
