/*-------------------------------------------------------------------------
 *
 * pending.h
 *		What the current transaction wrote to ledgers, and its record.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_PENDING_H
#define LEDGER_PENDING_H

#include "storage/itemptr.h"
#include "utils/rel.h"

#include "crypto.h"
#include "signed.h"

extern void pending_init(void);

/* This transaction's ledger transaction number; -1 if none (and !assign). */
extern int64 pending_current_xact(bool assign);

/*
 * The transaction number the caller's own (uncommitted) rows of a ledger
 * carry, or -1 for a replica, whose rows are numbered by their origin.
 */
extern int64 pending_own_xact_in(bool replica);
extern void pending_note_sealed(void);

/* The sequence number of the next row of rel in this transaction. */
extern int64 pending_next_seq(Relation rel, int64 ledger_id);

/*
 * The row trigger stamped a row of rel with leaf (NULL for a row arriving
 * with its own hash); msg is the row's signed message in
 * ledger.signed_messages, or invalid (msg->rel).  ERROR (27000) for
 * a row inserted while a row of the same ledger stamped by an enclosing
 * statement is neither stored nor known to be skipped.
 */
extern void pending_stamp_row(Relation rel, int64 ledger_id, const uint8 *leaf,
							  const SignedMsgRef *msg);

#endif							/* LEDGER_PENDING_H */
