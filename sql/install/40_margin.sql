
-- ===================================================================
-- Margin and automation (DESIGN.md section 4; docs/margin.md).
-- Risk arrays, scanning aggregates, spread and credit rules and the
-- strategy-based pairing are C (src/margin.c); the queries around them are
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

-- The aggregates keep their state in C memory (type internal): SQL cannot
-- pass a value where a state is expected, and only a superuser can declare
-- an aggregate with such a state (docs/margin.md, "Aggregates").
CREATE FUNCTION ledger.span_accum(state pg_catalog.internal,
	risk_array pg_catalog.float8[], quantity pg_catalog.float8)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_span_accum_0_2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.span_accum(pg_catalog.internal, pg_catalog.float8[],
	pg_catalog.float8) IS 'Internal: transition function of ledger.span_scan';

CREATE FUNCTION ledger.risk_array_accum(state pg_catalog.internal,
	risk_array pg_catalog.float8[], quantity pg_catalog.float8)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_risk_array_accum_0_2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_accum(pg_catalog.internal, pg_catalog.float8[],
	pg_catalog.float8) IS 'Internal: transition function of ledger.pm_scan and ledger.risk_array_sum';

CREATE FUNCTION ledger.risk_array_combine(a pg_catalog.internal, b pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_risk_array_combine_0_2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_combine(pg_catalog.internal, pg_catalog.internal) IS
	'Internal: combine function of the risk array aggregates';

CREATE FUNCTION ledger.risk_array_serialize(state pg_catalog.internal)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ledger_risk_array_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_serialize(pg_catalog.internal) IS
	'Internal: serialization function of the risk array aggregates (parallel aggregation)';

CREATE FUNCTION ledger.risk_array_deserialize(state pg_catalog.bytea, dummy pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_risk_array_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_deserialize(pg_catalog.bytea, pg_catalog.internal) IS
	'Internal: deserialization function of the risk array aggregates (parallel aggregation)';

CREATE FUNCTION ledger.risk_array_scan_final(state pg_catalog.internal)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_risk_array_scan_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_scan_final(pg_catalog.internal) IS
	'Internal: final function of ledger.span_scan and ledger.pm_scan (largest scenario loss, at least 0)';

CREATE FUNCTION ledger.risk_array_final(state pg_catalog.internal)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ledger_risk_array_final_0_2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_final(pg_catalog.internal) IS
	'Internal: final function of ledger.risk_array_sum';

CREATE FUNCTION ledger.risk_array_max_loss(state pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_risk_array_max_loss'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.risk_array_max_loss(pg_catalog.float8[]) IS
	'Largest scenario loss of a risk array, at least 0';

CREATE AGGREGATE ledger.span_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.span_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 272,
	FINALFUNC = ledger.risk_array_scan_final,
	COMBINEFUNC = ledger.risk_array_combine,
	SERIALFUNC = ledger.risk_array_serialize,
	DESERIALFUNC = ledger.risk_array_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.span_scan(pg_catalog.float8[], pg_catalog.float8) IS
	'SPAN scanning risk: the largest loss of the quantity-weighted sum of 16-scenario risk arrays (at least 0)';

CREATE AGGREGATE ledger.pm_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.risk_array_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 144,
	FINALFUNC = ledger.risk_array_scan_final,
	COMBINEFUNC = ledger.risk_array_combine,
	SERIALFUNC = ledger.risk_array_serialize,
	DESERIALFUNC = ledger.risk_array_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.pm_scan(pg_catalog.float8[], pg_catalog.float8) IS
	'Portfolio-margin risk: the largest loss of the quantity-weighted sum of valuation-point arrays (at least 0)';

CREATE AGGREGATE ledger.risk_array_sum(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
	SFUNC = ledger.risk_array_accum,
	STYPE = pg_catalog.internal,
	SSPACE = 144,
	FINALFUNC = ledger.risk_array_final,
	COMBINEFUNC = ledger.risk_array_combine,
	SERIALFUNC = ledger.risk_array_serialize,
	DESERIALFUNC = ledger.risk_array_deserialize,
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
SELECT ledger._prepare_builtin('ledger.margin_calls'::pg_catalog.regclass);

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
SELECT ledger._prepare_builtin('ledger.exercise_events'::pg_catalog.regclass);

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
