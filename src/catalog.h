/*-------------------------------------------------------------------------
 *
 * catalog.h
 *		The extension's catalog: where it is, who owns it, which tables are
 *		ledgers, and a per-backend cache of ledger descriptions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CATALOG_H
#define LEDGER_CATALOG_H

#include "utils/rel.h"
#include "utils/uuid.h"

#include "canon.h"
#include "crypto.h"

/* What a backend caches about one ledger table. */
typedef struct LedgerInfo
{
	Oid			relid;			/* hash key */
	int64		ledger_id;
	pg_uuid_t	uuid;
	int			format;			/* row format: CANON_ROW_FORMAT_1 or _2 */
	bool		replica;		/* a replica of another institution's ledger */
	char	   *subscription;	/* its subscription (in cxt), NULL if dropped */
	bool		valid;
	MemoryContext cxt;			/* holds layout; reset on rebuild */
	CanonLayout layout;
} LedgerInfo;

/* The catalog version this library reads and writes. */
#define LEDGER_CATALOG_VERSION "0.2.0"

/* The installed catalog's version; NULL when not installed. */
extern char *ledger_catalog_version(void);

/* ERROR (55000) unless the installed catalog is LEDGER_CATALOG_VERSION. */
extern void ledger_require_catalog(void);

/* Schema oid of the extension ("ledger"); errors if not installed. */
extern Oid	ledger_namespace(void);
extern Oid	ledger_catalog_relid(const char *relname);

/* Oid of a relation in schema ledger, or InvalidOid (name: a constant). */
extern Oid	ledger_catalog_object(const char *relname);

/*
 * Insert tup into rel, one of the extension's tables (open with
 * RowExclusiveLock), and its entries into every index of rel, expression
 * and partial indexes a DBA added included.
 */
extern void ledger_catalog_insert(Relation rel, HeapTuple tup);

/*
 * Run fn(arg) as the owner of the extension's catalog, in a restricted
 * security context; the caller's identity is restored however fn exits.
 */
typedef void (*LedgerOwnerFn) (void *arg);
extern void ledger_as_owner(LedgerOwnerFn fn, void *arg);

/* ERROR (42P01) unless relid names an existing relation. */
extern void ledger_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *what);
extern void ledger_relation_must_exist(Oid relid);

/* Look up a ledger by relation: ledger id, or -1 when not a ledger. */
extern int64 ledger_id_for_relation(Oid relid, bool missing_ok);

/* The ledger_id of the ledger with this uuid (the same in every database). */
extern int64 ledger_id_from_uuid(const pg_uuid_t *uuid);

/* Cached ledger description of a relation, or NULL if it is not a ledger. */
extern LedgerInfo *ledger_info_lookup(Relation rel);

/*
 * ERROR (22021) unless the schema and table names of relid can be written
 * as UTF-8 (only a SQL_ASCII database holds names that cannot); fn names
 * the function that would write them.
 */
extern void ledger_name_must_be_utf8(Oid relid, const char *fn);

/* The table of a ledger id, or InvalidOid. */
extern Oid	ledger_relation_of_id(int64 ledger_id);

/* Does the catalog have ledger.replicas (not before 0.2.0)? */
extern bool ledger_catalog_has_replicas(void);

/* Is the ledger a replica of another institution's (ledger.replicas)? */
extern bool ledger_id_is_replica(int64 ledger_id);

/*
 * The first column of the first row of a one-parameter catalog query, as
 * text in TopTransactionContext, or NULL; what names what was read.
 */
extern char *ledger_catalog_first_text(const char *sql, Oid argtype, Datum arg,
									   const char *what);

/* Drop what the cache holds about one relation (after registering it). */
extern void ledger_info_forget(Oid relid);

/*
 * A plan of sql prepared once and kept for the backend (SPI connected): the
 * plan cache replans it after DDL on what it reads.  what names the query
 * in an error.
 */
extern struct _SPI_plan *ledger_prepare_kept(const char *sql, int nargs, Oid *argtypes,
											 const char *what);

/* bytea from/to a 32-byte hash; what names the hash in an error */
extern bytea *ledger_hash_to_bytea(const uint8 *hash);
extern void ledger_bytea_to_hash(bytea *b, uint8 *out, const char *what);

#endif							/* LEDGER_CATALOG_H */
