/*-------------------------------------------------------------------------
 *
 * funcscan.h
 *		A scan node for ledger's record-returning pricing functions called
 *		in FROM (funcscan.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUNCSCAN_H
#define FUNCSCAN_H

#include "fmgr.h"
#include "nodes/extensible.h"

/*
 * The node calls the function with one of these in fcinfo->resultinfo.  A
 * function that finds it (funcscan_row) may store its row's fields in
 * values and nulls, set filled and return (Datum) 0, instead of forming a
 * composite datum the node would take apart again; desc is the row type
 * the node expects.  A function that does not returns its datum as usual.
 */
typedef struct FuncScanRow
{
	ExtensibleNode node;		/* T_ExtensibleNode, funcscan_row_name */
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	bool		filled;
} FuncScanRow;

extern const char funcscan_row_name[];

/* The row to fill in, when the LedgerPricingScan node is the caller. */
static inline FuncScanRow *
funcscan_row(FunctionCallInfo fcinfo)
{
	Node	   *info = fcinfo->resultinfo;

	if (info != NULL && IsA(info, ExtensibleNode) &&
		((ExtensibleNode *) info)->extnodename == funcscan_row_name)
		return (FuncScanRow *) info;
	return NULL;
}

/* Defines ledger.enable_pricing_scan and installs the planner hook. */
extern void funcscan_init(void);

#endif							/* FUNCSCAN_H */
