/*-------------------------------------------------------------------------
 *
 * pending.c
 *		What the current transaction wrote to ledgers, and the record of it
 *		written just before it commits.
 *
 * For every ledger a transaction writes, a PendingLedger holds a streaming
 * RFC 6962 builder of its rows' leaves (merkle.c: O(log n) hashes, so a bulk
 * load of millions of rows costs no extra memory), the row count and the
 * next sequence number.  Nothing here reads or locks a shared chain head.
 *
 * Subtransactions: rows inserted inside a subtransaction that rolls back
 * vanish from the table, so they must vanish from the root too.  Before the
 * first insert at a nesting level deeper than the top, the builder's state
 * is saved; a subtransaction abort restores the oldest state saved at or
 * below it, a subtransaction commit hands its saved state to its parent.
 * Sequence numbers are not reused, so rolled-back rows leave gaps; the root
 * covers the surviving rows in sequence order.
 *
 * Rows a statement skips after the row trigger fired (INSERT ... ON CONFLICT
 * DO NOTHING) are held open until this backend's stored-row count for the
 * table shows whether the row was stored (pending_confirm).  A skipped row
 * of a signed ledger gives its signed message back at pre-commit
 * (signed_withdraw_messages), so that the row can be sent again.
 *
 * The held row is settled when the trigger next fires for the table, when
 * the run it was stamped in ends (pending_run_settle), or at pre-commit.
 * Settling it when the trigger next fires is sound only if the held row's
 * own insert is over by then: a CHECK constraint or a row-level security
 * policy whose function inserts into the same ledger fires the trigger
 * again between the held row's trigger and its insert, and the held row
 * would be taken as skipped.  So every
 * executor run (ExecutorRun and ExecutorFinish, which runs the
 * data-modifying CTEs no one read) and utility command is numbered
 * (pending_run_*, hooked below); a row stamped inside a run that is still
 * going on below the current one is nested in that run's statement, and if
 * the held row is not stored yet its insert is in progress or skipped,
 * which cannot be told apart: the nested insert is refused (27000).
 *
 * At XACT_EVENT_PRE_COMMIT (and PRE_PREPARE), for every ledger the
 * transaction wrote, one row goes into ledger.transactions: (ledger, xact,
 * row count, Merkle root, time), inserted below SQL
 * (pending_insert_record, ledger_catalog_insert), so neither the writer's privileges nor any trigger are involved.  The keys
 * that signed the transaction's rows are checked again first, and at
 * PRE_PREPARE written into the prepared transaction
 * (signed_precommit_check).  After commit the sealer is told
 * (sealer_notify).
 *
 * Memory: per-transaction state lives in TopTransactionContext.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/itemptr.h"
#include "tcop/utility.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "catalog.h"
#include "compat.h"
#include "guard.h"
#include "merkle.h"
#include "pending.h"
#include "sealer.h"
#include "signed.h"

typedef struct PendingSnap
{
	int			level;			/* nesting level the state was saved at */
	int64		count;
	MerkleStream ms;
} PendingSnap;

typedef struct PendingLedger
{
	Oid			relid;
	int64		ledger_id;
	int64		next_seq;
	int64		count;			/* surviving rows */
	MerkleStream ms;
	int			nsnaps;
	int			maxsnaps;
	PendingSnap *snaps;

	/*
	 * The row the trigger stamped last, until it is known to be stored:
	 * INSERT ... ON CONFLICT DO NOTHING fires BEFORE ROW triggers and then
	 * may skip the row.  Its leaf joins the tree once this backend's insert
	 * count for the table has moved past open_inserted (see pending_confirm);
	 * a skipped row leaves a gap in ledger_seq, as a row rolled back to a
	 * savepoint does.
	 */
	bool		open;
	bool		open_has_leaf;	/* false for a row arriving with its hash */
	int			open_level;		/* nesting level it was stamped at */
	int64		open_inserted;	/* insert count when it was stamped */
	int			open_depth;		/* the run it was stamped in (see above) */
	uint64		open_run;
	SignedMsgRef open_msg;		/* its signed message, if any */
	uint8		open_leaf[LEDGER_HASH_LEN];

	/* signed messages of skipped rows, given back at pre-commit */
	int			nwithdrawn;
	int			maxwithdrawn;
	SignedMsgRef *wd_msgs;
	int		   *wd_levels;

	struct PendingLedger *next;
} PendingLedger;

static PendingLedger *pending_head = NULL;
static bool pending_written = false;

/*
 * The executor runs and utility commands under way in this backend, from
 * the outermost: run_ids[d] numbers the one at depth d (1..run_depth);
 * depth 0, run 0 is "none known" (a statement begun before the library was
 * loaded).  In TopMemoryContext.
 */
static int	run_depth = 0;
static int	run_max = 0;
static uint64 *run_ids = NULL;
static uint64 run_counter = 0;

static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * The ledger transaction number of the current transaction, drawn from
 * ledger.transaction_id_seq at its first ledger insert; 0 is reserved for
 * genesis rows.  A sequence, not the xid: xids restart in a new cluster, and
 * a restored ledger's records must never collide with new ones.
 */
static int64 current_ledger_xact = -1;

/* Has this transaction written a block of queued transactions? */
static bool sealed_in_xact = false;

/* Called by the sealer's block writer. */
void
pending_note_sealed(void)
{
	sealed_in_xact = true;
}

/* Find or create the pending state of one ledger in this transaction. */
static PendingLedger *
pending_get(Oid relid, int64 ledger_id)
{
	PendingLedger *pl;

	for (pl = pending_head; pl != NULL; pl = pl->next)
		if (pl->relid == relid)
			return pl;

	/* not zeroed: the stream's 2 kB of hashes are written before read */
	pl = MemoryContextAlloc(TopTransactionContext, sizeof(PendingLedger));
	pl->relid = relid;
	pl->ledger_id = ledger_id;
	pl->next_seq = 0;
	pl->count = 0;
	merkle_stream_init(&pl->ms);
	pl->nsnaps = 0;
	pl->maxsnaps = 0;
	pl->snaps = NULL;
	pl->open = false;
	pl->open_has_leaf = false;
	pl->open_level = 0;
	pl->open_inserted = 0;
	pl->open_depth = 0;
	pl->open_run = 0;
	pl->open_msg.rel = InvalidOid;
	pl->nwithdrawn = 0;
	pl->maxwithdrawn = 0;
	pl->wd_msgs = NULL;
	pl->wd_levels = NULL;
	pl->next = pending_head;
	pending_head = pl;
	return pl;
}

/* Add one leaf of a row stamped at nesting level 'level'. */
static void
pending_add(PendingLedger *pl, const uint8 *leaf, int level)
{
	if (level > 1 &&
		(pl->nsnaps == 0 || pl->snaps[pl->nsnaps - 1].level < level))
	{
		PendingSnap *snap;

		if (pl->nsnaps == pl->maxsnaps)
		{
			int			newmax = pl->maxsnaps == 0 ? 4 : pl->maxsnaps * 2;

			if (pl->snaps == NULL)
				pl->snaps = MemoryContextAlloc(TopTransactionContext,
											   sizeof(PendingSnap) * newmax);
			else
				pl->snaps = repalloc(pl->snaps, sizeof(PendingSnap) * newmax);
			pl->maxsnaps = newmax;
		}
		snap = &pl->snaps[pl->nsnaps++];
		snap->level = level;
		snap->count = pl->count;
		snap->ms = pl->ms;
	}
	merkle_stream_add(&pl->ms, leaf);
	pl->count++;
}

/*
 * Rows of rel this backend has stored so far: heap inserts minus deletes in
 * the cumulative statistics counters, summed over the per-(sub)transaction
 * parts (which move between levels without changing the sum).  A
 * speculative insertion withdrawn after a concurrent conflict counts as an
 * insert and a delete (heap_abort_speculative), so it nets out; a ledger
 * table has no other deletes.  -1 when statistics are not collected for rel
 * (track_counts = off).
 */
static int64
pending_inserted(Relation rel)
{
	PgStat_TableStatus *ts;
	PgStat_TableXactStatus *trans;
	int64		n;

	if (rel->pgstat_info == NULL)
	{
		if (!rel->pgstat_enabled)
			return -1;
		/* link the pending entry now: it may already hold counts */
		pgstat_assoc_relation(rel);
		if (rel->pgstat_info == NULL)
			return -1;
	}
	ts = rel->pgstat_info;
	n = ledger_pgstat_top_net_inserts(ts);
	for (trans = ts->trans; trans != NULL; trans = trans->upper)
		n += trans->tuples_inserted - trans->tuples_deleted;
	return n;
}

/* Note the signed message of a skipped row, to be given back. */
static void
pending_withdraw(PendingLedger *pl, const SignedMsgRef *msg, int level)
{
	if (pl->nwithdrawn == pl->maxwithdrawn)
	{
		int			newmax = pl->maxwithdrawn == 0 ? 4 : pl->maxwithdrawn * 2;

		if (pl->wd_msgs == NULL)
		{
			pl->wd_msgs = MemoryContextAlloc(TopTransactionContext, sizeof(SignedMsgRef) * newmax);
			pl->wd_levels = MemoryContextAlloc(TopTransactionContext, sizeof(int) * newmax);
		}
		else
		{
			pl->wd_msgs = repalloc(pl->wd_msgs, sizeof(SignedMsgRef) * newmax);
			pl->wd_levels = repalloc(pl->wd_levels, sizeof(int) * newmax);
		}
		pl->maxwithdrawn = newmax;
	}
	pl->wd_msgs[pl->nwithdrawn] = *msg;
	pl->wd_levels[pl->nwithdrawn] = level;
	pl->nwithdrawn++;
}

/*
 * Settle the row stamped last: if the table's insert count has moved since,
 * it was stored and its leaf joins the tree; otherwise INSERT ... ON
 * CONFLICT DO NOTHING skipped it.  Without statistics the row is taken as
 * stored (what ledger.verify then reports if it was not).
 */
static void
pending_confirm(PendingLedger *pl, Relation rel)
{
	int64		now;

	if (!pl->open)
		return;
	now = pending_inserted(rel);
	pl->open = false;
	if (now >= 0 && now <= pl->open_inserted)
	{
		/* skipped: its signed message goes back at pre-commit */
		if (OidIsValid(pl->open_msg.rel))
			pending_withdraw(pl, &pl->open_msg, pl->open_level);
		return;
	}
	if (pl->open_has_leaf)
		pending_add(pl, pl->open_leaf, pl->open_level);
}

/*
 * Is the run the held row was stamped in still going on, below the current
 * one?  Then this stamp comes from a statement nested in that one.
 */
static bool
pending_run_nests(const PendingLedger *pl)
{
	return pl->open_run != 0 && pl->open_depth < run_depth &&
		run_ids[pl->open_depth] == pl->open_run;
}

/* Stamp a row: settle the previous one, then hold this one open. */
static void
pending_stamp(PendingLedger *pl, Relation rel, const uint8 *leaf,
			  const SignedMsgRef *msg)
{
	if (pl->open && pending_run_nests(pl))
	{
		int64		now = pending_inserted(rel);

		if (now >= 0 && now <= pl->open_inserted)
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
					 errmsg("cannot insert into ledger table \"%s\" while a row of it is being inserted",
							RelationGetRelationName(rel)),
					 errdetail("A function run while a row of the ledger was being inserted (by a CHECK constraint, a row-level security policy or a trigger) inserted into it, or a statement that had just skipped a row (ON CONFLICT DO NOTHING) ran one that does; the ledger cannot tell whether that row was stored."),
					 errhint("Insert the other row in a statement of its own.")));
	}
	pending_confirm(pl, rel);
	pl->open = true;
	pl->open_has_leaf = (leaf != NULL);
	if (leaf != NULL)
		memcpy(pl->open_leaf, leaf, LEDGER_HASH_LEN);
	pl->open_level = GetCurrentTransactionNestLevel();
	pl->open_inserted = pending_inserted(rel);
	pl->open_depth = run_depth;
	pl->open_run = run_ids != NULL ? run_ids[run_depth] : 0;
	if (msg != NULL && OidIsValid(msg->rel))
		pl->open_msg = *msg;
	else
		pl->open_msg.rel = InvalidOid;
}

/* Subtransaction end: drop or hand over saved states. */
static void
ledger_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	PendingLedger *pl;

	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			PendingSnap *restore = NULL;

			if (pl->open && pl->open_level >= level)
				pl->open = false;	/* rolled back with its subtransaction */
			/* and so were the messages of skipped rows recorded there */
			while (pl->nwithdrawn > 0 && pl->wd_levels[pl->nwithdrawn - 1] >= level)
				pl->nwithdrawn--;

			while (pl->nsnaps > 0 && pl->snaps[pl->nsnaps - 1].level >= level)
				restore = &pl->snaps[--pl->nsnaps];
			if (restore)
			{
				pl->ms = restore->ms;
				pl->count = restore->count;
			}
		}
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			int			i;

			if (pl->open && pl->open_level == level)
				pl->open_level = level - 1;
			for (i = pl->nwithdrawn - 1; i >= 0 && pl->wd_levels[i] == level; i--)
				pl->wd_levels[i] = level - 1;
			if (pl->nsnaps > 0 && pl->snaps[pl->nsnaps - 1].level == level)
			{
				if (level - 1 <= 1 ||
					(pl->nsnaps >= 2 && pl->snaps[pl->nsnaps - 2].level == level - 1))
					pl->nsnaps--;
				else
					pl->snaps[pl->nsnaps - 1].level = level - 1;
			}
		}
	}
}

/*
 * Insert a record and its primary-key entry.  ledger_catalog_insert does
 * the same through a result-relation state it builds and tears down for every
 * call: 6,500 instructions, a twentieth of a single-row ledger transaction
 * (callgrind, docs/benchmarks-ledger.md).  When the primary key on
 * (ledger_id, xact_id) is the table's only index, as created, its entry is
 * inserted here with an IndexInfo kept for the backend; a table with any
 * other index (one a DBA added) takes ledger_catalog_insert, which
 * maintains them all (expression and partial indexes too).
 */
static void
pending_insert_record(Relation rel, HeapTuple tup, int64 ledger_id, int64 xact_id)
{
	static Oid	info_index = InvalidOid;
	static IndexInfo *info = NULL;
	List	   *indexes = RelationGetIndexList(rel);
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	Relation	idx;
	Datum		values[2];
	bool		isnull[2] = {false, false};

	if (list_length(indexes) != 1 || !OidIsValid(pk) || linitial_oid(indexes) != pk)
	{
		list_free(indexes);
		ledger_catalog_insert(rel, tup);
		return;
	}
	list_free(indexes);
	idx = index_open(pk, RowExclusiveLock);
	/* an index keeps its columns for its life: checked when first met */
	if (info_index != pk)
	{
		MemoryContext old;

		if (idx->rd_index->indnatts != 2 || idx->rd_index->indnkeyatts != 2 ||
			idx->rd_index->indkey.values[0] != 1 || idx->rd_index->indkey.values[1] != 2 ||
			!idx->rd_index->indisunique || RelationGetIndexExpressions(idx) != NIL ||
			RelationGetIndexPredicate(idx) != NIL)
		{
			index_close(idx, RowExclusiveLock);
			ledger_catalog_insert(rel, tup);
			return;
		}
		old = MemoryContextSwitchTo(TopMemoryContext);
		if (info != NULL)
			pfree(info);
		info = BuildIndexInfo(idx);
		info_index = pk;
		MemoryContextSwitchTo(old);
	}
	simple_heap_insert(rel, tup);
	values[0] = Int64GetDatum(ledger_id);
	values[1] = Int64GetDatum(xact_id);
	index_insert(idx, values, isnull, &tup->t_self, rel, UNIQUE_CHECK_YES, false, info);
	index_close(idx, NoLock);
}

/* Write one ledger.transactions row per ledger this transaction wrote. */
static void
pending_write_records(bool preparing)
{
	PendingLedger *pl;
	Relation	rel = NULL;
	Relation	queue = NULL;
	TimestampTz committed_at = GetCurrentTimestamp();

	/* keys that signed these rows must still be good at committed_at */
	signed_precommit_check(committed_at, current_ledger_xact, preparing);

	/* the statements are over: every held row was stored or skipped */
	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		if (pl->open)
		{
			/*
			 * Opened, not just looked up: a relcache entry rebuilt since the
			 * statement (a GRANT, or another session's ANALYZE) has its
			 * statistics link set up again only by relation_open, and without
			 * it the count reads as unknown and a skipped row as stored
			 * (found by a review on 2026-12-05)
			 */
			Relation	lrel = try_relation_open(pl->relid, AccessShareLock);

			if (lrel != NULL)
			{
				pending_confirm(pl, lrel);
				relation_close(lrel, NoLock);
			}
			else
			{
				/*
				 * dropped by this transaction (drop_ledger, which refuses a
				 * transaction that stored rows in it): the held row was
				 * skipped, and nothing of it is left to record; the record
				 * stood for a ledger gone (found by a review on 2026-12-06)
				 */
				pl->count = 0;
			}
			pl->open = false;
		}
		signed_withdraw_messages(pl->wd_msgs, pl->nwithdrawn);
		pl->nwithdrawn = 0;
	}

	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		Datum		qvalues[3];
		bool		qnulls[3] = {false, false, false};
		uint8		root[LEDGER_HASH_LEN];
		HeapTuple	tup;
		HeapTuple	qtup;

		if (pl->count == 0)
			continue;
		if (rel == NULL)
		{
			rel = table_open(ledger_catalog_relid("transactions"), RowExclusiveLock);
			queue = table_open(ledger_catalog_relid("seal_queue"), RowExclusiveLock);
		}

		/* the record, for good */
		merkle_stream_root(&pl->ms, root);
		values[0] = Int64GetDatum(pl->ledger_id);
		values[1] = Int64GetDatum(current_ledger_xact);
		values[2] = Int64GetDatum(pl->count);
		values[3] = PointerGetDatum(ledger_hash_to_bytea(root));
		values[4] = TimestampTzGetDatum(committed_at);
		tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
		pending_insert_record(rel, tup, pl->ledger_id, current_ledger_xact);

		/*
		 * and the sealer's pointer to it (unlogged: no WAL); the list has no
		 * index, so a plain heap insert is all ledger_catalog_insert would do
		 * (less its look-up of the indexes), unless someone added one
		 */
		qvalues[0] = Int64GetDatum(pl->ledger_id);
		qvalues[1] = Int64GetDatum(current_ledger_xact);
		qvalues[2] = PointerGetDatum(&tup->t_self);
		qtup = heap_form_tuple(RelationGetDescr(queue), qvalues, qnulls);
		if (RelationGetForm(queue)->relhasindex)
			ledger_catalog_insert(queue, qtup);
		else
			simple_heap_insert(queue, qtup);
		heap_freetuple(qtup);
		heap_freetuple(tup);
		pending_written = true;
	}
	if (rel != NULL)
	{
		table_close(queue, NoLock);
		table_close(rel, NoLock);
	}
}

/* Transaction end: write records before commit, signal the sealer after. */
static void
ledger_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:

			/*
			 * A block written in a prepared transaction is invisible to the
			 * rebuild of the work list after a crash or a promotion, which
			 * would list its transactions again: sealed twice once COMMIT
			 * PREPARED came.
			 */
			if (sealed_in_xact)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has sealed ledger transactions"),
						 errdetail("A crash or a promotion before COMMIT PREPARED would have the sealer list the same transactions again for another block."),
						 errhint("Call ledger.seal() or ledger.digest() in a transaction of its own.")));
			/* FALLTHROUGH */
		case XACT_EVENT_PRE_COMMIT:
			if (pending_head != NULL)
				pending_write_records(event == XACT_EVENT_PRE_PREPARE);
			break;
		case XACT_EVENT_COMMIT:
			if (pending_written)
				sealer_notify(MyDatabaseId);
			/* a row's error caught by a savepoint (see ABORT) */
			canon_row_buffer_trim();
			pending_head = NULL;
			pending_written = false;
			current_ledger_xact = -1;
			sealed_in_xact = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:

			/*
			 * An error in the middle of a very large row left the row
			 * trigger's buffer at its size: trimmed at every end of a
			 * transaction, also a commit or a PREPARE after a savepoint or an
			 * EXCEPTION block caught the error (no row is being hashed then;
			 * not at a subtransaction's abort, which may come while an outer
			 * level's row is)
			 */
			canon_row_buffer_trim();
			pending_head = NULL;
			pending_written = false;
			current_ledger_xact = -1;
			sealed_in_xact = false;
			break;
		default:
			break;
	}
}

/* This transaction's ledger transaction number; -1 if none (and !assign). */
int64
pending_current_xact(bool assign)
{
	if (current_ledger_xact < 0 && assign)
	{
		Oid			seq = ledger_catalog_object("transaction_id_seq");

		if (!OidIsValid(seq))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("ledger sequence \"ledger.transaction_id_seq\" is missing"),
					 errhint("Reinstall the extension.")));
		/* nextval_internal checks no privilege: writers need none on it */
		current_ledger_xact = nextval_internal(seq, false);
	}
	return current_ledger_xact;
}

int64
pending_own_xact_in(bool replica)
{
	return replica ? -1 : pending_current_xact(false);
}

/* ---------- numbering the executor runs and utility commands ---------- */

/* One more run under way; returns the depth to go back to after it. */
static int
pending_run_enter(void)
{
	int			saved = run_depth;

	if (run_depth + 1 >= run_max)
	{
		int			newmax = run_max == 0 ? 16 : run_max * 2;

		if (run_ids == NULL)
			run_ids = MemoryContextAllocZero(TopMemoryContext, sizeof(uint64) * newmax);
		else
		{
			run_ids = repalloc(run_ids, sizeof(uint64) * newmax);
			memset(run_ids + run_max, 0, sizeof(uint64) * (newmax - run_max));
		}
		run_max = newmax;
	}
	run_ids[++run_depth] = ++run_counter;
	return saved;
}

/*
 * The run at the current depth ends without error: every row stamped in it
 * (and not in a run below it) was stored or skipped by now, since the
 * executor finishes a row's insert in the call that fired its trigger, so
 * the row held open is settled here rather than at pre-commit.  The table
 * is still locked by this transaction, and usually still open in the
 * executor, so its relcache entry is looked up without opening it again;
 * if the entry has no statistics link (rebuilt since the insert: see
 * pending_write_records), the row stays held for pre-commit, which opens
 * the table.  Until 2026-12-07 pre-commit opened it for every transaction
 * that wrote a ledger: a single-row transaction took 1,840 instructions
 * more than with this (77,890 against 76,050; bench part bulk_insn).
 */
static void
pending_run_settle(void)
{
	PendingLedger *pl;

	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		Relation	rel;

		if (!pl->open || pl->open_depth != run_depth || run_ids == NULL ||
			pl->open_run != run_ids[run_depth])
			continue;
		rel = RelationIdGetRelation(pl->relid);
		if (rel == NULL)
			continue;
		if (rel->pgstat_info != NULL)
			pending_confirm(pl, rel);
		RelationClose(rel);
	}
}

static void
pending_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
					uint64 count, bool execute_once)
{
	int			saved = pending_run_enter();

	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
		pending_run_settle();
	}
	PG_FINALLY();
	{
		run_depth = saved;
	}
	PG_END_TRY();
}

/*
 * ExecutorFinish runs what ExecutorRun left: the data-modifying CTEs no one
 * read (WITH x AS (INSERT ...) SELECT 1) and AFTER triggers; a run of its
 * own (found by a review on 2026-12-05: such a CTE's rows were stamped in
 * no known run, and the nesting went unseen).
 */
static void
pending_ExecutorFinish(QueryDesc *queryDesc)
{
	int			saved = pending_run_enter();

	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
		pending_run_settle();
	}
	PG_FINALLY();
	{
		run_depth = saved;
	}
	PG_END_TRY();
}

static void
pending_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	int			saved;

	/*
	 * ALTER ROLE ... NOSUPERUSER, ALTER TABLE/INDEX ALL IN TABLESPACE and
	 * REASSIGN OWNED (guard.c)
	 */
	guard_utility_start(pstmt->utilityStmt);

	saved = pending_run_enter();
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
		pending_run_settle();
	}
	PG_FINALLY();
	{
		run_depth = saved;
	}
	PG_END_TRY();

	/*
	 * COMMIT PREPARED commits another transaction, whose records went on the
	 * work list at PREPARE; no commit of this backend's own announces them.
	 * So the sealer is told when this transaction commits, as a writer's
	 * commit tells it (PostgreSQL runs COMMIT PREPARED only outside a
	 * transaction block, and only for a transaction of this database:
	 * twophase.c, LockGXact).  Until 2026-12-06 they waited for the next
	 * commit that wrote to a ledger, or the launcher's sweep once a minute,
	 * and so did the rows of a transaction prepared before a crash, whose
	 * records the rebuilt list can take only once a pass looks again
	 * (test/t/480_crash_review.pl).  Whether the transaction wrote to a
	 * ledger is not known here: a pass with nothing to do costs little.  But
	 * only in a database that has the extension (this hook is loaded in every
	 * database of the server): elsewhere each COMMIT PREPARED started a
	 * sealer there, which connected, found no extension and exited, a
	 * background worker's start and slot for each (test/t/485).
	 */
	if (IsA(pstmt->utilityStmt, TransactionStmt) &&
		((TransactionStmt *) pstmt->utilityStmt)->kind == TRANS_STMT_COMMIT_PREPARED &&
		OidIsValid(get_extension_oid("ledger", true)))
		pending_written = true;
}

/* Register callbacks and hooks; called from _PG_init. */
void
pending_init(void)
{
	RegisterXactCallback(ledger_xact_callback, NULL);
	RegisterSubXactCallback(ledger_subxact_callback, NULL);
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = pending_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = pending_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = pending_ProcessUtility;
}

/*
 * The sequence number of the next row of rel (ledger ledger_id) in this
 * transaction; the row trigger takes it before it hashes the row.
 */
int64
pending_next_seq(Relation rel, int64 ledger_id)
{
	return pending_get(RelationGetRelid(rel), ledger_id)->next_seq++;
}

/*
 * The row trigger stamped a row of rel (ledger ledger_id) with leaf, or, for
 * a row arriving with its own hash, with NULL; msg is its signed message in
 * ledger.signed_messages, or invalid (msg->rel).
 */
void
pending_stamp_row(Relation rel, int64 ledger_id, const uint8 *leaf,
				  const SignedMsgRef *msg)
{
	pending_stamp(pending_get(RelationGetRelid(rel), ledger_id), rel, leaf,
				  msg);
}

PG_FUNCTION_INFO_V1(ledger_own_xact);

/*
 * ledger._own_xact() RETURNS int8
 *
 * The ledger transaction number of the calling transaction, NULL until it
 * has written a ledger row: its rows have no record yet, and ledger.export
 * leaves them out, as ledger.verify does.
 */
Datum
ledger_own_xact(PG_FUNCTION_ARGS)
{
	int64		xact = pending_current_xact(false);

	if (xact < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(xact);
}
