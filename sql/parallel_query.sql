-- Parallel query.  verify, prove and consistency_proof read under a
-- snapshot of the call, and they and signing_bytes look a ledger up in the
-- catalog under the newest snapshot: PostgreSQL refuses GetLatestSnapshot()
-- in parallel mode, also in the leader while a Gather runs, so they are
-- PARALLEL UNSAFE and a query calling them runs without parallelism.  As
-- PARALLEL RESTRICTED they failed under a Gather (and under
-- force_parallel_mode) with XX000 "cannot update SecondarySnapshot during a
-- parallel operation" (found by a review on 2026-12-06).
\set VERBOSITY terse

CREATE TABLE par_pay (id int PRIMARY KEY, account text, amount numeric, memo text);
SELECT ledger.create_ledger('par_pay') IS NOT NULL AS created;
INSERT INTO par_pay SELECT g, 'acct' || (g % 10), g * 1.5, repeat('x', 40)
  FROM generate_series(1, 200) g;
CREATE TABLE par_old AS SELECT ledger.digest('par_pay') AS d;
INSERT INTO par_pay SELECT g, 'acct' || (g % 10), g * 1.5, repeat('x', 40)
  FROM generate_series(201, 300) g;
SELECT ledger.seal('par_pay') >= 0 AS sealed;
CREATE TABLE par_new AS SELECT ledger.digest('par_pay') AS d;
CREATE TABLE par_signed (id int PRIMARY KEY, payer text, key_id text, sig bytea);
SELECT ledger.create_ledger('par_signed') IS NOT NULL AS created;
SELECT ledger.require_signatures('par_signed', 'sig', 'key_id');
CREATE TABLE par_plain (id int PRIMARY KEY, q float8);
INSERT INTO par_plain SELECT g, g / 10.0 FROM generate_series(1, 1000) g;
ANALYZE par_pay, par_plain;

-- the serial results
CREATE TABLE par_serial AS
  SELECT id, ledger.prove('par_pay', ledger_xact, ledger_seq) AS proof
    FROM par_pay WHERE account = 'acct7' AND amount < 60;
CREATE TABLE par_serial_cp AS
  SELECT ledger.consistency_proof('par_pay', o.d, n.d) AS cp FROM par_old o, par_new n;
CREATE TABLE par_serial_sb AS
  SELECT id, ledger.signing_bytes('par_signed', ROW(id, 'p' || id, 'k', NULL, NULL, NULL, NULL)::par_signed) AS b
    FROM par_plain WHERE q > 99.5;
CREATE TABLE par_serial_calc AS
  SELECT sum(ledger.bsm_price('call', 100, 50 + q, 0.5, 0.05, 0, 0.2)) AS bsm,
         ledger.span_scan(ledger.span_risk_array('call', 100, 50 + q, 0.5, 0.05, 0.2, 8, 0.05), 1) AS span,
         sum(ledger.regt_naked('put', 100, 50 + q)) AS regt
    FROM par_plain;
CREATE TABLE par_leaves AS
  SELECT array_agg(ledger_hash ORDER BY ledger_xact, ledger_seq) AS a FROM par_pay;

-- a new session: nothing of the catalog cached
\c
SET force_parallel_mode = regress;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

-- under REPEATABLE READ too (the catalog look-up missed its cache)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT ok, rows_checked, transactions_checked, problem FROM ledger.verify('par_pay');
SELECT count(*) AS messages,
       count(*) FILTER (WHERE ledger.signing_bytes('par_signed', ROW(x.id, 'p' || x.id, 'k', NULL, NULL, NULL, NULL)::par_signed) = s.b) AS as_serial
  FROM par_plain x JOIN par_serial_sb s USING (id);
COMMIT;

-- a query over the ledger that parallel workers may run has a Gather
EXPLAIN (COSTS OFF)
SELECT id, ledger.leaf_hash(p, ledger_xact, ledger_seq) = ledger_hash AS leaf_ok
  FROM par_pay p WHERE account = 'acct7' AND amount < 300;
SELECT count(*) AS rows, bool_and(ledger.leaf_hash(p, ledger_xact, ledger_seq) = ledger_hash) AS leaves_match
  FROM par_pay p WHERE account = 'acct7';
-- the same query calling prove runs without one (it had a Gather, and
-- failed); the queries prove runs inside may have theirs
EXPLAIN (COSTS OFF)
SELECT id, ledger.prove('par_pay', ledger_xact, ledger_seq)
  FROM par_pay WHERE account = 'acct7' AND amount < 300;
SELECT id, ledger.prove('par_pay', ledger_xact, ledger_seq) = (SELECT s.proof FROM par_serial s WHERE s.id = p.id) AS as_serial
  FROM par_pay p WHERE account = 'acct7' AND amount < 60 ORDER BY id;

-- verify, also with a digest and beside a parallel count
SELECT * FROM ledger.verify('par_pay');
SELECT ok, (SELECT count(*) FROM par_pay WHERE account = 'acct7') AS acct7 FROM ledger.verify('par_pay');
SELECT ok, problem FROM ledger.verify('par_pay', (SELECT d FROM par_old));
SELECT v.ok, v.blocks_checked FROM par_new n, LATERAL ledger.verify('par_pay', n.d) v;
SELECT ok FROM ledger.verify('par_plain');
\echo :LAST_ERROR_SQLSTATE

-- consistency_proof, digest, seal
SELECT ledger.consistency_proof('par_pay', o.d, n.d) = s.cp AS as_serial
  FROM par_old o, par_new n, par_serial_cp s;
SELECT ledger.digest('par_pay') = d AS same_digest, (SELECT count(*) FROM par_plain WHERE q > 50) AS n
  FROM par_new;
SELECT ledger.seal('par_pay') AS blocks, (SELECT count(*) FROM par_plain WHERE q > 50) AS n;

-- signing_bytes: a signed ledger, an unsigned one (22023), not a ledger (22023)
SELECT count(*) AS messages,
       count(*) FILTER (WHERE ledger.signing_bytes('par_signed', ROW(x.id, 'p' || x.id, 'k', NULL, NULL, NULL, NULL)::par_signed) = s.b) AS as_serial
  FROM par_plain x JOIN par_serial_sb s USING (id);
SELECT ledger.signing_bytes('par_pay', p) FROM par_pay p WHERE amount > 440;
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.signing_bytes('par_plain', x) FROM par_plain x WHERE q > 99.99;
\echo :LAST_ERROR_SQLSTATE

-- the merkle and proof helpers, pricing and margin: PARALLEL SAFE, with a Gather
SELECT count(*) AS checked,
       count(*) FILTER (WHERE ledger.merkle_verify_inclusion(l.a[x.id], x.id - 1, 300,
                                ledger.merkle_inclusion_proof(l.a, x.id - 1, 300),
                                ledger.merkle_root(l.a))) AS included,
       count(*) FILTER (WHERE ledger.merkle_verify_consistency(x.id, 300, ledger.merkle_root(l.a[1:x.id]),
                                ledger.merkle_root(l.a), ledger.merkle_consistency_proof(l.a, x.id, 300))) AS consistent
  FROM par_plain x, par_leaves l WHERE x.id <= 300 AND x.id % 30 = 0;
EXPLAIN (COSTS OFF)
SELECT sum(ledger.bsm_price('call', 100, 50 + q, 0.5, 0.05, 0, 0.2)) FROM par_plain;
SELECT abs(sum(ledger.bsm_price('call', 100, 50 + q, 0.5, 0.05, 0, 0.2)) - s.bsm) < 1e-6 AS bsm_as_serial,
       abs(ledger.span_scan(ledger.span_risk_array('call', 100, 50 + q, 0.5, 0.05, 0.2, 8, 0.05), 1) - s.span) < 1e-6 AS span_as_serial,
       abs(sum(ledger.regt_naked('put', 100, 50 + q)) - s.regt) < 1e-6 AS regt_as_serial
  FROM par_plain, par_serial_calc s GROUP BY s.bsm, s.span, s.regt;

-- every function of the extension whose C code can take a new snapshot
-- (GetLatestSnapshot, PushActiveSnapshot), advance the command counter,
-- draw from a sequence or write is PARALLEL UNSAFE
SELECT p.oid::regprocedure AS function, p.proparallel
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ledger'
 WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
   AND p.proparallel <> 'u'
   AND p.prosrc IN ('ledger_verify', 'ledger_prove', 'ledger_consistency_proof',
                    'ledger_signing_bytes', 'ledger_digest', 'ledger_seal',
                    'ledger_create_ledger', 'ledger_check_ledger', 'ledger_prepare_builtin',
                    'ledger_catalog_guard', 'ledger_guard_replica_rename',
                    'ledger_require_signatures', 'ledger_row_trigger', 'ledger_row_trigger_2', 'ledger_signature_trigger',
                    'ledger_create_publication', 'ledger_add_to_publication',
                    'ledger_remove_from_publication', 'ledger_create_subscription',
                    'ledger_resync_subscription', 'ledger_drop_subscription')
 ORDER BY 1;
