/*-------------------------------------------------------------------------
 *
 * signed.h
 *		Signed ledgers: the per-row signature trigger, its key cache, the
 *		bytes a client signs, and the re-check done by ledger.verify.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_SIGNED_H
#define LEDGER_SIGNED_H

#include "access/htup.h"
#include "nodes/pg_list.h"
#include "storage/itemptr.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crypto.h"

/* Domain-separation tag that opens every signed message (no NUL). */
#define SIGNED_ROW_TAG "ledger-row-v1"
#define SIGNED_ROW_TAG_LEN 13

/* Name of the signature trigger; sorts before "zz_ledger_row". */
#define SIGNED_TRIGGER_NAME "ledger_signature"

/*
 * A row's message recorded in ledger.signed_messages by the signature
 * trigger: where it was put, and its key there.  The tid alone does not
 * name it for long: CLUSTER of the table (which a superuser may run inside
 * the transaction) moves every row.
 */
typedef struct SignedMsgRef
{
	ItemPointerData tid;		/* its row when recorded */
	Oid			rel;			/* that table; InvalidOid: no message */
	int64		ledger_id;
	uint8		hash[LEDGER_HASH_LEN];	/* message_hash */
} SignedMsgRef;

/* State of one ledger.verify pass over a signed ledger; opaque. */
typedef struct SignedVerifier SignedVerifier;

/*
 * Register the invalidation, transaction and subtransaction callbacks and
 * the ProcessUtility hook (COMMIT PREPARED); called from _PG_init.
 */
/* A key that signed a replicated row, and that row, for messages. */
typedef struct SignedKeyUse
{
	char	   *key_id;
	char	   *ident;
} SignedKeyUse;

extern void signed_init(void);

extern void signed_replica_check_keys(int64 ledger_id, Oid relid, int64 xact,
									  TimestampTz t, List *uses);

extern void signed_mirror_keys(void);

/*
 * For the ledger's own BEFORE INSERT row trigger (zz_ledger_row), on every
 * row it receives: when rel is a signed ledger, ERROR (39P01) unless the
 * signature trigger accepted exactly this tuple just before, so that a row
 * cannot reach the chain around a signature trigger that was disabled or
 * given a WHEN condition.  Costs one hash lookup on other ledgers.  *msg is
 * set to the ledger.signed_messages row the trigger recorded for it (rel
 * invalid for other ledgers), which signed_withdraw_messages takes back if
 * the statement then skips the row.
 */
extern void signed_row_accepted(Relation rel, HeapTuple tuple, SignedMsgRef *msg);

/*
 * Delete, in a new command, the ledger.signed_messages rows msgs[i] of rows
 * the transaction's statements skipped; pre-commit only.
 */
extern void signed_withdraw_messages(const SignedMsgRef *msgs, int n);

/*
 * Pre-commit (and pre-prepare) re-check of the keys that signed rows this
 * transaction records, at t (the commit time its ledger.transactions
 * records carry): ERROR if one has expired or been revoked by then.  When
 * preparing, the keys are also written into the prepared transaction
 * (ledger.signed_prepared_keys, under its ledger transaction number xact),
 * and checked once more before COMMIT PREPARED (the ProcessUtility hook),
 * when the library is loaded in that session.
 */
extern void signed_precommit_check(TimestampTz t, int64 xact, bool preparing);

/*
 * Prepare to re-check the signatures of rel's rows, reading the key
 * registry and the transactions' commit times under the active snapshot.
 * Returns NULL when rel is not a signed ledger (the common case costs one
 * catalog lookup).  Everything, OpenSSL keys included, is owned by mcxt.
 */
extern SignedVerifier *signed_verify_begin(Relation rel, MemoryContext mcxt);

/*
 * Re-check one stored row (values/isnull as deformed from rel): the key
 * existed, was valid and not revoked when the row's transaction committed,
 * and the signature verifies.  Returns false and sets *problem (palloc'd in
 * the current context, naming the row) when it does not.
 */
extern bool signed_verify_row(SignedVerifier *sv, Datum *values, bool *isnull,
							  int64 xact, int64 seq, ItemPointer tid,
							  char **problem);

#endif							/* LEDGER_SIGNED_H */
