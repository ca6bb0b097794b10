
-- verify, prove and signing_bytes take a fresh snapshot (a snapshot of the
-- call; the catalog look-up of the ledger under the newest snapshot), which
-- PostgreSQL refuses in parallel mode: 0.1.0 made them PARALLEL RESTRICTED,
-- and a query whose plan had a Gather failed with XX000 (sql/install/
-- 10_ledger.sql, 25_signed.sql; consistency_proof is created unsafe by
-- 11_catalog.sql).
ALTER FUNCTION ledger.verify(pg_catalog.regclass, pg_catalog.jsonb) PARALLEL UNSAFE;
ALTER FUNCTION ledger.prove(pg_catalog.regclass, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) PARALLEL UNSAFE;
ALTER FUNCTION ledger.signing_bytes(pg_catalog.regclass, record) PARALLEL UNSAFE;
