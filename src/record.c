/*-------------------------------------------------------------------------
 *
 * record.c
 *		Transaction records and blocks: their hash formats, and the one
 *		reader of them that sealing, verification and proofs share.
 *
 * A transaction record (ledger.transactions) holds what a committed
 * transaction wrote to one ledger: its row count and the RFC 6962 root of
 * its rows' leaves.  It is written once, before its transaction commits,
 * and never updated.  Its leaf, in its block's tree and in the ledger's
 * history tree, is
 *
 *	H(0x00 || 'T' || f || xact_id || row_count || root || committed_at)
 *
 * with f the ledger's row format (integers big-endian, committed_at in
 * microseconds since 2000-01-01 UTC).  A block lists its transactions
 * (xact_ids, in (committed_at, xact_id) order, a total order fixed by the
 * records themselves) and their place in the history tree (first_position);
 * its hash is, in format 1 (blocks sealed by 0.1.0),
 *
 *	SHA-256("ledger-block-v1\0" || ledger uuid || block_no || prev_hash ||
 *			root || tx_count || row_count || sealed_at || format_version)
 *
 * and in format 2 the same under the tag "ledger-block-v2\0" followed by
 * tree_size || tree_root, the size and root of the history tree after the
 * block (docs/canonical-format.md).
 *
 * The readers copy what they read into the caller's memory context, so
 * nothing they return dies with SPI_finish.  Records, the many, are read by
 * an index scan of ledger.transactions' primary key, without SPI; blocks
 * with SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "merkle.h"
#include "record.h"

/* Columns of ledger.transactions (1-based), as created. */
#define REC_LEDGER_ID 1
#define REC_XACT_ID 2
#define REC_ROW_COUNT 3
#define REC_ROOT 4
#define REC_COMMITTED_AT 5
#define REC_NATTS 5

/* big-endian store */
static inline void
put_be64(uint8 *p, uint64 v)
{
	uint64		b = pg_hton64(v);

	memcpy(p, &b, 8);
}

/* A transaction record's leaf in the trees. */
void
ledger_xact_leaf(int format, int64 xact_id, int64 row_count, const uint8 *root,
				 int64 committed_at, uint8 out[LEDGER_HASH_LEN])
{
	uint8		buf[2 + 8 + 8 + LEDGER_HASH_LEN + 8];

	buf[0] = 'T';
	buf[1] = (uint8) format;
	put_be64(buf + 2, (uint64) xact_id);
	put_be64(buf + 10, (uint64) row_count);
	memcpy(buf + 18, root, LEDGER_HASH_LEN);
	put_be64(buf + 18 + LEDGER_HASH_LEN, (uint64) committed_at);
	merkle_leaf_hash(buf, sizeof(buf), out);
}

/* A record's leaf, for a ledger of row format format. */
void
record_leaf(const LedgerRecord *r, int format, uint8 out[LEDGER_HASH_LEN])
{
	ledger_xact_leaf(format, r->xact_id, r->row_count, r->root, r->committed_at, out);
}

/* A block's hash from its header, in the block's format. */
void
block_compute_hash(const pg_uuid_t *uuid, const LedgerBlock *b, uint8 out[LEDGER_HASH_LEN])
{
	static const char tag1[] = "ledger-block-v1";
	static const char tag2[] = "ledger-block-v2";
	uint8		buf[UUID_LEN + 8 + 2 * LEDGER_HASH_LEN + 8 + 8 + 8 + 8 + 8 + LEDGER_HASH_LEN];
	uint8	   *p = buf;

	memcpy(p, uuid->data, UUID_LEN);
	p += UUID_LEN;
	put_be64(p, (uint64) b->block_no);
	p += 8;
	memcpy(p, b->prev_hash, LEDGER_HASH_LEN);
	p += LEDGER_HASH_LEN;
	memcpy(p, b->root, LEDGER_HASH_LEN);
	p += LEDGER_HASH_LEN;
	put_be64(p, (uint64) b->tx_count);
	p += 8;
	put_be64(p, (uint64) b->row_count);
	p += 8;
	put_be64(p, (uint64) b->sealed_at);
	p += 8;
	put_be64(p, (uint64) b->format_version);
	p += 8;
	if (b->format_version == BLOCK_FORMAT_1)
	{
		crypto_sha256_3(tag1, sizeof(tag1), buf, p - buf, NULL, 0, out);
		return;
	}
	/* format 2 and later: the history tree after the block */
	put_be64(p, (uint64) BLOCK_TREE_SIZE(b));
	p += 8;
	if (b->has_tree_root)
		memcpy(p, b->tree_root, LEDGER_HASH_LEN);
	else
		memset(p, 0, LEDGER_HASH_LEN);
	p += LEDGER_HASH_LEN;
	crypto_sha256_3(tag2, sizeof(tag2), buf, p - buf, NULL, 0, out);
}

/* ---------- records ---------- */

/*
 * Whether a stored hash (NULL if isnull) is malformed: NULL, or not 32 bytes
 * long.  If it is, out is zeroed and it is noted in fault (the first one
 * read: the record or block index, what it is and how long).
 */
static bool
hash_noted(bool isnull, Datum d, uint8 *out, const char *what,
		   LedgerHashFault *fault, int64 index)
{
	int			len = isnull ? -1 : (int) VARSIZE_ANY_EXHDR(DatumGetByteaPP(d));

	if (len == LEDGER_HASH_LEN)
		return false;
	memset(out, 0, LEDGER_HASH_LEN);
	if (fault->index < 0)
	{
		fault->index = index;
		fault->what = what;
		fault->len = len;
	}
	return true;
}

/*
 * Fill a LedgerRecord from a tuple of ledger.transactions; a malformed root
 * is noted in fault (as record index) if it is given, else raised.
 */
static void
record_from_tuple(HeapTuple tup, TupleDesc td, LedgerRecord *r,
				  LedgerHashFault *fault, int64 index)
{
	Datum		values[REC_NATTS];
	bool		nulls[REC_NATTS];

	if (td->natts != REC_NATTS)
		elog(ERROR, "ledger.transactions has %d columns, expected %d", td->natts, REC_NATTS);
	heap_deform_tuple(tup, td, values, nulls);
	r->xact_id = DatumGetInt64(values[REC_XACT_ID - 1]);
	r->row_count = DatumGetInt64(values[REC_ROW_COUNT - 1]);
	if (fault == NULL ||
		!hash_noted(nulls[REC_ROOT - 1], values[REC_ROOT - 1], r->root, "recorded root",
					fault, index))
	{
		if (nulls[REC_ROOT - 1])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("stored hash is NULL"),
					 errdetail_internal("The %s is NULL.", "transaction root"),
					 errhint("Run ledger.verify() on the ledger.")));
		ledger_bytea_to_hash(DatumGetByteaPP(values[REC_ROOT - 1]), r->root, "transaction root");
	}
	r->committed_at = DatumGetTimestampTz(values[REC_COMMITTED_AT - 1]);
}

/* Records of a ledger, optionally of one transaction, by index scan. */
static LedgerRecord *
record_scan(int64 ledger_id, bool one_xact, int64 xact_id, Snapshot snapshot, uint64 *n)
{
	Relation	rel = table_open(ledger_catalog_relid("transactions"), AccessShareLock);
	Oid			pkey = ledger_catalog_object("transactions_pkey");
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	uint64		cap = 64;
	LedgerRecord *out = palloc(sizeof(LedgerRecord) * cap);

	if (!OidIsValid(pkey))
		elog(ERROR, "index \"ledger.transactions_pkey\" is missing");
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ledger_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(xact_id));
	scan = systable_beginscan(rel, pkey, true, snapshot, one_xact ? 2 : 1, keys);
	*n = 0;
	while ((tup = systable_getnext(scan)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (*n == cap)
		{
			cap *= 2;
			out = repalloc_huge(out, sizeof(LedgerRecord) * cap);
		}
		record_from_tuple(tup, RelationGetDescr(rel), &out[(*n)++], NULL, 0);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

/*
 * Every record of a ledger, in transaction-number order.
 *
 * The primary key gives the order; the heap fetches go through a small
 * direct-mapped set of pinned buffers instead of one buffer at a time:
 * concurrent writers insert their records into different heap pages (each
 * backend has its own target page), so consecutive transaction numbers sit
 * on a handful of pages used in turn, and a one-buffer index scan would
 * look up and pin a buffer for almost every record.  A tuple is copied out
 * under the buffer's lock and read after it is released.
 */
#define RECORD_READ_SLOTS 32

LedgerRecord *
record_read_all(int64 ledger_id, Snapshot snapshot, uint64 *n, LedgerHashFault *fault)
{
	Relation	rel = table_open(ledger_catalog_relid("transactions"), AccessShareLock);
	Oid			pkey = ledger_catalog_object("transactions_pkey");
	TupleDesc	td = RelationGetDescr(rel);
	Relation	irel;
	IndexScanDesc scan;
	ScanKeyData key;
	ItemPointer tid;
	BlockNumber slot_blk[RECORD_READ_SLOTS];
	Buffer		slot_buf[RECORD_READ_SLOTS];
	int			nslots = Max(1, Min(RECORD_READ_SLOTS, NBuffers / 16));
	HeapTupleHeader copy = NULL;
	uint32		copy_cap = 0;
	uint64		cap = 1024;
	LedgerRecord *out = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(LedgerRecord) * cap);
	int			i;

	if (!OidIsValid(pkey))
		elog(ERROR, "index \"ledger.transactions_pkey\" is missing");
	for (i = 0; i < nslots; i++)
	{
		slot_blk[i] = InvalidBlockNumber;
		slot_buf[i] = InvalidBuffer;
	}
	if (fault != NULL)
		fault->index = -1;
	irel = index_open(pkey, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ledger_id));
	scan = index_beginscan(rel, irel, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	*n = 0;
	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(tid);
		int			s = (int) (blk % (BlockNumber) nslots);
		ItemPointerData t = *tid;
		HeapTupleData tup;
		bool		all_dead;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (slot_blk[s] != blk)
		{
			if (BufferIsValid(slot_buf[s]))
				ReleaseBuffer(slot_buf[s]);
			slot_buf[s] = InvalidBuffer;
			slot_blk[s] = InvalidBlockNumber;
			slot_buf[s] = ReadBuffer(rel, blk);
			slot_blk[s] = blk;
		}
		LockBuffer(slot_buf[s], BUFFER_LOCK_SHARE);
		found = heap_hot_search_buffer(&t, rel, slot_buf[s], snapshot, &tup, &all_dead, true);
		if (found)
		{
			if (tup.t_len > copy_cap)
			{
				copy_cap = Max(tup.t_len, 256);
				copy = copy == NULL ? palloc(copy_cap) : repalloc(copy, copy_cap);
			}
			memcpy(copy, tup.t_data, tup.t_len);
			tup.t_data = copy;
		}
		LockBuffer(slot_buf[s], BUFFER_LOCK_UNLOCK);
		if (!found)
			continue;
		if (*n == cap)
		{
			cap *= 2;
			out = repalloc_huge(out, sizeof(LedgerRecord) * cap);
		}
		record_from_tuple(&tup, td, &out[*n], fault, (int64) *n);
		(*n)++;
	}
	index_endscan(scan);
	for (i = 0; i < nslots; i++)
		if (BufferIsValid(slot_buf[i]))
			ReleaseBuffer(slot_buf[i]);
	if (copy != NULL)
		pfree(copy);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
	return out;
}

/*
 * The record of each of n transactions, by one index scan rescanned for
 * each: out[i] is xacts[i]'s first record, counts[i] how many it has
 * (normally one; out[i] is undefined when none).  For a block's
 * transactions, where opening the catalog and its index for each would
 * cost more than the look-ups.
 */
void
record_read_xacts(int64 ledger_id, const int64 *xacts, int n, Snapshot snapshot,
				  LedgerRecord *out, uint64 *counts)
{
	Relation	rel = table_open(ledger_catalog_relid("transactions"), AccessShareLock);
	Oid			pkey = ledger_catalog_object("transactions_pkey");
	TupleDesc	td = RelationGetDescr(rel);
	Relation	irel;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData keys[2];
	int			i;

	if (!OidIsValid(pkey))
		elog(ERROR, "index \"ledger.transactions_pkey\" is missing");
	snapshot = RegisterSnapshot(snapshot);
	irel = index_open(pkey, AccessShareLock);
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, irel, snapshot, 2, 0);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ledger_id));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(xacts[i]));
		index_rescan(scan, keys, 2, NULL, 0);
		counts[i] = 0;
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			if (counts[i]++ == 0)
			{
				bool		shouldfree;
				HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &shouldfree);

				record_from_tuple(tup, td, &out[i], NULL, 0);
				if (shouldfree)
					heap_freetuple(tup);
			}
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);
}

/*
 * The largest transaction number among a ledger's records (-1: it has
 * none): the last entry of the primary key under the ledger's id.
 */
int64
record_max_xact(int64 ledger_id, Snapshot snapshot)
{
	Relation	rel = table_open(ledger_catalog_relid("transactions"), AccessShareLock);
	Oid			pkey = ledger_catalog_object("transactions_pkey");
	Relation	irel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	int64		out = -1;

	if (!OidIsValid(pkey))
		elog(ERROR, "index \"ledger.transactions_pkey\" is missing");
	irel = index_open(pkey, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ledger_id));
	scan = systable_beginscan_ordered(rel, irel, snapshot, 1, &key);
	tup = systable_getnext_ordered(scan, BackwardScanDirection);
	if (tup != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		if (!isnull)
			out = DatumGetInt64(d);
	}
	systable_endscan_ordered(scan);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
	return out;
}

/* The records of one transaction (normally one). */
LedgerRecord *
record_read_xact(int64 ledger_id, int64 xact_id, Snapshot snapshot, uint64 *n)
{
	return record_scan(ledger_id, true, xact_id, snapshot, n);
}

/*
 * Fetching records by tid, many in a row: the catalog table opened once,
 * one slot, one fresh snapshot taken at the start.
 */
struct RecordFetcher
{
	Relation	rel;
	TupleTableSlot *slot;
	Snapshot	snapshot;
	BlockNumber nblocks;		/* the table's size, as last looked up */
};

/* Start fetching records by tid (under a snapshot taken now). */
RecordFetcher *
record_fetcher_begin(void)
{
	RecordFetcher *f = palloc(sizeof(RecordFetcher));

	f->rel = table_open(ledger_catalog_relid("transactions"), AccessShareLock);
	f->slot = table_slot_create(f->rel, NULL);
	f->snapshot = RegisterSnapshot(GetLatestSnapshot());
	f->nblocks = RelationGetNumberOfBlocks(f->rel);
	return f;
}

/*
 * The record at tid, if it is visible to the fetcher's snapshot and is the
 * record of (ledger_id, xact_id): the sealer's work list points to records
 * by tid, which VACUUM FULL or CLUSTER of the catalog would change.
 */
bool
record_fetcher_get(RecordFetcher *f, ItemPointer tid, int64 ledger_id, int64 xact_id,
				   LedgerRecord *out)
{
	bool		found = false;

	/*
	 * VACUUM FULL of the catalog may have shrunk it below the tid: not there
	 * (a fetch past the end is an ERROR; until 2026-12-05 it failed every
	 * pass of the sealer, a database owner may run it)
	 */
	if (ItemPointerGetBlockNumber(tid) >= f->nblocks)
	{
		f->nblocks = RelationGetNumberOfBlocks(f->rel);
		if (ItemPointerGetBlockNumber(tid) >= f->nblocks)
			return false;
	}
	if (table_tuple_fetch_row_version(f->rel, tid, f->snapshot, f->slot))
	{
		bool		shouldfree;
		HeapTuple	tup = ExecFetchSlotHeapTuple(f->slot, false, &shouldfree);
		TupleDesc	td = RelationGetDescr(f->rel);
		bool		isnull;

		if (DatumGetInt64(heap_getattr(tup, REC_LEDGER_ID, td, &isnull)) == ledger_id &&
			DatumGetInt64(heap_getattr(tup, REC_XACT_ID, td, &isnull)) == xact_id)
		{
			record_from_tuple(tup, td, out, NULL, 0);
			found = true;
		}
		if (shouldfree)
			heap_freetuple(tup);
	}
	ExecClearTuple(f->slot);
	return found;
}

/* Done fetching. */
void
record_fetcher_end(RecordFetcher *f)
{
	ExecDropSingleTupleTableSlot(f->slot);
	UnregisterSnapshot(f->snapshot);
	table_close(f->rel, AccessShareLock);
	pfree(f);
}

/* The record at tid, if it is visible to a fresh snapshot and is (ledger_id, xact_id). */
bool
record_fetch_tid(ItemPointer tid, int64 ledger_id, int64 xact_id, LedgerRecord *out)
{
	RecordFetcher *f = record_fetcher_begin();
	bool		found = record_fetcher_get(f, tid, ledger_id, xact_id, out);

	record_fetcher_end(f);
	return found;
}

/* ---------- blocks ---------- */

static const char block_columns[] =
"block_no, prev_hash, root, tx_count, row_count, sealed_at, format_version, "
"block_hash, xact_ids, first_position, tree_root, total_rows";

/* The same, without the transaction list (up to ledger.block_max_transactions ids). */
static const char block_header_columns[] =
"block_no, prev_hash, root, tx_count, row_count, sealed_at, format_version, "
"block_hash, '{}'::pg_catalog.int8[], first_position, tree_root, total_rows";

/*
 * Hash column c (1-based) of row r of the SPI result; false if NULL.  With
 * a fault, a malformed one (NULL too, unless nullable) is noted there as
 * noun (block index r) instead of raised, and counts as present.
 */
static bool
block_hash_col(uint64 r, int c, uint8 *out, const char *what, const char *noun,
			   bool nullable, LedgerHashFault *fault)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c, &isnull);

	if (fault != NULL && !(isnull && nullable) &&
		hash_noted(isnull, d, out, noun, fault, (int64) r))
		return true;
	if (isnull)
		return false;
	ledger_bytea_to_hash(DatumGetByteaPP(d), out, what);
	return true;
}

/*
 * Fill a LedgerBlock from row r of the SPI result, arrays in cxt; a
 * malformed hash is noted in fault if it is given, else raised.
 */
static void
block_from_spi(uint64 r, LedgerBlock *b, MemoryContext cxt, LedgerHashFault *fault)
{
	HeapTuple	tup = SPI_tuptable->vals[r];
	TupleDesc	td = SPI_tuptable->tupdesc;
	bool		isnull;
	Datum	   *elems;
	bool	   *nulls;
	int			i;
	ArrayType  *arr;

	b->block_no = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	if (!block_hash_col(r, 2, b->prev_hash, "previous block hash", "previous-block hash", false, fault) ||
		!block_hash_col(r, 3, b->root, "block root", "root", false, fault) ||
		!block_hash_col(r, 8, b->block_hash, "block hash", "block hash", false, fault))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored hash is NULL"),
				 errdetail_internal("A hash of block " INT64_FORMAT " is NULL.", b->block_no),
				 errhint("Run ledger.verify() on the ledger.")));
	b->tx_count = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
	b->row_count = DatumGetInt64(SPI_getbinval(tup, td, 5, &isnull));
	b->sealed_at = DatumGetTimestampTz(SPI_getbinval(tup, td, 6, &isnull));
	b->format_version = DatumGetInt32(SPI_getbinval(tup, td, 7, &isnull));
	arr = DatumGetArrayTypeP(SPI_getbinval(tup, td, 9, &isnull));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &b->nxacts);
	b->xact_ids = MemoryContextAlloc(cxt, sizeof(int64) * Max(b->nxacts, 1));
	for (i = 0; i < b->nxacts; i++)
		b->xact_ids[i] = nulls[i] ? -1 : DatumGetInt64(elems[i]);
	b->first_position = DatumGetInt64(SPI_getbinval(tup, td, 10, &isnull));
	b->has_tree_root = block_hash_col(r, 11, b->tree_root, "history tree root", "history root",
									  true, fault);
	b->total_rows = DatumGetInt64(SPI_getbinval(tup, td, 12, &isnull));
}

/*
 * Blocks from..to (to -1: the newest), in order, in an array allocated in the
 * caller's memory context; read with the caller's snapshot if read_only.
 */
LedgerBlock *
block_read(int64 ledger_id, int64 from, int64 to, bool read_only, uint64 *n)
{
	return block_read_noting(ledger_id, from, to, read_only, n, NULL);
}

/*
 * The same, with a malformed hash noted in *fault (if not NULL; the first
 * one, by its index in the result) instead of raised: for ledger.verify.
 */
LedgerBlock *
block_read_noting(int64 ledger_id, int64 from, int64 to, bool read_only, uint64 *n,
				  LedgerHashFault *fault)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[3];
	Oid			types[3] = {INT8OID, INT8OID, INT8OID};
	LedgerBlock *out;
	uint64		i;
	int			ret;

	if (fault != NULL)
		fault->index = -1;
	args[0] = Int64GetDatum(ledger_id);
	args[1] = Int64GetDatum(from);
	args[2] = Int64GetDatum(to);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(psprintf("SELECT %s FROM ledger.blocks "
										 "WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
										 "AND block_no OPERATOR(pg_catalog.>=) $2 "
										 "AND ($3 OPERATOR(pg_catalog.<) 0 OR block_no OPERATOR(pg_catalog.<=) $3) "
										 "ORDER BY block_no", block_columns),
								3, types, args, NULL, read_only, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks: %s", SPI_result_code_string(ret));
	*n = SPI_processed;
	out = MemoryContextAllocHuge(caller, sizeof(LedgerBlock) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		block_from_spi(i, &out[i], caller, fault);
	}
	SPI_finish();
	return out;
}

/*
 * The newest block of a ledger, without its transaction list (nxacts 0:
 * its callers need the header, and the list is read and detoasted for
 * nothing otherwise); false if it has none.
 */
bool
block_read_head(int64 ledger_id, bool read_only, LedgerBlock *out)
{
	/* kept: a replica reads it for every block that arrives */
	static SPIPlanPtr plan = NULL;
	MemoryContext caller = CurrentMemoryContext;
	Datum		arg = Int64GetDatum(ledger_id);
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		Oid			argtype = INT8OID;

		plan = ledger_prepare_kept(psprintf("SELECT %s FROM ledger.blocks "
											"WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
											"ORDER BY block_no DESC LIMIT 1", block_header_columns),
								   1, &argtype, "the read of a ledger's newest block");
	}
	if (SPI_execute_plan(plan, &arg, NULL, read_only, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks");
	found = SPI_processed > 0;
	if (found)
		block_from_spi(0, out, caller, NULL);
	SPI_finish();
	return found;
}

/*
 * Block spans.  A block is found by a transaction it lists through one
 * GiST entry per block: the span, in the order of (ledger_id, xact_id),
 * from its smallest to its largest transaction number,
 *
 *	[ledger_id * 2^64 + min(xact_ids), ledger_id * 2^64 + max(xact_ids)]
 *
 * as a numrange (injective and order-preserving for any pair of int8).
 * Every block that lists a transaction has a span containing it, so a
 * look-up through the spans misses nothing; it may also meet blocks whose
 * span merely covers it (transaction numbers are taken at a transaction's
 * first ledger insert, blocks follow commit order: a long transaction's
 * block spans the numbers of those that committed meanwhile), so callers
 * check the list itself.  A GIN index on xact_ids, one entry per
 * transaction, cost the sealer more than the rest of its work on a block
 * of single-row transactions (docs/design.md, "Finding a transaction's
 * block").
 */
static Numeric
xact_span_key(int64 ledger_id, int64 xact_id)
{
	static Numeric two64 = NULL;
	Numeric		k;

	if (two64 == NULL)
	{
		Numeric		two32 = int64_to_numeric(INT64CONST(1) << 32);
		Numeric		v = numeric_mul_opt_error(two32, two32, NULL);
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		two64 = (Numeric) datumCopy(NumericGetDatum(v), false, -1);
		MemoryContextSwitchTo(old);
	}
	k = numeric_mul_opt_error(int64_to_numeric(ledger_id), two64, NULL);
	return numeric_add_opt_error(k, int64_to_numeric(xact_id), NULL);
}

static Datum
xact_span_range(int64 ledger_id, int64 lo, int64 hi)
{
	TypeCacheEntry *typcache = lookup_type_cache(NUMRANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lower;
	RangeBound	upper;

	lower.val = NumericGetDatum(xact_span_key(ledger_id, lo));
	lower.infinite = false;
	lower.inclusive = true;
	lower.lower = true;
	upper.val = NumericGetDatum(xact_span_key(ledger_id, hi));
	upper.infinite = false;
	upper.inclusive = true;
	upper.lower = false;
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false));
}

/* ledger._block_span(ledger_id, xact_ids): NULL for an empty list */
PG_FUNCTION_INFO_V1(ledger_block_span);
Datum
ledger_block_span(PG_FUNCTION_ARGS)
{
	int64		ledger_id = PG_GETARG_INT64(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	bool		any = false;
	int64		lo = 0;
	int64		hi = 0;

	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		int64		x;

		if (nulls[i])
			continue;
		x = DatumGetInt64(elems[i]);
		if (!any || x < lo)
			lo = x;
		if (!any || x > hi)
			hi = x;
		any = true;
	}
	if (!any)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(xact_span_range(ledger_id, lo, hi));
}

/* ledger._xact_span(ledger_id, xact_id): the span of that one transaction */
PG_FUNCTION_INFO_V1(ledger_xact_span);
Datum
ledger_xact_span(PG_FUNCTION_ARGS)
{
	int64		ledger_id = PG_GETARG_INT64(0);
	int64		xact_id = PG_GETARG_INT64(1);

	PG_RETURN_DATUM(xact_span_range(ledger_id, xact_id, xact_id));
}

/*
 * The block that holds transaction xact_id (through the spans' GiST index)
 * and the transaction's index in it; -1 if no block holds it.
 *
 * The index is taken whatever the statistics say: the planner does not
 * count the cost of detoasting each block's list, and with a few hundred
 * blocks of thousands of transactions it would read all of them (tens of
 * milliseconds a call, growing with the history).  For the same reason
 * ledger_id is compared outside any index condition (its primary key would
 * be scanned instead).  Of the blocks whose span covers the transaction
 * (usually one), the first whose list holds it is the one; the lists are
 * searched here, not by an @> in the query, which would read each list
 * from TOAST a second time (tens of microseconds for a list of 10,000).
 */
int64
block_of_xact(int64 ledger_id, int64 xact_id, bool read_only, LedgerBlock *out, int *index)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[2];
	Oid			types[2] = {INT8OID, INT8OID};
	int64		found = -1;
	uint64		r;
	int			i;
	int			nestlevel;
	int			ret;

	args[0] = Int64GetDatum(ledger_id);
	args[1] = Int64GetDatum(xact_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = SPI_execute_with_args(psprintf("SELECT %s FROM ledger.blocks "
										 "WHERE ledger._block_span(ledger_id, xact_ids) "
										 "OPERATOR(pg_catalog.@>) ledger._xact_span($1, $2) "
										 "AND (ledger_id OPERATOR(pg_catalog.+) 0) OPERATOR(pg_catalog.=) $1 "
										 "ORDER BY block_no", block_columns),
								2, types, args, NULL, read_only, 0);
	AtEOXact_GUC(true, nestlevel);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks");
	for (r = 0; r < SPI_processed && found < 0; r++)
	{
		CHECK_FOR_INTERRUPTS();
		block_from_spi(r, out, caller, NULL);
		for (i = 0; i < out->nxacts; i++)
			if (out->xact_ids[i] == xact_id)
			{
				*index = i;
				found = out->block_no;
				break;
			}
		if (found < 0)
			pfree(out->xact_ids);
	}
	SPI_finish();
	return found;
}
