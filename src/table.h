/*-------------------------------------------------------------------------
 *
 * table.h
 *		Compatibility header: what src/table.c used to declare now lives in
 *		catalog.h (catalog and cache) and trigger.h (the row trigger).
 *		Only signed.c still includes it; new code includes those headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_TABLE_H
#define LEDGER_TABLE_H

#include "catalog.h"
#include "trigger.h"

#endif							/* LEDGER_TABLE_H */
