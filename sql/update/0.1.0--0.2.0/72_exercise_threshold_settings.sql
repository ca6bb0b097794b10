
-- ledger.exercise_threshold was PGC_USERSET in 0.1.0 and is superuser-only
-- now (src/margin.c): under 0.1.0 the owner of a database, or any role for
-- itself, could store it with ALTER DATABASE / ALTER ROLE ... SET, and the
-- margin scheduler's run_expiry takes its database's settings.  PostgreSQL
-- applies a stored pg_db_role_setting entry without asking who made it
-- (guc.c, set_config_option: "we assume a suitable privilege check was
-- done when the pg_db_role_setting entry was made"), so such an entry
-- outlives the change.  Each is named in a WARNING with the command that
-- removes it (a superuser may have meant it: the update removes nothing).
-- pg_db_role_setting is shared: the entries of every database are named.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN
        SELECT d.datname, r.rolname,
               pg_catalog.substr(c.setting, pg_catalog.length('ledger.exercise_threshold=') OPERATOR(pg_catalog.+) 1) AS value
          FROM pg_catalog.pg_db_role_setting e
          CROSS JOIN LATERAL pg_catalog.unnest(e.setconfig) AS c(setting)
          LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) e.setdatabase
          LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.setrole
         WHERE pg_catalog.lower(c.setting) OPERATOR(pg_catalog.~~) 'ledger.exercise\_threshold=%'
         ORDER BY d.datname NULLS FIRST, r.rolname NULLS FIRST
    LOOP
        RAISE WARNING USING
            ERRCODE = '01000',
            MESSAGE = pg_catalog.format('ledger.exercise_threshold is set to %s %s in pg_db_role_setting',
                s.value,
                CASE WHEN s.rolname IS NULL THEN pg_catalog.format('for database %I', s.datname)
                     WHEN s.datname IS NULL THEN pg_catalog.format('for role %I', s.rolname)
                     ELSE pg_catalog.format('for role %I in database %I', s.rolname, s.datname) END),
            DETAIL = 'Ledger 0.1.0 let any role set it, and ledger 0.2.0 lets only a superuser; PostgreSQL applies the stored setting whoever made it, and the margin scheduler''s ledger.run_expiry exercises no option in the money by less.',
            HINT = pg_catalog.format('Unless a superuser meant it, remove it: %s;',
                CASE WHEN s.rolname IS NULL THEN pg_catalog.format('ALTER DATABASE %I RESET ledger.exercise_threshold', s.datname)
                     WHEN s.datname IS NULL THEN pg_catalog.format('ALTER ROLE %I RESET ledger.exercise_threshold', s.rolname)
                     ELSE pg_catalog.format('ALTER ROLE %I IN DATABASE %I RESET ledger.exercise_threshold', s.rolname, s.datname) END);
    END LOOP;
END
$$;
