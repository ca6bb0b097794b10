/*-------------------------------------------------------------------------
 *
 * pricing_driver.c
 *		Stand-alone check of the pure pricing files for sanitizers and valgrind.
 *
 * Run by test/t/095_pricing_driver.pl (make test) under AddressSanitizer
 * and UndefinedBehaviorSanitizer; by hand (no PostgreSQL needed):
 *	cc -g -O1 -fsanitize=address,undefined -Isrc test/pricing_driver.c \
 *		src/pricing_normal.c src/pricing_european.c \
 *		src/pricing_iv.c src/pricing_american.c -lm && ./a.out
 *	(or without -fsanitize under valgrind).  It prices a grid that includes
 *	the wings, checks put-call parity and the implied volatility round trip
 *	(the tolerances of sql/pricing.sql and sql/pricing_iv.sql), and for
 *	every American method on a grid with negative rates and dividends:
 *	finite, at least the European and the exercise value, and for qdfp the
 *	put-call symmetry and finite Greeks.  Exits non-zero on a failure.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>

#include "pricing_core.h"

int
main(void)
{
	static const double m_[] = {0.01, 0.1, 0.5, 0.8, 0.95, 0.99, 1, 1.01, 1.05, 1.25, 2, 10, 100};
	static const double t[] = {1.0 / 8760, 0.02, 0.25, 1, 5, 30};
	static const double v[] = {0.01, 0.05, 0.2, 0.8, 3};
	double		work[101];
	int			i,
				j,
				l,
				th,
				cases = 0,
				bad = 0;

	for (i = 0; i < 13; i++)
		for (j = 0; j < 6; j++)
			for (l = 0; l < 5; l++)
			{
				double		s = 100.0,
							k = 100.0 * m_[i],
							r = 0.03,
							q = 0.01,
							c = pricing_bsm_price(1, s, k, t[j], r, q, v[l]),
							p = pricing_bsm_price(-1, s, k, t[j], r, q, v[l]),
							a = s * exp(-q * t[j]),
							b = k * exp(-r * t[j]);

				cases++;
				if (!(fabs(c - p - (a - b)) <= 1e-12 * fmax(fmax(c, p), fmax(a, b))))
				{
					printf("parity m=%g t=%g v=%g\n", m_[i], t[j], v[l]);
					bad++;
				}
				for (th = -1; th <= 1; th += 2)
				{
					double		pr = th > 0 ? c : p,
								intr = fmax(th * (a - b), 0.0),
								iv,
								back;

					if (!(pr - intr >= 1e-10 * pr) || !(pr > 1e-280) ||
						!((th > 0 ? a : b) - pr >= 1e-10 * pr))
						continue;
					iv = pricing_bsm_implied_vol(th, pr, s, k, t[j], r, q);
					back = pricing_bsm_price(th, s, k, t[j], r, q, iv);
					cases++;
					if (!(fabs(back - pr) <= 1e-12 * pr))
					{
						printf("round trip %d m=%g t=%g v=%g: %.17g\n", th, m_[i], t[j], v[l], iv);
						bad++;
					}
				}
				/* the other models, for the sanitizers */
				(void) pricing_bachelier_implied_vol(1, pricing_bachelier_price(1, s, k, t[j], r, 20 * v[l]), s, k, t[j], r);
			}

	/* American options, every method, rates and dividends of both signs */
	for (i = 0; i < 13; i += 3)
		for (j = 0; j < 5; j++)
			for (l = 0; l < 5; l++)
			{
				static const double rq[] = {-0.02, 0.0, 0.05};
				int			a,
							b,
							m;

				for (a = 0; a < 3; a++)
					for (b = 0; b < 3; b++)
						for (th = -1; th <= 1; th += 2)
							for (m = 0; m < 4; m++)
							{
								double		s = 100.0,
											k = 100.0 * m_[i],
											r = rq[a],
											q = rq[b] * 0.8,
											am,
											eu = pricing_bsm_price(th, s, k, t[j], r, q, v[l]),
											intr = fmax(th * (s - k), 0.0);

								if ((th > 0 ? r < q && q < 0.0 : q < r && r < 0.0) &&
									(j != 2 || l != 2))
									continue;	/* two boundaries: finite
												 * differences, slow under
												 * ASan; one case each */
								am = pricing_american_price(th, s, k, t[j], r, q, v[l], (PricingAmericanMethod) m, 100, work);
								cases++;
								if (!isfinite(am) || am < eu * (1 - 1e-12) || am < intr)
								{
									printf("american method %d kind %d m=%g t=%g v=%g r=%g q=%g: %.17g (european %.17g)\n",
										   m, th, m_[i], t[j], v[l], r, q, am, eu);
									bad++;
								}
								if (m == PRICING_AMERICAN_QDFP && th > 0 && (i + j + l) % 2 == 0)
								{
									double		put = pricing_american_price(-1, k, s, t[j], q, r, v[l], PRICING_AMERICAN_QDFP, 1, work);
									PricingGreeks g;

									cases++;
									if (!(fabs(put - am) <= 1e-11 * am + 1e-300))
									{
										printf("symmetry m=%g t=%g v=%g r=%g q=%g: %.17g %.17g\n", m_[i], t[j], v[l], r, q, am, put);
										bad++;
									}
									pricing_american_greeks(th, s, k, t[j], r, q, v[l], &g);
									cases++;
									if (!isfinite(g.delta) || !isfinite(g.gamma) || !isfinite(g.theta) ||
										!isfinite(g.vega) || !isfinite(g.rho) || g.delta < -1e-9 || g.delta > fmax(1.0, exp(-q * t[j])) + 1e-6)
									{
										printf("greeks m=%g t=%g v=%g r=%g q=%g: delta %g gamma %g\n", m_[i], t[j], v[l], r, q, g.delta, g.gamma);
										bad++;
									}
								}
							}
			}
	printf("%d cases, %d failures\n", cases, bad);
	return bad != 0;
}
