/*-------------------------------------------------------------------------
 *
 * ledger.h
 *		Settings and cross-file declarations of the ledger extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_H
#define LEDGER_H

extern int	ledger_seal_interval_ms;
extern int	ledger_block_max_transactions;
extern bool ledger_sealer_enabled;

/* Argument checks shared by the SQL-callable numerics (pricing.c). */
extern void ledger_check_finite(const char *name, double v);
extern void ledger_check_nonneg(const char *name, double v);

#endif							/* LEDGER_H */
