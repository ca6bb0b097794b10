/*-------------------------------------------------------------------------
 *
 * margin.h
 *		SPAN-style risk arrays, scanning aggregates and the portfolio-margin
 *		valuation grid (margin.c); the SQL side is sql/install/40_margin.sql.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MARGIN_H
#define MARGIN_H

/* Number of SPAN risk scenarios. */
#define MARGIN_SPAN_SCENARIOS 16

/* Largest portfolio-margin grid accepted. */
#define MARGIN_PM_MAX_POINTS 1000

/* Instrument of a risk array: 0 for a future or stock, +1 call, -1 put. */
extern void margin_span_array(int kind, double f, double k, double t,
							  double r, double sigma, double price_scan,
							  double vol_scan, double multiplier,
							  double extreme_multiple, double cover_fraction,
							  double *out);
extern void margin_pm_array(int kind, double s, double k, double t,
							double r, double q, double sigma,
							double multiplier, double down, double up,
							int points, double *out);

/* Defines the margin settings; called from _PG_init. */
extern void margin_init(void);

/* ledger.exercise_threshold */
extern double ledger_exercise_threshold;

#endif							/* MARGIN_H */
