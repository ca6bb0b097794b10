/*-------------------------------------------------------------------------
 *
 * pricing_normal.c
 *		The normal distribution for the pricing code: erf, erfc, erfcx, the
 *		cumulative distribution and density, and inverse-normal initial
 *		guesses.
 *
 * Portability.  Prices end up in hashed and signed rows, so they must be the
 * same on every build.  The normal distribution is therefore computed here
 * from W. J. Cody's rational Chebyshev approximations of erf, erfc and erfcx
 * ("Rational Chebyshev approximations for the error function", Math. Comp.
 * 23, 1969, pp. 631-638; coefficients as in netlib specfun/erf), not with
 * libm's erf/erfc.  The rationals themselves are in pricing_internal.h, so
 * that the normalised Black of pricing_european.c inlines them.
 *
 * Nothing here allocates memory or keeps state.  (The bivariate normal of
 * bjs2002 is Genz's algorithm tabulated for its one correlation, in
 * pricing_american.c; the general routine was used by nothing else and is
 * gone.)
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
