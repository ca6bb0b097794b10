--
-- Accuracy tables of docs/pricing.md ("Accuracy on random inputs"): every
-- method of ledger.american_price against test/american/truth.csv, on the
-- early-exercise cases (single and double boundary), by maturity and
-- volatility.  Not a test (it asserts nothing); run it from the project's
-- root in a database with the extension:
--
--   psql -X -q -d DB -f test/american/accuracy.sql
--
-- Tolerance as in sql/pricing_american_fd.sql: beyond = |value - truth| >
-- max(1e-6 truth, 1e-8 K) + the truth's error estimate; beyond 1% =
-- |value - truth| > 1e-2 truth + 1e-8 K; relative errors are
-- |value - truth| / max(truth, 1e-8 K).
--
\pset format unaligned
\pset tuples_only on
\pset footer off
CREATE TEMP TABLE fd (id int, kind text, s float8, k float8, t float8,
	r float8, q float8, sigma float8, price float8, err_est float8,
	delta float8, gamma float8, vega float8);
\copy fd FROM 'test/american/truth.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ee AS
SELECT fd.*, CASE WHEN rp < 0 THEN 'double' ELSE 'single' END AS regime
FROM fd, LATERAL (SELECT CASE kind WHEN 'put' THEN r ELSE q END AS rp,
						 CASE kind WHEN 'put' THEN q ELSE r END AS qp) x
WHERE NOT (rp <= 0 AND qp >= rp);
CREATE TEMP TABLE res AS
SELECT ee.*, m.method,
	   ledger.american_price(kind, s, k, t, r, q, sigma, m.method, 500) AS v
FROM ee, (VALUES (1, 'qdfp'), (2, 'baw'), (3, 'bjs2002'), (4, 'crr')) m(ord, method);
CREATE TEMP TABLE buckets AS
SELECT res.*, b.ord, b.bucket
FROM res, LATERAL (VALUES
	(1, 'all', true),
	(2, 'T < 0.25', t < 0.25), (3, 'T 0.25-1', t >= 0.25 AND t < 1),
	(4, 'T 1-2', t >= 1 AND t < 2), (5, 'T 2-5', t >= 2 AND t < 5),
	(6, 'T 5-15', t >= 5),
	(7, 'σ < 0.15', sigma < 0.15), (8, 'σ 0.15-0.3', sigma >= 0.15 AND sigma < 0.3),
	(9, 'σ 0.3-0.6', sigma >= 0.3 AND sigma < 0.6), (10, 'σ ≥ 0.6', sigma >= 0.6),
	(11, 'two boundaries (q < r < 0 put)', regime = 'double')) b(ord, bucket, inb)
WHERE b.inb;
SELECT E'\n#### ' || CASE method WHEN 'crr' THEN 'crr, 500 steps' WHEN 'qdfp' THEN 'qdfp'
			ELSE method || ' (formula and qdfp fallback, as returned)' END
	   || E': early-exercise cases (single and double boundary), '
	   || (SELECT count(*) FROM ee) || E' cases\n'
	   || E'| bucket | cases | beyond 1e-6 (rel) or 1e-8 K | beyond 1% | median rel. error | 99th pct | max |\n'
	   || E'|---|---:|---:|---:|---:|---:|---:|\n'
	   || string_agg(line, E'\n' ORDER BY ord)
FROM (SELECT method, ord,
			 format('| %s | %s | %s | %s | %s | %s | %s |', bucket, count(*),
					count(*) FILTER (WHERE abs(v - price) > greatest(1e-6 * price, 1e-8 * k) + err_est),
					count(*) FILTER (WHERE abs(v - price) > 1e-2 * price + 1e-8 * k),
					ltrim(to_char(percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v - price) / greatest(price, 1e-8 * k)), '9.9EEEE')),
					ltrim(to_char(percentile_cont(0.99) WITHIN GROUP (ORDER BY abs(v - price) / greatest(price, 1e-8 * k)), '9.9EEEE')),
					ltrim(to_char(max(abs(v - price) / greatest(price, 1e-8 * k)), '9.9EEEE'))) AS line
	  FROM buckets GROUP BY method, ord, bucket) x
GROUP BY method
ORDER BY min(CASE method WHEN 'qdfp' THEN 1 WHEN 'baw' THEN 2 WHEN 'bjs2002' THEN 3 ELSE 4 END);
