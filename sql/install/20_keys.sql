
-- ---------------------------------------------------------------------------
-- Signatures and the key registry (DESIGN.md section 2, docs/signing.md).
-- ---------------------------------------------------------------------------

CREATE FUNCTION ledger.verify_signature(algorithm text, public_key bytea,
										message bytea, signature bytea)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ledger_verify_signature'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;	-- about 50 us: let the planner test cheap quals first
COMMENT ON FUNCTION ledger.verify_signature(text, bytea, bytea, bytea) IS
'true if signature verifies over message under public_key with algorithm ed25519, ecdsa-p256 (DER) or ecdsa-p256-p1363 (r||s); false for a wrong or malformed signature';

CREATE FUNCTION ledger.canonical_public_key(algorithm text, public_key bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ledger_canonical_public_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;
COMMENT ON FUNCTION ledger.canonical_public_key(text, bytea) IS
'checked canonical form of a public key (32 raw bytes for ed25519, 65-byte uncompressed point for ECDSA P-256), from that form or a DER SubjectPublicKeyInfo';

CREATE FUNCTION ledger.public_key_from_pem(pem text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ledger_public_key_from_pem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;
COMMENT ON FUNCTION ledger.public_key_from_pem(text) IS
'canonical form of the Ed25519 or ECDSA P-256 key in a PEM PUBLIC KEY block';

-- The key registry.  Append-only: rows are never deleted and never edited,
-- except that the revocation columns may be set, and revoked_at later only
-- moved earlier.  (When the registry
-- becomes a hash-chained ledger, a revocation becomes an appended row; see
-- docs/signing.md.)
CREATE TABLE ledger.keys (
	key_id text PRIMARY KEY
		CONSTRAINT keys_key_id CHECK (key_id OPERATOR(pg_catalog.<>) ''),
	owner text NOT NULL,
	algorithm text NOT NULL
		CONSTRAINT keys_algorithm CHECK (algorithm OPERATOR(pg_catalog.=)
			ANY (ARRAY['ed25519', 'ecdsa-p256', 'ecdsa-p256-p1363'])),
	public_key bytea NOT NULL,
	valid_from timestamptz NOT NULL,
	valid_until timestamptz,
	revoked_at timestamptz,
	revocation_reason text,
	added_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	added_by text NOT NULL DEFAULT CURRENT_USER,
	CONSTRAINT keys_public_key CHECK (public_key OPERATOR(pg_catalog.=)
		ledger.canonical_public_key(algorithm, public_key)),
	CONSTRAINT keys_validity CHECK (valid_until IS NULL OR
		valid_until OPERATOR(pg_catalog.>) valid_from),
	CONSTRAINT keys_revocation CHECK ((revoked_at IS NULL)
		OPERATOR(pg_catalog.=) (revocation_reason IS NULL))
);
COMMENT ON TABLE ledger.keys IS
'registry of signing public keys; append-only except that a revocation is recorded, and may later be brought forward';
SELECT pg_catalog.pg_extension_config_dump('ledger.keys', '');
GRANT SELECT ON ledger.keys TO PUBLIC;

CREATE FUNCTION ledger.keys_append_only()
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

CREATE TRIGGER keys_append_only
	BEFORE UPDATE OR DELETE ON ledger.keys
	FOR EACH ROW EXECUTE FUNCTION ledger.keys_append_only();
CREATE TRIGGER keys_no_truncate
	BEFORE TRUNCATE ON ledger.keys
	FOR EACH STATEMENT EXECUTE FUNCTION ledger.keys_append_only();

