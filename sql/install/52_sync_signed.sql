
-- ===================================================================
-- Replication of signed ledgers (docs/replication.md#signed-ledgers)
-- ===================================================================
--
-- ledger.keys is this institution's own registry, global to its ledgers:
-- any of its keys may sign any of its signed ledgers.  A peer cannot take
-- those rows into its own ledger.keys (two institutions may both register
-- a key "alice"; and a key of the origin must never sign the peer's own
-- ledgers).  So the keys that may sign a ledger travel per ledger, in
-- ledger.ledger_keys, keyed by (ledger_id, key_id): at the origin one row
-- per (own signed ledger, own key), kept equal to ledger.keys by the
-- statement trigger keys_changed (src/signed.c, in the same transaction
-- as the change, so a key arrives before the first row it signs and a
-- revocation in the origin's commit order); at a peer, the origin's rows,
-- written only by the subscription and checked on arrival by
-- ledger.catalog_guard() (a key row is only ever added, or its
-- revocation recorded or brought forward).  A replica's rows are verified
-- against these rows only; the peer's own ledgers against ledger.keys
-- only.
CREATE TABLE ledger.ledger_keys (
    ledger_id pg_catalog.int8 NOT NULL,
    key_id pg_catalog.text NOT NULL
        CONSTRAINT ledger_keys_key_id CHECK (key_id OPERATOR(pg_catalog.<>) ''),
    owner pg_catalog.text NOT NULL,
    algorithm pg_catalog.text NOT NULL
        CONSTRAINT ledger_keys_algorithm CHECK (algorithm OPERATOR(pg_catalog.=)
            ANY (ARRAY['ed25519', 'ecdsa-p256', 'ecdsa-p256-p1363'])),
    public_key pg_catalog.bytea NOT NULL,
    valid_from pg_catalog.timestamptz NOT NULL,
    valid_until pg_catalog.timestamptz,
    revoked_at pg_catalog.timestamptz,
    revocation_reason pg_catalog.text,
    added_at pg_catalog.timestamptz NOT NULL,
    added_by pg_catalog.text NOT NULL,
    PRIMARY KEY (ledger_id, key_id),
    CONSTRAINT ledger_keys_public_key CHECK (public_key OPERATOR(pg_catalog.=)
        ledger.canonical_public_key(algorithm, public_key)),
    CONSTRAINT ledger_keys_validity CHECK (valid_until IS NULL OR
        valid_until OPERATOR(pg_catalog.>) valid_from),
    CONSTRAINT ledger_keys_revocation CHECK ((revoked_at IS NULL)
        OPERATOR(pg_catalog.=) (revocation_reason IS NULL))
);
COMMENT ON TABLE ledger.ledger_keys IS 'The keys that may sign each signed ledger, as its origin registered them: at the origin a copy of ledger.keys per own signed ledger (what its publications carry), at a peer the origin''s copy, against which the replica''s signatures are verified';
SELECT pg_catalog.pg_extension_config_dump('ledger.ledger_keys', '');
REVOKE ALL ON ledger.ledger_keys FROM PUBLIC;
GRANT SELECT ON ledger.ledger_keys TO PUBLIC;

-- Checked on arrival like the rest of the catalog a publication carries.
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.ledger_keys
    FOR EACH ROW EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON ledger.ledger_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.signed_ledgers
    FOR EACH ROW EXECUTE FUNCTION ledger.catalog_guard();
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON ledger.signed_ledgers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.catalog_guard();
ALTER TABLE ledger.ledger_keys ENABLE ALWAYS TRIGGER catalog_guard,
    ENABLE ALWAYS TRIGGER catalog_guard_truncate;
ALTER TABLE ledger.signed_ledgers ENABLE ALWAYS TRIGGER catalog_guard,
    ENABLE ALWAYS TRIGGER catalog_guard_truncate;

-- Which signed ledgers are replicas is also said by their own rows: the
-- trigger keys_changed copies this institution's keys for the signed
-- ledgers whose row says replica = false, never for a replica, whose keys
-- are its origin's.  In the row itself, not only in ledger.replicas, so
-- that it holds whatever order a restore loads the catalog in
-- (pg_restore -j; docs/replication.md, "Backup and restore").  Written
-- true by create_subscription and resync_subscription (src/sync.c); the
-- origin's rows arrive with false and are skipped (ledger.catalog_guard()).
ALTER TABLE ledger.signed_ledgers ADD COLUMN replica pg_catalog.bool NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.signed_ledgers.replica IS 'true for a replica of another institution''s signed ledger (its keys are the origin''s, in ledger.ledger_keys), false for this institution''s own';
