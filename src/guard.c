/*-------------------------------------------------------------------------
 *
 * guard.c
 *		Refusing what would rewrite history: UPDATE, DELETE, TRUNCATE, and
 *		DDL that changes how stored rows hash.
 *
 * UPDATE, DELETE and TRUNCATE meet a BEFORE ... FOR EACH STATEMENT trigger
 * (ENABLE ALWAYS, so session_replication_role does not switch it off).  DDL
 * is checked after the fact by event triggers (sql/install/10_ledger.sql)
 * that call ledger._check_ledger(): the columns, in attribute order, must
 * still start with the names and types recorded at creation (new nullable
 * columns that are NULL in every row may be appended), the ledger's
 * triggers must exist and be enabled ALWAYS, the table must have no rules
 * and stay logged.  The error rolls the DDL back.  A superuser can switch
 * event triggers off; what that lets through is caught by ledger.verify.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "canon.h"
#include "table.h"

PG_FUNCTION_INFO_V1(ledger_refuse_change);
PG_FUNCTION_INFO_V1(ledger_check_ledger);

/*
 * ledger.refuse_change() RETURNS trigger
 *
 * BEFORE UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on every ledger.
 */
Datum
ledger_refuse_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	const char *verb;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.refuse_change\" was not called by the trigger manager")));
	rel = trigdata->tg_relation;
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		verb = "update rows of";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		verb = "delete rows from";
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		verb = "truncate";
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.refuse_change\" must be fired for UPDATE, DELETE or TRUNCATE")));

	ereport(ERROR,
			(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
			 errmsg("cannot %s ledger table \"%s\"", verb, RelationGetRelationName(rel)),
			 errdetail("Ledger tables are append-only: recorded rows are never changed or removed."),
			 errhint("Insert a correcting entry instead."),
			 errtableconstraint(rel, psprintf("%s_append_only", RelationGetRelationName(rel)))));
	PG_RETURN_NULL();
}

/* Refuse a DDL change with a uniform message. */
static void
guard_refuse(const char *relname, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot alter ledger table \"%s\" this way", relname),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

typedef struct ShapeArgs
{
	Oid			relid;
	ArrayType  *shape;
} ShapeArgs;

/* Record a ledger's new shape (as owner). */
static void
guard_store_shape(void *varg)
{
	ShapeArgs  *a = varg;
	Datum		arg[2];
	Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};

	arg[0] = ObjectIdGetDatum(a->relid);
	arg[1] = PointerGetDatum(a->shape);
	if (SPI_execute_with_args("UPDATE ledger.ledgers SET shape = $2 "
							  "WHERE relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  2, argtypes, arg, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update ledger shape");
}

/*
 * ledger._check_ledger(tbl regclass, require_triggers bool) RETURNS void
 *
 * Called by the extension's event triggers after DDL; raises an error (and
 * so rolls the DDL back) when the ledger could no longer be verified.  The
 * ledger's triggers must never be disabled or renamed; that they exist at
 * all is only required after a DROP (require_triggers), because pg_restore
 * recreates them one statement at a time.
 */
Datum
ledger_check_ledger(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		require_triggers = PG_GETARG_BOOL(1);
	Relation	rel;
	char	   *relname;
	ArrayType  *cur;
	Datum	   *cur_elems;
	int			ncur;
	Datum	   *old_elems;
	int			nold;
	Datum		arg[2];
	Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};
	bool		isnull;
	int			ret;
	int			i;
	uint64		k;
	bool		has_row = false;
	bool		has_guard = false;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		PG_RETURN_VOID();		/* dropped; the sql_drop trigger decides */
	relname = pstrdup(RelationGetRelationName(rel));

	if (rel->rd_rel->relhasrules)
		guard_refuse(relname, "Rules could divert inserts around the ledger.", "Drop the rule.");
	if (rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		guard_refuse(relname, "Unlogged tables lose rows in a crash.", "Keep the table logged.");

	cur = canon_shape(RelationGetDescr(rel));
	deconstruct_array(cur, TEXTOID, -1, false, TYPALIGN_INT, &cur_elems, NULL, &ncur);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	arg[0] = ObjectIdGetDatum(relid);
	ret = SPI_execute_with_args("SELECT shape FROM ledger.ledgers "
								"WHERE relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
								1, argtypes, arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.ledgers: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
	{
		SPI_finish();
		relation_close(rel, AccessShareLock);
		PG_RETURN_VOID();		/* not a ledger */
	}
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
					  TEXTOID, -1, false, TYPALIGN_INT, &old_elems, NULL, &nold);

	for (i = 0; i < nold; i++)
	{
		char	   *o = TextDatumGetCString(old_elems[i]);

		if (i >= ncur)
			guard_refuse(relname,
						 psprintf("Column \"%s\" would be removed; stored rows are hashed with it.", o),
						 "Ledger columns can be added but never dropped.");
		if (strcmp(o, TextDatumGetCString(cur_elems[i])) != 0)
		{
			char	   *ocolon = strrchr(o, ':');
			char	   *oname = pnstrdup(o, ocolon - o);
			char	   *now = NULL;
			int			j;

			/*
			 * the same column name elsewhere: a retype; absent: drop or
			 * rename
			 */
			for (j = 0; j < ncur; j++)
			{
				char	   *c = TextDatumGetCString(cur_elems[j]);
				char	   *ccolon = strrchr(c, ':');

				if (ccolon - c == ocolon - o && strncmp(c, o, ocolon - o) == 0)
					now = ccolon + 1;
			}
			if (now != NULL)
				guard_refuse(relname,
							 psprintf("Column \"%s\" would change type from %s to %s; stored rows are hashed with the column's type.",
									  oname, ocolon + 1, now),
							 "Add a new column instead of retyping one.");
			else
				guard_refuse(relname,
							 psprintf("Column \"%s\" (%s) would be dropped or renamed; stored rows are hashed with the column's name.",
									  oname, ocolon + 1),
							 "Ledger columns can be added but never dropped or renamed.");
		}
	}
	for (i = nold; i < ncur; i++)
	{
		char	   *c = TextDatumGetCString(cur_elems[i]);
		char	   *colon = strrchr(c, ':');
		char	   *colname = pnstrdup(c, colon - c);
		char	   *sql;
		int			attno = get_attnum(relid, colname);

		if (attno == InvalidAttrNumber ||
			canon_type_tag(get_atttype(relid, attno)) == 0)
			guard_refuse(relname,
						 psprintf("New column \"%s\" has a type a ledger cannot hash.", colname),
						 NULL);
		sql = psprintf("SELECT 1 FROM %s WHERE %s IS NOT NULL LIMIT 1",
					   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), relname),
					   quote_identifier(colname));
		if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not check new column");
		if (SPI_processed > 0)
			guard_refuse(relname,
						 psprintf("New column \"%s\" would give stored rows a value they were not hashed with.", colname),
						 "Add the column without a default, so that stored rows hold NULL in it.");
	}

	/* the ledger's triggers, present and enabled ALWAYS */
	ret = SPI_execute_with_args("SELECT t.tgname::pg_catalog.text, t.tgenabled::pg_catalog.text, "
								"p.proname::pg_catalog.text FROM pg_catalog.pg_trigger t "
								"JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid "
								"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace "
								"WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 "
								"AND n.nspname OPERATOR(pg_catalog.=) 'ledger'",
								1, argtypes, arg, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_trigger");
	for (k = 0; k < SPI_processed; k++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1);
		char	   *enabled = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2);
		char	   *func = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 3);
		const char *expect;

		if (strcmp(func, "row_trigger") == 0)
		{
			expect = "zz_ledger_row";
			has_row = true;
		}
		else if (strcmp(func, "refuse_change") == 0)
		{
			expect = "ledger_append_only";
			has_guard = true;
		}
		else
			continue;
		if (strcmp(name, expect) != 0)
			guard_refuse(relname,
						 psprintf("The ledger's trigger \"%s\" would be called \"%s\".", expect, name),
						 "Leave the ledger's triggers as ledger.create_ledger() made them.");
		/* 'A' (always) as created; 'O' while pg_restore recreates it */
		if (strcmp(enabled, "A") != 0 && strcmp(enabled, "O") != 0)
			guard_refuse(relname,
						 psprintf("The ledger's trigger \"%s\" would be disabled or fire only in replica mode.", name),
						 "Leave the ledger's triggers enabled.");
	}
	if (require_triggers && (!has_row || !has_guard))
		guard_refuse(relname,
					 psprintf("The ledger's trigger \"%s\" would be dropped.",
							  has_row ? "ledger_append_only" : "zz_ledger_row"),
					 "Leave the ledger's triggers as ledger.create_ledger() made them.");

	if (ncur > nold)
	{
		/* remember the appended columns */
		ShapeArgs	sa;

		sa.relid = relid;
		sa.shape = cur;
		ledger_as_owner(guard_store_shape, &sa);
	}
	SPI_finish();
	relation_close(rel, AccessShareLock);
	PG_RETURN_VOID();
}
