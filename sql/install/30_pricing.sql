-- Option pricing (DESIGN.md section 3; docs/pricing.md).  C functions in
-- src/pricing.c over the pure numerics of src/pricing_{normal,european,iv,american}.c.

CREATE TYPE ledger.option_greeks AS (
	price pg_catalog.float8,
	delta pg_catalog.float8,
	gamma pg_catalog.float8,
	vega pg_catalog.float8,
	theta pg_catalog.float8,
	rho pg_catalog.float8,
	vanna pg_catalog.float8,
	volga pg_catalog.float8
);
COMMENT ON TYPE ledger.option_greeks IS
	'option value and sensitivities: vega and rho per 1.00 of sigma and r, theta per year';

CREATE FUNCTION ledger.bsm_price(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_bsm_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 4;	-- about 0.1 us a call (docs/pricing.md, "Planner cost")
COMMENT ON FUNCTION ledger.bsm_price(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'European option price, generalized Black-Scholes-Merton with continuous dividend yield q (Garman-Kohlhagen: q = foreign rate)';

CREATE FUNCTION ledger.black76_price(kind pg_catalog.text, f pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	sigma pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_black76_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 4;	-- about 0.1 us a call
COMMENT ON FUNCTION ledger.black76_price(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'European option on a forward or future, Black (1976)';

CREATE FUNCTION ledger.bachelier_price(kind pg_catalog.text, f pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	sigma_normal pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_bachelier_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 4;	-- about 0.1 us a call
COMMENT ON FUNCTION ledger.bachelier_price(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'European option on a forward, Bachelier (normal) model; sigma_normal in price units per sqrt(year)';

CREATE FUNCTION ledger.bsm_greeks(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8)
RETURNS ledger.option_greeks
AS 'MODULE_PATHNAME', 'ledger_bsm_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10;	-- about 0.25 us a call
COMMENT ON FUNCTION ledger.bsm_greeks(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'generalized Black-Scholes-Merton price and Greeks (delta and gamma in s)';

CREATE FUNCTION ledger.black76_greeks(kind pg_catalog.text, f pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	sigma pg_catalog.float8)
RETURNS ledger.option_greeks
AS 'MODULE_PATHNAME', 'ledger_black76_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10;	-- about 0.25 us a call
COMMENT ON FUNCTION ledger.black76_greeks(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'Black-76 price and Greeks (delta and gamma in f)';

CREATE FUNCTION ledger.bachelier_greeks(kind pg_catalog.text, f pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	sigma_normal pg_catalog.float8)
RETURNS ledger.option_greeks
AS 'MODULE_PATHNAME', 'ledger_bachelier_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10;	-- about 0.25 us a call
COMMENT ON FUNCTION ledger.bachelier_greeks(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'Bachelier price and Greeks (delta and gamma in f, vega per unit of sigma_normal)';

CREATE FUNCTION ledger.bsm_implied_vol(kind pg_catalog.text, price pg_catalog.float8,
	s pg_catalog.float8, k pg_catalog.float8, t pg_catalog.float8,
	r pg_catalog.float8, q pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_bsm_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 12;	-- about 0.3 us a call
COMMENT ON FUNCTION ledger.bsm_implied_vol(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'Black-Scholes-Merton implied volatility; NULL when the price is outside the no-arbitrage bounds';

CREATE FUNCTION ledger.black76_implied_vol(kind pg_catalog.text, price pg_catalog.float8,
	f pg_catalog.float8, k pg_catalog.float8, t pg_catalog.float8,
	r pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_black76_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 12;	-- about 0.3 us a call
COMMENT ON FUNCTION ledger.black76_implied_vol(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'Black-76 implied volatility; NULL when the price is outside the no-arbitrage bounds';

CREATE FUNCTION ledger.bachelier_implied_vol(kind pg_catalog.text, price pg_catalog.float8,
	f pg_catalog.float8, k pg_catalog.float8, t pg_catalog.float8,
	r pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_bachelier_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 20;	-- about 0.5 us a call
COMMENT ON FUNCTION ledger.bachelier_implied_vol(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
	'Bachelier implied normal volatility; NULL when the price is below intrinsic value';

-- Planner support of the two American functions that take a method: their
-- cost a call from the method and steps the query gives as constants
-- (src/pricing.c, docs/pricing.md "Planner cost").  Callable by the planner
-- only: no SQL value has type internal.
CREATE FUNCTION ledger.american_price_support(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_american_price_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.american_price_support(pg_catalog.internal) IS
	'Internal: planner support function giving american_price''s cost a call from its method and steps';
CREATE FUNCTION ledger.american_implied_vol_support(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ledger_american_implied_vol_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger.american_implied_vol_support(pg_catalog.internal) IS
	'Internal: planner support function giving american_implied_vol''s cost a call from its method and steps';

CREATE FUNCTION ledger.american_price(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8,
	method pg_catalog.text DEFAULT 'qdfp', steps pg_catalog.int4 DEFAULT 500)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_american_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
-- COST in units of cpu_operator_cost, about 25 ns on PostgreSQL's scale
-- (jit_above_cost's 100000 stands for a query of about a second).  The
-- default method qdfp takes about 10 us a call: 400.  A constant method
-- and steps give the support function's cost instead (baw 32, bjs2002 76,
-- crr 6,080 at 500 steps).  The default COST 1 of 0.1.0 (25 ns) kept a
-- query returning many prices in one process.
COST 400
SUPPORT ledger.american_price_support;
COMMENT ON FUNCTION ledger.american_price(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.text, pg_catalog.int4) IS
	'American option price: method qdfp (Andersen-Lake-Offengeld fixed point, the default), baw (Barone-Adesi-Whaley 1987), bjs2002 (Bjerksund-Stensland 2002) or crr (binomial tree with steps steps)';

CREATE FUNCTION ledger.american_implied_vol(kind pg_catalog.text, price pg_catalog.float8,
	s pg_catalog.float8, k pg_catalog.float8, t pg_catalog.float8,
	r pg_catalog.float8, q pg_catalog.float8,
	method pg_catalog.text DEFAULT 'qdfp', steps pg_catalog.int4 DEFAULT 500)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_american_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 4000	-- about 90-100 us a call (qdfp); other methods: the support function
SUPPORT ledger.american_implied_vol_support;
COMMENT ON FUNCTION ledger.american_implied_vol(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.text, pg_catalog.int4) IS
	'implied volatility of an American price under the given method; NULL outside the bounds or when not unique';

CREATE FUNCTION ledger.american_greeks(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8)
RETURNS ledger.option_greeks
AS 'MODULE_PATHNAME', 'ledger_american_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 3000;	-- about 75-85 us a call (several qdfp prices)
COMMENT ON FUNCTION ledger.american_greeks(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'American option price and Greeks by the qdfp method (delta and gamma in s; vega and rho by central differences)';
