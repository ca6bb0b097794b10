/*-------------------------------------------------------------------------
 *
 * worker.c
 *		What every background worker of ledger shares: how it is described
 *		to the postmaster, how it starts, reloads settings and sleeps.
 *
 * The workers themselves live with their feature and define its settings:
 * the sealer launcher, the per-database sealers and the one-shot sealer in
 * sealer.c, the margin scheduler in margin.c.  Each one's main calls
 * worker_start first, then loops on worker_check, its own pass, and
 * worker_sleep.  SIGTERM ends a worker through die(), as for a backend, so
 * an open transaction is rolled back; the postmaster's death ends it at its
 * next sleep.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "worker.h"

/* Describe a worker of the ledger library (restart: seconds or BGW_NEVER_RESTART). */
void
worker_describe(BackgroundWorker *worker, const char *function,
				const char *name, const char *type, int restart)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = restart;
	strlcpy(worker->bgw_library_name, "ledger", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_name, name, BGW_MAXLEN);
	strlcpy(worker->bgw_type, type, BGW_MAXLEN);
}

/* Worker start: signal handlers, then a connection to a database (by oid or name, or none). */
void
worker_start(Oid dboid, const char *dbname)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (OidIsValid(dboid))
		BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	else
		BackgroundWorkerInitializeConnection(dbname, NULL, 0);

	/*
	 * The connection took the database's and the role's settings (ALTER
	 * DATABASE ... SET).  The workers' locking is written for READ COMMITTED:
	 * a sealer waits for a ledger's lock, then reads the head of its chain
	 * with a new snapshot.  With a database default of SERIALIZABLE its
	 * snapshot was the one from before the wait, and the block it wrote
	 * collided with the one sealed meanwhile.
	 */
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * A sealer may wait for a ledger that an open seal() holds, as long as
	 * that transaction lasts; with a database's lock_timeout (set for its
	 * sessions) each pass failed on that wait, an ERROR in the log every
	 * ledger.seal_interval, and the ledgers after it in the pass waited for
	 * the next one.  (statement_timeout is armed only for a client's
	 * statements, never in a background worker.)
	 */
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * But a wait with no timeout must not be a silent one: a DBA's lock on
	 * one of the extension's tables (LOCK TABLE, VACUUM FULL, CLUSTER, or one
	 * of them queued behind a pg_dump's lock) stopped every pass of the
	 * database's sealer, and commits stayed unsealed with nothing in the log
	 * (a review on 2026-12-07; test/t/555_lock_order.pl).  A wait longer than
	 * deadlock_timeout is logged, with the process holding the lock, and
	 * again when the lock is acquired (PostgreSQL's log_lock_waits, for the
	 * workers whatever the server's setting).
	 */
	SetConfigOption("log_lock_waits", "on", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * A database set read-only for its sessions (ALTER DATABASE ... SET
	 * default_transaction_read_only, a common way to freeze one): the
	 * transactions committed before, or by a session that turned it off, must
	 * still be sealed, as autovacuum still vacuums there.  Each pass failed
	 * ("cannot execute SELECT FOR UPDATE in a read-only transaction"), an
	 * ERROR every interval, and nothing was sealed. During recovery every
	 * transaction is read-only whatever this says.
	 */
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * A block is durable when its pass ends, whatever the database's or the
	 * server's synchronous_commit: ledger.digest() hands out the hash of the
	 * newest block once a pass has sealed it, and a block lost in a crash
	 * after that would be sealed again with another hash (the same
	 * transactions, another sealed_at), which verify against the digest
	 * reports as tampering.  One WAL flush per pass.
	 */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * The workers run as a superuser: whatever a database's or a role's
	 * settings say, their queries find operators in pg_catalog only (see
	 * ledger_as_owner).
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * SET CONSTRAINTS ALL IMMEDIATE for the worker's transaction just begun.
 * The sealer writes each ledger's blocks in a subtransaction of its own, so
 * that an error in one ledger rolls back that ledger alone; but a DBA's
 * deferred constraint or constraint trigger on ledger.blocks (DEFERRABLE
 * INITIALLY DEFERRED: an audit trigger, a deferrable foreign key) fired at
 * the pass's commit, outside every subtransaction.  One ledger it refused
 * failed the whole transaction and ended the sealer: the 31 other ledgers
 * of the transaction were never sealed, the launcher started a sealer again
 * every ledger.seal_interval, each logging the same ERROR (59 in 15 s), and
 * sealing_status showed nothing (a review on 2026-12-07;
 * test/t/560_persistent_faults.pl).  Checked at the end of its statement,
 * the constraint fails in the ledger's subtransaction like any other error.
 * The extension itself defines no deferred constraint.
 */
void
worker_constraints_immediate(void)
{
	ConstraintsSetStmt *stmt = makeNode(ConstraintsSetStmt);

	stmt->constraints = NIL;
	stmt->deferred = false;
	AfterTriggerSetState(stmt);
	pfree(stmt);
}

/* Between passes: interrupts, and the configuration file after SIGHUP. */
void
worker_check(void)
{
	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Have ms passed since *since?  GetCurrentTimestamp() is the wall clock, which
 * NTP or an administrator may set back: a time taken before the step is then
 * later than now, and the plain difference said "not yet" until the clock
 * came back to it.  The sealers' launcher, which runs for as long as the
 * server does, then started no sealer for a database for as long as the clock
 * had gone back (an hour's step: an hour of commits left unsealed), an idle
 * sealer did not leave, the waits of digest() and seal() lasted the step on
 * top of their timeout, and the margin launcher did not start a stopped
 * scheduler again (found by reviews on 2026-12-06).  A clock set back past
 * *since moves *since to now, so that each of these waits at most its own
 * time after the step.
 */
bool
worker_elapsed(TimestampTz *since, TimestampTz now, long ms)
{
	if (now < *since)
		*since = now;
	return TimestampDifferenceExceeds(*since, now, (int) ms);
}

/* Sleep until the latch is set or timeout_ms passed; exits with the postmaster. */
void
worker_sleep(long timeout_ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}
