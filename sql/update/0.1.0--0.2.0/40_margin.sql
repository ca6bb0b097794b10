
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
