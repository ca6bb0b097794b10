/*-------------------------------------------------------------------------
 *
 * merkle.c
 *		RFC 6962 Merkle tree hashing: leaves, nodes, roots, audit paths.
 *
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), and
 * the tree over n leaves splits at the largest power of two below n, so the
 * roots and proofs here can be checked by any RFC 6962 / RFC 9162 verifier.
 * The root of the empty tree is SHA-256 of the empty string.
 *
 * Pure code: no catalog access, no memory beyond the caller's buffers and a
 * bounded stack (tree height is at most 64).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "merkle.h"

static const uint8 leaf_prefix = 0x00;
static const uint8 node_prefix = 0x01;

/* leaf hash of data */
void
merkle_leaf_hash(const void *data, size_t len, uint8 out[LEDGER_HASH_LEN])
{
	crypto_sha256_3(&leaf_prefix, 1, data, len, NULL, 0, out);
}

/* interior node hash of two children */
void
merkle_node_hash(const uint8 *left, const uint8 *right, uint8 out[LEDGER_HASH_LEN])
{
	uint8		plr[1 + 2 * LEDGER_HASH_LEN];

	plr[0] = node_prefix;
	memcpy(plr + 1, left, LEDGER_HASH_LEN);
	memcpy(plr + 1 + LEDGER_HASH_LEN, right, LEDGER_HASH_LEN);
	crypto_sha256_3(plr, sizeof(plr), NULL, 0, NULL, 0, out);
}

/* root of the empty tree */
void
merkle_empty_root(uint8 out[LEDGER_HASH_LEN])
{
	crypto_sha256_3(NULL, 0, NULL, 0, NULL, 0, out);
}

/* start an empty stream */
void
merkle_stream_init(MerkleStream *ms)
{
	ms->count = 0;
	ms->depth = 0;
}

/*
 * Push one leaf hash, merging equal-height subtrees.  With a path stream
 * (ps, merkle_path_add), each merge of the target's subtree with its
 * neighbour also records the neighbour; merkle_stream_add passes NULL, and
 * the inlined copy has no such test.
 */
static pg_attribute_always_inline void
merkle_stream_push(MerkleStream *ms, const uint8 *leafhash, MerklePathStream *ps)
{
	Assert(ms->depth < MERKLE_MAX_HEIGHT);
	memcpy(ms->hash[ms->depth], leafhash, LEDGER_HASH_LEN);
	ms->height[ms->depth] = 0;
	ms->depth++;
	ms->count++;
	while (ms->depth >= 2 &&
		   ms->height[ms->depth - 1] == ms->height[ms->depth - 2])
	{
		uint8		merged[LEDGER_HASH_LEN];

		if (ps != NULL)
		{
			if (ps->tpos == ms->depth - 1)
			{
				memcpy(ps->path[ps->len++], ms->hash[ms->depth - 2], LEDGER_HASH_LEN);
				ps->tpos--;
			}
			else if (ps->tpos == ms->depth - 2)
				memcpy(ps->path[ps->len++], ms->hash[ms->depth - 1], LEDGER_HASH_LEN);
		}
		merkle_node_hash(ms->hash[ms->depth - 2], ms->hash[ms->depth - 1], merged);
		ms->depth--;
		memcpy(ms->hash[ms->depth - 1], merged, LEDGER_HASH_LEN);
		ms->height[ms->depth - 1]++;
	}
}

void
merkle_stream_add(MerkleStream *ms, const uint8 *leafhash)
{
	merkle_stream_push(ms, leafhash, NULL);
}

/*
 * The stack's subtrees from entry lo to the top folded right to left, as
 * the RFC's split joins them (lo < depth).
 */
static void
merkle_stream_fold(const MerkleStream *ms, int lo, uint8 out[LEDGER_HASH_LEN])
{
	uint8		acc[LEDGER_HASH_LEN];
	int			i;

	memcpy(acc, ms->hash[ms->depth - 1], LEDGER_HASH_LEN);
	for (i = ms->depth - 2; i >= lo; i--)
		merkle_node_hash(ms->hash[i], acc, acc);
	memcpy(out, acc, LEDGER_HASH_LEN);
}

/* root over the leaves pushed so far (the stream stays usable) */
void
merkle_stream_root(const MerkleStream *ms, uint8 out[LEDGER_HASH_LEN])
{
	if (ms->depth == 0)
		merkle_empty_root(out);
	else
		merkle_stream_fold(ms, 0, out);
}

/* start an empty path stream, with no target yet */
void
merkle_path_init(MerklePathStream *ps)
{
	merkle_stream_init(&ps->ms);
	ps->tpos = -1;
	ps->len = 0;
	ps->index = 0;
}

/*
 * Push one leaf hash (target: it is the leaf whose path is built; at most
 * one leaf is).  As merkle_stream_add, and each merge of the target's
 * subtree with its neighbour records the neighbour: the path inside the
 * perfect subtree that holds the target, bottom-up.
 */
void
merkle_path_add(MerklePathStream *ps, const uint8 *leafhash, bool target)
{
	if (target)
	{
		Assert(ps->tpos < 0);
		ps->tpos = ps->ms.depth;
		ps->index = ps->ms.count;
		memcpy(ps->leaf, leafhash, LEDGER_HASH_LEN);
	}
	merkle_stream_push(&ps->ms, leafhash, ps);
}

/*
 * The target's audit path in the tree over all the leaves pushed, bottom-up
 * as merkle_inclusion_path gives it, and the tree's root; returns the
 * number of hashes, or -1 if no leaf was the target.  The stack holds the
 * perfect subtrees of the RFC's split, largest first: above the target's
 * subtree its path meets the root of the subtrees after it (folded as
 * merkle_stream_root folds them), then each subtree before it.
 */
int
merkle_path_finish(MerklePathStream *ps, uint8 path[][LEDGER_HASH_LEN],
				   uint8 root[LEDGER_HASH_LEN])
{
	const MerkleStream *ms = &ps->ms;
	int			len = ps->len;
	int			i;

	merkle_stream_root(ms, root);
	if (ps->tpos < 0)
		return -1;
	memcpy(path, ps->path, LEDGER_HASH_LEN * len);
	if (ps->tpos < ms->depth - 1)
		merkle_stream_fold(ms, ps->tpos + 1, path[len++]);
	for (i = ps->tpos - 1; i >= 0; i--)
		memcpy(path[len++], ms->hash[i], LEDGER_HASH_LEN);
	return len;
}

/* root over n contiguous leaf hashes */
void
merkle_root(const uint8 *leafhashes, uint64 n, uint8 out[LEDGER_HASH_LEN])
{
	MerkleStream ms;
	uint64		i;

	merkle_stream_init(&ms);
	for (i = 0; i < n; i++)
		merkle_stream_add(&ms, leafhashes + i * LEDGER_HASH_LEN);
	merkle_stream_root(&ms, out);
}

/* largest power of two strictly less than n (n >= 2) */
static uint64
merkle_split(uint64 n)
{
	uint64		k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* RFC 6962 §2.1.1 PATH(m, D[n]); hashes are appended bottom-up. */
int
merkle_inclusion_path(const uint8 *leafhashes, uint64 n, uint64 m,
					  uint8 path[][LEDGER_HASH_LEN])
{
	int			len = 0;
	uint64		lo = 0;

	/* descend, recording siblings top-down, then reverse */
	while (n > 1)
	{
		uint64		k = merkle_split(n);

		if (m < k)
		{
			merkle_root(leafhashes + (lo + k) * LEDGER_HASH_LEN, n - k, path[len++]);
			n = k;
		}
		else
		{
			merkle_root(leafhashes + lo * LEDGER_HASH_LEN, k, path[len++]);
			lo += k;
			m -= k;
			n -= k;
		}
	}
	/* reverse into bottom-up order */
	for (int i = 0; i < len / 2; i++)
	{
		uint8		tmp[LEDGER_HASH_LEN];

		memcpy(tmp, path[i], LEDGER_HASH_LEN);
		memcpy(path[i], path[len - 1 - i], LEDGER_HASH_LEN);
		memcpy(path[len - 1 - i], tmp, LEDGER_HASH_LEN);
	}
	return len;
}
