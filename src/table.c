/*-------------------------------------------------------------------------
 *
 * table.c
 *		Ledger tables: turning a table into a ledger, hashing every inserted
 *		row, and writing one record per transaction before it commits.
 *
 * How a row is chained, without serializing writers
 * --------------------------------------------------
 * Nothing here reads or locks a shared chain head.  The BEFORE INSERT row
 * trigger (the last BEFORE INSERT row trigger of the table, which it checks)
 * computes the row's leaf hash from its canonical bytes (canon.c) and stamps
 * the row with (ledger_xact, ledger_seq, ledger_hash): the inserting
 * transaction's ledger transaction number (drawn once per transaction from
 * ledger.transaction_id_seq), a per-transaction sequence number and the hash.
 * The leaf is also pushed into a per-transaction, per-ledger streaming
 * Merkle builder (merkle.c), which keeps O(log n) hashes, so a bulk load of
 * millions of rows costs no extra memory.
 *
 * Subtransactions: rows inserted inside a subtransaction that rolls back
 * vanish from the table, so they must vanish from the root too.  Before the
 * first insert at a nesting level deeper than the top, the builder's state
 * is saved; a subtransaction abort restores the oldest state saved at or
 * below it, a subtransaction commit hands its saved state to its parent.
 * Sequence numbers are not reused, so rolled-back rows leave gaps; the root
 * covers the surviving rows in sequence order.
 *
 * At XACT_EVENT_PRE_COMMIT (and PRE_PREPARE), for every ledger the
 * transaction wrote, one row goes into ledger.transactions: (ledger, xact,
 * row count, Merkle root, time).  It is inserted directly with
 * CatalogTupleInsert, so neither the writer's privileges nor any trigger are
 * involved.  Sealing those records into blocks happens later, off the commit
 * path (sealer.c).
 *
 * Rows that arrive with ledger_hash already set come from pg_restore or a
 * replication apply worker: they are checked (the hash must match the
 * content) and kept as they are; they belong to a transaction recorded
 * elsewhere.  Only the table owner, a superuser or a replication worker may
 * insert such rows.
 *
 * Memory: per-transaction state lives in TopTransactionContext; the cache of
 * ledger descriptions lives in a child of CacheMemoryContext and is dropped
 * on relcache invalidation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "replication/logicalworker.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "canon.h"
#include "compat.h"
#include "ledger.h"
#include "merkle.h"
#include "sealer.h"
#include "signed.h"
#include "table.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_row_trigger);
PG_FUNCTION_INFO_V1(ledger_create_ledger);
PG_FUNCTION_INFO_V1(ledger_canonical_bytes);
PG_FUNCTION_INFO_V1(ledger_leaf_hash);

/* ---------- per-transaction state ---------- */

typedef struct PendingSnap
{
	int			level;			/* nesting level the state was saved at */
	int64		count;
	MerkleStream ms;
} PendingSnap;

typedef struct PendingLedger
{
	Oid			relid;
	int32		ledger_id;
	int64		next_seq;
	int64		count;			/* surviving rows */
	MerkleStream ms;
	int			nsnaps;
	int			maxsnaps;
	PendingSnap *snaps;

	/*
	 * The row the trigger stamped last, until it is known to be stored:
	 * INSERT ... ON CONFLICT DO NOTHING fires BEFORE ROW triggers and then
	 * may skip the row.  Its leaf joins the tree once this backend's insert
	 * count for the table has moved past open_inserted (see pending_confirm);
	 * a skipped row leaves a gap in ledger_seq, as a row rolled back to a
	 * savepoint does.
	 */
	bool		open;
	bool		open_has_leaf;	/* false for a row arriving with its hash */
	int			open_level;		/* nesting level it was stamped at */
	int64		open_inserted;	/* insert count when it was stamped */
	uint8		open_leaf[LEDGER_HASH_LEN];

	struct PendingLedger *next;
} PendingLedger;

static PendingLedger *pending_head = NULL;
static bool pending_written = false;

/*
 * The ledger transaction number of the current transaction, drawn from
 * ledger.transaction_id_seq at its first ledger insert; 0 is reserved for
 * genesis rows.  A sequence, not the xid: xids restart in a new cluster, and
 * a restored ledger's records must never collide with new ones.
 */
static int64 current_ledger_xact = -1;

/* ---------- cache of ledger descriptions ---------- */

static HTAB *ledger_cache = NULL;
static MemoryContext ledger_cache_cxt = NULL;

/* Reusable buffer for canonical bytes; lives in TopMemoryContext. */
static StringInfo canon_buf = NULL;

/* Drop cached entries on relcache invalidation. */
static void
ledger_cache_inval(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	LedgerInfo *info;

	if (ledger_cache == NULL)
		return;
	hash_seq_init(&status, ledger_cache);
	while ((info = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || info->relid == relid)
			info->valid = false;
	}
}

/* Schema oid of the extension; errors if the extension is not installed. */
Oid
ledger_namespace(void)
{
	return get_namespace_oid("ledger", false);
}

/* Oid of one of the extension's catalog tables. */
Oid
ledger_catalog_relid(const char *relname)
{
	Oid			relid = get_relname_relid(relname, ledger_namespace());

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("ledger catalog table \"ledger.%s\" is missing", relname),
				 errhint("Reinstall the extension with DROP EXTENSION ledger and CREATE EXTENSION ledger.")));
	return relid;
}

/* Run fn(arg) as the owner of ledger.ledgers, restoring the caller after. */
void
ledger_as_owner(LedgerOwnerFn fn, void *arg)
{
	Oid			save_userid;
	int			save_sec;
	Oid			catrel = ledger_catalog_relid("ledgers");
	HeapTuple	tp;
	Oid			owner;

	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(catrel));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", catrel);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		fn(arg);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

/* Read a relation's ledger id and uuid from the catalog; -1 if none. */
static int32
ledger_catalog_lookup(Oid relid, pg_uuid_t *uuid)
{
	Datum		arg = ObjectIdGetDatum(relid);
	Oid			argtype = OIDOID;
	int32		result = -1;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT l.ledger_id, l.ledger_uuid FROM ledger.ledgers l "
								"WHERE l.relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
								1, &argtype, &arg, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;

		result = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
		if (uuid != NULL)
			memcpy(uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 2, &isnull)),
				   sizeof(pg_uuid_t));
	}
	SPI_finish();
	return result;
}

/* ERROR (42P01) unless relid names an existing relation. */
void
ledger_relation_must_exist(Oid relid)
{
	if (!OidIsValid(relid) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
}

/* Ledger id of a relation, or -1 (or an error) when it is not a ledger. */
int32
ledger_id_for_relation(Oid relid, bool missing_ok)
{
	int32		result = ledger_catalog_lookup(relid, NULL);

	if (result < 0 && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" is not a ledger", get_rel_name(relid) ? get_rel_name(relid) : "?"),
				 errhint("Use ledger.create_ledger() to make it one.")));
	return result;
}

/* Cached ledger description of a relation, or NULL if it is not a ledger. */
LedgerInfo *
ledger_info_lookup(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	LedgerInfo *info;
	bool		found;

	if (ledger_cache == NULL)
	{
		HASHCTL		ctl;

		if (!CacheMemoryContext)
			CreateCacheMemoryContext();
		ledger_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
												 "ledger table cache",
												 ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(LedgerInfo);
		ctl.hcxt = ledger_cache_cxt;
		ledger_cache = hash_create("ledger table cache", 16, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(ledger_cache_inval, (Datum) 0);
	}

	info = hash_search(ledger_cache, &relid, HASH_ENTER, &found);
	if (found && info->valid)
		return info->ledger_id > 0 ? info : NULL;

	/* (re)build: the old layout's memory is leaked into the cache context */
	info->valid = false;
	info->ledger_id = ledger_catalog_lookup(relid, &info->uuid);

	if (info->ledger_id > 0)
		canon_layout_init(&info->layout, RelationGetDescr(rel), 0, ledger_cache_cxt);
	info->valid = true;
	return info->ledger_id > 0 ? info : NULL;
}

/* ---------- hashing of transactions and blocks ---------- */

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

/* bytea holding a 32-byte hash */
bytea *
ledger_hash_to_bytea(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + LEDGER_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + LEDGER_HASH_LEN);
	memcpy(VARDATA(b), hash, LEDGER_HASH_LEN);
	return b;
}

/* 32-byte hash from a bytea, or an error naming what it is */
void
ledger_bytea_to_hash(bytea *b, uint8 *out, const char *what)
{
	if (VARSIZE_ANY_EXHDR(b) != LEDGER_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s is not a 32-byte hash", what)));
	memcpy(out, VARDATA_ANY(b), LEDGER_HASH_LEN);
}

/* ---------- per-transaction state ---------- */

/* Find or create the pending state of one ledger in this transaction. */
static PendingLedger *
pending_get(Oid relid, int32 ledger_id)
{
	PendingLedger *pl;

	for (pl = pending_head; pl != NULL; pl = pl->next)
		if (pl->relid == relid)
			return pl;

	pl = MemoryContextAllocZero(TopTransactionContext, sizeof(PendingLedger));
	pl->relid = relid;
	pl->ledger_id = ledger_id;
	merkle_stream_init(&pl->ms);
	pl->next = pending_head;
	pending_head = pl;
	return pl;
}

/* Add one leaf of a row stamped at nesting level 'level'. */
static void
pending_add(PendingLedger *pl, const uint8 *leaf, int level)
{
	if (level > 1 &&
		(pl->nsnaps == 0 || pl->snaps[pl->nsnaps - 1].level < level))
	{
		PendingSnap *snap;

		if (pl->nsnaps == pl->maxsnaps)
		{
			int			newmax = pl->maxsnaps == 0 ? 4 : pl->maxsnaps * 2;

			if (pl->snaps == NULL)
				pl->snaps = MemoryContextAlloc(TopTransactionContext,
											   sizeof(PendingSnap) * newmax);
			else
				pl->snaps = repalloc(pl->snaps, sizeof(PendingSnap) * newmax);
			pl->maxsnaps = newmax;
		}
		snap = &pl->snaps[pl->nsnaps++];
		snap->level = level;
		snap->count = pl->count;
		snap->ms = pl->ms;
	}
	merkle_stream_add(&pl->ms, leaf);
	pl->count++;
}

/*
 * Rows of rel this backend has stored so far: heap inserts minus deletes in
 * the cumulative statistics counters, summed over the per-(sub)transaction
 * parts (which move between levels without changing the sum).  A
 * speculative insertion withdrawn after a concurrent conflict counts as an
 * insert and a delete (heap_abort_speculative), so it nets out; a ledger
 * table has no other deletes.  -1 when statistics are not collected for rel
 * (track_counts = off).
 */
static int64
pending_inserted(Relation rel)
{
	PgStat_TableStatus *ts;
	PgStat_TableXactStatus *trans;
	int64		n;

	if (rel->pgstat_info == NULL)
	{
		if (!rel->pgstat_enabled)
			return -1;
		/* link the pending entry now: it may already hold counts */
		pgstat_assoc_relation(rel);
		if (rel->pgstat_info == NULL)
			return -1;
	}
	ts = rel->pgstat_info;
	n = ts->t_counts.t_tuples_inserted - ts->t_counts.t_tuples_deleted;
	for (trans = ts->trans; trans != NULL; trans = trans->upper)
		n += trans->tuples_inserted - trans->tuples_deleted;
	return n;
}

/*
 * Settle the row stamped last: if the table's insert count has moved since,
 * it was stored and its leaf joins the tree; otherwise INSERT ... ON
 * CONFLICT DO NOTHING skipped it.  Without statistics the row is taken as
 * stored (what ledger.verify then reports if it was not).
 */
static void
pending_confirm(PendingLedger *pl, Relation rel)
{
	int64		now;

	if (!pl->open)
		return;
	now = pending_inserted(rel);
	pl->open = false;
	if (now >= 0 && now <= pl->open_inserted)
		return;					/* skipped */
	if (pl->open_has_leaf)
		pending_add(pl, pl->open_leaf, pl->open_level);
}

/* Stamp a row: settle the previous one, then hold this one open. */
static int64
pending_stamp(PendingLedger *pl, Relation rel, const uint8 *leaf)
{
	pending_confirm(pl, rel);
	pl->open = true;
	pl->open_has_leaf = (leaf != NULL);
	if (leaf != NULL)
		memcpy(pl->open_leaf, leaf, LEDGER_HASH_LEN);
	pl->open_level = GetCurrentTransactionNestLevel();
	pl->open_inserted = pending_inserted(rel);
	return leaf != NULL ? pl->next_seq++ : -1;
}

/* Subtransaction end: drop or hand over saved states. */
static void
ledger_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	PendingLedger *pl;

	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			PendingSnap *restore = NULL;

			if (pl->open && pl->open_level >= level)
				pl->open = false;	/* rolled back with its subtransaction */

			while (pl->nsnaps > 0 && pl->snaps[pl->nsnaps - 1].level >= level)
				restore = &pl->snaps[--pl->nsnaps];
			if (restore)
			{
				pl->ms = restore->ms;
				pl->count = restore->count;
			}
		}
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			if (pl->open && pl->open_level == level)
				pl->open_level = level - 1;
			if (pl->nsnaps > 0 && pl->snaps[pl->nsnaps - 1].level == level)
			{
				if (level - 1 <= 1 ||
					(pl->nsnaps >= 2 && pl->snaps[pl->nsnaps - 2].level == level - 1))
					pl->nsnaps--;
				else
					pl->snaps[pl->nsnaps - 1].level = level - 1;
			}
		}
	}
}

/* Write one ledger.transactions row per ledger this transaction wrote. */
static void
pending_write_records(void)
{
	PendingLedger *pl;
	Relation	rel = NULL;
	TimestampTz committed_at = GetCurrentTimestamp();

	/* keys that signed these rows must still be good at committed_at */
	signed_precommit_check(committed_at);

	for (pl = pending_head; pl != NULL; pl = pl->next)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, true};
		uint8		root[LEDGER_HASH_LEN];
		HeapTuple	tup;

		if (pl->open)
		{
			/* the statement that stamped it is over: it was stored or not */
			Relation	lrel = RelationIdGetRelation(pl->relid);

			if (RelationIsValid(lrel))
			{
				pending_confirm(pl, lrel);
				RelationClose(lrel);
			}
			pl->open = false;
		}
		if (pl->count == 0)
			continue;
		if (rel == NULL)
			rel = table_open(ledger_catalog_relid("transactions"), RowExclusiveLock);

		merkle_stream_root(&pl->ms, root);
		values[0] = Int32GetDatum(pl->ledger_id);
		values[1] = Int64GetDatum(current_ledger_xact);
		values[2] = Int64GetDatum(pl->count);
		values[3] = PointerGetDatum(ledger_hash_to_bytea(root));
		values[4] = TimestampTzGetDatum(committed_at);
		values[5] = (Datum) 0;
		tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
		CatalogTupleInsert(rel, tup);
		heap_freetuple(tup);
		pending_written = true;
	}
	if (rel != NULL)
		table_close(rel, NoLock);
}

/* Transaction end: write records before commit, signal the sealer after. */
static void
ledger_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (pending_head != NULL)
				pending_write_records();
			break;
		case XACT_EVENT_COMMIT:
			if (pending_written)
				sealer_notify(MyDatabaseId);
			pending_head = NULL;
			pending_written = false;
			current_ledger_xact = -1;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_head = NULL;
			pending_written = false;
			current_ledger_xact = -1;
			break;
		default:
			break;
	}
}

/* This transaction's ledger transaction number; -1 if none (and !assign). */
int64
table_current_xact(bool assign)
{
	if (current_ledger_xact < 0 && assign)
	{
		Oid			seq = get_relname_relid("transaction_id_seq", ledger_namespace());

		if (!OidIsValid(seq))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("ledger sequence \"ledger.transaction_id_seq\" is missing"),
					 errhint("Reinstall the extension.")));
		/* nextval_internal checks no privilege: writers need none on it */
		current_ledger_xact = nextval_internal(seq, false);
	}
	return current_ledger_xact;
}

/* Register callbacks; called from _PG_init. */
void
table_init(void)
{
	RegisterXactCallback(ledger_xact_callback, NULL);
	RegisterSubXactCallback(ledger_subxact_callback, NULL);
}

static LedgerInfo *ledger_builtin_info(Relation rel, HeapTuple tuple);

/* ---------- the row trigger ---------- */

/*
 * The first enabled BEFORE INSERT row trigger of rel that fires after self
 * (triggers fire in name order), or NULL.  The ledger's row trigger must
 * have none: a later trigger could change a row after it was hashed.
 */
Trigger *
ledger_next_before_insert_trigger(Relation rel, Trigger *self)
{
	TriggerDesc *td = rel->trigdesc;
	bool		seen = false;
	int			i;

	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (t->tgoid == self->tgoid)
			seen = true;
		else if (seen && t->tgenabled != TRIGGER_DISABLED &&
				 TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_BEFORE(t->tgtype) &&
				 TRIGGER_FOR_INSERT(t->tgtype))
			return t;
	}
	return NULL;
}

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
	Datum	   *values;
	bool	   *nulls;
	uint8		leaf[LEDGER_HASH_LEN];

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
		info = ledger_builtin_info(rel, tuple);
	if (info->layout.xact_attnum == 0 || info->layout.seq_attnum == 0 ||
		info->layout.hash_attnum == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("ledger table \"%s\" lacks its ledger columns", RelationGetRelationName(rel))));

	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(tuple, tupdesc, values, nulls);

	if (canon_buf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		canon_buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	canon_row_bytes(canon_buf, &info->layout, tupdesc, values, nulls);
	merkle_leaf_hash(canon_buf->data, canon_buf->len, leaf);

	if (!nulls[info->layout.hash_attnum - 1])
	{
		/* a row that was hashed elsewhere: restore or replication */
		bytea	   *given = DatumGetByteaPP(values[info->layout.hash_attnum - 1]);

		if (!ledger_may_supply_hash(rel))
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
		if (VARSIZE_ANY_EXHDR(given) != LEDGER_HASH_LEN ||
			memcmp(VARDATA_ANY(given), leaf, LEDGER_HASH_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("row of ledger table \"%s\" does not match its hash",
							RelationGetRelationName(rel)),
					 errdetail_internal("Transaction %lld, sequence %lld: stored hash differs from the hash of the row's canonical bytes.",
										(long long) DatumGetInt64(values[info->layout.xact_attnum - 1]),
										(long long) DatumGetInt64(values[info->layout.seq_attnum - 1])),
					 errhint("The row was altered after it was hashed; it is not accepted.")));
		/* not part of this transaction's tree, but it moves the count */
		pending_stamp(pending_get(RelationGetRelid(rel), info->ledger_id), rel, NULL);
		return PointerGetDatum(tuple);
	}

	if (!nulls[info->layout.xact_attnum - 1] || !nulls[info->layout.seq_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert a value into column \"%s\" of ledger table \"%s\"",
						nulls[info->layout.xact_attnum - 1] ? LEDGER_COL_SEQ : LEDGER_COL_XACT,
						RelationGetRelationName(rel)),
				 errdetail("The ledger computes this column."),
				 errhint("Omit the ledger columns from the INSERT.")));

	{
		PendingLedger *pl = pending_get(RelationGetRelid(rel), info->ledger_id);
		int64		xact = table_current_xact(true);
		int64		seq = pending_stamp(pl, rel, leaf);

		/* the row is already deformed: form the new one directly */
		values[info->layout.xact_attnum - 1] = Int64GetDatum(xact);
		nulls[info->layout.xact_attnum - 1] = false;
		values[info->layout.seq_attnum - 1] = Int64GetDatum(seq);
		nulls[info->layout.seq_attnum - 1] = false;
		values[info->layout.hash_attnum - 1] = PointerGetDatum(ledger_hash_to_bytea(leaf));
		nulls[info->layout.hash_attnum - 1] = false;
	}
	return PointerGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ---------- SQL helpers over row values ---------- */

/* Layout for a record argument, cached in fn_extra by type. */
typedef struct RecordLayoutCache
{
	Oid			typid;
	int32		typmod;
	CanonLayout layout;
} RecordLayoutCache;

/* Canonical bytes of a composite value into buf. */
static void
record_canonical_bytes(FunctionCallInfo fcinfo, HeapTupleHeader rec, StringInfo buf)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(typid, typmod);
	RecordLayoutCache *cache = fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;

	if (cache == NULL || cache->typid != typid || cache->typmod != typmod)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RecordLayoutCache));
		cache->typid = typid;
		cache->typmod = typmod;
		canon_layout_init(&cache->layout, tupdesc, 0, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(&tuple, tupdesc, values, nulls);
	canon_row_bytes(buf, &cache->layout, tupdesc, values, nulls);
	ReleaseTupleDesc(tupdesc);
}

/*
 * ledger.canonical_bytes(row record) RETURNS bytea
 */
Datum
ledger_canonical_bytes(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	bytea	   *result;

	initStringInfo(&buf);
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf);
	result = palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(result, VARHDRSZ + buf.len);
	memcpy(VARDATA(result), buf.data, buf.len);
	PG_RETURN_BYTEA_P(result);
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
	record_canonical_bytes(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), &buf);
	merkle_leaf_hash(buf.data, buf.len, leaf);
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(leaf));
}

/* ---------- create_ledger ---------- */

/* Run one SPI command built from a format string, as the current user. */
static void spi_exec_fmt(int expected, const char *fmt,...) pg_attribute_printf(2, 3);

static void
spi_exec_fmt(int expected, const char *fmt,...)
{
	StringInfoData sql;
	va_list		args;
	int			ret;

	initStringInfo(&sql);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&sql, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&sql, needed);
	}
	ret = SPI_execute(sql.data, false, 0);
	if (ret != expected)
		elog(ERROR, "SPI_execute of \"%s\" failed: %s", sql.data, SPI_result_code_string(ret));
	pfree(sql.data);
}

/* What create_ledger hands to its catalog-writing step. */
typedef struct CreateLedgerArgs
{
	Oid			relid;
	char	   *qname;
	ArrayType  *shape;
	int64		xact;
	int64		genesis_rows;
	uint8		root[LEDGER_HASH_LEN];
	Oid			creator;		/* the calling role, before the owner switch */
	int32		ledger_id;		/* output */
} CreateLedgerArgs;

/* Insert the ledger, its genesis transaction and block 0 (as owner). */
static void
create_ledger_register(void *varg)
{
	CreateLedgerArgs *a = varg;
	Datum		args[5];
	Oid			types[5] = {OIDOID, TEXTOID, TEXTARRAYOID, INT4OID, OIDOID};
	int			ret;
	bool		isnull;

	args[0] = ObjectIdGetDatum(a->relid);
	args[1] = CStringGetTextDatum(a->qname);
	args[2] = PointerGetDatum(a->shape);
	args[3] = Int32GetDatum(CANON_FORMAT_VERSION);
	args[4] = ObjectIdGetDatum(a->creator);
	ret = SPI_execute_with_args("INSERT INTO ledger.ledgers (relation, name, shape, format_version, created_by) "
								"VALUES ($1::pg_catalog.regclass, $2, $3, $4, "
								"(SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $5)) "
								"RETURNING ledger_id",
								5, types, args, NULL, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into ledger.ledgers: %s", SPI_result_code_string(ret));
	a->ledger_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	if (a->genesis_rows > 0)
	{
		Datum		targs[4];
		Oid			ttypes[4] = {INT4OID, INT8OID, INT8OID, BYTEAOID};

		targs[0] = Int32GetDatum(a->ledger_id);
		targs[1] = Int64GetDatum(a->xact);
		targs[2] = Int64GetDatum(a->genesis_rows);
		targs[3] = PointerGetDatum(ledger_hash_to_bytea(a->root));
		ret = SPI_execute_with_args("INSERT INTO ledger.transactions (ledger_id, xact_id, row_count, root, committed_at) "
									"VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp())",
									4, ttypes, targs, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "could not insert into ledger.transactions: %s", SPI_result_code_string(ret));
	}
	/* block 0, the genesis block, holds the existing rows (or nothing) */
	sealer_seal_ledger(a->ledger_id, true);
}

/* Refuse tables that cannot become ledgers (nothing is changed). */
static void
create_ledger_check(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	CanonLayout layout;
	TupleDesc	tupdesc;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("Only plain tables can be ledgers; partitioned tables, views and foreign tables cannot."),
				 errhint("Create a plain table and copy the rows into it.")));
	if (rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("Temporary and unlogged tables lose rows in a crash, which a ledger must never do.")));
	if (ledger_id_for_relation(relid, true) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("table \"%s\" is already a ledger", RelationGetRelationName(rel))));
	if (rel->rd_rel->relhasrules)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("The table has rules, which could divert inserts around the ledger."),
				 errhint("Drop the rules first.")));
	if (rel->rd_rel->relispartition || has_superclass(relid) ||
		find_inheritance_children(relid, NoLock) != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("The table inherits from another table, is a partition, or has children: statements on a parent would reach the ledger's rows without meeting its guard."),
				 errhint("Detach the table from its parent and children first.")));

	tupdesc = RelationGetDescr(rel);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && att->attgenerated)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
					 errdetail("Column \"%s\" is generated: its value is computed after the row is hashed.",
							   NameStr(att->attname)),
					 errhint("Make it a plain column, or compute it in a BEFORE INSERT trigger.")));
		if (!att->attisdropped && strncmp(NameStr(att->attname), "ledger_", 7) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" of table \"%s\" uses the prefix \"ledger_\" reserved for ledger columns",
							NameStr(att->attname), RelationGetRelationName(rel)),
					 errhint("Rename the column before making the table a ledger.")));
	}
	/* raises the error for unsupported column types */
	canon_layout_init(&layout, tupdesc, 0, CurrentMemoryContext);
	if (layout.ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("table \"%s\" has no columns to record", RelationGetRelationName(rel))));
}

/* The ledger's two triggers, enabled ALWAYS (SPI connected). */
static void
create_ledger_triggers(const char *qname)
{
	spi_exec_fmt(SPI_OK_UTILITY,
				 "CREATE TRIGGER zz_ledger_row BEFORE INSERT ON %s "
				 "FOR EACH ROW EXECUTE FUNCTION ledger.row_trigger()", qname);
	spi_exec_fmt(SPI_OK_UTILITY,
				 "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s "
				 "FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()", qname);
	spi_exec_fmt(SPI_OK_UTILITY,
				 "ALTER TABLE %s ENABLE ALWAYS TRIGGER zz_ledger_row, "
				 "ENABLE ALWAYS TRIGGER ledger_append_only", qname);
}

/* Register a prepared table in the catalog with its genesis block (SPI connected). */
static int32
create_ledger_register_now(Oid relid, char *qname, int64 genesis_rows, const uint8 *root)
{
	Relation	rel;
	CreateLedgerArgs reg;

	/* the shape includes the ledger columns */
	rel = table_open(relid, NoLock);
	reg.shape = canon_shape(RelationGetDescr(rel));
	table_close(rel, NoLock);

	reg.relid = relid;
	reg.qname = qname;
	reg.xact = 0;				/* genesis rows: reserved transaction 0 */
	reg.genesis_rows = genesis_rows;
	memcpy(reg.root, root, LEDGER_HASH_LEN);
	reg.creator = GetUserId();
	ledger_as_owner(create_ledger_register, &reg);
	return reg.ledger_id;
}

/*
 * ledger.create_ledger(tbl regclass) RETURNS jsonb
 *
 * Turns a new or existing table into a ledger; the rows already there are
 * sealed into the genesis block.  Returns the digest of that block.
 */
Datum
ledger_create_ledger(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	char	   *qname;
	int32		ledger_id;
	int64		genesis_rows;
	MerkleStream ms;
	uint8		root[LEDGER_HASH_LEN];
	int64		xact;

	ledger_relation_must_exist(relid);
	rel = table_open(relid, ShareRowExclusiveLock);
	qname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									   RelationGetRelationName(rel));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	create_ledger_check(rel);
	table_close(rel, NoLock);

	/* genesis rows belong to the reserved transaction id 0 */
	xact = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the table's own DDL runs as its owner, the caller */
	spi_exec_fmt(SPI_OK_UTILITY,
				 "ALTER TABLE %s ADD COLUMN " LEDGER_COL_XACT " pg_catalog.int8, "
				 "ADD COLUMN " LEDGER_COL_SEQ " pg_catalog.int8, "
				 "ADD COLUMN " LEDGER_COL_HASH " pg_catalog.bytea", qname);
	spi_exec_fmt(SPI_OK_UPDATE,
				 "UPDATE %s ledger_row SET " LEDGER_COL_XACT " = " INT64_FORMAT ", "
				 LEDGER_COL_SEQ " = ledger_num.n OPERATOR(pg_catalog.-) 1, "
				 LEDGER_COL_HASH " = ledger.leaf_hash(ledger_row) "
				 "FROM (SELECT ctid AS ledger_tid, pg_catalog.row_number() OVER (ORDER BY ctid) AS n FROM %s) ledger_num "
				 "WHERE ledger_row.ctid OPERATOR(pg_catalog.=) ledger_num.ledger_tid", qname, xact, qname);
	genesis_rows = (int64) SPI_processed;
	spi_exec_fmt(SPI_OK_UTILITY,
				 "ALTER TABLE %s ALTER COLUMN " LEDGER_COL_XACT " SET NOT NULL, "
				 "ALTER COLUMN " LEDGER_COL_SEQ " SET NOT NULL, "
				 "ALTER COLUMN " LEDGER_COL_HASH " SET NOT NULL", qname);
	create_ledger_triggers(qname);

	/* genesis root over existing rows, in sequence order */
	merkle_stream_init(&ms);
	if (genesis_rows > 0)
	{
		Portal		portal;
		char	   *sql = psprintf("SELECT " LEDGER_COL_HASH " FROM %s ORDER BY " LEDGER_COL_SEQ, qname);

		portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, false, 0);
		for (;;)
		{
			uint64		j;

			SPI_cursor_fetch(portal, true, 10000);
			if (SPI_processed == 0)
				break;
			for (j = 0; j < SPI_processed; j++)
			{
				bool		isnull;
				uint8		leaf[LEDGER_HASH_LEN];
				Datum		d = SPI_getbinval(SPI_tuptable->vals[j],
											  SPI_tuptable->tupdesc, 1, &isnull);

				if (isnull)
					elog(ERROR, "genesis row lacks its hash");
				ledger_bytea_to_hash(DatumGetByteaPP(d), leaf, "genesis leaf");
				merkle_stream_add(&ms, leaf);
			}
			SPI_freetuptable(SPI_tuptable);
		}
		SPI_cursor_close(portal);
	}
	merkle_stream_root(&ms, root);

	ledger_id = create_ledger_register_now(relid, qname, genesis_rows, root);
	SPI_finish();

	PG_RETURN_JSONB_P(verify_digest(ledger_id));
}

/*
 * ledger._prepare_builtin(tbl regclass) RETURNS void
 *
 * For the extension's own ledgers (ledger.margin_calls, ...), from the
 * install script: add the ledger columns and triggers, but register the
 * ledger only at its first insert.  Registration rows are written at run
 * time, so pg_dump dumps them like any other ledger's, and a restore's
 * CREATE EXTENSION does not make a second genesis for the same table.
 */
PG_FUNCTION_INFO_V1(ledger_prepare_builtin);
Datum
ledger_prepare_builtin(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	char	   *qname;

	if (!creating_extension || CurrentExtensionObject != get_extension_oid("ledger", true))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("ledger._prepare_builtin() is only for the extension's install script"),
				 errhint("Use ledger.create_ledger().")));
	rel = table_open(relid, AccessExclusiveLock);
	qname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									   RelationGetRelationName(rel));
	create_ledger_check(rel);
	table_close(rel, NoLock);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec_fmt(SPI_OK_UTILITY,
				 "ALTER TABLE %s ADD COLUMN " LEDGER_COL_XACT " pg_catalog.int8 NOT NULL, "
				 "ADD COLUMN " LEDGER_COL_SEQ " pg_catalog.int8 NOT NULL, "
				 "ADD COLUMN " LEDGER_COL_HASH " pg_catalog.bytea NOT NULL", qname);
	create_ledger_triggers(qname);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * The row trigger found no ledger for rel.  An extension-owned table is
 * registered at its first ordinary insert; a row arriving with its hash
 * (restore of the extension's tables) is checked against an ad hoc layout.
 */
static LedgerInfo *
ledger_builtin_info(Relation rel, HeapTuple tuple)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			ext = get_extension_oid("ledger", true);
	AttrNumber	hattno = get_attnum(relid, LEDGER_COL_HASH);
	LedgerInfo *info;

	if (!OidIsValid(ext) || getExtensionOfObject(RelationRelationId, relid) != ext)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" is not a ledger", RelationGetRelationName(rel)),
				 errhint("Use ledger.create_ledger() instead of attaching ledger triggers by hand.")));

	if (hattno != InvalidAttrNumber &&
		!heap_attisnull(tuple, hattno, RelationGetDescr(rel)))
	{
		info = palloc0(sizeof(LedgerInfo));
		info->relid = relid;
		canon_layout_init(&info->layout, RelationGetDescr(rel), 0, CurrentMemoryContext);
		return info;
	}

	/* one registration per table: later inserters wait, then find it */
	LockRelationOid(relid, ShareUpdateExclusiveLock);
	if (ledger_id_for_relation(relid, true) < 0)
	{
		uint8		root[LEDGER_HASH_LEN];

		merkle_empty_root(root);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		(void) create_ledger_register_now(relid,
										  quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
																	 RelationGetRelationName(rel)),
										  0, root);
		SPI_finish();
	}
	CommandCounterIncrement();
	ledger_cache_inval((Datum) 0, relid);
	info = ledger_info_lookup(rel);
	if (info == NULL)
		elog(ERROR, "could not register ledger \"%s\"", RelationGetRelationName(rel));
	return info;
}
