/*-------------------------------------------------------------------------
 *
 * pricing_american.h
 *		American options (pricing_american.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_AMERICAN_H
#define PRICING_AMERICAN_H

typedef enum PricingAmericanMethod
{
	PRICING_AMERICAN_BAW,
	PRICING_AMERICAN_BJS2002,
	PRICING_AMERICAN_CRR
} PricingAmericanMethod;

/* Largest number of binomial steps accepted by the tree. */
#define PRICING_CRR_MAX_STEPS 100000

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

#endif							/* PRICING_AMERICAN_H */
