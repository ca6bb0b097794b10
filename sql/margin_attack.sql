-- Forged aggregate states (issue #9, item 2).  Any role may declare an
-- aggregate of its own over a function it can execute, with an initial
-- state of its choosing, and call the support functions directly.  In
-- 0.2.0 the margin aggregates keep their state in C memory (SQL type
-- internal): SQL cannot produce such a value, and only a superuser may
-- declare an aggregate with it.  The 0.1.0 support functions, which a
-- database at 0.1.0 still calls, check every array they are given.
\set VERBOSITY terse

-- Runs a statement and reports its SQLSTATE and message.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT current_database() AS regression_db \gset

-- ===================================================================
-- 0.2.0: the state is internal
-- ===================================================================
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtranstype::regtype AS state,
	   a.aggtransspace > 0 AS has_size, a.aggserialfn <> 0 AS serializes,
	   a.aggdeserialfn <> 0 AS deserializes, a.aggcombinefn <> 0 AS combines
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'ledger'::regnamespace
 ORDER BY a.aggfnoid::regprocedure::text COLLATE "C";
-- every function whose arguments include internal (margin, pricing) returns internal
-- or is an aggregate's final or serialization function: none is callable
-- from SQL
SELECT p.oid::regprocedure AS support_function
  FROM pg_proc p
 WHERE p.pronamespace = 'ledger'::regnamespace
   AND 'internal'::regtype = ANY (p.proargtypes::regtype[])
 ORDER BY p.oid::regprocedure::text COLLATE "C";

CREATE ROLE margin_attacker;
SET ROLE margin_attacker;
-- an aggregate with an internal state of the attacker's making: refused
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[], float8) (SFUNC = ledger.span_accum,
	STYPE = internal, FINALFUNC = ledger.risk_array_scan_final)$q$);
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[], float8) (SFUNC = ledger.risk_array_accum,
	STYPE = internal, FINALFUNC = ledger.risk_array_final)$q$);
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(int4, float8) (SFUNC = ledger.span_tier_accum,
	STYPE = internal, FINALFUNC = ledger.span_tier_deltas_final)$q$);
-- a forged float8[] state: the float8[] support functions are gone
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[], float8) (SFUNC = ledger.span_accum,
	STYPE = float8[], INITCOND = '{1}')$q$);
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[], float8) (SFUNC = ledger.risk_array_accum,
	STYPE = float8[], INITCOND = '{1}')$q$);
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[]) (SFUNC = ledger.risk_array_combine,
	STYPE = float8[])$q$);
SELECT pg_temp.err($q$CREATE AGGREGATE pg_temp.x(float8[], float8) (SFUNC = ledger.span_accum,
	STYPE = float8[], FINALFUNC = ledger.risk_array_final)$q$);
-- calling a support function: no SQL value, not even NULL, is internal
SELECT pg_temp.err($q$SELECT ledger.span_accum(NULL, '{1}', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_accum(NULL::internal, '{1}', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_accum(NULL, '{1}', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_combine(NULL, NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_serialize(NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_deserialize('\x0000001000'::bytea, NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_scan_final(NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_final(NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tier_accum(NULL, 1, 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tier_deserialize('\x'::bytea, NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tiers_final(NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.margin_rows_support(NULL)$q$);
-- the aggregates themselves, with every malformed input
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, 1) FROM (VALUES ('{1,2}'::float8[])) v(a)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(1::float8, ARRAY[17]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(1::float8, ARRAY[16, 1]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(1::float8, ARRAY[16], ARRAY[0]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(1::float8, ARRAY[16], ARRAY[-5]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(NULL::float8, ARRAY[16]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_scan(array_fill(1::float8, ARRAY[1000000]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_sum(array_fill(1::float8, ARRAY[2], ARRAY[2]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_sum(a, 1) FROM (VALUES ('{1,2}'::float8[]), ('{}')) v(a)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tiers(t, d) FROM (VALUES (1, 'NaN'::float8)) v(t, d)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tier_deltas(t, d) FROM (VALUES (NULL::int4, 1::float8)) v(t, d)$q$);
-- an integer array is converted to float8[] by the parser before the call
SELECT ledger.risk_array_sum(ARRAY[1, 2, 3], 2) AS int_array_converted;
-- ledger.risk_array_max_loss is an ordinary function over any float8[]:
-- every shape but a one-dimensional, 1-based array of 1 to 1000 finite
-- numbers is refused
SELECT ledger.risk_array_max_loss('{3, -1, 7.5}') AS max_loss,
	   ledger.risk_array_max_loss('{-3, -1}') AS no_loss, ledger.risk_array_max_loss(NULL) AS null_in;
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{1, NULL}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('[5:6]={1, 2}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{{1, 2}, {3, 4}}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{1, NaN}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{1, -Infinity}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss(array_fill(1::float8, ARRAY[1001]))$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss(array_fill(1::float8, ARRAY[100000]))$q$);
RESET ROLE;

-- A superuser may declare an aggregate over internal states; a state of one
-- margin aggregate given to another's final function is caught.
CREATE AGGREGATE pg_temp.mixed(int4, float8) (SFUNC = ledger.span_tier_accum, STYPE = internal,
	FINALFUNC = ledger.risk_array_scan_final);
SELECT pg_temp.err($q$SELECT pg_temp.mixed(t, d) FROM (VALUES (1, 2::float8)) v(t, d)$q$);
CREATE AGGREGATE pg_temp.mixed2(float8[], float8) (SFUNC = ledger.risk_array_accum, STYPE = internal,
	FINALFUNC = ledger.span_tiers_final);
SELECT pg_temp.err($q$SELECT pg_temp.mixed2(a, 1) FROM (VALUES ('{1,2}'::float8[])) v(a)$q$);
DROP AGGREGATE pg_temp.mixed(int4, float8);
DROP AGGREGATE pg_temp.mixed2(float8[], float8);

-- ===================================================================
-- Parallel aggregation: partial states are serialized in the workers and
-- combined in the leader, with the same results as a serial plan.
-- ===================================================================
CREATE TABLE attack_par AS
SELECT g % 40 AS account, g % 3 AS tier,
	   ledger.span_risk_array(CASE g % 3 WHEN 0 THEN 'call' WHEN 1 THEN 'put' ELSE 'future' END,
		   100, 90 + g % 20, 0.1 + (g % 7) * 0.1, 0.02, 0.2 + (g % 5) * 0.02, 6, 0.04, 50) AS a,
	   ledger.pm_risk_array(CASE g % 3 WHEN 0 THEN 'call' WHEN 1 THEN 'put' ELSE 'stock' END,
		   100, 90 + g % 20, 0.1 + (g % 7) * 0.1, 0.02, 0.01, 0.25) AS b,
	   ((g % 11) - 5)::float8 AS q
  FROM generate_series(1, 20000) g;
ANALYZE attack_par;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT account, ledger.span_scan(a, q), ledger.pm_scan(b, q), ledger.risk_array_sum(b, q),
	   ledger.span_tiers(tier, q), ledger.span_tier_deltas(tier, q)
  FROM attack_par GROUP BY account;
CREATE TEMP TABLE par_result AS
SELECT account, ledger.span_scan(a, q) AS s, ledger.pm_scan(b, q) AS p,
	   ledger.risk_array_sum(b, q) AS r, ledger.span_tiers(tier, q) AS t,
	   ledger.span_tier_deltas(tier, q) AS d
  FROM attack_par GROUP BY account;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser_result AS
SELECT account, ledger.span_scan(a, q) AS s, ledger.pm_scan(b, q) AS p,
	   ledger.risk_array_sum(b, q) AS r, ledger.span_tiers(tier, q) AS t,
	   ledger.span_tier_deltas(tier, q) AS d
  FROM attack_par GROUP BY account;
RESET max_parallel_workers_per_gather;
-- partial sums are added in another order: equal to 1e-9 relative
SELECT count(*) AS accounts,
	   bool_and(abs(p.s - x.s) <= 1e-9 * greatest(1, abs(x.s))) AS span_scan_matches,
	   bool_and(abs(p.p - x.p) <= 1e-9 * greatest(1, abs(x.p))) AS pm_scan_matches,
	   bool_and((SELECT bool_and(abs(u - v) <= 1e-9 * greatest(1, abs(v)))
				   FROM unnest(p.r, x.r) w(u, v))) AS risk_array_sum_matches,
	   bool_and((SELECT bool_and(abs(u.d - v.d) <= 1e-9 * greatest(1, abs(v.d)))
				   FROM unnest(p.t, p.d) u(t, d) JOIN unnest(x.t, x.d) v(t, d) USING (t))
				AND cardinality(p.t) = cardinality(x.t)) AS tier_deltas_match
  FROM par_result p JOIN ser_result x USING (account);
DROP TABLE attack_par;

-- ===================================================================
-- A database still at 0.1.0 (the package was upgraded, ALTER EXTENSION
-- UPDATE not run yet) calls the 0.1.0 support functions, whose state is a
-- float8[]: every forged state is refused, none is read or written past
-- its end.
-- ===================================================================
CREATE DATABASE ledger_margin_010;
\c ledger_margin_010
CREATE EXTENSION ledger VERSION '0.1.0';
\set VERBOSITY terse
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- Declares pg_temp.forged_<n> over sfunc with a state of initcond, the final
-- function final, and runs it over one row of arg; reports the outcome.
CREATE FUNCTION pg_temp.forge(n int, sfunc text, initcond text, final text, arg text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	-- the combine function takes one input, the transition functions two
	IF sfunc = 'ledger.risk_array_combine' THEN
		EXECUTE format('CREATE AGGREGATE pg_temp.forged_%s(float8[]) (SFUNC = %s, '
					   'STYPE = float8[], INITCOND = %L, FINALFUNC = %s)', n, sfunc, initcond, final);
		EXECUTE format('SELECT pg_temp.forged_%s(%s)::text', n, arg) INTO r;
	ELSE
		EXECUTE format('CREATE AGGREGATE pg_temp.forged_%s(float8[], float8) (SFUNC = %s, '
					   'STYPE = float8[], INITCOND = %L, FINALFUNC = %s)', n, sfunc, initcond, final);
		EXECUTE format('SELECT pg_temp.forged_%s(%s, 1)::text', n, arg) INTO r;
	END IF;
	RETURN 'ok: ' || left(r, 40);
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SET ROLE margin_attacker;
-- crafted states over each transition function, each final function
SELECT i, pg_temp.forge(i, f.sfunc, f.initcond, f.final, f.arg) AS outcome
  FROM (VALUES
	(1, 'ledger.span_accum', '{}', 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(2, 'ledger.span_accum', '{1}', 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(3, 'ledger.span_accum', array_fill(0::float8, ARRAY[17])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(4, 'ledger.span_accum', array_fill(NULL::float8, ARRAY[16])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(5, 'ledger.span_accum', array_fill(0::float8, ARRAY[16, 2])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(6, 'ledger.span_accum', array_fill(0::float8, ARRAY[16], ARRAY[0])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(7, 'ledger.span_accum', array_fill(0::float8, ARRAY[16], ARRAY[100])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(8, 'ledger.span_accum', array_fill('NaN'::float8, ARRAY[16])::text, 'ledger.risk_array_max_loss', 'array_fill(1::float8, ARRAY[16])'),
	(9, 'ledger.risk_array_accum', '{0, 0}', 'ledger.risk_array_final', 'ARRAY[1, 2, 3]::float8[]'),
	(10, 'ledger.risk_array_accum', '{0, 0, 0}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(11, 'ledger.risk_array_accum', array_fill(0::float8, ARRAY[100000])::text, 'ledger.risk_array_final', 'array_fill(1::float8, ARRAY[100000])'),
	(12, 'ledger.risk_array_accum', '{0, NULL}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(13, 'ledger.risk_array_accum', '[2:3]={0, 0}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(14, 'ledger.risk_array_accum', '{{0, 0}, {0, 0}}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(15, 'ledger.risk_array_accum', '{0, 0}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(16, 'ledger.risk_array_combine', '{}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(17, 'ledger.risk_array_combine', '{0, 0, 0}', 'ledger.risk_array_final', 'ARRAY[1, 2]::float8[]'),
	(18, 'ledger.risk_array_combine', '{0, 0}', 'ledger.risk_array_max_loss', 'ARRAY[1, NULL]::float8[]'),
	(19, 'ledger.risk_array_combine', '{0, 0}', 'ledger.risk_array_max_loss', 'ARRAY[[1, 2]]::float8[]'),
	(20, 'ledger.risk_array_combine', '{0, 0}', 'ledger.risk_array_max_loss', '''[7:8]={1, 2}''::float8[]'),
	(21, 'ledger.risk_array_combine', '{0, 0}', 'ledger.risk_array_max_loss', 'ARRAY[1, 2]::float8[]')
	) AS f(i, sfunc, initcond, final, arg)
 ORDER BY i;
-- the combine function with no initial state, over arrays of each shape
CREATE AGGREGATE pg_temp.combined(float8[]) (SFUNC = ledger.risk_array_combine, STYPE = float8[],
	FINALFUNC = ledger.risk_array_final);
SELECT pg_temp.err($q$SELECT pg_temp.combined(a) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(a)$q$);
SELECT pg_temp.err($q$SELECT pg_temp.combined(a) FROM (VALUES ('{}'::float8[]), ('{1,2}')) v(a)$q$);
SELECT pg_temp.err($q$SELECT pg_temp.combined(a) FROM (VALUES ('{1,2}'::float8[]), ('[0:1]={1,2}')) v(a)$q$);
SELECT pg_temp.err($q$SELECT pg_temp.combined(a) FROM (VALUES ('{1,2}'::float8[]), ('{1,Infinity}')) v(a)$q$);
SELECT pg_temp.combined(a) AS combined FROM (VALUES ('{1,2}'::float8[]), ('{3,4}')) v(a);
-- the functions called directly
SELECT pg_temp.err($q$SELECT ledger.span_accum(NULL, array_fill(1::float8, ARRAY[16]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_combine('{1}', '{2}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('{1,NULL}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_max_loss('[-3:-2]={1,2}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_final('{{1,2},{3,4}}')$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_final(array_fill(1::float8, ARRAY[2000]))$q$);
-- the 0.1.0 aggregates still give the published figures: McMillan's long
-- S&P 500 future, $10,000 (see margin_span.sql)
SELECT ledger.span_scan(ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35), 1)
	AS long_future_requirement;
RESET ROLE;
-- ALTER EXTENSION UPDATE moves the aggregates to the internal state and
-- drops the float8[] support functions; the figure is the same.  (It
-- refuses while an aggregate of someone's own, like the temporary ones
-- above, still uses those functions: a new session has none.)
SELECT pg_temp.err($q$ALTER EXTENSION ledger UPDATE$q$);
\c ledger_margin_010
\set VERBOSITY terse
ALTER EXTENSION ledger UPDATE;
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtranstype::regtype AS state
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'ledger'::regnamespace AND p.proname IN ('span_scan', 'pm_scan', 'risk_array_sum')
 ORDER BY a.aggfnoid::regprocedure::text COLLATE "C";
SELECT to_regprocedure('ledger.span_accum(float8[], float8[], float8)') IS NULL AS float8_state_functions_gone,
	   to_regprocedure('ledger.risk_array_combine(float8[], float8[])') IS NULL AS combine_gone;
SELECT ledger.span_scan(ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35), 1)
	AS long_future_requirement;
\c :regression_db
DROP DATABASE ledger_margin_010 WITH (FORCE);
DROP ROLE margin_attacker;
