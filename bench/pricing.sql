-- Option pricing benchmark: per-row cost of ledger.bsm_price, bsm_greeks and
-- bsm_implied_vol beside the floor sum(sqrt(x)) over the same rows, and
-- beside a PL/pgSQL Black-Scholes.  Run by bench/pricing.sh; the row count
-- comes from the psql variable "rows".
\set ON_ERROR_STOP on
SET max_parallel_workers_per_gather = 0;	-- per-row cost, one process
SET jit = off;

CREATE TEMP TABLE bench_rows AS
SELECT 50 + (i % 1000) * 0.1 AS s,
	   100::float8 AS k,
	   0.05 + (i % 13) * 0.3 AS t,
	   0.02::float8 AS r,
	   0.01::float8 AS q,
	   0.05 + (i % 77) * 0.01 AS v,
	   0::float8 AS p
FROM generate_series(1, :rows) i;
UPDATE bench_rows SET p = ledger.bsm_price('call', s, k, t, r, q, v);
VACUUM ANALYZE bench_rows;

\i bench/bs_plpgsql.sql

CREATE FUNCTION pg_temp.bench_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	best float8 := 'Infinity';
	i int;
BEGIN
	FOR i IN 1..2 LOOP			-- best of two: the first warms the cache
		t0 := clock_timestamp();
		EXECUTE q;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN best;
END $$;

WITH runs AS (
	SELECT name, pg_temp.bench_time(q) AS ms, ord
	FROM (VALUES
		(1, 'floor sum(sqrt(x))', 'SELECT sum(sqrt(s)) FROM bench_rows'),
		(2, 'bsm_price', 'SELECT sum(ledger.bsm_price(''call'', s, k, t, r, q, v)) FROM bench_rows'),
		(3, 'bsm_greeks', 'SELECT sum((ledger.bsm_greeks(''call'', s, k, t, r, q, v)).delta) FROM bench_rows'),
		(4, 'bsm_implied_vol', 'SELECT sum(ledger.bsm_implied_vol(''call'', p, s, k, t, r, q)) FROM bench_rows'),
		(5, 'PL/pgSQL Black-Scholes', 'SELECT sum(pg_temp.bs_plpgsql(''call'', s, k, t, r, q, v)) FROM bench_rows')
	) v(ord, name, q)
)
SELECT name, round(ms::numeric, 0) AS ms,
	   round((ms * 1e6 / :rows)::numeric, 1) AS ns_per_row,
	   round((ms / first_value(ms) OVER (ORDER BY ord))::numeric, 2) AS x_floor
FROM runs ORDER BY ord;
