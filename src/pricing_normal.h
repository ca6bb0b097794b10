/*-------------------------------------------------------------------------
 *
 * pricing_normal.h
 *		The normal distribution of the pricing code (pricing_normal.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_NORMAL_H
#define PRICING_NORMAL_H

/* Normal distribution (W. J. Cody's rational Chebyshev erfc). */
extern double pricing_erfc(double x);
extern double pricing_erfcx(double x);
extern double pricing_norm_cdf(double z);
extern double pricing_norm_pdf(double z);

#endif							/* PRICING_NORMAL_H */
