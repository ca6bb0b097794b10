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

/* The digest of a ledger's newest block (does not seal). */
extern Jsonb *verify_digest(int32 ledger_id);

#endif							/* LEDGER_VERIFY_H */
