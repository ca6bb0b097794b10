
-- ===================================================================
-- Margin and automation (DESIGN.md section 4; docs/margin.md).
-- Risk arrays and scanning aggregates are C (src/margin.c); the rest is
-- SQL and PL/pgSQL.  Functions with a body pin search_path to pg_catalog,
-- so built-ins and operators resolve there; ledger objects are qualified.
-- ===================================================================

-- ---------- C: risk arrays and aggregates ----------

CREATE FUNCTION ledger.span_risk_array(kind pg_catalog.text, f pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	sigma pg_catalog.float8, price_scan pg_catalog.float8,
	vol_scan pg_catalog.float8, multiplier pg_catalog.float8 DEFAULT 1,
	extreme_multiple pg_catalog.float8 DEFAULT 3,
	cover_fraction pg_catalog.float8 DEFAULT 0.35)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_span_risk_array'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 100;	-- 17 option valuations: lets the planner go parallel
COMMENT ON FUNCTION ledger.span_risk_array(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'The 16 SPAN scenario losses (loss positive) of one long future or Black-76 option on a future';

CREATE FUNCTION ledger.pm_risk_array(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8,
	multiplier pg_catalog.float8 DEFAULT 100,
	down pg_catalog.float8 DEFAULT 0.15, up pg_catalog.float8 DEFAULT 0.15,
	points pg_catalog.int4 DEFAULT 10)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_pm_risk_array'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 100;
COMMENT ON FUNCTION ledger.pm_risk_array(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.int4) IS
	'Portfolio-margin losses of one long stock share or BSM option contract at equally spaced moves from -down to +up';

CREATE FUNCTION ledger.span_accum(state pg_catalog.float8[],
	risk_array pg_catalog.float8[], quantity pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_span_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.span_accum(pg_catalog.float8[], pg_catalog.float8[],
	pg_catalog.float8) IS 'Internal: transition function of ledger.span_scan';

CREATE FUNCTION ledger.risk_array_accum(state pg_catalog.float8[],
	risk_array pg_catalog.float8[], quantity pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_risk_array_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_accum(pg_catalog.float8[], pg_catalog.float8[],
	pg_catalog.float8) IS 'Internal: transition function of ledger.pm_scan and ledger.risk_array_sum';

CREATE FUNCTION ledger.risk_array_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_risk_array_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Internal: combine function of the risk array aggregates';

CREATE FUNCTION ledger.risk_array_max_loss(state pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_risk_array_max_loss'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_max_loss(pg_catalog.float8[]) IS
	'Largest scenario loss of a risk array, at least 0';

CREATE FUNCTION ledger.risk_array_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_risk_array_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_final(pg_catalog.float8[]) IS
	'Internal: final function of ledger.risk_array_sum';

CREATE AGGREGATE ledger.span_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.span_accum,
	STYPE = pg_catalog.float8[],
	FINALFUNC = ledger.risk_array_max_loss,
	COMBINEFUNC = ledger.risk_array_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.span_scan(pg_catalog.float8[], pg_catalog.float8) IS
	'SPAN scanning risk: the largest loss of the quantity-weighted sum of 16-scenario risk arrays (at least 0)';

CREATE AGGREGATE ledger.pm_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.risk_array_accum,
	STYPE = pg_catalog.float8[],
	FINALFUNC = ledger.risk_array_max_loss,
	COMBINEFUNC = ledger.risk_array_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.pm_scan(pg_catalog.float8[], pg_catalog.float8) IS
	'Portfolio-margin risk: the largest loss of the quantity-weighted sum of valuation-point arrays (at least 0)';

CREATE AGGREGATE ledger.risk_array_sum(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.risk_array_accum,
	STYPE = pg_catalog.float8[],
	FINALFUNC = ledger.risk_array_final,
	COMBINEFUNC = ledger.risk_array_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.risk_array_sum(pg_catalog.float8[], pg_catalog.float8) IS
	'Quantity-weighted sum of risk arrays of equal length: the risk array of a portfolio';

-- ---------- Parameters, market data, positions, collateral ----------

CREATE TABLE ledger.margin_products (
	product			pg_catalog.text PRIMARY KEY,
	style			pg_catalog.text NOT NULL
					CHECK (style IN ('futures', 'equity', 'index')),
	multiplier		pg_catalog.float8 NOT NULL CHECK (multiplier > 0),
	settlement		pg_catalog.text NOT NULL DEFAULT 'physical'
					CHECK (settlement IN ('physical', 'cash')),
	rate			pg_catalog.float8 NOT NULL DEFAULT 0,
	dividend_yield	pg_catalog.float8 NOT NULL DEFAULT 0,
	-- SPAN (style 'futures'): price scan range in price points, volatility
	-- scan range in absolute volatility, short option minimum per contract
	price_scan		pg_catalog.float8 CHECK (price_scan >= 0),
	vol_scan		pg_catalog.float8 CHECK (vol_scan >= 0),
	extreme_multiple pg_catalog.float8 NOT NULL DEFAULT 3 CHECK (extreme_multiple >= 0),
	cover_fraction	pg_catalog.float8 NOT NULL DEFAULT 0.35
					CHECK (cover_fraction BETWEEN 0 AND 1),
	short_option_minimum pg_catalog.float8 NOT NULL DEFAULT 0
					CHECK (short_option_minimum >= 0),
	-- portfolio margin (styles 'equity', 'index')
	pm_down			pg_catalog.float8 NOT NULL DEFAULT 0.15 CHECK (pm_down BETWEEN 0 AND 1),
	pm_up			pg_catalog.float8 NOT NULL DEFAULT 0.15 CHECK (pm_up >= 0),
	pm_points		pg_catalog.int4 NOT NULL DEFAULT 10
					CHECK (pm_points BETWEEN 2 AND 1000 AND pm_points % 2 = 0),
	pm_minimum		pg_catalog.float8 NOT NULL DEFAULT 0.375 CHECK (pm_minimum >= 0),
	-- strategy-based (Reg T / Cboe): naked short percentage of the
	-- underlying, minimum percentage, stock percentage
	regt_pct		pg_catalog.float8 NOT NULL DEFAULT 0.20 CHECK (regt_pct >= 0),
	regt_min_pct	pg_catalog.float8 NOT NULL DEFAULT 0.10 CHECK (regt_min_pct >= 0),
	regt_stock_pct	pg_catalog.float8 NOT NULL DEFAULT 0.50 CHECK (regt_stock_pct >= 0)
);
COMMENT ON TABLE ledger.margin_products IS
	'Margin parameters per product (SPAN combined commodity, or equity/index option class)';

CREATE TABLE ledger.margin_prices (
	product			pg_catalog.text PRIMARY KEY
					REFERENCES ledger.margin_products ON DELETE CASCADE,
	price			pg_catalog.float8 NOT NULL
					CHECK (price > '-Infinity' AND price < 'Infinity'),
	volatility		pg_catalog.float8 NOT NULL
					CHECK (volatility >= 0 AND volatility < 'Infinity')
);
COMMENT ON TABLE ledger.margin_prices IS
	'Market data per product: underlying (futures or spot) price and lognormal volatility';

CREATE TABLE ledger.margin_intra_tiers (
	product			pg_catalog.text NOT NULL
					REFERENCES ledger.margin_products ON DELETE CASCADE,
	tier			pg_catalog.int4 NOT NULL CHECK (tier > 0),
	expiry_from		pg_catalog.date NOT NULL,
	expiry_to		pg_catalog.date NOT NULL,
	PRIMARY KEY (product, tier),
	CHECK (expiry_from <= expiry_to)
);
COMMENT ON TABLE ledger.margin_intra_tiers IS
	'SPAN intra-commodity tiers: contract expiries grouped for spreading (positions in no tier form tier 0)';

CREATE TABLE ledger.margin_intra_spreads (
	product			pg_catalog.text NOT NULL
					REFERENCES ledger.margin_products ON DELETE CASCADE,
	priority		pg_catalog.int4 NOT NULL,
	tier_a			pg_catalog.int4 NOT NULL,
	tier_b			pg_catalog.int4 NOT NULL,
	charge			pg_catalog.float8 NOT NULL CHECK (charge >= 0),
	PRIMARY KEY (product, priority),
	CHECK (tier_a <> tier_b)
);
COMMENT ON TABLE ledger.margin_intra_spreads IS
	'SPAN intra-commodity spread charge per spread formed between two tiers, in priority order';

CREATE TABLE ledger.margin_inter_spreads (
	priority		pg_catalog.int4 PRIMARY KEY,
	product_a		pg_catalog.text NOT NULL
					REFERENCES ledger.margin_products ON DELETE CASCADE,
	ratio_a			pg_catalog.float8 NOT NULL CHECK (ratio_a > 0),
	product_b		pg_catalog.text NOT NULL
					REFERENCES ledger.margin_products ON DELETE CASCADE,
	ratio_b			pg_catalog.float8 NOT NULL CHECK (ratio_b > 0),
	credit_rate		pg_catalog.float8 NOT NULL CHECK (credit_rate BETWEEN 0 AND 1),
	CHECK (product_a <> product_b)
);
COMMENT ON TABLE ledger.margin_inter_spreads IS
	'SPAN inter-commodity spreads: delta ratios and credit rate, in priority order';

CREATE TABLE ledger.margin_accounts (
	account			pg_catalog.text PRIMARY KEY,
	method			pg_catalog.text NOT NULL DEFAULT 'strategy'
					CHECK (method IN ('strategy', 'portfolio'))
);
COMMENT ON TABLE ledger.margin_accounts IS
	'Margin method of equity and index positions per account (default strategy-based); futures use SPAN';

CREATE TABLE ledger.margin_positions (
	account			pg_catalog.text NOT NULL,
	product			pg_catalog.text NOT NULL,
	instrument		pg_catalog.text NOT NULL
					CHECK (instrument IN ('future', 'stock', 'call', 'put')),
	strike			pg_catalog.float8,
	expiry			pg_catalog.date,
	quantity		pg_catalog.float8 NOT NULL,
	premium			pg_catalog.float8,
	CHECK (instrument IN ('future', 'stock') OR (strike IS NOT NULL AND expiry IS NOT NULL))
);
CREATE INDEX margin_positions_account_idx ON ledger.margin_positions (account, product);
COMMENT ON TABLE ledger.margin_positions IS
	'Positions: signed quantity in contracts (shares for stock); premium is the option''s market price per unit';

CREATE TABLE ledger.margin_haircuts (
	asset_class		pg_catalog.text PRIMARY KEY,
	haircut			pg_catalog.float8 NOT NULL CHECK (haircut BETWEEN 0 AND 1)
);
COMMENT ON TABLE ledger.margin_haircuts IS 'Collateral haircut per asset class (0.02 = 2%)';

CREATE TABLE ledger.margin_collateral (
	account			pg_catalog.text NOT NULL,
	asset			pg_catalog.text NOT NULL,
	asset_class		pg_catalog.text NOT NULL,
	market_value	pg_catalog.float8 NOT NULL,
	PRIMARY KEY (account, asset)
);
COMMENT ON TABLE ledger.margin_collateral IS 'Collateral holdings per account at market value';

INSERT INTO ledger.margin_haircuts VALUES ('cash', 0);

-- ---------- Ledgers written by the automation ----------

CREATE TABLE ledger.margin_calls (
	account			pg_catalog.text NOT NULL,
	as_of			pg_catalog.timestamptz NOT NULL,
	requirement		pg_catalog.float8 NOT NULL,
	collateral		pg_catalog.float8 NOT NULL,
	deficit			pg_catalog.float8 NOT NULL,
	figures			pg_catalog.jsonb NOT NULL,
	UNIQUE (account, as_of)
);
COMMENT ON TABLE ledger.margin_calls IS
	'Ledger of margin calls: one per account in deficit and as_of, with the figures that justify it';
-- a ledger, registered at its first insert (see ledger._prepare_builtin)
SELECT ledger._prepare_builtin('ledger.margin_calls');

CREATE TABLE ledger.exercise_events (
	account			pg_catalog.text NOT NULL,
	product			pg_catalog.text NOT NULL,
	instrument		pg_catalog.text NOT NULL,
	strike			pg_catalog.float8 NOT NULL,
	expiry			pg_catalog.date NOT NULL,
	event			pg_catalog.text NOT NULL CHECK (event IN ('exercise', 'assignment')),
	contracts		pg_catalog.float8 NOT NULL,
	underlying_price pg_catalog.float8 NOT NULL,
	intrinsic		pg_catalog.float8 NOT NULL,
	delivered_quantity pg_catalog.float8 NOT NULL,
	cash_amount		pg_catalog.float8 NOT NULL,
	UNIQUE (account, product, instrument, strike, expiry, event)
);
COMMENT ON TABLE ledger.exercise_events IS
	'Ledger of exercises (long side) and assignments (short side) at expiry';
SELECT ledger._prepare_builtin('ledger.exercise_events');

SELECT pg_catalog.pg_extension_config_dump('ledger.margin_products', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_prices', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_intra_tiers', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_intra_spreads', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_inter_spreads', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_accounts', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_positions', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_haircuts', 'WHERE asset_class <> ''cash''');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_collateral', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.margin_calls', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.exercise_events', '');

-- ---------- Positions joined with their parameters ----------

CREATE FUNCTION ledger.margin_legs(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	style pg_catalog.text, instrument pg_catalog.text, strike pg_catalog.float8,
	expiry pg_catalog.date, t pg_catalog.float8, quantity pg_catalog.float8,
	premium pg_catalog.float8, price pg_catalog.float8,
	volatility pg_catalog.float8, p ledger.margin_products)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad record;
BEGIN
	SELECT x.account, x.product INTO bad FROM ledger.margin_positions x
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.margin_products y WHERE y.product = x.product)
	 ORDER BY 1, 2 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('position of account "%s" in unknown product "%s"', bad.account, bad.product),
			HINT = 'Add the product to ledger.margin_products.';
	END IF;
	SELECT x.product INTO bad FROM ledger.margin_positions x
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.margin_prices y WHERE y.product = x.product)
	 ORDER BY 1 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('missing market price for product "%s"', bad.product),
			HINT = 'Add the price and volatility to ledger.margin_prices.';
	END IF;
	SELECT y.product INTO bad FROM ledger.margin_products y
	 WHERE y.style = 'futures' AND (y.price_scan IS NULL OR y.vol_scan IS NULL)
	   AND EXISTS (SELECT 1 FROM ledger.margin_positions x WHERE x.product = y.product)
	 ORDER BY 1 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('missing SPAN parameters for product "%s"', bad.product),
			DETAIL = 'Futures products need price_scan and vol_scan.';
	END IF;
	SELECT x.account, x.product, x.instrument, y.style INTO bad
	  FROM ledger.margin_positions x JOIN ledger.margin_products y USING (product)
	 WHERE (y.style = 'futures' AND x.instrument = 'stock')
		OR (y.style <> 'futures' AND x.instrument = 'future')
		OR x.quantity = 'NaN' OR x.quantity IN ('Infinity', '-Infinity')
	 ORDER BY 1, 2 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid position of account "%s" in product "%s"', bad.account, bad.product),
			DETAIL = format('Instrument "%s" in a product of style "%s", or a quantity that is not finite.', bad.instrument, bad.style);
	END IF;
	RETURN QUERY
	SELECT x.account, x.product, y.style, x.instrument, x.strike, x.expiry,
		   CASE WHEN x.expiry IS NULL THEN 0::float8
				ELSE (x.expiry - as_of)::float8 / 365.0 END,
		   x.quantity, x.premium, m.price, m.volatility, y
	  FROM ledger.margin_positions x
	  JOIN ledger.margin_products y USING (product)
	  JOIN ledger.margin_prices m USING (product)
	 WHERE x.expiry IS NULL OR x.expiry >= as_of;
END
$$;
COMMENT ON FUNCTION ledger.margin_legs(pg_catalog.date) IS
	'Live positions (not expired at as_of) with their product parameters and market data; refuses unknown products and missing parameters';

-- ---------- SPAN ----------

CREATE FUNCTION ledger.span_intra_charge(product pg_catalog.text,
	tiers pg_catalog.int4[], deltas pg_catalog.float8[])
RETURNS pg_catalog.float8
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	ia int;
	ib int;
	n float8;
	charge float8 := 0;
BEGIN
	FOR s IN SELECT * FROM ledger.margin_intra_spreads x
			  WHERE x.product = span_intra_charge.product ORDER BY x.priority LOOP
		ia := array_position(tiers, s.tier_a);
		ib := array_position(tiers, s.tier_b);
		CONTINUE WHEN ia IS NULL OR ib IS NULL;
		CONTINUE WHEN sign(deltas[ia]) * sign(deltas[ib]) >= 0;
		n := least(abs(deltas[ia]), abs(deltas[ib]));
		charge := charge + n * s.charge;
		deltas[ia] := deltas[ia] - sign(deltas[ia]) * n;
		deltas[ib] := deltas[ib] - sign(deltas[ib]) * n;
	END LOOP;
	RETURN charge;
END
$$;
COMMENT ON FUNCTION ledger.span_intra_charge(pg_catalog.text, pg_catalog.int4[], pg_catalog.float8[]) IS
	'SPAN intra-commodity spread charge: spreads formed between opposite tier deltas in priority order, times the charge per spread';

CREATE FUNCTION ledger.span_inter_credit(products pg_catalog.text[],
	net_deltas pg_catalog.float8[], caps pg_catalog.float8[])
RETURNS pg_catalog.float8[]
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	ia int;
	ib int;
	n float8;
	credits float8[] := array_fill(0::float8, ARRAY[cardinality(products)]);
	i int;
BEGIN
	FOR s IN SELECT x.*, pa.price_scan * pa.multiplier AS risk_a,
					pb.price_scan * pb.multiplier AS risk_b
			   FROM ledger.margin_inter_spreads x
			   JOIN ledger.margin_products pa ON pa.product = x.product_a
			   JOIN ledger.margin_products pb ON pb.product = x.product_b
			  ORDER BY x.priority LOOP
		ia := array_position(products, s.product_a);
		ib := array_position(products, s.product_b);
		CONTINUE WHEN ia IS NULL OR ib IS NULL;
		CONTINUE WHEN sign(net_deltas[ia]) * sign(net_deltas[ib]) >= 0;
		n := least(abs(net_deltas[ia]) / s.ratio_a, abs(net_deltas[ib]) / s.ratio_b);
		credits[ia] := credits[ia] + s.credit_rate * n * s.ratio_a * s.risk_a;
		credits[ib] := credits[ib] + s.credit_rate * n * s.ratio_b * s.risk_b;
		net_deltas[ia] := net_deltas[ia] - sign(net_deltas[ia]) * n * s.ratio_a;
		net_deltas[ib] := net_deltas[ib] - sign(net_deltas[ib]) * n * s.ratio_b;
	END LOOP;
	FOR i IN 1 .. cardinality(products) LOOP
		credits[i] := greatest(least(credits[i], caps[i]), 0);
	END LOOP;
	RETURN credits;
END
$$;
COMMENT ON FUNCTION ledger.span_inter_credit(pg_catalog.text[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'SPAN inter-commodity credits per product: spreads between opposite net deltas, credit rate times the price risk of the spread legs, capped per product';

CREATE FUNCTION ledger.span_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scanning_risk pg_catalog.float8, intra_spread_charge pg_catalog.float8,
	inter_credit pg_catalog.float8, short_option_minimum pg_catalog.float8,
	total pg_catalog.float8, net_delta pg_catalog.float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	WITH legs AS (
		SELECT l.*,
			   CASE l.instrument WHEN 'future' THEN 1::float8
					ELSE (ledger.black76_greeks(l.instrument, l.price, l.strike, l.t,
												(l.p).rate, l.volatility)).delta END AS delta,
			   coalesce((SELECT it.tier FROM ledger.margin_intra_tiers it
						  WHERE it.product = l.product
							AND l.expiry BETWEEN it.expiry_from AND it.expiry_to
						  ORDER BY it.tier LIMIT 1), 0) AS tier
		  FROM ledger.margin_legs(as_of) l
		 WHERE l.style = 'futures'),
	scan AS (
		SELECT l.account, l.product,
			   ledger.span_scan(ledger.span_risk_array(l.instrument, l.price,
						coalesce(l.strike, 0), l.t, (l.p).rate, l.volatility,
						(l.p).price_scan, (l.p).vol_scan, (l.p).multiplier,
						(l.p).extreme_multiple, (l.p).cover_fraction), l.quantity) AS scanning_risk,
			   coalesce(sum(-l.quantity) FILTER (WHERE l.instrument IN ('call', 'put')
												AND l.quantity < 0), 0)
				 * max((l.p).short_option_minimum) AS som
		  FROM legs l GROUP BY l.account, l.product),
	tiered AS (
		SELECT l.account, l.product, l.tier, sum(l.quantity * l.delta) AS d
		  FROM legs l GROUP BY l.account, l.product, l.tier),
	intra AS (
		SELECT x.account, x.product, sum(x.d) AS net,
			   ledger.span_intra_charge(x.product, array_agg(x.tier ORDER BY x.tier),
										array_agg(x.d ORDER BY x.tier)) AS charge
		  FROM tiered x GROUP BY x.account, x.product),
	base AS (
		SELECT s.account, s.product, s.scanning_risk, i.charge, s.som, i.net
		  FROM scan s JOIN intra i USING (account, product)),
	inter AS (
		SELECT b.account, u.product, u.credit
		  FROM (SELECT b2.account,
					   array_agg(b2.product ORDER BY b2.product) AS products,
					   ledger.span_inter_credit(array_agg(b2.product ORDER BY b2.product),
							array_agg(b2.net ORDER BY b2.product),
							array_agg(b2.scanning_risk + b2.charge ORDER BY b2.product)) AS credits
				  FROM base b2 GROUP BY b2.account) b,
			   unnest(b.products, b.credits) AS u(product, credit))
	SELECT b.account, b.product, b.scanning_risk, b.charge, c.credit, b.som,
		   greatest(b.scanning_risk + b.charge - c.credit, b.som), b.net
	  FROM base b JOIN inter c USING (account, product)
	 ORDER BY 1, 2;
END
$$;
COMMENT ON FUNCTION ledger.span_margin_detail(pg_catalog.date) IS
	'SPAN requirement per account and futures product: scanning risk + intra-commodity charge - inter-commodity credit, at least the short option minimum';

CREATE FUNCTION ledger.span_margin(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, scanning_risk pg_catalog.float8,
	intra_spread_charge pg_catalog.float8, inter_credit pg_catalog.float8,
	short_option_minimum pg_catalog.float8, total pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT d.account, sum(d.scanning_risk), sum(d.intra_spread_charge),
		   sum(d.inter_credit), sum(d.short_option_minimum), sum(d.total)
	  FROM ledger.span_margin_detail(as_of) d
	 GROUP BY d.account ORDER BY d.account
$$;
COMMENT ON FUNCTION ledger.span_margin(pg_catalog.date) IS
	'SPAN requirement per account with each component (sums over the account''s futures products; see span_margin_detail)';

-- ---------- Portfolio margin (FINRA 4210(g) / Cboe 12.4) ----------

CREATE FUNCTION ledger.portfolio_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	scan_risk pg_catalog.float8, contract_minimum pg_catalog.float8,
	requirement pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.account, x.product, x.risk, x.minimum, greatest(x.risk, x.minimum)
	  FROM (SELECT l.account, l.product,
				   ledger.pm_scan(ledger.pm_risk_array(
						CASE l.instrument WHEN 'stock' THEN 'stock' ELSE l.instrument END,
						l.price, coalesce(l.strike, 0), l.t, (l.p).rate,
						(l.p).dividend_yield, l.volatility,
						CASE l.instrument WHEN 'stock' THEN 1 ELSE (l.p).multiplier END,
						(l.p).pm_down, (l.p).pm_up, (l.p).pm_points), l.quantity) AS risk,
				   coalesce(sum(abs(l.quantity)) FILTER (WHERE l.instrument <> 'stock'), 0)
					 * max((l.p).pm_minimum * (l.p).multiplier) AS minimum
			  FROM ledger.margin_legs(as_of) l
			 WHERE l.style <> 'futures'
			 GROUP BY l.account, l.product) x
	 ORDER BY 1, 2
$$;
COMMENT ON FUNCTION ledger.portfolio_margin_detail(pg_catalog.date) IS
	'Portfolio margin per account and product: largest loss over the valuation points, at least pm_minimum x multiplier per option contract';

CREATE FUNCTION ledger.portfolio_margin(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, scan_risk pg_catalog.float8,
	contract_minimum pg_catalog.float8, requirement pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT d.account, sum(d.scan_risk), sum(d.contract_minimum), sum(d.requirement)
	  FROM ledger.portfolio_margin_detail(as_of) d
	 GROUP BY d.account ORDER BY d.account
$$;
COMMENT ON FUNCTION ledger.portfolio_margin(pg_catalog.date) IS
	'Portfolio margin per account: sum of the per-product requirements (no offsets between products)';

-- ---------- Strategy-based (Reg T / Cboe) ----------

CREATE FUNCTION ledger.regt_naked(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, pct pg_catalog.float8 DEFAULT 0.20,
	min_pct pg_catalog.float8 DEFAULT 0.10)
RETURNS pg_catalog.float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE kind
		WHEN 'call' THEN greatest(pct * s - greatest(k - s, 0), min_pct * s)
		WHEN 'put' THEN greatest(pct * s - greatest(s - k, 0), min_pct * k)
	END
$$;
COMMENT ON FUNCTION ledger.regt_naked(pg_catalog.text, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8) IS
	'Cboe uncovered short option requirement per unit beyond the proceeds: pct of the underlying less the out-of-the-money amount, at least min_pct of the underlying (call) or strike (put)';

CREATE FUNCTION ledger.regt_requirement(s pg_catalog.float8, m pg_catalog.float8,
	pct pg_catalog.float8, min_pct pg_catalog.float8, stock_pct pg_catalog.float8,
	instruments pg_catalog.text[], strikes pg_catalog.float8[],
	expiries pg_catalog.date[], quantities pg_catalog.float8[],
	premiums pg_catalog.float8[],
	OUT requirement pg_catalog.float8, OUT short_proceeds pg_catalog.float8,
	OUT strategies pg_catalog.jsonb)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stock float8 := 0;
	-- per leg: remaining contracts
	rem float8[] := array_fill(0::float8, ARRAY[cardinality(instruments)]);
	i int;
	j int;
	best int;
	n float8;
	naked float8;
	spread float8;
	cover float8;
	counts jsonb := '{}';
	cnet float8;
	pnet float8;
BEGIN
	requirement := 0;
	short_proceeds := 0;
	FOR i IN 1 .. cardinality(instruments) LOOP
		IF instruments[i] = 'stock' THEN
			stock := stock + quantities[i];
		ELSE
			rem[i] := quantities[i];
			IF quantities[i] < 0 THEN
				short_proceeds := short_proceeds - quantities[i] * premiums[i] * m;
			ELSE
				-- long options are paid in full
				requirement := requirement + quantities[i] * premiums[i] * m;
			END IF;
		END IF;
	END LOOP;
	-- every short's proceeds are applied; below, each short leg adds its
	-- gross requirement (naked: proceeds + rule; spread: strike difference;
	-- covered: nothing)
	requirement := requirement - short_proceeds;
	requirement := requirement + stock_pct * abs(stock) * s;

	-- 1. covered calls (long stock) and covered puts (short stock), most in the money first
	cover := trunc(abs(stock) / m);
	FOR i IN SELECT o FROM unnest(instruments, strikes) WITH ORDINALITY AS u(ins, k, o)
			  WHERE ins = CASE WHEN stock > 0 THEN 'call' ELSE 'put' END
			  ORDER BY CASE WHEN stock > 0 THEN k ELSE -k END LOOP
		EXIT WHEN cover <= 0;
		CONTINUE WHEN rem[i] >= 0;
		n := least(-rem[i], cover);
		rem[i] := rem[i] + n;
		cover := cover - n;
		counts := jsonb_set(counts, '{covered}', to_jsonb(coalesce((counts->>'covered')::float8, 0) + n));
	END LOOP;

	-- 2. vertical spreads: each short paired with the long of the same kind
	--    expiring no earlier that costs least beyond its premium
	FOR i IN SELECT o FROM unnest(instruments, strikes) WITH ORDINALITY AS u(ins, k, o)
			  WHERE ins IN ('call', 'put') ORDER BY o LOOP
		WHILE rem[i] < 0 LOOP
			best := NULL;
			FOR j IN 1 .. cardinality(instruments) LOOP
				IF instruments[j] = instruments[i] AND rem[j] > 0 AND expiries[j] >= expiries[i]
				   AND (best IS NULL OR
						CASE instruments[i] WHEN 'call' THEN strikes[j] < strikes[best]
											ELSE strikes[j] > strikes[best] END) THEN
					best := j;
				END IF;
			END LOOP;
			EXIT WHEN best IS NULL;
			spread := CASE instruments[i]
						WHEN 'call' THEN greatest(strikes[best] - strikes[i], 0)
						ELSE greatest(strikes[i] - strikes[best], 0) END;
			naked := ledger.regt_naked(instruments[i], s, strikes[i], pct, min_pct);
			EXIT WHEN spread >= naked;
			n := least(-rem[i], rem[best]);
			requirement := requirement + n * spread * m;
			rem[i] := rem[i] + n;
			rem[best] := rem[best] - n;
			counts := jsonb_set(counts, '{spread}', to_jsonb(coalesce((counts->>'spread')::float8, 0) + n));
		END LOOP;
	END LOOP;

	-- 3. short straddles and strangles: a short call with a short put needs
	--    the greater side's requirement plus the other side's premium;
	--    largest requirements first
	LOOP
		SELECT o INTO i FROM unnest(instruments, strikes, rem, premiums) WITH ORDINALITY AS u(ins, k, q, pr, o)
		 WHERE ins = 'call' AND q < 0
		 ORDER BY ledger.regt_naked('call', s, k, pct, min_pct) + pr DESC, o LIMIT 1;
		EXIT WHEN NOT FOUND;
		SELECT o INTO j FROM unnest(instruments, strikes, rem, premiums) WITH ORDINALITY AS u(ins, k, q, pr, o)
		 WHERE ins = 'put' AND q < 0
		 ORDER BY ledger.regt_naked('put', s, k, pct, min_pct) + pr DESC, o LIMIT 1;
		EXIT WHEN NOT FOUND;
		n := least(-rem[i], -rem[j]);
		cnet := ledger.regt_naked('call', s, strikes[i], pct, min_pct);
		pnet := ledger.regt_naked('put', s, strikes[j], pct, min_pct);
		requirement := requirement + n * m *
			(CASE WHEN cnet + premiums[i] >= pnet + premiums[j] THEN cnet ELSE pnet END
			 + premiums[i] + premiums[j]);
		rem[i] := rem[i] + n;
		rem[j] := rem[j] + n;
		counts := jsonb_set(counts, '{straddle}', to_jsonb(coalesce((counts->>'straddle')::float8, 0) + n));
	END LOOP;

	-- 4. what is left short is naked
	FOR i IN 1 .. cardinality(instruments) LOOP
		IF rem[i] < 0 THEN
			requirement := requirement - rem[i] * m *
				(ledger.regt_naked(instruments[i], s, strikes[i], pct, min_pct) + premiums[i]);
			counts := jsonb_set(counts, '{naked}', to_jsonb(coalesce((counts->>'naked')::float8, 0) - rem[i]));
		END IF;
	END LOOP;
	strategies := counts;
END
$$;
COMMENT ON FUNCTION ledger.regt_requirement(pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.text[],
	pg_catalog.float8[], pg_catalog.date[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'Strategy-based requirement of one product''s legs, net of short proceeds: covered calls/puts, vertical spreads, straddles/strangles, then naked shorts; long options in full, stock at stock_pct';

CREATE FUNCTION ledger.strategy_margin_detail(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, product pg_catalog.text,
	requirement pg_catalog.float8, short_proceeds pg_catalog.float8,
	strategies pg_catalog.jsonb)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.account, x.product, (x.r).requirement, (x.r).short_proceeds, (x.r).strategies
	  FROM (SELECT l.account, l.product,
				   ledger.regt_requirement(max(l.price), max((l.p).multiplier),
						max((l.p).regt_pct), max((l.p).regt_min_pct), max((l.p).regt_stock_pct),
						array_agg(l.instrument), array_agg(coalesce(l.strike, 0)),
						array_agg(coalesce(l.expiry, 'infinity')), array_agg(l.quantity),
						array_agg(coalesce(l.premium,
							CASE WHEN l.instrument IN ('call', 'put')
								 THEN ledger.bsm_price(l.instrument, l.price, l.strike, l.t,
													   (l.p).rate, (l.p).dividend_yield, l.volatility)
								 ELSE 0 END))) AS r
			  FROM ledger.margin_legs(as_of) l
			 WHERE l.style <> 'futures'
			 GROUP BY l.account, l.product) x
	 ORDER BY 1, 2
$$;
COMMENT ON FUNCTION ledger.strategy_margin_detail(pg_catalog.date) IS
	'Strategy-based (Reg T / Cboe) requirement per account and product, net of short-option proceeds; premium NULL means the BSM value';

-- ---------- Collateral and requirements side by side ----------

CREATE FUNCTION ledger.collateral_value()
RETURNS TABLE (account pg_catalog.text, market_value pg_catalog.float8,
	after_haircut pg_catalog.float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad record;
BEGIN
	SELECT c.account, c.asset_class INTO bad FROM ledger.margin_collateral c
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.margin_haircuts h WHERE h.asset_class = c.asset_class)
	 ORDER BY 1, 2 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('collateral of account "%s" in unknown asset class "%s"', bad.account, bad.asset_class),
			HINT = 'Add the asset class to ledger.margin_haircuts.';
	END IF;
	RETURN QUERY
	SELECT c.account, sum(c.market_value), sum(c.market_value * (1 - h.haircut))
	  FROM ledger.margin_collateral c JOIN ledger.margin_haircuts h USING (asset_class)
	 GROUP BY c.account ORDER BY c.account;
END
$$;
COMMENT ON FUNCTION ledger.collateral_value() IS
	'Collateral per account at market value and after haircuts';

CREATE FUNCTION ledger.margin_requirements(as_of pg_catalog.date)
RETURNS TABLE (account pg_catalog.text, method pg_catalog.text,
	span_scanning_risk pg_catalog.float8, span_intra_spread_charge pg_catalog.float8,
	span_inter_credit pg_catalog.float8, span_short_option_minimum pg_catalog.float8,
	span_total pg_catalog.float8, portfolio_requirement pg_catalog.float8,
	strategy_requirement pg_catalog.float8, requirement pg_catalog.float8,
	collateral_value pg_catalog.float8, collateral_after_haircut pg_catalog.float8,
	excess pg_catalog.float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH s AS (SELECT * FROM ledger.span_margin(as_of)),
		 p AS (SELECT * FROM ledger.portfolio_margin(as_of)),
		 g AS (SELECT d.account, sum(d.requirement) AS requirement
				 FROM ledger.strategy_margin_detail(as_of) d GROUP BY d.account),
		 c AS (SELECT * FROM ledger.collateral_value()),
		 a AS (SELECT s.account FROM s UNION SELECT p.account FROM p
			   UNION SELECT g.account FROM g UNION SELECT c.account FROM c),
		 r AS (
			SELECT a.account, coalesce(ma.method, 'strategy') AS method,
				   coalesce(s.scanning_risk, 0) AS ssr, coalesce(s.intra_spread_charge, 0) AS sic,
				   coalesce(s.inter_credit, 0) AS sec, coalesce(s.short_option_minimum, 0) AS som,
				   coalesce(s.total, 0) AS st, coalesce(p.requirement, 0) AS pr,
				   coalesce(g.requirement, 0) AS gr,
				   coalesce(c.market_value, 0) AS cv, coalesce(c.after_haircut, 0) AS ca
			  FROM a
			  LEFT JOIN ledger.margin_accounts ma ON ma.account = a.account
			  LEFT JOIN s ON s.account = a.account
			  LEFT JOIN p ON p.account = a.account
			  LEFT JOIN g ON g.account = a.account
			  LEFT JOIN c ON c.account = a.account)
	SELECT r.account, r.method, r.ssr, r.sic, r.sec, r.som, r.st, r.pr, r.gr,
		   r.st + CASE r.method WHEN 'portfolio' THEN r.pr ELSE r.gr END,
		   r.cv, r.ca,
		   r.ca - (r.st + CASE r.method WHEN 'portfolio' THEN r.pr ELSE r.gr END)
	  FROM r ORDER BY r.account
$$;
COMMENT ON FUNCTION ledger.margin_requirements(pg_catalog.date) IS
	'Per account: SPAN components, portfolio and strategy-based requirements side by side, the requirement of the account''s method, collateral after haircuts and the excess (negative: deficit)';

-- ---------- Automation: margin calls and expiry ----------

CREATE FUNCTION ledger.run_margin_calls(as_of pg_catalog.timestamptz)
RETURNS pg_catalog.int4
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	figures jsonb;
	n int := 0;
BEGIN
	-- one run at a time, so two runs for the same as_of cannot both insert
	PERFORM pg_advisory_xact_lock(hashtext('ledger.run_margin_calls'));
	FOR r IN SELECT * FROM ledger.margin_requirements((as_of AT TIME ZONE 'UTC')::date) q
			  WHERE q.excess < 0 ORDER BY q.account LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM ledger.margin_calls c
							   WHERE c.account = r.account AND c.as_of = run_margin_calls.as_of);
		figures := to_jsonb(r) - 'account'
			|| jsonb_build_object('valuation_date', (as_of AT TIME ZONE 'UTC')::date,
				'collateral', coalesce((SELECT jsonb_agg(jsonb_build_object(
						'asset', c.asset, 'asset_class', c.asset_class,
						'market_value', c.market_value, 'haircut', h.haircut,
						'value', c.market_value * (1 - h.haircut)) ORDER BY c.asset)
					FROM ledger.margin_collateral c JOIN ledger.margin_haircuts h USING (asset_class)
				   WHERE c.account = r.account), '[]'));
		INSERT INTO ledger.margin_calls (account, as_of, requirement, collateral, deficit, figures)
		VALUES (r.account, as_of, r.requirement, r.collateral_after_haircut, -r.excess, figures);
		PERFORM pg_notify('ledger_margin_call', jsonb_build_object(
			'account', r.account, 'as_of', as_of, 'requirement', r.requirement,
			'collateral', r.collateral_after_haircut, 'deficit', -r.excess)::text);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ledger.run_margin_calls(pg_catalog.timestamptz) IS
	'Appends a margin call to ledger.margin_calls for each account in deficit and NOTIFYs ledger_margin_call; idempotent per as_of. Returns the number of new calls';
REVOKE ALL ON FUNCTION ledger.run_margin_calls(pg_catalog.timestamptz) FROM PUBLIC;

CREATE FUNCTION ledger.run_expiry(as_of pg_catalog.date,
	threshold pg_catalog.float8 DEFAULT NULL)
RETURNS pg_catalog.int4
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	thr float8;
	r record;
	bad record;
	intrinsic float8;
	units float8;
	dir float8;
	ev text;
	delivered float8;
	cash float8;
	n int := 0;
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'expiry date must not be null';
	END IF;
	thr := coalesce(threshold,
					nullif(current_setting('ledger.exercise_threshold', true), '')::float8,
					0.01);
	IF thr < 0 OR thr = 'NaN' OR thr = 'Infinity' THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('invalid exercise threshold %s', thr),
			DETAIL = 'The threshold must be a finite number not below 0.';
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('ledger.run_expiry'));
	SELECT x.account, x.product INTO bad FROM ledger.margin_positions x
	 WHERE x.expiry = as_of AND x.instrument IN ('call', 'put')
	   AND NOT EXISTS (SELECT 1 FROM ledger.margin_prices m WHERE m.product = x.product)
	 ORDER BY 1, 2 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('missing market price for product "%s"', bad.product),
			DETAIL = format('Account "%s" holds options of it expiring on %s.', bad.account, as_of);
	END IF;
	FOR r IN SELECT x.account, x.product, x.instrument, x.strike, x.expiry,
					sum(x.quantity) AS qty, y.style, y.settlement, y.multiplier, m.price
			   FROM ledger.margin_positions x
			   JOIN ledger.margin_products y USING (product)
			   JOIN ledger.margin_prices m USING (product)
			  WHERE x.expiry = as_of AND x.instrument IN ('call', 'put')
			  GROUP BY x.account, x.product, x.instrument, x.strike, x.expiry,
					   y.style, y.settlement, y.multiplier, m.price
			 HAVING sum(x.quantity) <> 0
			  ORDER BY 1, 2, 3, 4 LOOP
		intrinsic := CASE r.instrument WHEN 'call' THEN r.price - r.strike
									   ELSE r.strike - r.price END;
		CONTINUE WHEN intrinsic <= 0 OR intrinsic < thr;
		ev := CASE WHEN r.qty > 0 THEN 'exercise' ELSE 'assignment' END;
		CONTINUE WHEN EXISTS (SELECT 1 FROM ledger.exercise_events e
							   WHERE e.account = r.account AND e.product = r.product
								 AND e.instrument = r.instrument AND e.strike = r.strike
								 AND e.expiry = r.expiry AND e.event = ev);
		-- +1: the holder receives the underlying (long call, short put)
		dir := CASE r.instrument WHEN 'call' THEN 1 ELSE -1 END * sign(r.qty);
		units := CASE r.style WHEN 'futures' THEN 1 ELSE r.multiplier END;
		IF r.settlement = 'cash' THEN
			delivered := 0;
			cash := sign(r.qty) * abs(r.qty) * intrinsic * r.multiplier;
		ELSE
			delivered := dir * abs(r.qty) * units;
			-- futures are booked at the strike; stock is paid for at the strike
			cash := CASE r.style WHEN 'futures' THEN 0
					ELSE -dir * abs(r.qty) * units * r.strike END;
		END IF;
		INSERT INTO ledger.exercise_events (account, product, instrument, strike, expiry,
			event, contracts, underlying_price, intrinsic, delivered_quantity, cash_amount)
		VALUES (r.account, r.product, r.instrument, r.strike, r.expiry, ev, abs(r.qty),
				r.price, intrinsic, delivered, cash);
		PERFORM pg_notify('ledger_expiry', jsonb_build_object(
			'account', r.account, 'product', r.product, 'instrument', r.instrument,
			'strike', r.strike, 'expiry', r.expiry, 'event', ev,
			'contracts', abs(r.qty), 'delivered_quantity', delivered,
			'cash_amount', cash)::text);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ledger.run_expiry(pg_catalog.date, pg_catalog.float8) IS
	'Exercises long and assigns short options expiring on as_of that are in the money by at least the threshold (default ledger.exercise_threshold); appends to ledger.exercise_events and NOTIFYs ledger_expiry; idempotent';
REVOKE ALL ON FUNCTION ledger.run_expiry(pg_catalog.date, pg_catalog.float8) FROM PUBLIC;
