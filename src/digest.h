/*-------------------------------------------------------------------------
 *
 * digest.h
 *		Digests kept outside the database: reading them back.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_DIGEST_H
#define LEDGER_DIGEST_H

#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "crypto.h"

/* The fields of a digest that verification relies on. */
typedef struct LedgerDigest
{
	pg_uuid_t	uuid;			/* ledger_uuid */
	int64		block;			/* block */
	uint8		block_hash[LEDGER_HASH_LEN];	/* block_hash */
	bool		has_tree;		/* tree_size and tree_root given */
	int64		tree_size;		/* tree_size */
	uint8		tree_root[LEDGER_HASH_LEN]; /* tree_root */
} LedgerDigest;

/*
 * Parse a digest as ledger.digest() returns it.  A missing or malformed
 * field raises 22023 naming the field; hex is read in either case.
 */
extern void digest_parse(Jsonb *jb, LedgerDigest *out);

/* Parse 2*len hex digits (either case) into out; false if malformed. */
extern bool digest_hex_decode(const char *hex, int hexlen, uint8 *out, int len);

#endif							/* LEDGER_DIGEST_H */
