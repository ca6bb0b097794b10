/*-------------------------------------------------------------------------
 *
 * merkle.h
 *		RFC 6962 Merkle tree hashing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_MERKLE_H
#define LEDGER_MERKLE_H

#include "crypto.h"

#define MERKLE_MAX_HEIGHT 64

/*
 * Streaming root computation: leaves are pushed left to right and only
 * O(log n) hashes are kept.  The result equals RFC 6962 MTH over the same
 * leaves (the stack holds the perfect subtrees the RFC's split produces).
 */
typedef struct MerkleStream
{
	uint64		count;
	int			depth;			/* entries on the stack */
	uint8		height[MERKLE_MAX_HEIGHT];
	uint8		hash[MERKLE_MAX_HEIGHT][LEDGER_HASH_LEN];
} MerkleStream;

extern void merkle_leaf_hash(const void *data, size_t len, uint8 out[LEDGER_HASH_LEN]);
extern void merkle_node_hash(const uint8 *left, const uint8 *right, uint8 out[LEDGER_HASH_LEN]);
extern void merkle_empty_root(uint8 out[LEDGER_HASH_LEN]);

extern void merkle_stream_init(MerkleStream *ms);
extern void merkle_stream_add(MerkleStream *ms, const uint8 *leafhash);
extern void merkle_stream_root(const MerkleStream *ms, uint8 out[LEDGER_HASH_LEN]);

/*
 * Streaming audit path: leaves are pushed left to right, one of them marked
 * as the target, and the RFC 6962 audit path of that leaf in the tree over
 * all the leaves pushed is built with O(log n) hashes kept (the stream's
 * stack, and the siblings met as the target's subtree grows).
 */
typedef struct MerklePathStream
{
	MerkleStream ms;
	int			tpos;			/* stack entry holding the target, or -1 */
	int			len;			/* siblings of the target's subtree so far */
	uint64		index;			/* the target's position */
	uint8		leaf[LEDGER_HASH_LEN];	/* its leaf hash */
	uint8		path[MERKLE_MAX_HEIGHT][LEDGER_HASH_LEN];
} MerklePathStream;

extern void merkle_path_init(MerklePathStream *ps);
extern void merkle_path_add(MerklePathStream *ps, const uint8 *leafhash, bool target);
extern int	merkle_path_finish(MerklePathStream *ps, uint8 path[][LEDGER_HASH_LEN],
							   uint8 root[LEDGER_HASH_LEN]);

/* Root over n leaf hashes stored contiguously (32 bytes each). */
extern void merkle_root(const uint8 *leafhashes, uint64 n, uint8 out[LEDGER_HASH_LEN]);

/*
 * RFC 6962 §2.1.1 audit path for leaf m of n, bottom-up; returns the number
 * of hashes.  Checked by tools/ledger-audit (RFC 9162 §2.1.3.2).
 */
extern int	merkle_inclusion_path(const uint8 *leafhashes, uint64 n, uint64 m,
								  uint8 path[][LEDGER_HASH_LEN]);

#endif							/* LEDGER_MERKLE_H */
