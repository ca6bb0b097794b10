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

#include "pricing_internal.h"

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
