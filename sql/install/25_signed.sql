
-- ---------------------------------------------------------------------------
-- Signed ledgers (DESIGN.md section 2, docs/signing.md#signed-ledgers).
-- ---------------------------------------------------------------------------

-- One row per ledger that requires signatures.  The column names are part
-- of the ledger's shape, which the DDL guard keeps (no rename, no retype).
CREATE TABLE ledger.signed_ledgers (
	ledger_id pg_catalog.int8 PRIMARY KEY,
	signature_attname pg_catalog.name NOT NULL,
	key_attname pg_catalog.name NOT NULL,
	required_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	required_by pg_catalog.name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE ledger.signed_ledgers IS
'ledgers whose rows must be signed: the signature (bytea) and key id (text) columns';

-- Replay protection: one row per signed message accepted.  The message
-- holds the ledger's uuid and the key id, so the primary key is uniqueness
-- on (ledger, key, message).  Written by the signature trigger only; column
-- order is relied upon by src/signed.c.
CREATE TABLE ledger.signed_messages (
	ledger_id pg_catalog.int8 NOT NULL,
	message_hash pg_catalog.bytea NOT NULL,
	key_id pg_catalog.text NOT NULL,
	PRIMARY KEY (ledger_id, message_hash)
);
COMMENT ON TABLE ledger.signed_messages IS
'SHA-256 of every signed row message accepted, per ledger: refuses replays';

SELECT pg_catalog.pg_extension_config_dump('ledger.signed_ledgers', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.signed_messages', '');
REVOKE ALL ON ledger.signed_ledgers, ledger.signed_messages FROM PUBLIC;
GRANT SELECT ON ledger.signed_ledgers, ledger.signed_messages TO PUBLIC;

CREATE FUNCTION ledger.signature_trigger() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_signature_trigger'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.signature_trigger() IS
'BEFORE INSERT row trigger of signed ledgers: refuses rows without a valid, fresh signature by a registered key';

CREATE FUNCTION ledger.keys_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_keys_changed'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.keys_changed() IS
'Statement trigger of ledger.keys: makes every backend drop its cached keys at commit';

CREATE TRIGGER keys_changed
	AFTER INSERT OR UPDATE ON ledger.keys
	FOR EACH STATEMENT EXECUTE FUNCTION ledger.keys_changed();
ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER keys_changed;

CREATE FUNCTION ledger.require_signatures(tbl pg_catalog.regclass,
										  signature_column pg_catalog.name,
										  key_column pg_catalog.name)
RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_require_signatures'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.require_signatures(pg_catalog.regclass, pg_catalog.name, pg_catalog.name) IS
'Makes an empty ledger signed: every row must carry in signature_column a signature of ledger.signing_bytes(row) by the key named in key_column';
REVOKE ALL ON FUNCTION ledger.require_signatures(pg_catalog.regclass, pg_catalog.name, pg_catalog.name) FROM PUBLIC;

CREATE FUNCTION ledger.signing_bytes(tbl pg_catalog.regclass, row_value record)
RETURNS pg_catalog.bytea
	AS 'MODULE_PATHNAME', 'ledger_signing_bytes'
	LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION ledger.signing_bytes(pg_catalog.regclass, record) IS
'The bytes to sign for a row of a signed ledger: ''ledger-row-v1'' || ledger uuid || canonical bytes without the signature and ledger columns';

CREATE EVENT TRIGGER ledger_guard_signed ON ddl_command_end
	WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'DROP TRIGGER', 'CREATE TRIGGER')
	EXECUTE FUNCTION ledger._guard_signed();
