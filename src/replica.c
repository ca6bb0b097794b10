/*-------------------------------------------------------------------------
 *
 * replica.c
 *		Replicas of other institutions' ledgers: what arrives is verified
 *		before it is applied, and nothing else writes them.
 *
 * A replica ledger (ledger.replicas) is written only by the logical
 * replication apply worker of its subscription, or by
 * ledger.create_subscription() / resync_subscription() while they copy it;
 * replica_applying() says which, from what a session cannot fake
 * (IsLogicalWorker() and MySubscription, or a flag only C code sets, never
 * session_replication_role or the replication origin).
 *
 * An origin transaction arrives as one apply transaction: its rows, then
 * its transaction record.  The row trigger checks each row's hash against
 * its bytes and hands its leaf here (replica_row_arrived), per (ledger,
 * transaction), in arrival order, which is the origin's insertion order,
 * so in sequence order.  When the record arrives, ledger.catalog_guard()
 * checks it against what arrived: same row count, same root.  At the end of
 * the apply transaction, rows that no record covered are refused (a forged
 * row with a matching hash but no transaction).  A block, sealed at the
 * origin in a transaction of its own, is checked when it arrives: next in
 * the chain, its transactions recorded and in no other block, its root, its
 * counts, its place in the history tree and (format 2) the history root
 * after it (this database's own history tree is grown for that), and its
 * hash.  UPDATE, DELETE and TRUNCATE of replicated rows or catalog rows are
 * refused whatever the publication sends; so are rows and records of a
 * ledger that is not a replica of this subscription.  Any refusal is an
 * ERROR, which rolls the apply transaction back; with disable_on_error the
 * subscription stops, and nothing unverified was applied.
 *
 * Records known unsealed: a record that passed its check here and whose
 * insert commits is kept in this backend's memory (replica_known), with the
 * ledger's newest block as this backend last saw it, until a block lists
 * it.  A block whose transactions are all known, arriving while the
 * ledger's newest block is still the one this backend last saw, is checked
 * against them without reading their records or looking them up in other
 * blocks: each was recorded here exactly once (its insert passed the
 * primary key), no block listed it when it arrived (a block is accepted
 * only when every transaction it lists has its record here), and every
 * block since was checked by this backend, which forgot the transactions
 * it listed (a block written by any other backend changes the newest
 * block).  Anything else is read as before.  The whole of it is forgotten
 * when a transaction or subtransaction of this backend aborts or is
 * prepared, and when a copy begins or ends.  Why this keeps every check
 * complete: docs/design.md, "Sync between institutions".
 *
 * Memory: the per-transaction state lives in TopTransactionContext; the
 * known records in their own context under TopMemoryContext, at most
 * REPLICA_KNOWN_MAX of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_subscription.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "replication/logicalworker.h"
#include "replication/origin.h"
#include "replication/worker_internal.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "canon.h"
#include "catalog.h"
#include "guard.h"
#include "history.h"
#include "merkle.h"
#include "record.h"
#include "replica.h"
#include "sealer.h"
#include "signed.h"
#include "tiles.h"

PG_FUNCTION_INFO_V1(ledger_catalog_guard);
PG_FUNCTION_INFO_V1(ledger_replication_errors);
PG_FUNCTION_INFO_V1(ledger_guard_replica_rename);
PG_FUNCTION_INFO_V1(ledger_guard_subscription_enable);

/* What arrived of one origin transaction in the current apply transaction. */
typedef struct ReplicaXact
{
	int64		key[2];			/* hash key: ledger_id, xact_id */
	int64		count;
	int64		last_seq;
	MerkleStream ms;
	char	   *relname;		/* for messages */
	Oid			relid;			/* the replica's table, checked for this
								 * subscription when the rows arrived */
	List	   *keys;			/* of SignedKeyUse: keys that signed rows */
	SignedKeyUse *last_key;		/* the last one noted */
} ReplicaXact;

static HTAB *replica_xacts = NULL;
static char *copying_for = NULL;

/* A record known unsealed (see the header): hash key (ledger_id, xact_id). */
typedef struct ReplicaKnownRecord
{
	int64		key[2];
	LedgerRecord rec;
} ReplicaKnownRecord;

/* The newest block of a ledger as this backend last saw it. */
typedef struct ReplicaKnownHead
{
	int64		ledger_id;		/* hash key */
	bool		has_head;
	int64		block_no;
	uint8		block_hash[LEDGER_HASH_LEN];
} ReplicaKnownHead;

#define REPLICA_KNOWN_MAX 100000
static MemoryContext replica_known_cxt = NULL;
static HTAB *replica_known = NULL;
static HTAB *replica_known_heads = NULL;

static void replica_forget_known(void);

/* Is this backend applying changes of a subscription?  Its name, or NULL. */
const char *
replica_applying(void)
{
	if (copying_for != NULL)
		return copying_for;
	if (IsLogicalWorker() && MySubscription != NULL)
	{
		/* a table synchronization worker copies one table on its own */
		if (MyLogicalRepWorker != NULL && OidIsValid(MyLogicalRepWorker->relid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("subscription \"%s\" cannot copy ledger data table by table",
							MySubscription->name),
					 errdetail("A replica verifies each transaction's rows against its record and each block against its transactions, which a table synchronization worker copies apart."),
					 errhint("Call ledger.resync_subscription(), which copies and verifies the publication's ledgers itself; a table of the same name that is not a replica must be renamed first.")));
		return MySubscription->name;
	}
	return NULL;
}

/* Mark the backend as copying for a subscription (NULL: done). */
void
replica_set_copying(const char *subname)
{
	replica_forget_known();
	if (copying_for != NULL)
		pfree(copying_for);
	copying_for = subname ? MemoryContextStrdup(TopMemoryContext, subname) : NULL;
}

/* A replica's subscription (ledger.replicas r), of this database: s. */
#define REPLICA_SUBSCRIPTION_JOIN \
	"JOIN pg_catalog.pg_subscription s ON s.subname OPERATOR(pg_catalog.=) r.subscription " \
	"AND s.subdbid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d " \
	"WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) "

/* ---------- the last error of each subscription's apply worker ---------- */

#define REPLICA_ERROR_SLOTS 32
#define REPLICA_ERROR_LEN 512

typedef struct ReplicaErrorSlot
{
	Oid			subid;			/* InvalidOid: free */
	Oid			dboid;			/* the subscription's database */
	TimestampTz at;
	XLogRecPtr	finish_lsn;		/* of the refused remote transaction, if known */
	bool		reconnect;		/* a lost connection or a transient error: to
								 * be enabled again */
	int			sqlerrcode;		/* of the error */
	bool		connection;		/* the error was a lost connection */
	int			streak;			/* reconnections in a row, each soon after the
								 * one before */
	TimestampTz reconnected_at; /* the last one, or 0 */
	bool		slot_lost;		/* resync_subscription() dropped (or was
								 * dropping) the slot at the origin and did
								 * not commit: no slot until a resync */
	bool		disable;		/* so the sealer is to disable it */
	bool		disable_failed; /* and its ALTER SUBSCRIPTION ... DISABLE
								 * failed: not tried again, whatever asks,
								 * until another record
								 * (replica_disable_failed) */
	char		message[REPLICA_ERROR_LEN];
} ReplicaErrorSlot;

/*
 * Seconds after a lost connection or a transient error disables a
 * subscription of replicas before it is enabled again (-1: never).
 */
int			ledger_sync_reconnect_delay = 10;

/* the sealer's own ALTER SUBSCRIPTION ... ENABLE is running (the guard) */
static bool replica_enabling_self = false;

/* Reconnections closer than this to the one before double the delay. */
#define REPLICA_RECONNECT_STREAK_MS (5 * 60 * 1000)
#define REPLICA_RECONNECT_MAX_DOUBLINGS 5

/*
 * A subscription whose reconnection a transaction cancels, between the
 * transaction's pre-commit and its end (count: how many such transactions).
 * Not in the file: a file written meanwhile reads the reconnection
 * cancelled (replica_slots_copy).
 */
typedef struct ReplicaCancelling
{
	Oid			subid;
	int			count;
} ReplicaCancelling;

typedef struct ReplicaShared
{
	slock_t		mutex;
	uint64		changes;		/* counts changes of the slots */
	ReplicaErrorSlot slots[REPLICA_ERROR_SLOTS];
	ReplicaCancelling cancelling[REPLICA_ERROR_SLOTS];
} ReplicaShared;

static ReplicaShared *replica_shared = NULL;

/*
 * Held while a process copies the slots and writes them to the file (not by
 * the postmaster at its exit, when no other process is left): the file
 * written last holds the slots copied last.  Without it, the launcher could
 * rename a copy taken before an administrator's session wrote its
 * cancellation over that session's file.
 */
static LWLock *replica_file_lock = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;

static void
replica_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(ReplicaShared)));
	RequestNamedLWLockTranche("ledger replica errors", 1);
}

/*
 * The slots outlive a restart of the server, a crash too: the sealers'
 * launcher writes them to a file within a ledger.seal_interval of each
 * change (replica_errors_persist), an apply worker before it commits the
 * disabling of its subscription after an error (replica_xact_callback;
 * until 2026-12-06 a crash in the seal_interval after the error lost the
 * reconnection of a subscription already disabled), the postmaster once
 * more when it shuts
 * down, and the postmaster reads the file whenever it sets up shared
 * memory: at start, and again after a crash of any process.  Without that,
 * a peer restarted (or crashed) while a reconnection was pending forgot
 * it, and the subscription stayed disabled until a DBA enabled it; a DBA
 * also lost the error that stopped a subscription.  In pg_stat_tmp, whose
 * files base backups leave out (as pg_stat_statements keeps its query
 * texts there): a server restored from a backup starts without them.
 */
#define REPLICA_ERRORS_FILE PG_STAT_TMP_DIR "/ledger_replica_errors.stat"
#define REPLICA_ERRORS_MAGIC 0x4c445233 /* "LDR3" (disable_failed added) */

/*
 * This apply worker recorded an error that is not in the file yet.  The
 * worker then disables its subscription (disable_on_error) in a
 * transaction of its own, and writes the file before that commits
 * (replica_xact_callback): a crash after the subscription was disabled
 * must not lose the reconnection, which the launcher's next round would
 * only have written a ledger.seal_interval later.
 */
static bool replica_error_unsaved = false;

/*
 * The error raised when that write failed is not the apply worker's error:
 * the slot keeps the error that stopped it (replica_emit_log).
 */
static bool replica_error_keep = false;

/* errno of replica_errors_write()'s last failure, for a caller's message */
static int	replica_errors_errno = 0;

typedef struct ReplicaErrorsHeader
{
	uint32		magic;
	uint32		slot_size;		/* sizeof(ReplicaErrorSlot) of the writer */
	uint32		nslots;
} ReplicaErrorsHeader;

/*
 * Write the slots in use of slots[] to the file, replacing it atomically
 * (a crash leaves the old file or the new one); an error is reported at
 * elevel (LOG or below), and false returned.
 */
static bool
replica_errors_write(const ReplicaErrorSlot *slots, int elevel)
{
	ReplicaErrorsHeader h;
	FILE	   *file;
	int			i;
	char		tmp[MAXPGPATH];

	/*
	 * one temporary file per writer: an apply worker and the launcher may
	 * both write
	 */
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", REPLICA_ERRORS_FILE, MyProcPid);
	h.magic = REPLICA_ERRORS_MAGIC;
	h.slot_size = sizeof(ReplicaErrorSlot);
	h.nslots = 0;
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (OidIsValid(slots[i].subid))
			h.nslots++;
	file = AllocateFile(tmp, PG_BINARY_W);
	if (file == NULL)
		goto error;
	if (fwrite(&h, sizeof(h), 1, file) != 1)
		goto error;
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (OidIsValid(slots[i].subid) &&
			fwrite(&slots[i], sizeof(ReplicaErrorSlot), 1, file) != 1)
			goto error;
	if (FreeFile(file) != 0)
	{
		file = NULL;
		goto error;
	}
	if (durable_rename(tmp, REPLICA_ERRORS_FILE, elevel) != 0)
	{
		replica_errors_errno = errno;
		unlink(tmp);
		return false;
	}
	return true;

error:
	replica_errors_errno = errno;
	ereport(elevel,
			(errcode_for_file_access(),
			 errmsg("could not write file \"%s\": %m", tmp)));
	if (file != NULL)
		FreeFile(file);
	unlink(tmp);
	return false;
}

/*
 * Copy the slots for the file (spinlock held): a reconnection that a
 * transaction is cancelling reads cancelled.  Should that transaction then
 * fail and a crash follow before the file is written again, the
 * reconnection is lost and the subscription stays disabled, which an
 * administrator sees; the other way, a reconnection brought back by a crash
 * after the cancellation committed, enabled the subscription behind the
 * administrator (test/t/589_cancel_crash.pl).
 */
static void
replica_slots_copy(ReplicaErrorSlot *copy)
{
	int			i;
	int			j;

	memcpy(copy, replica_shared->slots, sizeof(ReplicaErrorSlot) * REPLICA_ERROR_SLOTS);
	for (j = 0; j < REPLICA_ERROR_SLOTS; j++)
		if (replica_shared->cancelling[j].count > 0)
			for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
				if (copy[i].subid == replica_shared->cancelling[j].subid)
					copy[i].reconnect = false;
}

/*
 * Copy the slots and write them to the file, replica_file_lock held; true
 * if written (or if there are no slots), *changes the count of changes
 * copied, copy (if not NULL, REPLICA_ERROR_SLOTS of them) what was written.
 */
static bool
replica_errors_copy_write(int elevel, uint64 *changes, ReplicaErrorSlot *copy)
{
	ReplicaErrorSlot local[REPLICA_ERROR_SLOTS];
	bool		ok;

	if (replica_shared == NULL || replica_file_lock == NULL)
		return true;
	if (copy == NULL)
		copy = local;
	LWLockAcquire(replica_file_lock, LW_EXCLUSIVE);
	SpinLockAcquire(&replica_shared->mutex);
	if (changes != NULL)
		*changes = replica_shared->changes;
	replica_slots_copy(copy);
	SpinLockRelease(&replica_shared->mutex);
	ok = replica_errors_write(copy, elevel);
	LWLockRelease(replica_file_lock);
	return ok;
}

/* In the postmaster, at its exit: write the slots (not after a crash). */
static void
replica_errors_save(int code, Datum arg)
{
	/*
	 * No lock: every other process has exited, and one killed by an immediate
	 * shutdown may have left the spinlock held.
	 */
	if (code == 0 && replica_shared != NULL)
		(void) replica_errors_write(replica_shared->slots, LOG);
}

/*
 * In the sealers' launcher, each round: write the slots if they changed
 * since it last wrote them.  A failed write is tried again each round
 * until it succeeds (until 2026-12-07 only at the next change: a change
 * made while the volume was full, an administrator's cancelling of a
 * reconnection above all, was lost to a crash after space came back),
 * logged once for each change.
 */
void
replica_errors_persist(void)
{
	static uint64 written = 0;
	static uint64 failed = 0;
	uint64		changes;

	if (replica_shared == NULL)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	changes = replica_shared->changes;
	SpinLockRelease(&replica_shared->mutex);
	if (changes == written)
		return;
	/* (logged once for each change: "failed" is the count seen before) */
	if (replica_errors_copy_write(changes == failed ? DEBUG1 : LOG, &changes, NULL))
		written = changes;
	else
		failed = changes;
}

/* In the postmaster, setting up shared memory: read the slots written. */
static void
replica_errors_load(void)
{
	ReplicaErrorsHeader h;
	FILE	   *file;
	uint32		i;

	file = AllocateFile(REPLICA_ERRORS_FILE, PG_BINARY_R);
	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", REPLICA_ERRORS_FILE)));
		return;
	}
	if (fread(&h, sizeof(h), 1, file) != 1 || h.magic != REPLICA_ERRORS_MAGIC ||
		h.slot_size != sizeof(ReplicaErrorSlot) || h.nslots > REPLICA_ERROR_SLOTS)
	{
		ereport(LOG,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("ignoring file \"%s\": it was not written by this version of ledger",
						REPLICA_ERRORS_FILE)));
		h.nslots = 0;
	}
	for (i = 0; i < h.nslots; i++)
	{
		ReplicaErrorSlot *e = &replica_shared->slots[i];

		if (fread(e, sizeof(ReplicaErrorSlot), 1, file) != 1)
		{
			ereport(LOG,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("ignoring file \"%s\": it is truncated", REPLICA_ERRORS_FILE)));
			memset(replica_shared->slots, 0, sizeof(replica_shared->slots));
			break;
		}
		e->message[REPLICA_ERROR_LEN - 1] = '\0';
	}
	FreeFile(file);
}

static void
replica_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	replica_shared = ShmemInitStruct("ledger replica errors", sizeof(ReplicaShared), &found);
	if (!found)
	{
		SpinLockInit(&replica_shared->mutex);
		replica_shared->changes = 0;
		memset(replica_shared->slots, 0, sizeof(replica_shared->slots));
		memset(replica_shared->cancelling, 0, sizeof(replica_shared->cancelling));
		if (!IsUnderPostmaster)
			replica_errors_load();
	}
	replica_file_lock = &(GetNamedLWLockTranche("ledger replica errors"))->lock;
	LWLockRelease(AddinShmemInitLock);
	if (!IsUnderPostmaster)
		on_shmem_exit(replica_errors_save, (Datum) 0);
}

/*
 * Did the apply worker lose its connection to the origin?  PostgreSQL 15
 * disables a subscription made with disable_on_error for that as for a
 * refused change.  Recognised by where the error was raised, which a
 * translation does not change: the walreceiver library (the stream broke,
 * the origin shut down or ended the walsender: the origin's FATAL), or the
 * apply loop's wal_receiver_timeout.  An error the origin reports in the
 * stream ("ERROR:  replication slot ... was invalidated", a publication
 * dropped) is not a lost connection: enabling would only fail again.
 */
static bool
replica_connection_lost(const ErrorData *edata)
{
	if (edata->filename == NULL || edata->message_id == NULL)
		return false;
	if (strcmp(edata->filename, "libpqwalreceiver.c") == 0)
		return edata->message == NULL || strstr(edata->message, "ERROR:  ") == NULL;
	return strcmp(edata->filename, "worker.c") == 0 &&
		strcmp(edata->message_id, "terminating logical replication worker due to timeout") == 0;
}

/*
 * An error of the apply worker that says nothing about what arrived, and
 * that the same change may pass later: a serialization failure or a
 * deadlock with a local session, a lock timeout (lock_timeout set for the
 * cluster, and a DBA's VACUUM FULL, CLUSTER or LOCK of a replica), the
 * worker's statement cancelled by an administrator, resources exhausted
 * (disk full, out of memory or shared memory).  A change refused by the
 * checks on arrival raises none of these codes.
 */
static bool
replica_error_transient(const ErrorData *edata)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_LOCK_NOT_AVAILABLE:
		case ERRCODE_QUERY_CANCELED:
			return true;
		default:
			return ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES;
	}
}

/*
 * The error slot of subscription subid, else a free one, else the oldest
 * (the spinlock held), made subid's and dated now: the streak of
 * reconnections and the last one start afresh when it was another
 * subscription's.
 */
static int
replica_slot_claim(Oid subid, TimestampTz now)
{
	int			slot = -1;
	int			i;

	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
	{
		if (replica_shared->slots[i].subid == subid)
		{
			slot = i;
			break;
		}
		if (slot < 0 || replica_shared->slots[i].at < replica_shared->slots[slot].at)
			slot = i;			/* a free slot (at 0) or the oldest */
	}
	if (replica_shared->slots[slot].subid != subid)
	{
		replica_shared->slots[slot].streak = 0;
		replica_shared->slots[slot].reconnected_at = 0;
		replica_shared->slots[slot].slot_lost = false;
		replica_shared->slots[slot].disable = false;
		replica_shared->slots[slot].disable_failed = false;
	}
	replica_shared->slots[slot].subid = subid;
	replica_shared->slots[slot].dboid = MyDatabaseId;
	replica_shared->slots[slot].at = now;
	return slot;
}

/*
 * The subscription whose slot at the origin this backend's
 * resync_subscription() is dropping or has dropped, until the transaction
 * (or the subtransaction that ran it) ends; InvalidOid otherwise.
 */
static Oid	replica_resync_subid = InvalidOid;
static int	replica_resync_level = 0;

/*
 * How far that resync got: 0, nothing dropped yet (the record is taken back
 * if it ends, also when its session is terminated: replica_resync_exit); 1,
 * the old subscription dropped here and the slot's drop at the origin under
 * way; 2, the slot dropped (replica_resync_progress).
 */
static int	replica_resync_step = 0;
static bool replica_resync_exit_armed = false;

static void replica_resync_record(Oid subid, const char *what, const char *message,
								  bool write);

/*
 * An error in an apply worker: keep its message for
 * ledger.replication_status, and whether it was a lost connection or a
 * transient error (to be enabled again).  Runs
 * while the error is reported; must not fail.
 */
static void
replica_emit_log(ErrorData *edata)
{
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
	if (replica_error_keep && edata->elevel >= ERROR)
	{
		replica_error_keep = false;
		return;
	}
	if (edata->elevel >= ERROR && replica_shared != NULL && IsLogicalWorker() &&
		MySubscription != NULL && edata->message != NULL)
	{
		Oid			subid = MySubscription->oid;
		TimestampTz now = GetCurrentTimestamp();
		XLogRecPtr	finish = InvalidXLogRecPtr;
		int			slot;
		const char *f;
		unsigned int hi;
		unsigned int lo;

		/*
		 * The apply worker's error context ends with "finished at X/Y", the
		 * LSN that ALTER SUBSCRIPTION ... SKIP takes to pass over the refused
		 * transaction.
		 */
		if (edata->context != NULL &&
			(f = strstr(edata->context, "finished at ")) != NULL &&
			sscanf(f + strlen("finished at "), "%X/%X", &hi, &lo) == 2)
			finish = ((uint64) hi << 32) | lo;

		SpinLockAcquire(&replica_shared->mutex);

		/*
		 * A subscription whose slot a failed resync dropped: its worker can
		 * only fail on the missing slot (or stop), and the resync's failure
		 * stays its last error, which says what to do
		 * (replica_resync_dropping).
		 */
		for (slot = 0; slot < REPLICA_ERROR_SLOTS; slot++)
			if (replica_shared->slots[slot].subid == subid &&
				replica_shared->slots[slot].slot_lost)
			{
				SpinLockRelease(&replica_shared->mutex);
				return;
			}
		slot = replica_slot_claim(subid, now);
		replica_shared->slots[slot].finish_lsn = finish;
		replica_shared->slots[slot].sqlerrcode = edata->sqlerrcode;
		replica_shared->slots[slot].connection = replica_connection_lost(edata);
		replica_shared->slots[slot].reconnect = ledger_sync_reconnect_delay >= 0 &&
			(replica_shared->slots[slot].connection || replica_error_transient(edata));
		strlcpy(replica_shared->slots[slot].message, edata->message, REPLICA_ERROR_LEN);
		replica_shared->changes++;
		SpinLockRelease(&replica_shared->mutex);
		replica_error_unsaved = true;
	}
	else if (edata->elevel >= FATAL && OidIsValid(replica_resync_subid) &&
			 replica_resync_step > 0 && replica_shared != NULL &&
			 edata->message != NULL)
	{
		/*
		 * The session of a resync that dropped the slot, or was dropping it,
		 * ends (its backend terminated): no PG_CATCH runs, the file says that
		 * the slot was being dropped, and the message says why the resync did
		 * not end.  Before that step nothing was dropped, and
		 * replica_resync_exit takes the record back.
		 */
		replica_resync_record(replica_resync_subid,
							  replica_resync_step == 2 ? "failed after it dropped" : "failed while it dropped",
							  edata->message, false);
	}
}

static TimestampTz replica_reconnect_due(const ReplicaErrorSlot *e);

/*
 * ledger._replication_errors() RETURNS SETOF (subid oid, error_at
 * timestamptz, error text, error_lsn pg_lsn, reconnect_at timestamptz)
 */
Datum
ledger_replication_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ReplicaErrorSlot copy[REPLICA_ERROR_SLOTS];
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (replica_shared == NULL)
		return (Datum) 0;
	SpinLockAcquire(&replica_shared->mutex);
	memcpy(copy, replica_shared->slots, sizeof(copy));
	SpinLockRelease(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (!OidIsValid(copy[i].subid))
			continue;
		values[0] = ObjectIdGetDatum(copy[i].subid);
		values[1] = TimestampTzGetDatum(copy[i].at);
		values[2] = CStringGetTextDatum(copy[i].message);
		values[3] = LSNGetDatum(copy[i].finish_lsn);
		nulls[3] = XLogRecPtrIsInvalid(copy[i].finish_lsn);
		/* when a subscription disabled so will be enabled again */
		values[4] = TimestampTzGetDatum(replica_reconnect_due(&copy[i]));
		nulls[4] = !copy[i].reconnect || ledger_sync_reconnect_delay < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* When a subscription a lost connection or transient error disabled is enabled again. */
static TimestampTz
replica_reconnect_due(const ReplicaErrorSlot *e)
{
	int64		ms = (int64) Max(ledger_sync_reconnect_delay, 0) * 1000;

	ms <<= Min(e->streak, REPLICA_RECONNECT_MAX_DOUBLINGS);
	return TimestampTzPlusMilliseconds(e->at, ms);
}

/*
 * For the sealers' launcher: the databases (at most max) where a
 * subscription disabled by a lost connection or a transient error is due
 * to be enabled again.
 */
int
replica_reconnect_databases(Oid *dboids, int max)
{
	TimestampTz now = GetCurrentTimestamp();
	int			n = 0;
	int			i;
	int			j;

	if (replica_shared == NULL)
		return 0;
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS && n < max; i++)
	{
		ReplicaErrorSlot *e = &replica_shared->slots[i];

		/* or one whose slot a failed resync dropped, to be disabled */
		if (!OidIsValid(e->subid) ||
			(!(e->disable && !e->disable_failed) &&
			 (ledger_sync_reconnect_delay < 0 || !e->reconnect || replica_reconnect_due(e) > now)))
			continue;
		for (j = 0; j < n && dboids[j] != e->dboid; j++)
			;
		if (j == n)
			dboids[n++] = e->dboid;
	}
	SpinLockRelease(&replica_shared->mutex);
	return n;
}

/*
 * Subscriptions whose reconnection an ALTER SUBSCRIPTION of this
 * transaction cancels when the transaction commits, each with the
 * subtransaction nesting level of the ALTER (lists in
 * TopTransactionContext).  Until 2026-12-07 the guard cancelled it when it
 * ran, before the ALTER was done: an ALTER that failed (a bad connection
 * string, one the guard itself refuses) or was rolled back changed
 * nothing, yet the subscription stayed disabled for good
 * (test/t/586_reconnect_admin.pl, part 5).
 */
static List *replica_cancel_subids = NIL;
static List *replica_cancel_levels = NIL;

/*
 * Of those, the subscriptions an ALTER SUBSCRIPTION ... SET (slot_name =
 * ...) of this transaction points at a slot: the record
 * of a slot that a failed resync dropped no longer holds (an administrator
 * took charge; replica_resync_dropping) once it commits, and an ENABLE
 * after it in the same transaction is not refused for it.
 */
static List *replica_newslot_subids = NIL;
static List *replica_newslot_levels = NIL;

static void replica_reconnect_cancel(Oid subid);
static bool replica_resync_forget(Oid subid);

/* The guard: cancel subid's reconnection if this transaction commits. */
static void
replica_reconnect_cancel_at_commit(Oid subid)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	replica_cancel_subids = lappend_oid(replica_cancel_subids, subid);
	replica_cancel_levels = lappend_int(replica_cancel_levels, GetCurrentTransactionNestLevel());
	MemoryContextSwitchTo(old);
}

/* The guard: subid is pointed at another slot if this transaction commits. */
static void
replica_newslot_at_commit(Oid subid)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	replica_newslot_subids = lappend_oid(replica_newslot_subids, subid);
	replica_newslot_levels = lappend_int(replica_newslot_levels, GetCurrentTransactionNestLevel());
	MemoryContextSwitchTo(old);
}

/*
 * The subscriptions this backend marks as cancelling (replica_cancels_save),
 * at most REPLICA_ERROR_SLOTS.
 */
static Oid	replica_cancel_marked[REPLICA_ERROR_SLOTS];
static int	replica_cancel_nmarked = 0;

/*
 * Pre-commit (or pre-prepare) of a transaction whose ALTER SUBSCRIPTIONs
 * cancel pending reconnections: the file says so before the transaction
 * commits, as the apply worker writes it before it commits the disabling.
 * Until 2026-12-07 the cancellation reached the file only at the launcher's
 * next round, up to a ledger.seal_interval after the commit; a crash in
 * between brought the reconnection back, and the sealer enabled the
 * subscription behind the administrator (test/t/589_cancel_crash.pl).  The
 * subscriptions are marked as cancelling until the transaction ends, so
 * that a file the launcher writes meanwhile reads the same.  Nothing is
 * written unless one of them has a reconnection pending (pg_restore runs
 * many ALTER SUBSCRIPTION).  A write that fails (a full volume) is a
 * WARNING: the ALTER goes on, and the launcher tries again at each round.
 */
static void
replica_cancels_save(void)
{
	ListCell   *lc;
	bool		pending = false;
	int			i;
	int			j;

	if (replica_cancel_subids == NIL || replica_shared == NULL)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	foreach(lc, replica_cancel_subids)
	{
		Oid			subid = lfirst_oid(lc);
		int			unused = -1;

		for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
			if (replica_shared->slots[i].subid == subid && replica_shared->slots[i].reconnect)
				break;
		if (i == REPLICA_ERROR_SLOTS)
			continue;			/* no reconnection pending */
		for (i = 0; i < replica_cancel_nmarked && replica_cancel_marked[i] != subid; i++)
			;
		if (i < replica_cancel_nmarked || replica_cancel_nmarked == REPLICA_ERROR_SLOTS)
			continue;			/* marked already (or no room: as before) */
		for (j = 0; j < REPLICA_ERROR_SLOTS; j++)
		{
			if (replica_shared->cancelling[j].count > 0 &&
				replica_shared->cancelling[j].subid == subid)
				break;
			if (unused < 0 && replica_shared->cancelling[j].count == 0)
				unused = j;
		}
		if (j == REPLICA_ERROR_SLOTS)
		{
			if (unused < 0)
				continue;		/* no room: written at the launcher's round */
			j = unused;
			replica_shared->cancelling[j].subid = subid;
		}
		replica_shared->cancelling[j].count++;
		replica_cancel_marked[replica_cancel_nmarked++] = subid;
		pending = true;
	}
	if (pending)
		replica_shared->changes++;
	SpinLockRelease(&replica_shared->mutex);
	if (pending)
		(void) replica_errors_copy_write(WARNING, NULL, NULL);
}

/*
 * End of the transaction: its marks are taken back (after the reconnections
 * were cancelled, at a commit).  At an abort the file is written again by
 * the launcher's next round (the change counted), with the reconnection.
 */
static void
replica_cancels_unmark(void)
{
	int			i;
	int			j;

	if (replica_cancel_nmarked == 0 || replica_shared == NULL)
	{
		replica_cancel_nmarked = 0;
		return;
	}
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < replica_cancel_nmarked; i++)
		for (j = 0; j < REPLICA_ERROR_SLOTS; j++)
			if (replica_shared->cancelling[j].count > 0 &&
				replica_shared->cancelling[j].subid == replica_cancel_marked[i])
			{
				replica_shared->cancelling[j].count--;
				break;
			}
	replica_shared->changes++;
	SpinLockRelease(&replica_shared->mutex);
	replica_cancel_nmarked = 0;
}

/*
 * End of a transaction: cancel at its commit (or its PREPARE, after which
 * the ALTER may still commit) the reconnections of the subscriptions it
 * altered, forget them at its abort.  The records of slots that a failed
 * resync dropped, which its ALTER SUBSCRIPTION ... SET (slot_name) takes
 * back, are taken back at its commit only (prepare false): each way the
 * side that keeps the subscription from streaming.  Until 2026-12-07 (last
 * read) a PREPARE took them back too, and after ROLLBACK PREPARED the
 * subscription, still pointing at the dropped slot, was enabled without a
 * word (test/t/601_sealer_disable_fails.pl); after COMMIT PREPARED the
 * record stays, and a SET (slot_name) in a transaction of its own takes it.
 */
static void
replica_cancels_end(bool commit, bool prepare)
{
	ListCell   *lc;
	bool		forgot = false;

	if (commit)
		foreach(lc, replica_cancel_subids)
			replica_reconnect_cancel(lfirst_oid(lc));
	if (commit && !prepare)
		foreach(lc, replica_newslot_subids)
			forgot |= replica_resync_forget(lfirst_oid(lc));

	/*
	 * The record of a slot a failed resync dropped, taken back by an ALTER
	 * SUBSCRIPTION ... SET (slot_name = ...) that committed: the launcher is
	 * woken to write the file at once.  Until 2026-12-07 (resync4) only its
	 * next round wrote it, a seal_interval later, and a crash before that
	 * brought the record back beside the administrator's ENABLE.  Not written
	 * here: this runs after the commit, where an error (no file descriptor
	 * left, no memory) would be a PANIC.  A crash before the launcher's write
	 * still brings the record back: the apply worker then does not start, the
	 * sealer disables the subscription, and a SET (slot_name) again takes it
	 * back (test/t/599_resync_windows.pl, part 3).
	 */
	if (forgot)
		sealer_wake_launcher();
	replica_cancel_subids = NIL;
	replica_cancel_levels = NIL;
	replica_newslot_subids = NIL;
	replica_newslot_levels = NIL;
	replica_cancels_unmark();
}

/*
 * End of a subtransaction at nesting level "level": its ALTERs are
 * forgotten at its abort, and become its parent's at its commit.
 */
static void
replica_lists_end_sub(List **subidsp, List **levelsp, bool commit, int level)
{
	List	   *subids = NIL;
	List	   *levels = NIL;
	ListCell   *s;
	ListCell   *l;
	MemoryContext old;

	if (*subidsp == NIL)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	forboth(s, *subidsp, l, *levelsp)
	{
		if (lfirst_int(l) < level)
		{
			subids = lappend_oid(subids, lfirst_oid(s));
			levels = lappend_int(levels, lfirst_int(l));
		}
		else if (commit)
		{
			subids = lappend_oid(subids, lfirst_oid(s));
			levels = lappend_int(levels, level - 1);
		}
	}
	MemoryContextSwitchTo(old);
	list_free(*subidsp);
	list_free(*levelsp);
	*subidsp = subids;
	*levelsp = levels;
}

static void
replica_cancels_end_sub(bool commit, int level)
{
	replica_lists_end_sub(&replica_cancel_subids, &replica_cancel_levels, commit, level);
	replica_lists_end_sub(&replica_newslot_subids, &replica_newslot_levels, commit, level);
}

/* No reconnection of this subscription: an administrator altered it. */
static void
replica_reconnect_cancel(Oid subid)
{
	int			i;

	if (replica_shared == NULL)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (replica_shared->slots[i].subid == subid)
			replica_shared->slots[i].reconnect = false;
	replica_shared->changes++;
	SpinLockRelease(&replica_shared->mutex);
}

/*
 * ledger.resync_subscription() drops a subscription's slot at the origin,
 * which no rollback puts back: the transaction rolled back (an error, a
 * cancel, its session terminated) or lost (a crash) puts the subscription
 * back as it was, slot gone.  Until 2026-12-07 nothing but the resync's
 * error said so: a subscription that was enabled was enabled again by the
 * rollback, and its apply worker failed on the missing slot every
 * wal_retrieve_retry_interval for ever ("starting", its error "replication
 * slot ... does not exist"), and one whose reconnection was pending was
 * enabled by the sealer to do the same (test/t/588_resync_failed.pl,
 * test/t/595_resync_lost_slot.pl).  So, not transactional either, the
 * subscription's slot of errors says before the drop that its slot is
 * being dropped (slot_lost), written to the file at once (a crash after the
 * drop must find it): the failure becomes its last error and a pending
 * reconnection is cancelled; the sealer disables it if the rollback left it
 * enabled (disable); its apply worker's errors do not replace that error;
 * ALTER SUBSCRIPTION ... ENABLE is refused.  A resync that commits drops
 * the subscription (a new one, of another OID, replaces it), and the slot
 * of errors is freed.
 */
static void
replica_resync_record(Oid subid, const char *what, const char *message, bool write)
{
	TimestampTz now = GetCurrentTimestamp();
	char		msg[REPLICA_ERROR_LEN];
	int			slot;

	if (replica_shared == NULL)
		return;
	snprintf(msg, sizeof(msg),
			 "ledger.resync_subscription() %s the subscription's slot at the origin: %s",
			 what, message != NULL ? message : "(no message)");
	SpinLockAcquire(&replica_shared->mutex);
	slot = replica_slot_claim(subid, now);
	replica_shared->slots[slot].finish_lsn = InvalidXLogRecPtr;
	replica_shared->slots[slot].sqlerrcode = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	replica_shared->slots[slot].connection = false;
	replica_shared->slots[slot].reconnect = false;
	replica_shared->slots[slot].slot_lost = true;
	replica_shared->slots[slot].disable = true;
	replica_shared->slots[slot].disable_failed = false;
	strlcpy(replica_shared->slots[slot].message, msg, REPLICA_ERROR_LEN);
	replica_shared->changes++;
	SpinLockRelease(&replica_shared->mutex);
	if (write)
		(void) replica_errors_copy_write(WARNING, NULL, NULL);
}

/* what subid's slot of errors held before replica_resync_dropping() */
static ReplicaErrorSlot replica_resync_saved;
static int	replica_resync_saved_at = -1;

/*
 * The backend of a resync exits (its session terminated: FATAL, which runs
 * no PG_CATCH) before the resync dropped anything: the record of the slot
 * being dropped is taken back, as replica_resync_undo() does after an ERROR
 * at that step.  Until 2026-12-07 (last read) the record stayed, said "failed
 * after it dropped the subscription's slot", and the sealer disabled a
 * subscription whose slot and replication origin were intact
 * (test/t/596_resync_terminated_before_drop.pl).  Runs before the
 * transaction is aborted (a before_shmem_exit callback registered after
 * ShutdownPostgres's).
 */
static void
replica_resync_exit(int code, Datum arg)
{
	if (OidIsValid(replica_resync_subid) && replica_resync_step == 0)
		replica_resync_undo(replica_resync_subid);
}

/*
 * The resync dropped the old subscription here and now drops its slot at
 * the origin (slot_dropped false), or has dropped it (true).
 */
void
replica_resync_progress(bool slot_dropped)
{
	replica_resync_step = slot_dropped ? 2 : 1;
}

/*
 * Before resync_subscription() drops subscription subid (and then its slot
 * at the origin): record that the slot is lost, in the file before
 * anything is dropped (an ERROR, with nothing changed, if it cannot be
 * written).  replica_resync_undo() takes it back if the resync fails before
 * the slot's drop began; replica_resync_failed() records the error if it
 * fails after.
 */
void
replica_resync_dropping(Oid subid)
{
	int			i;

	if (replica_shared == NULL)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	replica_resync_saved_at = -1;
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (replica_shared->slots[i].subid == subid)
			break;
	if (i == REPLICA_ERROR_SLOTS)
	{
		/* the slot replica_slot_claim() will take */
		for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
			if (replica_resync_saved_at < 0 ||
				replica_shared->slots[i].at < replica_shared->slots[replica_resync_saved_at].at)
				replica_resync_saved_at = i;
		i = replica_resync_saved_at;
	}
	replica_resync_saved_at = i;
	replica_resync_saved = replica_shared->slots[i];
	SpinLockRelease(&replica_shared->mutex);

	if (!replica_resync_exit_armed)
	{
		before_shmem_exit(replica_resync_exit, (Datum) 0);
		replica_resync_exit_armed = true;
	}
	replica_resync_record(subid, "did not end after it began to drop",
						  "its transaction is still running, or it was rolled back or lost (a crash)", false);
	replica_resync_subid = subid;
	replica_resync_level = GetCurrentTransactionNestLevel();
	replica_resync_step = 0;
	if (!replica_errors_copy_write(LOG, NULL, NULL))
	{
		/*
		 * Why, in the error itself (until 2026-12-07 only the server log
		 * said, and the hint spoke of a full volume whatever the cause: a
		 * directory made read-only, a directory of the file's name;
		 * test/t/599_resync_windows.pl, part 2).
		 */
		int			why = replica_errors_errno;

		replica_resync_undo(subid);
		errno = why;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not record that subscription's slot at the origin is being dropped"),
				 errdetail("The file \"%s\" could not be written: %m; nothing was dropped.",
						   REPLICA_ERRORS_FILE),
				 errhint("Free space on the volume of the data directory, or let the server write the directory \"%s\" and the file, then call ledger.resync_subscription() again.",
						 PG_STAT_TMP_DIR)));
	}
}

/* The resync failed before it began to drop the slot: as before. */
void
replica_resync_undo(Oid subid)
{
	int			i = replica_resync_saved_at;

	replica_resync_subid = InvalidOid;
	if (replica_shared == NULL || i < 0)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	if (replica_shared->slots[i].subid == subid && replica_shared->slots[i].slot_lost)
		replica_shared->slots[i] = replica_resync_saved;
	replica_shared->changes++;
	SpinLockRelease(&replica_shared->mutex);
	replica_resync_saved_at = -1;
	(void) replica_errors_copy_write(WARNING, NULL, NULL);
}

/*
 * The resync failed (message: its error) after it dropped the slot, or
 * while it did (dropped false: the origin's answer did not come): the
 * failure is the subscription's last error.  Called once that error was
 * copied and flushed (sync_resync_failed), before it is raised again.
 */
void
replica_resync_failed(Oid subid, const char *message, bool dropped)
{
	replica_resync_subid = InvalidOid;
	replica_resync_saved_at = -1;
	replica_resync_record(subid, dropped ? "failed after it dropped" : "failed while it dropped",
						  message, true);
}

/* Has a failed resync dropped subid's slot at the origin? */
bool
replica_resync_slot_lost(Oid subid, char **message)
{
	bool		lost = false;
	char		msg[REPLICA_ERROR_LEN];
	int			i;

	if (replica_shared == NULL)
		return false;
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (replica_shared->slots[i].subid == subid && replica_shared->slots[i].slot_lost)
		{
			lost = true;
			memcpy(msg, replica_shared->slots[i].message, REPLICA_ERROR_LEN);
			break;
		}
	SpinLockRelease(&replica_shared->mutex);
	if (lost && message != NULL)
		*message = pstrdup(msg);
	return lost;
}

/*
 * The end of the origin transaction that subid's apply worker last
 * refused (the "finished at" of its error), or InvalidXLogRecPtr: none
 * known, or the last error was a lost connection or a transient one, which
 * ledger retries rather than skips.
 */
static XLogRecPtr
replica_refused_lsn(Oid subid)
{
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	int			i;

	if (replica_shared == NULL)
		return InvalidXLogRecPtr;
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (replica_shared->slots[i].subid == subid)
		{
			if (!replica_shared->slots[i].connection &&
				!replica_shared->slots[i].reconnect &&
				!replica_shared->slots[i].slot_lost)
				lsn = replica_shared->slots[i].finish_lsn;
			break;
		}
	SpinLockRelease(&replica_shared->mutex);
	return lsn;
}

/*
 * An administrator's ALTER SUBSCRIPTION pointed subid at another slot
 * (another origin, another slot name) and committed: the record of the
 * slot a failed resync dropped is taken back, and the subscription's
 * errors are its apply worker's again.
 */
static bool
replica_resync_forget(Oid subid)
{
	bool		forgot = false;
	int			i;

	if (replica_shared == NULL)
		return false;
	SpinLockAcquire(&replica_shared->mutex);
	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (replica_shared->slots[i].subid == subid && replica_shared->slots[i].slot_lost)
		{
			replica_shared->slots[i].slot_lost = false;
			replica_shared->slots[i].disable = false;
			replica_shared->slots[i].disable_failed = false;
			replica_shared->changes++;
			forgot = true;
		}
	SpinLockRelease(&replica_shared->mutex);
	return forgot;
}

/*
 * End of the transaction (or of a subtransaction at nesting level "level",
 * at its abort) in which this backend's resync dropped the slot.  At a
 * commit the old subscription is gone, and so is its slot of errors; at an
 * abort of the resync's (sub)transaction the record stays.
 */
static void
replica_resync_end(bool commit, int level)
{
	int			i;

	if (!OidIsValid(replica_resync_subid) || level > replica_resync_level)
		return;
	if (commit && replica_shared != NULL)
	{
		SpinLockAcquire(&replica_shared->mutex);
		for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
			if (replica_shared->slots[i].subid == replica_resync_subid &&
				replica_shared->slots[i].slot_lost)
				memset(&replica_shared->slots[i], 0, sizeof(ReplicaErrorSlot));
		replica_shared->changes++;
		SpinLockRelease(&replica_shared->mutex);
	}
	replica_resync_subid = InvalidOid;
	replica_resync_saved_at = -1;
	replica_resync_step = 0;
}

/*
 * Slot i, if it is still subid's: a reconnection made counts towards the
 * next one's delay (even if a newer error came since), and with clear its
 * reconnection is cleared if it still describes the error seen at "at".
 */
static void
replica_reconnect_done(int i, Oid subid, TimestampTz at, bool made, bool clear)
{
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&replica_shared->mutex);
	if (replica_shared->slots[i].subid == subid)
	{
		ReplicaErrorSlot *e = &replica_shared->slots[i];

		if (clear && e->at == at)
			e->reconnect = false;
		if (made)
		{
			if (e->reconnected_at != 0 &&
				!TimestampDifferenceExceeds(e->reconnected_at, now, REPLICA_RECONNECT_STREAK_MS))
				e->streak++;
			else
				e->streak = 0;
			e->reconnected_at = now;
		}
		replica_shared->changes++;
	}
	SpinLockRelease(&replica_shared->mutex);
}

/* Whether slot i still asks to enable subid again for the error at "at". */
static bool
replica_reconnect_pending(int i, Oid subid, TimestampTz at)
{
	bool		pending;

	SpinLockAcquire(&replica_shared->mutex);
	pending = replica_shared->slots[i].subid == subid &&
		replica_shared->slots[i].at == at && replica_shared->slots[i].reconnect;
	SpinLockRelease(&replica_shared->mutex);
	return pending;
}

/*
 * In a sealer, SPI connected: a subscription's name and whether it is
 * enabled, by sql (one parameter, its OID); false when no row.
 */
static bool
replica_read_subscription(const char *sql, Oid subid, char **subname, bool *enabled)
{
	Oid			type = OIDOID;
	Datum		arg = ObjectIdGetDatum(subid);
	bool		isnull;

	if (SPI_execute_with_args(sql, 1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_subscription");
	if (SPI_processed == 0)
		return false;
	*subname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	*enabled = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 2, &isnull));
	return true;
}

/*
 * In a sealer, SPI connected: ALTER SUBSCRIPTION subname ENABLE (or
 * DISABLE), as ledger itself: the guard neither cancels anything nor takes
 * the subscription's lock again.
 */
static void
replica_alter_self(const char *subname, bool enable)
{
	PG_TRY();
	{
		replica_enabling_self = true;
		if (SPI_execute(psprintf("ALTER SUBSCRIPTION %s %s", quote_identifier(subname),
								 enable ? "ENABLE" : "DISABLE"),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not %s subscription \"%s\"", enable ? "enable" : "disable", subname);
	}
	PG_FINALLY();
	{
		replica_enabling_self = false;
	}
	PG_END_TRY();
}

/*
 * The sealer's ALTER SUBSCRIPTION ... DISABLE of subid (slot i of errors)
 * failed (an administrator's event trigger refusing it, a lock timeout):
 * the error ends the sealer, and the disable is not tried again, as
 * replica_reconnect_subscriptions does not try an ENABLE that failed again.
 * The subscription's ENABLE stays refused (slot_lost) and its status names
 * the resync's failure; an administrator disables it.  Until 2026-12-07
 * (last read) the record still asked for the disable: every sealer started
 * again tried it at its first pass and ended by the same error, the
 * launcher's delay between sealers doubling to a minute, in which the
 * database's ledgers were not sealed (test/t/601_sealer_disable_fails.pl).
 * disable_failed, not disable alone: whatever asks for the disable again
 * (an apply worker of the subscription, still enabled, that finds its slot
 * lost) does not have it tried until another record (a resync that fails
 * again).  Only a spinlock here: called in a PG_CATCH.
 */
static void
replica_disable_failed(int i, Oid subid)
{
	SpinLockAcquire(&replica_shared->mutex);
	if (replica_shared->slots[i].subid == subid)
	{
		replica_shared->slots[i].disable = false;
		replica_shared->slots[i].disable_failed = true;
		replica_shared->changes++;
	}
	SpinLockRelease(&replica_shared->mutex);
}

/*
 * In a sealer, outside a transaction: disable subscription subid (slot i of
 * errors) if a failed resync dropped its slot at the origin and the
 * rollback (or a crash) left it enabled (replica_resync_dropping).  Not
 * while the resync's transaction holds the subscription's lock: tried again
 * at the next pass.  A subscription dropped meanwhile (the resync
 * committed) frees the slot of errors.
 */
static void
replica_disable_lost(int i, Oid subid)
{
	char	   *subname = NULL;
	bool		enabled = false;
	volatile bool gone = false;
	bool		pending;
	LOCKTAG		tag;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* (the locks as replica_reconnect_subscriptions takes them, below) */
	LockRelationOid(SubscriptionRelationId, AccessShareLock);
	SET_LOCKTAG_OBJECT(tag, InvalidOid, SubscriptionRelationId, subid, 0);
	if (LockAcquire(&tag, AccessExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		CommitTransactionCommand();
		return;
	}
	AcceptInvalidationMessages();
	/* an administrator's SET (slot_name) since the copy took it back */
	SpinLockAcquire(&replica_shared->mutex);
	pending = replica_shared->slots[i].subid == subid && replica_shared->slots[i].disable &&
		!replica_shared->slots[i].disable_failed;
	SpinLockRelease(&replica_shared->mutex);
	if (!pending)
	{
		CommitTransactionCommand();
		return;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!replica_read_subscription("SELECT s.subname, s.subenabled FROM pg_catalog.pg_subscription s "
								   "WHERE s.oid OPERATOR(pg_catalog.=) $1",
								   subid, &subname, &enabled))
		gone = true;
	if (enabled)
	{
		char	   *message = NULL;

		(void) replica_resync_slot_lost(subid, &message);
		ereport(LOG,
				(errmsg("ledger: disabling subscription \"%s\": ledger.resync_subscription() dropped its slot at the origin and did not commit",
						subname),
				 errdetail("%s", message != NULL ? message : "?"),
				 errhint("Call ledger.resync_subscription(%s) again once the cause of its failure is removed.",
						 quote_literal_cstr(subname))));
		PG_TRY();
		{
			replica_alter_self(subname, false);
		}
		PG_CATCH();
		{
			/* not tried again: see replica_disable_failed */
			replica_disable_failed(i, subid);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();

	SpinLockAcquire(&replica_shared->mutex);
	if (replica_shared->slots[i].subid == subid)
	{
		if (gone)
			memset(&replica_shared->slots[i], 0, sizeof(ReplicaErrorSlot));
		else
			replica_shared->slots[i].disable = false;
		replica_shared->changes++;
	}
	SpinLockRelease(&replica_shared->mutex);
}

/*
 * In a sealer of this database, outside a transaction: enable again each
 * subscription of replicas here that a lost connection to its origin or
 * a transient error disabled ledger.sync_reconnect_delay ago (doubled for
 * each reconnection in a row).  The apply worker then resumes from its slot at the origin:
 * nothing lost, nothing applied twice.  A subscription stopped for
 * anything else (a refused change above all) stays disabled, and so does
 * one an administrator has altered since.
 */
void
replica_reconnect_subscriptions(void)
{
	ReplicaErrorSlot copy[REPLICA_ERROR_SLOTS];
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	if (replica_shared == NULL)
		return;
	SpinLockAcquire(&replica_shared->mutex);
	memcpy(copy, replica_shared->slots, sizeof(copy));
	SpinLockRelease(&replica_shared->mutex);

	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
		if (OidIsValid(copy[i].subid) && copy[i].disable && !copy[i].disable_failed &&
			copy[i].dboid == MyDatabaseId)
			replica_disable_lost(i, copy[i].subid);
	if (ledger_sync_reconnect_delay < 0)
		return;

	for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
	{
		ReplicaErrorSlot *e = &copy[i];
		char	   *subname = NULL;
		bool		enabled = false;
		bool		enabling = false;
		LOCKTAG		tag;

		if (!OidIsValid(e->subid) || !e->reconnect || e->dboid != MyDatabaseId ||
			replica_reconnect_due(e) > now)
			continue;

		/* (runs in the sealer: the statement clock, as its own transactions) */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();

		/*
		 * The subscription's lock before its row is read: PostgreSQL's ALTER
		 * SUBSCRIPTION reads the row and then waits for the lock, so beside
		 * an administrator's ALTER SUBSCRIPTION of it in an open transaction
		 * the ENABLE below failed with "tuple concurrently updated" once
		 * theirs committed.  Not waited for (the sealer has ledgers to seal,
		 * and an administrator's ALTER cancels the reconnection): tried again
		 * at the next pass while it is pending.  pg_subscription's lock
		 * first, in PostgreSQL's order (DROP SUBSCRIPTION takes the table's
		 * lock, then the subscription's), as the read below would take it.
		 */
		LockRelationOid(SubscriptionRelationId, AccessShareLock);
		SET_LOCKTAG_OBJECT(tag, InvalidOid, SubscriptionRelationId, e->subid, 0);
		if (LockAcquire(&tag, AccessExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		{
			CommitTransactionCommand();
			continue;
		}
		AcceptInvalidationMessages();
		/* an administrator's ALTER SUBSCRIPTION since the copy cancelled it */
		if (!replica_reconnect_pending(i, e->subid, e->at))
		{
			CommitTransactionCommand();
			continue;
		}
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		(void) replica_read_subscription("SELECT s.subname, s.subenabled FROM ledger.replicas r "
										 REPLICA_SUBSCRIPTION_JOIN
										 "WHERE s.oid OPERATOR(pg_catalog.=) $1 LIMIT 1",
										 e->subid, &subname, &enabled);

		if (subname == NULL)
		{
			/* dropped, or not a subscription of replicas: not ours */
			replica_reconnect_done(i, e->subid, e->at, false, true);
		}
		else if (enabled)
		{
			/*
			 * Not disabled yet (the apply worker disables it after reporting
			 * the error), or the error did not stop it (it came before the
			 * worker streamed, and the worker tries again on its own).
			 */
			if (TimestampDifferenceExceeds(e->at, now, 60 * 1000))
				replica_reconnect_done(i, e->subid, e->at, false, true);
		}
		else
		{
			/*
			 * Counted first (the apply worker may fail again before the
			 * commit below is over); cleared once the ENABLE has committed,
			 * so that replication_status never reads "disabled" in between.
			 */
			replica_reconnect_done(i, e->subid, e->at, true, false);
			enabling = true;
			if (e->connection)
				ereport(LOG,
						(errmsg("ledger: enabling subscription \"%s\" again after it lost its connection to the origin",
								subname),
						 errdetail("It was disabled by an error of its apply worker at %s: %s",
								   timestamptz_to_str(e->at), e->message),
						 errhint("Set ledger.sync_reconnect_delay to -1 to leave such subscriptions disabled.")));
			else
				ereport(LOG,
						(errmsg("ledger: enabling subscription \"%s\" again after a transient error of its apply worker (SQLSTATE %s)",
								subname, unpack_sql_state(e->sqlerrcode)),
						 errdetail("It was disabled by an error of its apply worker at %s: %s",
								   timestamptz_to_str(e->at), e->message),
						 errhint("Set ledger.sync_reconnect_delay to -1 to leave such subscriptions disabled.")));
		}
		PG_TRY();
		{
			if (enabling)
			{
				replica_alter_self(subname, true);
			}
			SPI_finish();
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			/* should enabling fail, it is not tried again */
			replica_enabling_self = false;
			if (enabling)
				replica_reconnect_done(i, e->subid, e->at, false, true);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (enabling)
			replica_reconnect_done(i, e->subid, e->at, false, true);
	}
}

/* Refuse what a subscription applies to a ledger it does not own. */
static void
replica_check_subscription(LedgerInfo *info, const char *relname, const char *sub)
{
	if (!info->replica)
		ereport(ERROR,
				(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
				 errmsg("subscription \"%s\" sent a change of ledger \"%s\", which is not a replica here",
						sub, relname),
				 errdetail("A ledger is written by its origin; its peers hold replicas that only the subscription from that origin writes."),
				 errhint("Check the publication at the origin: it must publish only the origin's own ledgers.")));
	if (info->subscription == NULL || strcmp(info->subscription, sub) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
				 errmsg("subscription \"%s\" sent a change of ledger \"%s\", which is a replica for subscription \"%s\"",
						sub, relname, info->subscription ? info->subscription : "(none)"),
				 errhint("Each origin's ledgers come through one subscription.")));
}

/* ERROR unless a write to ledger info may happen in this backend. */
void
replica_check_write(LedgerInfo *info, Relation rel)
{
	const char *sub = replica_applying();

	if (sub != NULL)
		replica_check_subscription(info, RelationGetRelationName(rel), sub);
	else if (info->replica)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot insert into ledger table \"%s\": it is a replica",
						RelationGetRelationName(rel)),
				 errdetail("The ledger is written by its origin and replicated here by subscription \"%s\".",
						   info->subscription ? info->subscription : "(dropped)"),
				 errhint("Insert at the origin.")));
}

/* The state of (ledger_id, xact) in this apply transaction. */
static ReplicaXact *
replica_xact(int64 ledger_id, int64 xact, bool create)
{
	int64		key[2] = {ledger_id, xact};
	bool		found;
	ReplicaXact *rx;

	if (replica_xacts == NULL)
	{
		HASHCTL		ctl;

		if (!create)
			return NULL;
		/* kept from one apply transaction to the next while it ends empty */
		ctl.keysize = 2 * sizeof(int64);
		ctl.entrysize = sizeof(ReplicaXact);
		ctl.hcxt = TopMemoryContext;
		replica_xacts = hash_create("ledger replica transactions", 64, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	rx = hash_search(replica_xacts, key, create ? HASH_ENTER : HASH_FIND, &found);
	if (create && !found)
	{
		rx->count = 0;
		rx->last_seq = -1;
		rx->relname = NULL;
		rx->relid = InvalidOid;
		rx->keys = NIL;
		rx->last_key = NULL;
		merkle_stream_init(&rx->ms);
	}
	return rx;
}

/*
 * A row of a replica ledger arrived with its hash, which matched: count it
 * for its transaction's record, which must arrive in the same transaction.
 */
void
replica_row_arrived(LedgerInfo *info, Relation rel, int64 xact, int64 seq,
					const uint8 *leaf)
{
	ReplicaXact *rx = replica_xact(info->ledger_id, xact, true);

	if (seq <= rx->last_seq)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rows of transaction " INT64_FORMAT " of ledger \"%s\" arrived out of sequence",
						xact, RelationGetRelationName(rel)),
				 errdetail("Sequence " INT64_FORMAT " after " INT64_FORMAT ".", seq, rx->last_seq),
				 errhint("The origin's history was changed; the replica refuses it.")));
	if (rx->relname == NULL)
	{
		rx->relname = MemoryContextStrdup(TopTransactionContext, RelationGetRelationName(rel));
		rx->relid = info->relid;
	}
	rx->last_seq = seq;
	rx->count++;
	merkle_stream_add(&rx->ms, leaf);
}

/*
 * A row of a signed replica ledger passed its signature check: remember
 * its key (and the first row it signed, for messages) for the check of the
 * key at the origin's commit time, when the transaction's record arrives.
 */
void
replica_signed_row(int64 ledger_id, int64 xact, const char *key_id,
				   const char *ident)
{
	ReplicaXact *rx = replica_xact(ledger_id, xact, true);
	MemoryContext old;
	ListCell   *lc;
	SignedKeyUse *u;

	/* a run of rows by one key costs one comparison per row */
	if (rx->last_key != NULL && strcmp(rx->last_key->key_id, key_id) == 0)
		return;
	foreach(lc, rx->keys)
	{
		u = lfirst(lc);
		if (strcmp(u->key_id, key_id) == 0)
		{
			rx->last_key = u;
			return;
		}
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	u = palloc(sizeof(SignedKeyUse));
	u->key_id = pstrdup(key_id);
	u->ident = pstrdup(ident);
	rx->keys = lappend(rx->keys, u);
	rx->last_key = u;
	MemoryContextSwitchTo(old);
}

/* Forget every known record and head. */
static void
replica_forget_known(void)
{
	if (replica_known_cxt != NULL)
		MemoryContextReset(replica_known_cxt);
	replica_known = NULL;
	replica_known_heads = NULL;
}

/* Create the tables of known records and heads if they are not there. */
static void
replica_known_init(void)
{
	HASHCTL		ctl;

	if (replica_known != NULL)
		return;
	if (replica_known_cxt == NULL)
		replica_known_cxt = AllocSetContextCreate(TopMemoryContext,
												  "ledger replica known records",
												  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = 2 * sizeof(int64);
	ctl.entrysize = sizeof(ReplicaKnownRecord);
	ctl.hcxt = replica_known_cxt;
	replica_known = hash_create("ledger replica known records", 256, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(ReplicaKnownHead);
	ctl.hcxt = replica_known_cxt;
	replica_known_heads = hash_create("ledger replica known heads", 16, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * A record passed its check in this backend and is about to be inserted:
 * keep it as known unsealed.  The first time for a ledger, its newest block
 * is read and kept with it.  SPI not connected.
 */
static void
replica_know_record(int64 ledger_id, const LedgerRecord *rec)
{
	int64		key[2] = {ledger_id, rec->xact_id};
	ReplicaKnownHead *h;
	ReplicaKnownRecord *k;
	bool		found;

	replica_known_init();
	if (hash_get_num_entries(replica_known) >= REPLICA_KNOWN_MAX)
		return;
	h = hash_search(replica_known_heads, &ledger_id, HASH_FIND, NULL);
	if (h == NULL)
	{
		LedgerBlock head;
		bool		has_head = block_read_head(ledger_id, false, &head);

		h = hash_search(replica_known_heads, &ledger_id, HASH_ENTER, NULL);
		h->has_head = has_head;
		h->block_no = has_head ? head.block_no : -1;
		if (has_head)
			memcpy(h->block_hash, head.block_hash, LEDGER_HASH_LEN);
		else
			memset(h->block_hash, 0, LEDGER_HASH_LEN);
	}
	k = hash_search(replica_known, key, HASH_ENTER, &found);
	k->rec = *rec;
}

/*
 * May the known records of a ledger stand for its records?  Only while its
 * newest block is the one this backend last saw; else they are forgotten.
 */
static bool
replica_known_usable(int64 ledger_id, bool has_head, const LedgerBlock *head)
{
	ReplicaKnownHead *h;

	if (replica_known == NULL)
		return false;
	h = hash_search(replica_known_heads, &ledger_id, HASH_FIND, NULL);
	if (h != NULL && h->has_head == has_head &&
		(!has_head || (h->block_no == head->block_no &&
					   memcmp(h->block_hash, head->block_hash, LEDGER_HASH_LEN) == 0)))
		return true;
	if (h != NULL)
		replica_forget_known();
	return false;
}

/*
 * A block was checked in this backend: its transactions are no longer
 * unsealed, and it is the ledger's newest block.
 */
static void
replica_known_sealed(int64 ledger_id, const LedgerBlock *b)
{
	ReplicaKnownHead *h;
	int			i;

	replica_known_init();
	for (i = 0; i < b->nxacts; i++)
	{
		int64		key[2] = {ledger_id, b->xact_ids[i]};

		hash_search(replica_known, key, HASH_REMOVE, NULL);
	}
	h = hash_search(replica_known_heads, &ledger_id, HASH_ENTER, NULL);
	h->has_head = true;
	h->block_no = b->block_no;
	memcpy(h->block_hash, b->block_hash, LEDGER_HASH_LEN);
}

/* A subtransaction aborted: what it knew may not have been written. */
static void
replica_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		replica_forget_known();
		replica_resync_end(false, GetCurrentTransactionNestLevel());
	}
	if (event == SUBXACT_EVENT_ABORT_SUB || event == SUBXACT_EVENT_COMMIT_SUB)
		replica_cancels_end_sub(event == SUBXACT_EVENT_COMMIT_SUB,
								GetCurrentTransactionNestLevel());
}

/*
 * The apply worker of a subscription of replicas logs its lock waits, as
 * the extension's own workers do (worker.c), whatever the server's
 * log_lock_waits: a lock a DBA holds at the peer on a replica or on one of
 * the extension's tables (LOCK TABLE, VACUUM FULL, CLUSTER, REINDEX, CREATE
 * INDEX, or any of them queued behind a pg_dump) stops the subscription's
 * apply for as long as it is held, and before 2026-12-07 nothing said so:
 * replication_status went on showing the subscription streaming, its
 * verified block falling behind the origin's.  Decided once per apply
 * worker, at the end of the transaction in which PostgreSQL's
 * ApplyWorkerMain reads the subscription (before any change is applied), by
 * whether ledger.replicas names the subscription; the apply workers of
 * other subscriptions keep the server's setting.  Not while a DBA's lock
 * keeps ledger.replicas from being read: the next transaction decides.
 */
static bool replica_lock_waits_decided = false;

/* This apply worker's subscription is one of replicas (decided as above). */
static bool replica_worker_ours = false;

/*
 * Keep this apply worker's errors in the server log.  PostgreSQL calls
 * emit_log_hook only for a message it logs, and with log_min_messages at
 * log, fatal or panic it logs no ERROR: replica_emit_log then never saw the
 * worker's errors, so replication_status showed no last_error, and a
 * subscription that PostgreSQL disabled for a lost connection or a
 * transient error (a deadlock with a DBA's session) stayed disabled until
 * someone enabled it by hand (until 2026-12-07; test/t/556, part 4, whose
 * own log_min_messages = log had been taken for PostgreSQL 15 reporting no
 * error for a lost deadlock).  So the worker logs at the server's setting,
 * but from error up where that is log, fatal or panic: set when the worker
 * is found to be ours and again at the end of each of its transactions.
 * Set as a SET is (PGC_S_SESSION), always once: a reload does not change
 * the value in use, so the worker never logs above error, not even between
 * a reload to log and its next commit, while the server's setting (the
 * reset value, which a reload updates under a SET) is what is read at each
 * commit.  As an override (PGC_S_OVERRIDE, until 2026-12-07) the value was
 * fixed for the life of the worker, reset value included: a DBA's later
 * log_min_messages (debug2 to see what the worker does, or warning back
 * again) never reached it (test/t/557_apply_log_level.pl).
 */
static bool replica_log_level_set = false;

static void
replica_keep_errors_logged(void)
{
	const char *server = GetConfigOptionResetString("log_min_messages");
	const char *want = server;

	if (strcmp(server, "log") == 0 || strcmp(server, "fatal") == 0 ||
		strcmp(server, "panic") == 0)
		want = "error";
	if (!replica_log_level_set ||
		strcmp(GetConfigOption("log_min_messages", false, false), want) != 0)
		SetConfigOption("log_min_messages", want, PGC_SUSET, PGC_S_SESSION);
	replica_log_level_set = true;
}

static void
replica_decide_lock_waits(void)
{
	Oid			relid;
	Relation	rel;
	SysScanDesc scan;
	Snapshot	snap;
	HeapTuple	tup;
	bool		ours = false;

	if (!OidIsValid(get_extension_oid("ledger", true)) || !ledger_catalog_has_replicas())
	{
		replica_lock_waits_decided = true;
		return;
	}
	relid = ledger_catalog_relid("replicas");
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
	{
		/*
		 * Not decided while a DBA's lock keeps ledger.replicas from being
		 * read: meanwhile the worker logs its errors as one of a subscription
		 * of replicas would (a lock timeout waiting for that very lock is one
		 * ledger must see), put back below if it turns out not to be.
		 */
		replica_keep_errors_logged();
		return;
	}
	replica_lock_waits_decided = true;
	rel = table_open(relid, NoLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, InvalidOid, false, snap, 0, NULL);
	while (!ours && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		ours = !isnull && strcmp(NameStr(*DatumGetName(d)), MySubscription->name) == 0;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	if (ours)
	{
		replica_worker_ours = true;
		SetConfigOption("log_lock_waits", "on", PGC_SUSET, PGC_S_OVERRIDE);
		replica_keep_errors_logged();
	}
	else if (replica_log_level_set)
	{
		/* the server's setting again (a RESET) */
		SetConfigOption("log_min_messages", NULL, PGC_SUSET, PGC_S_SESSION);
		replica_log_level_set = false;
	}
}

/*
 * This apply worker checked, at the end of the transaction in which
 * PostgreSQL's ApplyWorkerMain reads the subscription (before it connects
 * to the origin), that no failed resync dropped its subscription's slot.
 */
static bool replica_worker_slot_checked = false;

/*
 * An apply worker starts: refused (an ERROR, before it connects to the
 * origin) while the subscription's slot at the origin is one that a failed
 * resync dropped (replica_resync_dropping), until the sealer disables the
 * subscription.  Until 2026-12-07 (resync4) the worker started and
 * streamed from whatever slot of that name the origin had: after a crash
 * of the peer (or a terminated resync) once the resync had made its new
 * slot, that slot, at a later position than the old subscription had
 * reached, so the origin's changes in between never arrived and those
 * after it were applied, until the sealer disabled the subscription (a
 * seal_interval or so after the restart; for ever without a sealer);
 * test/t/599_resync_windows.pl, part 1.  PostgreSQL restarts the worker
 * after wal_retrieve_retry_interval; its error does not replace the
 * resync's as the subscription's last error (replica_emit_log).
 */
static void
replica_worker_check_slot(void)
{
	char	   *message = NULL;

	replica_worker_slot_checked = true;
	if (replica_resync_slot_lost(MySubscription->oid, &message))
	{
		int			i;

		/*
		 * and the sealer is to disable it, should the record have come back
		 * without that (a crash after an ALTER SUBSCRIPTION ... SET
		 * (slot_name = ...) committed, before the file said so)
		 */
		SpinLockAcquire(&replica_shared->mutex);
		for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
			if (replica_shared->slots[i].subid == MySubscription->oid &&
				replica_shared->slots[i].slot_lost && !replica_shared->slots[i].disable)
			{
				replica_shared->slots[i].disable = true;
				replica_shared->changes++;
			}
		SpinLockRelease(&replica_shared->mutex);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("logical replication apply worker for subscription \"%s\" cannot start: ledger.resync_subscription() dropped its slot at the origin",
						MySubscription->name),
				 errdetail("%s", message),
				 errhint("Call ledger.resync_subscription(%s), which makes the slot and the subscription again and copies what the origin wrote meanwhile.",
						 quote_literal_cstr(MySubscription->name))));
	}
}

/* End of an apply transaction: every row arrived with its record. */
static void
replica_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT && !replica_worker_slot_checked &&
		IsLogicalWorker() && MySubscription != NULL &&
		MyLogicalRepWorker != NULL && !OidIsValid(MyLogicalRepWorker->relid))
		replica_worker_check_slot();

	if (event == XACT_EVENT_PRE_COMMIT && !replica_lock_waits_decided &&
		IsLogicalWorker() && MySubscription != NULL &&
		MyLogicalRepWorker != NULL && !OidIsValid(MyLogicalRepWorker->relid))
		replica_decide_lock_waits();
	else if (event == XACT_EVENT_PRE_COMMIT && replica_worker_ours)
		replica_keep_errors_logged();

	if (event == XACT_EVENT_PRE_COMMIT && replica_error_unsaved && replica_shared != NULL)
	{
		ReplicaErrorSlot copy[REPLICA_ERROR_SLOTS];
		bool		reconnect = false;
		int			i;

		replica_error_unsaved = false;
		if (!replica_errors_copy_write(LOG, NULL, copy) &&
			IsLogicalWorker() && MySubscription != NULL)
		{
			for (i = 0; i < REPLICA_ERROR_SLOTS; i++)
				if (copy[i].subid == MySubscription->oid)
					reconnect = copy[i].reconnect;

			/*
			 * This transaction disables the subscription after its error
			 * (disable_on_error).  Once it commits, only the file says that
			 * ledger is to enable it again: a crash before the file can be
			 * written (a full volume, where WAL cannot be written either and
			 * PostgreSQL PANICs) would leave it disabled for good, with no
			 * error shown.  So the disabling fails too: the subscription
			 * stays enabled, PostgreSQL starts the apply worker again after
			 * wal_retrieve_retry_interval, and the change applies once the
			 * cause is gone.  A refused change needs no file (it is never
			 * enabled again by ledger) and is disabled as before.
			 */
			if (reconnect)
			{
				replica_error_keep = true;
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("subscription \"%s\" is not disabled after the transient error of its apply worker",
								MySubscription->name),
						 errdetail("The file \"%s\", which keeps the error and the reconnection across a crash, could not be written.",
								   REPLICA_ERRORS_FILE),
						 errhint("PostgreSQL starts the apply worker again until the file can be written: free space on the volume of the data directory.")));
			}
		}
	}

	/*
	 * At the PREPARE too: a subscription made with two_phase = true applies
	 * an origin's PREPARE TRANSACTION as a PREPARE here, and its COMMIT
	 * PREPARED later in a transaction of its own, which carries none of the
	 * rows.  Until 2026-12-07 the check ran at commit only, and rows that no
	 * record followed were kept when they came in a prepared transaction
	 * (test/t/598_sub_options.pl).
	 */
	if ((event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE) &&
		replica_xacts != NULL && hash_get_num_entries(replica_xacts) > 0)
	{
		HASH_SEQ_STATUS hs;
		ReplicaXact *rx;

		hash_seq_init(&hs, replica_xacts);
		/* an entry left is rows whose record did not follow them */
		while ((rx = hash_seq_search(&hs)) != NULL)
		{
			{
				hash_seq_term(&hs);
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("rows of transaction " INT64_FORMAT " of ledger \"%s\" arrived without a transaction record",
								rx->key[1], rx->relname ? rx->relname : "?"),
						 errdetail_plural("%lld row arrived; a row belongs to the ledger only with the record of its transaction.",
										  "%lld rows arrived; a row belongs to the ledger only with the record of its transaction.",
										  (unsigned long) rx->count, (long long) rx->count),
						 errhint("The rows were inserted around the ledger at the origin; the replica refuses them.")));
			}
		}
	}

	/* reconnections that this transaction's ALTER SUBSCRIPTIONs cancel */
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
		replica_cancels_save();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		replica_cancels_end(true, event == XACT_EVENT_PREPARE);
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		replica_cancels_end(false, false);

	/* a resync of this transaction dropped a slot: committed, or not */
	if (event == XACT_EVENT_COMMIT)
		replica_resync_end(true, 1);
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE)
		replica_resync_end(false, 1);

	/*
	 * Entries point into the transaction's memory: a table that ends empty
	 * (every commit, as checked above) is kept for the next one.
	 */
	if ((event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		 event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_ABORT) &&
		replica_xacts != NULL && hash_get_num_entries(replica_xacts) > 0)
	{
		hash_destroy(replica_xacts);
		replica_xacts = NULL;
	}

	/*
	 * What an aborted transaction knew was not written; a prepared one may
	 * still be rolled back, in another transaction.
	 */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		replica_forget_known();

	/*
	 * An apply transaction refused at commit (above) has already set the
	 * replication origin's progress to the end of the refused origin
	 * transaction.  PostgreSQL 15's apply worker then disables the
	 * subscription in a transaction of its own, whose commit would record
	 * that progress: the refused transaction would never be sent again, and
	 * ALTER SUBSCRIPTION ... SKIP at its LSN would be refused.  The worker
	 * exits after any error; forget the progress of what was not applied.
	 */
	if (event == XACT_EVENT_ABORT && IsLogicalWorker())
	{
		replorigin_session_origin_lsn = InvalidXLogRecPtr;
		replorigin_session_origin_timestamp = 0;
	}
}

/* Register callbacks; called from _PG_init. */
void
replica_init(void)
{
	DefineCustomIntVariable("ledger.sync_reconnect_delay",
							"Time after a lost connection to its origin or a transient error disables a subscription of ledger replicas before it is enabled again.",
							"Transient: a lock timeout, deadlock or serialization failure, a cancelled statement, resources exhausted.  Doubled for each reconnection within 5 minutes of the one before, up to 32 times.  -1: such subscriptions stay disabled until ALTER SUBSCRIPTION ... ENABLE.  A subscription stopped by a refused change is never enabled again by itself.",
							&ledger_sync_reconnect_delay,
							10, -1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	RegisterXactCallback(replica_xact_callback, NULL);
	RegisterSubXactCallback(replica_subxact_callback, NULL);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = replica_emit_log;
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = replica_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = replica_shmem_startup;
}

/*
 * The largest transaction number each replica ledger holds, as far as this
 * backend knows: read once from the catalog, then raised by each record
 * that passes its check here.  Too high (an insert that then failed, a
 * resync that removed records) only costs look-ups; too low (records a
 * resync copied in another backend) leaves a record held already to the
 * catalog's primary key, which refuses it with its own error.
 */
typedef struct ReplicaMaxXact
{
	int64		ledger_id;		/* hash key */
	int64		max_xact;
} ReplicaMaxXact;

static HTAB *replica_max_xacts = NULL;

/* Might the replica hold transaction xact_id of the ledger already? */
static bool
replica_may_hold(int64 ledger_id, int64 xact_id)
{
	ReplicaMaxXact *m;
	int64		max_xact;

	if (replica_max_xacts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(ReplicaMaxXact);
		ctl.hcxt = TopMemoryContext;
		replica_max_xacts = hash_create("ledger replica largest transaction numbers", 16, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	m = hash_search(replica_max_xacts, &ledger_id, HASH_FIND, NULL);
	if (m == NULL)
	{
		/* read before the entry is made: an error leaves none behind */
		max_xact = record_max_xact(ledger_id, GetLatestSnapshot());
		m = hash_search(replica_max_xacts, &ledger_id, HASH_ENTER, NULL);
		m->max_xact = max_xact;
	}
	return xact_id <= m->max_xact;
}

/* A record of the ledger passed its check here: raise the memo. */
static void
replica_note_held(int64 ledger_id, int64 xact_id)
{
	ReplicaMaxXact *m;

	if (replica_max_xacts == NULL)
		return;
	m = hash_search(replica_max_xacts, &ledger_id, HASH_FIND, NULL);
	if (m != NULL && xact_id > m->max_xact)
		m->max_xact = xact_id;
}

/* ---------- ledger.catalog_guard() ---------- */

/* The ledgers of arriving catalog rows seen last (ledger_id 0: free). */
#define REPLICA_LEDGER_CACHE 16
static struct
{
	int64		ledger_id;
	Oid			relid;
}			replica_ledger_cache[REPLICA_LEDGER_CACHE];
static int	replica_ledger_next = 0;

/* The replica ledger of a catalog row's ledger_id, checked for this subscription. */
static LedgerInfo *
replica_ledger_of(int64 ledger_id, const char *sub, Relation catrel)
{
	Oid			relid;
	Relation	rel;
	LedgerInfo *info;
	int			i;

	/*
	 * Every record and block of an origin transaction names its ledger: the
	 * table of the ledgers seen last spares a catalog query for each.  An
	 * entry is only a guess: the table's ledger description (rebuilt on every
	 * relcache invalidation, so after a drop, a re-creation, a reuse of the
	 * OID or a move to another subscription) must still name this ledger, and
	 * the subscription is checked as on a miss.  A wrong guess frees its
	 * entry.
	 */
	for (i = 0; i < REPLICA_LEDGER_CACHE && ledger_id > 0; i++)
	{
		if (replica_ledger_cache[i].ledger_id != ledger_id)
			continue;
		rel = try_relation_open(replica_ledger_cache[i].relid, AccessShareLock);
		if (rel != NULL)
		{
			info = ledger_info_lookup(rel);
			if (info != NULL && info->ledger_id == ledger_id)
			{
				replica_check_subscription(info, RelationGetRelationName(rel), sub);
				relation_close(rel, AccessShareLock);
				return info;
			}
			relation_close(rel, AccessShareLock);
		}
		replica_ledger_cache[i].ledger_id = 0;
	}
	relid = ledger_relation_of_id(ledger_id);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
				 errmsg("subscription \"%s\" sent a row of \"%s\" for ledger " INT64_FORMAT ", which is not registered here",
						sub, RelationGetRelationName(catrel), ledger_id),
				 errhint("A ledger added to the origin's publication must be set up here first: call ledger.resync_subscription().")));
	rel = relation_open(relid, AccessShareLock);
	info = ledger_info_lookup(rel);
	if (info == NULL)
		elog(ERROR, "ledger " INT64_FORMAT " lost its table", ledger_id);
	replica_check_subscription(info, RelationGetRelationName(rel), sub);
	relation_close(rel, AccessShareLock);
	replica_ledger_cache[replica_ledger_next].ledger_id = ledger_id;
	replica_ledger_cache[replica_ledger_next].relid = relid;
	replica_ledger_next = (replica_ledger_next + 1) % REPLICA_LEDGER_CACHE;
	return info;
}

/* Refuse a change of history arriving from an origin. */
static void
replica_refuse(const char *sub, const char *what, Relation catrel)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
			 errmsg("subscription \"%s\" sent %s of \"ledger.%s\", which a replica refuses",
					sub, what, RelationGetRelationName(catrel)),
			 errdetail("Recorded history is only ever appended to; the origin's history was changed."),
			 errhint("Find out what happened at the origin; ledger.verify() there names the change.")));
}

/*
 * A catalog row arrived with NULL in a column the catalog holds no NULL in:
 * refused before any check reads it.  A column list in the origin's
 * publication leaves the columns it omits NULL in what arrives (as does a
 * row the origin holds with NULL there, its constraint dropped); the
 * checks below read those columns as values.
 */
static void
replica_refuse_nulls(HeapTuple tup, Relation rel, const char *sub)
{
	TupleDesc	td = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped || !att->attnotnull || !heap_attisnull(tup, i + 1, td))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("subscription \"%s\" sent a row of \"ledger.%s\" without %s, which a replica refuses",
						sub, RelationGetRelationName(rel), NameStr(att->attname)),
				 errdetail("The origin's publication leaves the column out (a column list), or the origin holds the row with NULL there."),
				 errhint("Publish ledgers at the origin with ledger.create_publication(), whose publication carries every column of the catalog.")));
	}
}

/*
 * A hash of an arriving record (relname NULL: no is its transaction) or
 * block (no is its number): 32 bytes, or the change is refused.  Not
 * ledger_bytea_to_hash, whose hint ("Run ledger.verify()") fits a stored
 * hash, not one arriving at a replica, where nothing was stored (found by a
 * review on 2026-12-06).
 */
static void
replica_arrived_hash(Datum d, uint8 *out, const char *what, int64 no, int64 ledger_id,
					 const char *relname)
{
	bytea	   *b = DatumGetByteaPP(d);
	size_t		len = VARSIZE_ANY_EXHDR(b);

	if (len != LEDGER_HASH_LEN)
	{
		if (relname != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger \"%s\" arrived with a %s of %zu bytes, not a 32-byte hash",
							no, relname, what, len),
					 errhint("The origin's history was changed; the replica refuses it.")));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the record of transaction " INT64_FORMAT " of ledger " INT64_FORMAT " arrived with a %s of %zu bytes, not a 32-byte hash",
						no, ledger_id, what, len),
				 errhint("The origin's history was changed; the replica refuses it.")));
	}
	memcpy(out, VARDATA_ANY(b), LEDGER_HASH_LEN);
}

/* A transaction record arrived: it must match the rows that arrived. */
static void
replica_check_record(HeapTuple tup, TupleDesc td, const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(heap_getattr(tup, 1, td, &isnull));
	LedgerRecord rec;
	ReplicaXact *rx;
	uint8		root[LEDGER_HASH_LEN];
	Oid			relid;

	rec.xact_id = DatumGetInt64(heap_getattr(tup, 2, td, &isnull));
	rec.row_count = DatumGetInt64(heap_getattr(tup, 3, td, &isnull));
	replica_arrived_hash(heap_getattr(tup, 4, td, &isnull), rec.root, "root", rec.xact_id,
						 ledger_id, NULL);
	rec.committed_at = DatumGetTimestampTz(heap_getattr(tup, 5, td, &isnull));

	rx = replica_xact(ledger_id, rec.xact_id, false);

	/*
	 * its rows were checked as rows of a replica of this subscription, of
	 * this ledger (rx is per ledger)
	 */
	relid = rx != NULL ? rx->relid : replica_ledger_of(ledger_id, sub, catrel)->relid;
	if (rx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the record of transaction " INT64_FORMAT " of ledger " INT64_FORMAT " arrived without its rows",
						rec.xact_id, ledger_id),
				 errhint("The origin's history was changed; the replica refuses it.")));

	/*
	 * A transaction the replica holds already: the origin went back to an
	 * earlier state (a restore, a standby that had not received everything)
	 * and numbers its new transactions as the ones its peers hold, or its
	 * history was changed.  Said here rather than by the catalog's primary
	 * key, whose error names no ledger and no fork.  Looked up only for a
	 * number no larger than the largest this ledger holds, as far as this
	 * backend knows (replica_may_hold): an origin's transactions mostly
	 * arrive in the order of their numbers, and a look-up of each cost every
	 * single-row transaction applied an index probe.  Whatever the memo says,
	 * the primary key still refuses a record held already.
	 */
	if (replica_may_hold(ledger_id, rec.xact_id))
	{
		uint64		nheld;
		LedgerRecord *held = record_read_xact(ledger_id, rec.xact_id, GetLatestSnapshot(), &nheld);

		if (nheld > 0)
		{
			/* timestamptz_to_str returns a static buffer */
			char	   *held_at = pstrdup(timestamptz_to_str(held[0].committed_at));

			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("subscription \"%s\" sent transaction " INT64_FORMAT " of ledger \"%s\", which the replica holds already",
							sub, rec.xact_id, rx->relname),
					 errdetail("The replica holds it with " INT64_FORMAT " rows, committed at %s; the origin sent " INT64_FORMAT " rows, committed at %s.",
							   held[0].row_count, held_at,
							   rec.row_count, timestamptz_to_str(rec.committed_at)),
					 errhint("The origin shows a history other than the one this replica holds: it was restored from a backup or a standby that lacked what this replica holds, or its history was changed. The replica refuses it; ledger.resync_subscription('%s') reports the difference.",
							 sub)));
		}
	}
	merkle_stream_root(&rx->ms, root);
	if (rx->count != rec.row_count || memcmp(root, rec.root, LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the record of transaction " INT64_FORMAT " of ledger \"%s\" does not match the rows that arrived with it",
						rec.xact_id, rx->relname),
				 errdetail_internal("The record counts " INT64_FORMAT " rows, " INT64_FORMAT " arrived; the roots %s.",
									rec.row_count, rx->count,
									memcmp(root, rec.root, LEDGER_HASH_LEN) == 0 ? "match" : "differ"),
				 errhint("The origin's history was changed; the replica refuses it.")));

	/* the keys that signed its rows, at the origin's commit time */
	if (rx->keys != NIL)
		signed_replica_check_keys(ledger_id, relid, rec.xact_id,
								  rec.committed_at, rx->keys);

	/*
	 * done with it: a row of it arriving later opens an entry no record
	 * covers
	 */
	hash_search(replica_xacts, rx->key, HASH_REMOVE, NULL);

	/* known unsealed, for its block (an insert that fails forgets it) */
	replica_know_record(ledger_id, &rec);
	replica_note_held(ledger_id, rec.xact_id);
}

/* qsort and bsearch comparator of int64 */
static int
replica_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The first block of the ledger that lists one of the n transactions of
 * sorted (ascending), or -1; *which is the transaction it lists.  One look
 * through the GiST index of the blocks' spans (src/record.c, "Block
 * spans") for those whose span overlaps theirs, as block_of_xact() does:
 * the query names no other column an index could serve (an ordered scan
 * of the primary key reads every block of the ledger when none matches,
 * which is the normal case), and sequential scans are off while it runs;
 * the ledger and each candidate's list are checked here (a binary search
 * per listed transaction; the arrays' && would be quadratic in their
 * lengths).  SPI connected.
 */
static int64
replica_block_listing(int64 ledger_id, const int64 *sorted, int n, int64 *which)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[3];
	int64		found = -1;
	uint64		r;
	int			nestlevel;
	int			ret;

	if (plan == NULL)
	{
		Oid			types[3] = {INT8OID, INT8OID, INT8OID};

		plan = ledger_prepare_kept("SELECT ledger_id, block_no, xact_ids FROM ledger.blocks "
								   "WHERE ledger._block_span(ledger_id, xact_ids) "
								   "OPERATOR(pg_catalog.&&) ledger._block_span($1, ARRAY[$2, $3])", 3, types,
								   "the lookup of blocks by transaction");
	}
	/* the span of sorted: its first and last */
	args[0] = Int64GetDatum(ledger_id);
	args[1] = Int64GetDatum(sorted[0]);
	args[2] = Int64GetDatum(sorted[n - 1]);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = SPI_execute_plan(plan, args, NULL, false, 0);
	AtEOXact_GUC(true, nestlevel);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks");
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		block_no;
		ArrayType  *arr;
		Datum	   *held;
		bool	   *hnulls;
		int			nheld;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull)) != ledger_id)
			continue;
		block_no = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
		if (found >= 0 && block_no >= found)
			continue;
		arr = DatumGetArrayTypeP(SPI_getbinval(tup, td, 3, &isnull));
		deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &held, &hnulls, &nheld);
		for (j = 0; j < nheld; j++)
		{
			int64		x;

			if (hnulls[j])
				continue;
			x = DatumGetInt64(held[j]);
			if (bsearch(&x, sorted, n, sizeof(int64), replica_int64_cmp) != NULL)
			{
				found = block_no;
				*which = x;
				break;
			}
		}
	}
	return found;
}

/* A block arrived: it must continue the chain and the history held here. */
static void
replica_check_block(HeapTuple tup, TupleDesc td, const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(heap_getattr(tup, 1, td, &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	const char *relname = get_rel_name(info->relid);
	LedgerBlock b;
	LedgerBlock head;
	bool		has_head;
	MerkleStream ms;
	uint8		computed[LEDGER_HASH_LEN];
	uint8	   *leaves;
	int64		rows = 0;
	int			i;
	bool		v1_ok = false;
	TileStore	ts;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	LedgerRecord *recs;
	uint64	   *counts;
	bool		usable;
	int64		next_block;		/* the block the replica holds next */
	int64	   *misses;
	int		   *miss_at;
	int			nmisses = 0;

	memset(&b, 0, sizeof(b));
	b.block_no = DatumGetInt64(heap_getattr(tup, 2, td, &isnull));
	replica_arrived_hash(heap_getattr(tup, 3, td, &isnull), b.prev_hash, "previous-block hash",
						 b.block_no, ledger_id, relname);
	replica_arrived_hash(heap_getattr(tup, 4, td, &isnull), b.root, "root", b.block_no, ledger_id,
						 relname);
	b.tx_count = DatumGetInt32(heap_getattr(tup, 5, td, &isnull));
	b.row_count = DatumGetInt64(heap_getattr(tup, 6, td, &isnull));
	b.sealed_at = DatumGetTimestampTz(heap_getattr(tup, 7, td, &isnull));
	b.format_version = DatumGetInt32(heap_getattr(tup, 8, td, &isnull));
	replica_arrived_hash(heap_getattr(tup, 9, td, &isnull), b.block_hash, "block hash", b.block_no,
						 ledger_id, relname);
	arr = DatumGetArrayTypeP(heap_getattr(tup, 10, td, &isnull));
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists its transactions in a multidimensional array",
						b.block_no, relname)));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &b.nxacts);
	b.xact_ids = palloc(sizeof(int64) * Max(b.nxacts, 1));
	b.first_position = DatumGetInt64(heap_getattr(tup, 11, td, &isnull));
	{
		Datum		d = heap_getattr(tup, 12, td, &isnull);

		b.has_tree_root = !isnull;
		if (!isnull)
			replica_arrived_hash(d, b.tree_root, "history root", b.block_no, ledger_id, relname);
	}
	b.total_rows = DatumGetInt64(heap_getattr(tup, 13, td, &isnull));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	has_head = block_read_head(ledger_id, false, &head);
	next_block = has_head ? head.block_no + 1 : 0;

	/*
	 * A block past the next one: blocks in between never arrived.  The stream
	 * skipped them when this database is behind what its subscription had
	 * confirmed to the origin (restored from a backup, or a standby promoted
	 * before it had replayed everything): the origin's walsender starts at
	 * the slot's confirmed position, whatever the replica asks.
	 */
	if (b.block_no > next_block)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" arrived, but the replica does not hold block " INT64_FORMAT,
						b.block_no, relname, next_block),
				 errdetail_internal("The replica's newest block is " INT64_FORMAT ".", next_block - 1),
				 errhint("If this database was restored from a backup or promoted from a standby, it lost what subscription \"%s\" had already confirmed to the origin: call ledger.resync_subscription('%s'). Otherwise a block was forged at the origin.",
						 sub, sub)));
	if (b.block_no != next_block ||
		memcmp(b.prev_hash, has_head ? head.block_hash : (const uint8 *) "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
			   LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" does not continue the chain held here",
						b.block_no, relname),
				 errdetail_internal("The replica's newest block is " INT64_FORMAT ".", next_block - 1),
				 errhint("A block was changed, removed or forged at the origin; the replica refuses it.")));

	/*
	 * Blocks of format 1 were sealed by 0.1.0 before the origin was updated:
	 * they come with the copy of the history, never through the stream.
	 */
	if (b.format_version == BLOCK_FORMAT_1)
		v1_ok = copying_for != NULL && !b.has_tree_root &&
			(!has_head || head.format_version == BLOCK_FORMAT_1);
	if ((b.format_version == BLOCK_FORMAT_1 && !v1_ok) ||
		(b.format_version != BLOCK_FORMAT_1 &&
		 (b.format_version != BLOCK_FORMAT_2 || !b.has_tree_root)) ||
		b.nxacts != b.tx_count ||
		b.first_position != (has_head ? BLOCK_TREE_SIZE(&head) : 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" has an inconsistent header",
						b.block_no, relname),
				 errdetail_internal("Format %d, %d transactions listed of %d counted, first history position " INT64_FORMAT " (expected " INT64_FORMAT ").",
									b.format_version, b.nxacts, b.tx_count, b.first_position,
									has_head ? BLOCK_TREE_SIZE(&head) : 0),
				 errhint("A block was changed or forged at the origin; the replica refuses it.")));

	leaves = palloc(LEDGER_HASH_LEN * Max(b.nxacts, 1));
	recs = palloc(sizeof(LedgerRecord) * Max(b.nxacts, 1));
	counts = palloc(sizeof(uint64) * Max(b.nxacts, 1));
	for (i = 0; i < b.nxacts; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists a NULL transaction",
							b.block_no, relname)));
		b.xact_ids[i] = DatumGetInt64(elems[i]);
	}

	/*
	 * each listed transaction has its record here, exactly one: known
	 * unsealed in this backend (see the header), else read
	 */
	usable = replica_known_usable(ledger_id, has_head, &head);
	misses = palloc(sizeof(int64) * Max(b.nxacts, 1));
	miss_at = palloc(sizeof(int) * Max(b.nxacts, 1));
	for (i = 0; i < b.nxacts; i++)
	{
		int64		key[2] = {ledger_id, b.xact_ids[i]};
		ReplicaKnownRecord *k = usable ? hash_search(replica_known, key, HASH_FIND, NULL) : NULL;

		if (k != NULL)
		{
			recs[i] = k->rec;
			counts[i] = 1;
		}
		else
		{
			misses[nmisses] = b.xact_ids[i];
			miss_at[nmisses++] = i;
		}
	}
	if (nmisses > 0)
	{
		LedgerRecord *mrecs = palloc(sizeof(LedgerRecord) * nmisses);
		uint64	   *mcounts = palloc(sizeof(uint64) * nmisses);

		record_read_xacts(ledger_id, misses, nmisses, GetLatestSnapshot(), mrecs, mcounts);
		for (i = 0; i < nmisses; i++)
		{
			recs[miss_at[i]] = mrecs[i];
			counts[miss_at[i]] = mcounts[i];
		}
		pfree(mrecs);
		pfree(mcounts);
	}
	merkle_stream_init(&ms);
	for (i = 0; i < b.nxacts; i++)
	{
		if (counts[i] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists transaction " INT64_FORMAT ", which has %llu records here",
							b.block_no, relname, b.xact_ids[i], (unsigned long long) counts[i]),
					 errhint("If this database was restored from a backup or promoted from a standby, it lost what subscription \"%s\" had already confirmed to the origin: call ledger.resync_subscription('%s'). Otherwise a block was forged or the origin's history was changed.",
							 sub, sub)));
		if (counts[i] != 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists transaction " INT64_FORMAT ", which has %llu records here",
							b.block_no, relname, b.xact_ids[i], (unsigned long long) counts[i]),
					 errhint("A block was forged or the origin's history was changed; the replica refuses it.")));
		record_leaf(&recs[i], info->format, leaves + i * LEDGER_HASH_LEN);
		merkle_stream_add(&ms, leaves + i * LEDGER_HASH_LEN);
		rows += recs[i].row_count;
	}
	if (b.nxacts > 0)
	{
		int64		other;
		int64		xact = 0;
		int64	   *sorted = palloc(sizeof(int64) * b.nxacts);

		memcpy(sorted, b.xact_ids, sizeof(int64) * b.nxacts);
		qsort(sorted, b.nxacts, sizeof(int64), replica_int64_cmp);
		for (i = 1; i < b.nxacts; i++)
			if (sorted[i] == sorted[i - 1])
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists transaction " INT64_FORMAT " twice",
								b.block_no, relname, sorted[i]),
						 errhint("A block was forged at the origin; the replica refuses it.")));

		/*
		 * in no other block: a known transaction was in none when its record
		 * arrived, nor in any block since; the others are looked up
		 */
		other = -1;
		if (nmisses > 0)
		{
			qsort(misses, nmisses, sizeof(int64), replica_int64_cmp);
			other = replica_block_listing(ledger_id, misses, nmisses, &xact);
		}
		pfree(sorted);
		if (other >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger \"%s\" lists transaction " INT64_FORMAT ", which block " INT64_FORMAT " holds already",
							b.block_no, relname, xact, other),
					 errhint("The origin's history was changed; the replica refuses it.")));
	}
	merkle_stream_root(&ms, computed);
	if (memcmp(computed, b.root, LEDGER_HASH_LEN) != 0 || rows != b.row_count ||
		b.total_rows != (has_head ? head.total_rows : 0) + rows)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" does not match the transactions it lists",
						b.block_no, relname),
				 errhint("A block or a transaction record was changed at the origin; the replica refuses it.")));

	/*
	 * the history tree held here grows by the block, to the block's root. Its
	 * table is written below after it is read: take the lock the write needs
	 * first.  Read under ACCESS SHARE and written under ROW EXCLUSIVE, the
	 * apply worker deadlocked with a DBA's REINDEX, CLUSTER or VACUUM FULL of
	 * ledger.history_tiles that came in between (it waited for their SHARE
	 * lock on the table, they for its lock on the index), and PostgreSQL 15
	 * disabled the subscription for the deadlock (found by a lock-order
	 * review on 2026-12-07; test/t/556, part 5).
	 */
	LockRelationOid(ledger_catalog_relid("history_tiles"), RowExclusiveLock);
	tiles_open(&ts, ledger_id);
	history_catch_up(&ts, info->format, b.first_position);
	history_append(&ts.store, b.first_position, leaves, b.nxacts);
	history_root(&ts.store, BLOCK_TREE_SIZE(&b), computed);
	if (b.has_tree_root && memcmp(computed, b.tree_root, LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" does not match the history held here",
						b.block_no, relname),
				 errhint("The origin's history differs from what it sent before: a fork; the replica refuses it.")));
	tiles_flush(&ts);

	block_compute_hash(&info->uuid, &b, computed);
	if (memcmp(computed, b.block_hash, LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " of ledger \"%s\" does not match its hash",
						b.block_no, relname),
				 errhint("A block header was changed at the origin; the replica refuses it.")));
	SPI_finish();
	replica_known_sealed(ledger_id, &b);
}

/*
 * A ledgers row arrived: the ledger was registered here by
 * create_subscription with the same identity; the row is then skipped.
 * Returns true to skip.
 */
static bool
replica_check_ledger_row(HeapTuple tup, TupleDesc td, const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(heap_getattr(tup, 1, td, &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	pg_uuid_t  *uuid = DatumGetUUIDP(heap_getattr(tup, 3, td, &isnull));
	int32		format = DatumGetInt32(heap_getattr(tup, 6, td, &isnull));

	if (memcmp(uuid->data, info->uuid.data, UUID_LEN) != 0 || format != info->format)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the origin's ledger " INT64_FORMAT " arrived with another identity than the replica holds",
						ledger_id),
				 errhint("The origin's ledger was replaced; the replica refuses it.")));
	return true;
}

/* Two text[] values hold the same strings. */
static bool
replica_text_arrays_equal(ArrayType *a, ArrayType *b)
{
	Datum	   *ea;
	Datum	   *eb;
	bool	   *na;
	bool	   *nb;
	int			n;
	int			m;
	int			i;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &ea, &na, &n);
	deconstruct_array(b, TEXTOID, -1, false, TYPALIGN_INT, &eb, &nb, &m);
	if (n != m)
		return false;
	for (i = 0; i < n; i++)
	{
		if (na[i] || nb[i])
			return false;
		if (strcmp(TextDatumGetCString(ea[i]), TextDatumGetCString(eb[i])) != 0)
			return false;
	}
	return true;
}

/*
 * An UPDATE of a ledgers row arrived.  The one the origin writes is a new
 * shape after a schema change; it is accepted (and skipped: the replica's
 * row follows its own table) when nothing else changed and the replica's
 * table was changed the same way first.  Anything else is refused, but for
 * the relation and replica columns, which are not compared (the old tuple
 * is the replica's, naming its own table and saying replica; the new one
 * the origin's OID, and not).
 */
static void
replica_check_ledger_update(HeapTuple oldtup, HeapTuple newtup, TupleDesc td,
							const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(heap_getattr(oldtup, 1, td, &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	Relation	rel;
	ArrayType  *here;
	int			att;

	for (att = 1; att <= td->natts; att++)
	{
		Form_pg_attribute a = TupleDescAttr(td, att - 1);
		bool		n1;
		bool		n2;
		Datum		d1;
		Datum		d2;

		/*
		 * shape: below.  relation: the origin's own table, which the
		 * subscription sends in binary as the origin's OID, meaningless here
		 * (the replica's row names the replica's table, and the rows arrive
		 * by the table's name).  replica: true here, false there.
		 */
		if (a->attisdropped || strcmp(NameStr(a->attname), "shape") == 0 ||
			strcmp(NameStr(a->attname), "relation") == 0 ||
			strcmp(NameStr(a->attname), "replica") == 0)
			continue;
		d1 = heap_getattr(oldtup, att, td, &n1);
		d2 = heap_getattr(newtup, att, td, &n2);
		if (n1 != n2 || (!n1 && !datumIsEqual(d1, d2, a->attbyval, a->attlen)))
			replica_refuse(sub, psprintf("an UPDATE of column \"%s\"", NameStr(a->attname)), catrel);
	}
	rel = relation_open(info->relid, AccessShareLock);
	here = canon_shape(RelationGetDescr(rel));
	if (!replica_text_arrays_equal(here, DatumGetArrayTypeP(heap_getattr(newtup, 5, td, &isnull))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("subscription \"%s\" sent a change of the columns of ledger \"%s\", which the replica's table does not have yet",
						sub, RelationGetRelationName(rel)),
				 errdetail("A schema change of a replicated ledger is made on every peer first, then at the origin."),
				 errhint("Alter the replica's table the same way, then ALTER SUBSCRIPTION \"%s\" ENABLE.", sub)));
	relation_close(rel, AccessShareLock);
}

/* ---------- the keys of signed replicas ---------- */

/* Is ledger_id a signed ledger here?  Its column names, if so. */
static bool
replica_signed_here(int64 ledger_id, char **sig_attname, char **key_attname)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT signature_attname::pg_catalog.text, key_attname::pg_catalog.text "
							  "FROM ledger.signed_ledgers WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.signed_ledgers");
	found = SPI_processed > 0;
	if (found && sig_attname != NULL)
	{
		*sig_attname = MemoryContextStrdup(TopTransactionContext,
										   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		*key_attname = MemoryContextStrdup(TopTransactionContext,
										   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	}
	SPI_finish();
	return found;
}

/* A column of a catalog row by name (the catalog's own columns). */
static Datum
replica_col(HeapTuple tup, TupleDesc td, const char *name, bool *isnull)
{
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return heap_getattr(tup, i + 1, td, isnull);
	}
	elog(ERROR, "catalog column \"%s\" is missing", name);
	return (Datum) 0;
}

/* Two values of one column are the same (varlena compared by content). */
static bool
replica_same_value(Datum d1, Datum d2, Form_pg_attribute a)
{
	if (a->attlen == -1)
	{
		struct varlena *v1 = PG_DETOAST_DATUM_PACKED(d1);
		struct varlena *v2 = PG_DETOAST_DATUM_PACKED(d2);

		return VARSIZE_ANY_EXHDR(v1) == VARSIZE_ANY_EXHDR(v2) &&
			memcmp(VARDATA_ANY(v1), VARDATA_ANY(v2), VARSIZE_ANY_EXHDR(v1)) == 0;
	}
	return datumIsEqual(d1, d2, a->attbyval, a->attlen);
}

/* Refuse a key row arriving for a signed replica. */
static void
replica_refuse_key(const char *sub, const char *key_id, const char *relname,
				   const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
			 errmsg("subscription \"%s\" sent %s key \"%s\" of ledger \"%s\", which a replica refuses",
					sub, what, key_id, relname),
			 errdetail("%s", detail),
			 errhint("Find out what happened at the origin: its key registry was changed around ledger.add_key() and ledger.revoke_key().")));
}

/* A key row arrived for a signed replica: a new key, checked. */
static void
replica_check_key_insert(HeapTuple tup, TupleDesc td, const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(replica_col(tup, td, "ledger_id", &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	const char *relname = get_rel_name(info->relid);
	char	   *key_id = TextDatumGetCString(replica_col(tup, td, "key_id", &isnull));
	static const char *const times[] = {"valid_from", "valid_until", "revoked_at", "added_at"};
	int			i;
	Datum		args[2];
	Oid			types[2] = {INT8OID, TEXTOID};

	if (!replica_signed_here(ledger_id, NULL, NULL))
		replica_refuse_key(sub, key_id, relname, "a",
						   "The ledger is not a signed ledger here; it became one at the origin after this peer subscribed.");
	if (strlen(key_id) > 256)
		replica_refuse_key(sub, psprintf("%.64s...", key_id), relname, "a",
						   "Key ids are at most 256 bytes long.");
	for (i = 0; i < lengthof(times); i++)
	{
		Datum		d = replica_col(tup, td, times[i], &isnull);

		if (!isnull && TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d)))
			replica_refuse_key(sub, key_id, relname, "a",
							   psprintf("Its %s is not finite.", times[i]));
	}
	args[0] = Int64GetDatum(ledger_id);
	args[1] = CStringGetTextDatum(key_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM ledger.ledger_keys WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
							  "AND key_id OPERATOR(pg_catalog.=) $2",
							  2, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.ledger_keys");
	if (SPI_processed > 0)
		replica_refuse_key(sub, key_id, relname, "a second",
						   "A key is registered once and never replaced; the replica holds this key already.");
	SPI_finish();
	/* sessions here drop their cached keys when this commits */
	CacheInvalidateRelcacheByRelid(RelationGetRelid(catrel));
}

/*
 * A local INSERT of a key row (not from a subscription): is the same row,
 * equal in every column, there already?  Then the INSERT is skipped.  A
 * restore loads ledger.keys, whose trigger copies this institution's keys
 * for its own signed ledgers (signed_mirror_keys), and ledger_keys' own
 * data, which holds the same rows, in either order (pg_restore -j); a row
 * that differs still meets the primary key.
 */
static bool
replica_key_row_held(HeapTuple tup, TupleDesc td)
{
	bool		null1;
	bool		null2;
	Datum		args[2];
	Oid			types[2] = {INT8OID, TEXTOID};
	bool		same = false;

	args[0] = replica_col(tup, td, "ledger_id", &null1);
	args[1] = replica_col(tup, td, "key_id", &null2);
	if (null1 || null2)
		return false;			/* refused by NOT NULL next */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT * FROM ledger.ledger_keys WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
							  "AND key_id OPERATOR(pg_catalog.=) $2",
							  2, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.ledger_keys");
	if (SPI_processed > 0)
	{
		HeapTuple	held = SPI_tuptable->vals[0];
		TupleDesc	htd = SPI_tuptable->tupdesc;
		int			att;

		same = true;
		for (att = 1; att <= td->natts && same; att++)
		{
			Form_pg_attribute a = TupleDescAttr(td, att - 1);
			int			hatt;
			bool		nnull;
			bool		hnull;
			Datum		d1;
			Datum		d2;

			if (a->attisdropped)
				continue;
			hatt = SPI_fnumber(htd, NameStr(a->attname));
			if (hatt <= 0)
				elog(ERROR, "catalog column \"%s\" is missing", NameStr(a->attname));
			d1 = heap_getattr(tup, att, td, &nnull);
			d2 = heap_getattr(held, hatt, htd, &hnull);
			same = nnull == hnull && (nnull || replica_same_value(d1, d2, a));
		}
	}
	SPI_finish();
	return same;
}

/*
 * An UPDATE of a key row arrived: only a revocation, recorded or brought
 * forward (the origin's ledger.keys_append_only rule), is accepted.
 */
static void
replica_check_key_update(HeapTuple oldtup, HeapTuple newtup, TupleDesc td,
						 const char *sub, Relation catrel)
{
	bool		isnull;
	bool		onull;
	bool		nnull;
	int64		ledger_id = DatumGetInt64(replica_col(oldtup, td, "ledger_id", &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	const char *relname = get_rel_name(info->relid);
	char	   *key_id = TextDatumGetCString(replica_col(oldtup, td, "key_id", &isnull));
	TimestampTz oldrev;
	TimestampTz newrev;
	int			att;

	for (att = 1; att <= td->natts; att++)
	{
		Form_pg_attribute a = TupleDescAttr(td, att - 1);
		Datum		d1;
		Datum		d2;

		if (a->attisdropped || strcmp(NameStr(a->attname), "revoked_at") == 0 ||
			strcmp(NameStr(a->attname), "revocation_reason") == 0)
			continue;
		d1 = heap_getattr(oldtup, att, td, &onull);
		d2 = heap_getattr(newtup, att, td, &nnull);
		if (onull != nnull || (!onull && !replica_same_value(d1, d2, a)))
			replica_refuse_key(sub, key_id, relname, "a change of",
							   psprintf("Its column \"%s\" would change. A registered key is never edited; only its revocation is recorded, and then only brought forward.",
										NameStr(a->attname)));
	}
	oldrev = DatumGetTimestampTz(replica_col(oldtup, td, "revoked_at", &onull));
	newrev = DatumGetTimestampTz(replica_col(newtup, td, "revoked_at", &nnull));
	if (onull == nnull && (onull || oldrev == newrev))
	{
		/* the revocation stays: nothing may change (an UPDATE to the same) */
		Datum		r1 = replica_col(oldtup, td, "revocation_reason", &onull);
		Datum		r2 = replica_col(newtup, td, "revocation_reason", &nnull);

		if (onull != nnull ||
			(!onull && strcmp(TextDatumGetCString(r1), TextDatumGetCString(r2)) != 0))
			replica_refuse_key(sub, key_id, relname, "a change of",
							   "Its revocation reason would change without a new revocation.");
		return;
	}
	if (nnull || TIMESTAMP_NOT_FINITE(newrev) || (!onull && newrev >= oldrev))
		replica_refuse_key(sub, key_id, relname, "a change of",
						   nnull ? "It would withdraw the key's revocation; a revocation is never withdrawn." :
						   TIMESTAMP_NOT_FINITE(newrev) ? "Its revocation time would not be finite." :
						   "It would put the key's revocation off; a revocation is only ever brought forward.");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(catrel));
}

/*
 * A signed_ledgers row arrived: create_subscription registered the replica
 * as signed with the same columns; the origin's copy is then skipped.
 */
static void
replica_check_signed_row(HeapTuple tup, TupleDesc td, const char *sub, Relation catrel)
{
	bool		isnull;
	int64		ledger_id = DatumGetInt64(replica_col(tup, td, "ledger_id", &isnull));
	LedgerInfo *info = replica_ledger_of(ledger_id, sub, catrel);
	char	   *sig;
	char	   *key;

	if (!replica_signed_here(ledger_id, &sig, &key))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("subscription \"%s\" sent that ledger \"%s\" became a signed ledger at the origin, which its replica here is not",
						sub, get_rel_name(info->relid)),
				 errdetail("Rows of a signed ledger are verified against the keys its origin published for it, which the replica must be set up for."),
				 errhint("Call ledger.resync_subscription('%s'): it sets the replica up as a signed ledger.", sub)));
	if (strcmp(sig, NameStr(*DatumGetName(replica_col(tup, td, "signature_attname", &isnull)))) != 0 ||
		strcmp(key, NameStr(*DatumGetName(replica_col(tup, td, "key_attname", &isnull)))) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("subscription \"%s\" sent other signature columns for ledger \"%s\" than the replica holds",
						sub, get_rel_name(info->relid)),
				 errhint("The origin's ledger was replaced; the replica refuses it.")));
}

/*
 * ledger.catalog_guard() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW and BEFORE TRUNCATE on
 * the catalog tables a publication carries (ledgers, transactions, blocks,
 * signed_ledgers, ledger_keys), ENABLE ALWAYS.  Nothing for local writes (the
 * extension's own code, or a superuser, whose changes ledger.verify
 * reports) but one: a key row inserted that is there already, the same in
 * every column, is skipped (replica_key_row_held); in a backend applying a
 * subscription, the checks above.
 */
Datum
ledger_catalog_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *sub;
	Relation	rel;
	const char *name;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.catalog_guard\" was not called by the trigger manager")));
	rel = td->tg_relation;
	sub = replica_applying();
	if (sub == NULL || RelationGetNamespace(rel) != ledger_namespace())
	{
		if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
			return PointerGetDatum(NULL);
		/* a restore in any order: the key row copied already is skipped */
		if (sub == NULL && TRIGGER_FIRED_BY_INSERT(td->tg_event) &&
			RelationGetNamespace(rel) == ledger_namespace() &&
			strcmp(RelationGetRelationName(rel), "ledger_keys") == 0 &&
			replica_key_row_held(td->tg_trigtuple, RelationGetDescr(rel)))
			return PointerGetDatum(NULL);
		/* a block loaded by a statement: the work list's lock first */
		if (sub == NULL && TRIGGER_FIRED_BY_INSERT(td->tg_event) &&
			RelationGetNamespace(rel) == ledger_namespace() &&
			strcmp(RelationGetRelationName(rel), "blocks") == 0)
			sealer_blocks_loading();
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		replica_refuse(sub, "a TRUNCATE", rel);
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		replica_refuse(sub, "a DELETE", rel);
	name = RelationGetRelationName(rel);
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
		replica_refuse_nulls(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple,
							 rel, sub);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		if (strcmp(name, "ledger_keys") == 0)
		{
			replica_check_key_update(td->tg_trigtuple, td->tg_newtuple,
									 RelationGetDescr(rel), sub, rel);
			return PointerGetDatum(td->tg_newtuple);
		}
		if (strcmp(name, "ledgers") != 0)
			replica_refuse(sub, "an UPDATE", rel);
		replica_check_ledger_update(td->tg_trigtuple, td->tg_newtuple,
									RelationGetDescr(rel), sub, rel);
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(NULL);

	if (strcmp(name, "transactions") == 0)
		replica_check_record(td->tg_trigtuple, RelationGetDescr(rel), sub, rel);
	else if (strcmp(name, "blocks") == 0)
		replica_check_block(td->tg_trigtuple, RelationGetDescr(rel), sub, rel);
	else if (strcmp(name, "ledger_keys") == 0)
		replica_check_key_insert(td->tg_trigtuple, RelationGetDescr(rel), sub, rel);
	else if (strcmp(name, "ledgers") == 0 || strcmp(name, "signed_ledgers") == 0)
	{
		/* registered by create_subscription: the origin's copy is skipped */
		if (strcmp(name, "ledgers") == 0)
			(void) replica_check_ledger_row(td->tg_trigtuple, RelationGetDescr(rel), sub, rel);
		else
			replica_check_signed_row(td->tg_trigtuple, RelationGetDescr(rel), sub, rel);
		return PointerGetDatum(NULL);
	}
	return PointerGetDatum(td->tg_trigtuple);
}

/*
 * The parse tree of the command an event trigger function fires for (NULL
 * if it has none); an error if the function was called otherwise.
 */
static Node *
guard_parsetree(FunctionCallInfo fcinfo, const char *funcname)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by the event trigger manager", funcname)));
	return ((EventTriggerData *) fcinfo->context)->parsetree;
}

/* replica_renamed_held's question and answer, for ledger_as_owner */
typedef struct ReplicaRenamedHeld
{
	Oid			relid;
	Oid			nspid;
	bool		found;
	char	   *replica;
	char	   *sub;
} ReplicaRenamedHeld;

static void
replica_renamed_held_read(void *arg)
{
	ReplicaRenamedHeld *q = (ReplicaRenamedHeld *) arg;
	Datum		args[2] = {ObjectIdGetDatum(q->relid), ObjectIdGetDatum(q->nspid)};
	Oid			types[2] = {OIDOID, OIDOID};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT l.relation::pg_catalog.regclass::pg_catalog.text, r.subscription::pg_catalog.text "
							  "FROM ledger.replicas r "
							  "JOIN ledger.ledgers l ON l.ledger_id OPERATOR(pg_catalog.=) r.ledger_id "
							  "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) l.relation::pg_catalog.oid "
							  REPLICA_SUBSCRIPTION_JOIN
							  "WHERE s.subenabled AND (c.oid OPERATOR(pg_catalog.=) $1 "
							  "OR c.relnamespace OPERATOR(pg_catalog.=) $2) "
							  "ORDER BY 1 LIMIT 1",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.replicas");
	q->found = SPI_processed > 0;
	if (q->found)
	{
		q->replica = MemoryContextStrdup(TopTransactionContext,
										 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		q->sub = MemoryContextStrdup(TopTransactionContext,
									 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	}
	SPI_finish();
}

/*
 * The first replica, held by an enabled subscription, that is the relation
 * relid or lies in the schema nspid (either invalid); false if none.  Read
 * as the extension's owner: as the caller, the rename of any table by its
 * owner failed with "permission denied for table replicas" in a database
 * holding replicas where a DBA had revoked SELECT on ledger.replicas (found
 * by a review on 2026-12-07; test/t/587_alter_sub_nonowner.pl part 4).  The
 * caller owns the table or schema (checked before).
 */
static bool
replica_renamed_held(Oid relid, Oid nspid, char **replica, char **sub)
{
	ReplicaRenamedHeld q;

	memset(&q, 0, sizeof(q));
	q.relid = relid;
	q.nspid = nspid;
	ledger_as_owner(replica_renamed_held_read, &q);
	*replica = q.replica;
	*sub = q.sub;
	return q.found;
}

/*
 * ledger._guard_replica_rename() RETURNS event_trigger
 *
 * ddl_command_start of ALTER TABLE, ALTER SCHEMA, ALTER TYPE, ALTER DOMAIN
 * and ALTER COLLATION (the last three, and ALTER SCHEMA first, for the DDL
 * guard: guard_alter_table_start, guard_rename_start).  A subscription finds
 * each replica by the schema and name its origin gives the table, so a
 * replica renamed here, moved to another schema, or whose schema is
 * renamed, no longer receives changes: at the first change, or (a schema
 * renamed: PostgreSQL keeps the apply worker's mapping) only once the
 * apply worker restarts, perhaps days later.  Refused while the replica's
 * subscription is enabled; the documented procedure renames at the origin
 * first and here while the subscription is disabled (docs/replication.md,
 * "Schema changes").
 */
Datum
ledger_guard_replica_rename(PG_FUNCTION_ARGS)
{
	Node	   *stmt = guard_parsetree(fcinfo, "ledger._guard_replica_rename");
	Oid			relid = InvalidOid;
	Oid			nspid = InvalidOid;
	const char *what;
	char	   *replica;
	char	   *sub;

	if (stmt == NULL)
		PG_RETURN_VOID();
	/* the extension's own tables and indexes (guard.c) */
	guard_catalog_alter_start(stmt, get_func_namespace(fcinfo->flinfo->fn_oid));
	if (IsA(stmt, AlterTableStmt))
	{
		guard_alter_table_start((AlterTableStmt *) stmt);
		PG_RETURN_VOID();
	}
	/* a type, collation or schema that a ledger's shape names (guard.c) */
	guard_rename_start(stmt);
	if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_TABLE &&
		((RenameStmt *) stmt)->relation != NULL)
	{
		relid = RangeVarGetRelid(((RenameStmt *) stmt)->relation, NoLock, true);
		what = "rename";
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_SCHEMA &&
			 ((RenameStmt *) stmt)->subname != NULL)
	{
		nspid = get_namespace_oid(((RenameStmt *) stmt)->subname, true);
		what = "rename schema of";
	}
	else if (IsA(stmt, AlterObjectSchemaStmt) &&
			 ((AlterObjectSchemaStmt *) stmt)->objectType == OBJECT_TABLE &&
			 ((AlterObjectSchemaStmt *) stmt)->relation != NULL)
	{
		relid = RangeVarGetRelid(((AlterObjectSchemaStmt *) stmt)->relation, NoLock, true);
		what = "move to another schema";
	}
	else
		PG_RETURN_VOID();

	/*
	 * A role that may not rename or move the table, or rename the schema,
	 * gets PostgreSQL's own error before ledger reads anything (the replicas
	 * are read as the extension's owner, below: a non-owner would have
	 * learned which subscription writes the table).
	 */
	if (OidIsValid(relid) && !pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	if (OidIsValid(nspid) && !pg_namespace_ownercheck(nspid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_SCHEMA, get_namespace_name(nspid));
	/* (pg_restore runs thousands of ALTER TABLE: nothing is read for them) */
	if ((!OidIsValid(relid) && !OidIsValid(nspid)) || !ledger_catalog_has_replicas())
		PG_RETURN_VOID();
	if (replica_renamed_held(relid, nspid, &replica, &sub))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 OidIsValid(nspid) ?
				 errmsg("cannot rename schema \"%s\": it holds replica \"%s\" of subscription \"%s\", which is enabled",
						((RenameStmt *) stmt)->subname, replica, sub) :
				 errmsg("cannot %s replica \"%s\" of subscription \"%s\", which is enabled",
						what, replica, sub),
				 errdetail("The subscription finds the replica by the schema and name its origin gives the table; renamed here alone, the replica stops receiving changes, perhaps only when the apply worker next restarts."),
				 errhint("Rename at the origin first; when the subscription has stopped at the new name, or after ALTER SUBSCRIPTION ... DISABLE, rename here the same way and ENABLE it.")));
	PG_RETURN_VOID();
}

/*
 * The first replica that subscription subname (of this database) writes and
 * does not hold: no table of its is in pg_subscription_rel.  NULL if none,
 * or if the subscription writes no replica here.
 */
static char *
replica_missing_from(const char *subname)
{
	return ledger_catalog_first_text("SELECT l.relation::pg_catalog.regclass "
									 "FROM ledger.replicas r "
									 "JOIN ledger.ledgers l ON l.ledger_id OPERATOR(pg_catalog.=) r.ledger_id "
									 REPLICA_SUBSCRIPTION_JOIN
									 "WHERE s.subname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
									 "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription_rel sr "
									 "WHERE sr.srsubid OPERATOR(pg_catalog.=) s.oid "
									 "AND sr.srrelid OPERATOR(pg_catalog.=) l.relation::pg_catalog.oid) "
									 "ORDER BY l.relation::pg_catalog.regclass::pg_catalog.text LIMIT 1",
									 TEXTOID, CStringGetTextDatum(subname), "ledger.replicas");
}

/* Does this subscription write a replica here? */
static bool
replica_held_by(const char *subname)
{
	Datum		args[1] = {CStringGetTextDatum(subname)};
	Oid			types[1] = {TEXTOID};
	bool		held;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM ledger.replicas r "
							  "WHERE r.subscription OPERATOR(pg_catalog.=) $1::pg_catalog.name LIMIT 1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.replicas");
	held = SPI_processed > 0;
	SPI_finish();
	return held;
}

/*
 * A SET PUBLICATION that names exactly the publications the subscription
 * has (in any order): it changes nothing.
 */
static bool
replica_same_publications(AlterSubscriptionStmt *stmt)
{
	Subscription *sub;
	ListCell   *lc;

	if (stmt->kind != ALTER_SUBSCRIPTION_SET_PUBLICATION)
		return false;
	sub = GetSubscription(get_subscription_oid(stmt->subname, false), false);
	if (list_length(sub->publications) != list_length(stmt->publication))
		return false;
	foreach(lc, stmt->publication)
	{
		const char *name = strVal(lfirst(lc));
		ListCell   *lc2;
		bool		found = false;

		foreach(lc2, sub->publications)
			if (strcmp(strVal(lfirst(lc2)), name) == 0)
			found = true;
		if (!found)
			return false;
	}
	return true;
}

/*
 * Whether publication objects (FOR TABLE, TABLES IN SCHEMA) name
 * ledger.transactions or schema ledger, which holds it: a publication of them
 * carries ledgers to peers.
 */
static bool
replica_pubobjects_carry(List *pubobjects)
{
	Oid			nsp = ledger_namespace();
	Oid			transactions = get_relname_relid("transactions", nsp);
	ListCell   *lc;

	if (!OidIsValid(transactions))
		return false;
	foreach(lc, pubobjects)
	{
		PublicationObjSpec *obj = lfirst_node(PublicationObjSpec, lc);

		if (obj->pubobjtype == PUBLICATIONOBJ_TABLE && obj->pubtable != NULL)
		{
			if (RangeVarGetRelid(obj->pubtable->relation, NoLock, true) == transactions)
				return true;
		}
		else if (obj->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA && obj->name != NULL)
		{
			if (get_namespace_oid(obj->name, true) == nsp)
				return true;
		}
		else if (obj->pubobjtype == PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA)
		{
			List	   *path = fetch_search_path(false);

			if (path != NIL && linitial_oid(path) == nsp)
				return true;
		}
	}
	return false;
}

/* The kinds of change a publication carrying ledgers must publish */
static const char *const replica_publish_kinds[] = {"insert", "update", "delete", "truncate"};

/*
 * The first of replica_publish_kinds that a publish list (its words split,
 * as PostgreSQL splits them) leaves out, or -1.
 */
static int
replica_publish_missing(List *given)
{
	int			k;

	for (k = 0; k < lengthof(replica_publish_kinds); k++)
	{
		ListCell   *lc;
		bool		found = false;

		foreach(lc, given)
			if (pg_strcasecmp((char *) lfirst(lc), replica_publish_kinds[k]) == 0)
			found = true;
		if (!found)
			return k;
	}
	return -1;
}

/* Refuse a publication carrying ledgers that would not publish kind k. */
static void
replica_publish_refuse(const char *pubname, int k, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("publication \"%s\" carries ledgers to peers: it must publish %s",
					pubname, replica_publish_kinds[k]),
			 errdetail("A signed ledger's key revocation and a ledger's new column list travel as updates, and a tampered origin's deletions must reach the peers to be refused there."),
			 errhint("%s", hint)));
}

/*
 * CREATE PUBLICATION of ledger.transactions (FOR TABLE, FOR TABLES IN SCHEMA
 * ledger, FOR ALL TABLES) with a publish that lacks a kind of change: refused
 * as ALTER PUBLICATION's SET (publish = ...) is.  A peer's walsender finds
 * its publication by name: the ledgers' publication renamed and one made
 * under its name with publish = 'insert', in one transaction, carried the
 * ledgers on without updates, deletes or truncates (until 2026-12-07;
 * test/t/598_sub_options.pl).
 */
static void
replica_guard_create_publication(CreatePublicationStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		List	   *given = NIL;
		int			k;

		if (strcmp(def->defname, "publish") != 0)
			continue;
		/* a list PostgreSQL cannot parse is its own to refuse */
		if (!SplitIdentifierString(pstrdup(defGetString(def)), ',', &given))
			return;
		if (!stmt->for_all_tables && !replica_pubobjects_carry(stmt->pubobjects))
			return;
		k = replica_publish_missing(given);
		if (k >= 0)
			replica_publish_refuse(stmt->pubname, k,
								   "Leave publish at 'insert, update, delete, truncate', as ledger.create_publication() sets it.");
	}
}

/*
 * ALTER PUBLICATION P SET (publish = ...) of a publication that carries
 * ledgers to peers (one that carries ledger.transactions, as
 * create_publication's does): every kind of change must stay published.
 * Without updates a signed ledger's key revocation (an update of
 * ledger.ledger_keys) and a ledger's new column list never reach the peers;
 * without deletes and truncates a tampered origin's deletions are no longer
 * refused there but silently missing.  Until 2026-12-07 any list was taken
 * (test/t/598_sub_options.pl).
 */
static void
replica_guard_publish(AlterPublicationStmt *stmt)
{
	ListCell   *lc;

	/*
	 * ADD or SET of ledger.transactions (or of schema ledger, which holds it)
	 * to a publication that does not publish every kind of change: the
	 * publication would carry ledgers to peers without them.  publish set
	 * while ledger.transactions was out of the publication, which was then
	 * put back (in one transaction: no row written in between for a peer to
	 * refuse), was taken until 2026-12-07 (test/t/598_sub_options.pl).
	 */
	if (stmt->action != AP_DropObjects && stmt->pubobjects != NIL)
	{
		Publication *pub = GetPublicationByName(stmt->pubname, true);
		List	   *has = NIL;
		int			k;

		if (pub == NULL ||
			(pub->pubactions.pubinsert && pub->pubactions.pubupdate &&
			 pub->pubactions.pubdelete && pub->pubactions.pubtruncate) ||
			!replica_pubobjects_carry(stmt->pubobjects))
			return;
		if (pub->pubactions.pubinsert)
			has = lappend(has, "insert");
		if (pub->pubactions.pubupdate)
			has = lappend(has, "update");
		if (pub->pubactions.pubdelete)
			has = lappend(has, "delete");
		if (pub->pubactions.pubtruncate)
			has = lappend(has, "truncate");
		k = replica_publish_missing(has);
		if (k >= 0)
			replica_publish_refuse(stmt->pubname, k,
								   "Set publish to 'insert, update, delete, truncate' before adding the ledger's tables, as ledger.create_publication() set it.");
		return;
	}

	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		List	   *given = NIL;
		Datum		arg;
		Oid			argtype = TEXTOID;
		bool		carries;
		bool		isnull;
		int			k;

		if (strcmp(def->defname, "publish") != 0)
			continue;
		/* a list PostgreSQL cannot parse is its own to refuse */
		if (!SplitIdentifierString(pstrdup(defGetString(def)), ',', &given))
			return;
		arg = CStringGetTextDatum(stmt->pubname);

		/*
		 * (operators qualified: this runs as the role altering the
		 * publication, under its search_path, and an "=" of its own found
		 * first said that the publication carried no ledger)
		 */
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables p "
								  "WHERE p.pubname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
								  "AND p.schemaname OPERATOR(pg_catalog.=) 'ledger'::pg_catalog.name "
								  "AND p.tablename OPERATOR(pg_catalog.=) 'transactions'::pg_catalog.name)",
								  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read pg_publication_tables");
		carries = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		SPI_finish();
		if (!carries)
			return;
		k = replica_publish_missing(given);
		if (k >= 0)
			replica_publish_refuse(stmt->pubname, k,
								   "Leave publish at 'insert, update, delete, truncate', as ledger.create_publication() set it.");
	}
}

/*
 * ledger._guard_subscription_enable() RETURNS event_trigger
 *
 * ddl_command_start of ALTER SUBSCRIPTION.  pg_upgrade (of PostgreSQL 15)
 * and pg_restore make a subscription again without its tables (no row of
 * pg_subscription_rel).  Enabled so, its apply worker skips every change
 * to them while the slot at the origin moves on: the replicas receive
 * nothing, the status said "streaming", and the rows the origin wrote
 * meanwhile never arrive.  ENABLE of a subscription that writes a replica
 * here and does not hold its table is refused; ledger.resync_subscription
 * makes the subscription again and checks what is held.  The same guard
 * refuses PostgreSQL's table copy of a subscription holding replicas and
 * turning its disable_on_error off, and clears a pending reconnection of any
 * subscription an administrator alters.
 */
Datum
ledger_guard_subscription_enable(PG_FUNCTION_ARGS)
{
	Node	   *tree = guard_parsetree(fcinfo, "ledger._guard_subscription_enable");
	AlterSubscriptionStmt *stmt;
	ListCell   *lc;
	bool		enable = false;
	char	   *replica;

	if (tree != NULL && IsA(tree, AlterPublicationStmt))
	{
		replica_guard_publish((AlterPublicationStmt *) tree);
		PG_RETURN_VOID();
	}
	if (tree != NULL && IsA(tree, CreatePublicationStmt))
	{
		replica_guard_create_publication((CreatePublicationStmt *) tree);
		PG_RETURN_VOID();
	}
	if (tree == NULL || !IsA(tree, AlterSubscriptionStmt))
		PG_RETURN_VOID();
	stmt = (AlterSubscriptionStmt *) tree;

	/*
	 * An administrator takes charge of a subscription that a lost connection
	 * disabled: it is not enabled again behind them.  The subscription's lock
	 * first, which PostgreSQL's ALTER SUBSCRIPTION takes only after it has
	 * read the row: a sealer enabling the subscription again (which holds it)
	 * is waited for here, and the ALTER then reads what it committed instead
	 * of failing with "tuple concurrently updated".  Only for the
	 * subscription's owner: anyone else's attempt must neither hold the lock
	 * nor cancel the reconnection (it is refused, below).  The reconnection
	 * is cancelled when the ALTER's transaction commits (the lock is held
	 * until then): one that fails or is rolled back changes nothing.
	 * pg_subscription's lock before the subscription's, in PostgreSQL's own
	 * order (DROP SUBSCRIPTION takes the table's, then the subscription's):
	 * the other order could deadlock with a transaction dropping
	 * subscriptions.
	 *
	 * Anyone else is refused here, in PostgreSQL's words and before the guard
	 * reads anything of ledger: this trigger runs before PostgreSQL's own
	 * checks, and the reads below, as the caller, gave a role that may not
	 * alter the subscription ledger's refusals (which say what the
	 * subscription writes) or "permission denied for table replicas" instead
	 * (test/t/587_alter_sub_nonowner.pl).  Refused, not left to PostgreSQL: a
	 * role made the owner in between would otherwise pass PostgreSQL's check
	 * without the guard's.  The same errors as AlterSubscription()'s, in its
	 * order (a subscription that does not exist, then its owner).
	 */
	if (stmt->subname != NULL && !replica_enabling_self)
	{
		Oid			subid = get_subscription_oid(stmt->subname, false);

		if (!pg_subscription_ownercheck(subid, GetUserId()))
			aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_SUBSCRIPTION, stmt->subname);
		LockRelationOid(SubscriptionRelationId, RowExclusiveLock);
		LockSharedObject(SubscriptionRelationId, subid, 0, AccessExclusiveLock);
		replica_reconnect_cancel_at_commit(subid);

		/*
		 * Only a slot named by the administrator takes charge of a slot a
		 * failed resync dropped: a new CONNECTION alone (a password rotated,
		 * an address moved) says nothing of the slot, and until 2026-12-07 it
		 * too let ENABLE stream from a slot made since at a later position
		 * (test/t/595_resync_lost_slot.pl part 6).
		 */
		if (stmt->kind == ALTER_SUBSCRIPTION_OPTIONS)
		{
			foreach(lc, stmt->options)
				if (strcmp(lfirst_node(DefElem, lc)->defname, "slot_name") == 0)
				replica_newslot_at_commit(subid);
		}
	}

	/*
	 * PostgreSQL's table copy (REFRESH PUBLICATION, ADD or SET PUBLICATION
	 * with their default refresh; copy_data defaults to true) copies each new
	 * table apart, which the replicas' checks refuse: the subscription
	 * stopped with nothing copied.  Refused here instead, in the session that
	 * asks.
	 */
	if ((stmt->kind == ALTER_SUBSCRIPTION_REFRESH ||
		 stmt->kind == ALTER_SUBSCRIPTION_ADD_PUBLICATION ||
		 stmt->kind == ALTER_SUBSCRIPTION_DROP_PUBLICATION ||
		 stmt->kind == ALTER_SUBSCRIPTION_SET_PUBLICATION) && stmt->subname != NULL)
	{
		bool		refresh = true;
		bool		copy_data = true;

		foreach(lc, stmt->options)
		{
			DefElem    *def = lfirst_node(DefElem, lc);

			if (strcmp(def->defname, "refresh") == 0)
				refresh = defGetBoolean(def);
			else if (strcmp(def->defname, "copy_data") == 0)
				copy_data = defGetBoolean(def);
		}
		if (stmt->kind == ALTER_SUBSCRIPTION_REFRESH)
			refresh = true;
		if (!ledger_catalog_has_replicas() || !replica_held_by(stmt->subname))
			PG_RETURN_VOID();

		/*
		 * Without a refresh, the apply worker streams the new publications
		 * into the tables it holds: a publication that does not carry a
		 * replica's ledger leaves it with nothing more, the state "streaming"
		 * and the replica verifying, while the origin writes on (until
		 * 2026-12-07; test/t/598_sub_options.pl).  The publication is the one
		 * ledger.create_subscription() named (ledger.replicas); a SET
		 * PUBLICATION of the publications it has already changes nothing and
		 * passes.
		 */
		if (!refresh && replica_same_publications(stmt))
			PG_RETURN_VOID();
		if (!refresh || stmt->kind == ALTER_SUBSCRIPTION_DROP_PUBLICATION)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("subscription \"%s\" holds ledger replicas, whose publication only ledger.create_subscription() sets",
							stmt->subname),
					 errdetail("Its apply worker would stream what the publications then carry into the tables it holds: nothing more of a ledger they do not carry."),
					 errhint("Subscribe to another publication with ledger.create_subscription() under another subscription name.")));

		/*
		 * Without the copy, a refresh still marks every table the publication
		 * carries now as ready, and the apply worker then writes each of them
		 * here, checked or not (sync_check_subscribed).
		 */
		if (!copy_data)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("subscription \"%s\" holds ledger replicas, whose tables only ledger.resync_subscription() sets",
							stmt->subname),
					 errdetail("A refresh would have the apply worker write every table the publication carries at the origin now, checked or not, and a new ledger without its history."),
					 errhint("Call ledger.resync_subscription(%s), which copies and verifies the publication's new ledgers and checks what it subscribes to.",
							 quote_literal_cstr(stmt->subname))));
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("subscription \"%s\" holds ledger replicas, which PostgreSQL's table copy cannot copy",
						stmt->subname),
				 errdetail("The table copy copies each table apart; a replica verifies each transaction's rows against its record and each block against its transactions, and the subscription would stop with nothing copied."),
				 errhint("Call ledger.resync_subscription(%s), which copies and verifies the publication's new ledgers itself.",
						 quote_literal_cstr(stmt->subname))));
	}

	/*
	 * SKIP passes over a whole origin transaction, whatever it holds: rows
	 * and their record, a block, a checkpoint, a key's revocation.  Of a
	 * transaction the replica did not refuse, that is history silently
	 * missing (a block: until the next one arrives and does not continue the
	 * chain; a checkpoint or a revocation: for good) while the state reads
	 * "streaming".  Only the transaction the apply worker last refused may be
	 * skipped (its last_error_lsn in ledger.replication_status), as
	 * docs/replication.md's recovery does; until 2026-12-07 any LSN was taken
	 * (test/t/598_sub_options.pl).  SKIP (lsn = NONE) takes a skip back.
	 */
	if (stmt->kind == ALTER_SUBSCRIPTION_SKIP && stmt->subname != NULL &&
		ledger_catalog_has_replicas() && replica_held_by(stmt->subname))
	{
		foreach(lc, stmt->options)
		{
			DefElem    *def = lfirst_node(DefElem, lc);
			char	   *given;
			XLogRecPtr	lsn;
			XLogRecPtr	refused;

			if (strcmp(def->defname, "lsn") != 0)
				continue;
			given = defGetString(def);
			if (pg_strcasecmp(given, "none") == 0)
				continue;
			lsn = DatumGetLSN(DirectFunctionCall1(pg_lsn_in, CStringGetDatum(given)));
			refused = replica_refused_lsn(get_subscription_oid(stmt->subname, false));
			if (lsn != refused)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot skip the origin transaction ending at %X/%X: subscription \"%s\" holds ledger replicas and did not refuse it",
								LSN_FORMAT_ARGS(lsn), stmt->subname),
						 XLogRecPtrIsInvalid(refused) ?
						 errdetail("The subscription has no refused transaction to skip; a skipped transaction would be missing from the replicas.") :
						 errdetail("The transaction its apply worker last refused ends at %X/%X (last_error_lsn in ledger.replication_status); any other skipped transaction would be missing from the replicas.",
								   LSN_FORMAT_ARGS(refused)),
						 errhint("Skip only the transaction named by last_error_lsn; ledger.resync_subscription(%s) copies and verifies what the replicas lack.",
								 quote_literal_cstr(stmt->subname))));
		}
		PG_RETURN_VOID();
	}

	/*
	 * disable_on_error stops the subscription at a refused change; without it
	 * the apply worker would retry the refused change for ever, and the state
	 * would read "starting".  Lost connections and transient errors are
	 * enabled again by ledger (ledger.sync_reconnect_delay).
	 */
	if (stmt->kind == ALTER_SUBSCRIPTION_OPTIONS && stmt->subname != NULL)
	{
		foreach(lc, stmt->options)
		{
			DefElem    *def = lfirst_node(DefElem, lc);

			if (strcmp(def->defname, "disable_on_error") == 0 && !defGetBoolean(def) &&
				ledger_catalog_has_replicas() && replica_held_by(stmt->subname))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("subscription \"%s\" holds ledger replicas: disable_on_error must stay on",
								stmt->subname),
						 errdetail("A change refused on arrival must stop the subscription; without disable_on_error the apply worker would retry it for ever."),
						 errhint("A subscription that a lost connection or a transient error disabled is enabled again after ledger.sync_reconnect_delay.")));
		}
		PG_RETURN_VOID();
	}

	/* ENABLE and DISABLE are both this kind, with an option "enabled" */
	if (stmt->kind != ALTER_SUBSCRIPTION_ENABLED || stmt->subname == NULL)
		PG_RETURN_VOID();
	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "enabled") == 0)
			enable = defGetBoolean(def);
	}
	if (!enable || !ledger_catalog_has_replicas())
		PG_RETURN_VOID();

	/*
	 * Its slot at the origin dropped by a failed resync: enabled, its apply
	 * worker fails on the missing slot every wal_retrieve_retry_interval, or
	 * streams from a slot made since at a later position, past the origin's
	 * changes in between (replica_resync_dropping).
	 */
	{
		char	   *message = NULL;

		Oid			subid = get_subscription_oid(stmt->subname, false);

		if (replica_resync_slot_lost(subid, &message) &&
			!list_member_oid(replica_newslot_subids, subid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot enable subscription \"%s\": ledger.resync_subscription() dropped its slot at the origin",
							stmt->subname),
					 errdetail("%s", message),
					 errhint("Call ledger.resync_subscription(%s), which makes the slot and the subscription again and copies what the origin wrote meanwhile.",
							 quote_literal_cstr(stmt->subname))));
	}
	replica = replica_missing_from(stmt->subname);
	if (replica != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot enable subscription \"%s\": it does not hold replica \"%s\"",
						stmt->subname, replica),
				 errdetail("pg_upgrade and pg_restore make a subscription again without its tables; enabled so, it would skip every change to the replicas while its slot at the origin moves on."),
				 errhint("Call ledger.resync_subscription(%s), which makes the subscription again and checks that the history held is the origin's.",
						 quote_literal_cstr(stmt->subname))));
	PG_RETURN_VOID();
}
