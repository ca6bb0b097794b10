/*-------------------------------------------------------------------------
 *
 * create.c
 *		Making a table a ledger: ledger.create_ledger(), and the extension's
 *		own ledgers, registered at their first insert.
 *
 * create_ledger runs in the caller's transaction, so an error leaves the
 * table as it was: it checks the table (a plain, logged table outside any
 * inheritance tree, with hashable columns), adds the three ledger columns
 * and the two triggers as the table's owner (the caller), stamps and hashes
 * the rows already there as the genesis transaction 0, and registers the
 * ledger with its genesis block 0 as the catalog's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "canon.h"
#include "catalog.h"
#include "compat.h"
#include "create.h"
#include "guard.h"
#include "merkle.h"
#include "sealer.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(ledger_create_ledger);

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
	int64		ledger_id;		/* output */
} CreateLedgerArgs;

/* Insert the ledger, its genesis transaction and block 0 (as owner). */
static void
create_ledger_register(void *varg)
{
	CreateLedgerArgs *a = varg;
	Datum		args[6];
	Oid			types[6] = {INT8OID, OIDOID, TEXTOID, TEXTARRAYOID, INT4OID, OIDOID};
	bool		isnull;
	int			ret;

	/*
	 * The uuid comes from the column's default (a random one); the ledger id
	 * is derived from it.  A provisional id -relid, unique to the table, lets
	 * concurrent creators of different ledgers not wait for each other.
	 */
	args[0] = Int64GetDatum(-(int64) a->relid);
	args[1] = ObjectIdGetDatum(a->relid);
	args[2] = CStringGetTextDatum(a->qname);
	args[3] = PointerGetDatum(a->shape);
	args[4] = Int32GetDatum(CANON_ROW_FORMAT_CURRENT);
	args[5] = ObjectIdGetDatum(a->creator);
	ret = SPI_execute_with_args("INSERT INTO ledger.ledgers (ledger_id, relation, name, shape, "
								"format_version, created_by) "
								"VALUES ($1, $2::pg_catalog.regclass, $3, $4, $5, "
								"(SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $6))",
								6, types, args, NULL, false, 1);
	if (ret != SPI_OK_INSERT || SPI_processed != 1)
		elog(ERROR, "could not insert into ledger.ledgers: %s", SPI_result_code_string(ret));
	ret = SPI_execute_with_args("UPDATE ledger.ledgers SET ledger_id = ledger._ledger_id_of(ledger_uuid) "
								"WHERE ledger_id OPERATOR(pg_catalog.=) $1 RETURNING ledger_id",
								1, types, args, NULL, false, 1);
	if (ret != SPI_OK_UPDATE_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not set the ledger's id: %s", SPI_result_code_string(ret));
	a->ledger_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	if (a->genesis_rows > 0)
	{
		Datum		targs[4];
		Oid			ttypes[4] = {INT8OID, INT8OID, INT8OID, BYTEAOID};

		targs[0] = Int64GetDatum(a->ledger_id);
		targs[1] = Int64GetDatum(a->xact);
		targs[2] = Int64GetDatum(a->genesis_rows);
		targs[3] = PointerGetDatum(ledger_hash_to_bytea(a->root));
		/* the record and its entry: records_loaded() leaves the list be */
		ret = sealer_queue_execute("WITH r AS (INSERT INTO ledger.transactions "
								   "(ledger_id, xact_id, row_count, root, committed_at) "
								   "VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp()) RETURNING ctid) "
								   "INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid) "
								   "SELECT $1, $2, r.ctid FROM r",
								   4, ttypes, targs);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "could not insert into ledger.transactions: %s", SPI_result_code_string(ret));
	}
	/* block 0, the genesis block, holds the existing rows (or nothing) */
	sealer_seal_ledger(a->ledger_id, true);
}

/* Is this the ledger extension's own install or update script running? */
static bool
creating_ledger_extension(void)
{
	return creating_extension && CurrentExtensionObject == get_extension_oid("ledger", true);
}

/* Refuse tables that cannot become ledgers (nothing is changed). */
static void
create_ledger_check(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			extoid;
	Oid			ledger_ext;
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

	/*
	 * The extension's own ledgers (ledger.margin_calls) are its members, made
	 * ledgers by its install script; any other table of the extension (the
	 * key registry, the margin inputs) stays as the script made it: its
	 * functions, its updates and pg_dump know it so, and a superuser's
	 * create_ledger('ledger.keys') added columns and triggers to it.
	 */
	extoid = getExtensionOfObject(RelationRelationId, relid);
	ledger_ext = get_extension_oid("ledger", true);
	if (OidIsValid(extoid) && extoid == ledger_ext && !creating_ledger_extension())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("The table belongs to extension \"ledger\", whose functions, updates and pg_dump know it as the extension made it.")));
	if (OidIsValid(extoid) && extoid != ledger_ext)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot make \"%s\" a ledger", RelationGetRelationName(rel)),
				 errdetail("The table is a member of extension \"%s\": dropping the extension would drop it, and the ledger's history with it.",
						   get_extension_name(extoid)),
				 errhint("Remove it from the extension first (ALTER EXTENSION ... DROP TABLE).")));
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
	/* and this one for names two stored forms share (22P05) */
	canon_layout_check_names(&layout);
	if (layout.ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("table \"%s\" has no columns to record", RelationGetRelationName(rel))));
	/* its digests name it (the column names are refused by the layout) */
	ledger_name_must_be_utf8(relid, "ledger.create_ledger()");
}

/*
 * Under REPEATABLE READ or SERIALIZABLE, the UPDATE that stamps the rows
 * already there read the table with the transaction's snapshot, taken
 * before create_ledger had its lock (at the latest when the statement
 * began): a row committed in between was not stamped, and SET NOT NULL
 * failed with "column ledger_xact contains null values" (found by a review
 * on 2026-12-05).  The newest snapshot sees every row the table holds, the
 * lock keeping others out; a row the UPDATE left unstamped is a concurrent
 * insert, and the transaction must be retried, as PostgreSQL's own UPDATE
 * fails there for a row deleted or updated since the snapshot (40001).
 * SPI connected.
 */
static void
create_check_unstamped(Oid relid, const char *qname)
{
	char	   *sql = psprintf("SELECT 1 FROM %s WHERE " LEDGER_COL_XACT " IS NULL LIMIT 1", qname);
	SPIPlanPtr	plan;
	int			ret;

	CommandCounterIncrement();
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare of \"%s\" failed: %s", sql, SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							   true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute of \"%s\" failed: %s", sql, SPI_result_code_string(ret));
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to concurrent insert into \"%s\"",
						get_rel_name(relid)),
				 errdetail("Rows were committed into the table after this transaction's snapshot was taken; "
						   "the snapshot cannot hash them into the genesis block."),
				 errhint("Retry the transaction, or call ledger.create_ledger() in a READ COMMITTED transaction.")));
	SPI_freeplan(plan);
	pfree(sql);
}

/*
 * A ledger without a key is identified by its whole row in a publication
 * (REPLICA IDENTITY FULL, which changes nothing stored).  Under a
 * publication of updates (FOR ALL TABLES, or a ledger publication) a table
 * without a replica identity cannot be updated at all: not even the
 * stamping of its genesis rows by create_ledger, nor a tampering UPDATE
 * that must travel to the peers to be refused there.  SPI connected; the
 * table locked.
 */
void
create_replica_identity(Oid relid, const char *qname)
{
	Relation	rel = table_open(relid, NoLock);
	char		ident = rel->rd_rel->relreplident;
	bool		has_key = OidIsValid(RelationGetReplicaIndex(rel));

	table_close(rel, NoLock);
	if (ident == REPLICA_IDENTITY_FULL || (ident != REPLICA_IDENTITY_NOTHING && has_key))
		return;
	spi_exec_fmt(SPI_OK_UTILITY, "ALTER TABLE %s REPLICA IDENTITY FULL", qname);
}

/*
 * The ledger's triggers, enabled ALWAYS (SPI connected): the row trigger,
 * the statement guard against UPDATE, DELETE and TRUNCATE, and a row guard
 * against UPDATE and DELETE, which is the one a logical replication apply
 * worker fires (it fires no statement triggers for them).
 */
void
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

	/*
	 * The 0.1.0 install script (which this library must still run) has no row
	 * guard; the update to 0.2.0 adds it to every ledger.
	 */
	if (OidIsValid(LookupFuncName(list_make2(makeString("ledger"), makeString("refuse_row_change")),
								  0, NULL, true)))
	{
		spi_exec_fmt(SPI_OK_UTILITY,
					 "CREATE TRIGGER ledger_append_only_row BEFORE UPDATE OR DELETE ON %s "
					 "FOR EACH ROW EXECUTE FUNCTION ledger.refuse_row_change()", qname);
		spi_exec_fmt(SPI_OK_UTILITY,
					 "ALTER TABLE %s ENABLE ALWAYS TRIGGER ledger_append_only_row", qname);
	}
	/* proofs find a transaction's rows through it (cheap to keep up) */
	spi_exec_fmt(SPI_OK_UTILITY,
				 "CREATE INDEX ON %s USING brin (" LEDGER_COL_XACT ") WITH (pages_per_range = 16)",
				 qname);
}

/* Register a prepared table in the catalog with its genesis block (SPI connected). */
static int64
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
	Oid			relid;
	Relation	rel;
	char	   *qname;
	int64		ledger_id;
	int64		genesis_rows;
	MerkleStream ms;
	uint8		root[LEDGER_HASH_LEN];
	int64		xact;

	/* not STRICT: a NULL (to_regclass of a mistyped name) made no ledger */
	ledger_arg_not_null(fcinfo, 0, "ledger table");
	relid = PG_GETARG_OID(0);
	ledger_relation_must_exist(relid);
	rel = table_open(relid, ShareRowExclusiveLock);
	qname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									   RelationGetRelationName(rel));
	if (!ledger_table_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	create_ledger_check(rel);
	table_close(rel, NoLock);

	/* genesis rows belong to the reserved transaction id 0 */
	xact = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the table's own DDL runs as its owner, the caller */
	create_replica_identity(relid, qname);
	spi_exec_fmt(SPI_OK_UTILITY,
				 "ALTER TABLE %s ADD COLUMN " LEDGER_COL_XACT " pg_catalog.int8, "
				 "ADD COLUMN " LEDGER_COL_SEQ " pg_catalog.int8, "
				 "ADD COLUMN " LEDGER_COL_HASH " pg_catalog.bytea", qname);
	spi_exec_fmt(SPI_OK_UPDATE,
				 "UPDATE %s ledger_row SET " LEDGER_COL_XACT " = " INT64_FORMAT ", "
				 LEDGER_COL_SEQ " = ledger_num.n OPERATOR(pg_catalog.-) 1, "
				 LEDGER_COL_HASH " = ledger.leaf_hash(ledger_row, " INT64_FORMAT ", ledger_num.n OPERATOR(pg_catalog.-) 1) "
				 "FROM (SELECT ctid AS ledger_tid, pg_catalog.row_number() OVER (ORDER BY ctid) AS n FROM %s) ledger_num "
				 "WHERE ledger_row.ctid OPERATOR(pg_catalog.=) ledger_num.ledger_tid", qname, xact, xact, qname);
	genesis_rows = (int64) SPI_processed;
	if (IsolationUsesXactSnapshot())
		create_check_unstamped(relid, qname);
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
	guard_check_new_ledger(relid);

	PG_RETURN_JSONB_P(verify_digest(ledger_id, relid, get_rel_name(relid)));
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

	if (!creating_ledger_extension())
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
LedgerInfo *
create_builtin_info(Relation rel, HeapTuple tuple)
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
	ledger_info_forget(relid);
	info = ledger_info_lookup(rel);
	if (info == NULL)
		elog(ERROR, "could not register ledger \"%s\"", RelationGetRelationName(rel));
	return info;
}
