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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "merkle.h"
#include "table.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_prove);

/* Append a hash as a JSON string of hex. */
static void
proof_hex(StringInfo buf, const uint8 *h, int len)
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	appendStringInfoChar(buf, '"');
	for (i = 0; i < len; i++)
	{
		appendStringInfoChar(buf, hex[h[i] >> 4]);
		appendStringInfoChar(buf, hex[h[i] & 15]);
	}
	appendStringInfoChar(buf, '"');
}

/* Append an audit path as a JSON array. */
static void
proof_path(StringInfo buf, uint8 (*path)[LEDGER_HASH_LEN], int len)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < len; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		proof_hex(buf, path[i], LEDGER_HASH_LEN);
	}
	appendStringInfoChar(buf, ']');
}

/* 32-byte hash column of an SPI row */
static void
proof_hash_col(int row, int col, uint8 *out, const char *what)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s is NULL", what)));
	ledger_bytea_to_hash(DatumGetByteaPP(d), out, what);
}

/* int8 (or int4, timestamptz) column of an SPI row */
static int64
proof_int_col(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
	Oid			t = SPI_gettypeid(SPI_tuptable->tupdesc, col);

	if (isnull)
		return -1;
	if (t == INT4OID)
		return DatumGetInt32(d);
	return DatumGetInt64(d);
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
	char	   *sql;
	Datum		args[3];
	Oid			types[3] = {INT8OID, INT8OID, INT4OID};
	uint64		n;
	uint64		i;
	int64		m = -1;
	uint8	   *leaves;
	uint8		(*path)[LEDGER_HASH_LEN];
	int			pathlen;
	uint8		txroot[LEDGER_HASH_LEN];
	uint8		stored_root[LEDGER_HASH_LEN];
	uint8		txleaf[LEDGER_HASH_LEN];
	int64		row_count;
	int64		committed_at;
	int64		block_no;
	int64		tx_index = -1;
	char	   *canon_hex;
	char	   *uuid_str;
	StringInfoData buf;
	bool		isnull;

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

	/* the result outlives SPI's memory: allocate it in the caller's context */
	initStringInfo(&buf);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the transaction's rows, in sequence order */
	args[0] = Int64GetDatum(xact);
	sql = psprintf("SELECT ledger_seq, ledger_hash FROM %s WHERE ledger_xact OPERATOR(pg_catalog.=) $1 "
				   "ORDER BY ledger_seq", qname);
	if (SPI_execute_with_args(sql, 1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the transaction's rows");
	n = SPI_processed;
	leaves = palloc(LEDGER_HASH_LEN * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (proof_int_col(i, 1) == seq)
			m = i;
		proof_hash_col(i, 2, leaves + i * LEDGER_HASH_LEN, "row hash");
	}
	if (m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ledger \"%s\" has no row of transaction " INT64_FORMAT " with sequence " INT64_FORMAT,
						get_rel_name(relid), xact, seq),
				 errhint("Take the transaction and sequence from the row's ledger_xact and ledger_seq columns.")));
	merkle_root(leaves, n, txroot);
	path = palloc(sizeof(*path) * MERKLE_MAX_HEIGHT);
	pathlen = merkle_inclusion_path(leaves, n, m, path);

	/* the row's canonical bytes, for the verifier to hash */
	args[1] = Int64GetDatum(seq);
	sql = psprintf("SELECT pg_catalog.encode(ledger.canonical_bytes(r), 'hex'), "
				   "ledger.leaf_hash(r) OPERATOR(pg_catalog.=) r.ledger_hash FROM %s r "
				   "WHERE r.ledger_xact OPERATOR(pg_catalog.=) $1 AND r.ledger_seq OPERATOR(pg_catalog.=) $2 "
				   "LIMIT 1", qname);
	if (SPI_execute_with_args(sql, 2, types, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read the row");
	canon_hex = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row of transaction " INT64_FORMAT ", sequence " INT64_FORMAT " of ledger \"%s\" does not match its stored hash",
						xact, seq, get_rel_name(relid)),
				 errhint("Run ledger.verify() on the ledger: a proof is only given for a ledger that verifies.")));

	/* the transaction record */
	{
		Datum		targs[2];
		Oid			ttypes[2] = {INT4OID, INT8OID};

		targs[0] = Int32GetDatum(ledger_id);
		targs[1] = Int64GetDatum(xact);
		if (SPI_execute_with_args("SELECT row_count, root, committed_at, block_no FROM ledger.transactions "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND xact_id OPERATOR(pg_catalog.=) $2",
								  2, ttypes, targs, NULL, true, 2) != SPI_OK_SELECT)
			elog(ERROR, "could not read the transaction record");
	}
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("transaction " INT64_FORMAT " of ledger \"%s\" has %s record",
						xact, get_rel_name(relid), SPI_processed == 0 ? "no" : "more than one"),
				 errhint("Run ledger.verify() on the ledger.")));
	row_count = proof_int_col(0, 1);
	proof_hash_col(0, 2, stored_root, "transaction root");
	committed_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	block_no = proof_int_col(0, 4);
	if (row_count != (int64) n || memcmp(stored_root, txroot, LEDGER_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rows of transaction " INT64_FORMAT " of ledger \"%s\" do not match its record",
						xact, get_rel_name(relid)),
				 errhint("Run ledger.verify() on the ledger: a proof is only given for a ledger that verifies.")));
	if (block_no < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("transaction " INT64_FORMAT " of ledger \"%s\" is not sealed yet", xact, get_rel_name(relid)),
				 errhint("Call ledger.seal() or ledger.digest(), or wait for the background sealer.")));
	ledger_xact_leaf(xact, row_count, stored_root, committed_at, txleaf);

	{
		Datum		uarg = Int32GetDatum(ledger_id);
		Oid			utype = INT4OID;

		if (SPI_execute_with_args("SELECT ledger_uuid::pg_catalog.text FROM ledger.ledgers "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
								  1, &utype, &uarg, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not read ledger");
		uuid_str = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	appendStringInfoString(&buf, "{\"proof_version\": 1, \"ledger\": ");
	escape_json(&buf, qname);
	appendStringInfo(&buf, ", \"ledger_uuid\": \"%s\", ", uuid_str);
	appendStringInfo(&buf, "\"row\": {\"xact\": " INT64_FORMAT ", \"seq\": " INT64_FORMAT
					 ", \"canonical_bytes\": \"%s\", \"leaf_hash\": ",
					 xact, seq, canon_hex);
	proof_hex(&buf, leaves + m * LEDGER_HASH_LEN, LEDGER_HASH_LEN);
	appendStringInfo(&buf, "}, \"transaction\": {\"xact_id\": " INT64_FORMAT ", \"row_count\": " INT64_FORMAT
					 ", \"root\": ", xact, row_count);
	proof_hex(&buf, stored_root, LEDGER_HASH_LEN);
	appendStringInfo(&buf, ", \"committed_at_us\": " INT64_FORMAT ", \"leaf_index\": " INT64_FORMAT
					 ", \"path\": ", committed_at, m);
	proof_path(&buf, path, pathlen);

	/* the block's transactions, in (committed_at, xact_id) order */
	{
		Datum		bargs[2];
		Oid			btypes[2] = {INT4OID, INT8OID};
		uint8	   *txleaves;

		bargs[0] = Int32GetDatum(ledger_id);
		bargs[1] = Int64GetDatum(block_no);
		if (SPI_execute_with_args("SELECT xact_id, row_count, root, committed_at FROM ledger.transactions "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND block_no OPERATOR(pg_catalog.=) $2 "
								  "ORDER BY committed_at, xact_id",
								  2, btypes, bargs, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the block's transactions");
		n = SPI_processed;
		txleaves = palloc(LEDGER_HASH_LEN * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			uint8		r[LEDGER_HASH_LEN];
			int64		x = proof_int_col(i, 1);

			proof_hash_col(i, 3, r, "transaction root");
			ledger_xact_leaf(x, proof_int_col(i, 2), r,
							 DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull)),
							 txleaves + i * LEDGER_HASH_LEN);
			if (x == xact)
				tx_index = i;
		}
		if (tx_index < 0)
			elog(ERROR, "transaction missing from its block");
		pathlen = merkle_inclusion_path(txleaves, n, tx_index, path);
		appendStringInfo(&buf, "}, \"block\": {\"block_no\": " INT64_FORMAT ", \"tx_index\": " INT64_FORMAT
						 ", \"tx_count\": " UINT64_FORMAT ", \"path\": ", block_no, tx_index, n);
		proof_path(&buf, path, pathlen);
	}

	/* block headers from the row's block to to_block (default: the head) */
	{
		Datum		cargs[3];
		Oid			ctypes[3] = {INT4OID, INT8OID, INT8OID};
		uint64		nb;

		cargs[0] = Int32GetDatum(ledger_id);
		cargs[1] = Int64GetDatum(block_no);
		cargs[2] = Int64GetDatum(to_block);
		if (SPI_execute_with_args("SELECT block_no, prev_hash, root, tx_count, row_count, sealed_at, "
								  "format_version, block_hash FROM ledger.blocks "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND block_no OPERATOR(pg_catalog.>=) $2 "
								  "AND ($3 OPERATOR(pg_catalog.<) 0 OR block_no OPERATOR(pg_catalog.<=) $3) "
								  "ORDER BY block_no",
								  3, ctypes, cargs, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read blocks");
		nb = SPI_processed;
		if (nb == 0 || (to_block >= 0 && proof_int_col(nb - 1, 1) != to_block))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("block " INT64_FORMAT " is not in ledger \"%s\" at or after block " INT64_FORMAT,
							to_block, get_rel_name(relid), block_no)));
		appendStringInfoString(&buf, "}, \"chain\": [");
		for (i = 0; i < nb; i++)
		{
			uint8		h[LEDGER_HASH_LEN];

			if (i > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfo(&buf, "{\"block_no\": " INT64_FORMAT ", \"prev_hash\": ", proof_int_col(i, 1));
			proof_hash_col(i, 2, h, "previous block hash");
			proof_hex(&buf, h, LEDGER_HASH_LEN);
			appendStringInfoString(&buf, ", \"root\": ");
			proof_hash_col(i, 3, h, "block root");
			proof_hex(&buf, h, LEDGER_HASH_LEN);
			appendStringInfo(&buf, ", \"tx_count\": " INT64_FORMAT ", \"row_count\": " INT64_FORMAT
							 ", \"sealed_at_us\": " INT64_FORMAT ", \"format_version\": " INT64_FORMAT
							 ", \"block_hash\": ",
							 proof_int_col(i, 4), proof_int_col(i, 5),
							 (int64) DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 6, &isnull)),
							 proof_int_col(i, 7));
			proof_hash_col(i, 8, h, "block hash");
			proof_hex(&buf, h, LEDGER_HASH_LEN);
			appendStringInfoChar(&buf, '}');
		}
		appendStringInfoString(&buf, "]}");
	}
	SPI_finish();

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
