/*-------------------------------------------------------------------------
 *
 * pricing_core.h
 *		Pure C option-pricing numerics, free of fmgr and PostgreSQL headers.
 *
 * Everything here takes and returns doubles and never allocates, so the
 * same object file links into the extension and into a stand-alone test
 * driver.  Argument validation (NaN, infinity, negative values) is the
 * caller's job; see pricing.c.  "theta" arguments are +1 for a call and
 * -1 for a put.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_CORE_H
#define PRICING_CORE_H

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

typedef enum PricingAmericanMethod
{
	PRICING_AMERICAN_BAW,
	PRICING_AMERICAN_BJS2002,
	PRICING_AMERICAN_CRR
} PricingAmericanMethod;

/* Largest number of binomial steps accepted by the tree. */
#define PRICING_CRR_MAX_STEPS 100000

/* Normal distribution (W. J. Cody's rational Chebyshev erfc). */
extern double pricing_erfc(double x);
extern double pricing_erfcx(double x);
extern double pricing_norm_cdf(double z);
extern double pricing_norm_pdf(double z);
extern double pricing_bivariate_norm_cdf(double a, double b, double rho);

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

/*
 * Implied volatilities.  They return a negative number when the price is
 * outside the no-arbitrage bounds (no volatility reproduces it).
 */
extern double pricing_black_implied_vol(int theta, double price, double f,
										double k, double t, double df);
extern double pricing_bsm_implied_vol(int theta, double price, double s,
									  double k, double t, double r, double q);
extern double pricing_black76_implied_vol(int theta, double price, double f,
										  double k, double t, double r);
extern double pricing_bachelier_implied_vol(int theta, double price, double f,
											double k, double t, double r);

/*
 * American options.  work must hold steps + 1 doubles for the CRR method
 * (it may be NULL for the others).
 */
extern double pricing_american_price(int theta, double s, double k, double t,
									 double r, double q, double sigma,
									 PricingAmericanMethod method, int steps,
									 double *work);
extern double pricing_american_implied_vol(int theta, double price, double s,
										   double k, double t, double r,
										   double q,
										   PricingAmericanMethod method,
										   int steps, double *work);

#endif							/* PRICING_CORE_H */
