/*-------------------------------------------------------------------------
 *
 * history.h
 *		The history tree: an RFC 9162 Merkle tree over every transaction
 *		leaf of a ledger, stored in tiles of 32 hashes.
 *
 * Leaves are 32-byte leaf hashes (transaction leaves already carry their
 * 0x00 prefix), so MTH of one leaf is that leaf.  Tile (L, N) holds the
 * complete nodes of tree level 5L with indices [32N, 32N + width); see the
 * essay atop history.c.  Storage is the caller's, through HistoryStore.
 *
 * Bounds (proved in history.c, counted by sql/merkle_proofs.sql through
 * ledger._history_read_count): with G(n) = ceil(bitlen(n) / 5), the number
 * of 5-bit groups of n (G <= 13 for any n < 2^64):
 *		history_root(n)						reads <= G(n) tiles
 *		history_inclusion_proof(m, n)		reads <= 2 G(n) - 1 tiles
 *		history_consistency_proof(m, n)		reads <= 2 G(n) - 1 tiles
 *		history_append(n, k)				reads <= G(n) tiles, writes
 *											<= G(n + k) + (tiles filled)
 * (so at most 25 tiles, 25 KiB, for any proof), and a node taken from a
 * tile costs at most 15 hashes.  Proofs have at most HISTORY_MAX_PROOF
 * hashes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_HISTORY_H
#define LEDGER_HISTORY_H

#include "crypto.h"

#define HISTORY_TILE_HEIGHT 5
#define HISTORY_TILE_WIDTH (1 << HISTORY_TILE_HEIGHT)
/* tile levels 0..12 hold tree levels 0, 5, ..., 60 (sizes below 2^64) */
#define HISTORY_MAX_LEVELS 13
/* longest inclusion or consistency proof of a tree of at most 2^63 leaves */
#define HISTORY_MAX_PROOF 64
/* largest tree size: sizes are int8 in SQL */
#define HISTORY_MAX_SIZE ((uint64) PG_INT64_MAX)

/* Up to 32 consecutive complete nodes of one stored level. */
typedef struct HistoryTile
{
	int			level;			/* tile level L: tree level 5L */
	int64		index;			/* N: holds nodes [32N, 32N + width) */
	int			width;			/* 0..32 hashes in use */
	uint8		hashes[HISTORY_TILE_WIDTH][LEDGER_HASH_LEN];
} HistoryTile;

/*
 * Where tiles live.  read fills *out and returns true, or returns false when
 * the tile is absent; write inserts a tile or replaces the one with the same
 * (level, index).  Either may throw.  A tile written with width w is never
 * later written with a width below w, and its first hashes never change, so
 * a reader with an older snapshot of a table-backed store still sees every
 * node of the tree sizes it knows.
 */
typedef struct HistoryStore
{
	bool		(*read) (struct HistoryStore *st, int level, int64 index, HistoryTile *out);
	void		(*write) (struct HistoryStore *st, const HistoryTile *tile);
	void	   *arg;
} HistoryStore;

/* Grow a stored tree of n leaves by the k leaf hashes at leaves (32 bytes each). */
extern void history_append(HistoryStore *st, uint64 n, const uint8 *leaves, uint64 k);

/* RFC 9162 MTH of the first n leaves (n at most the stored size). */
extern void history_root(HistoryStore *st, uint64 n, uint8 out[LEDGER_HASH_LEN]);

/*
 * RFC 9162 2.1.3.1 inclusion proof of leaf m in the tree of the first n
 * leaves (m < n <= stored size), bottom-up; returns the number of hashes.
 */
extern int	history_inclusion_proof(HistoryStore *st, uint64 m, uint64 n,
									uint8 path[][LEDGER_HASH_LEN]);

/*
 * RFC 9162 2.1.4.1 consistency proof between the trees of the first m and
 * the first n leaves (m <= n <= stored size); empty when m = 0 or m = n.
 */
extern int	history_consistency_proof(HistoryStore *st, uint64 m, uint64 n,
									  uint8 proof[][LEDGER_HASH_LEN]);

/* RFC 9162 2.1.3.2: does path lead from leaf_hash (leaf m of n) to root? */
extern bool merkle_verify_inclusion(const uint8 *leaf_hash, uint64 m, uint64 n,
									uint8 (*path)[LEDGER_HASH_LEN], int len,
									const uint8 *root);

/*
 * RFC 9162 2.1.4.2: does proof show the tree of m leaves with old_root is a
 * prefix of the tree of n leaves with new_root?  Also m = n (empty proof,
 * equal roots) and m = 0 (empty proof, old_root the empty tree's).
 */
extern bool merkle_verify_consistency(uint64 m, uint64 n, const uint8 *old_root,
									  const uint8 *new_root,
									  uint8 (*proof)[LEDGER_HASH_LEN], int len);

#endif							/* LEDGER_HISTORY_H */
