-- Bad input to the ledger-table functions: a clear error with a SQLSTATE,
-- and nothing half-created.
CREATE EXTENSION IF NOT EXISTS ledger;
\set VERBOSITY terse

-- NULL arguments
-- (create_ledger, digest and drop_ledger were STRICT and returned NULL
-- without a word: to_regclass of a mistyped name made no ledger)
SELECT ledger.create_ledger(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.create_ledger(to_regclass('public.no_such_table'));
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.digest(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.drop_ledger(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.verify(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.seal(NULL::regclass) >= 0 AS seal_all_of_none;

-- wrong type and unknown objects
SELECT ledger.create_ledger('no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.create_ledger(12345::oid::regclass);
SELECT ledger.create_ledger('pg_class');

-- not a plain, permanent table
CREATE VIEW v AS SELECT 1 AS x;
SELECT ledger.create_ledger('v');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE parted (id int4, k int4) PARTITION BY RANGE (k);
SELECT ledger.create_ledger('parted');
CREATE TEMP TABLE tmp (id int4);
SELECT ledger.create_ledger('tmp');
\echo :LAST_ERROR_SQLSTATE
CREATE UNLOGGED TABLE unl (id int4);
SELECT ledger.create_ledger('unl');
CREATE SEQUENCE sq;
SELECT ledger.create_ledger('sq');
-- the extension's own tables (a superuser): refused, left as the extension made them
SELECT ledger.create_ledger('ledger.keys');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.create_ledger('ledger.margin_prices');
SELECT ledger.create_ledger('ledger.margin_calls');
SELECT count(*) AS ledger_columns_of_keys FROM pg_attribute
 WHERE attrelid = 'ledger.keys'::regclass AND attname LIKE 'ledger\_%' AND NOT attisdropped;
SELECT count(*) AS triggers_of_keys FROM pg_trigger WHERE tgrelid = 'ledger.keys'::regclass;

-- unsupported columns: refused, and the table is left exactly as it was
CREATE TABLE odd (id int4, pos point, tags text[]);
INSERT INTO odd VALUES (1, '(1,2)', '{a}');
SELECT ledger.create_ledger('odd');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS columns_after FROM information_schema.columns WHERE table_name = 'odd';
SELECT count(*) AS triggers_after FROM pg_trigger WHERE tgrelid = 'odd'::regclass;
SELECT count(*) AS ledgers_after FROM ledger.ledgers WHERE relation = 'odd'::regclass;

-- a generated column is refused (it is computed after the row is hashed)
CREATE TABLE gen (a int4, b int4 GENERATED ALWAYS AS (a * 2) STORED);
SELECT ledger.create_ledger('gen');
-- a column with the reserved prefix
CREATE TABLE clash (id int4, ledger_note text);
SELECT ledger.create_ledger('clash');
\echo :LAST_ERROR_SQLSTATE
-- a table with rules
CREATE TABLE ruled (id int4);
CREATE RULE ruled_r AS ON INSERT TO ruled DO ALSO NOTHING;
SELECT ledger.create_ledger('ruled');
-- a table whose only columns would all be ledger columns
CREATE TABLE empty_cols ();
SELECT ledger.create_ledger('empty_cols');

-- twice
CREATE TABLE twice (id int4);
SELECT (ledger.create_ledger('twice'))->>'block' AS first;
SELECT ledger.create_ledger('twice');
\echo :LAST_ERROR_SQLSTATE

-- not the owner
CREATE ROLE ledger_stranger;
CREATE TABLE owned (id int4);
GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass) TO ledger_stranger;
SET ROLE ledger_stranger;
SELECT ledger.create_ledger('owned');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ledger.create_ledger(regclass) FROM ledger_stranger;
DROP ROLE ledger_stranger;

-- functions on tables that are not ledgers
SELECT * FROM ledger.verify('owned');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.digest('owned');
SELECT ledger.seal('owned');

-- digests that do not fit: each malformed field is named (22023)
SELECT * FROM ledger.verify('twice', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.verify('twice', '[1, 2]');
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{ledger_uuid}', '"x"'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{ledger_uuid}', '42'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block}', '"not a number"'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block}', '-5'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block}', '1.5'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block}', '99999999999999999999999'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block_hash}', '"00"'));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block_hash}', to_jsonb(repeat('zz', 32))));
SELECT * FROM ledger.verify('twice', jsonb_set(ledger.digest('twice'), '{block_hash}', 'null'));
SELECT * FROM ledger.verify('twice', ('{"ledger_uuid": "' || repeat('a', 100000) || '"}')::jsonb);
-- well-formed digests that do not match: ok = false, never an error
SELECT ok, problem FROM ledger.verify('twice',
  jsonb_set(ledger.digest('twice'), '{block}', '99'));
SELECT ok, regexp_replace(problem, '[0-9a-f]{64}', '<hash>', 'g') AS problem FROM ledger.verify('twice',
  jsonb_set(ledger.digest('twice'), '{block_hash}', to_jsonb(repeat('00', 32))));
-- a digest of another ledger (or of this one before its uuid was changed)
SELECT ok, regexp_replace(problem, '[0-9a-f-]{36}', '<uuid>', 'g') AS problem FROM ledger.verify('twice',
  jsonb_set(ledger.digest('twice'), '{ledger_uuid}', '"00000000-0000-0000-0000-000000000000"'));
-- hex is compared as bytes: an upper-case digest is the same digest
SELECT ok, problem FROM ledger.verify('twice',
  jsonb_set(ledger.digest('twice'), '{block_hash}', to_jsonb(upper(ledger.digest('twice')->>'block_hash'))));
SELECT ok, problem FROM ledger.verify('twice',
  jsonb_set(ledger.digest('twice'), '{ledger_uuid}', to_jsonb(upper(ledger.digest('twice')->>'ledger_uuid'))));

-- the ledger's trigger functions called by hand or misattached
SELECT ledger.row_trigger();
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE plain (id int4);
CREATE TRIGGER misattached BEFORE INSERT ON plain FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger();
INSERT INTO plain VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER misattached ON plain;
-- a second copy of the ledger's trigger on a ledger is refused by the DDL guard
CREATE TRIGGER misattached AFTER INSERT ON twice FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger();
\echo :LAST_ERROR_SQLSTATE

-- NaN, Infinity and oversized values are data, stored and hashed like any other
CREATE TABLE edge (f float8, n numeric, t text, b bytea);
SELECT (ledger.create_ledger('edge'))->>'rows' AS genesis_rows;
INSERT INTO edge VALUES ('NaN', 'NaN', '', ''), ('Infinity', 'Infinity', NULL, NULL),
  ('-Infinity', '-Infinity', repeat('y', 2000000), decode(repeat('ff', 1000000), 'hex'));
SELECT ok, rows_checked, problem FROM ledger.verify('edge');
-- a proof carries the oversized row whole, as canonical base64 (4 characters
-- for each 3 bytes, RFC 4648 section 4), and NaN and infinities as any value
SELECT ledger.seal('edge') >= 0 AS sealed;
SELECT e.f, length(p->'row'->>'canonical_bytes') AS base64_len,
       4 * ((octet_length(ledger.canonical_bytes(e, e.ledger_xact, e.ledger_seq)) + 2) / 3) AS expected_len,
       decode(p->'row'->>'canonical_bytes', 'base64')
         = ledger.canonical_bytes(e, e.ledger_xact, e.ledger_seq) AS same_bytes
  FROM edge e, LATERAL ledger.prove('edge', e.ledger_xact, e.ledger_seq) p
 ORDER BY e.f;
-- a row whose canonical form does not fit a jsonb string in base64 (over
-- 201 MB) is stored and verified, but gets no proof (54000)
CREATE TABLE huge (t text);
SELECT (ledger.create_ledger('huge'))->>'rows' AS genesis_rows;
INSERT INTO huge VALUES (repeat('h', 202000000));
SELECT ledger.seal('huge') >= 0 AS sealed;
SELECT ok, rows_checked FROM ledger.verify('huge');
DO $$
BEGIN
  PERFORM ledger.prove('huge', ledger_xact, ledger_seq) FROM huge;
EXCEPTION WHEN program_limit_exceeded THEN
  RAISE NOTICE '54000: %', regexp_replace(SQLERRM, 'transaction \d+', 'transaction N');
END $$;
SELECT ledger.drop_ledger('huge');
-- a value too large for the table is refused by PostgreSQL, and nothing is recorded
INSERT INTO edge (t) VALUES (repeat('z', 1073741824));
SELECT (ledger.digest('edge'))->>'rows' AS rows_recorded;

-- OIDs that name nothing are refused, never taken as "all ledgers" (42P01)
SELECT ledger.seal(0::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.seal(12345::oid::regclass);
SELECT * FROM ledger.verify(0::regclass);
SELECT ledger.digest(0::regclass);
-- block numbers out of range are refused, never taken as "the newest" (22023)
SELECT ledger.prove('twice', 0, 0, -5);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.prove('twice', 0, 0, 99);

-- export: NULL is refused (22004, as verify: it gave no line, an "export"
-- of nothing, before 2026-12-06), a table that is not a ledger and a missing OID
-- are refused, oversized values are exported whole, and a role that
-- row-level security hides rows from cannot export (an export is all rows)
SELECT count(*) FROM ledger.export(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.export('plain');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.export(0::regclass);
SELECT count(*) AS lines, max(length(l)) > 4000000 AS oversized_row_whole,
       count(*) FILTER (WHERE l::jsonb->>'type' = 'row') AS rows
  FROM ledger.export('edge') l;
CREATE ROLE export_reader;
GRANT SELECT ON edge TO export_reader;
ALTER TABLE edge ENABLE ROW LEVEL SECURITY;
SET ROLE export_reader;
SELECT count(*) FROM ledger.export('edge');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ALTER TABLE edge DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON edge FROM export_reader;
DROP ROLE export_reader;

-- a row too large for an export (over 536,870,399 canonical bytes, too heavy
-- to store here): the error export raises for it, before encoding it
SELECT ledger._export_row_too_large('edge', 7, 3, 536870400);
\echo :LAST_ERROR_SQLSTATE

-- merkle_root with absurd input
SELECT ledger.merkle_root('{}') = sha256('') AS empty_tree;

DROP VIEW v;
DROP TABLE parted, unl, odd, gen, clash, ruled, empty_cols, owned, plain;
DROP SEQUENCE sq;
