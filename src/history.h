/*-------------------------------------------------------------------------
 *
 * history.h
 *		The history tree of a ledger (RFC 9162 over every transaction leaf in
 *		seal order), stored in tiles.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_HISTORY_H
#define LEDGER_HISTORY_H

#include "crypto.h"

#define HISTORY_TILE_HEIGHT 5
#define HISTORY_TILE_WIDTH (1 << HISTORY_TILE_HEIGHT)

/* Tile (level, index): node hashes at tree level HEIGHT*level. */
typedef struct HistoryTile
{
	int			level;
	int64		index;
	int			width;
	uint8		hashes[HISTORY_TILE_WIDTH][LEDGER_HASH_LEN];
} HistoryTile;

/* Where tiles live: a table (sealer.c, proof.c) or memory (tests). */
typedef struct HistoryStore
{
	bool		(*read) (struct HistoryStore *st, int level, int64 index, HistoryTile *out);
	void		(*write) (struct HistoryStore *st, const HistoryTile *tile);
	void	   *arg;
} HistoryStore;

/* The tree of size n grows by the k leaf hashes in leaves. */
extern void history_append(HistoryStore *st, uint64 n, const uint8 *leaves, uint64 k);

/* RFC 9162 MTH of the first n leaves (n at most the stored size). */
extern void history_root(HistoryStore *st, uint64 n, uint8 out[LEDGER_HASH_LEN]);

/* RFC 9162 2.1.3.1 inclusion proof of leaf m in the tree of size n. */
extern int	history_inclusion_proof(HistoryStore *st, uint64 m, uint64 n,
									uint8 path[][LEDGER_HASH_LEN]);

/* RFC 9162 2.1.4.1 consistency proof from size m to size n. */
extern int	history_consistency_proof(HistoryStore *st, uint64 m, uint64 n,
									  uint8 proof[][LEDGER_HASH_LEN]);

/* RFC 9162 2.1.3.2 and 2.1.4.2 verification. */
extern bool merkle_verify_inclusion(const uint8 *leaf_hash, uint64 m, uint64 n,
									uint8 (*path)[LEDGER_HASH_LEN], int len,
									const uint8 *root);
extern bool merkle_verify_consistency(uint64 m, uint64 n, const uint8 *old_root,
									  const uint8 *new_root,
									  uint8 (*proof)[LEDGER_HASH_LEN], int len);

#endif							/* LEDGER_HISTORY_H */
