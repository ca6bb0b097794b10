/*-------------------------------------------------------------------------
 *
 * pricing_american.h
 *		American options (pricing_american.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_AMERICAN_H
#define PRICING_AMERICAN_H

#include "pricing_european.h"

typedef enum PricingAmericanMethod
{
	PRICING_AMERICAN_BAW,
	PRICING_AMERICAN_BJS2002,
	PRICING_AMERICAN_CRR,
	PRICING_AMERICAN_QDFP
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
extern void pricing_american_greeks(int theta, double s, double k, double t,
									double r, double q, double sigma,
									PricingGreeks *g);
extern double pricing_american_implied_vol(int theta, double price, double s,
										   double k, double t, double r,
										   double q,
										   PricingAmericanMethod method,
										   int steps, double *work);

/*
 * Called between the iterations whose number a caller controls (tree steps,
 * implied volatility iterations, finite-difference steps).  The fmgr layer
 * sets it to a function that runs CHECK_FOR_INTERRUPTS(), which may leave
 * by longjmp: the numerics hold no resources, so that is safe.  NULL (the
 * default, and in the stand-alone driver) does nothing.
 */
extern void (*pricing_interrupt_hook) (void);

#endif							/* PRICING_AMERICAN_H */
