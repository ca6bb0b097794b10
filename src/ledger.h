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

#endif							/* LEDGER_H */
