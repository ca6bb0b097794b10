-- Which ledgers are replicas is also said by their own rows in
-- ledger.ledgers (not only by ledger.replicas): the sealer locks that row
-- before it seals a ledger, so it knows whatever order a restore loads the
-- catalog in (pg_restore -j), and never seals a replica's records here
-- even when ledger.replicas is not loaded yet (docs/replication.md,
-- "Backup and restore").  Written true by create_subscription and
-- resync_subscription (src/sync.c); the origin's row, which a publication
-- carries with false, is never stored at a peer (ledger.catalog_guard()).
-- The same text in the install script and in the update from 0.1.0
-- (sql/update/0.1.0--0.2.0/14_ledgers_replica.sql links here).
ALTER TABLE ledger.ledgers ADD COLUMN replica pg_catalog.bool NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.ledgers.replica IS 'true for a replica of another institution''s ledger (never sealed here; its blocks are the origin''s), false for this institution''s own';
