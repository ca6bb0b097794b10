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
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "crypto.h"

/* One row of ledger.transactions. */
typedef struct LedgerRecord
{
	int64		xact_id;
	int64		row_count;
	uint8		root[LEDGER_HASH_LEN];
	TimestampTz committed_at;
	int64		block_no;		/* -1: not sealed yet */
	ItemPointerData tid;
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
} LedgerBlock;

typedef enum RecordSelect
{
	RECORDS_ALL,				/* every record, in block order */
	RECORDS_UNSEALED,			/* at most limit unsealed ones, oldest first */
	RECORDS_OF_BLOCK,			/* the records of block arg */
	RECORDS_OF_XACT				/* the records of transaction arg */
} RecordSelect;

/* Bytes a transaction record contributes to its block's tree. */
extern void ledger_xact_leaf(int64 xact_id, int64 row_count, const uint8 *root,
							 int64 committed_at, uint8 out[LEDGER_HASH_LEN]);

/* Canonical block header hash. */
extern void ledger_block_hash(const pg_uuid_t *uuid, int64 block_no,
							  const uint8 *prev_hash, const uint8 *root,
							  int32 tx_count, int64 row_count,
							  int64 sealed_at, int32 format_version,
							  uint8 out[LEDGER_HASH_LEN]);

/* Records of a ledger (see record.c), copied into the caller's context. */
extern LedgerRecord *record_read(int32 ledger_id, RecordSelect sel, int64 arg,
								 int64 limit, bool read_only, uint64 *n);
extern void record_leaf(const LedgerRecord *r, uint8 out[LEDGER_HASH_LEN]);

/* Blocks from..to (to -1: the newest), copied into the caller's context. */
extern LedgerBlock *block_read(int32 ledger_id, int64 from, int64 to,
							   bool read_only, uint64 *n);
extern void block_compute_hash(const pg_uuid_t *uuid, const LedgerBlock *b,
							   uint8 out[LEDGER_HASH_LEN]);

#endif							/* LEDGER_RECORD_H */
