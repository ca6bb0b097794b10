-- The same text in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/24_signed_prepared.sql links here).

-- Prepared transactions (docs/signing.md#prepared-transactions).  At
-- PREPARE TRANSACTION, the keys that signed the rows a transaction records,
-- with their end of validity and revocation as the transaction saw them
-- (its own add_key or revoke_key included), written inside it (so they
-- commit or roll back with it); before COMMIT PREPARED, the hook in
-- src/signed.c finds them by transaction id, checks the keys again (by the
-- earlier of these and the committed registry's) and records that check in
-- signed_commit_checks, in the COMMIT PREPARED statement's own transaction.
-- Column order is relied upon by src/signed.c.
CREATE TABLE ledger.signed_prepared_keys (
	xact_id pg_catalog.int8 NOT NULL,
	transaction pg_catalog.xid8 NOT NULL,
	key_id pg_catalog.text NOT NULL,
	prepared_at pg_catalog.timestamptz NOT NULL,
	valid_until pg_catalog.timestamptz,
	revoked_at pg_catalog.timestamptz,
	PRIMARY KEY (xact_id, key_id)
);
CREATE INDEX signed_prepared_keys_transaction_idx
	ON ledger.signed_prepared_keys (transaction);
COMMENT ON TABLE ledger.signed_prepared_keys IS
'keys that signed the rows of each prepared transaction (ledger transaction number, transaction id), with their valid_until and revoked_at as the transaction saw them, recorded at PREPARE TRANSACTION';

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
