
-- Existing ledgers (and the extension's own, registered or not) get the
-- row-level append-only guard that new ledgers are created with
-- (sql/install/50_sync.sql); the drop guard knows its name (and that of a
-- signed ledger's signature trigger, which ledger._check_ledger checks with
-- the ledger's other triggers since 0.2.0).
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

CREATE OR REPLACE FUNCTION ledger._guard_drop() RETURNS event_trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    rel pg_catalog.regclass;
BEGIN
    IF tg_tag OPERATOR(pg_catalog.=) 'DROP EXTENSION' THEN
        RETURN;
    END IF;
    FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        IF r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND EXISTS (SELECT 1 FROM ledger.ledgers g
                       WHERE g.relation::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid) THEN
            IF r.objsubid OPERATOR(pg_catalog.=) 0 THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'feature_not_supported',
                    MESSAGE = pg_catalog.format('cannot drop ledger table %s', r.object_identity),
                    DETAIL = 'A ledger''s history is kept for good.',
                    HINT = 'A superuser can remove a ledger with ledger.drop_ledger().';
            END IF;
            -- a dropped column: the shape check names it
            PERFORM ledger._check_ledger(r.objid::pg_catalog.regclass, true);
        ELSIF r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
           AND r.address_names[pg_catalog.array_length(r.address_names, 1)]
               OPERATOR(pg_catalog.=) ANY (ARRAY['zz_ledger_row', 'ledger_append_only', 'ledger_append_only_row', 'ledger_signature']) THEN
            rel := pg_catalog.to_regclass(pg_catalog.quote_ident(r.address_names[1])
                   OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.address_names[2]));
            IF rel IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.ledgers g
                                           WHERE g.relation OPERATOR(pg_catalog.=) rel) THEN
                PERFORM ledger._check_ledger(rel, true);
            END IF;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._guard_drop() IS 'Internal: event trigger refusing to drop ledger tables, their columns or triggers';
