
-- Pricing (docs/pricing.md).  The American functions' default method
-- becomes 'qdfp' (Andersen-Lake-Offengeld), and ledger.american_greeks is
-- new.  CREATE OR REPLACE changes the parameter default, the COST and the
-- planner support function (SUPPORT) of american_price and
-- american_implied_vol: each keeps its OID, its privileges and whatever
-- views users built on it (a DROP would make ALTER EXTENSION UPDATE fail on
-- such a view); the C symbols are unchanged.  Definitions and comments as in
-- sql/install/30_pricing.sql.

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

CREATE OR REPLACE FUNCTION ledger.american_price(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8,
	method pg_catalog.text DEFAULT 'qdfp', steps pg_catalog.int4 DEFAULT 500)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_american_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 400	-- as in sql/install/30_pricing.sql (0.1.0: 1)
SUPPORT ledger.american_price_support;
COMMENT ON FUNCTION ledger.american_price(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.text, pg_catalog.int4) IS
	'American option price: method qdfp (Andersen-Lake-Offengeld fixed point, the default), baw (Barone-Adesi-Whaley 1987), bjs2002 (Bjerksund-Stensland 2002) or crr (binomial tree with steps steps)';

CREATE OR REPLACE FUNCTION ledger.american_implied_vol(kind pg_catalog.text, price pg_catalog.float8,
	s pg_catalog.float8, k pg_catalog.float8, t pg_catalog.float8,
	r pg_catalog.float8, q pg_catalog.float8,
	method pg_catalog.text DEFAULT 'qdfp', steps pg_catalog.int4 DEFAULT 500)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ledger_american_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 4000	-- (0.1.0: 1)
SUPPORT ledger.american_implied_vol_support;

CREATE FUNCTION ledger.american_greeks(kind pg_catalog.text, s pg_catalog.float8,
	k pg_catalog.float8, t pg_catalog.float8, r pg_catalog.float8,
	q pg_catalog.float8, sigma pg_catalog.float8)
RETURNS ledger.option_greeks
AS 'MODULE_PATHNAME', 'ledger_american_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 3000;
COMMENT ON FUNCTION ledger.american_greeks(pg_catalog.text, pg_catalog.float8,
	pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8,
	pg_catalog.float8) IS
	'American option price and Greeks by the qdfp method (delta and gamma in s; vega and rho by central differences)';
