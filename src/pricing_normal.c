/*-------------------------------------------------------------------------
 *
 * pricing_normal.c
 *		The normal distribution for the pricing code: erf, erfc, erfcx, the
 *		cumulative distribution and density, inverse-normal initial guesses
 *		and the bivariate normal distribution.
 *
 * Portability.  Prices end up in hashed and signed rows, so they must be the
 * same on every build.  The normal distribution is therefore computed here
 * from W. J. Cody's rational Chebyshev approximations of erf, erfc and erfcx
 * ("Rational Chebyshev approximations for the error function", Math. Comp.
 * 23, 1969, pp. 631-638; coefficients as in netlib specfun/erf), not with
 * libm's erf/erfc.  The rationals themselves are in pricing_internal.h, so
 * that the normalised Black of pricing_european.c inlines them.
 *
 * Nothing here allocates memory or keeps state except the Gauss-Legendre
 * table of the bivariate normal, filled once per process (idempotent: two
 * threads filling it would write the same values).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "pricing_internal.h"

/* Truncate towards zero, as Fortran AINT. */
static double
cody_aint(double x)
{
	return x >= 0 ? floor(x) : -floor(-x);
}

/* exp(-y^2) for y >= 0, with y^2 split so that its rounding does not count. */
static PRICING_INLINE double
cody_exp_msq(double y)
{
	double		ysq = cody_aint(y * 16.0) / 16.0;
	double		del = (y - ysq) * (y + ysq);

	return exp(-ysq * ysq) * exp(-del);
}

/*
 * Cody's CALERF: jint 0 gives erf(x), 1 erfc(x), 2 erfcx(x) = exp(x^2) erfc(x).
 */
static double
cody_calerf(double x, int jint)
{
	const double xinf = DBL_MAX;
	const double xneg = -26.628;
	double		y,
				ysq,
				del,
				result;

	y = fabs(x);
	if (y <= CODY_THRESH)
	{
		result = cody_erf_small(x);
		if (jint != 0)
			result = 1.0 - result;
		if (jint == 2)
			result = exp(y > 1.11e-16 ? y * y : 0.0) * result;
		return result;
	}
	if (y >= CODY_XBIG && jint != 2)
		result = 0.0;
	else
	{
		result = cody_erfcx_large(y);
		if (jint != 2)
			result = cody_exp_msq(y) * result;
	}

	if (jint == 0)
	{
		result = (0.5 - result) + 0.5;
		if (x < 0)
			result = -result;
	}
	else if (jint == 1)
	{
		if (x < 0)
			result = 2.0 - result;
	}
	else if (x < 0)
	{
		if (x < xneg)
			result = xinf;
		else
		{
			ysq = cody_aint(x * 16.0) / 16.0;
			del = (x - ysq) * (x + ysq);
			y = exp(ysq * ysq) * exp(del);
			result = (y + y) - result;
		}
	}
	return result;
}

/* Complementary error function. */
double
pricing_erfc(double x)
{
	return cody_calerf(x, 1);
}

/* Scaled complementary error function exp(x^2) erfc(x). */
double
pricing_erfcx(double x)
{
	return cody_calerf(x, 2);
}

/* Standard normal cumulative distribution function. */
double
pricing_norm_cdf(double z)
{
	return 0.5 * cody_calerf(-z * PRICING_INV_SQRT2, 1);
}

/* Standard normal density. */
double
pricing_norm_pdf(double z)
{
	return PRICING_INV_SQRT2PI * exp(-0.5 * z * z);
}

/*
 * Rough inverse normal CDF for p in (0, 0.5] (Abramowitz & Stegun 26.2.23,
 * absolute error < 4.5e-4); only used for initial guesses.
 */
double
pricing_norm_inv_rough(double p)
{
	double		t;

	if (p >= 0.5)
		return 0.0;
	t = sqrt(-2.0 * log(p));
	return -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
			 (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
}

/*
 * Inverse standard normal CDF for 0 < p < 1: P. J. Acklam's rational
 * approximations (relative error below 1.2e-9).  Only initial guesses use it.
 */
double
pricing_norm_inv(double p)
{
	static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02,
	-3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01,
	-1.328068155288572e+01};
	static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00,
	4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00};
	double		q,
				r;

	if (p > 0.5)
		return -pricing_norm_inv(1.0 - p);
	if (p < 0.02425)
	{
		q = sqrt(-2.0 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}


/* Gauss-Legendre half-tables for 6, 12 and 20 points (filled once). */
static double gl_x[3][10];
static double gl_w[3][10];
static int	gl_ready = 0;

/* Compute Gauss-Legendre nodes and weights by Newton on P_n. */
static void
gl_init(void)
{
	static const int npts[3] = {6, 12, 20};
	int			j;

	for (j = 0; j < 3; j++)
	{
		int			n = npts[j];
		int			i;

		for (i = 0; i < n / 2; i++)
		{
			double		z = cos(PRICING_PI * (i + 0.75) / (n + 0.5));
			double		pp = 0.0;
			int			it;

			for (it = 0; it < 100; it++)
			{
				double		p1 = 1.0,
							p2 = 0.0,
							z1;
				int			m;

				for (m = 1; m <= n; m++)
				{
					double		p3 = p2;

					p2 = p1;
					p1 = ((2.0 * m - 1.0) * z * p2 - (m - 1.0) * p3) / m;
				}
				pp = n * (z * p1 - p2) / (z * z - 1.0);
				z1 = z;
				z = z1 - p1 / pp;
				if (fabs(z - z1) <= 1e-16)
					break;
			}
			gl_x[j][i] = -z;
			gl_w[j][i] = 2.0 / ((1.0 - z * z) * pp * pp);
		}
	}
	gl_ready = 1;
}

/*
 * P(X > dh, Y > dk) for a standard bivariate normal with correlation r:
 * A. Genz, "Numerical computation of rectangular bivariate and trivariate
 * normal and t probabilities", Statistics and Computing 14 (2004), after
 * Drezner and Wesolowsky (1990).
 */
static double
bvn_upper(double dh, double dk, double r)
{
	int			ng,
				lg,
				i;
	double		h = dh,
				k = dk,
				hk = dh * dk,
				bvn = 0.0;

	if (!gl_ready)
		gl_init();
	if (fabs(r) < 0.3)
	{
		ng = 0;
		lg = 3;
	}
	else if (fabs(r) < 0.75)
	{
		ng = 1;
		lg = 6;
	}
	else
	{
		ng = 2;
		lg = 10;
	}

	if (fabs(r) < 0.925)
	{
		double		hs = (h * h + k * k) / 2.0;
		double		asr = asin(r);

		for (i = 0; i < lg; i++)
		{
			double		sn = sin(asr * (1.0 + gl_x[ng][i]) / 2.0);

			bvn += gl_w[ng][i] * exp((sn * hk - hs) / (1.0 - sn * sn));
			sn = sin(asr * (1.0 - gl_x[ng][i]) / 2.0);
			bvn += gl_w[ng][i] * exp((sn * hk - hs) / (1.0 - sn * sn));
		}
		bvn = bvn * asr / (4.0 * PRICING_PI) +
			pricing_norm_cdf(-h) * pricing_norm_cdf(-k);
	}
	else
	{
		if (r < 0)
		{
			k = -k;
			hk = -hk;
		}
		if (fabs(r) < 1.0)
		{
			double		as = (1.0 - r) * (1.0 + r);
			double		a = sqrt(as);
			double		bs = (h - k) * (h - k);
			double		c = (4.0 - hk) / 8.0;
			double		d = (12.0 - hk) / 16.0;
			double		asr = -(bs / as + hk) / 2.0;

			if (asr > -100.0)
				bvn = a * exp(asr) * (1.0 - c * (bs - as) * (1.0 - d * bs / 5.0) / 3.0 +
									  c * d * as * as / 5.0);
			if (hk > -100.0)
			{
				double		bb = sqrt(bs);
				double		sp = PRICING_SQRT2PI * pricing_norm_cdf(-bb / a);

				bvn -= exp(-hk / 2.0) * sp * bb *
					(1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
			}
			a = a / 2.0;
			for (i = 0; i < lg; i++)
			{
				int			is;

				for (is = -1; is <= 1; is += 2)
				{
					double		xs = a * (is * gl_x[ng][i] + 1.0);
					double		rs;

					xs = xs * xs;
					rs = sqrt(1.0 - xs);
					asr = -(bs / xs + hk) / 2.0;
					if (asr > -100.0)
					{
						double		sp = 1.0 + c * xs * (1.0 + d * xs);
						double		ep = exp(-hk * xs / (2.0 * (1.0 + rs) * (1.0 + rs))) / rs;

						bvn += a * gl_w[ng][i] * exp(asr) * (ep - sp);
					}
				}
			}
			bvn = -bvn / (2.0 * PRICING_PI);
		}
		if (r > 0)
			bvn += pricing_norm_cdf(-Max(h, k));
		else if (h >= k)
			bvn = -bvn;
		else
		{
			double		l;

			if (h < 0)
				l = pricing_norm_cdf(k) - pricing_norm_cdf(h);
			else
				l = pricing_norm_cdf(-h) - pricing_norm_cdf(-k);
			bvn = l - bvn;
		}
	}
	return Max(0.0, Min(1.0, bvn));
}

/* P(X < a, Y < b) for a standard bivariate normal with correlation rho. */
double
pricing_bivariate_norm_cdf(double a, double b, double rho)
{
	return bvn_upper(-a, -b, rho);
}
