-- SPAN-style margin: risk arrays, the scanning aggregate, spread charges and
-- credits, short option minimum, totals (docs/margin.md).
\set VERBOSITY terse

-- ===================================================================
-- Published example: L. G. McMillan, "Options as a Strategic Investment",
-- 5th ed., chapter 34 "Futures and Futures Options", section "SPAN
-- Margin", pp. 668-670.  S&P 500 futures at $500 per point; the exchange's
-- price scan range is 20 points ($10,000) and the "extreme" move is
-- 14 points ($7,000), i.e. 35% of twice the range (extreme multiple 2,
-- cover fraction 0.35).  The book prints profit/loss (gains positive),
-- rounded to $10; our arrays are losses (gains negative), so the
-- published figures are negated below.
-- ===================================================================

-- (1) Long 1 future, p. 668 (published column, negated):
--     0 0 -3,330 -3,330 +3,330 +3,330 -6,670 -6,670 +6,670 +6,670
--     -10,000 -10,000 +10,000 +10,000 -7,000 +7,000
WITH published(pl, i) AS (
	SELECT * FROM unnest(ARRAY[0, 0, 3330, 3330, -3330, -3330, 6670, 6670,
		-6670, -6670, 10000, 10000, -10000, -10000, 7000, -7000]::float8[])
		WITH ORDINALITY AS u(pl, i))
SELECT p.i AS scenario, 0 - p.pl AS published_loss,
	   round(a[p.i]::numeric, -1) AS computed_loss_rounded_to_10,
	   round(a[p.i]::numeric, -1) = -p.pl AS matches
  FROM published p,
	   ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35) a
 ORDER BY p.i;

-- SPAN requirement of the long future is the largest loss: $10,000 (p. 668)
SELECT ledger.span_scan(ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35), 1)
	AS long_future_requirement;

-- (2) Long 1 Dec 410 call, p. 669: the exchange publishes the array
-- (gains positive): +460 -610 +2,640 +1,730 -1,270 -2,340 +5,210 +4,540
-- -2,540 -3,430 +8,060 +7,640 -3,380 -3,990 +3,130 -1,500.  The book gives
-- no option inputs, so this array is loaded as a stored array (SPAN's
-- "loaded from the exchange" path), not recomputed.  Its SPAN requirement is
-- $3,990 ("futures down three-thirds; volatility down"), p. 669.
CREATE TEMP TABLE mcmillan_call AS
SELECT ARRAY[-460, 610, -2640, -1730, 1270, 2340, -5210, -4540,
			 2540, 3430, -8060, -7640, 3380, 3990, -3130, 1500]::float8[] AS a;
SELECT ledger.span_scan(a, 1) AS long_call_requirement FROM mcmillan_call;

-- (3) Covered write (long 1 future, short 1 Dec 410 call), p. 670: the
-- book's combined column (gains positive): -460 +610 +690 +1,600 -2,060
-- -990 +1,460 +2,130 -4,130 -3,240 +1,940 +2,360 -6,620 -6,010 +3,870
-- -5,500.  Risk arrays add: the computed future plus minus-one stored call.
WITH published(pl, i) AS (
	SELECT * FROM unnest(ARRAY[-460, 610, 690, 1600, -2060, -990, 1460, 2130,
		-4130, -3240, 1940, 2360, -6620, -6010, 3870, -5500]::float8[])
		WITH ORDINALITY AS u(pl, i)),
combined AS (
	SELECT ledger.risk_array_sum(a, q) AS a
	  FROM (SELECT ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35), 1::float8
			UNION ALL SELECT a, -1 FROM mcmillan_call) v(a, q))
SELECT p.i AS scenario, 0 - p.pl AS published_loss,
	   round(c.a[p.i]::numeric, -1) = -p.pl AS matches
  FROM published p, combined c ORDER BY p.i;
-- ... and the covered write's requirement is the largest loss, $6,620
-- (futures down 3/3, volatility up), less than the future's $10,000 alone.
SELECT ledger.span_scan(a, q) AS covered_write_requirement
  FROM (SELECT ledger.span_risk_array('future', 400, 0, 0, 0, 0, 20, 0, 500, 2, 0.35), 1::float8
		UNION ALL SELECT a, -1 FROM mcmillan_call) v(a, q);

-- ===================================================================
-- Scenario definitions (CME SPAN standard scenarios): a future's array is
-- the price moves 0, +-1/3, +-2/3, +-3/3 of the scan range paired for vol
-- up/down, then +-extreme x range x cover.  Default extreme 3, cover 0.35.
-- ===================================================================
SELECT ledger.span_risk_array('future', 100, 0, 0, 0, 0, 6, 0.04, 1000);
-- an option's array: vol up never loses more than vol down for a long
-- option; scenario 1 (unchanged price, vol up) is a gain
SELECT bool_and(a[i] <= a[i + 1]) AS vol_up_better, a[1] < 0 AS vol_up_gain,
	   a[2] > 0 AS vol_down_loss
  FROM ledger.span_risk_array('call', 100, 100, 0.25, 0.03, 0.25, 6, 0.04, 1000) a,
	   generate_series(1, 13, 2) i
 GROUP BY a;
-- a long call's loss is bounded by its value; scenario 16 (extreme down)
-- counts 35% of the loss
SELECT max(x) <= ledger.black76_price('call', 100, 100, 0.25, 0.03, 0.25) * 1000 AS bounded
  FROM unnest(ledger.span_risk_array('call', 100, 100, 0.25, 0.03, 0.25, 6, 0.04, 1000)) x;
SELECT round((a[16] / (ledger.black76_price('put', 100, 95, 0.25, 0.03, 0.25)
			- ledger.black76_price('put', 82, 95, 0.25, 0.03, 0.25)) / 1000)::numeric, 12)
	   AS cover_fraction
  FROM ledger.span_risk_array('put', 100, 95, 0.25, 0.03, 0.25, 6, 0.04, 1000) a;
-- a price below zero values options at zero (call worthless, put at its
-- discounted strike); a future's loss stays linear
SELECT round(a[16]::numeric, 10) AS future_extreme_down FROM ledger.span_risk_array('future', 5, 0, 0, 0, 0, 4, 0) a;
SELECT round(a[16]::numeric, 10) AS call_extreme_down
  FROM ledger.span_risk_array('call', 5, 5, 0.5, 0, 0.3, 4, 0.05, 1, 3, 1) a;

-- ===================================================================
-- Additivity, hedges, concentration
-- ===================================================================
CREATE TEMP TABLE arr AS
SELECT ledger.span_risk_array('call', 100, 100, 0.25, 0.03, 0.25, 6, 0.04, 1000) AS c100,
	   ledger.span_risk_array('call', 100, 105, 0.25, 0.03, 0.25, 6, 0.04, 1000) AS c105,
	   ledger.span_risk_array('put', 100, 95, 0.25, 0.03, 0.25, 6, 0.04, 1000) AS p95,
	   ledger.span_risk_array('future', 100, 0, 0, 0, 0, 6, 0.04, 1000) AS fut;
-- the combined array is the quantity-weighted sum, scenario by scenario
SELECT bool_and(abs(s.s[i] - (3 * arr.c100[i] - 2 * arr.c105[i] + 0.5 * arr.p95[i] - arr.fut[i])) < 1e-9) AS additive
  FROM arr,
	   (SELECT ledger.risk_array_sum(x, q) AS s
		  FROM arr, LATERAL (VALUES (c100, 3::float8), (c105, -2), (p95, 0.5), (fut, -1)) v(x, q)) s,
	   generate_series(1, 16) i;
-- splitting a position does not change the scan; the order of rows neither
SELECT (SELECT ledger.span_scan(c100, 4) FROM arr) =
	   (SELECT ledger.span_scan(x, q) FROM arr, LATERAL (VALUES (c100, 1::float8), (c100, 3)) v(x, q))
	   AS split_invariant;
-- a hedge lowers margin: short futures against long calls
SELECT (SELECT ledger.span_scan(c100, 10) FROM arr) AS calls_alone,
	   (SELECT ledger.span_scan(x, q) FROM arr, LATERAL (VALUES (c100, 10::float8), (fut, -5)) v(x, q))
		 < (SELECT ledger.span_scan(c100, 10) FROM arr) AS hedge_lowers;
-- a concentrated book raises it: the same gross size in one direction
SELECT (SELECT ledger.span_scan(x, q) FROM arr, LATERAL (VALUES (fut, 5::float8), (p95, 5)) v(x, q))
	   < (SELECT ledger.span_scan(fut, 10) FROM arr) AS concentration_raises;
-- a book that gains in every scenario needs no scanning margin
SELECT ledger.span_scan(x, q) AS all_gains
  FROM (VALUES (ARRAY[-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1]::float8[], 1::float8)) v(x, q);
-- no rows: NULL, like sum()
SELECT ledger.span_scan(x, q) IS NULL AS empty_is_null FROM arr, LATERAL (VALUES (c100, 1::float8)) v(x, q) WHERE false;

-- The aggregate runs in parallel (partial + combine) and agrees with the
-- serial plan.
CREATE TABLE span_par AS
SELECT g % 50 AS account,
	   ledger.span_risk_array(CASE g % 3 WHEN 0 THEN 'call' WHEN 1 THEN 'put' ELSE 'future' END,
		   100, 90 + g % 20, 0.1 + (g % 7) * 0.1, 0.02, 0.2 + (g % 5) * 0.02, 6, 0.04, 50) AS a,
	   ((g % 11) - 5)::float8 AS q
  FROM generate_series(1, 20000) g;
ANALYZE span_par;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT account, ledger.span_scan(a, q) FROM span_par GROUP BY account;
CREATE TEMP TABLE par_result AS SELECT account, ledger.span_scan(a, q) AS s FROM span_par GROUP BY account;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS accounts, bool_and(abs(p.s - x.s) <= 1e-9 * greatest(1, abs(x.s))) AS parallel_matches_serial
  FROM par_result p
  JOIN (SELECT account, ledger.span_scan(a, q) AS s FROM span_par GROUP BY account) x USING (account);
RESET max_parallel_workers_per_gather;
DROP TABLE span_par;

-- ===================================================================
-- SPAN components from the parameter tables
-- ===================================================================
-- Two combined commodities: ES-like index futures and NQ-like, tiers by
-- expiry, one intra-commodity spread, one inter-commodity spread at 50%.
INSERT INTO ledger.margin_products (product, style, multiplier, rate, price_scan, vol_scan,
	extreme_multiple, cover_fraction, short_option_minimum)
VALUES ('ES', 'futures', 50, 0.04, 120, 0.05, 3, 0.35, 300),
	   ('NQ', 'futures', 20, 0.04, 500, 0.06, 3, 0.35, 200);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18), ('NQ', 14000, 0.22);
INSERT INTO ledger.margin_intra_tiers VALUES
	('ES', 1, '2026-12-01', '2026-12-31'), ('ES', 2, '2027-03-01', '2027-03-31');
INSERT INTO ledger.margin_intra_spreads VALUES ('ES', 1, 1, 2, 150);
INSERT INTO ledger.margin_inter_spreads VALUES (1, 'ES', 1, 'NQ', 1, 0.5);

-- acct-cal: calendar spread, long Dec / short Mar: scanning risk 0, the
--   intra charge is 150 per spread formed (3 spreads: 450)
-- acct-inter: long 2 ES, short 2 NQ: credit 50% of each leg's price risk
--   (ES 120 x 50 = 6,000; NQ 500 x 20 = 10,000) per spread: 2 x 0.5 x 6,000
--   on ES, 2 x 0.5 x 10,000 on NQ (capped by the product's own risk)
-- acct-short: 2 far out-of-the-money short puts: the short option minimum
--   (2 x 300) binds
-- acct-mixed: everything at once
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity) VALUES
	('acct-cal', 'ES', 'future', NULL, '2026-12-18', 3),
	('acct-cal', 'ES', 'future', NULL, '2027-03-19', -3),
	('acct-inter', 'ES', 'future', NULL, '2026-12-18', 2),
	('acct-inter', 'NQ', 'future', NULL, '2026-12-18', -2),
	('acct-short', 'ES', 'put', 2000, '2026-12-18', -2),
	('acct-mixed', 'ES', 'future', NULL, '2026-12-18', 1),
	('acct-mixed', 'ES', 'call', 4100, '2026-12-18', -2),
	('acct-mixed', 'ES', 'put', 3900, '2027-03-19', 1),
	('acct-mixed', 'NQ', 'future', NULL, '2027-03-19', 1);

SELECT account, product, round(scanning_risk::numeric, 2) AS scanning_risk,
	   round(intra_spread_charge::numeric, 2) AS intra, round(inter_credit::numeric, 2) AS inter,
	   round(short_option_minimum::numeric, 2) AS som, round(total::numeric, 2) AS total,
	   round(net_delta::numeric, 4) AS net_delta
  FROM ledger.span_margin_detail('2026-11-20');
-- the calendar spread: zero scanning risk, 3 x 150 intra-commodity charge
SELECT scanning_risk, intra_spread_charge, total FROM ledger.span_margin_detail('2026-11-20')
 WHERE account = 'acct-cal';
-- the inter-commodity spread: 2 spreads x 50% x 6,000 = 6,000 on ES,
-- 2 x 50% x 10,000 = 10,000 on NQ
SELECT product, scanning_risk, inter_credit, total FROM ledger.span_margin_detail('2026-11-20')
 WHERE account = 'acct-inter';
-- components add up: per product, total = max(scan + intra - inter, som)
SELECT bool_and(abs(total - greatest(scanning_risk + intra_spread_charge - inter_credit,
									 short_option_minimum)) < 1e-9) AS components_add_up,
	   bool_and(inter_credit <= scanning_risk + intra_spread_charge) AS credit_capped
  FROM ledger.span_margin_detail('2026-11-20');
-- per account, the totals are the sums over products
SELECT a.account, round(a.scanning_risk::numeric, 2) AS scanning_risk,
	   round(a.intra_spread_charge::numeric, 2) AS intra_spread_charge,
	   round(a.inter_credit::numeric, 2) AS inter_credit,
	   round(a.short_option_minimum::numeric, 2) AS short_option_minimum,
	   round(a.total::numeric, 2) AS total,
	   abs(a.total - (SELECT sum(d.total) FROM ledger.span_margin_detail('2026-11-20') d
					   WHERE d.account = a.account)) < 1e-9 AS sums_match
  FROM ledger.span_margin('2026-11-20') a;
-- removing the inter-commodity spread raises acct-inter's requirement by the credit
DELETE FROM ledger.margin_inter_spreads;
SELECT total AS without_credit FROM ledger.span_margin('2026-11-20') WHERE account = 'acct-inter';

-- clean up for the next test files
DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_products;
