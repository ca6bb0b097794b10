/*-------------------------------------------------------------------------
 *
 * sync.c
 *		Sync between institutions: publications of ledgers at their origin,
 *		subscriptions at a peer whose first copy is verified like the stream
 *		that follows it.
 *
 * ledger.create_publication() publishes ledgers with exactly the catalog
 * rows a peer needs (ledgers, transactions, blocks, filtered on ledger_id),
 * for inserts, updates, deletes and truncates, so that tampering at the
 * origin travels and is refused on arrival (replica.c); with them go the
 * ledgers' checkpoints and every checkpoint signature this institution
 * made (its own and its cosignatures of other institutions' ledgers),
 * checked on arrival by sql/install/60_checkpoints.sql.
 *
 * ledger.create_subscription() opens a replication connection to the
 * origin, creates the subscription's slot there with its snapshot
 * (CRS_USE_SNAPSHOT, as a table synchronization worker does), and under that
 * snapshot reads each published ledger: its definition, rows, transaction
 * records and blocks.  It creates (or checks) the replica tables, registers
 * them as replicas (same uuid and ledger_id as the origin's), and inserts
 * what it read in the origin's order with the replica checks on: each row's
 * hash, each transaction's rows against its record, each block against its
 * transactions, the chain and the history tree; then the checkpoints and
 * checkpoint signatures, checked as they arrive.  Then it creates the
 * subscription on that slot without a copy of its own: the stream starts
 * exactly where the snapshot ends, so nothing is missed or applied twice.
 * The logical replication's own table copy is not used: it copies each table
 * apart, under different snapshots, which the per-transaction checks cannot
 * follow.
 *
 * ledger.resync_subscription() does the same for a subscription that exists
 * (its slot was lost, or ledgers were added to the publication): what the
 * replica holds must be exactly what the origin holds (a different record or
 * block at the same place is equivocation, refused and reported); the rest
 * is copied and verified.  ledger.drop_subscription() drops the
 * subscription and its slot, and keeps the replicas read-only.
 *
 * All of this runs in the caller's transaction, except the slot at the
 * origin: a failure drops the slot it created.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/genam.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_subscription.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "replication/walreceiver.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/dest.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "canon.h"
#include "catalog.h"
#include "compat.h"
#include "create.h"
#include "replica.h"
#include "signed.h"

PG_FUNCTION_INFO_V1(ledger_shape);
PG_FUNCTION_INFO_V1(ledger_create_publication);
PG_FUNCTION_INFO_V1(ledger_add_to_publication);
PG_FUNCTION_INFO_V1(ledger_remove_from_publication);
PG_FUNCTION_INFO_V1(ledger_create_subscription);
PG_FUNCTION_INFO_V1(ledger_resync_subscription);
PG_FUNCTION_INFO_V1(ledger_drop_subscription);

/* Most ledgers one publication may carry (each is in its row filters). */
#define SYNC_MAX_LEDGERS 10000

/* A ledger as the origin describes it. */
typedef struct RemoteLedger
{
	int64		ledger_id;
	char	   *uuid;
	char	   *schema;
	char	   *relname;
	char	   *name;
	char	   *shape;			/* text[] literal of ledger._shape() */
	int			format;
	char	   *created_at;
	char	   *created_by;
	char	   *pkey;			/* quoted, comma-separated; NULL if none */
	bool		is_replica;		/* at the origin: then it cannot publish it */
	bool		is_signed;
	char	   *sig_attname;	/* signed: its signature column */
	char	   *key_attname;	/* signed: its key column */
	char	   *required_at;	/* signed: since when, and by whom */
	char	   *required_by;
} RemoteLedger;

/* ---------- small helpers ---------- */

static void
sync_require_superuser(const char *what)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser to %s", what),
				 errdetail("Publications and subscriptions of ledgers publish or write the extension's catalog.")));
}

/* A name argument, which must not be NULL or empty. */
static char *
sync_name_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *s;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	s = pstrdup(NameStr(*PG_GETARG_NAME(argno)));
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	return s;
}

/* Run one SPI command built with psprintf; ERROR unless it returns expected. */
static void
sync_spi(int expected, const char *sql)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret != expected)
		elog(ERROR, "SPI_execute of \"%s\" failed: %s", sql, SPI_result_code_string(ret));
}

/* A quoted schema.table */
static char *
sync_qname(const char *schema, const char *relname)
{
	return quote_qualified_identifier(schema, relname);
}

/* ---------- ledger._shape ---------- */

/*
 * ledger._shape(tbl regclass) RETURNS text[]
 */
Datum
ledger_shape(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	ArrayType  *shape;

	ledger_relation_must_exist(relid);
	rel = relation_open(relid, AccessShareLock);
	shape = canon_shape(RelationGetDescr(rel));
	relation_close(rel, AccessShareLock);
	PG_RETURN_ARRAYTYPE_P(shape);
}

/* ---------- publications (origin) ---------- */

/* The ledger tables of an array argument: checked, deduplicated ids. */
static int
sync_ledger_tables(ArrayType *arr, Oid **relids_out, int64 **ids_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			j;
	Oid		   *relids;
	int64	   *ids;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("tables must be a one-dimensional array")));
	deconstruct_array(arr, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tables must name at least one ledger")));
	if (n > SYNC_MAX_LEDGERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a publication of ledgers can carry at most %d ledgers", SYNC_MAX_LEDGERS),
				 errhint("Use several publications.")));
	relids = palloc(sizeof(Oid) * n);
	ids = palloc(sizeof(int64) * n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("tables must not contain NULL")));
		relids[i] = DatumGetObjectId(elems[i]);
		ledger_relation_must_exist(relids[i]);
		ids[i] = ledger_id_for_relation(relids[i], false);
		if (ledger_id_is_replica(ids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot publish ledger \"%s\": it is a replica", get_rel_name(relids[i])),
					 errdetail("Each institution publishes the ledgers it writes; a peer subscribes to the origin of each ledger."),
					 errhint("Have the peer subscribe to the ledger's origin.")));
		for (j = 0; j < i; j++)
			if (relids[j] == relids[i])
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("ledger \"%s\" is listed twice", get_rel_name(relids[i]))));
	}
	*relids_out = relids;
	*ids_out = ids;
	return n;
}

/*
 * The checkpoint signatures a ledger publication carries (a row filter, and
 * the initial copy's condition; its %s: the ledger ids): those made here
 * (signed_here) of the ledgers it carries, and every cosignature made here
 * of another institution's checkpoint (the note's first line, before its
 * first "/", names the origin; an institution name holds no "/"), which
 * travels to the origin and the ledger's other peers through this
 * institution's publications, whichever ledgers they carry.  Until
 * 2026-12-06 every publication carried every signature made here, also of
 * this institution's ledgers it does not carry: a peer that replicates one
 * ledger received the history size and root of all the others, over time,
 * and kept them in ledger.checkpoint_signatures, which every role there may
 * read (test/t/515_privilege_leaks.pl).
 */
#define SYNC_SIGNATURES_PUBLISHED \
	"signed_here AND (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[]) " \
	"OR pg_catalog.split_part(note, '/', 1) OPERATOR(pg_catalog.<>) institution)"

/*
 * The table list of a ledger publication: the ledgers, then the catalog
 * tables filtered on their ids.
 */
static char *
sync_publication_tables(Oid *relids, int64 *ids, int n)
{
	StringInfoData list;
	StringInfoData in;
	int			i;

	initStringInfo(&in);
	for (i = 0; i < n; i++)
		appendStringInfo(&in, "%s" INT64_FORMAT, i > 0 ? ", " : "", ids[i]);
	initStringInfo(&list);
	for (i = 0; i < n; i++)
		appendStringInfo(&list, "%s, ",
						 sync_qname(get_namespace_name(get_rel_namespace(relids[i])),
									get_rel_name(relids[i])));
	appendStringInfo(&list,
					 "ledger.ledgers WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])), "
					 "ledger.transactions WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])), "
					 "ledger.blocks WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[]))",
					 in.data, in.data, in.data);

	/*
	 * checkpoints of these ledgers; the signatures made here of them, and
	 * every cosignature made here (SYNC_SIGNATURES_PUBLISHED)
	 */
	appendStringInfo(&list,
					 ", ledger.checkpoints WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])), "
					 "ledger.checkpoint_signatures WHERE (" SYNC_SIGNATURES_PUBLISHED ")",
					 in.data, in.data);

	/*
	 * signed ledgers: which they are, and the keys that may sign each
	 * (ledger.keys per ledger, src/signed.c)
	 */
	appendStringInfo(&list,
					 ", ledger.signed_ledgers WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])), "
					 "ledger.ledger_keys WHERE (ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[]))",
					 in.data, in.data);
	return list.data;
}

/*
 * The arguments of create_publication and add_to_publication, checked
 * (superuser; a name; ledgers that may be published); SPI is connected on
 * return.  Returns the number of ledgers.
 */
static int
sync_publication_args(FunctionCallInfo fcinfo, const char *what, char **pubname,
					  Oid **relids, int64 **ids)
{
	int			n;

	sync_require_superuser(what);
	*pubname = sync_name_arg(fcinfo, 0, "publication name");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tables must not be NULL")));
	n = sync_ledger_tables(PG_GETARG_ARRAYTYPE_P(1), relids, ids);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the keys that may sign the signed ones, published with them */
	signed_mirror_keys();
	return n;
}

/*
 * ledger.create_publication(pubname name, tables regclass[]) RETURNS void
 */
Datum
ledger_create_publication(PG_FUNCTION_ARGS)
{
	char	   *pubname;
	Oid		   *relids;
	int64	   *ids;
	int			n;
	int			i;

	n = sync_publication_args(fcinfo, "create a publication of ledgers", &pubname, &relids, &ids);
	/* a tampered origin's UPDATE and DELETE must travel, to be refused */
	for (i = 0; i < n; i++)
		create_replica_identity(relids[i],
								sync_qname(get_namespace_name(get_rel_namespace(relids[i])),
										   get_rel_name(relids[i])));
	sync_spi(SPI_OK_UTILITY,
			 psprintf("CREATE PUBLICATION %s FOR TABLE %s "
					  "WITH (publish = 'insert, update, delete, truncate')",
					  quote_identifier(pubname), sync_publication_tables(relids, ids, n)));
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * The catalog tables a publication of ledgers carries beside its ledgers
 * (sync_publication_tables) and a peer checks on arrival (catalog_guard,
 * the checkpoint guards).
 */
static const char *const sync_checked_catalog[] = {"ledgers", "transactions", "blocks", "checkpoints",
"checkpoint_signatures", "signed_ledgers", "ledger_keys"};

/* An oid[] Datum of relids[0..n-1] and the tables of sync_checked_catalog. */
static Datum
sync_relids_and_catalog(const Oid *relids, int n)
{
	int			nall = n + lengthof(sync_checked_catalog);
	Datum	   *all = palloc(sizeof(Datum) * nall);
	int			i;

	for (i = 0; i < n; i++)
		all[i] = ObjectIdGetDatum(relids[i]);
	for (i = 0; i < (int) lengthof(sync_checked_catalog); i++)
		all[n + i] = ObjectIdGetDatum(ledger_catalog_relid(sync_checked_catalog[i]));
	return PointerGetDatum(construct_array(all, nall, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

static void sync_publication_only_ours(const char *pubname);

/*
 * The ledgers a publication made by create_publication carries (SPI
 * connected): their tables and ids, in palloc'd arrays with room for
 * "extra" more.  Returns their number.  ERROR if it carries anything else
 * (sync_publication_only_ours).
 */
static int
sync_publication_ledgers(const char *pubname, int extra, Oid **relids, int64 **ids)
{
	Datum		arg = CStringGetTextDatum(pubname);
	Oid			argtype = TEXTOID;
	bool		isnull;
	int			n;
	int			nledgers = 0;
	uint64		i;

	if (SPI_execute_with_args("SELECT g.relation::pg_catalog.oid, g.ledger_id, "
							  "EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel r2 "
							  "        JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r2.prrelid "
							  "        JOIN pg_catalog.pg_namespace s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace "
							  "        WHERE r2.prpubid OPERATOR(pg_catalog.=) p.oid "
							  "          AND s.nspname OPERATOR(pg_catalog.=) 'ledger' "
							  "          AND c.relname OPERATOR(pg_catalog.=) 'transactions') "
							  "FROM pg_catalog.pg_publication p "
							  "LEFT JOIN pg_catalog.pg_publication_rel r ON r.prpubid OPERATOR(pg_catalog.=) p.oid "
							  "LEFT JOIN ledger.ledgers g ON g.relation OPERATOR(pg_catalog.=) r.prrelid "
							  "WHERE p.pubname OPERATOR(pg_catalog.=) $1::pg_catalog.name",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_publication");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("publication \"%s\" does not exist", pubname)));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" was not made by ledger.create_publication()", pubname),
				 errhint("Make a publication of ledgers with ledger.create_publication().")));
	n = (int) SPI_processed;
	*relids = palloc(sizeof(Oid) * (n + extra));
	*ids = palloc(sizeof(int64) * (n + extra));
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		r = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			continue;			/* a catalog table */
		(*relids)[nledgers] = DatumGetObjectId(r);
		(*ids)[nledgers] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		nledgers++;
	}
	sync_publication_only_ours(pubname);
	return nledgers;
}

/*
 * add_to_publication and remove_from_publication rewrite a publication's
 * list (ALTER PUBLICATION ... SET TABLE, the only way to change the row
 * filters of its catalog tables), which drops whatever else it carries: a
 * schema added by hand (FOR TABLES IN SCHEMA), or a table that is neither
 * a ledger nor ledger's catalog.  Refused, naming the first, rather than
 * taken out of the publication without a word.  (A peer's
 * create_subscription refuses such a publication anyway:
 * sync_check_subscribed.)
 */
static void
sync_publication_only_ours(const char *pubname)
{
	Datum		args[2];
	Oid			types[2] = {TEXTOID, OIDARRAYOID};
	bool		isschema;
	bool		isnull;
	char	   *what;
	char	   *sqlname;

	args[0] = CStringGetTextDatum(pubname);
	args[1] = sync_relids_and_catalog(NULL, 0);
	if (SPI_execute_with_args("SELECT x.isschema, x.what, x.sqlname FROM pg_catalog.pg_publication p, LATERAL ("
							  "  SELECT true AS isschema, s.nspname::pg_catalog.text AS what, "
							  "         pg_catalog.quote_ident(s.nspname) AS sqlname "
							  "  FROM pg_catalog.pg_publication_namespace pn "
							  "  JOIN pg_catalog.pg_namespace s ON s.oid OPERATOR(pg_catalog.=) pn.pnnspid "
							  "  WHERE pn.pnpubid OPERATOR(pg_catalog.=) p.oid "
							  "  UNION ALL "
							  "  SELECT false, r.prrelid::pg_catalog.regclass::pg_catalog.text, "
							  "         r.prrelid::pg_catalog.regclass::pg_catalog.text "
							  "  FROM pg_catalog.pg_publication_rel r "
							  "  WHERE r.prpubid OPERATOR(pg_catalog.=) p.oid "
							  "  AND r.prrelid OPERATOR(pg_catalog.<>) ALL ($2) "
							  "  AND NOT EXISTS (SELECT 1 FROM ledger.ledgers g "
							  "                  WHERE g.relation OPERATOR(pg_catalog.=) r.prrelid)) x "
							  "WHERE p.pubname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "ORDER BY 1 DESC, 2 LIMIT 1",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_publication");
	if (SPI_processed == 0)
		return;
	isschema = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	what = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	sqlname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("publication \"%s\" carries %s \"%s\", which is neither one of its ledgers nor ledger's catalog",
					pubname, isschema ? "schema" : "table", what),
			 errdetail("Changing the publication's ledgers rewrites its table list, which would take that %s out of it; peers cannot subscribe to the publication while it carries it.",
					   isschema ? "schema" : "table"),
			 isschema ?
			 errhint("Take the schema out first: ALTER PUBLICATION %s DROP TABLES IN SCHEMA %s; and publish it in a publication of its own.",
					 quote_identifier(pubname), sqlname) :
			 errhint("Take the table out first: ALTER PUBLICATION %s DROP TABLE %s; and publish it in a publication of its own.",
					 quote_identifier(pubname), sqlname)));
}

/*
 * ledger.add_to_publication(pubname name, tables regclass[]) RETURNS void
 */
Datum
ledger_add_to_publication(PG_FUNCTION_ARGS)
{
	char	   *pubname;
	Oid		   *relids;
	int64	   *ids;
	int			n;
	int			i;
	Oid		   *all_relids;
	int64	   *all_ids;
	int			nall;

	n = sync_publication_args(fcinfo, "alter a publication of ledgers", &pubname, &relids, &ids);
	/* the ledgers it carries already */
	nall = sync_publication_ledgers(pubname, n, &all_relids, &all_ids);
	for (i = 0; i < n; i++)
	{
		int			j;

		for (j = 0; j < nall; j++)
			if (all_relids[j] == relids[i])
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("publication \"%s\" carries ledger \"%s\" already",
								pubname, get_rel_name(relids[i]))));
		all_relids[nall] = relids[i];
		all_ids[nall] = ids[i];
		nall++;
	}
	if (nall > SYNC_MAX_LEDGERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a publication of ledgers can carry at most %d ledgers", SYNC_MAX_LEDGERS),
				 errhint("Use several publications.")));
	/* a tampered origin's UPDATE and DELETE must travel, to be refused */
	for (i = 0; i < n; i++)
		create_replica_identity(relids[i],
								sync_qname(get_namespace_name(get_rel_namespace(relids[i])),
										   get_rel_name(relids[i])));
	sync_spi(SPI_OK_UTILITY,
			 psprintf("ALTER PUBLICATION %s SET TABLE %s", quote_identifier(pubname),
					  sync_publication_tables(all_relids, all_ids, nall)));
	SPI_finish();

	/*
	 * A peer's subscription stops at the first change of a table it does not
	 * hold: PostgreSQL's apply worker looks the table up by name before it
	 * skips one it did not subscribe (test/t/140, test/t/575).  The origin
	 * cannot tell which peers stream the publication; say it here.
	 */
	ereport(NOTICE,
			(errmsg("peers subscribed to publication \"%s\" must resync before the new ledgers are written",
					pubname),
			 errdetail("A peer's subscription stops, with every ledger of it, at the first change of a ledger it does not hold yet."),
			 errhint("At each peer, run ledger.resync_subscription() for its subscription to this publication.")));
	PG_RETURN_VOID();
}

/*
 * ledger.remove_from_publication(pubname name, tables regclass[]) RETURNS void
 *
 * The publication stops carrying these ledgers and their catalog rows:
 * what happens to them from now on (above all ledger.drop_ledger, whose
 * deletions a peer would refuse) no longer reaches the peers, which keep
 * their replicas as they are, read-only and verifiable.
 */
Datum
ledger_remove_from_publication(PG_FUNCTION_ARGS)
{
	char	   *pubname;
	Oid		   *relids;
	int64	   *ids;
	int			n;
	int			i;
	Oid		   *all_relids;
	int64	   *all_ids;
	int			nall;
	int			nkeep = 0;

	n = sync_publication_args(fcinfo, "alter a publication of ledgers", &pubname, &relids, &ids);
	nall = sync_publication_ledgers(pubname, 0, &all_relids, &all_ids);
	for (i = 0; i < n; i++)
	{
		int			j;

		for (j = 0; j < nall && all_relids[j] != relids[i]; j++)
			;
		if (j == nall)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("publication \"%s\" does not carry ledger \"%s\"",
							pubname, get_rel_name(relids[i]))));
	}
	for (i = 0; i < nall; i++)
	{
		int			j;

		for (j = 0; j < n && relids[j] != all_relids[i]; j++)
			;
		if (j == n)
		{
			all_relids[nkeep] = all_relids[i];
			all_ids[nkeep] = all_ids[i];
			nkeep++;
		}
	}
	if (nkeep == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" would carry no ledger", pubname),
				 errhint("Drop the publication instead (DROP PUBLICATION), once its peers have dropped their subscriptions with ledger.drop_subscription().")));
	sync_spi(SPI_OK_UTILITY,
			 psprintf("ALTER PUBLICATION %s SET TABLE %s", quote_identifier(pubname),
					  sync_publication_tables(all_relids, all_ids, nkeep)));
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---------- the replication connection to the origin ---------- */

typedef struct SyncConn
{
	WalReceiverConn *wrconn;
	char	   *conninfo;
	char	   *appname;
	char	   *slot;			/* the slot this call created, or NULL */
	bool		in_xact;		/* remote transaction open */
} SyncConn;

/* PostgreSQL's libpqwalreceiver, which the connections to the origin use. */
static void
sync_load_walrcv(void)
{
	load_file("libpqwalreceiver", false);
	if (WalReceiverFunctions == NULL)
		elog(ERROR, "libpqwalreceiver did not initialize");
}

/*
 * A slot this backend meant to drop at the origin is left there: a WARNING
 * naming it, since it keeps WAL there until dropped.  unreachable: the
 * origin could not be reached, else it refused; why: its message.
 */
static void
sync_warn_slot_left(const char *slot, bool unreachable, const char *why)
{
	if (unreachable)
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not drop replication slot \"%s\" at the origin: could not connect to the origin: %s",
						slot, why ? why : "unknown error"),
				 errhint("Drop it there, or it keeps WAL: SELECT pg_drop_replication_slot('%s');", slot)));
	else
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_EXCEPTION),
				 errmsg("could not drop replication slot \"%s\" at the origin: %s",
						slot, why ? why : "unexpected result"),
				 errhint("Drop it there, or it keeps WAL: SELECT pg_drop_replication_slot('%s');", slot)));
}

static void
sync_connect(SyncConn *sc, const char *conninfo, const char *appname)
{
	char	   *err = NULL;

	sync_load_walrcv();
	ledger_walrcv_check_conninfo(conninfo);
	sc->conninfo = pstrdup(conninfo);
	sc->appname = pstrdup(appname);
	sc->slot = NULL;
	sc->in_xact = false;
	sc->wrconn = ledger_walrcv_connect(conninfo, true, appname, &err);
	if (sc->wrconn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not connect to the origin: %s", err ? err : "unknown error"),
				 errhint("The connection string needs a role with the REPLICATION attribute and SELECT on the published ledgers.")));
}

/* Run a query at the origin; all columns come back as text. */
static WalRcvExecResult *
sync_remote(SyncConn *sc, const char *sql, int ncols)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(ncols, 1));
	WalRcvExecResult *res;
	int			i;

	for (i = 0; i < ncols; i++)
		types[i] = TEXTOID;
	res = walrcv_exec(sc->wrconn, sql, ncols, types);
	if (res->status != (ncols > 0 ? WALRCV_OK_TUPLES : WALRCV_OK_COMMAND))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_EXCEPTION),
				 errmsg("query at the origin failed: %s", res->err ? res->err : "unexpected result"),
				 errdetail_internal("Query: %s", sql)));
	return res;
}

/*
 * Drop a slot at the origin if it exists, without an error for what fails
 * there: returns NULL once the slot is gone, else the origin's message.  An
 * error of this backend (a query cancel, statement_timeout while the origin
 * is slow) is raised as usual.
 */
static char *
sync_try_drop_remote_slot(SyncConn *sc, const char *slot)
{
	Oid			types[1] = {TEXTOID};
	WalRcvExecResult *res;
	char	   *err = NULL;
	bool		exists;

	res = walrcv_exec(sc->wrconn,
					  psprintf("SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name OPERATOR(pg_catalog.=) %s",
							   quote_literal_cstr(slot)), 1, types);
	if (res->status != WALRCV_OK_TUPLES)
		err = pstrdup(res->err ? res->err : "unexpected result");
	exists = err == NULL && tuplestore_tuple_count(res->tuplestore) > 0;
	walrcv_clear_result(res);
	if (!exists)
		return err;
	res = walrcv_exec(sc->wrconn, psprintf("DROP_REPLICATION_SLOT %s WAIT", quote_identifier(slot)), 0, NULL);
	if (res->status != WALRCV_OK_COMMAND)
		err = pstrdup(res->err ? res->err : "unexpected result");
	walrcv_clear_result(res);
	return err;
}

/* Drop a slot at the origin if it exists; ERROR if the origin refuses. */
static void
sync_drop_remote_slot(SyncConn *sc, const char *slot)
{
	char	   *err = sync_try_drop_remote_slot(sc, slot);

	if (err != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_EXCEPTION),
				 errmsg("query at the origin failed: %s", err),
				 errdetail_internal("Dropping replication slot \"%s\".", slot)));
}

/* What is being done at the origin, for the context of an error there. */
static void
sync_abandon_context(void *arg)
{
	errcontext("while dropping replication slot \"%s\" at the origin after an error", (const char *) arg);
}

/*
 * After an error: end the remote transaction, drop the slot made,
 * disconnect.  What fails at the origin is reported as a WARNING (the first
 * error is the one to raise); an error of this backend here (a query cancel
 * while the origin does not answer) is raised instead of the first one,
 * after the connection is closed.  Nothing is caught: this runs in the
 * PG_CATCH of an error being raised, and FlushErrorState() there would
 * also discard that error.
 */
static void
sync_abandon(SyncConn *sc)
{
	ErrorContextCallback errcallback;

	if (sc->wrconn == NULL)
		return;
	errcallback.callback = sync_abandon_context;
	errcallback.arg = sc->slot;
	errcallback.previous = error_context_stack;
	if (sc->slot != NULL)
		error_context_stack = &errcallback;
	PG_TRY();
	{
		bool		usable = true;

		if (sc->in_xact)
		{
			WalRcvExecResult *res = walrcv_exec(sc->wrconn, "ROLLBACK", 0, NULL);

			usable = res->status == WALRCV_OK_COMMAND;
			walrcv_clear_result(res);
		}

		/*
		 * The connection is busy with the query the error interrupted (a
		 * statement_timeout while the origin was slow), or lost: the slot is
		 * dropped over a new one.  It is not in use: the walsender that made
		 * it released it once made.
		 */
		if (!usable && sc->slot != NULL)
		{
			char	   *err = NULL;

			walrcv_disconnect(sc->wrconn);
			sc->wrconn = NULL;
			sc->wrconn = ledger_walrcv_connect(sc->conninfo, true, sc->appname, &err);
			if (sc->wrconn == NULL)
				sync_warn_slot_left(sc->slot, true, err);
		}
		if (sc->slot != NULL && sc->wrconn != NULL)
		{
			WalRcvExecResult *res;

			res = walrcv_exec(sc->wrconn,
							  psprintf("DROP_REPLICATION_SLOT %s", quote_identifier(sc->slot)),
							  0, NULL);
			if (res->status != WALRCV_OK_COMMAND)
				sync_warn_slot_left(sc->slot, false, res->err);
			walrcv_clear_result(res);
		}
	}
	PG_CATCH();
	{
		error_context_stack = errcallback.previous;
		if (sc->wrconn != NULL)
			walrcv_disconnect(sc->wrconn);
		sc->wrconn = NULL;
		PG_RE_THROW();
	}
	PG_END_TRY();
	error_context_stack = errcallback.previous;
	if (sc->wrconn != NULL)
		walrcv_disconnect(sc->wrconn);
	sc->wrconn = NULL;
}

/* Text of column col (1-based) of the slot's tuple, or NULL. */
static char *
sync_col(TupleTableSlot *slot, int col)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Text of column col (1-based) of the slot's tuple, which the origin's
 * catalog holds no NULL in; an ERROR naming what (of what, "what") if it is
 * NULL.  A tampered origin (a superuser there replaced ledger._shape, or took
 * NOT NULL off a catalog column) sends NULL anywhere; read as a string, it
 * crashed this backend, and the postmaster restarted every session (found
 * by gcc -fanalyzer on 2026-12-07).
 */
static char *
sync_col_req(TupleTableSlot *slot, int col, const char *of, const char *what)
{
	char	   *s = sync_col(slot, col);

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the origin sent %s without its %s", of, what),
				 errdetail("The origin's catalog holds no NULL there: its database was changed around the extension.")));
	return s;
}

/* ---------- what the origin publishes ---------- */

/*
 * Whether the origin's publication pubname carries every one of the
 * extension's tables named in the array literal tables (count names).
 */
static bool
sync_remote_publishes(SyncConn *sc, const char *pubname, const char *tables, int count)
{
	WalRcvExecResult *res;
	TupleTableSlot *slot;
	bool		all;

	res = sync_remote(sc, psprintf("SELECT pg_catalog.count(*) FROM pg_catalog.pg_publication_tables "
								   "WHERE pubname OPERATOR(pg_catalog.=) %s "
								   "AND schemaname OPERATOR(pg_catalog.=) 'ledger' "
								   "AND tablename OPERATOR(pg_catalog.=) ANY (%s)",
								   quote_literal_cstr(pubname), quote_literal_cstr(tables)), 1);
	slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
	all = tuplestore_gettupleslot(res->tuplestore, true, false, slot) &&
		strcmp(sync_col_req(slot, 1, "the count of a publication's tables", "count"),
			   psprintf("%d", count)) == 0;
	ExecDropSingleTupleTableSlot(slot);
	walrcv_clear_result(res);
	return all;
}

/*
 * PostgreSQL makes a logical replication slot only once every transaction
 * running at the origin (in any of its databases) has ended, prepared ones
 * included (the snapshot builder waits for them).  A prepared transaction
 * that its transaction manager left behind would make create_subscription
 * and resync_subscription wait without end, and a resync whose wait a
 * cancel or statement_timeout ended had already dropped the subscription's
 * slot: nothing streamed any more.  Refused from the first look instead,
 * before a slot is dropped or made, once one of the transactions prepared
 * there at the first look has stayed prepared for SYNC_PREPARED_GRACE_MS:
 * a transaction manager's two-phase commits end within it and are waited
 * for, and those prepared after the first look are not counted (an origin
 * busy with two-phase commits always has a young one).
 */
#define SYNC_PREPARED_GRACE_MS 5000

static void
sync_check_no_prepared(SyncConn *sc, const char *what)
{
	WalRcvExecResult *res;
	TupleTableSlot *slot;
	char	   *first = NULL;

	for (;;)
	{
		res = sync_remote(sc, psprintf("SELECT gid, prepared::pg_catalog.text, database::pg_catalog.text, "
									   "(pg_catalog.count(*) OVER ())::pg_catalog.text, "
									   "(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) prepared "
									   "OPERATOR(pg_catalog.>=) pg_catalog.make_interval(secs => %d))::pg_catalog.text, "
									   "pg_catalog.clock_timestamp()::pg_catalog.text "
									   "FROM pg_catalog.pg_prepared_xacts %s ORDER BY prepared LIMIT 1",
									   SYNC_PREPARED_GRACE_MS / 1000,
									   first ? psprintf("WHERE prepared OPERATOR(pg_catalog.<=) %s::pg_catalog.timestamptz",
														quote_literal_cstr(first)) : ""),
						  6);
		slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
		if (!tuplestore_gettupleslot(res->tuplestore, true, false, slot) ||
			strcmp(sync_col_req(slot, 5, "a prepared transaction", "age"), "true") == 0)
			break;
		if (first == NULL)
			first = sync_col_req(slot, 6, "a prepared transaction", "clock");
		ExecDropSingleTupleTableSlot(slot);
		walrcv_clear_result(res);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (!TTS_EMPTY(slot))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the origin holds prepared transaction \"%s\", which a new replication slot would wait for",
						sync_col(slot, 1)),
				 errdetail("It was prepared at %s in database \"%s\" (%s prepared transactions at the origin).  "
						   "PostgreSQL makes a logical replication slot only once every transaction running at the origin has ended, prepared ones included.",
						   sync_col(slot, 2), sync_col(slot, 3), sync_col(slot, 4)),
				 errhint("End it at the origin with COMMIT PREPARED or ROLLBACK PREPARED, then call %s again.", what)));
	ExecDropSingleTupleTableSlot(slot);
	walrcv_clear_result(res);
}

static List *
sync_remote_ledgers(SyncConn *sc, const char *pubname)
{
	WalRcvExecResult *res;
	TupleTableSlot *slot;
	List	   *out = NIL;
	char	   *version;
	char	   *of;
	bool		any_signed = false;

	res = sync_remote(sc, "SELECT extversion FROM pg_catalog.pg_extension "
					  "WHERE extname OPERATOR(pg_catalog.=) 'ledger'", 1);
	slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
	if (!tuplestore_gettupleslot(res->tuplestore, true, false, slot))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the origin's database has no extension \"ledger\"")));
	version = sync_col_req(slot, 1, "extension \"ledger\"", "version");
	if (strcmp(version, LEDGER_CATALOG_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the origin has extension \"ledger\" at version %s, this database at %s",
						version, LEDGER_CATALOG_VERSION),
				 errhint("Update the extension so that both are at the same version.")));
	ExecDropSingleTupleTableSlot(slot);
	walrcv_clear_result(res);

	if (!sync_remote_publishes(sc, pubname, "{ledgers,transactions,blocks}", 3))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" at the origin is not a publication of ledgers", pubname),
				 errhint("Make it at the origin with ledger.create_publication().")));

	res = sync_remote(sc, psprintf(
								   "SELECT l.ledger_id::pg_catalog.text, l.ledger_uuid::pg_catalog.text, n.nspname::pg_catalog.text, "
								   "c.relname::pg_catalog.text, l.name, ledger._shape(c.oid)::pg_catalog.text, "
								   "l.format_version::pg_catalog.text, l.created_at::pg_catalog.text, l.created_by::pg_catalog.text, "
								   "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ',' ORDER BY k.ord) "
								   "   FROM pg_catalog.pg_index i, pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord), "
								   "        pg_catalog.pg_attribute a "
								   "  WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid AND i.indisprimary "
								   "    AND a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.=) k.attnum), "
								   "EXISTS (SELECT 1 FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) l.ledger_id)::pg_catalog.text, "
								   "(s.ledger_id IS NOT NULL)::pg_catalog.text, s.signature_attname::pg_catalog.text, "
								   "s.key_attname::pg_catalog.text, s.required_at::pg_catalog.text, s.required_by::pg_catalog.text "
								   "FROM pg_catalog.pg_publication_tables p "
								   "JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) p.schemaname "
								   "JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid "
								   " AND c.relname OPERATOR(pg_catalog.=) p.tablename "
								   "JOIN ledger.ledgers l ON l.relation OPERATOR(pg_catalog.=) c.oid::pg_catalog.regclass "
								   "LEFT JOIN ledger.signed_ledgers s ON s.ledger_id OPERATOR(pg_catalog.=) l.ledger_id "
								   "WHERE p.pubname OPERATOR(pg_catalog.=) %s ORDER BY l.ledger_id",
								   quote_literal_cstr(pubname)), 16);
	slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
	of = psprintf("a ledger of publication \"%s\"", pubname);
	while (tuplestore_gettupleslot(res->tuplestore, true, false, slot))
	{
		RemoteLedger *rl = palloc0(sizeof(RemoteLedger));

		rl->ledger_id = pg_strtoint64(sync_col_req(slot, 1, of, "ledger_id"));
		rl->uuid = sync_col_req(slot, 2, of, "ledger_uuid");
		rl->schema = sync_col_req(slot, 3, of, "schema");
		rl->relname = sync_col_req(slot, 4, of, "table name");
		rl->name = sync_col_req(slot, 5, of, "name");
		rl->shape = sync_col_req(slot, 6, of, "shape");
		rl->format = pg_strtoint32(sync_col_req(slot, 7, of, "format_version"));
		rl->created_at = sync_col_req(slot, 8, of, "created_at");
		rl->created_by = sync_col_req(slot, 9, of, "created_by");
		rl->pkey = sync_col(slot, 10);	/* NULL: no primary key */
		rl->is_replica = strcmp(sync_col_req(slot, 11, of, "replica flag"), "true") == 0;
		rl->is_signed = strcmp(sync_col_req(slot, 12, of, "signed flag"), "true") == 0;
		if (rl->is_signed)
		{
			rl->sig_attname = sync_col_req(slot, 13, of, "signature_attname");
			rl->key_attname = sync_col_req(slot, 14, of, "key_attname");
			rl->required_at = sync_col_req(slot, 15, of, "required_at");
			rl->required_by = sync_col_req(slot, 16, of, "required_by");
		}
		if (rl->is_replica)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("publication \"%s\" at the origin carries ledger %s.%s, which is a replica there",
							pubname, rl->schema, rl->relname),
					 errhint("Subscribe to the ledger's origin.")));
		if (rl->is_signed)
			any_signed = true;
		out = lappend(out, rl);
	}
	ExecDropSingleTupleTableSlot(slot);
	walrcv_clear_result(res);
	if (out == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" at the origin carries no ledger", pubname),
				 errhint("Make it at the origin with ledger.create_publication().")));

	/* a signed ledger's keys and registration travel with it */
	if (any_signed)
	{
		if (!sync_remote_publishes(sc, pubname, "{signed_ledgers,ledger_keys}", 2))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("publication \"%s\" at the origin carries signed ledgers without their keys", pubname),
					 errhint("Make it at the origin with ledger.create_publication().")));
	}
	return out;
}

/* ---------- the replica tables ---------- */

/* ERROR naming the first column where two shapes differ, if they do. */
static void
sync_compare_shapes(const char *qname, ArrayType *here, ArrayType *there)
{
	Datum	   *eh;
	Datum	   *et;
	bool	   *nh;
	bool	   *nt;
	int			n;
	int			m;
	int			i;

	deconstruct_array(here, TEXTOID, -1, false, TYPALIGN_INT, &eh, &nh, &n);
	deconstruct_array(there, TEXTOID, -1, false, TYPALIGN_INT, &et, &nt, &m);
	for (i = 1; i < Max(n, m); i++)
	{
		char	   *h = i < n ? TextDatumGetCString(eh[i]) : NULL;
		char	   *t = i < m ? TextDatumGetCString(et[i]) : NULL;

		if (h != NULL && t != NULL && strcmp(h, t) == 0)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("table %s does not have the columns of the origin's ledger", qname),
				 errdetail("Column %d is %s here and %s at the origin.", i,
						   h ? psprintf("\"%s\"", h) : "missing",
						   t ? psprintf("\"%s\"", t) : "missing"),
				 errhint("Give the table here the origin's columns, in the origin's order, or drop it and let ledger.create_subscription() create it.")));
	}
}

/*
 * A table that exists already and is to become a replica runs in the
 * subscription's transactions: the superuser's create_subscription copies
 * into it, the apply worker (the subscription's owner, a superuser) writes
 * every arriving row.  Whatever code its owner can attach runs there with
 * those rights: a trigger, a rule, a row-level security policy, a CHECK
 * constraint or an index expression calling the owner's function (review of
 * 2026-12-04: a database owner's table, made before the subscription with an
 * ALWAYS trigger, made its owner a superuser at the first row copied, and
 * again at every row applied).  So such a table must be owned by a superuser
 * and carry none of them; a table create_subscription makes is its own.
 */
static void
sync_check_adopted(Relation rel, const char *qname)
{
	Oid			owner = rel->rd_rel->relowner;
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	const char *what = NULL;
	List	   *indexes;
	ListCell   *lc;

	if (!superuser_arg(owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("table %s cannot become a replica: it is owned by role \"%s\", not by a superuser",
						qname, GetUserNameFromId(owner, false)),
				 errdetail("The subscription writes the replica as a superuser; its owner could run code of its own there."),
				 errhint("Drop the table and let the subscription create it.")));
	if (rel->trigdesc != NULL && rel->trigdesc->numtriggers > 0)
		what = "triggers";
	else if (rel->rd_rel->relhasrules)
		what = "rules";
	else if (rel->rd_rel->relrowsecurity || rel->rd_rel->relforcerowsecurity)
		what = "row-level security";
	else if (constr != NULL && constr->num_check > 0)
		what = "CHECK constraints";
	else
	{
		indexes = RelationGetIndexList(rel);
		foreach(lc, indexes)
		{
			Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);

			if (!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) ||
				!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
				what = "index expressions or partial indexes";
			index_close(idx, AccessShareLock);
		}
		list_free(indexes);
	}
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s cannot become a replica: it has %s", qname, what),
				 errdetail("A replica's table holds the origin's rows as they arrive; code attached to it would run in the subscription's transactions."),
				 errhint("Drop the table and let the subscription create it.")));
}

/* The local table for a remote ledger: created, or checked and prepared. */
static Oid
sync_prepare_table(RemoteLedger *rl, const char *subname, bool *held)
{
	char	   *qname = sync_qname(rl->schema, rl->relname);
	Oid			nsp = get_namespace_oid(rl->schema, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(rl->relname, nsp) : InvalidOid;
	ArrayType  *there;
	Relation	rel;
	Oid			infunc;
	Oid			ioparam;
	int			i;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	/* array_in wants an FmgrInfo for its cache: call it through one */
	getTypeInputInfo(TEXTARRAYOID, &infunc, &ioparam);
	there = DatumGetArrayTypeP(OidInputFunctionCall(infunc, rl->shape, ioparam, -1));
	*held = false;
	if (OidIsValid(relid))
	{
		int64		here_id = ledger_id_for_relation(relid, true);

		if (here_id == rl->ledger_id && ledger_id_is_replica(here_id))
		{
			/* held already: resync compares it with the origin */
			rel = relation_open(relid, AccessShareLock);
			sync_compare_shapes(qname, canon_shape(RelationGetDescr(rel)), there);
			relation_close(rel, AccessShareLock);
			*held = true;
			return relid;
		}
		if (here_id > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("table %s is a ledger of this database, not a replica of the origin's ledger", qname),
					 errhint("Rename or move one of the two tables: a replica has the origin's schema and name.")));
		if (get_rel_relkind(relid) != RELKIND_RELATION)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("%s is not a table", qname)));
		rel = relation_open(relid, AccessShareLock);
		sync_compare_shapes(qname, canon_shape(RelationGetDescr(rel)), there);
		sync_check_adopted(rel, qname);
		relation_close(rel, AccessShareLock);
		sync_spi(SPI_OK_SELECT, psprintf("SELECT 1 FROM %s LIMIT 1", qname));
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table %s is not empty", qname),
					 errhint("A replica holds exactly the origin's rows; empty the table or drop it.")));
	}
	else
	{
		StringInfoData sql;

		/* the shape is the origin's column definitions, in order */
		deconstruct_array(there, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n < 2 || nulls[0] || strcmp(TextDatumGetCString(elems[0]), CANON_SHAPE_V2) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the origin described ledger %s with an unknown column shape", qname)));
		if (!OidIsValid(nsp))
			sync_spi(SPI_OK_UTILITY, psprintf("CREATE SCHEMA %s", quote_identifier(rl->schema)));
		initStringInfo(&sql);
		appendStringInfo(&sql, "CREATE TABLE %s (", qname);
		for (i = 1; i < n; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("the origin described ledger %s with a NULL column", qname)));
			appendStringInfo(&sql, "%s%s", i > 1 ? ", " : "", TextDatumGetCString(elems[i]));
		}
		appendStringInfoString(&sql, ")");
		sync_spi(SPI_OK_UTILITY, sql.data);
		sync_spi(SPI_OK_UTILITY,
				 psprintf("ALTER TABLE %s ALTER COLUMN " LEDGER_COL_XACT " SET NOT NULL, "
						  "ALTER COLUMN " LEDGER_COL_SEQ " SET NOT NULL, "
						  "ALTER COLUMN " LEDGER_COL_HASH " SET NOT NULL", qname));

		/*
		 * the origin's key finds the rows a tampered origin updates or
		 * deletes
		 */
		if (rl->pkey != NULL)
			sync_spi(SPI_OK_UTILITY, psprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", qname, rl->pkey));
		CommandCounterIncrement();
		relid = RangeVarGetRelid(makeRangeVar(rl->schema, rl->relname, -1), NoLock, false);
	}
	/* (with the BRIN index on ledger_xact that every ledger has) */
	create_ledger_triggers(qname);
	return relid;
}

/* Register a prepared table as the replica of the origin's ledger. */
static void
sync_register(RemoteLedger *rl, Oid relid, const char *subname, const char *pubname)
{
	Datum		args[9];
	Oid			types[9] = {INT8OID, OIDOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Relation	rel;
	pg_uuid_t  *uuid = DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(rl->uuid)));
	int			ret;

	if (ledger_id_from_uuid(uuid) != rl->ledger_id)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the origin's ledger %s.%s has an id that does not derive from its uuid",
						rl->schema, rl->relname)));
	if (OidIsValid(ledger_relation_of_id(rl->ledger_id)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("ledger %s (%s.%s at the origin) is held here already, as table %s",
						rl->uuid, rl->schema, rl->relname,
						get_rel_name(ledger_relation_of_id(rl->ledger_id))),
				 errhint("A ledger is replicated through one subscription, into a table of its origin's name.")));
	rel = relation_open(relid, AccessShareLock);
	args[0] = Int64GetDatum(rl->ledger_id);
	args[1] = ObjectIdGetDatum(relid);
	args[2] = CStringGetTextDatum(rl->uuid);
	args[3] = CStringGetTextDatum(rl->name);
	args[4] = Int32GetDatum(rl->format);
	args[5] = CStringGetTextDatum(rl->created_at);
	args[6] = CStringGetTextDatum(rl->created_by);
	args[7] = CStringGetTextDatum(subname);
	args[8] = CStringGetTextDatum(pubname);
	/* replica = true: never sealed here, whatever order a restore takes */
	ret = SPI_execute_with_args("INSERT INTO ledger.ledgers (ledger_id, relation, ledger_uuid, name, shape, "
								"format_version, created_at, created_by, replica) "
								"VALUES ($1, $2::pg_catalog.regclass, $3::pg_catalog.uuid, $4, "
								"ledger._shape($2::pg_catalog.regclass), $5, $6::pg_catalog.timestamptz, $7::pg_catalog.name, "
								"true)",
								7, types, args, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not register replica: %s", SPI_result_code_string(ret));
	ret = SPI_execute_with_args("INSERT INTO ledger.replicas (ledger_id, subscription, publication) "
								"VALUES ($1, $8::pg_catalog.name, $9::pg_catalog.name)",
								9, types, args, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not register replica: %s", SPI_result_code_string(ret));
	relation_close(rel, AccessShareLock);
	CommandCounterIncrement();
	CacheInvalidateRelcacheByRelid(relid);
	ledger_info_forget(relid);
	/* the guard's view of the finished table (triggers, shape, order) */
	{
		Datum		a = ObjectIdGetDatum(relid);
		Oid			t = REGCLASSOID;

		if (SPI_execute_with_args("SELECT ledger._check_ledger($1, true)", 1, &t, &a, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not check replica");
	}
}

/*
 * A replica of a signed ledger: the signature trigger, as
 * require_signatures makes it, and its registration with the origin's
 * columns; then the guard's view.  Held replicas are checked the same way.
 */
static void
sync_prepare_signed(RemoteLedger *rl, Oid relid)
{
	char	   *qname = sync_qname(rl->schema, rl->relname);
	Datum		args[5];
	Oid			types[5] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	bool		signed_here;
	bool		has_trigger;

	args[0] = Int64GetDatum(rl->ledger_id);
	if (SPI_execute_with_args("SELECT signature_attname::pg_catalog.text, key_attname::pg_catalog.text "
							  "FROM ledger.signed_ledgers WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.signed_ledgers");
	signed_here = SPI_processed > 0;
	if (signed_here != rl->is_signed ||
		(signed_here &&
		 (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), rl->sig_attname) != 0 ||
		  strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), rl->key_attname) != 0)))
	{
		/* a ledger becomes signed only while empty, and stays so */
		if (signed_here)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("equivocation: the origin's ledger %s is signed differently from the replica held here", qname),
					 errdetail("The origin %s.", rl->is_signed ?
							   psprintf("signs it with columns \"%s\" and \"%s\"", rl->sig_attname, rl->key_attname) :
							   "does not sign it"),
					 errhint("The origin showed this peer one history and now shows another; the replica is left as it was.")));
	}
	if (!rl->is_signed)
		return;

	sync_spi(SPI_OK_SELECT,
			 psprintf("SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) %u "
					  "AND tgname OPERATOR(pg_catalog.=) '" SIGNED_TRIGGER_NAME "'", relid));
	has_trigger = SPI_processed > 0;
	if (!has_trigger)
	{
		sync_spi(SPI_OK_UTILITY,
				 psprintf("CREATE TRIGGER " SIGNED_TRIGGER_NAME " BEFORE INSERT ON %s "
						  "FOR EACH ROW EXECUTE FUNCTION ledger.signature_trigger()", qname));
		sync_spi(SPI_OK_UTILITY,
				 psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER " SIGNED_TRIGGER_NAME, qname));
	}
	if (!signed_here)
	{
		args[1] = CStringGetTextDatum(rl->sig_attname);
		args[2] = CStringGetTextDatum(rl->key_attname);
		args[3] = CStringGetTextDatum(rl->required_at);
		args[4] = CStringGetTextDatum(rl->required_by);
		/* replica = true: this peer's keys are never copied for it */
		if (SPI_execute_with_args("INSERT INTO ledger.signed_ledgers (ledger_id, signature_attname, key_attname, "
								  "required_at, required_by, replica) VALUES ($1, $2::pg_catalog.name, $3::pg_catalog.name, "
								  "$4::pg_catalog.timestamptz, $5::pg_catalog.name, true)",
								  5, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into ledger.signed_ledgers");
	}
	CommandCounterIncrement();
	CacheInvalidateRelcacheByRelid(relid);
	ledger_info_forget(relid);
	{
		Datum		a = ObjectIdGetDatum(relid);
		Oid			t = REGCLASSOID;

		if (SPI_execute_with_args("SELECT ledger._check_ledger($1, true)", 1, &t, &a, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not check replica");
	}
}

/* ---------- copying a ledger, verified ---------- */

/* Prepared insert of text values into a table's columns. */
typedef struct SyncInsert
{
	SPIPlanPtr	plan;
	int			n;
	char	  **names;			/* column names, unquoted */
	char	   *select;			/* "c1::text, c2::text, ..." to read them at
								 * the origin */
	FmgrInfo   *in;
	Oid		   *ioparam;
	int32	   *typmod;
	Datum	   *values;
	char	   *nulls;
} SyncInsert;

/*
 * An INSERT of every column of relid, in attribute order, from text; and the
 * select list that reads the same columns as text at the origin.
 */
static void
sync_insert_prepare(SyncInsert *si, Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	td = RelationGetDescr(rel);
	StringInfoData cols;
	StringInfoData params;
	StringInfoData sel;
	Oid		   *types = palloc(sizeof(Oid) * td->natts);
	int			i;

	si->n = 0;
	si->names = palloc(sizeof(char *) * td->natts);
	initStringInfo(&sel);
	si->in = palloc(sizeof(FmgrInfo) * td->natts);
	si->ioparam = palloc(sizeof(Oid) * td->natts);
	si->typmod = palloc(sizeof(int32) * td->natts);
	si->values = palloc(sizeof(Datum) * td->natts);
	si->nulls = palloc(td->natts);
	initStringInfo(&cols);
	initStringInfo(&params);
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);
		Oid			infunc;

		if (a->attisdropped)
			continue;
		appendStringInfo(&cols, "%s%s", si->n > 0 ? ", " : "", quote_identifier(NameStr(a->attname)));
		appendStringInfo(&sel, "%s%s::pg_catalog.text", si->n > 0 ? ", " : "",
						 quote_identifier(NameStr(a->attname)));
		si->names[si->n] = pstrdup(NameStr(a->attname));
		appendStringInfo(&params, "%s$%d", si->n > 0 ? ", " : "", si->n + 1);
		types[si->n] = a->atttypid;
		getTypeInputInfo(a->atttypid, &infunc, &si->ioparam[si->n]);
		fmgr_info(infunc, &si->in[si->n]);
		si->typmod[si->n] = a->atttypmod;
		si->n++;
	}
	si->plan = SPI_prepare(psprintf("INSERT INTO %s (%s) VALUES (%s)",
									sync_qname(get_namespace_name(RelationGetNamespace(rel)),
											   RelationGetRelationName(rel)),
									cols.data, params.data),
						   si->n, types);
	if (si->plan == NULL)
		elog(ERROR, "could not prepare insert: %s", SPI_result_code_string(SPI_result));
	si->select = sel.data;
	relation_close(rel, AccessShareLock);
}

/* 1-based position of a column in the insert's list. */
static int
sync_insert_col(SyncInsert *si, const char *name)
{
	int			i;

	for (i = 0; i < si->n; i++)
		if (strcmp(si->names[i], name) == 0)
			return i + 1;
	elog(ERROR, "column \"%s\" is missing", name);
	return 0;
}

/* Insert one tuple of text columns (slot columns first..first+n-1). */
static void
sync_insert(SyncInsert *si, TupleTableSlot *slot, int first)
{
	int			i;
	int			ret;

	for (i = 0; i < si->n; i++)
	{
		char	   *s = sync_col(slot, first + i);

		si->nulls[i] = s ? ' ' : 'n';
		si->values[i] = InputFunctionCall(&si->in[i], s, si->ioparam[i], si->typmod[i]);
	}
	ret = SPI_execute_plan(si->plan, si->values, si->nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not insert a replicated row: %s", SPI_result_code_string(ret));
}

/* A record held by the replica, for comparison with the origin's. */
typedef struct HeldRecord
{
	int64		xact_id;
	char	   *text;			/* row_count|root|committed_at as text */
	bool		seen;
} HeldRecord;

/*
 * A read of what a replica holds, under a snapshot taken now: SPI's
 * read-only queries run under the caller's statement snapshot (in REPEATABLE
 * READ its transaction's), taken before resync_subscription stopped the
 * apply worker.  What the worker committed in between was not seen as held:
 * the copy inserted its rows and records again and the resync failed with
 * "duplicate key value violates unique constraint", after the old slot had
 * been dropped (found by a lock-order review on 2026-12-07; a resync while
 * rows streamed failed about two times in three).  The worker is gone
 * before the first such read (DROP SUBSCRIPTION waits for it), so a
 * snapshot taken now holds all it committed.  SPI connected; returns
 * SPI_processed.
 */
static uint64
sync_held_query(const char *sql, int nargs, Oid *types, Datum *args, long tcount)
{
	int			ret;

	PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute_with_args(sql, nargs, types, args, NULL, true, tcount);
	PopActiveSnapshot();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read what the replica holds: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* What the replica holds of a ledger: records by xact, block hashes by number. */
static HTAB *
sync_held_records(int64 ledger_id, int64 *nheld)
{
	HASHCTL		ctl;
	HTAB	   *h;
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	uint64		i;

	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(HeldRecord);
	ctl.hcxt = CurrentMemoryContext;
	h = hash_create("ledger held records", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	*nheld = (int64) sync_held_query("SELECT xact_id, row_count::pg_catalog.text OPERATOR(pg_catalog.||) '|' "
									 "OPERATOR(pg_catalog.||) pg_catalog.encode(root, 'hex') OPERATOR(pg_catalog.||) '|' "
									 "OPERATOR(pg_catalog.||) EXTRACT(epoch FROM committed_at)::pg_catalog.text "
									 "FROM ledger.transactions WHERE ledger_id OPERATOR(pg_catalog.=) $1",
									 1, &argtype, &arg, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		x = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		HeldRecord *hr = hash_search(h, &x, HASH_ENTER, NULL);

		hr->text = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		hr->seen = false;
	}
	return h;
}

static void
sync_equivocation(const char *qname, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("equivocation: the origin's ledger %s differs from the replica held here", qname),
			 errdetail("%s", what),
			 errhint("The origin showed this peer one history and now shows another. Keep both (this replica and the origin's ledger.verify() and digests) as evidence; the replica is left as it was.")));
}

/* One ledger being copied from the origin. */
typedef struct SyncCopy
{
	SyncConn   *sc;
	RemoteLedger *rl;
	char	   *qname;
	bool		held;			/* the replica holds part of it already */
	SyncInsert	rows;			/* the ledger's columns */
	SyncInsert	recs;			/* ledger.transactions */
	SyncInsert	blks;			/* ledger.blocks */
	int			xcol;			/* ledger_xact in rows */
	int			x_xact;			/* xact_id in recs */
	int			x_cmp;			/* the record's comparison text, after recs'
								 * columns */
	int			b_no;			/* block_no in blks */
	int			b_hash;			/* the block's hash in hex, after blks'
								 * columns */
	HTAB	   *held_recs;		/* held: records by xact */
	MemoryContext rowcxt;		/* reset for each insert */
	int64		copied;			/* rows inserted */
} SyncCopy;

/* Insert one tuple of the origin's (text columns from 1) in a short-lived context. */
static void
sync_copy_insert(SyncCopy *c, SyncInsert *si, TupleTableSlot *slot)
{
	MemoryContext oldcxt;

	MemoryContextReset(c->rowcxt);
	oldcxt = MemoryContextSwitchTo(c->rowcxt);
	sync_insert(si, slot, 1);
	MemoryContextSwitchTo(oldcxt);
}

/* The first origin record the replica does not hold (PG_INT64_MAX: none). */
static int64
sync_first_missing(SyncCopy *c, WalRcvExecResult *xres, TupleTableSlot *xslot)
{
	int64		first = PG_INT64_MAX;
	char	   *xof = psprintf("a transaction record of ledger %s", c->qname);

	while (tuplestore_gettupleslot(xres->tuplestore, true, false, xslot))
	{
		int64		x = pg_strtoint64(sync_col_req(xslot, c->x_xact, xof, "xact_id"));

		if (hash_search(c->held_recs, &x, HASH_FIND, NULL) == NULL)
		{
			first = x;
			break;
		}
	}
	tuplestore_rescan(xres->tuplestore);
	return first;
}

static void
sync_rows_without_record(SyncCopy *c, int64 xact)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the origin's ledger %s has rows of transaction " INT64_FORMAT ", which has no record there",
					c->qname, xact),
			 errhint("Rows were inserted around the ledger at the origin; its ledger.verify() names them. The replica refuses them.")));
}

/*
 * Records in xact order and, before each, the rows of its transaction: the
 * replica checks each transaction as it does in the stream.  Held records
 * must be the origin's; their rows are not copied again.
 */
static void
sync_copy_transactions(SyncCopy *c)
{
	WalRcvExecResult *xres;
	WalRcvExecResult *rres = NULL;
	TupleTableSlot *xslot;
	TupleTableSlot *rslot = NULL;
	int64		first = PG_INT64_MIN;
	bool		have_row = false;
	int64		row_xact = 0;
	char	   *xof = psprintf("a transaction record of ledger %s", c->qname);
	char	   *rof = psprintf("a row of ledger %s", c->qname);

	/*
	 * The select lists return text under the columns' names: ORDER BY names
	 * the tables' columns through an alias, or it would sort the text ('19'
	 * before '2').
	 */
	xres = sync_remote(c->sc, psprintf("SELECT %s, row_count::pg_catalog.text OPERATOR(pg_catalog.||) '|' "
									   "OPERATOR(pg_catalog.||) pg_catalog.encode(root, 'hex') OPERATOR(pg_catalog.||) '|' "
									   "OPERATOR(pg_catalog.||) EXTRACT(epoch FROM committed_at)::pg_catalog.text "
									   "FROM ledger.transactions r WHERE ledger_id OPERATOR(pg_catalog.=) " INT64_FORMAT
									   " ORDER BY r.xact_id", c->recs.select, c->rl->ledger_id), c->recs.n + 1);
	xslot = MakeSingleTupleTableSlot(xres->tupledesc, &TTSOpsMinimalTuple);
	if (c->held)
		first = sync_first_missing(c, xres, xslot);
	if (first != PG_INT64_MAX)
	{
		rres = sync_remote(c->sc, psprintf("SELECT %s FROM %s r WHERE " LEDGER_COL_XACT " OPERATOR(pg_catalog.>=) " INT64_FORMAT
										   " ORDER BY r." LEDGER_COL_XACT ", r." LEDGER_COL_SEQ,
										   c->rows.select, c->qname, first == PG_INT64_MIN ? (int64) -1 : first),
						   c->rows.n);
		rslot = MakeSingleTupleTableSlot(rres->tupledesc, &TTSOpsMinimalTuple);
		have_row = tuplestore_gettupleslot(rres->tuplestore, true, false, rslot);
		if (have_row)
			row_xact = pg_strtoint64(sync_col_req(rslot, c->xcol, rof, LEDGER_COL_XACT));
	}

	while (tuplestore_gettupleslot(xres->tuplestore, true, false, xslot))
	{
		int64		x = pg_strtoint64(sync_col_req(xslot, c->x_xact, xof, "xact_id"));
		HeldRecord *hr = c->held_recs ? hash_search(c->held_recs, &x, HASH_FIND, NULL) : NULL;

		CHECK_FOR_INTERRUPTS();
		if (have_row && row_xact < x && hr == NULL)
			sync_rows_without_record(c, row_xact);
		if (hr != NULL &&
			strcmp(hr->text, sync_col_req(xslot, c->x_cmp, xof, "row_count, root or committed_at")) != 0)
			sync_equivocation(c->qname, psprintf("Transaction " INT64_FORMAT ": here %s, at the origin %s (rows|root|committed).",
												 x, hr->text, sync_col(xslot, c->x_cmp)));
		while (have_row && row_xact == x)
		{
			if (hr == NULL)
			{
				sync_copy_insert(c, &c->rows, rslot);
				c->copied++;
			}
			have_row = tuplestore_gettupleslot(rres->tuplestore, true, false, rslot);
			if (have_row)
				row_xact = pg_strtoint64(sync_col_req(rslot, c->xcol, rof, LEDGER_COL_XACT));
		}
		if (hr != NULL)
			hr->seen = true;
		else
			sync_copy_insert(c, &c->recs, xslot);
	}
	if (have_row)
		sync_rows_without_record(c, row_xact);
	if (c->held)
	{
		HASH_SEQ_STATUS hs;
		HeldRecord *hr;

		hash_seq_init(&hs, c->held_recs);
		while ((hr = hash_seq_search(&hs)) != NULL)
			if (!hr->seen)
			{
				hash_seq_term(&hs);
				sync_equivocation(c->qname, psprintf("The replica holds transaction " INT64_FORMAT ", which the origin no longer has.",
													 hr->xact_id));
			}
	}
	ExecDropSingleTupleTableSlot(xslot);
	walrcv_clear_result(xres);
	if (rslot != NULL)
	{
		ExecDropSingleTupleTableSlot(rslot);
		walrcv_clear_result(rres);
	}
}

/* Blocks in order: those held must be the origin's; the rest are checked as they go in. */
static void
sync_copy_blocks(SyncCopy *c)
{
	WalRcvExecResult *bres;
	TupleTableSlot *bslot;
	int64		held_head = -1;
	char	  **held_hashes = NULL;
	int64		origin_blocks = 0;
	char	   *bof = psprintf("a block of ledger %s", c->qname);

	if (c->held)
	{
		Datum		arg = Int64GetDatum(c->rl->ledger_id);
		Oid			argtype = INT8OID;
		uint64		i;

		held_head = (int64) sync_held_query("SELECT block_no, pg_catalog.encode(block_hash, 'hex') FROM ledger.blocks "
											"WHERE ledger_id OPERATOR(pg_catalog.=) $1 ORDER BY block_no",
											1, &argtype, &arg, 0) - 1;
		held_hashes = palloc(sizeof(char *) * Max(SPI_processed, 1));
		for (i = 0; i < SPI_processed; i++)
			held_hashes[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	bres = sync_remote(c->sc, psprintf("SELECT %s, pg_catalog.encode(block_hash, 'hex') "
									   "FROM ledger.blocks r WHERE ledger_id OPERATOR(pg_catalog.=) " INT64_FORMAT
									   " ORDER BY r.block_no", c->blks.select, c->rl->ledger_id), c->blks.n + 1);
	bslot = MakeSingleTupleTableSlot(bres->tupledesc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(bres->tuplestore, true, false, bslot))
	{
		int64		b = pg_strtoint64(sync_col_req(bslot, c->b_no, bof, "block_no"));

		CHECK_FOR_INTERRUPTS();
		origin_blocks++;
		if (b <= held_head)
		{
			/* required before a block number below 0 is refused too */
			const char *hash = sync_col_req(bslot, c->b_hash, bof, "block_hash");

			if (b < 0 || strcmp(held_hashes[b], hash) != 0)
				sync_equivocation(c->qname, psprintf("Block " INT64_FORMAT ": hash %s here, %s at the origin.",
													 b, b >= 0 ? held_hashes[b] : "(none)", hash));
			continue;
		}
		sync_copy_insert(c, &c->blks, bslot);
	}
	if (held_head + 1 > origin_blocks)
		sync_equivocation(c->qname, psprintf("The replica holds " INT64_FORMAT " blocks, the origin " INT64_FORMAT ".",
											 held_head + 1, origin_blocks));
	ExecDropSingleTupleTableSlot(bslot);
	walrcv_clear_result(bres);
}

/* One key row as text for comparison, in the same form at both ends. */
#define SYNC_KEY_CMP \
	"k.owner OPERATOR(pg_catalog.||) '|' OPERATOR(pg_catalog.||) k.algorithm OPERATOR(pg_catalog.||) '|' " \
	"OPERATOR(pg_catalog.||) pg_catalog.encode(k.public_key, 'hex') OPERATOR(pg_catalog.||) '|' " \
	"OPERATOR(pg_catalog.||) EXTRACT(epoch FROM k.valid_from)::pg_catalog.text OPERATOR(pg_catalog.||) '|' " \
	"OPERATOR(pg_catalog.||) COALESCE(EXTRACT(epoch FROM k.valid_until)::pg_catalog.text, '-') " \
	"OPERATOR(pg_catalog.||) '|' OPERATOR(pg_catalog.||) EXTRACT(epoch FROM k.added_at)::pg_catalog.text " \
	"OPERATOR(pg_catalog.||) '|' OPERATOR(pg_catalog.||) k.added_by"
#define SYNC_KEY_REV \
	"COALESCE(EXTRACT(epoch FROM k.revoked_at)::pg_catalog.text, '-') OPERATOR(pg_catalog.||) '|' " \
	"OPERATOR(pg_catalog.||) COALESCE(k.revocation_reason, '-')"

/*
 * The keys the origin published for a signed ledger, before its rows: new
 * ones inserted, held ones compared; a revocation made since they were
 * copied is applied as the stream would apply it (ledger.catalog_guard
 * checks both).  A held key the origin does not have, or has otherwise, is
 * equivocation.
 */
static void
sync_copy_keys(SyncConn *sc, RemoteLedger *rl, MemoryContext rowcxt)
{
	SyncInsert	keys;
	WalRcvExecResult *res;
	TupleTableSlot *slot;
	char	   *qname = sync_qname(rl->schema, rl->relname);
	char	   *kof = psprintf("a key of ledger %s", qname);
	int			kid;
	int64		origin_keys = 0;
	int64		held_keys;
	Datum		args[4];
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};

	args[0] = Int64GetDatum(rl->ledger_id);
	held_keys = (int64) sync_held_query("SELECT 1 FROM ledger.ledger_keys WHERE ledger_id OPERATOR(pg_catalog.=) $1",
										1, types, args, 0);

	sync_insert_prepare(&keys, ledger_catalog_relid("ledger_keys"));
	kid = sync_insert_col(&keys, "key_id");
	res = sync_remote(sc, psprintf("SELECT %s, " SYNC_KEY_CMP ", " SYNC_KEY_REV ", k.revoked_at::pg_catalog.text, "
								   "k.revocation_reason FROM ledger.ledger_keys k "
								   "WHERE k.ledger_id OPERATOR(pg_catalog.=) " INT64_FORMAT
								   " ORDER BY k.key_id", keys.select, rl->ledger_id),
					  keys.n + 4);
	slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(res->tuplestore, true, false, slot))
	{
		MemoryContext oldcxt;
		char	   *key_id;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		oldcxt = MemoryContextSwitchTo(rowcxt);
		origin_keys++;
		key_id = sync_col_req(slot, kid, kof, "key_id");
		args[1] = CStringGetTextDatum(key_id);
		if (sync_held_query("SELECT " SYNC_KEY_CMP ", " SYNC_KEY_REV " FROM ledger.ledger_keys k "
							"WHERE k.ledger_id OPERATOR(pg_catalog.=) $1 AND k.key_id OPERATOR(pg_catalog.=) $2",
							2, types, args, 1) == 0)
			sync_insert(&keys, slot, 1);
		else
		{
			char	   *cmp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			char	   *rev = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

			if (strcmp(cmp, sync_col_req(slot, keys.n + 1, kof,
										 "owner, algorithm, public_key or valid_from")) != 0)
				sync_equivocation(qname, psprintf("Key \"%s\": here %s, at the origin %s.",
												  key_id, cmp, sync_col(slot, keys.n + 1)));
			if (strcmp(rev, sync_col_req(slot, keys.n + 2, kof, "revocation")) != 0)
			{
				/* revoked (or brought forward) since: checked as it arrives */
				args[2] = sync_col(slot, keys.n + 3) ?
					CStringGetTextDatum(sync_col(slot, keys.n + 3)) : (Datum) 0;
				args[3] = sync_col(slot, keys.n + 4) ?
					CStringGetTextDatum(sync_col(slot, keys.n + 4)) : (Datum) 0;
				if (SPI_execute_with_args("UPDATE ledger.ledger_keys SET revoked_at = $3::pg_catalog.timestamptz, "
										  "revocation_reason = $4 WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
										  "AND key_id OPERATOR(pg_catalog.=) $2",
										  4, types, args,
										  psprintf("  %c%c", args[2] ? ' ' : 'n', args[3] ? ' ' : 'n'),
										  false, 0) != SPI_OK_UPDATE)
					elog(ERROR, "could not update ledger.ledger_keys");
			}
		}
		MemoryContextSwitchTo(oldcxt);
	}
	if (held_keys > origin_keys)
		sync_equivocation(qname, psprintf("The replica holds " INT64_FORMAT " keys of the ledger, the origin " INT64_FORMAT ".",
										  held_keys, origin_keys));
	ExecDropSingleTupleTableSlot(slot);
	walrcv_clear_result(res);
	SPI_freeplan(keys.plan);
}

/*
 * Copy one ledger from the origin (snapshot of the open remote
 * transaction), verified on the way; with held, compare what is held first.
 * Returns the rows copied.
 */
static int64
sync_copy_ledger(SyncConn *sc, RemoteLedger *rl, Oid relid, bool held)
{
	SyncCopy	c;
	int64		nheld;

	memset(&c, 0, sizeof(c));
	c.sc = sc;
	c.rl = rl;
	c.held = held;
	c.qname = sync_qname(rl->schema, rl->relname);
	sync_insert_prepare(&c.rows, relid);
	sync_insert_prepare(&c.recs, ledger_catalog_relid("transactions"));
	sync_insert_prepare(&c.blks, ledger_catalog_relid("blocks"));
	c.xcol = sync_insert_col(&c.rows, LEDGER_COL_XACT);
	c.x_xact = sync_insert_col(&c.recs, "xact_id");
	c.x_cmp = c.recs.n + 1;
	c.b_no = sync_insert_col(&c.blks, "block_no");
	c.b_hash = c.blks.n + 1;
	c.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger sync row", ALLOCSET_DEFAULT_SIZES);
	if (held)
		c.held_recs = sync_held_records(rl->ledger_id, &nheld);

	/* a signed ledger's keys come first: its rows are checked against them */
	if (rl->is_signed)
		sync_copy_keys(sc, rl, c.rowcxt);
	sync_copy_transactions(&c);
	sync_copy_blocks(&c);

	MemoryContextDelete(c.rowcxt);
	SPI_freeplan(c.rows.plan);
	SPI_freeplan(c.recs.plan);
	SPI_freeplan(c.blks.plan);
	return c.copied;
}

/*
 * The origin's checkpoints of the published ledgers and the checkpoint
 * signatures it made, as its publication carries them, under the same
 * snapshot: inserted with the checks of the apply worker
 * (sql/install/60_checkpoints.sql), which skip what is held already.
 */
static void
sync_copy_checkpoints(SyncConn *sc, List *remote)
{
	StringInfoData ids;
	ListCell   *lc;
	SyncInsert	cps;
	SyncInsert	sigs;
	WalRcvExecResult *res;
	TupleTableSlot *slot;
	MemoryContext rowcxt;
	MemoryContext oldcxt;
	int			pass;

	initStringInfo(&ids);
	foreach(lc, remote)
		appendStringInfo(&ids, "%s" INT64_FORMAT, ids.len > 0 ? ", " : "",
						 ((RemoteLedger *) lfirst(lc))->ledger_id);
	sync_insert_prepare(&cps, ledger_catalog_relid("checkpoints"));
	sync_insert_prepare(&sigs, ledger_catalog_relid("checkpoint_signatures"));
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger sync checkpoint", ALLOCSET_DEFAULT_SIZES);
	for (pass = 0; pass < 2; pass++)
	{
		SyncInsert *si = pass == 0 ? &cps : &sigs;

		res = sync_remote(sc, pass == 0 ?
						  psprintf("SELECT %s FROM ledger.checkpoints "
								   "WHERE ledger_id OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[]) "
								   "ORDER BY made_at, ledger_id, tree_size", si->select, ids.data) :
						  psprintf("SELECT %s FROM ledger.checkpoint_signatures WHERE " SYNC_SIGNATURES_PUBLISHED
								   " ORDER BY signed_at, ledger_id, tree_size", si->select, ids.data),
						  si->n);
		slot = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
		while (tuplestore_gettupleslot(res->tuplestore, true, false, slot))
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(rowcxt);
			oldcxt = MemoryContextSwitchTo(rowcxt);
			sync_insert(si, slot, 1);
			MemoryContextSwitchTo(oldcxt);
		}
		ExecDropSingleTupleTableSlot(slot);
		walrcv_clear_result(res);
	}
	MemoryContextDelete(rowcxt);
	SPI_freeplan(cps.plan);
	SPI_freeplan(sigs.plan);
}

/* ---------- PostgreSQL's shared lock table ---------- */

/*
 * Objects locked by the work of many ledgers in one transaction, counted in
 * pg_locks (rows not on the fast path) on 2026-12-06: a replica that
 * create_subscription or resync_subscription creates locks its table, its
 * row type, its TOAST table and TOAST index, its primary key's index and
 * constraint, and its BRIN index (PostgreSQL's DefineRelation, DefineIndex);
 * one held already, its table; and the call itself about 24 more (the
 * catalog tables, their indexes, the functions of the triggers).
 */
#define SYNC_LOCKS_NEW_REPLICA 7
#define SYNC_LOCKS_NEW_REPLICA_NO_KEY 5
#define SYNC_LOCKS_HELD_REPLICA 1
#define SYNC_LOCKS_SUBSCRIBE 32
/* drop_subscription with its replicas: 41 besides the replicas' objects */
#define SYNC_LOCKS_DROP 48

/*
 * Refuse, before any work, a call that would hold locks on more distinct
 * objects than PostgreSQL's shared lock table is sized for:
 * max_locks_per_transaction times the server processes and prepared
 * transactions (lock.c, NLOCKENTS()), which PostgreSQL's documentation
 * gives as the most objects that can be locked at any one time.  Past it
 * a lock is taken from the spare shared memory that every other session
 * needs as well (and fails with "out of shared memory", the whole call
 * rolled back, once that is gone too).  call and noun name the work
 * (create_subscription of n ledgers); what says what is locked;
 * otherwise is the hint's other way.
 */
static void
sync_check_lock_table(const char *call, int n, const char *noun, int64 needed,
					  const char *what, const char *otherwise)
{
	int64		procs = (int64) MaxBackends + max_prepared_xacts;
	int64		size = (int64) max_locks_per_xact * procs;

	if (needed <= size)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s of %d %s would lock more objects than PostgreSQL's shared lock table holds",
					call, n, noun),
			 errdetail("It locks about " INT64_FORMAT " objects in one transaction (%s); the shared lock table holds " INT64_FORMAT " (max_locks_per_transaction = %d times " INT64_FORMAT " server processes and prepared transactions).",
					   needed, what, size, max_locks_per_xact, procs),
			 errhint("Set max_locks_per_transaction to at least " INT64_FORMAT " (a restart), or %s.",
					 (needed + procs - 1) / procs, otherwise)));
}

/*
 * The lock table's share of a subscription's copy (create or resync), from
 * the origin's description of its ledgers: ERROR before any work here if it
 * does not fit.
 */
static void
sync_check_subscribe_locks(List *remote, bool resync)
{
	ListCell   *lc;
	int64		needed = SYNC_LOCKS_SUBSCRIBE;
	int			nnew = 0;
	int			nheld = 0;

	foreach(lc, remote)
	{
		RemoteLedger *rl = lfirst(lc);

		if (OidIsValid(ledger_relation_of_id(rl->ledger_id)))
		{
			needed += SYNC_LOCKS_HELD_REPLICA;
			nheld++;
		}
		else
		{
			needed += rl->pkey != NULL ? SYNC_LOCKS_NEW_REPLICA : SYNC_LOCKS_NEW_REPLICA_NO_KEY;
			nnew++;
		}
	}
	sync_check_lock_table(resync ? "resync_subscription" : "create_subscription",
						  list_length(remote), "ledgers", needed,
						  psprintf("up to %d for each of the %d replicas it creates: table, row type, TOAST table and index, primary key index and constraint, BRIN index; %d for each of the %d held here already; and %d more",
								   SYNC_LOCKS_NEW_REPLICA, nnew, SYNC_LOCKS_HELD_REPLICA, nheld,
								   SYNC_LOCKS_SUBSCRIBE),
						  "have the origin publish the ledgers in several publications, each with a subscription of its own");
}

/*
 * A replica that another subscription of this database writes is not taken
 * over: the UPDATE of ledger.replicas below would move it to this one, and
 * the other subscription's apply worker, refused at its next change of the
 * ledger (replica_check_subscription), would be disabled, for all its
 * ledgers.  A replica kept by drop_subscription (no subscription), or
 * naming a subscription that no longer exists here, may be taken.
 */
static void
sync_check_not_others(List *remote, const char *subname)
{
	Datum		args[3];
	Oid			types[3] = {INT8ARRAYOID, TEXTOID, OIDOID};
	Datum	   *ids;
	ListCell   *lc;
	int			n = 0;

	ids = palloc(sizeof(Datum) * Max(list_length(remote), 1));
	foreach(lc, remote)
		ids[n++] = Int64GetDatum(((RemoteLedger *) lfirst(lc))->ledger_id);
	args[0] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = CStringGetTextDatum(subname);
	args[2] = ObjectIdGetDatum(MyDatabaseId);
	if (SPI_execute_with_args("SELECT g.relation::pg_catalog.text, r.subscription::pg_catalog.text "
							  "FROM ledger.replicas r "
							  "JOIN ledger.ledgers g ON g.ledger_id OPERATOR(pg_catalog.=) r.ledger_id "
							  "JOIN pg_catalog.pg_subscription s ON s.subname OPERATOR(pg_catalog.=) r.subscription "
							  "AND s.subdbid OPERATOR(pg_catalog.=) $3 "
							  "WHERE r.ledger_id OPERATOR(pg_catalog.=) ANY ($1) "
							  "AND r.subscription OPERATOR(pg_catalog.<>) $2::pg_catalog.name "
							  "ORDER BY 1 LIMIT 1",
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.replicas");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("ledger %s is a replica that subscription \"%s\" writes",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 errdetail("Subscription \"%s\" would take it over, and the other subscription would be stopped at its next change of the ledger.",
						   subname),
				 errhint("A ledger is replicated through one subscription: have the origin publish it in one publication only, or drop the other subscription first.")));
}

/*
 * The lock table's share of drop_subscription(drop_replicas => true): each
 * replica's ledger.drop_ledger drops its table and every object that
 * depends on it, each locked to the end of the transaction (PostgreSQL's
 * performDeletion, AcquireDeletionLock): the table, its row type and array
 * type, its TOAST table and index, its indexes, constraints, triggers,
 * column defaults and owned sequences.  Counted from the catalogs (SPI
 * connected); ERROR before any work if it does not fit.
 */
static void
sync_check_drop_locks(const char *subname)
{
	Datum		arg = CStringGetTextDatum(subname);
	Oid			argtype = TEXTOID;
	bool		isnull;
	int			n;
	int64		objects;

	if (SPI_execute_with_args("SELECT pg_catalog.count(*)::pg_catalog.int4, pg_catalog.sum(3 "
							  "  OPERATOR(pg_catalog.+) CASE WHEN c.reltoastrelid OPERATOR(pg_catalog.<>) 0 THEN 2 ELSE 0 END "
							  "  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid) "
							  "  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_constraint k WHERE k.conrelid OPERATOR(pg_catalog.=) c.oid) "
							  "  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t WHERE t.tgrelid OPERATOR(pg_catalog.=) c.oid) "
							  "  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attrdef d WHERE d.adrelid OPERATOR(pg_catalog.=) c.oid) "
							  "  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend p "
							  "     JOIN pg_catalog.pg_class s ON s.oid OPERATOR(pg_catalog.=) p.objid "
							  "     WHERE p.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "     AND p.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "     AND p.refobjid OPERATOR(pg_catalog.=) c.oid AND s.relkind OPERATOR(pg_catalog.=) 'S'))::pg_catalog.int8 "
							  "FROM ledger.replicas r "
							  "JOIN ledger.ledgers g ON g.ledger_id OPERATOR(pg_catalog.=) r.ledger_id "
							  "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) g.relation "
							  "WHERE r.subscription OPERATOR(pg_catalog.=) $1::pg_catalog.name",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read ledger.replicas");
	n = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	objects = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		objects = 0;
	sync_check_lock_table("drop_subscription", n, "replicas", objects + SYNC_LOCKS_DROP,
						  psprintf("the " INT64_FORMAT " objects of the replicas it drops: their tables, types, TOAST tables, indexes, constraints and triggers; and %d more",
								   objects, SYNC_LOCKS_DROP),
						  psprintf("call ledger.drop_subscription(%s, drop_replicas => false) and then drop the replicas with ledger.drop_ledger(), a few in each transaction",
								   quote_literal_cstr(subname)));
}

/* ---------- subscriptions (peer) ---------- */

/*
 * The subscription's oid in this database, or InvalidOid.  Read from the
 * catalog's cache, which a lock taken on the subscription brings up to
 * date, not under the statement's or transaction's snapshot: in a
 * REPEATABLE READ transaction that snapshot predates the lock, and an
 * administrator's ALTER SUBSCRIPTION ... CONNECTION committed in between
 * was missed (the subscription was made again with the old connection).
 */
static Oid
sync_subscription_oid(const char *subname, char **conninfo, char **pubname, char **slot)
{
	HeapTuple	tup;
	Oid			subid;
	Subscription *sub;

	tup = SearchSysCache2(SUBSCRIPTIONNAME, ObjectIdGetDatum(MyDatabaseId), CStringGetDatum(subname));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	subid = ((Form_pg_subscription) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	if (conninfo == NULL && pubname == NULL && slot == NULL)
		return subid;
	sub = GetSubscription(subid, true);
	if (sub == NULL)
		return InvalidOid;
	if (conninfo)
		*conninfo = sub->conninfo;
	if (pubname)
		*pubname = sub->publications != NIL ? strVal(linitial(sub->publications)) : NULL;
	if (slot)
		*slot = sub->slotname;
	return subid;
}

/* Drop the subscription here without touching the origin (its slot is dropped apart). */
static void
sync_drop_local_subscription(const char *subname)
{
	const char *q = quote_identifier(subname);

	sync_spi(SPI_OK_UTILITY, psprintf("ALTER SUBSCRIPTION %s DISABLE", q));
	sync_spi(SPI_OK_UTILITY, psprintf("ALTER SUBSCRIPTION %s SET (slot_name = NONE)", q));
	sync_spi(SPI_OK_UTILITY, psprintf("DROP SUBSCRIPTION %s", q));
}

/*
 * Detach the replicas of this subscription from it, but those of the
 * ledger ids in keep (nkeep of them): they stay as they are, read-only and
 * verifiable (their ledgers keep ledgers.replica), and no backend goes on
 * judging them by a cached subscription.  Returns the detached ones
 * (relation oid, relation text), their number in *n.
 */
static SPITupleTable *
sync_detach_replicas(const char *subname, Datum *keep, int nkeep, uint64 *n)
{
	Datum		args[2];
	Oid			types[2] = {TEXTOID, INT8ARRAYOID};
	SPITupleTable *tt;
	uint64		i;

	args[0] = CStringGetTextDatum(subname);
	args[1] = PointerGetDatum(construct_array(keep, nkeep, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args("UPDATE ledger.replicas r SET subscription = NULL "
							  "FROM ledger.ledgers g "
							  "WHERE g.ledger_id OPERATOR(pg_catalog.=) r.ledger_id "
							  "AND r.subscription OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "AND r.ledger_id OPERATOR(pg_catalog.<>) ALL ($2) "
							  "RETURNING g.relation::pg_catalog.oid, g.relation::pg_catalog.text",
							  2, types, args, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not update ledger.replicas");
	tt = SPI_tuptable;
	*n = SPI_processed;
	for (i = 0; i < *n; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));

		CacheInvalidateRelcacheByRelid(relid);
		ledger_info_forget(relid);
	}
	CommandCounterIncrement();
	return tt;
}

/*
 * At a resync: the replicas of this subscription that the publication no
 * longer carries (retired at the origin with remove_from_publication) are
 * kept as they are, read-only and verifiable, and no longer belong to the
 * subscription (as drop_subscription leaves its replicas); else the new
 * subscription, which does not hold their tables, could not be enabled.
 */
static void
sync_detach_unpublished(const char *subname, List *remote)
{
	Datum	   *held;
	ListCell   *lc;
	int			n = 0;
	uint64		ndetached;
	SPITupleTable *tt;
	uint64		i;

	held = palloc(sizeof(Datum) * Max(list_length(remote), 1));
	foreach(lc, remote)
		held[n++] = Int64GetDatum(((RemoteLedger *) lfirst(lc))->ledger_id);
	tt = sync_detach_replicas(subname, held, n, &ndetached);
	for (i = 0; i < ndetached; i++)
		ereport(NOTICE,
				(errmsg("replica \"%s\" is no longer published to subscription \"%s\": kept as it is, read-only",
						SPI_getvalue(tt->vals[i], tt->tupdesc, 2), subname),
				 errhint("ledger.drop_ledger() drops it.")));
}

/*
 * What the apply worker of subscription subname will write: every table of
 * its pg_subscription_rel, which CREATE SUBSCRIPTION fills with the tables
 * the publication carries at the origin, checked or not.  Only the
 * replicas (relids[0..n-1]) and the catalog tables that have their checks
 * on arrival (catalog_guard, the checkpoint guards) may be there: a
 * publication that also carried ledger.keys, ledger.replicas or any other
 * table would have the origin write them here unchecked (its own keys,
 * which of this database's ledgers are replicas).  ERROR naming the first
 * other table.
 */
static void
sync_check_subscribed(const char *subname, const char *pubname, const Oid *relids, int n)
{
	Datum		args[3];
	Oid			types[3] = {TEXTOID, OIDARRAYOID, OIDOID};

	args[0] = CStringGetTextDatum(subname);
	args[1] = sync_relids_and_catalog(relids, n);
	args[2] = ObjectIdGetDatum(MyDatabaseId);
	if (SPI_execute_with_args("SELECT r.srrelid::pg_catalog.regclass::pg_catalog.text "
							  "FROM pg_catalog.pg_subscription_rel r "
							  "JOIN pg_catalog.pg_subscription s ON s.oid OPERATOR(pg_catalog.=) r.srsubid "
							  "WHERE s.subname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "AND s.subdbid OPERATOR(pg_catalog.=) $3 "
							  "AND r.srrelid OPERATOR(pg_catalog.<>) ALL ($2) "
							  "ORDER BY 1 LIMIT 1",
							  3, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_subscription_rel");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" at the origin carries table %s, which is neither one of its ledgers nor part of ledger's catalog that peers check",
						pubname, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errdetail("The subscription's apply worker would write that table here with nothing checked: the origin could change this database's own keys, or which of its ledgers are replicas."),
				 errhint("Subscribe to a publication made at the origin with ledger.create_publication() and add_to_publication(), and publish other tables in a publication of their own.")));
}

/* s with every occurrence of the text lit replaced by '...' (NULL: NULL) */
static char *
sync_hide_text(const char *s, const char *lit)
{
	StringInfoData buf;
	size_t		len = strlen(lit);
	const char *p;

	if (s == NULL || len == 0 || strstr(s, lit) == NULL)
		return (char *) s;
	initStringInfo(&buf);
	while ((p = strstr(s, lit)) != NULL)
	{
		appendBinaryStringInfo(&buf, s, p - s);
		appendStringInfoString(&buf, "'...'");
		s = p + len;
	}
	appendStringInfoString(&buf, s);
	return buf.data;
}

/* The statement run, for the context of its error (as SPI names one). */
static void
sync_create_subscription_context(void *arg)
{
	errcontext("SQL statement \"%s\"", (const char *) arg);
}

/*
 * CREATE SUBSCRIPTION on the slot made for it.  The conninfo may hold a
 * password, which no text of the statement may carry:
 *
 * - an error of the statement (the publisher refusing the connection, an
 *   event trigger) carried the statement's text, conninfo and all, as its
 *   CONTEXT ("SQL statement ...", SPI's error callback) to the client and to
 *   the server log, where resync_subscription's own statement names no
 *   conninfo (found by a review on 2026-12-06);
 * - the text a statement run through SPI is given goes to every
 *   ProcessUtility hook: pg_stat_statements kept it as the query text of
 *   the nested statement (track = all, track_utility = on), pgaudit wrote it
 *   to the server log (pgaudit.log = 'ddl' or 'all'), password and all, for
 *   create_subscription and for resync_subscription('s') alike (found by a
 *   review on 2026-12-07, test/t/550_coexistence.pl).
 *
 * PostgreSQL shows a subscription's conninfo to superusers only, and never
 * writes it to the log but in the statement that gave it.  So the statement
 * is parsed and run here, not through SPI: its text, for the hooks and for
 * an error's CONTEXT, reads CONNECTION '...', and the conninfo goes in the
 * parse tree only.  An error that names the conninfo itself still has it
 * cut out.
 */
static void
sync_create_subscription(const char *subname, const char *conninfo, const char *pubname)
{
	char	   *lit = quote_literal_cstr(conninfo);
	char	   *shown = psprintf("CREATE SUBSCRIPTION %s CONNECTION '...' PUBLICATION %s "
								 "WITH (create_slot = false, slot_name = %s, copy_data = false, "
								 "binary = true, disable_on_error = true, enabled = true)",
								 quote_identifier(subname),
								 quote_identifier(pubname), quote_literal_cstr(subname));
	MemoryContext cxt = CurrentMemoryContext;
	ErrorContextCallback errcallback;

	errcallback.callback = sync_create_subscription_context;
	errcallback.arg = shown;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	PG_TRY();
	{
		List	   *raw = raw_parser(shown, RAW_PARSE_DEFAULT);
		RawStmt    *rs = linitial_node(RawStmt, raw);
		Query	   *query;
		CreateSubscriptionStmt *stmt;
		PlannedStmt *pstmt = makeNode(PlannedStmt);

		Assert(list_length(raw) == 1);

		/*
		 * parse analysis, for the post_parse_analyze_hook: the query id
		 * pg_stat_statements counts the statement under
		 */
		query = parse_analyze_fixedparams(rs, shown, NULL, 0, NULL);
		stmt = castNode(CreateSubscriptionStmt, query->utilityStmt);
		stmt->conninfo = pstrdup(conninfo);
		pstmt->commandType = CMD_UTILITY;
		pstmt->queryId = query->queryId;
		pstmt->canSetTag = true;
		pstmt->utilityStmt = (Node *) stmt;
		pstmt->stmt_location = rs->stmt_location;
		pstmt->stmt_len = rs->stmt_len;

		/* as SPI runs a utility statement (spi.c, _SPI_execute_plan) */
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		ProcessUtility(pstmt, shown, false, PROCESS_UTILITY_QUERY, NULL, NULL,
					   None_Receiver, NULL);
		PopActiveSnapshot();
		CommandCounterIncrement();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		error_context_stack = errcallback.previous;
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->message = sync_hide_text(edata->message, lit);
		edata->detail = sync_hide_text(edata->detail, lit);
		edata->detail_log = sync_hide_text(edata->detail_log, lit);
		edata->hint = sync_hide_text(edata->hint, lit);
		edata->context = sync_hide_text(edata->context, lit);
		edata->internalquery = sync_hide_text(edata->internalquery, lit);
		ReThrowError(edata);
	}
	PG_END_TRY();
	error_context_stack = errcallback.previous;
}

/*
 * In the PG_CATCH of a resync that fails after it dropped the old slot at
 * the origin, or while it did (dropped false), never returning: the
 * rollback puts the subscription back as it was, slot gone, which a
 * rollback cannot put back.  The subscription is not enabled again by
 * ledger (a reconnection that was pending is cancelled), the sealer
 * disables it if the rollback left it enabled, and its status names the
 * failure (replica_resync_failed, replica_resync_dropping); the error says
 * so too.  Until 2026-12-07 a reconnection pending went on, and the sealer
 * enabled a subscription whose apply worker could only fail on the missing
 * slot (test/t/588_resync_failed.pl), and a subscription that was enabled
 * did the same for ever (test/t/595_resync_lost_slot.pl).
 */
static void
sync_resync_failed(MemoryContext cxt, Oid subid, const char *subname, bool dropped)
{
	ErrorData  *edata;
	char	   *note;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	replica_resync_failed(subid, edata->message, dropped);
	note = psprintf("ledger.resync_subscription() had %s the subscription's slot \"%s\" at the origin, which a rollback does not put back: the subscription stays disabled until a resync succeeds.",
					dropped ? "dropped" : "begun to drop", subname);
	edata->detail = edata->detail != NULL ? psprintf("%s\n%s", edata->detail, note) : note;
	if (edata->hint == NULL)
		edata->hint = psprintf("Call ledger.resync_subscription(%s) again once the cause of the error is removed.",
							   quote_literal_cstr(subname));
	ReThrowError(edata);
}

/*
 * Copy and verify the publication's ledgers under the snapshot of a new
 * slot, then subscribe on that slot.  With resync, replicas held already
 * are compared and completed.  Returns the number of ledgers.
 */
static int
sync_subscribe(const char *subname, const char *conninfo, const char *pubname, bool resync)
{
	SyncConn   *sc;
	volatile int nledgers = 0;
	volatile Oid slot_dropped = InvalidOid;
	volatile Oid slot_dropping = InvalidOid;
	volatile bool drop_begun = false;
	MemoryContext cxt = CurrentMemoryContext;

	/*
	 * In memory that the longjmp of an error leaves alone: the PG_CATCH below
	 * reads what the PG_TRY block set in it.
	 */
	sc = palloc0(sizeof(SyncConn));
	sync_connect(sc, conninfo, subname);
	PG_TRY();
	{
		List	   *remote;
		ListCell   *lc;
		XLogRecPtr	lsn;
		Oid		   *relids;
		bool	   *held;
		int			i;

		/*
		 * Whether this database's lock table can take the copy, and whether
		 * another subscription writes one of the ledgers, from a first look
		 * at the publication: before the slot of a resync is dropped or a new
		 * one made, so that a refusal leaves everything as it was.
		 */
		walrcv_clear_result(sync_remote(sc, "BEGIN READ ONLY", 0));
		sc->in_xact = true;
		sync_check_no_prepared(sc, resync ? "resync_subscription" : "create_subscription");
		remote = sync_remote_ledgers(sc, pubname);
		sync_check_not_others(remote, subname);
		sync_check_subscribe_locks(remote, resync);
		walrcv_clear_result(sync_remote(sc, "COMMIT", 0));
		sc->in_xact = false;

		if (resync)
		{
			/*
			 * Only now, the first look passed: DROP SUBSCRIPTION drops the
			 * subscription's replication origin, whose progress (the origin
			 * position applied here) lives in shared memory and is not put
			 * back by a rollback.  Dropped before the first look, as until
			 * 2026-12-07, a resync refused there (or one that could not reach
			 * the origin) left the subscription as it was but its progress
			 * lost: its apply worker started again from the slot's confirmed
			 * position, behind what it had applied, and the transactions in
			 * between arrived a second time and were refused, the
			 * subscription disabled.  This stops its apply worker now; the
			 * launcher waits for our commit.
			 */
			Oid			subid = get_subscription_oid(subname, false);

			/*
			 * Recorded first, in the file, as the slot's drop is not
			 * transactional: whatever ends this transaction but its commit
			 * (an error, a cancel, the session terminated, a crash), the
			 * subscription is then disabled, its ENABLE refused, and its
			 * status says why (replica_resync_dropping).
			 */
			replica_resync_dropping(subid);
			slot_dropping = subid;
			sync_drop_local_subscription(subname);
			drop_begun = true;
			replica_resync_progress(false);
			sync_drop_remote_slot(sc, subname);
			slot_dropped = subid;
			replica_resync_progress(true);
		}
		walrcv_clear_result(sync_remote(sc, "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ", 0));
		sc->in_xact = true;
		(void) walrcv_create_slot(sc->wrconn, subname, false, false, CRS_USE_SNAPSHOT, &lsn);
		sc->slot = pstrdup(subname);

		remote = sync_remote_ledgers(sc, pubname);
		/* again, under the slot's snapshot (ledgers added meanwhile) */
		sync_check_not_others(remote, subname);
		sync_check_subscribe_locks(remote, resync);
		relids = palloc(sizeof(Oid) * list_length(remote));
		held = palloc(sizeof(bool) * list_length(remote));
		i = 0;
		foreach(lc, remote)
		{
			RemoteLedger *rl = lfirst(lc);

			relids[i] = sync_prepare_table(rl, subname, &held[i]);
			if (!held[i])
			{
				sync_register(rl, relids[i], subname, pubname);
				sync_prepare_signed(rl, relids[i]);
			}
			else
			{
				Datum		args[3];
				Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};

				args[0] = Int64GetDatum(rl->ledger_id);
				args[1] = CStringGetTextDatum(subname);
				args[2] = CStringGetTextDatum(pubname);
				if (SPI_execute_with_args("UPDATE ledger.replicas SET subscription = $2::pg_catalog.name, "
										  "publication = $3::pg_catalog.name "
										  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
										  3, types, args, NULL, false, 0) != SPI_OK_UPDATE)
					elog(ERROR, "could not update ledger.replicas");
				CommandCounterIncrement();
				CacheInvalidateRelcacheByRelid(relids[i]);
				ledger_info_forget(relids[i]);
				sync_prepare_signed(rl, relids[i]);
			}
			i++;
		}
		if (resync)
			sync_detach_unpublished(subname, remote);

		/*
		 * what arrives is checked as in the apply worker, whose settings
		 * these are
		 */
		(void) set_config_option("session_replication_role", "replica",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		replica_set_copying(subname);
		i = 0;
		foreach(lc, remote)
		{
			RemoteLedger *rl = lfirst(lc);
			int64		copied;

			copied = sync_copy_ledger(sc, rl, relids[i], held[i]);
			ereport(DEBUG1,
					(errmsg_internal("ledger sync: " INT64_FORMAT " rows of %s.%s copied", copied,
									 rl->schema, rl->relname)));
			i++;
		}
		sync_copy_checkpoints(sc, remote);
		replica_set_copying(NULL);
		(void) set_config_option("session_replication_role", "origin",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		nledgers = list_length(remote);

		/*
		 * The stream starts where the snapshot ends.  In binary: a ledger's
		 * columns are of the types canon.c hashes (built-in scalars, domains
		 * over them), whose binary forms carry no OID and read no setting,
		 * and so do the catalog's, but for ledger.ledgers.relation, a
		 * regclass (the origin's OID in binary), which the apply worker
		 * checks and skips without storing (replica.c).  Text input was about
		 * a tenth of the apply worker's work on single-row transactions,
		 * timestamptz_in above all.
		 */
		sync_create_subscription(subname, conninfo, pubname);
		sync_check_subscribed(subname, pubname, relids, nledgers);
		walrcv_clear_result(sync_remote(sc, "COMMIT", 0));
		sc->in_xact = false;
		sc->slot = NULL;		/* the subscription's now */
		walrcv_disconnect(sc->wrconn);
		sc->wrconn = NULL;
	}
	PG_CATCH();
	{
		replica_set_copying(NULL);
		sync_abandon(sc);
		if (OidIsValid(slot_dropped))
			sync_resync_failed(cxt, slot_dropped, subname, true);
		else if (OidIsValid(slot_dropping) && drop_begun)
			sync_resync_failed(cxt, slot_dropping, subname, false);
		else if (OidIsValid(slot_dropping))
			replica_resync_undo(slot_dropping);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return nledgers;
}

/*
 * ledger.create_subscription(subname name, conninfo text, pubname name)
 * RETURNS integer
 */
Datum
ledger_create_subscription(PG_FUNCTION_ARGS)
{
	char	   *subname;
	char	   *conninfo;
	char	   *pubname;
	int			n;

	sync_require_superuser("create a subscription of ledgers");
	subname = sync_name_arg(fcinfo, 0, "subscription name");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("conninfo must not be NULL")));
	conninfo = text_to_cstring(PG_GETARG_TEXT_PP(1));
	pubname = sync_name_arg(fcinfo, 2, "publication name");
	ledger_require_catalog();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (OidIsValid(sync_subscription_oid(subname, NULL, NULL, NULL)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("subscription \"%s\" already exists", subname),
				 errhint("Use ledger.resync_subscription() to re-copy an existing subscription's ledgers.")));
	n = sync_subscribe(subname, conninfo, pubname, false);
	SPI_finish();
	PG_RETURN_INT32(n);
}

/*
 * The subscription must exist and hold ledgers (made by create_subscription).
 *
 * Locked first, as ALTER and DROP SUBSCRIPTION lock it, and read again
 * under the lock: PostgreSQL's own ALTER SUBSCRIPTION, which the callers
 * run, reads the row before it waits for that lock, and after a DBA's ALTER
 * SUBSCRIPTION of it in another session committed, it failed with "tuple
 * concurrently updated" (XX000; test/t/556_lock_order_sync.pl, part 6).
 */
static Oid
sync_our_subscription(const char *subname, char **conninfo, char **pubname, char **slot)
{
	Oid			subid;
	Oid			locked = InvalidOid;
	Datum		arg = CStringGetTextDatum(subname);
	Oid			argtype = TEXTOID;

	for (;;)
	{
		subid = sync_subscription_oid(subname, conninfo, pubname, slot);
		if (!OidIsValid(subid) || subid == locked)
			break;
		/* also takes in what the other session committed */
		LockSharedObject(SubscriptionRelationId, subid, 0, AccessExclusiveLock);
		locked = subid;
	}
	if (!OidIsValid(subid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("subscription \"%s\" does not exist", subname)));
	if (SPI_execute_with_args("SELECT 1 FROM ledger.replicas WHERE subscription OPERATOR(pg_catalog.=) $1::pg_catalog.name",
							  1, &argtype, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.replicas");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("subscription \"%s\" holds no ledger replicas", subname),
				 errhint("Subscriptions of ledgers are made with ledger.create_subscription().")));
	return subid;
}

/*
 * ledger.resync_subscription(subname name) RETURNS integer
 */
Datum
ledger_resync_subscription(PG_FUNCTION_ARGS)
{
	char	   *subname;
	char	   *conninfo;
	char	   *pubname;
	int			n;

	sync_require_superuser("resynchronize a subscription of ledgers");
	subname = sync_name_arg(fcinfo, 0, "subscription name");
	ledger_require_catalog();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) sync_our_subscription(subname, &conninfo, &pubname, NULL);
	/* sync_subscribe drops it here after its first look at the origin */
	n = sync_subscribe(subname, conninfo, pubname, true);
	SPI_finish();
	PG_RETURN_INT32(n);
}

/*
 * ledger.drop_subscription(subname name, drop_replicas boolean DEFAULT
 * false) RETURNS void
 */
Datum
ledger_drop_subscription(PG_FUNCTION_ARGS)
{
	char	   *subname;
	bool		drop_replicas;
	char	   *conninfo;
	char	   *slot;
	uint64		i;
	SyncConn	sc;

	sync_require_superuser("drop a subscription of ledgers");
	subname = sync_name_arg(fcinfo, 0, "subscription name");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("drop_replicas must not be NULL")));
	drop_replicas = PG_GETARG_BOOL(1);
	ledger_require_catalog();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) sync_our_subscription(subname, &conninfo, NULL, &slot);
	if (drop_replicas)
		sync_check_drop_locks(subname);
	sync_drop_local_subscription(subname);

	/* the replicas stay, read-only and verifiable, unless dropped */
	{
		uint64		n;
		SPITupleTable *tt = sync_detach_replicas(subname, NULL, 0, &n);

		for (i = 0; drop_replicas && i < n; i++)
		{
			bool		isnull;
			Datum		a = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull);
			Oid			t = REGCLASSOID;

			if (SPI_execute_with_args("SELECT ledger.drop_ledger($1)", 1, &t, &a, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not drop replica %s", SPI_getvalue(tt->vals[i], tt->tupdesc, 2));
		}
	}

	/*
	 * Last, the slot at the origin (not transactional), as PostgreSQL's
	 * DropSubscription() does: the connection is closed on every path, and an
	 * error of this backend (a query cancel, statement_timeout while the
	 * origin is slow or the slot is in use) is raised, so that the whole call
	 * rolls back.  An origin that cannot be reached or refuses gets a WARNING
	 * instead of PostgreSQL's ERROR: the replicas here are what the call is
	 * for, and the slot is named in the hint.
	 */
	if (slot != NULL)
	{
		char	   *err = NULL;
		char	   *volatile droperr = NULL;

		memset(&sc, 0, sizeof(sc));
		sync_load_walrcv();
		sc.wrconn = ledger_walrcv_connect(conninfo, true, subname, &err);
		if (sc.wrconn == NULL)
			sync_warn_slot_left(slot, true, err);
		else
		{
			PG_TRY();
			{
				droperr = sync_try_drop_remote_slot(&sc, slot);
			}
			PG_CATCH();
			{
				walrcv_disconnect(sc.wrconn);
				PG_RE_THROW();
			}
			PG_END_TRY();
			walrcv_disconnect(sc.wrconn);
			if (droperr != NULL)
				sync_warn_slot_left(slot, false, droperr);
		}
	}
	SPI_finish();
	PG_RETURN_VOID();
}
