
-- The guard against DROP (the update from 0.1.0 keeps 0.1.0's).
CREATE EVENT TRIGGER ledger_guard_drop ON sql_drop
    EXECUTE FUNCTION ledger._guard_drop();
