/*-------------------------------------------------------------------------
 *
 * pricing_core.c
 *		Option-pricing numerics: normal distribution, Black-Scholes-Merton,
 *		Black-76, Bachelier, Greeks, implied volatility, American options.
 *
 * Portability.  Prices end up in hashed and signed rows, so they must be the
 * same on every build.  The normal distribution is therefore computed here
 * from W. J. Cody's rational Chebyshev approximations of erf, erfc and erfcx
 * ("Rational Chebyshev approximations for the error function", Math. Comp.
 * 23, 1969, pp. 631-638; coefficients as in netlib specfun/erf), not with
 * libm's erf/erfc.  The remaining libm calls are exp, expm1, log and sqrt
 * (sqrt is exactly rounded by IEEE 754; glibc's exp, expm1 and log are
 * correctly rounded in practice), cbrt in an initial guess and, only in the
 * American methods, pow, sin and asin.
 *
 * Black prices are evaluated in Jaeckel's normalised form: with
 * x = ln(F/K) and s = sigma*sqrt(T) an out-of-the-money call is
 *
 *		b(x,s) = exp(x/2) Phi(x/s + s/2) - exp(-x/2) Phi(x/s - s/2)
 *
 * and undiscounted price = sqrt(F) sqrt(K) b; in-the-money options are the
 * intrinsic value plus the out-of-the-money time value (put-call duality),
 * so no large terms are ever subtracted.  Each Phi term is taken either as
 * E erfcx(q) or as exp(+-x/2) (1 -+ erf(q)), both pure rationals, sharing
 * one exponential E ("Let's Be Rational", section 3); series take over deep
 * out of the money and for small s away from the money, where the two terms
 * nearly cancel (black_otm_core).  This is the per-row cost of
 * ledger.bsm_price, so the hot helpers are forced inline.
 *
 * Implied Black volatility: "Let's Be Rational" (P. Jaeckel, Wilmott 2015),
 * written from the paper: a rational cubic initial guess in four branches
 * and Householder steps of order 3, about two per call, with the former
 * safeguarded Halley iteration as a fallback (black_implied_total_vol_lbr).
 * See docs/pricing.md for the measured accuracy.
 *
 * Nothing here allocates memory or keeps state except the Gauss-Legendre
 * table of the bivariate normal, filled once per process.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

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
 * Normal distribution
 * --------------------------------------------------------------------- */

/* Truncate towards zero, as Fortran AINT. */
static double
cody_aint(double x)
{
	return x >= 0 ? floor(x) : -floor(-x);
}

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

/* erf(x) for |x| <= 0.46875: Cody's first rational, no exponential. */
static PRICING_INLINE double
cody_erf_small(double x)
{
	double		ysq = fabs(x) > 1.11e-16 ? x * x : 0.0;
	double		xnum = cody_a[4] * ysq,
				xden = ysq;
	int			i;

	for (i = 0; i < 3; i++)
	{
		xnum = (xnum + cody_a[i]) * ysq;
		xden = (xden + cody_b[i]) * ysq;
	}
	return x * (xnum + cody_a[3]) / (xden + cody_b[3]);
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
	double		xnum,
				xden;

	if (y <= 4.0)
	{
		/*
		 * Cody's degree-8 rational, evaluated by Estrin's scheme rather than
		 * Horner's: the same polynomials with a third of the latency (the
		 * terms are all positive for y > 0, so the order of the additions
		 * does not matter for accuracy).
		 */
		double		y2 = y * y,
					y4 = y2 * y2;

		xnum = ((cody_c[7] + cody_c[6] * y) + (cody_c[5] + cody_c[4] * y) * y2) +
			((cody_c[3] + cody_c[2] * y) + (cody_c[1] + cody_c[0] * y) * y2) * y4 +
			cody_c[8] * (y4 * y4);
		xden = ((cody_d[7] + cody_d[6] * y) + (cody_d[5] + cody_d[4] * y) * y2) +
			((cody_d[3] + cody_d[2] * y) + (cody_d[1] + cody_d[0] * y) * y2) * y4 +
			y4 * y4;
		return xnum / xden;
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
static double
norm_inv_rough(double p)
{
	double		t;

	if (p >= 0.5)
		return 0.0;
	t = sqrt(-2.0 * log(p));
	return -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
			 (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
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

/* ---------------------------------------------------------------------
 * Normalised Black
 * --------------------------------------------------------------------- */

/*
 * Y(h+t) - Y(h-t) with Y(z) = Phi(z)/phi(z), for h + t <= -13, from the
 * asymptotic series Y(z) = -sum (-1)^n (2n-1)!! z^-(2n+1) (Abramowitz and
 * Stegun 26.2.12).  Differences D_m = a^-m - b^-m of the powers are built by
 * a recurrence whose terms share one sign, so the small difference of the
 * two nearly equal Y values never cancels (the erfcx form loses about
 * log10(|h|/t) digits here).
 */
static double
black_asymptotic_ydiff(double h, double t)
{
	double		a = h + t,
				b = h - t,
				ia2 = 1.0 / (a * a),
				ib2 = 1.0 / (b * b),
				d2 = -4.0 * t * h * ia2 * ib2,	/* a^-2 - b^-2 */
				dm = -2.0 * t / (a * b),	/* D_1 */
				bm = 1.0 / b,	/* b^-m */
				coef = 1.0,		/* (2n-1)!! */
				sum = 0.0;
	int			n;

	for (n = 0; n < 60; n++)
	{
		double		term = coef * dm;

		if (n & 1)
			sum += term;
		else
			sum -= term;
		if (fabs(term) <= 1e-17 * fabs(sum))
			break;
		/* D_{m+2} = a^-2 D_m + b^-m (a^-2 - b^-2), m = 2n+1 */
		dm = ia2 * dm + bm * d2;
		bm *= ib2;
		coef *= 2.0 * n + 1.0;
	}
	return sum;
}

/*
 * Y(h+t) - Y(h-t) with Y(z) = Phi(z)/phi(z), for h < 0 and small t, from
 * the Taylor series 2 sum Y^(n)(h) t^n/n! over odd n.  The derivatives
 * follow from Y' = 1 + hY by Y^(n) = (n-1) Y^(n-2) + h Y^(n-1); the first,
 * a = 1 + hY = 1 - sqrt(pi) y erfcx(y) with y = -h/sqrt(2), is taken from
 * Cody's tail rational for y > 4, where it is sqrt(pi) R(y) without
 * cancellation.  (The expansion of "Let's Be Rational", section 3.1, in
 * another arrangement.)  The erfcx difference it replaces loses about
 * log10(|h|/t) digits.
 */
static double
black_small_t_ydiff(double h, double t)
{
	double		y = -h * PRICING_INV_SQRT2,
				m0,
				m1,
				t2 = t * t,
				f = t,
				sum;
	int			n;

	if (y > 4.0)
	{
		m1 = 1.7724538509055160273 * cody_erfcx_tail(y);	/* sqrt(pi) R */
		m0 = 1.2533141373155002512 * (CODY_SQRPI - cody_erfcx_tail(y)) / y;
	}
	else
	{
		double		ex = y > CODY_THRESH ? cody_erfcx_large(y) : cody_calerf(y, 2);

		m0 = 1.2533141373155002512 * ex;	/* sqrt(pi/2) erfcx(y) */
		m1 = 1.0 - 1.7724538509055160273 * y * ex;
	}
	sum = m1 * t;
	for (n = 2; n < 40; n++)
	{
		double		m2 = (n - 1) * m0 + h * m1;

		m0 = m1;
		m1 = m2;
		if (n & 1)
		{
			double		term;

			f *= t2 / ((n - 1) * n);
			term = m1 * f;
			sum += term;
			if (fabs(term) <= 1e-17 * fabs(sum))
				break;
		}
	}
	return 2.0 * sum;
}

/*
 * Normalised out-of-the-money call b(x, s) for x <= 0, s > 0, the way
 * "Let's Be Rational" (section 3) uses Cody's functions.  With h = x/s,
 * t = s/2, q1 = -(h+t)/sqrt(2), q2 = (t-h)/sqrt(2) > 0 and
 * E = exp(-(h^2+t^2)/2) = exp(x/2) exp(-q1^2) = exp(-x/2) exp(-q2^2),
 *
 *		2b = exp(x/2) erfc(q1) - exp(-x/2) erfc(q2),
 *
 * and each term is taken as E erfcx(q) (a pure rational for q > 0.46875) or
 * exp(+-x/2) (1 -+ erf(q)) (a pure rational for |q| <= 0.46875), so one
 * exponential E, and exp(x/2) where needed, serve both terms.  Near the money
 * with a short expiry (q2 <= 0.46875) the two terms are close to each other;
 * there 2b = exp(x/2) erf(-q1) + exp(-x/2) erf(q2) + 2 sinh(x/2) with the
 * sinh from expm1, so nothing cancels.  Deep out of the money
 * (h + t <= -13) the asymptotic series applies.
 *
 * ex2 is exp(x/2) when the caller has it (it does not depend on s), else
 * negative.  When ee is not NULL it receives E (the vega is E/sqrt(2 pi)).
 */
static PRICING_INLINE double
black_otm_core(double x, double s, double ex2, double *ee)
{
	double		h = x / s,
				t = 0.5 * s,
				q1 = -(h + t) * PRICING_INV_SQRT2,
				q2 = (t - h) * PRICING_INV_SQRT2,
				e = 0.0,
				b;
	int			series;

	/* small t, not at the money: the Taylor series (see above) */
	series = t < 0.21 && -h > 16.0 * t;
	if (ee != NULL || series || q2 > CODY_THRESH)
		e = exp(-0.5 * (h * h + t * t));
	if (ee != NULL)
		*ee = e;
	if (h + t <= -13.0)
		b = PRICING_INV_SQRT2PI * e * black_asymptotic_ydiff(h, t);
	else if (series)
		b = PRICING_INV_SQRT2PI * e * black_small_t_ydiff(h, t);
	else if (q2 <= CODY_THRESH)
	{
		double		em = expm1(0.5 * x),
					ep = 1.0 + em;

		/* exp(x/2) - exp(-x/2) = em (2 + em) / (1 + em) */
		b = 0.5 * (ep * cody_erf_small(-q1) + cody_erf_small(q2) / ep +
				   em * (2.0 + em) / ep);
	}
	else if (q1 > CODY_THRESH)
		b = 0.5 * e * (cody_erfcx_large(q1) - cody_erfcx_large(q2));
	else
	{
		if (ex2 < 0.0)
			ex2 = exp(0.5 * x);
		if (q1 >= -CODY_THRESH)
			b = 0.5 * (ex2 * (1.0 - cody_erf_small(q1)) -
					   e * cody_erfcx_large(q2));
		else
			b = ex2 - 0.5 * e * (cody_erfcx_large(-q1) +
								 cody_erfcx_large(q2));
	}
	return Max(b, 0.0);
}

/* Normalised out-of-the-money call b(x, s), x <= 0, s >= 0. */
static double
black_otm(double x, double s)
{
	if (s <= 0.0)
		return 0.0;
	return black_otm_core(x, s, -1.0, NULL);
}

/*
 * b_max - b(x, s) for x <= 0, s > 0, computed without subtraction:
 * 2 (b_max - b) = exp(x/2) erfc(-q1) + exp(-x/2) erfc(q2), each term as in
 * black_otm_core.  ex2 = exp(x/2); *ee receives E.
 */
static PRICING_INLINE double
black_otm_complement_core(double x, double s, double ex2, double *ee)
{
	double		h = x / s,
				t = 0.5 * s,
				q1 = -(h + t) * PRICING_INV_SQRT2,
				q2 = (t - h) * PRICING_INV_SQRT2,
				e = exp(-0.5 * (h * h + t * t)),
				c1,
				c2;

	*ee = e;
	if (-q1 > CODY_THRESH)
		c1 = e * cody_erfcx_large(-q1);
	else if (-q1 >= -CODY_THRESH)
		c1 = ex2 * (1.0 - cody_erf_small(-q1));
	else
		c1 = 2.0 * ex2 - e * cody_erfcx_large(q1);
	if (q2 > CODY_THRESH)
		c2 = e * cody_erfcx_large(q2);
	else
		c2 = (1.0 - cody_erf_small(q2)) / ex2;
	return 0.5 * (c1 + c2);
}

/* ln(F/K) without overflow. */
static double
log_moneyness(double f, double k)
{
	double		ratio = f / k;

	if (ratio > 0.0 && ratio < DBL_MAX && ratio > DBL_MIN)
		return log(ratio);
	return log(f) - log(k);
}

/*
 * Undiscounted Black price for forward f, strike k, x = ln(f/k), total
 * volatility s: the intrinsic value plus sqrt(f k) b(-|x|, s).  Degenerate
 * inputs (f or k zero, s zero) give the intrinsic value.  The callers form
 * x exactly as the implied volatilities do, so that price -> vol -> price
 * round trips see the same moneyness to the last bit; BSM forms it as
 * ln(s/k) + (r - q) t, which keeps the exponential of the forward off the
 * path to the normalised price.
 */
static PRICING_INLINE double
black_price_fkx(int theta, double f, double k, double x, double s)
{
	double		intrinsic = Max(theta * (f - k), 0.0);
	double		v;

	if (!(f > 0.0) || !(k > 0.0) || !(s > 0.0))
		return intrinsic;
	v = intrinsic + sqrt(f) * sqrt(k) * black_otm_core(-fabs(x), s, -1.0, NULL);
	/* a call is worth at most the forward, a put at most the strike */
	return Min(v, theta > 0 ? f : k);
}

/* ln(F/K) of a BSM forward F = s exp((r - q) t), as ln(s/k) + (r - q) t. */
static PRICING_INLINE double
bsm_log_moneyness(double s, double k, double t, double r, double q)
{
	return log_moneyness(s, k) + (r - q) * t;
}

/* Undiscounted Black price for forward f > 0, strike k > 0, total vol s. */
double
pricing_black_undiscounted(int theta, double f, double k, double s)
{
	if (!(f > 0.0) || !(k > 0.0))
		return Max(theta * (f - k), 0.0);
	return black_price_fkx(theta, f, k, log_moneyness(f, k), s);
}

/* ---------------------------------------------------------------------
 * European prices and Greeks
 * --------------------------------------------------------------------- */

/* Generalized Black-Scholes-Merton price (continuous dividend yield q). */
double
pricing_bsm_price(int theta, double s, double k, double t, double r,
				  double q, double sigma)
{
	double		f,
				df;

	if (t <= 0.0)
		return Max(theta * (s - k), 0.0);
	/* exp(0) is 1: skip the calls for r = q and r = 0 */
	f = r == q ? s : s * exp((r - q) * t);
	df = r == 0.0 ? 1.0 : exp(-r * t);
	if (!(s > 0.0) || !(k > 0.0) || !(f > 0.0))
		return df * Max(theta * (f - k), 0.0);
	return df * black_price_fkx(theta, f, k, bsm_log_moneyness(s, k, t, r, q),
								sigma * sqrt(t));
}

/* Black-76 price of an option on a forward or future. */
double
pricing_black76_price(int theta, double f, double k, double t, double r,
					  double sigma)
{
	if (t <= 0.0)
		return Max(theta * (f - k), 0.0);
	return exp(-r * t) * pricing_black_undiscounted(theta, f, k, sigma * sqrt(t));
}

/*
 * psi(u) = phi(u) - u Phi(-u), u >= 0: the Bachelier time value per unit of
 * normal total volatility.  For u > 3 the difference cancels, so we use the
 * continued fraction of the Mills ratio R(u) = Phi(-u)/phi(u) = 1/(u+e),
 * which gives psi = phi(u) e/(u+e).
 */
static double
bachelier_psi(double u)
{
	double		tail;
	int			n;

	if (u <= 3.0)
		return pricing_norm_pdf(u) - u * pricing_norm_cdf(-u);
	tail = u;
	for (n = 80; n >= 2; n--)
		tail = u + n / tail;
	tail = 1.0 / tail;
	return pricing_norm_pdf(u) * tail / (u + tail);
}

/* Bachelier (normal model) price. */
double
pricing_bachelier_price(int theta, double f, double k, double t, double r,
						double sigma)
{
	double		df,
				sd,
				intrinsic;

	intrinsic = Max(theta * (f - k), 0.0);
	if (t <= 0.0)
		return intrinsic;
	df = exp(-r * t);
	sd = sigma * sqrt(t);
	if (sd <= 0.0)
		return df * intrinsic;
	return df * (intrinsic + sd * bachelier_psi(fabs(f - k) / sd));
}

/*
 * Greeks of an option whose value is (discounted) intrinsic: sigma = 0 or
 * t = 0 or a degenerate strike or spot.  price = max(theta*(a - c), 0) with
 * a = s exp(-q t), c = k exp(-r t); exactly at the money the option is
 * treated as out of the money.
 */
static void
greeks_intrinsic(int theta, double s, double k, double t, double r, double q,
				 PricingGreeks *g)
{
	double		a = s * exp(-q * t),
				c = k * exp(-r * t);

	g->price = Max(theta * (a - c), 0.0);
	g->delta = g->gamma = g->vega = g->theta = g->rho = 0.0;
	g->vanna = g->volga = 0.0;
	if (theta * (a - c) > 0.0)
	{
		g->delta = theta * exp(-q * t);
		g->theta = theta * (q * a - r * c);
		g->rho = theta * t * c;
	}
}

/* Generalized Black-Scholes-Merton Greeks. */
void
pricing_bsm_greeks(int theta, double s, double k, double t, double r,
				   double q, double sigma, PricingGreeks *g)
{
	double		sqt,
				sd,
				d1,
				d2,
				eq,
				er,
				nd1,
				pd1,
				pd2;

	if (t <= 0.0 || sigma <= 0.0 || s <= 0.0 || k <= 0.0)
	{
		greeks_intrinsic(theta, s, k, Max(t, 0.0), r, q, g);
		return;
	}
	sqt = sqrt(t);
	sd = sigma * sqt;
	d1 = (log_moneyness(s, k) + (r - q + 0.5 * sigma * sigma) * t) / sd;
	d2 = d1 - sd;
	eq = exp(-q * t);
	er = exp(-r * t);
	nd1 = pricing_norm_pdf(d1);
	pd1 = pricing_norm_cdf(theta * d1);
	pd2 = pricing_norm_cdf(theta * d2);

	g->price = pricing_bsm_price(theta, s, k, t, r, q, sigma);
	g->delta = theta * eq * pd1;
	g->gamma = eq * nd1 / (s * sd);
	g->vega = s * eq * nd1 * sqt;
	g->theta = -s * eq * nd1 * sigma / (2.0 * sqt)
		- theta * r * k * er * pd2 + theta * q * s * eq * pd1;
	g->rho = theta * k * t * er * pd2;
	g->vanna = -eq * nd1 * d2 / sigma;
	g->volga = g->vega * d1 * d2 / sigma;
}

/* Black-76 Greeks; delta and gamma are with respect to the forward. */
void
pricing_black76_greeks(int theta, double f, double k, double t, double r,
					   double sigma, PricingGreeks *g)
{
	double		sqt,
				sd,
				d1,
				d2,
				er,
				nd1;

	if (t <= 0.0 || sigma <= 0.0 || f <= 0.0 || k <= 0.0)
	{
		double		tt = Max(t, 0.0);

		greeks_intrinsic(theta, f, k, tt, r, r, g);
		/* r moves both legs of a futures option: rho = -t * price */
		g->rho = -tt * g->price + 0.0;	/* no negative zero */
		g->theta = r * g->price + 0.0;
		return;
	}
	sqt = sqrt(t);
	sd = sigma * sqt;
	d1 = (log_moneyness(f, k) + 0.5 * sigma * sigma * t) / sd;
	d2 = d1 - sd;
	er = exp(-r * t);
	nd1 = pricing_norm_pdf(d1);

	g->price = pricing_black76_price(theta, f, k, t, r, sigma);
	g->delta = theta * er * pricing_norm_cdf(theta * d1);
	g->gamma = er * nd1 / (f * sd);
	g->vega = f * er * nd1 * sqt;
	g->theta = -f * er * nd1 * sigma / (2.0 * sqt) + r * g->price;
	g->rho = -t * g->price;
	g->vanna = -er * nd1 * d2 / sigma;
	g->volga = g->vega * d1 * d2 / sigma;
}

/* Bachelier Greeks; sigma is the normal (absolute) volatility. */
void
pricing_bachelier_greeks(int theta, double f, double k, double t, double r,
						 double sigma, PricingGreeks *g)
{
	double		sqt,
				sd,
				d,
				er,
				nd;

	if (t <= 0.0 || sigma <= 0.0)
	{
		double		tt = Max(t, 0.0);

		er = exp(-r * tt);
		g->price = er * Max(theta * (f - k), 0.0);
		g->delta = theta * (f - k) > 0.0 ? theta * er : 0.0;
		g->gamma = g->vega = g->vanna = g->volga = 0.0;
		g->theta = r * g->price + 0.0;
		g->rho = -tt * g->price + 0.0;
		return;
	}
	sqt = sqrt(t);
	sd = sigma * sqt;
	d = (f - k) / sd;
	er = exp(-r * t);
	nd = pricing_norm_pdf(d);

	g->price = pricing_bachelier_price(theta, f, k, t, r, sigma);
	g->delta = theta * er * pricing_norm_cdf(theta * d);
	g->gamma = er * nd / sd;
	g->vega = er * sqt * nd;
	g->theta = -er * sigma * nd / (2.0 * sqt) + r * g->price;
	g->rho = -t * g->price;
	g->vanna = -er * nd * d / sigma;
	g->volga = g->vega * d * d / sigma;
}

/* ---------------------------------------------------------------------
 * Implied volatility
 * --------------------------------------------------------------------- */

/*
 * Total volatility s >= 0 with black_otm(x, s) = beta, for x <= 0 and
 * 0 < beta < exp(x/2): safeguarded Halley, the fallback of the "Let's Be
 * Rational" solver below when its iteration does not settle.
 */
static double
black_implied_total_vol_halley(double beta, double x)
{
	double		bmax = exp(0.5 * x);
	double		sc = sqrt(-2.0 * x);
	double		lo,
				hi,
				s,
				target;
	int			upper,
				usec,
				it;

	upper = (x == 0.0) || beta >= black_otm(x, sc);

	/*
	 * Objective ln(b_max - b) only where b is at least half of b_max: below
	 * that, b_max - b does not resolve b to its last bits (at the money with
	 * a tiny s, b_max - b is 1 - O(s)), and ln b is used on both sides.
	 */
	usec = upper && beta > 0.5 * bmax;
	if (upper)
	{
		double		cb = bmax - beta;
		double		p = cb / (bmax + 1.0 / bmax);

		lo = sc;
		hi = HUGE_VAL;
		target = usec ? log(cb) : log(beta);
		s = -2.0 * norm_inv_rough(p);
		if (!(s > sc))
			s = sc + 0.5 * (x == 0.0 ? 1.0 : sc);
	}
	else
	{
		double		lb = log(beta);

		lo = 0.0;
		hi = sc;
		target = lb;
		/* ln b ~ -x^2/(2 s^2) - s^2/8 + ln(s^3 / (x^2 sqrt(2 pi))) */
		s = -x / sqrt(-2.0 * lb);
		for (it = 0; it < 2; it++)
		{
			double		corr = log(s * s * s / (x * x) * PRICING_INV_SQRT2PI);

			if (lb - corr < 0.0)
				s = -x / sqrt(-2.0 * (lb - corr));
		}
		if (!(s > lo && s < hi))
			s = 0.5 * sc;
	}

	for (it = 0; it < 100; it++)
	{
		double		b,
					bp,
					bpp,
					f,
					f1,
					f2,
					nu,
					step,
					snew;
		double		hh = x / s,
					ee;

		if (usec)
		{
			double		c = black_otm_complement_core(x, s, bmax, &ee);

			bp = PRICING_INV_SQRT2PI * ee;
			bpp = bp * (hh * hh / s - s / 4.0);
			if (c <= 0.0)
			{
				hi = s;
				s = 0.5 * (lo + hi);
				continue;
			}
			f = log(c) - target;
			f1 = -bp / c;
			f2 = -bpp / c - f1 * f1;
			/* c decreases with s: f > 0 means s is too small */
			if (f > 0.0)
				lo = s;
			else
				hi = s;
		}
		else
		{
			b = black_otm_core(x, s, bmax, &ee);
			bp = PRICING_INV_SQRT2PI * ee;
			bpp = bp * (hh * hh / s - s / 4.0);
			if (b <= 0.0)
			{
				lo = s;
				s = 0.5 * (lo + hi);
				continue;
			}
			f = log(b) - target;
			f1 = bp / b;
			f2 = bpp / b - f1 * f1;
			if (f > 0.0)
				hi = s;
			else
				lo = s;
		}
		if (f == 0.0 || !(f1 != 0.0))
			break;
		nu = -f / f1;
		step = nu;
		if (1.0 + 0.5 * nu * f2 / f1 > 0.5)
			step = nu / (1.0 + 0.5 * nu * f2 / f1);
		snew = s + step;
		if (!(snew > lo && snew < hi))
		{
			snew = s + nu;
			if (!(snew > lo && snew < hi))
				snew = isinf(hi) ? 2.0 * Max(s, lo) + 1.0 : 0.5 * (lo + hi);
		}
		if (fabs(snew - s) <= 2.0 * DBL_EPSILON * s)
		{
			s = snew;
			break;
		}
		s = snew;
		if (hi - lo <= 2.0 * DBL_EPSILON * s)
			break;
	}
	return s;
}

/*
 * Inverse standard normal CDF for 0 < p < 1: P. J. Acklam's rational
 * approximations (relative error below 1.2e-9).  Only initial guesses use it.
 */
static double
norm_inv_acklam(double p)
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
		return -norm_inv_acklam(1.0 - p);
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

/*
 * Rational cubic interpolation (Delbourgo and Gregory 1985) between
 * (xl, yl) and (xr, yr) with slopes dl, dr and control parameter r
 * (r = 3 is the cubic Hermite interpolant).
 */
static double
rational_cubic(double x, double xl, double xr, double yl, double yr,
			   double dl, double dr, double r)
{
	double		h = xr - xl,
				t,
				omt;

	if (!(h > 0.0))
		return 0.5 * (yl + yr);
	t = (x - xl) / h;
	omt = 1.0 - t;
	return (yr * t * t * t + (r * yr - h * dr) * t * t * omt +
			(r * yl + h * dl) * t * omt * omt + yl * omt * omt * omt) /
		(1.0 + (r - 3.0) * t * omt);
}

/*
 * Control parameter of rational_cubic that reproduces the second derivative
 * d2 at the left (left != 0) or right end, raised to the smallest value that
 * keeps the interpolant monotone and convex or concave like its data.
 */
static double
rational_cubic_control(double xl, double xr, double yl, double yr,
					   double dl, double dr, double d2, int left)
{
	double		h = xr - xl,
				delta = (yr - yl) / h,
				r,
				rmin = 0.0;

	if (left)
		r = (0.5 * h * d2 + (dr - dl)) / (delta - dl);
	else
		r = (0.5 * h * d2 + (dr - dl)) / (dr - delta);
	/* monotonicity */
	if (delta != 0.0 && (dl + dr) / delta > rmin)
		rmin = (dl + dr) / delta;
	/* convexity (dl <= delta <= dr) or concavity (dl >= delta >= dr) */
	if ((dl < delta && delta < dr) || (dl > delta && delta > dr))
	{
		double		r1 = (dr - delta) / (delta - dl),
					r2 = (delta - dl) / (dr - delta);

		rmin = Max(rmin, Max(r1, r2));
	}
	if (!(r >= rmin))			/* also NaN */
		r = rmin;
	return Min(r, 1.0 / DBL_EPSILON);
}

/*
 * Phi(-z) and phi(z) for z >= 0 from one exponential (initial guesses only:
 * the rounding of z^2 in the exponent does not matter there).
 */
static void
lbr_norm_tail(double z, double *p, double *phi)
{
	double		y = z * PRICING_INV_SQRT2,
				e = exp(-0.5 * z * z);

	*phi = PRICING_INV_SQRT2PI * e;
	if (y > CODY_THRESH)
		*p = 0.5 * e * cody_erfcx_large(y);
	else
		*p = 0.5 * (1.0 - cody_erf_small(y));
}

/*
 * The lower map f(s) = (2 pi |x| / (3 sqrt 3)) Phi(-|x| / (sqrt 3 s))^3,
 * and its first and second derivatives in s.
 */
static void
lbr_lower_map(double x, double s, double *f, double *fs, double *fss)
{
	double		ax = fabs(x),
				z = ax / (sqrt(3.0) * s),
				cc = 2.0 * PRICING_PI * ax / (3.0 * sqrt(3.0)),
				p,
				phi;

	lbr_norm_tail(z, &p, &phi);

	*f = cc * p * p * p;
	*fs = 3.0 * cc * p * p * phi * z / s;
	*fss = 3.0 * cc * p * phi * z / (s * s) * (2.0 * phi * z - p * (2.0 - z * z));
}

/* Inverse of the lower map. */
static double
lbr_lower_map_inv(double x, double f)
{
	double		cc = 2.0 * PRICING_PI * fabs(x) / (3.0 * sqrt(3.0)),
				z = -norm_inv_acklam(cbrt(f / cc));

	return fabs(x) / (sqrt(3.0) * z);
}

/*
 * Total volatility s with b(x, s) = beta, x < 0, 0 < beta < exp(x/2), after
 * P. Jaeckel, "Let's Be Rational" (Wilmott, 2015): an initial guess from
 * rational cubic interpolation in four branches, then Householder steps of
 * order 3.
 *
 * Branch points: s_c = sqrt(2|x|) is the inflection point of b in s; the
 * tangent there meets b = 0 at s_l and b = b_max at s_u.  With b_l, b_c,
 * b_u the values of b at s_l, s_c, s_u:
 *
 *	beta < b_l: f = lower map (which behaves like b as s -> 0) interpolated
 *		in beta between (0, 0) with slope 1 and (b_l, f(s_l)), then inverted;
 *	b_l <= beta <= b_c, b_c < beta <= b_u: s interpolated in beta between the
 *		branch points with slopes 1/b'(s);
 *	beta > b_u: f = Phi(-s/2) (upper map) interpolated between (b_u, f(s_u))
 *		and (b_max, 0) with slope -1/2, then s = -2 Phi^-1(f).
 *
 * Each interpolant matches the second derivative at its inner branch point.
 * The Householder iteration works on the objective 1/ln b - 1/ln beta below
 * b_l, b - beta between b_l and b_u, and ln(b_max - beta) - ln(b_max - b)
 * above b_u, with b_max - b computed without subtraction.  From these
 * guesses one or two steps reach the last bits; the iteration stops after a
 * full Householder step shorter than 1e-7 s (order four convergence leaves an
 * error far below the last bit).  The loop allows a few more steps, keeps the
 * iterate inside a bracket, and gives up (returning -1, for the Halley
 * solver) if it does not settle.
 */
static double
black_implied_total_vol_lbr(double beta, double x)
{
	double		bmax = exp(0.5 * x),
				sc = sqrt(-2.0 * x),
				bc,
				vc,
				ee,
				sl,
				su,
				bl = 0.0,
				vl = 0.0,
				bu,
				vu,
				s,
				lo,
				hi,
				lnbeta = 0.0,
				lncb = 0.0;
	int			branch,
				it;

	bc = black_otm_core(x, sc, bmax, &ee);
	vc = PRICING_INV_SQRT2PI * ee;
	if (!(vc > 0.0))
		return -1.0;
	sl = sc - bc / vc;
	su = sc + (bmax - bc) / vc;
	if (beta <= bc)
	{
		if (sl > 0.0)
		{
			bl = black_otm_core(x, sl, bmax, &ee);
			vl = PRICING_INV_SQRT2PI * ee;
		}
		if (!(bl > 0.0 && vl > 0.0))
			return -1.0;
		if (beta < bl)
		{
			/* branch 1: lower map */
			double		f,
						fs,
						fss,
						dr,
						d2r,
						r;

			lbr_lower_map(x, sl, &f, &fs, &fss);
			dr = fs / vl;
			/* d2f/dbeta2 = (f'' - f' b''/b') / b'^2 */
			d2r = (fss - fs * (x * x / (sl * sl * sl) - sl / 4.0)) / (vl * vl);
			r = rational_cubic_control(0.0, bl, 0.0, f, 1.0, dr, d2r, 0);
			f = rational_cubic(beta, 0.0, bl, 0.0, f, 1.0, dr, r);
			s = f > 0.0 ? lbr_lower_map_inv(x, f) : 0.0;
			branch = 1;
			lnbeta = log(beta);
		}
		else
		{
			/* branch 2: s(beta) between (b_l, s_l) and (b_c, s_c) */
			double		d2l,
						r;

			/* d2s/dbeta2 = -(b''/b') / b'^2 */
			d2l = -(x * x / (sl * sl * sl) - sl / 4.0) / (vl * vl);
			r = rational_cubic_control(bl, bc, sl, sc, 1.0 / vl, 1.0 / vc, d2l, 1);
			s = rational_cubic(beta, bl, bc, sl, sc, 1.0 / vl, 1.0 / vc, r);
			branch = 2;
		}
		lo = 0.0;
		hi = sc;
	}
	else
	{
		bu = bmax - black_otm_complement_core(x, su, bmax, &ee);
		vu = PRICING_INV_SQRT2PI * ee;
		if (!(vu > 0.0))
			return -1.0;
		if (beta <= bu)
		{
			/* branch 3: s(beta) between (b_c, s_c) and (b_u, s_u) */
			double		d2r,
						r;

			d2r = -(x * x / (su * su * su) - su / 4.0) / (vu * vu);
			r = rational_cubic_control(bc, bu, sc, su, 1.0 / vc, 1.0 / vu, d2r, 0);
			s = rational_cubic(beta, bc, bu, sc, su, 1.0 / vc, 1.0 / vu, r);
			branch = 3;
		}
		else
		{
			/* branch 4: upper map f = Phi(-s/2) */
			double		f,
						phi,
						fs,
						fss,
						dl,
						d2l,
						r;

			lbr_norm_tail(0.5 * su, &f, &phi);
			fs = -0.5 * phi;
			fss = su / 8.0 * phi;
			dl = fs / vu;
			d2l = (fss - fs * (x * x / (su * su * su) - su / 4.0)) / (vu * vu);
			r = rational_cubic_control(bu, bmax, f, 0.0, dl, -0.5, d2l, 1);
			f = rational_cubic(beta, bu, bmax, f, 0.0, dl, -0.5, r);
			s = f > 0.0 && f < 0.5 ? -2.0 * norm_inv_acklam(f) : su;
			branch = 4;
			lncb = log(bmax - beta);
		}
		lo = sc;
		hi = HUGE_VAL;
	}
	if (!(s > lo && s < hi))
		s = isinf(hi) ? Max(su, 2.0 * lo) : 0.5 * (lo + hi);

	for (it = 0; it < 8; it++)
	{
		double		hh = x / s,
					b2 = hh * hh / s - s / 4.0, /* b''/b' */
					b3,			/* third derivative over b' */
					bp,
					nu,
					h2,
					h3,
					step,
					snew;

		b3 = b2 * b2 - 3.0 * hh * hh / (s * s) - 0.25;
		if (branch == 4)
		{
			double		c = black_otm_complement_core(x, s, bmax, &ee),
						g,
						u;

			bp = PRICING_INV_SQRT2PI * ee;
			if (!(c > 0.0) || !(bp > 0.0))
				return -1.0;
			u = bp / c;
			/* g = ln(b_max - beta) - ln c, g' = b'/c */
			g = lncb - log(c);
			if (g == 0.0)
				return s;
			nu = -g / u;
			h2 = u + b2;
			h3 = 2.0 * u * u + 3.0 * u * b2 + b3;
			if (g < 0.0)
				lo = s;			/* c too large: s too small */
			else
				hi = s;
		}
		else
		{
			double		b = black_otm_core(x, s, bmax, &ee);

			bp = PRICING_INV_SQRT2PI * ee;
			if (!(b > 0.0) || !(bp > 0.0))
			{
				lo = s;
				s = 0.5 * (lo + hi);
				continue;
			}
			if (b == beta)
				return s;
			if (branch == 1)
			{
				double		lb = log(b),
							u = bp / b;

				/* g = 1/ln b - 1/ln beta, g' = -u/(ln b)^2 */
				nu = (1.0 / lb - 1.0 / lnbeta) * lb * lb / u;
				h2 = -u * (lb + 2.0) / lb + b2;
				h3 = 2.0 * u * u * (lb * lb + 3.0 * lb + 3.0) / (lb * lb) -
					3.0 * u * (lb + 2.0) / lb * b2 + b3;
			}
			else
			{
				nu = -(b - beta) / bp;
				h2 = b2;
				h3 = b3;
			}
			if (b > beta)
				hi = s;
			else
				lo = s;
		}
		step = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));

		/*
		 * The steps converge with order four: once a step is below 1e-7 of s
		 * the error left after it is far below the last bit, so we stop there
		 * without another evaluation to confirm it.
		 */
		if (fabs(step) <= 1e-7 * s)
			return s + step;
		snew = s + step;
		if (!(snew > lo && snew < hi))
		{
			snew = s + nu;
			if (!(snew > lo && snew < hi))
				snew = isinf(hi) ? 2.0 * s : 0.5 * (lo + hi);
		}
		s = snew;
	}
	return -1.0;
}

/* Total volatility from the normalised time value: LBR, Halley as fallback. */
static double
black_implied_total_vol(double beta, double x)
{
	double		s = -1.0;

	if (x < 0.0)
		s = black_implied_total_vol_lbr(beta, x);
	if (!(s > 0.0))
		s = black_implied_total_vol_halley(beta, x);
	return s;
}

/*
 * Implied Black volatility from a discounted price with discount factor df,
 * x = ln(f/k) formed as the matching price function forms it.  Returns -1
 * when the price is outside the arbitrage bounds.
 */
static double
black_implied_vol_x(int theta, double price, double f, double k, double x,
					double t, double df)
{
	double		intrinsic,
				undisc,
				beta,
				bmax,
				root;

	undisc = price / df;
	intrinsic = Max(theta * (f - k), 0.0);
	if (!(undisc >= intrinsic))
		return -1.0;
	/* upper bound: call <= f, put <= k */
	if (undisc >= (theta > 0 ? f : k))
		return -1.0;
	if (undisc == intrinsic)
		return 0.0;
	if (t <= 0.0)
		return -1.0;
	x = -fabs(x);
	root = sqrt(f) * sqrt(k);
	beta = (undisc - intrinsic) / root;
	bmax = exp(0.5 * x);
	if (!(beta > 0.0))
		return 0.0;
	if (!(beta < bmax))
		return -1.0;
	return black_implied_total_vol(beta, x) / sqrt(t);
}

/* Implied Black volatility from a discounted price with discount factor df. */
double
pricing_black_implied_vol(int theta, double price, double f, double k,
						  double t, double df)
{
	return black_implied_vol_x(theta, price, f, k, log_moneyness(f, k), t, df);
}

/* Implied volatility of a generalized Black-Scholes-Merton price. */
double
pricing_bsm_implied_vol(int theta, double price, double s, double k,
						double t, double r, double q)
{
	if (t <= 0.0)
		return price == Max(theta * (s - k), 0.0) ? 0.0 : -1.0;
	if (!(s > 0.0) || !(k > 0.0))
		return -1.0;			/* the price does not depend on sigma */
	return black_implied_vol_x(theta, price, r == q ? s : s * exp((r - q) * t),
							   k, bsm_log_moneyness(s, k, t, r, q), t,
							   r == 0.0 ? 1.0 : exp(-r * t));
}

/* Implied volatility of a Black-76 price. */
double
pricing_black76_implied_vol(int theta, double price, double f, double k,
							double t, double r)
{
	if (t <= 0.0)
		return price == Max(theta * (f - k), 0.0) ? 0.0 : -1.0;
	return pricing_black_implied_vol(theta, price, f, k, t, exp(-r * t));
}

/*
 * Implied normal volatility.  With m = |f - k| and time value v, solve
 * psi(u)/u = v/m for u = m/(sigma sqrt(t)) by safeguarded Newton on the
 * logarithm (psi(u)/u decreases strictly from +inf to 0).
 */
double
pricing_bachelier_implied_vol(int theta, double price, double f, double k,
							  double t, double r)
{
	double		undisc,
				intrinsic,
				v,
				m,
				y,
				ly,
				u,
				lo,
				hi;
	int			it;

	if (t <= 0.0)
		return price == Max(theta * (f - k), 0.0) ? 0.0 : -1.0;
	undisc = price * exp(r * t);
	intrinsic = Max(theta * (f - k), 0.0);
	if (!(undisc >= intrinsic) || isinf(undisc))
		return -1.0;
	v = undisc - intrinsic;
	if (v == 0.0)
		return 0.0;
	m = fabs(f - k);
	if (m == 0.0)
		return v * PRICING_SQRT2PI / sqrt(t);
	y = v / m;
	ly = log(y);
	if (y > 0.1)
		u = 1.0 / (PRICING_SQRT2PI * (y + 0.5));
	else
	{
		/* psi(u) ~ phi(u)/u^2, so ln y ~ -u^2/2 - 3 ln u - ln sqrt(2 pi) */
		u = 2.0;
		for (it = 0; it < 3; it++)
		{
			double		w = -2.0 * (ly + 3.0 * log(u) + 0.9189385332046727);

			if (w > 0.0)
				u = sqrt(w);
		}
	}
	lo = 0.0;
	hi = HUGE_VAL;
	for (it = 0; it < 100; it++)
	{
		double		psi = bachelier_psi(u);
		double		fval,
					f1,
					unew;

		if (psi <= 0.0)
		{
			hi = u;
			u = 0.5 * (lo + hi);
			continue;
		}
		fval = log(psi / u) - ly;
		f1 = -pricing_norm_cdf(-u) / psi - 1.0 / u;
		if (fval > 0.0)
			lo = u;				/* value too large: u too small */
		else
			hi = u;
		if (fval == 0.0)
			break;
		unew = u - fval / f1;
		if (!(unew > lo && unew < hi))
			unew = isinf(hi) ? 2.0 * u : 0.5 * (lo + hi);
		if (fabs(unew - u) <= 2.0 * DBL_EPSILON * u)
		{
			u = unew;
			break;
		}
		u = unew;
	}
	return m / (u * sqrt(t));
}

/* ---------------------------------------------------------------------
 * American options
 * --------------------------------------------------------------------- */

/*
 * Zero volatility: the holder exercises at the best deterministic time.
 * Value is max over tau in [0, t] of exp(-r tau) max(theta (s exp(b tau) - k), 0)
 * with b = r - q; the interior optimum solves q s exp(-q tau) = r k exp(-r tau).
 */
static double
american_zero_vol(int theta, double s, double k, double t, double r, double q)
{
	double		best = Max(theta * (s - k), 0.0);
	double		v;

	v = Max(theta * (s * exp(-q * t) - k * exp(-r * t)), 0.0);
	best = Max(best, v);
	if (r != q && q * s != 0.0 && r * k / (q * s) > 0.0)
	{
		double		tau = log(r * k / (q * s)) / (r - q);

		if (tau > 0.0 && tau < t)
		{
			v = Max(theta * (s * exp(-q * tau) - k * exp(-r * tau)), 0.0);
			best = Max(best, v);
		}
	}
	return best;
}

/* Cox-Ross-Rubinstein binomial tree; work holds steps + 1 doubles. */
static double
american_crr(int theta, double s, double k, double t, double r, double q,
			 double sigma, int steps, double *work)
{
	double		dt = t / steps;
	double		u = exp(sigma * sqrt(dt));
	double		d = 1.0 / u;
	double		growth = exp((r - q) * dt);
	double		disc = exp(-r * dt);
	double		p;
	int			i,
				j;

	p = (growth - d) / (u - d);
	if (!(p > 0.0 && p < 1.0))
	{
		/* drift beyond the CRR lattice: centre the lattice on the forward */
		u = growth * exp(sigma * sqrt(dt));
		d = growth * exp(-sigma * sqrt(dt));
		p = (growth - d) / (u - d);
	}
	for (i = 0; i <= steps; i++)
	{
		double		st = s * pow(u, (double) i) * pow(d, (double) (steps - i));

		work[i] = Max(theta * (st - k), 0.0);
	}
	for (j = steps - 1; j >= 0; j--)
	{
		double		st = s * pow(d, (double) j);
		double		ratio = u / d;

		for (i = 0; i <= j; i++)
		{
			double		cont = disc * (p * work[i + 1] + (1.0 - p) * work[i]);
			double		ex = theta * (st - k);

			work[i] = Max(cont, ex);
			st *= ratio;
		}
	}
	return work[0];
}

/*
 * Barone-Adesi-Whaley (1987) quadratic approximation, as in Haug (2007),
 * section 3.3.2.  Returns NaN when the approximation has no real solution
 * (some negative-rate cases); the caller then uses the tree.
 */
static double
american_baw(int theta, double s, double k, double t, double r, double q,
			 double sigma)
{
	double		b = r - q,
				v2 = sigma * sigma,
				sqt = sqrt(t),
				nn = 2.0 * b / v2,
				m = 2.0 * r / v2,
				kk,
				qi,
				qu,
				su,
				h,
				si,
				d1,
				lhs,
				rhs,
				bi,
				ebrt = exp((b - r) * t),
				disc;
	int			it;

	if (fabs(r * t) < 1e-12)
		kk = 2.0 / (v2 * t);	/* limit of 2r/(v2 (1 - exp(-rt))) */
	else
		kk = 2.0 * r / (v2 * (1.0 - exp(-r * t)));
	disc = (nn - 1.0) * (nn - 1.0) + 4.0 * kk;
	if (disc < 0.0 || (nn - 1.0) * (nn - 1.0) + 4.0 * m < 0.0)
		return NAN;
	qi = (-(nn - 1.0) + theta * sqrt(disc)) / 2.0;
	qu = (-(nn - 1.0) + theta * sqrt((nn - 1.0) * (nn - 1.0) + 4.0 * m)) / 2.0;
	su = k / (1.0 - 1.0 / qu);
	if (theta > 0)
	{
		h = -(b * t + 2.0 * sigma * sqt) * k / (su - k);
		si = k + (su - k) * (1.0 - exp(h));
	}
	else
	{
		h = (b * t - 2.0 * sigma * sqt) * k / (k - su);
		si = su + (k - su) * exp(h);
	}
	if (!(si > 0.0) || !isfinite(si))
		return NAN;

	for (it = 0; it < 200; it++)
	{
		double		nd,
					pd,
					snew;

		d1 = (log(si / k) + (b + 0.5 * v2) * t) / (sigma * sqt);
		nd = pricing_norm_cdf(theta * d1);
		pd = pricing_norm_pdf(d1);
		lhs = theta * (si - k);
		rhs = pricing_bsm_price(theta, si, k, t, r, q, sigma) +
			theta * (1.0 - ebrt * nd) * si / qi;
		if (theta > 0)
		{
			bi = ebrt * nd * (1.0 - 1.0 / qi) +
				(1.0 - ebrt * pd / (sigma * sqt)) / qi;
			snew = (k + rhs - bi * si) / (1.0 - bi);
		}
		else
		{
			bi = -ebrt * nd * (1.0 - 1.0 / qi) -
				(1.0 + ebrt * pd / (sigma * sqt)) / qi;
			snew = (k - rhs + bi * si) / (1.0 + bi);
		}
		if (!(snew > 0.0) || !isfinite(snew))
			return NAN;
		if (fabs(lhs - rhs) <= 1e-13 * k && fabs(snew - si) <= 1e-13 * si)
			break;
		si = snew;
	}

	d1 = (log(si / k) + (b + 0.5 * v2) * t) / (sigma * sqt);
	if (theta > 0)
	{
		double		a2 = (si / qi) * (1.0 - ebrt * pricing_norm_cdf(d1));

		if (s >= si)
			return s - k;
		return pricing_bsm_price(1, s, k, t, r, q, sigma) + a2 * pow(s / si, qi);
	}
	else
	{
		double		a1 = -(si / qi) * (1.0 - ebrt * pricing_norm_cdf(-d1));

		if (s <= si)
			return k - s;
		return pricing_bsm_price(-1, s, k, t, r, q, sigma) + a1 * pow(s / si, qi);
	}
}

/* Bjerksund-Stensland phi function. */
static double
bjs_phi(double s, double t, double gamma, double h, double i, double r,
		double b, double sigma)
{
	double		v2 = sigma * sigma;
	double		sd = sigma * sqrt(t);
	double		lambda = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2) * t;
	double		d = -(log(s / h) + (b + (gamma - 0.5) * v2) * t) / sd;
	double		kappa = 2.0 * b / v2 + 2.0 * gamma - 1.0;

	return exp(lambda) * pow(s, gamma) *
		(pricing_norm_cdf(d) -
		 pow(i / s, kappa) * pricing_norm_cdf(d - 2.0 * log(i / s) / sd));
}

/* Bjerksund-Stensland 2002 psi function (bivariate normal terms). */
static double
bjs_psi(double s, double t2, double gamma, double h, double i2, double i1,
		double t1, double r, double b, double sigma)
{
	double		v2 = sigma * sigma;
	double		drift = b + (gamma - 0.5) * v2;
	double		sd1 = sigma * sqrt(t1);
	double		sd2 = sigma * sqrt(t2);
	double		e1 = (log(s / i1) + drift * t1) / sd1;
	double		e2 = (log(i2 * i2 / (s * i1)) + drift * t1) / sd1;
	double		e3 = (log(s / i1) - drift * t1) / sd1;
	double		e4 = (log(i2 * i2 / (s * i1)) - drift * t1) / sd1;
	double		f1 = (log(s / h) + drift * t2) / sd2;
	double		f2 = (log(i2 * i2 / (s * h)) + drift * t2) / sd2;
	double		f3 = (log(i1 * i1 / (s * h)) + drift * t2) / sd2;
	double		f4 = (log(s * i1 * i1 / (h * i2 * i2)) + drift * t2) / sd2;
	double		rho = sqrt(t1 / t2);
	double		lambda = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2;
	double		kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0);

	return exp(lambda * t2) * pow(s, gamma) *
		(pricing_bivariate_norm_cdf(-e1, -f1, rho)
		 - pow(i2 / s, kappa) * pricing_bivariate_norm_cdf(-e2, -f2, rho)
		 - pow(i1 / s, kappa) * pricing_bivariate_norm_cdf(-e3, -f3, -rho)
		 + pow(i1 / i2, kappa) * pricing_bivariate_norm_cdf(-e4, -f4, -rho));
}

/*
 * Bjerksund-Stensland (2002) call, as in Haug (2007), section 3.3.4; puts use
 * the transformation P(s, k, t, r, b) = C(k, s, t, r - b, -b).  Returns NaN
 * when the perpetual root does not exist (some negative-rate cases).
 */
static double
bjs2002_call(double s, double k, double t, double r, double b, double sigma)
{
	double		v2 = sigma * sigma;
	double		beta,
				disc,
				binf,
				b0,
				t1,
				h1,
				h2,
				i1,
				i2,
				alpha1,
				alpha2;

	if (b >= r)
		return pricing_bsm_price(1, s, k, t, r, r - b, sigma);
	disc = (b / v2 - 0.5) * (b / v2 - 0.5) + 2.0 * r / v2;
	if (disc < 0.0 || r <= 0.0)
		return NAN;
	beta = (0.5 - b / v2) + sqrt(disc);
	binf = beta / (beta - 1.0) * k;
	b0 = Max(k, r / (r - b) * k);
	t1 = 0.5 * (sqrt(5.0) - 1.0) * t;
	h1 = -(b * t1 + 2.0 * sigma * sqrt(t1)) * k * k / ((binf - b0) * b0);
	h2 = -(b * t + 2.0 * sigma * sqrt(t)) * k * k / ((binf - b0) * b0);
	i1 = b0 + (binf - b0) * (1.0 - exp(h1));
	i2 = b0 + (binf - b0) * (1.0 - exp(h2));
	alpha1 = (i1 - k) * pow(i1, -beta);
	alpha2 = (i2 - k) * pow(i2, -beta);

	if (s >= i2)
		return s - k;
	return alpha2 * pow(s, beta)
		- alpha2 * bjs_phi(s, t1, beta, i2, i2, r, b, sigma)
		+ bjs_phi(s, t1, 1.0, i2, i2, r, b, sigma)
		- bjs_phi(s, t1, 1.0, i1, i2, r, b, sigma)
		- k * bjs_phi(s, t1, 0.0, i2, i2, r, b, sigma)
		+ k * bjs_phi(s, t1, 0.0, i1, i2, r, b, sigma)
		+ alpha1 * bjs_phi(s, t1, beta, i1, i2, r, b, sigma)
		- alpha1 * bjs_psi(s, t, beta, i1, i2, i1, t1, r, b, sigma)
		+ bjs_psi(s, t, 1.0, i1, i2, i1, t1, r, b, sigma)
		- bjs_psi(s, t, 1.0, k, i2, i1, t1, r, b, sigma)
		- k * bjs_psi(s, t, 0.0, i1, i2, i1, t1, r, b, sigma)
		+ k * bjs_psi(s, t, 0.0, k, i2, i1, t1, r, b, sigma);
}

/*
 * American option price.  Early exercise never pays for a call with q <= 0
 * and r >= 0, nor for a put with r <= 0 and q >= 0, so those are European
 * (all methods but the tree).  Calls with r < 0 and puts with q < 0 are
 * outside the derivations of BAW and BJS 2002 and go to the tree, as do the
 * rare inputs where the approximations have no real solution.
 * work: steps + 1 doubles, used by the tree and by those fallbacks.
 */
double
pricing_american_price(int theta, double s, double k, double t, double r,
					   double q, double sigma, PricingAmericanMethod method,
					   int steps, double *work)
{
	double		intrinsic = Max(theta * (s - k), 0.0);
	double		v;

	if (t <= 0.0)
		return intrinsic;
	if (sigma <= 0.0)
		return american_zero_vol(theta, s, k, t, r, q);
	if (s <= 0.0 || k <= 0.0)
	{
		/* s = 0: put exercised at once; k = 0: call is the share */
		if (theta < 0)
			return k <= 0.0 ? 0.0 : k * (r > 0.0 ? 1.0 : exp(-r * t));
		return s <= 0.0 ? 0.0 : s * (q > 0.0 ? 1.0 : exp(-q * t));
	}
	if (method == PRICING_AMERICAN_CRR)
		v = american_crr(theta, s, k, t, r, q, sigma, steps, work);
	else if ((theta > 0 && q <= 0.0 && r >= 0.0) ||
			 (theta < 0 && r <= 0.0 && q >= 0.0))
		v = 0.0;				/* European: the floor below is the value */
	else if ((theta > 0 && r < 0.0) || (theta < 0 && q < 0.0))
	{
		/* outside both approximations' derivations: use the tree */
		v = american_crr(theta, s, k, t, r, q, sigma, steps, work);
	}
	else if (method == PRICING_AMERICAN_BAW)
		v = american_baw(theta, s, k, t, r, q, sigma);
	else if (theta > 0)
		v = bjs2002_call(s, k, t, r, r - q, sigma);
	else
		v = bjs2002_call(k, s, t, q, q - r, sigma);
	if (isnan(v))
		v = american_crr(theta, s, k, t, r, q, sigma, steps, work);

	/*
	 * Never below the European value nor the exercise value (this also
	 * removes the tree's discretization error where it would undercut them).
	 */
	v = Max(v, pricing_bsm_price(theta, s, k, t, r, q, sigma));
	return Max(v, intrinsic);
}

/*
 * Implied volatility of an American price: Brent-style safeguarded secant
 * on sigma (the price increases with sigma).  Returns -1 outside the bounds
 * (below or at intrinsic value with a non-unique answer, at or above the
 * model's upper limit) and when no sigma in (0, 100] reproduces the price.
 */
double
pricing_american_implied_vol(int theta, double price, double s, double k,
							 double t, double r, double q,
							 PricingAmericanMethod method, int steps,
							 double *work)
{
	double		lo = 0.0,
				hi = 1.0,
				flo,
				fhi,
				x = 0.0;
	int			it;

	if (t <= 0.0)
		return -1.0;
	flo = pricing_american_price(theta, s, k, t, r, q, 0.0, method, steps, work) - price;
	if (flo > 0.0)
		return -1.0;
	if (flo == 0.0)
		return 0.0;
	for (;;)
	{
		fhi = pricing_american_price(theta, s, k, t, r, q, hi, method, steps, work) - price;
		if (fhi >= 0.0)
			break;
		lo = hi;
		flo = fhi;
		hi *= 2.0;
		if (hi > 128.0)
			return -1.0;
	}
	if (fhi == 0.0)
		return hi;
	/* Illinois variant of regula falsi, bisection when it stalls */
	{
		int			side = 0;

		for (it = 0; it < 200; it++)
		{
			double		fx;

			x = (lo * fhi - hi * flo) / (fhi - flo);
			if (!(x > lo && x < hi))
				x = 0.5 * (lo + hi);
			fx = pricing_american_price(theta, s, k, t, r, q, x, method, steps, work) - price;
			if (fx == 0.0)
				return x;
			if (fx < 0.0)
			{
				lo = x;
				flo = fx;
				if (side == -1)
					fhi *= 0.5;
				side = -1;
			}
			else
			{
				hi = x;
				fhi = fx;
				if (side == 1)
					flo *= 0.5;
				side = 1;
			}
			if (hi - lo <= 4.0 * DBL_EPSILON * hi)
				break;
		}
	}
	return 0.5 * (lo + hi);
}
