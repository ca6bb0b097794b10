/*-------------------------------------------------------------------------
 *
 * history_sql.c
 *		SQL functions over arrays of leaf data: RFC 9162 inclusion and
 *		consistency proofs and their verification, computed by history.c
 *		over an in-memory tile store.
 *
 * ledger.merkle_inclusion_proof and ledger.merkle_consistency_proof build
 * the history tree of the given leaves in memory (appending them in chunks
 * of varying size, so that history_append rewrites right-edge tiles as the
 * sealer's store will see it do) and prove at any size up to the number of
 * leaves.  Before a proof is returned it is checked against history_root,
 * so a wrong proof is an internal error, never a result.  The verify
 * functions are the RFC's algorithms: a proof that does not verify gives
 * false, never an error; only malformed arguments (NULL elements, hashes
 * that are not 32 bytes, negative sizes, multi-dimensional arrays) do.
 *
 * ledger._history_read_count is a test hook: it runs the proof functions
 * over a synthetic store of any size that counts the tiles read, so the
 * regression tests can hold history.c to its read bounds at sizes far
 * beyond what memory could hold.
 *
 * Memory: the leaf hashes (32 bytes each) and the tiles (about 33 bytes per
 * leaf) of one call, in the caller's context; leaves are limited to
 * HISTORY_SQL_MAX_LEAVES.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "history.h"
#include "merkle.h"

/* most leaves one call takes: 2^20 (about 70 MB of hashes and tiles) */
#define HISTORY_SQL_MAX_LEAVES (1 << 20)

PG_FUNCTION_INFO_V1(ledger_merkle_inclusion_proof);
PG_FUNCTION_INFO_V1(ledger_merkle_consistency_proof);
PG_FUNCTION_INFO_V1(ledger_merkle_verify_inclusion);
PG_FUNCTION_INFO_V1(ledger_merkle_verify_consistency);
PG_FUNCTION_INFO_V1(ledger_history_read_count);

/* A tile store in memory; also counts what is read and written. */
typedef struct MemStore
{
	HistoryStore st;			/* first, so callbacks can cast back */
	HistoryTile *tiles[HISTORY_MAX_LEVELS];
	int64		ntiles[HISTORY_MAX_LEVELS];
	int64		cap[HISTORY_MAX_LEVELS];
	uint64		synthetic;		/* > 0: no storage, tiles of a tree of this
								 * size made up on read */
	int64		reads;
	int64		writes;
} MemStore;

/* read callback of the in-memory store */
static bool
mem_read(HistoryStore *st, int level, int64 index, HistoryTile *out)
{
	MemStore   *ms = (MemStore *) st;

	ms->reads++;
	if (ms->synthetic > 0)
	{
		/* complete nodes of level 5L in a tree of ms->synthetic leaves */
		uint64		complete = level * HISTORY_TILE_HEIGHT >= 64 ? 0 :
		ms->synthetic >> (level * HISTORY_TILE_HEIGHT);
		uint64		first = (uint64) index * HISTORY_TILE_WIDTH;
		int			i;

		if (index < 0 || first >= complete)
			return false;
		out->level = level;
		out->index = index;
		out->width = (int) Min(complete - first, HISTORY_TILE_WIDTH);
		/* made-up hashes: distinct per node, never checked */
		for (i = 0; i < out->width; i++)
		{
			uint64		v = first + i;

			memset(out->hashes[i], level, LEDGER_HASH_LEN);
			memcpy(out->hashes[i], &v, sizeof(v));
		}
		return true;
	}
	if (level < 0 || level >= HISTORY_MAX_LEVELS || index < 0 || index >= ms->ntiles[level])
		return false;
	memcpy(out, &ms->tiles[level][index], sizeof(HistoryTile));
	return true;
}

/* write callback of the in-memory store */
static void
mem_write(HistoryStore *st, const HistoryTile *tile)
{
	MemStore   *ms = (MemStore *) st;
	int			level = tile->level;

	ms->writes++;
	if (ms->synthetic > 0)
		return;
	if (level < 0 || level >= HISTORY_MAX_LEVELS || tile->index < 0 ||
		tile->index > ms->ntiles[level])
		elog(ERROR, "history tile (%d, " INT64_FORMAT ") written out of order", level, tile->index);
	if (tile->index >= ms->cap[level])
	{
		int64		cap = Max(ms->cap[level] * 2, 4);

		ms->tiles[level] = ms->tiles[level] == NULL ?
			palloc(mul_size(cap, sizeof(HistoryTile))) :
			repalloc(ms->tiles[level], mul_size(cap, sizeof(HistoryTile)));
		ms->cap[level] = cap;
	}
	memcpy(&ms->tiles[level][tile->index], tile, sizeof(HistoryTile));
	ms->ntiles[level] = Max(ms->ntiles[level], tile->index + 1);
}

/* an empty store; synthetic > 0 makes up tiles of a tree of that size */
static void
mem_init(MemStore *ms, uint64 synthetic)
{
	memset(ms, 0, sizeof(*ms));
	ms->st.read = mem_read;
	ms->st.write = mem_write;
	ms->st.arg = ms;
	ms->synthetic = synthetic;
}

/* free the store's tiles */
static void
mem_free(MemStore *ms)
{
	int			i;

	for (i = 0; i < HISTORY_MAX_LEVELS; i++)
		if (ms->tiles[i] != NULL)
			pfree(ms->tiles[i]);
}

/* Fail unless arr is a one-dimensional (or empty) array; what names it. */
static void
history_check_1d(ArrayType *arr, const char *what)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what)));
}

/*
 * The leaf hashes of an array of leaf data, SHA-256(0x00 || data) each;
 * *n is set to their number.
 */
static uint8 *
history_leaf_hashes(ArrayType *arr, uint64 *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int			i;
	uint8	   *hashes;

	history_check_1d(arr, "leaves");
	count = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (count > HISTORY_SQL_MAX_LEAVES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many leaves: %d", count),
				 errdetail("At most %d leaves are taken.", HISTORY_SQL_MAX_LEAVES)));
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	hashes = palloc(mul_size(Max(count, 1), LEDGER_HASH_LEN));
	for (i = 0; i < count; i++)
	{
		bytea	   *b;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("leaf %d is NULL", i + 1)));
		b = DatumGetByteaPP(elems[i]);
		merkle_leaf_hash(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), hashes + (size_t) i * LEDGER_HASH_LEN);
	}
	*n = count;
	return hashes;
}

/*
 * Build the tree of the n leaf hashes in ms, appending them in chunks of
 * 1, 2, 3, 5, 8, ... 55 leaves (then again), so that every call rewrites
 * partial right-edge tiles the way sealing block after block does.
 */
static void
history_build(MemStore *ms, const uint8 *hashes, uint64 n)
{
	static const uint64 chunks[] = {1, 2, 3, 5, 8, 13, 21, 34, 55};
	uint64		done = 0;
	int			c = 0;

	mem_init(ms, 0);
	while (done < n)
	{
		uint64		k = Min(chunks[c], n - done);

		history_append(&ms->st, done, hashes + done * LEDGER_HASH_LEN, k);
		done += k;
		c = (c + 1) % lengthof(chunks);
	}
}

/* Hashes as a bytea[] (empty for len 0). */
static ArrayType *
history_hash_array(uint8 (*h)[LEDGER_HASH_LEN], int len)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(len, 1));
	int			i;

	for (i = 0; i < len; i++)
	{
		bytea	   *b = palloc(VARHDRSZ + LEDGER_HASH_LEN);

		SET_VARSIZE(b, VARHDRSZ + LEDGER_HASH_LEN);
		memcpy(VARDATA(b), h[i], LEDGER_HASH_LEN);
		d[i] = PointerGetDatum(b);
	}
	return construct_array(d, len, BYTEAOID, -1, false, TYPALIGN_INT);
}

/* Fail unless b is a 32-byte hash; what names the argument. */
static void
history_hash_arg(bytea *b, const char *what, uint8 out[LEDGER_HASH_LEN])
{
	if (VARSIZE_ANY_EXHDR(b) != LEDGER_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be 32 bytes, not %d", what, (int) VARSIZE_ANY_EXHDR(b))));
	memcpy(out, VARDATA_ANY(b), LEDGER_HASH_LEN);
}

/*
 * The hashes of a proof array into out (HISTORY_MAX_PROOF of them at most);
 * returns their number, or -1 if there are more (no proof is that long).
 */
static int
history_proof_arg(ArrayType *arr, uint8 (*out)[LEDGER_HASH_LEN])
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int			i;

	history_check_1d(arr, "proof");
	if (ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) > HISTORY_MAX_PROOF)
		return -1;
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	for (i = 0; i < count; i++)
	{
		bytea	   *b;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("proof hash %d is NULL", i + 1)));
		b = DatumGetByteaPP(elems[i]);
		if (VARSIZE_ANY_EXHDR(b) != LEDGER_HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("proof hash %d must be 32 bytes, not %d", i + 1, (int) VARSIZE_ANY_EXHDR(b))));
		memcpy(out[i], VARDATA_ANY(b), LEDGER_HASH_LEN);
	}
	return count;
}

/* Fail unless a size argument is at least 0. */
static void
history_size_arg(int64 v, const char *what)
{
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s " INT64_FORMAT " is out of range", what, v),
				 errdetail("Tree sizes and leaf indexes are at least 0.")));
}

/*
 * ledger.merkle_inclusion_proof(leaves bytea[], leaf_index int8,
 *								  tree_size int8) RETURNS bytea[]
 *
 * RFC 9162 inclusion proof of leaf leaf_index (from 0) in the tree of the
 * first tree_size leaves, bottom-up.
 */
Datum
ledger_merkle_inclusion_proof(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	int64		m = PG_GETARG_INT64(1);
	int64		n = PG_GETARG_INT64(2);
	uint64		count;
	uint8	   *hashes;
	MemStore	ms;
	uint8		path[HISTORY_MAX_PROOF][LEDGER_HASH_LEN];
	uint8		root[LEDGER_HASH_LEN];
	int			len;

	history_size_arg(m, "leaf index");
	history_size_arg(n, "tree size");
	hashes = history_leaf_hashes(arr, &count);
	if ((uint64) n > count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tree size " INT64_FORMAT " is larger than the " UINT64_FORMAT " leaves given", n, count)));
	if (m >= n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leaf index " INT64_FORMAT " is out of range for a tree of " INT64_FORMAT " leaves", m, n),
				 errdetail("Leaves are numbered from 0.")));

	history_build(&ms, hashes, count);
	len = history_inclusion_proof(&ms.st, m, n, path);
	history_root(&ms.st, n, root);
	if (!merkle_verify_inclusion(hashes + m * LEDGER_HASH_LEN, m, n, path, len, root))
		elog(ERROR, "inclusion proof of leaf " INT64_FORMAT " of " INT64_FORMAT " does not verify", m, n);
	mem_free(&ms);
	PG_RETURN_ARRAYTYPE_P(history_hash_array(path, len));
}

/*
 * ledger.merkle_consistency_proof(leaves bytea[], old_size int8,
 *									new_size int8) RETURNS bytea[]
 *
 * RFC 9162 consistency proof between the trees of the first old_size and
 * the first new_size leaves (empty when old_size is 0 or new_size).
 */
Datum
ledger_merkle_consistency_proof(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	int64		m = PG_GETARG_INT64(1);
	int64		n = PG_GETARG_INT64(2);
	uint64		count;
	uint8	   *hashes;
	MemStore	ms;
	uint8		proof[HISTORY_MAX_PROOF][LEDGER_HASH_LEN];
	uint8		old_root[LEDGER_HASH_LEN];
	uint8		new_root[LEDGER_HASH_LEN];
	int			len;

	history_size_arg(m, "old size");
	history_size_arg(n, "new size");
	hashes = history_leaf_hashes(arr, &count);
	if ((uint64) n > count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("new size " INT64_FORMAT " is larger than the " UINT64_FORMAT " leaves given", n, count)));
	if (m > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("old size " INT64_FORMAT " is larger than new size " INT64_FORMAT, m, n)));

	history_build(&ms, hashes, count);
	len = history_consistency_proof(&ms.st, m, n, proof);
	history_root(&ms.st, m, old_root);
	history_root(&ms.st, n, new_root);
	if (!merkle_verify_consistency(m, n, old_root, new_root, proof, len))
		elog(ERROR, "consistency proof from " INT64_FORMAT " to " INT64_FORMAT " does not verify", m, n);
	mem_free(&ms);
	PG_RETURN_ARRAYTYPE_P(history_hash_array(proof, len));
}

/*
 * ledger.merkle_verify_inclusion(leaf bytea, leaf_index int8, tree_size int8,
 *								   path bytea[], root bytea) RETURNS boolean
 *
 * RFC 9162 2.1.3.2 over the leaf's data (hashed as SHA-256(0x00 || leaf)).
 */
Datum
ledger_merkle_verify_inclusion(PG_FUNCTION_ARGS)
{
	bytea	   *leaf = PG_GETARG_BYTEA_PP(0);
	int64		m = PG_GETARG_INT64(1);
	int64		n = PG_GETARG_INT64(2);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(3);
	bytea	   *rootarg = PG_GETARG_BYTEA_PP(4);
	uint8		path[HISTORY_MAX_PROOF][LEDGER_HASH_LEN];
	uint8		root[LEDGER_HASH_LEN];
	uint8		leafhash[LEDGER_HASH_LEN];
	int			len;

	history_size_arg(m, "leaf index");
	history_size_arg(n, "tree size");
	history_hash_arg(rootarg, "root", root);
	len = history_proof_arg(arr, path);
	if (len < 0)
		PG_RETURN_BOOL(false);
	merkle_leaf_hash(VARDATA_ANY(leaf), VARSIZE_ANY_EXHDR(leaf), leafhash);
	PG_RETURN_BOOL(merkle_verify_inclusion(leafhash, m, n, path, len, root));
}

/*
 * ledger.merkle_verify_consistency(old_size int8, new_size int8,
 *									 old_root bytea, new_root bytea,
 *									 proof bytea[]) RETURNS boolean
 *
 * RFC 9162 2.1.4.2; also old_size = new_size (empty proof, equal roots) and
 * old_size = 0 (empty proof, old_root the empty tree's).
 */
Datum
ledger_merkle_verify_consistency(PG_FUNCTION_ARGS)
{
	int64		m = PG_GETARG_INT64(0);
	int64		n = PG_GETARG_INT64(1);
	bytea	   *oldarg = PG_GETARG_BYTEA_PP(2);
	bytea	   *newarg = PG_GETARG_BYTEA_PP(3);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(4);
	uint8		proof[HISTORY_MAX_PROOF][LEDGER_HASH_LEN];
	uint8		old_root[LEDGER_HASH_LEN];
	uint8		new_root[LEDGER_HASH_LEN];
	int			len;

	history_size_arg(m, "old size");
	history_size_arg(n, "new size");
	history_hash_arg(oldarg, "old root", old_root);
	history_hash_arg(newarg, "new root", new_root);
	len = history_proof_arg(arr, proof);
	if (len < 0)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(merkle_verify_consistency(m, n, old_root, new_root, proof, len));
}

/*
 * ledger._history_read_count(tree_size int8, leaf_index int8,
 *		OUT root_reads int4, OUT inclusion_reads int4,
 *		OUT consistency_reads int4, OUT append_reads int4,
 *		OUT append_writes int4) RETURNS record
 *
 * Test hook.  Over a synthetic store holding a tree of tree_size leaves,
 * the tiles read by history_root(tree_size), by the inclusion proof of leaf
 * leaf_index, by the consistency proof from leaf_index + 1 leaves, and read
 * and written by appending one leaf.
 */
Datum
ledger_history_read_count(PG_FUNCTION_ARGS)
{
	int64		n = PG_GETARG_INT64(0);
	int64		m = PG_GETARG_INT64(1);
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	MemStore	ms;
	uint8		path[HISTORY_MAX_PROOF][LEDGER_HASH_LEN];
	uint8		root[LEDGER_HASH_LEN];
	uint8		leaf[LEDGER_HASH_LEN];

	if (n < 1 || n == PG_INT64_MAX || m < 0 || m >= n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leaf index " INT64_FORMAT " is out of range for a tree of " INT64_FORMAT " leaves", m, n),
				 errdetail("The tree size must be at least 1 and below 2^63 - 1, the leaf index below it.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	mem_init(&ms, (uint64) n);
	history_root(&ms.st, n, root);
	values[0] = Int32GetDatum((int32) ms.reads);

	ms.reads = 0;
	(void) history_inclusion_proof(&ms.st, m, n, path);
	values[1] = Int32GetDatum((int32) ms.reads);

	ms.reads = 0;
	(void) history_consistency_proof(&ms.st, m + 1, n, path);
	values[2] = Int32GetDatum((int32) ms.reads);

	ms.reads = 0;
	memset(leaf, 0xab, sizeof(leaf));
	history_append(&ms.st, n, leaf, 1);
	values[3] = Int32GetDatum((int32) ms.reads);
	values[4] = Int32GetDatum((int32) ms.writes);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
