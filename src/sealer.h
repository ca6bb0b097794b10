/*-------------------------------------------------------------------------
 *
 * sealer.h
 *		Sealing committed transactions into hash-chained blocks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_SEALER_H
#define LEDGER_SEALER_H

extern void sealer_init(void);

/* Tell the launcher that a database has committed, unsealed work. */
extern void sealer_notify(Oid dboid);

/*
 * Seal the committed, unsealed transactions of one ledger into blocks.
 * With force, an empty block is written when there is nothing to seal
 * (the genesis block).  Must run as the catalog owner.  Returns the number
 * of blocks written.
 */
extern int	sealer_seal_ledger(int32 ledger_id, bool force);

#endif							/* LEDGER_SEALER_H */
