/*-------------------------------------------------------------------------
 *
 * replica.h
 *		Replicas of other institutions' ledgers: verification on arrival.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_REPLICA_H
#define LEDGER_REPLICA_H

#include "utils/rel.h"

#include "catalog.h"

extern void replica_init(void);

/*
 * Is this backend applying changes of a subscription: a logical
 * replication apply worker, or ledger.create_subscription() /
 * resync_subscription() copying a ledger?  Returns the subscription's name,
 * or NULL.  What a session cannot fake: IsLogicalWorker() and a flag only
 * C code sets.
 */
extern const char *replica_applying(void);

/* Mark the backend as copying for a subscription (NULL: done). */
extern void replica_set_copying(const char *subname);

/*
 * A row of a replica ledger arrived with its hash, which matched: count it
 * for its transaction's record, which must arrive in the same transaction.
 */
extern void replica_row_arrived(LedgerInfo *info, Relation rel, int64 xact,
								int64 seq, const uint8 *leaf);

/* ERROR unless a write to ledger info may happen in this backend. */
extern void replica_check_write(LedgerInfo *info, Relation rel);

extern void replica_signed_row(int64 ledger_id, int64 xact, const char *key_id,
							   const char *ident);

/*
 * Seconds after a lost connection or a transient error disables a
 * subscription of replicas before it is enabled again (-1: never);
 * ledger.sync_reconnect_delay.
 */
extern int	ledger_sync_reconnect_delay;

/* For the sealers' launcher: databases with a reconnection due. */
extern int	replica_reconnect_databases(Oid *dboids, int max);
extern void replica_errors_persist(void);

/*
 * resync_subscription() is about to drop the subscription's slot at the
 * origin (recorded, in the file too, until the resync commits), failed
 * before it began to (undo), or failed after it did (or while it did:
 * dropped false): no reconnection, the failure its last error, the
 * subscription disabled by the sealer, its ENABLE refused.
 */
extern void replica_resync_dropping(Oid subid);
extern void replica_resync_undo(Oid subid);
extern void replica_resync_failed(Oid subid, const char *message, bool dropped);
extern bool replica_resync_slot_lost(Oid subid, char **message);
extern void replica_resync_progress(bool slot_dropped);

/* In a sealer, outside a transaction: make the reconnections due here. */
extern void replica_reconnect_subscriptions(void);

#endif							/* LEDGER_REPLICA_H */
