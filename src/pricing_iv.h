/*-------------------------------------------------------------------------
 *
 * pricing_iv.h
 *		Implied volatilities of European prices (pricing_iv.c).
 *
 * They return a negative number when the price is outside the
 * no-arbitrage bounds (no volatility reproduces it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_IV_H
#define PRICING_IV_H

extern double pricing_bsm_implied_vol(int theta, double price, double s,
									  double k, double t, double r, double q);
extern double pricing_black76_implied_vol(int theta, double price, double f,
										  double k, double t, double r);
extern double pricing_bachelier_implied_vol(int theta, double price, double f,
											double k, double t, double r);

#endif							/* PRICING_IV_H */
