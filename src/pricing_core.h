/*-------------------------------------------------------------------------
 *
 * pricing_core.h
 *		Pure C option-pricing numerics, free of fmgr and PostgreSQL headers:
 *		one header for the four subjects, for the fmgr layer (pricing.c),
 *		margin.c and the stand-alone test driver.
 *
 *		pricing_normal.h	normal distribution (pricing_normal.c)
 *		pricing_european.h	European prices and Greeks (pricing_european.c)
 *		pricing_iv.h		implied volatilities (pricing_iv.c)
 *		pricing_american.h	American options (pricing_american.c)
 *
 * Everything takes and returns doubles and never allocates, so the same
 * object files link into the extension and into test/pricing_driver.c.
 * Argument validation (NaN, infinity, negative values) is the caller's job;
 * see pricing.c.  "theta" arguments are +1 for a call and -1 for a put.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PRICING_CORE_H
#define PRICING_CORE_H

#include "pricing_normal.h"
#include "pricing_european.h"
#include "pricing_iv.h"
#include "pricing_american.h"

#endif							/* PRICING_CORE_H */
