/*-------------------------------------------------------------------------
 *
 * guard.h
 *		The DDL guard's entry points used outside guard.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_GUARD_H
#define LEDGER_GUARD_H

#include "nodes/parsenodes.h"

/*
 * create_ledger, its triggers made: no BEFORE INSERT row trigger of the
 * table fires after the ledger's.
 */
extern void guard_check_new_ledger(Oid relid);

/*
 * ddl_command_start of ALTER TABLE or ALTER TYPE: refuses ENABLE TRIGGER of
 * a ledger's triggers and any change of a ledger column's type.
 */
extern void guard_alter_table_start(AlterTableStmt *stmt);

/*
 * ddl_command_start of ALTER TYPE, ALTER DOMAIN, ALTER COLLATION or ALTER
 * SCHEMA: refuses renaming or moving a type or collation that a ledger's
 * recorded column definitions name, or renaming its schema.
 */
extern void guard_rename_start(Node *stmt);

/*
 * ddl_command_start of ALTER TABLE or ALTER INDEX: refuses what would change
 * the extension's own tables or indexes (schema nspid) other than their
 * storage (tablespace, storage parameters, statistics, clustering).
 */
extern void guard_catalog_alter_start(Node *stmt, Oid nspid);

/*
 * ProcessUtility, before the command runs (src/pending.c):
 * - ALTER ROLE ... NOSUPERUSER: refused for a role that owns event triggers
 *   (in any database) or extension ledger (in this one);
 * - ALTER TABLE/INDEX ALL IN TABLESPACE: locks the extension and the
 *   ledgers it moves first, in the order writers and the sealer lock them;
 * - REASSIGN OWNED: refused when it would give what the owner of extension
 *   ledger owns in this database to a role that is not a superuser.
 */
extern void guard_utility_start(Node *stmt);

#endif							/* LEDGER_GUARD_H */
