/*-------------------------------------------------------------------------
 *
 * proof.c
 *		Inclusion proofs: a row, its transaction, its block, and the chain of
 *		blocks up to a digest, as JSON that a verifier without a database can
 *		check (tools/verify_proof.py, standard library only).
 *
 * A proof carries the row's canonical bytes, the RFC 6962 audit path of its
 * leaf in its transaction's tree, the transaction record, the audit path of
 * the transaction's leaf in its block's tree, and the headers of the blocks
 * from the row's block to the requested one (by default the head), so the
 * verifier can recompute every hash up to a digest it kept.
 *
 * The proof is computed from stored hashes and then checked against the
 * stored transaction root before it is returned: a ledger that does not
 * verify yields an error, never a proof.  Memory: the leaves of one
 * transaction and of one block, in the caller's context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "catalog.h"
#include "merkle.h"
#include "record.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_prove);

/* What the proof says about the row and its transaction's tree. */
typedef struct ProofRow
{
	uint64		n;				/* rows of the transaction */
	uint64		index;			/* the row's position among them */
	uint8	   *leaves;			/* their leaves, in sequence order */
	char	   *canon_hex;		/* the row's canonical bytes, hex */
} ProofRow;

/* Append a hash as a JSON string of hex. */
static void
proof_hex(StringInfo buf, const uint8 *h)
{
	char		hex[2 * LEDGER_HASH_LEN];

	hex_encode((const char *) h, LEDGER_HASH_LEN, hex);
	appendStringInfoChar(buf, '"');
	appendBinaryStringInfo(buf, hex, sizeof(hex));
	appendStringInfoChar(buf, '"');
}

/* Append the audit path of leaf m of n as a JSON array. */
static void
proof_path(StringInfo buf, const uint8 *leaves, uint64 n, uint64 m)
{
	uint8		path[MERKLE_MAX_HEIGHT][LEDGER_HASH_LEN];
	int			len = merkle_inclusion_path(leaves, n, m, path);
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < len; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		proof_hex(buf, path[i]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * The rows of transaction xact, in sequence order, and the row seq among
 * them with its canonical bytes (read with the caller's snapshot).  A row
 * that does not match its stored hash gets an error, never a proof.
 */
static void
proof_read_rows(Oid relid, const char *qname, int64 xact, int64 seq, ProofRow *pr)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[2];
	Oid			types[2] = {INT8OID, INT8OID};
	bool		found = false;
	bool		isnull;
	uint64		i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = Int64GetDatum(xact);
	args[1] = Int64GetDatum(seq);
	if (SPI_execute_with_args(psprintf("SELECT ledger_seq, ledger_hash FROM %s "
									   "WHERE ledger_xact OPERATOR(pg_catalog.=) $1 ORDER BY ledger_seq",
									   qname),
							  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the transaction's rows");
	pr->n = SPI_processed;
	pr->leaves = MemoryContextAllocHuge(caller, LEDGER_HASH_LEN * Max(pr->n, 1));
	for (i = 0; i < pr->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		CHECK_FOR_INTERRUPTS();
		if (DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)) == seq)
		{
			pr->index = i;
			found = true;
		}
		ledger_bytea_to_hash(DatumGetByteaPP(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)),
							 pr->leaves + i * LEDGER_HASH_LEN, "row hash");
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ledger \"%s\" has no row of transaction " INT64_FORMAT " with sequence " INT64_FORMAT,
						get_rel_name(relid), xact, seq),
				 errhint("Take the transaction and sequence from the row's ledger_xact and ledger_seq columns.")));

	/* the row's canonical bytes, for the verifier to hash */
	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.encode(ledger.canonical_bytes(r), 'hex'), "
									   "ledger.leaf_hash(r) OPERATOR(pg_catalog.=) r.ledger_hash FROM %s r "
									   "WHERE r.ledger_xact OPERATOR(pg_catalog.=) $1 "
									   "AND r.ledger_seq OPERATOR(pg_catalog.=) $2 LIMIT 1", qname),
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read the row");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row of transaction " INT64_FORMAT ", sequence " INT64_FORMAT " of ledger \"%s\" does not match its stored hash",
						xact, seq, get_rel_name(relid)),
				 errhint("Run ledger.verify() on the ledger: a proof is only given for a ledger that verifies.")));
	pr->canon_hex = MemoryContextStrdup(caller,
										SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
}

/*
 * The transaction's record: exactly one, matching the rows, sealed.  A
 * transaction that does not match gets an error, never a proof.
 */
static LedgerRecord *
proof_read_record(int32 ledger_id, Oid relid, int64 xact, const ProofRow *pr)
{
	LedgerRecord *rec;
	uint64		n;
	uint8		txroot[LEDGER_HASH_LEN];

	rec = record_read(ledger_id, RECORDS_OF_XACT, xact, 0, true, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg_plural("transaction " INT64_FORMAT " of ledger \"%s\" has %llu records",
							   "transaction " INT64_FORMAT " of ledger \"%s\" has %llu records",
							   (unsigned long) n, xact, get_rel_name(relid), (unsigned long long) n),
				 errdetail("A committed transaction has exactly one record."),
				 errhint("Run ledger.verify() on the ledger.")));
	merkle_root(pr->leaves, pr->n, txroot);
	if (rec->row_count != (int64) pr->n || memcmp(rec->root, txroot, LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rows of transaction " INT64_FORMAT " of ledger \"%s\" do not match its record",
						xact, get_rel_name(relid)),
				 errhint("Run ledger.verify() on the ledger: a proof is only given for a ledger that verifies.")));
	if (rec->block_no < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("transaction " INT64_FORMAT " of ledger \"%s\" is not sealed yet", xact, get_rel_name(relid)),
				 errhint("Call ledger.seal() or ledger.digest(), or wait for the background sealer.")));
	return rec;
}

/* Append the block part: the transaction's audit path in its block. */
static void
proof_append_block(StringInfo buf, int32 ledger_id, const LedgerRecord *rec)
{
	LedgerRecord *recs;
	uint64		n;
	uint64		i;
	uint8	   *txleaves;
	int64		tx_index = -1;

	recs = record_read(ledger_id, RECORDS_OF_BLOCK, rec->block_no, 0, true, &n);
	txleaves = palloc(LEDGER_HASH_LEN * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		record_leaf(&recs[i], txleaves + i * LEDGER_HASH_LEN);
		if (recs[i].xact_id == rec->xact_id)
			tx_index = i;
	}
	if (tx_index < 0)
		elog(ERROR, "transaction missing from its block");
	appendStringInfo(buf, "}, \"block\": {\"block_no\": " INT64_FORMAT ", \"tx_index\": " INT64_FORMAT
					 ", \"tx_count\": " UINT64_FORMAT ", \"path\": ", rec->block_no, tx_index, n);
	proof_path(buf, txleaves, n, tx_index);
}

/* Append the chain: block headers from the row's block to to_block. */
static void
proof_append_chain(StringInfo buf, int32 ledger_id, Oid relid, int64 from, int64 to_block)
{
	LedgerBlock *blocks;
	uint64		nb;
	uint64		i;

	blocks = block_read(ledger_id, from, to_block, true, &nb);
	if (nb == 0 || (to_block >= 0 && blocks[nb - 1].block_no != to_block))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("block " INT64_FORMAT " is not in ledger \"%s\" at or after block " INT64_FORMAT,
						to_block, get_rel_name(relid), from)));
	appendStringInfoString(buf, "}, \"chain\": [");
	for (i = 0; i < nb; i++)
	{
		LedgerBlock *b = &blocks[i];

		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "{\"block_no\": " INT64_FORMAT ", \"prev_hash\": ", b->block_no);
		proof_hex(buf, b->prev_hash);
		appendStringInfoString(buf, ", \"root\": ");
		proof_hex(buf, b->root);
		appendStringInfo(buf, ", \"tx_count\": %d, \"row_count\": " INT64_FORMAT
						 ", \"sealed_at_us\": " INT64_FORMAT ", \"format_version\": %d"
						 ", \"block_hash\": ",
						 b->tx_count, b->row_count, (int64) b->sealed_at, b->format_version);
		proof_hex(buf, b->block_hash);
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoString(buf, "]}");
}

/*
 * ledger.prove(tbl regclass, xact bigint, seq bigint, to_block bigint DEFAULT NULL)
 *		RETURNS jsonb
 */
Datum
ledger_prove(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int64		xact;
	int64		seq;
	int64		to_block;
	int32		ledger_id;
	char	   *qname;
	ProofRow	pr;
	LedgerRecord *rec;
	LedgerInfo *info;
	Relation	rel;
	StringInfoData buf;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ledger table, transaction and sequence must not be NULL")));
	relid = PG_GETARG_OID(0);
	xact = PG_GETARG_INT64(1);
	seq = PG_GETARG_INT64(2);
	to_block = PG_ARGISNULL(3) ? -1 : PG_GETARG_INT64(3);
	if (!PG_ARGISNULL(3) && to_block < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("block number " INT64_FORMAT " is out of range", to_block),
				 errhint("Pass a block number of the ledger, or NULL for its newest block.")));

	verify_check_full_read(relid, "ledger.prove()");
	ledger_id = ledger_id_for_relation(relid, false);
	qname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									   get_rel_name(relid));

	memset(&pr, 0, sizeof(pr));
	proof_read_rows(relid, qname, xact, seq, &pr);
	rec = proof_read_record(ledger_id, relid, xact, &pr);

	rel = relation_open(relid, AccessShareLock);
	info = ledger_info_lookup(rel);
	relation_close(rel, AccessShareLock);
	if (info == NULL)
		elog(ERROR, "ledger \"%s\" vanished", get_rel_name(relid));

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"proof_version\": 1, \"ledger\": ");
	escape_json(&buf, qname);
	appendStringInfo(&buf, ", \"ledger_uuid\": \"%s\", ",
					 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&info->uuid))));
	appendStringInfo(&buf, "\"row\": {\"xact\": " INT64_FORMAT ", \"seq\": " INT64_FORMAT
					 ", \"canonical_bytes\": \"%s\", \"leaf_hash\": ",
					 xact, seq, pr.canon_hex);
	proof_hex(&buf, pr.leaves + pr.index * LEDGER_HASH_LEN);
	appendStringInfo(&buf, "}, \"transaction\": {\"xact_id\": " INT64_FORMAT ", \"row_count\": " INT64_FORMAT
					 ", \"root\": ", xact, rec->row_count);
	proof_hex(&buf, rec->root);
	appendStringInfo(&buf, ", \"committed_at_us\": " INT64_FORMAT ", \"leaf_index\": " UINT64_FORMAT
					 ", \"path\": ", (int64) rec->committed_at, pr.index);
	proof_path(&buf, pr.leaves, pr.n, pr.index);
	proof_append_block(&buf, ledger_id, rec);
	proof_append_chain(&buf, ledger_id, relid, rec->block_no, to_block);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
