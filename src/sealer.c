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

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"
#include "catalog.h"
#include "ledger.h"
#include "merkle.h"
#include "record.h"
#include "sealer.h"

PG_FUNCTION_INFO_V1(ledger_seal);

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
	bool		pending;
	bool		no_extension;	/* its last sealer found no extension */
	uint64		pass_begun;		/* number of the newest pass started */
	uint64		pass_done;		/* number of the newest pass finished */
} SealerDb;

/* How often the launcher looks at every database with the extension anyway. */
#define SEALER_SWEEP_MS (60 * 1000)

typedef struct SealerShared
{
	slock_t		mutex;
	ConditionVariable pass_cv;	/* broadcast when a pass finishes */
	Latch	   *launcher_latch;
	int			ndbs;
	SealerDb	dbs[SEALER_MAX_DBS];
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
		sealer_shared->ndbs = 0;
	}
	LWLockRelease(AddinShmemInitLock);
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

	if (!ledger_sealer_enabled)
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "ledger", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ledger_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "ledger sealer launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "ledger sealer launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * Mark a database pending.  Returns the launcher's latch when the flag was
 * clear (the launcher must look), NULL when it was already set: so a busy
 * database wakes the launcher once per sealing pass, not once per commit.
 */
static Latch *
sealer_mark_pending(Oid dboid)
{
	Latch	   *latch = NULL;
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < sealer_shared->ndbs; i++)
		if (sealer_shared->dbs[i].dboid == dboid)
			break;
	if (i == sealer_shared->ndbs && i < SEALER_MAX_DBS)
	{
		sealer_shared->dbs[i].dboid = dboid;
		sealer_shared->dbs[i].pending = false;
		sealer_shared->dbs[i].no_extension = false;
		sealer_shared->dbs[i].pass_begun = 0;
		sealer_shared->dbs[i].pass_done = 0;
		sealer_shared->ndbs++;
	}
	if (i < SEALER_MAX_DBS)
		sealer_shared->dbs[i].no_extension = false;
	if (i < SEALER_MAX_DBS && !sealer_shared->dbs[i].pending)
	{
		sealer_shared->dbs[i].pending = true;
		latch = sealer_shared->launcher_latch;
	}
	SpinLockRelease(&sealer_shared->mutex);
	return latch;
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

/* Remember that a database has no extension (a commit there clears it). */
static void
sealer_set_no_extension(Oid dboid)
{
	int			i;

	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < sealer_shared->ndbs; i++)
		if (sealer_shared->dbs[i].dboid == dboid)
			sealer_shared->dbs[i].no_extension = true;
	SpinLockRelease(&sealer_shared->mutex);
}

/*
 * Take (and clear) a database's pending flag, and number the pass about to
 * start; *pass gets its number (0 if the database is not tracked).
 */
static bool
sealer_take_pending(Oid dboid, uint64 *pass)
{
	bool		pending = false;
	int			i;

	*pass = 0;
	SpinLockAcquire(&sealer_shared->mutex);
	for (i = 0; i < sealer_shared->ndbs; i++)
		if (sealer_shared->dbs[i].dboid == dboid)
		{
			pending = sealer_shared->dbs[i].pending;
			sealer_shared->dbs[i].pending = false;
			*pass = ++sealer_shared->dbs[i].pass_begun;
			break;
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
	for (i = 0; i < sealer_shared->ndbs; i++)
		if (sealer_shared->dbs[i].dboid == dboid &&
			sealer_shared->dbs[i].pass_done < pass)
			sealer_shared->dbs[i].pass_done = pass;
	SpinLockRelease(&sealer_shared->mutex);
	ConditionVariableBroadcast(&sealer_shared->pass_cv);
}

/*
 * Wait, up to timeout_ms, for the background sealer to finish a pass over
 * this database that started after the call: every transaction committed
 * before the call is then sealed (unless sealing it failed).  False when
 * there is no running background sealer or the time ran out.
 */
static bool
sealer_wait_for_pass(int timeout_ms)
{
	uint64		target = 0;
	bool		known = false;
	bool		done = false;
	TimestampTz start = GetCurrentTimestamp();
	int			i;

	if (sealer_shared == NULL)
		return false;
	SpinLockAcquire(&sealer_shared->mutex);
	if (sealer_shared->launcher_latch != NULL)
	{
		for (i = 0; i < sealer_shared->ndbs; i++)
			if (sealer_shared->dbs[i].dboid == MyDatabaseId)
			{
				target = sealer_shared->dbs[i].pass_begun + 1;
				known = true;
			}
	}
	SpinLockRelease(&sealer_shared->mutex);
	if (!known)
	{
		/* first contact: sealer_notify makes the database known */
		sealer_notify(MyDatabaseId);
		SpinLockAcquire(&sealer_shared->mutex);
		for (i = 0; i < sealer_shared->ndbs; i++)
			if (sealer_shared->dbs[i].dboid == MyDatabaseId)
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

	ConditionVariablePrepareToSleep(&sealer_shared->pass_cv);
	for (;;)
	{
		long		left;

		SpinLockAcquire(&sealer_shared->mutex);
		for (i = 0; i < sealer_shared->ndbs; i++)
			if (sealer_shared->dbs[i].dboid == MyDatabaseId)
				done = sealer_shared->dbs[i].pass_done >= target;
		SpinLockRelease(&sealer_shared->mutex);
		if (done)
			break;
		left = timeout_ms - TimestampDifferenceMilliseconds(start, GetCurrentTimestamp());
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

/* The chain head of a ledger, locked for sealing (SPI connected). */
typedef struct SealHead
{
	int32		ledger_id;
	pg_uuid_t	uuid;
	int64		block;
	uint8		hash[LEDGER_HASH_LEN];
} SealHead;

/*
 * Lock the ledger's row in ledger.ledgers (sealers of one ledger serialize
 * there; writers never touch it) and read its head.
 */
static void
seal_lock_head(int32 ledger_id, SealHead *head)
{
	Datum		arg = Int32GetDatum(ledger_id);
	Oid			argtype = INT4OID;
	bool		isnull;
	int			ret;

	ret = SPI_execute_with_args("SELECT head_block, head_hash, ledger_uuid FROM ledger.ledgers "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
								1, &argtype, &arg, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not lock ledger %d: %s", ledger_id, SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("ledger %d does not exist", ledger_id)));
	head->ledger_id = ledger_id;
	head->block = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ledger_bytea_to_hash(DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)),
						 head->hash, "ledger head hash");
	memcpy(&head->uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)),
		   sizeof(pg_uuid_t));
}

/* Build the next block over recs and write it (SPI connected). */
static void
seal_write_block(SealHead *head, LedgerRecord *recs, uint64 n)
{
	LedgerBlock b;
	MerkleStream ms;
	uint64		i;
	Datum		bargs[9];
	Oid			btypes[9] = {INT4OID, INT8OID, BYTEAOID, BYTEAOID, INT4OID,
	INT8OID, TIMESTAMPTZOID, INT4OID, BYTEAOID};

	b.block_no = head->block + 1;
	memcpy(b.prev_hash, head->hash, LEDGER_HASH_LEN);
	b.tx_count = (int32) n;
	b.row_count = 0;
	b.sealed_at = GetCurrentTimestamp();
	b.format_version = CANON_FORMAT_VERSION;
	merkle_stream_init(&ms);
	for (i = 0; i < n; i++)
	{
		uint8		leaf[LEDGER_HASH_LEN];

		record_leaf(&recs[i], leaf);
		merkle_stream_add(&ms, leaf);
		b.row_count += recs[i].row_count;
	}
	merkle_stream_root(&ms, b.root);
	block_compute_hash(&head->uuid, &b, b.block_hash);

	bargs[0] = Int32GetDatum(head->ledger_id);
	bargs[1] = Int64GetDatum(b.block_no);
	bargs[2] = PointerGetDatum(ledger_hash_to_bytea(b.prev_hash));
	bargs[3] = PointerGetDatum(ledger_hash_to_bytea(b.root));
	bargs[4] = Int32GetDatum(b.tx_count);
	bargs[5] = Int64GetDatum(b.row_count);
	bargs[6] = TimestampTzGetDatum(b.sealed_at);
	bargs[7] = Int32GetDatum(b.format_version);
	bargs[8] = PointerGetDatum(ledger_hash_to_bytea(b.block_hash));
	if (SPI_execute_with_args("INSERT INTO ledger.blocks (ledger_id, block_no, prev_hash, root, tx_count, "
							  "row_count, sealed_at, format_version, block_hash) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
							  9, btypes, bargs, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert block");

	head->block = b.block_no;
	memcpy(head->hash, b.block_hash, LEDGER_HASH_LEN);
}

/*
 * Mark the block's records by the ctids just read (we hold the ledger's
 * lock, and nothing else updates these rows): a TID scan, whose cost is what
 * the block holds.  A join against the primary key leaves the join order to
 * estimates that are wrong for a young ledger, and the wrong order rescans
 * the ledger's whole history on every block.
 */
static void
seal_mark_records(int64 block_no, LedgerRecord *recs, uint64 n)
{
	Datum	   *tids = palloc(sizeof(Datum) * Max(n, 1));
	Datum		args[2];
	Oid			types[2] = {INT8OID, TIDARRAYOID};
	uint64		i;
	int			ret;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		tids[i] = PointerGetDatum(&recs[i].tid);
	args[0] = Int64GetDatum(block_no);
	args[1] = PointerGetDatum(construct_array(tids, (int) n, TIDOID,
											  sizeof(ItemPointerData), false,
											  TYPALIGN_SHORT));
	ret = SPI_execute_with_args("UPDATE ledger.transactions SET block_no = $1 "
								"WHERE ctid OPERATOR(pg_catalog.=) ANY ($2)",
								2, types, args, NULL, false, 0);
	if (ret != SPI_OK_UPDATE || SPI_processed != n)
		elog(ERROR, "could not mark %llu transactions sealed: %s",
			 (unsigned long long) n, SPI_result_code_string(ret));
}

/* Move the ledger's head to the newest block (SPI connected). */
static void
seal_move_head(const SealHead *head)
{
	Datum		args[3];
	Oid			types[3] = {INT4OID, INT8OID, BYTEAOID};

	args[0] = Int32GetDatum(head->ledger_id);
	args[1] = Int64GetDatum(head->block);
	args[2] = PointerGetDatum(ledger_hash_to_bytea(head->hash));
	if (SPI_execute_with_args("UPDATE ledger.ledgers SET head_block = $2, head_hash = $3 "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  3, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not move ledger head");
}

/* Seal the committed, unsealed transactions of one ledger into blocks. */
int
sealer_seal_ledger(int32 ledger_id, bool force)
{
	SealHead	head;
	int			blocks = 0;
	MemoryContext loopcxt;
	MemoryContext oldcxt;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seal_lock_head(ledger_id, &head);

	loopcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger seal pass",
									ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		LedgerRecord *recs;
		uint64		n;

		oldcxt = MemoryContextSwitchTo(loopcxt);
		recs = record_read(ledger_id, RECORDS_UNSEALED, 0, ledger_block_max_transactions,
						   false, &n);
		if (n == 0 && !(force && blocks == 0))
		{
			MemoryContextSwitchTo(oldcxt);
			break;
		}
		seal_write_block(&head, recs, n);
		seal_mark_records(head.block, recs, n);
		blocks++;
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(loopcxt);
		if (n < (uint64) ledger_block_max_transactions)
			break;
	}
	if (blocks > 0)
		seal_move_head(&head);
	MemoryContextDelete(loopcxt);
	SPI_finish();
	return blocks;
}

/* Ledger ids, all or one, in the caller's memory context. */
static List *
sealer_ledger_ids(Oid relid)
{
	List	   *ids = NIL;
	int			ret;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;

	if (OidIsValid(relid))
	{
		ids = lappend_int(ids, ledger_id_for_relation(relid, false));
		return ids;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT ledger_id FROM ledger.ledgers ORDER BY ledger_id", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list ledgers: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int32		id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 1, &isnull));

		/* the list must outlive SPI_finish, which frees SPI's memory */
		MemoryContext spi = MemoryContextSwitchTo(caller);

		ids = lappend_int(ids, id);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return ids;
}

typedef struct SealArgs
{
	List	   *ids;
	int			blocks;
} SealArgs;

/* Seal a list of ledgers (as owner). */
static void
seal_ids(void *varg)
{
	SealArgs   *a = varg;
	ListCell   *lc;

	foreach(lc, a->ids)
		a->blocks += sealer_seal_ledger(lfirst_int(lc), false);
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
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	List	   *ids;
	SealArgs	args;

	/* NULL seals every ledger; an OID must name one (0 is not NULL) */
	if (!PG_ARGISNULL(0))
		ledger_relation_must_exist(relid);

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("ledger.seal() cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errhint("Seal in a READ COMMITTED transaction, or leave sealing to the background worker.")));

	ids = sealer_ledger_ids(relid);
	args.ids = ids;
	args.blocks = 0;
	ledger_as_owner(seal_ids, &args);
	PG_RETURN_INT32(args.blocks);
}

/* ---------- background workers ---------- */

/* Start a sealer for one database; returns its handle or NULL. */
static BackgroundWorkerHandle *
sealer_start_worker(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "ledger", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ledger_sealer_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "ledger sealer for database %u", dboid);
	strlcpy(worker.bgw_type, "ledger sealer", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/* Mark every connectable, non-template database pending. */
static void
launcher_mark_all_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate)
			sealer_mark_pending(db->oid);
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
	TimestampTz last_sweep;
	int			i;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	for (i = 0; i < SEALER_MAX_DBS; i++)
	{
		running[i] = NULL;
		last_start[i] = 0;
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

		/*
		 * Safety net, once a minute: a sealing pass in every database known
		 * to have the extension, for work no commit announced (COMMIT
		 * PREPARED runs in another session; a sealer may have failed).
		 */
		if (TimestampDifferenceExceeds(last_sweep, now, SEALER_SWEEP_MS))
		{
			SpinLockAcquire(&sealer_shared->mutex);
			for (i = 0; i < sealer_shared->ndbs; i++)
				if (!sealer_shared->dbs[i].no_extension)
					sealer_shared->dbs[i].pending = true;
			SpinLockRelease(&sealer_shared->mutex);
			last_sweep = now;
		}

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		SpinLockAcquire(&sealer_shared->mutex);
		ndbs = sealer_shared->ndbs;
		memcpy(snapshot, sealer_shared->dbs, sizeof(SealerDb) * ndbs);
		SpinLockRelease(&sealer_shared->mutex);

		for (i = 0; i < ndbs; i++)
		{
			pid_t		pid;

			if (running[i] != NULL &&
				GetBackgroundWorkerPid(running[i], &pid) == BGWH_STOPPED)
			{
				pfree(running[i]);
				running[i] = NULL;
			}
			if (!snapshot[i].pending || running[i] != NULL)
				continue;
			/* a failing sealer is not restarted faster than once an interval */
			if (!TimestampDifferenceExceeds(last_start[i], now, ledger_seal_interval_ms))
				continue;
			running[i] = sealer_start_worker(snapshot[i].dboid);
			last_start[i] = now;
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(ledger_seal_interval_ms, 10),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Seal every ledger of this database once; returns blocks written. */
static int
sealer_pass(void)
{
	List	   *ids = NIL;
	ListCell   *lc;
	volatile int blocks = 0;
	bool		has_ext;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	has_ext = OidIsValid(get_extension_oid("ledger", true));
	if (has_ext)
	{
		List	   *tmp = sealer_ledger_ids(InvalidOid);
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		ids = list_copy(tmp);
		MemoryContextSwitchTo(old);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (!has_ext)
		return -1;

	foreach(lc, ids)
	{
		int32		ledger_id = lfirst_int(lc);
		MemoryContext oldcxt = CurrentMemoryContext;

		PG_TRY();
		{
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			pgstat_report_activity(STATE_RUNNING, "sealing ledger");
			blocks += sealer_seal_ledger(ledger_id, false);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			/* one broken ledger must not stop the sealing of the others */
			MemoryContextSwitchTo(oldcxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	list_free(ids);
	return blocks;
}

/* Main of a per-database sealer. */
void
ledger_sealer_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	TimestampTz idle_since = GetCurrentTimestamp();

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	for (;;)
	{
		int			blocks;
		bool		pending;
		uint64		pass;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

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
		if (blocks > 0 || pending)
			idle_since = GetCurrentTimestamp();
		else if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), 1000))
			proc_exit(0);		/* idle: release the database */

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 ledger_seal_interval_ms,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------- sealing on demand, outside the caller's transaction ---------- */

/*
 * Main of a one-shot sealer: seals one ledger (bgw_main_arg) of one
 * database (bgw_extra) in its own transaction, then exits.
 */
void
ledger_seal_once_main(Datum main_arg)
{
	int32		ledger_id = DatumGetInt32(main_arg);
	Oid			dboid;

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "sealing ledger on demand");
	if (OidIsValid(get_extension_oid("ledger", true)))
		(void) sealer_seal_ledger(ledger_id, false);
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/*
 * Seal one ledger in a one-shot background worker and wait, at most
 * timeout_ms, for it to end.  The worker's transaction, not the caller's,
 * writes and locks: a reader that keeps its transaction open holds nothing
 * a sealer needs.  False when no worker could be started or it did not end
 * in time.
 */
static bool
sealer_seal_in_worker(int32 ledger_id, int timeout_ms)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	TimestampTz start = GetCurrentTimestamp();

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "ledger", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ledger_seal_once_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "ledger sealer for ledger %d", ledger_id);
	strlcpy(worker.bgw_type, "ledger sealer", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(ledger_id);
	memcpy(worker.bgw_extra, &MyDatabaseId, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;

	/*
	 * Wait for it to end, at most timeout_ms: it may wait for a lock held by
	 * an administrator's open ledger.seal(); it then goes on alone.  Our
	 * latch is set at each change of its state (bgw_notify_pid).
	 */
	for (;;)
	{
		BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);

		if (status == BGWH_STOPPED)
			return true;
		if (status == BGWH_POSTMASTER_DIED)
			return false;
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), timeout_ms))
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Have the committed transactions of one ledger sealed, without writing or
 * locking anything in the caller's transaction: wait for a pass of the
 * background sealer if one runs, else seal in a one-shot worker.  False
 * (after a NOTICE) when neither happened in time; what is sealed is then
 * older than the call.
 */
bool
sealer_request_seal(int32 ledger_id, const char *relname)
{
	if (sealer_wait_for_pass(ledger_digest_wait_ms))
		return true;
	if (sealer_shared != NULL && sealer_shared->launcher_latch != NULL)
	{
		ereport(NOTICE,
				(errmsg("the background sealer did not finish a pass within %d ms",
						ledger_digest_wait_ms),
				 errdetail("Transactions committed just before the call may not be sealed yet."),
				 errhint("See the server log for sealer errors, or raise \"ledger.digest_wait\".")));
		return false;
	}
	if (!sealer_seal_in_worker(ledger_id, ledger_digest_wait_ms))
	{
		ereport(NOTICE,
				(errmsg("could not seal ledger \"%s\" within %d ms", relname, ledger_digest_wait_ms),
				 errdetail("Transactions committed just before the call may not be sealed yet."),
				 errhint("A transaction holding ledger.seal() open delays sealing; with no background worker slot free, raise \"max_worker_processes\" or add ledger to \"shared_preload_libraries\".")));
		return false;
	}
	return true;
}
