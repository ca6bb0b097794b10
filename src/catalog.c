/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		The extension's catalog: where it is, who owns it, which tables are
 *		ledgers, and a per-backend cache of ledger descriptions.
 *
 * Everything else finds the catalog tables (ledger.ledgers, ...) through
 * here, and writes to them only inside ledger_as_owner(): as the catalog's
 * owner (the extension owner) in a restricted security context, so no
 * caller needs, or gets, write access to the catalog.
 *
 * The cache maps a relation OID to its LedgerInfo (ledger id, uuid, the
 * canonical layout of its columns).  It lives in a child of
 * CacheMemoryContext ("ledger table cache") and every entry is rebuilt after
 * a relcache invalidation of its relation (DDL on it, or on all relations);
 * a rebuilt entry's old layout is freed.  Negative entries (not a ledger)
 * are cached too, so a non-ledger table costs one catalog look-up per
 * invalidation; they hold no memory context and are removed by the
 * invalidation itself.  A ledger's entry invalidated is freed at the next
 * look-up if its relation no longer exists (ledger_cache_sweep), so
 * relations dropped since leave nothing behind.
 *
 * Two smaller caches serve every writing transaction: the catalog's
 * version check (ledger_require_catalog) and the OIDs of the extension's
 * schema and catalog objects.  A transaction that writes one row would
 * otherwise pay a scan of pg_extension and a few name look-ups, about a
 * quarter of its cost.  Both are forgotten when this backend processes any
 * catalog invalidation (SharedInvalidMessageCounter moves: DDL committed by
 * any backend, including CREATE, ALTER and DROP EXTENSION, whose scripts
 * create, change or drop objects in schema ledger) and when its own
 * transaction invalidates a relation or a schema (relcache and namespace
 * callbacks, which see this transaction's DDL before it commits).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/stratnum.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "storage/proc.h"
#include "storage/sinval.h"
#include "utils/fmgroids.h"
#include "fmgr.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

#include "catalog.h"

static HTAB *ledger_cache = NULL;
static MemoryContext ledger_cache_cxt = NULL;

/* A ledger's entry was invalidated since the last ledger_cache_sweep(). */
static bool ledger_cache_sweep_pending = false;

/*
 * OIDs of the extension's schema and catalog objects, and whether the
 * catalog's version was found to be LEDGER_CATALOG_VERSION; valid while
 * catalog_cache_valid is set and no invalidation was processed since
 * catalog_cache_counter was read (see the header comment).
 */
#define CATALOG_CACHE_SIZE 16

typedef struct CatalogCacheEntry
{
	const char *name;			/* a string constant of the caller */
	Oid			oid;
} CatalogCacheEntry;

static bool catalog_cache_valid = false;
static bool catalog_callbacks_registered = false;
static uint64 catalog_cache_counter = 0;
static bool catalog_version_ok = false;
static Oid	catalog_namespace_oid = InvalidOid;
static int	catalog_cache_n = 0;
static CatalogCacheEntry catalog_cache[CATALOG_CACHE_SIZE];

/* Forget the catalog cache (an invalidation callback). */
static void
catalog_cache_reset(Datum arg, int cacheid, uint32 hashvalue)
{
	catalog_cache_valid = false;
}

/* Forget the catalog cache on any relcache invalidation. */
static void
catalog_cache_relcache_reset(Datum arg, Oid relid)
{
	catalog_cache_valid = false;
}

/*
 * The local transaction whose catalog version ledger_require_catalog found
 * right; InvalidLocalTransactionId once a subtransaction aborted.
 */
static LocalTransactionId catalog_checked_lxid = InvalidLocalTransactionId;

/*
 * A subtransaction aborted: it may have run ALTER EXTENSION ledger UPDATE
 * (BEGIN; SAVEPOINT s; ALTER EXTENSION ledger UPDATE; INSERT ...; ROLLBACK
 * TO s), so the catalog is again the one before, in the same transaction:
 * check its version again.  Before (an upgrade review on 2026-12-06) the
 * next insert into a ledger of a 0.1.0 catalog was taken by the 0.2.0 code
 * and failed only at commit (42P01 on ledger.seal_queue), and seal() the
 * same, instead of 55000.
 */
static void
catalog_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		catalog_checked_lxid = InvalidLocalTransactionId;
		catalog_cache_valid = false;
	}
}

/* Make the catalog cache current: empty it if it may be stale. */
static void
catalog_cache_check(void)
{
	if (!catalog_callbacks_registered)
	{
		CacheRegisterRelcacheCallback(catalog_cache_relcache_reset, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, catalog_cache_reset, (Datum) 0);
		RegisterSubXactCallback(catalog_subxact_callback, NULL);
		catalog_callbacks_registered = true;
	}
	if (catalog_cache_valid && catalog_cache_counter == SharedInvalidMessageCounter)
		return;
	catalog_version_ok = false;
	catalog_namespace_oid = InvalidOid;
	catalog_cache_n = 0;
	catalog_cache_counter = SharedInvalidMessageCounter;
	catalog_cache_valid = true;
}

/*
 * Drop cached entries on relcache invalidation.  A ledger's entry is only
 * marked: a caller may hold it across the invalidation, and the next
 * look-up rebuilds it in place.  A finished negative entry (not a ledger)
 * is removed: no caller holds one (look-ups return NULL for it), and it was
 * kept for good otherwise, so every relation ever looked up (ledger.verify()
 * of a temporary table, created and dropped in a loop) cost the session
 * about a kilobyte of CacheMemoryContext that was never given back (found
 * by the internal-API review of 2026-12-06).  One being built is not
 * finished (valid is false) and stays.
 */
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
		if (relid != InvalidOid && info->relid != relid)
			continue;
		if (info->valid && info->ledger_id <= 0 && info->cxt == NULL)
			hash_search(ledger_cache, &info->relid, HASH_REMOVE, NULL);
		else
		{
			info->valid = false;
			ledger_cache_sweep_pending = true;
		}
	}
}

/*
 * Give back the entries of relations that no longer exist.  A ledger's
 * entry is only marked by an invalidation (above), and a dropped ledger is
 * never looked up again, so until 2026-12-07 every ledger a session had
 * written to, verified or created kept its entry and its layout context
 * (about 5 kB) after it was dropped, for the life of the session: a pooled
 * backend that created and dropped ledgers (a ledger per day, per batch, a
 * test suite) grew without bound (test/t/570_soak.pl).  Runs at the next
 * look-up after an invalidation, from ledger_info_lookup only, where no
 * caller holds the entry of a relation that is gone: a caller holds an
 * entry while it has the relation open, and an open relation cannot be
 * dropped (CheckTableNotInUse).  One exception: replica_ledger_of
 * (replica.c) returns an entry after closing its relation and releasing
 * the lock, so a concurrent drop may commit while its caller holds it;
 * its callers (the apply worker's checks of arriving catalog rows) make
 * no other look-up before they are done with it, and must not.  The
 * relids are collected first, since the syscache look-up may process
 * invalidations, which change the hash table.
 */
static void
ledger_cache_sweep(void)
{
	HASH_SEQ_STATUS status;
	LedgerInfo *info;
	Oid		   *relids;
	long		n = 0;
	long		i;

	ledger_cache_sweep_pending = false;
	relids = palloc(sizeof(Oid) * (hash_get_num_entries(ledger_cache) + 1));
	hash_seq_init(&status, ledger_cache);
	while ((info = hash_seq_search(&status)) != NULL)
	{
		if (!info->valid)
			relids[n++] = info->relid;
	}
	for (i = 0; i < n; i++)
	{
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relids[i])))
			continue;
		info = hash_search(ledger_cache, &relids[i], HASH_FIND, NULL);
		if (info == NULL || info->valid)
			continue;
		if (info->cxt != NULL)
			MemoryContextDelete(info->cxt);
		hash_search(ledger_cache, &relids[i], HASH_REMOVE, NULL);
	}
	pfree(relids);
}

/*
 * The installed catalog's version, as pg_extension says; NULL when the
 * extension is not installed.
 */
char *
ledger_catalog_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("ledger"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * ERROR unless the installed catalog is the one this library writes.  After
 * a package upgrade and before ALTER EXTENSION ledger UPDATE, the new
 * library refuses to read or write ledgers rather than misread the old
 * catalog.  Checked once per transaction.
 */
void
ledger_require_catalog(void)
{
	char	   *version;

	catalog_cache_check();
	if (catalog_version_ok)
		return;
	if (catalog_checked_lxid == MyProc->lxid &&
		catalog_checked_lxid != InvalidLocalTransactionId)
		return;
	/* an install or update script runs with the catalog it builds */
	if (creating_extension)
		return;
	version = ledger_catalog_version();
	if (version != NULL && strcmp(version, LEDGER_CATALOG_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"ledger\" is at version %s, but its library needs version %s",
						version, LEDGER_CATALOG_VERSION),
				 errdetail("The library was upgraded; the catalog it reads and writes is updated by the extension's update scripts."),
				 errhint("Run ALTER EXTENSION ledger UPDATE in this database.")));
	catalog_checked_lxid = MyProc->lxid;
	/* the scan may have processed invalidations: keep the answer only if not */
	if (version != NULL && catalog_cache_valid &&
		catalog_cache_counter == SharedInvalidMessageCounter)
		catalog_version_ok = true;
}

/*
 * ledger._library_version(): LEDGER_CATALOG_VERSION of the library this
 * backend runs.  The install and update scripts make it for a moment
 * (sql/install/00aa_library.sql) to find out that the server still runs an
 * older library than their own version: ledger is preloaded, so after a
 * package upgrade every session runs the library the postmaster loaded at
 * start until the server restarts, and that library lacks this symbol.
 */
PG_FUNCTION_INFO_V1(ledger_library_version);
Datum
ledger_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(LEDGER_CATALOG_VERSION));
}

/* The schema of extension ext (get_extension_schema is static before 16). */
static Oid
catalog_extension_schema(Oid ext)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

/*
 * Schema oid of the extension; errors if the extension is not installed.
 * The extension's own schema, not whatever schema is named "ledger" (one
 * renamed by its owner and replaced by another of that name; the install
 * and update scripts refuse a schema not owned by a superuser, review of
 * 2026-12-05).
 */
Oid
ledger_namespace(void)
{
	Oid			nsp;
	Oid			ext;

	catalog_cache_check();
	if (OidIsValid(catalog_namespace_oid))
		return catalog_namespace_oid;
	ext = get_extension_oid("ledger", true);
	nsp = OidIsValid(ext) ? catalog_extension_schema(ext) : InvalidOid;
	if (!OidIsValid(nsp))
		nsp = get_namespace_oid("ledger", false);
	if (catalog_cache_valid && catalog_cache_counter == SharedInvalidMessageCounter)
		catalog_namespace_oid = nsp;
	return nsp;
}

/*
 * Insert a row into one of the extension's tables, below SQL (no trigger,
 * no privilege check), with its entries in every index of the table.
 *
 * CatalogTupleInsert, which this replaces, forms index entries without an
 * executor state: PostgreSQL's own catalogs have neither expression nor
 * partial indexes (catalog/indexing.c, CatalogIndexInsert).  The
 * extension's tables may get any index a superuser makes for a report:
 * CREATE INDEX ON ledger.transactions ((row_count + 1)) ended the next
 * commit that wrote a ledger with a segmentation fault (FormIndexDatum
 * prepared the expression in a NULL EState), and took the server through
 * crash recovery; a partial index got every row, matching or not, and
 * answered queries with rows its predicate excludes (found by a review of
 * DBA maintenance on 2026-12-07).  The executor's index insertion
 * evaluates expressions and predicates, and checks exclusion constraints
 * (a deferrable unique index is not checked: its recheck would be an AFTER
 * trigger event, which nothing here queues).
 */
void
ledger_catalog_insert(Relation rel, HeapTuple tup)
{
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;

	simple_heap_insert(rel, tup);
	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	if (rri->ri_NumIndices > 0)
	{
		/*
		 * An index expression or predicate may call a function that runs a
		 * query (PL/pgSQL, or an SQL function that is not inlined), which
		 * needs an active snapshot; at pre-commit, where records and
		 * work-list rows are written, there is none (the statement's is
		 * gone).  Without one a PL/pgSQL function's query failed every ledger
		 * commit ("cannot execute SQL without an outer snapshot or portal")
		 * and an SQL function's crashed the server (a review on 2026-12-07).
		 * Take one as PostgreSQL does for deferred triggers at commit
		 * (trigger.c, AfterTriggerFireDeferred); an error leaves it to the
		 * abort.
		 */
		bool		snap = !ActiveSnapshotSet();

		if (snap)
			PushActiveSnapshot(GetTransactionSnapshot());
		slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsHeapTuple);
		ExecStoreHeapTuple(tup, slot, false);
		list_free(ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL));
		ExecClearTuple(slot);
		if (snap)
			PopActiveSnapshot();
	}
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	pfree(rri);
}

/*
 * Oid of a relation (table, index, sequence) in schema ledger, or
 * InvalidOid; cached (name must be a string constant).
 */
Oid
ledger_catalog_object(const char *relname)
{
	Oid			nsp = ledger_namespace();
	Oid			relid;
	int			i;

	/*
	 * the callers name the same constants every time: their addresses first,
	 * then the names (a constant of another file may be a copy); comparing
	 * names along the list cost a single-row ledger transaction 200
	 * instructions, for its three look-ups (bench part bulk_insn)
	 */
	for (i = 0; i < catalog_cache_n; i++)
		if (catalog_cache[i].name == relname)
			return catalog_cache[i].oid;
	for (i = 0; i < catalog_cache_n; i++)
		if (strcmp(catalog_cache[i].name, relname) == 0)
			return catalog_cache[i].oid;
	relid = get_relname_relid(relname, nsp);
	if (OidIsValid(relid))
	{
		/*
		 * of the kind its name says: a view or foreign table put there by a
		 * superuser would otherwise reach a heap scan (the sealer crashed in
		 * a loop on a view, review of 2026-12-05)
		 */
		size_t		len = strlen(relname);
		char		want = len > 4 && strcmp(relname + len - 4, "_seq") == 0 ? RELKIND_SEQUENCE :
		len > 5 && strcmp(relname + len - 5, "_pkey") == 0 ? RELKIND_INDEX : RELKIND_RELATION;

		if (get_rel_relkind(relid) != want)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("ledger catalog relation \"ledger.%s\" is not %s", relname,
							want == RELKIND_SEQUENCE ? "a sequence" :
							want == RELKIND_INDEX ? "an index" : "a table"),
					 errhint("Reinstall the extension with DROP EXTENSION ledger and CREATE EXTENSION ledger.")));
	}
	if (OidIsValid(relid) && catalog_cache_n < CATALOG_CACHE_SIZE &&
		catalog_cache_valid && catalog_cache_counter == SharedInvalidMessageCounter)
	{
		catalog_cache[catalog_cache_n].name = relname;
		catalog_cache[catalog_cache_n].oid = relid;
		catalog_cache_n++;
	}
	return relid;
}

/* Oid of one of the extension's catalog tables. */
Oid
ledger_catalog_relid(const char *relname)
{
	Oid			relid = ledger_catalog_object(relname);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("ledger catalog table \"ledger.%s\" is missing", relname),
				 errhint("Reinstall the extension with DROP EXTENSION ledger and CREATE EXTENSION ledger.")));
	return relid;
}

/*
 * Run fn(arg) as the owner of ledger.ledgers, restoring the caller after,
 * with search_path pinned to pg_catalog, pg_temp: the queries fn runs
 * name every object by schema, but some of SQL's syntax looks an operator
 * up through search_path (IS DISTINCT FROM, IN, NULLIF, CASE x WHEN); a
 * caller's path with a schema of theirs before pg_catalog had their
 * operator run as the extension's owner (found by a review on
 * 2026-12-05: a table owner allowed to call require_signatures made
 * itself superuser).
 */
void
ledger_as_owner(LedgerOwnerFn fn, void *arg)
{
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
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
	/* (undone by the (sub)transaction's abort if fn fails) */
	nestlevel = NewGUCNestLevel();
	PG_TRY();
	{
		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		fn(arg);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nestlevel);
}

/* ledger_catalog_lookup's question and answer, for ledger_as_owner */
typedef struct CatalogLookup
{
	Oid			relid;
	pg_uuid_t  *uuid;
	int		   *format;
	bool	   *replica;
	char	  **subscription;
	MemoryContext cxt;
	int64		result;
} CatalogLookup;

static void
ledger_catalog_lookup_read(void *varg)
{
	CatalogLookup *q = (CatalogLookup *) varg;
	Datum		arg = ObjectIdGetDatum(q->relid);
	Oid			argtype = OIDOID;
	int			ret;
	SPIPlanPtr	plan;

	q->result = -1;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * With the newest snapshot, as PostgreSQL reads its own catalogs: under
	 * REPEATABLE READ the transaction's snapshot could predate the ledger,
	 * and the answer "not a ledger" stayed cached for the session, since no
	 * invalidation came after it (found by a review on 2026-12-05).
	 * PostgreSQL refuses GetLatestSnapshot() in parallel mode, also in the
	 * leader while a Gather runs: every SQL function that can get here
	 * (verify, prove, consistency_proof, signing_bytes, ...) is PARALLEL
	 * UNSAFE, which sql/parallel_query.sql checks in pg_proc.
	 */
	plan = SPI_prepare(ledger_catalog_has_replicas() ?
					   "SELECT l.ledger_id, l.ledger_uuid, l.format_version, "
					   "r.ledger_id IS NOT NULL, r.subscription::pg_catalog.text "
					   "FROM ledger.ledgers l LEFT JOIN ledger.replicas r "
					   "ON r.ledger_id OPERATOR(pg_catalog.=) l.ledger_id "
					   "WHERE l.relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass" :
					   "SELECT l.ledger_id, l.ledger_uuid, l.format_version, "
					   "false, NULL::pg_catalog.text "
					   "FROM ledger.ledgers l "
					   "WHERE l.relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
					   1, &argtype);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, &arg, NULL, GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;

		q->result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1, &isnull));
		if (q->uuid != NULL)
			memcpy(q->uuid, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 2, &isnull)),
				   sizeof(pg_uuid_t));
		if (q->format != NULL)
			*q->format = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 3, &isnull));
		if (q->replica != NULL)
		{
			char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);

			*q->replica = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 4, &isnull));
			*q->subscription = s ? MemoryContextStrdup(q->cxt, s) : NULL;
		}
	}
	SPI_finish();
}

/*
 * Read a relation's ledger id, uuid and row format from the catalog; -1 if
 * it is not a ledger.  Read as the extension's owner (ledger_as_owner): the
 * DDL guards and the ProcessUtility hook ask this of every relation a
 * command touches, as the role running it, and as that role every ALTER
 * TABLE, CREATE TABLE, CREATE TRIGGER, DROP TABLE and INSERT into a ledger
 * failed with "permission denied for table ledgers" once a DBA had revoked
 * SELECT on the catalog from PUBLIC (found by a review on 2026-12-07;
 * test/t/591_guard_caller.pl).  Whether a table is a ledger is no secret:
 * its triggers, in pg_trigger, say so.
 */
static int64
ledger_catalog_lookup(Oid relid, pg_uuid_t *uuid, int *format, bool *replica,
					  char **subscription, MemoryContext cxt)
{
	CatalogLookup q;

	q.relid = relid;
	q.uuid = uuid;
	q.format = format;
	q.replica = replica;
	q.subscription = subscription;
	q.cxt = cxt;
	q.result = -1;
	ledger_as_owner(ledger_catalog_lookup_read, &q);
	return q.result;
}

/*
 * The ledger_id of the ledger with this uuid: the first 8 bytes of
 * SHA-256(uuid), big-endian, with the sign bit cleared.  The same in every
 * database that holds the ledger, so replicated catalog rows keep their
 * keys; hashed, so that uuids sharing a prefix (time-ordered ones) do not
 * share an id.
 */
int64
ledger_id_from_uuid(const pg_uuid_t *uuid)
{
	uint8		h[LEDGER_HASH_LEN];
	uint64		v = 0;
	int			i;

	crypto_sha256_3(uuid->data, UUID_LEN, NULL, 0, NULL, 0, h);
	for (i = 0; i < 8; i++)
		v = (v << 8) | h[i];
	return (int64) (v & UINT64CONST(0x7FFFFFFFFFFFFFFF));
}

/*
 * ledger._ledger_id_of(ledger_uuid uuid) RETURNS int8
 */
PG_FUNCTION_INFO_V1(ledger_ledger_id_of);
Datum
ledger_ledger_id_of(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(ledger_id_from_uuid(PG_GETARG_UUID_P(0)));
}

/*
 * ERROR (22004) when argument argno of the call is NULL: what names it in
 * the message ("ledger table", "signature_column").  For the functions
 * that are not STRICT because a NULL would have done nothing in silence.
 */
void
ledger_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
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

/*
 * ERROR (22021) unless the schema and table names of relid are UTF-8, for
 * fn, which writes them into JSON: digests, proofs and exports are UTF-8
 * JSON, which tools/ledger-audit reads as such.  Only a SQL_ASCII database
 * stores names unchecked; any other one holds them in its own encoding,
 * converted for the client.  The name is informative (no hash covers it),
 * so renaming is the remedy, and leaves every digest valid.
 */
void
ledger_name_must_be_utf8(Oid relid, const char *fn)
{
	const char *names[2];
	int			i;

	if (GetDatabaseEncoding() != PG_SQL_ASCII)
		return;
	names[0] = get_namespace_name(get_rel_namespace(relid));
	names[1] = get_rel_name(relid);
	for (i = 0; i < 2; i++)
	{
		int			len;
		int			valid;

		if (names[i] == NULL)
			continue;
		len = strlen(names[i]);
		valid = pg_encoding_verifymbstr(PG_UTF8, names[i], len);
		if (valid < len)
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("%s cannot name table \"%s\" in UTF-8", fn, names[1]),
					 errdetail("The %s name \"%s\" holds byte 0x%02x, which is not UTF-8: "
							   "this SQL_ASCII database stores names unchecked, and ledger digests, "
							   "proofs and exports are UTF-8 JSON that name the table.",
							   i == 0 ? "schema" : "table", names[i],
							   (unsigned char) names[i][valid]),
					 errhint("Rename the %s to a name in UTF-8 (ALTER %s ... RENAME TO): "
							 "no hash of a ledger covers its name.",
							 i == 0 ? "schema" : "table", i == 0 ? "SCHEMA" : "TABLE")));
	}
}

/*
 * ledger._check_name_utf8(tbl regclass, fn text) RETURNS void
 *
 * ledger_name_must_be_utf8 for ledger.export().
 */
PG_FUNCTION_INFO_V1(ledger_check_name_utf8);
Datum
ledger_check_name_utf8(PG_FUNCTION_ARGS)
{
	ledger_name_must_be_utf8(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/* The table of a ledger id, or InvalidOid. */
Oid
ledger_relation_of_id(int64 ledger_id)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	Oid			relid = InvalidOid;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT relation::pg_catalog.oid FROM ledger.ledgers "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.ledgers");
	if (SPI_processed > 0)
		relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return relid;
}

/*
 * Does the catalog have ledger.replicas?  An older one (CREATE EXTENSION
 * ledger VERSION '0.1.0', which the library must still load) has not.
 */
bool
ledger_catalog_has_replicas(void)
{
	return OidIsValid(ledger_catalog_object("replicas"));
}

/* ledger_id_is_replica's question and answer, for ledger_as_owner */
typedef struct CatalogReplicaQuery
{
	int64		ledger_id;
	bool		result;
} CatalogReplicaQuery;

/* ledger_id_is_replica's read, as the extension's owner */
static void
ledger_id_is_replica_read(void *arg)
{
	CatalogReplicaQuery *q = (CatalogReplicaQuery *) arg;
	Datum		value = Int64GetDatum(q->ledger_id);
	Oid			argtype = INT8OID;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* either says so: ledgers.replica holds before a restore loads replicas */
	if (SPI_execute_with_args("SELECT 1 FROM ledger.replicas "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
							  "UNION ALL SELECT 1 FROM ledger.ledgers "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND replica",
							  1, &argtype, &value, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.replicas");
	q->result = SPI_processed > 0;
	SPI_finish();
}

/*
 * Is the ledger a replica of another institution's (ledger.replicas)?
 * Read as the extension's owner (ledger_as_owner): digest() and verify()
 * ask it as their caller, and a role granted SELECT on the catalog tables
 * docs/design.md ("Privileges") names for a catalog revoked from PUBLIC got
 * "permission denied for table replicas" (found by a review of a hardened
 * database on 2026-12-07; test/t/597_revoked_execute.pl).  Which ledgers
 * are replicas is no secret: ledger.ledgers says so too.
 */
bool
ledger_id_is_replica(int64 ledger_id)
{
	CatalogReplicaQuery q;

	if (!ledger_catalog_has_replicas())
		return false;
	q.ledger_id = ledger_id;
	q.result = false;
	ledger_as_owner(ledger_id_is_replica_read, &q);
	return q.result;
}

/* Ledger id of a relation, or -1 (or an error) when it is not a ledger. */
int64
ledger_id_for_relation(Oid relid, bool missing_ok)
{
	int64		result;

	ledger_require_catalog();
	result = ledger_catalog_lookup(relid, NULL, NULL, NULL, NULL, NULL);

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

	ledger_require_catalog();
	if (ledger_cache_sweep_pending)
		ledger_cache_sweep();
	info = hash_search(ledger_cache, &relid, HASH_ENTER, &found);
	if (!found)
		info->cxt = NULL;
	else if (info->valid)
		return info->ledger_id > 0 ? info : NULL;

	/* (re)build; the old layout goes with its own context */
	info->valid = false;
	if (info->cxt == NULL)
		info->cxt = AllocSetContextCreate(ledger_cache_cxt, "ledger layout",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(info->cxt);
	info->subscription = NULL;
	info->ledger_id = ledger_catalog_lookup(relid, &info->uuid, &info->format,
											&info->replica, &info->subscription,
											info->cxt);
	if (info->ledger_id > 0)
		canon_layout_init(&info->layout, RelationGetDescr(rel), 0, info->cxt);
	else
	{
		/*
		 * a negative entry holds no memory of its own (see
		 * ledger_cache_inval)
		 */
		MemoryContextDelete(info->cxt);
		info->cxt = NULL;
		info->subscription = NULL;
	}
	info->valid = true;
	return info->ledger_id > 0 ? info : NULL;
}

/* Drop what the cache holds about one relation (after registering it). */
void
ledger_info_forget(Oid relid)
{
	ledger_cache_inval((Datum) 0, relid);
}

/* A plan of sql prepared and kept for the backend (catalog.h). */
SPIPlanPtr
ledger_prepare_kept(const char *sql, int nargs, Oid *argtypes, const char *what)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare %s: %s", what, SPI_result_code_string(SPI_result));
	return plan;
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
				 errmsg("stored hash is not 32 bytes long"),
				 errdetail_internal("The %s holds %zu bytes.", what,
									(size_t) VARSIZE_ANY_EXHDR(b)),
				 errhint("Run ledger.verify() on the ledger.")));
	memcpy(out, VARDATA_ANY(b), LEDGER_HASH_LEN);
}

/* ledger_catalog_first_text's query and answer, for ledger_as_owner */
typedef struct CatalogFirstText
{
	const char *sql;
	Oid			argtype;
	Datum		arg;
	const char *what;
	char	   *result;
	Oid			relid;			/* the answer, when a regclass */
} CatalogFirstText;

static void
ledger_catalog_first_text_read(void *varg)
{
	CatalogFirstText *q = (CatalogFirstText *) varg;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(q->sql, 1, &q->argtype, &q->arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s", q->what);
	if (SPI_processed > 0 && SPI_gettypeid(SPI_tuptable->tupdesc, 1) == REGCLASSOID)
	{
		bool		isnull;

		q->relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			q->relid = InvalidOid;
	}
	else if (SPI_processed > 0)
		q->result = MemoryContextStrdup(TopTransactionContext,
										SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
}

/*
 * The first column of the first row of a one-parameter query (text, in
 * TopTransactionContext), or NULL when it returns no row; what names the
 * catalog read, for the error.  Read as the extension's owner with
 * search_path pinned (ledger_as_owner): the guards that ask run as the role
 * running the DDL, which may not read the catalog (see
 * ledger_catalog_lookup), and whose search_path could put its own operators
 * before pg_catalog's.  A regclass is named after, in the caller's terms
 * (by its search_path), as the messages that use it always named tables.
 * Callers check first that the role may run the command at all, so that
 * ledger names nothing to one that may not.
 */
char *
ledger_catalog_first_text(const char *sql, Oid argtype, Datum arg, const char *what)
{
	CatalogFirstText q;

	q.sql = sql;
	q.argtype = argtype;
	q.arg = arg;
	q.what = what;
	q.result = NULL;
	q.relid = InvalidOid;
	ledger_as_owner(ledger_catalog_first_text_read, &q);
	if (OidIsValid(q.relid))
		q.result = MemoryContextStrdup(TopTransactionContext,
									   DatumGetCString(DirectFunctionCall1(regclassout,
																		   ObjectIdGetDatum(q.relid))));
	return q.result;
}
