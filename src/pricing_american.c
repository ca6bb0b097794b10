/*-------------------------------------------------------------------------
 *
 * pricing_american.c
 *		American options: Barone-Adesi-Whaley, Bjerksund-Stensland 2002, the
 *		Cox-Ross-Rubinstein tree, and the implied volatility of an American
 *		price.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pricing_internal.h"

/* Run between iterations whose number a caller controls (pricing.c). */
void		(*pricing_interrupt_hook) (void) = NULL;

/* Call the interrupt hook, if any. */
static inline void
pricing_check_interrupts(void)
{
	if (pricing_interrupt_hook != NULL)
		pricing_interrupt_hook();
}

/*
 * Phi(x) from one exponential and Cody's rationals, for the approximations
 * (relative error about x^2 ulp in the tails, from the rounding of x^2;
 * pricing_norm_cdf splits x^2 and takes two exponentials).
 */
static PRICING_INLINE double
american_cdf(double x)
{
	double		y = fabs(x) * PRICING_INV_SQRT2,
				tail;

	if (y <= CODY_THRESH)
		return 0.5 + 0.5 * cody_erf_small(x * PRICING_INV_SQRT2);
	tail = 0.5 * exp(-0.5 * x * x) * cody_erfcx_large(y);
	return x < 0.0 ? tail : 1.0 - tail;
}

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
	double		p,
				lu,
				ld,
				ls;
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

	/*
	 * Node prices from logarithms: s u^i d^(n-i) as a product of powers
	 * overflows and underflows once sigma sqrt(T n) passes about 709 (0 times
	 * infinity, or a row whose first node underflowed to 0 and stayed 0 under
	 * the multiplications that step along it, so that every put node of the
	 * row was exercised at K: 76.19 instead of 68.48 at n = 100,000 in the
	 * review of 2026-12-04; a subnormal node stops growing just the same).
	 * Nodes below e^-690 are taken as 0, above e^690 as 1e300: their paths
	 * carry no probability a double can hold.
	 */
	lu = log(u);
	ld = log(d);
	ls = log(s);
	for (i = 0; i <= steps; i++)
	{
		double		st = Min(exp(ls + i * lu + (steps - i) * ld), 1e300);

		work[i] = Max(theta * (st - k), 0.0);
	}
	for (j = steps - 1; j >= 0; j--)
	{
		/*
		 * node i of row j is s u^i d^(j-i) = exp(l0 + i lr): below node ia it
		 * is under e^-690 (taken as 0), above node ib over e^690 (taken as
		 * 1e300); in between, one exponential and then products, as before
		 */
		double		l0 = ls + j * ld;
		double		lr = lu - ld;
		double		ratio = u / d;
		double		st;
		int			ia = 0,
					ib = j;

		pricing_check_interrupts();
		if (l0 < -690.0)
			ia = (int) Min(ceil((-690.0 - l0) / lr), (double) (j + 1));
		if (l0 + j * lr > 690.0)
			ib = (int) Max(floor((690.0 - l0) / lr), -1.0);
		ib = Max(ib, ia - 1);
		for (i = 0; i < ia; i++)
			work[i] = Max(disc * (p * work[i + 1] + (1.0 - p) * work[i]), theta * -k);
		st = exp(l0 + ia * lr);
		for (i = ia; i <= ib; i++)
		{
			double		cont = disc * (p * work[i + 1] + (1.0 - p) * work[i]);
			double		ex = theta * (st - k);

			work[i] = Max(cont, ex);
			st *= ratio;
		}
		for (i = ib + 1; i <= j; i++)
			work[i] = Max(disc * (p * work[i + 1] + (1.0 - p) * work[i]), theta * (1e300 - k));
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

/*
 * The bivariate normal M(a, b, rho) = P(X < a, Y < b) of Bjerksund-Stensland
 * 2002 always has correlation +-rho with rho^2 = t1/T = (sqrt 5 - 1)/2, so
 * A. Genz's algorithm ("Numerical computation of rectangular bivariate and
 * trivariate normal and t probabilities", Statistics and Computing 14
 * (2004) 251-260, routine BVND; also in G. West, "Better approximations to
 * cumulative normal functions", Wilmott Magazine, 2005) is tabulated once for
 * that rho: M(a, b, r)
 * = Phi(a) Phi(b) + (1/2 pi) int_0^asin r exp(-(a^2 + b^2 - 2 a b sin th) /
 * (2 cos^2 th)) dth, the integral by Gauss-Legendre in th with Genz's 20
 * points for 0.75 <= |r| < 0.925 (|rho| = 0.786), and for -rho the same
 * nodes with sin th negated (Genz's formula as it stands for r < 0).  Phi
 * is pricing_norm_cdf, accurate in the tails; the exponentials are
 * qd_exp2's, two at a time.
 *
 * M must be accurate relative to itself, not only to 1: psi multiplies it
 * by (I/S)^kappa with kappa = 2 b / sigma^2 + 2 gamma - 1, about 80 at low
 * volatility, and a factor of 2e16 on an M of 2e-18 is a term of 0.04 of
 * the price.  Before, 6 points and M(a, b, -rho) = Phi(a) - M(a, -b, rho)
 * had an absolute error of up to 6.5e-9 and lost M(a, b, -rho) to
 * cancellation where it is Phi(b) - tiny: the call S = K = 100, T = 10,
 * r = 0.15, q = 0.05, sigma = 0.08 came out at 40.24 against the formula's
 * 38.568168 (quant review of 2026-12-05), above the American value it is a
 * lower bound of.  Now the price agrees with the formula evaluated with an
 * exact M (mpmath, 50 digits) to 2e-15 on that call and within 5e-14 of
 * the strike on 150 random low-volatility inputs (with 12 or 16 points
 * instead of 20: within 9e-14 and 6e-14 of the strike of the 20-point
 * price on 100,000 of them, as rounding leaves it).  With Phi(-e1) to
 * Phi(-e4) shared between psi's two H (bjs_psi) this costs 8% more
 * instructions than the 6-point table (bench/pricing.sql's inputs).
 */
#define BJS_BVN_POINTS 20
static double bjs_sn[BJS_BVN_POINTS],
			bjs_c[BJS_BVN_POINTS],
			bjs_w[BJS_BVN_POINTS];
static int	bjs_ready = 0;

static void qd_gauss_legendre(int n, double *x, double *w);
static void qd_exp2_init(void);
static PRICING_INLINE void qd_exp2(double x0, double x1, double *e0, double *e1);

/*
 * Fill the table of bjs_bvn (once per process): sin th at the nodes,
 * 1 / cos^2 th, and the weights times asin(rho) / (4 pi) (the nodes map
 * [-1, 1] to [0, asin rho]).
 */
static void
bjs_bvn_init(void)
{
	double		x[BJS_BVN_POINTS],
				w[BJS_BVN_POINTS],
				asr = asin(sqrt(0.5 * (sqrt(5.0) - 1.0)));
	int			i;

	qd_exp2_init();
	qd_gauss_legendre(BJS_BVN_POINTS, x, w);
	for (i = 0; i < BJS_BVN_POINTS; i++)
	{
		double		sn = sin(0.5 * asr * (1.0 + x[i]));

		bjs_sn[i] = sn;
		bjs_c[i] = 1.0 / (1.0 - sn * sn);
		bjs_w[i] = asr * w[i] / (4.0 * PRICING_PI);
	}
	bjs_ready = 1;
}

/*
 * P(X < a, Y < b) with correlation rho (neg = 0) or -rho (neg = 1), pa =
 * Phi(a) (bjs_psi computes it once for two calls).  For -rho, th runs over
 * [0, -asin rho]: sin th and the integral change sign.
 */
static double
bjs_bvn(double a, double pa, double b, int neg)
{
	double		ab = neg ? -a * b : a * b,
				hs = 0.5 * (a * a + b * b),
				sum = 0.0,
				m;
	int			i;

	for (i = 0; i < BJS_BVN_POINTS; i += 2)
	{
		double		e0,
					e1;

		qd_exp2((bjs_sn[i] * ab - hs) * bjs_c[i],
				(bjs_sn[i + 1] * ab - hs) * bjs_c[i + 1], &e0, &e1);
		sum += bjs_w[i] * e0 + bjs_w[i + 1] * e1;
	}
	m = pa * pricing_norm_cdf(b);
	m = neg ? m - sum : m + sum;
	return Max(0.0, Min(1.0, m));
}

/*
 * Inputs of the phi and psi functions of Bjerksund-Stensland 2002 that do
 * not change between their twelve calls: the logarithms of the spot, the
 * strike and the two trigger prices (every logarithm in phi and psi is a
 * sum of these), sigma sqrt(t1), sigma sqrt(T).
 */
typedef struct BjsArgs
{
	double		ls,
				lk,
				li1,
				li2,
				t1,
				t,
				r,
				b,
				v2,
				sd1,
				sd2;
} BjsArgs;

/*
 * Bjerksund-Stensland phi(S, t1, gamma, H, I) with ln H = lh, ln I = li:
 * e^lambda S^gamma (N(-d) - (I/S)^kappa N(-d - 2 ln(I/S) / (sigma sqrt t1))),
 * lambda = (-r + gamma b + gamma (gamma - 1) sigma^2 / 2) t1,
 * d = (ln(S/H) + (b + (gamma - 1/2) sigma^2) t1) / (sigma sqrt t1),
 * kappa = 2 b / sigma^2 + 2 gamma - 1.
 */
static double
bjs_phi(const BjsArgs *a, double gamma, double lh, double li)
{
	double		lambda = (-a->r + gamma * a->b + 0.5 * gamma * (gamma - 1.0) * a->v2) * a->t1,
				d = -(a->ls - lh + (a->b + (gamma - 0.5) * a->v2) * a->t1) / a->sd1,
				kappa = 2.0 * a->b / a->v2 + 2.0 * gamma - 1.0,
				lis = li - a->ls;

	return exp(lambda + gamma * a->ls) *
		(american_cdf(d) - exp(kappa * lis) * american_cdf(d - 2.0 * lis / a->sd1));
}

/*
 * Bjerksund-Stensland 2002 psi(S, T, gamma, H, I2, I1, t1) with ln H = lh:
 * e^(lambda T) S^gamma (M(-e1, -f1, rho) - (I2/S)^kappa M(-e2, -f2, rho)
 * - (I1/S)^kappa M(-e3, -f3, -rho) + (I1/I2)^kappa M(-e4, -f4, -rho)).
 * With two = 1, psi at ln H = lh minus psi at ln H = lh2 (the call takes
 * two such differences): e1 to e4 and the powers do not depend on H, so
 * they and Phi(-e1) to Phi(-e4) are computed once for both.
 */
static double
bjs_psi(const BjsArgs *a, double gamma, double lh, double lh2, int two)
{
	double		drift = a->b + (gamma - 0.5) * a->v2,
				d1 = drift * a->t1,
				d2 = drift * a->t,
				e1 = (a->ls - a->li1 + d1) / a->sd1,
				e2 = (2.0 * a->li2 - a->ls - a->li1 + d1) / a->sd1,
				e3 = (a->ls - a->li1 - d1) / a->sd1,
				e4 = (2.0 * a->li2 - a->ls - a->li1 - d1) / a->sd1,
				p1 = pricing_norm_cdf(-e1),
				p2 = pricing_norm_cdf(-e2),
				p3 = pricing_norm_cdf(-e3),
				p4 = pricing_norm_cdf(-e4),
				lambda = -a->r + gamma * a->b + 0.5 * gamma * (gamma - 1.0) * a->v2,
				kappa = 2.0 * a->b / a->v2 + (2.0 * gamma - 1.0),
				x2 = exp(kappa * (a->li2 - a->ls)),
				x3 = exp(kappa * (a->li1 - a->ls)),
				x4 = exp(kappa * (a->li1 - a->li2)),
				v = 0.0;
	int			j;

	for (j = 0; j <= two; j++)
	{
		double		h = j == 0 ? lh : lh2,
					f1 = (a->ls - h + d2) / a->sd2,
					f2 = (2.0 * a->li2 - a->ls - h + d2) / a->sd2,
					f3 = (2.0 * a->li1 - a->ls - h + d2) / a->sd2,
					f4 = (a->ls + 2.0 * a->li1 - h - 2.0 * a->li2 + d2) / a->sd2,
					psi;

		psi = bjs_bvn(-e1, p1, -f1, 0)
			- x2 * bjs_bvn(-e2, p2, -f2, 0)
			- x3 * bjs_bvn(-e3, p3, -f3, 1)
			+ x4 * bjs_bvn(-e4, p4, -f4, 1);
		v = j == 0 ? psi : v - psi;
	}
	return exp(lambda * a->t + gamma * a->ls) * v;
}

/*
 * The paper's b t + 2 sigma sqrt(t) in h(t) = -(b t + 2 sigma sqrt(t)) K^2 /
 * ((B_inf - B0) B0), replaced by its running maximum over [0, t]: the same
 * for b >= 0 and for t <= sigma^2 / b^2, sigma^2 / -b beyond (where the
 * derivative b + sigma / sqrt(t) is 0, so the rule is continuous and smooth
 * in t, b and sigma).  The paper's h(t) is meant to take the trigger from B0
 * at expiry (h = 0) towards B_inf as the time to maturity grows; with b < 0
 * its b t + 2 sigma sqrt(t) falls again beyond sigma^2 / b^2 and reaches 0
 * at t = 4 sigma^2 / b^2, where the trigger is the strike: the strategy
 * "exercise a call as soon as it is at the money" is worth almost nothing,
 * and beyond it the trigger is below the strike (the paper's formula then
 * values a loss at exercise).  Before, the call was handed to qdfp there
 * and just short of it valued at far below the option (put S = K = 100,
 * T = 1, r = 0.1, q = 0, sigma = 0.0505: 0.0893 against 0.4633; quant
 * review of 2026-12-06).  With the running maximum the trigger never falls
 * as the time to maturity grows (I1 <= I2) and never below B0 >= K, so the
 * formula is always the value of a call's exercise strategy: a lower bound
 * of the American price, continuous in the inputs.
 */
static PRICING_INLINE double
bjs_drift_spread(double b, double sigma, double t)
{
	if (b >= 0.0 || sigma * sigma >= b * b * t)
		return b * t + 2.0 * sigma * sqrt(t);
	return -sigma * sigma / b;
}

/*
 * Bjerksund-Stensland (2002) call, as in Haug (2007), section 3.3.4; puts use
 * the transformation P(s, k, t, r, b) = C(k, s, t, r - b, -b).  The formula
 * holds at r = 0 (a put without dividends), where B0 = k.  Returns NaN when
 * the perpetual root does not exist or is not above 1 (not for r >= 0 >
 * b - r).  h(t) takes bjs_drift_spread, so the triggers are never below
 * B0 >= k.
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
	BjsArgs		a;

	if (!bjs_ready)
		bjs_bvn_init();
	if (b >= r)
		return pricing_bsm_price(1, s, k, t, r, r - b, sigma);
	disc = (b / v2 - 0.5) * (b / v2 - 0.5) + 2.0 * r / v2;
	if (disc < 0.0)
		return NAN;				/* no perpetual boundary */
	beta = (0.5 - b / v2) + sqrt(disc);
	if (!(beta > 1.0))
		return NAN;
	binf = beta / (beta - 1.0) * k;
	b0 = Max(k, r / (r - b) * k);
	t1 = 0.5 * (sqrt(5.0) - 1.0) * t;
	h1 = -bjs_drift_spread(b, sigma, t1) * k * k / ((binf - b0) * b0);
	h2 = -bjs_drift_spread(b, sigma, t) * k * k / ((binf - b0) * b0);
	i1 = b0 + (binf - b0) * (1.0 - exp(h1));
	i2 = b0 + (binf - b0) * (1.0 - exp(h2));
	if (!(i1 >= k && i2 >= k))
		return NAN;				/* not reached: h1, h2 <= 0 */
	if (s >= i2)
		return s - k;
	a.ls = log(s);
	a.lk = log(k);
	a.li1 = log(i1);
	a.li2 = log(i2);
	a.t1 = t1;
	a.t = t;
	a.r = r;
	a.b = b;
	a.v2 = v2;
	a.sd1 = sigma * sqrt(t1);
	a.sd2 = sigma * sqrt(t);
	alpha1 = (i1 - k) * exp(-beta * a.li1);
	alpha2 = (i2 - k) * exp(-beta * a.li2);

	return alpha2 * exp(beta * a.ls)
		- alpha2 * bjs_phi(&a, beta, a.li2, a.li2)
		+ bjs_phi(&a, 1.0, a.li2, a.li2)
		- bjs_phi(&a, 1.0, a.li1, a.li2)
		- k * bjs_phi(&a, 0.0, a.li2, a.li2)
		+ k * bjs_phi(&a, 0.0, a.li1, a.li2)
		+ alpha1 * bjs_phi(&a, beta, a.li1, a.li2)
		- alpha1 * bjs_psi(&a, beta, a.li1, 0.0, 0)
		+ bjs_psi(&a, 1.0, a.li1, a.lk, 1)
		- k * bjs_psi(&a, 0.0, a.li1, a.lk, 1);
}

/* ---------------------------------------------------------------------
 * Andersen-Lake-Offengeld fixed point ("qdfp")
 * --------------------------------------------------------------------- */

/*
 * Scheme sizes.  The boundary's H = ln(B/X)^2 is interpolated by Chebyshev
 * polynomials in z = 2 (tau/T)^(1/QDFP_E) - 1, in two levels (see
 * qd_put_boundary): QDFP_NC + 1 nodes with QDFP_LC Gauss-Legendre points
 * for the integrals of each node (the coarse level: the QD+ start and
 * QDFP_SWEEPS_C Newton sweeps), then QDFP_NF + 1 nodes with at most QDFP_LF
 * points (the fine level: its start interpolated from the coarse one,
 * QDFP_SWEEPS_F Newton sweeps; node i at c = (1 + z_i) / 2 takes
 * ceil(QDFP_LF c^QDFP_LPOW) points, at least QDFP_LMIN: the early nodes
 * integrate over a short stretch of the boundary); QDFP_P Gauss-Legendre
 * points for the price, in xi = T sin^(2 QDFP_KP) th, or where the drift
 * over the life is more than QDFP_PR_KAPPA standard deviations,
 * |r - q - sigma^2/2| sqrt(T) / sigma > QDFP_PR_KAPPA, QDFP_PR_PANELS panels of
 * as many points each (equal in th).  There the integrand steps from 0 to
 * its full value where the forward crosses the boundary, over a time of
 * about 6 sigma sqrt(xi) / |r - q|, short against T: the 32 points missed
 * it (the call S = 200, K = 100, T = 30, r = 0.2, q = 0.05, sigma = 0.005
 * came out 0.18 below its sigma = 0 value; quant review of 2026-12-06).
 *
 * E = 3 (E = 2, the paper's sqrt(tau), before) puts more nodes near expiry,
 * where ln(B/X)^2 behaves like tau ln(1/tau) up to a time of the order of
 * sigma^2 / r^2, short against T at low volatility; KP = 2 (1 before)
 * spreads the price integrand's step near xi = 0 when the spot is close to
 * the boundary.  Chosen against the finite-difference truth of
 * test/american/truth.csv (all 1,372 cases within the tolerance, the worst
 * at 0.76 of it) and against the same equations with 48 nodes and points
 * solved to convergence (at most 0.77 of the tolerance from it);
 * docs/benchmarks-pricing.md has the schemes tried.
 *
 * Sweeps: the fine sweep's move (the largest change of a node's y) bounds
 * the error left, which is of the order of its square.  Where it exceeds
 * QDFP_TRUST sigma sqrt(T) (5 of the 1,347 single-boundary truth cases, the
 * largest move 0.17 sigma sqrt(T); 101 of 20,000 random inputs), sweeps go
 * on, at most QDFP_MAX_SWEEPS, until one moves less than QDFP_TOL
 * sigma sqrt(T); a rescue sweep after a move beyond QDFP_TRUST sigma sqrt(T)
 * takes QDFP_DAMP of Newton's step.  Undamped, the rescue could oscillate
 * between boundaries twice apart: 2 of 20,000 random inputs (puts with
 * r = 0 > q, T over 9 years, sigma near 1) ended 7 and 32 times the
 * tolerance off; damped, all 54 rescued cases of that draw are within 0.24
 * of it (against test/american/fd_truth.c) and 7 use all the sweeps.
 *
 * A fixed number of sweeps keeps the price a smooth function of the inputs
 * (the Greeks' finite differences need that); stopping on a tolerance would
 * leave steps where the number of sweeps changes, and the rescue is such a
 * step, of the size of one sweep's error where it starts (below 1e-6 of the
 * price on the truth set).
 */
#define QDFP_NC 8
#define QDFP_LC 6
#define QDFP_NF 13
#define QDFP_LF 12
#define QDFP_LMIN 3
#define QDFP_LPOW 0.75
#define QDFP_P 32
#define QDFP_PR_PANELS 16
#define QDFP_PR (QDFP_PR_PANELS * QDFP_P)
#define QDFP_PR_KAPPA 8.0
#define QDFP_E 3.0
#define QDFP_KP 2.0
#define QDFP_SWEEPS_C 1
#define QDFP_SWEEPS_F 1
#define QDFP_MAX_SWEEPS 24
#define QDFP_DAMP 0.5
#define QDFP_TRUST 0.05
#define QDFP_TOL 1e-5
#define QDFP_QD_TOL 1e-4
#define QDFP_QD_EXT 0.7
#define QDFP_NMAX (QDFP_NF > QDFP_NC ? QDFP_NF : QDFP_NC)
#define QDFP_LMAX (QDFP_LF > QDFP_LC ? QDFP_LF : QDFP_LC)
/*
 * columns of the cardinal tables: nodes 1..QDFP_NMAX (H is 0 at node 0),
 * padded to pairs
 */
#define QDFP_NV ((QDFP_NMAX + 1) / 2)

/*
 * Two doubles (GCC and Clang vector extension: SSE2 on x86-64, NEON on
 * aarch64, pairs of scalars elsewhere) for the sums over the nodes.
 */
typedef double QdV2 __attribute__((vector_size(16)));
typedef uint64_t QdU2 __attribute__((vector_size(16)));
#define QDFP_Y_MAX 27.631021115928547	/* -ln(1e-12) */

/*
 * Input-free parts of one level's quadratures.  Node i is at
 * tau_i = T ti_i, ti_i = c_i^E, c_i = (1 + z_i) / 2; its integral over u in
 * [0, tau_i] takes th_j = pi/4 (1 + x_j) with tau_i - u = tau_i sin^2 th_j:
 * card holds the cardinal functions of the interpolation at the Chebyshev
 * argument of u (H(u) = sum_k card_k H_k), rm = sqrt((tau_i - u)/T),
 * ru = u/T, wa = the weight of du over T.
 */
typedef struct QdLevel
{
	int			n,				/* nodes 0..n, node 0 at expiry */
				l,				/* quadrature points per node, at most */
				li[QDFP_NMAX + 1];	/* quadrature points of node i */
	double		e,				/* z = 2 (tau/T)^(1/e) - 1 */
				ti[QDFP_NMAX + 1],
				sti[QDFP_NMAX + 1], /* sqrt(ti) */
				isti[QDFP_NMAX + 1],	/* 1 / sti */
				cs[QDFP_NMAX + 1][QDFP_NMAX + 1],	/* T_k(z_i) */
				rm[QDFP_NMAX + 1][QDFP_LMAX],
				irm[QDFP_NMAX + 1][QDFP_LMAX],	/* 1 / rm */
				ru[QDFP_NMAX + 1][QDFP_LMAX],
				wa[QDFP_NMAX + 1][QDFP_LMAX];
	QdV2		card[QDFP_NMAX + 1][QDFP_LMAX][QDFP_NV];	/* node m in
															 * [(m-1)/2][(m-1)%2],
															 * zero beyond n */
	double		lag[QDFP_NMAX + 1][QDFP_NC + 1];	/* see qd_init */
} QdLevel;

static QdLevel qd_coarse,
			qd_fine;

/* the coarse level's cardinal functions at the fine nodes (see qd_init) */
static double qd_cf[QDFP_NF + 1][QDFP_NC + 1];

/*
 * The price integral takes xi = T sin^(2 KP) th_j, th_j = pi/4 (1 + x_j):
 * qd_snp = sqrt(xi/T), qd_wpp (weight of dxi over T), qd_cardp (the fine
 * level's cardinal functions at tau = T - xi, laid out as QdLevel's card).
 */
static double qd_snp[QDFP_P + QDFP_PR],
			qd_wpp[QDFP_P + QDFP_PR];
static QdV2 qd_cardp[QDFP_P + QDFP_PR][QDFP_NV];
static double qd_exp2j[64];		/* 2^(j/64) */
static int	qd_ready = 0;

/* n-point Gauss-Legendre rule on [-1, 1] by Newton on P_n. */
static void
qd_gauss_legendre(int n, double *x, double *w)
{
	int			i;

	for (i = 0; i < (n + 1) / 2; i++)
	{
		double		z = cos(PRICING_PI * (i + 0.75) / (n + 0.5)),
					pp = 1.0;
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
		x[i] = -z;
		x[n - 1 - i] = z;
		w[i] = w[n - 1 - i] = 2.0 / ((1.0 - z * z) * pp * pp);
	}
}

/*
 * e^x by Taylor's polynomial of degree 13 (Cody and Waite's reduction to
 * |r| <= ln 2 / 2, Horner's scheme); only for qd_init's table of 2^(j/64)
 * (see qd_exp2), within 1 ulp of glibc's exp there.
 */
static double
qd_exp_taylor(double x)
{
	double		kd = nearbyint(x * 1.44269504088896338700),
				r = (x - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10,
				p = 1.0;
	int			i;

	/* 1 + r (1 + r/2 (1 + r/3 (... (1 + r/13)))) */
	for (i = 13; i >= 1; i--)
		p = 1.0 + p * r / i;
	return ldexp(p, (int) kd);
}

/* Chebyshev coefficients of the values at the n + 1 nodes (Lobatto points). */
static void
qd_cheb_coef(const QdLevel *lv, const double *val, double *a)
{
	int			i,
				k,
				n = lv->n;

	for (k = 0; k <= n; k++)
	{
		double		sum = 0.5 * (val[0] * lv->cs[0][k] + val[n] * lv->cs[n][k]);

		for (i = 1; i < n; i++)
			sum += val[i] * lv->cs[i][k];
		a[k] = sum * (2.0 / n);
	}
	a[0] *= 0.5;
	a[n] *= 0.5;
}

/* Clenshaw evaluation of sum a_k T_k(z), k = 0..n. */
static PRICING_INLINE double
qd_cheb_eval(const double *a, int n, double z)
{
	double		b1 = 0.0,
				b2 = 0.0,
				z2 = 2.0 * z;
	int			k;

	for (k = n; k >= 1; k--)
	{
		double		b0 = a[k] + z2 * b1 - b2;

		b2 = b1;
		b1 = b0;
	}
	return a[0] + z * b1 - b2;
}

/*
 * The cardinal functions of a level's interpolation at z: c[m] is the value
 * at z of the polynomial through the level's nodes that is 1 at node m and
 * 0 at the others, so that H(z) = sum c_m H_m (m = 0..n).
 */
static void
qd_cardinal(const QdLevel *lv, double z, double *c)
{
	double		e[QDFP_NMAX + 1],
				a[QDFP_NMAX + 1];
	int			j,
				m;

	for (m = 0; m <= lv->n; m++)
	{
		for (j = 0; j <= lv->n; j++)
			e[j] = j == m ? 1.0 : 0.0;
		qd_cheb_coef(lv, e, a);
		c[m] = qd_cheb_eval(a, lv->n, z);
	}
}

/* Quadrature points of a fine node at c = (1 + z) / 2 (see QDFP_LPOW). */
static int
qd_points(int l, double c)
{
	int			m = (int) ceil(l * pow(c, QDFP_LPOW));

	return Max(Min(m, l), Min(QDFP_LMIN, l));
}

/*
 * Fill one level's tables: n + 1 nodes, at most l points per node (l for
 * every node if uniform).
 */
static void
qd_init_level(QdLevel *lv, int n, int l, double e, int uniform)
{
	double		x[QDFP_LMAX],
				w[QDFP_LMAX],
				cv[QDFP_NMAX + 1];
	int			i,
				k,
				m;

	lv->n = n;
	lv->l = l;
	lv->e = e;
	/* T_k(z_i) at the nodes z_i = -cos(i pi / n) */
	for (i = 0; i <= n; i++)
		for (k = 0; k <= n; k++)
			lv->cs[i][k] = cos(PRICING_PI * k * (n - i) / n);
	for (i = 0; i <= n; i++)
	{
		double		c = 0.5 * (1.0 + lv->cs[i][1]),
					ti = pow(c, e);

		lv->ti[i] = ti;
		lv->sti[i] = sqrt(ti);
		lv->isti[i] = 1.0 / lv->sti[i];
		lv->li[i] = uniform ? l : qd_points(l, c);
		qd_gauss_legendre(lv->li[i], x, w);
		for (k = 0; k < lv->li[i]; k++)
		{
			double		th = 0.25 * PRICING_PI * (1.0 + x[k]),
						sn = sin(th),
						cs = cos(th),
						zu = 2.0 * c * pow(cs, 2.0 / e) - 1.0;

			lv->rm[i][k] = sqrt(ti) * sn;
			lv->irm[i][k] = 1.0 / lv->rm[i][k];
			lv->ru[i][k] = ti * cs * cs;
			lv->wa[i][k] = 0.25 * PRICING_PI * w[k] * 2.0 * ti * sn * cs;
			/* cardinal functions of the interpolation at zu */
			qd_cardinal(lv, zu, cv);
			for (m = 1; m <= n; m++)
				lv->card[i][k][(m - 1) / 2][(m - 1) % 2] = cv[m];
		}
	}
}

/*
 * Fill qd_exp2's table (from qd_init and bjs_bvn_init: twice writes the same
 * values).
 */
static void
qd_exp2_init(void)
{
	int			k;

	for (k = 0; k < 64; k++)
		qd_exp2j[k] = qd_exp_taylor(k * (6.93147180369123816490e-01 / 64.0) +
									k * (1.90821492927058770002e-10 / 64.0));
}

/* Fill the quadrature and Chebyshev tables (once per process). */
static void
qd_init(void)
{
	double		xp[QDFP_P],
				wp[QDFP_P];
	int			i,
				k;

	qd_exp2_init();
	qd_init_level(&qd_coarse, QDFP_NC, QDFP_LC, QDFP_E, 1);
	qd_init_level(&qd_fine, QDFP_NF, QDFP_LF, QDFP_E, 0);

	/*
	 * The fine level's start: lag[i][k] is the Lagrange polynomial of the
	 * coarse nodes 1..QDFP_NC that is 1 at node k, at the z of fine node i.
	 * It interpolates H / (tau/T), which stays positive and varies slowly
	 * near expiry (like ln(1/tau)) where H itself (like tau ln(1/tau)) is
	 * undershot below zero by a polynomial through few nodes.
	 */
	for (i = 1; i <= QDFP_NF; i++)
		for (k = 1; k <= QDFP_NC; k++)
		{
			double		p = 1.0;
			int			m;

			for (m = 1; m <= QDFP_NC; m++)
				if (m != k)
					p *= (qd_fine.cs[i][1] - qd_coarse.cs[m][1]) /
						(qd_coarse.cs[k][1] - qd_coarse.cs[m][1]);
			qd_fine.lag[i][k] = p;
		}
	for (i = 1; i <= QDFP_NF; i++)
		qd_cardinal(&qd_coarse, qd_fine.cs[i][1], qd_cf[i]);
	qd_gauss_legendre(QDFP_P, xp, wp);
	/* the rule of QDFP_P points in th, then QDFP_PR_PANELS panels of it */
	for (k = 0; k < QDFP_P + QDFP_PR; k++)
	{
		int			pn = k < QDFP_P ? 0 : (k - QDFP_P) / QDFP_P,
					np = k < QDFP_P ? 1 : QDFP_PR_PANELS;
		double		xk = xp[k % QDFP_P],
					th = 0.5 * PRICING_PI * (pn + 0.5 * (1.0 + xk)) / np,
					sn = sin(th),
					cs = cos(th),
					zp = 2.0 * pow(1.0 - pow(sn, 2.0 * QDFP_KP), 1.0 / QDFP_E) - 1.0,
					cv[QDFP_NMAX + 1];

		qd_snp[k] = pow(sn, QDFP_KP);
		qd_wpp[k] = 0.25 * PRICING_PI / np * wp[k % QDFP_P] * 2.0 * QDFP_KP * pow(sn, 2.0 * QDFP_KP - 1.0) * cs;
		/* at the Chebyshev argument of tau = T - xi */
		qd_cardinal(&qd_fine, zp, cv);
		for (i = 1; i <= QDFP_NF; i++)
			qd_cardp[k][(i - 1) / 2][(i - 1) % 2] = cv[i];
	}
	qd_ready = 1;
}

/*
 * e^x0 and e^x1 for the fixed point's integrands, two lanes at a time
 * (GCC/Clang vector extension), in plain C: x = (64 k + j) ln 2 / 64
 * + r with |r| <= ln 2 / 128 (Cody and Waite's two-part ln 2, so the
 * product is exact), e^x = 2^k 2^(j/64) e^r with 2^(j/64) from qd_exp2j and
 * e^r by its Taylor polynomial of degree 5 (truncation below 4e-17
 * relative), 2^k built in the exponent bits.  Within 2 ulp of glibc's exp
 * on 2e7 random arguments in [-708, 709] and [-20, 20]; half the
 * instructions of a degree-13 polynomial over |r| <= ln 2 / 2, and no
 * dependence on the platform's libm (a compiler that fuses a multiply and
 * an add, as GCC does on aarch64 by default, can still change the last
 * bit).  A lane outside [-708, 709] defers to exp() (below -746: +0, as
 * exp() gives).
 */
static PRICING_INLINE void
qd_exp2(double x0, double x1, double *e0, double *e1)
{
	const QdV2	shift = {6755399441055744.0, 6755399441055744.0};	/* 1.5 * 2^52 */
	int			in0 = x0 >= -708.0 && x0 <= 709.0,
				in1 = x1 >= -708.0 && x1 <= 709.0;
	const QdU2	bias = {0x4338000000000000, 0x4338000000000000};	/* shift's bits */

	/*
	 * a lane outside the range (or NaN) is computed all the same, without
	 * harm (bits only, the table index below is in range), and replaced
	 */
	QdV2		x = {x0, x1},
				kd,
				r,
				r2,
				p,
				t,
				ev;
	QdU2		n,
				j;

	kd = x * (64.0 * 1.44269504088896338700) + shift;
	/* the bits of kd are those of the shift plus n (two's complement) */
	n = (QdU2) kd - bias;
	kd -= shift;
	r = (x - kd * (6.93147180369123816490e-01 / 64.0)) -
		kd * (1.90821492927058770002e-10 / 64.0);
	r2 = r * r;
	/* e^r - 1 = r + r^2 (1/2 + r/6 + r^2 (1/24 + r/120)) */
	p = r + r2 * (((1.0 / 2.0) + r * (1.0 / 6.0)) +
				  r2 * ((1.0 / 24.0) + r * (1.0 / 120.0)));
	j = n & 63;
	t[0] = qd_exp2j[j[0]];
	t[1] = qd_exp2j[j[1]];

	/*
	 * 2^k (t + t p), k = (n - j) / 64, by adding k to the exponent's bits:
	 * exact, as a product by 2^k is, for every result in the range above (the
	 * smallest, at x = -708, has k = -1022 and t > 1.47, so it is normal)
	 */
	ev = (QdV2) ((QdU2) (t + t * p) + ((n - j) << 46));
	/* below -746, exp() underflows to +0 (through its error path) */
	*e0 = in0 ? ev[0] : x0 < -746.0 ? 0.0 : exp(x0);
	*e1 = in1 ? ev[1] : x1 < -746.0 ? 0.0 : exp(x1);
}

/*
 * Phi(x) from e = e^(-x^2/2) and Cody's rationals (american_cdf computes
 * the exponential itself, and only in the tails).
 */
static PRICING_INLINE double
qd_cdf(double x, double e)
{
	double		y = fabs(x) * PRICING_INV_SQRT2,
				tail;

	if (y <= CODY_THRESH)
		return 0.5 + 0.5 * cody_erf_small(x * PRICING_INV_SQRT2);
	tail = 0.5 * e * cody_erfcx_large(y);
	return x < 0.0 ? tail : 1.0 - tail;
}

/*
 * Phi and phi at two points, each from one exponential (the two taken as a
 * pair by qd_exp2) and Cody's rationals.
 */
static PRICING_INLINE void
qd_norm2(double x0, double x1, double *cdf0, double *pdf0, double *cdf1,
		 double *pdf1)
{
	double		e0,
				e1,
				y0 = fabs(x0) * PRICING_INV_SQRT2,
				y1 = fabs(x1) * PRICING_INV_SQRT2;

	qd_exp2(-0.5 * x0 * x0, -0.5 * x1 * x1, &e0, &e1);
	*pdf0 = PRICING_INV_SQRT2PI * e0;
	*pdf1 = PRICING_INV_SQRT2PI * e1;
	if (y0 > CODY_THRESH && y0 <= 4.0 && y1 > CODY_THRESH && y1 <= 4.0)
	{
		/*
		 * Both in the range of Cody's second rational (the common case in the
		 * integrands): cody_erfcx_large's expression on both lanes at once.
		 */
		QdV2		y = {y0, y1},
					y2 = y * y,
					y4 = y2 * y2,
					t = CODY_ERFCX_MID(y, y2, y4);

		t[0] *= 0.5 * e0;
		t[1] *= 0.5 * e1;
		*cdf0 = x0 < 0.0 ? t[0] : 1.0 - t[0];
		*cdf1 = x1 < 0.0 ? t[1] : 1.0 - t[1];
		return;
	}
	if (y0 <= CODY_THRESH && y1 <= CODY_THRESH)
	{
		/* both in the range of the first: cody_erf_small on both lanes */
		QdV2		xs = {x0 * PRICING_INV_SQRT2, x1 * PRICING_INV_SQRT2},
					ysq = xs * xs,
					t;

		if (!(y0 > 1.11e-16))
			ysq[0] = 0.0;
		if (!(y1 > 1.11e-16))
			ysq[1] = 0.0;
		t = CODY_ERF_SMALL(xs, ysq);
		*cdf0 = 0.5 + 0.5 * t[0];
		*cdf1 = 0.5 + 0.5 * t[1];
		return;
	}
	*cdf0 = qd_cdf(x0, e0);
	*cdf1 = qd_cdf(x1, e1);
}

/* Parameters of one put, shared by the QD+ guess and the fixed point. */
typedef struct QdPut
{
	double		s,
				k,
				r,
				q,
				sigma,
				t,
				x;				/* boundary at expiry, k min(1, r/q) */
} QdPut;

/* The parts of the QD+ equation that depend on tau only. */
typedef struct QdPlus
{
	double		tau,
				v,				/* sigma sqrt(tau) */
				iv,				/* 1 / v */
				ih,				/* 1 / (2 tau) */
				dr,				/* e^-r tau */
				dq,				/* e^-q tau */
				beta,
				c;				/* alpha / (r dr) */
} QdPlus;

/*
 * QD+ boundary equation of J. Li, "The quadratic approximation method
 * revisited" (Journal of Derivatives, 2005) at time to expiry tau:
 * f(S) = (1 - e^-q tau Phi(-d+)) S - beta (K - S - p(S)) + c theta(S)
 * with p and theta the European put and its calendar theta.  This sets up
 * the parts that do not depend on S; r = 0 is the limit r / (1 - e^-r tau)
 * -> 1 / tau.
 */
static void
qd_plus_setup(const QdPut *o, double tau, QdPlus *e)
{
	double		v2 = o->sigma * o->sigma,
				h = -expm1(-o->r * tau),
				rh = o->r == 0.0 ? 1.0 / tau : o->r / h,	/* r / (1 - e^-r tau) */
				omega = 2.0 * (o->r - o->q) / v2,
				disc = (omega - 1.0) * (omega - 1.0) + 8.0 * rh / v2,
				lambda = 0.5 * (-(omega - 1.0) - sqrt(disc)),
				den = 2.0 * lambda + omega - 1.0;

	e->tau = tau;
	e->v = o->sigma * sqrt(tau);
	e->iv = 1.0 / e->v;
	e->ih = 0.5 / tau;
	e->dr = exp(-o->r * tau);
	e->dq = exp(-o->q * tau);
	/* alpha / h + alpha lambda' / den - lambda, alpha = 2 r dr / (v2 den) */
	e->beta = 2.0 * e->dr * rh / (v2 * den) +
		4.0 * e->dr * rh * rh / (v2 * v2 * den * den * sqrt(disc)) - lambda;
	e->c = 2.0 / (v2 * den);
}

/* f(S) of the QD+ equation and its first two derivatives in S. */
static void
qd_plus_f(const QdPut *o, const QdPlus *e, double sb, double *f, double *f1,
		  double *f2)
{
	double		v = e->v,
				iv = e->iv,
				ih = e->ih,
				tau = e->tau,
				dr = e->dr,
				dq = e->dq,
				b = o->r - o->q,
				isb = 1.0 / sb,
				dp,
				dm,
				ndp,
				pdp,
				ndm,
				pdm,
				npv,
				theta,
				charm,
				gamma,
				colour;

	dp = (log(sb / o->k) + b * tau) * iv + 0.5 * v;
	dm = dp - v;
	qd_norm2(-dp, -dm, &ndp, &pdp, &ndm, &pdm);
	npv = dr * o->k * ndm - sb * dq * ndp;
	theta = o->r * o->k * dr * ndm - o->q * sb * dq * ndp -
		0.5 * o->sigma * o->sigma * sb * iv * dq * pdp;
	charm = -dq * (pdp * (b * iv - dm * ih) + o->q * ndp);
	gamma = pdp * dq * iv * isb;
	colour = gamma * (o->q + b * dp * iv + (1.0 - dp * dm) * ih);
	*f = (1.0 - dq * ndp) * sb - e->beta * (o->k - sb - npv) + e->c * theta;
	*f1 = 1.0 - dq * ndp + dq * pdp * iv + e->beta * (1.0 - dq * ndp) + e->c * charm;
	*f2 = dq * pdp * isb * iv * (1.0 - dp * iv) + e->beta * gamma +
		e->c * colour;
}

/*
 * Roots of the QD+ equation in (0, X], Halley from a guess, to QDFP_QD_TOL
 * of X (the fixed point refines them).  An iteration stops when a step is
 * below that, or when two unclamped steps in a row, the second below a tenth
 * of the first and below 1e-2 X, predict the next one below a hundredth of
 * it: Halley's error goes as its cube, so the step after d1, d2 is about
 * d2^4 / d1^3.  That saves the evaluation that would only have confirmed
 * the root (9 roots a price, on average 3.1 evaluations each before).
 */
typedef struct QdRoot
{
	QdPlus		e;
	double		sb,				/* the iterate */
				last;			/* the last unclamped step, or 0 */
	int			it,
				done;
} QdRoot;

static PRICING_INLINE void
qd_root_start(const QdPut *o, QdRoot *z, double tau, double guess)
{
	qd_plus_setup(o, tau, &z->e);
	z->sb = Min(guess, o->x);
	z->last = 0.0;
	z->it = 0;
	z->done = 0;
}

/* One Halley step of a root; sets done when it is found. */
static PRICING_INLINE void
qd_root_step(const QdPut *o, QdRoot *z)
{
	double		lo = 1e-12 * o->x,
				sb = z->sb,
				f,
				f1,
				f2,
				step,
				snew;

	if (++z->it >= 40)
		z->done = 1;
	qd_plus_f(o, &z->e, sb, &f, &f1, &f2);
	if (!(f1 != 0.0) || !isfinite(f))
	{
		z->done = 1;
		return;
	}
	step = f / f1;
	if (fabs(0.5 * step * f2 / f1) < 0.5)
		step = step / (1.0 - 0.5 * step * f2 / f1);
	snew = sb - step;
	if (!(snew > lo))
		snew = 0.5 * (sb + lo);
	if (snew > o->x)
		snew = 0.5 * (sb + o->x);
	z->sb = snew;
	if (fabs(snew - sb) <= QDFP_QD_TOL * o->x)
		z->done = 1;
	else if (snew == sb - step)
	{
		double		d = fabs(step),
					last = z->last;

		if (last > 0.0 && d <= 0.1 * last && d <= 1e-2 * o->x &&
			d * (d / last) * (d / last) * (d / last) <= 1e-2 * QDFP_QD_TOL * o->x)
			z->done = 1;
		z->last = d;
	}
	else
		z->last = 0.0;
}

/*
 * Two roots at once, at tau0 and tau1 from their guesses: two independent
 * chains of dependent operations (the logarithm, the exponential, the
 * divisions of each step) that the processor overlaps.  Each root's
 * iterates are those it would have alone.
 */
static void
qd_plus_boundary2(const QdPut *o, double tau0, double guess0, double tau1,
				  double guess1, double *b0, double *b1)
{
	QdRoot		z0,
				z1;

	qd_root_start(o, &z0, tau0, guess0);
	qd_root_start(o, &z1, tau1, guess1);
	while (!z0.done || !z1.done)
	{
		if (!z0.done)
			qd_root_step(o, &z0);
		if (!z1.done)
			qd_root_step(o, &z1);
	}
	*b0 = z0.sb;
	*b1 = z1.sb;
}

/* One root (see qd_plus_boundary2). */
static double
qd_plus_boundary(const QdPut *o, double tau, double guess)
{
	QdRoot		z;

	qd_root_start(o, &z, tau, guess);
	while (!z.done)
		qd_root_step(o, &z);
	return z.sb;
}

/* y = -ln(B/X) >= 0 of a QD+ root (no root, extreme inputs: the lowest B) */
static PRICING_INLINE double
qd_plus_y(const QdPut *o, double bq)
{
	double		y;

	if (!(bq > 0.0) || !isfinite(bq))
		bq = 1e-12 * o->x;
	y = -log(bq / o->x);
	return y > 0.0 ? y : 0.0;
}

/*
 * Solve the n x n system m x = b in place (b receives x) by Gaussian
 * elimination with partial pivoting; returns 0 if m is singular.
 */
static int
qd_solve(double m[QDFP_NMAX][QDFP_NMAX], double *b, int n)
{
	int			i,
				j,
				k;

	for (k = 0; k < n; k++)
	{
		int			p = k;
		double		piv;

		for (i = k + 1; i < n; i++)
			if (fabs(m[i][k]) > fabs(m[p][k]))
				p = i;
		if (!(fabs(m[p][k]) > 0.0))
			return 0;
		if (p != k)
		{
			double		t;

			for (j = k; j < n; j++)
			{
				t = m[k][j];
				m[k][j] = m[p][j];
				m[p][j] = t;
			}
			t = b[k];
			b[k] = b[p];
			b[p] = t;
		}
		piv = 1.0 / m[k][k];
		for (i = k + 1; i < n; i++)
		{
			double		f = m[i][k] * piv;

			if (f == 0.0)
				continue;
			for (j = k + 1; j < n; j++)
				m[i][j] -= f * m[k][j];
			b[i] -= f * b[k];
		}
	}
	for (k = n - 1; k >= 0; k--)
	{
		double		sum = b[k];

		for (j = k + 1; j < n; j++)
			sum -= m[k][j] * b[j];
		b[k] = sum / m[k][k];
	}
	return 1;
}

/* The per-row parts of one level's integrands. */
typedef struct QdRow
{
	double		tau[QDFP_NMAX + 1],
				v[QDFP_NMAX + 1],	/* sigma sqrt(tau) */
				iv[QDFP_NMAX + 1],	/* 1 / v */
				er[QDFP_NMAX + 1][QDFP_LMAX],	/* r T wa e^(r u) */
				eq[QDFP_NMAX + 1][QDFP_LMAX],	/* q T wa e^(q u) */
				sm[QDFP_NMAX + 1][QDFP_LMAX],	/* sigma sqrt(tau_i - u) */
				ism[QDFP_NMAX + 1][QDFP_LMAX],	/* 1 / sm */
				c0[QDFP_NMAX + 1][QDFP_LMAX];	/* b (tau_i - u) / sm + sm / 2 */
} QdRow;

/* Fill w for one put and one level. */
static void
qd_row_setup(const QdPut *o, const QdLevel *lv, QdRow *w)
{
	double		b = o->r - o->q,
				st = sqrt(o->t),
				sst = o->sigma * st,
				isst = 1.0 / sst,
				cc = (b == 0.0 ? 0.0 : b * st / o->sigma) + 0.5 * sst,
				rt = o->r * o->t,
				qt = o->q * o->t;
	int			i,
				j;

	w->tau[0] = 0.0;
	for (i = 1; i <= lv->n; i++)
	{
		w->tau[i] = o->t * lv->ti[i];
		w->v[i] = sst * lv->sti[i];
		w->iv[i] = isst * lv->isti[i];
		for (j = 0; j < lv->li[i]; j++)
		{
			double		er,
						eq;

			w->sm[i][j] = sst * lv->rm[i][j];
			w->ism[i][j] = isst * lv->irm[i][j];
			/* b T rm^2 / (sigma sqrt(T) rm) + sm / 2 */
			w->c0[i][j] = cc * lv->rm[i][j];
			qd_exp2(rt * lv->ru[i][j], qt * lv->ru[i][j], &er, &eq);
			w->er[i][j] = rt * lv->wa[i][j] * er;
			w->eq[i][j] = qt * lv->wa[i][j] * eq;
		}
	}
}

/*
 * One Newton sweep of FP-A on a level (see qd_put_boundary), its step taken
 * lambda times (1: Newton's; 1/2: damped): y and hv (its squares) are
 * updated in place; returns the largest change of a y_i.
 */
static PRICING_INLINE double
qd_newton(const QdPut *o, const QdLevel *lv, const QdRow *w, double *y,
		  double *hv, int n, double lambda)
{
	const QdV2	zero = {0.0, 0.0};
	QdV2		hw[QDFP_NV];
	double		g[QDFP_NMAX],
				res[QDFP_NMAX],
				jac[QDFP_NMAX][QDFP_NMAX],
				lnxk = log(o->x / o->k),
				b = o->r - o->q,
				move = 0.0;
	int			i,
				j,
				k,
				nv = (n + 1) / 2;	/* pairs of nodes 1..n (see QdLevel) */

	for (k = 0; k < nv; k++)
	{
		hw[k][0] = hv[2 * k + 1];
		hw[k][1] = 2 * k + 2 <= n ? hv[2 * k + 2] : 0.0;
	}
	for (i = 1; i <= n; i++)
	{
		QdV2		acc[QDFP_NV];
		double		ti = w->tau[i],
					v = w->v[i],
					iv = w->iv[i],
					lnbk = lnxk - y[i],
					nn,
					dd,
					inn,
					idd,
					ndv,
					ddv,
					dp,
					dm,
					ndp,
					pdp,
					ndm,
					pdm,
					cw[QDFP_LMAX],
					wn[QDFP_LMAX],
					wd[QDFP_LMAX];

		dp = (lnbk + b * ti) * iv + 0.5 * v;
		dm = dp - v;
		qd_norm2(dp, dm, &ndp, &pdp, &ndm, &pdm);
		nn = ndm;
		dd = ndp;
		ndv = pdm * iv;
		ddv = pdp * iv;
		for (j = 0; j < lv->li[i]; j++)
		{
			const QdV2 *cd = lv->card[i][j];
			QdV2		hs = cd[0] * hw[0];
			double		hu,
						sq,
						cdf,
						pdf,
						cdfm,
						pdfm;

			/* H at u from the node values, two terms at a time */
#pragma GCC unroll 8
			for (k = 1; k < nv; k++)
				hs += cd[k] * hw[k];
			hu = hs[0] + hs[1];
			sq = hu > 0.0 ? sqrt(hu) : 0.0;
			/* d+(tau - u, B(tau)/B(u)), ln(B(tau)/B(u)) = sq - y_i */
			dp = (sq - y[i]) * w->ism[i][j] + w->c0[i][j];
			qd_norm2(dp, dp - w->sm[i][j], &cdf, &pdf, &cdfm, &pdfm);
			nn += w->er[i][j] * cdfm;
			dd += w->eq[i][j] * cdf;
			/* their derivatives in ln B(tau) (minus those in ln B(u)) */
			wn[j] = w->er[i][j] * pdfm * w->ism[i][j];
			wd[j] = w->eq[i][j] * pdf * w->ism[i][j];
			ndv += wn[j];
			ddv += wd[j];
			/* d ln B(u) / d y_k = -card_k y_k / sq */
			cw[j] = sq > 0.0 ? 1.0 / sq : 0.0;
		}
		/* G_i = ln X - y_i - ln K + b tau_i - ln N + ln D */
		inn = 1.0 / nn;
		idd = 1.0 / dd;
		g[i - 1] = lnxk - y[i] + b * ti + log(dd * inn);
#pragma GCC unroll 8
		for (k = 0; k < nv; k++)
			acc[k] = zero;
		for (j = 0; j < lv->li[i]; j++)
		{
			const QdV2 *cd = lv->card[i][j];
			double		c = (wd[j] * idd - wn[j] * inn) * cw[j];
			QdV2		cv = {c, c};

#pragma GCC unroll 8
			for (k = 0; k < nv; k++)
				acc[k] += cd[k] * cv;
		}
#pragma GCC unroll 16
		for (k = 1; k <= n; k++)
			jac[i - 1][k - 1] = acc[(k - 1) / 2][(k - 1) % 2] * y[k];
		jac[i - 1][i - 1] += -1.0 + ndv * inn - ddv * idd;
	}
	for (i = 0; i < n; i++)
	{
		res[i] = g[i];
		g[i] = -g[i];
	}

	/*
	 * Where the system cannot be solved (degenerate inputs such as a sigma
	 * sqrt(T) of 1e300, where N or D vanish), take the plain fixed point step
	 * of FP-A instead: y + G.
	 */
	if (!qd_solve(jac, g, n))
		for (i = 0; i < n; i++)
			g[i] = res[i];
	for (i = 1; i <= n; i++)
	{
		double		ny = y[i] + lambda * g[i - 1];

		if (!(ny >= 0.0))
			ny = 0.5 * y[i];
		/* B at most 1e-12 X below X */
		if (!(ny <= QDFP_Y_MAX))
			ny = QDFP_Y_MAX;
		move = Max(move, fabs(ny - y[i]));
		y[i] = ny;
		hv[i] = ny * ny;
	}
	return move;
}

/*
 * Put boundary by the fixed point of Andersen, Lake and Offengeld (2016),
 * equation FP-A (value matching): B = K e^-(r-q)tau N/D with
 * N = Phi(d-(tau, B/K)) + r int e^ru Phi(d-(tau-u, B(tau)/B(u))) du and D
 * the same with q and d+, solved by Newton's method at the nodes
 * tau_i = T c_i^E of a level.  The unknowns are y_i = -ln(B(tau_i)/X) >= 0;
 * H = y^2 is interpolated through the nodes (card gives H at every
 * quadrature point as a combination of the node values), and the residual
 * G_i = ln X - y_i - ln K + b tau_i - ln N + ln D is differentiated
 * exactly, in B(tau_i) and through H in every B(u), so the Jacobian is
 * dense (solved by elimination) and the convergence quadratic.  The
 * integrals over u in [0, tau] are taken in th with
 * tau - u = tau sin^2(th), which leaves neither the square root at u = tau
 * nor the boundary's square-root behaviour at u = 0 in the integrand.
 *
 * Two levels: QDFP_SWEEPS_C sweeps on the coarse level from the QD+
 * boundary at its nodes (found to QDFP_QD_TOL of X), then its H
 * interpolated to the fine nodes and QDFP_SWEEPS_F sweeps there.  The
 * last fine sweep's move (the largest change of a node's y) bounds the
 * error left, which is of the order of its square: where it exceeds
 * QDFP_TRUST sigma sqrt(T), sweeps go on, at most QDFP_MAX_SWEEPS, until
 * one moves less than QDFP_TOL sigma sqrt(T), each damped (QDFP_DAMP) while
 * the last move was beyond QDFP_TRUST sigma sqrt(T).  A fixed number of
 * sweeps keeps the price a smooth function of the inputs (the Greeks' finite
 * differences need that); stopping on a tolerance would leave steps where
 * the number of sweeps changes.  hv receives H = ln(B/X)^2 at the fine
 * level's nodes 0..QDFP_NF.  Returns 0 when the last of the
 * QDFP_MAX_SWEEPS sweeps still moved more than QDFP_TRUST sigma sqrt(T):
 * the fixed point did not converge, and its boundary is not to be used.
 * (A last move between QDFP_TOL and QDFP_TRUST sigma sqrt(T) is a small
 * oscillation about the solution, within the price's tolerance: truth case
 * 1832, a 0.02-year call, ends at 0.004 sigma sqrt(T) and 1.5e-9 off.)
 */
static int
qd_put_boundary(const QdPut *o, double *hv)
{
	const QdLevel *lc = &qd_coarse,
			   *lf = &qd_fine;
	QdRow		w;
	double		y[QDFP_NMAX + 1],
				hcv[QDFP_NC + 1],	/* the coarse H */
				hc[QDFP_NC + 1],	/* the coarse H / (tau/T) */
				sst = o->sigma * sqrt(o->t),
				trust = QDFP_TRUST * sst,
				guess = o->x,
				bq,
				bf1,			/* the QD+ root at the first fine node */
				move = 0.0;
	int			i,
				it;

	/*
	 * coarse level, from the QD+ boundary; the roots two at a time (see
	 * qd_plus_boundary2): the first coarse node's with the first fine node's
	 * (both from X), then pairs of nodes from the root before them
	 */
	qd_row_setup(o, lc, &w);
	y[0] = hv[0] = 0.0;
	qd_plus_boundary2(o, w.tau[1], o->x, o->t * lf->ti[1], o->x, &bq, &bf1);
	y[1] = qd_plus_y(o, bq);
	for (i = 2; i <= QDFP_NC; i += 2)
	{
		/*
		 * guesses: y extrapolated linearly in sqrt(tau) from the two nodes
		 * before, QDFP_QD_EXT of the way (y grows more slowly than that away
		 * from expiry): 2.5 evaluations a root instead of 3.0 from the root
		 * before
		 */
		double		sl = QDFP_QD_EXT * (y[i - 1] - y[i - 2]) /
		(lc->sti[i - 1] - lc->sti[i - 2]),
					b1 = 0.0;

		if (i < QDFP_NC)
		{
			qd_plus_boundary2(o, w.tau[i],
							  o->x * exp(-(y[i - 1] + sl * (lc->sti[i] - lc->sti[i - 1]))),
							  w.tau[i + 1],
							  o->x * exp(-(y[i - 1] + sl * (lc->sti[i + 1] - lc->sti[i - 1]))),
							  &bq, &b1);
			y[i] = qd_plus_y(o, bq);
			y[i + 1] = qd_plus_y(o, b1);
		}
		else
			y[i] = qd_plus_y(o,
							 qd_plus_boundary(o, w.tau[i],
											  o->x * exp(-(y[i - 1] + sl * (lc->sti[i] - lc->sti[i - 1])))));
	}
	for (i = 1; i <= QDFP_NC; i++)
		hv[i] = y[i] * y[i];
	for (it = 0; it < QDFP_SWEEPS_C; it++)
		qd_newton(o, lc, &w, y, hv, QDFP_NC, 1.0);

	/* fine level, from the coarse H */
	for (i = 0; i <= QDFP_NC; i++)
	{
		hcv[i] = hv[i];
		hc[i] = i > 0 ? hv[i] / lc->ti[i] : 0.0;
	}
	qd_row_setup(o, lf, &w);
	guess = o->x;
	for (i = 1; i <= QDFP_NF; i++)
	{
		if (lf->ti[i] < lc->ti[1])
		{
			/*
			 * below the first coarse node, where the interpolation is poor
			 * relative to sigma sqrt(tau_i): QD+ again
			 */
			bq = i == 1 ? bf1 : qd_plus_boundary(o, w.tau[i], guess);
			y[i] = qd_plus_y(o, bq);
			guess = bq;
		}
		else if (lf->ti[i] < lc->ti[2])
		{
			/*
			 * between the first two: H / (tau/T) (see qd_init), as H itself
			 * may be undershot below 0 there
			 */
			double		h = 0.0;
			int			k;

			for (k = 1; k <= QDFP_NC; k++)
				h += lf->lag[i][k] * hc[k];
			y[i] = h > 0.0 ? sqrt(h * lf->ti[i]) : 0.0;
		}
		else
		{
			double		h = 0.0;
			int			k;

			for (k = 0; k <= QDFP_NC; k++)
				h += qd_cf[i][k] * hcv[k];
			y[i] = h > 0.0 ? sqrt(h) : 0.0;
		}
		hv[i] = y[i] * y[i];
	}
	for (it = 0; it < QDFP_MAX_SWEEPS; it++)
	{
		/* a rescue sweep is damped while the last move was beyond the trust */
		int			damp = it >= QDFP_SWEEPS_F && !(move <= trust);

		move = qd_newton(o, lf, &w, y, hv, QDFP_NF, damp ? QDFP_DAMP : 1.0);
		if (it + 1 == QDFP_SWEEPS_F ? move <= trust :
			it + 1 > QDFP_SWEEPS_F && move <= QDFP_TOL * sst)
			return 1;
	}
	return move <= trust;
}

/*
 * American put with a single exercise boundary, and optionally its delta
 * and gamma: the European value plus the early exercise premium (Kim 1990,
 * Jacka 1991) integrated over the boundary in sqrt of the time from now.
 * NaN, with *converged 0, when the boundary's fixed point did not
 * converge (qd_put_boundary).  With delta, *dist receives the spot's
 * distance from the boundary at T, ln(S/B(T)) / (sigma sqrt(T)) (<= 0 in
 * the exercise region).
 */
static double
qd_put(const QdPut *o, double *delta, double *gamma, double *dist,
	   int *converged)
{
	const QdV2	zero = {0.0, 0.0};
	double		hv[2 * QDFP_NV + 1],
				b = o->r - o->q,
				st = sqrt(o->t),
				lnsx = log(o->s / o->x),
				prem = 0.0,
				pd = 0.0,
				pg = 0.0,
				eu;
	PricingGreeks g;
	QdV2		hw[QDFP_NV];
	int			j,
				j0,
				k;

	if (!qd_ready)
		qd_init();
	*converged = qd_put_boundary(o, hv);
	if (!*converged)
		return NAN;
	for (k = QDFP_NF + 1; k <= 2 * QDFP_NV; k++)
		hv[k] = 0.0;
	for (k = 0; k < QDFP_NV; k++)
	{
		hw[k][0] = hv[2 * k + 1];
		hw[k][1] = hv[2 * k + 2];
	}
	if (delta)
		*dist = (lnsx + sqrt(hv[QDFP_NF])) / (o->sigma * st);
	/* in the exercise region now (node QDFP_NF is tau = T) */
	if (lnsx + sqrt(hv[QDFP_NF]) <= 0.0)
	{
		if (delta)
		{
			*delta = -1.0;
			*gamma = 0.0;
		}
		return o->k - o->s;
	}
	/* the refined rule where the drift crosses many standard deviations */
	j0 = fabs(b - 0.5 * o->sigma * o->sigma) * st >
		QDFP_PR_KAPPA * o->sigma ? QDFP_P : 0;
	for (j = j0; j < (j0 ? QDFP_P + QDFP_PR : QDFP_P); j++)
	{
		/* time from now xi = T sn^2 (see qd_snp) */
		double		sn = qd_snp[j],
					xi = o->t * sn * sn,
					v = o->sigma * st * sn,
					lnsb,
					hb,
					erx,
					eqx,
					dp,
					dm,
					ndp,
					pdp,
					ndm,
					pdm,
					w = o->t * qd_wpp[j];

		QdV2		hs = zero;

		if (!(v > 0.0))
			continue;
		/* H at tau = T - xi from the node values (see qd_cardp) */
#pragma GCC unroll 8
		for (k = 0; k < QDFP_NV; k++)
			hs += qd_cardp[j][k] * hw[k];
		hb = hs[0] + hs[1];
		lnsb = lnsx + (hb > 0.0 ? sqrt(hb) : 0.0);
		qd_exp2(-o->r * xi, -o->q * xi, &erx, &eqx);
		dp = (lnsb + b * xi) / v + 0.5 * v;
		dm = dp - v;
		qd_norm2(-dp, -dm, &ndp, &pdp, &ndm, &pdm);
		prem += w * (o->r * o->k * erx * ndm - o->q * o->s * eqx * ndp);
		if (delta)
		{
			/* d/dS of the integrand, and d2/dS2 */
			pd += w * (-o->r * o->k * erx * pdm / (o->s * v) -
					   o->q * eqx * ndp + o->q * eqx * pdp / v);
			pg += w * (o->r * o->k * erx * pdm * (1.0 + dm / v) / (o->s * o->s * v) +
					   o->q * eqx * pdp / (o->s * v) -
					   o->q * eqx * pdp * dp / (o->s * v * v));
		}
	}
	if (delta)
	{
		pricing_bsm_greeks(-1, o->s, o->k, o->t, o->r, o->q, o->sigma, &g);
		eu = g.price;
		*delta = g.delta + pd;
		*gamma = g.gamma + pg;
	}
	else
		eu = pricing_bsm_price(-1, o->s, o->k, o->t, o->r, o->q, o->sigma);
	return eu + Max(prem, 0.0);
}

/* ---------------------------------------------------------------------
 * Finite differences for the double exercise boundary
 * --------------------------------------------------------------------- */

/*
 * Grid of american_fd_put: nodes in x and steps in sqrt(tau) of the finer
 * of its two grids.  Measured on the 25 two-boundary cases of
 * test/american/truth.csv with a uniform grid in x: 640 x 640 left 16
 * beyond 1e-6 (up to 1e-5), 1280 x 640 four (up to 1.7e-6), 2560 x 640
 * none (at most 4e-7): space, not time, limits the accuracy.  The nodes
 * are now concentrated at the strike (FD_STRETCH).
 */
#define FD_NODES 2560
#define FD_STEPS 640

/*
 * Width of the nodes' concentration at the strike, in units of the smaller
 * of sigma sqrt(T) and the boundary layer sigma^2 / |mu|: x = c sinh(xi)
 * with xi uniform.  The value varies on the scale of the boundary layer
 * near the strike, where the exercise region lies; at low volatility and
 * long maturity (sigma = 0.005, T = 30 years, q < r < 0: a layer of 6e-4 in
 * ln S) a uniform grid over the +-8 sigma sqrt(T) + |r - q| T of the
 * domain was wider than the layer and lost the premium entirely (quant
 * review of 2026-12-06).
 */
#define FD_STRETCH 1.0

/*
 * Work arrays of the grid (static: about 220 kB, too much for the stack;
 * the numerics are never re-entered, and an ERROR from the interrupt hook
 * leaves nothing in them that the next call reads).
 */
static double fd_v[FD_NODES],
			fd_prev[FD_NODES],
			fd_ex[FD_NODES],
			fd_rhs[FD_NODES],
			fd_cp[FD_NODES],
			fd_dp[FD_NODES],
			fd_vnew[FD_NODES],
			fd_x[FD_NODES],
			fd_ca[FD_NODES],
			fd_cb[FD_NODES],
			fd_cc[FD_NODES];
static unsigned char fd_act[FD_NODES];

/*
 * Put value on an n-node grid in x = ln(S/K) with nt steps of BDF2 in
 * s = sqrt(tau) (the first one implicit Euler), the strike on a node, the
 * spot interpolated by a cubic; the linear complementarity problem of each
 * step solved exactly by policy iteration, which allows any shape of the
 * exercise region (with q < r < 0 it is an interval [Y(tau), B(tau)] that
 * closes after a finite time, Battauz, De Donno and Sbuelz 2015).  The nodes are x = c sinh(xi), xi
 * uniform (FD_STRETCH), with three-point differences on the non-uniform
 * grid (second order in the step of xi, as the map is smooth).
 */
static double
american_fd_put_grid(const QdPut *o, int n, int nt)
{
	double	   *v = fd_v,
			   *prev = fd_prev,
			   *ex = fd_ex,
			   *rhs = fd_rhs,
			   *cp = fd_cp,
			   *dp = fd_dp,
			   *vnew = fd_vnew,
			   *x = fd_x,
			   *ca = fd_ca,
			   *cb = fd_cb,
			   *cc = fd_cc;
	unsigned char *act = fd_act;
	double		sd = o->sigma * sqrt(o->t),
				b = o->r - o->q,
				x0 = log(o->s / o->k),
				lo = Min(x0, 0.0) - 8.0 * sd - fabs(b) * o->t - 0.05,
				hi = Max(x0, 0.0) + 8.0 * sd + fabs(b) * o->t + 0.05,
				v2 = o->sigma * o->sigma,
				mu = b - 0.5 * v2,
				c = FD_STRETCH * Min(sd, v2 / Max(fabs(mu), 1e-300)),
				zlo = asinh(lo / c),
				zhi = asinh(hi / c),
				dz,
				ds = sqrt(o->t) / nt,
				val;
	int			i,
				j,
				it,
				jj,
				i0;

	dz = (zhi - zlo) / (n - 1);
	i0 = (int) ceil(-zlo / dz);
	zlo = -i0 * dz;
	for (i = 0; i < n; i++)
	{
		double		a = c * sinh(zlo + (i - 0.5) * dz),
					e = Min(c * sinh(zlo + (i + 0.5) * dz), 0.0);

		x[i] = i == i0 ? 0.0 : c * sinh(zlo + i * dz);
		ex[i] = Max(1.0 - exp(x[i]), 0.0);
		/* average of the payoff over the node's cell (midpoints in xi) */
		v[i] = e > a ? ((e - a) - (exp(e) - exp(a))) /
			(c * sinh(zlo + (i + 0.5) * dz) - a) : 0.0;
		prev[i] = v[i];
		act[i] = 0;
	}
	lo = x[0];
	for (i = 1; i < n - 1; i++)
	{
		double		hm = x[i] - x[i - 1],
					hp = x[i + 1] - x[i],
					hs = hm + hp;

		ca[i] = v2 / (hm * hs) - mu / hs;
		cc[i] = v2 / (hp * hs) + mu / hs;
		cb[i] = -v2 / (hm * hp) - o->r;
	}
	for (j = 0; j < nt; j++)
	{
		double		sn = (j + 1) * ds,
					tn = sn * sn,
					w = 2.0 * sn * ds,
					a0 = j == 0 ? 1.0 : 1.5,
					left = Max(1.0 - exp(lo), exp(-o->r * tn) - exp(lo - o->q * tn));

		pricing_check_interrupts();
		for (i = 1; i < n - 1; i++)
			rhs[i] = j == 0 ? v[i] : 2.0 * v[i] - 0.5 * prev[i];
		for (it = 0; it < n; it++)
		{
			int			changed = 0;

			cp[0] = 0.0;
			dp[0] = left;
			for (i = 1; i < n - 1; i++)
			{
				if (act[i])
				{
					cp[i] = 0.0;
					dp[i] = ex[i];
				}
				else
				{
					double		sub = -w * ca[i],
								den = (a0 - w * cb[i]) - sub * cp[i - 1];

					cp[i] = -w * cc[i] / den;
					dp[i] = (rhs[i] - sub * dp[i - 1]) / den;
				}
			}
			vnew[0] = left;
			vnew[n - 1] = 0.0;
			for (i = n - 2; i >= 1; i--)
				vnew[i] = dp[i] - cp[i] * vnew[i + 1];
			for (i = 1; i < n - 1; i++)
			{
				double		gap = ((a0 - w * cb[i]) * vnew[i] - w * ca[i] * vnew[i - 1] -
								   w * cc[i] * vnew[i + 1] - rhs[i]) - (vnew[i] - ex[i]);
				int			want = act[i] ? gap > -1e-15 : gap > 1e-15;

				if (want != act[i])
				{
					act[i] = want;
					changed = 1;
				}
			}
			if (!changed)
				break;
		}
		for (i = 0; i < n; i++)
		{
			prev[i] = v[i];
			v[i] = vnew[i];
		}
	}
	/* cubic (Lagrange) through the nodes jj-1 .. jj+2 around the spot */
	for (jj = 1; jj < n - 3 && x[jj + 1] <= x0; jj++)
		;
	val = 0.0;
	for (i = jj - 1; i <= jj + 2; i++)
	{
		double		l = 1.0;
		int			m;

		for (m = jj - 1; m <= jj + 2; m++)
			if (m != i)
				l *= (x0 - x[m]) / (x[i] - x[m]);
		val += l * v[i];
	}
	return o->k * val;
}

/* Richardson extrapolation of two grids (second order). */
static double
american_fd_put(const QdPut *o)
{
	double		v1 = american_fd_put_grid(o, FD_NODES / 2, FD_STEPS / 2),
				v2 = american_fd_put_grid(o, FD_NODES, FD_STEPS);

	return (4.0 * v2 - v1) / 3.0;
}

/*
 * The put by the binomial tree where the fixed point does not converge:
 * the mean of american_crr at n and n + 1 steps (which removes most of the
 * tree's odd-even oscillation) at n = QD_TREE_STEPS and 2n, and one
 * Richardson step on the remaining 1/n error.  Found by the quant review
 * of 2026-12-05: puts with r = 0 > q, T of 8 to 25 years and sigma 1 to 3,
 * whose boundary falls from K to nearly 0, left the fixed point oscillating
 * after its 24 sweeps at up to 2.6e-5 of the price, some at the cap K
 * exactly and falling as sigma rose.  There this takes 4 trees (about 90
 * ms) and is within 1e-8 of a 64,000-step tree's trend on the review's
 * cases; the tree's own error is about 1 / n of the price's curvature
 * scale, so it serves only these long, volatile options, never the
 * fixed point's converged ones.
 */
#define QD_TREE_STEPS 4000

static double qd_tree_work[2 * QD_TREE_STEPS + 2];

static double
american_put_tree(const QdPut *o)
{
	double		v1,
				v2;

	v1 = 0.5 * (american_crr(-1, o->s, o->k, o->t, o->r, o->q, o->sigma,
							 QD_TREE_STEPS, qd_tree_work) +
				american_crr(-1, o->s, o->k, o->t, o->r, o->q, o->sigma,
							 QD_TREE_STEPS + 1, qd_tree_work));
	v2 = 0.5 * (american_crr(-1, o->s, o->k, o->t, o->r, o->q, o->sigma,
							 2 * QD_TREE_STEPS, qd_tree_work) +
				american_crr(-1, o->s, o->k, o->t, o->r, o->q, o->sigma,
							 2 * QD_TREE_STEPS + 1, qd_tree_work));
	return 2.0 * v2 - v1;
}

/*
 * Does the holder of this put (after the put-call symmetry for a call) never
 * exercise early?  That is when r <= 0 and q >= r: the interest on the
 * strike never outweighs the dividends given up (r K - q S <= 0 for S < K).
 */
static inline int
american_put_is_european(double r, double q)
{
	return r <= 0.0 && q >= r;
}

/* The same for an option of either kind (a call through the symmetry). */
static inline int
american_is_european(int theta, double r, double q)
{
	return theta > 0 ? american_put_is_european(q, r) : american_put_is_european(r, q);
}

/*
 * What no American option is worth more than: a put the strike paid now or
 * at expiry, K max(1, e^-rT), a call the share, S max(1, e^-qT) (the methods
 * overshot it by up to 21% for long, very volatile options; review of
 * 2026-12-04: a call at 120.6 with S = 100, q = 0, T = 69 y, sigma = 2.17,
 * r = -0.4).
 */
static inline double
american_cap(int theta, double s, double k, double t, double r, double q)
{
	return theta > 0 ? s * (q < 0.0 ? exp(-q * t) : 1.0) :
		k * (r < 0.0 ? exp(-r * t) : 1.0);
}

/*
 * e^a Phi(x) without overflow where e^a alone overflows and Phi(x)
 * underflows (a product of a few units in the bounds below): in the lower
 * tail Phi(x) = e^(-x^2/2) erfcx(-x/sqrt 2) / 2, and the exponents are
 * added first.
 */
static double
american_exp_cdf(double a, double x)
{
	double		y = -x * PRICING_INV_SQRT2;

	if (y > CODY_THRESH)
		return 0.5 * exp(a - 0.5 * x * x) * cody_erfcx_large(y);
	return exp(a) * pricing_norm_cdf(x);
}

/*
 * Bounds of a single-boundary American put that hold whatever the method:
 * above, the perpetual put (McKean 1965; Merton 1973), which no finite
 * maturity exceeds, V = (K - B)(S/B)^-g with B = g K / (g + 1), where g is
 * the positive root of sigma^2/2 g (g + 1) - (r - q) g - r = 0; below, the
 * value of one exercise strategy, "exercise when S first falls to B, hold
 * to expiry if it does not": the rebate K - B paid at the first passage to
 * B before T (the discounted first-passage transform of Brownian motion with
 * drift) plus a down-and-out put with barrier B < K (Reiner and Rubinstein
 * 1991, as in Haug, The Complete Guide to Option Pricing Formulas, 2007,
 * 4.17.1 and 4.17.3).  The boundary of the finite-maturity put lies above B
 * and tends to it as T grows, so the two meet when T is long compared with
 * the time the boundary takes to settle; that is where the fixed point,
 * whose nodes are spread over the whole of [0, T], loses accuracy (found by
 * review: 0.1% above the perpetual value at r = 0.3, sigma = 0.03, T = 2,
 * and 1e-25 instead of 1.465 at r = 0.3, q = -0.2, sigma = 0.2, T = 100).
 * The terms that pair a large power of B/S with a small normal probability
 * are taken as one (american_exp_cdf): apart, they overflowed to inf x 0 at
 * low volatility (sigma = 0.005: exponents of 8,000) and the bounds were
 * skipped, which let the fixed point's 1.5e-3 error through.
 * Also for r = 0 > q - sigma^2/2 (then g = 2 (-q - sigma^2/2) / sigma^2 > 0):
 * the fixed point of the put with r = 0, q = -0.05, sigma = 0.005 fell from
 * 0.0100 at T = 10 to 0.0063 at T = 30 against 0.0092 (quant review of
 * 2026-12-06).
 * Returns 0 when the bounds do not apply (no finite B) or are not finite.
 */
static int
american_put_bounds(const QdPut *o, double *lower, double *upper)
{
	double		v2 = o->sigma * o->sigma,
				mu = o->r - o->q - 0.5 * v2,
				nu = sqrt(mu * mu + 2.0 * o->r * v2),
				g = (mu + nu) / v2,
				bb,
				h,
				st,
				sst,
				rebate,
				dfr,
				dfq,
				m,
				x1,
				x2,
				y1,
				y2,
				p1,
				p2,
				pa,
				pb,
				pc,
				pd;

	if (!(o->r >= 0.0) || !(g > 0.0) || !isfinite(g))
		return 0;
	bb = g * o->k / (g + 1.0);
	if (o->s <= bb)
	{
		/* exercised at once by the perpetual and so by every maturity */
		*lower = *upper = o->k - o->s;
		return 1;
	}
	h = log(bb / o->s);			/* < 0 */
	*upper = (o->k - bb) * exp(g * h);
	st = sqrt(o->t);
	sst = o->sigma * st;
	/* E[exp(-r tau) ; tau <= T] for the first passage tau to B */
	rebate = (o->k - bb) *
		(american_exp_cdf(g * h, (h + nu * o->t) / sst) +
		 american_exp_cdf((mu - nu) / v2 * h, (h - nu * o->t) / sst));
	/* down-and-out put, K > B: A - B + C - D with phi = -1, eta = 1 */
	dfr = exp(-o->r * o->t);
	dfq = exp(-o->q * o->t);
	m = mu / v2;
	x1 = log(o->s / o->k) / sst + (1.0 + m) * sst;
	x2 = -h / sst + (1.0 + m) * sst;
	y1 = (2.0 * h - log(o->k / o->s)) / sst + (1.0 + m) * sst;
	y2 = h / sst + (1.0 + m) * sst;
	p1 = 2.0 * (m + 1.0) * h;	/* the logarithms of the powers */
	p2 = 2.0 * m * h;
	pa = o->k * dfr * pricing_norm_cdf(-x1 + sst) - o->s * dfq * pricing_norm_cdf(-x1);
	pb = o->k * dfr * pricing_norm_cdf(-x2 + sst) - o->s * dfq * pricing_norm_cdf(-x2);
	pc = o->k * dfr * american_exp_cdf(p2, y1 - sst) - o->s * dfq * american_exp_cdf(p1, y1);
	pd = o->k * dfr * american_exp_cdf(p2, y2 - sst) - o->s * dfq * american_exp_cdf(p1, y2);
	*lower = rebate + Max(pa - pb + pc - pd, 0.0);
	if (!isfinite(*lower) || !isfinite(*upper))
		return 0;
	/* the strategy's value is below the optimum: never above the cap */
	*lower = Min(*lower, *upper);
	return 1;
}

/*
 * The "qdfp" method: a put, or a call as the put of McDonald and Schroder's
 * symmetry C(S, K, r, q) = P(K, S, q, r).  One exercise boundary (r > 0, or
 * r = 0 > q): the fixed point of Andersen, Lake and Offengeld.  Two
 * boundaries (q < r < 0): finite differences (american_fd_put).  delta and gamma
 * (may be NULL) receive the spot derivatives; they are those of the
 * integral representation, or NaN from the finite differences.  dist (may
 * be NULL) receives the distance of the put's spot from its boundary at T
 * in standard deviations (qd_put), NaN where the spot derivatives are not
 * the integral's.
 */
static double
american_qdfp(int theta, double s, double k, double t, double r, double q,
			  double sigma, double *delta, double *gamma, double *dist)
{
	QdPut		o;
	double		v,
				dp = NAN,
				gp = NAN,
				du = NAN;

	o.s = theta > 0 ? k : s;
	o.k = theta > 0 ? s : k;
	o.r = theta > 0 ? q : r;
	o.q = theta > 0 ? r : q;
	o.sigma = sigma;
	o.t = t;
	if (american_put_is_european(o.r, o.q))
	{
		PricingGreeks g;

		pricing_bsm_greeks(theta, s, k, t, r, q, sigma, &g);
		if (delta)
		{
			*delta = g.delta;
			*gamma = g.gamma;
		}
		if (dist)
			*dist = NAN;
		return g.price;
	}
	if (o.r < 0.0)
		v = american_fd_put(&o);
	else
	{
		double		lo,
					hi;
		int			converged;

		o.x = o.q > 0.0 && o.r < o.q ? o.k * o.r / o.q : o.k;
		v = qd_put(&o, delta ? &dp : NULL, &gp, &du, &converged);
		if (!converged)
		{
			/* the spot derivatives are then central differences */
			v = american_put_tree(&o);
			dp = gp = du = NAN;
		}

		/*
		 * Within the bounds that hold for every maturity: where the fixed
		 * point strays out of them (long maturities compared with the time
		 * the boundary takes to settle) they are within a few 1e-8 of each
		 * other, and either is the value to that accuracy.
		 */
		if (american_put_bounds(&o, &lo, &hi) && !(v >= lo && v <= hi))
		{
			double		b = v > hi ? hi : lo;

			/*
			 * the fixed point's spot derivatives are not the bound's where
			 * the price moved (beyond rounding: below that they are the
			 * better ones)
			 */
			if (fabs(b - v) > 1e-9 * b)
				dp = gp = du = NAN;
			v = b;
		}
	}

	/*
	 * Never below the sigma = 0 value: exercising at the best fixed time tau
	 * is worth e^-r tau E[(theta (S_tau - K))^+] >= e^-r tau (theta (F_tau -
	 * K))^+ for any sigma (Jensen), so it is a lower bound of every American
	 * value; the methods approach it from below at low volatility and long
	 * maturity (quant review of 2026-12-06).
	 */
	{
		double		z = american_zero_vol(theta, s, k, t, r, q);

		if (!(v >= z))
		{
			if (fabs(z - v) > 1e-9 * z)
				dp = gp = du = NAN;
			v = z;
		}
	}

	v = Min(v, american_cap(theta, s, k, t, r, q));
	if (dist)
		*dist = du;
	if (delta)
	{
		if (theta > 0)
		{
			/* C = P(K, S): dC/dS = dP/dK = (P - K dP/dS) / S by homogeneity */
			*delta = (v - k * dp) / s;
			*gamma = k * k * gp / (s * s);
		}
		else
		{
			*delta = dp;
			*gamma = gp;
		}
	}
	return v;
}

/*
 * Bjerksund-Stensland 2002 where its closed form holds, else NaN.  The
 * formula is that of the paper's call; a put is the call of the symmetry
 * with r' = q and b' = q - r (r' = 0 is allowed: the formula holds there).
 * It is rejected (NaN) where r' < 0, where the perpetual root does not
 * exist, and where its value is not finite.  Where its value is below the
 * European price (the two-step rule exercises too early, for instance at
 * once: S >= I2 in the money at low volatility, or for long high-volatility
 * calls) the European price is returned: the better of two exercise
 * strategies, "the paper's rule" and "never early", is still one, so the
 * result stays a lower bound of the American value and continuous in the
 * inputs.  Before, such inputs were handed to qdfp, a jump of bjs2002's own
 * error (0.024, 0.2%, between sigma = 0.152 and 0.1525 for the call S = 110,
 * K = 100, T = 0.25, r = q = 0.025).
 */
static double
american_bjs2002(int theta, double s, double k, double t, double r, double q,
				 double sigma)
{
	double		v,
				eu = pricing_bsm_price(theta, s, k, t, r, q, sigma);

	/*
	 * The paper assumes r >= 0 for its call (r' = q for a put): below, on the
	 * random set of test/american, it was off by up to 91%.
	 */
	if ((theta > 0 ? r : q) < 0.0)
		return NAN;
	if (theta > 0)
		v = bjs2002_call(s, k, t, r, r - q, sigma);
	else
		v = bjs2002_call(k, s, t, q, q - r, sigma);
	if (!isfinite(v))
		return NAN;
	return Max(v, eu);
}

/*
 * A method's value v made an American price: never below the European value
 * nor the exercise value (this also removes the tree's discretization error
 * where it would undercut them), nor above american_cap (for every method,
 * the tree's included).  american_greeks applies it to its price too, so
 * that its price is american_price's to the last bit.
 */
static double
american_floor(int theta, double s, double k, double t, double r, double q,
			   double sigma, double v)
{
	v = Max(v, pricing_bsm_price(theta, s, k, t, r, q, sigma));
	v = Min(v, american_cap(theta, s, k, t, r, q));
	return Max(v, Max(theta * (s - k), 0.0));
}

/*
 * American option price.  Early exercise never pays for a put with r <= 0
 * and q >= r, nor for a call with q <= 0 and r >= q: those are European for
 * every method but the tree.  baw: a call with r < 0, a put with q < 0 and
 * inputs without a real solution are outside its derivation; bjs2002: see
 * american_bjs2002; both then use qdfp (docs/pricing.md says so).
 * work: steps + 1 doubles for the tree (may be NULL for the others).
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
	{
		if (!american_is_european(theta, r, q))
			return american_zero_vol(theta, s, k, t, r, q);

		/*
		 * European: the European sigma = 0 value, computed as bsm_price
		 * computes it (and floored as below).  american_zero_vol gives the
		 * same value but not always the same last bits (8 ulp above for the
		 * call S = 125, K = 100, T = 0.1, r = 0.2, q = -0.01), and
		 * american_implied_vol of a price floored at the European value then
		 * found it below the sigma = 0 value (NULL).
		 */
		v = pricing_bsm_price(theta, s, k, t, r, q, 0.0);
		v = Min(v, american_cap(theta, s, k, t, r, q));
		return Max(v, intrinsic);
	}
	if (s <= 0.0 || k <= 0.0)
	{
		/* s = 0: put exercised at once; k = 0: call is the share */
		if (theta < 0)
			return k <= 0.0 ? 0.0 : k * (r > 0.0 ? 1.0 : exp(-r * t));
		return s <= 0.0 ? 0.0 : s * (q > 0.0 ? 1.0 : exp(-q * t));
	}
	if (method == PRICING_AMERICAN_CRR)
		v = american_crr(theta, s, k, t, r, q, sigma, steps, work);
	else if (american_is_european(theta, r, q))
		v = 0.0;				/* European: the floor below is the value */
	else if (method == PRICING_AMERICAN_QDFP)
		v = american_qdfp(theta, s, k, t, r, q, sigma, NULL, NULL, NULL);
	else
	{
		if (method == PRICING_AMERICAN_BAW)
			v = (theta > 0 && r < 0.0) || (theta < 0 && q < 0.0) ? NAN :
				american_baw(theta, s, k, t, r, q, sigma);
		else
			v = american_bjs2002(theta, s, k, t, r, q, sigma);
		if (isnan(v))
			v = american_qdfp(theta, s, k, t, r, q, sigma, NULL, NULL, NULL);
	}

	return american_floor(theta, s, k, t, r, q, sigma, v);
}

/*
 * Where american_greeks takes gamma from the Black-Scholes equation instead
 * of the premium integral: at distances u = ln(S/B(T)) / (sigma sqrt(T)) of
 * the put's spot from its exercise boundary (qd_put) up to
 * AMERICAN_GAMMA_PDE_U, the equation's alone; from AMERICAN_GAMMA_INT_U on,
 * the integral's alone; in between a smoothstep blend, so gamma does not jump
 * where the weights change.  Near the boundary the integrand of the
 * integral's gamma peaks at a time from now of about u^2 T, a spike the 32
 * quadrature points do not resolve: within 1e-5 of the exercise value it
 * was up to 11% off 2 (r K - q S) / (sigma^2 S^2), the value smooth pasting
 * gives it there (the review grid of sql/pricing_american_review.sql), and
 * 3 single-boundary cases of test/american/truth.csv (u = 0.005, 0.011,
 * 0.030) were beyond the test's tolerance.  Against that truth the
 * integral's error is below 0.23 of the tolerance from u = 0.1 on and below
 * 0.06 from u = 0.3; the equation's is below 0.3 of it at every u; on 6,000
 * random inputs (T up to 60 years, sigma from 0.01 to 3) the two differ by
 * at most 5e-5 relative between the bounds below.
 */
#define AMERICAN_GAMMA_PDE_U 0.25
#define AMERICAN_GAMMA_INT_U 1.0

/* Weight of the integral's gamma at the distance u from the boundary. */
static double
american_gamma_weight(double u)
{
	double		x;

	if (u <= AMERICAN_GAMMA_PDE_U)
		return 0.0;
	if (u >= AMERICAN_GAMMA_INT_U)
		return 1.0;
	x = (u - AMERICAN_GAMMA_PDE_U) / (AMERICAN_GAMMA_INT_U - AMERICAN_GAMMA_PDE_U);
	return x * x * (3.0 - 2.0 * x);
}

/*
 * Greeks of an American option by the qdfp method: delta and gamma from the
 * integral representation (finite differences of the price for two
 * boundaries), gamma near the exercise boundary from the Black-Scholes
 * equation (american_gamma_weight), theta, vega and rho by central
 * differences of the price (steps of 1e-4 T, 1e-4 sigma and 1e-5; theta 0
 * on the exercise region), vanna and volga from the same differences.
 */
void
pricing_american_greeks(int theta, double s, double k, double t, double r,
						double q, double sigma, PricingGreeks *g)
{
	double		d = NAN,
				gm = NAN,
				dist = NAN,
				hs = 1e-4 * sigma,
				hr = 1e-5,
				vu,
				vd,
				du,
				dd,
				gu,
				gd;

	if (t <= 0.0)
	{
		/*
		 * At expiry the American option is its intrinsic value, max(+-(S -
		 * K), 0), undiscounted: delta +-1 in the money and 0 otherwise
		 * (exactly at the money counts as out of the money, as for the
		 * European Greeks at t = 0), everything else 0.  The European Greeks
		 * of the same point were returned before: a theta of +3.2 beside a
		 * price of 10 (put, S = 90, K = 100, r = 5%, q = 2%, sigma = 20%).
		 */
		memset(g, 0, sizeof(*g));
		g->price = Max(theta * (s - k), 0.0);
		g->delta = theta * (s - k) > 0.0 ? theta : 0.0;
		return;
	}
	if (s <= 0.0 || k <= 0.0)
	{
		/*
		 * s = 0 or k = 0 (pricing_american_price): a put at s = 0 and a call
		 * at k = 0 are exercised at once when r > 0 (put) or q > 0 (call),
		 * worth K or S with delta -1 or +1 and every other Greek 0 (not the
		 * European Greeks of K e^-rT or S e^-qT); held to expiry otherwise,
		 * where the value is the European one and so are its Greeks.  A call
		 * at s = 0 and a put at k = 0 are worth 0, all Greeks 0.
		 */
		memset(g, 0, sizeof(*g));
		if (theta < 0 ? k <= 0.0 : s <= 0.0)
			return;
		if (theta < 0 ? r > 0.0 : q > 0.0)
		{
			g->price = theta < 0 ? k : s;
			g->delta = theta;
			return;
		}
		pricing_bsm_greeks(theta, s, k, t, r, q, sigma, g);
		g->price = pricing_american_price(theta, s, k, t, r, q, sigma,
										  PRICING_AMERICAN_QDFP, 1, NULL);
		return;
	}
	if (sigma <= 0.0 && !american_is_european(theta, r, q))
	{
		/*
		 * sigma = 0 with early exercise: the value is the best exercise
		 * time's (american_zero_vol), whose Greeks are not those of the
		 * European discounted intrinsic value (exercised at once, its theta
		 * and rho are 0, not the European ones): central differences of that
		 * value; gamma, vega, vanna and volga 0 as for every sigma = 0 price
		 */
		double		hsp = 1e-6 * s,
					ht = 1e-6 * t;

		g->price = american_zero_vol(theta, s, k, t, r, q);
		g->gamma = g->vega = g->vanna = g->volga = 0.0;
		if (theta * (s - k) > 0.0 && g->price <= theta * (s - k))
		{
			/* exercised at once: the Greeks of S - K or K - S, exactly */
			g->delta = theta;
			g->theta = g->rho = 0.0;
			return;
		}
		g->delta = (american_zero_vol(theta, s + hsp, k, t, r, q) -
					american_zero_vol(theta, s - hsp, k, t, r, q)) / (2.0 * hsp);
		g->theta = -(american_zero_vol(theta, s, k, t + ht, r, q) -
					 american_zero_vol(theta, s, k, t - ht, r, q)) / (2.0 * ht);
		g->rho = (american_zero_vol(theta, s, k, t, r + hr, q) -
				  american_zero_vol(theta, s, k, t, r - hr, q)) / (2.0 * hr);
		return;
	}
	if (sigma <= 0.0 || american_is_european(theta, r, q))
	{
		/* European (sigma = 0 too): the European Greeks (with the floor) */
		pricing_bsm_greeks(theta, s, k, t, r, q, sigma, g);
		g->price = pricing_american_price(theta, s, k, t, r, q, sigma,
										  PRICING_AMERICAN_QDFP, 1, NULL);
		return;
	}
	g->price = american_floor(theta, s, k, t, r, q, sigma,
							  american_qdfp(theta, s, k, t, r, q, sigma,
											&d, &gm, &dist));
	if (isnan(d))
	{
		double		h = 1e-3 * s,
					up = american_qdfp(theta, s + h, k, t, r, q, sigma, NULL, NULL, NULL),
					dn = american_qdfp(theta, s - h, k, t, r, q, sigma, NULL, NULL, NULL);

		d = (up - dn) / (2.0 * h);
		gm = (up - 2.0 * g->price + dn) / (h * h);
		if (theta * (s - h - k) > 0.0 && g->price <= theta * (s - k) &&
			up <= theta * (s + h - k) && dn <= theta * (s - h - k))
		{
			/*
			 * all three points in the exercise region, where the value is the
			 * linear S - K or K - S: delta +-1 and gamma 0 exactly; the
			 * difference divided by h^2 was rounding noise (gamma -1.4e8 at S
			 * = 1e-8, K = 100, T = 1e-8)
			 */
			d = theta;
			gm = 0.0;
		}
	}
	g->delta = d;
	g->gamma = gm;
	if (g->price <= Max(theta * (s - k), 0.0) && theta * (s - k) > 0.0 &&
		fabs(d - theta) < 1e-9)
		g->theta = 0.0;			/* exercise region */
	else
	{
		/*
		 * A central difference of the price in T (the fixed point's nodes
		 * scale with T, so the price is smooth in it).  The Black-Scholes
		 * equation, r V - (r - q) S delta - sigma^2 S^2 gamma / 2, was used
		 * before: near the exercise boundary the integral representation's
		 * gamma is off by up to 11%, and sigma^2 S^2 / 2 made that a theta of
		 * +1.16 where the true one is -0.003 (review of 2026-12-05; an
		 * American option is worth no less with more time, so theta <= 0).
		 */
		double		ht = 1e-4 * t;

		g->theta = -(american_qdfp(theta, s, k, t + ht, r, q, sigma, NULL, NULL, NULL) -
					 american_qdfp(theta, s, k, t - ht, r, q, sigma, NULL, NULL, NULL)) / (2.0 * ht);

		/*
		 * Near the boundary, gamma from the Black-Scholes equation, r V =
		 * theta + (r - q) S delta + sigma^2 S^2 gamma / 2, with this theta
		 * and the integral's delta, both accurate there
		 * (american_gamma_weight); at the boundary it meets 2 (r K - q S) /
		 * (sigma^2 S^2) for a put, as smooth pasting requires.  dist is NaN
		 * where the spot derivatives are not the integral's, and <= 0 in the
		 * exercise region (gamma 0).
		 */
		if (dist > 0.0 && dist < AMERICAN_GAMMA_INT_U)
		{
			double		w = american_gamma_weight(dist),
						gpde = 2.0 * (r * g->price - g->theta - (r - q) * s * d) /
			(sigma * sigma * s * s);

			g->gamma = w * gm + (1.0 - w) * gpde;
		}
	}
	vu = american_qdfp(theta, s, k, t, r, q, sigma + hs, &du, &gu, NULL);
	vd = american_qdfp(theta, s, k, t, r, q, sigma - hs, &dd, &gd, NULL);
	g->vega = (vu - vd) / (2.0 * hs);
	g->volga = (vu - 2.0 * g->price + vd) / (hs * hs);
	if (isnan(du) || isnan(dd))
	{
		/*
		 * two boundaries (finite differences): no spot derivative comes with
		 * the price, so the cross difference (NaN before, which the SQL
		 * function reported as an overflow for every such input)
		 */
		double		h = 1e-3 * s;

		g->vanna = (american_qdfp(theta, s + h, k, t, r, q, sigma + hs, NULL, NULL, NULL) -
					american_qdfp(theta, s + h, k, t, r, q, sigma - hs, NULL, NULL, NULL) -
					american_qdfp(theta, s - h, k, t, r, q, sigma + hs, NULL, NULL, NULL) +
					american_qdfp(theta, s - h, k, t, r, q, sigma - hs, NULL, NULL, NULL)) /
			(4.0 * h * hs);
	}
	else
		g->vanna = (du - dd) / (2.0 * hs);
	vu = american_qdfp(theta, s, k, t, r + hr, q, sigma, NULL, NULL, NULL);
	vd = american_qdfp(theta, s, k, t, r - hr, q, sigma, NULL, NULL, NULL);
	g->rho = (vu - vd) / (2.0 * hr);
}

/*
 * How far from the price both ends of american_implied_vol's final bracket
 * may be (relative) before it reports that no sigma reproduces the price.
 */
#define AMERICAN_IV_JUMP 1e-7

/*
 * Iterations of american_implied_vol's search: where Illinois stalls at
 * least every third step bisects (below), and 91 halvings narrow a bracket
 * [0, 128] to 4 ulps of a sigma of 1e-10, so 400 leave room for three
 * steps each
 */
#define AMERICAN_IV_MAX_ITER 400

/*
 * Implied volatility of an American price: Illinois regula falsi on sigma
 * (the price increases with sigma), bracketed below by the sigma = 0 value
 * and above by doubling from the European implied volatility of the same
 * price (an upper bound: an American option is worth at least its European
 * twin).  Returns 0 at the sigma = 0 value, also within rounding of it
 * (pricing_iv_at_lower_bound), -1 outside the bounds (below the sigma = 0
 * value, at or above the model's upper limit), when no sigma up to 128
 * reproduces the price (also where the price jumps past it in sigma) and
 * should the search not converge.
 */
double
pricing_american_implied_vol(int theta, double price, double s, double k,
							 double t, double r, double q,
							 PricingAmericanMethod method, int steps,
							 double *work)
{
	double		lo = 0.0,
				hi,
				flo,
				fhi,
				glo,
				ghi,
				x = 0.0,
				ev,
				v0;
	int			it,
				side = 0,
				kept = 0;

	if (t <= 0.0)
		return -1.0;
	v0 = pricing_american_price(theta, s, k, t, r, q, 0.0, method, steps, work);
	/* 0 also within rounding of the sigma = 0 value (pricing_iv.c) */
	if (pricing_iv_at_lower_bound(price, v0))
		return 0.0;
	flo = v0 - price;
	if (flo > 0.0)
		return -1.0;
	if (flo == 0.0)
		return 0.0;
	ev = pricing_bsm_implied_vol(theta, price, s, k, t, r, q);
	hi = ev > 0.0 && ev < 64.0 ? ev : 1.0;
	for (;;)
	{
		pricing_check_interrupts();
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
	glo = flo;
	ghi = fhi;

	/*
	 * Illinois variant of regula falsi, bisection when it stalls: where the
	 * price spans many orders of magnitude over the bracket (a tiny price,
	 * far out of the money), the secant point sits next to the end whose
	 * difference is tiny, that end moves by a few ulps or by doubling from
	 * nearly 0, and Illinois' halving of the other end's difference takes
	 * hundreds of steps to matter (baw, put S = 100, K = 50, T = 1 day, r =
	 * 5%, sigma = 10%: the price 5.0e-87 moved the lower end from 2.5e-71 to
	 * 1e-11 in 200 steps, and the midpoint of that bracket, 0.337, was
	 * returned; quant review of 2026-12-06).  So once one end has been kept
	 * three times running, bisect until the other one moves.
	 */
	for (it = 0; it < AMERICAN_IV_MAX_ITER; it++)
	{
		double		fx;

		pricing_check_interrupts();
		x = (lo * fhi - hi * flo) / (fhi - flo);
		if (!(x > lo && x < hi) || kept >= 3)
			x = 0.5 * (lo + hi);
		fx = pricing_american_price(theta, s, k, t, r, q, x, method, steps, work) - price;
		if (fx == 0.0)
			return x;
		if (fx < 0.0)
		{
			lo = x;
			flo = glo = fx;
			if (side == -1)
				fhi *= 0.5;
			kept = side == -1 ? kept + 1 : 1;
			side = -1;
		}
		else
		{
			hi = x;
			fhi = ghi = fx;
			if (side == 1)
				flo *= 0.5;
			kept = side == 1 ? kept + 1 : 1;
			side = 1;
		}
		if (hi - lo <= 4.0 * DBL_EPSILON * hi)
			break;
	}

	/*
	 * Not converged: NULL, never an unconverged iterate (the midpoint of a
	 * bracket [1e-11, 0.67] was returned before; see above)
	 */
	if (!(hi - lo <= 4.0 * DBL_EPSILON * hi))
		return -1.0;

	/*
	 * The bracket has shrunk onto a sigma; unless the price is continuous
	 * there, no sigma reproduces it and that sigma would be wrong (the
	 * method's price jumps: bjs2002 did where it handed over to qdfp, quant
	 * review of 2026-12-06).  glo and ghi are the differences at the ends
	 * (flo and fhi are halved by the Illinois steps).
	 */
	if (Min(-glo, ghi) > AMERICAN_IV_JUMP * price + 1e-9 * k)
		return -1.0;
	return 0.5 * (lo + hi);
}
