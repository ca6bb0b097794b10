-- Faults found by a review of the margin code, one part each; every
-- expected figure is derived by hand in the comments (each part failed
-- against the code before its fix).
\set VERBOSITY terse

INSERT INTO ledger.margin_products (product, style, multiplier, price_scan, vol_scan,
	short_option_minimum) VALUES ('ES', 'futures', 50, 200, 0.04, 500);
INSERT INTO ledger.margin_prices VALUES ('ES', 5000, 0.2);
INSERT INTO ledger.margin_products (product, style, multiplier, rate) VALUES ('IBM', 'equity', 100, 0.05);
INSERT INTO ledger.margin_prices VALUES ('IBM', 100, 0.3);
INSERT INTO ledger.margin_accounts VALUES ('pm-flat', 'portfolio'), ('pm-net', 'portfolio');

-- ===================================================================
-- 1. SPAN short option minimum per net short contract.  ES: $500 per
-- short option contract.
--  span-flat: +10 and -10 of the same ES Dec 5000 call, two rows.  Net 0
--    contracts: no short option, so the minimum is 0; the two risk arrays
--    cancel exactly (10a - 10a), so the scanning risk and total are 0.
--    (Before: 10 short contracts counted row by row, minimum and total
--    $5,000, and a margin call on a flat account.)
--  span-net: call 5000 Dec -10 and +4 (net -6), put 5000 Dec -3 (a put
--    does not net with a call), call 5100 Dec -2 beside call 5200 Dec +2
--    (another strike does not net), call 5000 Mar -1 (another expiry does
--    not net).  Net short contracts: 6 + 3 + 2 + 1 = 12, minimum 12 x 500
--    = $6,000 (before: the short rows, 10 + 3 + 2 + 1 = 16, $8,000).
-- ===================================================================
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('span-flat', 'ES', 'call', 5000, '2026-12-18', 10),
	('span-flat', 'ES', 'call', 5000, '2026-12-18', -10),
	('span-net', 'ES', 'call', 5000, '2026-12-18', -10),
	('span-net', 'ES', 'call', 5000, '2026-12-18', 4),
	('span-net', 'ES', 'put', 5000, '2026-12-18', -3),
	('span-net', 'ES', 'call', 5100, '2026-12-18', -2),
	('span-net', 'ES', 'call', 5200, '2026-12-18', 2),
	('span-net', 'ES', 'call', 5000, '2027-03-19', -1),
	-- expired before the valuation date: not margined, not counted
	('span-net', 'ES', 'call', 5000, '2026-09-18', -7);
SELECT account, product, scanning_risk, short_option_minimum, total
  FROM ledger.span_margin_detail('2026-11-20') ORDER BY account;
SELECT account, span_short_option_minimum, span_total, requirement, net_option_value, excess
  FROM ledger.margin_requirements('2026-11-20') ORDER BY account;
-- no call on the flat account (it holds no collateral and needs none)
BEGIN;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls;
SELECT account, deficit FROM ledger.margin_calls ORDER BY account;
ROLLBACK;
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- 2. Portfolio-margin contract minimum per net contract: $0.375 x 100 =
-- $37.50 per option contract, long or short.
--  pm-flat: +10 and -10 of the same IBM Dec 100 call: net 0 contracts,
--    minimum 0; the valuation arrays cancel exactly, so the requirement
--    is 0 (before: 20 contracts, $750).
--  pm-net: call 100 Dec +10 and -4 (net 6), put 100 Dec -3: 6 + 3 = 9
--    contracts, 9 x 37.50 = $337.50 (before: 17 x 37.50 = $637.50).
-- ===================================================================
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('pm-flat', 'IBM', 'call', 100, '2026-12-18', 10),
	('pm-flat', 'IBM', 'call', 100, '2026-12-18', -10),
	('pm-net', 'IBM', 'call', 100, '2026-12-18', 10),
	('pm-net', 'IBM', 'call', 100, '2026-12-18', -4),
	('pm-net', 'IBM', 'put', 100, '2026-12-18', -3),
	('pm-net', 'IBM', 'stock', NULL, NULL, 300);
SELECT account, product, scan_risk, contract_minimum
  FROM ledger.portfolio_margin_detail('2026-11-20') ORDER BY account;
SELECT account, portfolio_requirement FROM ledger.margin_requirements('2026-11-20')
 WHERE account = 'pm-flat';
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- 1 and 2: the aggregates that net option contracts.  Rows of one option
-- (instrument, strike, expiry) are summed; futures and stock are left out.
--   call 100 Dec: +10 - 4 = +6; put 100 Dec: -3; call 100 Mar: -2;
--   call 110 Dec: +1 - 1 = 0; stock and future rows: not counted.
--   net short contracts: 3 + 2 = 5; contracts long or short: 6 + 3 + 2 = 11
-- The same in a parallel plan (partial states serialized and combined),
-- and with the rows in any order (a table, not a temporary one, which a
-- parallel plan cannot read).
-- ===================================================================
CREATE TABLE review_legs (g int, instrument text, strike float8, expiry date,
	quantity float8);
INSERT INTO review_legs
SELECT g, v.* FROM generate_series(1, 3000) g,
	   (VALUES ('call', 100, date '2026-12-18', 10), ('call', 100, '2026-12-18', -4),
			   ('put', 100, '2026-12-18', -3), ('call', 100, '2027-03-19', -2),
			   ('call', 110, '2026-12-18', 1), ('call', 110, '2026-12-18', -1),
			   ('stock', NULL, NULL, -500), ('future', NULL, '2026-12-18', -7)) v
 ORDER BY md5(g::text || v.column1 || v.column4);
SELECT ledger.net_short_option_contracts(instrument, strike, expiry, quantity) AS shorts,
	   ledger.net_option_contracts(instrument, strike, expiry, quantity) AS contracts
  FROM review_legs WHERE g = 1;
SELECT ledger.net_short_option_contracts(instrument, strike, expiry, quantity) AS no_rows
  FROM review_legs WHERE false;
SELECT ledger.net_short_option_contracts(instrument, strike, expiry, quantity) AS shorts_all,
	   ledger.net_option_contracts(instrument, strike, expiry, quantity) AS contracts_all
  FROM review_legs;
ANALYZE review_legs;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT ledger.net_short_option_contracts(instrument, strike, expiry, quantity),
	   ledger.net_option_contracts(instrument, strike, expiry, quantity)
  FROM review_legs;
SELECT ledger.net_short_option_contracts(instrument, strike, expiry, quantity) AS shorts_all,
	   ledger.net_option_contracts(instrument, strike, expiry, quantity) AS contracts_all
  FROM review_legs;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
DROP TABLE review_legs;
-- bad input: NULL strike, expiry or quantity of an option, and a quantity
-- that is not finite
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pg_temp.err($q$SELECT ledger.net_option_contracts('call', NULL, '2026-12-18', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.net_option_contracts('put', 100, NULL, 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.net_option_contracts('call', 100, '2026-12-18', NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.net_short_option_contracts('call', 100, '2026-12-18', 'NaN')$q$);
SELECT pg_temp.err($q$SELECT ledger.net_short_option_contracts('call', 'Infinity', '2026-12-18', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.net_short_option_contracts(NULL, 100, '2026-12-18', 1)$q$);
-- their support functions cannot be called from SQL, and a state of
-- another aggregate is caught (a superuser's aggregate)
SELECT pg_temp.err($q$SELECT ledger.option_contracts_accum(NULL, 'call', 1, '2026-12-18', 1)$q$);
SELECT pg_temp.err($q$SELECT ledger.option_contracts_deserialize('\x00000000'::bytea, NULL)$q$);
SELECT pg_temp.err($q$SELECT ledger.net_contracts_final(NULL)$q$);
CREATE AGGREGATE pg_temp.mixed(int4, float8) (SFUNC = ledger.span_tier_accum, STYPE = internal,
	FINALFUNC = ledger.net_contracts_final);
SELECT pg_temp.err($q$SELECT pg_temp.mixed(1, 2)$q$);
DROP AGGREGATE pg_temp.mixed(int4, float8);
CREATE AGGREGATE pg_temp.mixed(text, float8, date, float8) (SFUNC = ledger.option_contracts_accum,
	STYPE = internal, FINALFUNC = ledger.span_tiers_final);
SELECT pg_temp.err($q$SELECT pg_temp.mixed('call', 1, '2026-12-18', 1)$q$);
DROP AGGREGATE pg_temp.mixed(text, float8, date, float8);

-- ===================================================================
-- 3. No margin call for float noise.  CL: multiplier 1000, price scan
-- 8.05, extreme move 2 x 0.35 (so the largest loss is the full price
-- scan): one long future loses 8.05 x 1000 = 8050 in scenario 13/14,
-- which float8 computes as 8050.000000000001.
--  cl-funded: $8,050 cash.  Deficit 9.1e-13: no call (less than a cent).
--  cl-short: $8,049.99 cash.  Deficit 0.01 (0.010000000001 in float8):
--    a call, recording the deficit as computed.
--  cl-half: $8,049.996 cash: deficit 0.004, rounds to 0.00: no call.
-- ===================================================================
INSERT INTO ledger.margin_products (product, style, multiplier, price_scan, vol_scan,
	extreme_multiple) VALUES ('CL', 'futures', 1000, 8.05, 0.08, 2);
INSERT INTO ledger.margin_prices VALUES ('CL', 80, 0.35);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('cl-funded', 'CL', 'future', NULL, '2026-12-18', 1),
	('cl-short', 'CL', 'future', NULL, '2026-12-18', 1),
	('cl-half', 'CL', 'future', NULL, '2026-12-18', 1);
INSERT INTO ledger.margin_collateral VALUES ('cl-funded', 'USD', 'cash', 8050),
	('cl-short', 'USD', 'cash', 8049.99), ('cl-half', 'USD', 'cash', 8049.996);
-- the float8 columns stay as computed
SELECT account, requirement, excess < 0 AS negative_excess
  FROM ledger.margin_requirements('2026-11-20') ORDER BY account;
BEGIN;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls;
SELECT account, requirement, collateral, round(deficit::numeric, 6) AS deficit,
	   deficit = requirement - collateral AS as_computed
  FROM ledger.margin_calls ORDER BY account;
ROLLBACK;
DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_collateral;

-- ===================================================================
-- 4. Exercise at exactly the threshold.  XYZ at 10.00, threshold 0.01:
--  long call 9.99: intrinsic 10.00 - 9.99 = 0.01 >= 0.01, exercised
--    (float8 gave 0.009999999999999787 < 0.01: skipped);
--  short put 10.01: intrinsic 0.01, assigned;
--  long call 9.995: intrinsic 0.005 < 0.01, not exercised.
-- Cash-settled, multiplier 100: the long call's cash is 2 x 0.01 x 100 =
-- 2.00, the short put's -1 x 0.01 x 100 = -1.00; the intrinsic recorded is
-- the decimal difference 0.01.
-- ===================================================================
INSERT INTO ledger.margin_products (product, style, multiplier, settlement)
	VALUES ('XYZ', 'equity', 100, 'cash');
INSERT INTO ledger.margin_prices VALUES ('XYZ', 10.00, 0.3);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('exp', 'XYZ', 'call', 9.99, '2026-11-20', 2),
	('exp', 'XYZ', 'put', 10.01, '2026-11-20', -1),
	('exp', 'XYZ', 'call', 9.995, '2026-11-20', 1);
BEGIN;
SELECT ledger.run_expiry('2026-11-20', 0.01) AS events;
SELECT instrument, strike, event, contracts, intrinsic, cash_amount
  FROM ledger.exercise_events ORDER BY instrument, strike;
ROLLBACK;
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- 5. A haircut on a negative holding makes it worse, not better.  A
-- 'loan' class with haircut 0.25: -10,000 is worth -10,000 x 1.25 =
-- -12,500; with 20,000 cash (haircut 0) the account's collateral after
-- haircuts is 20,000 - 12,500 = 7,500 (before: 20,000 - 7,500 = 12,500).
-- A positive 'loan' holding of 4,000 is still worth 4,000 x 0.75 = 3,000.
-- ===================================================================
INSERT INTO ledger.margin_haircuts VALUES ('loan', 0.25);
INSERT INTO ledger.margin_collateral VALUES ('neg', 'USD', 'cash', 20000),
	('neg', 'LOAN', 'loan', -10000), ('pos', 'LOAN', 'loan', 4000);
SELECT * FROM ledger.collateral_value() ORDER BY account;
-- one short ES future needs 10,500 (its largest loss is the extreme
-- move, 3 x 200 x 50 x 0.35): the account is called for 10,500 - 7,500 =
-- 3,000 (before: no call, 12,500 covered it), and the holdings' values in
-- the call's figures are -12,500 and 20,000
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity)
	VALUES ('neg', 'ES', 'future', NULL, '2026-12-18', -1);
BEGIN;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls;
SELECT account, requirement, collateral, deficit,
	   jsonb_path_query_array(figures, '$.collateral[*].value') AS holding_values
  FROM ledger.margin_calls ORDER BY account;
ROLLBACK;
DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_collateral;
DELETE FROM ledger.margin_haircuts WHERE asset_class = 'loan';

-- ===================================================================
-- 6. run_margin_calls and run_expiry refuse a transaction snapshot
-- (REPEATABLE READ, SERIALIZABLE): a run waiting for another's lock would
-- not see its rows and fail with 23505, or insert twice.  25001, before
-- the lock is taken; READ COMMITTED still runs.
-- ===================================================================
\set LAST_ERROR_SQLSTATE none
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
\set LAST_ERROR_SQLSTATE none
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT ledger.run_expiry('2026-11-20');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls,
	   ledger.run_expiry('2026-11-20') AS events;
ROLLBACK;

-- ===================================================================
-- 7. The options' value is part of the account's equity (quant review,
-- 2026-12-05).  The strategy-based requirement is net of the short
-- options' current value, and nothing counted that value as a liability:
-- an account short options that had moved against it was never called.
-- Cboe Rule 12.3(c)(5)(A) (FINRA 4210(f)(2)(D)): a short put needs 100 %
-- of its current market value plus 20 % of the underlying less the
-- out-of-the-money amount, at least 10 % of the strike; the proceeds
-- received (in the account's cash) may be applied.  By hand:
--  nov-put: short 1 QRS 80 put, multiplier 100; cash 2,000, which holds
--    the 200 received for the put.
--    QRS at 82, put at 2: 200 + max(0.20 x 8,200 - 200, 0.10 x 8,000)
--      = 1,640; net of the put's 200: requirement 1,440; options -200;
--      excess 2,000 - 200 - 1,440 = 360.
--    QRS at 78, put at 5: 500 + max(0.20 x 7,800, 800) = 2,060; net
--      1,560; options -500; excess 2,000 - 500 - 1,560 = -60: a call of
--      60 (before: 2,000 - 1,560 = 440, no call).
--  nov-long: long 2 QRS 90 calls at 1.50, paid from the cash, 700 left:
--    paid in full, no loan value: requirement 300; options +300; excess
--    700 + 300 - 300 = 700, the cash (before: 400).
--  nov-span: long 3 ES 5000 puts at 40 (CME SPAN's net option value,
--    premium-style): options 3 x 50 x 40 = +6,000 beside the SPAN total.
-- ===================================================================
INSERT INTO ledger.margin_products (product, style, multiplier, rate, regt_pct, regt_min_pct)
	VALUES ('QRS', 'equity', 100, 0.05, 0.20, 0.10);
INSERT INTO ledger.margin_prices VALUES ('QRS', 82, 0.3);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	('nov-put', 'QRS', 'put', 80, '2027-06-18', -1, 2),
	('nov-long', 'QRS', 'call', 90, '2027-06-18', 2, 1.5),
	('nov-span', 'ES', 'put', 5000, '2026-12-18', 3, 40);
INSERT INTO ledger.margin_collateral VALUES
	('nov-put', 'USD', 'cash', 2000), ('nov-long', 'USD', 'cash', 700),
	('nov-span', 'USD', 'cash', 10000);
SELECT account, round(requirement::numeric, 6) AS requirement, net_option_value,
	   round(excess::numeric, 6) AS excess,
	   excess = collateral_after_haircut + net_option_value - requirement AS excess_is_equity_less_requirement
  FROM ledger.margin_requirements('2026-11-20') ORDER BY account;
UPDATE ledger.margin_prices SET price = 78 WHERE product = 'QRS';
UPDATE ledger.margin_positions SET premium = 5 WHERE account = 'nov-put';
SELECT account, round(requirement::numeric, 6) AS requirement, net_option_value,
	   round(excess::numeric, 6) AS excess
  FROM ledger.margin_requirements('2026-11-20') WHERE account = 'nov-put';
-- the call and its figures carry the options' value; the figures are
-- the values themselves whatever the caller's extra_float_digits (the
-- ledger row would otherwise record 2 significant digits here)
BEGIN;
SET LOCAL extra_float_digits = -13;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls;
RESET extra_float_digits;
SELECT account, round(requirement::numeric, 6) AS requirement, collateral,
	   round(deficit::numeric, 6) AS deficit, figures -> 'net_option_value' AS options,
	   (figures ->> 'requirement')::float8 = requirement AS figures_exact
  FROM ledger.margin_calls ORDER BY account;
ROLLBACK;
DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_collateral;
DELETE FROM ledger.margin_prices WHERE product = 'QRS';
DELETE FROM ledger.margin_products WHERE product = 'QRS';

-- ===================================================================
-- 8. A negative price (futures can trade below 0: WTI in April 2020).
-- ES at -5: a future's loss stays linear in the price move, so futures
-- are margined; an option on it cannot be valued with Black-76 (its
-- forward must not be negative), so an option position is refused with an
-- error naming the account and the product, and the detail the price
-- (before: 22023 'invalid input for "f": -5' from span_risk_array, naming
-- neither, and every account failed).  An equity price must not be
-- negative: every position of such a product is refused likewise (before:
-- 'invalid input for "s": -5').
--  es-fut: +2 ES futures: the extreme move 3 x 200 x 50 x 0.35 = 10,500 a
--    contract, 21,000; cl-only: +1 CL future, 8,050 (part 3).
-- ===================================================================
CREATE FUNCTION pg_temp.err_detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
	h text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || E'\nDETAIL: ' || d || E'\nHINT: ' || h;
END
$$;
UPDATE ledger.margin_prices SET price = -5 WHERE product = 'ES';
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('es-fut', 'ES', 'future', NULL, '2026-12-18', 2),
	('es-opt', 'ES', 'put', 10, '2026-12-18', -1),
	('cl-only', 'CL', 'future', NULL, '2026-12-18', 1);
SELECT pg_temp.err_detail($q$SELECT ledger.run_margin_calls('2026-11-20 21:00+00')$q$);
SELECT pg_temp.err_detail($q$SELECT * FROM ledger.span_margin_detail('2026-11-20')$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_requirements('2026-11-20')$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.margin_legs('2026-11-20')$q$);
-- the futures alone are margined, and called
DELETE FROM ledger.margin_positions WHERE account = 'es-opt';
SELECT account, product, scanning_risk, total, net_delta
  FROM ledger.span_margin_detail('2026-11-20') ORDER BY account;
BEGIN;
SELECT ledger.run_margin_calls('2026-11-20 21:00+00') AS calls;
SELECT account, requirement, deficit > 0 AS deficit FROM ledger.margin_calls ORDER BY account;
ROLLBACK;
-- an option expiring on the day is exercised at its intrinsic value
-- (strike 10 - (-5) = 15 in the money): run_expiry values no option
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity)
	VALUES ('es-exp', 'ES', 'put', 10, '2026-11-20', 1);
BEGIN;
SELECT ledger.run_expiry('2026-11-20') AS events;
SELECT account, event, underlying_price, intrinsic FROM ledger.exercise_events;
ROLLBACK;
DELETE FROM ledger.margin_positions;
-- an equity product at a negative price
UPDATE ledger.margin_prices SET price = -5 WHERE product = 'IBM';
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity)
	VALUES ('ibm-stock', 'IBM', 'stock', NULL, NULL, 100);
SELECT pg_temp.err_detail($q$SELECT * FROM ledger.portfolio_margin('2026-11-20')$q$);
SELECT pg_temp.err($q$SELECT * FROM ledger.strategy_margin_detail('2026-11-20')$q$);
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- 9. regt_requirement is IMMUTABLE: its strategies do not depend on
-- extra_float_digits.  The counters are written in the shortest text that
-- reads back as the same float8 (float8out's form with the default
-- extra_float_digits = 1) in every session.  Before, the counters went
-- through float8out: at -15, 123.456789 naked contracts were
-- {"naked": 100}, at 0, 1/3 was 0.333333333333333, and at 3,
-- 0.1 + 0.2 was 0.30000000000000004 only by luck of the digits.
-- ===================================================================
CREATE TEMP TABLE regt_efd (efd int, strategies text);
DO $$
DECLARE
	d int;
BEGIN
	FOREACH d IN ARRAY ARRAY[-15, 0, 1, 3] LOOP
		PERFORM set_config('extra_float_digits', d::text, true);
		INSERT INTO regt_efd
		SELECT d, (ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5,
				ARRAY['call', 'call', 'put', 'put', 'call'],
				ARRAY[90, 95, 80, 85, 120]::float8[],
				ARRAY['2027-01-15', '2027-01-15', '2027-01-15', '2027-01-15', '2027-01-15']::date[],
				ARRAY[-123.456789, 1 / 3.0, -1 / 3.0, 0.1, -1e-9]::float8[],
				ARRAY[12, 8, 1, 2, 0.01]::float8[])).strategies::text;
	END LOOP;
END
$$;
-- one distinct text, the shortest forms
SELECT count(DISTINCT strategies) AS distinct_results, min(strategies) AS strategies
  FROM regt_efd;
DROP TABLE regt_efd;
-- a stored generated column takes the same value in any session
CREATE TEMP TABLE regt_book (id int, qty float8, strat jsonb GENERATED ALWAYS AS
	((ledger.regt_requirement(100, 1, 0.2, 0.1, 0.5, ARRAY['call'], ARRAY[90]::float8[],
		ARRAY['2027-01-16']::date[], ARRAY[qty], ARRAY[12]::float8[])).strategies) STORED);
INSERT INTO regt_book VALUES (1, -123.456789);
SET extra_float_digits = -15;
INSERT INTO regt_book VALUES (2, -123.456789);
SET extra_float_digits = 0;
INSERT INTO regt_book VALUES (3, -1 / 3.0);
RESET extra_float_digits;
SELECT id, strat FROM regt_book ORDER BY id;
DROP TABLE regt_book;

-- ===================================================================
-- 10. No requirement is negative.  IBM at 100, multiplier 100: short the
-- Jan 100 call at 20, long the Jan 105 call at 1, 1,000 of cash.  The
-- spread needs the strike difference, 5 x 100 = 500 (Cboe Rule 12.3: the
-- lesser of the naked requirement and the strike difference), the long
-- is paid in full (100) and the proceeds (2,000) are applied: 600 - 2,000
-- = -1,400, so the requirement is 0 (the proceeds are never a negative
-- requirement).  The premiums are inconsistent (the spread is marked at
-- 1,900, more than its width), which is how the proceeds exceed the
-- gross figure.  The excess is collateral + net option value -
-- requirement = 1,000 - 1,900 - 0 = -900, the account's equity at
-- market.  (Before: requirement and strategy_requirement -1,400 in all
-- three functions, and an excess of 500 that the negative requirement
-- made up.)  The same with consistent premiums (short at 4, long at 2):
-- 500 + 200 - 400 = 300, unchanged.
-- ===================================================================
UPDATE ledger.margin_prices SET price = 100 WHERE product = 'IBM';
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	('credit-inverted', 'IBM', 'call', 100, '2027-01-15', -1, 20),
	('credit-inverted', 'IBM', 'call', 105, '2027-01-15', 1, 1),
	('credit-spread', 'IBM', 'call', 100, '2027-01-15', -1, 4),
	('credit-spread', 'IBM', 'call', 105, '2027-01-15', 1, 2);
INSERT INTO ledger.margin_collateral (account, asset, asset_class, market_value)
	VALUES ('credit-inverted', 'USD', 'cash', 1000);
SELECT account, requirement, short_proceeds, strategies
  FROM ledger.strategy_margin_detail('2026-11-20') ORDER BY account;
SELECT account, strategy_requirement, requirement, net_option_value, excess
  FROM ledger.margin_requirements('2026-11-20') ORDER BY account;
SELECT (r).requirement, (r).short_proceeds, (r).strategies
  FROM (SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, ARRAY['call', 'call'],
			ARRAY[100, 105]::float8[], ARRAY['2027-01-15', '2027-01-15']::date[],
			ARRAY[-1, 1]::float8[], ARRAY[20, 1]::float8[]) AS r) x;
-- a deep in-the-money covered call: 50% of the stock (5,000) less the
-- call's proceeds (6,000) is 0, not -1,000
SELECT (r).requirement, (r).short_proceeds, (r).strategies
  FROM (SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, ARRAY['stock', 'call'],
			ARRAY[0, 40]::float8[], ARRAY['infinity', '2027-01-15']::date[],
			ARRAY[100, -1]::float8[], ARRAY[0, 60]::float8[]) AS r) x;
DELETE FROM ledger.margin_collateral;
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- 11. Covered calls cover whole contracts: floor(shares / multiplier).
-- IBM at 100, multiplier 100: 150 shares and two short Jan 110 calls at
-- 1.  One call is covered by 100 shares; the other 50 shares cover no
-- half contract, so the second call is naked: 100 x (1 + max(20 - 10,
-- 10)) = 1,100.  Stock 50% x 150 x 100 = 7,500, less the proceeds 200:
-- 7,500 - 200 + 1,100 = 8,400.  So scaling a book by 0.5 does not halve
-- its requirement (75 shares cover no call: 3,750 - 100 + 1,100 = 4,750),
-- and doubling it need not double it: 300 shares cover 3 of the 4 calls,
-- 15,000 - 400 + 1,100 = 15,700, less than 2 x 8,400 (a book whose
-- stock positions are whole contracts' worth of shares scales exactly).
-- ===================================================================
SELECT (r).requirement, (r).short_proceeds, (r).strategies
  FROM (SELECT ledger.regt_requirement(100, 100, 0.2, 0.1, 0.5, ARRAY['stock', 'call'],
			ARRAY[0, 110]::float8[], ARRAY['infinity', '2027-01-15']::date[],
			ARRAY[s, -2 * k]::float8[], ARRAY[0, 1]::float8[]) AS r
		  FROM (VALUES (150, 1), (300, 2), (75, 0.5)) v(s, k)) x;

DELETE FROM ledger.margin_accounts;
DELETE FROM ledger.margin_prices;
DELETE FROM ledger.margin_products;

-- ===================================================================
-- 12. Many distinct tiers in one group.  The tier aggregates and
-- span_intra_charge looked each row's tier up in the list of the tiers
-- seen so far: 200,000 distinct tiers took 22.7 s (quadratic); past 16
-- tiers they are looked up through a hash index now.  Each tier below is
-- seen twice (deltas 1 and 2: a sum of 3), in order of first appearance
-- (the tiers spread over negative and large values); the index must find
-- tiers added before it was built, and after each time it grows.
-- ===================================================================
SET statement_timeout = '5s';
SELECT cardinality(t) AS tiers,
	   t = ARRAY(SELECT i * 7919 - 800000000 FROM generate_series(0, 199999) i) AS first_appearance,
	   (SELECT bool_and(x = 3) FROM unnest(d) x) AS all_summed
  FROM (SELECT ledger.span_tiers(tier, dl ORDER BY g) AS t,
			   ledger.span_tier_deltas(tier, dl ORDER BY g) AS d
		  FROM (SELECT g, (g % 200000) * 7919 - 800000000 AS tier,
					   CASE WHEN g < 200000 THEN 1 ELSE 2 END::float8 AS dl
				  FROM generate_series(0, 399999) g) v) x;
-- 100,000 tiers, +1 on the odd and -1 on the even ones, and 50,000 spreads
-- pairing tier 2i-1 with tier 2i at a charge of 2 each: 100,000; then the
-- same spreads again find nothing left to pair (the deltas were used up)
SELECT ledger.span_intra_charge(
		 ARRAY(SELECT i FROM generate_series(1, 100000) i),
		 ARRAY(SELECT CASE WHEN i % 2 = 1 THEN 1 ELSE -1 END::float8 FROM generate_series(1, 100000) i),
		 ARRAY(SELECT 2 * j - 1 FROM generate_series(1, 50000) j) || ARRAY(SELECT 2 * j - 1 FROM generate_series(1, 50000) j),
		 ARRAY(SELECT 2 * j FROM generate_series(1, 50000) j) || ARRAY(SELECT 2 * j FROM generate_series(1, 50000) j),
		 array_fill(2::float8, ARRAY[100000])) AS charge;
RESET statement_timeout;
