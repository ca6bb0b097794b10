--
-- European option prices: ledger.bsm_price, ledger.black76_price,
-- ledger.bachelier_price.  Reference values, put-call parity, edge cases.
--
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- E. G. Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed.
-- (McGraw-Hill 2007), section 1.1.1: Black-Scholes call s=60 k=65 t=0.25
-- r=0.08 sigma=0.30 -> 2.1334.
SELECT round(ledger.bsm_price('call', 60, 65, 0.25, 0.08, 0, 0.30)::numeric, 4) AS haug_bs_call;
-- Haug 1.1.3 (Merton 1973): put s=100 k=95 t=0.5 r=0.10 q=0.05 sigma=0.20 -> 2.4648.
SELECT round(ledger.bsm_price('put', 100, 95, 0.5, 0.10, 0.05, 0.20)::numeric, 4) AS haug_merton_put;
-- Haug 1.1.4 (Black 1976): f=19 k=19 t=0.75 r=0.10 sigma=0.28 -> call = put = 1.7011.
SELECT round(ledger.black76_price('call', 19, 19, 0.75, 0.10, 0.28)::numeric, 4) AS haug_b76_call,
	   round(ledger.black76_price('put', 19, 19, 0.75, 0.10, 0.28)::numeric, 4) AS haug_b76_put;
-- Haug 1.1.6 (Garman-Kohlhagen): s=1.56 k=1.60 t=0.5 r=0.06 rf=0.08 sigma=0.12 -> call 0.0291.
SELECT round(ledger.bsm_price('call', 1.56, 1.60, 0.5, 0.06, 0.08, 0.12)::numeric, 4) AS haug_gk_call;
-- J. C. Hull, "Options, Futures, and Other Derivatives", 8th ed., example 15.6:
-- s=42 k=40 t=0.5 r=0.10 sigma=0.20 -> call 4.76, put 0.81.
SELECT round(ledger.bsm_price('call', 42, 40, 0.5, 0.10, 0, 0.20)::numeric, 2) AS hull_call,
	   round(ledger.bsm_price('put', 42, 40, 0.5, 0.10, 0, 0.20)::numeric, 2) AS hull_put;
-- Bachelier at the money: price = exp(-rt) sigma sqrt(t) / sqrt(2 pi) exactly.
SELECT abs(ledger.bachelier_price('call', 100, 100, 2, 0.03, 8)
		   - exp(-0.06) * 8 * sqrt(2) / sqrt(2 * pi())) < 1e-13 AS bachelier_atm;
-- Bachelier allows negative forwards and strikes (rates, spreads).
SELECT round(ledger.bachelier_price('put', -0.005, 0.001, 1, 0.01, 0.007)::numeric, 10) AS bachelier_negative;

-- Put-call parity: C - P = exp(-rt) (F - K), to 1e-12 relative, over a grid
-- that includes deep in and out of the money, short and long expiries.
WITH g AS (
	SELECT s, k, t, r, q, v
	FROM unnest(ARRAY[1, 50, 100, 150, 1000]::float8[]) s,
		 unnest(ARRAY[100]::float8[]) k,
		 unnest(ARRAY[0.001, 0.1, 1, 10, 50]::float8[]) t,
		 unnest(ARRAY[-0.02, 0, 0.05]::float8[]) r,
		 unnest(ARRAY[0, 0.03]::float8[]) q,
		 unnest(ARRAY[0.01, 0.2, 1, 3]::float8[]) v
)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE abs(c - p - (s * exp(-q * t) - k * exp(-r * t)))
						<= 1e-12 * greatest(c, p, s * exp(-q * t), k * exp(-r * t))) AS parity_ok
FROM (SELECT *, ledger.bsm_price('call', s, k, t, r, q, v) c,
			 ledger.bsm_price('put', s, k, t, r, q, v) p FROM g) x;

WITH g AS (
	SELECT f, k, t, r, v
	FROM unnest(ARRAY[-50, 0, 50, 99, 100, 101, 250]::float8[]) f,
		 unnest(ARRAY[100]::float8[]) k,
		 unnest(ARRAY[0.001, 0.5, 5, 30]::float8[]) t,
		 unnest(ARRAY[-0.01, 0.04]::float8[]) r,
		 unnest(ARRAY[0.5, 10, 100]::float8[]) v
)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE abs(c - p - exp(-r * t) * (f - k))
						<= 1e-12 * greatest(c, p, abs(f), k)) AS bachelier_parity_ok
FROM (SELECT *, ledger.bachelier_price('call', f, k, t, r, v) c,
			 ledger.bachelier_price('put', f, k, t, r, v) p FROM g) x;

-- Prices are positive and below the no-arbitrage upper bounds, also in the wings.
-- (one unit in the last place of slack: s exp(-qt) and exp(-rt) F round differently)
SELECT bool_and(c >= 0 AND c <= s * exp(-q * t) * (1 + 1e-15) AND p >= 0 AND p <= k * exp(-r * t) * (1 + 1e-15)) AS bounds_ok
FROM (SELECT s, k, t, r, q, ledger.bsm_price('call', s, k, t, r, q, v) c,
			 ledger.bsm_price('put', s, k, t, r, q, v) p
	  FROM unnest(ARRAY[1e-8, 1, 100, 1e8]::float8[]) s,
		   unnest(ARRAY[1e-8, 100, 1e8]::float8[]) k,
		   unnest(ARRAY[1e-6, 1, 100]::float8[]) t,
		   unnest(ARRAY[0.05]::float8[]) r,
		   unnest(ARRAY[0.01]::float8[]) q,
		   unnest(ARRAY[1e-4, 0.3, 5]::float8[]) v) x;

-- Edge cases: t = 0 is intrinsic value, sigma = 0 is the discounted intrinsic
-- value of the forward, s = 0 and k = 0 are defined.
SELECT ledger.bsm_price('call', 110, 100, 0, 0.05, 0, 0.2) AS t0_call,
	   ledger.bsm_price('put', 110, 100, 0, 0.05, 0, 0.2) AS t0_put,
	   round(ledger.bsm_price('call', 110, 100, 1, 0.05, 0.01, 0)::numeric, 12) AS sigma0_call,
	   round((110 * exp(-0.01) - 100 * exp(-0.05))::numeric, 12) AS expected,
	   ledger.bsm_price('put', 110, 100, 1, 0.05, 0.01, 0) AS sigma0_put,
	   ledger.bsm_price('call', 0, 100, 1, 0.05, 0, 0.2) AS s0_call,
	   round(ledger.bsm_price('put', 0, 100, 1, 0.05, 0, 0.2)::numeric, 12) AS s0_put,
	   round(ledger.bsm_price('call', 100, 0, 1, 0.05, 0.02, 0.2)::numeric, 12) AS k0_call;
SELECT ledger.black76_price('call', 0, 10, 1, 0.05, 0.2) AS f0_call,
	   ledger.bachelier_price('call', 101, 100, 0, 0.05, 3) AS bach_t0,
	   round(ledger.bachelier_price('call', 101, 100, 1, 0.05, 0)::numeric, 12) AS bach_sigma0;
-- Tiny and huge magnitudes.
SELECT ledger.bsm_price('call', 1e-300, 1e-300, 1, 0, 0, 0.2) > 0 AS tiny_ok,
	   ledger.bsm_price('call', 1e300, 1e300, 1, 0, 0, 0.2) > 0 AS huge_ok,
	   ledger.bsm_price('call', 100, 1e6, 0.01, 0, 0, 0.01) AS far_otm_underflows_to_zero;

-- NULL in, NULL out (STRICT).
SELECT ledger.bsm_price(NULL, 1, 1, 1, 0, 0, 0.2) IS NULL AS n1,
	   ledger.bsm_price('call', NULL, 1, 1, 0, 0, 0.2) IS NULL AS n2,
	   ledger.black76_price('call', 1, 1, 1, 0, NULL) IS NULL AS n3,
	   ledger.bachelier_price('put', 1, NULL, 1, 0, 1) IS NULL AS n4;

-- Errors: NaN and infinities (22000), negative arguments and bad kinds
-- (22023), overflow (22003).
SELECT ledger.bsm_price('call', 100, 100, 1, 0.05, 0, 'NaN');
SELECT ledger.bsm_price('call', 100, -100, 1, 0.05, 0, 0.2);
SELECT ledger.bsm_price('straddle', 100, 100, 1, 0.05, 0, 0.2);
SELECT pg_temp.err(format('SELECT ledger.bsm_price(%L, %s, %s, %s, %s, %s, %s)', kind, a[1], a[2], a[3], a[4], a[5], a[6]))
FROM (VALUES
	('call', ARRAY['''NaN''', '100', '1', '0', '0', '0.2']),
	('call', ARRAY['100', '''Infinity''', '1', '0', '0', '0.2']),
	('put', ARRAY['100', '100', '''-Infinity''', '0', '0', '0.2']),
	('put', ARRAY['100', '100', '1', '''NaN''', '0', '0.2']),
	('put', ARRAY['100', '100', '1', '0', '''Infinity''', '0.2']),
	('put', ARRAY['100', '100', '1', '0', '0', '''Infinity''']),
	('call', ARRAY['-1', '100', '1', '0', '0', '0.2']),
	('call', ARRAY['100', '100', '-1', '0', '0', '0.2']),
	('call', ARRAY['100', '100', '1', '0', '0', '-0.2']),
	('CALL', ARRAY['100', '100', '1', '0', '0', '0.2']),
	('', ARRAY['100', '100', '1', '0', '0', '0.2']),
	('call', ARRAY['1e308', '100', '1', '0', '-10', '0.2']),
	('put', ARRAY['100', '1e308', '1', '-10', '0', '0.2'])
) v(kind, a);
SELECT pg_temp.err(format('SELECT ledger.black76_price(%L, %s, %s, %s, %s, %s)', kind, a[1], a[2], a[3], a[4], a[5]))
FROM (VALUES
	('call', ARRAY['''NaN''', '100', '1', '0', '0.2']),
	('call', ARRAY['100', '''Infinity''', '1', '0', '0.2']),
	('put', ARRAY['100', '100', '''NaN''', '0', '0.2']),
	('put', ARRAY['100', '100', '1', '''-Infinity''', '0.2']),
	('put', ARRAY['100', '100', '1', '0', '''NaN''']),
	('call', ARRAY['-100', '100', '1', '0', '0.2']),
	('call', ARRAY['100', '-100', '1', '0', '0.2']),
	('call', ARRAY['100', '100', '-1', '0', '0.2']),
	('call', ARRAY['100', '100', '1', '0', '-0.2']),
	('cal', ARRAY['100', '100', '1', '0', '0.2']),
	('put', ARRAY['100', '1e308', '1', '-10', '0.2'])
) v(kind, a);
SELECT pg_temp.err(format('SELECT ledger.bachelier_price(%L, %s, %s, %s, %s, %s)', kind, a[1], a[2], a[3], a[4], a[5]))
FROM (VALUES
	('call', ARRAY['''NaN''', '100', '1', '0', '5']),
	('call', ARRAY['100', '''-Infinity''', '1', '0', '5']),
	('put', ARRAY['100', '100', '''Infinity''', '0', '5']),
	('put', ARRAY['100', '100', '1', '''NaN''', '5']),
	('put', ARRAY['100', '100', '1', '0', '''NaN''']),
	('call', ARRAY['-100', '100', '1', '0', '5']),
	('call', ARRAY['100', '100', '-1', '0', '5']),
	('call', ARRAY['100', '100', '1', '0', '-5']),
	('puts', ARRAY['100', '100', '1', '0', '5']),
	('call', ARRAY['1e308', '-1e308', '1', '-1', '5'])
) v(kind, a);

-- Slightly out of the money with a one-hour expiry (total volatility 0.002,
-- h = ln(F/K)/s = -4.7): the difference of two nearly equal normal tails,
-- where an erfcx difference loses three digits.  Reference from the
-- closed form evaluated in 50-digit arithmetic (mpmath 1.3), with t the
-- double nearest 1/8760: 6.852195167137274036e-8.
SELECT abs(ledger.black76_price('call', 100, 101, 1.0 / 8760, 0, 0.2)
		   / 6.852195167137274036e-8 - 1) < 1e-13 AS short_expiry_wing_ok;

-- Near the money the moneyness and the intrinsic value lose digits to
-- cancellation (quant review of 2026-12-05).  References from the closed
-- form in 120-digit decimal arithmetic (test/european_reference.py:
-- Python's decimal module, exact binary inputs; Phi from the series of
-- Abramowitz and Stegun 26.2.11 and, beyond |z| = 10, Laplace's continued
-- fraction 26.2.14; it reproduces the reference above to its 19 digits).
--  A put 1e-5 out of the money with a total volatility of 1.6e-6
--    (h = ln(F/K)/s = -6.25): ln(s/k) was formed after rounding s/k, an
--    absolute error (up to 1.1e-16, here 1.9e-17) that the price's
--    sensitivity h^2 / ln(F/K) = 3.9e6 made 7.3e-11 of the price; now
--    log1p((s - k)/k), 6.6e-16.  Reference
--    5.014999684409729632564e-15 (BSM and Black-76 alike with r = q = 0).
--  At the money with an hour to expiry and sigma = 0.001, r = 0.05: the
--    intrinsic value F - K = s (e^(rt) - 1) cancelled, 1.1e-11 of the call;
--    now K expm1(ln(F/K)), 1.6e-16.  Reference 7.710458696096314014598e-4
--    (call), 2.002712428264400566627e-4 (put), and their difference
--    5.707746267831913447971e-4 = s - k e^-rt (parity: 1.5e-11 before).
SELECT abs(ledger.bsm_price('put', 100.001, 100, 1, 0, 0, 1.6e-6)
		   / 5.014999684409729632564e-15 - 1) < 1e-14 AS near_money_put_ok,
	   abs(ledger.black76_price('put', 100.001, 100, 1, 0, 1.6e-6)
		   / 5.014999684409729632564e-15 - 1) < 1e-14 AS near_money_black76_put_ok,
	   abs(ledger.bsm_price('call', 100, 100, 0.00011415525114155251, 0.05, 0, 0.001)
		   / 7.710458696096314014598e-4 - 1) < 1e-14 AS one_hour_call_ok,
	   abs(ledger.bsm_price('put', 100, 100, 0.00011415525114155251, 0.05, 0, 0.001)
		   / 2.002712428264400566627e-4 - 1) < 1e-14 AS one_hour_put_ok,
	   abs((ledger.bsm_price('call', 100, 100, 0.00011415525114155251, 0.05, 0, 0.001)
			- ledger.bsm_price('put', 100, 100, 0.00011415525114155251, 0.05, 0, 0.001))
		   / 5.707746267831913447971e-4 - 1) < 1e-14 AS one_hour_parity_ok;
-- the implied volatility still inverts them
SELECT abs(ledger.bsm_implied_vol('put', ledger.bsm_price('put', 100.001, 100, 1, 0, 0, 1.6e-6),
		   100.001, 100, 1, 0, 0) / 1.6e-6 - 1) < 1e-9 AS near_money_put_vol_ok,
	   abs(ledger.bsm_implied_vol('call', ledger.bsm_price('call', 100, 100, 0.00011415525114155251, 0.05, 0, 0.001),
		   100, 100, 0.00011415525114155251, 0.05, 0) / 0.001 - 1) < 1e-9 AS one_hour_call_vol_ok;

-- an argument in an error message is the value the caller passed, whatever
-- the session's extra_float_digits (-1e+02 for -123.456 at -15 before
-- 2026-12-06)
SET extra_float_digits = -15;
SELECT ledger.bsm_price('call', 100, -123.456, 1, 0.05, 0, 0.2);
SELECT ledger.american_price('put', 100, 100, 123.456, 0.05, 0, 0.2);
RESET extra_float_digits;
