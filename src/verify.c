/*-------------------------------------------------------------------------
 *
 * verify.c
 *		Digests, and verification of a ledger from its rows up.
 *
 * ledger.verify recomputes everything from the stored rows: each row's leaf
 * from its canonical bytes (compared with ledger_hash), each transaction's
 * root from its rows in sequence order (compared with its record in
 * ledger.transactions), each block's root from the transactions it lists,
 * in its order, each block's place in the history tree and, for blocks of
 * format 2, the history tree's root after it (recomputed over every
 * transaction leaf in seal order), each block's hash and its link to the
 * previous block.  Given a digest kept outside the database, it also checks
 * that the digest's block is still there with the same hash (and history
 * size and root), which is what catches the removal of the newest rows
 * together with their records and blocks.
 *
 * It reads the table and the catalog under one snapshot (of the call, under
 * READ COMMITTED; the transaction's otherwise), so a
 * concurrent writer never makes it report a false break: rows of
 * transactions that commit later are invisible together with their records,
 * and a block committed later is invisible with the records it lists.
 *
 * The first problem found is returned in words that name the row (by ctid,
 * transaction and sequence) or the transaction or block, and verification
 * stops there.  A stored hash that is not one (NULL, or not 32 bytes long:
 * a superuser's edit of the catalog) is such a problem too, never an error:
 * the catalog's readers note the first malformed record and block for
 * verify (record.h, LedgerHashFault), which reports it where that record or
 * block is checked.
 *
 * Cost: rows are read once, hashed, and kept as (xact, seq, ctid, leaf),
 * 56 bytes each.  The records come in xact order from the primary key.
 * Each row is then given the index of its transaction's record, found by a
 * search that starts where the previous one ended (rows sit in the heap
 * nearly in transaction order, so it is one or two comparisons), and the
 * rows are grouped by record with a counting sort: no sort of all rows,
 * whose cost grew faster than the rows did.  Within a transaction the rows
 * are usually already in sequence order; they are sorted only when not.
 * Blocks find their records with the same kind of search.  Nothing is read
 * of other ledgers: records through their ledger's range of the index,
 * blocks by their ledger's primary key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"
#include "catalog.h"
#include "digest.h"
#include "merkle.h"
#include "pending.h"
#include "record.h"
#include "sealer.h"
#include "signed.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_verify);
PG_FUNCTION_INFO_V1(ledger_digest);

/* One stored row, as verification needs it. */
typedef struct VRow
{
	int64		xact;			/* then its record's index (-1: none) */
	int64		seq;
	ItemPointerData tid;
	uint8		leaf[LEDGER_HASH_LEN];
} VRow;

/* No record (an index into VState.recs). */
#define VNONE PG_UINT64_MAX

typedef struct VState
{
	MemoryContext problem_cxt;	/* outlives SPI: the caller's context */
	int			format;			/* the ledger's row format */
	int64		rows_checked;
	int64		tx_checked;
	int64		blocks_checked;
	int64		unsealed;
	char	   *problem;
	/* rows */
	VRow	   *rows;
	uint64		nrows;
	uint64		caprows;
	/* records, in xact order, and the block that lists each (-1: none) */
	LedgerRecord *recs;
	int64	   *rec_block;
	uint64		nrecs;
	uint64		hint;			/* where the last record search ended */
	LedgerHashFault rec_fault;	/* the first record with a malformed root */
} VState;

/* Record the first problem found (formatted); later ones are dropped. */
static void vproblem(VState *st, const char *fmt,...) pg_attribute_printf(2, 3);

static void
vproblem(VState *st, const char *fmt,...)
{
	StringInfoData buf;
	va_list		args;
	MemoryContext old;

	if (st->problem != NULL)
		return;
	/* parts run inside SPI, whose memory SPI_finish frees */
	old = MemoryContextSwitchTo(st->problem_cxt);
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	MemoryContextSwitchTo(old);
	st->problem = buf.data;
}

/*
 * A malformed stored hash of the catalog (record.h): subject (the record or
 * block) has none, or one of the wrong length; cause says who did it.
 */
static void
verify_fault_problem(VState *st, const char *subject, const LedgerHashFault *f,
					 const char *cause)
{
	if (f->len < 0)
		vproblem(st, "%s has no %s (it is NULL): %s", subject, f->what, cause);
	else
		vproblem(st, "%s has a %s of %d bytes, not a 32-byte hash: %s",
				 subject, f->what, f->len, cause);
}

/* A hash as lowercase hex, palloc'd. */
static char *
verify_hex(const uint8 *h)
{
	char	   *out = palloc(2 * LEDGER_HASH_LEN + 1);

	out[hex_encode((const char *) h, LEDGER_HASH_LEN, out)] = '\0';
	return out;
}

/* order row indexes (into the VRow array arg) by seq */
static int
vrow_seq_cmp(const void *a, const void *b, void *arg)
{
	const VRow *rows = arg;
	int64		x = rows[*(const uint64 *) a].seq;
	int64		y = rows[*(const uint64 *) b].seq;

	return (x > y) - (x < y);
}

/*
 * The index of the first record of transaction xact (records are in xact
 * order), or VNONE.  The search starts at the index the previous one ended
 * at and gallops outwards, so look-ups in nearly ascending order cost a few
 * comparisons each; any order is still found in O(log n).
 */
static uint64
verify_find_rec(VState *st, int64 xact)
{
	const LedgerRecord *recs = st->recs;
	uint64		n = st->nrecs;
	uint64		lo;
	uint64		hi;
	uint64		h = st->hint;
	uint64		step = 1;

	if (n == 0)
		return VNONE;
	if (h >= n)
		h = n - 1;
	/* bracket the lower bound of xact: recs[lo - 1] < xact <= recs[hi] */
	if (recs[h].xact_id < xact)
	{
		lo = h + 1;
		hi = n;
		while (lo + step - 1 < n && recs[lo + step - 1].xact_id < xact)
		{
			lo += step;
			step *= 2;
		}
		if (lo + step - 1 < n)
			hi = lo + step - 1;
	}
	else
	{
		lo = 0;
		hi = h;
		while (step <= hi && recs[hi - step].xact_id >= xact)
		{
			hi -= step;
			step *= 2;
		}
		if (step <= hi)
			lo = hi - step + 1;
	}
	while (lo < hi)
	{
		uint64		mid = lo + (hi - lo) / 2;

		if (recs[mid].xact_id < xact)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && recs[lo].xact_id == xact)
	{
		st->hint = lo;
		return lo;
	}
	return VNONE;
}

/* Where a record sits, for messages: "block N" or "not yet sealed". */
static const char *
verify_where(const VState *st, uint64 i)
{
	if (st->rec_block[i] < 0)
		return "not yet sealed";
	return psprintf("block " INT64_FORMAT, st->rec_block[i]);
}

/*
 * Scan the table: check every row's hash (and signature), keep what the
 * trees need.  Rows of the calling transaction itself are skipped: they
 * are recorded only when it commits.  A replica's rows carry the origin's
 * transaction numbers, which may equal the caller's own (drawn here), and
 * the calling transaction never writes a replica: none is skipped there
 * (found by a review on 2026-12-05: an honest replica failed verify inside
 * a transaction that had written a local ledger).
 */
static void
verify_rows(Relation rel, LedgerInfo *info, VState *st)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const CanonLayout *layout = &info->layout;
	TableScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext rowcxt;
	MemoryContext rowscxt = CurrentMemoryContext;
	StringInfoData buf;
	int64		own_xact = pending_own_xact_in(info->replica);
	SignedVerifier *sv;
	char	   *sproblem;

	if (layout->xact_attnum == 0 || layout->seq_attnum == 0 || layout->hash_attnum == 0)
	{
		vproblem(st, "table \"%s\" has lost its ledger columns", RelationGetRelationName(rel));
		return;
	}
	sv = signed_verify_begin(rel, CurrentMemoryContext);	/* NULL unless signed */

	st->caprows = 1024;
	st->rows = MemoryContextAllocHuge(rowscxt, sizeof(VRow) * st->caprows);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger verify row",
								   ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&buf);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old;
		Datum	   *values;
		bool	   *isnull;
		VRow	   *r;
		bytea	   *stored;
		char	   *tproblem = NULL;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		values = slot->tts_values;
		isnull = slot->tts_isnull;
		if (isnull[layout->xact_attnum - 1] || isnull[layout->seq_attnum - 1] ||
			isnull[layout->hash_attnum - 1])
		{
			vproblem(st, "row at ctid (%u,%u) has no ledger stamp: it was inserted around the ledger",
					 ItemPointerGetBlockNumber(&slot->tts_tid),
					 ItemPointerGetOffsetNumber(&slot->tts_tid));
			break;
		}
		if (DatumGetInt64(values[layout->xact_attnum - 1]) == own_xact)
			continue;
		if (st->nrows == st->caprows)
		{
			st->caprows *= 2;
			st->rows = repalloc_huge(st->rows, sizeof(VRow) * st->caprows);
		}
		r = &st->rows[st->nrows];
		r->xact = DatumGetInt64(values[layout->xact_attnum - 1]);
		r->seq = DatumGetInt64(values[layout->seq_attnum - 1]);
		r->tid = slot->tts_tid;

		old = MemoryContextSwitchTo(rowcxt);
		canon_row_bytes_checked(&buf, st->format, layout, tupdesc, values, isnull,
								r->xact, r->seq, &tproblem);
		if (tproblem != NULL)
		{
			/* whatever its hash says (found by a review on 2026-12-06) */
			MemoryContextSwitchTo(old);
			vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") %s",
					 ItemPointerGetBlockNumber(&r->tid), ItemPointerGetOffsetNumber(&r->tid),
					 r->xact, r->seq, tproblem);
			break;
		}
		merkle_leaf_hash(buf.data, buf.len, r->leaf);
		stored = DatumGetByteaPP(values[layout->hash_attnum - 1]);
		if (VARSIZE_ANY_EXHDR(stored) != LEDGER_HASH_LEN)
		{
			/* not a hash at all: say what it holds */
			MemoryContextSwitchTo(old);
			vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") has a stored hash of %zu bytes, not a 32-byte hash: its hash was changed after it was written",
					 ItemPointerGetBlockNumber(&r->tid), ItemPointerGetOffsetNumber(&r->tid),
					 r->xact, r->seq, (size_t) VARSIZE_ANY_EXHDR(stored));
			break;
		}
		if (memcmp(VARDATA_ANY(stored), r->leaf, LEDGER_HASH_LEN) != 0)
		{
			MemoryContextSwitchTo(old);
			vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") does not match its stored hash: its contents or its hash were changed after it was written",
					 ItemPointerGetBlockNumber(&r->tid), ItemPointerGetOffsetNumber(&r->tid),
					 r->xact, r->seq);
			break;
		}
		if (sv != NULL &&
			!signed_verify_row(sv, values, isnull, r->xact, r->seq, &r->tid, &sproblem))
		{
			MemoryContextSwitchTo(old);
			vproblem(st, "%s", sproblem);
			break;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		st->nrows++;
		st->rows_checked++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(rowcxt);
}

/* rows of one transaction between interrupt checks (a mask) */
#define VERIFY_CFI_ROWS 0xFFF

/*
 * Each record against the rows that claim its transaction (records in xact
 * order): the row count, and the root over their leaves in sequence order.
 * Rows of no record were inserted around the ledger.  The first problem in
 * transaction order is reported.
 */
static void
verify_records(VState *st)
{
	uint64	   *pos;			/* per record: start, then end of its rows */
	uint64	   *order;			/* row indexes grouped by record */
	bool		orphan = false; /* a row of no record was found: */
	VRow		orphan_row;		/* the first, in (xact, seq) order */
	uint64		i;
	uint64		v;

	/*
	 * A counting sort of the rows by record: count, sum, place.  The first
	 * pass replaces each row's xact by its record's index (-1: none), which
	 * the second pass reads; the xact is the record's from then on.
	 */
	pos = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * (st->nrecs + 1));
	memset(pos, 0, sizeof(uint64) * (st->nrecs + 1));
	memset(&orphan_row, 0, sizeof(orphan_row));
	st->hint = 0;
	for (i = 0; i < st->nrows; i++)
	{
		VRow	   *r = &st->rows[i];

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		v = verify_find_rec(st, r->xact);
		if (v != VNONE)
		{
			pos[v + 1]++;
			r->xact = (int64) v;
			continue;
		}
		if (!orphan || r->xact < orphan_row.xact ||
			(r->xact == orphan_row.xact && r->seq < orphan_row.seq))
			orphan_row = *r;
		orphan = true;
		r->xact = -1;
	}
	for (i = 1; i <= st->nrecs; i++)
		pos[i] += pos[i - 1];
	order = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * Max(st->nrows, 1));
	for (i = 0; i < st->nrows; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (st->rows[i].xact >= 0)
			order[pos[st->rows[i].xact]++] = i;
	}

	for (i = 0; i < st->nrecs && st->problem == NULL; i++)
	{
		const LedgerRecord *v = &st->recs[i];
		uint64		beg = i == 0 ? 0 : pos[i - 1];
		uint64		end = pos[i];
		uint64		k;
		MerkleStream ms;
		uint8		computed[LEDGER_HASH_LEN];
		int64		count = (int64) (end - beg);

		CHECK_FOR_INTERRUPTS();
		if (i > 0 && st->recs[i - 1].xact_id == v->xact_id)
		{
			/* the first copy is the one a block's list was matched with */
			vproblem(st, "transaction " INT64_FORMAT " (%s) is recorded more than once: a record was copied or forged",
					 v->xact_id, verify_where(st, i - 1));
			return;
		}
		/* rows of transactions with no record come first */
		if (orphan && orphan_row.xact < v->xact_id)
			break;
		if ((int64) i == st->rec_fault.index)
		{
			verify_fault_problem(st, psprintf("transaction " INT64_FORMAT " (%s)",
											  v->xact_id, verify_where(st, i)),
								 &st->rec_fault, "the record was edited");
			return;
		}

		/*
		 * rows of one transaction are in the heap in sequence order, unless
		 * moved
		 */
		for (k = beg + 1; k < end; k++)
		{
			/* a transaction may have millions of rows: answer a cancel */
			if ((k & VERIFY_CFI_ROWS) == 0)
				CHECK_FOR_INTERRUPTS();
			if (st->rows[order[k]].seq < st->rows[order[k - 1]].seq)
			{
				/* O(n log n) of this transaction's rows: answers a cancel */
				qsort_interruptible(order + beg, end - beg, sizeof(uint64), vrow_seq_cmp, st->rows);
				break;
			}
		}
		merkle_stream_init(&ms);
		for (k = beg; k < end; k++)
		{
			const VRow *r = &st->rows[order[k]];

			if ((k & VERIFY_CFI_ROWS) == 0)
				CHECK_FOR_INTERRUPTS();
			if (k > beg && r->seq == st->rows[order[k - 1]].seq)
			{
				const VRow *p = &st->rows[order[k - 1]];

				vproblem(st, "rows at ctid (%u,%u) and (%u,%u) both claim transaction " INT64_FORMAT ", sequence " INT64_FORMAT ": one of them is forged",
						 ItemPointerGetBlockNumber(&p->tid),
						 ItemPointerGetOffsetNumber(&p->tid),
						 ItemPointerGetBlockNumber(&r->tid),
						 ItemPointerGetOffsetNumber(&r->tid),
						 v->xact_id, r->seq);
				return;
			}
			merkle_stream_add(&ms, r->leaf);
		}
		if (count == 0)
		{
			vproblem(st, "transaction " INT64_FORMAT " (%s) recorded " INT64_FORMAT " rows, but none of them is in the table: they were deleted",
					 v->xact_id, verify_where(st, i), v->row_count);
			return;
		}
		if (count != v->row_count)
		{
			vproblem(st, "transaction " INT64_FORMAT " (%s) recorded " INT64_FORMAT " rows, but the table holds " INT64_FORMAT " of them: rows were %s, or the record was edited",
					 v->xact_id, verify_where(st, i), v->row_count, count,
					 count < v->row_count ? "deleted" : "added");
			return;
		}
		merkle_stream_root(&ms, computed);
		if (memcmp(computed, v->root, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "rows of transaction " INT64_FORMAT " (%s) do not match its recorded root: rows were replaced or reordered, or the record was edited",
					 v->xact_id, verify_where(st, i));
			return;
		}
		if (st->rec_block[i] < 0)
			st->unsealed++;
		st->tx_checked++;
	}
	if (st->problem == NULL && orphan)
		vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") belongs to no recorded transaction: it was inserted around the ledger",
				 ItemPointerGetBlockNumber(&orphan_row.tid),
				 ItemPointerGetOffsetNumber(&orphan_row.tid),
				 orphan_row.xact, orphan_row.seq);
	pfree(order);
	pfree(pos);
}

/*
 * Say which block lists each record; a transaction listed twice, or listed
 * without a record, is a forged block.
 */
static void
verify_membership(VState *st, LedgerBlock *blocks, uint64 nblocks)
{
	uint64		i;
	int			j;

	st->hint = 0;
	for (i = 0; i < nblocks && st->problem == NULL; i++)
	{
		LedgerBlock *b = &blocks[i];

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < b->nxacts; j++)
		{
			uint64		v = verify_find_rec(st, b->xact_ids[j]);

			if (v == VNONE)
			{
				vproblem(st, "block " INT64_FORMAT " lists transaction " INT64_FORMAT ", which has no record: the record was deleted or the block forged",
						 b->block_no, b->xact_ids[j]);
				return;
			}
			if (st->rec_block[v] >= 0)
			{
				vproblem(st, "transaction " INT64_FORMAT " is listed by blocks " INT64_FORMAT " and " INT64_FORMAT ": a block was forged",
						 b->xact_ids[j], st->rec_block[v], b->block_no);
				return;
			}
			st->rec_block[v] = b->block_no;
		}
	}
}

/*
 * Each block against the transactions it lists: counts, root, place in the
 * history tree and (format 2) the history root after it; its hash; its
 * link to the previous block.  On success *last_block is the end of the
 * chain.
 */
static void
verify_blocks(VState *st, const pg_uuid_t *uuid, const char *relname,
			  LedgerBlock *blocks, uint64 nblocks, const LedgerHashFault *fault,
			  int64 *last_block)
{
	MerkleStream history;
	uint8		last_hash[LEDGER_HASH_LEN];
	int64		position = 0;
	int64		total_rows = 0;
	uint64		i;

	*last_block = -1;
	memset(last_hash, 0, LEDGER_HASH_LEN);
	merkle_stream_init(&history);
	st->hint = 0;
	for (i = 0; i < nblocks; i++)
	{
		LedgerBlock *b = &blocks[i];
		MerkleStream ms;
		uint8		computed[LEDGER_HASH_LEN];
		int64		rows = 0;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (b->block_no != *last_block + 1)
		{
			vproblem(st, "block " INT64_FORMAT " is missing: the chain jumps from block " INT64_FORMAT " to block " INT64_FORMAT,
					 *last_block + 1, *last_block, b->block_no);
			return;
		}
		if ((int64) i == fault->index)
		{
			verify_fault_problem(st, psprintf("block " INT64_FORMAT, b->block_no), fault,
								 "its header was edited");
			return;
		}
		if (memcmp(b->prev_hash, last_hash, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not link to block " INT64_FORMAT ": its previous-block hash differs",
					 b->block_no, b->block_no - 1);
			return;
		}
		merkle_stream_init(&ms);
		for (j = 0; j < b->nxacts; j++)
		{
			/* membership found every listed record */
			const LedgerRecord *v = &st->recs[verify_find_rec(st, b->xact_ids[j])];
			uint8		leaf[LEDGER_HASH_LEN];

			record_leaf(v, st->format, leaf);
			merkle_stream_add(&ms, leaf);
			merkle_stream_add(&history, leaf);
			rows += v->row_count;
		}
		if (j != b->tx_count || rows != b->row_count)
		{
			vproblem(st, "block " INT64_FORMAT " records %d transactions and " INT64_FORMAT " rows, but lists %d transactions with " INT64_FORMAT " rows",
					 b->block_no, b->tx_count, b->row_count, j, rows);
			return;
		}
		merkle_stream_root(&ms, computed);
		if (memcmp(computed, b->root, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not match its transactions: its root differs from the root of the transactions it lists",
					 b->block_no);
			return;
		}
		if (b->first_position != position)
		{
			vproblem(st, "block " INT64_FORMAT " claims history position " INT64_FORMAT ", but its transactions follow " INT64_FORMAT " earlier ones",
					 b->block_no, b->first_position, position);
			return;
		}
		position += b->tx_count;
		total_rows += b->row_count;
		if (b->total_rows != total_rows)
		{
			vproblem(st, "block " INT64_FORMAT " claims " INT64_FORMAT " rows up to it, but the blocks up to it hold " INT64_FORMAT,
					 b->block_no, b->total_rows, total_rows);
			return;
		}
		if (b->format_version >= BLOCK_FORMAT_2)
		{
			if (!b->has_tree_root)
			{
				vproblem(st, "block " INT64_FORMAT " has no history root (it is NULL), which a block of format %d has: its header was edited",
						 b->block_no, b->format_version);
				return;
			}
			merkle_stream_root(&history, computed);
			if (memcmp(computed, b->tree_root, LEDGER_HASH_LEN) != 0)
			{
				vproblem(st, "block " INT64_FORMAT " does not match the history before it: its history root differs from the root of every transaction up to it",
						 b->block_no);
				return;
			}
		}
		block_compute_hash(uuid, b, computed);
		if (memcmp(computed, b->block_hash, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not match its hash: its header was edited",
					 b->block_no);
			return;
		}
		memcpy(last_hash, b->block_hash, LEDGER_HASH_LEN);
		*last_block = b->block_no;
		st->blocks_checked++;
	}
	if (*last_block < 0)
		vproblem(st, "ledger \"%s\" has no genesis block", relname);
}

/* The digest's block is still there, with the digest's hash. */
static void
verify_against_digest(VState *st, const LedgerDigest *digest,
					  LedgerBlock *blocks, int64 last_block)
{
	LedgerBlock *b;

	if (digest->block > last_block)
	{
		vproblem(st, "the digest names block " INT64_FORMAT ", but the ledger ends at block " INT64_FORMAT ": blocks were removed",
				 digest->block, last_block);
		return;
	}
	/* the chain is complete from block 0: block k is blocks[k] */
	b = &blocks[digest->block];
	if (memcmp(b->block_hash, digest->block_hash, LEDGER_HASH_LEN) != 0)
	{
		vproblem(st, "block " INT64_FORMAT " differs from the digest: the digest has hash %s, the ledger %s",
				 digest->block, verify_hex(digest->block_hash), verify_hex(b->block_hash));
		return;
	}
	if (digest->has_tree && (digest->tree_size != BLOCK_TREE_SIZE(b) || !b->has_tree_root ||
							 memcmp(digest->tree_root, b->tree_root, LEDGER_HASH_LEN) != 0))
		vproblem(st, "block " INT64_FORMAT " differs from the digest: the digest has history size " INT64_FORMAT " and root %s, the ledger " INT64_FORMAT " and %s",
				 digest->block, digest->tree_size, verify_hex(digest->tree_root),
				 BLOCK_TREE_SIZE(b), b->has_tree_root ? verify_hex(b->tree_root) : "none");
}

/*
 * Records against rows, blocks against records, the chain and the history,
 * and a digest kept outside (the caller's snapshot).
 */
static void
verify_chain(int64 ledger_id, const pg_uuid_t *uuid, const char *relname,
			 VState *st, const LedgerDigest *digest)
{
	LedgerBlock *blocks;
	uint64		nblocks;
	uint64		i;
	int64		last_block;
	LedgerHashFault block_fault;

	/* malformed stored hashes are noted, and reported in order below */
	st->recs = record_read_all(ledger_id, GetActiveSnapshot(), &st->nrecs, &st->rec_fault);
	st->rec_block = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(st->nrecs, 1));
	for (i = 0; i < st->nrecs; i++)
		st->rec_block[i] = -1;
	blocks = block_read_noting(ledger_id, 0, -1, true, &nblocks, &block_fault);
	verify_membership(st, blocks, nblocks);
	if (st->problem == NULL)
		verify_records(st);
	if (st->problem == NULL)
		verify_blocks(st, uuid, relname, blocks, nblocks, &block_fault, &last_block);
	if (st->problem == NULL && digest != NULL)
		verify_against_digest(st, digest, blocks, last_block);
}

/*
 * A snapshot of the call, not of the statement, under READ COMMITTED: in
 * SELECT * FROM ledger.verify(t, ledger.digest(t)) the digest names a block
 * digest() had sealed after the statement's snapshot was taken, and verify
 * reported it removed (consistency_proof and prove, a block they did not
 * hold): found by a review on 2026-12-05.  Under REPEATABLE READ digest()
 * describes what the transaction's snapshot sees, and that one is kept.
 * PostgreSQL refuses GetLatestSnapshot() in parallel mode (snapmgr.c), so
 * verify, prove and consistency_proof are PARALLEL UNSAFE: a query calling
 * them runs without a Gather (as PARALLEL RESTRICTED they failed with XX000
 * under one).
 */
bool
verify_push_call_snapshot(void)
{
	if (IsolationUsesXactSnapshot())
		return false;
	PushActiveSnapshot(GetLatestSnapshot());
	return true;
}

/* Check that the caller may read the table. */
static void
verify_check_select(Oid relid)
{
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
}

/*
 * Check that the caller may read every row of the table: SELECT privilege,
 * and no row-level security policy in force for it.  verify and prove work
 * on whole transactions; under a policy verify would report rows belonging
 * to others (it reads the heap directly) and prove would fail on the rows it
 * cannot see.
 */
void
verify_check_full_read(Oid relid, const char *fn)
{
	verify_check_select(relid);
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s must read every row of \"%s\", but row-level security limits what the current user can read",
						fn, get_rel_name(relid)),
				 errdetail("A ledger is verified and proved by whole transactions, which may hold rows of other users."),
				 errhint("Run it as the table's owner, a superuser, or a role with BYPASSRLS.")));
}

/*
 * ledger.verify(tbl regclass, digest jsonb DEFAULT NULL,
 *				 OUT ok boolean, OUT rows_checked bigint,
 *				 OUT transactions_checked bigint, OUT blocks_checked bigint,
 *				 OUT unsealed_transactions bigint, OUT problem text)
 */
Datum
ledger_verify(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Jsonb	   *digest_jb = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	LedgerDigest digest;
	Relation	rel;
	LedgerInfo *info;
	int64		ledger_id;
	pg_uuid_t	uuid;
	VState		st;
	MemoryContext vcxt;
	MemoryContext oldcxt;
	TupleDesc	rtd;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	char	   *relname;
	bool		pushed;

	ledger_arg_not_null(fcinfo, 0, "ledger table");
	relid = PG_GETARG_OID(0);
	if (get_call_result_type(fcinfo, NULL, &rtd) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	verify_check_full_read(relid, "ledger.verify()");

	memset(&st, 0, sizeof(st));
	st.problem_cxt = CurrentMemoryContext;
	relname = get_rel_name(relid);
	/* a malformed digest is the caller's error, before any work */
	if (digest_jb != NULL)
		digest_parse(digest_jb, &digest);

	pushed = verify_push_call_snapshot();
	vcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger verify",
								 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(vcxt);
	rel = table_open(relid, AccessShareLock);
	info = ledger_info_lookup(rel);
	if (info == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" is not a ledger", relname),
				 errhint("Use ledger.create_ledger() to make it one.")));
	ledger_id = info->ledger_id;
	uuid = info->uuid;
	st.format = info->format;

	/* a digest of another ledger, or a ledger whose identity changed */
	if (digest_jb != NULL && memcmp(digest.uuid.data, uuid.data, UUID_LEN) != 0)
		vproblem(&st, "the digest belongs to ledger %s, but ledger \"%s\" has uuid %s: the digest is of another ledger, or the ledger's identity was changed",
				 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&digest.uuid))),
				 relname,
				 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&uuid))));

	verify_rows(rel, info, &st);
	table_close(rel, AccessShareLock);
	if (st.problem == NULL)
		verify_chain(ledger_id, &uuid, relname, &st, digest_jb != NULL ? &digest : NULL);
	MemoryContextSwitchTo(oldcxt);

	values[0] = BoolGetDatum(st.problem == NULL);
	values[1] = Int64GetDatum(st.rows_checked);
	values[2] = Int64GetDatum(st.tx_checked);
	values[3] = Int64GetDatum(st.blocks_checked);
	values[4] = Int64GetDatum(st.unsealed);
	if (st.problem)
		values[5] = CStringGetTextDatum(st.problem);
	else
		nulls[5] = true;
	MemoryContextDelete(vcxt);
	if (pushed)
		PopActiveSnapshot();

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rtd), values, nulls)));
}

/*
 * verify_digest found no block of the ledger (SPI connected): the ledger
 * was dropped, or its row deleted, while ledger.digest() waited for the
 * sealer (it holds no lock on the table: a reader's open transaction must
 * not hold what drop_ledger() or a sealer needs), which is no damage; or
 * its blocks are gone.  Until 2026-12-05 each was XX001, "has no block"
 * (found by a review).  Under a snapshot taken now, as verify_digest's.
 */
static void
verify_digest_no_block(int64 ledger_id, Oid relid, const char *relname)
{
	Datum		args[2] = {Int64GetDatum(ledger_id), ObjectIdGetDatum(relid)};
	Oid			argtypes[2] = {INT8OID, OIDOID};
	bool		isnull;
	bool		has_row;
	bool		has_table;

	if (SPI_execute_with_args("SELECT EXISTS (SELECT 1 FROM ledger.ledgers g "
							  "WHERE g.ledger_id OPERATOR(pg_catalog.=) $1), "
							  "EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
							  "WHERE c.oid OPERATOR(pg_catalog.=) $2)",
							  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read ledger.ledgers");
	has_row = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	has_table = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (!has_row && !has_table)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("ledger \"%s\" was dropped while its digest was taken",
						relname ? relname : "?"),
				 errdetail("Another session dropped the ledger and its history (ledger.drop_ledger()) while ledger.digest() waited for it to be sealed.")));
	if (!has_row)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" is not a ledger", relname ? relname : "?"),
				 errdetail("Its row in ledger.ledgers was deleted while ledger.digest() waited for it to be sealed.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("ledger " INT64_FORMAT " has no block", ledger_id),
			 errhint("Run ledger.verify() on the ledger.")));
}

/*
 * The hashes a digest names (SPI result columns 3 to 5: block hash, root,
 * history root) must be hashes: a digest of a block whose stored hash a
 * superuser replaced by something else (found by a review on 2026-12-06: a
 * digest with "root": "00") is not handed out.  ledger.verify() reports
 * which.
 */
static void
verify_digest_check_hashes(int64 ledger_id, const char *relname)
{
	static const char *const names[] = {"block hash", "root", "history root"};
	HeapTuple	tup = SPI_tuptable->vals[0];
	TupleDesc	td = SPI_tuptable->tupdesc;
	bool		isnull;
	int64		block_no = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
	int32		format = DatumGetInt32(SPI_getbinval(tup, td, 6, &isnull));
	int			c;

	for (c = 0; c < 3; c++)
	{
		Datum		d = SPI_getbinval(tup, td, c + 3, &isnull);
		int			len = isnull ? -1 : (int) VARSIZE_ANY_EXHDR(DatumGetByteaPP(d));

		/* a block of format 1 has no history root */
		if (len == LEDGER_HASH_LEN || (isnull && c == 2 && format < BLOCK_FORMAT_2))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot take the digest of ledger \"%s\": block " INT64_FORMAT " has a malformed %s",
						relname ? relname : psprintf("id " INT64_FORMAT, ledger_id),
						block_no, names[c]),
				 len < 0 ?
				 errdetail("Its %s is NULL in ledger.blocks.", names[c]) :
				 errdetail("Its %s holds %d bytes in ledger.blocks, not 32.", names[c], len),
				 errhint("Run ledger.verify() on the ledger.")));
	}
}

/* The digest of a ledger's newest block, as jsonb. */
Jsonb *
verify_digest(int64 ledger_id, Oid relid, const char *relname)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	int			ret;
	int			nestlevel;
	bool		isnull;
	Jsonb	   *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * sealed_at in UTC whatever the session's TimeZone: the digest of a block
	 * is the same text in every session and at every peer
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("TimeZone", "UTC", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = SPI_execute_with_args("SELECT pg_catalog.jsonb_build_object("
								"'ledger', l.name, "
								"'ledger_uuid', l.ledger_uuid, "
								"'block', b.block_no, "
								"'block_hash', pg_catalog.encode(b.block_hash, 'hex'), "
								"'root', pg_catalog.encode(b.root, 'hex'), "
								"'tree_size', b.first_position OPERATOR(pg_catalog.+) b.tx_count, "
								"'tree_root', pg_catalog.encode(b.tree_root, 'hex'), "
								"'transactions', b.first_position OPERATOR(pg_catalog.+) b.tx_count, "
								"'rows', b.total_rows, "
								"'sealed_at', b.sealed_at, "
								"'format_version', b.format_version), "
								"b.block_no, b.block_hash, b.root, b.tree_root, b.format_version "
								"FROM ledger.ledgers l, "
								"LATERAL (SELECT * FROM ledger.blocks x WHERE x.ledger_id OPERATOR(pg_catalog.=) l.ledger_id "
								"ORDER BY x.block_no DESC LIMIT 1) b "
								"WHERE l.ledger_id OPERATOR(pg_catalog.=) $1",
								1, &argtype, &arg, NULL, false, 1);
	AtEOXact_GUC(true, nestlevel);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the newest block of ledger " INT64_FORMAT, ledger_id);
	if (SPI_processed != 1)
		verify_digest_no_block(ledger_id, relid, relname);
	verify_digest_check_hashes(ledger_id, relname);
	/* copy out of SPI's memory */
	result = (Jsonb *) DatumGetPointer(SPI_datumTransfer(SPI_getbinval(SPI_tuptable->vals[0],
																	   SPI_tuptable->tupdesc, 1, &isnull),
														 false, -1));
	SPI_finish();
	return result;
}

/*
 * A ledger whose block 0 is missing (a superuser's DELETE, a partial
 * restore) is never sealed again (sealer.c: its history cannot be chained
 * without the genesis, and no new one is made).  digest() of it waited
 * ledger.digest_wait for a pass that skips it and then described a chain
 * that starts nowhere; it now says so at once.  A replica whose first
 * blocks have not arrived yet has no block at all, which verify_digest
 * reports as before.  One primary-key probe.
 */
static void
verify_check_genesis(int64 ledger_id, const char *relname, bool replica)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	bool		isnull;
	Datum		first;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT pg_catalog.min(block_no) FROM ledger.blocks "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read ledger.blocks");
	first = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if ((isnull && !replica) || (!isnull && DatumGetInt64(first) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot take the digest of ledger \"%s\": its genesis block is missing",
						relname ? relname : psprintf("id " INT64_FORMAT, ledger_id)),
				 errdetail("Block 0 of ledger id " INT64_FORMAT " is not in ledger.blocks; its history cannot be chained without it, and no new genesis block is made.",
						   ledger_id),
				 errhint("Run ledger.verify() on the ledger. It is sealed again once its block 0 is put back from a backup.")));
	SPI_finish();
}

/*
 * ledger.digest(tbl regclass) RETURNS jsonb
 *
 * Has what is committed sealed (by the background sealer, or a one-shot
 * worker: never in the caller's transaction, which writes and locks
 * nothing), then describes the newest block: store the result outside the
 * database and pass it to ledger.verify() later.  In a REPEATABLE READ or
 * SERIALIZABLE transaction it describes the newest block the transaction's
 * snapshot sees, without sealing.
 */
Datum
ledger_digest(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int64		ledger_id;
	char	   *relname;
	bool		replica;

	/* not STRICT: a NULL digest kept for later verifies nothing */
	ledger_arg_not_null(fcinfo, 0, "ledger table");
	relid = PG_GETARG_OID(0);
	verify_check_select(relid);
	ledger_id = ledger_id_for_relation(relid, false);
	/* its name now: the wait below may end with the table dropped */
	relname = get_rel_name(relid);

	/*
	 * a replica's newest block is the newest one replicated, a standby's the
	 * newest one replayed (nothing seals there: asking waited for
	 * ledger.digest_wait)
	 */
	replica = ledger_id_is_replica(ledger_id);
	verify_check_genesis(ledger_id, relname, replica);
	if (!IsolationUsesXactSnapshot() && !RecoveryInProgress() && !replica)
		(void) sealer_request_seal(ledger_id, relname);
	PG_RETURN_JSONB_P(verify_digest(ledger_id, relid, relname));
}

/*
 * ledger.merkle_root(leaves bytea[]) RETURNS bytea
 *
 * RFC 6962 MTH over the given leaf data (not hashes), for test vectors and
 * for auditors checking roots by hand.
 */
PG_FUNCTION_INFO_V1(ledger_merkle_root);
Datum
ledger_merkle_root(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	MerkleStream ms;
	uint8		root[LEDGER_HASH_LEN];

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leaves must be a one-dimensional array")));
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	merkle_stream_init(&ms);
	for (i = 0; i < n; i++)
	{
		bytea	   *b;
		uint8		leaf[LEDGER_HASH_LEN];

		/* 1e8 leaves take about 20 s: cancellable (statement_timeout) */
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("leaf %d is NULL", i + 1)));
		b = DatumGetByteaPP(elems[i]);
		merkle_leaf_hash(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), leaf);
		merkle_stream_add(&ms, leaf);
	}
	merkle_stream_root(&ms, root);
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(root));
}
