/*-------------------------------------------------------------------------
 *
 * checkpoint.c
 *		Signed checkpoints: the background sealer's schedule, and what the
 *		SQL side (sql/install/60_checkpoints.sql) needs from C.
 *
 * A checkpoint is a C2SP signed note over a ledger's history tree at one
 * size (docs/canonical-format.md, "Checkpoint").  The database makes the
 * note text, stores the signatures that an external signer made (private
 * keys never enter the database), verifies those that arrive from peers,
 * and keeps two checkpoints of one size with different roots as evidence.
 * All of that is SQL over ledger.checkpoints and ledger.checkpoint_
 * signatures, with signatures checked by ledger.verify_signature (crypto.c).
 * This file adds:
 *
 *	- ledger._history_root_at(ledger_id, tree_size): the root of this
 *	  database's own history tree at a size, from its tiles (history.c), the
 *	  tree a peer holds of a replica and grows block by block as they arrive
 *	  (replica.c); a peer cosigns a checkpoint only if its tree has the same
 *	  root at that size;
 *	- ledger._applying(): the subscription this backend applies or copies
 *	  for (replica_applying(), which a session cannot fake), so that the
 *	  guards of the checkpoint tables tell an arriving row from a local one;
 *	- the setting ledger.checkpoint_interval and checkpoint_pass(), which
 *	  the background sealer calls after each pass: a checkpoint of each
 *	  ledger this institution owns whose history grew, at most once an
 *	  interval.
 *
 * Memory: the tile store lives in SPI's procedure context and is gone at
 * SPI_finish; results are copied out before.  Locking: none of its own; the
 * checkpoint pass takes what its INSERT takes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "checkpoint.h"
#include "history.h"
#include "replica.h"
#include "sealer.h"
#include "tiles.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(ledger_history_root_at);
PG_FUNCTION_INFO_V1(ledger_applying);

/* Seconds between scheduled checkpoints of a ledger; 0: none. */
int			ledger_checkpoint_interval_s = 0;

/* Define ledger.checkpoint_interval. */
void
checkpoint_init(void)
{
	DefineCustomIntVariable("ledger.checkpoint_interval",
							"Time between the checkpoints the background sealer makes of each ledger.",
							"0 turns scheduled checkpoints off. A checkpoint is made only of a ledger this institution owns, only when its history grew, and only once ledger.set_institution() has named the institution.",
							&ledger_checkpoint_interval_s,
							0, 0, 30 * 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
}

/*
 * The root of a block's history tree whose size is exactly size (SPI
 * connected): false if no format-2 block of the ledger ends there.
 */
static bool
checkpoint_block_root(int64 ledger_id, int64 size, uint8 *root)
{
	Datum		args[2];
	Oid			types[2] = {INT8OID, INT8OID};
	bool		isnull;
	bytea	   *b;

	args[0] = Int64GetDatum(ledger_id);
	args[1] = Int64GetDatum(size);
	if (SPI_execute_with_args("SELECT tree_root FROM ledger.blocks "
							  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND tree_root IS NOT NULL "
							  "AND (first_position OPERATOR(pg_catalog.+) tx_count) OPERATOR(pg_catalog.=) $2 "
							  "ORDER BY block_no LIMIT 1",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.blocks");
	if (SPI_processed == 0)
		return false;
	b = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ledger_bytea_to_hash(b, root, "tree_root");
	return true;
}

/*
 * ledger._history_root_at(ledger_id bigint, tree_size bigint) RETURNS bytea
 *
 * The RFC 9162 root of the ledger's history tree at tree_size, computed
 * from the tiles this database holds (at most 13 tiles read); where the
 * tiles are not built that far (they are derived data, not dumped), the
 * history root a block of exactly that size records.  NULL when this
 * database holds less history than that.
 */
Datum
ledger_history_root_at(PG_FUNCTION_ARGS)
{
	int64		ledger_id = PG_GETARG_INT64(0);
	int64		size = PG_GETARG_INT64(1);
	uint8		root[LEDGER_HASH_LEN];
	bool		found = false;

	if (size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("history size " INT64_FORMAT " is out of range", size)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (tiles_stored_size(ledger_id) >= (uint64) size)
	{
		TileStore	ts;

		tiles_open(&ts, ledger_id);
		history_root(&ts.store, (uint64) size, root);
		found = true;
	}
	else
		found = checkpoint_block_root(ledger_id, size, root);
	SPI_finish();
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(ledger_hash_to_bytea(root));
}

/*
 * ledger._applying() RETURNS text
 *
 * The subscription whose changes this backend applies (a logical
 * replication apply worker) or copies (ledger.create_subscription(),
 * resync_subscription()); NULL in any other backend.
 */
Datum
ledger_applying(PG_FUNCTION_ARGS)
{
	const char *sub = replica_applying();

	if (sub == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(sub));
}

/*
 * After a sealing pass: the checkpoints that are due, in a transaction of
 * their own.  A failure is logged and leaves sealing alone.
 */
void
checkpoint_pass(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	if (ledger_checkpoint_interval_s <= 0)
		return;
	PG_TRY();
	{
		bool		has_ext;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		/* (a deferred constraint fails in its ledger's EXCEPTION block) */
		worker_constraints_immediate();
		/* (first: see sealer_lock_extension) */
		has_ext = sealer_lock_extension();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (has_ext && strcmp(ledger_catalog_version(), LEDGER_CATALOG_VERSION) == 0)
		{
			int64	   *put_off;
			int			nput = sealer_checkpoint_put_off(&put_off);
			Datum	   *elems = palloc(sizeof(Datum) * Max(nput, 1));
			Datum		args[2];
			Oid			argtypes[2] = {INT4OID, INT8ARRAYOID};
			int64	   *failed = NULL;
			int			nfailed = 0;
			int			i;

			for (i = 0; i < nput; i++)
				elems[i] = Int64GetDatum(put_off[i]);
			args[0] = Int32GetDatum(ledger_checkpoint_interval_s);
			args[1] = PointerGetDatum(construct_array(elems, nput, INT8OID, 8,
													  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			pgstat_report_activity(STATE_RUNNING, "making checkpoints");
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (SPI_execute_with_args("SELECT d.failed, d.errors FROM ledger._make_due_checkpoints($1, $2) d",
									  2, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not make checkpoints");
			if (SPI_processed == 1)
			{
				bool		null1;
				bool		null2;
				Datum		f = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null1);
				Datum		e = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &null2);

				if (!null1 && !null2)
				{
					Datum	   *fd;
					Datum	   *ed;
					int			ne;

					deconstruct_array(DatumGetArrayTypeP(f), INT8OID, 8, FLOAT8PASSBYVAL,
									  TYPALIGN_DOUBLE, &fd, NULL, &nfailed);
					deconstruct_array(DatumGetArrayTypeP(e), TEXTOID, -1, false,
									  TYPALIGN_INT, &ed, NULL, &ne);
					failed = palloc(sizeof(int64) * Max(nfailed, 1));
					for (i = 0; i < nfailed; i++)
					{
						char	   *msg = i < ne ? TextDatumGetCString(ed[i]) : "(no message)";

						failed[i] = DatumGetInt64(fd[i]);
						sealer_checkpoint_failed(failed[i], msg);
					}
				}
			}
			sealer_checkpoint_pass_done(put_off, nput, failed, nfailed);
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* a checkpoint that cannot be made must not stop sealing */
		MemoryContextSwitchTo(oldcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
}
