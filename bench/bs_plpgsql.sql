-- PL/pgSQL Black-Scholes-Merton baseline for bench/pricing.sql: the same
-- formula a user would write without the extension (Phi from the built-in
-- erf is not available in PostgreSQL 15, so an Abramowitz-Stegun 26.2.17
-- polynomial is used, as such hand-written functions usually do).
CREATE FUNCTION pg_temp.bs_plpgsql(kind text, s float8, k float8, t float8,
	r float8, q float8, sigma float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	sd float8 := sigma * sqrt(t);
	d1 float8 := (ln(s / k) + (r - q + 0.5 * sigma * sigma) * t) / sd;
	d2 float8 := d1 - sd;
BEGIN
	IF kind = 'call' THEN
		RETURN s * exp(-q * t) * pg_temp.bs_ncdf(d1) - k * exp(-r * t) * pg_temp.bs_ncdf(d2);
	END IF;
	RETURN k * exp(-r * t) * pg_temp.bs_ncdf(-d2) - s * exp(-q * t) * pg_temp.bs_ncdf(-d1);
END $$;

CREATE FUNCTION pg_temp.bs_ncdf(x float8) RETURNS float8
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
