
-- ===================================================================
-- A subscription enabled without its replicas' tables (docs/replication.md,
-- "Upgrading PostgreSQL")
-- ===================================================================
--
-- pg_upgrade (PostgreSQL 15) and pg_restore make a subscription again
-- without its tables.  Enabled so, its apply worker skips every change to
-- the replicas while the slot at the origin moves on.  ENABLE is refused
-- until ledger.resync_subscription has made it again (src/replica.c).  The
-- same trigger guards the other options of subscriptions holding replicas,
-- and the publish option of publications carrying ledgers to peers.
CREATE FUNCTION ledger._guard_subscription_enable() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_subscription_enable'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._guard_subscription_enable() IS
'Internal: event trigger refusing to enable a subscription that does not hold the replicas it writes, and other changes of subscriptions and publications of ledgers that peers could not check';
REVOKE ALL ON FUNCTION ledger._guard_subscription_enable() FROM PUBLIC;
CREATE EVENT TRIGGER ledger_guard_subscription_enable ON ddl_command_start
    WHEN TAG IN ('ALTER SUBSCRIPTION', 'ALTER PUBLICATION', 'CREATE PUBLICATION')
    EXECUTE FUNCTION ledger._guard_subscription_enable();
ALTER EVENT TRIGGER ledger_guard_subscription_enable ENABLE ALWAYS;
