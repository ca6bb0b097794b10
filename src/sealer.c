/*-------------------------------------------------------------------------
 *
 * sealer.c
 *		Sealing committed transactions into blocks, on demand and from
 *		background workers.
 *
 * A block is an RFC 6962 tree over transaction records in (committed_at,
 * xact_id) order, a total order fixed by the records themselves, linked to
 * its predecessor by hash:
 *
 *	block_hash = SHA-256("ledger-block-v1\0" || ledger uuid || block_no ||
 *						 prev_hash || root || tx_count || row_count ||
 *						 sealed_at || format_version)
 *
 * Locking: a sealer takes the ledger's row in ledger.ledgers FOR UPDATE,
 * which serializes sealers of one ledger and nothing else: writers never
 * touch that row.  Under that lock each query takes a fresh snapshot (READ
 * COMMITTED), so a second sealer sees what the first one sealed.
 *
 * Workers (only when ledger is in shared_preload_libraries): one launcher,
 * started by the postmaster, and short-lived per-database sealers started
 * by the launcher.  A committing transaction that wrote a ledger sets its
 * database's "pending" flag in shared memory and sets the launcher's latch;
 * the launcher starts a sealer for that database if none is running (and,
 * once a minute, for every database with the extension, as a safety net for
 * work no commit announced, such as COMMIT PREPARED).  The
 * sealer seals, sleeps ledger.seal_interval, and exits after about a second
 * without work, so it never holds a database connection that would block
 * DROP DATABASE or CREATE DATABASE ... TEMPLATE.  At start the launcher marks
 * every database pending, so work left unsealed by a crash is sealed.
 * Signal handlers only set flags and the latch (worker_spi.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"
#include "catalog.h"
#include "checkpoint.h"
#include "ledger.h"
#include "merkle.h"
#include "history.h"
#include "pending.h"
#include "record.h"
#include "replica.h"
#include "tiles.h"
#include "sealer.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(ledger_seal);
PG_FUNCTION_INFO_V1(ledger_records_loaded);
PG_FUNCTION_INFO_V1(ledger_seal_queue_guard);
PG_FUNCTION_INFO_V1(ledger_blocks_loaded);
PG_FUNCTION_INFO_V1(ledger_sealing_errors);
PG_FUNCTION_INFO_V1(ledger_rebuild_seal_list);

PGDLLEXPORT void ledger_launcher_main(Datum main_arg);
PGDLLEXPORT void ledger_sealer_main(Datum main_arg);
PGDLLEXPORT void ledger_seal_once_main(Datum main_arg);

/* Settings, documented in docs/reference.md. */
int			ledger_seal_interval_ms = 200;
int			ledger_block_max_transactions = 10000;
bool		ledger_sealer_enabled = true;
int			ledger_digest_wait_ms = 10000;

#define SEALER_MAX_DBS 128

typedef struct SealerDb
{
	Oid			dboid;
	bool		pending;		/* a commit (or a waiter) wants a pass */
	bool		swept;			/* the launcher's sweep wants a pass */
	bool		no_extension;	/* its last sealer found no extension */
	uint64		pass_begun;		/* number of the newest pass started */
	uint64		pass_done;		/* number of the newest pass finished */
	int			sealer_pid;		/* its running sealer, 0 if none */
	bool		asked;			/* a digest() waits: a pass now, whatever the
								 * interval */
	int			failures;		/* its sealers that ended by an error, in a
								 * row */
	TimestampTz failed_at;		/* when the last of them did */
} SealerDb;

/* How often the launcher looks at every database with the extension anyway. */
#define SEALER_SWEEP_MS (60 * 1000)

/* ledgers sealed in one transaction of a pass, one subtransaction each */
#define SEALER_LEDGERS_PER_XACT 32

/*
 * The last error of a background sealing pass for a ledger, until a pass
 * (or ledger.seal()) seals that ledger (ledger.sealing_status): a pass logs
 * the error, rolls that ledger's subtransaction back and seals the others,
 * so without this only the server log said why a ledger fell behind.  The
 * slot also counts the failures in a row and puts the next try off (below);
 * a slot with checkpoint set keeps a scheduled checkpoint's failure the same
 * way (checkpoint.c).
 */
#define SEALER_ERROR_SLOTS 64
#define SEALER_ERROR_LEN 256

typedef struct SealerError
{
	Oid			dboid;			/* InvalidOid: free */
	int64		ledger_id;
	TimestampTz at;
	TimestampTz first_at;		/* the first of the failures in a row */
	TimestampTz retry_at;		/* no background pass tries it before */
	int			failures;		/* passes in a row that failed on it */
	bool		checkpoint;		/* of the checkpoint pass (checkpoint.c) */
	char		message[SEALER_ERROR_LEN];
} SealerError;

/*
 * A ledger whose sealing failed is tried again by the background sealer
 * after a delay that doubles with each failure in a row, from a second up
 * to SEALER_RETRY_MAX_MS.  Without it a pass tried it again every
 * ledger.seal_interval while the database had other work: a DBA's CHECK
 * constraint on ledger.blocks that refused one ledger's blocks logged its
 * ERROR (four lines with DETAIL and CONTEXT) 300 times a minute, about
 * 1,200 lines, for as long as the other ledgers were written (a review on
 * 2026-12-07; test/t/560_persistent_faults.pl).  PostgreSQL's own workers
 * back off likewise: an apply worker that failed is started again after
 * wal_retrieve_retry_interval, and autovacuum comes back to a table after
 * autovacuum_naptime.  ledger.seal() tries at once, whatever the delay.
 */
#define SEALER_RETRY_FIRST_MS 1000
#define SEALER_RETRY_MAX_MS (60 * 1000)

typedef struct SealerShared
{
	slock_t		mutex;
	ConditionVariable pass_cv;	/* broadcast when a pass finishes */
	Latch	   *launcher_latch;
	bool		overflow;		/* a database found every slot taken */
	bool		slots_short;	/* a database with work waits for a slot */
	int			ndbs;			/* slots used; a forgotten one has dboid 0 */
	SealerDb	dbs[SEALER_MAX_DBS];
	SealerError errors[SEALER_ERROR_SLOTS];
	uint64		seal_clears;	/* ledger.seal() cleared a ledger's error */
} SealerShared;

static SealerShared *sealer_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Request our shared memory. */
static void
sealer_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SealerShared)));
}

/* Attach to (or create) our shared memory. */
static void
sealer_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sealer_shared = ShmemInitStruct("ledger sealer", sizeof(SealerShared), &found);
	if (!found)
	{
		SpinLockInit(&sealer_shared->mutex);
		ConditionVariableInit(&sealer_shared->pass_cv);
		sealer_shared->launcher_latch = NULL;
		sealer_shared->overflow = false;
		sealer_shared->ndbs = 0;
		memset(sealer_shared->errors, 0, sizeof(sealer_shared->errors));
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The delay before the next background try of a ledger that failed so often in a row. */
static long
sealer_retry_delay_ms(int failures)
{
	long		ms = SEALER_RETRY_FIRST_MS;

	while (--failures > 0 && ms < SEALER_RETRY_MAX_MS)
		ms *= 2;
	return Min(ms, SEALER_RETRY_MAX_MS);
}

/*
 * The sealer's own memory of the ledgers its passes put off, beside the
 * shared slots.  The slots are 64 for the server, the oldest given up for a
 * new failure: with more ledgers failing than that, each failure evicted
 * another ledger's slot before its next try, so every ledger was tried at
 * every pass and the delay never grew (100 ledgers refused by a DBA's CHECK
 * on ledger.blocks: each tried 46 times in 10 s, always "failure 1", 4,600
 * ERRORs; a last read on 2026-12-07, test/t/562_many_failing.pl).
 * This table holds every ledger that failed for as long as the sealer runs
 * (it runs as long as the database is written); a ledger is put off when
 * either says so.  ledger.seal() in another backend clears only the shared
 * slot: it counts its clears in seal_clears, and an entry made before the
 * last one is forgotten (one more try for the other ledgers put off).
 */
typedef struct SealerLocalRetry
{
	int64		ledger_id;		/* hash key */
	int			failures;
	TimestampTz first_at;
	TimestampTz retry_at;
	uint64		seal_clears;	/* sealer_shared->seal_clears then */
} SealerLocalRetry;

static HTAB *sealer_local_retry = NULL;

/* The same for the ledgers whose scheduled checkpoint failed (checkpoint.c). */
static HTAB *sealer_local_cp_retry = NULL;

static HTAB *
sealer_local_table(HTAB **table)
{
	if (*table == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(SealerLocalRetry);
		ctl.hcxt = TopMemoryContext;
		*table = hash_create("ledger sealer retries", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	return *table;
}

/* The local entry of a ledger, NULL if none or made before a seal()'s clear. */
static SealerLocalRetry *
sealer_local_retry_get(int64 ledger_id, uint64 seal_clears)
{
	SealerLocalRetry *r;

	if (sealer_local_retry == NULL)
		return NULL;
	r = hash_search(sealer_local_retry, &ledger_id, HASH_FIND, NULL);
	if (r != NULL && r->seal_clears != seal_clears)
	{
		(void) hash_search(sealer_local_retry, &ledger_id, HASH_REMOVE, NULL);
		r = NULL;
	}
	return r;
}

/*
 * Count a failure of a ledger in a local table (above): its entry, new or
 * made before the seal() clear counted in clears, starts again from 0; the
 * count is at least the shared slot's, and the next try is put off by its
 * delay.
 */
static void
sealer_local_failed(HTAB **table, int64 ledger_id, int shared_failures, uint64 clears)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		found;
	SealerLocalRetry *r = hash_search(sealer_local_table(table), &ledger_id,
									  HASH_ENTER, &found);

	if (!found || r->seal_clears != clears)
	{
		r->failures = 0;
		r->first_at = now;
	}
	r->seal_clears = clears;
	r->failures = Max(r->failures + 1, shared_failures);
	r->retry_at = TimestampTzPlusMilliseconds(now, sealer_retry_delay_ms(r->failures));
}

/* A background try of the ledger failed: count it locally (above). */
static void
sealer_local_retry_failed(int64 ledger_id, int shared_failures)
{
	uint64		clears;

	if (sealer_shared == NULL)
		return;
	SpinLockAcquire(&sealer_shared->mutex);
	clears = sealer_shared->seal_clears;
	SpinLockRelease(&sealer_shared->mutex);
	sealer_local_failed(&sealer_local_retry, ledger_id, shared_failures, clears);
}

/*
 * Is a try whose delay ends at *retry_at still put off at now?  A clock set
 * back: the delay counts from now at most (*retry_at is brought in).
 */
static bool
sealer_put_off(TimestampTz *retry_at, TimestampTz now)
{
	if (*retry_at - now > (TimestampTz) SEALER_RETRY_MAX_MS * 1000)
		*retry_at = TimestampTzPlusMilliseconds(now, SEALER_RETRY_MAX_MS);
	return *retry_at > now;
}

/* A pass sealed the ledger: its local entry, if any, is history. */
static void
sealer_local_retry_clear(int64 ledger_id)
{
	if (sealer_local_retry != NULL)
		(void) hash_search(sealer_local_retry, &ledger_id, HASH_REMOVE, NULL);
}

/*
 * Keep the error of a sealing pass for a ledger of this database.  With
 * failed (an error of the background pass), count it and put the ledger's
 * next background try off (sealer_retry_delay_ms); a ledger skipped for
 * want of its row or genesis block is not tried, and is not put off.
 */
static int
sealer_error_keep_kind(int64 ledger_id, const char *message, bool failed, bool checkpoint)
{
	int			slot = -1;
	int			i;
	TimestampTz now = GetCurrentTimestamp();
	SealerError *e;
	int			failures;

	if (sealer_shared == NULL)
		return 0;
	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < SEALER_ERROR_SLOTS; i++)
	{
		e = &sealer_shared->errors[i];
		if (e->dboid == MyDatabaseId && e->ledger_id == ledger_id &&
			e->checkpoint == checkpoint)
		{
			slot = i;
			break;
		}
		/* a free slot (at 0), else the oldest */
		if (slot < 0 || e->at < sealer_shared->errors[slot].at)
			slot = i;
	}
	e = &sealer_shared->errors[slot];
	if (e->dboid != MyDatabaseId || e->ledger_id != ledger_id || e->checkpoint != checkpoint)
	{
		e->checkpoint = checkpoint;
		e->failures = 0;
		e->first_at = now;
		e->retry_at = 0;
	}
	e->dboid = MyDatabaseId;
	e->ledger_id = ledger_id;
	e->at = now;
	if (failed)
	{
		if (e->failures == 0)
			e->first_at = now;
		e->failures++;
		e->retry_at = TimestampTzPlusMilliseconds(now, sealer_retry_delay_ms(e->failures));
	}
	strlcpy(e->message, message ? message : "(no message)", SEALER_ERROR_LEN);
	failures = e->failures;
	SpinLockRelease(&sealer_shared->mutex);
	return failures;
}

static int
sealer_error_keep(int64 ledger_id, const char *message, bool failed)
{
	return sealer_error_keep_kind(ledger_id, message, failed, false);
}

static void
sealer_error_set(int64 ledger_id, const char *message)
{
	(void) sealer_error_keep(ledger_id, message, false);
}

/*
 * Is a background try of the ledger put off (a failure, and its delay not
 * over)?  *failures and *first_at get its failures in a row so far (0 if
 * none).
 */
static bool
sealer_retry_later(int64 ledger_id, TimestampTz now, int *failures, TimestampTz *first_at)
{
	bool		later = false;
	int			i;
	uint64		clears;
	SealerLocalRetry *r;

	*failures = 0;
	*first_at = 0;
	if (sealer_shared == NULL)
		return false;
	SpinLockAcquire(&sealer_shared->mutex);
	clears = sealer_shared->seal_clears;
	for (i = 0; i < SEALER_ERROR_SLOTS; i++)
	{
		SealerError *e = &sealer_shared->errors[i];

		if (e->dboid == MyDatabaseId && e->ledger_id == ledger_id && !e->checkpoint)
		{
			*failures = e->failures;
			*first_at = e->first_at;
			later = e->failures > 0 && sealer_put_off(&e->retry_at, now);
			break;
		}
	}
	SpinLockRelease(&sealer_shared->mutex);

	/* (its slot given to another ledger's failure: the local entry) */
	r = sealer_local_retry_get(ledger_id, clears);
	if (r != NULL && r->failures > 0)
	{
		if (r->failures > *failures)
		{
			*failures = r->failures;
			*first_at = r->first_at;
		}
		if (sealer_put_off(&r->retry_at, now))
			later = true;
	}
	return later;
}

/* What a background try of a ledger that failed before adds to an error's context. */
typedef struct SealRetry
{
	int64		ledger_id;
	int			failures;		/* failures in a row before this try */
	TimestampTz first_at;
} SealRetry;

static void
seal_retry_context(void *arg)
{
	SealRetry  *r = (SealRetry *) arg;
	int			category = ERRCODE_TO_CATEGORY(geterrcode());

	/*
	 * errors only: a LOG or WARNING of the ledger's sealing (a lock wait, an
	 * entry dropped from the list) fails nothing (PostgreSQL 15 has no
	 * geterrlevel(); their SQLSTATE is of class 00, 01 or 02)
	 */
	if (category == ERRCODE_TO_CATEGORY(ERRCODE_SUCCESSFUL_COMPLETION) ||
		category == ERRCODE_TO_CATEGORY(ERRCODE_WARNING) ||
		category == ERRCODE_TO_CATEGORY(ERRCODE_NO_DATA))
		return;
	if (r->failures == 0)
		errcontext("background sealing of ledger id " INT64_FORMAT
				   ": tried again in %ld s, then with a delay doubling up to %d s while it fails",
				   r->ledger_id, sealer_retry_delay_ms(1) / 1000,
				   SEALER_RETRY_MAX_MS / 1000);
	else
		errcontext("background sealing of ledger id " INT64_FORMAT
				   ": failure %d in a row since %s; tried again in %ld s",
				   r->ledger_id, r->failures + 1, timestamptz_to_str(r->first_at),
				   sealer_retry_delay_ms(r->failures + 1) / 1000);
}

/* A pass sealed the ledger: its error, if any, is history. */
static void
sealer_error_clear(int64 ledger_id)
{
	int			i;

	if (sealer_shared == NULL)
		return;
	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < SEALER_ERROR_SLOTS; i++)
	{
		SealerError *e = &sealer_shared->errors[i];

		if (e->dboid == MyDatabaseId && e->ledger_id == ledger_id && !e->checkpoint)
			memset(e, 0, sizeof(SealerError));
	}
	SpinLockRelease(&sealer_shared->mutex);
}

/*
 * The checkpoint pass's side (checkpoint.c): a ledger whose scheduled
 * checkpoint failed is tried again after the same doubling delay as a
 * ledger whose sealing failed.  Without it the pass, which runs after each
 * sealing pass, tried it again every ledger.seal_interval while the
 * database was written, and logged its WARNING as often (300 a minute, a
 * review on 2026-12-07).  sealer_checkpoint_put_off fills ids (at most max)
 * with the ledgers of this database whose next try is not due; returns how
 * many.
 */
int
sealer_checkpoint_put_off(int64 **ids)
{
	TimestampTz now = GetCurrentTimestamp();
	int			n = 0;
	int			max = SEALER_ERROR_SLOTS;
	int			i;
	HASH_SEQ_STATUS seq;
	SealerLocalRetry *r;

	if (sealer_local_cp_retry != NULL)
		max += (int) hash_get_num_entries(sealer_local_cp_retry);
	*ids = palloc(sizeof(int64) * max);
	if (sealer_shared == NULL)
		return 0;
	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < SEALER_ERROR_SLOTS && n < max; i++)
	{
		SealerError *e = &sealer_shared->errors[i];

		if (e->dboid != MyDatabaseId || !e->checkpoint || e->failures == 0)
			continue;
		if (sealer_put_off(&e->retry_at, now))
			(*ids)[n++] = e->ledger_id;
	}
	SpinLockRelease(&sealer_shared->mutex);

	/*
	 * (beyond the 64 slots, or its slot given to another failure: the
	 * sealer's own entries, as for sealing; a ledger listed twice is
	 * harmless)
	 */
	if (sealer_local_cp_retry != NULL)
	{
		hash_seq_init(&seq, sealer_local_cp_retry);
		while ((r = hash_seq_search(&seq)) != NULL)
		{
			if (sealer_put_off(&r->retry_at, now) && n < max)
				(*ids)[n++] = r->ledger_id;
		}
	}
	return n;
}

/* The scheduled checkpoint of a ledger of this database failed. */
void
sealer_checkpoint_failed(int64 ledger_id, const char *message)
{
	char	   *m = psprintf("could not make a checkpoint: %s", message);
	int			shared_failures = sealer_error_keep_kind(ledger_id, m, true, true);

	pfree(m);
	sealer_local_failed(&sealer_local_cp_retry, ledger_id, shared_failures, 0);
}

/* Is id among the n ids? */
static bool
sealer_id_listed(int64 id, const int64 *ids, int n)
{
	int			k;

	for (k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

/*
 * A checkpoint pass is over: the failures of the ledgers it tried (neither
 * put off nor failed now) are history.
 */
void
sealer_checkpoint_pass_done(const int64 *put_off, int nput, const int64 *failed, int nfailed)
{
	int			i;

	if (sealer_shared == NULL)
		return;
	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < SEALER_ERROR_SLOTS; i++)
	{
		SealerError *e = &sealer_shared->errors[i];

		if (e->dboid != MyDatabaseId || !e->checkpoint)
			continue;
		if (!sealer_id_listed(e->ledger_id, put_off, nput) &&
			!sealer_id_listed(e->ledger_id, failed, nfailed))
			memset(e, 0, sizeof(SealerError));
	}
	SpinLockRelease(&sealer_shared->mutex);
	if (sealer_local_cp_retry != NULL)
	{
		HASH_SEQ_STATUS seq;
		SealerLocalRetry *r;

		hash_seq_init(&seq, sealer_local_cp_retry);
		while ((r = hash_seq_search(&seq)) != NULL)
		{
			if (!sealer_id_listed(r->ledger_id, put_off, nput) &&
				!sealer_id_listed(r->ledger_id, failed, nfailed))
				(void) hash_search(sealer_local_cp_retry, &r->ledger_id, HASH_REMOVE, NULL);
		}
	}
}

/*
 * ledger._sealing_errors() RETURNS SETOF (ledger_id int8, error_at
 * timestamptz, error text): the last error of a background sealing pass for
 * each ledger of this database that no pass has sealed since.
 */
Datum
ledger_sealing_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SealerError copy[SEALER_ERROR_SLOTS];
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (sealer_shared == NULL)
		return (Datum) 0;
	SpinLockAcquire(&sealer_shared->mutex);
	memcpy(copy, sealer_shared->errors, sizeof(copy));
	SpinLockRelease(&sealer_shared->mutex);
	for (i = 0; i < SEALER_ERROR_SLOTS; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (copy[i].dboid != MyDatabaseId)
			continue;
		/* one row a ledger: its sealing error before its checkpoint's */
		if (copy[i].checkpoint)
		{
			int			k;
			bool		other = false;

			for (k = 0; k < SEALER_ERROR_SLOTS && !other; k++)
				other = k != i && copy[k].dboid == MyDatabaseId &&
					copy[k].ledger_id == copy[i].ledger_id && !copy[k].checkpoint;
			if (other)
				continue;
		}
		copy[i].message[SEALER_ERROR_LEN - 1] = '\0';
		values[0] = Int64GetDatum(copy[i].ledger_id);
		values[1] = TimestampTzGetDatum(copy[i].at);
		values[2] = CStringGetTextDatum(copy[i].message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Define the sealing settings; register hooks and, when preloaded, the launcher. */
void
sealer_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("ledger.seal_interval",
							"Time between sealing passes of the background sealer.",
							"The age bound of an open block: a committed transaction is sealed within about this time.",
							&ledger_seal_interval_ms,
							200, 10, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ledger.block_max_transactions",
							"Largest number of transactions sealed into one block.",
							NULL,
							&ledger_block_max_transactions,
							10000, 1, 1000000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ledger.digest_wait",
							"How long ledger.digest() waits for the sealer.",
							"ledger.digest() has committed transactions sealed before it describes the newest block; after this long it describes what is sealed.",
							&ledger_digest_wait_ms,
							10000, 0, 3600 * 1000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	/* a postmaster-level setting can only be defined while preloading */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomBoolVariable("ledger.sealer",
								 "Starts background sealer workers when ledger is preloaded.",
								 NULL,
								 &ledger_sealer_enabled,
								 true,
								 PGC_POSTMASTER,
								 0,
								 NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = sealer_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = sealer_shmem_startup;

	/*
	 * No sealer when switched off, nor in the servers pg_upgrade starts
	 * (binary-upgrade mode): a sealer connected to a database there makes the
	 * restore's DROP DATABASE fail, and what it wrote in the new cluster
	 * would be replaced by the old cluster's files.
	 */
	if (!ledger_sealer_enabled || IsBinaryUpgrade)
		return;

	worker_describe(&worker, "ledger_launcher_main", "ledger sealer launcher",
					"ledger sealer launcher", 5);
	RegisterBackgroundWorker(&worker);
}

/*
 * The place of a database in the launcher's table, or -1 (InvalidOid: a
 * free place, one the launcher forgot).  Under the mutex.
 */
static int
sealer_db_slot(Oid dboid)
{
	int			i;

	for (i = 0; i < sealer_shared->ndbs; i++)
		if (sealer_shared->dbs[i].dboid == dboid)
			return i;
	return -1;
}

/* Give place i to the database (InvalidOid: free it), nothing pending.  Under the mutex. */
static void
sealer_db_reset(int i, Oid dboid)
{
	SealerDb   *db = &sealer_shared->dbs[i];

	db->dboid = dboid;
	db->pending = false;
	db->swept = false;
	db->no_extension = false;
	db->pass_begun = 0;
	db->pass_done = 0;
	db->sealer_pid = 0;
	db->asked = false;
	db->failures = 0;
	db->failed_at = 0;
}

/*
 * Mark a database pending (sweep: as the launcher's sweep, which starts
 * one sealer at a time for such databases).  Returns the launcher's latch
 * when the flag was clear (the launcher must look), NULL when it was
 * already set: so a busy database wakes the launcher once per sealing
 * pass, not once per commit.
 */
static Latch *
sealer_mark(Oid dboid, bool sweep)
{
	Latch	   *latch = NULL;
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	if (i < 0)
	{
		/* new: the place of a database the launcher forgot, or a new one */
		i = sealer_db_slot(InvalidOid);
		if (i < 0 && sealer_shared->ndbs < SEALER_MAX_DBS)
			i = sealer_shared->ndbs++;
		if (i >= 0)
			sealer_db_reset(i, dboid);
		else
			sealer_shared->overflow = true;
	}
	if (i >= 0)
		sealer_shared->dbs[i].no_extension = false;
	if (i >= 0 && sweep)
		sealer_shared->dbs[i].swept = true;
	else if (i >= 0)
	{
		if (!sealer_shared->dbs[i].pending)
		{
			sealer_shared->dbs[i].pending = true;
			latch = sealer_shared->launcher_latch;
		}
	}
	SpinLockRelease(&sealer_shared->mutex);
	return latch;
}

static Latch *
sealer_mark_pending(Oid dboid)
{
	return sealer_mark(dboid, false);
}

/* Tell the launcher that a database has committed, unsealed work. */
void
sealer_notify(Oid dboid)
{
	Latch	   *latch;

	if (sealer_shared == NULL)
		return;
	latch = sealer_mark_pending(dboid);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * Wake the sealers' launcher: its next round, at once, writes the file of
 * the replicas' errors (replica_errors_persist).  Raises no error (a
 * spinlock and SetLatch), so it may be called after a commit.
 */
void
sealer_wake_launcher(void)
{
	Latch	   *latch;

	if (sealer_shared == NULL)
		return;
	SpinLockAcquire(&sealer_shared->mutex);
	latch = sealer_shared->launcher_latch;
	SpinLockRelease(&sealer_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/* Remember that a database has no extension (a commit there clears it). */
static void
sealer_set_no_extension(Oid dboid)
{
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	/* not if a commit asked for a pass since this one began: it has one */
	if (i >= 0 && !sealer_shared->dbs[i].pending)
		sealer_shared->dbs[i].no_extension = true;
	SpinLockRelease(&sealer_shared->mutex);
}

/*
 * Take (and clear) a database's pending and swept flags, and number the
 * pass about to start; *pass gets its number (0 if the database is not
 * tracked).  Returns the pending flag: a sweep alone is not activity.
 */
static bool
sealer_take_pending(Oid dboid, uint64 *pass)
{
	bool		pending = false;
	int			i;

	*pass = 0;
	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	if (i >= 0)
	{
		pending = sealer_shared->dbs[i].pending || sealer_shared->dbs[i].asked;
		sealer_shared->dbs[i].pending = false;
		sealer_shared->dbs[i].swept = false;
		sealer_shared->dbs[i].asked = false;
		*pass = ++sealer_shared->dbs[i].pass_begun;
	}
	SpinLockRelease(&sealer_shared->mutex);
	return pending;
}

/* A numbered pass is over: record it and wake the waiters of digest(). */
static void
sealer_pass_finished(Oid dboid, uint64 pass)
{
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	if (i >= 0 && sealer_shared->dbs[i].pass_done < pass)
		sealer_shared->dbs[i].pass_done = pass;
	SpinLockRelease(&sealer_shared->mutex);
	ConditionVariableBroadcast(&sealer_shared->pass_cv);
}

/*
 * A digest() waits for a pass: have one now.  A commit marks its database
 * pending and wakes the launcher, but a running sealer sleeps
 * ledger.seal_interval between passes, and the launcher starts a sealer at
 * most once an interval: with the interval at or above ledger.digest_wait,
 * digest() waited it out and described a block older than the call (a
 * review on 2026-12-06; docs/reference.md says it wakes the sealer).  The
 * running sealer's latch is set (found by its pid: it is in the proc array
 * once connected; a pid reused meanwhile gets a harmless wake-up), and the
 * launcher, told the database asks, starts one at once if none runs.
 */
static void
sealer_ask_pass(Oid dboid)
{
	int			i;
	int			pid = 0;
	Latch	   *launcher = NULL;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	if (i >= 0)
	{
		sealer_shared->dbs[i].asked = true;
		pid = sealer_shared->dbs[i].sealer_pid;
		launcher = sealer_shared->launcher_latch;
	}
	SpinLockRelease(&sealer_shared->mutex);
	if (pid > 0)
	{
		PGPROC	   *proc = BackendPidGetProc(pid);

		if (proc != NULL)
			SetLatch(&proc->procLatch);
	}
	else if (launcher != NULL)
		SetLatch(launcher);
}

/*
 * Wait, up to timeout_ms, for the background sealer to finish a pass over
 * this database that started after the call: every transaction committed
 * before the call is then sealed (unless sealing it failed).  False when
 * there is no running background sealer or the time ran out.  With ask,
 * the pass is had now (sealer_ask_pass), not at the sealer's own pace.
 */
static bool
sealer_wait_for_pass(int timeout_ms, bool ask)
{
	uint64		target = 0;
	bool		known = false;
	bool		done = false;
	TimestampTz start = GetCurrentTimestamp();
	int			i;

	if (sealer_shared == NULL)
		return false;
	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(MyDatabaseId);
	if (sealer_shared->launcher_latch != NULL && i >= 0)
	{
		target = sealer_shared->dbs[i].pass_begun + 1;
		known = true;
	}
	SpinLockRelease(&sealer_shared->mutex);
	if (!known)
	{
		/* first contact: sealer_notify makes the database known */
		sealer_notify(MyDatabaseId);
		SpinLockAcquire(&sealer_shared->mutex);
		i = sealer_db_slot(MyDatabaseId);
		if (i >= 0)
		{
			target = sealer_shared->dbs[i].pass_begun + 1;
			known = sealer_shared->launcher_latch != NULL;
		}
		SpinLockRelease(&sealer_shared->mutex);
		if (!known)
			return false;
	}
	else
		sealer_notify(MyDatabaseId);
	if (ask)
		sealer_ask_pass(MyDatabaseId);

	ConditionVariablePrepareToSleep(&sealer_shared->pass_cv);
	for (;;)
	{
		long		left;
		TimestampTz now;

		SpinLockAcquire(&sealer_shared->mutex);
		i = sealer_db_slot(MyDatabaseId);
		if (i >= 0)
			done = sealer_shared->dbs[i].pass_done >= target;
		SpinLockRelease(&sealer_shared->mutex);
		if (done)
			break;
		now = GetCurrentTimestamp();
		if (worker_elapsed(&start, now, timeout_ms))
			break;
		left = timeout_ms - TimestampDifferenceMilliseconds(start, now);
		if (left <= 0)
			break;
		/* wake now and then: a sealer that dies broadcasts nothing */
		(void) ConditionVariableTimedSleep(&sealer_shared->pass_cv, Min(left, 100),
										   PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return done;
}

/* ---------- sealing ---------- */

/* A ledger being sealed: its identity and the head of its chain. */
typedef struct SealHead
{
	int64		ledger_id;
	pg_uuid_t	uuid;
	int			format;			/* row format of the ledger */
	int64		block;			/* newest block, -1 if none */
	uint8		hash[LEDGER_HASH_LEN];
	uint64		tree_size;		/* history size after it */
	int64		total_rows;		/* rows up to it */
} SealHead;

/*
 * Why a pass over every ledger left a listed ledger unsealed, for good
 * until a superuser repairs the catalog (sealer_warn_skipped).
 */
typedef enum SealSkip
{
	SEAL_SKIP_DROPPED = -1,		/* dropped since the list was read */
	SEAL_SKIP_NONE = 0,
	SEAL_SKIP_NO_ROW,			/* no row in ledger.ledgers */
	SEAL_SKIP_NO_GENESIS,		/* its row, and no block 0 */
	SEAL_SKIP_KINDS
} SealSkip;

/*
 * Lock the ledger's row in ledger.ledgers (sealers of one ledger serialize
 * there; writers never touch it) and read the head of its chain.  With
 * skip_locked, a row locked by another transaction is not waited for:
 * false, nothing read.  DDL on a ledger updates its row (its new column
 * list) and holds it until the DDL's transaction ends; a background pass
 * that waited there held back every other ledger of the database (found
 * by a review on 2026-12-05: a table owner's open ALTER TABLE ... ADD
 * COLUMN stopped sealing for all).  A ledger with no row, or with no block
 * 0 (see below), is an error, or with skip given, false with *skip set.
 */
static bool
seal_lock_head(int64 ledger_id, SealHead *head, bool skip_locked, bool force, SealSkip *skip)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	bool		isnull;
	LedgerBlock b;
	Oid			relid;
	int			ret;

	ret = SPI_execute_with_args(skip_locked ?
								"SELECT ledger_uuid, format_version, relation FROM ledger.ledgers "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 FOR UPDATE SKIP LOCKED" :
								"SELECT ledger_uuid, format_version, relation FROM ledger.ledgers "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
								1, &argtype, &arg, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not lock ledger " INT64_FORMAT ": %s", ledger_id, SPI_result_code_string(ret));
	if (SPI_processed == 0 && skip_locked)
	{
		ret = SPI_execute_with_args("SELECT 1 FROM ledger.ledgers "
									"WHERE ledger_id OPERATOR(pg_catalog.=) $1",
									1, &argtype, &arg, NULL, false, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read ledger " INT64_FORMAT ": %s", ledger_id, SPI_result_code_string(ret));
		if (SPI_processed > 0)
			return false;
	}
	if (SPI_processed == 0 && skip != NULL)
	{
		/*
		 * A ledger that drop_ledger() dropped after the list was read (it
		 * deletes the ledger's entries with its row, and a FOR UPDATE above
		 * waited for it): nothing left to skip, nothing to warn about. Until
		 * 2026-12-06 each seal() and background pass that met a drop_ledger()
		 * so warned (XX001) of a ledger "that does not exist" with records
		 * left unsealed, records the drop had deleted (found by the crash
		 * campaign; test/t/480_crash_review.pl).  Read under a snapshot newer
		 * than the list's: the drop's deletes are seen.
		 */
		ret = SPI_execute_with_args("SELECT 1 FROM ledger.seal_queue "
									"WHERE ledger_id OPERATOR(pg_catalog.=) $1",
									1, &argtype, &arg, NULL, false, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read ledger.seal_queue: %s", SPI_result_code_string(ret));
		*skip = SPI_processed == 0 ? SEAL_SKIP_DROPPED : SEAL_SKIP_NO_ROW;
		return false;
	}
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("ledger " INT64_FORMAT " does not exist", ledger_id)));
	head->ledger_id = ledger_id;
	memcpy(&head->uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
		   sizeof(pg_uuid_t));
	head->format = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (isnull)
		relid = InvalidOid;
	if (block_read_head(ledger_id, false, &b))
	{
		head->block = b.block_no;
		memcpy(head->hash, b.block_hash, LEDGER_HASH_LEN);
		head->tree_size = BLOCK_TREE_SIZE(&b);
		head->total_rows = b.total_rows;
	}
	else
	{
		head->block = -1;
		memset(head->hash, 0, LEDGER_HASH_LEN);
		head->tree_size = 0;
		head->total_rows = 0;
	}

	/*
	 * Block 0, the genesis, is written with the ledger's row (create_ledger,
	 * with force: the only block a ledger without blocks gets) and binds the
	 * chain to the ledger's uuid.  A superuser's DELETE or a partial restore
	 * can leave a ledger without it: the next block would then be a new
	 * genesis over its transactions (no block at all), or a link of a chain
	 * that starts nowhere (later blocks left).  Neither is sealed (verify()
	 * reports the ledger as tampered); until 2026-12-06 the first was sealed,
	 * and after a crash the work list's rebuild took the ledger for a
	 * half-restored catalog and refused every ledger of the database (found
	 * by an operations review).  One primary-key probe, when the newest block
	 * is not block 0 itself.
	 */
	if (head->block != 0 && !(force && head->block < 0))
	{
		if (head->block > 0)
		{
			ret = SPI_execute_with_args("SELECT 1 FROM ledger.blocks "
										"WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
										"AND block_no OPERATOR(pg_catalog.=) 0",
										1, &argtype, &arg, NULL, false, 1);
			if (ret != SPI_OK_SELECT)
				elog(ERROR, "could not read ledger.blocks: %s", SPI_result_code_string(ret));
		}
		if (head->block < 0 || SPI_processed == 0)
		{
			char	   *relname;

			if (skip != NULL)
			{
				*skip = SEAL_SKIP_NO_GENESIS;
				return false;
			}
			relname = OidIsValid(relid) ? get_rel_name(relid) : NULL;
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("cannot seal ledger \"%s\": its genesis block is missing",
							relname ? relname : psprintf("id " INT64_FORMAT, ledger_id)),
					 errdetail("Block 0 of ledger id " INT64_FORMAT " is not in ledger.blocks; its history cannot be chained without it, and no new genesis block is made.",
							   ledger_id),
					 errhint("Run ledger.verify() on the ledger. It is sealed again once its block 0 is put back from a backup.")));
		}
	}
	return true;
}

/*
 * Set while seal_write_block() inserts its block: ledger.blocks_loaded()
 * has nothing to do for it (its records leave the list in the same
 * transaction).
 */
static bool sealer_block_insert = false;

/* A palloc'd copy of a tid. */
static ItemPointer
seal_tid_copy(ItemPointer tid)
{
	ItemPointer copy = palloc(sizeof(ItemPointerData));

	*copy = *tid;
	return copy;
}

/* A palloc'd copy of an int8, for a List. */
static int64 *
seal_int64_copy(int64 v)
{
	int64	   *copy = palloc(sizeof(int64));

	*copy = v;
	return copy;
}

/* One entry of the work list, with its record. */
typedef struct SealItem
{
	ItemPointerData queue_tid;
	LedgerRecord rec;
} SealItem;

/* order by (committed_at, xact_id): the block order (of pointers to items) */
static int
seal_item_cmp(const void *a, const void *b, void *arg)
{
	const LedgerRecord *x = &(*(SealItem *const *) a)->rec;
	const LedgerRecord *y = &(*(SealItem *const *) b)->rec;

	if (x->committed_at != y->committed_at)
		return x->committed_at < y->committed_at ? -1 : 1;
	return (x->xact_id > y->xact_id) - (x->xact_id < y->xact_id);
}

/*
 * Set while one of the extension's own statements writes the work list
 * (the rebuild, its marker and watch rows, create_ledger()'s genesis entry):
 * ledger.seal_queue_guard() refuses every other INSERT or UPDATE, and
 * ledger.records_loaded() has nothing to do for the genesis record the
 * same statement lists.  Writers' entries (pending.c) are inserted below
 * SQL and fire no trigger.
 */
static bool queue_writing = false;

/*
 * SPI_execute_with_args of a statement that writes ledger.seal_queue (SPI
 * connected; nargs 0: no arguments).
 */
int
sealer_queue_execute(const char *sql, int nargs, Oid *types, Datum *values)
{
	volatile int ret = 0;
	bool		save = queue_writing;

	queue_writing = true;
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	}
	PG_FINALLY();
	{
		queue_writing = save;
	}
	PG_END_TRY();
	return ret;
}

/* Columns of ledger.seal_queue (1-based), as created. */
#define QUEUE_LEDGER_ID 1
#define QUEUE_XACT_ID 2
#define QUEUE_RECORD_TID 3

/* An entry of the work list, as a pass over the whole list found it. */
typedef struct QueueEntry
{
	int64		ledger_id;
	ItemPointerData tid;
} QueueEntry;

/*
 * The ledgers to seal; for a pass over every ledger, their entries on the
 * work list too, read once (ents[first[i]] .. ents[first[i + 1]] - 1 are
 * ids[i]'s), so that each ledger's sealing fetches its entries by tid
 * instead of scanning the whole list again: with hundreds of busy ledgers
 * the scans were most of a pass, and grew with the list.
 */
typedef struct LedgerIds
{
	int			n;
	int64	   *ids;
	QueueEntry *ents;			/* NULL: each ledger scans the list */
	uint64	   *first;
} LedgerIds;

/*
 * The ledger's committed, unsealed records, from its work list, in block
 * order, duplicates dropped (a fresh snapshot).  Entries whose record is
 * gone are logged and dropped.  The list is read with a heap scan and the
 * records fetched by tid with the catalog table opened once: a pass over
 * thousands of entries costs no query per entry.
 */
static SealItem *
seal_read_queue(int64 ledger_id, const QueueEntry *ents, uint64 nents, uint64 *n, List **stale)
{
	Relation	qrel = table_open(ledger_catalog_relid("seal_queue"), AccessShareLock);
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = NULL;
	TupleTableSlot *slot = table_slot_create(qrel, NULL);
	RecordFetcher *fetcher = record_fetcher_begin();
	SealItem   *items;
	SealItem  **order;
	SealItem   *out;
	uint64		cap = 64;
	uint64		i;
	uint64		k = 0;
	uint64		e = 0;
	uint64		total;
	BlockNumber qblocks = ents != NULL ? RelationGetNumberOfBlocks(qrel) : 0;

	items = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(SealItem) * cap);
	if (ents == NULL)
		scan = table_beginscan(qrel, snapshot, 0, NULL);
	for (;;)
	{
		bool		isnull;
		int64		xact;
		ItemPointer rtid;

		CHECK_FOR_INTERRUPTS();
		if (ents == NULL)
		{
			if (!table_scan_getnextslot(scan, ForwardScanDirection, slot))
				break;
		}
		else
		{
			/*
			 * read before this ledger's lock, in an earlier transaction of
			 * the pass: gone if sealed meanwhile, and the list may have been
			 * truncated (by autovacuum) or moved (VACUUM FULL) since
			 */
			if (e == nents)
				break;
			if (ItemPointerGetBlockNumber(&ents[e].tid) >= qblocks)
			{
				e++;
				continue;
			}
			if (!table_tuple_fetch_row_version(qrel, (ItemPointer) &ents[e++].tid, snapshot, slot))
				continue;
		}
		if (DatumGetInt64(slot_getattr(slot, QUEUE_LEDGER_ID, &isnull)) != ledger_id || isnull)
			continue;
		xact = DatumGetInt64(slot_getattr(slot, QUEUE_XACT_ID, &isnull));
		rtid = (ItemPointer) DatumGetPointer(slot_getattr(slot, QUEUE_RECORD_TID, &isnull));
		if (k == cap)
		{
			cap *= 2;
			items = repalloc_huge(items, sizeof(SealItem) * cap);
		}
		items[k].queue_tid = slot->tts_tid;
		if (!record_fetcher_get(fetcher, rtid, ledger_id, xact, &items[k].rec))
		{
			/* moved by VACUUM FULL or CLUSTER of the catalog: by its key */
			LedgerRecord *r;
			uint64		nr;

			r = record_read_xact(ledger_id, xact, GetLatestSnapshot(), &nr);
			if (nr != 1)
			{
				ereport(LOG,
						(errmsg("ledger sealer: transaction " INT64_FORMAT " of ledger " INT64_FORMAT " is queued but has %llu records; dropped from the queue",
								xact, ledger_id, (unsigned long long) nr)));
				*stale = lappend(*stale, seal_tid_copy(&slot->tts_tid));
				continue;
			}
			items[k].rec = r[0];
		}
		k++;
	}
	if (scan != NULL)
		table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	record_fetcher_end(fetcher);
	UnregisterSnapshot(snapshot);

	/*
	 * the lock is kept until the transaction ends: its tids are deleted later
	 * in it, which a VACUUM FULL of the list in between would have pointed at
	 * other entries (found by a review on 2026-12-05)
	 */
	table_close(qrel, NoLock);

	/*
	 * sort pointers: an item is 64 bytes.  Huge allocations: 2^24 waiting
	 * transactions of one ledger (a backlog of days, or a ledger held by an
	 * open ALTER TABLE over a weekend) made 1 GB of items, past palloc's
	 * limit, and every pass and seal() of that ledger failed with XX000
	 * "invalid memory alloc request size" for good (a review on 2026-12-06).
	 */
	order = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(SealItem *) * Max(k, 1));
	for (i = 0; i < k; i++)
		order[i] = &items[i];
	qsort_interruptible(order, k, sizeof(SealItem *), seal_item_cmp, NULL);
	/* duplicates: the rebuilt list may repeat a writer's entry */
	out = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(SealItem) * Max(k, 1));
	for (i = 0, total = k, k = 0; i < total; i++)
	{
		if (k > 0 && order[i]->rec.xact_id == out[k - 1].rec.xact_id)
			*stale = lappend(*stale, seal_tid_copy(&order[i]->queue_tid));
		else
			out[k++] = *order[i];
	}
	pfree(order);
	pfree(items);
	*n = k;
	return out;
}

/*
 * Delete work-list entries by their ctids.  An entry already deleted by a
 * committed transaction (ledger.drop_ledger) is gone anyway.
 */
static void
seal_dequeue(ItemPointer *tids, uint64 n)
{
	Relation	qrel;
	CommandId	cid;
	uint64		i;

	if (n == 0)
		return;
	qrel = table_open(ledger_catalog_relid("seal_queue"), RowExclusiveLock);
	cid = GetCurrentCommandId(true);
	for (i = 0; i < n; i++)
	{
		TM_FailureData tmfd;
		TM_Result	result;

		CHECK_FOR_INTERRUPTS();
		result = table_tuple_delete(qrel, tids[i], cid, InvalidSnapshot, InvalidSnapshot,
									true, &tmfd, false);
		if (result != TM_Ok && result != TM_Deleted && result != TM_SelfModified)
			elog(ERROR, "could not delete from ledger.seal_queue: result %d", (int) result);
	}
	table_close(qrel, NoLock);
	CommandCounterIncrement();
}

/*
 * Write the next block over items[0..n): append their leaves to the history
 * tree, then insert the block, then take them off the work list.
 */
static void
seal_write_block(SealHead *head, TileStore *ts, SealItem *items, uint64 n)
{
	LedgerBlock b;
	MerkleStream ms;
	uint8	   *leaves = palloc(LEDGER_HASH_LEN * Max(n, 1));
	Datum	   *xids = palloc(sizeof(Datum) * Max(n, 1));
	ItemPointer *qtids = palloc(sizeof(ItemPointer) * Max(n, 1));
	uint64		i;
	Datum		bargs[13];
	Oid			btypes[13] = {INT8OID, INT8OID, BYTEAOID, BYTEAOID, INT4OID, INT8OID,
	TIMESTAMPTZOID, INT4OID, BYTEAOID, INT8ARRAYOID, INT8OID, BYTEAOID, INT8OID};

	memset(&b, 0, sizeof(b));
	b.block_no = head->block + 1;
	memcpy(b.prev_hash, head->hash, LEDGER_HASH_LEN);
	b.tx_count = (int32) n;
	b.sealed_at = GetCurrentTimestamp();
	b.format_version = BLOCK_FORMAT_2;
	b.first_position = (int64) head->tree_size;
	merkle_stream_init(&ms);
	for (i = 0; i < n; i++)
	{
		record_leaf(&items[i].rec, head->format, leaves + i * LEDGER_HASH_LEN);
		merkle_stream_add(&ms, leaves + i * LEDGER_HASH_LEN);
		b.row_count += items[i].rec.row_count;
		xids[i] = Int64GetDatum(items[i].rec.xact_id);
		qtids[i] = &items[i].queue_tid;
	}
	merkle_stream_root(&ms, b.root);
	/* (a genesis block, n = 0, lists no transaction a rebuild could list) */
	if (n > 0)
		pending_note_sealed();
	history_append(&ts->store, head->tree_size, leaves, n);
	history_root(&ts->store, head->tree_size + n, b.tree_root);
	b.has_tree_root = true;
	block_compute_hash(&head->uuid, &b, b.block_hash);
	tiles_flush(ts);

	bargs[0] = Int64GetDatum(head->ledger_id);
	bargs[1] = Int64GetDatum(b.block_no);
	bargs[2] = PointerGetDatum(ledger_hash_to_bytea(b.prev_hash));
	bargs[3] = PointerGetDatum(ledger_hash_to_bytea(b.root));
	bargs[4] = Int32GetDatum(b.tx_count);
	bargs[5] = Int64GetDatum(b.row_count);
	bargs[6] = TimestampTzGetDatum(b.sealed_at);
	bargs[7] = Int32GetDatum(b.format_version);
	bargs[8] = PointerGetDatum(ledger_hash_to_bytea(b.block_hash));
	bargs[9] = PointerGetDatum(construct_array(xids, (int) n, INT8OID, 8, FLOAT8PASSBYVAL,
											   TYPALIGN_DOUBLE));
	bargs[10] = Int64GetDatum(b.first_position);
	bargs[11] = PointerGetDatum(ledger_hash_to_bytea(b.tree_root));
	bargs[12] = Int64GetDatum(head->total_rows + b.row_count);
	sealer_block_insert = true;
	PG_TRY();
	{
		if (SPI_execute_with_args("INSERT INTO ledger.blocks (ledger_id, block_no, prev_hash, root, tx_count, "
								  "row_count, sealed_at, format_version, block_hash, xact_ids, "
								  "first_position, tree_root, total_rows) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
								  13, btypes, bargs, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert block");
	}
	PG_FINALLY();
	{
		sealer_block_insert = false;
	}
	PG_END_TRY();
	seal_dequeue(qtids, n);

	head->block = b.block_no;
	memcpy(head->hash, b.block_hash, LEDGER_HASH_LEN);
	head->tree_size += n;
	head->total_rows += b.row_count;
}

/*
 * Seal the committed, unsealed transactions of one ledger into blocks of at
 * most ledger.block_max_transactions.  With force, an empty block is written
 * when there is nothing to seal (the genesis block).  Returns the number of
 * blocks written.
 */
static int	seal_ledger_listed(int64 ledger_id, bool force, const QueueEntry *ents, uint64 nents,
							   bool skip_locked, SealSkip *skip);

int
sealer_seal_ledger(int64 ledger_id, bool force)
{
	return seal_ledger_listed(ledger_id, force, NULL, 0, false, NULL);
}

/*
 * The error context of a seal: a sealer's error in the server log named no
 * ledger (found by an operations review on 2026-12-05).  The ledger's id and
 * the block being written, from the head; no catalog look-up here, in an
 * error's path.
 */
static void
seal_error_context(void *arg)
{
	SealHead   *head = (SealHead *) arg;

	errcontext("sealing block " INT64_FORMAT " of ledger id " INT64_FORMAT
			   " (ledger.sealing_status names it)", head->block + 1, head->ledger_id);
}

/*
 * sealer_seal_ledger, with the ledger's entries of the work list already
 * read (ents, nents; NULL: the list is scanned); with skip_locked (a
 * background pass), a ledger whose row another transaction holds is left
 * for the next pass.  With skip given, a ledger that has no row in
 * ledger.ledgers, or no block 0, is no error: *skip says which, and
 * nothing is done (its records and their entries on the list stay).
 */
static int
seal_ledger_listed(int64 ledger_id, bool force, const QueueEntry *ents, uint64 nents,
				   bool skip_locked, SealSkip *skip)
{
	SealHead	head;
	TileStore	ts;
	SealItem   *items;
	List	   *stale = NIL;
	uint64		n;
	uint64		done = 0;
	int			blocks = 0;
	MemoryContext cxt;
	MemoryContext oldcxt;
	ErrorContextCallback errcallback;

	/*
	 * a replica's blocks come from its origin, never from here; an entry of
	 * one on the list (a rebuild during a restore that had not loaded
	 * ledger.replicas, before ledgers.replica) goes
	 */
	if (ledger_id_is_replica(ledger_id))
	{
		Datum		arg = Int64GetDatum(ledger_id);
		Oid			argtype = INT8OID;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args("DELETE FROM ledger.seal_queue WHERE ledger_id OPERATOR(pg_catalog.=) $1",
								  1, &argtype, &arg, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from ledger.seal_queue");
		SPI_finish();
		return 0;
	}
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ledger seal",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!seal_lock_head(ledger_id, &head, skip_locked, force, skip))
	{
		SPI_finish();
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(cxt);
		/* held: tried again at the next pass, which this asks for */
		if (skip == NULL || *skip == SEAL_SKIP_NONE)
			(void) sealer_mark_pending(MyDatabaseId);
		return 0;
	}
	errcallback.callback = seal_error_context;
	errcallback.arg = &head;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	items = seal_read_queue(ledger_id, ents, nents, &n, &stale);
	if (stale != NIL)
	{
		ItemPointer *t = palloc(sizeof(ItemPointer) * list_length(stale));
		ListCell   *lc;
		int			k = 0;

		foreach(lc, stale)
			t[k++] = lfirst(lc);
		seal_dequeue(t, k);
	}
	if (n > 0 || (force && head.block < 0))
	{
		tiles_open(&ts, ledger_id);
		history_catch_up(&ts, head.format, head.tree_size);
		do
		{
			uint64		chunk = Min(n - done, (uint64) ledger_block_max_transactions);

			seal_write_block(&head, &ts, items + done, chunk);
			done += chunk;
			blocks++;
		} while (done < n);
	}
	error_context_stack = errcallback.previous;
	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return blocks;
}

/* ---------- the work list after a crash, a restore or a promotion ---------- */

/*
 * The lock under which the list is rebuilt and its marker dropped (which
 * lock, and why: sealer_rebuild_queue_if_needed), to the end of the
 * transaction.  With nowait, false if another transaction holds it (a
 * rebuild under way, a VACUUM of the list).  SPI connected.
 */
static bool
seal_lock_queue(bool nowait)
{
	if (nowait)
		return ConditionalLockRelationOid(ledger_catalog_relid("seal_queue"),
										  ShareUpdateExclusiveLock);
	if (SPI_execute("LOCK TABLE ledger.seal_queue IN SHARE UPDATE EXCLUSIVE MODE",
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock ledger.seal_queue");
	return true;
}

/*
 * Is the work list's marker there (ledger_id 0, xact_id 0)?  Beside it, the
 * rebuild leaves a row (ledger_id 0, xact_id the full transaction id) for
 * each transaction that was prepared when it ran (seal_watch_prepared).
 * When one of them has committed, its records are on no list: the marker
 * and the watch rows go, and the caller rebuilds (false).  One that rolled
 * back, or is too old for its status to be known, is forgotten (the latter
 * with a rebuild too: it may have committed).  Under the list's lock
 * (locked), the rows are deleted; without it, the caller takes the lock
 * and asks again.  SPI connected.
 */
static bool
seal_queue_marked(bool locked)
{
	bool		marked = false;
	bool		rebuild = false;
	List	   *rolled_back = NIL;
	ListCell   *lc;
	uint64		i;

	/* an id not below the next one (none is, but it must not fail): NULL */
	if (SPI_execute("SELECT q.xact_id, CASE WHEN x.id OPERATOR(pg_catalog.<) "
					"pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) "
					"THEN pg_catalog.pg_xact_status(x.id) END "
					"FROM ledger.seal_queue q, "
					"LATERAL (SELECT q.xact_id::pg_catalog.text::pg_catalog.xid8 AS id) x "
					"WHERE q.ledger_id OPERATOR(pg_catalog.=) 0",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.seal_queue");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		int64		xact = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
		char	   *status = SPI_getvalue(row, SPI_tuptable->tupdesc, 2);

		if (xact == 0)
			marked = true;
		else if (status == NULL || strcmp(status, "committed") == 0)
			rebuild = true;
		else if (strcmp(status, "aborted") == 0)
			rolled_back = lappend(rolled_back, seal_int64_copy(xact));
	}
	if (!marked || (!rebuild && rolled_back == NIL))
		return marked;
	if (!locked)
		return false;
	if (rebuild)
	{
		if (SPI_execute("DELETE FROM ledger.seal_queue WHERE ledger_id OPERATOR(pg_catalog.=) 0",
						false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not unmark ledger.seal_queue");
		ereport(LOG,
				(errmsg("ledger sealer: a transaction prepared before the sealing list of database \"%s\" was rebuilt has ended; rebuilding it again",
						get_database_name(MyDatabaseId))));
		return false;
	}
	foreach(lc, rolled_back)
	{
		Datum		arg = Int64GetDatum(*(int64 *) lfirst(lc));
		Oid			argtype = INT8OID;

		if (SPI_execute_with_args("DELETE FROM ledger.seal_queue WHERE ledger_id OPERATOR(pg_catalog.=) 0 "
								  "AND xact_id OPERATOR(pg_catalog.=) $1",
								  1, &argtype, &arg, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from ledger.seal_queue");
	}
	return true;
}

/*
 * A watch row for each transaction prepared in this database now, by its
 * full transaction id (a prepared transaction's xid is no older than the
 * oldest running one, so from the epoch of the next xid or the one before,
 * as xid8funcs.c widens a snapshot's).  SPI connected, under the list's lock.
 */
static void
seal_watch_prepared(void)
{
	FullTransactionId next = ReadNextFullTransactionId();
	List	   *fulls = NIL;
	ListCell   *lc;
	uint64		i;

	if (SPI_execute("SELECT p.transaction FROM pg_catalog.pg_prepared_xacts p "
					"WHERE p.database OPERATOR(pg_catalog.=) pg_catalog.current_database()",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_prepared_xacts");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		TransactionId xid = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[i],
																SPI_tuptable->tupdesc, 1, &isnull));
		uint32		epoch = EpochFromFullTransactionId(next);

		if (isnull || !TransactionIdIsNormal(xid))
			continue;
		if (xid > XidFromFullTransactionId(next))
			epoch--;
		fulls = lappend(fulls, seal_int64_copy((int64) U64FromFullTransactionId(FullTransactionIdFromEpochAndXid(epoch, xid))));
	}
	foreach(lc, fulls)
	{
		Datum		arg = Int64GetDatum(*(int64 *) lfirst(lc));
		Oid			argtype = INT8OID;

		if (sealer_queue_execute("INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid) "
								 "VALUES (0, $1, '(0,1)')",
								 1, &argtype, &arg) != SPI_OK_INSERT)
			elog(ERROR, "could not write to ledger.seal_queue");
	}
}

/*
 * The work list is unlogged: a crash, a restore or a promotion leaves it
 * empty, and with it its marker row (ledger_id 0).  Without the marker, put
 * every record that no block holds and the list does not hold back on the
 * list, then the marker, under a lock on the list that only its owner can
 * take (an advisory lock, which any role can take, let any role stall the
 * sealing of the database): one sealer does it, writers go on (SHARE UPDATE
 * EXCLUSIVE does not conflict with their ROW EXCLUSIVE).  SPI connected.
 * (A new database has no marker either: its first records are on the list
 * already, so nothing is put back and nothing logged.  The install script
 * cannot write the marker: pg_restore runs it before restoring the records.)
 *
 * Returns false, and rebuilds nothing, while some ledger has records but no
 * genesis block or no row in ledger.ledgers because ledger.blocks or
 * ledger.ledgers holds no row at all: a restore that loaded
 * ledger.transactions and not yet ledger.blocks or ledger.ledgers
 * (pg_restore -j loads them in any order).  Every ledger has its row and
 * block 0 from the transaction that made it (create_ledger, or a replica's
 * first copy); rebuilt then, the list would hold records the blocks still
 * to come hold, sealed a second time, or a replica's records, which the
 * ledger's row would have said are never sealed here (ledgers.replica).
 * The caller seals nothing in this pass.  But a ledger without its row or
 * its block 0 is also left by a writer that committed while drop_ledger()
 * deleted the history (before 2026-12-05), by a superuser's DELETE, or by
 * a partial restore, and stays so: the rebuild refused every ledger of the
 * database for good (found by reviews on 2026-12-05 and 2026-12-06).  A
 * restore loads each table in one transaction, into a new database
 * (docs/replication.md), so once ledger.ledgers and ledger.blocks hold
 * rows both are loaded, and a ledger without its row or its block 0 is not
 * one still to come: its records are listed like the others, and each pass
 * skips them with a WARNING (sealer_warn_skipped).  With nowait (a rebuild
 * that a monitoring query asked for), false, and nothing done, when
 * another transaction holds the list's lock.
 */
static bool
sealer_rebuild_queue_if_needed(bool nowait)
{
	int			nestlevel;
	int			ret;

	if (seal_queue_marked(false))
		return true;
	if (!seal_lock_queue(nowait))
		return false;
	if (seal_queue_marked(true))
		return true;

	/*
	 * a half-loaded catalog: records while ledger.ledgers or ledger.blocks is
	 * still empty (one-time filters, then the first record); under the lock,
	 * which a load of records takes too (ledger_records_loaded), so that it
	 * sees them committed
	 */
	if (SPI_execute("SELECT t.ledger_id FROM ledger.transactions t "
					"WHERE NOT EXISTS (SELECT 1 FROM ledger.ledgers) "
					"OR NOT EXISTS (SELECT 1 FROM ledger.blocks) LIMIT 1",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.transactions");
	if (SPI_processed > 0)
	{
		bool		isnull;

		ereport(LOG,
				(errmsg("ledger sealer: nothing sealed in database \"%s\": ledger " INT64_FORMAT " has transaction records but no genesis block or no row in ledger.ledgers",
						get_database_name(MyDatabaseId),
						DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))),
				 errdetail("ledger.blocks or ledger.ledgers holds no row: a restore that has not loaded them yet leaves the catalog so; otherwise every row of one of them was deleted.")));
		return false;
	}

	/*
	 * The transactions prepared in this database now, before the records are
	 * read: one prepared before the list was emptied had its entry there, and
	 * its record, invisible to the anti-join below until COMMIT PREPARED,
	 * would be on no list.  Each is watched (seal_queue_marked). One prepared
	 * after this has its entry (pending.c, at PRE_PREPARE).
	 */
	seal_watch_prepared();

	/*
	 * an anti-join against every block's list: one pass over each, by hashing
	 * whatever the statistics say.  With the statistics autovacuum leaves on
	 * a large catalog the planner took a nested loop that read every block's
	 * list once per record (hours at 1.9 million records, with nothing sealed
	 * meanwhile; test/t/030_crash.pl), as it did for
	 * ledger.transaction_blocks (10_ledger.sql).
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * the unnest still joins by a nested loop, whose disabled cost passes
	 * every JIT threshold: JIT took 372 of this query's 375 ms at 1,289
	 * records (an operations review on 2026-12-05)
	 */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = sealer_queue_execute("INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid) "
							   "SELECT t.ledger_id, t.xact_id, t.ctid FROM ledger.transactions t "
							   "WHERE NOT EXISTS (SELECT 1 FROM (SELECT b.ledger_id, x.xact_id "
							   "FROM ledger.blocks b, pg_catalog.unnest(b.xact_ids) AS x(xact_id)) s "
							   "WHERE s.ledger_id OPERATOR(pg_catalog.=) t.ledger_id "
							   "AND s.xact_id OPERATOR(pg_catalog.=) t.xact_id) "
	/* written since the list was emptied: on it already */
							   "AND NOT EXISTS (SELECT 1 FROM ledger.seal_queue q "
							   "WHERE q.ledger_id OPERATOR(pg_catalog.=) t.ledger_id "
							   "AND q.xact_id OPERATOR(pg_catalog.=) t.xact_id) "
	/* a replica's blocks come from its origin (either says it) */
							   "AND NOT EXISTS (SELECT 1 FROM ledger.replicas r "
							   "WHERE r.ledger_id OPERATOR(pg_catalog.=) t.ledger_id) "
							   "AND NOT EXISTS (SELECT 1 FROM ledger.ledgers g "
							   "WHERE g.ledger_id OPERATOR(pg_catalog.=) t.ledger_id AND g.replica)",
							   0, NULL, NULL);
	AtEOXact_GUC(true, nestlevel);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not rebuild ledger.seal_queue");
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("ledger sealer: put %llu unsealed transactions back on the sealing list",
						(unsigned long long) SPI_processed)));
	if (sealer_queue_execute("INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid) "
							 "VALUES (0, 0, '(0,0)')", 0, NULL, NULL) != SPI_OK_INSERT)
		elog(ERROR, "could not mark ledger.seal_queue");
	return true;
}

/*
 * Run a DELETE from the work list under a snapshot taken now, after the
 * list's lock (SPI connected): the number of rows deleted.  A REPEATABLE
 * READ or SERIALIZABLE transaction's own snapshot, taken before that lock,
 * does not see the rows of a rebuild that committed in between (its marker,
 * its entries), which then stayed: the loaded records were never sealed,
 * or the transactions of loaded blocks were sealed a second time.
 */
static uint64
seal_queue_delete_latest(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	int			ret;
	uint64		n;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							   false, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "could not delete from ledger.seal_queue");
	n = SPI_processed;
	SPI_freeplan(plan);
	return n;
}

/*
 * Drop the work list's marker, so that the next sealing pass rebuilds the
 * list; under the lock the rebuild takes, so that a rebuild running now
 * has committed its marker (deleted here) or starts after this transaction
 * and sees its records.  As the catalog's owner.
 */
static void
sealer_forget_marker(void *arg)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) seal_lock_queue(false);
	(void) seal_queue_delete_latest("DELETE FROM ledger.seal_queue WHERE ledger_id OPERATOR(pg_catalog.=) 0");
	SPI_finish();
}

/*
 * ledger.records_loaded() RETURNS trigger
 *
 * AFTER INSERT FOR EACH STATEMENT on ledger.transactions, ENABLE ALWAYS.
 * Writers add their records below SQL (pending.c), so this fires only when
 * records are loaded by a statement: pg_restore or a superuser (a
 * replica's first copy, like its apply worker, is skipped below).  Records
 * restored unsealed are on no work list; if a sealing pass ran in the
 * database since the restore began (ledger.seal(), digest(), the
 * launcher's sweep), the list's marker is there and no pass would look for
 * them again.  So the marker goes: the next pass puts them
 * on the list and seals them.  The sealer is not told: no pass should run
 * while a restore still loads the catalog (docs/replication.md, "Backup
 * and restore"); the first commit to a ledger, seal() or digest() after the
 * restore starts one.  Nothing while a subscription is applied or copied
 * (replica_applying()): a replica is never sealed here.
 */
Datum
ledger_records_loaded(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.records_loaded\" was not called by the trigger manager")));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		RelationGetRelid(td->tg_relation) != ledger_catalog_relid("transactions"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.records_loaded\" must be fired AFTER INSERT ... FOR EACH STATEMENT on ledger.transactions")));

	/*
	 * Not records that the same statement puts on the list, which need no
	 * rebuild: create_ledger()'s genesis record, the only statement of the
	 * extension's own (queue_writing) that writes ledger.transactions, is
	 * listed and sealed in its transaction.  Taking the list's lock for it
	 * held up, until that transaction ended, the first pass in a database
	 * whose list had no marker yet (a new one, or after a crash), and a
	 * digest() later in the transaction waited ledger.digest_wait for that
	 * pass (found by a review on 2026-12-06).
	 */
	if (queue_writing)
		return PointerGetDatum(NULL);
	if (replica_applying() == NULL)
	{
		/*
		 * once per (sub)transaction: records inserted one statement each (a
		 * superuser's script) take the lock and the delete once; a replica's
		 * first copy is recognised by replica_applying()
		 */
		static LocalTransactionId done_lxid = InvalidLocalTransactionId;
		static SubTransactionId done_subxid = InvalidSubTransactionId;

		if (done_lxid != MyProc->lxid || done_subxid != GetCurrentSubTransactionId())
		{
			ledger_as_owner(sealer_forget_marker, NULL);
			done_lxid = MyProc->lxid;
			done_subxid = GetCurrentSubTransactionId();
		}
	}
	return PointerGetDatum(NULL);
}

/*
 * ledger.seal_queue_guard() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE FOR EACH STATEMENT on ledger.seal_queue, ENABLE
 * ALWAYS.  The sealer seals what the list names and trusts it to name only
 * records no block holds: writers list their own record in the transaction
 * that writes it, and the rebuild lists the records no block holds.  An
 * entry a superuser listed by hand for a record a block already held was
 * sealed again into a second block, and the ledger no longer verified
 * ("transaction ... is listed by blocks 101 and 1001"): bench/proofs.sh did
 * so after the rebuild had listed and sealed the records it loaded (found on
 * 2026-12-06).  Checking each entry against every block of its ledger
 * would cost each pass a read of the ledger's whole history, so the list
 * takes no entry from anyone else.  DELETE and TRUNCATE stay allowed: an
 * entry taken off is listed again by the rebuild that the missing marker
 * starts, or the record stays unsealed until then.
 */
Datum
ledger_seal_queue_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.seal_queue_guard\" was not called by the trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)) ||
		RelationGetRelid(td->tg_relation) != ledger_catalog_relid("seal_queue"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.seal_queue_guard\" must be fired BEFORE INSERT OR UPDATE ... FOR EACH STATEMENT on ledger.seal_queue")));
	if (queue_writing)
		return PointerGetDatum(NULL);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("ledger.seal_queue is written by the ledger extension only"),
			 errdetail("The sealer seals every transaction its work list names; an entry for a transaction a block already holds would be sealed a second time, and the ledger would no longer verify."),
			 errhint("Records loaded into ledger.transactions by a statement are put on the list by the next sealing pass; SELECT ledger.seal() seals them now.")));
	PG_RETURN_NULL();			/* not reached */
}

/*
 * Take off the work list every entry of a transaction that a block lists
 * (blocks_loaded); as the catalog's owner, under the lock the rebuild
 * takes: a rebuild that listed the records before the blocks were loaded
 * has committed its entries (deleted here), and one after this waits for
 * this transaction and finds the records in the blocks.
 */
static void
sealer_forget_blocked(void *arg)
{
	int			nestlevel;
	uint64		n;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) seal_lock_queue(false);
	/* one probe of the block spans' index per entry (record.c) */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	n = seal_queue_delete_latest("DELETE FROM ledger.seal_queue q "
								 "WHERE q.ledger_id OPERATOR(pg_catalog.<>) 0 AND EXISTS (SELECT 1 FROM ledger.blocks b "
								 "WHERE ledger._block_span(b.ledger_id, b.xact_ids) "
								 "OPERATOR(pg_catalog.@>) ledger._xact_span(q.ledger_id, q.xact_id) "
								 "AND b.ledger_id OPERATOR(pg_catalog.=) q.ledger_id "
								 "AND q.xact_id OPERATOR(pg_catalog.=) ANY (b.xact_ids))");
	AtEOXact_GUC(true, nestlevel);
	if (n > 0)
		ereport(LOG,
				(errmsg("ledger sealer: took %llu transactions that loaded blocks list off the sealing list of database \"%s\"",
						(unsigned long long) n, get_database_name(MyDatabaseId))));
	SPI_finish();
}

/*
 * Before a row of ledger.blocks that a statement loads (catalog_guard, not
 * for the sealer's own block nor a subscription's): the work list's lock,
 * which blocks_loaded takes at the end of the statement anyway, taken
 * before the first row.  Taken only after the rows, it deadlocked with a
 * sealing pass that held it (its rebuild) and went on to seal a ledger the
 * load put blocks back into: the pass's block waited for the load's row of
 * the same number, the load for the lock ("deadlock detected", found by a
 * review on 2026-12-06; test/t/537_blocks_lock_order.pl).  Now the load
 * waits for the pass, and then finds its block.  No SPI: the lock only.
 */
void
sealer_blocks_loading(void)
{
	if (sealer_block_insert)
		return;
	LockRelationOid(ledger_catalog_relid("seal_queue"), ShareUpdateExclusiveLock);
}

/*
 * ledger.blocks_loaded() RETURNS trigger
 *
 * AFTER INSERT FOR EACH STATEMENT on ledger.blocks, ENABLE ALWAYS.  The
 * sealer inserts its blocks itself (skipped here); any other insert is a
 * load: pg_restore, or a superuser putting blocks back from a backup.  The
 * work list may hold entries of the transactions those blocks list: a
 * rebuild that ran after ledger.transactions was loaded and before
 * ledger.blocks was (pg_restore -j, or a restore into a database whose
 * other ledgers already have blocks, which the rebuild's half-loaded check
 * does not see), or the entries a pass keeps for a ledger whose genesis
 * block is missing (seal_lock_head).  Sealed from those entries, each
 * such transaction was in two blocks and verify() failed ("listed by
 * blocks 1 and 2": found by a restore review on 2026-12-06).  So they go.
 * Nothing while a subscription is applied or copied: a replica is never
 * on the list.
 */
Datum
ledger_blocks_loaded(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.blocks_loaded\" was not called by the trigger manager")));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		RelationGetRelid(td->tg_relation) != ledger_catalog_relid("blocks"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.blocks_loaded\" must be fired AFTER INSERT ... FOR EACH STATEMENT on ledger.blocks")));
	if (sealer_block_insert)
		return PointerGetDatum(NULL);
	if (replica_applying() == NULL)
		ledger_as_owner(sealer_forget_blocked, NULL);
	return PointerGetDatum(NULL);
}

/*
 * The ledgers to seal, in the caller's memory context: the one of relid, or
 * (relid invalid) every ledger with work on the list.
 */
/* order work-list entries by ledger, then by place in the list */
static int
queue_entry_cmp(const void *a, const void *b, void *arg)
{
	const QueueEntry *x = a;
	const QueueEntry *y = b;

	if (x->ledger_id != y->ledger_id)
		return x->ledger_id < y->ledger_id ? -1 : 1;
	return ItemPointerCompare((ItemPointer) &x->tid, (ItemPointer) &y->tid);
}

static LedgerIds
sealer_ledger_ids(Oid relid)
{
	LedgerIds	out = {0, NULL, NULL, NULL};
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;

	if (OidIsValid(relid))
	{
		out.ids = palloc(sizeof(int64));
		out.ids[0] = ledger_id_for_relation(relid, false);
		out.n = 1;
		if (ledger_id_is_replica(out.ids[0]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot seal ledger \"%s\": it is a replica", get_rel_name(relid)),
					 errdetail("A replica's blocks are sealed at its origin and verified here as they arrive."),
					 errhint("Seal at the origin; ledger.digest() here describes the newest block replicated.")));
		return out;
	}
	{
		/* the scan's memory goes with the transaction, the result stays */
		MemoryContext oldcxt = MemoryContextSwitchTo(CurTransactionContext);
		Relation	qrel = table_open(ledger_catalog_relid("seal_queue"), AccessShareLock);
		Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
		TableScanDesc scan = table_beginscan(qrel, snapshot, 0, NULL);
		TupleTableSlot *slot = table_slot_create(qrel, NULL);
		uint64		cap = 64;
		uint64		k = 0;

		out.ents = MemoryContextAllocHuge(caller, sizeof(QueueEntry) * cap);
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			int64		lid = DatumGetInt64(slot_getattr(slot, QUEUE_LEDGER_ID, &isnull));

			CHECK_FOR_INTERRUPTS();
			if (isnull || lid == 0)
				continue;		/* the marker rows */
			if (k == cap)
			{
				cap *= 2;
				out.ents = repalloc_huge(out.ents, sizeof(QueueEntry) * cap);
			}
			out.ents[k].ledger_id = lid;
			out.ents[k].tid = slot->tts_tid;
			k++;
		}
		table_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
		UnregisterSnapshot(snapshot);
		/* (kept until the transaction ends, as seal_read_queue keeps it) */
		table_close(qrel, NoLock);
		MemoryContextSwitchTo(oldcxt);

		/* by ledger, each ledger's in the list's order */
		qsort_interruptible(out.ents, k, sizeof(QueueEntry), queue_entry_cmp, NULL);
		/* (huge: one per entry, see seal_read_queue) */
		out.ids = MemoryContextAllocHuge(caller, sizeof(int64) * Max(k, 1));
		out.first = MemoryContextAllocHuge(caller, sizeof(uint64) * (k + 1));
		for (i = 0; i < k; i++)
			if (i == 0 || out.ents[i].ledger_id != out.ents[i - 1].ledger_id)
			{
				out.ids[out.n] = out.ents[i].ledger_id;
				out.first[out.n] = i;
				out.n++;
			}
		out.first[out.n] = k;
	}
	return out;
}

/*
 * Seal ids.ids[i], with its entries if the list was read for all.  In a
 * pass over every ledger, a listed ledger that has no row in ledger.ledgers
 * or no block 0 sets *skip and is skipped (sealer_warn_skipped); one named
 * by the caller (ledger.seal(t)) is an error.
 */
static int
seal_ledger_of(const LedgerIds *ids, int i, bool skip_locked, SealSkip *skip)
{
	*skip = SEAL_SKIP_NONE;
	if (ids->ents == NULL)
		return seal_ledger_listed(ids->ids[i], false, NULL, 0, skip_locked, NULL);
	return seal_ledger_listed(ids->ids[i], false, ids->ents + ids->first[i],
							  ids->first[i + 1] - ids->first[i], skip_locked, skip);
}

/*
 * A ledger's table, schema-qualified, as a message names it; NULL if its
 * row or its table is gone.
 */
static char *
sealer_ledger_relname(int64 ledger_id)
{
	Oid			relid = ledger_relation_of_id(ledger_id);
	char	   *relname;
	char	   *nspname;

	if (!OidIsValid(relid))
		return NULL;
	relname = get_rel_name(relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (relname == NULL || nspname == NULL)
		return NULL;
	return quote_qualified_identifier(nspname, relname);
}

/*
 * The records of a ledger that cannot be sealed until a superuser repairs
 * the catalog (skip[i] for ids->ids[i]; ids read for a pass over every
 * ledger):
 *
 * - a ledger that has no row in ledger.ledgers (SEAL_SKIP_NO_ROW): a writer
 *   that committed while drop_ledger() deleted the history, before
 *   drop_ledger() took the table's lock first (2026-12-05), left its record
 *   and its entry on the work list, for a ledger that no longer exists; a
 *   superuser can delete a ledger's row, or insert a record by hand.  No
 *   row, no uuid to chain a block by.
 * - a ledger that has its row and no block 0 (SEAL_SKIP_NO_GENESIS): a
 *   superuser deleted it, or a partial restore left it out.  Its history
 *   cannot be chained without the genesis, and a new one is never made
 *   (seal_lock_head); verify() reports the ledger as tampered.
 *
 * Their records must not be deleted by the sealer (the catalog is
 * evidence), nor stop the sealing of every other ledger, as they did:
 * seal() of every ledger failed ("ledger N does not exist"), and after a
 * crash the work list's rebuild refused the whole database.  So a pass
 * skips them, their entries stay listed (sealed once the row or block 0 is
 * back), and it says so in one WARNING for each kind (with the ledgers and
 * their counts), and for the background sealer in each ledger's last error
 * in sealing_status.
 */
#define SEALER_SKIPPED_NAMED 10

static void
sealer_warn_skipped(const LedgerIds *ids, const SealSkip *skip, bool background)
{
	static TimestampTz told[SEAL_SKIP_KINDS];
	static int	told_n[SEAL_SKIP_KINDS];
	static uint64 told_sum[SEAL_SKIP_KINDS];
	int			kind;

	for (kind = SEAL_SKIP_NONE + 1; kind < SEAL_SKIP_KINDS; kind++)
	{
		StringInfoData detail;
		StringInfoData list;
		int			nledgers = 0;
		uint64		sum = 0;
		int			i;

		for (i = 0; i < ids->n; i++)
		{
			uint64		n;

			if (skip[i] != kind)
				continue;
			n = ids->first[i + 1] - ids->first[i];
			if (background)
			{
				char	   *message;

				if (kind == SEAL_SKIP_NO_ROW)
					message = psprintf("ledger " INT64_FORMAT " does not exist (no row in ledger.ledgers): its unsealed transaction records (%llu) are skipped",
									   ids->ids[i], (unsigned long long) n);
				else
					message = psprintf("ledger " INT64_FORMAT " has no genesis block (block 0 is missing from ledger.blocks): its unsealed transaction records (%llu) are skipped; run ledger.verify() on it",
									   ids->ids[i], (unsigned long long) n);
				sealer_error_set(ids->ids[i], message);
				pfree(message);
			}
			sum += (uint64) ids->ids[i];
			nledgers++;
		}
		if (nledgers == 0)
			continue;

		/*
		 * seal() says it at each call; the background sealer, which passes
		 * every ledger.seal_interval while there is work, at its first pass,
		 * when the ledgers it skips change, and otherwise at most once a
		 * minute (sealing_status shows them meanwhile)
		 */
		if (background)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (told[kind] != 0 && nledgers == told_n[kind] && sum == told_sum[kind] &&
				!worker_elapsed(&told[kind], now, SEALER_SWEEP_MS))
				continue;
			told[kind] = now;
			told_n[kind] = nledgers;
			told_sum[kind] = sum;
		}

		initStringInfo(&detail);
		initStringInfo(&list);
		for (i = 0, nledgers = 0; i < ids->n; i++)
		{
			uint64		n = ids->first[i + 1] - ids->first[i];

			if (skip[i] != kind)
				continue;
			if (nledgers < SEALER_SKIPPED_NAMED)
			{
				if (kind == SEAL_SKIP_NO_ROW)
					appendStringInfo(&detail, "%s" INT64_FORMAT " (%llu %s)",
									 nledgers > 0 ? ", " : "", ids->ids[i], (unsigned long long) n,
									 n == 1 ? "record" : "records");
				else
				{
					char	   *name = sealer_ledger_relname(ids->ids[i]);

					appendStringInfo(&detail, "%s%s%sledger id " INT64_FORMAT ", %llu %s%s",
									 nledgers > 0 ? ", " : "", name ? name : "",
									 name ? " (" : "", ids->ids[i], (unsigned long long) n,
									 n == 1 ? "record" : "records", name ? ")" : "");
				}
				appendStringInfo(&list, "%s" INT64_FORMAT,
								 nledgers > 0 ? ", " : "", ids->ids[i]);
			}
			nledgers++;
		}
		if (nledgers > SEALER_SKIPPED_NAMED)
		{
			appendStringInfo(&detail, " and %d more", nledgers - SEALER_SKIPPED_NAMED);
			appendStringInfoString(&list, ", ...");
		}
		if (kind == SEAL_SKIP_NO_ROW)
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg_plural("skipped the unsealed transaction records of %d ledger that does not exist",
								   "skipped the unsealed transaction records of %d ledgers that do not exist",
								   nledgers, nledgers),
					 errdetail("Ledger ids with no row in ledger.ledgers, and their records waiting on the sealing list: %s. The records stay in ledger.transactions and on the list, unsealed; the other ledgers are sealed.",
							   detail.data),
					 errhint("Inspect them as a superuser with SELECT * FROM ledger.transactions WHERE ledger_id IN (%s). A ledger whose row was deleted is sealed again once its row is put back; the records of a dropped ledger can be kept elsewhere, then deleted from ledger.transactions and ledger.seal_queue.",
							 list.data)));
		else
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg_plural("skipped the unsealed transaction records of %d ledger that has no genesis block",
								   "skipped the unsealed transaction records of %d ledgers that have no genesis block",
								   nledgers, nledgers),
					 errdetail("Ledgers whose block 0 is missing from ledger.blocks, and their records waiting on the sealing list: %s. Their history cannot be chained without its genesis block, and no new one is made: the records stay in ledger.transactions and on the list, unsealed; the other ledgers are sealed.",
							   detail.data),
					 errhint("Run ledger.verify() on them: block 0 was deleted (SELECT * FROM ledger.blocks WHERE ledger_id IN (%s) shows what is left), or a restore left it out. A ledger is sealed again once its block 0 is put back from a backup.",
							 list.data)));
		pfree(detail.data);
		pfree(list.data);
	}
}

typedef struct SealArgs
{
	Oid			relid;
	int			blocks;
} SealArgs;

/* Rebuild the work list if it was lost, then seal (as owner). */
static void
seal_as_owner(void *varg)
{
	SealArgs   *a = varg;
	LedgerIds	ids;
	SealSkip   *skip;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!sealer_rebuild_queue_if_needed(false))
	{
		SPI_finish();
		ereport(NOTICE,
				(errmsg("nothing sealed: a ledger of this database has transaction records but no genesis block or no row in ledger.ledgers"),
				 errdetail("A restore that has not loaded ledger.blocks or ledger.ledgers yet leaves the catalog so."),
				 errhint("Seal when the restore is done.")));
		return;
	}
	SPI_finish();
	ids = sealer_ledger_ids(a->relid);
	skip = palloc0(sizeof(SealSkip) * Max(ids.n, 1));
	for (i = 0; i < ids.n; i++)
	{
		a->blocks += seal_ledger_of(&ids, i, false, &skip[i]);

		/*
		 * sealed: a background pass's error for it is history, and the passes
		 * come back to it at their own pace, not after the delay of its
		 * failures (ledger.seal() once their cause is removed)
		 */
		if (skip[i] == SEAL_SKIP_NONE || skip[i] == SEAL_SKIP_DROPPED)
		{
			sealer_error_clear(ids.ids[i]);
			/* (the sealer's own entries, sealer_local_retry) */
			if (sealer_shared != NULL)
			{
				SpinLockAcquire(&sealer_shared->mutex);
				sealer_shared->seal_clears++;
				SpinLockRelease(&sealer_shared->mutex);
			}
		}
	}
	sealer_warn_skipped(&ids, skip, false);
}

/*
 * ledger.seal(tbl regclass DEFAULT NULL) RETURNS integer
 *
 * Seals the committed, unsealed transactions of one ledger (or of all) into
 * blocks now; returns the number of blocks written.
 */
Datum
ledger_seal(PG_FUNCTION_ARGS)
{
	SealArgs	args;

	/*
	 * a new library over a 0.1.0 catalog: the documented 55000, not 42P01 for
	 * the work list it lacks (an upgrade review on 2026-12-06)
	 */
	ledger_require_catalog();
	args.relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	/* NULL seals every ledger; an OID must name one (0 is not NULL) */
	if (!PG_ARGISNULL(0))
		ledger_relation_must_exist(args.relid);
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot seal ledgers during recovery"),
				 errdetail("This server is a standby: blocks are sealed at the primary and arrive here by WAL replay."),
				 errhint("Seal at the primary; ledger.digest() here describes the newest block replayed.")));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("ledger.seal() cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errhint("Seal in a READ COMMITTED transaction, or leave sealing to the background worker.")));
	args.blocks = 0;
	ledger_as_owner(seal_as_owner, &args);
	PG_RETURN_INT32(args.blocks);
}

/* ---------- background workers ---------- */

/*
 * Does the process of a recorded sealer pid still run?  Asked of the
 * operating system, not of the proc array: a sealer records its pid before
 * it connects (when it is not in the proc array yet), and releases it at
 * exit; a crash of any backend reinitializes shared memory.
 */
static bool
sealer_pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Start a sealer for one database; returns its handle or NULL. */
static BackgroundWorkerHandle *
sealer_start_worker(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	worker_describe(&worker, "ledger_sealer_main", "", "ledger sealer", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "ledger sealer for database %u", dboid);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/*
 * A database a sealer may serve: it accepts connections, not a template,
 * and not invalid (DROP DATABASE marks it so before its checkpoint, and an
 * interrupted DROP leaves it so; a connection is refused).
 */
static bool
database_sealable(Form_pg_database db)
{
	return db->datallowconn && !db->datistemplate && !database_is_invalid_form(db);
}

/*
 * Can a sealer connect to the database: it exists and accepts connections?
 * (A sealer started for a dropped database failed at once, and the
 * launcher, finding its work still pending, started another one every
 * ledger.seal_interval, for good.)
 */
static bool
launcher_database_open(Oid dboid)
{
	HeapTuple	tup;
	bool		open = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (HeapTupleIsValid(tup))
	{
		open = database_sealable((Form_pg_database) GETSTRUCT(tup));
		ReleaseSysCache(tup);
	}
	CommitTransactionCommand();
	return open;
}

/*
 * Free a database's slot (dboid 0): sealer_mark_pending reuses it.  A
 * commit in the database, if it comes back, makes it known again.  With
 * only_without_extension, only while its last sealer found no extension
 * (a commit there since, which clears the flag, keeps it).
 */
static void
launcher_forget_database(Oid dboid, bool only_without_extension)
{
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	if (i >= 0 && (!only_without_extension || sealer_shared->dbs[i].no_extension))
		sealer_db_reset(i, InvalidOid);
	SpinLockRelease(&sealer_shared->mutex);
}

/*
 * Mark every connectable, non-template database for the sweep: one sealer
 * at a time looks whether it has the extension and work left.
 */
static void
launcher_mark_all_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (database_sealable(db))
			(void) sealer_mark(db->oid, true);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Main of the launcher: start sealers for databases with pending work. */
void
ledger_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle *running[SEALER_MAX_DBS];
	TimestampTz last_start[SEALER_MAX_DBS];
	bool		by_sweep[SEALER_MAX_DBS];	/* started for a sweep alone */
	TimestampTz last_sweep;
	bool		overflow_told = false;
	TimestampTz slots_told = 0;
	bool		sweep_busy;
	bool		short_now;
	int			first = 0;		/* where the next look starts: round robin */
	int			k;
	int			i;

	worker_start(InvalidOid, NULL);

	/*
	 * The launcher has no query to interrupt: SIGTERM (a server shutdown, or
	 * pg_terminate_backend) ends it at the top of its loop without the FATAL
	 * "terminating background worker" that die() logged at every shutdown (a
	 * review of 2026-12-05: alerts on FATAL fired), as PostgreSQL's own
	 * logical replication launcher exits.
	 */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);

	for (i = 0; i < SEALER_MAX_DBS; i++)
	{
		running[i] = NULL;
		last_start[i] = 0;
		by_sweep[i] = false;
	}

	SpinLockAcquire(&sealer_shared->mutex);
	sealer_shared->launcher_latch = MyLatch;
	SpinLockRelease(&sealer_shared->mutex);

	/* work left unsealed before a restart is sealed now */
	launcher_mark_all_databases();
	last_sweep = GetCurrentTimestamp();

	for (;;)
	{
		SealerDb	snapshot[SEALER_MAX_DBS];
		int			ndbs;
		TimestampTz now = GetCurrentTimestamp();

		/* exit code 1: restarted (bgw_restart_time) if the server goes on */
		if (ShutdownRequestPending)
			proc_exit(1);

		/*
		 * Safety net, once a minute: a sealing pass in every database known
		 * to have the extension, for work no commit announced (COMMIT
		 * PREPARED runs in another session; a sealer may have failed).  The
		 * sweep's sealers start one at a time: all at once, a server with
		 * more such databases than free worker slots logged "out of
		 * background worker slots" every minute, idle, and took the slots of
		 * parallel queries (an operations review on 2026-12-05).
		 */
		if (worker_elapsed(&last_sweep, now, SEALER_SWEEP_MS))
		{
			SpinLockAcquire(&sealer_shared->mutex);
			for (i = 0; i < sealer_shared->ndbs; i++)
				if (!sealer_shared->dbs[i].no_extension &&
					sealer_shared->dbs[i].dboid != InvalidOid)
					sealer_shared->dbs[i].swept = true;
			SpinLockRelease(&sealer_shared->mutex);
			last_sweep = now;
		}

		worker_check();

		/*
		 * A subscription of replicas that a lost connection or a transient
		 * error disabled is enabled again by a sealing pass in its database.
		 */
		{
			Oid			due[SEALER_MAX_DBS];
			int			ndue = replica_reconnect_databases(due, SEALER_MAX_DBS);

			for (i = 0; i < ndue; i++)
				(void) sealer_mark_pending(due[i]);
		}
		/* and their state outlives a crash */
		replica_errors_persist();

		SpinLockAcquire(&sealer_shared->mutex);
		ndbs = sealer_shared->ndbs;
		memcpy(snapshot, sealer_shared->dbs, sizeof(SealerDb) * ndbs);
		SpinLockRelease(&sealer_shared->mutex);

		/*
		 * A sealer started for the sweep alone holds the sweep back for a
		 * second at most (one with nothing to do leaves after its first pass;
		 * one that found work goes on as any other).
		 */
		sweep_busy = false;
		for (i = 0; i < ndbs; i++)
		{
			pid_t		pid;

			if (running[i] != NULL &&
				GetBackgroundWorkerPid(running[i], &pid) == BGWH_STOPPED)
			{
				pfree(running[i]);
				running[i] = NULL;
			}
			if (running[i] != NULL && by_sweep[i] &&
				!worker_elapsed(&last_start[i], now, 1000))
				sweep_busy = true;
		}

		/*
		 * Databases are looked at from the one after the last started, so
		 * that when slots are short each waiting one gets the next free slot
		 * in turn (see ledger_sealer_main).
		 */
		short_now = false;
		for (k = 0; k < ndbs; k++)
		{
			i = (first + k) % ndbs;

			/*
			 * no extension there (every database is looked at when the
			 * launcher starts): its place goes to one that has
			 */
			if (running[i] == NULL && snapshot[i].no_extension &&
				snapshot[i].dboid != InvalidOid)
			{
				launcher_forget_database(snapshot[i].dboid, true);
				last_start[i] = 0;
				continue;
			}
			if (!(snapshot[i].pending || snapshot[i].swept || snapshot[i].asked) ||
				running[i] != NULL)
				continue;
			if (!snapshot[i].pending && !snapshot[i].asked && sweep_busy)
				continue;

			/*
			 * a sealer this launcher did not start (a launcher before a
			 * restart did) still serves the database: it takes the work
			 */
			if (sealer_pid_alive(snapshot[i].sealer_pid))
				continue;

			/*
			 * a failing sealer is not restarted faster than once an interval,
			 * unless a digest() waits for a pass
			 */
			if (!snapshot[i].asked &&
				!worker_elapsed(&last_start[i], now, ledger_seal_interval_ms))
				continue;

			/*
			 * nor is one whose sealers ended by an error, in a row, before a
			 * delay doubling from a second up to a minute (as a ledger whose
			 * sealing failed, SEALER_RETRY_FIRST_MS): an error outside every
			 * ledger's subtransaction (the work list's rebuild after a crash,
			 * refused by a DBA's CHECK constraint on ledger.seal_queue) ended
			 * each sealer, and the launcher started another one at each
			 * interval while commits went on: 70 ERRORs and as many process
			 * starts in 15 s (a review on 2026-12-07).  PostgreSQL's logical
			 * replication launcher likewise starts an apply worker that
			 * failed again only after wal_retrieve_retry_interval.  (A clock
			 * set back since: no wait.)
			 */
			if (snapshot[i].failures > 0 && snapshot[i].failed_at <= now &&
				!TimestampDifferenceExceeds(snapshot[i].failed_at, now,
											(int) sealer_retry_delay_ms(snapshot[i].failures)))
				continue;
			/* dropped, or closed to connections: forgotten, its slot reused */
			if (!launcher_database_open(snapshot[i].dboid))
			{
				launcher_forget_database(snapshot[i].dboid, false);
				last_start[i] = 0;
				continue;
			}
			running[i] = sealer_start_worker(snapshot[i].dboid);

			/*
			 * (a start that found no slot is no failing sealer: were it held
			 * back for an interval, a sealer handing its slot on got it
			 * straight back, the launcher having tried the waiting databases
			 * while it was still exiting; a review on 2026-12-06)
			 */
			if (running[i] != NULL)
				last_start[i] = now;
			by_sweep[i] = !snapshot[i].pending && !snapshot[i].asked;
			if (running[i] != NULL && by_sweep[i])
				sweep_busy = true;

			/*
			 * a database's work waits for a slot: tried again at each look (a
			 * failed start does not hold it back), so each look says whether
			 * any still waits
			 */
			if (running[i] == NULL && snapshot[i].pending)
				short_now = true;
			if (running[i] != NULL)
				first = (i + 1) % ndbs;

			/*
			 * No slot: tried again each interval, and said at most once a
			 * minute (as the logical replication launcher says it); nothing
			 * else would tell why nothing is sealed.  Not for a sweep: no
			 * work is known there.
			 */
			if (running[i] == NULL && snapshot[i].pending &&
				(slots_told == 0 || worker_elapsed(&slots_told, now, SEALER_SWEEP_MS)))
			{
				slots_told = now;
				ereport(WARNING,
						(errmsg("out of background worker slots"),
						 errdetail("The ledger sealer for database %u could not start; committed transactions stay unsealed until a slot is free, or until ledger.seal() is called there.",
								   snapshot[i].dboid),
						 errhint("You might need to increase \"%s\".", "max_worker_processes")));
			}
		}
		SpinLockAcquire(&sealer_shared->mutex);
		sealer_shared->slots_short = short_now;
		SpinLockRelease(&sealer_shared->mutex);
		if (!overflow_told)
		{
			SpinLockAcquire(&sealer_shared->mutex);
			overflow_told = sealer_shared->overflow;
			SpinLockRelease(&sealer_shared->mutex);
			if (overflow_told)
				ereport(LOG,
						(errmsg("ledger sealer: more than %d databases have ledgers; the background sealer serves the first %d",
								SEALER_MAX_DBS, SEALER_MAX_DBS),
						 errdetail("In the others ledger.digest() seals in a one-shot worker, and ledger.seal() seals as before.")));
		}

		worker_sleep(Max(ledger_seal_interval_ms, 10));
	}
}

/*
 * Is the extension installed here?  Locks it for the transaction first
 * (AccessShareLock on its pg_extension object): DROP EXTENSION takes
 * AccessExclusiveLock on that object before it drops the member tables, so
 * a pass that takes this lock before any table waits for a DROP begun
 * before it (and then finds no extension), and a DROP begun during the pass
 * waits for the pass to end.  Without it, the pass's SPI queries locked the
 * work list and then other catalog tables while the DROP locked them in
 * another order, and one of the two was ended by the deadlock detector
 * (DROP EXTENSION failed so about once in 100 tries right after a
 * drop_ledger(); seen in the regress test "extension" on 2026-12-06).
 */
bool
sealer_lock_extension(void)
{
	Oid			extoid = get_extension_oid("ledger", true);

	if (!OidIsValid(extoid))
		return false;
	LockDatabaseObject(ExtensionRelationId, extoid, 0, AccessShareLock);
	/* (the lock has processed the invalidations of a DROP we waited for) */
	return get_extension_oid("ledger", true) == extoid;
}

/* Seal every ledger of this database once; returns blocks written. */
static int
sealer_pass(void)
{
	LedgerIds	ids = {0, NULL, NULL, NULL};
	volatile int blocks = 0;
	SealSkip   *volatile skip = NULL;
	bool		has_ext;
	volatile bool dropped = false;
	int			i;
	SealRetry	retry;
	ErrorContextCallback retrycallback;

	/*
	 * Each transaction of a worker starts its statement's clock itself, as
	 * PostgresMain does for a client's: otherwise now() and
	 * pg_stat_activity's xact_start and query_start stayed at the moment the
	 * sealer connected (InitPostgres), and a sealer kept busy made one
	 * scheduled checkpoint, its made_at compared with the same frozen now()
	 * ever after (a review on 2026-12-06).
	 */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	worker_constraints_immediate();
	has_ext = sealer_lock_extension();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (has_ext && strcmp(ledger_catalog_version(), LEDGER_CATALOG_VERSION) != 0)
	{
		/* a new library over an old catalog: wait for ALTER EXTENSION UPDATE */
		static bool told = false;

		if (!told)
			ereport(LOG,
					(errmsg("ledger sealer: extension \"ledger\" in database \"%s\" is at version %s; sealing waits for ALTER EXTENSION ledger UPDATE",
							get_database_name(MyDatabaseId), ledger_catalog_version())));
		told = true;
		PopActiveSnapshot();
		CommitTransactionCommand();
		return 0;
	}
	if (has_ext)
	{
		MemoryContext old;
		bool		complete;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		complete = sealer_rebuild_queue_if_needed(false);
		SPI_finish();
		if (complete)
		{
			old = MemoryContextSwitchTo(TopMemoryContext);
			ids = sealer_ledger_ids(InvalidOid);
			skip = palloc0(sizeof(SealSkip) * Max(ids.n, 1));
			MemoryContextSwitchTo(old);
		}
	}
	if (!has_ext)
	{
		PopActiveSnapshot();
		CommitTransactionCommand();
		return -1;
	}

	/*
	 * The ledgers of the pass in few transactions, each ledger in a
	 * subtransaction of its own: one broken ledger must not stop the sealing
	 * of the others, and the pass commits (and waits for its WAL to be
	 * flushed) once per SEALER_LEDGERS_PER_XACT ledgers, not once per ledger
	 * (with hundreds of busy ledgers the flushes were most of a pass).  Not
	 * all in one: a transaction with more subtransaction ids than a backend's
	 * cache holds (64) makes every other backend's snapshot "suboverflowed",
	 * and their visibility checks look up pg_subtrans, for as long as it is
	 * open.  Each ledger's lock is held to the end of its transaction.
	 */
	pgstat_report_activity(STATE_RUNNING, "sealing ledgers");
	for (i = 0; i < ids.n; i++)
	{
		MemoryContext oldcxt;
		ResourceOwner oldowner;

		if (i > 0 && i % SEALER_LEDGERS_PER_XACT == 0)
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			worker_constraints_immediate();
			dropped = !sealer_lock_extension();
			PushActiveSnapshot(GetTransactionSnapshot());
			if (dropped)
				break;			/* between two transactions of the pass */
		}
		/* a ledger that failed waits for its delay (SEALER_RETRY_FIRST_MS) */
		if (sealer_retry_later(ids.ids[i], GetCurrentTimestamp(), &retry.failures,
							   &retry.first_at))
			continue;
		retry.ledger_id = ids.ids[i];
		oldcxt = CurrentMemoryContext;
		oldowner = CurrentResourceOwner;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcxt);
		PG_TRY();
		{
			retrycallback.callback = seal_retry_context;
			retrycallback.arg = &retry;
			retrycallback.previous = error_context_stack;
			error_context_stack = &retrycallback;
			blocks += seal_ledger_of(&ids, i, true, &skip[i]);
			error_context_stack = retrycallback.previous;
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
			/* (a ledger skipped keeps the error sealer_warn_skipped sets) */
			if (skip[i] == SEAL_SKIP_NONE || skip[i] == SEAL_SKIP_DROPPED)
			{
				sealer_error_clear(ids.ids[i]);
				sealer_local_retry_clear(ids.ids[i]);
			}
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(oldcxt);
			EmitErrorReport();
			edata = CopyErrorData();
			FlushErrorState();
			sealer_local_retry_failed(ids.ids[i],
									  sealer_error_keep(ids.ids[i], edata->message, true));
			FreeErrorData(edata);
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		PG_END_TRY();
	}
	if (skip != NULL)
	{
		if (!dropped)
			sealer_warn_skipped(&ids, skip, true);
		pfree(skip);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	if (ids.ids != NULL)
		pfree(ids.ids);
	if (ids.ents != NULL)
		pfree(ids.ents);
	if (ids.first != NULL)
		pfree(ids.first);
	if (dropped)
		return -1;
	/* subscriptions of replicas a lost connection or transient error disabled */
	replica_reconnect_subscriptions();
	/* checkpoints of what was sealed (ledger.checkpoint_interval) */
	checkpoint_pass();
	return blocks;
}

/*
 * The work list takes a row per transaction and loses it when the
 * transaction is sealed; the space of deleted rows is reused only once a
 * VACUUM has recorded it in the free space map, which autovacuum does at
 * most once per autovacuum_naptime (a minute) per database, and never with
 * autovacuum off.  Until then writers extend the list and every pass reads
 * all of it: under 8 clients the list grew by about 160 pages a second, and
 * with autovacuum off it grew for good (97 MB after 90 s, the sealer's CPU
 * rising with it).  So the sealer vacuums the list itself when it has grown
 * past SEALER_QUEUE_VACUUM_PAGES, at most once per SEALER_QUEUE_VACUUM_MS:
 * a VACUUM of a small unlogged table with no index, skipped when another
 * (autovacuum) holds it, never truncating (which would take a lock the
 * writers wait for).
 */
#define SEALER_QUEUE_VACUUM_PAGES 32
#define SEALER_QUEUE_VACUUM_MS 1000

static void
sealer_vacuum_queue_if_grown(void)
{
	static TimestampTz last = 0;
	TimestampTz now = GetCurrentTimestamp();
	BlockNumber nblocks = 0;
	Oid			relid;
	Relation	rel;

	if (last != 0 && !worker_elapsed(&last, now, SEALER_QUEUE_VACUUM_MS))
		return;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	relid = ledger_catalog_object("seal_queue");
	if (OidIsValid(relid) && (rel = try_relation_open(relid, AccessShareLock)) != NULL)
	{
		nblocks = RelationGetNumberOfBlocks(rel);
		relation_close(rel, AccessShareLock);
	}
	if (nblocks >= SEALER_QUEUE_VACUUM_PAGES)
	{
		/*
		 * vacuum() commits the transaction it is called in and runs its own:
		 * the statement, which it keeps using (its relation list), and what
		 * it keeps across its transactions (under PortalContext) live in a
		 * context of their own, as a query's parse tree does in a backend.
		 */
		MemoryContext portal = AllocSetContextCreate(TopMemoryContext, "ledger sealer vacuum",
													 ALLOCSET_DEFAULT_SIZES);
		MemoryContext saved = PortalContext;
		VacuumStmt *stmt;

		MemoryContextSwitchTo(portal);
		stmt = makeNode(VacuumStmt);

		/*
		 * no RangeVar: a list locked by autovacuum is skipped without a
		 * WARNING
		 */
		stmt->rels = list_make1(makeVacuumRelation(NULL, relid, NIL));
		stmt->options = list_make2(makeDefElem("skip_locked", (Node *) makeString("true"), -1),
								   makeDefElem("truncate", (Node *) makeString("false"), -1));
		stmt->is_vacuumcmd = true;
		pgstat_report_activity(STATE_RUNNING, "vacuuming ledger.seal_queue");
		PortalContext = portal;
		ExecVacuum(make_parsestate(NULL), stmt, true);
		PortalContext = saved;
		/* the transaction vacuum() started last, committed below */
		MemoryContextSwitchTo(TopTransactionContext);
		MemoryContextDelete(portal);
		pgstat_report_activity(STATE_IDLE, NULL);
		last = now;
	}
	CommitTransactionCommand();
}

/*
 * Did this sealer end by an ERROR (ledger_sealer_main)?  Not its exit code:
 * a SIGTERM (pg_terminate_backend, a shutdown) ends it with code 1 too, by
 * a FATAL from ProcessInterrupts, which clears ProcDiePending before it
 * reports; until 2026-12-07 each such exit counted as a failure, put the
 * database's next sealer off by the doubling delay and logged "ended by an
 * error" (a last read; test/t/561_sealer_exit.pl).
 */
static bool sealer_ended_by_error = false;

/* On a sealer's exit: its database has no running sealer any more. */
static void
sealer_release(int code, Datum arg)
{
	int			i;

	TimestampTz now = GetCurrentTimestamp();
	int			failures = 0;

	/* (SIGTERM, a shutdown or pg_terminate_backend, is no failure) */
	bool		failed = code != 0 && sealer_ended_by_error;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(DatumGetObjectId(arg));
	if (i >= 0 && sealer_shared->dbs[i].sealer_pid == MyProcPid)
	{
		sealer_shared->dbs[i].sealer_pid = 0;

		/*
		 * ended by an error: the next one waits (ledger_launcher_main), and
		 * has the work this one took and did not do (without it, the next
		 * commit or the minute's sweep)
		 */
		if (failed)
		{
			failures = ++sealer_shared->dbs[i].failures;
			sealer_shared->dbs[i].failed_at = now;
		}
		else
			sealer_shared->dbs[i].failures = 0;

		/*
		 * (so does one stopped by SIGTERM, pg_terminate_backend: until
		 * 2026-12-07 the work it had taken waited for the next commit or the
		 * minute's sweep; test/t/561_sealer_exit.pl)
		 */
		if (code != 0)
			sealer_shared->dbs[i].pending = true;
	}
	SpinLockRelease(&sealer_shared->mutex);
	if (failures > 0)
		ereport(LOG,
				(errmsg_plural("ledger sealer for database %u ended by an error, %d time in a row; the next one starts in %ld s",
							   "ledger sealer for database %u ended by an error, %d times in a row; the next one starts in %ld s",
							   failures, DatumGetObjectId(arg), failures,
							   sealer_retry_delay_ms(failures) / 1000),
				 errdetail("A delay doubling from %d s up to %d s while its sealers keep failing.",
						   SEALER_RETRY_FIRST_MS / 1000, SEALER_RETRY_MAX_MS / 1000)));
}


/*
 * Become the database's one running sealer; false if another is running.
 * The launcher knows the sealers it started, but a launcher restarted (a
 * pg_terminate_backend, an error) does not, and started a second one for a
 * busy database, a third after the next restart (found by an operations
 * review on 2026-12-05: each took a worker slot).  The pid is kept in
 * shared memory and released at exit; one recorded for a process that is
 * gone (no such backend) is taken over.
 */
static bool
sealer_claim(Oid dboid)
{
	int			i;
	int			pid;

	SpinLockAcquire(&sealer_shared->mutex);
	i = sealer_db_slot(dboid);
	pid = i >= 0 ? sealer_shared->dbs[i].sealer_pid : 0;
	SpinLockRelease(&sealer_shared->mutex);
	if (i < 0)
		return true;			/* not tracked (more databases than places) */
	if (pid != MyProcPid && sealer_pid_alive(pid))
		return false;
	SpinLockAcquire(&sealer_shared->mutex);
	if (sealer_shared->dbs[i].dboid == dboid && sealer_shared->dbs[i].sealer_pid == pid)
		sealer_shared->dbs[i].sealer_pid = MyProcPid;
	else
		pid = -1;				/* another took it meanwhile */
	SpinLockRelease(&sealer_shared->mutex);
	return pid != -1;
}

/* Does a database's work wait for a worker slot? */
static bool
sealer_slots_short(void)
{
	bool		short_now;

	SpinLockAcquire(&sealer_shared->mutex);
	short_now = sealer_shared->slots_short;
	SpinLockRelease(&sealer_shared->mutex);
	return short_now;
}

/* The passes of a per-database sealer, until it leaves. */
static void
sealer_loop(Oid dboid)
{
	TimestampTz started = GetCurrentTimestamp();
	TimestampTz idle_since = started;
	bool		first = true;

	for (;;)
	{
		int			blocks;
		bool		pending;
		uint64		pass;

		worker_check();

		pending = sealer_take_pending(dboid, &pass);
		/* an error ends this worker; waiters then wait for the next one */
		blocks = sealer_pass();
		sealer_pass_finished(dboid, pass);
		if (blocks < 0)
		{
			/* the extension is not installed here: not swept, until a commit */
			sealer_set_no_extension(dboid);
			proc_exit(0);
		}
		if (blocks > 0)
			sealer_vacuum_queue_if_grown();
		if (blocks > 0 || pending)
			idle_since = GetCurrentTimestamp();
		else if (first ||
				 worker_elapsed(&idle_since, GetCurrentTimestamp(), 1000))
			proc_exit(0);		/* idle (or a sweep found nothing): release
								 * the database */
		first = false;

		/*
		 * Another database's work waits for a worker slot: after a second
		 * (and an interval) of its own, this sealer hands its slot on and
		 * asks for the next one; the launcher starts the waiting databases in
		 * turn.  A database that kept committing kept its slot, and with more
		 * busy databases than slots the others stayed unsealed as long as the
		 * load lasted (an operations review on 2026-12-05).
		 */
		if (sealer_slots_short() &&
			worker_elapsed(&started, GetCurrentTimestamp(),
						   Max(1000, ledger_seal_interval_ms)))
		{
			/*
			 * (the launcher is told by the postmaster once this process has
			 * gone and its slot is free: woken before, it tried the waiting
			 * databases in vain)
			 */
			(void) sealer_mark_pending(dboid);
			proc_exit(0);
		}

		worker_sleep(ledger_seal_interval_ms);
	}
}

/* Main of a per-database sealer. */
void
ledger_sealer_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);

	/*
	 * One sealer a database: a second one leaves (the first seals), before it
	 * connects, so that it never shows in pg_stat_activity.
	 */
	if (!sealer_claim(dboid))
		proc_exit(0);
	before_shmem_exit(sealer_release, ObjectIdGetDatum(dboid));
	worker_start(dboid, NULL);

	/*
	 * An ERROR ends the sealer as before (re-thrown to the background
	 * worker's handler, which reports it and exits with code 1), marked as a
	 * failure for sealer_release; a FATAL (SIGTERM) is not caught here.
	 */
	PG_TRY();
	{
		sealer_loop(dboid);
	}
	PG_CATCH();
	{
		sealer_ended_by_error = true;
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* ---------- sealing on demand, outside the caller's transaction ---------- */

/* What a one-shot sealer is told, in its bgw_extra. */
typedef struct SealOnceArgs
{
	Oid			dboid;
	int64		ledger_id;
} SealOnceArgs;

/*
 * Main of a one-shot sealer: seals one ledger of one database (both in
 * bgw_extra) in its own transaction, then exits.  Ledger id 0 (no ledger
 * has it) only rebuilds the database's work list if it awaits its rebuild,
 * and not if another transaction holds the list's lock (a rebuild, a
 * VACUUM): ledger._rebuild_seal_list() asks for it.
 */
void
ledger_seal_once_main(Datum main_arg)
{
	SealOnceArgs args;
	int64		ledger_id;
	Oid			dboid;
	bool		ok;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	ledger_id = args.ledger_id;
	dboid = args.dboid;
	worker_start(dboid, NULL);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	pgstat_report_activity(STATE_RUNNING, ledger_id == 0 ? "rebuilding the sealing list on demand" :
						   "sealing ledger on demand");
	ok = sealer_lock_extension();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ok &&
		strcmp(ledger_catalog_version(), LEDGER_CATALOG_VERSION) == 0)
	{
		bool		complete;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		complete = sealer_rebuild_queue_if_needed(ledger_id == 0);
		SPI_finish();
		if (complete && ledger_id != 0)
			(void) sealer_seal_ledger(ledger_id, false);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/*
 * Seal one ledger in a one-shot background worker (ledger id 0: rebuild
 * the work list only) and wait, at most timeout_ms, for it to end.  The
 * worker's transaction, not the caller's, writes and locks: a reader that
 * keeps its transaction open holds nothing a sealer needs.  False when no
 * worker could be started or it did not end in time; it is then stopped
 * if stop_at_timeout, else left to end by itself.
 */
static bool
sealer_seal_in_worker(int64 ledger_id, int timeout_ms, bool stop_at_timeout)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	TimestampTz start = GetCurrentTimestamp();
	SealOnceArgs args;

	worker_describe(&worker, "ledger_seal_once_main", "", "ledger sealer", BGW_NEVER_RESTART);
	if (ledger_id == 0)
		snprintf(worker.bgw_name, BGW_MAXLEN, "ledger sealing list rebuild for database %u",
				 MyDatabaseId);
	else
		snprintf(worker.bgw_name, BGW_MAXLEN, "ledger sealer for ledger " INT64_FORMAT, ledger_id);
	args.dboid = MyDatabaseId;
	args.ledger_id = ledger_id;
	StaticAssertStmt(sizeof(args) <= BGW_EXTRALEN, "SealOnceArgs must fit in bgw_extra");
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;

	/*
	 * Wait for it to end, at most timeout_ms: it may wait for a lock held by
	 * an administrator's open ledger.seal(); it is then stopped.  Our latch
	 * is set at each change of its state (bgw_notify_pid).
	 */
	for (;;)
	{
		BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);

		if (status == BGWH_STOPPED)
			return true;
		if (status == BGWH_POSTMASTER_DIED)
			return false;
		if (worker_elapsed(&start, GetCurrentTimestamp(), timeout_ms))
		{
			/*
			 * stopped, not left waiting for the lock: each digest() of a held
			 * ledger left one, until every background worker slot of the
			 * server was taken (found by a review on 2026-12-05)
			 */
			if (stop_at_timeout)
				TerminateBackgroundWorker(handle);
			return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Does the work list still hold an entry of the ledger whose transaction
 * had committed when snapshot before was taken?  A background pass skips a
 * ledger another session holds (an open ledger.seal() or ALTER TABLE:
 * SKIP LOCKED) and one whose sealing failed; until 2026-12-05 digest()
 * then described an older block without a word (found by a review).
 *
 * The entries a rebuild of the list put there carry the rebuild's
 * transaction id, also those of records committed before the call: when
 * the rebuild (its marker) committed after the call began, they count as
 * left too.  With complete, also true unless the list is known to be
 * complete: its marker there, committed before the call, and no watch row
 * beside it (a transaction prepared when the list was rebuilt, whose
 * records may be on no list).
 */
static bool
sealer_ledger_left(int64 ledger_id, Snapshot before, bool complete)
{
	Oid			qoid = ledger_catalog_relid("seal_queue");
	Relation	qrel;
	Snapshot	snapshot;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		left = false;
	bool		marked = false;
	TransactionId rebuilt = InvalidTransactionId;

	/* not behind a DBA's lock on the list: the pass would wait for it too */
	if (complete && !ConditionalLockRelationOid(qoid, AccessShareLock))
		return true;
	qrel = table_open(qoid, complete ? NoLock : AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(qrel, snapshot, 0, NULL);
	while (!left && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		lid = heap_getattr(tup, QUEUE_LEDGER_ID, RelationGetDescr(qrel), &isnull);

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		/* visible now, so its inserter committed: before the call? */
		if (DatumGetInt64(lid) == ledger_id)
			left = !XidInMVCCSnapshot(HeapTupleHeaderGetXmin(tup->t_data), before);
		else if (DatumGetInt64(lid) == 0)
		{
			Datum		xact = heap_getattr(tup, QUEUE_XACT_ID, RelationGetDescr(qrel), &isnull);

			/*
			 * A marker committed after the call began is a rebuild's, whose
			 * entries (of its transaction) list records committed before the
			 * call too: they would look committed after it
			 * (test/t/558_digest_rebuild_race.pl).
			 */
			if (!isnull && DatumGetInt64(xact) == 0)
			{
				TransactionId xmin = HeapTupleHeaderGetXmin(tup->t_data);

				if (XidInMVCCSnapshot(xmin, before))
					rebuilt = xmin;
				else
					marked = true;
			}
			else if (complete)
				left = true;	/* a watch row: the list may be incomplete */
		}
	}
	/* the ledger's entries put there by that rebuild: left */
	if (!left && TransactionIdIsValid(rebuilt))
	{
		table_rescan(scan, NULL);
		while (!left && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			bool		isnull;
			Datum		lid = heap_getattr(tup, QUEUE_LEDGER_ID, RelationGetDescr(qrel), &isnull);

			CHECK_FOR_INTERRUPTS();
			left = !isnull && DatumGetInt64(lid) == ledger_id &&
				TransactionIdEquals(HeapTupleHeaderGetXmin(tup->t_data), rebuilt);
		}
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(qrel, AccessShareLock);
	return left || (complete && !marked);
}

/*
 * Have the committed transactions of one ledger sealed, without writing or
 * locking anything in the caller's transaction: wait for passes of the
 * background sealer if one runs (until none of the ledger's transactions
 * committed before the call is left), else seal in a one-shot worker.
 * False (after a NOTICE) when that did not happen in time; what is sealed
 * is then older than the call.
 */
bool
sealer_request_seal(int64 ledger_id, const char *relname)
{
	bool		served = false;
	TimestampTz start = GetCurrentTimestamp();
	Snapshot	before = RegisterSnapshot(GetLatestSnapshot());
	bool		passed;

	/*
	 * Nothing of the ledger's committed before the call on a list known to be
	 * complete: sealed already.  Until 2026-12-07 every call waited for a
	 * pass over the whole database, also for an idle ledger, and while a pass
	 * was held up (a DBA's lock on one of the extension's tables, the history
	 * of every ledger rebuilt after the update from 0.1.0) each digest()
	 * waited all of ledger.digest_wait and came with a NOTICE
	 * (test/t/555_lock_order.pl, part 5).
	 */
	if (!sealer_ledger_left(ledger_id, before, true))
	{
		UnregisterSnapshot(before);
		return true;
	}

	passed = sealer_wait_for_pass(ledger_digest_wait_ms, true);
	while (passed)
	{
		long		left_ms;
		TimestampTz now;

		if (!sealer_ledger_left(ledger_id, before, false))
		{
			UnregisterSnapshot(before);
			return true;
		}

		/*
		 * a pass comes back for a ledger it skipped, at its own pace: asked
		 * again, a sealer passed over a held ledger as fast as it could
		 */
		now = GetCurrentTimestamp();
		left_ms = worker_elapsed(&start, now, ledger_digest_wait_ms) ? 0 :
			ledger_digest_wait_ms - TimestampDifferenceMilliseconds(start, now);
		if (left_ms <= 0 || !sealer_wait_for_pass((int) left_ms, false))
		{
			UnregisterSnapshot(before);
			ereport(NOTICE,
					(errmsg("ledger \"%s\" was not sealed within %d ms", relname, ledger_digest_wait_ms),
					 errdetail("Transactions committed before the call are not sealed yet: another session holds the ledger (an open ledger.seal() or ALTER TABLE), or sealing it failed."),
					 errhint("See ledger.sealing_status and the server log, or raise \"ledger.digest_wait\".")));
			return false;
		}
	}
	UnregisterSnapshot(before);
	/* a database beyond the launcher's table seals in a one-shot worker */
	if (sealer_shared != NULL)
	{
		SpinLockAcquire(&sealer_shared->mutex);
		served = sealer_shared->launcher_latch != NULL && sealer_db_slot(MyDatabaseId) >= 0;
		SpinLockRelease(&sealer_shared->mutex);
	}
	if (served)
	{
		ereport(NOTICE,
				(errmsg("the background sealer did not finish a pass within %d ms",
						ledger_digest_wait_ms),
				 errdetail("Transactions committed just before the call may not be sealed yet."),
				 errhint("See the server log for sealer errors, or raise \"ledger.digest_wait\".")));
		return false;
	}
	if (!sealer_seal_in_worker(ledger_id, ledger_digest_wait_ms, true))
	{
		ereport(NOTICE,
				(errmsg("could not seal ledger \"%s\" within %d ms", relname, ledger_digest_wait_ms),
				 errdetail("Transactions committed just before the call may not be sealed yet."),
				 errhint("A transaction holding ledger.seal() open delays sealing; with no background worker slot free, raise \"max_worker_processes\" or add ledger to \"shared_preload_libraries\".")));
		return false;
	}
	return true;
}

/*
 * ledger._rebuild_seal_list() RETURNS boolean
 *
 * For ledger.sealing_status: has the work list awaiting its rebuild (no
 * marker: after a crash, a restore or a promotion, or in a database where
 * no pass has run yet) rebuilt now, then says whether it is complete (its
 * marker is there).  Until 2026-12-05 the status showed NULL for what
 * waits until the next pass rebuilt the list, and without the background
 * sealer (ledger.sealer = off, sealing by a scheduled seal()) no pass ran
 * while the scheduled seal() was broken, the very failure an alert on
 * seal_lag_seconds watches (found by an operations review).
 *
 * Why a rebuild, and not the counts from the catalog (the records no block
 * lists): that is an anti-join of every record against every block's list,
 * a read of the ledgers' whole history (minutes on years of blocks) at each
 * call of a query a monitor runs every minute, for as long as no seal()
 * runs; the rebuild reads it once and writes what the next pass reads
 * anyway, after which each call reads only the list, which holds only what
 * waits.  The rebuild runs in a one-shot background worker (its own
 * transaction, as a sealing pass), not in the caller's: a monitor's
 * transaction may be read-only, and one left open would hold the list's
 * lock, which every seal() waits for.  Its concurrency is the rebuild's:
 * under the list's lock, which it does not wait for (a rebuild or a VACUUM
 * under way: this call says unknown, the next one knows), writers going on
 * meanwhile.  The caller waits for it at most ledger.digest_wait (not at
 * all in a REPEATABLE READ or SERIALIZABLE transaction, whose snapshot
 * would not see the list rebuilt), and a worker still running then is left
 * to finish, for the next call.  Nothing is started on a standby, which
 * cannot read the list, nor while the list is complete: one read of its
 * marker rows.  The list stays incomplete while the catalog is half
 * restored (sealer_rebuild_queue_if_needed), and when no worker could be
 * started.  As the extension's owner (ledger._sealing_status is SECURITY
 * DEFINER).
 */
Datum
ledger_rebuild_seal_list(PG_FUNCTION_ARGS)
{
	bool		marked;

	if (RecoveryInProgress())
		PG_RETURN_BOOL(false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	marked = seal_queue_marked(false);
	SPI_finish();
	if (marked)
		PG_RETURN_BOOL(true);
	(void) sealer_seal_in_worker(0, IsolationUsesXactSnapshot() ? 0 : ledger_digest_wait_ms, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	marked = seal_queue_marked(false);
	SPI_finish();
	PG_RETURN_BOOL(marked);
}
