
-- ---------------------------------------------------------------------------
-- Signatures and the key registry (DESIGN.md section 2, docs/signing.md).
-- ---------------------------------------------------------------------------

CREATE FUNCTION ledger.verify_signature(algorithm text, public_key bytea,
										message bytea, signature bytea)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ledger_verify_signature'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
-- About 55-75 us a call, 2000 units of cpu_operator_cost on PostgreSQL's
-- scale (jit_above_cost's 100000 stands for a query of about a second):
-- the planner still tests cheap quals first.  0.1.0 said 10000, and a query
-- over 4,000 signatures was JIT-compiled, which cost a fresh session more
-- than half the verification again (docs/signing.md).
COST 2000;
COMMENT ON FUNCTION ledger.verify_signature(text, bytea, bytea, bytea) IS
'true if signature verifies over message under public_key with algorithm ed25519, ecdsa-p256 (DER) or ecdsa-p256-p1363 (r||s); false for a wrong or malformed signature';

CREATE FUNCTION ledger.canonical_public_key(algorithm text, public_key bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ledger_canonical_public_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 2000;	-- as verify_signature (a DER or PEM key takes longer: docs/signing.md)
COMMENT ON FUNCTION ledger.canonical_public_key(text, bytea) IS
'checked canonical form of a public key (32 raw bytes for ed25519, 65-byte uncompressed point for ECDSA P-256), from that form or a DER SubjectPublicKeyInfo';

CREATE FUNCTION ledger.public_key_from_pem(pem text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ledger_public_key_from_pem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 2000;	-- as verify_signature (a DER or PEM key takes longer: docs/signing.md)
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
