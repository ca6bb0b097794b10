/*-------------------------------------------------------------------------
 *
 * signed.c
 *		Signed ledgers: every inserted row must carry a signature, by a
 *		registered key valid at insert time, over the row's canonical bytes.
 *
 * The signed message
 * ------------------
 * For a row of a signed ledger the client signs
 *
 *		"ledger-row-v1" || ledger_uuid (16 bytes) || canonical row bytes
 *
 * where the canonical bytes (canon.c, docs/canonical-format.md) leave out
 * the signature column and the ledger_* columns; the key column is
 * included.  The tag separates row signatures from anything else a key may
 * sign, and the ledger's uuid separates ledgers, so a row signed for one
 * ledger never verifies in another.  ledger.signing_bytes() returns exactly
 * these bytes for a row value.  The signature column itself is then covered
 * by the ledger's hash chain (zz_ledger_row hashes every column).
 *
 * The trigger
 * -----------
 * ledger.require_signatures() attaches "ledger_signature", a BEFORE INSERT
 * row trigger enabled ALWAYS.  Triggers of one kind fire in name order, so
 * it fires just before "zz_ledger_row"; it checks on every row that no other
 * BEFORE INSERT row trigger sorts between the two (one could change a row
 * after its signature was checked).  Per row: the key must be registered,
 * valid at now() (valid_from <= now() < valid_until) and not revoked at
 * now(); the signature must verify; and the signed message must not have
 * been inserted before.
 *
 * Replays
 * -------
 * ECDSA signatures are malleable (high-S is accepted, see docs/signing.md),
 * so replays are keyed on the message, not the signature: the trigger
 * inserts (ledger_id, sha256(message), key_id) into ledger.signed_messages,
 * whose primary key is (ledger_id, message_hash).  The message contains the
 * key id, so this is the same rule as uniqueness on (key, message).  A probe
 * under SnapshotSelf first gives a clear error for replays that are
 * committed or in this transaction; the unique index settles races between
 * concurrent transactions (with the index's own 23505 message).  The row is
 * inserted directly (CatalogTupleInsert), so the caller needs no privilege on
 * the side table and no trigger or rule is involved.
 *
 * Key cache
 * ---------
 * Parsed keys are cached per backend in a hash table keyed by a hash of the
 * key id (the entry keeps the full id; a collision just reloads).  A
 * statement trigger on ledger.keys sends a relcache invalidation for
 * ledger.keys on every INSERT or UPDATE; our relcache callback only marks
 * the cache stale, and the next lookup frees every OpenSSL key and starts
 * over.  Freeing lazily means a key in use is never freed under the caller
 * (invalidations are processed whenever a lock is taken).  Keys are read
 * with the latest snapshot, so a revocation committed by another backend
 * counts from the next row on, even inside a running COPY.  OpenSSL keys are
 * allocated by OpenSSL and owned by the cache until the next flush, so an
 * ERROR leaks nothing.
 *
 * Memory: per-row work is in the trigger's per-tuple context; the message
 * buffers are kept in TopMemoryContext; the per-relation descriptions live
 * in one child context of CacheMemoryContext each, deleted on rebuild.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "canon.h"
#include "compat.h"
#include "crypto.h"
#include "sig.h"
#include "signed.h"
#include "table.h"

PG_FUNCTION_INFO_V1(ledger_signature_trigger);
PG_FUNCTION_INFO_V1(ledger_keys_changed);
PG_FUNCTION_INFO_V1(ledger_require_signatures);
PG_FUNCTION_INFO_V1(ledger_signing_bytes);

/* How a signed ledger's rows are signed; shared by trigger and verify. */
typedef struct SignedShape
{
	int64		ledger_id;
	pg_uuid_t	uuid;
	AttrNumber	sig_attnum;
	AttrNumber	key_attnum;
	char	   *sig_attname;
	char	   *key_attname;
	CanonLayout layout;			/* without the signature column */
	int			npk;			/* primary key columns, for messages */
	AttrNumber *pk_attnums;
} SignedShape;

/* Per-relation cache entry. */
typedef struct SignedInfo
{
	Oid			relid;			/* hash key */
	bool		valid;
	bool		is_signed;
	MemoryContext cxt;			/* holds shape; deleted on rebuild */
	SignedShape shape;
} SignedInfo;

/* A registered key, as the registry says now (trigger) or then (verify). */
typedef struct SignedKey
{
	uint32		hashkey;		/* hash of key_id: the cache's hash key */
	char	   *key_id;
	CryptoAlgorithm alg;
	bytea	   *pub;			/* canonical public key bytes */
	TimestampTz valid_from;
	TimestampTz valid_until;	/* DT_NOEND when open */
	TimestampTz revoked_at;		/* DT_NOEND when not revoked */
	TimestampTz added_at;
	CryptoPublicKey *key;		/* parsed on first use; OpenSSL memory */
} SignedKey;

/* Commit time of one transaction, for verify. */
typedef struct SignedCommit
{
	int64		xact;			/* hash key */
	TimestampTz committed_at;
} SignedCommit;

struct SignedVerifier
{
	SignedShape shape;
	TupleDesc	tupdesc;
	int			nkeys;
	SignedKey  *keys;			/* sorted by key_id, bytewise */
	HTAB	   *commits;
	StringInfoData canon;
	StringInfoData msg;
	MemoryContextCallback cb;	/* frees the parsed keys */
};

/* ---------- backend-lifetime state ---------- */

static HTAB *signed_info_cache = NULL;
static MemoryContext signed_info_cxt = NULL;

static HTAB *signed_keys = NULL;
static MemoryContext signed_keys_cxt = NULL;
static Oid	signed_keys_relid = InvalidOid;
static bool signed_keys_stale = false;
static SPIPlanPtr signed_key_plan = NULL;

static Oid	signed_messages_relid = InvalidOid;

/* Message buffers reused across rows; in TopMemoryContext. */
static StringInfo signed_canon_buf = NULL;
static StringInfo signed_msg_buf = NULL;

/*
 * Keys that signed rows recorded by the current transaction, re-checked at
 * pre-commit (signed_precommit_check).  Keyed by a hash of the key id; an
 * id whose hash is taken by another id goes to the overflow list.  Lives in
 * TopTransactionContext; forgotten at transaction end.
 */
typedef struct SignedUsedKey
{
	uint32		hashkey;
	char	   *key_id;
	SubTransactionId subid;		/* innermost subtransaction that used it */
}			SignedUsedKey;

static HTAB *signed_used = NULL;
static List *signed_used_overflow = NIL;	/* of SignedUsedKey * */

static SignedKey *signed_key_lookup(const char *key_id);

/* ---------- invalidation ---------- */

/*
 * Relcache callback: ledger.keys changed (sent by ledger.keys_changed), or a
 * signed ledger's definition changed, or everything must go.  Only marks;
 * the next lookup rebuilds.
 */
static void
signed_relcache_cb(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == signed_keys_relid)
		signed_keys_stale = true;
	if (relid == InvalidOid || relid == signed_messages_relid)
		signed_messages_relid = InvalidOid;
	if (signed_info_cache != NULL)
	{
		HASH_SEQ_STATUS status;
		SignedInfo *info;

		hash_seq_init(&status, signed_info_cache);
		while ((info = hash_seq_search(&status)) != NULL)
		{
			if (relid == InvalidOid || info->relid == relid)
				info->valid = false;
		}
	}
}

/* Transaction end: forget the keys used. */
static void
signed_xact_cb(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the memory goes with TopTransactionContext */
			signed_used = NULL;
			signed_used_overflow = NIL;
			break;
		default:
			break;
	}
}

/* Move (commit) or drop (abort) what a subtransaction recorded. */
static void
signed_used_subxact(SubTransactionId mySubid, SubTransactionId parentSubid,
					bool commit)
{
	ListCell   *lc;

	if (signed_used != NULL)
	{
		HASH_SEQ_STATUS status;
		SignedUsedKey *u;

		hash_seq_init(&status, signed_used);
		while ((u = hash_seq_search(&status)) != NULL)
		{
			if (u->subid != mySubid)
				continue;
			if (commit)
				u->subid = parentSubid;
			else
				hash_search(signed_used, &u->hashkey, HASH_REMOVE, NULL);
		}
	}
	foreach(lc, signed_used_overflow)
	{
		SignedUsedKey *u = lfirst(lc);

		if (u->subid != mySubid)
			continue;
		if (commit)
			u->subid = parentSubid;
		else
			signed_used_overflow = foreach_delete_current(signed_used_overflow, lc);
	}
}

static void
signed_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		signed_used_subxact(mySubid, parentSubid, true);
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		signed_used_subxact(mySubid, parentSubid, false);
}

/* Register callbacks; called from _PG_init. */
void
signed_init(void)
{
	CacheRegisterRelcacheCallback(signed_relcache_cb, (Datum) 0);
	RegisterXactCallback(signed_xact_cb, NULL);
	RegisterSubXactCallback(signed_subxact_cb, NULL);
}

/* Remember that key_id signed a row this transaction records. */
static void
signed_note_key(const char *key_id)
{
	uint32		h = hash_bytes((const unsigned char *) key_id, strlen(key_id));
	SignedUsedKey *u;
	bool		found;
	ListCell   *lc;

	if (signed_used == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(SignedUsedKey);
		ctl.hcxt = TopTransactionContext;
		signed_used = hash_create("ledger keys used by this transaction", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	u = hash_search(signed_used, &h, HASH_ENTER, &found);
	if (!found)
	{
		u->key_id = MemoryContextStrdup(TopTransactionContext, key_id);
		u->subid = GetCurrentSubTransactionId();
		return;
	}
	if (strcmp(u->key_id, key_id) == 0)
		return;
	/* another id with the same hash */
	foreach(lc, signed_used_overflow)
	{
		if (strcmp(((SignedUsedKey *) lfirst(lc))->key_id, key_id) == 0)
			return;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		u = palloc(sizeof(SignedUsedKey));
		u->hashkey = h;
		u->key_id = pstrdup(key_id);
		u->subid = GetCurrentSubTransactionId();
		signed_used_overflow = lappend(signed_used_overflow, u);
		MemoryContextSwitchTo(old);
	}
}

/* Refuse a commit for one used key's state at commit time t. */
static void
signed_precommit_key(const char *key_id, TimestampTz t)
{
	SignedKey  *k = signed_key_lookup(key_id);
	char	   *tstr;

	if (k == NULL)
		return;					/* keys are never deleted */
	if (k->revoked_at > t && k->valid_until > t)
		return;
	tstr = pstrdup(timestamptz_to_str(t));
	if (k->revoked_at <= t)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("key \"%s\" was revoked before the transaction that used it committed",
						key_id),
				 errdetail("The key was revoked at %s; the transaction would commit at %s, so its rows signed by the key are not recorded.",
						   timestamptz_to_str(k->revoked_at), tstr),
				 errhint("Sign the rows again with a key that is valid and not revoked, in a new transaction.")));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("key \"%s\" expired before the transaction that used it committed",
					key_id),
			 errdetail("The key was valid until %s; the transaction would commit at %s, so its rows signed by the key are not recorded.",
					   timestamptz_to_str(k->valid_until), tstr),
			 errhint("Commit before a signing key's valid_until, or sign with a key valid at commit time.")));
}

/*
 * Pre-commit: every key that signed a row this transaction records must
 * still be valid and unrevoked at t, the commit time written into the
 * transaction's ledger.transactions record, which is the instant
 * ledger.verify judges the rows at.  The registry is read afresh
 * (invalidations first), so a revocation committed since the rows were
 * inserted counts.  Raises ERROR, which rolls the transaction back.
 */
void
signed_precommit_check(TimestampTz t)
{
	ListCell   *lc;

	if (signed_used == NULL && signed_used_overflow == NIL)
		return;
	AcceptInvalidationMessages();
	if (signed_used != NULL)
	{
		HASH_SEQ_STATUS status;
		SignedUsedKey *u;

		hash_seq_init(&status, signed_used);
		while ((u = hash_seq_search(&status)) != NULL)
		{
			/* an ERROR aborts the transaction, which ends the scan */
			signed_precommit_key(u->key_id, t);
		}
	}
	foreach(lc, signed_used_overflow)
		signed_precommit_key(((SignedUsedKey *) lfirst(lc))->key_id, t);
}

/*
 * ledger.keys_changed() RETURNS trigger
 *
 * AFTER INSERT OR UPDATE FOR EACH STATEMENT on ledger.keys: tells every
 * backend, at commit, to drop its cached keys.
 */
Datum
ledger_keys_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.keys_changed\" was not called by the trigger manager")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);	/* ignored, but must not be SQL NULL */
}

/* ---------- shapes ---------- */

/* Lower-case hex of n bytes, palloc'd. */
static char *
signed_hex(const uint8 *p, int n)
{
	static const char digits[] = "0123456789abcdef";
	char	   *s = palloc(n * 2 + 1);
	int			i;

	for (i = 0; i < n; i++)
	{
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/*
 * Fill a shape for rel from the catalog's column names, allocating in mcxt.
 * Errors if a configured column has gone (the DDL guard prevents it).
 */
static void
signed_shape_build(SignedShape *shape, Relation rel, int64 ledger_id,
				   const pg_uuid_t *uuid, const char *sig_attname,
				   const char *key_attname, MemoryContext mcxt)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			pkoid;

	memset(shape, 0, sizeof(SignedShape));
	shape->ledger_id = ledger_id;
	memcpy(&shape->uuid, uuid, sizeof(pg_uuid_t));
	shape->sig_attnum = get_attnum(relid, sig_attname);
	shape->key_attnum = get_attnum(relid, key_attname);
	if (shape->sig_attnum <= 0 || shape->key_attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("signed ledger table \"%s\" lacks its signature column \"%s\" or key column \"%s\"",
						RelationGetRelationName(rel), sig_attname, key_attname)));
	shape->sig_attname = MemoryContextStrdup(mcxt, sig_attname);
	shape->key_attname = MemoryContextStrdup(mcxt, key_attname);
	canon_layout_init(&shape->layout, RelationGetDescr(rel), shape->sig_attnum,
					  mcxt);

	pkoid = RelationGetPrimaryKeyIndex(rel);
	if (OidIsValid(pkoid))
	{
		Relation	idx = index_open(pkoid, AccessShareLock);
		int			n = idx->rd_index->indnkeyatts;
		int			i;

		shape->pk_attnums = MemoryContextAlloc(mcxt, sizeof(AttrNumber) * n);
		for (i = 0; i < n; i++)
		{
			AttrNumber	a = idx->rd_index->indkey.values[i];

			if (a <= 0)
				break;			/* expression: no plain identity */
			shape->pk_attnums[shape->npk++] = a;
		}
		if (shape->npk != n)
			shape->npk = 0;
		index_close(idx, AccessShareLock);
	}
}

/*
 * The row's identity for messages: "(id)=(42)" from the primary key, or
 * "with message hash <hex>" when the table has none.
 */
static char *
signed_row_ident(const SignedShape *shape, TupleDesc tupdesc, Datum *values,
				 bool *isnull, const uint8 *mhash)
{
	StringInfoData buf;
	int			i;

	if (shape->npk == 0)
		return psprintf("with message hash %s", signed_hex(mhash, LEDGER_HASH_LEN));

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (i = 0; i < shape->npk; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "",
						 quote_identifier(NameStr(TupleDescAttr(tupdesc, shape->pk_attnums[i] - 1)->attname)));
	appendStringInfoString(&buf, ")=(");
	for (i = 0; i < shape->npk; i++)
	{
		int			a = shape->pk_attnums[i] - 1;

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (isnull[a])
			appendStringInfoString(&buf, "null");
		else
		{
			Oid			outfn;
			bool		varlena;
			char	   *s;

			getTypeOutputInfo(TupleDescAttr(tupdesc, a)->atttypid, &outfn, &varlena);
			s = OidOutputFunctionCall(outfn, values[a]);
			if (strlen(s) > 64)
				appendStringInfo(&buf, "%.*s...", pg_mbcliplen(s, strlen(s), 64), s);
			else
				appendStringInfoString(&buf, s);
		}
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * The message a row's signature covers, into msg (canon is scratch).
 * Both buffers are reset first.
 */
static void
signed_build_message(StringInfo msg, StringInfo canon, const SignedShape *shape,
					 TupleDesc tupdesc, Datum *values, bool *isnull)
{
	canon_row_bytes(canon, &shape->layout, tupdesc, values, isnull);
	resetStringInfo(msg);
	appendBinaryStringInfo(msg, SIGNED_ROW_TAG, SIGNED_ROW_TAG_LEN);
	appendBinaryStringInfo(msg, (const char *) shape->uuid.data, UUID_LEN);
	appendBinaryStringInfo(msg, canon->data, canon->len);
}

/* The per-backend message buffers, made on first use. */
static void
signed_buffers(void)
{
	if (signed_msg_buf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		signed_canon_buf = makeStringInfo();
		signed_msg_buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
}

/*
 * The signature and key column names of a ledger, or false when it does not
 * require signatures.  Results are palloc'd in the caller's context.
 */
static bool
signed_config(int64 ledger_id, char **sig_attname, char **key_attname)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	bool		found = false;
	MemoryContext caller = CurrentMemoryContext;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT s.signature_attname::pg_catalog.text, s.key_attname::pg_catalog.text "
								"FROM ledger.signed_ledgers s "
								"WHERE s.ledger_id OPERATOR(pg_catalog.=) $1",
								1, &argtype, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *k = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		*sig_attname = MemoryContextStrdup(caller, s);
		*key_attname = MemoryContextStrdup(caller, k);
		found = true;
	}
	SPI_finish();
	return found;
}

/* Cached signed-ledger description of rel, or NULL if it is not one. */
static SignedInfo *
signed_info_lookup(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	SignedInfo *info;
	LedgerInfo *linfo;
	bool		found;
	char	   *sig_attname;
	char	   *key_attname;

	if (signed_info_cache == NULL)
	{
		HASHCTL		ctl;

		if (!CacheMemoryContext)
			CreateCacheMemoryContext();
		signed_info_cxt = AllocSetContextCreate(CacheMemoryContext,
												"ledger signed table cache",
												ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SignedInfo);
		ctl.hcxt = signed_info_cxt;
		signed_info_cache = hash_create("ledger signed table cache", 16, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	info = hash_search(signed_info_cache, &relid, HASH_ENTER, &found);
	if (!found)
		info->cxt = NULL;
	else if (info->valid)
		return info->is_signed ? info : NULL;

	info->valid = false;
	info->is_signed = false;
	if (info->cxt != NULL)
		MemoryContextDelete(info->cxt);
	info->cxt = NULL;

	linfo = ledger_info_lookup(rel);
	if (linfo != NULL && signed_config(linfo->ledger_id, &sig_attname, &key_attname))
	{
		MemoryContext cxt = AllocSetContextCreate(signed_info_cxt,
												  "ledger signed table",
												  ALLOCSET_SMALL_SIZES);

		info->cxt = cxt;
		signed_shape_build(&info->shape, rel, linfo->ledger_id, &linfo->uuid,
						   sig_attname, key_attname, cxt);
		info->is_signed = true;
	}
	info->valid = true;
	return info->is_signed ? info : NULL;
}

/* ---------- the key cache ---------- */

/* Free every cached key; the cache is rebuilt on the next lookup. */
static void
signed_keys_flush(void)
{
	if (signed_keys != NULL)
	{
		HASH_SEQ_STATUS status;
		SignedKey  *k;

		hash_seq_init(&status, signed_keys);
		while ((k = hash_seq_search(&status)) != NULL)
		{
			crypto_free_public_key(k->key);
			k->key = NULL;
		}
	}
	signed_keys = NULL;
	if (signed_keys_cxt != NULL)
		MemoryContextReset(signed_keys_cxt);
	signed_keys_relid = InvalidOid;
	signed_keys_stale = false;
}

/* Fill k's fields (except hashkey and key) from a ledger.keys SPI row. */
static void
signed_key_from_spi(SignedKey *k, HeapTuple tup, TupleDesc td, int first,
					MemoryContext mcxt)
{
	bool		isnull;
	text	   *alg;
	bytea	   *pub;
	Datum		d;

	alg = DatumGetTextPP(SPI_getbinval(tup, td, first, &isnull));
	k->alg = crypto_algorithm_from_name(VARDATA_ANY(alg), VARSIZE_ANY_EXHDR(alg));
	pub = DatumGetByteaPP(SPI_getbinval(tup, td, first + 1, &isnull));
	k->pub = MemoryContextAlloc(mcxt, VARHDRSZ + VARSIZE_ANY_EXHDR(pub));
	SET_VARSIZE(k->pub, VARHDRSZ + VARSIZE_ANY_EXHDR(pub));
	memcpy(VARDATA(k->pub), VARDATA_ANY(pub), VARSIZE_ANY_EXHDR(pub));
	k->valid_from = DatumGetTimestampTz(SPI_getbinval(tup, td, first + 2, &isnull));
	d = SPI_getbinval(tup, td, first + 3, &isnull);
	k->valid_until = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, td, first + 4, &isnull);
	k->revoked_at = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	k->added_at = DatumGetTimestampTz(SPI_getbinval(tup, td, first + 5, &isnull));
	k->key = NULL;
}

/*
 * The registry's current entry for key_id, from the cache or read with the
 * latest snapshot; NULL if no such key is registered.
 */
static SignedKey *
signed_key_lookup(const char *key_id)
{
	uint32		h = hash_bytes((const unsigned char *) key_id, strlen(key_id));
	SignedKey  *k;
	SignedKey	loaded;
	bool		found;
	Datum		arg;
	int			ret;

	if (signed_keys_stale)
		signed_keys_flush();
	if (signed_keys == NULL)
	{
		HASHCTL		ctl;

		if (signed_keys_cxt == NULL)
			signed_keys_cxt = AllocSetContextCreate(CacheMemoryContext,
													"ledger key cache",
													ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(SignedKey);
		ctl.hcxt = signed_keys_cxt;
		signed_keys = hash_create("ledger key cache", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		signed_keys_relid = ledger_catalog_relid("keys");
	}

	k = hash_search(signed_keys, &h, HASH_FIND, NULL);
	if (k != NULL && k->key_id != NULL && strcmp(k->key_id, key_id) == 0)
		return k;

	/* not cached (or a hash collision): read the registry */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (signed_key_plan == NULL)
	{
		Oid			argtype = TEXTOID;
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT k.algorithm, k.public_key, k.valid_from, k.valid_until, "
						   "k.revoked_at, k.added_at FROM ledger.keys k "
						   "WHERE k.key_id OPERATOR(pg_catalog.=) $1",
						   1, &argtype);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		signed_key_plan = plan;
	}
	arg = CStringGetTextDatum(key_id);
	ret = SPI_execute_snapshot(signed_key_plan, &arg, NULL, GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(ret));
	found = SPI_processed > 0;
	if (found)
	{
		memset(&loaded, 0, sizeof(loaded));
		signed_key_from_spi(&loaded, SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
							1, signed_keys_cxt);
		loaded.key_id = MemoryContextStrdup(signed_keys_cxt, key_id);
	}
	SPI_finish();
	if (!found)
		return NULL;

	/* invalidations met meanwhile only marked the cache stale */
	k = hash_search(signed_keys, &h, HASH_ENTER, &found);
	if (found)
		crypto_free_public_key(k->key);
	loaded.hashkey = h;
	*k = loaded;
	return k;
}

/* The parsed public key of a registry entry, parsed once. */
static CryptoPublicKey *
signed_key_parsed(SignedKey *k)
{
	if (k->key == NULL)
		k->key = sig_parse_public_key(k->alg, (const uint8 *) VARDATA(k->pub),
									  VARSIZE(k->pub) - VARHDRSZ);
	return k->key;
}

/* ---------- replay protection ---------- */

/*
 * Record that ledger_id has accepted the message with hash mhash, signed by
 * key_id; refuse it if it was accepted before.
 */
static void
signed_record_message(Relation rel, const SignedShape *shape, const char *key_id,
					  const uint8 *mhash, TupleDesc tupdesc, Datum *values,
					  bool *isnull)
{
	Relation	msgrel;
	Oid			pkoid;
	ScanKeyData skey[2];
	SysScanDesc scan;
	bool		dup;
	bytea	   *hb;
	Datum		vals[3];
	bool		nulls[3] = {false, false, false};
	HeapTuple	tup;

	if (!OidIsValid(signed_messages_relid))
		signed_messages_relid = ledger_catalog_relid("signed_messages");
	msgrel = table_open(signed_messages_relid, RowExclusiveLock);
	pkoid = RelationGetPrimaryKeyIndex(msgrel);
	if (!OidIsValid(pkoid))
		elog(ERROR, "ledger.signed_messages has no primary key");

	hb = ledger_hash_to_bytea(mhash);
	ScanKeyInit(&skey[0], 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(shape->ledger_id));
	ScanKeyInit(&skey[1], 2, BTEqualStrategyNumber, F_BYTEAEQ,
				PointerGetDatum(hb));
	scan = systable_beginscan(msgrel, pkoid, true, SnapshotSelf, 2, skey);
	dup = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	if (dup)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("row %s of ledger table \"%s\" signed by key \"%s\" was already inserted",
						signed_row_ident(shape, tupdesc, values, isnull, mhash),
						RelationGetRelationName(rel), key_id),
				 errdetail("A signed row is accepted once; a row with the same signed content is already in the ledger."),
				 errhint("To record the same content twice, give each row its own value in a column covered by the signature (a nonce)."),
				 errtableconstraint(rel, psprintf("%s_signature", RelationGetRelationName(rel)))));

	vals[0] = Int64GetDatum(shape->ledger_id);
	vals[1] = PointerGetDatum(hb);
	vals[2] = CStringGetTextDatum(key_id);
	tup = heap_form_tuple(RelationGetDescr(msgrel), vals, nulls);
	CatalogTupleInsert(msgrel, tup);
	heap_freetuple(tup);
	table_close(msgrel, NoLock);
}

/* ---------- the trigger ---------- */

/* Refuse a BEFORE INSERT row trigger sorting between us and zz_ledger_row. */
static void
signed_check_trigger_order(Relation rel, Trigger *self)
{
	Trigger    *t = ledger_next_before_insert_trigger(rel, self);

	if (t != NULL && strcmp(t->tgname, "zz_ledger_row") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on ledger table \"%s\" would change rows after their signature is checked",
						t->tgname, RelationGetRelationName(rel)),
				 errdetail("BEFORE INSERT row triggers fire in name order, and \"%s\" sorts between \"%s\" and \"zz_ledger_row\".",
						   t->tgname, self->tgname),
				 errhint("Rename the trigger so that its name sorts before \"%s\".", self->tgname)));
}

/* Report a row refused for its key's state (all 23514, distinct words). */
static void
signed_refuse_key_state(Relation rel, const char *key_id, const char *ident,
						const char *state, const char *detailfmt, TimestampTz when)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("key \"%s\" signing row %s of ledger table \"%s\" %s",
					key_id, ident, RelationGetRelationName(rel), state),
			 errdetail(detailfmt, timestamptz_to_str(when)),
			 errhint("Sign the row with a key that is registered, valid now and not revoked."),
			 errtableconstraint(rel, psprintf("%s_signature", RelationGetRelationName(rel)))));
}

/*
 * ledger.signature_trigger() RETURNS trigger
 *
 * BEFORE INSERT FOR EACH ROW on every signed ledger, named
 * "ledger_signature" so that it fires just before "zz_ledger_row".
 */
Datum
ledger_signature_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	SignedInfo *info;
	SignedShape *shape;
	Datum	   *values;
	bool	   *nulls;
	uint8		mhash[LEDGER_HASH_LEN];
	char	   *key_id;
	SignedKey  *k;
	TimestampTz now;
	bytea	   *sig;
	CryptoVerifyResult res;
	const char *err = NULL;
	const char *relname;
	char	   *constraint;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.signature_trigger\" was not called by the trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger.signature_trigger\" must be fired BEFORE INSERT FOR EACH ROW")));

	rel = trigdata->tg_relation;
	relname = RelationGetRelationName(rel);
	tupdesc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	info = signed_info_lookup(rel);
	if (info == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" is not a signed ledger", relname),
				 errhint("Use ledger.require_signatures() instead of attaching the signature trigger by hand.")));
	shape = &info->shape;
	signed_check_trigger_order(rel, trigdata->tg_trigger);
	constraint = psprintf("%s_signature", relname);

	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(tuple, tupdesc, values, nulls);

	signed_buffers();
	signed_build_message(signed_msg_buf, signed_canon_buf, shape, tupdesc,
						 values, nulls);
	crypto_sha256_3(signed_msg_buf->data, signed_msg_buf->len, NULL, 0, NULL, 0,
					mhash);

	if (nulls[shape->key_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("row %s of ledger table \"%s\" names no signing key",
						signed_row_ident(shape, tupdesc, values, nulls, mhash), relname),
				 errdetail("Column \"%s\" must hold the id of the registered key that signed the row.",
						   shape->key_attname),
				 errtableconstraint(rel, constraint)));
	key_id = TextDatumGetCString(values[shape->key_attnum - 1]);
	if (nulls[shape->sig_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("row %s of ledger table \"%s\" has no signature",
						signed_row_ident(shape, tupdesc, values, nulls, mhash), relname),
				 errdetail("Column \"%s\" must hold the signature by key \"%s\" of ledger.signing_bytes() of the row.",
						   shape->sig_attname, key_id),
				 errtableconstraint(rel, constraint)));

	k = signed_key_lookup(key_id);
	if (k == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("key \"%s\" signing row %s of ledger table \"%s\" is not registered",
						key_id, signed_row_ident(shape, tupdesc, values, nulls, mhash), relname),
				 errdetail("Column \"%s\" must name a key in ledger.keys.", shape->key_attname),
				 errhint("Register the public key with ledger.add_key() first."),
				 errtableconstraint(rel, constraint)));

	now = GetCurrentTransactionStartTimestamp();
	if (k->revoked_at <= now)
		signed_refuse_key_state(rel, key_id,
								signed_row_ident(shape, tupdesc, values, nulls, mhash),
								"is revoked", "The key was revoked at %s.", k->revoked_at);
	if (now < k->valid_from)
		signed_refuse_key_state(rel, key_id,
								signed_row_ident(shape, tupdesc, values, nulls, mhash),
								"is not yet valid", "The key is valid from %s.", k->valid_from);
	if (k->valid_until <= now)
		signed_refuse_key_state(rel, key_id,
								signed_row_ident(shape, tupdesc, values, nulls, mhash),
								"has expired", "The key was valid until %s.", k->valid_until);

	sig = DatumGetByteaPP(values[shape->sig_attnum - 1]);
	res = crypto_verify(signed_key_parsed(k),
						(const uint8 *) signed_msg_buf->data, signed_msg_buf->len,
						(const uint8 *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig),
						&err);
	switch (res)
	{
		case CRYPTO_SIG_VALID:
			break;
		case CRYPTO_SIG_INVALID:
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("signature by key \"%s\" of row %s of ledger table \"%s\" does not verify",
							key_id, signed_row_ident(shape, tupdesc, values, nulls, mhash), relname),
					 errdetail("The signature is not an %s signature of the row's signing bytes under key \"%s\": the row, the key or the signature differs from what was signed.",
							   crypto_algorithm_name(k->alg), key_id),
					 errhint("Sign exactly the bytes ledger.signing_bytes() returns for the row, with the private key of \"%s\".",
							 key_id),
					 errtableconstraint(rel, constraint)));
			break;
		case CRYPTO_SIG_MALFORMED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("signature by key \"%s\" of row %s of ledger table \"%s\" is malformed",
							key_id, signed_row_ident(shape, tupdesc, values, nulls, mhash), relname),
					 errdetail("%s The key's algorithm is \"%s\".", err,
							   crypto_algorithm_name(k->alg)),
					 errtableconstraint(rel, constraint)));
			break;
		case CRYPTO_SIG_ERROR:
			{
				char		buf[256];

				crypto_take_openssl_error(buf, sizeof(buf));
				ereport(ERROR,
						(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
						 errmsg("could not verify signature of row in ledger table \"%s\"", relname),
						 errdetail_internal("%s OpenSSL: %s", err, buf)));
			}
			break;
	}

	signed_record_message(rel, shape, key_id, mhash, tupdesc, values, nulls);

	/*
	 * A row without ledger_hash becomes part of this transaction's record, so
	 * the key is judged again at its commit time.  Rows arriving with their
	 * hash (replication) were recorded at their origin.
	 */
	if (shape->layout.hash_attnum == 0 || nulls[shape->layout.hash_attnum - 1])
		signed_note_key(key_id);
	return PointerGetDatum(tuple);
}

/* ---------- require_signatures ---------- */

/* Run one SPI utility command built from a format string. */
static void
signed_spi_exec(const char *sql)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret < 0)
		elog(ERROR, "SPI_execute of \"%s\" failed: %s", sql, SPI_result_code_string(ret));
}

typedef struct RequireArgs
{
	int64		ledger_id;
	const char *sig_attname;
	const char *key_attname;
} RequireArgs;

/* Insert the configuration row (as the catalog's owner). */
static void
signed_register(void *varg)
{
	RequireArgs *a = varg;
	Datum		args[3];
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	int			ret;

	args[0] = Int64GetDatum(a->ledger_id);
	args[1] = CStringGetTextDatum(a->sig_attname);
	args[2] = CStringGetTextDatum(a->key_attname);
	ret = SPI_execute_with_args("INSERT INTO ledger.signed_ledgers (ledger_id, signature_attname, key_attname) "
								"VALUES ($1, $2::pg_catalog.name, $3::pg_catalog.name)",
								3, types, args, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not insert into ledger.signed_ledgers: %s", SPI_result_code_string(ret));
}

/* Check that a configured column exists, is ours to choose, of the type. */
static AttrNumber
signed_check_column(Relation rel, const char *colname, Oid want, const char *role)
{
	Oid			relid = RelationGetRelid(rel);
	AttrNumber	attnum = get_attnum(relid, colname);
	Oid			typid;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, RelationGetRelationName(rel))));
	if (attnum < 0 || strncmp(colname, "ledger_", 7) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of ledger table \"%s\" cannot be the %s column",
						colname, RelationGetRelationName(rel), role),
				 errdetail("System columns and the columns the ledger maintains cannot be chosen.")));
	typid = getBaseType(get_atttype(relid, attnum));
	if (typid != want)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s column \"%s\" of ledger table \"%s\" must be of type %s",
						role, colname, RelationGetRelationName(rel), format_type_be(want)),
				 errdetail("It is of type %s.", format_type_be(get_atttype(relid, attnum)))));
	return attnum;
}

/*
 * ledger.require_signatures(tbl regclass, signature_column name,
 *							 key_column name) RETURNS void
 *
 * From now on every row inserted into the ledger tbl must carry, in
 * signature_column (bytea), a signature of ledger.signing_bytes() of the
 * row by the key named in key_column (text).  The ledger must be empty.
 */
Datum
ledger_require_signatures(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *sig_attname = NameStr(*PG_GETARG_NAME(1));
	char	   *key_attname = NameStr(*PG_GETARG_NAME(2));
	Relation	rel;
	int64		ledger_id;
	char	   *qname;
	char	   *s1;
	char	   *s2;
	RequireArgs ra;
	int			ret;

	rel = try_relation_open(relid, ShareRowExclusiveLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a ledger table", RelationGetRelationName(rel))));
	if (!ledger_table_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	ledger_id = ledger_id_for_relation(relid, false);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("ledger.require_signatures() cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("It checks that the ledger is empty, which needs a fresh snapshot.")));
	if (signed_config(ledger_id, &s1, &s2))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("ledger table \"%s\" already requires signatures",
						RelationGetRelationName(rel)),
				 errdetail("Signature column \"%s\", key column \"%s\".", s1, s2)));
	if (strcmp(sig_attname, key_attname) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the signature column and the key column must differ")));
	signed_check_column(rel, sig_attname, BYTEAOID, "signature");
	signed_check_column(rel, key_attname, TEXTOID, "key");

	qname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									   RelationGetRelationName(rel));
	/* keep the lock, drop the reference: ALTER TABLE below needs that */
	table_close(rel, NoLock);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(psprintf("SELECT 1 FROM %s LIMIT 1", qname), true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read \"%s\"", qname);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ledger table \"%s\" already has rows", get_rel_name(relid)),
				 errdetail("Signatures are required from the first row on, so that every row of a signed ledger is signed."),
				 errhint("Call ledger.require_signatures() right after ledger.create_ledger(), before inserting.")));

	/* the table's own DDL runs as its owner, the caller */
	signed_spi_exec(psprintf("CREATE TRIGGER " SIGNED_TRIGGER_NAME " BEFORE INSERT ON %s "
							 "FOR EACH ROW EXECUTE FUNCTION ledger.signature_trigger()",
							 qname));
	signed_spi_exec(psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER " SIGNED_TRIGGER_NAME,
							 qname));
	ra.ledger_id = ledger_id;
	ra.sig_attname = sig_attname;
	ra.key_attname = key_attname;
	ledger_as_owner(signed_register, &ra);
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---------- signing_bytes ---------- */

/*
 * ledger.signing_bytes(tbl regclass, row_value record) RETURNS bytea
 *
 * The exact bytes a client signs for row_value, a value of tbl's row type
 * as it will be inserted; its signature and ledger_* columns are ignored.
 */
Datum
ledger_signing_bytes(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	Relation	rel;
	SignedInfo *info;
	TupleDesc	tupdesc;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;
	StringInfoData canon;
	StringInfoData msg;
	bytea	   *result;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		(info = signed_info_lookup(rel)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" is not a signed ledger", RelationGetRelationName(rel)),
				 errhint("Use ledger.require_signatures() to make a ledger signed.")));
	if (HeapTupleHeaderGetTypeId(rec) != rel->rd_rel->reltype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("row value must be of the row type of table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("It is of type %s.", format_type_be(HeapTupleHeaderGetTypeId(rec))),
				 errhint("Cast the row, as in ROW(...)::%s.",
						 quote_identifier(RelationGetRelationName(rel)))));

	tupdesc = RelationGetDescr(rel);
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(&tuple, tupdesc, values, nulls);

	initStringInfo(&canon);
	initStringInfo(&msg);
	signed_build_message(&msg, &canon, &info->shape, tupdesc, values, nulls);
	relation_close(rel, AccessShareLock);

	result = palloc(VARHDRSZ + msg.len);
	SET_VARSIZE(result, VARHDRSZ + msg.len);
	memcpy(VARDATA(result), msg.data, msg.len);
	PG_RETURN_BYTEA_P(result);
}

/* ---------- verify ---------- */

/* Reset callback: free the OpenSSL keys parsed during a verify pass. */
static void
signed_verifier_release(void *arg)
{
	SignedVerifier *sv = (SignedVerifier *) arg;
	int			i;

	for (i = 0; i < sv->nkeys; i++)
	{
		crypto_free_public_key(sv->keys[i].key);
		sv->keys[i].key = NULL;
	}
}

/* Prepare a verify pass; NULL if rel is not a signed ledger. */
SignedVerifier *
signed_verify_begin(Relation rel, MemoryContext mcxt)
{
	LedgerInfo *linfo = ledger_info_lookup(rel);
	SignedVerifier *sv;
	char	   *sig_attname;
	char	   *key_attname;
	Datum		arg;
	Oid			argtype = INT8OID;
	int			ret;
	uint64		i;
	HASHCTL		ctl;
	MemoryContext old;

	if (linfo == NULL || !signed_config(linfo->ledger_id, &sig_attname, &key_attname))
		return NULL;

	sv = MemoryContextAllocZero(mcxt, sizeof(SignedVerifier));
	signed_shape_build(&sv->shape, rel, linfo->ledger_id, &linfo->uuid,
					   sig_attname, key_attname, mcxt);
	sv->tupdesc = RelationGetDescr(rel);
	old = MemoryContextSwitchTo(mcxt);
	initStringInfo(&sv->canon);
	initStringInfo(&sv->msg);
	MemoryContextSwitchTo(old);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(SignedCommit);
	ctl.hcxt = mcxt;
	sv->commits = hash_create("ledger verify commit times", 1024, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	sv->cb.func = signed_verifier_release;
	sv->cb.arg = sv;
	MemoryContextRegisterResetCallback(mcxt, &sv->cb);

	/* the registry and the commit times, under the caller's snapshot */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT k.key_id, k.algorithm, k.public_key, k.valid_from, k.valid_until, "
					  "k.revoked_at, k.added_at FROM ledger.keys k "
					  "ORDER BY k.key_id COLLATE \"C\"", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.keys: %s", SPI_result_code_string(ret));
	sv->keys = MemoryContextAllocZero(mcxt, sizeof(SignedKey) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		SignedKey  *k = &sv->keys[i];

		k->key_id = MemoryContextStrdup(mcxt, SPI_getvalue(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1));
		signed_key_from_spi(k, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, mcxt);
		sv->nkeys++;
	}
	arg = Int64GetDatum(linfo->ledger_id);
	ret = SPI_execute_with_args("SELECT t.xact_id, t.committed_at FROM ledger.transactions t "
								"WHERE t.ledger_id OPERATOR(pg_catalog.=) $1",
								1, &argtype, &arg, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.transactions: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		xact = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc, 1, &isnull));
		SignedCommit *c = hash_search(sv->commits, &xact, HASH_ENTER, NULL);

		c->committed_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
	return sv;
}

/* bsearch comparator: key id against a SignedKey */
static int
signed_key_cmp(const void *a, const void *b)
{
	return strcmp((const char *) a, ((const SignedKey *) b)->key_id);
}

/* Re-check one stored row; see signed.h. */
bool
signed_verify_row(SignedVerifier *sv, Datum *values, bool *isnull,
				  int64 xact, int64 seq, ItemPointer tid, char **problem)
{
	const SignedShape *shape = &sv->shape;
	char		where[128];
	char	   *ident;
	char	   *key_id;
	SignedKey  *k;
	SignedCommit *c;
	bytea	   *sig;
	uint8		mhash[LEDGER_HASH_LEN];
	CryptoVerifyResult res;
	const char *err = NULL;

	*problem = NULL;
	snprintf(where, sizeof(where), "at ctid (%u,%u) (transaction " INT64_FORMAT ", sequence " INT64_FORMAT ")",
			 ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
			 xact, seq);
	signed_build_message(&sv->msg, &sv->canon, shape, sv->tupdesc, values, isnull);
	crypto_sha256_3(sv->msg.data, sv->msg.len, NULL, 0, NULL, 0, mhash);
	ident = shape->npk > 0 ?
		psprintf("%s ", signed_row_ident(shape, sv->tupdesc, values, isnull, mhash)) : "";

	if (isnull[shape->key_attnum - 1] || isnull[shape->sig_attnum - 1])
	{
		*problem = psprintf("row %s%s has no %s: it was inserted around the signature trigger",
							ident, where,
							isnull[shape->key_attnum - 1] ? "signing key" : "signature");
		return false;
	}
	key_id = TextDatumGetCString(values[shape->key_attnum - 1]);
	k = sv->nkeys > 0 ?
		bsearch(key_id, sv->keys, sv->nkeys, sizeof(SignedKey), signed_key_cmp) : NULL;
	if (k == NULL)
	{
		*problem = psprintf("row %s%s is signed by key \"%s\", which is not in the key registry",
							ident, where, key_id);
		return false;
	}

	/* the registry as it was when the row's transaction committed */
	c = hash_search(sv->commits, &xact, HASH_FIND, NULL);
	if (c != NULL)
	{
		TimestampTz t = c->committed_at;
		const char *tstr = pstrdup(timestamptz_to_str(t));

		if (k->added_at > t)
			*problem = psprintf("row %s%s is signed by key \"%s\", which was registered at %s, after the row's transaction committed at %s",
								ident, where, key_id, timestamptz_to_str(k->added_at), tstr);
		else if (k->revoked_at <= t)
			*problem = psprintf("row %s%s is signed by key \"%s\", which was revoked at %s, before the row's transaction committed at %s",
								ident, where, key_id, timestamptz_to_str(k->revoked_at), tstr);
		else if (t < k->valid_from)
			*problem = psprintf("row %s%s is signed by key \"%s\", which was valid only from %s, after the row's transaction committed at %s",
								ident, where, key_id, timestamptz_to_str(k->valid_from), tstr);
		else if (k->valid_until <= t)
			*problem = psprintf("row %s%s is signed by key \"%s\", which was valid only until %s, before the row's transaction committed at %s",
								ident, where, key_id, timestamptz_to_str(k->valid_until), tstr);
		if (*problem != NULL)
			return false;
	}
	/* a row of no recorded transaction is reported by the chain check */

	if (k->key == NULL)
	{
		CryptoStatus status = CRYPTO_OK;

		k->key = crypto_parse_public_key(k->alg, (const uint8 *) VARDATA(k->pub),
										 VARSIZE(k->pub) - VARHDRSZ, &status, &err);
		if (k->key == NULL)
		{
			if (status == CRYPTO_LIBRARY_ERROR)
				sig_parse_public_key(k->alg, (const uint8 *) VARDATA(k->pub),
									 VARSIZE(k->pub) - VARHDRSZ);	/* throws */
			*problem = psprintf("key \"%s\" in the key registry cannot be used: %s",
								key_id, err);
			return false;
		}
	}
	sig = DatumGetByteaPP(values[shape->sig_attnum - 1]);
	res = crypto_verify(k->key, (const uint8 *) sv->msg.data, sv->msg.len,
						(const uint8 *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig),
						&err);
	if (res == CRYPTO_SIG_VALID)
		return true;
	if (res == CRYPTO_SIG_ERROR)
	{
		char		buf[256];

		crypto_take_openssl_error(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not verify signature"),
				 errdetail_internal("%s OpenSSL: %s", err, buf)));
	}
	if (res == CRYPTO_SIG_MALFORMED)
		*problem = psprintf("row %s%s has a malformed signature by key \"%s\": %s",
							ident, where, key_id, err);
	else
		*problem = psprintf("row %s%s has a signature that does not verify under key \"%s\": the row or its signature was changed after it was signed",
							ident, where, key_id);
	return false;
}
