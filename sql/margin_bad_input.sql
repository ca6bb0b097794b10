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
-- the transition function cannot be called: its state is internal (see
-- margin_attack.sql)
SELECT pg_temp.err($q$SELECT ledger.span_accum(NULL, array_fill(1::float8, ARRAY[16]), 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('put', 'Infinity', 100, 1, 0, 0, 0.2)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('put', 100, 100, 1, 0, '-Infinity', 0.2)$q$);
SELECT pg_temp.err($q$SELECT ledger.pm_risk_array('stock', 1e308, 0, 0, 0, 0, 0, 1e10)$q$);
SELECT ledger.pm_risk_array(NULL, 100, 100, 1, 0, 0, 0.2) IS NULL AS pm_strict_null;
SELECT cardinality(ledger.pm_risk_array('call', 100, 100, 1, 0, 0, 0.2, 100, 0.15, 0.15, 1000)) AS largest_grid;

-- ---------- SPAN spread and credit rules over arrays ----------
-- span_tier: the smallest tier whose range holds the expiry, 0 if none
SELECT ledger.span_tier('2026-12-18', '{2026-12-01, 2026-12-01}', '{2026-12-31, 2027-03-31}', '{2, 1}') AS tier,
	   ledger.span_tier('2028-01-01', '{2026-12-01}', '{2026-12-31}', '{1}') AS no_tier,
	   ledger.span_tier('infinity', '{2026-12-01}', '{infinity}', '{3}') AS open_ended,
	   ledger.span_tier(NULL, '{}', '{}', '{}') IS NULL AS strict_null;
SELECT pg_temp.err($q$SELECT ledger.span_tier('2026-12-18', '{2026-12-01}', '{}', '{1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tier('2026-12-18', '{2026-12-01}', '{NULL}', '{1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_tier('2026-12-18', '[0:0]={2026-12-01}', '{2026-12-31}', '{1}')$q$);
SELECT ledger.span_tier('2026-12-18', array_fill('2026-01-01'::date, ARRAY[100000]),
	   array_fill('2027-01-01'::date, ARRAY[100000]), array_fill(7, ARRAY[100000])) AS many_tiers;
-- span_intra_charge over arrays: tiers may repeat (their deltas add up)
SELECT ledger.span_intra_charge('{1, 2, 1}', '{2, -3, 1}', '{1}', '{2}', '{150}') AS three_spreads,
	   ledger.span_intra_charge('{1, 2}', '{2, 3}', '{1}', '{2}', '{150}') AS same_sign,
	   ledger.span_intra_charge('{}', '{}', '{}', '{}', '{}') AS empty;
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1}', '{1}', '{2}', '{150}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1, NaN}', '{1}', '{2}', '{150}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1, -1}', '{1}', '{2}', '{-150}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1, -1}', '{1}', '{2}', '{Infinity}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1, -1}', '{1}', '{2, 1}', '{150}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, NULL}', '{1, -1}', '{1}', '{2}', '{150}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_intra_charge('{1, 2}', '{1e308, -1e308}', '{1}', '{2}', '{1e308}')$q$);
SELECT ledger.span_intra_charge(NULL, '{1}', '{1}', '{2}', '{150}') IS NULL AS strict_null,
	   ledger.span_intra_charge(array_fill(1, ARRAY[100000]), array_fill(1::float8, ARRAY[100000]),
			'{1}', '{2}', '{150}') AS many_legs;
-- span_inter_credit over arrays
SELECT ledger.span_inter_credit('{ES, NQ}', '{2, -2}', '{1e6, 1e6}', '{ES}', '{1}', '{NQ}', '{1}',
			'{0.5}', '{6000}', '{10000}') AS credits,
	   ledger.span_inter_credit('{ES, NQ}', '{2, -2}', '{1000, 1e6}', '{ES}', '{1}', '{NQ}', '{1}',
			'{0.5}', '{6000}', '{10000}') AS capped,
	   ledger.span_inter_credit('{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}') AS empty;
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NQ}', '{2}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{0.5}', '{6000}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NQ}', '{2, NaN}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{0.5}', '{6000}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NQ}', '{2, -2}', '{1, 1}', '{ES}', '{0}', '{NQ}', '{1}', '{0.5}', '{6000}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NQ}', '{2, -2}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{1.5}', '{6000}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NQ}', '{2, -2}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{0.5}', '{-Infinity}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{ES, NULL}', '{2, -2}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{0.5}', '{6000}', '{10000}')$q$);
SELECT pg_temp.err($q$SELECT ledger.span_inter_credit('{{ES, NQ}}', '{2, -2}', '{1, 1}', '{ES}', '{1}', '{NQ}', '{1}', '{0.5}', '{6000}', '{10000}')$q$);
SELECT ledger.span_inter_credit(NULL, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}') IS NULL AS strict_null,
	   cardinality(ledger.span_inter_credit(array_fill('X'::text, ARRAY[10000]),
			array_fill(1::float8, ARRAY[10000]), array_fill(1::float8, ARRAY[10000]),
			array_fill('X'::text, ARRAY[1000]), array_fill(1::float8, ARRAY[1000]),
			array_fill('Y'::text, ARRAY[1000]), array_fill(1::float8, ARRAY[1000]),
			array_fill(0.5::float8, ARRAY[1000]), array_fill(1::float8, ARRAY[1000]),
			array_fill(1::float8, ARRAY[1000]))) AS many_products;

-- ---------- strategy-based rules ----------
-- regt_naked: a kind other than call or put, NaN, infinite and negative
-- inputs are refused (0.1.0 returned NULL or let them through)
SELECT pg_temp.err($q$SELECT ledger.regt_naked('straddle', 100, 100)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('stock', 100, 100)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('call', 'NaN', 100)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('call', 100, 'Infinity')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('put', 100, 100, '-Infinity')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('put', -100, 100)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('put', 100, -5)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('call', 100, 100, 0.2, -0.1)$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_naked('call', 1e308, 0, 10)$q$);
SELECT ledger.regt_naked(NULL, 100, 100) IS NULL AS strict_null;
-- regt_requirement: the arrays describe the same legs
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, put}', '{100}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, swap}', '{100, 100}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, NULL}', '{100, 100}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, put}', '{100, NaN}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, put}', '{100, 100}', '{2026-06-19, 2026-06-19}', '{-1, Infinity}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, put}', '{100, 100}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, -1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, put}', '{100, -100}', '{2026-06-19, 2026-06-19}', '{-1, -1}', '{1, 1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 0, 0.2, 0.1, 0.5, '{call}', '{100}', '{2026-06-19}', '{-1}', '{1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement('NaN', 100, 0.2, 0.1, 0.5, '{call}', '{100}', '{2026-06-19}', '{-1}', '{1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, '-Infinity', 0.1, 0.5, '{call}', '{100}', '{2026-06-19}', '{-1}', '{1}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{{call}}', '{{100}}', '{{2026-06-19}}', '{{-1}}', '{{1}}')$q$);
SELECT pg_temp.err($q$SELECT ledger.regt_requirement(1e300, 1e300, 0.2, 0.1, 0.5, '{stock}', '{0}', '{infinity}', '{1e300}', '{0}')$q$);
SELECT (ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, NULL, '{}', '{}', '{}', '{}')) IS NULL AS strict_null,
	   (ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{}', '{}', '{}', '{}', '{}')).* ;
-- 2,000 short legs, calls and puts (the pairing is quadratic in the legs of
-- one product of one account, and can be cancelled)
-- (1,000 calls and 1,000 puts: 1,000 straddles; proceeds 2,000 x 1 x 100)
SELECT (r).short_proceeds, (r).strategies
  FROM (SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, array_agg(CASE WHEN g % 2 = 0 THEN 'call' ELSE 'put' END),
			array_agg(90 + (g % 20)::float8), array_agg('2026-06-19'::date), array_agg(-1::float8),
			array_agg(1::float8)) AS r
		  FROM generate_series(1, 2000) g) x;
-- the legs' order does not change the requirement
SELECT (ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, call, call}', '{95, 100, 105}',
		'{2026-06-19, 2026-06-19, 2026-06-19}', '{1, -1, -1}', '{6, 2, 1}')).requirement
	 = (ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, '{call, call, call}', '{105, 100, 95}',
		'{2026-06-19, 2026-06-19, 2026-06-19}', '{-1, -1, 1}', '{1, 2, 6}')).requirement AS order_free;

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
-- strike, premium or expiry that cannot be valued, in each method
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	('b', 'FUT', 'call', 'NaN', '2026-06-19', 1, NULL);
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_legs('2026-01-02')$q$);
UPDATE ledger.margin_positions SET strike = -5 WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin_detail('2026-01-02')$q$);
UPDATE ledger.margin_positions SET strike = 100, expiry = 'infinity' WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
-- an expiry of -infinity is not taken for long expired
UPDATE ledger.margin_positions SET expiry = '-infinity' WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
-- a SPAN option's premium is its value in the account's equity
-- (net_option_value): negative, NaN or infinite is refused there too
UPDATE ledger.margin_positions SET strike = 100, expiry = '2026-06-19', premium = -1 WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_positions SET premium = 'Infinity' WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_requirements('2026-01-02')$q$);
UPDATE ledger.margin_positions SET premium = NULL WHERE account = 'b';
UPDATE ledger.margin_positions SET product = 'EQ', strike = 'Infinity', expiry = '2026-06-19' WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.portfolio_margin('2026-01-02')$q$);
UPDATE ledger.margin_positions SET strike = 100, premium = 'NaN' WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.strategy_margin_detail('2026-01-02')$q$);
UPDATE ledger.margin_positions SET premium = -1 WHERE account = 'b';
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_requirements('2026-01-02')$q$);
UPDATE ledger.margin_positions SET premium = 2 WHERE account = 'b';
SELECT account, product, requirement FROM ledger.strategy_margin_detail('2026-01-02') ORDER BY 1, 2;
-- product parameters the table's checks let through (NaN passes >= 0)
UPDATE ledger.margin_products SET short_option_minimum = 'NaN' WHERE product = 'FUT';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET short_option_minimum = 0, multiplier = 'Infinity' WHERE product = 'FUT';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET multiplier = 10, rate = '-Infinity' WHERE product = 'FUT';
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET rate = 0 WHERE product = 'FUT';
UPDATE ledger.margin_products SET pm_minimum = 'NaN' WHERE product = 'EQ';
SELECT pg_temp.err($q$SELECT * FROM ledger.portfolio_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET pm_minimum = 0.375, regt_pct = 'Infinity' WHERE product = 'EQ';
SELECT pg_temp.err($q$SELECT * FROM ledger.strategy_margin_detail('2026-01-02')$q$);
UPDATE ledger.margin_products SET regt_pct = 0.2 WHERE product = 'EQ';
-- a bad product parameter does not stop the methods that do not margin it
UPDATE ledger.margin_products SET price_scan = 'NaN' WHERE product = 'FUT';
SELECT account, requirement FROM ledger.portfolio_margin('2026-01-02');
SELECT pg_temp.err($q$SELECT * FROM ledger.span_margin('2026-01-02')$q$);
UPDATE ledger.margin_products SET price_scan = 5 WHERE product = 'FUT';
DELETE FROM ledger.margin_positions WHERE account = 'b';
-- collateral in an unknown asset class, or not finite
INSERT INTO ledger.margin_collateral VALUES ('a', 'gold bar', 'commodity', 1000);
SELECT pg_temp.err($q$SELECT * FROM ledger.collateral_value()$q$);
DELETE FROM ledger.margin_collateral;
INSERT INTO ledger.margin_collateral VALUES ('a', 'USD', 'cash', 'NaN');
SELECT pg_temp.err($q$SELECT * FROM ledger.collateral_value()$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_requirements('2026-01-02')$q$);
UPDATE ledger.margin_collateral SET market_value = '-Infinity';
SELECT pg_temp.err($q$SELECT ledger.run_margin_calls('2026-01-02 12:00+00')$q$);
DELETE FROM ledger.margin_collateral;
-- valuation dates must be finite (22023); NULL gives no rows (STRICT)
SELECT f, pg_temp.err(format('SELECT * FROM ledger.%s(%L)', f, d)) AS infinite_date
  FROM unnest(ARRAY['margin_legs', 'span_margin_detail', 'span_margin', 'portfolio_margin_detail',
					'portfolio_margin', 'strategy_margin_detail', 'margin_requirements']) f,
	   unnest(ARRAY['infinity', '-infinity']) d
 ORDER BY 1, 2;
SELECT (SELECT count(*) FROM ledger.margin_legs(NULL)) AS legs, (SELECT count(*) FROM ledger.span_margin(NULL)) AS span,
	   (SELECT count(*) FROM ledger.portfolio_margin(NULL)) AS portfolio,
	   (SELECT count(*) FROM ledger.strategy_margin_detail(NULL)) AS strategy,
	   (SELECT count(*) FROM ledger.margin_requirements(NULL)) AS requirements;
SELECT pg_temp.err($q$SELECT ledger.run_margin_calls('infinity')$q$);
SELECT pg_temp.err($q$SELECT ledger.run_margin_calls('-infinity')$q$);
SELECT pg_temp.err($q$SELECT ledger.run_expiry('infinity')$q$);
SELECT pg_temp.err($q$SELECT ledger.run_expiry('-infinity')$q$);
-- the internal error helpers only raise
SELECT pg_temp.err($q$SELECT ledger._margin_refuse_date('valuation date', 'now')$q$);
SELECT pg_temp.err($q$SELECT ledger._margin_refuse_position('a', 'EQ', 'stock', NULL, NULL, 1, NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger._margin_refuse_collateral('a', 'USD', 'cash', 1)$q$);
-- the automation refuses NULL and bad thresholds
SELECT pg_temp.err($q$SELECT ledger.run_margin_calls(NULL)$q$);
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

-- an argument in an error message is the value the caller passed, whatever
-- the session's extra_float_digits (-1e+02 for -123.456 at -15 before
-- 2026-12-06)
SET extra_float_digits = -15;
SELECT pg_temp.err($q$SELECT ledger.span_risk_array('call', -123.456, 100, 1, 0, 0.2, 5, 0.01)$q$);
RESET extra_float_digits;
