/*-------------------------------------------------------------------------
 *
 * ledger.c
 *		Module entry point: magic block, _PG_init and the ledger.* settings.
 *
 * Each concern registers its own callbacks through an xxx_init() called from
 * _PG_init.  The library works without shared_preload_libraries (sealing is
 * then on demand only); preloading adds the sealer background workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "compat.h"
#include "ledger.h"
#include "margin.h"
#include "sealer.h"
#include "signed.h"
#include "table.h"

PG_MODULE_MAGIC;

/* Settings, documented in docs/reference.md. */
int			ledger_seal_interval_ms = 200;
int			ledger_block_max_transactions = 10000;
bool		ledger_sealer_enabled = true;

void		_PG_init(void);

/* Define settings and register each concern's hooks. */
void
_PG_init(void)
{
	DefineCustomIntVariable("ledger.seal_interval",
							"Time between sealing passes of the background sealer.",
							"The age bound of an open block: a committed transaction is sealed within about this time.",
							&ledger_seal_interval_ms,
							200, 10, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ledger.block_max_transactions",
							"Largest number of transactions sealed into one block.",
							NULL,
							&ledger_block_max_transactions,
							10000, 1, 1000000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ledger.digest_wait",
							"How long ledger.digest() waits for the sealer.",
							"ledger.digest() has committed transactions sealed before it describes the newest block; after this long it describes what is sealed.",
							&ledger_digest_wait_ms,
							10000, 0, 3600 * 1000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	/* a postmaster-level setting can only be defined while preloading */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomBoolVariable("ledger.sealer",
								 "Starts background sealer workers when ledger is preloaded.",
								 NULL,
								 &ledger_sealer_enabled,
								 true,
								 PGC_POSTMASTER,
								 0,
								 NULL, NULL, NULL);
	margin_init();
	ledger_reserve_guc_prefix("ledger");

	table_init();
	sealer_init();
	signed_init();
}
