
-- Existing ledgers (and the extension's own, registered or not) get the
-- row-level append-only guard that new ledgers are created with
-- (sql/install/50_sync.sql); the drop guard knows its name.
DO $$
DECLARE
    t pg_catalog.regclass;
BEGIN
    FOR t IN SELECT tg.tgrelid::pg_catalog.regclass FROM pg_catalog.pg_trigger tg
              WHERE tg.tgname OPERATOR(pg_catalog.=) 'zz_ledger_row'
                AND tg.tgfoid OPERATOR(pg_catalog.=) 'ledger.row_trigger()'::pg_catalog.regprocedure
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger o
                                 WHERE o.tgrelid OPERATOR(pg_catalog.=) tg.tgrelid
                                   AND o.tgname OPERATOR(pg_catalog.=) 'ledger_append_only_row')
              ORDER BY 1 LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_append_only_row BEFORE UPDATE OR DELETE ON %s '
                                  'FOR EACH ROW EXECUTE FUNCTION ledger.refuse_row_change()', t);
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER ledger_append_only_row', t);
    END LOOP;
END
$$;
