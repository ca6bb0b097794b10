/*-------------------------------------------------------------------------
 *
 * record.h
 *		Transaction records and blocks: hash formats and the shared reader.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_RECORD_H
#define LEDGER_RECORD_H

#include "storage/itemptr.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "crypto.h"

/* Block formats: 1 as sealed by 0.1.0, 2 with the history tree's size and root. */
#define BLOCK_FORMAT_1 1
#define BLOCK_FORMAT_2 2

/* One row of ledger.transactions. */
typedef struct LedgerRecord
{
	int64		xact_id;
	int64		row_count;
	uint8		root[LEDGER_HASH_LEN];
	TimestampTz committed_at;
} LedgerRecord;

/* One row of ledger.blocks. */
typedef struct LedgerBlock
{
	int64		block_no;
	uint8		prev_hash[LEDGER_HASH_LEN];
	uint8		root[LEDGER_HASH_LEN];
	int32		tx_count;
	int64		row_count;
	TimestampTz sealed_at;
	int32		format_version;
	uint8		block_hash[LEDGER_HASH_LEN];
	int64	   *xact_ids;		/* tx_count transactions, in block order */
	int			nxacts;			/* entries in xact_ids */
	int64		first_position; /* history position of xact_ids[0] */
	bool		has_tree_root;
	uint8		tree_root[LEDGER_HASH_LEN]; /* history root after the block */
	int64		total_rows;		/* rows of this block and all before */
} LedgerBlock;

/*
 * A stored hash of ledger.transactions or ledger.blocks that is NULL or not
 * 32 bytes long (a superuser's edit of the catalog).  The readers raise
 * XX001 for one, unless given a LedgerHashFault: then they note the first
 * one (in the order they read), leave the hash zero and go on, and
 * ledger.verify reports it as a problem.
 */
typedef struct LedgerHashFault
{
	int64		index;			/* of the record or block read; -1: none */
	const char *what;			/* the hash: "root", "previous-block hash"... */
	int			len;			/* the bytes it holds; -1: NULL */
} LedgerHashFault;

/* History size after a block: the transactions of it and all before it. */
#define BLOCK_TREE_SIZE(b) ((b)->first_position + (b)->tx_count)

/* A transaction record's leaf in the trees (row format of its ledger). */
extern void ledger_xact_leaf(int format, int64 xact_id, int64 row_count,
							 const uint8 *root, int64 committed_at,
							 uint8 out[LEDGER_HASH_LEN]);
extern void record_leaf(const LedgerRecord *r, int format, uint8 out[LEDGER_HASH_LEN]);

/* A block's hash from its header, in the block's format. */
extern void block_compute_hash(const pg_uuid_t *uuid, const LedgerBlock *b,
							   uint8 out[LEDGER_HASH_LEN]);

/*
 * Every record of a ledger in transaction-number order, read with snapshot,
 * copied into the caller's memory context; a malformed root is noted in
 * *fault (if not NULL) instead of raised.
 */
extern LedgerRecord *record_read_all(int64 ledger_id, Snapshot snapshot, uint64 *n,
									 LedgerHashFault *fault);

/* The record of each of n transactions, and how many each has. */
extern void record_read_xacts(int64 ledger_id, const int64 *xacts, int n, Snapshot snapshot,
							  LedgerRecord *out, uint64 *counts);

/* The records of one transaction (normally one). */
extern LedgerRecord *record_read_xact(int64 ledger_id, int64 xact_id, Snapshot snapshot,
									  uint64 *n);

/* The largest transaction number among a ledger's records; -1: none. */
extern int64 record_max_xact(int64 ledger_id, Snapshot snapshot);

/* The record at tid if it is visible and is (ledger_id, xact_id). */
extern bool record_fetch_tid(ItemPointer tid, int64 ledger_id, int64 xact_id,
							 LedgerRecord *out);

/* The same for many tids: the table opened once, one fresh snapshot. */
typedef struct RecordFetcher RecordFetcher;
extern RecordFetcher *record_fetcher_begin(void);
extern bool record_fetcher_get(RecordFetcher *f, ItemPointer tid, int64 ledger_id,
							   int64 xact_id, LedgerRecord *out);
extern void record_fetcher_end(RecordFetcher *f);

/*
 * Blocks from..to (to -1: the newest), in order, copied into the caller's
 * context; read with the caller's snapshot if read_only, else a fresh one.
 */
extern LedgerBlock *block_read(int64 ledger_id, int64 from, int64 to,
							   bool read_only, uint64 *n);

/* The same, noting a malformed hash in *fault instead of raising. */
extern LedgerBlock *block_read_noting(int64 ledger_id, int64 from, int64 to,
									  bool read_only, uint64 *n,
									  LedgerHashFault *fault);

/* The newest block of a ledger, header only (nxacts 0); false if it has none. */
extern bool block_read_head(int64 ledger_id, bool read_only, LedgerBlock *out);

/* The block that holds a transaction (-1 if none) and its index there. */
extern int64 block_of_xact(int64 ledger_id, int64 xact_id, bool read_only,
						   LedgerBlock *out, int *index);

#endif							/* LEDGER_RECORD_H */
