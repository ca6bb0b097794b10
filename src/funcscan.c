/*-------------------------------------------------------------------------
 *
 * funcscan.c
 *		A scan node for ledger's record-returning pricing functions called
 *		in FROM.
 *
 * A query that wants several Greeks of each row calls the function once in
 * FROM:
 *
 *		SELECT g.delta, g.gamma, g.vega
 *		  FROM positions p, LATERAL ledger.bsm_greeks('call', p.s, ...) g
 *
 * PostgreSQL plans the call as a Function Scan, which for every outer row
 * makes a tuplestore, calls the function, writes its one row into the
 * tuplestore and reads it back: about half a microsecond a row, twice what
 * bsm_greeks itself costs (the same for PostgreSQL's own record-returning
 * functions; bench/pricing.sql measures both).
 *
 * ledger's pricing functions return exactly one row for each call and
 * depend on their arguments only (IMMUTABLE), so this node calls the
 * function and hands its fields to the plan above directly; the function
 * stores them in the node's row rather than forming a composite datum
 * (funcscan.h).  It replaces the Function Scan path of a FROM item that
 *	- calls one function, without WITH ORDINALITY or ROWS FROM of several;
 *	- whose function is one of this library's C functions, IMMUTABLE, not
 *	  set-returning, returning a composite type without dropped columns,
 *	  and whose arguments call no volatile function (a Function Scan that
 *	  no new parameter re-runs reads its row again: it would not call
 *	  random() again, and this node would);
 *	- is read by column only (a whole-row reference keeps the Function
 *	  Scan: it needs the row type of the FROM item, not of the function);
 *	- sits in a SELECT or INSERT without row locks all the way up (an
 *	  UPDATE, DELETE, MERGE or FOR UPDATE re-checks rows with EvalPlanQual,
 *	  which needs the Function Scan's copy of the row).
 * Its rows are those of the Function Scan: one a call, all NULL when the
 * function returns NULL or a strict function gets a NULL argument.
 *
 * ledger.enable_pricing_scan = off plans PostgreSQL's Function Scan, as
 * before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "funcscan.h"

/* The name EXPLAIN shows: "Custom Scan (LedgerPricingScan)". */
#define FUNCSCAN_NAME "LedgerPricingScan"

/* The library every function the node may call is defined in. */
#define FUNCSCAN_LIBRARY "$libdir/ledger"

static bool funcscan_enabled = true;
static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/* Execution state: the function call and whether its row was returned. */
typedef struct FuncScanState
{
	CustomScanState css;
	FuncExpr   *call;			/* the function call */
	ProjectionInfo *args;		/* its arguments' evaluation, into argslot */
	TupleTableSlot *argslot;
	FunctionCallInfo fcinfo;
	FuncScanRow row;			/* the function's row, filled in or deformed */
	int			ncols;			/* columns of the scan tuple */
	AttrNumber *attnos;			/* and where each is in the row */
	bool		done;			/* the row returned since the (re)scan */
} FuncScanState;

const char	funcscan_row_name[] = "LedgerPricingScanRow";

static Plan *funcscan_plan(PlannerInfo *root, RelOptInfo *rel,
						   CustomPath *best_path, List *tlist,
						   List *clauses, List *custom_plans);
static Node *funcscan_create_state(CustomScan *cscan);
static void funcscan_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *funcscan_exec(CustomScanState *node);
static void funcscan_end(CustomScanState *node);
static void funcscan_rescan(CustomScanState *node);
static void funcscan_explain(CustomScanState *node, List *ancestors,
							 ExplainState *es);

static const CustomPathMethods funcscan_path_methods = {
	.CustomName = FUNCSCAN_NAME,
	.PlanCustomPath = funcscan_plan,
};

static const CustomScanMethods funcscan_scan_methods = {
	.CustomName = FUNCSCAN_NAME,
	.CreateCustomScanState = funcscan_create_state,
};

static const CustomExecMethods funcscan_exec_methods = {
	.CustomName = FUNCSCAN_NAME,
	.BeginCustomScan = funcscan_begin,
	.ExecCustomScan = funcscan_exec,
	.EndCustomScan = funcscan_end,
	.ReScanCustomScan = funcscan_rescan,
	.ExplainCustomScan = funcscan_explain,
};

/* ---------- planning ---------- */

/*
 * Is funcid one of this library's IMMUTABLE C functions returning one
 * composite value a call?
 */
static bool
funcscan_function_ok(Oid funcid)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		ok = false;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prolang == ClanguageId &&
		proc->provolatile == PROVOLATILE_IMMUTABLE &&
		!proc->proretset && proc->prokind == PROKIND_FUNCTION)
	{
		Datum		probin;
		bool		isnull;

		probin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
		if (!isnull)
		{
			char	   *library = TextDatumGetCString(probin);

			ok = strcmp(library, FUNCSCAN_LIBRARY) == 0;
			pfree(library);
		}
	}
	ReleaseSysCache(tup);
	return ok;
}

/*
 * Is the query this rel belongs to, and every query it is part of, a
 * SELECT or INSERT without row marks?  In an UPDATE, DELETE, MERGE or a
 * query with FOR UPDATE / SHARE, EvalPlanQual may re-run the scan to
 * re-check a row.
 */
static bool
funcscan_query_ok(PlannerInfo *root)
{
	for (; root != NULL; root = root->parent_root)
	{
		if ((root->parse->commandType != CMD_SELECT &&
			 root->parse->commandType != CMD_INSERT) ||
			root->parse->rowMarks != NIL || root->rowMarks != NIL)
			return false;
	}
	return true;
}

/* Does the rel's output or its own quals refer to its whole row? */
static bool
funcscan_whole_row_needed(RelOptInfo *rel)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	if (rel->min_attr <= 0 && !bms_is_empty(rel->attr_needed[0 - rel->min_attr]))
		return true;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) rinfo->clause, rel->relid, &attrs);
	}
	foreach(lc, rel->reltarget->exprs)
		pull_varattnos((Node *) lfirst(lc), rel->relid, &attrs);
	return bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
}

/*
 * The planner's hook: for a FROM item calling one of ledger's pricing
 * functions, replace PostgreSQL's Function Scan path with this node's.
 */
static void
funcscan_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
						  RangeTblEntry *rte)
{
	RangeTblFunction *rtfunc;
	FuncExpr   *call;
	TupleDesc	tupdesc;
	Path	   *fscan = NULL;
	CustomPath *cpath;
	ListCell   *lc;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);

	if (!funcscan_enabled || rte->rtekind != RTE_FUNCTION ||
		rte->funcordinality || list_length(rte->functions) != 1)
		return;
	rtfunc = linitial_node(RangeTblFunction, rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr))
		return;
	call = (FuncExpr *) rtfunc->funcexpr;
	if (call->funcretset || !funcscan_function_ok(call->funcid))
		return;
	/* a Function Scan not re-run by new parameters reads its row again */
	if (contain_volatile_functions((Node *) call))
		return;
	if (!funcscan_query_ok(root) || funcscan_whole_row_needed(rel))
		return;
	tupdesc = get_expr_result_tupdesc((Node *) call, true);
	if (tupdesc == NULL || tupdesc->natts != rtfunc->funccolcount)
		return;
	for (int i = 0; i < tupdesc->natts; i++)
		if (TupleDescAttr(tupdesc, i)->attisdropped)
			return;

	/* the Function Scan path, whose place and costs this one takes */
	foreach(lc, rel->pathlist)
	{
		Path	   *path = (Path *) lfirst(lc);

		if (path->pathtype == T_FunctionScan)
		{
			fscan = path;
			break;
		}
	}
	if (fscan == NULL || fscan->pathkeys != NIL)
		return;

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = fscan->param_info;
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = fscan->parallel_safe;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = fscan->rows;

	/*
	 * Costs as the planner sees a Function Scan's rescans (cost_rescan: the
	 * tuplestore read again, the call not counted), so that the join plans
	 * stay those of the Function Scan: costed as a node that calls the
	 * function at each rescan, as it does, the inner side of a nested loop
	 * got a Memoize node, which with distinct arguments in every row made the
	 * query half as fast again.
	 */
	cpath->path.startup_cost = 0;
	cpath->path.total_cost = fscan->total_cost - fscan->startup_cost;
	cpath->path.pathkeys = NIL;
	cpath->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	cpath->custom_paths = NIL;
	cpath->custom_private = NIL;
	cpath->methods = &funcscan_path_methods;

	rel->pathlist = list_delete_ptr(rel->pathlist, fscan);
	add_path(rel, &cpath->path);
}

/* Add to *vars each Var of the FROM item in node not there yet. */
static void
funcscan_add_vars(List **vars, Node *node, Index relid)
{
	List	   *found = pull_var_clause(node, PVC_RECURSE_AGGREGATES |
										PVC_RECURSE_WINDOWFUNCS |
										PVC_RECURSE_PLACEHOLDERS);
	ListCell   *lc;

	foreach(lc, found)
	{
		Var		   *var = lfirst_node(Var, lc);
		ListCell   *lc2;
		bool		have = false;

		if (var->varno != relid || var->varlevelsup != 0)
			continue;
		foreach(lc2, *vars)
			if (lfirst_node(Var, lc2)->varattno == var->varattno)
			have = true;
		if (!have)
			*vars = lappend(*vars, var);
	}
}

/*
 * Make the plan node.  The scan's tuple holds the function's columns the
 * plan reads, in the order of the target list, then those only the quals
 * read, so that a scan returning the columns it was asked for needs no
 * projection; custom_private lists their column numbers in the function's
 * row.  The call itself is the node's one expression.  Outer references
 * in the call and the quals become nestloop parameters after this returns
 * (create_customscan_plan).
 */
static Plan *
funcscan_plan(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	RangeTblFunction *rtfunc = linitial_node(RangeTblFunction, rte->functions);
	List	   *quals = extract_actual_clauses(clauses, false);
	List	   *vars = NIL;
	List	   *scan_tlist = NIL;
	List	   *attnos = NIL;
	ListCell   *lc;

	funcscan_add_vars(&vars, (Node *) tlist, rel->relid);
	funcscan_add_vars(&vars, (Node *) quals, rel->relid);
	foreach(lc, vars)
	{
		Var		   *var = lfirst_node(Var, lc);

		/* funcscan_whole_row_needed made sure of this */
		if (var->varattno <= 0 || var->varattno > rtfunc->funccolcount)
			elog(ERROR, "%s cannot return column %d", FUNCSCAN_NAME,
				 (int) var->varattno);
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(var),
											 list_length(scan_tlist) + 1,
											 NULL, false));
		attnos = lappend_int(attnos, var->varattno);
	}

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = quals;
	cscan->scan.scanrelid = 0;	/* no relation to open; custom_relids says
								 * which FROM item this is */
	cscan->flags = best_path->flags;
	cscan->custom_plans = NIL;
	cscan->custom_exprs = list_make1(copyObject(rtfunc->funcexpr));
	cscan->custom_private = list_make1(attnos);
	cscan->custom_scan_tlist = scan_tlist;
	cscan->methods = &funcscan_scan_methods;
	return &cscan->scan.plan;
}

/* ---------- execution ---------- */

static Node *
funcscan_create_state(CustomScan *cscan)
{
	FuncScanState *state;

	state = (FuncScanState *) newNode(sizeof(FuncScanState), T_CustomScanState);
	state->css.methods = &funcscan_exec_methods;
	return (Node *) state;
}

/*
 * Set up the call as ExecInitFunc does for a function in an expression:
 * the caller's EXECUTE privilege checked, the hook for it run, the
 * arguments evaluated in one program (a projection into a slot); the
 * function's row handed to it in fcinfo->resultinfo (funcscan.h).
 */
static void
funcscan_begin(CustomScanState *node, EState *estate, int eflags)
{
	FuncScanState *state = (FuncScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	FuncExpr   *call = linitial_node(FuncExpr, cscan->custom_exprs);
	List	   *attnos = linitial(cscan->custom_private);
	int			nargs = list_length(call->args);
	List	   *argtlist = NIL;
	FmgrInfo   *flinfo;
	TupleDesc	rowdesc;
	AclResult	aclresult;
	ListCell   *lc;
	int			i;

	aclresult = pg_proc_aclcheck(call->funcid, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(call->funcid));
	InvokeFunctionExecuteHook(call->funcid);
	if (nargs > FUNC_MAX_ARGS)
		elog(ERROR, "%s cannot pass %d arguments", FUNCSCAN_NAME, nargs);

	state->call = call;
	i = 0;
	foreach(lc, call->args)
	{
		i++;
		argtlist = lappend(argtlist,
						   makeTargetEntry(lfirst(lc), i, NULL, false));
	}
	state->argslot = ExecInitExtraTupleSlot(estate,
											ExecTypeFromExprList(call->args),
											&TTSOpsVirtual);
	state->args = ExecBuildProjectionInfo(argtlist, node->ss.ps.ps_ExprContext,
										  state->argslot, &node->ss.ps, NULL);

	flinfo = palloc0(sizeof(FmgrInfo));
	fmgr_info(call->funcid, flinfo);
	fmgr_info_set_expr((Node *) call, flinfo);
	state->fcinfo = palloc0(SizeForFunctionCallInfo(nargs));
	InitFunctionCallInfoData(*state->fcinfo, flinfo, nargs, call->inputcollid,
							 NULL, (Node *) &state->row);

	rowdesc = get_expr_result_tupdesc((Node *) call, false);
	state->row.node.type = T_ExtensibleNode;
	state->row.node.extnodename = funcscan_row_name;
	state->row.desc = rowdesc;
	state->row.values = palloc(rowdesc->natts * sizeof(Datum));
	state->row.nulls = palloc(rowdesc->natts * sizeof(bool));

	state->ncols = list_length(attnos);
	state->attnos = palloc((state->ncols + 1) * sizeof(AttrNumber));
	i = 0;
	foreach(lc, attnos)
	{
		int			attno = lfirst_int(lc);

		if (attno < 1 || attno > rowdesc->natts)
			elog(ERROR, "%s cannot return column %d", FUNCSCAN_NAME, attno);
		state->attnos[i++] = attno;
	}
	state->done = false;
}

/*
 * Call the function as ExecInterpExpr does (a strict function is not
 * called with a NULL argument; track_functions counted) and leave its row
 * in state->row; false if the row is all NULL.
 */
static bool
funcscan_call(FuncScanState *state, ExprContext *econtext)
{
	FunctionCallInfo fcinfo = state->fcinfo;
	TupleTableSlot *argslot;
	Datum		result;
	int			nargs = fcinfo->nargs;

	argslot = ExecProject(state->args);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = argslot->tts_values[i];
		fcinfo->args[i].isnull = argslot->tts_isnull[i];
		if (argslot->tts_isnull[i] && fcinfo->flinfo->fn_strict)
			return false;
	}

	state->row.filled = false;
	fcinfo->isnull = false;
	if (pgstat_track_functions <= fcinfo->flinfo->fn_stats)
		result = FunctionCallInvoke(fcinfo);
	else
	{
		PgStat_FunctionCallUsage fcusage;

		pgstat_init_function_usage(fcinfo, &fcusage);
		result = FunctionCallInvoke(fcinfo);
		pgstat_end_function_usage(&fcusage, true);
	}
	if (state->row.filled)
		return true;
	if (fcinfo->isnull)
		return false;
	{
		HeapTupleHeader td = DatumGetHeapTupleHeader(result);
		HeapTupleData tuple;

		tuple.t_len = HeapTupleHeaderGetDatumLength(td);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = td;
		heap_deform_tuple(&tuple, state->row.desc, state->row.values,
						  state->row.nulls);
	}
	return true;
}

/*
 * The first call after a (re)scan calls the function and returns its row;
 * the next ends the scan.  This is ExecScan's work without what a scan of
 * one computed row never needs (EvalPlanQual: funcscan_query_ok; the loop
 * over rows the quals reject).  The fields live in the node's per-tuple
 * memory, reset at the next call, after the plan above has used the row.
 */
static TupleTableSlot *
funcscan_exec(CustomScanState *node)
{
	FuncScanState *state = (FuncScanState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext old;

	if (state->done)
		return NULL;
	state->done = true;

	ResetExprContext(econtext);
	ExecClearTuple(slot);
	old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	if (funcscan_call(state, econtext))
	{
		for (int i = 0; i < state->ncols; i++)
		{
			slot->tts_values[i] = state->row.values[state->attnos[i] - 1];
			slot->tts_isnull[i] = state->row.nulls[state->attnos[i] - 1];
		}
	}
	else
		memset(slot->tts_isnull, true, state->ncols * sizeof(bool));
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(slot);

	econtext->ecxt_scantuple = slot;
	if (node->ss.ps.qual != NULL && !ExecQual(node->ss.ps.qual, econtext))
	{
		InstrCountFiltered1(node, 1);
		return NULL;
	}
	if (node->ss.ps.ps_ProjInfo != NULL)
		return ExecProject(node->ss.ps.ps_ProjInfo);
	return slot;
}

static void
funcscan_end(CustomScanState *node)
{
}

static void
funcscan_rescan(CustomScanState *node)
{
	FuncScanState *state = (FuncScanState *) node;

	state->done = false;
	ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

/* EXPLAIN VERBOSE shows the call, as it does for a Function Scan. */
static void
funcscan_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *context;
	char	   *call;

	if (!es->verbose)
		return;
	context = set_deparse_context_plan(es->deparse_cxt, &cscan->scan.plan,
									   ancestors);
	call = deparse_expression(linitial(cscan->custom_exprs), context,
							  es->verbose, false);
	ExplainPropertyText("Function Call", call, es);
}

/* ---------- set-up ---------- */

void
funcscan_init(void)
{
	DefineCustomBoolVariable("ledger.enable_pricing_scan",
							 "Plans ledger's record-returning pricing functions in FROM with ledger's own scan node.",
							 "Off: PostgreSQL's Function Scan, which stores each call's row in a tuplestore before reading it.",
							 &funcscan_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	RegisterCustomScanMethods(&funcscan_scan_methods);
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = funcscan_set_rel_pathlist;
}
