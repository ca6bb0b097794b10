/*-------------------------------------------------------------------------
 *
 * history.c
 *		The history tree: an RFC 9162 Merkle tree over every transaction a
 *		ledger ever sealed, stored in tiles so that roots and proofs at any
 *		past size read O(log n) stored nodes.
 *
 * What it is
 * ----------
 * A block's own tree covers only the transactions of that block, so a proof
 * that a row is in a ledger used to need the headers of every block from
 * the row's block to the head: after years of history, a proof grows with
 * the number of blocks.  The history tree fixes that.  Its i-th leaf is the
 * transaction leaf of the i-th transaction in seal order (block 0's
 * transactions first, each block's in block order), and every block of
 * format 2 records (tree_size, tree_root) after its own transactions.  A row
 * is then proved by three short paths (row in transaction, transaction in
 * history, both O(log n)) and one block header, and two digests of one
 * ledger are proved consistent (the older history is a prefix of the newer)
 * by an RFC 9162 consistency proof, also O(log n).
 *
 * Leaves are given as 32-byte hashes that already carry RFC 6962's 0x00
 * prefix (a transaction leaf is SHA-256(0x00 || 'T' ...)), so the tree
 * never hashes leaf data: MTH of one leaf is the leaf, and every inner node
 * is SHA-256(0x01 || left || right) (merkle.c).
 *
 * Layout
 * ------
 * "Node (k, i)" is the root of the perfect subtree over leaves
 * [i * 2^k, (i + 1) * 2^k); level-0 nodes are the leaves.  A node exists
 * (is complete) once the tree has (i + 1) * 2^k leaves, and never changes
 * after that: the tree only grows to the right.
 *
 * Only every fifth level is stored: tile (L, N) holds nodes (5L, 32N) ..
 * (5L, 32N + width - 1), the complete nodes of level 5L in that run of 32.
 * This is the layout of C2SP tlog-tiles with tile height 5 instead of 8.
 * A tree of n leaves has floor(n / 2^5L) complete nodes at level 5L, so all
 * of its tiles are full except the last one of each level, the right edge,
 * whose width is (n >> 5L) & 31; that tile is rewritten, wider, as the tree
 * grows, and a new one is started when it fills.  A tile is never narrowed
 * and its first hashes never change, so a reader that knows only an older,
 * smaller size finds in the newer tile every node it needs.
 *
 * A node between stored levels, (5L + d, i) with 0 < d < 5, is the root of
 * the 2^d level-5L nodes below it, which lie in one tile because runs of 32
 * are aligned: (5L + d, i) covers level-5L nodes [i * 2^d, (i + 1) * 2^d),
 * inside tile (L, (i * 2^d) >> 5).  Recomputing it costs at most 15 hashes.
 *
 * Why height 5
 * ------------
 * A tile of 32 hashes is 1 KiB: stored as bytea it stays inline in a heap
 * tuple (below TOAST_TUPLE_THRESHOLD, about 2 KiB), so reading a tile is one
 * index probe and one heap fetch with no detoasting.  Height 8 (C2SP's) would
 * mean 8 KiB tiles, always toasted, and up to 127 hashes to rebuild a node;
 * height 4 or less would mean more tiles per proof for no saving.  A tree of
 * 2^63 leaves has 13 tile levels.
 *
 * Algorithms
 * ----------
 * Everything reduces to one primitive, the hash of an aligned range: MTH of
 * leaves [lo, hi) where lo is a multiple of a power of two P >= hi - lo.
 * RFC 9162 splits such a range exactly where its binary decomposition does:
 * it is the right fold of the perfect subtrees given by the set bits of
 * hi - lo, biggest first, each of them a node.  Every tree hash that RFC
 * 9162's PATH and SUBPROOF recursions output is such a range (each window
 * they descend into starts at a multiple of a power of two at least its
 * size), and so is the whole tree, [0, n).  So:
 *
 *	- history_root(n) is range [0, n): nodes (k, (n >> k) - 1) for each set
 *	  bit k of n, folded from the right;
 *	- history_inclusion_proof and history_consistency_proof run RFC 9162's
 *	  recursions iteratively (top-down, then reversed into the RFC's order)
 *	  and hash every range they output with the same primitive;
 *	- history_append keeps the right-edge tile of every level in memory,
 *	  puts each new leaf into level 0, and when a tile fills, writes it,
 *	  hashes its 32 nodes into one node of level 5(L + 1) (31 hashes) and
 *	  pushes that into the level above; at the end it writes the edge tiles
 *	  it changed.
 *
 * Bounds
 * ------
 * Let G(n) = ceil(bitlen(n) / 5), the number of 5-bit groups of n (n >= 1;
 * G <= 13 below 2^64).  Tiles read by one call (each read once: a call keeps
 * the tiles it read):
 *
 *	- root(n) <= G(n).  The nodes for the set bits k of n in group L
 *	  (5L <= k < 5L + 5) all lie in the edge tile (L, n >> (5L + 5)): node
 *	  (k, (n >> k) - 1) covers level-5L nodes ending at (n >> 5L) with bits
 *	  below d = k - 5L cleared, and clearing bit d of n >> 5L does not
 *	  borrow into bit 5.  One tile per group with a set bit.
 *
 *	- inclusion(m, n) <= 2 G(n) - 1.  PATH(m, D[n]) outputs, per level l, either
 *	  a perfect sibling of leaf m's ancestor at level l, node
 *	  (l, (m >> l) ^ 1), which lies in tile (L, m >> (5L + 5)) for l in
 *	  group L, or once, at the level where m's path leaves the complete part
 *	  of the tree, the range [s, n) with s aligned, whose nodes are edge
 *	  nodes of n, in tiles (L, n >> (5L + 5)).  Two tiles per group, but
 *	  one in the top group G - 1, where both are tile (G - 1, 0).
 *
 *	- consistency(m, n) <= 2 G(n) - 1.  SUBPROOF(m, D[n]) outputs perfect
 *	  siblings of the path of leaf m - 1 (tiles (L, (m - 1) >> (5L + 5))),
 *	  ranges ending at n (edge tiles of n), and at most one range [s, m)
 *	  ending at m, whose nodes are edge nodes of m in tiles
 *	  (L, m >> (5L + 5)); a group of m with a set bit has
 *	  m >> (5L + 5) = (m - 1) >> (5L + 5), so that tile is already counted.
 *	  Two tiles per group, one in the top group.
 *
 *	- append(n, k) reads <= G(n) (the edge tiles of n that are not empty)
 *	  and writes each tile it fills plus at most one edge tile per level:
 *	  for k leaves, about k / 31 + G(n + k) writes.
 *
 * sql/merkle_proofs.sql counts the reads of every call through a store that
 * counts them (ledger._history_read_count) for sizes up to 10^7 and 2^62,
 * and fails if any call reads more than these bounds (the largest it meets
 * are exactly G(n) and 2 G(n) - 1).
 *
 * Hashes: a node from a tile costs at most 15, a proof has at most 64 hashes
 * (HISTORY_MAX_PROOF) and each is one node or a fold of at most 63 edge
 * nodes, so one call does at most a few thousand SHA-256 computations.
 *
 * Sizes are uint64 and at most HISTORY_MAX_SIZE (2^63 - 1); shifts by 64 or
 * more, which C leaves undefined, go through history_shr.
 *
 * Errors: arguments out of range are elog(ERROR): the SQL layer
 * (history_sql.c) and the sealer check them first.  A tile that is missing
 * or narrower than the tree needs is XX001 (a damaged store).  Pure code:
 * no SPI, no fmgr; memory is one palloc'd tile cache per call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "history.h"
#include "merkle.h"

/* tiles one call may keep: two per level is all any call needs */
#define HISTORY_CACHE_TILES (2 * HISTORY_MAX_LEVELS)

/* The tiles one call has read, so that none is read twice. */
typedef struct HistoryReader
{
	HistoryStore *st;
	int			ntiles;
	int			next;			/* round-robin victim once full */
	HistoryTile *tiles;
} HistoryReader;

/* x >> s, also for s >= 64 */
static inline uint64
history_shr(uint64 x, int s)
{
	return s >= 64 ? 0 : x >> s;
}

/* largest power of two strictly below n (n >= 2) */
static inline uint64
history_split(uint64 n)
{
	uint64		k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* start a call's reader */
static void
reader_init(HistoryReader *r, HistoryStore *st)
{
	r->st = st;
	r->ntiles = 0;
	r->next = 0;
	r->tiles = palloc(sizeof(HistoryTile) * HISTORY_CACHE_TILES);
}

/* end a call's reader */
static void
reader_free(HistoryReader *r)
{
	pfree(r->tiles);
}

/* Read tile (level, index) from the store and check it holds need hashes. */
static void
history_read_tile(HistoryStore *st, int level, uint64 index, int need, HistoryTile *out)
{
	if (!st->read(st, level, (int64) index, out))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("history tile (%d, " UINT64_FORMAT ") is missing", level, index),
				 errhint("Run ledger.verify() on the ledger.")));
	if (out->level != level || out->index != (int64) index ||
		out->width < need || out->width > HISTORY_TILE_WIDTH)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("history tile (%d, " UINT64_FORMAT ") is damaged", level, index),
				 errdetail_internal("The store returned tile (%d, " INT64_FORMAT ") of width %d; at least %d hashes were needed.",
									out->level, out->index, out->width, need),
				 errhint("Run ledger.verify() on the ledger.")));
}

/* Tile (level, index) holding at least need hashes, read at most once. */
static const HistoryTile *
reader_tile(HistoryReader *r, int level, uint64 index, int need)
{
	HistoryTile *t;
	int			i;

	for (i = 0; i < r->ntiles; i++)
	{
		t = &r->tiles[i];
		if (t->level == level && t->index == (int64) index && t->width >= need)
			return t;
	}
	if (r->ntiles < HISTORY_CACHE_TILES)
		t = &r->tiles[r->ntiles++];
	else
	{
		t = &r->tiles[r->next];
		r->next = (r->next + 1) % HISTORY_CACHE_TILES;
	}
	history_read_tile(r->st, level, index, need, t);
	return t;
}

/* MTH of count (a power of two, at most 16) consecutive hashes. */
static void
history_perfect(const uint8 (*hashes)[LEDGER_HASH_LEN], int count, uint8 out[LEDGER_HASH_LEN])
{
	uint8		buf[HISTORY_TILE_WIDTH / 2][LEDGER_HASH_LEN];
	int			i;

	if (count == 1)
	{
		memcpy(out, hashes[0], LEDGER_HASH_LEN);
		return;
	}
	for (i = 0; i < count / 2; i++)
		merkle_node_hash(hashes[2 * i], hashes[2 * i + 1], buf[i]);
	/* merkle_node_hash copies its inputs first, so out may alias left */
	for (count /= 2; count > 1; count /= 2)
		for (i = 0; i < count / 2; i++)
			merkle_node_hash(buf[2 * i], buf[2 * i + 1], buf[i]);
	memcpy(out, buf[0], LEDGER_HASH_LEN);
}

/* Node (k, i): read from tile level k / 5, or rebuilt from it. */
static void
history_node(HistoryReader *r, int k, uint64 i, uint8 out[LEDGER_HASH_LEN])
{
	int			level = k / HISTORY_TILE_HEIGHT;
	int			d = k - level * HISTORY_TILE_HEIGHT;
	uint64		pos = i << d;	/* first level-5L node below; no overflow: i <
								 * 2^(64 - k) and d <= k */
	int			off = (int) (pos & (HISTORY_TILE_WIDTH - 1));
	int			count = 1 << d;
	const HistoryTile *t;

	t = reader_tile(r, level, pos >> HISTORY_TILE_HEIGHT, off + count);
	history_perfect((const uint8 (*)[LEDGER_HASH_LEN]) &t->hashes[off], count, out);
}

/*
 * MTH of leaves [lo, hi), hi > lo, lo a multiple of a power of two that is
 * at least hi - lo: the right fold of the nodes of hi - lo's set bits.
 */
static void
history_range(HistoryReader *r, uint64 lo, uint64 hi, uint8 out[LEDGER_HASH_LEN])
{
	uint64		size = hi - lo;
	uint64		end = hi;
	bool		first = true;
	int			k;

	Assert(hi > lo);
	for (k = 0; k < 64; k++)
	{
		uint8		h[LEDGER_HASH_LEN];
		uint64		start;

		if (!(size & ((uint64) 1 << k)))
			continue;
		start = end - ((uint64) 1 << k);
		Assert((start & (((uint64) 1 << k) - 1)) == 0);
		history_node(r, k, start >> k, h);
		if (first)
			memcpy(out, h, LEDGER_HASH_LEN);
		else
			merkle_node_hash(h, out, out);
		first = false;
		end = start;
	}
	Assert(end == lo);
}

/* Reverse n hashes in place (the recursions produce them top-down). */
static void
history_reverse(uint8 (*h)[LEDGER_HASH_LEN], int n)
{
	int			i;

	for (i = 0; i < n / 2; i++)
	{
		uint8		tmp[LEDGER_HASH_LEN];

		memcpy(tmp, h[i], LEDGER_HASH_LEN);
		memcpy(h[i], h[n - 1 - i], LEDGER_HASH_LEN);
		memcpy(h[n - 1 - i], tmp, LEDGER_HASH_LEN);
	}
}

/*
 * Put hash h into the edge tile of level, writing the tile when it fills
 * and carrying the root of its 32 nodes to the level above.
 */
static void
history_push(HistoryStore *st, HistoryTile *edge, bool *dirty, int level, const uint8 *h)
{
	HistoryTile *t = &edge[level];
	uint8		parent[LEDGER_HASH_LEN];
	uint8		buf[HISTORY_TILE_WIDTH / 2][LEDGER_HASH_LEN];
	int			i;
	int			count;

	memcpy(t->hashes[t->width++], h, LEDGER_HASH_LEN);
	dirty[level] = true;
	if (t->width < HISTORY_TILE_WIDTH)
		return;

	/* full: root of its 32 nodes is the next node of level 5(L + 1) */
	for (i = 0; i < HISTORY_TILE_WIDTH / 2; i++)
		merkle_node_hash(t->hashes[2 * i], t->hashes[2 * i + 1], buf[i]);
	for (count = HISTORY_TILE_WIDTH / 2; count > 1; count /= 2)
		for (i = 0; i < count / 2; i++)
			merkle_node_hash(buf[2 * i], buf[2 * i + 1], buf[i]);
	memcpy(parent, buf[0], LEDGER_HASH_LEN);

	st->write(st, t);
	dirty[level] = false;
	t->index++;
	t->width = 0;
	/* level 12 holds tree level 60: below 2^64 leaves it never fills */
	if (level + 1 >= HISTORY_MAX_LEVELS)
		elog(ERROR, "history tree is full");
	history_push(st, edge, dirty, level + 1, parent);
}

/*
 * Grow the stored tree of n leaves by k leaf hashes: reads the right-edge
 * tiles of size n, writes every tile it fills and the edge tiles it changed.
 * Run it in the transaction that records the new size.
 */
void
history_append(HistoryStore *st, uint64 n, const uint8 *leaves, uint64 k)
{
	HistoryTile *edge;
	bool		dirty[HISTORY_MAX_LEVELS];
	int			level;
	uint64		i;

	if (n > HISTORY_MAX_SIZE || k > HISTORY_MAX_SIZE - n)
		elog(ERROR, "history tree of " UINT64_FORMAT " leaves cannot grow by " UINT64_FORMAT, n, k);
	if (k == 0)
		return;

	edge = palloc(sizeof(HistoryTile) * HISTORY_MAX_LEVELS);
	for (level = 0; level < HISTORY_MAX_LEVELS; level++)
	{
		uint64		complete = history_shr(n, HISTORY_TILE_HEIGHT * level);
		int			width = (int) (complete & (HISTORY_TILE_WIDTH - 1));
		HistoryTile *t = &edge[level];

		dirty[level] = false;
		if (width > 0)
		{
			history_read_tile(st, level, complete >> HISTORY_TILE_HEIGHT, width, t);
			if (t->width != width)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("history tile (%d, " INT64_FORMAT ") does not match a tree of " UINT64_FORMAT " leaves",
								level, t->index, n),
						 errdetail_internal("The tile holds %d hashes; a tree of that size has %d there.",
											t->width, width),
						 errhint("Run ledger.verify() on the ledger.")));
		}
		else
		{
			t->level = level;
			t->index = (int64) (complete >> HISTORY_TILE_HEIGHT);
			t->width = 0;
		}
	}

	for (i = 0; i < k; i++)
	{
		CHECK_FOR_INTERRUPTS();
		history_push(st, edge, dirty, 0, leaves + i * LEDGER_HASH_LEN);
	}

	for (level = 0; level < HISTORY_MAX_LEVELS; level++)
		if (dirty[level])
			st->write(st, &edge[level]);
	pfree(edge);
}

/* RFC 9162 MTH of the first n leaves of the stored tree. */
void
history_root(HistoryStore *st, uint64 n, uint8 out[LEDGER_HASH_LEN])
{
	HistoryReader r;

	if (n > HISTORY_MAX_SIZE)
		elog(ERROR, "history tree size " UINT64_FORMAT " is out of range", n);
	if (n == 0)
	{
		merkle_empty_root(out);
		return;
	}
	reader_init(&r, st);
	history_range(&r, 0, n, out);
	reader_free(&r);
}

/*
 * RFC 9162 2.1.3.1 PATH(m, D[n]), bottom-up: the sibling of each window the
 * recursion descends into.
 */
int
history_inclusion_proof(HistoryStore *st, uint64 m, uint64 n,
						uint8 path[][LEDGER_HASH_LEN])
{
	HistoryReader r;
	uint64		lo = 0;
	uint64		size = n;
	int			len = 0;

	if (n > HISTORY_MAX_SIZE || m >= n)
		elog(ERROR, "leaf " UINT64_FORMAT " is not in a history tree of " UINT64_FORMAT " leaves", m, n);
	reader_init(&r, st);
	while (size > 1)
	{
		uint64		k = history_split(size);

		Assert(len < HISTORY_MAX_PROOF);
		if (m - lo < k)
		{
			history_range(&r, lo + k, lo + size, path[len++]);
			size = k;
		}
		else
		{
			history_range(&r, lo, lo + k, path[len++]);
			lo += k;
			size -= k;
		}
	}
	reader_free(&r);
	history_reverse(path, len);
	return len;
}

/*
 * RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), in the RFC's
 * order; empty for m = 0 and m = n.
 */
int
history_consistency_proof(HistoryStore *st, uint64 m, uint64 n,
						  uint8 proof[][LEDGER_HASH_LEN])
{
	HistoryReader r;
	uint64		lo = 0;
	uint64		size = n;
	uint64		old = m;		/* m, relative to the window */
	bool		whole = true;	/* SUBPROOF's b: window is an old tree */
	int			len = 0;

	if (n > HISTORY_MAX_SIZE || m > n)
		elog(ERROR, "no consistency proof from " UINT64_FORMAT " to " UINT64_FORMAT " leaves", m, n);
	if (m == 0 || m == n)
		return 0;
	reader_init(&r, st);
	while (old != size)
	{
		uint64		k = history_split(size);

		Assert(len < HISTORY_MAX_PROOF);
		if (old <= k)
		{
			history_range(&r, lo + k, lo + size, proof[len++]);
			size = k;
		}
		else
		{
			history_range(&r, lo, lo + k, proof[len++]);
			lo += k;
			size -= k;
			old -= k;
			whole = false;
		}
	}
	if (!whole)
	{
		Assert(len < HISTORY_MAX_PROOF);
		history_range(&r, lo, lo + size, proof[len++]);
	}
	reader_free(&r);
	history_reverse(proof, len);
	return len;
}

/* RFC 9162 2.1.3.2, step by step. */
bool
merkle_verify_inclusion(const uint8 *leaf_hash, uint64 m, uint64 n,
						uint8 (*path)[LEDGER_HASH_LEN], int len,
						const uint8 *root)
{
	uint64		fn;
	uint64		sn;
	uint8		r[LEDGER_HASH_LEN];
	int			i;

	if (m >= n)
		return false;
	fn = m;
	sn = n - 1;
	memcpy(r, leaf_hash, LEDGER_HASH_LEN);
	for (i = 0; i < len; i++)
	{
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn)
		{
			merkle_node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0)
			{
				fn >>= 1;
				sn >>= 1;
			}
		}
		else
			merkle_node_hash(r, path[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, LEDGER_HASH_LEN) == 0;
}

/* RFC 9162 2.1.4.2, step by step, plus the trivial m = 0 and m = n. */
bool
merkle_verify_consistency(uint64 m, uint64 n, const uint8 *old_root,
						  const uint8 *new_root,
						  uint8 (*proof)[LEDGER_HASH_LEN], int len)
{
	uint64		fn;
	uint64		sn;
	uint8		fr[LEDGER_HASH_LEN];
	uint8		sr[LEDGER_HASH_LEN];
	int			i;

	if (m > n)
		return false;
	if (m == n)
		return len == 0 && memcmp(old_root, new_root, LEDGER_HASH_LEN) == 0;
	if (m == 0)
	{
		uint8		empty[LEDGER_HASH_LEN];

		merkle_empty_root(empty);
		return len == 0 && memcmp(old_root, empty, LEDGER_HASH_LEN) == 0;
	}
	/* 1: an empty proof fails */
	if (len == 0)
		return false;
	/* 2, 5: a power-of-two old size starts from the old root itself */
	if ((m & (m - 1)) == 0)
	{
		memcpy(fr, old_root, LEDGER_HASH_LEN);
		i = 0;
	}
	else
	{
		memcpy(fr, proof[0], LEDGER_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, LEDGER_HASH_LEN);
	/* 3, 4 */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1)
	{
		fn >>= 1;
		sn >>= 1;
	}
	/* 6 */
	for (; i < len; i++)
	{
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn)
		{
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0)
			{
				fn >>= 1;
				sn >>= 1;
			}
		}
		else
			merkle_node_hash(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	/* 7 */
	return sn == 0 &&
		memcmp(fr, old_root, LEDGER_HASH_LEN) == 0 &&
		memcmp(sr, new_root, LEDGER_HASH_LEN) == 0;
}
