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
extern void sealer_wake_launcher(void);

/*
 * Seal the committed, unsealed transactions of one ledger into blocks.
 * With force, an empty block is written when there is nothing to seal
 * (the genesis block).  Must run as the catalog owner.  Returns the number
 * of blocks written.
 */
extern int	sealer_seal_ledger(int64 ledger_id, bool force);

/*
 * Have the committed transactions of one ledger sealed outside the caller's
 * transaction (background sealer, or a one-shot worker); false, after a
 * NOTICE, when that did not happen in time.
 */
extern bool sealer_request_seal(int64 ledger_id, const char *relname);

/*
 * SPI_execute_with_args (read-write, no limit) of one of the extension's
 * own statements that write ledger.seal_queue, which its guard lets pass.
 * create_ledger() inserts its genesis record and its entry by one such
 * statement: ledger.records_loaded() does not take that record for records
 * a restore loaded.
 */
extern int	sealer_queue_execute(const char *sql, int nargs, Oid *types, Datum *values);

/*
 * A row of ledger.blocks is about to be inserted by a statement (not the
 * sealer's, nor a subscription's): take the work list's lock first.
 */
extern void sealer_blocks_loading(void);

/* Lock the extension for the transaction, before any of its tables. */
extern bool sealer_lock_extension(void);

/* The checkpoint pass's failures, put off as a ledger whose sealing failed. */
extern int	sealer_checkpoint_put_off(int64 **ids);
extern void sealer_checkpoint_failed(int64 ledger_id, const char *message);
extern void sealer_checkpoint_pass_done(const int64 *put_off, int nput,
										const int64 *failed, int nfailed);

/* Settings (docs/reference.md). */
extern int	ledger_seal_interval_ms;
extern int	ledger_block_max_transactions;
extern bool ledger_sealer_enabled;
extern int	ledger_digest_wait_ms;

#endif							/* LEDGER_SEALER_H */
