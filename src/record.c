/*-------------------------------------------------------------------------
 *
 * record.c
 *		Transaction records and blocks: their hash formats, and the one
 *		reader of them that sealing, verification and proofs share.
 *
 * A transaction record (ledger.transactions) holds what a committed
 * transaction wrote to one ledger: its row count and the RFC 6962 root of
 * its rows' leaves.  Its leaf in its block's tree is
 *
 *	H(0x00 || 'T' || format || xact_id || row_count || root || committed_at)
 *
 * (integers big-endian, committed_at in microseconds since 2000-01-01 UTC),
 * and a block's hash is
 *
 *	SHA-256("ledger-block-v1\0" || ledger uuid || block_no || prev_hash ||
 *			root || tx_count || row_count || sealed_at || format_version)
 *
 * (docs/canonical-format.md).  Blocks hold their records in (committed_at,
 * xact_id) order, a total order fixed by the records themselves.
 *
 * The readers copy what they read out of SPI into the caller's memory
 * context, so nothing they return dies with SPI_finish.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "canon.h"
#include "catalog.h"
#include "merkle.h"
#include "record.h"

/* big-endian store */
static void
put_be64(uint8 *p, uint64 v)
{
	int			i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8) (v >> (56 - 8 * i));
}

/* Leaf hash of a transaction record in its block's tree. */
void
ledger_xact_leaf(int64 xact_id, int64 row_count, const uint8 *root,
				 int64 committed_at, uint8 out[LEDGER_HASH_LEN])
{
	uint8		buf[2 + 8 + 8 + LEDGER_HASH_LEN + 8];

	buf[0] = 'T';
	buf[1] = CANON_FORMAT_VERSION;
	put_be64(buf + 2, (uint64) xact_id);
	put_be64(buf + 10, (uint64) row_count);
	memcpy(buf + 18, root, LEDGER_HASH_LEN);
	put_be64(buf + 18 + LEDGER_HASH_LEN, (uint64) committed_at);
	merkle_leaf_hash(buf, sizeof(buf), out);
}

/* Hash of a block header; links the block to its predecessor. */
void
ledger_block_hash(const pg_uuid_t *uuid, int64 block_no,
				  const uint8 *prev_hash, const uint8 *root,
				  int32 tx_count, int64 row_count,
				  int64 sealed_at, int32 format_version,
				  uint8 out[LEDGER_HASH_LEN])
{
	static const char tagstr[] = "ledger-block-v1";
	uint8		buf[UUID_LEN + 8 + 2 * LEDGER_HASH_LEN + 8 + 8 + 8 + 8];
	uint8	   *p = buf;

	memcpy(p, uuid->data, UUID_LEN);
	p += UUID_LEN;
	put_be64(p, (uint64) block_no);
	p += 8;
	memcpy(p, prev_hash, LEDGER_HASH_LEN);
	p += LEDGER_HASH_LEN;
	memcpy(p, root, LEDGER_HASH_LEN);
	p += LEDGER_HASH_LEN;
	put_be64(p, (uint64) tx_count);
	p += 8;
	put_be64(p, (uint64) row_count);
	p += 8;
	put_be64(p, (uint64) sealed_at);
	p += 8;
	put_be64(p, (uint64) format_version);
	p += 8;
	crypto_sha256_3(tagstr, sizeof(tagstr), buf, p - buf, NULL, 0, out);
}


/* ---------- reading records and blocks ---------- */

/* Column c (1-based) of row r of the SPI result, as int64; -1 if NULL. */
static int64
record_int_col(uint64 r, int c)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c, &isnull);

	if (isnull)
		return -1;
	if (SPI_gettypeid(SPI_tuptable->tupdesc, c) == INT4OID)
		return DatumGetInt32(d);
	return DatumGetInt64(d);
}

/* Hash column c (1-based) of row r of the SPI result. */
static void
record_hash_col(uint64 r, int c, uint8 *out, const char *what)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored hash is NULL"),
				 errdetail_internal("The %s is NULL.", what),
				 errhint("Run ledger.verify() on the ledger.")));
	ledger_bytea_to_hash(DatumGetByteaPP(d), out, what);
}

/*
 * The records of one ledger that sel selects, in the order their trees
 * need, in an array allocated in the caller's memory context:
 *	RECORDS_ALL			every record, in block order (unsealed ones last);
 *	RECORDS_UNSEALED	at most limit unsealed records, oldest first;
 *	RECORDS_OF_BLOCK	the records of block arg;
 *	RECORDS_OF_XACT		the records of transaction arg (normally one).
 * Reads with a fresh snapshot unless read_only (then the caller's).
 */
LedgerRecord *
record_read(int32 ledger_id, RecordSelect sel, int64 arg, int64 limit,
			bool read_only, uint64 *n)
{
	static const char *const queries[] = {
		[RECORDS_ALL] = "SELECT xact_id, row_count, root, committed_at, block_no, ctid "
		"FROM ledger.transactions WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
		"ORDER BY block_no NULLS LAST, committed_at, xact_id",
		[RECORDS_UNSEALED] = "SELECT xact_id, row_count, root, committed_at, block_no, ctid "
		"FROM ledger.transactions WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND block_no IS NULL "
		"ORDER BY committed_at, xact_id LIMIT $2",
		[RECORDS_OF_BLOCK] = "SELECT xact_id, row_count, root, committed_at, block_no, ctid "
		"FROM ledger.transactions WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
		"AND block_no OPERATOR(pg_catalog.=) $2 ORDER BY committed_at, xact_id",
		[RECORDS_OF_XACT] = "SELECT xact_id, row_count, root, committed_at, block_no, ctid "
		"FROM ledger.transactions WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
		"AND xact_id OPERATOR(pg_catalog.=) $2",
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[2];
	Oid			types[2] = {INT4OID, INT8OID};
	LedgerRecord *out;
	uint64		i;
	int			ret;

	args[0] = Int32GetDatum(ledger_id);
	args[1] = Int64GetDatum(sel == RECORDS_UNSEALED ? limit : arg);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(queries[sel], sel == RECORDS_ALL ? 1 : 2, types, args,
								NULL, read_only, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.transactions: %s", SPI_result_code_string(ret));

	*n = SPI_processed;
	out = MemoryContextAllocHuge(caller, sizeof(LedgerRecord) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		LedgerRecord *r = &out[i];
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		r->xact_id = record_int_col(i, 1);
		r->row_count = record_int_col(i, 2);
		record_hash_col(i, 3, r->root, "transaction root");
		r->committed_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 4, &isnull));
		r->block_no = record_int_col(i, 5);
		r->tid = *((ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i],
															   SPI_tuptable->tupdesc, 6, &isnull)));
	}
	SPI_finish();
	return out;
}

/* A record's leaf in its block's tree. */
void
record_leaf(const LedgerRecord *r, uint8 out[LEDGER_HASH_LEN])
{
	ledger_xact_leaf(r->xact_id, r->row_count, r->root, r->committed_at, out);
}

/*
 * The blocks of one ledger from block from to block to (-1: the newest), in
 * order, in an array allocated in the caller's memory context; read with the
 * caller's snapshot if read_only.
 */
LedgerBlock *
block_read(int32 ledger_id, int64 from, int64 to, bool read_only, uint64 *n)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[3];
	Oid			types[3] = {INT4OID, INT8OID, INT8OID};
	LedgerBlock *out;
	uint64		i;
	int			ret;

	args[0] = Int32GetDatum(ledger_id);
	args[1] = Int64GetDatum(from);
	args[2] = Int64GetDatum(to);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT block_no, prev_hash, root, tx_count, row_count, sealed_at, "
								"format_version, block_hash FROM ledger.blocks "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
								"AND block_no OPERATOR(pg_catalog.>=) $2 "
								"AND ($3 OPERATOR(pg_catalog.<) 0 OR block_no OPERATOR(pg_catalog.<=) $3) "
								"ORDER BY block_no",
								3, types, args, NULL, read_only, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks: %s", SPI_result_code_string(ret));
	*n = SPI_processed;
	out = MemoryContextAllocHuge(caller, sizeof(LedgerBlock) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		LedgerBlock *b = &out[i];
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		b->block_no = record_int_col(i, 1);
		record_hash_col(i, 2, b->prev_hash, "previous block hash");
		record_hash_col(i, 3, b->root, "block root");
		b->tx_count = (int32) record_int_col(i, 4);
		b->row_count = record_int_col(i, 5);
		b->sealed_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 6, &isnull));
		b->format_version = (int32) record_int_col(i, 7);
		record_hash_col(i, 8, b->block_hash, "block hash");
	}
	SPI_finish();
	return out;
}

/* Recompute a block's hash from its header. */
void
block_compute_hash(const pg_uuid_t *uuid, const LedgerBlock *b, uint8 out[LEDGER_HASH_LEN])
{
	ledger_block_hash(uuid, b->block_no, b->prev_hash, b->root, b->tx_count,
					  b->row_count, b->sealed_at, b->format_version, out);
}
