/*-------------------------------------------------------------------------
 *
 * table.h
 *		Ledger tables: catalog access, row trigger, per-transaction roots.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_TABLE_H
#define LEDGER_TABLE_H

#include "utils/rel.h"
#include "utils/uuid.h"

#include "canon.h"
#include "crypto.h"

/* What a backend caches about one ledger table. */
typedef struct LedgerInfo
{
	Oid			relid;			/* hash key */
	int32		ledger_id;
	pg_uuid_t	uuid;
	bool		valid;
	CanonLayout layout;
} LedgerInfo;

extern void table_init(void);

/* This transaction's ledger transaction number; -1 if none (and !assign). */
extern int64 table_current_xact(bool assign);

/* Schema oid of the extension ("ledger"); errors if not installed. */
extern Oid	ledger_namespace(void);
extern Oid	ledger_catalog_relid(const char *relname);

/* First enabled BEFORE INSERT row trigger firing after self, or NULL. */
extern Trigger *ledger_next_before_insert_trigger(Relation rel, Trigger *self);

/* Cached ledger description of a relation, or NULL if it is not a ledger. */
extern LedgerInfo *ledger_info_lookup(Relation rel);

/*
 * Run fn(arg) as the owner of the extension's catalog, in a restricted
 * security context; the caller's identity is restored however fn exits.
 */
typedef void (*LedgerOwnerFn) (void *arg);
extern void ledger_as_owner(LedgerOwnerFn fn, void *arg);

/* Bytes a transaction record contributes to its block's tree. */
extern void ledger_xact_leaf(int64 xact_id, int64 row_count, const uint8 *root,
							 int64 committed_at, uint8 out[LEDGER_HASH_LEN]);

/* Canonical block header hash. */
extern void ledger_block_hash(const pg_uuid_t *uuid, int64 block_no,
							  const uint8 *prev_hash, const uint8 *root,
							  int32 tx_count, int64 row_count,
							  int64 sealed_at, int32 format_version,
							  uint8 out[LEDGER_HASH_LEN]);

/* ERROR (42P01) unless relid names an existing relation. */
extern void ledger_relation_must_exist(Oid relid);

/* Look up a ledger by relation: ledger id, or -1 when not a ledger. */
extern int32 ledger_id_for_relation(Oid relid, bool missing_ok);

/* bytea from/to a 32-byte hash */
extern bytea *ledger_hash_to_bytea(const uint8 *hash);
extern void ledger_bytea_to_hash(bytea *b, uint8 *out, const char *what);

#endif							/* LEDGER_TABLE_H */
