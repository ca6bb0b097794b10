/*-------------------------------------------------------------------------
 *
 * worker.h
 *		What every background worker of ledger shares: how it is described
 *		to the postmaster, how it starts, reloads settings and sleeps.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_WORKER_H
#define LEDGER_WORKER_H

#include "datatype/timestamp.h"
#include "postmaster/bgworker.h"

/* Describe a worker of the ledger library (restart: seconds or BGW_NEVER_RESTART). */
extern void worker_describe(BackgroundWorker *worker, const char *function,
							const char *name, const char *type, int restart);

/* Worker start: signal handlers, then a connection to a database (by oid or name, or none). */
extern void worker_start(Oid dboid, const char *dbname);

/* Between passes: interrupts, and the configuration file after SIGHUP. */
extern void worker_check(void);

/* Sleep until the latch is set or timeout_ms passed; exits with the postmaster. */
extern void worker_sleep(long timeout_ms);

/* In a worker's transaction: every deferrable constraint checked at its statement's end. */
extern void worker_constraints_immediate(void);

/* Have ms passed since *since, a clock set back counting as the start? */
extern bool worker_elapsed(TimestampTz *since, TimestampTz now, long ms);

#endif							/* LEDGER_WORKER_H */
