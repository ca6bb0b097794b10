/*-------------------------------------------------------------------------
 *
 * pricing_iv.c
 *		Implied volatilities: Black and Black-Scholes-Merton ("Let's Be
 *		Rational"), Black-76 and Bachelier (normal) volatility.
 *
 * Implied Black volatility: "Let's Be Rational" (P. Jaeckel, Wilmott 2015),
 * written from the paper: a rational cubic initial guess in four branches
 * and Householder steps of order 3, about two per call, with a safeguarded
 * Halley iteration as a fallback (black_implied_total_vol_lbr).  The prices
 * it inverts are those of pricing_european.c, evaluated through the same
 * normalised Black, so that price -> vol -> price round trips see the same
 * moneyness to the last bit.  See docs/pricing.md for the measured accuracy.
 *
 * Nothing here allocates memory or keeps state.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "pricing_internal.h"

/* Normalised out-of-the-money call b(x, s), x <= 0, s >= 0. */
static double
black_otm(double x, double s)
{
	if (s <= 0.0)
		return 0.0;
	return pricing_black_otm_ee(x, s, -1.0, NULL);
}

/*
 * At the money b(0, s) = 2 Phi(s/2) - 1 = erf(s / (2 sqrt 2)); inverting
 * erf(z) = (2 / sqrt pi) (z - z^3/3 + z^5/10 - ...) term by term gives
 *
 *		s = sqrt(2 pi) beta (1 + pi beta^2 / 12 + 7 pi^2 beta^4 / 480 + ...).
 *
 * Below BLACK_ATM_SERIES_MAX the first two terms are the root to the last
 * bit: the third is at most 0.144 beta^4 < 1.5e-21 relative, and the
 * evaluation rounds four times (the constant, two products, the sum), under
 * two units in the last place.  There the series is the answer, without an
 * evaluation of b; above it, three terms are the Halley iteration's initial
 * guess (from s = 0.5, where it used to start, its steps left the bracket
 * for tiny beta and it only halved s: 100 steps reached no root below
 * 4e-31).
 */
#define BLACK_ATM_SERIES_MAX 1e-5

static double
black_atm_total_vol_series(double beta)
{
	return PRICING_SQRT2PI * beta * (1.0 + PRICING_PI / 12.0 * beta * beta);
}

/*
 * Total volatility s >= 0 with black_otm(x, s) = beta, for x <= 0 and
 * 0 < beta < exp(x/2): safeguarded Halley, the fallback of the "Let's Be
 * Rational" solver below when its iteration does not settle, and the solver
 * at the money (x = 0).  Returns -1 if the iteration does not converge.
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
				converged = 0,
				it;

	if (x == 0.0 && beta < BLACK_ATM_SERIES_MAX)
		return black_atm_total_vol_series(beta);
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
		if (x == 0.0 && !usec)
		{
			/* the series above, three terms: within 0.18% up to beta = 0.5 */
			double		b2 = beta * beta;

			s = PRICING_SQRT2PI * beta *
				(1.0 + PRICING_PI / 12.0 * b2 * (1.0 + 7.0 * PRICING_PI / 40.0 * b2));
		}
		else
			s = -2.0 * pricing_norm_inv_rough(p);
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
			double		c = pricing_black_otm_complement(x, s, bmax, &ee);

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
			b = pricing_black_otm_ee(x, s, bmax, &ee);
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
		if (f == 0.0)
		{
			converged = 1;
			break;
		}
		nu = -f / f1;
		step = nu;
		if (1.0 + 0.5 * nu * f2 / f1 > 0.5)
			step = nu / (1.0 + 0.5 * nu * f2 / f1);
		snew = s + step;
		/* outside the bracket (also f1 = 0: nu infinite, or NaN) */
		if (!(snew > lo && snew < hi))
		{
			snew = s + nu;
			if (!(snew > lo && snew < hi))
				snew = isinf(hi) ? 2.0 * Max(s, lo) + 1.0 : 0.5 * (lo + hi);
		}
		if (fabs(snew - s) <= 2.0 * DBL_EPSILON * s)
		{
			s = snew;
			converged = 1;
			break;
		}
		s = snew;
		if (hi - lo <= 2.0 * DBL_EPSILON * s)
		{
			converged = 1;
			break;
		}
	}
	/* never an unconverged iterate: the callers turn -1 into NULL */
	return converged ? s : -1.0;
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
				z = -pricing_norm_inv(cbrt(f / cc));

	return fabs(x) / (sqrt(3.0) * z);
}

/* Where LBR's Householder iteration starts, and what it works on. */
typedef struct LbrState
{
	double		x;
	double		beta;
	double		bmax;			/* b as s -> infinity: exp(x/2) */
	double		su;				/* upper branch point */
	double		lo;				/* bracket of s */
	double		hi;
	double		lnbeta;			/* ln beta (branch 1) */
	double		lncb;			/* ln(b_max - beta) (branch 4) */
	int			branch;			/* 1 to 4 */
} LbrState;

/*
 * LBR's initial guess of s from the rational cubic interpolation of its
 * branch; fills st.  Returns -1 where b cannot be evaluated.
 */
static double
lbr_initial_guess(LbrState *st)
{
	double		x = st->x,
				beta = st->beta,
				bmax = exp(0.5 * x),
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
				hi;
	int			branch;

	st->bmax = bmax;
	st->lnbeta = 0.0;
	st->lncb = 0.0;
	bc = pricing_black_otm_ee(x, sc, bmax, &ee);
	vc = PRICING_INV_SQRT2PI * ee;
	if (!(vc > 0.0))
		return -1.0;
	sl = sc - bc / vc;
	su = sc + (bmax - bc) / vc;
	if (beta <= bc)
	{
		if (sl > 0.0)
		{
			bl = pricing_black_otm_ee(x, sl, bmax, &ee);
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
			st->lnbeta = log(beta);
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
		bu = bmax - pricing_black_otm_complement(x, su, bmax, &ee);
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
			s = f > 0.0 && f < 0.5 ? -2.0 * pricing_norm_inv(f) : su;
			branch = 4;
			st->lncb = log(bmax - beta);
		}
		lo = sc;
		hi = HUGE_VAL;
	}
	if (!(s > lo && s < hi))
		s = isinf(hi) ? Max(su, 2.0 * lo) : 0.5 * (lo + hi);

	st->su = su;
	st->lo = lo;
	st->hi = hi;
	st->branch = branch;
	return s;
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
	LbrState	st;
	double		bmax,
				ee,
				s,
				lo,
				hi,
				lnbeta,
				lncb;
	int			branch,
				it;

	st.x = x;
	st.beta = beta;
	s = lbr_initial_guess(&st);
	if (s < 0.0)
		return -1.0;
	bmax = st.bmax;
	lo = st.lo;
	hi = st.hi;
	lnbeta = st.lnbeta;
	lncb = st.lncb;
	branch = st.branch;

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
			double		c = pricing_black_otm_complement(x, s, bmax, &ee),
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
			double		b = pricing_black_otm_ee(x, s, bmax, &ee);

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
 * Whether an undiscounted price is the intrinsic value (the sigma = 0 price)
 * to within rounding.  In the money, the price functions return the sigma = 0
 * price as df (f - k), and undiscounting it again (price / df, or
 * price exp(r t) for Bachelier) is off by a few units in the last place of
 * f - k; a time value that small is not representable in a price of that
 * size anyway (a price's last place is worth about DBL_EPSILON times the
 * price), so every volatility from 0 up to where the price first moves
 * reprices it, and the answer is the lowest: 0, as for t = 0.  Out of the
 * money the intrinsic value is exactly 0 and nothing cancels, so tiny prices
 * keep their (tiny, well defined) volatility.
 */
static PRICING_INLINE int
at_lower_bound(double undisc, double intrinsic)
{
	return intrinsic > 0.0 && fabs(undisc - intrinsic) <= 4.0 * DBL_EPSILON * intrinsic;
}

/*
 * at_lower_bound for pricing_american_implied_vol: whether a price is the
 * sigma = 0 value of an American method to within rounding.  The value at
 * sigma = 0 (best deterministic exercise, a product of exponentials) and the
 * price at a small volatility are formed along different paths, and can
 * differ by a unit in the last place either way (a call worth
 * 30.11191044776755 at sigma = 0.1 against 30.111910447767556 at sigma = 0,
 * s = 100, k = 70, t = 0.02, r = 0.08, q = 0): such a price is the lower
 * bound, as for the European functions.
 */
int
pricing_iv_at_lower_bound(double price, double lower)
{
	return at_lower_bound(price, lower);
}

/*
 * Relative tolerance of at_upper_bound for a price whose exponentials have
 * arguments of total size expo (BSM: (|r| + |q|) t, Black-76: |r| t).
 *
 * A price at the upper bound, however it was formed (s e^-qt or k e^-rt by
 * the caller, or df f from the price function at a huge volatility), reaches
 * the comparison with f = s e^((r-q)t) or k through at most six roundings of
 * half a unit in the last place each (an exponential and a product in the
 * price, an exponential and a division in undisc = price / df, an
 * exponential and a product in f): 3 units.  The arguments of the
 * exponentials are rounded too (r t, q t, and (r - q) t twice), and an
 * argument a rounded by half an ulp moves its exponential by |a| / 2 ulps:
 * at most (|r t| + |q t|) / 2 + |(r - q) t| <= 1.5 (|r| + |q|) t units.
 * Hence 4 + 2 expo units (DBL_EPSILON relative each).
 */
static PRICING_INLINE double
upper_bound_tol(double expo)
{
	return (4.0 + 2.0 * expo) * DBL_EPSILON;
}

/*
 * Whether an undiscounted price is at or above the upper bound (f for a call,
 * k for a put) to within rounding: a price that close to the bound is the
 * bound as far as its rounding can tell, and carries no volatility (it would
 * invert to a total volatility of about 16, or to NULL, depending on the
 * last bit).  docs/pricing.md says NULL: the callers return -1.  An infinite
 * bound is never reached.
 */
static PRICING_INLINE int
at_upper_bound(double undisc, double bound, double tol)
{
	return undisc >= (1.0 - tol) * bound;
}

/*
 * Implied Black volatility from a discounted price with discount factor df,
 * x = ln(f/k) and the (undiscounted) intrinsic value formed as the matching
 * price function forms them, ubtol the tolerance of the upper bound
 * (upper_bound_tol).  Returns -1 when the price is outside the arbitrage
 * bounds or the solver does not converge.
 */
static double
black_implied_vol_x(int theta, double price, double f, double k, double x,
					double intrinsic, double t, double df, double ubtol)
{
	double		undisc,
				beta,
				bmax,
				root,
				stot;

	undisc = price / df;
	if (at_lower_bound(undisc, intrinsic))
		return 0.0;
	if (!(undisc >= intrinsic))
		return -1.0;
	/* upper bound: call <= f, put <= k */
	if (at_upper_bound(undisc, theta > 0 ? f : k, ubtol))
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
	stot = black_implied_total_vol(beta, x);
	if (stot < 0.0)
		return -1.0;			/* no convergence */
	return stot / sqrt(t);
}

/* Implied volatility of a generalized Black-Scholes-Merton price. */
double
pricing_bsm_implied_vol(int theta, double price, double s, double k,
						double t, double r, double q)
{
	double		f,
				x,
				df,
				intrinsic;

	if (t <= 0.0)
		return price == Max(theta * (s - k), 0.0) ? 0.0 : -1.0;
	if (!(s > 0.0) || !(k > 0.0))
		return -1.0;			/* the price does not depend on sigma */
	f = r == q ? s : s * exp((r - q) * t);
	df = r == 0.0 ? 1.0 : exp(-r * t);
	x = pricing_bsm_log_moneyness(s, k, t, r, q);

	/*
	 * A forward or an undiscounted price that is not representable (the bound
	 * s e^-qt or k e^-rt itself is checked by the caller): the comparisons
	 * with the intrinsic value saw Inf <= Inf and returned 0.
	 * docs/pricing.md: NULL, no volatility is determined there.
	 */
	if (!isfinite(f) || !(df > 0.0) || !isfinite(price / df))
		return -1.0;

	/*
	 * A subnormal log-moneyness (t below about 1e-308 with r != q, or s and k
	 * one unit in the last place apart at most): at the money.  The rational
	 * guess and its iteration lose their way at such an x and returned an
	 * unconverged iterate (0.122 for a call worth 1e-300 at t = 1e-308, which
	 * reprices to 4.9e-154).
	 */
	if (fabs(x) < DBL_MIN)
		x = 0.0;
	intrinsic = pricing_bsm_intrinsic(theta, f, k, x, r, q);
	return black_implied_vol_x(theta, price, f, k, x, intrinsic, t, df,
							   upper_bound_tol((fabs(r) + fabs(q)) * t));
}

/* Implied volatility of a Black-76 price. */
double
pricing_black76_implied_vol(int theta, double price, double f, double k,
							double t, double r)
{
	if (t <= 0.0)
		return price == Max(theta * (f - k), 0.0) ? 0.0 : -1.0;
	return black_implied_vol_x(theta, price, f, k, pricing_log_moneyness(f, k),
							   Max(theta * (f - k), 0.0), t, exp(-r * t),
							   upper_bound_tol(fabs(r) * t));
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
	if (at_lower_bound(undisc, intrinsic))
		return 0.0;
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
		double		psi = pricing_bachelier_psi(u);
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
