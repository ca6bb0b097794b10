--
-- Greeks: ledger.bsm_greeks, ledger.black76_greeks, ledger.bachelier_greeks.
-- Reference values, finite-difference checks of every Greek, edge cases.
--
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed., section
-- 2.1 (values also in QuantLib's test-suite/europeanoption.cpp):
-- delta: s=105 k=100 t=0.5 r=0.10 b=0 sigma=0.36 -> call 0.5946, put -0.3566
SELECT round((ledger.bsm_greeks('call', 105, 100, 0.5, 0.10, 0.10, 0.36)).delta::numeric, 4) AS call_delta,
	   round((ledger.bsm_greeks('put', 105, 100, 0.5, 0.10, 0.10, 0.36)).delta::numeric, 4) AS put_delta;
-- gamma: s=55 k=60 t=0.75 r=0.10 b=0.10 sigma=0.30 -> 0.0278
SELECT round((ledger.bsm_greeks('call', 55, 60, 0.75, 0.10, 0, 0.30)).gamma::numeric, 4) AS gamma;
-- theta: put s=430 k=405 t=0.0833 r=0.07 b=0.02 sigma=0.20 -> -31.1924 per year
SELECT round((ledger.bsm_greeks('put', 430, 405, 0.0833, 0.07, 0.05, 0.20)).theta::numeric, 4) AS put_theta;
-- rho: call s=72 k=75 t=1 r=0.09 b=0.09 sigma=0.19 -> 38.7325
SELECT round((ledger.bsm_greeks('call', 72, 75, 1, 0.09, 0, 0.19)).rho::numeric, 4) AS call_rho;
-- Hull, "Options, Futures, and Other Derivatives", 8th ed., section 19:
-- s=49 k=50 r=0.05 sigma=0.20 t=0.3846 (20 weeks): call delta 0.522,
-- gamma 0.066, vega 12.1, theta -4.31 per year, rho 8.91.
SELECT round(g.delta::numeric, 3) AS delta, round(g.gamma::numeric, 3) AS gamma,
	   round(g.vega::numeric, 1) AS vega, round(g.theta::numeric, 2) AS theta,
	   round(g.rho::numeric, 2) AS rho
FROM ledger.bsm_greeks('call', 49, 50, 0.3846, 0.05, 0, 0.20) g;
-- The price field is the price function's value, bit for bit.
SELECT (ledger.bsm_greeks('put', 90, 100, 2, 0.03, 0.01, 0.25)).price
		 = ledger.bsm_price('put', 90, 100, 2, 0.03, 0.01, 0.25) AS bsm_same,
	   (ledger.black76_greeks('call', 90, 100, 2, 0.03, 0.25)).price
		 = ledger.black76_price('call', 90, 100, 2, 0.03, 0.25) AS b76_same,
	   (ledger.bachelier_greeks('put', 90, 100, 2, 0.03, 20)).price
		 = ledger.bachelier_price('put', 90, 100, 2, 0.03, 20) AS bach_same;

-- Finite-difference checks of every Greek, central differences with a
-- relative step of 1e-4 (1e-5 for r; second order: error ~1e-8 relative).
-- Black-Scholes-Merton.
WITH g AS (
	SELECT kind, s, 100::float8 AS k, t, r, 0.02::float8 AS q, v
	FROM unnest(ARRAY['call', 'put']) kind,
		 unnest(ARRAY[80, 100, 120]::float8[]) s,
		 unnest(ARRAY[0.1, 1, 3]::float8[]) t,
		 unnest(ARRAY[-0.01, 0.05]::float8[]) r,
		 unnest(ARRAY[0.1, 0.3, 0.8]::float8[]) v
), d AS (
	SELECT g.*, ledger.bsm_greeks(kind, s, k, t, r, q, v) AS x,
		   s * 1e-4 AS hs, t * 1e-4 AS ht, 1e-5::float8 AS hr, v * 1e-4 AS hv
	FROM g
), fd AS (
	SELECT d.*,
		(ledger.bsm_price(kind, s + hs, k, t, r, q, v) - ledger.bsm_price(kind, s - hs, k, t, r, q, v)) / (2 * hs) AS delta,
		((ledger.bsm_greeks(kind, s + hs, k, t, r, q, v)).delta - (ledger.bsm_greeks(kind, s - hs, k, t, r, q, v)).delta) / (2 * hs) AS gamma,
		(ledger.bsm_price(kind, s, k, t, r, q, v + hv) - ledger.bsm_price(kind, s, k, t, r, q, v - hv)) / (2 * hv) AS vega,
		-(ledger.bsm_price(kind, s, k, t + ht, r, q, v) - ledger.bsm_price(kind, s, k, t - ht, r, q, v)) / (2 * ht) AS theta,
		(ledger.bsm_price(kind, s, k, t, r + hr, q, v) - ledger.bsm_price(kind, s, k, t, r - hr, q, v)) / (2 * hr) AS rho,
		((ledger.bsm_greeks(kind, s, k, t, r, q, v + hv)).delta - (ledger.bsm_greeks(kind, s, k, t, r, q, v - hv)).delta) / (2 * hv) AS vanna,
		((ledger.bsm_greeks(kind, s, k, t, r, q, v + hv)).vega - (ledger.bsm_greeks(kind, s, k, t, r, q, v - hv)).vega) / (2 * hv) AS volga
	FROM d
)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE abs(delta - (x).delta) <= 1e-6 * (1 + abs(delta))) AS delta_ok,
	   count(*) FILTER (WHERE abs(gamma - (x).gamma) <= 1e-6 * (1 + abs(gamma))) AS gamma_ok,
	   count(*) FILTER (WHERE abs(vega - (x).vega) <= 1e-6 * (1 + abs(vega))) AS vega_ok,
	   count(*) FILTER (WHERE abs(theta - (x).theta) <= 1e-6 * (1 + abs(theta))) AS theta_ok,
	   count(*) FILTER (WHERE abs(rho - (x).rho) <= 1e-6 * (1 + abs(rho))) AS rho_ok,
	   count(*) FILTER (WHERE abs(vanna - (x).vanna) <= 1e-6 * (1 + abs(vanna))) AS vanna_ok,
	   count(*) FILTER (WHERE abs(volga - (x).volga) <= 1e-6 * (1 + abs(volga))) AS volga_ok
FROM fd;

-- Black-76.
WITH g AS (
	SELECT kind, f, 100::float8 AS k, t, r, v
	FROM unnest(ARRAY['call', 'put']) kind,
		 unnest(ARRAY[80, 100, 120]::float8[]) f,
		 unnest(ARRAY[0.1, 1, 3]::float8[]) t,
		 unnest(ARRAY[-0.01, 0.05]::float8[]) r,
		 unnest(ARRAY[0.1, 0.3, 0.8]::float8[]) v
), d AS (
	SELECT g.*, ledger.black76_greeks(kind, f, k, t, r, v) AS x,
		   f * 1e-4 AS hs, t * 1e-4 AS ht, 1e-5::float8 AS hr, v * 1e-4 AS hv
	FROM g
), fd AS (
	SELECT d.*,
		(ledger.black76_price(kind, f + hs, k, t, r, v) - ledger.black76_price(kind, f - hs, k, t, r, v)) / (2 * hs) AS delta,
		((ledger.black76_greeks(kind, f + hs, k, t, r, v)).delta - (ledger.black76_greeks(kind, f - hs, k, t, r, v)).delta) / (2 * hs) AS gamma,
		(ledger.black76_price(kind, f, k, t, r, v + hv) - ledger.black76_price(kind, f, k, t, r, v - hv)) / (2 * hv) AS vega,
		-(ledger.black76_price(kind, f, k, t + ht, r, v) - ledger.black76_price(kind, f, k, t - ht, r, v)) / (2 * ht) AS theta,
		(ledger.black76_price(kind, f, k, t, r + hr, v) - ledger.black76_price(kind, f, k, t, r - hr, v)) / (2 * hr) AS rho,
		((ledger.black76_greeks(kind, f, k, t, r, v + hv)).delta - (ledger.black76_greeks(kind, f, k, t, r, v - hv)).delta) / (2 * hv) AS vanna,
		((ledger.black76_greeks(kind, f, k, t, r, v + hv)).vega - (ledger.black76_greeks(kind, f, k, t, r, v - hv)).vega) / (2 * hv) AS volga
	FROM d
)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE abs(delta - (x).delta) <= 1e-6 * (1 + abs(delta))) AS delta_ok,
	   count(*) FILTER (WHERE abs(gamma - (x).gamma) <= 1e-6 * (1 + abs(gamma))) AS gamma_ok,
	   count(*) FILTER (WHERE abs(vega - (x).vega) <= 1e-6 * (1 + abs(vega))) AS vega_ok,
	   count(*) FILTER (WHERE abs(theta - (x).theta) <= 1e-6 * (1 + abs(theta))) AS theta_ok,
	   count(*) FILTER (WHERE abs(rho - (x).rho) <= 1e-6 * (1 + abs(rho))) AS rho_ok,
	   count(*) FILTER (WHERE abs(vanna - (x).vanna) <= 1e-6 * (1 + abs(vanna))) AS vanna_ok,
	   count(*) FILTER (WHERE abs(volga - (x).volga) <= 1e-6 * (1 + abs(volga))) AS volga_ok
FROM fd;

-- Bachelier (absolute steps: forwards may be negative).
WITH g AS (
	SELECT kind, f, 100::float8 AS k, t, r, v
	FROM unnest(ARRAY['call', 'put']) kind,
		 unnest(ARRAY[-20, 80, 100, 120]::float8[]) f,
		 unnest(ARRAY[0.1, 1, 3]::float8[]) t,
		 unnest(ARRAY[-0.01, 0.05]::float8[]) r,
		 unnest(ARRAY[5, 20, 80]::float8[]) v
), d AS (
	SELECT g.*, ledger.bachelier_greeks(kind, f, k, t, r, v) AS x,
		   1e-3::float8 AS hs, t * 1e-4 AS ht, 1e-5::float8 AS hr, v * 1e-4 AS hv
	FROM g
), fd AS (
	SELECT d.*,
		(ledger.bachelier_price(kind, f + hs, k, t, r, v) - ledger.bachelier_price(kind, f - hs, k, t, r, v)) / (2 * hs) AS delta,
		((ledger.bachelier_greeks(kind, f + hs, k, t, r, v)).delta - (ledger.bachelier_greeks(kind, f - hs, k, t, r, v)).delta) / (2 * hs) AS gamma,
		(ledger.bachelier_price(kind, f, k, t, r, v + hv) - ledger.bachelier_price(kind, f, k, t, r, v - hv)) / (2 * hv) AS vega,
		-(ledger.bachelier_price(kind, f, k, t + ht, r, v) - ledger.bachelier_price(kind, f, k, t - ht, r, v)) / (2 * ht) AS theta,
		(ledger.bachelier_price(kind, f, k, t, r + hr, v) - ledger.bachelier_price(kind, f, k, t, r - hr, v)) / (2 * hr) AS rho,
		((ledger.bachelier_greeks(kind, f, k, t, r, v + hv)).delta - (ledger.bachelier_greeks(kind, f, k, t, r, v - hv)).delta) / (2 * hv) AS vanna,
		((ledger.bachelier_greeks(kind, f, k, t, r, v + hv)).vega - (ledger.bachelier_greeks(kind, f, k, t, r, v - hv)).vega) / (2 * hv) AS volga
	FROM d
)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE abs(delta - (x).delta) <= 1e-6 * (1 + abs(delta))) AS delta_ok,
	   count(*) FILTER (WHERE abs(gamma - (x).gamma) <= 1e-6 * (1 + abs(gamma))) AS gamma_ok,
	   count(*) FILTER (WHERE abs(vega - (x).vega) <= 1e-6 * (1 + abs(vega))) AS vega_ok,
	   count(*) FILTER (WHERE abs(theta - (x).theta) <= 1e-6 * (1 + abs(theta))) AS theta_ok,
	   count(*) FILTER (WHERE abs(rho - (x).rho) <= 1e-6 * (1 + abs(rho))) AS rho_ok,
	   count(*) FILTER (WHERE abs(vanna - (x).vanna) <= 1e-6 * (1 + abs(vanna))) AS vanna_ok,
	   count(*) FILTER (WHERE abs(volga - (x).volga) <= 1e-6 * (1 + abs(volga))) AS volga_ok
FROM fd;

-- Edge cases: Greeks of the (discounted) intrinsic value.
SELECT * FROM ledger.bsm_greeks('call', 110, 100, 0, 0.05, 0, 0.2);
SELECT * FROM ledger.bsm_greeks('put', 110, 100, 1, 0.05, 0, 0);
SELECT round(delta::numeric, 12) AS delta, round(theta::numeric, 10) AS theta, round(rho::numeric, 10) AS rho
FROM ledger.bsm_greeks('call', 110, 100, 1, 0.05, 0, 0);
SELECT * FROM ledger.bsm_greeks('call', 0, 100, 1, 0.05, 0, 0.2);
SELECT * FROM ledger.black76_greeks('put', 100, 100, 0, 0.05, 0.2);
SELECT * FROM ledger.bachelier_greeks('call', 100, 90, 0, 0.05, 10);

-- NULLs, NaN, infinities, negative arguments, bad kinds.
SELECT ledger.bsm_greeks('call', NULL, 1, 1, 0, 0, 0.2) IS NULL AS n1,
	   ledger.black76_greeks(NULL, 1, 1, 1, 0, 0.2) IS NULL AS n2,
	   ledger.bachelier_greeks('put', 1, 1, 1, 0, NULL) IS NULL AS n3;
SELECT pg_temp.err(q) FROM unnest(ARRAY[
	'SELECT ledger.bsm_greeks(''call'', ''NaN'', 100, 1, 0, 0, 0.2)',
	'SELECT ledger.bsm_greeks(''call'', 100, 100, ''Infinity'', 0, 0, 0.2)',
	'SELECT ledger.bsm_greeks(''call'', 100, 100, 1, 0, ''-Infinity'', 0.2)',
	'SELECT ledger.bsm_greeks(''call'', 100, 100, 1, 0, 0, -0.2)',
	'SELECT ledger.bsm_greeks(''put'', -100, 100, 1, 0, 0, 0.2)',
	'SELECT ledger.bsm_greeks(''Put'', 100, 100, 1, 0, 0, 0.2)',
	'SELECT ledger.black76_greeks(''call'', 100, ''NaN'', 1, 0, 0.2)',
	'SELECT ledger.black76_greeks(''call'', 100, 100, 1, ''Infinity'', 0.2)',
	'SELECT ledger.black76_greeks(''call'', 100, 100, -1, 0, 0.2)',
	'SELECT ledger.black76_greeks(''x'', 100, 100, 1, 0, 0.2)',
	'SELECT ledger.bachelier_greeks(''call'', ''Infinity'', 100, 1, 0, 5)',
	'SELECT ledger.bachelier_greeks(''call'', 100, 100, 1, 0, ''NaN'')',
	'SELECT ledger.bachelier_greeks(''call'', 100, 100, 1, 0, -5)',
	'SELECT ledger.bachelier_greeks(''call'', 100, 100, 1, 0, 0)',
	'SELECT ledger.bsm_greeks(''call'', 1e308, 1, 1, 0, -10, 0.2)'
]) q;

-- Oversized but finite arguments (issue #9): a result that does not fit is
-- 22003, a representable one is returned.
SELECT pg_temp.err(q) FROM unnest(ARRAY[
	'SELECT ledger.black76_greeks(''call'', 1e308, 1, 1, -10, 0.2)',
	'SELECT ledger.bachelier_greeks(''call'', 1e308, -1e308, 1, -10, 5)',
	'SELECT (ledger.black76_greeks(''put'', 100, 100, 1e308, 0, 0.2)).price',
	'SELECT (ledger.bachelier_greeks(''put'', 100, 100, 1, 0, 1e300)).delta',
	'SELECT (ledger.bsm_greeks(''put'', 100, 100, 1, 0, 0, 1e300)).delta'
]) q;
