/*-------------------------------------------------------------------------
 *
 * tiles.c
 *		The history tree of each ledger, stored in ledger.history_tiles.
 *
 * A HistoryStore (history.h) over the table for one ledger: tiles read are
 * cached in memory for the length of one use, tiles written are kept there
 * too and written back by tiles_flush (INSERT ... ON CONFLICT DO UPDATE,
 * the right-edge tiles being rewritten as the tree grows).  The tiles are
 * derived data: history_catch_up appends what is missing from the blocks
 * and their records (after a restore, which does not dump them, and for
 * ledgers sealed by 0.1.0).  SPI must be connected.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "history.h"
#include "record.h"
#include "tiles.h"

/*
 * A HistoryStore over ledger.history_tiles for one ledger (SPI connected),
 * with the tiles it read or wrote cached in memory, and written back to the
 * table by tiles_flush.
 */
typedef struct TileEntry
{
	int64		key_level;		/* hash key: (level, index) */
	int64		key_index;
	bool		dirty;
	bool		present;
	HistoryTile tile;
} TileEntry;

/*
 * The plan of tiles_read's query, prepared once per backend (the sealer
 * and a proof read a tile per level of the tree: planning each read cost
 * more than the read).  The plan cache replans it after DDL on the table.
 */
static SPIPlanPtr tiles_read_plan = NULL;

/*
 * The same for tiles_flush's write and tiles_stored_size's read, which a
 * replica runs for every block that arrives.
 */
static SPIPlanPtr tiles_write_plan = NULL;
static SPIPlanPtr tiles_size_plan = NULL;

/* read callback: the cache, else the table */
static bool
tiles_read(HistoryStore *st, int level, int64 index, HistoryTile *out)
{
	TileStore  *ts = (TileStore *) st;
	int64		key[2] = {level, index};
	TileEntry  *e;
	bool		found;

	e = hash_search(ts->tiles, key, HASH_ENTER, &found);
	if (!found)
	{
		Datum		args[3];
		Oid			types[3] = {INT8OID, INT2OID, INT8OID};
		bool		isnull;

		e->dirty = false;
		e->present = false;
		args[0] = Int64GetDatum(ts->ledger_id);
		args[1] = Int16GetDatum((int16) level);
		args[2] = Int64GetDatum(index);
		if (tiles_read_plan == NULL)
			tiles_read_plan = ledger_prepare_kept("SELECT hashes FROM ledger.history_tiles "
												  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 "
												  "AND level OPERATOR(pg_catalog.=) $2 AND idx OPERATOR(pg_catalog.=) $3",
												  3, types, "a read of ledger.history_tiles");
		if (SPI_execute_plan(tiles_read_plan, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read ledger.history_tiles");
		if (SPI_processed > 0)
		{
			bytea	   *b = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull));
			int			len = VARSIZE_ANY_EXHDR(b);

			if (len % LEDGER_HASH_LEN != 0 || len > (int) sizeof(e->tile.hashes))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("history tile (%d, " INT64_FORMAT ") of ledger " INT64_FORMAT " is malformed",
								level, index, ts->ledger_id),
						 errhint("Delete the ledger's rows from ledger.history_tiles; the sealer rebuilds them.")));
			e->tile.level = level;
			e->tile.index = index;
			e->tile.width = len / LEDGER_HASH_LEN;
			memcpy(e->tile.hashes, VARDATA_ANY(b), len);
			e->present = true;
		}
	}
	if (!e->present)
		return false;
	*out = e->tile;
	return true;
}

/* write callback: into the cache, flushed later */
static void
tiles_write(HistoryStore *st, const HistoryTile *tile)
{
	TileStore  *ts = (TileStore *) st;
	int64		key[2] = {tile->level, tile->index};
	TileEntry  *e = hash_search(ts->tiles, key, HASH_ENTER, NULL);

	e->tile = *tile;
	e->present = true;
	e->dirty = true;
}

/* A store for one ledger's tiles (SPI connected). */
void
tiles_open(TileStore *ts, int64 ledger_id)
{
	HASHCTL		ctl;

	ts->store.read = tiles_read;
	ts->store.write = tiles_write;
	ts->store.arg = NULL;
	ts->ledger_id = ledger_id;
	ctl.keysize = 2 * sizeof(int64);
	ctl.entrysize = sizeof(TileEntry);
	ctl.hcxt = CurrentMemoryContext;
	ts->tiles = hash_create("ledger history tiles", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Write the changed tiles back (SPI connected). */
void
tiles_flush(TileStore *ts)
{
	HASH_SEQ_STATUS hs;
	TileEntry  *e;

	hash_seq_init(&hs, ts->tiles);
	while ((e = hash_seq_search(&hs)) != NULL)
	{
		Datum		args[4];
		Oid			types[4] = {INT8OID, INT2OID, INT8OID, BYTEAOID};
		bytea	   *b;

		if (!e->dirty)
			continue;
		b = palloc(VARHDRSZ + e->tile.width * LEDGER_HASH_LEN);
		SET_VARSIZE(b, VARHDRSZ + e->tile.width * LEDGER_HASH_LEN);
		memcpy(VARDATA(b), e->tile.hashes, e->tile.width * LEDGER_HASH_LEN);
		args[0] = Int64GetDatum(ts->ledger_id);
		args[1] = Int16GetDatum((int16) e->tile.level);
		args[2] = Int64GetDatum(e->tile.index);
		args[3] = PointerGetDatum(b);
		if (tiles_write_plan == NULL)
			tiles_write_plan = ledger_prepare_kept("INSERT INTO ledger.history_tiles (ledger_id, level, idx, hashes) "
												   "VALUES ($1, $2, $3, $4) ON CONFLICT (ledger_id, level, idx) "
												   "DO UPDATE SET hashes = EXCLUDED.hashes",
												   4, types, "a write of ledger.history_tiles");
		if (SPI_execute_plan(tiles_write_plan, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not write ledger.history_tiles");
		e->dirty = false;
	}
}

/* How many leaves the stored tiles of a ledger hold (SPI connected). */
uint64
tiles_stored_size(int64 ledger_id)
{
	Datum		arg = Int64GetDatum(ledger_id);
	Oid			argtype = INT8OID;
	bool		isnull;
	uint64		n = 0;

	if (tiles_size_plan == NULL)
		tiles_size_plan = ledger_prepare_kept("SELECT idx, pg_catalog.length(hashes) FROM ledger.history_tiles "
											  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND level OPERATOR(pg_catalog.=) 0 "
											  "ORDER BY idx DESC LIMIT 1",
											  1, &argtype, "the read of a ledger's history size");
	if (SPI_execute_plan(tiles_size_plan, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ledger.history_tiles");
	if (SPI_processed > 0)
		n = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) *
			HISTORY_TILE_WIDTH +
			DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) /
			LEDGER_HASH_LEN;
	return n;
}

/*
 * Cut the stored tiles back to the first size leaves: they ran ahead of the
 * blocks only if blocks were removed (which verify reports against a digest
 * kept outside), and sealing goes on from the blocks there are.
 */
static void
tiles_truncate(TileStore *ts, uint64 size)
{
	int			level;

	for (level = 0; level < 64 / HISTORY_TILE_HEIGHT + 1; level++)
	{
		int			shift = HISTORY_TILE_HEIGHT * level;
		uint64		nodes = shift < 64 ? size >> shift : 0;
		int64		full = (int64) (nodes / HISTORY_TILE_WIDTH);
		int			rest = (int) (nodes % HISTORY_TILE_WIDTH);
		Datum		args[5];
		Oid			types[5] = {INT8OID, INT2OID, INT8OID, INT4OID, INT4OID};

		args[0] = Int64GetDatum(ts->ledger_id);
		args[1] = Int16GetDatum((int16) level);
		args[2] = Int64GetDatum(full);
		args[3] = Int32GetDatum(rest * LEDGER_HASH_LEN);
		args[4] = Int32GetDatum(rest);
		if (SPI_execute_with_args("DELETE FROM ledger.history_tiles "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND level OPERATOR(pg_catalog.=) $2 "
								  "AND (idx OPERATOR(pg_catalog.>) $3 OR (idx OPERATOR(pg_catalog.=) $3 "
								  "AND $5 OPERATOR(pg_catalog.=) 0))",
								  5, types, args, NULL, false, 0) != SPI_OK_DELETE ||
			SPI_execute_with_args("UPDATE ledger.history_tiles "
								  "SET hashes = pg_catalog.substr(hashes, 1, $4) "
								  "WHERE ledger_id OPERATOR(pg_catalog.=) $1 AND level OPERATOR(pg_catalog.=) $2 "
								  "AND idx OPERATOR(pg_catalog.=) $3 AND $5 OPERATOR(pg_catalog.>) 0 "
								  "AND pg_catalog.length(hashes) OPERATOR(pg_catalog.>) $4",
								  5, types, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not cut back ledger.history_tiles");
	}
	hash_destroy(ts->tiles);
	tiles_open(ts, ts->ledger_id);
}

/*
 * Make the stored history hold exactly the first `size` leaves: the tiles
 * are derived data (not dumped, and missing for ledgers sealed by 0.1.0), so
 * what is missing is appended from the blocks and their records, in order.
 */
void
history_catch_up(TileStore *ts, int format, uint64 size)
{
	uint64		have = tiles_stored_size(ts->ledger_id);
	LedgerBlock *blocks;
	uint64		nblocks;
	uint64		i;

	if (have > size)
	{
		ereport(LOG,
				(errmsg("ledger " INT64_FORMAT ": the stored history tree holds " UINT64_FORMAT " transactions, the blocks " UINT64_FORMAT "; cutting it back",
						ts->ledger_id, have, size)));
		tiles_truncate(ts, size);
		have = size;
	}
	if (have >= size)
		return;
	blocks = block_read(ts->ledger_id, 0, -1, false, &nblocks);
	for (i = 0; i < nblocks; i++)
	{
		LedgerBlock *b = &blocks[i];
		uint8	   *leaves;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (BLOCK_TREE_SIZE(b) <= (int64) have)
			continue;
		if (b->first_position != (int64) have || b->nxacts != b->tx_count)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("block " INT64_FORMAT " of ledger " INT64_FORMAT " does not continue the history",
							b->block_no, ts->ledger_id),
					 errhint("Run ledger.verify() on the ledger.")));
		leaves = palloc(LEDGER_HASH_LEN * Max(b->nxacts, 1));
		for (j = 0; j < b->nxacts; j++)
		{
			LedgerRecord *r;
			uint64		n;

			r = record_read_xact(ts->ledger_id, b->xact_ids[j], GetLatestSnapshot(), &n);
			if (n != 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("transaction " INT64_FORMAT " of block " INT64_FORMAT " has no single record",
								b->xact_ids[j], b->block_no),
						 errhint("Run ledger.verify() on the ledger.")));
			record_leaf(r, format, leaves + j * LEDGER_HASH_LEN);
		}
		history_append(&ts->store, have, leaves, b->nxacts);
		have += b->nxacts;
		pfree(leaves);
	}
	tiles_flush(ts);
}
