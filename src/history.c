/*-------------------------------------------------------------------------
 *
 * history.c
 *		The history tree of a ledger in tiles (interim implementation: the
 *		same API and tile layout as the final one, simpler algorithms).
 *
 * Tile (L, N) holds the hashes of the tree nodes at level 5L with indices
 * [32N, 32N + width); node (k, i) is the root of the perfect subtree over
 * leaves [i 2^k, (i+1) 2^k).  Nodes between stored levels are recomputed
 * from the level below.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "history.h"
#include "merkle.h"

/* Read node (k, i) of a tree whose leaves up to it are stored. */
static void
history_node(HistoryStore *st, int k, uint64 i, uint8 out[LEDGER_HASH_LEN])
{
	if (k % HISTORY_TILE_HEIGHT == 0)
	{
		HistoryTile tile;
		int			level = k / HISTORY_TILE_HEIGHT;
		int64		index = (int64) (i / HISTORY_TILE_WIDTH);
		int			pos = (int) (i % HISTORY_TILE_WIDTH);

		if (!st->read(st, level, index, &tile) || pos >= tile.width)
			elog(ERROR, "history tile (%d, " INT64_FORMAT ") lacks node %d", level, index, pos);
		memcpy(out, tile.hashes[pos], LEDGER_HASH_LEN);
	}
	else
	{
		uint8		l[LEDGER_HASH_LEN];
		uint8		r[LEDGER_HASH_LEN];

		history_node(st, k - 1, 2 * i, l);
		history_node(st, k - 1, 2 * i + 1, r);
		merkle_node_hash(l, r, out);
	}
}

/* Largest power of two smaller than n (n > 1). */
static uint64
split_point(uint64 n)
{
	uint64		k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* log2 of a power of two */
static int
log2_exact(uint64 k)
{
	int			j = 0;

	while (((uint64) 1 << j) < k)
		j++;
	return j;
}

/* MTH of leaves [lo, lo + n), lo a multiple of the largest power of two <= n. */
static void
history_mth(HistoryStore *st, uint64 lo, uint64 n, uint8 out[LEDGER_HASH_LEN])
{
	uint64		k;
	uint8		l[LEDGER_HASH_LEN];
	uint8		r[LEDGER_HASH_LEN];

	if (n == 0)
	{
		merkle_empty_root(out);
		return;
	}
	if ((n & (n - 1)) == 0 && lo % n == 0)
	{
		history_node(st, log2_exact(n), lo / n, out);
		return;
	}
	k = split_point(n);
	history_mth(st, lo, k, l);
	history_mth(st, lo + k, n - k, r);
	merkle_node_hash(l, r, out);
}

void
history_root(HistoryStore *st, uint64 n, uint8 out[LEDGER_HASH_LEN])
{
	history_mth(st, 0, n, out);
}

/* Store node (k, i) if k is a stored level. */
static void
history_put(HistoryStore *st, int k, uint64 i, const uint8 *hash)
{
	HistoryTile tile;
	int			level;
	int64		index;
	int			pos;

	if (k % HISTORY_TILE_HEIGHT != 0)
		return;
	level = k / HISTORY_TILE_HEIGHT;
	index = (int64) (i / HISTORY_TILE_WIDTH);
	pos = (int) (i % HISTORY_TILE_WIDTH);
	if (!st->read(st, level, index, &tile))
	{
		tile.level = level;
		tile.index = index;
		tile.width = 0;
	}
	if (pos != tile.width)
		elog(ERROR, "history tile (%d, " INT64_FORMAT ") holds %d nodes, not %d",
			 level, index, tile.width, pos);
	memcpy(tile.hashes[pos], hash, LEDGER_HASH_LEN);
	tile.width = pos + 1;
	st->write(st, &tile);
}

void
history_append(HistoryStore *st, uint64 n, const uint8 *leaves, uint64 k)
{
	uint64		j;

	for (j = 0; j < k; j++)
	{
		uint64		p = n + j;
		int			lvl;

		history_put(st, 0, p, leaves + j * LEDGER_HASH_LEN);
		for (lvl = 1; lvl < 64 && ((p + 1) % ((uint64) 1 << lvl)) == 0; lvl++)
		{
			uint8		h[LEDGER_HASH_LEN];
			uint8		l[LEDGER_HASH_LEN];
			uint8		r[LEDGER_HASH_LEN];
			uint64		i = (p + 1) / ((uint64) 1 << lvl) - 1;

			if (lvl % HISTORY_TILE_HEIGHT != 0)
				continue;
			/* a new node: from its children, never from its own tile */
			history_node(st, lvl - 1, 2 * i, l);
			history_node(st, lvl - 1, 2 * i + 1, r);
			merkle_node_hash(l, r, h);
			history_put(st, lvl, i, h);
		}
	}
}

/* RFC 9162 PATH(m, D[lo, lo+n)) appended to path; returns new length. */
static int
history_path(HistoryStore *st, uint64 m, uint64 lo, uint64 n,
			 uint8 path[][LEDGER_HASH_LEN], int len)
{
	uint64		k;

	if (n <= 1)
		return len;
	k = split_point(n);
	if (m < k)
	{
		len = history_path(st, m, lo, k, path, len);
		history_mth(st, lo + k, n - k, path[len]);
	}
	else
	{
		len = history_path(st, m - k, lo + k, n - k, path, len);
		history_mth(st, lo, k, path[len]);
	}
	return len + 1;
}

int
history_inclusion_proof(HistoryStore *st, uint64 m, uint64 n, uint8 path[][LEDGER_HASH_LEN])
{
	if (m >= n)
		elog(ERROR, "leaf " UINT64_FORMAT " is outside a tree of " UINT64_FORMAT, m, n);
	return history_path(st, m, 0, n, path, 0);
}

/* RFC 9162 SUBPROOF(m, D[lo, lo+n), b) */
static int
history_subproof(HistoryStore *st, uint64 m, uint64 lo, uint64 n, bool b,
				 uint8 proof[][LEDGER_HASH_LEN], int len)
{
	uint64		k;

	if (m == n)
	{
		if (!b)
			history_mth(st, lo, n, proof[len++]);
		return len;
	}
	k = split_point(n);
	if (m <= k)
	{
		len = history_subproof(st, m, lo, k, b, proof, len);
		history_mth(st, lo + k, n - k, proof[len++]);
	}
	else
	{
		len = history_subproof(st, m - k, lo + k, n - k, false, proof, len);
		history_mth(st, lo, k, proof[len++]);
	}
	return len;
}

int
history_consistency_proof(HistoryStore *st, uint64 m, uint64 n, uint8 proof[][LEDGER_HASH_LEN])
{
	if (m == 0 || m > n)
		elog(ERROR, "no consistency proof from size " UINT64_FORMAT " to size " UINT64_FORMAT, m, n);
	if (m == n)
		return 0;
	return history_subproof(st, m, 0, n, true, proof, 0);
}

bool
merkle_verify_inclusion(const uint8 *leaf_hash, uint64 m, uint64 n,
						uint8 (*path)[LEDGER_HASH_LEN], int len, const uint8 *root)
{
	uint64		fn = m;
	uint64		sn = n - 1;
	uint8		r[LEDGER_HASH_LEN];
	int			i;

	if (m >= n)
		return false;
	memcpy(r, leaf_hash, LEDGER_HASH_LEN);
	for (i = 0; i < len; i++)
	{
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn)
		{
			merkle_node_hash(path[i], r, r);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1))
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

bool
merkle_verify_consistency(uint64 m, uint64 n, const uint8 *old_root, const uint8 *new_root,
						  uint8 (*proof)[LEDGER_HASH_LEN], int len)
{
	uint64		fn;
	uint64		sn;
	uint8		fr[LEDGER_HASH_LEN];
	uint8		sr[LEDGER_HASH_LEN];
	int			i = 0;

	if (m == 0 || m > n)
		return false;
	if (m == n)
		return len == 0 && memcmp(old_root, new_root, LEDGER_HASH_LEN) == 0;
	if (len == 0)
		return false;
	fn = m - 1;
	sn = n - 1;
	/* if m is a power of two, the old root is the first node */
	if ((m & (m - 1)) == 0)
	{
		memcpy(fr, old_root, LEDGER_HASH_LEN);
		memcpy(sr, old_root, LEDGER_HASH_LEN);
	}
	else
	{
		memcpy(fr, proof[0], LEDGER_HASH_LEN);
		memcpy(sr, proof[0], LEDGER_HASH_LEN);
		i = 1;
	}
	while (fn & 1)
	{
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++)
	{
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn)
		{
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1))
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
	return sn == 0 && memcmp(fr, old_root, LEDGER_HASH_LEN) == 0 &&
		memcmp(sr, new_root, LEDGER_HASH_LEN) == 0;
}
