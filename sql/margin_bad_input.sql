-- Margin functions and tables refuse bad input with clear errors:
-- 22023 bad argument, 22000 NaN/Infinity, 22004 NULL, 22003 overflow.
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

-- ---------- risk array functions ----------
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('swap', 100, 100, 1, 0, 0.2, 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 'NaN', 100, 1, 0, 0.2, 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 100, 100, 1, 0, 'Infinity', 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 100, 100, 1, '-Infinity', 0.2, 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', -1, 100, 1, 0, 0.2, 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 100, 100, -1, 0, 0.2, 5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 100, 100, 1, 0, 0.2, -5, 0.01)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', 100, 100, 1, 0, 0.2, 5, 0.01, 1, 3, 1.5)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('future', 100, 0, 0, 0, 0, 1e308, 0, 1e308)$q$);
-- a future's price may be negative (the 2020 oil contract); an option's not
SELECT (ledger.span_risk_array('future', -5, 0, 0, 0, 0, 2, 0))[11] AS negative_future_ok;
SELECT ledger.span_risk_array(NULL, 100, 100, 1, 0, 0.2, 5, 0.01) IS NULL AS strict_null;
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('future', 100, 100, 1, 0, 0, 0.2)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 0.15, 0.15, 9)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 0.15, 0.15, 0)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 0.15, 0.15, 2000)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 1.5, 0.15, 10)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('call', 100, 100, 1, 'NaN', 0, 0.2)$q$);
SELECT round(x::numeric, 8) FROM unnest(ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 0.15, 0.15, 2)) x;

-- ---------- aggregates ----------
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (ARRAY[1, 2, 3]::float8[], 1::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES ('{}'::float8[], 1::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (array_fill(1::float8, ARRAY[4, 4]), 1::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (array_fill(1::float8, ARRAY[16]), NULL::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (NULL::float8[], 1::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (array_fill(1::float8, ARRAY[16]), 'NaN'::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a, q) FROM (VALUES (array_fill(1::float8, ARRAY[16]), '-Infinity'::float8)) v(a, q)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(a || NULL::float8, 1) FROM (VALUES (array_fill(1::float8, ARRAY[15]))) v(a)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill('NaN'::float8, ARRAY[16]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.span_scan(array_fill(1e308::float8, ARRAY[16]), 1e308)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_scan(a, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3]::float8[])) v(a)$q$);
SELECT pg_temp.err($q$SELECT ledger.risk_array_sum(a, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3]::float8[])) v(a)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_scan(a, 1) FROM (VALUES (array_fill(0::float8, ARRAY[1001]))) v(a)$q$);
-- the transition function outside an aggregate
SELECT pg_temp.err($q$SELECT ledger.span_accum(NULL, array_fill(1::float8, ARRAY[16]), 1)$q$);

-- ---------- parameter tables and positions ----------
SELECT pg_temp.err($q$INSERT INTO ledger.margin_products (product, style, multiplier) VALUES ('BAD', 'futures', 0)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_products (product, style, multiplier) VALUES ('BAD', 'bond', 1)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_products (product, style, multiplier, cover_fraction) VALUES ('BAD', 'futures', 1, 2)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_products (product, style, multiplier, pm_points) VALUES ('BAD', 'equity', 1, 7)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_products (product, style, multiplier) VALUES ('FUT', 'futures', 10), ('EQ', 'equity', 100)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_prices VALUES ('FUT', 'NaN', 0.2)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_prices VALUES ('FUT', 100, 'Infinity')$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_prices VALUES ('NOPE', 100, 0.2)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'EQ', 'call', 1)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'EQ', 'stock', NULL)$q$);
SELECT pg_temp.err($q$INSERT INTO ledger.margin_haircuts VALUES ('junk', 1.5)$q$);

-- position in an unknown product
INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'NOPE', 'future', 1);
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_requirements('2026-01-02')$q$);
DELETE FROM ledger.margin_positions;
-- missing market price
INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'EQ', 'stock', 1);
SELECT pg_temp.err($q$SELECT * FROM ledger.portfolio_margin('2026-01-02')$q$);
INSERT INTO ledger.margin_prices VALUES ('EQ', 100, 0.2), ('FUT', 100, 0.2);
-- missing SPAN parameters
INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'FUT', 'future', 1);
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET price_scan = 5, vol_scan = 0.02 WHERE product = 'FUT';
SELECT account, total FROM ledger.span_margin('2026-01-02');
-- instrument that does not fit the product
INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'FUT', 'stock', 1);
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
DELETE FROM ledger.margin_positions WHERE instrument = 'stock' AND product = 'FUT';
-- quantity not finite
INSERT INTO ledger.margin_positions (account, product, instrument, quantity) VALUES ('a', 'EQ', 'stock', 'NaN');
SELECT pg_temp.err($q$SELECT * FROM ledger.portfolio_margin('2026-01-02')$q$);
DELETE FROM ledger.margin_positions WHERE quantity = 'NaN';
-- collateral in an unknown asset class
INSERT INTO ledger.margin_collateral VALUES ('a', 'gold bar', 'commodity', 1000);
SELECT pg_temp.err($q$SELECT * FROM ledger.collateral_value()$q$);
DELETE FROM ledger.margin_collateral;
-- the automation refuses NULL and bad thresholds
SELECT ledger.run_margin_calls(NULL) IS NULL AS strict_null;
SELECT pg_temp.err($q$SELECT ledger.run_expiry(NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.run_expiry('2026-01-02', -1)$q$);
SELECT pg_temp.err($q$SELECT ledger.run_expiry('2026-01-02', 'NaN')$q$);
SELECT pg_temp.err($q$SET ledger.exercise_threshold = -1$q$);
-- nothing expires on the date: no events
SELECT ledger.run_expiry('2026-01-02');
-- the automation is for administrators
CREATE ROLE margin_nobody;
SET ROLE margin_nobody;
SELECT pg_temp.err($q$SELECT ledger.run_margin_calls(now())$q$);
SELECT pg_temp.err($q$SELECT ledger.run_expiry(current_date)$q$);
RESET ROLE;
DROP ROLE margin_nobody;

DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_products;
