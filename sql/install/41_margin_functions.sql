-- Margin functions: the same text in the install script and in the update
-- from 0.1.0 (sql/update/0.1.0--0.2.0/41_margin_functions.sql links here),
-- so CREATE OR REPLACE where 0.1.0 had the function.

-- ---------- C: spread and credit rules, strategy-based pairing ----------

CREATE FUNCTION ledger.span_tier(expiry pg_catalog.date, tier_from pg_catalog.date[],
	tier_to pg_catalog.date[], tiers pg_catalog.int4[])
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'ledger_span_tier'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier(pg_catalog.date, pg_catalog.date[], pg_catalog.date[],
	pg_catalog.int4[]) IS
	'SPAN intra-commodity tier of an expiry: the smallest tier whose range [tier_from, tier_to] holds it, 0 if none';

CREATE FUNCTION ledger.span_intra_charge(tiers pg_catalog.int4[], deltas pg_catalog.float8[],
	spread_tier_a pg_catalog.int4[], spread_tier_b pg_catalog.int4[],
	spread_charge pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_span_intra_charge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_intra_charge(pg_catalog.int4[], pg_catalog.float8[],
	pg_catalog.int4[], pg_catalog.int4[], pg_catalog.float8[]) IS
	'SPAN intra-commodity spread charge of one product''s deltas by tier (tiers may repeat), for spreads given in priority order';

-- Two aggregates over one state (PostgreSQL computes it once when a query
-- uses both on the same rows): a group's tiers and their summed deltas,
-- the input of ledger.span_intra_charge.
CREATE FUNCTION ledger.span_tier_accum(state pg_catalog.internal, tier pg_catalog.int4,
	delta pg_catalog.float8)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_span_tier_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier_accum(pg_catalog.internal, pg_catalog.int4,
	pg_catalog.float8) IS
	'Internal: transition function of ledger.span_tiers and ledger.span_tier_deltas';

CREATE FUNCTION ledger.span_tier_combine(a pg_catalog.internal, b pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_span_tier_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier_combine(pg_catalog.internal, pg_catalog.internal) IS
	'Internal: combine function of ledger.span_tiers and ledger.span_tier_deltas';

CREATE FUNCTION ledger.span_tier_serialize(state pg_catalog.internal)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ledger_span_tier_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier_serialize(pg_catalog.internal) IS
	'Internal: serialization function of ledger.span_tiers and ledger.span_tier_deltas (parallel aggregation)';

CREATE FUNCTION ledger.span_tier_deserialize(state pg_catalog.bytea, dummy pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_span_tier_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier_deserialize(pg_catalog.bytea, pg_catalog.internal) IS
	'Internal: deserialization function of ledger.span_tiers and ledger.span_tier_deltas (parallel aggregation)';

CREATE FUNCTION ledger.span_tiers_final(state pg_catalog.internal)
RETURNS pg_catalog.int4[]
AS 'MODULE_PATHNAME', 'ledger_span_tiers_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tiers_final(pg_catalog.internal) IS
	'Internal: final function of ledger.span_tiers';

CREATE FUNCTION ledger.span_tier_deltas_final(state pg_catalog.internal)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_span_tier_deltas_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_tier_deltas_final(pg_catalog.internal) IS
	'Internal: final function of ledger.span_tier_deltas';

CREATE AGGREGATE ledger.span_tiers(tier pg_catalog.int4, delta pg_catalog.float8) (
	SFUNC = ledger.span_tier_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 96,
	FINALFUNC = ledger.span_tiers_final,
	COMBINEFUNC = ledger.span_tier_combine,
	SERIALFUNC = ledger.span_tier_serialize,
	DESERIALFUNC = ledger.span_tier_deserialize,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE ledger.span_tiers(pg_catalog.int4, pg_catalog.float8) IS
	'The distinct SPAN tiers of a group, in order of first appearance (see ledger.span_tier_deltas)';

CREATE AGGREGATE ledger.span_tier_deltas(tier pg_catalog.int4, delta pg_catalog.float8) (
	SFUNC = ledger.span_tier_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 96,
	FINALFUNC = ledger.span_tier_deltas_final,
	COMBINEFUNC = ledger.span_tier_combine,
	SERIALFUNC = ledger.span_tier_serialize,
	DESERIALFUNC = ledger.span_tier_deserialize,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE ledger.span_tier_deltas(pg_catalog.int4, pg_catalog.float8) IS
	'The summed delta of each tier of a group, in the order of ledger.span_tiers';

-- Two aggregates over one state: a group's option legs, netted per
-- contract (instrument, strike, expiry) by the final functions; the short
-- option minimum of SPAN and the contract minimum of portfolio margin
-- count the netted contracts (rows of other instruments are left out).
CREATE FUNCTION ledger.option_contracts_accum(state pg_catalog.internal,
	instrument pg_catalog.text, strike pg_catalog.float8, expiry pg_catalog.date,
	quantity pg_catalog.float8)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_option_contracts_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.option_contracts_accum(pg_catalog.internal, pg_catalog.text,
	pg_catalog.float8, pg_catalog.date, pg_catalog.float8) IS
	'Internal: transition function of ledger.net_short_option_contracts and ledger.net_option_contracts';

CREATE FUNCTION ledger.option_contracts_combine(a pg_catalog.internal, b pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_option_contracts_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.option_contracts_combine(pg_catalog.internal, pg_catalog.internal) IS
	'Internal: combine function of ledger.net_short_option_contracts and ledger.net_option_contracts';

CREATE FUNCTION ledger.option_contracts_serialize(state pg_catalog.internal)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ledger_option_contracts_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.option_contracts_serialize(pg_catalog.internal) IS
	'Internal: serialization function of ledger.net_short_option_contracts and ledger.net_option_contracts (parallel aggregation)';

CREATE FUNCTION ledger.option_contracts_deserialize(state pg_catalog.bytea, dummy pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_option_contracts_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.option_contracts_deserialize(pg_catalog.bytea, pg_catalog.internal) IS
	'Internal: deserialization function of ledger.net_short_option_contracts and ledger.net_option_contracts (parallel aggregation)';

CREATE FUNCTION ledger.net_short_contracts_final(state pg_catalog.internal)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_net_short_contracts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.net_short_contracts_final(pg_catalog.internal) IS
	'Internal: final function of ledger.net_short_option_contracts';

CREATE FUNCTION ledger.net_contracts_final(state pg_catalog.internal)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_net_contracts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ledger.net_contracts_final(pg_catalog.internal) IS
	'Internal: final function of ledger.net_option_contracts';

CREATE AGGREGATE ledger.net_short_option_contracts(instrument pg_catalog.text,
	strike pg_catalog.float8, expiry pg_catalog.date, quantity pg_catalog.float8) (
	SFUNC = ledger.option_contracts_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 64,
	FINALFUNC = ledger.net_short_contracts_final,
	COMBINEFUNC = ledger.option_contracts_combine,
	SERIALFUNC = ledger.option_contracts_serialize,
	DESERIALFUNC = ledger.option_contracts_deserialize,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE ledger.net_short_option_contracts(pg_catalog.text, pg_catalog.float8,
	pg_catalog.date, pg_catalog.float8) IS
	'Net short option contracts of a group: each option''s (instrument, strike, expiry) quantities summed, the negative sums added up as positive counts; futures and stock rows are left out';

CREATE AGGREGATE ledger.net_option_contracts(instrument pg_catalog.text,
	strike pg_catalog.float8, expiry pg_catalog.date, quantity pg_catalog.float8) (
	SFUNC = ledger.option_contracts_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 64,
	FINALFUNC = ledger.net_contracts_final,
	COMBINEFUNC = ledger.option_contracts_combine,
	SERIALFUNC = ledger.option_contracts_serialize,
	DESERIALFUNC = ledger.option_contracts_deserialize,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE ledger.net_option_contracts(pg_catalog.text, pg_catalog.float8,
	pg_catalog.date, pg_catalog.float8) IS
	'Option contracts of a group, long or short: the absolute values of each option''s (instrument, strike, expiry) summed quantity, added up; futures and stock rows are left out';

CREATE FUNCTION ledger.span_inter_credit(products pg_catalog.text[],
	net_deltas pg_catalog.float8[], caps pg_catalog.float8[],
	spread_product_a pg_catalog.text[], spread_ratio_a pg_catalog.float8[],
	spread_product_b pg_catalog.text[], spread_ratio_b pg_catalog.float8[],
	spread_credit_rate pg_catalog.float8[], spread_risk_a pg_catalog.float8[],
	spread_risk_b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_span_inter_credit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_inter_credit(pg_catalog.text[], pg_catalog.float8[],
	pg_catalog.float8[], pg_catalog.text[], pg_catalog.float8[], pg_catalog.text[],
	pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'SPAN inter-commodity credits per product of one account, for spreads given in priority order with the price risk of each leg';

CREATE OR REPLACE FUNCTION ledger.regt_naked(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, pct pg_catalog.float8 DEFAULT 0.20,
	min_pct pg_catalog.float8 DEFAULT 0.10)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_regt_naked'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.regt_naked(pg_catalog.text, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8) IS
	'Cboe uncovered short option requirement per unit beyond the proceeds: pct of the underlying less the out-of-the-money amount, at least min_pct of the underlying (call) or strike (put)';

CREATE OR REPLACE FUNCTION ledger.regt_requirement(s pg_catalog.float8, m pg_catalog.float8,
	pct pg_catalog.float8, min_pct pg_catalog.float8, stock_pct pg_catalog.float8,
	instruments pg_catalog.text[], strikes pg_catalog.float8[],
	expiries pg_catalog.date[], quantities pg_catalog.float8[],
	premiums pg_catalog.float8[],
	OUT requirement pg_catalog.float8, OUT short_proceeds pg_catalog.float8,
	OUT strategies pg_catalog.jsonb)
AS 'MODULE_PATHNAME', 'ledger_regt_requirement'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.regt_requirement(pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.text[],
	pg_catalog.float8[], pg_catalog.date[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'Strategy-based requirement of one product''s legs, net of short proceeds: covered calls/puts, vertical spreads, straddles/strangles, then naked shorts; long options in full, stock at stock_pct';

-- Row estimates of the set-returning functions below (docs/margin.md,
-- "Query plans").
CREATE FUNCTION ledger.margin_rows_support(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_margin_rows_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.margin_rows_support(pg_catalog.internal) IS
	'Internal: planner support function giving the row counts of the margin set-returning functions';

-- ---------- Positions joined with their parameters ----------

-- The functions that read every position or account carry SET jit = off
-- (docs/benchmarks-margin.md, "JIT"): their work is in C functions and
-- aggregates that JIT cannot speed up, and past jit_above_cost (100,000 by
-- default: 11,000 to 14,000 accounts x 20 positions, or 10,000 accounts
-- in 16,000 products) a default server compiled them for 70-600 ms, past
-- jit_optimize_above_cost for seconds (3.6 s of a 5 s _span_detail).  A
-- SET clause keeps a SQL function from being inlined; each of them was not
-- inlined already (SET search_path).  collateral_value's query is small.

-- Every query below joins the positions with this table of products and
-- their market data once, and refuses a position it margins when
-- ok = false or the position itself is bad, calling
-- ledger._margin_refuse_position, which names the first problem.
CREATE FUNCTION ledger._margin_products()
RETURNS TABLE (product pg_catalog.text, style pg_catalog.text,
	multiplier pg_catalog.float8, rate pg_catalog.float8,
	dividend_yield pg_catalog.float8, price_scan pg_catalog.float8,
	vol_scan pg_catalog.float8, extreme_multiple pg_catalog.float8,
	cover_fraction pg_catalog.float8, short_option_minimum pg_catalog.float8,
	pm_down pg_catalog.float8, pm_up pg_catalog.float8, pm_points pg_catalog.int4,
	pm_minimum pg_catalog.float8, regt_pct pg_catalog.float8,
	regt_min_pct pg_catalog.float8, regt_stock_pct pg_catalog.float8,
	price pg_catalog.float8, volatility pg_catalog.float8, ok pg_catalog.bool)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
ROWS 100
AS $$
	SELECT y.product, y.style, y.multiplier, y.rate, y.dividend_yield, y.price_scan,
		   y.vol_scan, y.extreme_multiple, y.cover_fraction, y.short_option_minimum,
		   y.pm_down, y.pm_up, y.pm_points, y.pm_minimum, y.regt_pct, y.regt_min_pct,
		   y.regt_stock_pct, m.price, m.volatility,
		   -- priced, SPAN-ready if futures, every parameter finite (the
		   -- table's checks let NaN and Infinity through)
		   m.product IS NOT NULL
		   AND (y.style <> 'futures' OR (y.price_scan IS NOT NULL AND y.vol_scan IS NOT NULL))
		   AND y.multiplier < 'Infinity'
		   AND y.rate > '-Infinity' AND y.rate < 'Infinity'
		   AND y.dividend_yield > '-Infinity' AND y.dividend_yield < 'Infinity'
		   AND coalesce(y.price_scan, 0) < 'Infinity' AND coalesce(y.vol_scan, 0) < 'Infinity'
		   AND y.extreme_multiple < 'Infinity' AND y.short_option_minimum < 'Infinity'
		   AND y.pm_up < 'Infinity' AND y.pm_minimum < 'Infinity'
		   AND y.regt_pct < 'Infinity' AND y.regt_min_pct < 'Infinity'
		   AND y.regt_stock_pct < 'Infinity'
	  FROM ledger.margin_products y
	  LEFT JOIN ledger.margin_prices m ON m.product OPERATOR(pg_catalog.=) y.product
$$;

COMMENT ON FUNCTION ledger._margin_products() IS
	'Internal: margin products with their market data, and whether they can be margined';

CREATE FUNCTION ledger._margin_refuse_position(account pg_catalog.text,
	product pg_catalog.text, instrument pg_catalog.text, strike pg_catalog.float8,
	expiry pg_catalog.date, quantity pg_catalog.float8, premium pg_catalog.float8)
RETURNS pg_catalog.bool
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	y ledger.margin_products;
	bad record;
	market_price pg_catalog.float8;
BEGIN
	SELECT * INTO y FROM ledger.margin_products p WHERE p.product = _margin_refuse_position.product;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('position of account "%s" in unknown product "%s"', account, product),
			HINT = 'Add the product to ledger.margin_products.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM ledger.margin_prices m WHERE m.product = y.product) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('missing market price for product "%s"', product),
			HINT = 'Add the price and volatility to ledger.margin_prices.';
	END IF;
	IF y.style = 'futures' AND (y.price_scan IS NULL OR y.vol_scan IS NULL) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('missing SPAN parameters for product "%s"', product),
			DETAIL = 'Futures products need price_scan and vol_scan.';
	END IF;
	IF (y.style = 'futures' AND instrument = 'stock') OR (y.style <> 'futures' AND instrument = 'future') THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('Instrument "%s" in a product of style "%s".', instrument, y.style);
	END IF;
	IF NOT (quantity > '-Infinity' AND quantity < 'Infinity') THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('The quantity %s is not a finite number.', quantity);
	END IF;
	IF NOT (strike >= 0 AND strike < 'Infinity') OR (instrument IN ('call', 'put') AND strike IS NULL) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('The strike %s must be a finite number not below 0.', coalesce(strike::text, 'NULL'));
	END IF;
	IF NOT isfinite(expiry) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('The expiry %s is not a finite date.', expiry);
	END IF;
	IF premium < 0 OR premium >= 'Infinity' THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('The premium %s must be a finite number not below 0.', premium);
	END IF;
	-- a parameter that is NaN or infinite is a string in jsonb
	SELECT j.key, j.value #>> '{}' AS value INTO bad
	  FROM jsonb_each(to_jsonb(y)) j
	 WHERE jsonb_typeof(j.value) = 'string' AND j.key NOT IN ('product', 'style', 'settlement')
	 ORDER BY j.key LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid margin parameters for product "%s"', product),
			DETAIL = format('The value of "%s" is %s; margin parameters must be finite numbers.', bad.key, bad.value);
	END IF;
	-- a negative price (a futures price can be negative, as WTI's was in
	-- April 2020): a future's loss stays linear, but Black-76 cannot value
	-- an option on it, nor the portfolio and strategy-based methods an
	-- equity or index position
	SELECT m.price INTO market_price FROM ledger.margin_prices m WHERE m.product = y.product;
	IF market_price < 0 AND (y.style <> 'futures' OR instrument IN ('call', 'put')) THEN
		IF y.style = 'futures' THEN
			RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
				DETAIL = format('The price of product "%s" is negative (%s); options on it cannot be valued with Black-76.', product, market_price),
				HINT = 'Futures are margined at a negative price, options on them are not: correct the price in ledger.margin_prices, or remove the option positions.';
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', account, product),
			DETAIL = format('The price of product "%s" is negative (%s); an equity or index price must not be negative.', product, market_price),
			HINT = 'Correct the price in ledger.margin_prices.';
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
		MESSAGE = format('invalid position of account "%s" in product "%s"', account, product);
END
$$;

COMMENT ON FUNCTION ledger._margin_refuse_position(pg_catalog.text, pg_catalog.text,
	pg_catalog.text, pg_catalog.float8, pg_catalog.date, pg_catalog.float8, pg_catalog.float8) IS
	'Internal: raises the error that explains why a position cannot be margined';

CREATE FUNCTION ledger._margin_refuse_date(what pg_catalog.text, as_of pg_catalog.text)
RETURNS pg_catalog.bool
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
		MESSAGE = format('invalid %s "%s"', what, as_of),
		DETAIL = format('The %s must be finite.', what);
END
$$;

COMMENT ON FUNCTION ledger._margin_refuse_date(pg_catalog.text, pg_catalog.text) IS
	'Internal: raises the error for a valuation date, margin call time or expiry date that is infinite';

CREATE OR REPLACE FUNCTION ledger.margin_legs(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	style pg_catalog.text, instrument pg_catalog.text, strike pg_catalog.float8,
	expiry pg_catalog.date, t pg_catalog.float8, quantity pg_catalog.float8,
	premium pg_catalog.float8, price pg_catalog.float8,
	volatility pg_catalog.float8, p ledger.margin_products)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
BEGIN
	IF NOT isfinite(as_of) THEN
		PERFORM ledger._margin_refuse_date('valuation date', as_of::text);
	END IF;
	RETURN QUERY
	SELECT x.account, x.product, y.style, x.instrument, x.strike, x.expiry,
		   CASE WHEN x.expiry IS NULL THEN 0::float8
				ELSE (x.expiry - as_of)::float8 / 365.0 END,
		   x.quantity, x.premium, c.price, c.volatility, y
	  FROM ledger.margin_positions x
	  LEFT JOIN ledger._margin_products() c USING (product)
	  LEFT JOIN ledger.margin_products y USING (product)
	 WHERE (x.expiry IS NULL OR x.expiry >= as_of OR x.expiry = '-infinity')
	   AND CASE WHEN c.product IS NULL OR NOT c.ok
					 OR (c.style = 'futures' AND x.instrument = 'stock')
					 OR (c.style <> 'futures' AND x.instrument = 'future')
					 OR NOT (x.quantity > '-Infinity' AND x.quantity < 'Infinity')
					 OR NOT (x.strike >= 0 AND x.strike < 'Infinity')
					 OR (x.instrument IN ('call', 'put') AND x.strike IS NULL)
					 OR x.expiry = 'infinity' OR x.expiry = '-infinity'
					 OR x.premium < 0 OR x.premium >= 'Infinity'
					 OR (c.price < 0 AND (c.style <> 'futures' OR x.instrument IN ('call', 'put')))
				THEN ledger._margin_refuse_position(x.account, x.product, x.instrument,
						x.strike, x.expiry, x.quantity, x.premium)
				ELSE true END;
END
$$;

COMMENT ON FUNCTION ledger.margin_legs(pg_catalog.date) IS
	'Live positions (not expired at as_of) with their product parameters and market data; refuses unknown products, missing parameters and bad positions';

-- ---------- SPAN ----------

CREATE OR REPLACE FUNCTION ledger.span_intra_charge(product pg_catalog.text,
	tiers pg_catalog.int4[], deltas pg_catalog.float8[])
RETURNS pg_catalog.float8
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT ledger.span_intra_charge(tiers, deltas,
			   coalesce(array_agg(s.tier_a ORDER BY s.priority), '{}'),
			   coalesce(array_agg(s.tier_b ORDER BY s.priority), '{}'),
			   coalesce(array_agg(s.charge ORDER BY s.priority), '{}'))
	  FROM ledger.margin_intra_spreads s
	 WHERE s.product = span_intra_charge.product
$$;

COMMENT ON FUNCTION ledger.span_intra_charge(pg_catalog.text, pg_catalog.int4[], pg_catalog.float8[]) IS
	'SPAN intra-commodity spread charge: spreads formed between opposite tier deltas in priority order, times the charge per spread';

-- The inter-commodity spreads with the price risk of one contract of each
-- leg (price_scan x multiplier; 0 for a product that cannot be margined,
-- whose positions are refused anyway).
CREATE FUNCTION ledger._margin_inter_spreads()
RETURNS TABLE (priority pg_catalog.int4, product_a pg_catalog.text,
	ratio_a pg_catalog.float8, product_b pg_catalog.text, ratio_b pg_catalog.float8,
	credit_rate pg_catalog.float8, risk_a pg_catalog.float8, risk_b pg_catalog.float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
ROWS 10
AS $$
	SELECT x.priority, x.product_a, x.ratio_a, x.product_b, x.ratio_b, x.credit_rate,
		   CASE WHEN pa.price_scan * pa.multiplier < 'Infinity'
				THEN pa.price_scan * pa.multiplier ELSE 0 END,
		   CASE WHEN pb.price_scan * pb.multiplier < 'Infinity'
				THEN pb.price_scan * pb.multiplier ELSE 0 END
	  FROM ledger.margin_inter_spreads x
	  JOIN ledger.margin_products pa ON pa.product = x.product_a
	  JOIN ledger.margin_products pb ON pb.product = x.product_b
$$;

COMMENT ON FUNCTION ledger._margin_inter_spreads() IS
	'Internal: the inter-commodity spreads with the price risk of one contract of each leg';

-- C since 2026-12-06: reads the spreads once per query and gives each call
-- only the spreads between its own products (the SQL function before passed
-- every spread to every call, the work accounts x spreads).
CREATE OR REPLACE FUNCTION ledger.span_inter_credit(products pg_catalog.text[],
	net_deltas pg_catalog.float8[], caps pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_span_inter_credit_table'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.span_inter_credit(pg_catalog.text[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'SPAN inter-commodity credits per product: spreads between opposite net deltas, credit rate times the price risk of the spread legs, capped per product';

-- The SPAN requirement of every account and futures product, unordered.
-- One pass over the positions: each joined with its product's parameters
-- (a hash join with a table of a few rows), checked, valued (risk arrays
-- are memoized per contract in C) and summed per account and product (a
-- hash aggregate); then one row per account gets the inter-commodity
-- credits.  Every step grows with the number of positions, none with its
-- square, and grouping and sorting inside use the "C" collation, whose
-- comparisons are the cheapest (grouping is the same under every
-- deterministic collation).
CREATE FUNCTION ledger._span_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scanning_risk pg_catalog.float8, intra_spread_charge pg_catalog.float8,
	inter_credit pg_catalog.float8, short_option_minimum pg_catalog.float8,
	total pg_catalog.float8, net_delta pg_catalog.float8, option_value pg_catalog.float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
BEGIN
	IF NOT isfinite(as_of) THEN
		PERFORM ledger._margin_refuse_date('valuation date', as_of::text);
	END IF;
	RETURN QUERY
	WITH prod AS MATERIALIZED (
		SELECT c.*, c.style = 'futures' AS futures, t.tier_from, t.tier_to, t.tiers,
			   s.tier_a, s.tier_b, s.charges
		  FROM ledger._margin_products() c
		  LEFT JOIN (SELECT it.product, array_agg(it.expiry_from) AS tier_from,
							array_agg(it.expiry_to) AS tier_to, array_agg(it.tier) AS tiers
					   FROM ledger.margin_intra_tiers it GROUP BY it.product) t USING (product)
		  LEFT JOIN (SELECT sp.product, array_agg(sp.tier_a ORDER BY sp.priority) AS tier_a,
							array_agg(sp.tier_b ORDER BY sp.priority) AS tier_b,
							array_agg(sp.charge ORDER BY sp.priority) AS charges
					   FROM ledger.margin_intra_spreads sp GROUP BY sp.product) s USING (product)),
	-- per position: valued where it is read, so that only numbers travel on
	-- (OFFSET 0 keeps this a separate plan node)
	legs AS (
		SELECT x.account COLLATE "C" AS account, x.product COLLATE "C" AS product,
			   x.quantity, x.instrument, x.strike, x.expiry, p.tier_a IS NOT NULL AS spreads,
			   ledger.span_risk_array(x.instrument, p.price, coalesce(x.strike, 0), x.t, p.rate,
					p.volatility, p.price_scan, p.vol_scan, p.multiplier, p.extreme_multiple,
					p.cover_fraction) AS risk,
			   x.premium, p.multiplier,
			   CASE WHEN x.instrument <> 'future'
					THEN ledger.black76_greeks(x.instrument, p.price, x.strike, x.t, p.rate,
											   p.volatility) END AS g,
			   CASE WHEN p.tier_a IS NULL OR p.tiers IS NULL OR x.expiry IS NULL THEN 0
					ELSE ledger.span_tier(x.expiry, p.tier_from, p.tier_to, p.tiers) END AS tier
		  FROM (SELECT x0.*, CASE WHEN x0.expiry IS NULL THEN 0::float8
								  ELSE (x0.expiry - as_of)::float8 / 365.0 END AS t
				  FROM ledger.margin_positions x0) x
		  LEFT JOIN prod p USING (product)
		 WHERE p.futures IS NOT FALSE
		   AND (x.expiry IS NULL OR x.expiry >= as_of OR x.expiry = '-infinity')
		   AND CASE WHEN p.product IS NULL OR NOT p.ok OR x.instrument = 'stock'
						 OR NOT (x.quantity > '-Infinity' AND x.quantity < 'Infinity')
						 OR NOT (x.strike >= 0 AND x.strike < 'Infinity')
						 OR (x.strike IS NULL AND x.instrument IN ('call', 'put'))
						 OR x.expiry = 'infinity' OR x.expiry = '-infinity'
						 OR (x.instrument <> 'future' AND (x.premium < 0 OR x.premium >= 'Infinity'))
						 -- a future's price may be negative, an option's not
						 OR (p.price < 0 AND x.instrument IN ('call', 'put'))
					THEN ledger._margin_refuse_position(x.account, x.product, x.instrument,
							x.strike, x.expiry, x.quantity,
							CASE WHEN x.instrument <> 'future' THEN x.premium END)
					ELSE true END
		OFFSET 0),
	per_product AS (
		SELECT g.account, g.product, g.scanning_risk, g.shorts * p.short_option_minimum AS som,
			   g.net, g.nov,
			   CASE WHEN g.tiers IS NULL THEN 0::float8
					ELSE ledger.span_intra_charge(g.tiers, g.deltas, p.tier_a, p.tier_b,
												  p.charges) END AS charge
		  FROM (SELECT l.account, l.product,
					   ledger.span_scan(l.risk, l.quantity) AS scanning_risk,
					   -- the short option minimum counts net short contracts:
					   -- the rows of one option (instrument, strike, expiry)
					   -- netted first, as run_expiry nets them
					   ledger.net_short_option_contracts(l.instrument, l.strike, l.expiry,
														 l.quantity) AS shorts,
					   sum(l.quantity * l.delta) AS net,
					   ledger.span_tiers(l.tier, l.quantity * l.delta)
						 FILTER (WHERE l.spreads) AS tiers,
					   ledger.span_tier_deltas(l.tier, l.quantity * l.delta)
						 FILTER (WHERE l.spreads) AS deltas,
					   -- net option value: the options at market (premium,
					   -- else the Black-76 value), long positive
					   coalesce(sum(l.quantity * l.multiplier * coalesce(l.premium, (l.g).price))
								  FILTER (WHERE l.instrument <> 'future'), 0) AS nov
				  FROM (SELECT l0.*, CASE l0.instrument WHEN 'future' THEN 1::float8
										 ELSE (l0.g).delta END AS delta
						  FROM legs l0) l
				 GROUP BY l.account, l.product) g
		  JOIN prod p USING (product)
		OFFSET 0),
	per_account AS (
		SELECT b.account, array_agg(b.product) AS products,
			   array_agg(b.scanning_risk) AS scans, array_agg(b.charge) AS charges,
			   array_agg(b.som) AS soms, array_agg(b.net) AS nets, array_agg(b.nov) AS novs,
			   array_agg(b.scanning_risk + b.charge) AS caps
		  FROM per_product b GROUP BY b.account)
	SELECT u.account, u.product, u.scan, u.charge, u.credit, u.som,
		   greatest(u.scan + u.charge - u.credit, u.som), u.net, u.nov
	  FROM (SELECT a.account, unnest(a.products) AS product, unnest(a.scans) AS scan,
				   unnest(a.charges) AS charge,
				   -- the spreads between the account's products only, read
				   -- once per query (every spread was passed to every
				   -- account before 2026-12-06: accounts x spreads)
				   unnest(ledger.span_inter_credit(a.products, a.nets, a.caps)) AS credit,
				   unnest(a.soms) AS som, unnest(a.nets) AS net, unnest(a.novs) AS nov
			  FROM per_account a) u;
END
$$;

COMMENT ON FUNCTION ledger._span_detail(pg_catalog.date) IS
	'Internal: ledger.span_margin_detail without its order';

CREATE OR REPLACE FUNCTION ledger.span_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scanning_risk pg_catalog.float8, intra_spread_charge pg_catalog.float8,
	inter_credit pg_catalog.float8, short_option_minimum pg_catalog.float8,
	total pg_catalog.float8, net_delta pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	SELECT d.account, d.product, d.scanning_risk, d.intra_spread_charge, d.inter_credit,
		   d.short_option_minimum, d.total, d.net_delta
	  FROM ledger._span_detail(as_of) d ORDER BY d.account, d.product
$$;

COMMENT ON FUNCTION ledger.span_margin_detail(pg_catalog.date) IS
	'SPAN requirement per account and futures product: scanning risk + intra-commodity charge - inter-commodity credit, at least the short option minimum';

CREATE OR REPLACE FUNCTION ledger.span_margin(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, scanning_risk pg_catalog.float8,
	intra_spread_charge pg_catalog.float8, inter_credit pg_catalog.float8,
	short_option_minimum pg_catalog.float8, total pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	SELECT d.account, sum(d.scanning_risk), sum(d.intra_spread_charge),
		   sum(d.inter_credit), sum(d.short_option_minimum), sum(d.total)
	  FROM ledger._span_detail(as_of) d
	 GROUP BY d.account ORDER BY d.account
$$;

COMMENT ON FUNCTION ledger.span_margin(pg_catalog.date) IS
	'SPAN requirement per account with each component (sums over the account''s futures products; see span_margin_detail)';

-- ---------- Portfolio margin and strategy-based, in one pass ----------

-- Portfolio margin (FINRA 4210(g) / Cboe 12.4) and strategy-based (Reg T /
-- Cboe) requirements of every account and equity or index product,
-- unordered, in one pass over the positions, as in ledger._span_detail:
-- the valuation points are memoized per contract, and the legs of each
-- account and product are paired by ledger.regt_requirement.  portfolio
-- and strategy say which method to compute (the other's columns are NULL).
CREATE FUNCTION ledger._equity_detail(as_of pg_catalog.date,
	portfolio pg_catalog.bool, strategy pg_catalog.bool)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scan_risk pg_catalog.float8, contract_minimum pg_catalog.float8,
	portfolio_requirement pg_catalog.float8, strategy_requirement pg_catalog.float8,
	short_proceeds pg_catalog.float8, strategies pg_catalog.jsonb,
	option_value pg_catalog.float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
BEGIN
	IF NOT isfinite(as_of) THEN
		PERFORM ledger._margin_refuse_date('valuation date', as_of::text);
	END IF;
	RETURN QUERY
	SELECT g.account, g.product, g.risk, g.minimum, greatest(g.risk, g.minimum),
		   (g.r).requirement, (g.r).short_proceeds, (g.r).strategies, g.nov
	  FROM (SELECT l.account, l.product, l.risk, l.minimum, l.nov,
				   -- without strategy the arrays are NULL, and so is r (STRICT)
				   ledger.regt_requirement(l.price, l.multiplier, l.regt_pct,
						l.regt_min_pct, l.regt_stock_pct, l.instruments, l.strikes,
						l.expiries, l.quantities, l.premiums) AS r
			  FROM (SELECT x.account, x.product,
						   ledger.pm_scan(ledger.pm_risk_array(x.instrument, x.price,
								coalesce(x.strike, 0), x.t, x.rate, x.dividend_yield, x.volatility,
								CASE x.instrument WHEN 'stock' THEN 1 ELSE x.multiplier END,
								x.pm_down, x.pm_up, x.pm_points), x.quantity)
							 FILTER (WHERE portfolio) AS risk,
						   -- option contracts, long or short, the rows of one
						   -- option (instrument, strike, expiry) netted first
						   CASE WHEN portfolio
								THEN ledger.net_option_contracts(x.instrument, x.strike, x.expiry,
										 x.quantity) FILTER (WHERE portfolio)
									 * max(x.pm_minimum * x.multiplier) END AS minimum,
						   max(x.price) AS price, max(x.multiplier) AS multiplier,
						   max(x.regt_pct) AS regt_pct, max(x.regt_min_pct) AS regt_min_pct,
						   max(x.regt_stock_pct) AS regt_stock_pct,
						   array_agg(x.instrument) FILTER (WHERE strategy) AS instruments,
						   array_agg(coalesce(x.strike, 0)) FILTER (WHERE strategy) AS strikes,
						   array_agg(coalesce(x.expiry, 'infinity')) FILTER (WHERE strategy) AS expiries,
						   array_agg(x.quantity) FILTER (WHERE strategy) AS quantities,
						   array_agg(x.value) FILTER (WHERE strategy) AS premiums,
						   -- net option value: the options at market, long
						   -- positive (with strategy, which values them)
						   CASE WHEN strategy
								THEN coalesce(sum(x.quantity * x.multiplier * x.value)
												FILTER (WHERE x.instrument <> 'stock'), 0) END AS nov
					  FROM (SELECT x1.account COLLATE "C" AS account,
								   x1.product COLLATE "C" AS product, x1.instrument, x1.strike,
								   x1.expiry, x1.quantity, x1.t, p.price, p.rate, p.dividend_yield,
								   p.volatility, p.multiplier, p.pm_down, p.pm_up, p.pm_points,
								   p.pm_minimum, p.regt_pct, p.regt_min_pct, p.regt_stock_pct,
								   -- an option's premium, else its BSM value (once a row)
								   CASE WHEN strategy
										THEN coalesce(x1.premium,
											 CASE WHEN x1.instrument IN ('call', 'put')
												  THEN ledger.bsm_price(x1.instrument, p.price,
														x1.strike, x1.t, p.rate,
														p.dividend_yield, p.volatility)
												  ELSE 0 END) END AS value
							  FROM (SELECT x0.*, CASE WHEN x0.expiry IS NULL THEN 0::float8
													  ELSE (x0.expiry - as_of)::float8 / 365.0 END AS t
									  FROM ledger.margin_positions x0) x1
							  LEFT JOIN (SELECT c.*, c.style = 'futures' AS futures
										   FROM ledger._margin_products() c) p USING (product)
							 WHERE p.futures IS NOT TRUE
							   AND (x1.expiry IS NULL OR x1.expiry >= as_of OR x1.expiry = '-infinity')
							   AND CASE WHEN p.product IS NULL OR NOT p.ok OR x1.instrument = 'future'
											 OR NOT (x1.quantity > '-Infinity' AND x1.quantity < 'Infinity')
											 OR NOT (x1.strike >= 0 AND x1.strike < 'Infinity')
											 OR (x1.strike IS NULL AND x1.instrument IN ('call', 'put'))
											 OR x1.expiry = 'infinity' OR x1.expiry = '-infinity'
											 OR (strategy AND (x1.premium < 0 OR x1.premium >= 'Infinity'))
											 OR p.price < 0
										THEN ledger._margin_refuse_position(x1.account, x1.product,
												x1.instrument, x1.strike, x1.expiry, x1.quantity,
												CASE WHEN strategy THEN x1.premium END)
										ELSE true END
							OFFSET 0) x
					 GROUP BY 1, 2) l
			OFFSET 0) g;
END
$$;

COMMENT ON FUNCTION ledger._equity_detail(pg_catalog.date, pg_catalog.bool, pg_catalog.bool) IS
	'Internal: portfolio-margin and strategy-based requirements per account and equity or index product, unordered';

CREATE OR REPLACE FUNCTION ledger.portfolio_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scan_risk pg_catalog.float8, contract_minimum pg_catalog.float8,
	requirement pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	SELECT d.account, d.product, d.scan_risk, d.contract_minimum, d.portfolio_requirement
	  FROM ledger._equity_detail(as_of, true, false) d ORDER BY d.account, d.product
$$;

COMMENT ON FUNCTION ledger.portfolio_margin_detail(pg_catalog.date) IS
	'Portfolio margin per account and product: largest loss over the valuation points, at least pm_minimum x multiplier per option contract';

CREATE OR REPLACE FUNCTION ledger.portfolio_margin(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, scan_risk pg_catalog.float8,
	contract_minimum pg_catalog.float8, requirement pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	SELECT d.account, sum(d.scan_risk), sum(d.contract_minimum), sum(d.portfolio_requirement)
	  FROM ledger._equity_detail(as_of, true, false) d
	 GROUP BY d.account ORDER BY d.account
$$;

COMMENT ON FUNCTION ledger.portfolio_margin(pg_catalog.date) IS
	'Portfolio margin per account: sum of the per-product requirements (no offsets between products)';

CREATE OR REPLACE FUNCTION ledger.strategy_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	requirement pg_catalog.float8, short_proceeds pg_catalog.float8,
	strategies pg_catalog.jsonb)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	SELECT d.account, d.product, d.strategy_requirement, d.short_proceeds, d.strategies
	  FROM ledger._equity_detail(as_of, false, true) d ORDER BY d.account, d.product
$$;

COMMENT ON FUNCTION ledger.strategy_margin_detail(pg_catalog.date) IS
	'Strategy-based (Reg T / Cboe) requirement per account and product, net of short-option proceeds; premium NULL means the BSM value';

-- ---------- Collateral and requirements side by side ----------

CREATE FUNCTION ledger._margin_refuse_collateral(account pg_catalog.text,
	asset pg_catalog.text, asset_class pg_catalog.text, market_value pg_catalog.float8)
RETURNS pg_catalog.bool
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM ledger.margin_haircuts h
					WHERE h.asset_class = _margin_refuse_collateral.asset_class) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('collateral of account "%s" in unknown asset class "%s"', account, asset_class),
			HINT = 'Add the asset class to ledger.margin_haircuts.';
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
		MESSAGE = format('invalid collateral "%s" of account "%s"', asset, account),
		DETAIL = format('The market value %s is not a finite number.', market_value);
END
$$;

COMMENT ON FUNCTION ledger._margin_refuse_collateral(pg_catalog.text, pg_catalog.text,
	pg_catalog.text, pg_catalog.float8) IS
	'Internal: raises the error that explains why a collateral holding cannot be valued';

CREATE FUNCTION ledger._collateral_value()
RETURNS TABLE (account pg_catalog.text, market_value pg_catalog.float8,
	after_haircut pg_catalog.float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SUPPORT ledger.margin_rows_support
AS $$
	-- a haircut makes a holding worth less: a negative holding (a
	-- liability) is counted at market_value * (1 + haircut)
	SELECT c.account COLLATE "C", sum(c.market_value),
		   sum(c.market_value * CASE WHEN c.market_value < 0 THEN 1 + h.haircut
									 ELSE 1 - h.haircut END)
	  FROM ledger.margin_collateral c
	  LEFT JOIN ledger.margin_haircuts h USING (asset_class)
	 WHERE CASE WHEN h.asset_class IS NULL
					 OR NOT (c.market_value > '-Infinity' AND c.market_value < 'Infinity')
				THEN ledger._margin_refuse_collateral(c.account, c.asset, c.asset_class,
													  c.market_value)
				ELSE true END
	 GROUP BY 1
$$;

COMMENT ON FUNCTION ledger._collateral_value() IS
	'Internal: ledger.collateral_value without its order';

CREATE OR REPLACE FUNCTION ledger.collateral_value()
RETURNS TABLE (account pg_catalog.text, market_value pg_catalog.float8,
	after_haircut pg_catalog.float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SUPPORT ledger.margin_rows_support
AS $$
	SELECT * FROM ledger._collateral_value() c ORDER BY c.account
$$;

COMMENT ON FUNCTION ledger.collateral_value() IS
	'Collateral per account at market value and after haircuts';

CREATE OR REPLACE FUNCTION ledger.margin_requirements(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, method pg_catalog.text,
	span_scanning_risk pg_catalog.float8, span_intra_spread_charge pg_catalog.float8,
	span_inter_credit pg_catalog.float8, span_short_option_minimum pg_catalog.float8,
	span_total pg_catalog.float8, portfolio_requirement pg_catalog.float8,
	strategy_requirement pg_catalog.float8, requirement pg_catalog.float8,
	collateral_value pg_catalog.float8, collateral_after_haircut pg_catalog.float8,
	net_option_value pg_catalog.float8, excess pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SUPPORT ledger.margin_rows_support
AS $$
	-- per-account sums of the three methods and the collateral, joined by
	-- account (hash joins); only the result is sorted
	WITH s AS (SELECT d.account, sum(d.scanning_risk) AS scanning_risk,
					  sum(d.intra_spread_charge) AS intra_spread_charge,
					  sum(d.inter_credit) AS inter_credit,
					  sum(d.short_option_minimum) AS short_option_minimum, sum(d.total) AS total,
					  sum(d.option_value) AS nov
				 FROM ledger._span_detail(as_of) d GROUP BY d.account),
		 e AS (SELECT d.account, sum(d.portfolio_requirement) AS pr,
					  sum(d.strategy_requirement) AS gr, sum(d.option_value) AS nov
				 FROM ledger._equity_detail(as_of, true, true) d GROUP BY d.account),
		 c AS (SELECT * FROM ledger._collateral_value()),
		 a AS (SELECT s.account FROM s UNION SELECT e.account FROM e
			   UNION SELECT c.account FROM c),
		 r AS (
			SELECT a.account, coalesce(ma.method, 'strategy') AS method,
				   coalesce(s.scanning_risk, 0) AS ssr, coalesce(s.intra_spread_charge, 0) AS sic,
				   coalesce(s.inter_credit, 0) AS sec, coalesce(s.short_option_minimum, 0) AS som,
				   coalesce(s.total, 0) AS st, coalesce(e.pr, 0) AS pr,
				   coalesce(e.gr, 0) AS gr,
				   coalesce(c.market_value, 0) AS cv, coalesce(c.after_haircut, 0) AS ca,
				   coalesce(s.nov, 0) + coalesce(e.nov, 0) AS nov
			  FROM a
			  LEFT JOIN ledger.margin_accounts ma ON ma.account = a.account
			  LEFT JOIN s ON s.account = a.account
			  LEFT JOIN e ON e.account = a.account
			  LEFT JOIN c ON c.account = a.account)
	SELECT r.account, r.method, r.ssr, r.sic, r.sec, r.som, r.st, r.pr, r.gr,
		   r.st + CASE r.method WHEN 'portfolio' THEN r.pr ELSE r.gr END,
		   r.cv, r.ca, r.nov,
		   -- the account's equity: collateral after haircuts and its
		   -- options at market (short ones a liability)
		   r.ca + r.nov - (r.st + CASE r.method WHEN 'portfolio' THEN r.pr ELSE r.gr END)
	  FROM r ORDER BY r.account
$$;

COMMENT ON FUNCTION ledger.margin_requirements(pg_catalog.date) IS
	'Per account: SPAN components, portfolio and strategy-based requirements side by side, the requirement of the account''s method, collateral after haircuts, the net value of its options and the excess (negative: deficit)';

-- ---------- Automation: margin calls and expiry ----------

-- One run_margin_calls (run_expiry) at a time: SHARE UPDATE EXCLUSIVE on
-- ledger.margin_calls (ledger.exercise_events) for a caller who may execute
-- the run; an advisory lock before 2026-12-06, which any role could hold
-- against every run (src/margin.c, ledger_margin_run_lock).
CREATE FUNCTION ledger._margin_run_lock(run pg_catalog.regprocedure)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'ledger_margin_run_lock'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION ledger._margin_run_lock(pg_catalog.regprocedure) IS
	'Internal: the lock that lets one ledger.run_margin_calls or ledger.run_expiry run at a time';

CREATE OR REPLACE FUNCTION ledger.run_margin_calls(as_of pg_catalog.timestamptz)
RETURNS pg_catalog.int4
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
-- the figures it appends (to_jsonb of float8) are the shortest round-trip
-- form whatever the caller's extra_float_digits (-10 stored 733.33 for
-- 733.3333333333333 before 2026-12-06)
SET extra_float_digits = 1
AS $$
DECLARE
	valuation date;
	n int;
BEGIN
	-- not STRICT: a NULL time made no call and said nothing (as run_expiry)
	IF as_of IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'margin call time must not be null';
	END IF;
	IF NOT isfinite(as_of) THEN
		PERFORM ledger._margin_refuse_date('margin call time', as_of::text);
	END IF;
	valuation := (as_of AT TIME ZONE 'UTC')::date;
	-- a snapshot taken before the lock would not see the calls of a run
	-- that committed while this one waited for it (23505 at the insert)
	IF current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
		RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction',
			MESSAGE = 'ledger.run_margin_calls() cannot run in a REPEATABLE READ or SERIALIZABLE transaction',
			DETAIL = 'Its snapshot would not see the calls of a concurrent run that commits while it waits for that run.',
			HINT = 'Run it in a READ COMMITTED transaction.';
	END IF;
	-- one run at a time, so two runs for the same as_of cannot both insert
	PERFORM ledger._margin_run_lock('ledger.run_margin_calls(pg_catalog.timestamptz)');
	-- one statement for every account in deficit that has no call for
	-- as_of yet: rows appended in account order, then announced in it.  A
	-- deficit is at least a cent once rounded to cents (float8 noise such
	-- as 9.1e-13 is none); the call records it as computed.
	WITH q AS (
		SELECT * FROM ledger.margin_requirements(valuation) q
		 WHERE round((-q.excess)::numeric, 2) >= 0.01
		   AND NOT EXISTS (SELECT 1 FROM ledger.margin_calls c
							WHERE c.account = q.account AND c.as_of = run_margin_calls.as_of)),
	holdings AS (
		SELECT c.account, jsonb_agg(jsonb_build_object(
				   'asset', c.asset, 'asset_class', c.asset_class,
				   'market_value', c.market_value, 'haircut', h.haircut,
				   'value', c.market_value * CASE WHEN c.market_value < 0 THEN 1 + h.haircut
												 ELSE 1 - h.haircut END) ORDER BY c.asset) AS collateral
		  FROM ledger.margin_collateral c JOIN ledger.margin_haircuts h USING (asset_class)
		 WHERE c.account IN (SELECT q.account FROM q)
		 GROUP BY c.account),
	made AS (
		INSERT INTO ledger.margin_calls (account, as_of, requirement, collateral, deficit, figures)
		SELECT q.account, run_margin_calls.as_of, q.requirement, q.collateral_after_haircut,
			   -q.excess,
			   to_jsonb(q) - 'account'
			   || jsonb_build_object('valuation_date', valuation,
					  'collateral', coalesce(h.collateral, '[]'))
		  FROM q LEFT JOIN holdings h USING (account)
		 ORDER BY q.account
		RETURNING account)
	SELECT count(*) INTO n FROM made;
	-- one notification a run, with no account and no figure: PostgreSQL has
	-- no privileges on LISTEN, and every role that can connect would hear
	-- them (until 2026-12-06 a notification per call carried its account
	-- and figures); listeners read ledger.margin_calls under their own
	IF n > 0 THEN
		PERFORM pg_notify('ledger_margin_call', jsonb_build_object(
					'as_of', run_margin_calls.as_of, 'calls', n)::text);
	END IF;
	RETURN n;
END
$$;

COMMENT ON FUNCTION ledger.run_margin_calls(pg_catalog.timestamptz) IS
	'Appends a margin call to ledger.margin_calls for each account in deficit and NOTIFYs ledger_margin_call; idempotent per as_of. Returns the number of new calls';
REVOKE ALL ON FUNCTION ledger.run_margin_calls(pg_catalog.timestamptz) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ledger.run_expiry(as_of pg_catalog.date,
	threshold pg_catalog.float8 DEFAULT NULL)
RETURNS pg_catalog.int4
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
	thr float8;
	n int;
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'expiry date must not be null';
	END IF;
	IF NOT isfinite(as_of) THEN
		PERFORM ledger._margin_refuse_date('expiry date', as_of::text);
	END IF;
	-- a snapshot taken before the lock would not see the events of a run
	-- that committed while this one waited for it (23505 at the insert)
	IF current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
		RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction',
			MESSAGE = 'ledger.run_expiry() cannot run in a REPEATABLE READ or SERIALIZABLE transaction',
			DETAIL = 'Its snapshot would not see the events of a concurrent run that commits while it waits for that run.',
			HINT = 'Run it in a READ COMMITTED transaction.';
	END IF;
	PERFORM ledger._margin_run_lock('ledger.run_expiry(pg_catalog.date, pg_catalog.float8)');
	-- read the setting only now: the call above loaded the library, which
	-- turned a placeholder ledger.exercise_threshold (set by a role that may
	-- not set it) into the checked superuser-only setting
	thr := coalesce(threshold,
					nullif(current_setting('ledger.exercise_threshold', true), '')::float8,
					0.01);
	IF thr < 0 OR thr = 'NaN' OR thr = 'Infinity' THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid exercise threshold %s', thr),
			DETAIL = 'The threshold must be a finite number not below 0.';
	END IF;
	-- one statement: the options expiring on as_of, netted per account,
	-- exercised (long) or assigned (short) when in the money by at least
	-- the threshold and not done before; rows appended in (account,
	-- product, instrument, strike) order, then announced in it
	WITH r AS (
		SELECT x.account, x.product, x.instrument, x.strike, x.expiry,
			   sum(x.quantity) AS qty, p.style, y.settlement, p.multiplier, p.price
		  FROM ledger.margin_positions x
		  LEFT JOIN ledger._margin_products() p USING (product)
		  LEFT JOIN ledger.margin_products y USING (product)
		 WHERE x.expiry = as_of AND x.instrument IN ('call', 'put')
		   AND CASE WHEN p.price IS NULL
						 OR NOT (x.quantity > '-Infinity' AND x.quantity < 'Infinity')
						 OR NOT (x.strike >= 0 AND x.strike < 'Infinity')
						 OR NOT (p.multiplier < 'Infinity')
					THEN ledger._margin_refuse_position(x.account, x.product, x.instrument,
							x.strike, x.expiry, x.quantity, x.premium)
					ELSE true END
		 GROUP BY x.account, x.product, x.instrument, x.strike, x.expiry,
				  p.style, y.settlement, p.multiplier, p.price
		HAVING sum(x.quantity) <> 0),
	-- the intrinsic value is the decimal difference of price and strike
	-- (numeric: float8 to numeric keeps 15 significant digits, so 10.00 -
	-- 9.99 is 0.01, where float8 gives 0.009999999999999787, below a
	-- threshold of 0.01), compared with the threshold and recorded
	e AS (
		SELECT r.*, i.intrinsic::float8 AS intrinsic,
			   CASE WHEN r.qty > 0 THEN 'exercise' ELSE 'assignment' END AS ev,
			   -- +1: the holder receives the underlying (long call, short put)
			   CASE r.instrument WHEN 'call' THEN 1 ELSE -1 END * sign(r.qty) AS dir,
			   CASE r.style WHEN 'futures' THEN 1 ELSE r.multiplier END AS units
		  FROM r, LATERAL (SELECT CASE r.instrument WHEN 'call' THEN r.price::numeric - r.strike::numeric
												  ELSE r.strike::numeric - r.price::numeric END AS intrinsic) i
		 WHERE NOT (i.intrinsic <= 0 OR i.intrinsic < thr::numeric)),
	todo AS (
		SELECT e.*,
			   CASE WHEN e.settlement = 'cash' THEN 0
					ELSE e.dir * abs(e.qty) * e.units END AS delivered,
			   -- futures are booked at the strike; stock is paid for at the strike
			   CASE WHEN e.settlement = 'cash' THEN sign(e.qty) * abs(e.qty) * e.intrinsic * e.multiplier
					WHEN e.style = 'futures' THEN 0
					ELSE -e.dir * abs(e.qty) * e.units * e.strike END AS cash
		  FROM e
		 WHERE NOT EXISTS (SELECT 1 FROM ledger.exercise_events v
							WHERE v.account = e.account AND v.product = e.product
							  AND v.instrument = e.instrument AND v.strike = e.strike
							  AND v.expiry = e.expiry AND v.event = e.ev)),
	made AS (
		INSERT INTO ledger.exercise_events (account, product, instrument, strike, expiry,
			event, contracts, underlying_price, intrinsic, delivered_quantity, cash_amount)
		SELECT t.account, t.product, t.instrument, t.strike, t.expiry, t.ev, abs(t.qty),
			   t.price, t.intrinsic, t.delivered, t.cash
		  FROM todo t
		 ORDER BY t.account, t.product, t.instrument, t.strike
		RETURNING account)
	SELECT count(*) INTO n FROM made;
	-- one notification a run, with no account and no figure (see
	-- run_margin_calls); listeners read ledger.exercise_events
	IF n > 0 THEN
		PERFORM pg_notify('ledger_expiry', jsonb_build_object(
					'expiry', run_expiry.as_of, 'events', n)::text);
	END IF;
	RETURN n;
END
$$;

COMMENT ON FUNCTION ledger.run_expiry(pg_catalog.date, pg_catalog.float8) IS
	'Exercises long and assigns short options expiring on as_of that are in the money by at least the threshold (default ledger.exercise_threshold); appends to ledger.exercise_events and NOTIFYs ledger_expiry; idempotent';
REVOKE ALL ON FUNCTION ledger.run_expiry(pg_catalog.date, pg_catalog.float8) FROM PUBLIC;
