-- Option pricing benchmark: per-row cost of ledger.bsm_price, bsm_greeks and
-- bsm_implied_vol beside the floor sum(sqrt(x)) over the same rows, and
-- beside a PL/pgSQL Black-Scholes.  Run by bench/pricing.sh (psql -At); the
-- row count comes from the psql variable "rows".
--
-- Fairness (docs/benchmarks-pricing.md):
--  * every column is float8, so neither the floor nor the functions pay for
--    numeric arithmetic or numeric -> float8 casts;
--  * the table is built in one CREATE TABLE AS (no UPDATE, so no dead
--    tuples or empty pages to scan) and fits in temp_buffers, so every
--    query scans the same in-memory pages;
--  * one backend (no parallel workers), no JIT;
--  * the queries run in interleaved rounds and each figure is the best
--    round, so a burst of load on the shared machine hits all of them alike;
--  * per-row cost = query time / rows, scan and aggregate included.
\set ON_ERROR_STOP on
SET temp_buffers = '1GB';		-- before the first temporary table
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET client_min_messages = warning;

CREATE TEMP TABLE bench_rows AS
SELECT s, 100::float8 AS k, t, 0.02::float8 AS r, 0.01::float8 AS q, v,
	   ledger.bsm_price('call', s, 100, t, 0.02, 0.01, v) AS p
FROM (SELECT (50 + (i % 1000) * 0.1)::float8 AS s,
			 (0.05 + (i % 13) * 0.3)::float8 AS t,
			 (0.05 + (i % 77) * 0.01)::float8 AS v
	  FROM generate_series(1, :rows) i) g;
VACUUM ANALYZE bench_rows;

\i bench/bs_plpgsql.sql

CREATE TEMP TABLE bench_times (ord int, name text, ms float8);

CREATE FUNCTION pg_temp.bench_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE q;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

-- Warm-up scan, then three interleaved rounds.
SELECT pg_temp.bench_time('SELECT sum(sqrt(s)) FROM bench_rows') IS NOT NULL AS warm \g /dev/null
INSERT INTO bench_times
SELECT ord, name, pg_temp.bench_time(q)
FROM generate_series(1, 3) round,
	 (VALUES
		(1, 'floor sum(sqrt(s))', 'SELECT sum(sqrt(s)) FROM bench_rows'),
		(2, 'bsm_price', 'SELECT sum(ledger.bsm_price(''call'', s, k, t, r, q, v)) FROM bench_rows'),
		(3, 'bsm_greeks', 'SELECT sum((ledger.bsm_greeks(''call'', s, k, t, r, q, v)).delta) FROM bench_rows'),
		(4, 'bsm_implied_vol', 'SELECT sum(ledger.bsm_implied_vol(''call'', p, s, k, t, r, q)) FROM bench_rows'),
		(5, 'bsm_price call overhead (t = 0)', 'SELECT sum(ledger.bsm_price(''call'', s, k, 0, r, q, v)) FROM bench_rows')
	 ) v(ord, name, q)
ORDER BY round, ord;
-- The PL/pgSQL baseline is slow: two rounds.
INSERT INTO bench_times
SELECT 6, 'PL/pgSQL Black-Scholes',
	   pg_temp.bench_time('SELECT sum(pg_temp.bs_plpgsql(''call'', s, k, t, r, q, v)) FROM bench_rows')
FROM generate_series(1, 2);

-- figure | value | baseline | value | ratio
WITH best AS (
	SELECT ord, name, min(ms) * 1e6 / :rows AS ns FROM bench_times GROUP BY ord, name
), fl AS (
	SELECT ns FROM best WHERE ord = 1
)
SELECT format('%s ns/row | %s | floor sum(sqrt(s)) ns/row | %s | %s',
			  b.name, round(b.ns::numeric, 1), round(fl.ns::numeric, 1),
			  round((b.ns / fl.ns)::numeric, 2))
FROM best b, fl
WHERE b.ord > 1
ORDER BY b.ord;

-- Target verdicts (issue 4).
WITH best AS (
	SELECT ord, min(ms) AS ms FROM bench_times GROUP BY ord
), v AS (
	SELECT 1 AS n, 'bsm_price' AS name, 1.5 AS target, p.ms / f.ms AS ratio
	FROM best f, best p WHERE f.ord = 1 AND p.ord = 2
	UNION ALL
	SELECT 2, 'bsm_implied_vol', 3, iv.ms / f.ms
	FROM best f, best iv WHERE f.ord = 1 AND iv.ord = 4
)
SELECT format('target %s <= %s x floor: %s (%s x)', name, target,
			  CASE WHEN ratio <= target THEN 'met' ELSE 'missed' END,
			  round(ratio::numeric, 2))
FROM v ORDER BY n;
