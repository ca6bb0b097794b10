/*-------------------------------------------------------------------------
 *
 * fd_truth.c
 *		Reference values of American options by finite differences, for the
 *		accuracy test of ledger.american_price (sql/pricing_american_fd.sql).
 *
 * Independent of the extension: it shares no code with src/ (it needs no
 * normal distribution at all).  For each case of a fixed random set it
 * solves the Black-Scholes PDE in x = ln(S/K) on a uniform grid centred on
 * the spot, BDF2 in s = sqrt(tau) with uniform steps in s (the first step
 * implicit Euler; L-stable, so the kinks leave no oscillations, and steps
 * refined where the exercise boundary moves like sqrt(tau)), with the
 * initial condition averaged over each cell (Pooley, Vetzal and Forsyth
 * 2003, so the kink at the strike does not spoil second order
 * convergence).  The linear complementarity problem of each step is
 * solved exactly by policy iteration (Howard's algorithm, which terminates
 * after a few tridiagonal solves and handles one or two exercise
 * boundaries alike: with negative rates the exercise region of a put can
 * be an interval, Battauz, De Donno and Sbuelz 2015).  The solution is
 * computed on three grids (N x M, 2N x 2M, 4N x 4M) and extrapolated twice
 * (Richardson, order 2); the difference between the last two
 * extrapolations is printed as the error estimate.
 *
 * Calls are solved as calls (payoff (e^x - 1)^+), not through put-call
 * symmetry, so the test also checks the symmetry the extension uses.
 *
 * Build and run (about 0.2 s a case on one core):
 *	cc -O2 -o fd_truth test/american/fd_truth.c -lm
 *	./fd_truth 0 3000 > test/american/truth.csv
 * Arguments: first and last (exclusive) case number, optional base grid
 * size N (default 500; M = N).  Output: CSV with a header line.
 * One given option instead (sql/pricing_american_review.sql):
 *	./fd_truth --case put|call S K T r q sigma [N]
 * prints "value,error estimate,delta,gamma" (delta and gamma as in the
 * CSV: the grid's cubic at the spot, extrapolated).
 *
 * The random set (seed 20261203, splitmix64, documented in
 * test/american/README.md): kind call or put with equal odds; S = 100;
 * T log-uniform in [1/52, 15] years; sigma log-uniform in [0.05, 1.2];
 * ln(S/K) = z sigma sqrt(T) with z uniform in [-2, 2]; r and q each 0 with
 * probability 0.15, else uniform in [-0.03, 0.10].
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct FdCase
{
	int			call;
	double		s,
				k,
				t,
				r,
				q,
				sigma;
} FdCase;

static unsigned long long rng_state;

/* splitmix64 */
static unsigned long long
rng_next(void)
{
	unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) with 53 random bits */
static double
rng_uniform(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* Draw case number n (all cases before it are drawn too, so n fixes it). */
static void
draw_case(FdCase *c)
{
	double		z;

	c->call = rng_uniform() < 0.5;
	c->s = 100.0;
	c->t = exp(log(1.0 / 52) + rng_uniform() * (log(15.0) - log(1.0 / 52)));
	c->sigma = exp(log(0.05) + rng_uniform() * (log(1.2) - log(0.05)));
	z = -2.0 + 4.0 * rng_uniform();
	c->k = c->s * exp(-z * c->sigma * sqrt(c->t));
	c->r = rng_uniform() < 0.15 ? 0.0 : -0.03 + 0.13 * rng_uniform();
	c->q = rng_uniform() < 0.15 ? 0.0 : -0.03 + 0.13 * rng_uniform();
	/* round to values that print exactly in a few digits */
	c->t = round(c->t * 1e6) / 1e6;
	c->sigma = round(c->sigma * 1e6) / 1e6;
	c->k = round(c->k * 1e4) / 1e4;
	c->r = round(c->r * 1e6) / 1e6;
	c->q = round(c->q * 1e6) / 1e6;
}

/* Payoff per unit strike at x = ln(S/K). */
static double
payoff(int call, double x)
{
	return call ? fmax(exp(x) - 1.0, 0.0) : fmax(1.0 - exp(x), 0.0);
}

/* Average of the payoff over [a, b] (exact integral of the kinked curve). */
static double
payoff_avg(int call, double a, double b)
{
	double		lo,
				hi,
				v;

	if (call)
	{
		lo = fmax(a, 0.0);
		if (b <= lo)
			return 0.0;
		v = (exp(b) - exp(lo)) - (b - lo);
	}
	else
	{
		hi = fmin(b, 0.0);
		if (hi <= a)
			return 0.0;
		v = (hi - a) - (exp(hi) - exp(a));
	}
	return v / (b - a);
}

/*
 * Solve one case on an n-point grid with m time steps; returns the value
 * per unit strike at the spot and, in g[0..2], its x-derivatives there
 * (first and second) and the time derivative dV/dtau at expiry t.
 */
static double
solve(const FdCase *c, int n, int m, double *g)
{
	double		sd = c->sigma * sqrt(c->t),
				b = c->r - c->q,
				x0 = log(c->s / c->k),
				lo = fmin(x0, 0.0) - 8.0 * sd - fabs(b) * c->t - 0.05,
				hi = fmax(x0, 0.0) + 8.0 * sd + fabs(b) * c->t + 0.05,
				dx,
				v2 = c->sigma * c->sigma,
				mu = b - 0.5 * v2;
	double	   *v,
			   *ex,
			   *rhs,
			   *cp,
			   *dp,
			   *vnew,
			   *prev;
	int		   *act,
				i0,
				i,
				j,
				it;
	double		res;

	/*
	 * The strike (x = 0) on a node, so that the kink of the payoff and of
	 * the obstacle falls on the grid at every refinement; the spot is
	 * interpolated (cubic Lagrange, error O(dx^4)).
	 */
	dx = (hi - lo) / (n - 1);
	i0 = (int) ceil(-lo / dx);
	lo = -i0 * dx;
	hi = lo + (n - 1) * dx;
	v = malloc(sizeof(double) * n);
	ex = malloc(sizeof(double) * n);
	rhs = malloc(sizeof(double) * n);
	cp = malloc(sizeof(double) * n);
	dp = malloc(sizeof(double) * n);
	vnew = malloc(sizeof(double) * n);
	prev = malloc(sizeof(double) * n);
	act = malloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		double		x = lo + i * dx;

		ex[i] = payoff(c->call, x);
		v[i] = payoff_avg(c->call, x - 0.5 * dx, x + 0.5 * dx);
		act[i] = 0;
	}

	memcpy(prev, v, sizeof(double) * n);
	for (j = 0; j < m; j++)
	{
		/*
		 * BDF2 in s = sqrt(tau) (dV/ds = 2 s L V), uniform steps ds; the
		 * first step is implicit Euler.  L-stable, so the kink of the payoff
		 * and the free boundary leave no oscillations.
		 */
		double		ds = sqrt(c->t) / m,
					sn = (j + 1) * ds,
					tn = sn * sn,
					w = 2.0 * sn * ds,	/* dtau per unit of the BDF weight */
					a0,
					sub_l,
					diag,
					sup,
					left,
					right;
		double		a = 0.5 * v2 / (dx * dx) - 0.5 * mu / dx,	/* coeff of v[i-1] */
					cc = 0.5 * v2 / (dx * dx) + 0.5 * mu / dx,	/* v[i+1] */
					bb = -v2 / (dx * dx) - c->r;	/* v[i] */

		/* (a0 v_n - history) = w L v_n */
		a0 = j == 0 ? 1.0 : 1.5;
		for (i = 1; i < n - 1; i++)
			rhs[i] = j == 0 ? v[i] : 2.0 * v[i] - 0.5 * prev[i];
		sub_l = -w * a;
		diag = a0 - w * bb;
		sup = -w * cc;
		if (c->call)
		{
			left = 0.0;
			right = fmax(exp(hi) - 1.0, exp(hi - c->q * tn) - exp(-c->r * tn));
		}
		else
		{
			left = fmax(1.0 - exp(lo), exp(-c->r * tn) - exp(lo - c->q * tn));
			right = 0.0;
		}
		/* policy iteration on min(A v - rhs, v - ex) = 0 */
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
					double		den = diag - sub_l * cp[i - 1];

					cp[i] = sup / den;
					dp[i] = (rhs[i] - sub_l * dp[i - 1]) / den;
				}
			}
			vnew[0] = left;
			vnew[n - 1] = right;
			for (i = n - 2; i >= 1; i--)
				vnew[i] = dp[i] - cp[i] * vnew[i + 1];
			for (i = 1; i < n - 1; i++)
			{
				double		resid = (diag * vnew[i] + sub_l * vnew[i - 1] + sup * vnew[i + 1]) - rhs[i],
							gap = resid - (vnew[i] - ex[i]);
				int			want;

				/* switch only on a clear improvement (no cycling on near ties) */
				want = act[i] ? gap > -1e-12 : gap > 1e-12;

				if (want != act[i])
				{
					act[i] = want;
					changed = 1;
				}
			}
			if (!changed)
				break;
		}
		if (it == n)
		{
			fprintf(stderr, "policy iteration did not converge\n");
			exit(1);
		}
		if (j == m - 1)
			g[2] = 0.0;
		memcpy(prev, v, sizeof(double) * n);
		memcpy(v, vnew, sizeof(double) * n);
	}
	{
		/* cubic through nodes j-1 .. j+2 around x0, with j <= x0 < j+1 */
		double		u = (x0 - lo) / dx;
		int			jj = (int) floor(u);
		double		y0,
					y1,
					y2,
					y3,
					d1,
					d2,
					d3;

		u -= jj;
		y0 = v[jj - 1];
		y1 = v[jj];
		y2 = v[jj + 1];
		y3 = v[jj + 2];
		/* Newton form in u, nodes -1, 0, 1, 2 */
		d1 = y1 - y0;
		d2 = (y2 - 2.0 * y1 + y0) / 2.0;
		d3 = (y3 - 3.0 * y2 + 3.0 * y1 - y0) / 6.0;
		/* p(u) = y0 + d1 (u+1) + d2 (u+1) u + d3 (u+1) u (u-1) */
		res = y0 + d1 * (u + 1.0) + d2 * (u + 1.0) * u + d3 * (u + 1.0) * u * (u - 1.0);
		g[0] = (d1 + d2 * (2.0 * u + 1.0) + d3 * (3.0 * u * u - 1.0)) / dx;
		g[1] = (2.0 * d2 + 6.0 * d3 * u) / (dx * dx);
	}
	free(v);
	free(ex);
	free(rhs);
	free(cp);
	free(dp);
	free(vnew);
	free(prev);
	free(act);
	return res;
}

/*
 * Three grids and two Richardson steps; est receives the error estimate
 * (per unit strike).  The base grid is doubled once if the
 * estimate is above 1e-9 of the strike and 2e-8 of the value.
 */
static double
truth(const FdCase *c, int n, double *est, double *gr)
{
	double		v[3],
				g[3][3],
				r1 = 0.0,
				r2 = 0.0;
	int			l,
				i,
				base;

	for (base = n; base <= 2 * n; base *= 2)
	{
		for (l = 0; l < 3; l++)
			v[l] = solve(c, base << l, base << l, g[l]);
		r1 = (4.0 * v[1] - v[0]) / 3.0;
		r2 = (4.0 * v[2] - v[1]) / 3.0;
		*est = fabs(r2 - r1);
		if (*est <= 1e-9 || *est <= 2e-8 * r2)
			break;
	}
	for (i = 0; i < 2; i++)
		gr[i] = (4.0 * g[2][i] - g[1][i]) / 3.0;
	return r2;
}

int
main(int argc, char **argv)
{
	int			from = argc > 1 && argv[1][0] != '-' ? atoi(argv[1]) : 0,
				to = argc > 2 ? atoi(argv[2]) : 3000,
				n = argc > 3 ? atoi(argv[3]) : 500,
				i;

	if (argc > 1 && strcmp(argv[1], "--case") == 0)
	{
		FdCase		c;
		double		est,
					g[3],
					p;

		c.call = strcmp(argv[2], "call") == 0;
		c.s = atof(argv[3]);
		c.k = atof(argv[4]);
		c.t = atof(argv[5]);
		c.r = atof(argv[6]);
		c.q = atof(argv[7]);
		c.sigma = atof(argv[8]);
		p = truth(&c, argc > 9 ? atoi(argv[9]) : 500, &est, g);
		printf("%.17g,%.3g,%.17g,%.17g\n", p * c.k, est * c.k, g[0] / c.s * c.k,
			   (g[1] - g[0]) / (c.s * c.s) * c.k);
		return 0;
	}
	rng_state = 20261203ULL;
	printf("id,kind,s,k,t,r,q,sigma,price,err_est,delta,gamma,vega\n");
	for (i = 0; i < to; i++)
	{
		FdCase		c;
		double		est,
					g[3],
					p,
					delta,
					gamma,
					vega = NAN;

		draw_case(&c);
		if (i < from)
			continue;
		p = truth(&c, n, &est, g);
		delta = g[0] / c.s;
		gamma = (g[1] - g[0]) / (c.s * c.s);
		if (i % 20 == 0)
		{
			/* vega of every twentieth case: central difference, h = 1e-3 sigma */
			FdCase		cu = c,
						cd = c;
			double		e2,
						g2[3],
						h = 1e-3 * c.sigma;

			cu.sigma += h;
			cd.sigma -= h;
			vega = (truth(&cu, n, &e2, g2) - truth(&cd, n, &e2, g2)) / (2.0 * h);
		}
		printf("%d,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.3g,%.17g,%.17g,%.17g\n",
			   i, c.call ? "call" : "put", c.s, c.k, c.t, c.r, c.q, c.sigma,
			   p * c.k, est * c.k, delta * c.k, gamma * c.k, vega * c.k);
		fflush(stdout);
	}
	return 0;
}
