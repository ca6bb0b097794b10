-- Faults of the pricing and margin edges found by a review of 2026-12-05,
-- one part each.  Every expected figure is exact arithmetic, derived in the
-- comments (intrinsic values, K, S, 0, +-1); each part failed against the
-- code before its fix.
\set VERBOSITY terse

-- ===================================================================
-- 1. American Greeks at t = 0, s = 0, k = 0: those of what the American
-- option is worth there, not the European Greeks.
--  t = 0: intrinsic value, undiscounted; delta -1 / +1 in the money, 0 out
--    of it and at the money (docs/pricing.md: at the money counts as out of
--    the money); gamma, vega, theta, rho, vanna, volga 0.
--    (Before: theta +3.2 beside the price 10 of the put S = 90, K = 100.)
SELECT kind, s, g.*
FROM (VALUES ('put', 90::float8), ('put', 110), ('put', 100),
             ('call', 110), ('call', 90), ('call', 100)) v(kind, s),
     ledger.american_greeks(kind, s, 100, 0, 0.05, 0.02, 0.2) g;
--  s = 0 put with r > 0: exercised at once, worth K = 100, delta -1, all
--    else 0 (before: delta -0.980, theta +4.756, rho -95.12; with q = -1
--    delta -2.718 = -e).
SELECT q, g.* FROM (VALUES (0.02::float8), (-1)) v(q),
     ledger.american_greeks('put', 0, 100, 1, 0.05, q, 0.2) g;
--  k = 0 call with q > 0: exercised at once, worth S = 100, delta 1, all
--    else 0 (before: delta 0.980 = e^-0.02, theta +1.96).
SELECT * FROM ledger.american_greeks('call', 100, 0, 1, 0.05, 0.02, 0.2);
--  s = 0 call and k = 0 put: worth 0, every Greek 0; sigma = 0 changes
--    none of the above (the put at s = 0 still worth K = 100 at once).
SELECT * FROM ledger.american_greeks('call', 0, 100, 1, 0.05, 0.02, 0.2);
SELECT * FROM ledger.american_greeks('put', 100, 0, 1, 0.05, 0.02, 0.2);
SELECT * FROM ledger.american_greeks('put', 0, 100, 1, 0.05, 0.02, 0);
--  s = 0 put with r <= 0: held to expiry (K e^-rT > K), worth
--    100 e^0.01 = 101.005..., the European Greeks of K e^-rT: theta
--    r K e^-rT = -1.0100..., rho -T K e^-rT = -101.005... (unchanged)
SELECT round(price::numeric, 9) AS price, round(theta::numeric, 9) AS theta,
       round(rho::numeric, 9) AS rho, gamma, vega
FROM ledger.american_greeks('put', 0, 100, 1, -0.01, 0.02, 0.2);
--  deep in the exercise region, S = 1e-8, T = 1e-8: the put is worth
--    K - S = 99.99999999 with delta -1 and gamma 0 (before: gamma
--    -142108547, the rounding noise of a difference over h^2 = 1e-22).
SELECT * FROM ledger.american_greeks('put', 1e-8, 100, 1e-8, 0.05, 0.02, 0.2);

-- ===================================================================
-- 2. Implied volatility where the forward or the bound overflows.
--  s e^-qt = 100 e^750 is not representable: 22003, as bsm_price and
--    american_price raise for the same inputs (before: 0 and NULL).
SELECT ledger.bsm_price('call', 100, 100, 15, 0, -50, 0);
SELECT ledger.bsm_implied_vol('call', 10, 100, 100, 15, 0, -50);
SELECT ledger.american_implied_vol('call', 10, 100, 100, 15, 0, -50);
--  forward 1e300 e^20 not representable, the bound s e^-qt = 1e300 is:
--    10 is far below the lower bound 1e300 - 100 e^-20: NULL (before: 0);
--    american_implied_vol agrees.
SELECT ledger.bsm_implied_vol('call', 10, 1e300, 100, 20, 1, 0) IS NULL AS bsm_null,
       ledger.american_implied_vol('call', 10, 1e300, 100, 20, 1, 0) IS NULL AS american_null;
--  t = 1e-308, r != q: (r - q) t is subnormal, at the money; the price
--    1e-300 = df sqrt(fk) s / sqrt(2 pi) to first order, so the total
--    volatility is s = sqrt(2 pi) 1e-302 and sigma = s / sqrt(1e-308)
--    = 2.5066282746e-148 (before: 0.12247, which reprices to 4.9e-154).
SELECT round((v / 2.5066282746310002e-148)::numeric, 9) AS ratio
FROM ledger.bsm_implied_vol('call', 1e-300, 100, 100, 1e-308, 0.05, 0.02) v;

-- ===================================================================
-- 3. net_short_option_contracts / net_option_contracts: 'future', 'stock',
-- 'call', 'put' only, as the CHECK on ledger.margin_positions.instrument;
-- any other kind is 22023 as in regt_naked (before: counted as no option).
SELECT ledger.net_short_option_contracts(i, 100, '2027-01-15', q),
       ledger.net_option_contracts(i, 100, '2027-01-15', q)
FROM (VALUES ('call', -2::float8), ('put', 3), ('future', -5), ('stock', 7)) v(i, q);
SELECT ledger.net_short_option_contracts(i, 100, '2027-01-15', -1)
FROM (VALUES ('CALL')) v(i);
SELECT ledger.net_option_contracts(i, 100, '2027-01-15', -1)
FROM (VALUES ('Put ')) v(i);
SELECT ledger.net_short_option_contracts(i, 100, '2027-01-15', -1)
FROM (VALUES ('')) v(i);
SELECT ledger.net_option_contracts(i, 100, '2027-01-15', -1)
FROM (VALUES ('swap')) v(i);

-- ===================================================================
-- 4. span_tier_deltas: a sum that is not representable is 22003, as in
-- pm_scan and span_scan (before: {Infinity}); span_intra_charge likewise.
SELECT ledger.span_tier_deltas(t, d) FROM (VALUES (1, 1e308::float8), (1, 1e308)) v(t, d);
SELECT ledger.span_tier_deltas(t, d) FROM (VALUES (1, 1e308::float8), (1, -1e308), (2, 5)) v(t, d);
SELECT ledger.span_intra_charge(ARRAY[1, 1], ARRAY[1e308, 1e308]::float8[],
                                ARRAY[1], ARRAY[2], ARRAY[1]::float8[]);
