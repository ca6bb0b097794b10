
-- The DDL guard's event triggers (sql/install/11_guard.sql).  The update
-- from 0.1.0 makes these two as well: ledger_guard_ddl again (its tag list
-- changed; 10_ledger.sql of the update drops it), ledger_guard_rewrite new.
CREATE EVENT TRIGGER ledger_guard_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE TRIGGER', 'CREATE RULE',
                 'CREATE TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE',
                 'ALTER TYPE', 'ALTER EXTENSION')
    EXECUTE FUNCTION ledger._guard_ddl();
CREATE EVENT TRIGGER ledger_guard_rewrite ON table_rewrite
    EXECUTE FUNCTION ledger._guard_rewrite();
