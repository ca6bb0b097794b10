/*-------------------------------------------------------------------------
 *
 * verify.h
 *		Digests and verification.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include "utils/jsonb.h"

/*
 * ERROR unless the caller may read every row of relid (SELECT privilege, no
 * row-level security in force); fn names the caller in the message.
 */
extern void verify_check_full_read(Oid relid, const char *fn);

/*
 * Under READ COMMITTED, push a snapshot taken now (true: pop it after), so
 * that a function given a digest sees the block the digest names even when
 * ledger.digest() sealed it in the same statement.
 */
extern bool verify_push_call_snapshot(void);

/*
 * The digest of a ledger's newest block (does not seal); relid and relname
 * (taken before any wait) name the ledger's table, for the error if the
 * ledger was dropped meanwhile.
 */
extern Jsonb *verify_digest(int64 ledger_id, Oid relid, const char *relname);

#endif							/* LEDGER_VERIFY_H */
