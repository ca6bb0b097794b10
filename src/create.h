/*-------------------------------------------------------------------------
 *
 * create.h
 *		Making a table a ledger.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_CREATE_H
#define LEDGER_CREATE_H

#include "access/htup.h"
#include "utils/rel.h"

#include "catalog.h"

/*
 * The row trigger found no ledger for rel: register an extension-owned
 * table at its first insert, or describe a row arriving with its hash.
 */
extern LedgerInfo *create_builtin_info(Relation rel, HeapTuple tuple);

/*
 * REPLICA IDENTITY FULL for a table without a key (or with NOTHING), so
 * that it can be updated under a publication of updates; SPI connected.
 */
extern void create_replica_identity(Oid relid, const char *qname);

/*
 * The ledger's triggers on a table (qname quoted), enabled ALWAYS; SPI
 * connected.
 */
extern void create_ledger_triggers(const char *qname);

#endif							/* LEDGER_CREATE_H */
