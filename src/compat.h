/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Version shims between PostgreSQL major versions.
 *
 * Every PG_VERSION_NUM test in ledger lives here, so that the rest of the
 * code reads as if written for one server version.  PostgreSQL 15 is the
 * first supported major and the only one built and tested here (Debian 12
 * ships no server headers of later majors); the shims below cover the
 * internal APIs ledger uses that changed in 16 and 17, written from their
 * release sources.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_COMPAT_H
#define LEDGER_COMPAT_H

#include "postgres.h"

#include "catalog/pg_class.h"
#include "pgstat.h"
#include "utils/acl.h"

#if PG_VERSION_NUM < 150000
#error "ledger requires PostgreSQL 15 or later"
#endif

/*
 * PostgreSQL 16 replaced pg_class_ownercheck() and its siblings by
 * object_ownercheck(classid, objectid, roleid).
 */
#if PG_VERSION_NUM >= 160000
#define ledger_table_ownercheck(relid, roleid) \
	object_ownercheck(RelationRelationId, (relid), (roleid))
#else
#define ledger_table_ownercheck(relid, roleid) \
	pg_class_ownercheck((relid), (roleid))
#endif

/*
 * A backend's pending table statistics: inserts minus deletes counted so far
 * at the top level.  PostgreSQL 16 renamed PgStat_TableStatus.t_counts to
 * counts and dropped the t_ prefix of its counters.
 */
static inline int64
ledger_pgstat_top_net_inserts(const PgStat_TableStatus *ts)
{
#if PG_VERSION_NUM >= 160000
	return ts->counts.tuples_inserted - ts->counts.tuples_deleted;
#else
	return ts->t_counts.t_tuples_inserted - ts->t_counts.t_tuples_deleted;
#endif
}

/*
 * A replication connection through libpqwalreceiver.  PostgreSQL 16 added
 * must_use_password, 17 a replication flag before logical.
 */
#if PG_VERSION_NUM >= 170000
#define ledger_walrcv_connect(conninfo, logical, appname, err) \
	walrcv_connect((conninfo), true, (logical), false, (appname), (err))
#elif PG_VERSION_NUM >= 160000
#define ledger_walrcv_connect(conninfo, logical, appname, err) \
	walrcv_connect((conninfo), (logical), false, (appname), (err))
#else
#define ledger_walrcv_connect(conninfo, logical, appname, err) \
	walrcv_connect((conninfo), (logical), (appname), (err))
#endif

/* Conninfo syntax check; PostgreSQL 16 added must_use_password. */
#if PG_VERSION_NUM >= 160000
#define ledger_walrcv_check_conninfo(conninfo) \
	walrcv_check_conninfo((conninfo), false)
#else
#define ledger_walrcv_check_conninfo(conninfo) \
	walrcv_check_conninfo((conninfo))
#endif

#endif							/* LEDGER_COMPAT_H */
