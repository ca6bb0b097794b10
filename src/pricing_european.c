/*-------------------------------------------------------------------------
 *
 * pricing_european.c
 *		European option prices and Greeks: generalized Black-Scholes-Merton,
 *		Black-76 and Bachelier, over Jaeckel's normalised Black price.
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
 * The libm calls are exp, expm1, log, log1p and sqrt (sqrt is exactly
 * rounded by IEEE 754; glibc's exp, expm1 and log are correctly rounded in
 * practice, log1p within a unit in the last place).
 * Nothing here allocates memory or keeps state.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "pricing_internal.h"

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
		double		ex = y > CODY_THRESH ? cody_erfcx_large(y) : pricing_erfcx(y);

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

/*
 * ln(F/K) without overflow.  Near the money (F/K within 1/16 of 1) it is
 * log1p((F - K)/K): F - K is exact there (Sterbenz), so the result is good
 * to a few units in its own last place, where log(F/K) takes the rounding of
 * F/K, up to half a unit in the last place of 1, as an absolute error: up
 * to 1e-11 of ln(F/K) = 1e-5, which the price of an option far out of the
 * money in units of the total volatility v = sigma sqrt(t) magnifies by
 * h^2 = (ln(F/K)/v)^2 (a put worth 5e-15 at F = 100.001, K = 100,
 * v = 1.6e-6: 7e-11 of its value; review of 2026-12-05).  log1p costs more
 * than log, so only where it matters.
 */
double
pricing_log_moneyness(double f, double k)
{
	double		ratio = f / k;

	if (ratio >= 0.9375 && ratio <= 1.0625)
		return log1p((f - k) / k);
	if (ratio > 0.0 && ratio < DBL_MAX && ratio > DBL_MIN)
		return log(ratio);
	return log(f) - log(k);
}

/*
 * Intrinsic value max(theta (F - K), 0) of a BSM forward F = s e^((r-q)t)
 * with x = ln(F/K) as bsm_log_moneyness forms it.  Near the money F - K
 * cancels: F carries the roundings of the exponential and the product, a
 * few units in the last place of F, which are all of F - K when F - K is
 * small (at the money with an hour to expiry, F - K = s (r - q) t is 1e-5
 * of s and was 1e-11 off; review of 2026-12-05).  There it is K expm1(x),
 * as accurate as x.  For r = q, F is s and F - K exact, as for Black-76
 * (F an input).
 */
static PRICING_INLINE double
bsm_intrinsic(int theta, double f, double k, double x, double r, double q)
{
	if (r != q && fabs(x) < 0.0625)
		return Max(theta * (k * expm1(x)), 0.0);
	return Max(theta * (f - k), 0.0);
}

/*
 * Undiscounted Black price for forward f, strike k, x = ln(f/k), total
 * volatility s: the intrinsic value plus sqrt(f k) b(-|x|, s).  Degenerate
 * inputs (f or k zero, s zero) give the intrinsic value.  The callers form
 * x and the intrinsic value exactly as the implied volatilities do, so that
 * price -> vol -> price round trips see the same moneyness to the last bit;
 * BSM forms x as ln(s/k) + (r - q) t, which keeps the exponential of the
 * forward off the path to the normalised price, and the intrinsic value by
 * bsm_intrinsic.
 */
static PRICING_INLINE double
black_price_fkx(int theta, double f, double k, double x, double intrinsic,
				double s)
{
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
	return pricing_log_moneyness(s, k) + (r - q) * t;
}

/*
 * b(x, s) of black_otm_core for the implied volatility (pricing_iv.c); ex2
 * is exp(x/2) or negative, ee may be NULL.
 */
double
pricing_black_otm_ee(double x, double s, double ex2, double *ee)
{
	return black_otm_core(x, s, ex2, ee);
}

/* b_max - b(x, s) of black_otm_complement_core, for pricing_iv.c. */
double
pricing_black_otm_complement(double x, double s, double ex2, double *ee)
{
	return black_otm_complement_core(x, s, ex2, ee);
}

/* ln(F/K) of a BSM forward, formed as the price forms it (pricing_iv.c). */
double
pricing_bsm_log_moneyness(double s, double k, double t, double r, double q)
{
	return bsm_log_moneyness(s, k, t, r, q);
}

/* The intrinsic value of a BSM forward, as the price forms it (pricing_iv.c). */
double
pricing_bsm_intrinsic(int theta, double f, double k, double x, double r,
					  double q)
{
	return bsm_intrinsic(theta, f, k, x, r, q);
}

/* Undiscounted Black price for forward f > 0, strike k > 0, total vol s. */
double
pricing_black_undiscounted(int theta, double f, double k, double s)
{
	if (!(f > 0.0) || !(k > 0.0))
		return Max(theta * (f - k), 0.0);
	return black_price_fkx(theta, f, k, pricing_log_moneyness(f, k),
						   Max(theta * (f - k), 0.0), s);
}

/* Generalized Black-Scholes-Merton price (continuous dividend yield q). */
double
pricing_bsm_price(int theta, double s, double k, double t, double r,
				  double q, double sigma)
{
	double		f,
				df,
				x,
				v;

	if (t <= 0.0)
		return Max(theta * (s - k), 0.0);
	/* exp(0) is 1: skip the calls for r = q and r = 0 */
	f = r == q ? s : s * exp((r - q) * t);
	df = r == 0.0 ? 1.0 : exp(-r * t);
	if (!(s > 0.0) || !(k > 0.0) || !(f > 0.0))
		return df * Max(theta * (f - k), 0.0);
	x = bsm_log_moneyness(s, k, t, r, q);
	v = black_price_fkx(theta, f, k, x, bsm_intrinsic(theta, f, k, x, r, q),
						sigma * sqrt(t));

	/*
	 * Near the cap (a call is worth at most f undiscounted) df f can exceed s
	 * e^-qt by a few units in the last place, more where (r - q) t and r t
	 * are large, whose rounding exp() magnifies (review of 2026-12-04:
	 * 100.00000000000001 for s = 100, q = 0): then the discounted bound
	 * itself
	 */
	if (theta > 0 &&
		v >= f * (1.0 - DBL_EPSILON * (8.0 + 2.0 * (fabs(r) + fabs(q)) * t)))
		return Min(df * v, q == 0.0 ? s : s * exp(-q * t));
	return df * v;
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
double
pricing_bachelier_psi(double u)
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
	return df * (intrinsic + sd * pricing_bachelier_psi(fabs(f - k) / sd));
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

/*
 * Where the density at d underflowed to 0 the terms it multiplies are 0, not
 * 0 times an infinite d or 1/(s sd) (review of 2026-12-04: sigma = 5e-324 or
 * 1e200, or s = 5e-324, reported an overflow).
 */
static PRICING_INLINE void
greeks_density_underflow(double density, PricingGreeks *g)
{
	if (density == 0.0)
		g->gamma = g->vega = g->vanna = g->volga = 0.0;
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
	/* sigma^2 t would overflow for huge sigma: d1 = x / sd + sd / 2 */
	d1 = sd < 1e150 ? (pricing_log_moneyness(s, k) + (r - q + 0.5 * sigma * sigma) * t) / sd :
		(pricing_log_moneyness(s, k) + (r - q) * t) / sd + 0.5 * sd;
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
	greeks_density_underflow(nd1, g);
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
	d1 = sd < 1e150 ? (pricing_log_moneyness(f, k) + 0.5 * sigma * sigma * t) / sd :
		pricing_log_moneyness(f, k) / sd + 0.5 * sd;
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
	greeks_density_underflow(nd1, g);
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
	greeks_density_underflow(nd, g);
}
