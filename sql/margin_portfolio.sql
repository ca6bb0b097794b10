-- Portfolio margin (FINRA Rule 4210(g), Cboe Rule 12.4), collateral with
-- haircuts, and all requirements side by side (docs/margin.md).
\set VERBOSITY terse

-- ===================================================================
-- Valuation points.  FINRA Rule 4210(g)(2)(F) / Cboe Rule 12.4: equity
-- positions are revalued at 10 equidistant points over a market move of
-- -15% to +15%; the zero move is not a point.  One share of stock at 100
-- loses 15, 12, 9, 6, 3 and gains 3 ... 15.
-- ===================================================================
SELECT ledger.pm_risk_array('stock', 100, 0, 0, 0, 0, 0, 1);
-- broad-based index: -8% / +6% (Cboe Rule 12.4 table), still 10 points
SELECT ledger.pm_risk_array('stock', 100, 0, 0, 0, 0, 0, 1, 0.08, 0.06);
-- an option's points are BSM revaluations at the moved underlying
SELECT bool_and(abs(a[i] - (ledger.bsm_price('put', 100, 95, 0.5, 0.03, 0.01, 0.3)
			- ledger.bsm_price('put', 100 * m, 95, 0.5, 0.03, 0.01, 0.3)) * 100) < 1e-9) AS revalued
  FROM ledger.pm_risk_array('put', 100, 95, 0.5, 0.03, 0.01, 0.3) a,
	   unnest(ARRAY[0.85, 0.88, 0.91, 0.94, 0.97, 1.03, 1.06, 1.09, 1.12, 1.15]) WITH ORDINALITY u(m, i);

-- ===================================================================
-- Published example: Cboe, "Margin Requirement Examples for Sample
-- Options-based Positions" (2007), column "Portfolio Margin Requirement":
--   Long Straddle: long 100 IBM April 100 puts @ 3.18 and 100 calls @ 1.68,
--   IBM at 97.73                                                  $7,500
--   Long Straddle: long 100 SPX April 1450 puts @ 18.72 and 100 calls
--   @ 27.56                                                       $7,500
-- Both are the per-contract minimum, $0.375 x 100 x 200 contracts: the
-- long straddle loses less than that at every valuation point.  The table
-- does not give expiry, rate or volatility; we take 30 days, r = 5% and the
-- volatility implied by each option's price, and the minimum binds for them.
-- ===================================================================
INSERT INTO ledger.margin_products (product, style, multiplier, rate) VALUES
	('IBM', 'equity', 100, 0.05), ('SPX', 'index', 100, 0.05);
UPDATE ledger.margin_products SET pm_down = 0.08, pm_up = 0.06, settlement = 'cash', regt_pct = 0.15
 WHERE product = 'SPX';
INSERT INTO ledger.margin_prices VALUES ('IBM', 97.73, 0.20), ('SPX', 1450, 0.15);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	('ibm-straddle', 'IBM', 'put', 100, '2007-04-20', 100, 3.18),
	('ibm-straddle', 'IBM', 'call', 100, '2007-04-20', 100, 1.68),
	('spx-straddle', 'SPX', 'put', 1450, '2007-04-20', 100, 18.72),
	('spx-straddle', 'SPX', 'call', 1450, '2007-04-20', 100, 27.56);
SELECT d.account, round(d.scan_risk::numeric, 2) < 7500 AS loss_below_minimum,
	   d.contract_minimum, d.requirement, 7500 AS published, d.requirement = 7500 AS matches
  FROM ledger.portfolio_margin_detail('2007-03-21') d ORDER BY d.account;
DELETE FROM ledger.margin_positions;

-- ===================================================================
-- Hedges, concentration, components
-- ===================================================================
UPDATE ledger.margin_prices SET price = 100, volatility = 0.30 WHERE product = 'IBM';
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium) VALUES
	-- stock alone: 15% of 1,000 x 100 = 15,000
	('stock', 'IBM', 'stock', NULL, NULL, 1000, NULL),
	-- stock with protective puts: the loss stops at the strike
	('protected', 'IBM', 'stock', NULL, NULL, 1000, NULL),
	('protected', 'IBM', 'put', 95, '2026-06-19', 10, NULL),
	-- ten times the short calls of "one-short"
	('one-short', 'IBM', 'call', 100, '2026-06-19', -1, NULL),
	('ten-short', 'IBM', 'call', 100, '2026-06-19', -10, NULL),
	-- the same ten short options split across both directions
	('split-short', 'IBM', 'call', 100, '2026-06-19', -5, NULL),
	('split-short', 'IBM', 'put', 100, '2026-06-19', -5, NULL),
	-- two products: requirements add, no offset between classes
	('two-classes', 'IBM', 'stock', NULL, NULL, 100, NULL),
	('two-classes', 'SPX', 'put', 1400, '2026-06-19', -1, NULL);
SELECT account, product, round(scan_risk::numeric, 2) AS scan_risk, contract_minimum,
	   round(requirement::numeric, 2) AS requirement
  FROM ledger.portfolio_margin_detail('2026-05-20');
SELECT (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'stock') AS stock_alone,
	   (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'protected')
		 < (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'stock') AS hedge_lowers,
	   (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'ten-short')
		 > (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'split-short')
		 AS concentration_raises,
	   abs((SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'ten-short')
		 - 10 * (SELECT requirement FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'one-short'))
		 < 1e-6 AS scales_with_size;
SELECT abs(requirement - (SELECT sum(requirement) FROM ledger.portfolio_margin_detail('2026-05-20') d
						   WHERE d.account = 'two-classes')) < 1e-9 AS classes_add_up
  FROM ledger.portfolio_margin('2026-05-20') WHERE account = 'two-classes';

-- ===================================================================
-- Collateral, methods, requirements side by side
-- ===================================================================
INSERT INTO ledger.margin_haircuts VALUES ('treasury', 0.02), ('equity', 0.25);
INSERT INTO ledger.margin_collateral VALUES
	('stock', 'USD', 'cash', 5000),
	('stock', 'UST 2y', 'treasury', 10000),
	('protected', 'USD', 'cash', 100000),
	('one-short', 'AAPL', 'equity', 4000),
	('collateral-only', 'USD', 'cash', 10);
INSERT INTO ledger.margin_accounts VALUES ('stock', 'portfolio'), ('protected', 'strategy');
SELECT * FROM ledger.collateral_value();
SELECT account, method, round(portfolio_requirement::numeric, 2) AS portfolio,
	   round(strategy_requirement::numeric, 2) AS strategy, round(requirement::numeric, 2) AS requirement,
	   collateral_value, collateral_after_haircut,
	   round(net_option_value::numeric, 2) AS options, round(excess::numeric, 2) AS excess
  FROM ledger.margin_requirements('2026-05-20');
-- the requirement is the account's method's figure (SPAN totals add on);
-- the excess counts the options at market (short ones a liability)
SELECT bool_and(requirement = span_total + CASE method WHEN 'portfolio' THEN portfolio_requirement
											ELSE strategy_requirement END) AS method_applied,
	   bool_and(excess = collateral_after_haircut + net_option_value - requirement) AS excess_is_difference
  FROM ledger.margin_requirements('2026-05-20');

DELETE FROM ledger.margin_accounts;
DELETE FROM ledger.margin_collateral;
DELETE FROM ledger.margin_haircuts WHERE asset_class <> 'cash';
DELETE FROM ledger.margin_positions;
DELETE FROM ledger.margin_products;
