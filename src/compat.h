/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Version shims between PostgreSQL major versions.
 *
 * Every PG_VERSION_NUM test in ledger lives here, so that the rest of the
 * code reads as if written for one server version.  PostgreSQL 15 is the
 * first supported major.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_COMPAT_H
#define LEDGER_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "ledger requires PostgreSQL 15 or later"
#endif

/* MarkGUCPrefixReserved replaced EmitWarningsOnPlaceholders in 15. */
#define ledger_reserve_guc_prefix(p) MarkGUCPrefixReserved(p)

#endif							/* LEDGER_COMPAT_H */
