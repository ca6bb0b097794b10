
-- ===================================================================
-- Margin and automation, 0.1.0 -> 0.2.0 (docs/margin.md)
--
-- - The risk array aggregates keep their state in C memory (type
--   internal) with serialize/deserialize functions, instead of a float8[]
--   that any role could forge in an aggregate of its own (issue #9).
-- - Spread, credit and strategy-based rules in C over arrays; the SPAN,
--   portfolio and strategy-based queries value each position once, in one
--   pass, and give the planner row estimates (issue #13).
-- - Clear errors for infinite dates, NaN, infinite and negative inputs,
--   and positions, products and collateral that cannot be margined.
-- A function whose signature stays is replaced in place (CREATE OR
-- REPLACE on a member of this extension), so objects depending on it keep
-- working.
-- ===================================================================

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

CREATE OR REPLACE AGGREGATE ledger.span_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
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

CREATE OR REPLACE AGGREGATE ledger.pm_scan(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
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

CREATE OR REPLACE AGGREGATE ledger.risk_array_sum(risk_array pg_catalog.float8[], quantity pg_catalog.float8) (
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

-- The 0.1.0 support functions kept the state in a float8[] any role could
-- forge; the aggregates above no longer use them.  Their C symbols stay in
-- the library, checked, for databases still at 0.1.0.
DROP FUNCTION ledger.span_accum(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8);
DROP FUNCTION ledger.risk_array_accum(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8);
DROP FUNCTION ledger.risk_array_combine(pg_catalog.float8[], pg_catalog.float8[]);
DROP FUNCTION ledger.risk_array_final(pg_catalog.float8[]);

-- margin_requirements gains net_option_value (the account's options at
-- market, part of its equity and so of excess): a new result type, which
-- CREATE OR REPLACE cannot give.  A view of the user's on it stops the
-- update here (CHANGELOG, upgrade notes).
DROP FUNCTION ledger.margin_requirements(pg_catalog.date);
