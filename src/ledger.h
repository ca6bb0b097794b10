/*-------------------------------------------------------------------------
 *
 * ledger.h
 *		Settings and cross-file declarations of the ledger extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_H
#define LEDGER_H

/* Argument checks shared by the SQL-callable numerics (pricing.c). */
extern void ledger_check_finite(const char *name, double v);
extern void ledger_check_nonneg(const char *name, double v);
extern void ledger_check_bsm_args(double s, double k, double t, double r, double q);

#endif							/* LEDGER_H */
