/*-------------------------------------------------------------------------
 *
 * checkpoint.h
 *		Signed checkpoints of a ledger's history tree: the background
 *		sealer's schedule, and the two helpers the SQL side needs from C.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CHECKPOINT_H
#define LEDGER_CHECKPOINT_H

/* Define the checkpoint settings; called from _PG_init. */
extern void checkpoint_init(void);

/*
 * In a background sealer, after a sealing pass: make the checkpoints that
 * ledger.checkpoint_interval says are due, in a transaction of its own.
 * Errors are logged, never thrown.
 */
extern void checkpoint_pass(void);

/* Setting (docs/reference.md): seconds between checkpoints, 0 = off. */
extern int	ledger_checkpoint_interval_s;

#endif							/* LEDGER_CHECKPOINT_H */
