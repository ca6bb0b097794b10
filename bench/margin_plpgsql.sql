-- bench/margin_plpgsql.sql: the SPAN scanning-risk baseline for
-- bench/margin.sh, written the way a user would without the extension's C
-- code: Black-76 and the 16-scenario risk array in PL/pgSQL (the normal CDF
-- is the Abramowitz-Stegun 26.2.17 polynomial, PostgreSQL 15 having no erf),
-- and the portfolio scan in plain SQL (unnest, sum per scenario, max).
-- Everything is PARALLEL SAFE, like the C side, so both get the same plans.
CREATE SCHEMA bench_margin;

CREATE FUNCTION bench_margin.ncdf(x float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	z float8 := abs(x);
	u float8 := 1.0 / (1.0 + 0.2316419 * z);
	p float8 := 0;
BEGIN
	IF z < 37 THEN				-- exp() raises underflow beyond
		p := 0.3989422804014327 * exp(-0.5 * z * z) * u * (0.319381530 + u * (-0.356563782
			 + u * (1.781477937 + u * (-1.821255978 + u * 1.330274429))));
	END IF;
	IF x >= 0 THEN
		RETURN 1.0 - p;
	END IF;
	RETURN p;
END $$;

CREATE FUNCTION bench_margin.black76(kind text, f float8, k float8, t float8,
	r float8, sigma float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	sd float8 := sigma * sqrt(t);
	d1 float8;
	d2 float8;
BEGIN
	IF f <= 0 THEN
		f := 0;
	END IF;
	IF sd = 0 OR f = 0 OR k = 0 THEN
		IF kind = 'call' THEN
			RETURN exp(-r * t) * greatest(f - k, 0);
		END IF;
		RETURN exp(-r * t) * greatest(k - f, 0);
	END IF;
	d1 := (ln(f / k) + 0.5 * sd * sd) / sd;
	d2 := d1 - sd;
	IF kind = 'call' THEN
		RETURN exp(-r * t) * (f * bench_margin.ncdf(d1) - k * bench_margin.ncdf(d2));
	END IF;
	RETURN exp(-r * t) * (k * bench_margin.ncdf(-d2) - f * bench_margin.ncdf(-d1));
END $$;

CREATE FUNCTION bench_margin.span_risk_array(kind text, f float8, k float8,
	t float8, r float8, sigma float8, price_scan float8, vol_scan float8,
	multiplier float8, extreme_multiple float8 DEFAULT 3,
	cover_fraction float8 DEFAULT 0.35) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	moves float8[] := ARRAY[0, 1.0 / 3, -1.0 / 3, 2.0 / 3, -2.0 / 3, 1, -1];
	base float8 := bench_margin.black76(kind, f, k, t, r, sigma);
	out float8[] := '{}';
	m float8;
BEGIN
	FOREACH m IN ARRAY moves LOOP
		out := out || (base - bench_margin.black76(kind, f + m * price_scan, k, t, r,
												   sigma + vol_scan)) * multiplier;
		out := out || (base - bench_margin.black76(kind, f + m * price_scan, k, t, r,
												   greatest(sigma - vol_scan, 0))) * multiplier;
	END LOOP;
	out := out || (base - bench_margin.black76(kind, f + extreme_multiple * price_scan, k, t, r,
											   sigma)) * multiplier * cover_fraction;
	out := out || (base - bench_margin.black76(kind, f - extreme_multiple * price_scan, k, t, r,
											   sigma)) * multiplier * cover_fraction;
	RETURN out;
END $$;
