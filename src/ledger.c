/*-------------------------------------------------------------------------
 *
 * ledger.c
 *		Module entry point: magic block and _PG_init.
 *
 * Each concern defines its own settings (ledger.*) and registers its own
 * callbacks through an xxx_init() called from _PG_init; then the "ledger"
 * prefix is reserved.  The library works without shared_preload_libraries
 * (sealing is then on demand only); preloading adds the background
 * workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "checkpoint.h"
#include "funcscan.h"
#include "margin.h"
#include "pending.h"
#include "replica.h"
#include "sealer.h"
#include "signed.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Let each concern define its settings and register its hooks. */
void
_PG_init(void)
{
	pending_init();
	replica_init();
	sealer_init();
	checkpoint_init();
	signed_init();
	margin_init();
	funcscan_init();
	MarkGUCPrefixReserved("ledger");
}
