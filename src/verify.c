/*-------------------------------------------------------------------------
 *
 * verify.c
 *		Digests, and verification of a ledger from its rows up.
 *
 * ledger.verify recomputes everything from the stored rows: each row's leaf
 * from its canonical bytes (compared with ledger_hash), each transaction's
 * root from its rows in sequence order (compared with ledger.transactions),
 * each block's root from its transactions in block order, each block's hash
 * and its link to the previous block, and the ledger's head.  Given a digest
 * kept outside the database, it also checks that the digest's block is still
 * there with the same hash, which is what catches the removal of the newest
 * rows together with their blocks.
 *
 * It reads the table and the catalog under one snapshot (the caller's), so a
 * concurrent writer never makes it report a false break: rows of
 * transactions that commit later are invisible together with their records.
 *
 * The first problem found is returned in words that name the row (by ctid,
 * transaction and sequence) or the transaction or block, and verification
 * stops there.  Memory: about 48 bytes per row for the grouping of rows by
 * transaction, in a private context; per-row work in a context reset per
 * row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"
#include "digest.h"
#include "merkle.h"
#include "sealer.h"
#include "catalog.h"
#include "pending.h"
#include "record.h"
#include "signed.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_verify);
PG_FUNCTION_INFO_V1(ledger_digest);

typedef struct VRow
{
	int64		seq;
	ItemPointerData tid;
	uint8		leaf[LEDGER_HASH_LEN];
} VRow;

typedef struct VXact
{
	int64		xact;			/* hash key */
	int64		n;
	int64		cap;
	VRow	   *rows;
	bool		seen;
} VXact;

typedef struct VState
{
	MemoryContext problem_cxt;	/* outlives SPI: the caller's context */
	int64		rows_checked;
	int64		tx_checked;
	int64		blocks_checked;
	int64		unsealed;
	int64		own_pending;	/* rows of the calling transaction */
	char	   *problem;
} VState;

/* Record the first problem found (formatted); later ones are dropped. */
static void vproblem(VState *st, const char *fmt,...) pg_attribute_printf(2, 3);

static void
vproblem(VState *st, const char *fmt,...)
{
	StringInfoData buf;
	va_list		args;

	MemoryContext old;

	if (st->problem != NULL)
		return;
	/* verify_chain runs inside SPI, whose memory SPI_finish frees */
	old = MemoryContextSwitchTo(st->problem_cxt);
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	MemoryContextSwitchTo(old);
	st->problem = buf.data;
}

/* A hash as lowercase hex, palloc'd. */
static char *
verify_hex(const uint8 *h)
{
	char	   *out = palloc(2 * LEDGER_HASH_LEN + 1);

	out[hex_encode((const char *) h, LEDGER_HASH_LEN, out)] = '\0';
	return out;
}

/* order rows by sequence */
static int
vrow_cmp(const void *a, const void *b)
{
	int64		x = ((const VRow *) a)->seq;
	int64		y = ((const VRow *) b)->seq;

	return (x > y) - (x < y);
}

/* Scan the table: check every row's hash, group leaves by transaction. */
static void
verify_rows(Relation rel, VState *st, HTAB *xacts, MemoryContext vcxt)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	CanonLayout layout;
	TableScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext rowcxt;
	StringInfoData buf;
	const char *relname = RelationGetRelationName(rel);
	int64		own_xact = pending_current_xact(false);
	SignedVerifier *sv;
	char	   *sproblem;

	canon_layout_init(&layout, tupdesc, 0, vcxt);
	if (layout.xact_attnum == 0 || layout.seq_attnum == 0 || layout.hash_attnum == 0)
	{
		vproblem(st, "table \"%s\" has lost its ledger columns", relname);
		return;
	}
	sv = signed_verify_begin(rel, vcxt);	/* NULL unless a signed ledger */

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger verify row",
								   ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&buf);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old;
		uint8		leaf[LEDGER_HASH_LEN];
		bool	   *isnull;
		Datum	   *values;
		int64		xact;
		int64		seq;
		bytea	   *stored;
		VXact	   *vx;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		values = slot->tts_values;
		isnull = slot->tts_isnull;

		if (isnull[layout.xact_attnum - 1] || isnull[layout.seq_attnum - 1] ||
			isnull[layout.hash_attnum - 1])
		{
			vproblem(st, "row at ctid (%u,%u) has no ledger stamp: it was inserted around the ledger",
					 ItemPointerGetBlockNumber(&slot->tts_tid),
					 ItemPointerGetOffsetNumber(&slot->tts_tid));
			break;
		}
		xact = DatumGetInt64(values[layout.xact_attnum - 1]);
		seq = DatumGetInt64(values[layout.seq_attnum - 1]);
		if (xact == own_xact)
		{
			/* this transaction's own rows: recorded only when it commits */
			st->own_pending++;
			continue;
		}

		old = MemoryContextSwitchTo(rowcxt);
		canon_row_bytes(&buf, &layout, tupdesc, values, isnull);
		merkle_leaf_hash(buf.data, buf.len, leaf);
		stored = DatumGetByteaPP(values[layout.hash_attnum - 1]);
		if (VARSIZE_ANY_EXHDR(stored) != LEDGER_HASH_LEN ||
			memcmp(VARDATA_ANY(stored), leaf, LEDGER_HASH_LEN) != 0)
		{
			MemoryContextSwitchTo(old);
			vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") does not match its stored hash: its contents or its hash were changed after it was written",
					 ItemPointerGetBlockNumber(&slot->tts_tid),
					 ItemPointerGetOffsetNumber(&slot->tts_tid), xact, seq);
			break;
		}
		if (sv != NULL &&
			!signed_verify_row(sv, values, isnull, xact, seq, &slot->tts_tid, &sproblem))
		{
			MemoryContextSwitchTo(old);
			vproblem(st, "%s", sproblem);
			break;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);

		vx = hash_search(xacts, &xact, HASH_ENTER, &found);
		if (!found)
		{
			vx->n = 0;
			vx->cap = 16;
			vx->rows = MemoryContextAllocHuge(vcxt, sizeof(VRow) * vx->cap);
			vx->seen = false;
		}
		if (vx->n == vx->cap)
		{
			vx->cap *= 2;
			vx->rows = repalloc_huge(vx->rows, sizeof(VRow) * vx->cap);
		}
		vx->rows[vx->n].seq = seq;
		vx->rows[vx->n].tid = slot->tts_tid;
		memcpy(vx->rows[vx->n].leaf, leaf, LEDGER_HASH_LEN);
		vx->n++;
		st->rows_checked++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(rowcxt);
}

/* Where a record sits, for messages: "block N" or "not yet sealed". */
static const char *
verify_where(const LedgerRecord *r)
{
	if (r->block_no < 0)
		return "not yet sealed";
	return psprintf("block " INT64_FORMAT, r->block_no);
}

/*
 * Each record against the rows that claim its transaction: the row count,
 * and the root over their leaves in sequence order; no record twice.
 */
static void
verify_records(VState *st, HTAB *xacts, LedgerRecord *recs, uint64 n)
{
	uint64		i;

	for (i = 0; i < n && st->problem == NULL; i++)
	{
		LedgerRecord *r = &recs[i];
		VXact	   *vx;
		MerkleStream ms;
		uint8		computed[LEDGER_HASH_LEN];
		int64		j;

		CHECK_FOR_INTERRUPTS();
		if (r->block_no < 0)
			st->unsealed++;
		vx = hash_search(xacts, &r->xact_id, HASH_FIND, NULL);
		if (vx == NULL)
		{
			vproblem(st, "transaction " INT64_FORMAT " (%s) recorded " INT64_FORMAT " rows, but none of them is in the table: they were deleted",
					 r->xact_id, verify_where(r), r->row_count);
			return;
		}
		if (vx->seen)
		{
			vproblem(st, "transaction " INT64_FORMAT " (%s) is recorded more than once: a record was copied or forged",
					 r->xact_id, verify_where(r));
			return;
		}
		vx->seen = true;
		if (vx->n != r->row_count)
		{
			vproblem(st, "transaction " INT64_FORMAT " (%s) recorded " INT64_FORMAT " rows, but the table holds " INT64_FORMAT " of them: rows were %s, or the record was edited",
					 r->xact_id, verify_where(r), r->row_count, vx->n,
					 vx->n < r->row_count ? "deleted" : "added");
			return;
		}
		qsort(vx->rows, vx->n, sizeof(VRow), vrow_cmp);
		merkle_stream_init(&ms);
		for (j = 0; j < vx->n; j++)
		{
			if (j > 0 && vx->rows[j].seq == vx->rows[j - 1].seq)
			{
				vproblem(st, "rows at ctid (%u,%u) and (%u,%u) both claim transaction " INT64_FORMAT ", sequence " INT64_FORMAT ": one of them is forged",
						 ItemPointerGetBlockNumber(&vx->rows[j - 1].tid),
						 ItemPointerGetOffsetNumber(&vx->rows[j - 1].tid),
						 ItemPointerGetBlockNumber(&vx->rows[j].tid),
						 ItemPointerGetOffsetNumber(&vx->rows[j].tid),
						 r->xact_id, vx->rows[j].seq);
				return;
			}
			merkle_stream_add(&ms, vx->rows[j].leaf);
		}
		merkle_stream_root(&ms, computed);
		if (memcmp(computed, r->root, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "rows of transaction " INT64_FORMAT " (%s) do not match its recorded root: rows were replaced or reordered, or the record was edited",
					 r->xact_id, verify_where(r));
			return;
		}
		st->tx_checked++;
	}
}

/* Rows whose transaction has no record were inserted around the ledger. */
static void
verify_orphan_rows(VState *st, HTAB *xacts)
{
	HASH_SEQ_STATUS hs;
	VXact	   *vx;

	hash_seq_init(&hs, xacts);
	while ((vx = hash_seq_search(&hs)) != NULL)
	{
		if (!vx->seen)
		{
			vproblem(st, "row at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ") belongs to no recorded transaction: it was inserted around the ledger",
					 ItemPointerGetBlockNumber(&vx->rows[0].tid),
					 ItemPointerGetOffsetNumber(&vx->rows[0].tid),
					 vx->xact, vx->rows[0].seq);
			hash_seq_term(&hs);
			return;
		}
	}
}

/*
 * Each block against the records that claim it (records are in block
 * order), its hash and its link to the previous block.  On success
 * *last_block and last_hash describe the end of the chain.
 */
static void
verify_blocks(VState *st, const pg_uuid_t *uuid, const char *relname,
			  LedgerRecord *recs, uint64 nrecs, LedgerBlock *blocks, uint64 nblocks,
			  int64 *last_block, uint8 *last_hash)
{
	uint64		t = 0;
	uint64		i;

	*last_block = -1;
	memset(last_hash, 0, LEDGER_HASH_LEN);
	for (i = 0; i < nblocks; i++)
	{
		LedgerBlock *b = &blocks[i];
		MerkleStream ms;
		uint8		computed[LEDGER_HASH_LEN];
		int32		k = 0;
		int64		rows = 0;

		CHECK_FOR_INTERRUPTS();
		if (b->block_no != *last_block + 1)
		{
			vproblem(st, "block " INT64_FORMAT " is missing: the chain jumps from block " INT64_FORMAT " to block " INT64_FORMAT,
					 *last_block + 1, *last_block, b->block_no);
			return;
		}
		if (memcmp(b->prev_hash, last_hash, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not link to block " INT64_FORMAT ": its previous-block hash differs",
					 b->block_no, b->block_no - 1);
			return;
		}
		/* this block's transactions, in (committed_at, xact_id) order */
		merkle_stream_init(&ms);
		for (; t < nrecs && recs[t].block_no == b->block_no; t++)
		{
			uint8		leaf[LEDGER_HASH_LEN];

			record_leaf(&recs[t], leaf);
			merkle_stream_add(&ms, leaf);
			rows += recs[t].row_count;
			k++;
		}
		if (t < nrecs && recs[t].block_no >= 0 && recs[t].block_no < b->block_no)
		{
			vproblem(st, "transaction " INT64_FORMAT " claims block " INT64_FORMAT ", which does not exist",
					 recs[t].xact_id, recs[t].block_no);
			return;
		}
		if (k != b->tx_count || rows != b->row_count)
		{
			vproblem(st, "block " INT64_FORMAT " records %d transactions and " INT64_FORMAT " rows, but %d transactions with " INT64_FORMAT " rows claim it",
					 b->block_no, b->tx_count, b->row_count, k, rows);
			return;
		}
		merkle_stream_root(&ms, computed);
		if (memcmp(computed, b->root, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not match its transactions: its root differs from the root of the transactions it holds",
					 b->block_no);
			return;
		}
		block_compute_hash(uuid, b, computed);
		if (memcmp(computed, b->block_hash, LEDGER_HASH_LEN) != 0)
		{
			vproblem(st, "block " INT64_FORMAT " does not match its hash: its header was edited",
					 b->block_no);
			return;
		}
		memcpy(last_hash, b->block_hash, LEDGER_HASH_LEN);
		*last_block = b->block_no;
		st->blocks_checked++;
	}
	if (t < nrecs && recs[t].block_no >= 0)
	{
		vproblem(st, "transaction " INT64_FORMAT " claims block " INT64_FORMAT ", which does not exist",
				 recs[t].xact_id, recs[t].block_no);
		return;
	}
	if (*last_block < 0)
		vproblem(st, "ledger \"%s\" has no genesis block", relname);
}

/* The head recorded in ledger.ledgers is the end of the chain. */
static void
verify_head(VState *st, int32 ledger_id, int64 last_block, const uint8 *last_hash)
{
	Datum		arg = Int32GetDatum(ledger_id);
	Oid			argtype = INT4OID;
	bool		isnull;
	int64		head_block;
	uint8		head_hash[LEDGER_HASH_LEN];

	if (SPI_execute_with_args("SELECT head_block, head_hash FROM ledger.ledgers "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read ledger head");
	head_block = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ledger_bytea_to_hash(DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)),
						 head_hash, "head hash");
	if (head_block != last_block || memcmp(head_hash, last_hash, LEDGER_HASH_LEN) != 0)
		vproblem(st, "the ledger's head names block " INT64_FORMAT ", but the chain ends at block " INT64_FORMAT " with a different hash",
				 head_block, last_block);
}

/* The digest's block is still there, with the digest's hash. */
static void
verify_against_digest(VState *st, const LedgerDigest *digest,
					  LedgerBlock *blocks, int64 last_block)
{
	if (digest->block > last_block)
	{
		vproblem(st, "the digest names block " INT64_FORMAT ", but the ledger ends at block " INT64_FORMAT ": blocks were removed",
				 digest->block, last_block);
		return;
	}
	/* the chain is complete from block 0: block b is blocks[b] */
	if (memcmp(blocks[digest->block].block_hash, digest->block_hash, LEDGER_HASH_LEN) != 0)
		vproblem(st, "block " INT64_FORMAT " differs from the digest: the digest has hash %s, the ledger %s",
				 digest->block, verify_hex(digest->block_hash),
				 verify_hex(blocks[digest->block].block_hash));
}

/*
 * Check transactions against rows, blocks against transactions, the chain,
 * its head, and a digest kept outside (SPI connected; read with the
 * caller's snapshot).
 */
static void
verify_chain(int32 ledger_id, const pg_uuid_t *uuid, const char *relname,
			 VState *st, HTAB *xacts, const LedgerDigest *digest)
{
	LedgerRecord *recs;
	LedgerBlock *blocks;
	uint64		nrecs;
	uint64		nblocks;
	int64		last_block;
	uint8		last_hash[LEDGER_HASH_LEN];

	recs = record_read(ledger_id, RECORDS_ALL, 0, 0, true, &nrecs);
	verify_records(st, xacts, recs, nrecs);
	if (st->problem == NULL)
		verify_orphan_rows(st, xacts);
	if (st->problem != NULL)
		return;
	blocks = block_read(ledger_id, 0, -1, true, &nblocks);
	verify_blocks(st, uuid, relname, recs, nrecs, blocks, nblocks, &last_block, last_hash);
	if (st->problem == NULL)
		verify_head(st, ledger_id, last_block, last_hash);
	if (st->problem == NULL && digest != NULL)
		verify_against_digest(st, digest, blocks, last_block);
}

/* Check that the caller may read the table. */
static void
verify_check_select(Oid relid)
{
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
}

/*
 * Check that the caller may read every row of the table: SELECT privilege,
 * and no row-level security policy in force for it.  verify and prove work
 * on whole transactions; under a policy verify would report rows belonging
 * to others (it reads the heap directly) and prove would fail on the rows it
 * cannot see.
 */
void
verify_check_full_read(Oid relid, const char *fn)
{
	verify_check_select(relid);
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s must read every row of \"%s\", but row-level security limits what the current user can read",
						fn, get_rel_name(relid)),
				 errdetail("A ledger is verified and proved by whole transactions, which may hold rows of other users."),
				 errhint("Run it as the table's owner, a superuser, or a role with BYPASSRLS.")));
}

/*
 * ledger.verify(tbl regclass, digest jsonb DEFAULT NULL,
 *				 OUT ok boolean, OUT rows_checked bigint,
 *				 OUT transactions_checked bigint, OUT blocks_checked bigint,
 *				 OUT unsealed_transactions bigint, OUT problem text)
 */
Datum
ledger_verify(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Jsonb	   *digest_jb = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	LedgerDigest digest;
	Relation	rel;
	int32		ledger_id;
	pg_uuid_t	uuid;
	VState		st;
	HTAB	   *xacts;
	HASHCTL		ctl;
	MemoryContext vcxt;
	TupleDesc	rtd;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	Datum		arg;
	Oid			argtype = INT4OID;
	bool		isnull;
	char	   *relname;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ledger table must not be NULL")));
	relid = PG_GETARG_OID(0);
	if (get_call_result_type(fcinfo, NULL, &rtd) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	verify_check_full_read(relid, "ledger.verify()");

	memset(&st, 0, sizeof(st));
	st.problem_cxt = CurrentMemoryContext;
	ledger_id = ledger_id_for_relation(relid, false);
	relname = get_rel_name(relid);
	/* a malformed digest is the caller's error, before any work */
	if (digest_jb != NULL)
		digest_parse(digest_jb, &digest);

	vcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger verify",
								 ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(VXact);
	ctl.hcxt = vcxt;
	xacts = hash_create("ledger verify transactions", 1024, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	arg = Int32GetDatum(ledger_id);
	if (SPI_execute_with_args("SELECT ledger_uuid FROM ledger.ledgers WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read ledger %d", ledger_id);
	memcpy(&uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
		   sizeof(uuid));

	/* a digest of another ledger, or a ledger whose identity changed */
	if (digest_jb != NULL && memcmp(digest.uuid.data, uuid.data, UUID_LEN) != 0)
		vproblem(&st, "the digest belongs to ledger %s, but ledger \"%s\" has uuid %s: the digest is of another ledger, or the ledger's identity was changed",
				 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&digest.uuid))),
				 relname,
				 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&uuid))));

	rel = table_open(relid, AccessShareLock);
	verify_rows(rel, &st, xacts, vcxt);
	table_close(rel, AccessShareLock);

	if (st.problem == NULL)
		verify_chain(ledger_id, &uuid, relname, &st, xacts,
					 digest_jb != NULL ? &digest : NULL);
	SPI_finish();

	values[0] = BoolGetDatum(st.problem == NULL);
	values[1] = Int64GetDatum(st.rows_checked);
	values[2] = Int64GetDatum(st.tx_checked);
	values[3] = Int64GetDatum(st.blocks_checked);
	values[4] = Int64GetDatum(st.unsealed);
	if (st.problem)
		values[5] = CStringGetTextDatum(st.problem);
	else
		nulls[5] = true;
	MemoryContextDelete(vcxt);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rtd), values, nulls)));
}

/* The digest of a ledger's newest block, as jsonb. */
Jsonb *
verify_digest(int32 ledger_id)
{
	Datum		arg = Int32GetDatum(ledger_id);
	Oid			argtype = INT4OID;
	int			ret;
	bool		isnull;
	Jsonb	   *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT pg_catalog.jsonb_build_object("
								"'ledger', l.name, "
								"'ledger_uuid', l.ledger_uuid, "
								"'block', b.block_no, "
								"'block_hash', pg_catalog.encode(b.block_hash, 'hex'), "
								"'root', pg_catalog.encode(b.root, 'hex'), "
								"'transactions', s.tx, "
								"'rows', s.r, "
								"'sealed_at', b.sealed_at, "
								"'format_version', b.format_version) "
								"FROM ledger.ledgers l "
								"JOIN ledger.blocks b ON b.ledger_id OPERATOR(pg_catalog.=) l.ledger_id "
								"AND b.block_no OPERATOR(pg_catalog.=) l.head_block, "
								"LATERAL (SELECT pg_catalog.sum(x.tx_count) AS tx, pg_catalog.sum(x.row_count) AS r "
								"FROM ledger.blocks x WHERE x.ledger_id OPERATOR(pg_catalog.=) l.ledger_id) s "
								"WHERE l.ledger_id OPERATOR(pg_catalog.=) $1",
								1, &argtype, &arg, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("ledger %d has no head block", ledger_id),
				 errhint("Run ledger.verify() on the ledger.")));
	/* copy out of SPI's memory */
	result = (Jsonb *) DatumGetPointer(SPI_datumTransfer(SPI_getbinval(SPI_tuptable->vals[0],
																	   SPI_tuptable->tupdesc, 1, &isnull),
														 false, -1));
	SPI_finish();
	return result;
}

/*
 * ledger.digest(tbl regclass) RETURNS jsonb
 *
 * Has what is committed sealed (by the background sealer, or a one-shot
 * worker: never in the caller's transaction, which writes and locks
 * nothing), then describes the newest block: store the result outside the
 * database and pass it to ledger.verify() later.  In a REPEATABLE READ or
 * SERIALIZABLE transaction it describes the newest block the transaction's
 * snapshot sees, without sealing.
 */
Datum
ledger_digest(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	int32		ledger_id;

	verify_check_select(relid);
	ledger_id = ledger_id_for_relation(relid, false);
	if (!IsolationUsesXactSnapshot())
		(void) sealer_request_seal(ledger_id, get_rel_name(relid));
	PG_RETURN_JSONB_P(verify_digest(ledger_id));
}

/*
 * ledger.merkle_root(leaves bytea[]) RETURNS bytea
 *
 * RFC 6962 MTH over the given leaf data (not hashes), for test vectors and
 * for auditors checking roots by hand.
 */
PG_FUNCTION_INFO_V1(ledger_merkle_root);
Datum
ledger_merkle_root(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	MerkleStream ms;
	uint8		root[LEDGER_HASH_LEN];

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leaves must be a one-dimensional array")));
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	merkle_stream_init(&ms);
	for (i = 0; i < n; i++)
	{
		bytea	   *b;
		uint8		leaf[LEDGER_HASH_LEN];

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("leaf %d is NULL", i + 1)));
		b = DatumGetByteaPP(elems[i]);
		merkle_leaf_hash(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), leaf);
		merkle_stream_add(&ms, leaf);
	}
	merkle_stream_root(&ms, root);
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(root));
}
