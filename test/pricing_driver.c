/*-------------------------------------------------------------------------
 *
 * pricing_driver.c
 *		Stand-alone check of the pure pricing files for sanitizers and valgrind.
 *
 * Build and run (no PostgreSQL needed):
 *	cc -g -O1 -fsanitize=address,undefined -Isrc test/pricing_driver.c \
 *		src/pricing_normal.c src/pricing_european.c \
 *		src/pricing_iv.c src/pricing_american.c -lm && ./a.out
 *	(or without -fsanitize under valgrind).  It prices a grid that includes
 *	the wings, checks put-call parity and the implied volatility round trip
 *	(the tolerances of sql/pricing.sql and sql/pricing_iv.sql), and exits
 *	non-zero on a failure.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>

#include "pricing_core.h"

int
main(void)
{
	static const double m[] = {0.01, 0.1, 0.5, 0.8, 0.95, 0.99, 1, 1.01, 1.05, 1.25, 2, 10, 100};
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
							k = 100.0 * m[i],
							r = 0.03,
							q = 0.01,
							c = pricing_bsm_price(1, s, k, t[j], r, q, v[l]),
							p = pricing_bsm_price(-1, s, k, t[j], r, q, v[l]),
							a = s * exp(-q * t[j]),
							b = k * exp(-r * t[j]);

				cases++;
				if (!(fabs(c - p - (a - b)) <= 1e-12 * fmax(fmax(c, p), fmax(a, b))))
				{
					printf("parity m=%g t=%g v=%g\n", m[i], t[j], v[l]);
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
						printf("round trip %d m=%g t=%g v=%g: %.17g\n", th, m[i], t[j], v[l], iv);
						bad++;
					}
				}
				/* the other models and the American tree, for the sanitizers */
				(void) pricing_bachelier_implied_vol(1, pricing_bachelier_price(1, s, k, t[j], r, 20 * v[l]), s, k, t[j], r);
				(void) pricing_american_price(-1, s, k, t[j], r, q, v[l], PRICING_AMERICAN_CRR, 100, work);
				(void) pricing_american_price(-1, s, k, t[j], r, q, v[l], PRICING_AMERICAN_BJS2002, 100, work);
			}
	printf("%d cases, %d failures\n", cases, bad);
	return bad != 0;
}
