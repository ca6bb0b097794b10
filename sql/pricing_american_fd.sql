--
-- American options against a converged finite-difference truth, and
-- properties on thousands of random inputs (issue #14).
--
-- test/american/truth.csv: 2,000 random options priced by
-- test/american/fd_truth.c, a finite-difference solver that shares no code
-- with the extension (README.md there says how it was made and which
-- distribution the cases follow).  err_est is the solver's own error
-- estimate (the difference of its last two Richardson extrapolations).
--
CREATE TEMP TABLE fd (id int, kind text, s float8, k float8, t float8,
	r float8, q float8, sigma float8, price float8, err_est float8,
	delta float8, gamma float8, vega float8);
\copy fd FROM 'test/american/truth.csv' WITH (FORMAT csv, HEADER true)
-- Regime of the put of the put-call symmetry (a call is the put with s and
-- k, r and q exchanged): european (no early exercise: r <= 0 and q >= r),
-- double (two boundaries: q < r < 0), single (one boundary).
CREATE TEMP VIEW fdr AS
SELECT fd.*,
	   CASE WHEN rp <= 0 AND qp >= rp THEN 'european'
			WHEN rp < 0 THEN 'double' ELSE 'single' END AS regime,
	   CASE WHEN t < 1 THEN 'a: T < 1' WHEN t < 5 THEN 'b: 1 <= T < 5'
			ELSE 'c: T >= 5' END AS tb,
	   -- tolerance of issue #14 plus the truth's own uncertainty
	   greatest(1e-6 * price, 1e-8 * k) + err_est AS tol
FROM fd, LATERAL (SELECT CASE kind WHEN 'put' THEN r ELSE q END AS rp,
						 CASE kind WHEN 'put' THEN q ELSE r END AS qp) x;
SELECT regime, count(*) AS cases FROM fdr GROUP BY 1 ORDER BY 1;

-- The default method (qdfp) against the truth: cases beyond the tolerance,
-- by regime and maturity.  Every case beyond it is listed below; a change
-- that adds one fails this test.
CREATE TEMP TABLE fdq AS
SELECT fdr.*, ledger.american_price(kind, s, k, t, r, q, sigma) AS got
FROM fdr;
SELECT regime, tb, count(*) AS cases,
	   count(*) FILTER (WHERE abs(got - price) > tol) AS beyond_tol,
	   count(*) FILTER (WHERE abs(got - price) > 10 * tol) AS beyond_10tol
FROM fdq GROUP BY 1, 2 ORDER BY 1, 2;
SELECT id, kind, regime, round(t::numeric, 2) AS t, round(sigma::numeric, 3) AS sigma,
	   round((abs(got - price) / tol)::numeric, 1) AS err_over_tol
FROM fdq WHERE abs(got - price) > tol ORDER BY id;
-- and the largest error over the tolerance (0.57 on 2026-12-03, case 125):
-- a change that moves any case towards the tolerance shows here first
SELECT round(max(abs(got - price) / tol)::numeric, 1) AS worst_over_tol
FROM fdq WHERE regime <> 'european';

-- Two puts with r = 0 > q, long and volatile, from a further 20,000 random
-- inputs of the same distribution (seed 20261204), where the Newton sweeps
-- that go on after the first (the rescue) oscillated between boundaries
-- twice apart and ended 7 and 32 times the tolerance off (issue #14,
-- 2026-12-04); the rescue sweeps are damped since.  Truth from
-- test/american/fd_truth.c (N = 500, doubled; error estimates 5e-6 and
-- 6e-6, added to the tolerance).
SELECT k, t, abs(got - truth) <= greatest(1e-6 * truth, 1e-8 * k) + est AS within_tol
FROM (VALUES (18.904591766653166, 9.9510810792059416, -0.00085322627505920665,
			  0.97690253210584366, 14.0210335376, 5e-6),
			 (84.659731350226053, 13.811857072903981, -0.0040819727739075384,
			  0.94412765625627115, 77.1651343748, 6e-6)) v(k, t, q, sigma, truth, est),
	 LATERAL (SELECT ledger.american_price('put', 100, k, t, 0, q, sigma) AS got) g;

-- Delta and gamma of american_greeks against the truth's (Richardson
-- extrapolated derivatives of the grid's cubic at the spot), vega against
-- the truth's central difference in sigma (every twentieth case):
-- differences beyond 1e-4 in delta, 1e-3 relative (or 1e-6 absolute) in
-- gamma and 1e-3 relative (or 1e-4 of the strike) in vega.  Gamma near the
-- exercise boundary comes from the Black-Scholes equation (docs/pricing.md,
-- "American Greeks"): the integral's was beyond the tolerance in cases
-- 1331, 1367 and 1911 before (2026-12-06).  Case 523 is left out of the
-- gamma count: its spot is within 2e-4 S of the exercise boundary, where
-- gamma jumps from 0 to 2 (q S - r K) / (sigma^2 S^2) = 0.0030, and the
-- truth's cubic, through nodes 0.3% apart on either side of the jump, does
-- not converge there (0.00113, 0.00155, 0.00111 with N = 1000, 2000,
-- 4000); the row after checks that gamma takes one of its two values.
CREATE TEMP TABLE fdg AS
SELECT fdr.*, ledger.american_greeks(kind, s, k, t, r, q, sigma) AS g
FROM fdr WHERE regime = 'single';
SELECT regime, count(*) AS cases,
	   count(*) FILTER (WHERE abs((g).delta - delta) > 1e-4) AS delta_beyond,
	   count(*) FILTER (WHERE abs((g).gamma - gamma) > 1e-3 * abs(gamma) + 1e-6
						AND id <> 523) AS gamma_beyond,
	   count(*) FILTER (WHERE vega <> 'NaN') AS vega_cases,
	   count(*) FILTER (WHERE vega <> 'NaN'
						AND abs((g).vega - vega) > 1e-3 * vega + 1e-4 * k) AS vega_beyond
FROM fdg GROUP BY 1 ORDER BY 1;
SELECT id, (g).gamma = 0
		   OR abs((g).gamma - 2 * (q * s - r * k) / (sigma ^ 2 * s ^ 2))
			  <= 1e-2 * 2 * (q * s - r * k) / (sigma ^ 2 * s ^ 2) AS exercise_or_boundary_gamma
FROM fdg WHERE id = 523;
-- The quant review's put (S = 71.5, K = 100, T = 0.5, r = 12%, q = 2%,
-- sigma = 40%; the boundary is at about S = 71.53) just inside the
-- continuation region, at S = 72: truth from test/american/fd_truth.c
-- --case put 72 100 0.5 0.12 0.02 0.4 4000 (value 28.003334209841896,
-- error estimate 1.19e-07, delta -0.98690421989809807, gamma
-- 0.02565199603560684; 0.025649067 with N = 2000).  The integral's gamma
-- was 0.0256983 before, 1.8e-3 relative off.
SELECT abs((g).gamma - 0.02565199603560684) <= 1e-3 * 0.02565199603560684 + 1e-6 AS gamma_within_tol,
	   abs((g).delta - -0.98690421989809807) <= 1e-4 AS delta_within_tol,
	   abs((g).price - 28.003334209841896) <= 1e-6 * 28.003334209841896 + 1.19e-07 AS price_within_tol
FROM (SELECT ledger.american_greeks('put', 72, 100, 0.5, 0.12, 0.02, 0.4) AS g) x;

-- The other methods: cases beyond 1% of the truth (their accuracy as stated
-- in docs/pricing.md), single-boundary cases (both hand two-boundary cases
-- to qdfp).
SELECT m, count(*) AS cases,
	   count(*) FILTER (WHERE abs(v - price) > 1e-2 * price + 1e-8 * k) AS beyond_1pct,
	   count(*) FILTER (WHERE v < e * (1 - 1e-12)) AS below_european
FROM (SELECT fdr.*, m, ledger.american_price(kind, s, k, t, r, q, sigma, m, 500) AS v,
			 ledger.bsm_price(kind, s, k, t, r, q, sigma) AS e
	  FROM fdr, unnest(ARRAY['baw', 'bjs2002']) m
	  WHERE regime = 'single') x
GROUP BY 1 ORDER BY 1;

--
-- Properties on 3,000 random inputs (fixed seed): the same distribution as
-- the truth set, two-boundary cases apart.
--
SELECT setseed(0.1414);
CREATE TEMP TABLE rnd AS
SELECT i, CASE WHEN random() < 0.5 THEN 'call' ELSE 'put' END AS kind,
	   100::float8 AS s, t, sigma, 100 * exp(-(-2 + 4 * random()) * sigma * sqrt(t)) AS k,
	   CASE WHEN random() < 0.15 THEN 0 ELSE -0.03 + 0.13 * random() END AS r,
	   CASE WHEN random() < 0.15 THEN 0 ELSE -0.03 + 0.13 * random() END AS q
FROM (SELECT i, exp(ln(1.0 / 52) + random() * (ln(15) - ln(1.0 / 52))) AS t,
			 exp(ln(0.05) + random() * (ln(1.2) - ln(0.05))) AS sigma
	  FROM generate_series(1, 3000) i) g;
-- Two-boundary cases (q' < r' < 0) cost tens of milliseconds each (finite
-- differences): the bulk checks leave them out, a directed set of 30 below
-- and the continuity check take them in.
ALTER TABLE rnd ADD COLUMN dbl bool;
UPDATE rnd SET dbl = CASE kind WHEN 'put' THEN q < r AND r < 0 ELSE r < q AND q < 0 END;
SELECT count(*) FILTER (WHERE dbl) AS two_boundary_left_out FROM rnd;
CREATE TEMP TABLE rp AS
SELECT rnd.*, m,
	   ledger.american_price(kind, s, k, t, r, q, sigma, m, 200) AS a,
	   ledger.bsm_price(kind, s, k, t, r, q, sigma) AS e,
	   greatest(CASE kind WHEN 'call' THEN s - k ELSE k - s END, 0) AS intr
FROM rnd, unnest(ARRAY['qdfp', 'baw', 'bjs2002', 'crr']) m
WHERE NOT dbl AND (m IN ('qdfp', 'baw', 'bjs2002') OR i <= 300);
-- American >= European and >= intrinsic value, every method.
SELECT m, count(*) AS cases,
	   count(*) FILTER (WHERE a >= e * (1 - 1e-12) AND a >= intr) AS ge_european_and_intrinsic
FROM rp GROUP BY 1 ORDER BY 1;
-- Monotonicity, qdfp: a put falls and a call rises with s, the reverse in
-- k; both rise with sigma and t (the last needs r >= 0 for a put and q >= 0
-- for a call, where waiting is never worth less).  Steps of 1e-3 relative;
-- a violation must exceed 1e-9 of the strike.
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE sgn * (ledger.american_price(kind, s * 1.001, k, t, r, q, sigma) - a) >= -1e-9 * k) AS mono_s,
	   count(*) FILTER (WHERE -sgn * (ledger.american_price(kind, s, k * 1.001, t, r, q, sigma) - a) >= -1e-9 * k) AS mono_k,
	   count(*) FILTER (WHERE ledger.american_price(kind, s, k, t, r, q, sigma * 1.001) - a >= -1e-9 * k) AS mono_sigma
FROM (SELECT rp.*, CASE kind WHEN 'call' THEN 1 ELSE -1 END AS sgn FROM rp WHERE m = 'qdfp') x;
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE ledger.american_price(kind, s, k, t * 1.001, r, q, sigma) - a >= -1e-9 * k) AS mono_t
FROM rp WHERE m = 'qdfp' AND CASE kind WHEN 'put' THEN r >= 0 ELSE q >= 0 END;
-- Put-call symmetry (McDonald and Schroder 1998): C(s, k, r, q) = P(k, s, q, r).
SELECT m, count(*) AS cases,
	   count(*) FILTER (WHERE abs(ledger.american_price('call', s, k, t, r, q, sigma, m)
							  - ledger.american_price('put', k, s, t, q, r, sigma, m))
						<= 1e-12 * ledger.american_price('call', s, k, t, r, q, sigma, m) + 1e-300) AS symmetric
FROM rnd, unnest(ARRAY['qdfp', 'bjs2002']) m WHERE i <= 1000 AND NOT dbl GROUP BY 1 ORDER BY 1;
-- Continuity across q = 0 and r = 0: the price at 0 and at +-1e-9 differ
-- by less than the stated accuracy of qdfp (2e-6 of the price or 2e-8 of
-- the strike; the derivative in q or r is at most t * max(s, k), so the
-- move itself is below 1e-7).  On either side of 0 a put or call may change
-- regime (European, one or two boundaries) and so its algorithm (the fixed
-- point, or finite differences for two boundaries); qdfp must not jump.
-- baw and bjs2002 fall back to qdfp outside their derivations
-- (docs/pricing.md), so they jump by their own error: the counts show how
-- often (bjs2002: at r' = 0, its r' < 0 side being qdfp's).
SELECT m, count(*) AS cases,
	   count(*) FILTER (WHERE abs(q0 - qp) <= 2e-6 * p + 2e-8 * k
						  AND abs(q0 - qm) <= 2e-6 * p + 2e-8 * k) AS continuous_q,
	   count(*) FILTER (WHERE abs(r0 - rp) <= 2e-6 * p + 2e-8 * k
						  AND abs(r0 - rm) <= 2e-6 * p + 2e-8 * k) AS continuous_r
FROM (SELECT rnd.*, m, ledger.american_price(kind, s, k, t, r, q, sigma, m) AS p,
			 ledger.american_price(kind, s, k, t, r, 0, sigma, m) AS q0,
			 ledger.american_price(kind, s, k, t, r, 1e-9, sigma, m) AS qp,
			 ledger.american_price(kind, s, k, t, r, -1e-9, sigma, m) AS qm,
			 ledger.american_price(kind, s, k, t, 0, q, sigma, m) AS r0,
			 ledger.american_price(kind, s, k, t, 1e-9, q, sigma, m) AS rp,
			 ledger.american_price(kind, s, k, t, -1e-9, q, sigma, m) AS rm
	  FROM rnd, unnest(ARRAY['qdfp', 'baw', 'bjs2002']) m
	  -- baw and bjs2002 hand two-boundary points to qdfp: only the cases
	  -- without one (r >= 0 for a call, q >= 0 for a put) for them
	  WHERE i <= 120 AND (m = 'qdfp' OR CASE kind WHEN 'put' THEN q >= 0 ELSE r >= 0 END)
	  OFFSET 0) x
GROUP BY 1 ORDER BY 1;

-- Two boundaries, a directed set of 12: puts with q < r < 0, calls with
-- r < q < 0.  American >= European and intrinsic; monotone in sigma.
CREATE TEMP TABLE dbl AS
SELECT i, kind, 100::float8 AS s, 100 * exp(-(-1.5 + 3 * random()) * sigma * sqrt(t)) AS k,
	   t, sigma,
	   CASE kind WHEN 'put' THEN hi ELSE lo END AS r,
	   CASE kind WHEN 'put' THEN lo ELSE hi END AS q
FROM (SELECT i, CASE WHEN i % 2 = 0 THEN 'call' ELSE 'put' END AS kind,
			 exp(ln(1.0 / 12) + random() * (ln(10) - ln(1.0 / 12))) AS t,
			 exp(ln(0.05) + random() * (ln(1.0) - ln(0.05))) AS sigma,
			 -0.002 - 0.02 * random() AS hi, random() AS u
	  FROM generate_series(1, 12) i) g,
	 LATERAL (SELECT hi - 0.005 - 0.03 * u AS lo) l;
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE a >= e * (1 - 1e-12) AND a >= intr) AS ge_european_and_intrinsic,
	   count(*) FILTER (WHERE a > e * (1 + 1e-9)) AS early_exercise_premium,
	   count(*) FILTER (WHERE ledger.american_price(kind, s, k, t, r, q, sigma * 1.001) - a >= -1e-9 * k) AS mono_sigma
FROM (SELECT dbl.*, ledger.american_price(kind, s, k, t, r, q, sigma) AS a,
			 ledger.bsm_price(kind, s, k, t, r, q, sigma) AS e,
			 greatest(CASE kind WHEN 'call' THEN s - k ELSE k - s END, 0) AS intr
	  FROM dbl) x;

-- Issue #14, defect 1: the put with q = 0 is the formula's, not the tree's,
-- and does not depend on steps (s = k = 100, t = 1, r = 5%, sigma = 20%).
SELECT round(ledger.american_price('put', 100, 100, 1, 0.05, 0, 0.2, 'bjs2002', 500)::numeric, 5) AS q0,
	   round(ledger.american_price('put', 100, 100, 1, 0.05, 1e-300, 0.2, 'bjs2002', 500)::numeric, 5) AS q_tiny,
	   ledger.american_price('put', 100, 100, 1, 0.05, 0, 0.2, 'bjs2002', 500)
	   = ledger.american_price('put', 100, 100, 1, 0.05, 0, 0.2, 'bjs2002', 50) AS steps_ignored;
-- Defect 2: the put with sigma = 5.7%, t = 9 (the issue's worst case) is no
-- longer priced at the European floor.  Until 2026-12-06 bjs2002 handed it
-- to qdfp (its trigger fell below the strike); since, its own exercise rule
-- values it (the trigger's running maximum, docs/pricing.md), a lower bound
-- 1% below.
SELECT round(ledger.american_price('put', 100, 100, 9, 0.05, 0.0, 0.057, 'bjs2002')::numeric, 4) AS bjs,
	   round(ledger.american_price('put', 100, 100, 9, 0.05, 0.0, 0.057)::numeric, 4) AS qdfp,
	   round(ledger.bsm_price('put', 100, 100, 9, 0.05, 0.0, 0.057)::numeric, 4) AS european;

-- Quant review of 2026-12-06: low volatility and long maturity.
-- F1. Two boundaries (put, q < r < 0), sigma = 0.005: the premium comes from
-- the first ~(sigma / (r - q))^2 = 0.016 years, a boundary layer of
-- sigma^2 / (r - q) = 6e-4 in ln S, which the finite differences' uniform
-- grid missed (0.0129 at T = 5, 4e-212 at T = 15, 0 at T = 30).  Truth:
-- test/american/fd_truth.c --case put 100 100 0.5 -0.01 -0.05 0.005 4000
-- (0.0114994600, error estimate 1.86e-6, added to the tolerance); after
-- T = 0.5 exercise would need a move of 5.7 standard deviations against
-- the drift, so the value at every longer T is the same to far below the
-- tolerance (and an American value never falls as T grows).
SELECT t, abs(got - 0.0114994600) <= 1e-8 * 100 + 1.86e-6 AS within_tol,
	   got >= lag(got) OVER (ORDER BY t) - 1e-8 * 100 AS not_falling
FROM unnest('{0.5, 5, 10, 15, 30}'::float8[]) t,
	 LATERAL (SELECT ledger.american_price('put', 100, 100, t, -0.01, -0.05, 0.005) AS got) g
ORDER BY t;
-- F2. The two-boundary solver against fd_truth.c at sigma = 0.1, T = 10
-- (put, S = K = 100, q = -0.05; --case ... 2000: 3.7556627741 at
-- r = -1e-9, 3.7556626983 at r = 0, estimates 1.34e-6): it was 3.8e-5
-- off, and jumped by that much where r crosses 0 into the fixed point
-- (which was and is within the tolerance at r = 0).
SELECT abs(got - 3.7556627741) <= 1e-6 * got + 1.34e-6 AS within_tol,
	   abs(got - ledger.american_price('put', 100, 100, 10, 0, -0.05, 0.1))
	   <= 1e-6 * got AS continuous_at_r0
FROM (SELECT ledger.american_price('put', 100, 100, 10, -1e-9, -0.05, 0.1) AS got) g;
-- F3. One boundary, sigma = 0.005: the call S = 200, K = 100, r = 0.2,
-- q = 0.05 (118.877 at T = 30, below its sigma = 0 value 119.0551, and
-- falling as T grew) and the put S = K = 100, r = 0, q = -0.05 (0.01004 at
-- T = 10, above the perpetual put, and 0.0063 at T = 30).  Truth: the
-- perpetual put of the symmetry (the call's: S = 100, K = 200, r = 0.05,
-- q = 0.2), in closed form below; test/american/perpetual_bounds.py
-- computes the bounds of docs/pricing.md in 50-digit arithmetic, and the
-- lower one (an exercise rule's value) is within 4e-11 of it at these T.
SELECT kind, t, abs(got - perp) <= 1e-6 * perp AS within_tol,
	   got >= ledger.american_price(kind, s, k, t, r, q, 0) AS ge_sigma0
FROM (VALUES ('call', 200::float8, 100::float8, 0.2::float8, 0.05::float8, 5::float8),
			 ('call', 200, 100, 0.2, 0.05, 30),
			 ('put', 100, 100, 0, -0.05, 10),
			 ('put', 100, 100, 0, -0.05, 30)) v(kind, s, k, r, q, t),
	 LATERAL (SELECT CASE kind WHEN 'call' THEN k ELSE s END AS ps,
					 CASE kind WHEN 'call' THEN s ELSE k END AS pk,
					 CASE kind WHEN 'call' THEN q ELSE r END AS pr,
					 CASE kind WHEN 'call' THEN r ELSE q END AS pq, 0.005::float8 AS sg) p,
	 LATERAL (SELECT pr - pq - sg * sg / 2 AS mu) m,
	 LATERAL (SELECT (mu + sqrt(mu * mu + 2 * pr * sg * sg)) / (sg * sg) AS gg) g,
	 LATERAL (SELECT (pk - gg * pk / (gg + 1)) * (ps / (gg * pk / (gg + 1))) ^ (-gg) AS perp,
					 ledger.american_price(kind, s, k, t, r, q, sg) AS got) x
ORDER BY kind, t;
-- and no positive theta there (+0.177 before)
SELECT (ledger.american_greeks('call', 200, 100, 30, 0.2, 0.02, 0.005)).theta <= 0 AS theta_le_0;
