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
#include "ledger.h"
#include "merkle.h"
#include "sealer.h"
#include "table.h"

PG_FUNCTION_INFO_V1(ledger_seal);

PGDLLEXPORT void ledger_launcher_main(Datum main_arg);
PGDLLEXPORT void ledger_sealer_main(Datum main_arg);
PGDLLEXPORT void ledger_seal_once_main(Datum main_arg);

/* Settings, documented in docs/reference.md. */
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

/* Register hooks and, when preloaded, the launcher; from _PG_init. */
void
sealer_init(void)
{
	BackgroundWorker worker;

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

/* Seal the committed, unsealed transactions of one ledger into blocks. */
int
sealer_seal_ledger(int32 ledger_id, bool force)
{
	Datum		arg[1];
	Oid			argtype[1] = {INT4OID};
	int			ret;
	bool		isnull;
	int64		head_block;
	uint8		head_hash[LEDGER_HASH_LEN];
	pg_uuid_t	uuid;
	int			blocks = 0;
	MemoryContext loopcxt;
	MemoryContext oldcxt;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	arg[0] = Int32GetDatum(ledger_id);
	ret = SPI_execute_with_args("SELECT head_block, head_hash, ledger_uuid FROM ledger.ledgers "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
								1, argtype, arg, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not lock ledger %d: %s", ledger_id, SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("ledger %d does not exist", ledger_id)));
	head_block = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ledger_bytea_to_hash(DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)),
						 head_hash, "ledger head hash");
	memcpy(&uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)),
		   sizeof(uuid));

	loopcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger seal pass",
									ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		Datum		qargs[2];
		Oid			qtypes[2] = {INT4OID, INT4OID};
		uint64		n;
		uint64		i;
		MerkleStream ms;
		uint8		root[LEDGER_HASH_LEN];
		uint8		bhash[LEDGER_HASH_LEN];
		int64		rows = 0;
		int64		sealed_at = (int64) GetCurrentTimestamp();
		Datum		bargs[9];
		Oid			btypes[9] = {INT4OID, INT8OID, BYTEAOID, BYTEAOID, INT4OID,
		INT8OID, TIMESTAMPTZOID, INT4OID, BYTEAOID};
		Datum		uargs[2];
		Oid			utypes[2] = {INT8OID, TIDARRAYOID};
		Datum	   *tids;

		oldcxt = MemoryContextSwitchTo(loopcxt);

		qargs[0] = Int32GetDatum(ledger_id);
		qargs[1] = Int32GetDatum(ledger_block_max_transactions);
		ret = SPI_execute_with_args("SELECT xact_id, row_count, root, committed_at, ctid FROM ledger.transactions "
									"WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND block_no IS NULL "
									"ORDER BY committed_at, xact_id LIMIT $2",
									2, qtypes, qargs, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read unsealed transactions: %s", SPI_result_code_string(ret));
		n = SPI_processed;
		if (n == 0 && !(force && blocks == 0))
		{
			MemoryContextSwitchTo(oldcxt);
			break;
		}

		merkle_stream_init(&ms);
		tids = palloc(sizeof(Datum) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			int64		xact = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			int64		count = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
			uint8		txroot[LEDGER_HASH_LEN];
			int64		committed = DatumGetTimestampTz(SPI_getbinval(tup, td, 4, &isnull));
			uint8		leaf[LEDGER_HASH_LEN];

			ledger_bytea_to_hash(DatumGetByteaPP(SPI_getbinval(tup, td, 3, &isnull)),
								 txroot, "transaction root");
			ledger_xact_leaf(xact, count, txroot, committed, leaf);
			merkle_stream_add(&ms, leaf);
			tids[i] = SPI_getbinval(tup, td, 5, &isnull);
			rows += count;
		}
		merkle_stream_root(&ms, root);
		ledger_block_hash(&uuid, head_block + 1, head_hash, root, (int32) n, rows,
						  sealed_at, CANON_FORMAT_VERSION, bhash);

		bargs[0] = Int32GetDatum(ledger_id);
		bargs[1] = Int64GetDatum(head_block + 1);
		bargs[2] = PointerGetDatum(ledger_hash_to_bytea(head_hash));
		bargs[3] = PointerGetDatum(ledger_hash_to_bytea(root));
		bargs[4] = Int32GetDatum((int32) n);
		bargs[5] = Int64GetDatum(rows);
		bargs[6] = TimestampTzGetDatum((TimestampTz) sealed_at);
		bargs[7] = Int32GetDatum(CANON_FORMAT_VERSION);
		bargs[8] = PointerGetDatum(ledger_hash_to_bytea(bhash));
		ret = SPI_execute_with_args("INSERT INTO ledger.blocks (ledger_id, block_no, prev_hash, root, tx_count, "
									"row_count, sealed_at, format_version, block_hash) "
									"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
									9, btypes, bargs, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "could not insert block: %s", SPI_result_code_string(ret));

		/*
		 * Mark the block's transactions by the ctids just read (we hold the
		 * ledger's lock, and nothing else updates these rows): a TID scan,
		 * whose cost is what the block holds.  A join against the primary key
		 * leaves the join order to estimates that are wrong for a young
		 * ledger, and the wrong order rescans the ledger's whole history on
		 * every block.
		 */
		if (n > 0)
		{
			uargs[0] = Int64GetDatum(head_block + 1);
			uargs[1] = PointerGetDatum(construct_array(tids, (int) n, TIDOID,
													   sizeof(ItemPointerData), false,
													   TYPALIGN_SHORT));
			ret = SPI_execute_with_args("UPDATE ledger.transactions SET block_no = $1 "
										"WHERE ctid OPERATOR(pg_catalog.=) ANY ($2)",
										2, utypes, uargs, NULL, false, 0);
			if (ret != SPI_OK_UPDATE || SPI_processed != n)
				elog(ERROR, "could not mark %llu transactions sealed: %s",
					 (unsigned long long) n, SPI_result_code_string(ret));
		}

		head_block++;
		memcpy(head_hash, bhash, LEDGER_HASH_LEN);
		blocks++;
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(loopcxt);
		if (n < (uint64) ledger_block_max_transactions)
			break;
	}

	if (blocks > 0)
	{
		Datum		hargs[3];
		Oid			htypes[3] = {INT4OID, INT8OID, BYTEAOID};

		hargs[0] = Int32GetDatum(ledger_id);
		hargs[1] = Int64GetDatum(head_block);
		hargs[2] = PointerGetDatum(ledger_hash_to_bytea(head_hash));
		ret = SPI_execute_with_args("UPDATE ledger.ledgers SET head_block = $2, head_hash = $3 "
									"WHERE ledger_id OPERATOR(pg_catalog.=) $1",
									3, htypes, hargs, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "could not move ledger head: %s", SPI_result_code_string(ret));
	}
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
