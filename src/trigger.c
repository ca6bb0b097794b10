/*-------------------------------------------------------------------------
 *
 * trigger.c
 *		The row trigger of ledger tables, and the SQL functions that show a
 *		row's canonical bytes and leaf hash.
 *
 * ledger.row_trigger() fires BEFORE INSERT FOR EACH ROW, last of the
 * table's BEFORE INSERT row triggers (the DDL guard keeps it so, guard.c).
 * It computes the row's leaf hash from its canonical bytes (canon.c) and
 * stamps the row with (ledger_xact, ledger_seq, ledger_hash): the inserting
 * transaction's ledger transaction number (drawn once per transaction from
 * ledger.transaction_id_seq), the row's sequence number in that transaction
 * and ledger, and the hash; the leaf joins the transaction's tree
 * (pending.c).
 *
 * Rows that arrive with ledger_hash already set come from a superuser
 * (pg_restore of data inserted before the triggers exist needs no such
 * thing, but a superuser may copy rows) or a logical-replication apply
 * worker: they are checked (the hash must match the content) and kept as
 * they are; they belong to a transaction recorded elsewhere.  Only a
 * superuser or a replication worker may insert such rows; anyone else,
 * the table's owner included, gets 428C9.
 *
 * On a signed ledger, every row (either kind) must have been accepted by
 * the signature trigger just before (signed_row_accepted, signed.c): a row
 * cannot reach the chain around a signature trigger that was disabled or
 * given a WHEN condition behind the DDL guard's back.
 *
 * Memory: the row is read from the trigger's slot (deformed once for all
 * triggers) into arrays in the trigger's context; the canonical bytes go to
 * one reusable buffer in TopMemoryContext (canon_row_buffer, trimmed after
 * each row and when a transaction ends); the new tuple is formed in the
 * trigger's context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "canon.h"
#include "catalog.h"
#include "create.h"
#include "merkle.h"
#include "pending.h"
#include "replica.h"
#include "signed.h"

PG_FUNCTION_INFO_V1(ledger_row_trigger);
PG_FUNCTION_INFO_V1(ledger_row_trigger_2);
PG_FUNCTION_INFO_V1(ledger_canonical_bytes);
PG_FUNCTION_INFO_V1(ledger_leaf_hash);

/*
 * May the current user insert rows carrying their own ledger columns?  Only
 * replication (rows hashed at the origin) and superusers: a restore does not
 * need it, because pg_dump creates triggers after loading the data.
 */
static bool
ledger_may_supply_hash(Relation rel)
{
	return IsLogicalWorker() || superuser();
}

/* The canonical bytes of a row and their leaf hash, in the ledger's format. */
static void
trigger_row_leaf(LedgerInfo *info, TupleDesc tupdesc, Datum *values, bool *nulls,
				 int format, uint8 leaf[LEDGER_HASH_LEN])
{
	StringInfo	canon_buf = canon_row_buffer();

	canon_row_bytes_format(canon_buf, format, &info->layout, tupdesc, values, nulls,
						   DatumGetInt64(values[info->layout.xact_attnum - 1]),
						   DatumGetInt64(values[info->layout.seq_attnum - 1]));
	merkle_leaf_hash(canon_buf->data, canon_buf->len, leaf);
	/* (one 300 MB row kept 512 MB until disconnect before) */
	canon_buffer_trim(canon_buf);
}

/*
 * A row that arrives with its ledger columns set (replication, or a
 * superuser copying rows): its hash must match its bytes.  A registered
 * ledger's rows are in its format; for one of the extension's own tables
 * not registered yet (restore), either format is accepted.
 */
static void
trigger_check_supplied(Relation rel, LedgerInfo *info, TupleDesc tupdesc,
					   Datum *values, bool *nulls, bool registered,
					   uint8 leaf_out[LEDGER_HASH_LEN])
{
	bytea	   *given = DatumGetByteaPP(values[info->layout.hash_attnum - 1]);
	uint8		leaf[LEDGER_HASH_LEN];
	bool		ok;

	/* a replica's rows come from a subscription, checked below */
	if (!ledger_may_supply_hash(rel) && replica_applying() == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert a value into column \"%s\" of ledger table \"%s\"",
						LEDGER_COL_HASH, RelationGetRelationName(rel)),
				 errdetail("The ledger computes this column."),
				 errhint("Omit the ledger columns from the INSERT.")));
	if (nulls[info->layout.xact_attnum - 1] || nulls[info->layout.seq_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a row carrying \"%s\" must also carry \"%s\" and \"%s\"",
						LEDGER_COL_HASH, LEDGER_COL_XACT, LEDGER_COL_SEQ)));
	ok = VARSIZE_ANY_EXHDR(given) == LEDGER_HASH_LEN;
	if (ok)
	{
		trigger_row_leaf(info, tupdesc, values, nulls,
						 registered ? info->format : CANON_ROW_FORMAT_2, leaf);
		ok = memcmp(VARDATA_ANY(given), leaf, LEDGER_HASH_LEN) == 0;
		if (!ok && !registered)
		{
			trigger_row_leaf(info, tupdesc, values, nulls, CANON_ROW_FORMAT_1, leaf);
			ok = memcmp(VARDATA_ANY(given), leaf, LEDGER_HASH_LEN) == 0;
		}
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row of ledger table \"%s\" does not match its hash",
						RelationGetRelationName(rel)),
				 errdetail_internal("Transaction %lld, sequence %lld: stored hash differs from the hash of the row's canonical bytes.",
									(long long) DatumGetInt64(values[info->layout.xact_attnum - 1]),
									(long long) DatumGetInt64(values[info->layout.seq_attnum - 1])),
				 errhint("The row was altered after it was hashed; it is not accepted.")));
	memcpy(leaf_out, leaf, LEDGER_HASH_LEN);
}

/*
 * ledger.row_trigger() RETURNS trigger
 *
 * BEFORE INSERT FOR EACH ROW on every ledger table.
 */
Datum
ledger_row_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	LedgerInfo *info;
	bool		registered = true;
	Datum	   *values;
	bool	   *nulls;
	uint8		leaf[LEDGER_HASH_LEN];
	int			xatt;
	int			satt;
	int			hatt;
	SignedMsgRef msg;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.row_trigger\" was not called by the trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.row_trigger\" must be fired BEFORE INSERT FOR EACH ROW")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	info = ledger_info_lookup(rel);
	if (info == NULL)
	{
		info = create_builtin_info(rel, tuple);
		registered = info->ledger_id > 0;
	}
	xatt = info->layout.xact_attnum - 1;
	satt = info->layout.seq_attnum - 1;
	hatt = info->layout.hash_attnum - 1;
	if (xatt < 0 || satt < 0 || hatt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("ledger table \"%s\" lacks its ledger columns", RelationGetRelationName(rel))));

	/*
	 * On a signed ledger, the signature trigger must have accepted this very
	 * row just before, whichever path below the row takes (hashed here, or
	 * arriving with its hash from a superuser or a subscription): the
	 * signature trigger fires for every row, replication and superusers
	 * included (it is enabled ALWAYS).  On a signed replica it checked the
	 * row against the keys the origin published for the ledger.
	 */
	signed_row_accepted(rel, tuple, &msg);

	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	if (trigdata->tg_trigslot != NULL)
	{
		TupleTableSlot *slot = trigdata->tg_trigslot;

		/*
		 * The slot holds the row: deformed once for every trigger that reads
		 * it (the signature trigger did so already).  Copied, because the
		 * stamped values below must not change the executor's slot.
		 */
		slot_getallattrs(slot);
		memcpy(values, slot->tts_values, sizeof(Datum) * tupdesc->natts);
		memcpy(nulls, slot->tts_isnull, sizeof(bool) * tupdesc->natts);
	}
	else
		heap_deform_tuple(tuple, tupdesc, values, nulls);

	/* a replica is written only by its subscription (replica.c) */
	if (registered && (info->replica || replica_applying() != NULL))
	{
		replica_check_write(info, rel);
		if (nulls[hatt])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("subscription \"%s\" sent a row of ledger table \"%s\" without its hash",
							replica_applying(), RelationGetRelationName(rel)),
					 errdetail("Rows of a ledger are hashed where they are written; this one was inserted around the ledger's trigger at the origin."),
					 errhint("The replica refuses it; find out what happened at the origin.")));
		trigger_check_supplied(rel, info, tupdesc, values, nulls, registered, leaf);
		replica_row_arrived(info, rel, DatumGetInt64(values[xatt]),
							DatumGetInt64(values[satt]), leaf);
		return PointerGetDatum(tuple);
	}

	if (!nulls[hatt])
	{
		/* a row hashed elsewhere: not part of this transaction's tree */
		trigger_check_supplied(rel, info, tupdesc, values, nulls, registered, leaf);
		pending_stamp_row(rel, info->ledger_id, NULL, &msg);
		return PointerGetDatum(tuple);
	}
	if (!nulls[xatt] || !nulls[satt])
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert a value into column \"%s\" of ledger table \"%s\"",
						nulls[xatt] ? LEDGER_COL_SEQ : LEDGER_COL_XACT,
						RelationGetRelationName(rel)),
				 errdetail("The ledger computes this column."),
				 errhint("Omit the ledger columns from the INSERT.")));

	/* stamp, then hash: format 2 binds the stamp into the row's bytes */
	values[xatt] = Int64GetDatum(pending_current_xact(true));
	nulls[xatt] = false;
	values[satt] = Int64GetDatum(pending_next_seq(rel, info->ledger_id));
	nulls[satt] = false;
	trigger_row_leaf(info, tupdesc, values, nulls, info->format, leaf);
	pending_stamp_row(rel, info->ledger_id, leaf, &msg);
	values[hatt] = PointerGetDatum(ledger_hash_to_bytea(leaf));
	nulls[hatt] = false;
	return PointerGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * The row trigger as the catalogs of 0.2.0 on name it (ledger.row_trigger()
 * of sql/install/10_ledger.sql): a symbol the 0.1.0 library lacks, so that
 * library fails inserts into a ledger of the new catalog rather than write
 * them in its own form.  ledger_row_trigger stays for catalogs of 0.1.0
 * (pg_upgrade makes their functions against this library).
 */
Datum
ledger_row_trigger_2(PG_FUNCTION_ARGS)
{
	return ledger_row_trigger(fcinfo);
}

/* ---------- SQL functions over row values ---------- */

/*
 * Layout for a record argument, cached in fn_extra by type and by the
 * identifier of the type's descriptor: a named composite type keeps its OID
 * through ALTER TYPE ... ALTER ATTRIBUTE ... TYPE or ALTER TABLE ... ALTER
 * COLUMN ... TYPE, and an expression (a PL/pgSQL assignment in a loop) can
 * call the function again after such a change with the same fn_extra.  A
 * layout made for the old descriptor read an integer as a text pointer
 * (found by the internal-API review of 2026-12-06: a segfault from SQL).
 */
typedef struct RecordLayoutCache
{
	Oid			typid;
	int32		typmod;
	uint64		tupdesc_id;		/* assign_record_type_identifier() */
	MemoryContext cxt;			/* holds layout; reset on a rebuild */
	CanonLayout layout;
} RecordLayoutCache;

/* Canonical bytes of a composite value into buf, in row format format. */
static void
record_canonical_bytes(FunctionCallInfo fcinfo, HeapTupleHeader rec, StringInfo buf,
					   int format, int64 xact, int64 seq)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(typid, typmod);
	uint64		tupdesc_id = assign_record_type_identifier(typid, typmod);
	RecordLayoutCache *cache = fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RecordLayoutCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
										   "ledger record layout",
										   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->typid != typid || cache->typmod != typmod ||
		cache->tupdesc_id != tupdesc_id || cache->tupdesc_id == 0)
	{
		/* empty first: a failed build leaves no layout to be taken as valid */
		cache->tupdesc_id = 0;
		MemoryContextReset(cache->cxt);
		canon_layout_init(&cache->layout, tupdesc, 0, cache->cxt);
		cache->typid = typid;
		cache->typmod = typmod;
		cache->tupdesc_id = tupdesc_id;
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(&tuple, tupdesc, values, nulls);
	canon_row_bytes_format(buf, format, &cache->layout, tupdesc, values, nulls, xact, seq);
	ReleaseTupleDesc(tupdesc);
}

/* bytea holding buf's bytes */
static bytea *
trigger_bytes_to_bytea(StringInfo buf)
{
	bytea	   *result = palloc(VARHDRSZ + buf->len);

	SET_VARSIZE(result, VARHDRSZ + buf->len);
	memcpy(VARDATA(result), buf->data, buf->len);
	return result;
}

/*
 * ledger.canonical_bytes(row record) RETURNS bytea
 */
Datum
ledger_canonical_bytes(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf,
						   CANON_ROW_FORMAT_1, 0, 0);
	PG_RETURN_BYTEA_P(trigger_bytes_to_bytea(&buf));
}

/*
 * ledger.canonical_bytes(row record, xact bigint, seq bigint) RETURNS bytea
 *
 * Format 2: the bytes of a row of a format-2 ledger, stamped (xact, seq).
 */
PG_FUNCTION_INFO_V1(ledger_canonical_bytes_2);
Datum
ledger_canonical_bytes_2(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf,
						   CANON_ROW_FORMAT_2, PG_GETARG_INT64(1), PG_GETARG_INT64(2));
	PG_RETURN_BYTEA_P(trigger_bytes_to_bytea(&buf));
}

/*
 * ledger.leaf_hash(row record) RETURNS bytea
 */
Datum
ledger_leaf_hash(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	uint8		leaf[LEDGER_HASH_LEN];

	initStringInfo(&buf);
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf,
						   CANON_ROW_FORMAT_1, 0, 0);
	merkle_leaf_hash(buf.data, buf.len, leaf);
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(leaf));
}

/*
 * ledger.leaf_hash(row record, xact bigint, seq bigint) RETURNS bytea
 */
PG_FUNCTION_INFO_V1(ledger_leaf_hash_2);
Datum
ledger_leaf_hash_2(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	uint8		leaf[LEDGER_HASH_LEN];

	initStringInfo(&buf);
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf,
						   CANON_ROW_FORMAT_2, PG_GETARG_INT64(1), PG_GETARG_INT64(2));
	merkle_leaf_hash(buf.data, buf.len, leaf);
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(leaf));
}
