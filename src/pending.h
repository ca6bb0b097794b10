/*-------------------------------------------------------------------------
 *
 * pending.h
 *		What the current transaction wrote to ledgers, and its record.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_PENDING_H
#define LEDGER_PENDING_H

#include "utils/rel.h"

#include "crypto.h"

extern void pending_init(void);

/* This transaction's ledger transaction number; -1 if none (and !assign). */
extern int64 pending_current_xact(bool assign);

/*
 * The row trigger stamped a row of rel with leaf (NULL for a row arriving
 * with its own hash); returns its sequence number (-1 for NULL).
 */
extern int64 pending_stamp_row(Relation rel, int32 ledger_id, const uint8 *leaf);

#endif							/* LEDGER_PENDING_H */
