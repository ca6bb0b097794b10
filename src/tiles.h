/*-------------------------------------------------------------------------
 *
 * tiles.h
 *		The history tree of each ledger, stored in ledger.history_tiles.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEDGER_TILES_H
#define LEDGER_TILES_H

#include "utils/hsearch.h"

#include "history.h"

/* A HistoryStore over one ledger's tiles (SPI connected while in use). */
typedef struct TileStore
{
	HistoryStore store;
	int64		ledger_id;
	HTAB	   *tiles;
} TileStore;

extern void tiles_open(TileStore *ts, int64 ledger_id);

/* Write the tiles changed through the store back to the table. */
extern void tiles_flush(TileStore *ts);

/* How many leaves the stored tiles of a ledger hold. */
extern uint64 tiles_stored_size(int64 ledger_id);

/* Append to the stored history what is missing up to size leaves. */
extern void history_catch_up(TileStore *ts, int format, uint64 size);

#endif							/* LEDGER_TILES_H */
