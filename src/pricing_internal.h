/*-------------------------------------------------------------------------
 *
 * pricing_internal.h
 *		Definitions shared by the pure pricing files (pricing_normal.c,
 *		pricing_european.c, pricing_iv.c, pricing_american.c), never by
 *		the fmgr layer: constants, Cody's rational approximations of erf and
 *		erfcx as always-inline functions (the per-row cost of bsm_price), and
 *		the normalised Black helpers the implied volatility reuses.
 *
 * Like the files that include it, this header is free of PostgreSQL
 * headers (it defines its own Max and Min), so the pure files link into the
 * stand-alone test driver (test/pricing_driver.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_INTERNAL_H
#define PRICING_INTERNAL_H

#include <math.h>

#include "pricing_core.h"

#define PRICING_SQRT2		1.41421356237309504880
#define PRICING_INV_SQRT2	0.70710678118654752440
#define PRICING_INV_SQRT2PI 0.39894228040143267794
#define PRICING_SQRT2PI		2.50662827463100050242
#define PRICING_PI			3.14159265358979323846

/* Hot helpers are forced inline (pg_attribute_always_inline, without c.h). */
#if defined(__GNUC__)
#define PRICING_INLINE __attribute__((always_inline)) inline
#else
#define PRICING_INLINE inline
#endif

#define Max(a, b) ((a) > (b) ? (a) : (b))
#define Min(a, b) ((a) < (b) ? (a) : (b))

/* ---------------------------------------------------------------------
 * W. J. Cody's rational Chebyshev approximations (netlib specfun CALERF)
 * --------------------------------------------------------------------- */

/* Cody's coefficients (netlib specfun CALERF). */
static const double cody_a[5] = {3.16112374387056560e00, 1.13864154151050156e02,
3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1};
static const double cody_b[4] = {2.36012909523441209e01, 2.44024637934444173e02,
1.28261652607737228e03, 2.84423683343917062e03};
static const double cody_c[9] = {5.64188496988670089e-1, 8.88314979438837594e00,
	6.61191906371416295e01, 2.98635138197400131e02,
	8.81952221241769090e02, 1.71204761263407058e03,
	2.05107837782607147e03, 1.23033935479799725e03,
2.15311535474403846e-8};
static const double cody_d[8] = {1.57449261107098347e01, 1.17693950891312499e02,
	5.37181101862009858e02, 1.62138957456669019e03,
	3.29079923573345963e03, 4.36261909014324716e03,
3.43936767414372164e03, 1.23033935480374942e03};
static const double cody_p[6] = {3.05326634961232344e-1, 3.60344899949804439e-1,
	1.25781726111229246e-1, 1.60837851487422766e-2,
6.58749161529837803e-4, 1.63153871373020978e-2};
static const double cody_q[5] = {2.56852019228982242e00, 1.87295284992346047e00,
	5.27905102951428412e-1, 6.05183413124413191e-2,
2.33520497626869185e-3};

#define CODY_THRESH		0.46875
#define CODY_SQRPI		5.6418958354775628695e-1
#define CODY_XBIG		26.543
#define CODY_XHUGE		6.71e7
#define CODY_XMAX		2.53e307

/*
 * Cody's first and second rationals as expressions, for a double or for a
 * GCC/Clang vector of doubles (pricing_american.c evaluates two lanes at
 * once with them): the same operations in the same order either way.
 *
 * CODY_ERF_SMALL(x, ysq): erf(x) for |x| <= 0.46875, ysq = x^2 (0 below
 * 1.11e-16), Horner's scheme unrolled.
 */
#define CODY_ERF_SMALL(x, ysq) \
	((x) * (((((cody_a[4] * (ysq) + cody_a[0]) * (ysq) + cody_a[1]) * (ysq) + \
			  cody_a[2]) * (ysq)) + cody_a[3]) / \
	 (((((ysq) + cody_b[0]) * (ysq) + cody_b[1]) * (ysq) + cody_b[2]) * (ysq) + \
	  cody_b[3]))

/*
 * CODY_ERFCX_MID(y, y2, y4): erfcx(y) for 0.46875 < y <= 4, y2 = y^2,
 * y4 = y^4: the degree-8 rational by Estrin's scheme rather than Horner's,
 * the same polynomials with a third of the latency (the terms are all
 * positive for y > 0, so the order of the additions does not matter for
 * accuracy).
 */
#define CODY_ERFCX_MID(y, y2, y4) \
	((((cody_c[7] + cody_c[6] * (y)) + (cody_c[5] + cody_c[4] * (y)) * (y2)) + \
	  ((cody_c[3] + cody_c[2] * (y)) + (cody_c[1] + cody_c[0] * (y)) * (y2)) * (y4) + \
	  cody_c[8] * ((y4) * (y4))) / \
	 (((cody_d[7] + cody_d[6] * (y)) + (cody_d[5] + cody_d[4] * (y)) * (y2)) + \
	  ((cody_d[3] + cody_d[2] * (y)) + (cody_d[1] + cody_d[0] * (y)) * (y2)) * (y4) + \
	  (y4) * (y4)))

/* erf(x) for |x| <= 0.46875: Cody's first rational, no exponential. */
static PRICING_INLINE double
cody_erf_small(double x)
{
	double		ysq = fabs(x) > 1.11e-16 ? x * x : 0.0;

	return CODY_ERF_SMALL(x, ysq);
}

/*
 * Cody's third rational R(y) for y > 4, in erfcx(y) = (1/sqrt(pi) - R)/y.
 */
static PRICING_INLINE double
cody_erfcx_tail(double y)
{
	double		ysq = 1.0 / (y * y),
				xnum = cody_p[5] * ysq,
				xden = ysq;
	int			i;

	for (i = 0; i < 4; i++)
	{
		xnum = (xnum + cody_p[i]) * ysq;
		xden = (xden + cody_q[i]) * ysq;
	}
	return ysq * (xnum + cody_p[4]) / (xden + cody_q[4]);
}

/*
 * erfcx(y) = exp(y^2) erfc(y) for y > 0.46875: Cody's second and third
 * rationals, no exponential.
 */
static PRICING_INLINE double
cody_erfcx_large(double y)
{
	if (y <= 4.0)
	{
		double		y2 = y * y,
					y4 = y2 * y2;

		return CODY_ERFCX_MID(y, y2, y4);
	}
	if (y >= CODY_XBIG)
	{
		if (y >= CODY_XMAX)
			return 0.0;
		if (y >= CODY_XHUGE)
			return CODY_SQRPI / y;
	}
	return (CODY_SQRPI - cody_erfcx_tail(y)) / y;
}

/* ---------------------------------------------------------------------
 * Shared between the pure files
 * --------------------------------------------------------------------- */

/* pricing_normal.c */
extern double pricing_norm_inv_rough(double p);
extern double pricing_norm_inv(double p);

/* pricing_european.c: normalised Black for the implied volatility */
extern double pricing_black_otm_ee(double x, double s, double ex2, double *ee);
extern double pricing_black_otm_complement(double x, double s, double ex2,
										   double *ee);
extern double pricing_log_moneyness(double f, double k);
extern double pricing_bsm_log_moneyness(double s, double k, double t,
										double r, double q);
extern double pricing_bsm_intrinsic(int theta, double f, double k, double x,
									double r, double q);
extern double pricing_bachelier_psi(double u);

/* pricing_iv.c: the lower bound's tolerance, for the American function */
extern int	pricing_iv_at_lower_bound(double price, double lower);

#endif							/* PRICING_INTERNAL_H */
