
-- ===================================================================
-- DROP EXTENSION ledger is refused while ledgers exist (src/guard.c)
-- ===================================================================
--
-- The tables holding every ledger's history are members of the extension:
-- DROP EXTENSION ledger CASCADE deleted it all, with a NOTICE naming the
-- ledgers' triggers only, and left their tables writable.  Refused at the
-- command's start while ledger.ledgers has a row, with or without CASCADE;
-- drop_ledger() is the deliberate way to remove a ledger.
CREATE FUNCTION ledger._guard_drop_extension() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'ledger_guard_drop_extension'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._guard_drop_extension() IS
'Internal: event trigger refusing DROP EXTENSION ledger, DROP SCHEMA of its schema and DROP OWNED BY its owner while ledgers exist';
REVOKE ALL ON FUNCTION ledger._guard_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER ledger_guard_drop_extension ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION ledger._guard_drop_extension();
ALTER EVENT TRIGGER ledger_guard_drop_extension ENABLE ALWAYS;
