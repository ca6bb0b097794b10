/*-------------------------------------------------------------------------
 *
 * pricing_european.h
 *		European prices and Greeks (pricing_european.c).
 *
 * "theta" arguments are +1 for a call and -1 for a put.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_EUROPEAN_H
#define PRICING_EUROPEAN_H

/* First- and second-order sensitivities of one option. */
typedef struct PricingGreeks
{
	double		price;
	double		delta;			/* d price / d underlying */
	double		gamma;			/* d delta / d underlying */
	double		vega;			/* d price / d sigma, per 1.00 of sigma */
	double		theta;			/* -d price / d t, per year */
	double		rho;			/* d price / d r, per 1.00 of r */
	double		vanna;			/* d delta / d sigma */
	double		volga;			/* d vega / d sigma */
} PricingGreeks;

/* Undiscounted Black price of a forward f, strike k, total vol s = sigma*sqrt(t). */
extern double pricing_black_undiscounted(int theta, double f, double k, double s);

/* European prices. */
extern double pricing_bsm_price(int theta, double s, double k, double t,
								double r, double q, double sigma);
extern double pricing_black76_price(int theta, double f, double k, double t,
									double r, double sigma);
extern double pricing_bachelier_price(int theta, double f, double k, double t,
									  double r, double sigma);

/* Greeks. */
extern void pricing_bsm_greeks(int theta, double s, double k, double t,
							   double r, double q, double sigma,
							   PricingGreeks *g);
extern void pricing_black76_greeks(int theta, double f, double k, double t,
								   double r, double sigma, PricingGreeks *g);
extern void pricing_bachelier_greeks(int theta, double f, double k, double t,
									 double r, double sigma, PricingGreeks *g);

#endif							/* PRICING_EUROPEAN_H */
