/*-------------------------------------------------------------------------
 *
 * margin.c
 *		The performance-critical part of margining (DESIGN.md section 4;
 *		docs/margin.md): SPAN risk arrays, the scanning aggregates that
 *		combine them, the portfolio-margin valuation grid, the SPAN spread
 *		and credit rules, the strategy-based (Reg T / Cboe) pairing, a
 *		row-estimate support function for the margin set-returning
 *		functions, and the margin scheduler worker.  The queries that join
 *		positions with their parameters, collateral, margin calls and expiry
 *		are SQL and PL/pgSQL in sql/install/40_margin.sql.
 *
 * Risk arrays
 * -----------
 * A risk array holds the loss of one long contract under each scenario,
 * losses positive and gains negative, in currency (price change times the
 * contract multiplier).  The sixteen SPAN scenarios are the standard ones:
 * scenarios 1-14 move the futures price by 0, +1/3, -1/3, +2/3, -2/3, +3/3
 * and -3/3 of the price scan range, each with volatility up and down by the
 * volatility scan range (absolute, e.g. 0.04 = 4 vol points, floored at 0);
 * scenarios 15 and 16 move the price up and down by extreme_multiple times
 * the scan range at unchanged volatility, and only cover_fraction of that
 * loss counts.  Options are valued with Black-76 on the futures price
 * (pricing_european.c); a scenario price below zero values an option at a
 * futures price of zero, while a future's loss stays linear.
 *
 * The portfolio-margin grid (FINRA Rule 4210(g), Cboe Rule 12.4) holds the
 * loss of one long contract at "points" equally spaced underlying moves,
 * half of them down to -down and half up to +up (the default 10 points over
 * +/-15% are -15%, -12%, ..., -3%, +3%, ..., +15%).  Options are valued
 * with generalized Black-Scholes-Merton; stock moves linearly.
 *
 * Aggregates
 * ----------
 * span_scan, pm_scan and risk_array_sum add quantity-weighted arrays.  The
 * state is a MarginRiskState in the aggregate context (AggCheckCallContext),
 * of SQL type internal, as core's numeric and float aggregates keep theirs:
 * no SQL value can be passed where the state is expected, and a role that
 * is not superuser cannot declare an aggregate over these functions with a
 * state of its own making (CREATE AGGREGATE refuses STYPE internal).  The
 * combine, serialize and deserialize functions let the aggregates run in
 * parallel.  NULL arrays, NULL quantities and NULL elements are errors
 * (22004), not skipped: a position that cannot be margined must not
 * silently lower a requirement.
 *
 * Version 0.1.0 kept the state in a float8[] that any role could forge
 * (CREATE AGGREGATE ... INITCOND) and trusted its shape.  Its C symbols
 * (ledger_span_accum, ledger_risk_array_accum, ledger_risk_array_combine,
 * ledger_risk_array_final) stay, because the released install script binds
 * them and a database keeps calling them until ALTER EXTENSION ledger
 * UPDATE; they now check every array they are given (element type,
 * dimensions, lower bound, length, NULLs, finite values) before reading or
 * writing it.
 *
 * Spreads, credits and strategies
 * -------------------------------
 * span_tier, span_intra_charge, span_inter_credit and regt_requirement take
 * everything as arrays and read no table, so a query calls them once per
 * account or product over data it has already joined (the PL/pgSQL
 * versions of 0.1.0 ran a query per call); span_tiers and span_tier_deltas
 * (one shared internal state) collect a group's deltas by tier.  They
 * follow the 0.1.0 rules operation by operation, so results are the same
 * to the last bit, except that regt_requirement takes the legs in a fixed
 * order rather than the arrays' (docs/margin.md).
 *
 * Memoized risk arrays
 * --------------------
 * A book holds many positions in each listed contract, and a contract's
 * risk array depends only on the function's arguments: each call site of
 * span_risk_array and pm_risk_array keeps the arrays it computed in
 * fn_extra, keyed by the arguments' bits (see margin_memo_slot).
 *
 * Row estimates
 * -------------
 * margin_rows_support gives the planner the row counts of the margin
 * set-returning functions from the tables' size and statistics, so that
 * queries joining them are planned for the real size (0.1.0's plans assumed
 * a few rows and grew with the square of the book).
 *
 * Scheduler
 * ---------
 * When ledger.margin_database is set while preloading, a background worker
 * ("ledger margin launcher", restarted after 10 s if it exits) connects to
 * the shared catalogs only and looks the database up in pg_database.  While
 * the database is missing, closed to connections or invalid, it logs one
 * WARNING naming the setting, the database and the fix, and looks again
 * every MARGIN_RETRY_MS and at each reload, logging only when the state
 * changes (an operations review: before 2026-12-06 the scheduler connected
 * at once and logged FATAL "database ... does not exist" every 10 seconds
 * for good, which alert rules on FATAL fired on).  Once the database
 * accepts connections it starts the scheduler as a dynamic worker and waits
 * for it to end; it starts it again at most once a MARGIN_RETRY_MS.  The
 * scheduler ("ledger margin scheduler") connects to that database and,
 * while the extension is missing there, logs one WARNING and looks again at
 * each pass; otherwise, every
 * ledger.margin_call_interval seconds (0: never), calls
 * ledger.run_margin_calls with as_of = now() rounded down to a multiple of
 * the interval (so passes within one period are idempotent), and, once the
 * UTC time of day reaches ledger.expiry_time, ledger.run_expiry for today's
 * UTC date (idempotent, so every later pass that day is a no-op).  Each
 * call runs in its own transaction; an error is logged and the next pass
 * tries again.  The handlers only set flags and the latch (worker_spi.c).
 * SIGTERM (a server shutdown, pg_terminate_backend, DROP DATABASE ... WITH
 * (FORCE)) ends either worker at the top of its loop without a FATAL in the
 * log, as PostgreSQL's logical replication launcher exits; only a scheduler
 * in the middle of a pass is ended through die(), as a backend running a
 * query is.  A launcher that exits stops its scheduler.
 *
 * Memory: the array functions allocate only their result (and the memo,
 * in fn_mcxt, at most about 300 kB per call site); the aggregates allocate
 * their state once per group in the aggregate context; the scheduler's
 * passes run in a loop context reset after each pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "catalog/pg_database.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/supportnodes.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "ledger.h"
#include "margin.h"
#include "worker.h"
#include "pricing_core.h"

PG_FUNCTION_INFO_V1(ledger_span_risk_array);
PG_FUNCTION_INFO_V1(ledger_pm_risk_array);
PG_FUNCTION_INFO_V1(ledger_span_accum);
PG_FUNCTION_INFO_V1(ledger_risk_array_accum);
PG_FUNCTION_INFO_V1(ledger_risk_array_combine);
PG_FUNCTION_INFO_V1(ledger_risk_array_max_loss);
PG_FUNCTION_INFO_V1(ledger_risk_array_final);
PG_FUNCTION_INFO_V1(ledger_span_accum_0_2);
PG_FUNCTION_INFO_V1(ledger_risk_array_accum_0_2);
PG_FUNCTION_INFO_V1(ledger_risk_array_combine_0_2);
PG_FUNCTION_INFO_V1(ledger_risk_array_serialize);
PG_FUNCTION_INFO_V1(ledger_risk_array_deserialize);
PG_FUNCTION_INFO_V1(ledger_risk_array_scan_final);
PG_FUNCTION_INFO_V1(ledger_risk_array_final_0_2);
PG_FUNCTION_INFO_V1(ledger_span_tier_accum);
PG_FUNCTION_INFO_V1(ledger_span_tier_combine);
PG_FUNCTION_INFO_V1(ledger_span_tier_serialize);
PG_FUNCTION_INFO_V1(ledger_span_tier_deserialize);
PG_FUNCTION_INFO_V1(ledger_span_tiers_final);
PG_FUNCTION_INFO_V1(ledger_span_tier_deltas_final);
PG_FUNCTION_INFO_V1(ledger_option_contracts_accum);
PG_FUNCTION_INFO_V1(ledger_option_contracts_combine);
PG_FUNCTION_INFO_V1(ledger_option_contracts_serialize);
PG_FUNCTION_INFO_V1(ledger_option_contracts_deserialize);
PG_FUNCTION_INFO_V1(ledger_net_short_contracts_final);
PG_FUNCTION_INFO_V1(ledger_net_contracts_final);
PG_FUNCTION_INFO_V1(ledger_span_tier);
PG_FUNCTION_INFO_V1(ledger_span_intra_charge);
PG_FUNCTION_INFO_V1(ledger_span_inter_credit);
PG_FUNCTION_INFO_V1(ledger_span_inter_credit_table);
PG_FUNCTION_INFO_V1(ledger_regt_naked);
PG_FUNCTION_INFO_V1(ledger_regt_requirement);
PG_FUNCTION_INFO_V1(ledger_margin_rows_support);
PG_FUNCTION_INFO_V1(ledger_margin_run_lock);

/* ledger.exercise_threshold: smallest in-the-money amount exercised */
double		ledger_exercise_threshold = 0.01;

/* Scheduler settings (docs/margin.md, "Scheduling") */
static char *margin_database = NULL;	/* ledger.margin_database */
static int	margin_call_interval = 0;	/* ledger.margin_call_interval, s */
static char *margin_expiry_time = NULL; /* ledger.expiry_time, HH:MM UTC */

PGDLLEXPORT void ledger_margin_launcher_main(Datum main_arg);
PGDLLEXPORT void ledger_margin_worker_main(Datum main_arg);

/*
 * How often the margin launcher looks for a database it could not use, and
 * the shortest time between two starts of the scheduler (the restart time of
 * the worker of 0.1.0).
 */
#define MARGIN_RETRY_MS 10000

/* Price move of scenarios 1-14, in scan ranges. */
static const double span_price_move[14] = {
	0.0, 0.0,
	1.0 / 3.0, 1.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0,
	2.0 / 3.0, 2.0 / 3.0, -2.0 / 3.0, -2.0 / 3.0,
	1.0, 1.0, -1.0, -1.0
};

/*
 * State of the risk array aggregates (SQL type internal).  The magic number
 * catches a state of another aggregate, which only a superuser could hand
 * over by declaring an aggregate with STYPE internal.
 */
#define MARGIN_STATE_MAGIC 0x4D524753	/* "MRGS" */

typedef struct MarginRiskState
{
	uint32		magic;			/* MARGIN_STATE_MAGIC */
	int32		n;				/* scenarios, 1 .. MARGIN_PM_MAX_POINTS */
	double		sum[FLEXIBLE_ARRAY_MEMBER]; /* quantity-weighted sums */
} MarginRiskState;

/* ---------- pure numerics ---------- */

/*
 * Black-76 value of a scenario, as pricing_black76_price computes it but
 * with the discount factor and sqrt(t) computed once per contract; futures
 * prices below zero count as zero.
 */
static inline double
margin_black(int kind, double f, double k, double t, double df,
			 double sqrt_t, double sigma)
{
	if (f < 0.0)
		f = 0.0;
	if (t <= 0.0)
		return Max(kind * (f - k), 0.0);
	if (k <= 0.0 || f <= 0.0 || sigma <= 0.0)
		return df * Max(kind * (f - k), 0.0);
	return df * pricing_black_undiscounted(kind, f, k, sigma * sqrt_t);
}

/*
 * The 16 SPAN scenario losses of one long contract (kind 0: future).
 */
void
margin_span_array(int kind, double f, double k, double t, double r,
				  double sigma, double price_scan, double vol_scan,
				  double multiplier, double extreme_multiple,
				  double cover_fraction, double *out)
{
	double		base;
	double		vol_up = sigma + vol_scan;
	double		vol_down = sigma - vol_scan;
	double		move;
	double		df;
	double		sqrt_t;
	int			i;

	if (vol_down < 0.0)
		vol_down = 0.0;

	if (kind == 0)
	{
		for (i = 0; i < 14; i++)
			out[i] = 0.0 - span_price_move[i] * price_scan * multiplier;
		move = extreme_multiple * price_scan;
		out[14] = -move * multiplier * cover_fraction;
		out[15] = move * multiplier * cover_fraction;
		return;
	}

	df = exp(-r * t);
	sqrt_t = sqrt(t);
	base = margin_black(kind, f, k, t, df, sqrt_t, sigma);
	for (i = 0; i < 14; i += 2)
	{
		double		fs = f + span_price_move[i] * price_scan;

		out[i] = (base - margin_black(kind, fs, k, t, df, sqrt_t, vol_up)) *
			multiplier;
		out[i + 1] = (base - margin_black(kind, fs, k, t, df, sqrt_t,
										  vol_down)) * multiplier;
	}
	move = extreme_multiple * price_scan;
	out[14] = (base - margin_black(kind, f + move, k, t, df, sqrt_t, sigma)) *
		multiplier * cover_fraction;
	out[15] = (base - margin_black(kind, f - move, k, t, df, sqrt_t, sigma)) *
		multiplier * cover_fraction;
}

/*
 * Losses of one long contract (kind 0: stock) at the portfolio-margin
 * valuation points: points/2 moves down to -down, then points/2 up to +up.
 */
void
margin_pm_array(int kind, double s, double k, double t, double r, double q,
				double sigma, double multiplier, double down, double up,
				int points, double *out)
{
	int			half = points / 2;
	double		base = 0.0;
	int			i;

	if (kind != 0)
		base = pricing_bsm_price(kind, s, k, t, r, q, sigma);
	for (i = 0; i < points; i++)
	{
		double		move;

		if (i < half)
			move = -down * (double) (half - i) / half;
		else
			move = up * (double) (i - half + 1) / half;
		if (kind == 0)
			out[i] = -s * move * multiplier;
		else
			out[i] = (base - pricing_bsm_price(kind, s * (1.0 + move), k, t,
											   r, q, sigma)) * multiplier;
	}
}

/* Cboe uncovered requirement per unit of a short call (+1) or put (-1). */
static inline double
margin_regt_naked(int kind, double s, double k, double pct, double min_pct)
{
	if (kind > 0)
		return Max(pct * s - Max(k - s, 0.0), min_pct * s);
	return Max(pct * s - Max(s - k, 0.0), min_pct * k);
}

/* The sign of x as SQL's sign(float8) gives it: -1, 0 or +1. */
static inline double
margin_sign(double x)
{
	return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
}

/* ---------- argument checks ---------- */

static char *margin_float8_text(double v, char *buf);

/*
 * Reject a value outside [0, 1].  NaN, infinities and negative values go
 * through pricing.c's ledger_check_finite and ledger_check_nonneg, as every
 * other argument check here (margin.c had copies of them, word for word).
 */
static void
margin_check_fraction(const char *name, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	ledger_check_nonneg(name, v);
	if (unlikely(v > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid input for \"%s\": %s", name,
						margin_float8_text(v, buf)),
				 errdetail("The value of \"%s\" must be between 0 and 1.",
						   name)));
}

/* Reject a value that is not finite and positive. */
static void
margin_check_positive(const char *name, double v)
{
	ledger_check_nonneg(name, v);
	if (unlikely(v == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid input for \"%s\": 0", name),
				 errdetail("The value of \"%s\" must be greater than 0.",
						   name)));
}

/* Report a non-finite result as overflow (22003). */
static void
margin_check_result(const double *v, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (unlikely(!isfinite(v[i])))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("A margin figure is not representable as a double precision number.")));
}

/* Report an instrument kind outside the allowed ones. */
static pg_noinline void
margin_kind_error(text *kind, const char *allowed)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid instrument kind \"%s\"", text_to_cstring(kind)),
			 errhint("The kind must be %s.", allowed)));
}

/*
 * Parse an instrument kind without allocating: +1 "call", -1 "put", 0 the
 * underlying (underlying names it, NULL: none allowed); anything else is an
 * error whose hint lists allowed.
 */
static inline int
margin_kind(text *kind, const char *underlying, const char *allowed)
{
	const char *p = VARDATA_ANY(kind);
	Size		len = VARSIZE_ANY_EXHDR(kind);

	if (len == 4 && memcmp(p, "call", 4) == 0)
		return 1;
	if (len == 3 && memcmp(p, "put", 3) == 0)
		return -1;
	if (underlying != NULL && len == strlen(underlying) &&
		memcmp(p, underlying, len) == 0)
		return 0;
	margin_kind_error(kind, allowed);
	return 0;					/* keep compiler quiet */
}

/*
 * Check an array argument and return its number of elements: element type
 * elemtype, at most one dimension, elements numbered from 1, no NULL
 * elements, at most maxlen elements (0: no limit).  "what" names the array
 * in messages ("risk array", "array \"tiers\"").
 */
static int
margin_array_check(ArrayType *a, Oid elemtype, const char *what, int maxlen)
{
	int			n;

	if (ARR_ELEMTYPE(a) != elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array of %s", what,
						format_type_be(elemtype)),
				 errdetail("The array has elements of type %s.",
						   format_type_be(ARR_ELEMTYPE(a)))));
	if (ARR_NDIM(a) == 0)
		return 0;
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: %d dimensions", what, ARR_NDIM(a)),
				 errdetail("The array must have one dimension.")));
	if (ARR_LBOUND(a)[0] != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: lower bound %d", what, ARR_LBOUND(a)[0]),
				 errdetail("The elements of the array must be numbered from 1.")));
	n = ARR_DIMS(a)[0];
	if (maxlen > 0 && n > maxlen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s length %d", what, n),
				 errdetail("The array has at most %d elements.", maxlen)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	/* a fixed-width array must hold its n elements (cannot happen) */
	if (elemtype != TEXTOID &&
		ARR_SIZE(a) < ARR_DATA_OFFSET(a) +
		(Size) n * (elemtype == FLOAT8OID ? sizeof(float8) : sizeof(int32)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid %s: %d elements in %zu bytes", what, n,
						(Size) ARR_SIZE(a))));
	return n;
}

/* Check that the n-element array "what" has want elements. */
static void
margin_check_same_length(const char *what, int n, const char *other, int want)
{
	if (n != want)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("arrays \"%s\" and \"%s\" have different lengths %d and %d",
						other, what, want, n),
				 errdetail("The arrays describe the same items, one element each.")));
}

/* Check every element of a float8 array with check(name, value). */
static void
margin_check_elements(const double *v, int n, const char *name,
					  void (*check) (const char *, double))
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		check(name, v[i]);
	}
}

/*
 * Check a risk array argument: float8, one dimension numbered from 1, no
 * NULLs, finite, and "want" elements (want 0: 1 to MARGIN_PM_MAX_POINTS).
 * Returns the element count.
 */
static int
margin_check_risk_array(ArrayType *a, int want)
{
	int			n = margin_array_check(a, FLOAT8OID, "risk array",
									   MARGIN_PM_MAX_POINTS);

	if (want > 0 && n != want)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid risk array length %d", n),
				 errdetail("A SPAN risk array has %d scenarios.", want)));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid risk array length 0"),
				 errdetail("A risk array has at least one scenario.")));
	margin_check_elements((const double *) ARR_DATA_PTR(a), n, "risk array",
						  ledger_check_finite);
	return n;
}

/* Build a one-dimensional float8[] without NULLs from n doubles. */
static ArrayType *
margin_make_array(const double *v, int n)
{
	Size		nbytes = add_size(ARR_OVERHEAD_NONULLS(1),
								  mul_size(sizeof(float8), n));
	ArrayType  *a;

	if (n == 0)
		return construct_empty_array(FLOAT8OID);
	a = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	memcpy(ARR_DATA_PTR(a), v, sizeof(float8) * n);
	return a;
}

/* ---------- memoized risk arrays ---------- */

/*
 * The risk array of a contract depends only on the function's arguments,
 * and a book holds many positions in each listed contract, so each call
 * site (FmgrInfo) of span_risk_array and pm_risk_array keeps the arrays it
 * has computed in an open-addressing table in fn_mcxt, keyed by the exact
 * bits of the arguments; a hit returns a copy.  Errors are never cached.
 * The table holds at most MARGIN_MEMO_SLOTS * 3 / 4 arrays and
 * MARGIN_MEMO_BYTES of them, after which new arguments are computed without
 * being kept (about 300 kB at most with the table: 768 SPAN arrays of 152
 * bytes fit, 24 portfolio-margin arrays of 1,000 points; before 2026-12-06
 * only the count was bounded, and a call site of pm_risk_array with 1,000
 * points kept 8 MB); a call site where fewer than a quarter of the first
 * MARGIN_MEMO_PROBE calls hit stops looking, so arguments that never repeat
 * cost nothing.
 */
#define MARGIN_MEMO_SLOTS	1024
#define MARGIN_MEMO_PARAMS	10
#define MARGIN_MEMO_PROBE	4096
#define MARGIN_MEMO_BYTES	(192 * 1024)

typedef struct MarginMemoKey
{
	int32		kind;
	int32		points;
	double		par[MARGIN_MEMO_PARAMS];
} MarginMemoKey;

typedef struct MarginMemoEntry
{
	MarginMemoKey key;
	ArrayType  *value;			/* NULL: empty slot */
} MarginMemoEntry;

typedef struct MarginMemo
{
	int			used;			/* slots filled */
	Size		bytes;			/* of the arrays kept */
	int			lookups;		/* calls so far, up to MARGIN_MEMO_PROBE */
	int			hits;			/* of which hits */
	bool		off;			/* stopped looking */
	MarginMemoEntry slot[MARGIN_MEMO_SLOTS];
} MarginMemo;

/*
 * The slot of key in the call site's table (allocated on first use), or
 * NULL when the call site has stopped looking.
 */
static MarginMemoEntry *
margin_memo_slot(FunctionCallInfo fcinfo, const MarginMemoKey *key)
{
	MarginMemo *memo;
	uint32		h;

	if (fcinfo->flinfo == NULL)
		return NULL;			/* a direct call: nowhere to keep it */
	memo = (MarginMemo *) fcinfo->flinfo->fn_extra;
	if (memo == NULL)
	{
		memo = (MarginMemo *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
													 sizeof(MarginMemo));
		fcinfo->flinfo->fn_extra = memo;
	}
	if (memo->off)
		return NULL;
	h = hash_bytes((const unsigned char *) key, sizeof(MarginMemoKey));
	for (;;)
	{
		MarginMemoEntry *e = &memo->slot[h % MARGIN_MEMO_SLOTS];

		if (e->value == NULL ||
			memcmp(&e->key, key, sizeof(MarginMemoKey)) == 0)
		{
			if (memo->lookups < MARGIN_MEMO_PROBE)
			{
				memo->lookups++;
				if (e->value != NULL)
					memo->hits++;
				else if (memo->lookups == MARGIN_MEMO_PROBE &&
						 memo->hits < MARGIN_MEMO_PROBE / 4)
					memo->off = true;
			}
			return e;
		}
		h++;
	}
}

/* A copy of the array in a hit slot, or NULL. */
static ArrayType *
margin_memo_get(MarginMemoEntry *e)
{
	ArrayType  *a;

	if (e == NULL || e->value == NULL)
		return NULL;
	a = (ArrayType *) palloc(VARSIZE(e->value));
	memcpy(a, e->value, VARSIZE(e->value));
	return a;
}

/* Keep a copy of array a in the empty slot e, while there is room. */
static void
margin_memo_put(FunctionCallInfo fcinfo, MarginMemoEntry *e,
				const MarginMemoKey *key, const ArrayType *a)
{
	MarginMemo *memo;

	if (e == NULL)
		return;
	memo = (MarginMemo *) fcinfo->flinfo->fn_extra;
	if (memo->off || memo->used >= MARGIN_MEMO_SLOTS * 3 / 4 ||
		memo->bytes + VARSIZE(a) > MARGIN_MEMO_BYTES)
		return;
	e->value = (ArrayType *) MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
												VARSIZE(a));
	memcpy(e->value, a, VARSIZE(a));
	e->key = *key;
	memo->used++;
	memo->bytes += VARSIZE(a);
}

/* ---------- SQL-callable: risk arrays ---------- */

/*
 * ledger.span_risk_array(kind text, f float8, k float8, t float8,
 *		r float8, sigma float8, price_scan float8, vol_scan float8,
 *		multiplier float8 DEFAULT 1, extreme_multiple float8 DEFAULT 3,
 *		cover_fraction float8 DEFAULT 0.35) RETURNS float8[]
 */
Datum
ledger_span_risk_array(PG_FUNCTION_ARGS)
{
	int			kind = margin_kind(PG_GETARG_TEXT_PP(0), "future",
								   "\"future\", \"call\" or \"put\"");
	double		f = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		sigma = PG_GETARG_FLOAT8(5);
	double		price_scan = PG_GETARG_FLOAT8(6);
	double		vol_scan = PG_GETARG_FLOAT8(7);
	double		multiplier = PG_GETARG_FLOAT8(8);
	double		extreme = PG_GETARG_FLOAT8(9);
	double		cover = PG_GETARG_FLOAT8(10);
	double		out[MARGIN_SPAN_SCENARIOS];
	MarginMemoKey key;
	MarginMemoEntry *slot;
	ArrayType  *result;

	memset(&key, 0, sizeof(key));
	key.kind = kind;
	key.par[0] = f;
	key.par[1] = k;
	key.par[2] = t;
	key.par[3] = r;
	key.par[4] = sigma;
	key.par[5] = price_scan;
	key.par[6] = vol_scan;
	key.par[7] = multiplier;
	key.par[8] = extreme;
	key.par[9] = cover;
	slot = margin_memo_slot(fcinfo, &key);
	result = margin_memo_get(slot);
	if (result != NULL)
		PG_RETURN_ARRAYTYPE_P(result);

	ledger_check_finite("f", f);
	if (kind != 0)
		ledger_check_nonneg("f", f);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_nonneg("sigma", sigma);
	ledger_check_nonneg("price_scan", price_scan);
	ledger_check_nonneg("vol_scan", vol_scan);
	ledger_check_nonneg("multiplier", multiplier);
	ledger_check_nonneg("extreme_multiple", extreme);
	margin_check_fraction("cover_fraction", cover);

	margin_span_array(kind, f, k, t, r, sigma, price_scan, vol_scan,
					  multiplier, extreme, cover, out);
	margin_check_result(out, MARGIN_SPAN_SCENARIOS);
	result = margin_make_array(out, MARGIN_SPAN_SCENARIOS);
	margin_memo_put(fcinfo, slot, &key, result);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * ledger.pm_risk_array(kind text, s float8, k float8, t float8, r float8,
 *		q float8, sigma float8, multiplier float8 DEFAULT 100,
 *		down float8 DEFAULT 0.15, up float8 DEFAULT 0.15,
 *		points int4 DEFAULT 10) RETURNS float8[]
 */
Datum
ledger_pm_risk_array(PG_FUNCTION_ARGS)
{
	int			kind = margin_kind(PG_GETARG_TEXT_PP(0), "stock",
								   "\"stock\", \"call\" or \"put\"");
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		q = PG_GETARG_FLOAT8(5);
	double		sigma = PG_GETARG_FLOAT8(6);
	double		multiplier = PG_GETARG_FLOAT8(7);
	double		down = PG_GETARG_FLOAT8(8);
	double		up = PG_GETARG_FLOAT8(9);
	int32		points = PG_GETARG_INT32(10);
	double		out[MARGIN_PM_MAX_POINTS];
	MarginMemoKey key;
	MarginMemoEntry *slot;
	ArrayType  *result;

	memset(&key, 0, sizeof(key));
	key.kind = kind;
	key.points = points;
	key.par[0] = s;
	key.par[1] = k;
	key.par[2] = t;
	key.par[3] = r;
	key.par[4] = q;
	key.par[5] = sigma;
	key.par[6] = multiplier;
	key.par[7] = down;
	key.par[8] = up;
	slot = margin_memo_slot(fcinfo, &key);
	result = margin_memo_get(slot);
	if (result != NULL)
		PG_RETURN_ARRAYTYPE_P(result);

	ledger_check_bsm_args(s, k, t, r, q);
	ledger_check_nonneg("sigma", sigma);
	ledger_check_nonneg("multiplier", multiplier);
	margin_check_fraction("down", down);
	ledger_check_nonneg("up", up);
	if (points < 2 || points > MARGIN_PM_MAX_POINTS || points % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid number of valuation points: %d", points),
				 errdetail("The number of points must be even and between 2 and %d.",
						   MARGIN_PM_MAX_POINTS)));

	margin_pm_array(kind, s, k, t, r, q, sigma, multiplier, down, up,
					points, out);
	margin_check_result(out, points);
	result = margin_make_array(out, points);
	margin_memo_put(fcinfo, slot, &key, result);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- SQL-callable: aggregates over an internal state ---------- */

/* The aggregate context of a support function, or an error outside one. */
static MemoryContext
margin_agg_context_of(FunctionCallInfo fcinfo, const char *kind, const char *use)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s aggregate support function called outside an aggregate", kind),
				 errhint("Use %s.", use)));
	return aggcontext;
}

/* The same for each family of the margin aggregates. */
#define margin_agg_context(fcinfo) \
	margin_agg_context_of((fcinfo), "risk array", \
						  "ledger.span_scan, ledger.pm_scan or ledger.risk_array_sum")
#define margin_tier_context(fcinfo) \
	margin_agg_context_of((fcinfo), "tier", "ledger.span_tiers or ledger.span_tier_deltas")
#define margin_contract_context(fcinfo) \
	margin_agg_context_of((fcinfo), "option contract", \
						  "ledger.net_short_option_contracts or ledger.net_option_contracts")

/* Argument argno as a risk array state, or NULL; checks the magic. */
static MarginRiskState *
margin_state_arg(FunctionCallInfo fcinfo, int argno)
{
	MarginRiskState *st;

	if (PG_ARGISNULL(argno))
		return NULL;
	st = (MarginRiskState *) PG_GETARG_POINTER(argno);
	if (st == NULL)
		return NULL;
	if (st->magic != MARGIN_STATE_MAGIC || st->n < 1 ||
		st->n > MARGIN_PM_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid risk array aggregate state"),
				 errdetail("The state was not made by a risk array aggregate.")));
	return st;
}

/* A zeroed state of n scenarios in context cxt. */
static MarginRiskState *
margin_state_new(MemoryContext cxt, int n)
{
	MarginRiskState *st;

	st = (MarginRiskState *) MemoryContextAllocZero(cxt,
													add_size(offsetof(MarginRiskState, sum),
															 mul_size(sizeof(double), n)));
	st->magic = MARGIN_STATE_MAGIC;
	st->n = n;
	return st;
}

/* Report two risk arrays of one group with different lengths. */
static pg_noinline void
margin_length_mismatch(int a, int b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("risk arrays of different lengths %d and %d", a, b),
			 errdetail("All risk arrays of one group must have the same scenarios.")));
}

/*
 * Check the risk array and quantity arguments 1 and 2 of a transition
 * function; returns the array's length and sets *v and *qty.
 */
static int
margin_accum_args(FunctionCallInfo fcinfo, int want, const double **v,
				  double *qty)
{
	ArrayType  *a;
	int			n;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("risk array must not be null"),
				 errhint("Every position needs a risk array; check its product parameters and prices.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("quantity must not be null")));
	a = PG_GETARG_ARRAYTYPE_P(1);
	*qty = PG_GETARG_FLOAT8(2);
	ledger_check_finite("quantity", *qty);
	n = margin_check_risk_array(a, want);
	*v = (const double *) ARR_DATA_PTR(a);
	return n;
}

/* Transition of the internal-state aggregates; want as for the check. */
static Datum
margin_accum_0_2(FunctionCallInfo fcinfo, int want)
{
	MemoryContext aggcontext = margin_agg_context(fcinfo);
	MarginRiskState *st = margin_state_arg(fcinfo, 0);
	const double *v;
	double		qty;
	int			n = margin_accum_args(fcinfo, want, &v, &qty);
	int			i;

	if (st == NULL)
		st = margin_state_new(aggcontext, n);
	else if (st->n != n)
		margin_length_mismatch(st->n, n);
	for (i = 0; i < n; i++)
		st->sum[i] += qty * v[i];
	margin_check_result(st->sum, n);
	PG_RETURN_POINTER(st);
}

/*
 * ledger.span_accum(state internal, risk_array float8[], quantity float8)
 *		RETURNS internal: transition of span_scan (16 scenarios)
 */
Datum
ledger_span_accum_0_2(PG_FUNCTION_ARGS)
{
	return margin_accum_0_2(fcinfo, MARGIN_SPAN_SCENARIOS);
}

/*
 * ledger.risk_array_accum(state internal, risk_array float8[],
 *		quantity float8) RETURNS internal: transition of pm_scan and
 *		risk_array_sum (any length, the same within a group)
 */
Datum
ledger_risk_array_accum_0_2(PG_FUNCTION_ARGS)
{
	return margin_accum_0_2(fcinfo, 0);
}

/*
 * ledger.risk_array_combine(a internal, b internal) RETURNS internal
 */
Datum
ledger_risk_array_combine_0_2(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = margin_agg_context(fcinfo);
	MarginRiskState *a = margin_state_arg(fcinfo, 0);
	MarginRiskState *b = margin_state_arg(fcinfo, 1);
	int			i;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		/* b may live in a shorter-lived context (deserialized) */
		a = margin_state_new(aggcontext, b->n);
		memcpy(a->sum, b->sum, sizeof(double) * b->n);
		PG_RETURN_POINTER(a);
	}
	if (a->n != b->n)
		margin_length_mismatch(a->n, b->n);
	for (i = 0; i < a->n; i++)
		a->sum[i] += b->sum[i];
	margin_check_result(a->sum, a->n);
	PG_RETURN_POINTER(a);
}

/*
 * ledger.risk_array_serialize(state internal) RETURNS bytea
 */
Datum
ledger_risk_array_serialize(PG_FUNCTION_ARGS)
{
	MarginRiskState *st;
	StringInfoData buf;
	int			i;

	(void) margin_agg_context(fcinfo);
	st = margin_state_arg(fcinfo, 0);
	if (st == NULL)
		PG_RETURN_NULL();
	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
		pq_sendfloat8(&buf, st->sum[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * ledger.risk_array_deserialize(state bytea, dummy internal)
 *		RETURNS internal
 */
Datum
ledger_risk_array_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	StringInfoData buf;
	MarginRiskState *st;
	int			n;
	int			i;

	(void) margin_agg_context(fcinfo);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	b = PG_GETARG_BYTEA_PP(0);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	n = pq_getmsgint(&buf, 4);
	if (n < 1 || n > MARGIN_PM_MAX_POINTS ||
		buf.len != (int) (sizeof(int32) + sizeof(double) * n))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid serialized risk array aggregate state")));
	/* the combine function copies it into the aggregate context */
	st = margin_state_new(CurrentMemoryContext, n);
	for (i = 0; i < n; i++)
		st->sum[i] = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(st);
}

/*
 * ledger.risk_array_scan_final(state internal) RETURNS float8: the largest
 * scenario loss, at least 0 (final function of span_scan and pm_scan)
 */
Datum
ledger_risk_array_scan_final(PG_FUNCTION_ARGS)
{
	MarginRiskState *st = margin_state_arg(fcinfo, 0);
	double		worst = 0.0;
	int			i;

	if (st == NULL)
		PG_RETURN_NULL();
	for (i = 0; i < st->n; i++)
		if (st->sum[i] > worst)
			worst = st->sum[i];
	PG_RETURN_FLOAT8(worst);
}

/*
 * ledger.risk_array_final(state internal) RETURNS float8[]: the summed
 * array (final function of risk_array_sum)
 */
Datum
ledger_risk_array_final_0_2(PG_FUNCTION_ARGS)
{
	MarginRiskState *st = margin_state_arg(fcinfo, 0);

	if (st == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(margin_make_array(st->sum, st->n));
}

/* ---------- SQL-callable: the 0.1.0 aggregates over float8[] ---------- */

/*
 * Check a 0.1.0 state array (any role can make one up with INITCOND):
 * a risk array of exactly n scenarios.
 */
static ArrayType *
margin_state_array_0_1(FunctionCallInfo fcinfo, int argno, int n)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(argno);
	int			have = margin_check_risk_array(state, 0);

	if (n > 0 && have != n)
		margin_length_mismatch(have, n);
	return state;
}

/* Transition of the 0.1.0 aggregates; want as for the check. */
static Datum
margin_accum_0_1(FunctionCallInfo fcinfo, int want)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	double		qty;
	double	   *sum;
	const double *v;
	int			n;
	int			i;

	aggcontext = margin_agg_context(fcinfo);
	n = margin_accum_args(fcinfo, want, &v, &qty);
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);
		double		zero[MARGIN_PM_MAX_POINTS] = {0};

		state = margin_make_array(zero, n);
		MemoryContextSwitchTo(old);
	}
	else
		state = margin_state_array_0_1(fcinfo, 0, n);

	sum = (double *) ARR_DATA_PTR(state);
	for (i = 0; i < n; i++)
		sum[i] += qty * v[i];
	margin_check_result(sum, n);
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * ledger.span_accum(state float8[], risk_array float8[], quantity float8)
 *		RETURNS float8[]: transition of the 0.1.0 span_scan
 */
Datum
ledger_span_accum(PG_FUNCTION_ARGS)
{
	return margin_accum_0_1(fcinfo, MARGIN_SPAN_SCENARIOS);
}

/*
 * ledger.risk_array_accum(state float8[], risk_array float8[],
 *		quantity float8) RETURNS float8[]: transition of the 0.1.0 pm_scan
 *		and risk_array_sum
 */
Datum
ledger_risk_array_accum(PG_FUNCTION_ARGS)
{
	return margin_accum_0_1(fcinfo, 0);
}

/*
 * ledger.risk_array_combine(a float8[], b float8[]) RETURNS float8[]:
 *		combine function of the 0.1.0 aggregates
 */
Datum
ledger_risk_array_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *a;
	ArrayType  *b;
	double	   *sa;
	const double *sb;
	int			n;
	int			i;

	aggcontext = margin_agg_context(fcinfo);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		a = margin_state_array_0_1(fcinfo, 0, 0);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	b = margin_state_array_0_1(fcinfo, 1, 0);
	n = ARR_DIMS(b)[0];
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		a = margin_make_array((const double *) ARR_DATA_PTR(b), n);
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = margin_state_array_0_1(fcinfo, 0, n);
	sa = (double *) ARR_DATA_PTR(a);
	sb = (const double *) ARR_DATA_PTR(b);
	for (i = 0; i < n; i++)
		sa[i] += sb[i];
	margin_check_result(sa, n);
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * ledger.risk_array_max_loss(risk_array float8[]) RETURNS float8: the
 * largest scenario loss, at least 0 (also the 0.1.0 final function of
 * span_scan and pm_scan)
 */
Datum
ledger_risk_array_max_loss(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	const double *v;
	double		worst = 0.0;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_ARRAYTYPE_P(0);
	n = margin_check_risk_array(a, 0);
	v = (const double *) ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
		if (v[i] > worst)
			worst = v[i];
	PG_RETURN_FLOAT8(worst);
}

/*
 * ledger.risk_array_final(state float8[]) RETURNS float8[]: a copy of the
 * summed array (0.1.0 final function of risk_array_sum)
 */
Datum
ledger_risk_array_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_ARRAYTYPE_P(0);
	n = margin_check_risk_array(a, 0);
	PG_RETURN_ARRAYTYPE_P(margin_make_array((const double *) ARR_DATA_PTR(a),
											n));
}

/* ---------- SQL-callable: SPAN spreads and credits ---------- */

/*
 * ledger.span_tier(expiry date, tier_from date[], tier_to date[],
 *		tiers int4[]) RETURNS int4: the smallest tier whose expiry range
 *		[tier_from, tier_to] holds expiry, 0 if none
 */
Datum
ledger_span_tier(PG_FUNCTION_ARGS)
{
	DateADT		expiry = PG_GETARG_DATEADT(0);
	ArrayType  *afrom = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *ato = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *atiers = PG_GETARG_ARRAYTYPE_P(3);
	const DateADT *from;
	const DateADT *to;
	const int32 *tiers;
	int32		best = 0;
	bool		found = false;
	int			n;
	int			i;

	n = margin_array_check(atiers, INT4OID, "array \"tiers\"", 0);
	margin_check_same_length("tier_from",
							 margin_array_check(afrom, DATEOID, "array \"tier_from\"", 0),
							 "tiers", n);
	margin_check_same_length("tier_to",
							 margin_array_check(ato, DATEOID, "array \"tier_to\"", 0),
							 "tiers", n);
	from = (const DateADT *) ARR_DATA_PTR(afrom);
	to = (const DateADT *) ARR_DATA_PTR(ato);
	tiers = (const int32 *) ARR_DATA_PTR(atiers);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (from[i] <= expiry && expiry <= to[i] && (!found || tiers[i] < best))
		{
			best = tiers[i];
			found = true;
		}
	}
	PG_RETURN_INT32(best);
}

/*
 * State of ledger.span_tiers and ledger.span_tier_deltas (SQL type
 * internal, shared by the two aggregates when a query uses both on the
 * same rows): the distinct tiers seen, in order of first appearance, with
 * their summed deltas.  Everything lives in the aggregate context (or, in
 * ledger.span_intra_charge, which sums one account's tiers the same way, in
 * the call's memory).
 */
#define MARGIN_TIER_MAGIC 0x4D524754	/* "MRGT" */

typedef struct MarginTierState
{
	uint32		magic;			/* MARGIN_TIER_MAGIC */
	int32		ntiers;			/* distinct tiers so far */
	int32		maxtiers;		/* allocated length of tiers, deltas */
	int32	   *tiers;
	double	   *deltas;
	int32		nslots;			/* length of slots, a power of 2; 0: none */
	int32	   *slots;			/* open addressing: index into tiers + 1, 0
								 * empty */
} MarginTierState;

/*
 * Up to this many distinct tiers a lookup reads the list; past it, a hash
 * index of the tiers (a group with 200,000 distinct tiers took 22.7 s by
 * reading the list for every row).
 */
#define MARGIN_TIER_LINEAR 16

/* The hash slot where tier t is, or the empty slot where it would go. */
static int
margin_tier_slot(const MarginTierState *st, int32 t)
{
	uint32		mask = (uint32) st->nslots - 1;
	uint32		h = murmurhash32((uint32) t) & mask;

	while (st->slots[h] != 0 && st->tiers[st->slots[h] - 1] != t)
		h = (h + 1) & mask;
	return (int) h;
}

/* Index of tier t in the state, or -1. */
static int
margin_find_tier(const MarginTierState *st, int32 t)
{
	int			i;

	if (st->nslots > 0)
	{
		int32		s = st->slots[margin_tier_slot(st, t)];

		return s - 1;
	}
	for (i = 0; i < st->ntiers; i++)
		if (st->tiers[i] == t)
			return i;
	return -1;
}

/*
 * (Re)build the hash index of the state's tiers with room for twice its
 * allocated length, in the context that holds the state.
 */
static void
margin_tier_index(MarginTierState *st)
{
	int32		nslots = 64;
	int			i;

	while (nslots < 2 * st->maxtiers)
		nslots *= 2;
	if (st->slots != NULL)
		pfree(st->slots);
	st->slots = (int32 *) MemoryContextAllocExtended(GetMemoryChunkContext(st),
													 sizeof(int32) * (Size) nslots,
													 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	st->nslots = nslots;
	for (i = 0; i < st->ntiers; i++)
		st->slots[margin_tier_slot(st, st->tiers[i])] = i + 1;
}


/*
 * Apply the ns spreads, in order, to the distinct tiers of st with their net
 * deltas (changed in place); returns the charge.  Each spread pairs the
 * remaining deltas of its two tiers when their signs are opposite,
 * min(|delta_a|, |delta_b|) spreads at its charge each.
 */
static double
margin_intra_apply(MarginTierState *st, const int32 *sa,
				   const int32 *sb, const double *charges, int ns)
{
	double	   *ud = st->deltas;
	double		charge = 0.0;
	int			i;

	for (i = 0; i < ns; i++)
	{
		int			ia;
		int			ib;
		double		n;

		CHECK_FOR_INTERRUPTS();
		ia = margin_find_tier(st, sa[i]);
		ib = margin_find_tier(st, sb[i]);
		if (ia < 0 || ib < 0)
			continue;
		if (margin_sign(ud[ia]) * margin_sign(ud[ib]) >= 0.0)
			continue;
		n = Min(fabs(ud[ia]), fabs(ud[ib]));
		charge = charge + n * charges[i];
		ud[ia] = ud[ia] - margin_sign(ud[ia]) * n;
		ud[ib] = ud[ib] - margin_sign(ud[ib]) * n;
	}
	margin_check_result(&charge, 1);
	return charge;
}

/* Argument argno as a tier state, or NULL; checks the magic. */
static MarginTierState *
margin_tier_arg(FunctionCallInfo fcinfo, int argno)
{
	MarginTierState *st;

	if (PG_ARGISNULL(argno))
		return NULL;
	st = (MarginTierState *) PG_GETARG_POINTER(argno);
	if (st == NULL)
		return NULL;
	if (st->magic != MARGIN_TIER_MAGIC || st->ntiers < 0 ||
		st->ntiers > st->maxtiers)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid tier aggregate state"),
				 errdetail("The state was not made by ledger.span_tiers or ledger.span_tier_deltas.")));
	return st;
}

/* An empty tier state in cxt. */
static MarginTierState *
margin_tier_new(MemoryContext cxt)
{
	MarginTierState *st;

	st = (MarginTierState *) MemoryContextAllocZero(cxt, sizeof(MarginTierState));
	st->magic = MARGIN_TIER_MAGIC;
	st->maxtiers = 4;
	st->tiers = (int32 *) MemoryContextAlloc(cxt, sizeof(int32) * st->maxtiers);
	st->deltas = (double *) MemoryContextAlloc(cxt, sizeof(double) * st->maxtiers);
	return st;
}

/* Add delta to tier t of the state (a new tier is appended). */
static void
margin_tier_add(MarginTierState *st, int32 t, double delta)
{
	int			j = margin_find_tier(st, t);

	if (j >= 0)
	{
		/* two finite deltas can add up to infinity (1e308 + 1e308) */
		st->deltas[j] += delta;
		margin_check_result(&st->deltas[j], 1);
		return;
	}
	if (st->ntiers == st->maxtiers)
	{
		/* repalloc keeps the chunks in their (aggregate) context */
		if (st->maxtiers >= (int) (MaxAllocSize / (2 * sizeof(double))))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many intra-commodity tiers in one group")));
		st->maxtiers *= 2;
		st->tiers = (int32 *) repalloc(st->tiers, sizeof(int32) * st->maxtiers);
		st->deltas = (double *) repalloc(st->deltas, sizeof(double) * st->maxtiers);
		if (st->nslots > 0)
			margin_tier_index(st);
	}
	if (st->nslots > 0)
		st->slots[margin_tier_slot(st, t)] = st->ntiers + 1;
	st->tiers[st->ntiers] = t;
	st->deltas[st->ntiers++] = delta;
	if (st->nslots == 0 && st->ntiers > MARGIN_TIER_LINEAR)
		margin_tier_index(st);
}

/*
 * ledger.span_intra_charge(tiers int4[], deltas float8[],
 *		spread_tier_a int4[], spread_tier_b int4[], spread_charge float8[])
 *		RETURNS float8
 *
 * The SPAN intra-commodity spread charge of one account's positions in one
 * product: the deltas of a tier are added up (tiers may repeat), then each
 * spread in the order given (priority) pairs the remaining deltas of its two
 * tiers when their signs are opposite, min(|delta_a|, |delta_b|) spreads at
 * spread_charge each.
 */
Datum
ledger_span_intra_charge(PG_FUNCTION_ARGS)
{
	ArrayType  *atiers = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *adeltas = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *asa = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *asb = PG_GETARG_ARRAYTYPE_P(3);
	ArrayType  *acharge = PG_GETARG_ARRAYTYPE_P(4);
	const int32 *tiers;
	const double *deltas;
	const int32 *sa;
	const int32 *sb;
	const double *charges;
	MarginTierState *st;
	int			nt;
	int			ns;
	int			i;

	nt = margin_array_check(atiers, INT4OID, "array \"tiers\"", 0);
	margin_check_same_length("deltas",
							 margin_array_check(adeltas, FLOAT8OID, "array \"deltas\"", 0),
							 "tiers", nt);
	ns = margin_array_check(asa, INT4OID, "array \"spread_tier_a\"", 0);
	margin_check_same_length("spread_tier_b",
							 margin_array_check(asb, INT4OID, "array \"spread_tier_b\"", 0),
							 "spread_tier_a", ns);
	margin_check_same_length("spread_charge",
							 margin_array_check(acharge, FLOAT8OID, "array \"spread_charge\"", 0),
							 "spread_tier_a", ns);
	tiers = (const int32 *) ARR_DATA_PTR(atiers);
	deltas = (const double *) ARR_DATA_PTR(adeltas);
	sa = (const int32 *) ARR_DATA_PTR(asa);
	sb = (const int32 *) ARR_DATA_PTR(asb);
	charges = (const double *) ARR_DATA_PTR(acharge);
	margin_check_elements(deltas, nt, "deltas", ledger_check_finite);
	margin_check_elements(charges, ns, "spread_charge", ledger_check_nonneg);

	/*
	 * the distinct tiers in order of first appearance, deltas added up, as
	 * the tier aggregates add them
	 */
	st = margin_tier_new(CurrentMemoryContext);
	for (i = 0; i < nt; i++)
	{
		CHECK_FOR_INTERRUPTS();
		margin_tier_add(st, tiers[i], deltas[i]);
	}

	PG_RETURN_FLOAT8(margin_intra_apply(st, sa, sb, charges, ns));
}

/*
 * ledger.span_tier_accum(state internal, tier int4, delta float8)
 *		RETURNS internal: transition of span_tiers and span_tier_deltas
 */
Datum
ledger_span_tier_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MarginTierState *st;
	double		delta;

	aggcontext = margin_tier_context(fcinfo);
	st = margin_tier_arg(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tier must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("delta must not be null")));
	delta = PG_GETARG_FLOAT8(2);
	ledger_check_finite("delta", delta);
	if (st == NULL)
		st = margin_tier_new(aggcontext);
	margin_tier_add(st, PG_GETARG_INT32(1), delta);
	PG_RETURN_POINTER(st);
}

/*
 * ledger.span_tier_combine(a internal, b internal) RETURNS internal
 */
Datum
ledger_span_tier_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MarginTierState *a;
	MarginTierState *b;
	int			i;

	aggcontext = margin_tier_context(fcinfo);
	a = margin_tier_arg(fcinfo, 0);
	b = margin_tier_arg(fcinfo, 1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	/* b may live in a shorter-lived context (deserialized): copy it */
	if (a == NULL)
		a = margin_tier_new(aggcontext);
	for (i = 0; i < b->ntiers; i++)
	{
		CHECK_FOR_INTERRUPTS();
		margin_tier_add(a, b->tiers[i], b->deltas[i]);
	}
	PG_RETURN_POINTER(a);
}

/*
 * ledger.span_tier_serialize(state internal) RETURNS bytea
 */
Datum
ledger_span_tier_serialize(PG_FUNCTION_ARGS)
{
	MarginTierState *st;
	StringInfoData buf;
	int			i;

	(void) margin_tier_context(fcinfo);
	st = margin_tier_arg(fcinfo, 0);
	if (st == NULL)
		PG_RETURN_NULL();
	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->ntiers);
	for (i = 0; i < st->ntiers; i++)
	{
		pq_sendint32(&buf, st->tiers[i]);
		pq_sendfloat8(&buf, st->deltas[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * ledger.span_tier_deserialize(state bytea, dummy internal)
 *		RETURNS internal
 */
Datum
ledger_span_tier_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	StringInfoData buf;
	MarginTierState *st;
	int			nt;
	int			i;

	(void) margin_tier_context(fcinfo);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	b = PG_GETARG_BYTEA_PP(0);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	nt = pq_getmsgint(&buf, 4);
	if (nt < 0 || nt > (buf.len - buf.cursor) / 12)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid serialized tier aggregate state")));
	/* the combine function copies it into the aggregate context */
	st = margin_tier_new(CurrentMemoryContext);
	for (i = 0; i < nt; i++)
	{
		int32		t = pq_getmsgint(&buf, 4);

		margin_tier_add(st, t, pq_getmsgfloat8(&buf));
	}
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(st);
}

/*
 * ledger.span_tiers_final(state internal) RETURNS int4[]: the distinct
 * tiers in order of first appearance
 */
Datum
ledger_span_tiers_final(PG_FUNCTION_ARGS)
{
	MarginTierState *st = margin_tier_arg(fcinfo, 0);
	Datum	   *d;
	int			i;

	if (st == NULL)
		PG_RETURN_NULL();
	d = (Datum *) palloc(sizeof(Datum) * Max(st->ntiers, 1));
	for (i = 0; i < st->ntiers; i++)
		d[i] = Int32GetDatum(st->tiers[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, st->ntiers, INT4OID, sizeof(int32),
										  true, TYPALIGN_INT));
}

/*
 * ledger.span_tier_deltas_final(state internal) RETURNS float8[]: the
 * summed delta of each tier, in the order of span_tiers
 */
Datum
ledger_span_tier_deltas_final(PG_FUNCTION_ARGS)
{
	MarginTierState *st = margin_tier_arg(fcinfo, 0);

	if (st == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(margin_make_array(st->deltas, st->ntiers));
}

/*
 * State of ledger.net_short_option_contracts and ledger.net_option_contracts
 * (SQL type internal, shared when a query uses both on the same rows): the
 * option legs of a group, one entry per row, each (kind, expiry, strike,
 * quantity).  The final functions sort the entries by contract and net the
 * quantities of each contract, so a long and a short of the same option
 * cancel; rows that are not options (futures, stock) are not kept.  Sorting
 * (quantity last) makes the sums independent of the order of the rows.
 */
#define MARGIN_CONTRACT_MAGIC 0x4D524743	/* "MRGC" */

typedef struct MarginContract
{
	double		strike;
	double		quantity;
	int32		expiry;			/* DateADT */
	int32		kind;			/* 0 call, 1 put */
} MarginContract;

typedef struct MarginContractState
{
	uint32		magic;			/* MARGIN_CONTRACT_MAGIC */
	int32		n;				/* entries so far */
	int32		max;			/* allocated length of c */
	MarginContract *c;
} MarginContractState;

/* Argument argno as a contract state, or NULL; checks the magic. */
static MarginContractState *
margin_contract_arg(FunctionCallInfo fcinfo, int argno)
{
	MarginContractState *st;

	if (PG_ARGISNULL(argno))
		return NULL;
	st = (MarginContractState *) PG_GETARG_POINTER(argno);
	if (st == NULL)
		return NULL;
	if (st->magic != MARGIN_CONTRACT_MAGIC || st->n < 0 || st->n > st->max)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid option contract aggregate state"),
				 errdetail("The state was not made by ledger.net_short_option_contracts or ledger.net_option_contracts.")));
	return st;
}

/* An empty contract state in cxt. */
static MarginContractState *
margin_contract_new(MemoryContext cxt)
{
	MarginContractState *st;

	st = (MarginContractState *) MemoryContextAllocZero(cxt, sizeof(MarginContractState));
	st->magic = MARGIN_CONTRACT_MAGIC;
	st->max = 4;
	st->c = (MarginContract *) MemoryContextAlloc(cxt, sizeof(MarginContract) * st->max);
	return st;
}

/* Append one entry (quantity checked finite by the caller). */
static void
margin_contract_add(MarginContractState *st, const MarginContract *e)
{
	if (st->n == st->max)
	{
		/* repalloc keeps the chunk in its (aggregate) context */
		if (st->max >= (int) (MaxAllocSize / (2 * sizeof(MarginContract))))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many option positions in one group")));
		st->max *= 2;
		st->c = (MarginContract *) repalloc(st->c, sizeof(MarginContract) * st->max);
	}
	st->c[st->n++] = *e;
}

/*
 * ledger.option_contracts_accum(state internal, instrument text,
 *		strike float8, expiry date, quantity float8) RETURNS internal:
 * transition of net_short_option_contracts and net_option_contracts
 */
Datum
ledger_option_contracts_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MarginContractState *st;
	MarginContract e;
	text	   *kind;
	int			len;
	const char *k;

	aggcontext = margin_contract_context(fcinfo);
	st = margin_contract_arg(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("instrument must not be null")));
	kind = PG_GETARG_TEXT_PP(1);
	len = VARSIZE_ANY_EXHDR(kind);
	k = VARDATA_ANY(kind);
	if (len == 4 && memcmp(k, "call", 4) == 0)
		e.kind = 0;
	else if (len == 3 && memcmp(k, "put", 3) == 0)
		e.kind = 1;
	else if ((len == 6 && memcmp(k, "future", 6) == 0) ||
			 (len == 5 && memcmp(k, "stock", 5) == 0))
	{
		/* futures and stock are not option contracts */
		if (st == NULL)
			st = margin_contract_new(aggcontext);
		PG_RETURN_POINTER(st);
	}
	else
	{
		/*
		 * the instruments of ledger.margin_positions only, spelled exactly:
		 * any other kind ("CALL", "put ", "swap") was counted as no option
		 * before, and silently left a short option out of the count
		 */
		margin_kind_error(kind, "\"future\", \"stock\", \"call\" or \"put\"");
		PG_RETURN_NULL();		/* not reached */
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("strike must not be null")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("expiry must not be null")));
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("quantity must not be null")));
	e.strike = PG_GETARG_FLOAT8(2);
	ledger_check_finite("strike", e.strike);
	e.expiry = PG_GETARG_DATEADT(3);
	e.quantity = PG_GETARG_FLOAT8(4);
	ledger_check_finite("quantity", e.quantity);
	if (st == NULL)
		st = margin_contract_new(aggcontext);
	margin_contract_add(st, &e);
	PG_RETURN_POINTER(st);
}

/*
 * ledger.option_contracts_combine(a internal, b internal) RETURNS internal
 */
Datum
ledger_option_contracts_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MarginContractState *a;
	MarginContractState *b;
	int			i;

	aggcontext = margin_contract_context(fcinfo);
	a = margin_contract_arg(fcinfo, 0);
	b = margin_contract_arg(fcinfo, 1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	/* b may live in a shorter-lived context (deserialized): copy it */
	if (a == NULL)
		a = margin_contract_new(aggcontext);
	for (i = 0; i < b->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		margin_contract_add(a, &b->c[i]);
	}
	PG_RETURN_POINTER(a);
}

/*
 * ledger.option_contracts_serialize(state internal) RETURNS bytea
 */
Datum
ledger_option_contracts_serialize(PG_FUNCTION_ARGS)
{
	MarginContractState *st;
	StringInfoData buf;
	int			i;

	(void) margin_contract_context(fcinfo);
	st = margin_contract_arg(fcinfo, 0);
	if (st == NULL)
		PG_RETURN_NULL();
	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->c[i].kind);
		pq_sendint32(&buf, st->c[i].expiry);
		pq_sendfloat8(&buf, st->c[i].strike);
		pq_sendfloat8(&buf, st->c[i].quantity);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * ledger.option_contracts_deserialize(state bytea, dummy internal)
 *		RETURNS internal
 */
Datum
ledger_option_contracts_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	StringInfoData buf;
	MarginContractState *st;
	int			n;
	int			i;

	(void) margin_contract_context(fcinfo);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	b = PG_GETARG_BYTEA_PP(0);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (buf.len - buf.cursor) / 24)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid serialized option contract aggregate state")));
	/* the combine function copies it into the aggregate context */
	st = margin_contract_new(CurrentMemoryContext);
	for (i = 0; i < n; i++)
	{
		MarginContract e;

		e.kind = pq_getmsgint(&buf, 4);
		e.expiry = pq_getmsgint(&buf, 4);
		e.strike = pq_getmsgfloat8(&buf);
		e.quantity = pq_getmsgfloat8(&buf);
		if ((e.kind != 0 && e.kind != 1) || isnan(e.strike) || isinf(e.strike) ||
			isnan(e.quantity) || isinf(e.quantity))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid serialized option contract aggregate state")));
		margin_contract_add(st, &e);
	}
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(st);
}

/* qsort order of contract entries: kind, expiry, strike, then quantity */
static int
margin_contract_cmp(const void *pa, const void *pb, void *arg)
{
	const MarginContract *a = (const MarginContract *) pa;
	const MarginContract *b = (const MarginContract *) pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->expiry != b->expiry)
		return a->expiry < b->expiry ? -1 : 1;
	if (a->strike != b->strike)
		return a->strike < b->strike ? -1 : 1;
	if (a->quantity != b->quantity)
		return a->quantity < b->quantity ? -1 : 1;
	return 0;
}

/*
 * Sum over the contracts of the state of f(net quantity of the contract):
 * short (true) -net where net < 0, else |net|.  The entries are sorted in
 * place (the final function may run more than once on a state: sorting a
 * sorted array changes nothing).  The sort answers a cancel: a group of 15
 * million option positions sorted for 6.6 s without one (a review on
 * 2026-12-06); an ERROR in it leaves the entries in another order, which no
 * later call sees, since the query ends.
 */
static double
margin_contract_total(MarginContractState *st, bool shorts)
{
	double		total = 0;
	int			i = 0;

	if (st->n > 1)
		qsort_interruptible(st->c, st->n, sizeof(MarginContract),
							margin_contract_cmp, NULL);
	while (i < st->n)
	{
		double		net = 0;
		int			j = i;

		/* strikes compare equal as numbers (0 and -0 too) */
		while (j < st->n && st->c[j].kind == st->c[i].kind &&
			   st->c[j].expiry == st->c[i].expiry &&
			   st->c[j].strike == st->c[i].strike)
			net += st->c[j++].quantity;
		if (shorts)
		{
			if (net < 0)
				total -= net;
		}
		else
			total += fabs(net);
		i = j;
	}
	if (isinf(total))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("option contract count out of range")));
	return total;
}

/*
 * ledger.net_short_contracts_final(state internal) RETURNS float8: the net
 * short option contracts of the group (0 without options)
 */
Datum
ledger_net_short_contracts_final(PG_FUNCTION_ARGS)
{
	MarginContractState *st = margin_contract_arg(fcinfo, 0);

	PG_RETURN_FLOAT8(st == NULL ? 0 : margin_contract_total(st, true));
}

/*
 * ledger.net_contracts_final(state internal) RETURNS float8: the option
 * contracts of the group, long or short, each contract netted first
 */
Datum
ledger_net_contracts_final(PG_FUNCTION_ARGS)
{
	MarginContractState *st = margin_contract_arg(fcinfo, 0);

	PG_RETURN_FLOAT8(st == NULL ? 0 : margin_contract_total(st, false));
}

/* Elements of a text[] already checked by margin_array_check. */
static Datum *
margin_text_elements(ArrayType *a, int n)
{
	Datum	   *elems;
	int			got;

	if (n == 0)
		return NULL;
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &got);
	Assert(got == n);
	return elems;
}

/* Index of the first of the n texts equal to t, or -1. */
static int
margin_find_text(const Datum *texts, int n, Datum t)
{
	const char *p = VARDATA_ANY(DatumGetPointer(t));
	Size		len = VARSIZE_ANY_EXHDR(DatumGetPointer(t));
	int			i;

	for (i = 0; i < n; i++)
		if (VARSIZE_ANY_EXHDR(DatumGetPointer(texts[i])) == len &&
			memcmp(VARDATA_ANY(DatumGetPointer(texts[i])), p, len) == 0)
			return i;
	return -1;
}

/*
 * The inter-commodity spreads of one call, checked, in priority order: leg
 * products a and b (text datums), their delta ratios, the credit rate and
 * the price risk of one contract of each leg.
 */
typedef struct MarginInterSpreads
{
	int			ns;
	Datum	   *pa;
	Datum	   *pb;
	const double *ra;
	const double *rb;
	const double *rate;
	const double *riska;
	const double *riskb;
} MarginInterSpreads;

/*
 * Check the account arrays of span_inter_credit (products, net_deltas,
 * caps) but their elements; returns the number of products.
 */
static int
margin_inter_account_check(ArrayType *aprod, ArrayType *anet, ArrayType *acap)
{
	int			np;

	np = margin_array_check(aprod, TEXTOID, "array \"products\"", 0);
	margin_check_same_length("net_deltas",
							 margin_array_check(anet, FLOAT8OID, "array \"net_deltas\"", 0),
							 "products", np);
	margin_check_same_length("caps",
							 margin_array_check(acap, FLOAT8OID, "array \"caps\"", 0),
							 "products", np);
	return np;
}

/* Check the elements of the np net deltas and caps of span_inter_credit. */
static void
margin_inter_account_elements(ArrayType *anet, ArrayType *acap, int np)
{
	margin_check_elements((const double *) ARR_DATA_PTR(anet), np,
						  "net_deltas", ledger_check_finite);
	margin_check_elements((const double *) ARR_DATA_PTR(acap), np,
						  "caps", ledger_check_finite);
}

/*
 * Check the seven spread arrays of span_inter_credit (a[0] .. a[6]:
 * spread_product_a, spread_ratio_a, spread_product_b, spread_ratio_b,
 * spread_credit_rate, spread_risk_a, spread_risk_b) into *sp, whose
 * pointers then point into them; between the arrays and their elements,
 * the elements of the account's net deltas and caps (anet, acap of np
 * elements; anet NULL: none), in the order of the checks of 0.1.0.
 */
static void
margin_inter_spreads_check(ArrayType **a, MarginInterSpreads *sp,
						   ArrayType *anet, ArrayType *acap, int np)
{
	int			ns;

	ns = margin_array_check(a[0], TEXTOID, "array \"spread_product_a\"", 0);
	margin_check_same_length("spread_ratio_a",
							 margin_array_check(a[1], FLOAT8OID, "array \"spread_ratio_a\"", 0),
							 "spread_product_a", ns);
	margin_check_same_length("spread_product_b",
							 margin_array_check(a[2], TEXTOID, "array \"spread_product_b\"", 0),
							 "spread_product_a", ns);
	margin_check_same_length("spread_ratio_b",
							 margin_array_check(a[3], FLOAT8OID, "array \"spread_ratio_b\"", 0),
							 "spread_product_a", ns);
	margin_check_same_length("spread_credit_rate",
							 margin_array_check(a[4], FLOAT8OID, "array \"spread_credit_rate\"", 0),
							 "spread_product_a", ns);
	margin_check_same_length("spread_risk_a",
							 margin_array_check(a[5], FLOAT8OID, "array \"spread_risk_a\"", 0),
							 "spread_product_a", ns);
	margin_check_same_length("spread_risk_b",
							 margin_array_check(a[6], FLOAT8OID, "array \"spread_risk_b\"", 0),
							 "spread_product_a", ns);
	sp->ns = ns;
	sp->ra = (const double *) ARR_DATA_PTR(a[1]);
	sp->rb = (const double *) ARR_DATA_PTR(a[3]);
	sp->rate = (const double *) ARR_DATA_PTR(a[4]);
	sp->riska = (const double *) ARR_DATA_PTR(a[5]);
	sp->riskb = (const double *) ARR_DATA_PTR(a[6]);
	if (anet != NULL)
		margin_inter_account_elements(anet, acap, np);
	margin_check_elements(sp->ra, ns, "spread_ratio_a", margin_check_positive);
	margin_check_elements(sp->rb, ns, "spread_ratio_b", margin_check_positive);
	margin_check_elements(sp->rate, ns, "spread_credit_rate", margin_check_fraction);
	margin_check_elements(sp->riska, ns, "spread_risk_a", ledger_check_nonneg);
	margin_check_elements(sp->riskb, ns, "spread_risk_b", ledger_check_nonneg);
	sp->pa = margin_text_elements(a[0], ns);
	sp->pb = margin_text_elements(a[2], ns);
}

/*
 * The credits of one account (np products, their net deltas and caps):
 * the spreads sp->...[order[k]] for k < n, in that order (ascending
 * priority), each between the first occurrences of its two products among
 * products[] (find: their index, or -1).  A spread whose legs are not both
 * there is passed over, so leaving it out of order changes nothing.
 */
typedef struct MarginTextIndex MarginTextIndex;
static int	margin_text_index_find(const MarginTextIndex *ix, Datum t);

static ArrayType *
margin_inter_apply(const MarginInterSpreads *sp, const int *order, int n,
				   const Datum *products, const MarginTextIndex *pix,
				   int np, const double *nets, const double *caps)
{
	double	   *nd;
	double	   *credits;
	int			k;

	nd = (double *) palloc(mul_size(sizeof(double), Max(np, 1)));
	credits = (double *) palloc0(mul_size(sizeof(double), Max(np, 1)));
	if (np > 0)
		memcpy(nd, nets, sizeof(double) * np);
	for (k = 0; k < n; k++)
	{
		int			i = order == NULL ? k : order[k];
		int			ia;
		int			ib;
		double		m;

		CHECK_FOR_INTERRUPTS();
		if (pix != NULL)
		{
			ia = margin_text_index_find(pix, sp->pa[i]);
			ib = margin_text_index_find(pix, sp->pb[i]);
		}
		else
		{
			ia = margin_find_text(products, np, sp->pa[i]);
			ib = margin_find_text(products, np, sp->pb[i]);
		}
		if (ia < 0 || ib < 0)
			continue;
		if (margin_sign(nd[ia]) * margin_sign(nd[ib]) >= 0.0)
			continue;
		m = Min(fabs(nd[ia]) / sp->ra[i], fabs(nd[ib]) / sp->rb[i]);
		credits[ia] = credits[ia] + sp->rate[i] * m * sp->ra[i] * sp->riska[i];
		credits[ib] = credits[ib] + sp->rate[i] * m * sp->rb[i] * sp->riskb[i];
		nd[ia] = nd[ia] - margin_sign(nd[ia]) * m * sp->ra[i];
		nd[ib] = nd[ib] - margin_sign(nd[ib]) * m * sp->rb[i];
	}
	for (k = 0; k < np; k++)
		credits[k] = Max(Min(credits[k], caps[k]), 0.0);
	margin_check_result(credits, np);
	return margin_make_array(credits, np);
}

/*
 * ledger.span_inter_credit(products text[], net_deltas float8[],
 *		caps float8[], spread_product_a text[], spread_ratio_a float8[],
 *		spread_product_b text[], spread_ratio_b float8[],
 *		spread_credit_rate float8[], spread_risk_a float8[],
 *		spread_risk_b float8[]) RETURNS float8[]
 *
 * The SPAN inter-commodity credits of one account, one per product: each
 * spread in the order given (priority) pairs the remaining net deltas of
 * its two products when their signs are opposite, n = min(|delta_a| /
 * ratio_a, |delta_b| / ratio_b) spreads, and credits each leg's product
 * credit_rate x n x ratio x risk (the price risk of one contract); each
 * product's credit is then capped to [0, cap].
 */
Datum
ledger_span_inter_credit(PG_FUNCTION_ARGS)
{
	ArrayType  *aprod = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *anet = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *acap = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *asp[7];
	MarginInterSpreads sp;
	int			np;
	int			i;

	for (i = 0; i < 7; i++)
		asp[i] = PG_GETARG_ARRAYTYPE_P(3 + i);
	np = margin_inter_account_check(aprod, anet, acap);
	margin_inter_spreads_check(asp, &sp, anet, acap, np);
	PG_RETURN_ARRAYTYPE_P(margin_inter_apply(&sp, NULL, sp.ns,
											 margin_text_elements(aprod, np),
											 NULL, np,
											 (const double *) ARR_DATA_PTR(anet),
											 (const double *) ARR_DATA_PTR(acap)));
}

/*
 * A hash index of texts (open addressing), each key with a list of ints:
 * the spreads of a leg product, the spreads of a pair of products, or the
 * first index of a product in an account's array.  A key is one text, or
 * two (b not 0).
 */
typedef struct MarginTextKey
{
	Datum		a;
	Datum		b;				/* 0: a key of one text */
	uint32		hash;
	int			n;
	int			max;
	int		   *items;
} MarginTextKey;

struct MarginTextIndex
{
	int			nkeys;
	int			maxkeys;
	MarginTextKey *keys;
	uint32		nslots;			/* a power of 2 */
	int32	   *slots;			/* index into keys + 1, 0 empty */
};

static uint32
margin_text_hash(Datum t)
{
	return hash_bytes((const unsigned char *) VARDATA_ANY(DatumGetPointer(t)),
					  (int) VARSIZE_ANY_EXHDR(DatumGetPointer(t)));
}

static bool
margin_text_eq(Datum x, Datum y)
{
	Size		len = VARSIZE_ANY_EXHDR(DatumGetPointer(x));

	return VARSIZE_ANY_EXHDR(DatumGetPointer(y)) == len &&
		memcmp(VARDATA_ANY(DatumGetPointer(x)), VARDATA_ANY(DatumGetPointer(y)), len) == 0;
}

/* An empty index for up to about n keys, in the current context. */
static MarginTextIndex *
margin_text_index_new(int n)
{
	MarginTextIndex *ix = (MarginTextIndex *) palloc0(sizeof(MarginTextIndex));
	uint32		nslots = 16;

	while (nslots < 2 * (uint32) Max(n, 1))
		nslots *= 2;
	ix->maxkeys = Max(n, 1);
	ix->keys = (MarginTextKey *) palloc_extended(sizeof(MarginTextKey) * (Size) ix->maxkeys,
												 MCXT_ALLOC_HUGE);
	ix->nslots = nslots;
	ix->slots = (int32 *) palloc_extended(sizeof(int32) * (Size) nslots,
										  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	return ix;
}

/* The key (a, b) of ix, added (with no items) if add; NULL if absent. */
static MarginTextKey *
margin_text_index_key(MarginTextIndex *ix, Datum a, Datum b, bool add)
{
	uint32		h = margin_text_hash(a);
	uint32		mask = ix->nslots - 1;
	uint32		s;
	MarginTextKey *k;

	if (b != (Datum) 0)
		h = hash_combine(h, margin_text_hash(b));
	for (s = h & mask; ix->slots[s] != 0; s = (s + 1) & mask)
	{
		k = &ix->keys[ix->slots[s] - 1];
		if (k->hash == h && margin_text_eq(k->a, a) &&
			(b == (Datum) 0 ? k->b == (Datum) 0 :
			 (k->b != (Datum) 0 && margin_text_eq(k->b, b))))
			return k;
	}
	if (!add)
		return NULL;
	/* sized for every key beforehand: never full */
	Assert(ix->nkeys < ix->maxkeys);
	k = &ix->keys[ix->nkeys];
	k->a = a;
	k->b = b;
	k->hash = h;
	k->n = 0;
	k->max = 0;
	k->items = NULL;
	ix->slots[s] = ++ix->nkeys;
	return k;
}

static void
margin_text_key_add(MarginTextKey *k, int item)
{
	if (k->n == k->max)
	{
		k->max = k->max == 0 ? 4 : 2 * k->max;
		k->items = k->items == NULL ?
			(int *) palloc(sizeof(int) * k->max) :
			(int *) repalloc_huge(k->items, sizeof(int) * (Size) k->max);
	}
	k->items[k->n++] = item;
}

/* The first item of the one-text key t, or -1. */
static int
margin_text_index_find(const MarginTextIndex *ix, Datum t)
{
	MarginTextKey *k = margin_text_index_key((MarginTextIndex *) ix, t, (Datum) 0, false);

	return k == NULL ? -1 : k->items[0];
}

/*
 * The inter-commodity spreads of ledger.margin_inter_spreads, read once per
 * call site and snapshot, with an index of the spreads by leg a and by pair
 * of legs.  A call site usually lives for one query, under one snapshot;
 * but one in a PL/pgSQL simple expression (r := ledger.span_inter_credit(
 * ...) in a loop) lives for the whole transaction, and a volatile function
 * takes a new snapshot for each statement: the spreads are read again when
 * the active snapshot (or the user) is not the one they were read under.
 * Until 2026-12-06 such a call kept the spreads of its first evaluation, and
 * a spread added or changed by the loop was not applied
 * (test/t/510_margin_jit.pl part 3).
 */
typedef struct MarginInterCache
{
	MemoryContext cxt;			/* holds all of it; deleted when stale */
	MarginInterSpreads sp;
	MarginTextIndex *by_a;		/* leg a -> its spreads, in priority order */
	MarginTextIndex *by_pair;	/* (leg a, leg b) -> its spreads */
	/* what they were read under */
	Oid			user;
	bool		have_snapshot;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	bool		suboverflowed;
	uint32		xcnt;
	int32		subxcnt;
	TransactionId *xip;
	TransactionId *subxip;
} MarginInterCache;

/* Were c's spreads read under the current user and active snapshot? */
static bool
margin_inter_cache_current(const MarginInterCache *c)
{
	Snapshot	snap;

	if (c->user != GetUserId() || !c->have_snapshot || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	return snap->xmin == c->xmin && snap->xmax == c->xmax &&
		snap->curcid == c->curcid && snap->suboverflowed == c->suboverflowed &&
		snap->xcnt == c->xcnt && snap->subxcnt == c->subxcnt &&
		(c->xcnt == 0 ||
		 memcmp(snap->xip, c->xip, sizeof(TransactionId) * c->xcnt) == 0) &&
		(c->subxcnt <= 0 ||
		 memcmp(snap->subxip, c->subxip, sizeof(TransactionId) * c->subxcnt) == 0);
}

/* Note in c (allocating in its context) the user and active snapshot. */
static void
margin_inter_cache_stamp(MarginInterCache *c)
{
	Snapshot	snap;

	c->user = GetUserId();
	c->have_snapshot = ActiveSnapshotSet();
	if (!c->have_snapshot)
		return;
	snap = GetActiveSnapshot();
	c->xmin = snap->xmin;
	c->xmax = snap->xmax;
	c->curcid = snap->curcid;
	c->suboverflowed = snap->suboverflowed;
	c->xcnt = snap->xcnt;
	c->subxcnt = snap->subxcnt;
	c->xip = (TransactionId *) MemoryContextAlloc(c->cxt,
												  sizeof(TransactionId) * Max(c->xcnt, 1));
	if (c->xcnt > 0)
		memcpy(c->xip, snap->xip, sizeof(TransactionId) * c->xcnt);
	c->subxip = (TransactionId *) MemoryContextAlloc(c->cxt,
													 sizeof(TransactionId) * Max(c->subxcnt, 1));
	if (c->subxcnt > 0)
		memcpy(c->subxip, snap->subxip, sizeof(TransactionId) * c->subxcnt);
}

/* Up to this many products an account's products are read as a list. */
#define MARGIN_INTER_LINEAR 16

static MarginInterCache *
margin_inter_cache(FunctionCallInfo fcinfo, ArrayType *anet, ArrayType *acap,
				   int np)
{
	MarginInterCache *c = (MarginInterCache *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt;
	MemoryContext oldcxt;
	ArrayType  *a[7];
	int			i;

	if (c != NULL)
	{
		if (margin_inter_cache_current(c))
		{
			margin_inter_account_elements(anet, acap, np);
			return c;
		}
		/* read under another snapshot: read them again */
		fcinfo->flinfo->fn_extra = NULL;
		MemoryContextDelete(c->cxt);
	}
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
								"ledger inter-commodity spreads",
								ALLOCSET_DEFAULT_SIZES);
	c = (MarginInterCache *) MemoryContextAllocZero(cxt, sizeof(MarginInterCache));
	c->cxt = cxt;
	margin_inter_cache_stamp(c);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the arrays the SQL version of this function passed on */
	if (SPI_execute("SELECT coalesce(pg_catalog.array_agg(x.product_a ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.ratio_a ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.product_b ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.ratio_b ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.credit_rate ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.risk_a ORDER BY x.priority), '{}'),"
					" coalesce(pg_catalog.array_agg(x.risk_b ORDER BY x.priority), '{}')"
					" FROM ledger._margin_inter_spreads() x", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read ledger.margin_inter_spreads");
	oldcxt = MemoryContextSwitchTo(c->cxt);
	for (i = 0; i < 7; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  i + 1, &isnull);

		if (isnull)
			elog(ERROR, "could not read ledger.margin_inter_spreads");
		a[i] = DatumGetArrayTypePCopy(d);
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();

	oldcxt = MemoryContextSwitchTo(c->cxt);
	margin_inter_spreads_check(a, &c->sp, anet, acap, np);
	c->by_a = margin_text_index_new(c->sp.ns);
	c->by_pair = margin_text_index_new(c->sp.ns);
	for (i = 0; i < c->sp.ns; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		margin_text_key_add(margin_text_index_key(c->by_a, c->sp.pa[i], (Datum) 0, true), i);
		margin_text_key_add(margin_text_index_key(c->by_pair, c->sp.pa[i], c->sp.pb[i], true), i);
	}
	MemoryContextSwitchTo(oldcxt);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

static int
margin_int_cmp(const void *x, const void *y, void *arg)
{
	int			a = *(const int *) x;
	int			b = *(const int *) y;

	return a < b ? -1 : (a > b ? 1 : 0);
}

/*
 * ledger.span_inter_credit(products text[], net_deltas float8[],
 *		caps float8[]) RETURNS float8[]
 *
 * The same with the spreads of ledger.margin_inter_spreads: they are read
 * and indexed once per query (per call site and snapshot:
 * MarginInterCache), and each call applies only the spreads whose
 * legs are both among its products, in priority order (the SQL function of
 * 0.1.0 to 2026-12-06 passed every spread to every call: accounts x spreads,
 * 10,000 accounts and 16,000 spreads took 7 s).  For each of its products
 * the call reads the spreads of which it is leg a when there are at most as
 * many as the account has products, else looks up each pair it forms with
 * the account's other products: at most min(spreads of its legs,
 * products^2) lookups.
 */
Datum
ledger_span_inter_credit_table(PG_FUNCTION_ARGS)
{
	ArrayType  *aprod = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *anet = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *acap = PG_GETARG_ARRAYTYPE_P(2);
	MarginInterCache *c;
	MarginTextIndex *pix = NULL;
	Datum	   *products;
	bool	   *first;
	int		   *order;
	int			n = 0;
	int			maxn = 16;
	int			np;
	int			i;
	int			j;

	np = margin_inter_account_check(aprod, anet, acap);
	c = margin_inter_cache(fcinfo, anet, acap, np);
	products = margin_text_elements(aprod, np);
	/* the first occurrence of each product (margin_find_text's answer) */
	first = (bool *) palloc0(sizeof(bool) * Max(np, 1));
	if (np > MARGIN_INTER_LINEAR)
	{
		pix = margin_text_index_new(np);
		for (i = 0; i < np; i++)
		{
			MarginTextKey *k = margin_text_index_key(pix, products[i], (Datum) 0, true);

			if (k->n == 0)
			{
				margin_text_key_add(k, i);
				first[i] = true;
			}
		}
	}
	else
		for (i = 0; i < np; i++)
			first[i] = margin_find_text(products, i, products[i]) < 0;

	order = (int *) palloc(sizeof(int) * maxn);
	for (i = 0; i < np; i++)
	{
		MarginTextKey *ka;

		CHECK_FOR_INTERRUPTS();
		if (!first[i])
			continue;
		ka = margin_text_index_key(c->by_a, products[i], (Datum) 0, false);
		if (ka == NULL)
			continue;
		if (ka->n <= np)
		{
			/* this product's spreads whose leg b the account holds */
			for (j = 0; j < ka->n; j++)
			{
				int			s = ka->items[j];

				if ((pix != NULL ? margin_text_index_find(pix, c->sp.pb[s]) :
					 margin_find_text(products, np, c->sp.pb[s])) < 0)
					continue;
				if (n == maxn)
				{
					maxn *= 2;
					order = (int *) repalloc_huge(order, sizeof(int) * (Size) maxn);
				}
				order[n++] = s;
			}
		}
		else
		{
			/* the spreads of each pair with the account's other products */
			for (j = 0; j < np; j++)
			{
				MarginTextKey *kp;
				int			m;

				if (!first[j])
					continue;
				kp = margin_text_index_key(c->by_pair, products[i], products[j], false);
				if (kp == NULL)
					continue;
				for (m = 0; m < kp->n; m++)
				{
					if (n == maxn)
					{
						maxn *= 2;
						order = (int *) repalloc_huge(order, sizeof(int) * (Size) maxn);
					}
					order[n++] = kp->items[m];
				}
			}
		}
	}
	/* priority order; each spread was taken once, from its leg a */
	if (n > 1)
		qsort_interruptible(order, n, sizeof(int), margin_int_cmp, NULL);
	PG_RETURN_ARRAYTYPE_P(margin_inter_apply(&c->sp, order, n, products, pix, np,
											 (const double *) ARR_DATA_PTR(anet),
											 (const double *) ARR_DATA_PTR(acap)));
}

/* ---------- SQL-callable: strategy-based (Reg T / Cboe) ---------- */

/*
 * ledger.regt_naked(kind text, s float8, k float8, pct float8 DEFAULT 0.20,
 *		min_pct float8 DEFAULT 0.10) RETURNS float8
 */
Datum
ledger_regt_naked(PG_FUNCTION_ARGS)
{
	int			kind = margin_kind(PG_GETARG_TEXT_PP(0), NULL,
								   "\"call\" or \"put\"");
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		pct = PG_GETARG_FLOAT8(3);
	double		min_pct = PG_GETARG_FLOAT8(4);
	double		result;

	ledger_check_nonneg("s", s);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("pct", pct);
	ledger_check_nonneg("min_pct", min_pct);
	result = margin_regt_naked(kind, s, k, pct, min_pct);
	margin_check_result(&result, 1);
	PG_RETURN_FLOAT8(result);
}

/* A leg's position in the covered-call order: key, then index. */
typedef struct MarginOrder
{
	double		key;
	int			idx;
} MarginOrder;

/* qsort comparator of MarginOrder: key ascending, then index. */
static int
margin_order_cmp(const void *a, const void *b, void *arg)
{
	const MarginOrder *x = (const MarginOrder *) a;
	const MarginOrder *y = (const MarginOrder *) b;

	if (x->key < y->key)
		return -1;
	if (x->key > y->key)
		return 1;
	return x->idx - y->idx;
}

/* A leg of regt_requirement, for putting the legs in their fixed order. */
typedef struct MarginLeg
{
	int			kind;			/* +1 call, -1 put, 0 stock */
	double		k;
	DateADT		expiry;
	double		qty;
	double		prem;
	int			idx;			/* position in the arrays */
} MarginLeg;

/*
 * qsort comparator of MarginLeg: calls, puts, stock; then expiry, strike,
 * quantity and premium ascending; then the position in the arrays.
 */
static int
margin_leg_cmp(const void *a, const void *b, void *arg)
{
	const MarginLeg *x = (const MarginLeg *) a;
	const MarginLeg *y = (const MarginLeg *) b;
	int			kx = x->kind > 0 ? 0 : (x->kind < 0 ? 1 : 2);
	int			ky = y->kind > 0 ? 0 : (y->kind < 0 ? 1 : 2);

	if (kx != ky)
		return kx - ky;
	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	if (x->qty != y->qty)
		return x->qty < y->qty ? -1 : 1;
	if (x->prem != y->prem)
		return x->prem < y->prem ? -1 : 1;
	return x->idx - y->idx;
}

/* Strategy counters of regt_requirement, in the order of margin_regt_keys. */
#define MARGIN_REGT_COVERED		0
#define MARGIN_REGT_SPREAD		1
#define MARGIN_REGT_STRADDLE	2
#define MARGIN_REGT_NAKED		3
static const char *const margin_regt_keys[4] = {
	"covered", "spread", "straddle", "naked"
};

/*
 * A float8 as the shortest decimal text that reads back as the same value,
 * what float8out gives with extra_float_digits > 0 (the default), whatever
 * the session's extra_float_digits: regt_requirement is IMMUTABLE, so its
 * strategies must not depend on a setting (with extra_float_digits = -15,
 * float8out gave 100 for 123.456789 before 2026-12-06).
 */
static char *
margin_float8_text(double v, char *buf)
{
	(void) double_to_shortest_decimal_buf(v, buf);
	return buf;
}

/*
 * Add n to a strategy counter.  Version 0.1.0 kept the counters in jsonb
 * and read each back as float8 before adding; the shortest round-trip text
 * it wrote with the default extra_float_digits reads back as the same
 * float8, so the sum is kept as it is.
 */
static void
margin_count(double *counts, bool *have, int which, double n)
{
	double		v = (have[which] ? counts[which] : 0.0) + n;

	if (!isfinite(v))
		margin_check_result(&v, 1);
	counts[which] = v;
	have[which] = true;
}

/*
 * The strategy counters as a jsonb object, as to_jsonb(float8) makes with
 * the default extra_float_digits (in every session).
 */
static Jsonb *
margin_counts_jsonb(const double *counts, const bool *have)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			i;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < 4; i++)
	{
		JsonbValue	k;
		JsonbValue	v;

		if (!have[i])
			continue;
		k.type = jbvString;
		k.val.string.val = (char *) margin_regt_keys[i];
		k.val.string.len = strlen(margin_regt_keys[i]);
		(void) pushJsonbValue(&state, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
															CStringGetDatum(margin_float8_text(counts[i], buf)),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));
		(void) pushJsonbValue(&state, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* The legs of one product and the parameters of Regulation T, as paired. */
typedef struct RegtBook
{
	double		s;				/* underlying price */
	double		m;				/* contract multiplier */
	double		pct;
	double		min_pct;
	int			n;				/* legs */
	int		   *kind;			/* 1 call, -1 put, 0 stock */
	const double *k;
	const DateADT *expiry;
	const double *qty;
	const double *prem;
	double	   *rem;			/* option quantity not yet paired */
	double		counts[4];		/* contracts per strategy */
	bool		have[4];
	double		requirement;
} RegtBook;

/*
 * Step 1 of regt_requirement: the checked arrays, in the fixed leg order
 * (so that the requirement does not depend on the order of the rows they
 * came from).
 */
static void
regt_read_legs(FunctionCallInfo fcinfo, RegtBook *b)
{
	ArrayType  *ains = PG_GETARG_ARRAYTYPE_P(5);
	ArrayType  *astrike = PG_GETARG_ARRAYTYPE_P(6);
	ArrayType  *aexpiry = PG_GETARG_ARRAYTYPE_P(7);
	ArrayType  *aqty = PG_GETARG_ARRAYTYPE_P(8);
	ArrayType  *aprem = PG_GETARG_ARRAYTYPE_P(9);
	Datum	   *ins;
	MarginLeg  *legs;
	double	   *pk;
	DateADT    *pexp;
	double	   *pqty;
	double	   *pprem;
	int			n;
	int			i;

	n = margin_array_check(ains, TEXTOID, "array \"instruments\"", 0);
	margin_check_same_length("strikes",
							 margin_array_check(astrike, FLOAT8OID, "array \"strikes\"", 0),
							 "instruments", n);
	margin_check_same_length("expiries",
							 margin_array_check(aexpiry, DATEOID, "array \"expiries\"", 0),
							 "instruments", n);
	margin_check_same_length("quantities",
							 margin_array_check(aqty, FLOAT8OID, "array \"quantities\"", 0),
							 "instruments", n);
	margin_check_same_length("premiums",
							 margin_array_check(aprem, FLOAT8OID, "array \"premiums\"", 0),
							 "instruments", n);
	margin_check_elements((const double *) ARR_DATA_PTR(astrike), n, "strikes",
						  ledger_check_nonneg);
	margin_check_elements((const double *) ARR_DATA_PTR(aqty), n, "quantities",
						  ledger_check_finite);
	margin_check_elements((const double *) ARR_DATA_PTR(aprem), n, "premiums",
						  ledger_check_nonneg);
	ins = margin_text_elements(ains, n);

	legs = (MarginLeg *) palloc(mul_size(sizeof(MarginLeg), Max(n, 1)));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		legs[i].kind = margin_kind(DatumGetTextPP(ins[i]), "stock",
								   "\"stock\", \"call\" or \"put\"");
		legs[i].k = ((const double *) ARR_DATA_PTR(astrike))[i];
		legs[i].expiry = ((const DateADT *) ARR_DATA_PTR(aexpiry))[i];
		legs[i].qty = ((const double *) ARR_DATA_PTR(aqty))[i];
		legs[i].prem = ((const double *) ARR_DATA_PTR(aprem))[i];
		legs[i].idx = i;
	}
	/* interruptible: 5,000,000 legs sorted for seconds without a check */
	if (n > 1)
		qsort_interruptible(legs, n, sizeof(MarginLeg), margin_leg_cmp, NULL);

	b->n = n;
	b->kind = (int *) palloc(mul_size(sizeof(int), Max(n, 1)));
	b->rem = (double *) palloc0(mul_size(sizeof(double), Max(n, 1)));
	pk = (double *) palloc(mul_size(sizeof(double), Max(n, 1)));
	pexp = (DateADT *) palloc(mul_size(sizeof(DateADT), Max(n, 1)));
	pqty = (double *) palloc(mul_size(sizeof(double), Max(n, 1)));
	pprem = (double *) palloc(mul_size(sizeof(double), Max(n, 1)));
	for (i = 0; i < n; i++)
	{
		b->kind[i] = legs[i].kind;
		pk[i] = legs[i].k;
		pexp[i] = legs[i].expiry;
		pqty[i] = legs[i].qty;
		pprem[i] = legs[i].prem;
	}
	b->k = pk;
	b->expiry = pexp;
	b->qty = pqty;
	b->prem = pprem;
}

/* Step 2: the short calls (long stock) or puts (short stock) it covers. */
static void
regt_pair_covered(RegtBook *b, double stock)
{
	MarginOrder *order = (MarginOrder *) palloc(mul_size(sizeof(MarginOrder), Max(b->n, 1)));
	int			norder = 0;
	double		cover = trunc(fabs(stock) / b->m);
	int			i;

	for (i = 0; i < b->n; i++)
		if (b->kind[i] == (stock > 0.0 ? 1 : -1))
		{
			order[norder].key = stock > 0.0 ? b->k[i] : -b->k[i];
			order[norder++].idx = i;
		}
	qsort_interruptible(order, norder, sizeof(MarginOrder), margin_order_cmp,
						NULL);
	for (i = 0; i < norder && cover > 0.0; i++)
	{
		int			j = order[i].idx;
		double		c;

		if (b->rem[j] >= 0.0)
			continue;
		c = Min(-b->rem[j], cover);
		b->rem[j] = b->rem[j] + c;
		cover = cover - c;
		margin_count(b->counts, b->have, MARGIN_REGT_COVERED, c);
	}
}

/* Step 3: vertical spreads, each short with the best long of its kind. */
static void
regt_pair_spreads(RegtBook *b)
{
	int			i;

	for (i = 0; i < b->n; i++)
	{
		if (b->kind[i] == 0)
			continue;
		while (b->rem[i] < 0.0)
		{
			int			best = -1;
			int			j;
			double		spread;
			double		c;

			CHECK_FOR_INTERRUPTS();
			for (j = 0; j < b->n; j++)
				if (b->kind[j] == b->kind[i] && b->rem[j] > 0.0 &&
					b->expiry[j] >= b->expiry[i] &&
					(best < 0 ||
					 (b->kind[i] > 0 ? b->k[j] < b->k[best] : b->k[j] > b->k[best])))
					best = j;
			if (best < 0)
				break;
			spread = b->kind[i] > 0 ? Max(b->k[best] - b->k[i], 0.0) :
				Max(b->k[i] - b->k[best], 0.0);
			if (spread >= margin_regt_naked(b->kind[i], b->s, b->k[i], b->pct, b->min_pct))
				break;
			c = Min(-b->rem[i], b->rem[best]);
			b->requirement = b->requirement + c * spread * b->m;
			b->rem[i] = b->rem[i] + c;
			b->rem[best] = b->rem[best] - c;
			margin_count(b->counts, b->have, MARGIN_REGT_SPREAD, c);
		}
	}
}

/* Step 4: short straddles and strangles, largest requirements first. */
static void
regt_pair_straddles(RegtBook *b)
{
	for (;;)
	{
		int			ci = -1;
		int			pi = -1;
		double		cbest = 0.0;
		double		pbest = 0.0;
		double		cnet;
		double		pnet;
		double		c;
		int			i;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < b->n; i++)
		{
			double		v;

			if (b->kind[i] == 0 || b->rem[i] >= 0.0)
				continue;
			v = margin_regt_naked(b->kind[i], b->s, b->k[i], b->pct, b->min_pct) + b->prem[i];
			if (b->kind[i] > 0 && (ci < 0 || v > cbest))
			{
				ci = i;
				cbest = v;
			}
			else if (b->kind[i] < 0 && (pi < 0 || v > pbest))
			{
				pi = i;
				pbest = v;
			}
		}
		if (ci < 0 || pi < 0)
			break;
		c = Min(-b->rem[ci], -b->rem[pi]);
		cnet = margin_regt_naked(1, b->s, b->k[ci], b->pct, b->min_pct);
		pnet = margin_regt_naked(-1, b->s, b->k[pi], b->pct, b->min_pct);
		b->requirement = b->requirement + c * b->m *
			((cnet + b->prem[ci] >= pnet + b->prem[pi] ? cnet : pnet) +
			 b->prem[ci] + b->prem[pi]);
		b->rem[ci] = b->rem[ci] + c;
		b->rem[pi] = b->rem[pi] + c;
		margin_count(b->counts, b->have, MARGIN_REGT_STRADDLE, c);
	}
}

/*
 * ledger.regt_requirement(s float8, m float8, pct float8, min_pct float8,
 *		stock_pct float8, instruments text[], strikes float8[],
 *		expiries date[], quantities float8[], premiums float8[],
 *		OUT requirement float8, OUT short_proceeds float8,
 *		OUT strategies jsonb)
 *
 * The strategy-based requirement of one product's legs, net of short
 * proceeds but not below 0 (docs/margin.md): long options in full, stock at stock_pct, then
 * short options paired greedily as (1) covered calls or puts, most in the
 * money first, (2) vertical spreads with the long of the same kind expiring
 * no earlier that has the best strike, (3) straddles and strangles, largest
 * requirements first, (4) naked.  The legs are considered in a fixed
 * order (calls, puts, stock; then expiry, strike, quantity, premium), so the
 * result does not depend on the order of the arrays; ties go to the leg
 * earlier in that order.
 */
Datum
ledger_regt_requirement(PG_FUNCTION_ARGS)
{
	RegtBook	b;
	double		stock_pct = PG_GETARG_FLOAT8(4);
	double		short_proceeds = 0.0;
	double		stock = 0.0;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false};
	int			i;

	memset(&b, 0, sizeof(b));
	b.s = PG_GETARG_FLOAT8(0);
	b.m = PG_GETARG_FLOAT8(1);
	b.pct = PG_GETARG_FLOAT8(2);
	b.min_pct = PG_GETARG_FLOAT8(3);
	ledger_check_nonneg("s", b.s);
	margin_check_positive("m", b.m);
	ledger_check_nonneg("pct", b.pct);
	ledger_check_nonneg("min_pct", b.min_pct);
	ledger_check_nonneg("stock_pct", stock_pct);
	regt_read_legs(fcinfo, &b);

	/* long options are paid in full; every short's proceeds are applied */
	for (i = 0; i < b.n; i++)
	{
		if (b.kind[i] == 0)
			stock = stock + b.qty[i];
		else
		{
			b.rem[i] = b.qty[i];
			if (b.qty[i] < 0.0)
				short_proceeds = short_proceeds - b.qty[i] * b.prem[i] * b.m;
			else
				b.requirement = b.requirement + b.qty[i] * b.prem[i] * b.m;
		}
	}
	b.requirement = b.requirement - short_proceeds;
	b.requirement = b.requirement + stock_pct * fabs(stock) * b.s;

	regt_pair_covered(&b, stock);
	regt_pair_spreads(&b);
	regt_pair_straddles(&b);

	/* what is left short is naked */
	for (i = 0; i < b.n; i++)
		if (b.rem[i] < 0.0)
		{
			b.requirement = b.requirement - b.rem[i] * b.m *
				(margin_regt_naked(b.kind[i], b.s, b.k[i], b.pct, b.min_pct) + b.prem[i]);
			margin_count(b.counts, b.have, MARGIN_REGT_NAKED, -b.rem[i]);
		}

	margin_check_result(&b.requirement, 1);
	margin_check_result(&short_proceeds, 1);

	/*
	 * The proceeds reduce the requirement to zero, never below: a requirement
	 * is an amount the account must hold.  Only proceeds worth more than the
	 * gross requirement make it negative: a deep in-the-money covered call
	 * worth more than stock_pct of its stock, or a credit spread whose short
	 * is marked at more than its long plus the strike difference (short call
	 * 100 at 20, long call 105 at 1: 500 - 2,000 + 100 was -1,400 before
	 * 2026-12-06).  "not greater" also turns -0 into 0.
	 */
	if (!(b.requirement > 0.0))
		b.requirement = 0.0;

	/* the blessed result descriptor, cached for the calls of a query */
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		fcinfo->flinfo->fn_extra = BlessTupleDesc(tupdesc);
		MemoryContextSwitchTo(old);
	}
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	values[0] = Float8GetDatum(b.requirement);
	values[1] = Float8GetDatum(short_proceeds);
	values[2] = JsonbPGetDatum(margin_counts_jsonb(b.counts, b.have));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------- planner support: row estimates ---------- */

/*
 * Estimated rows of table ledger.relname and its OID, or -1 when it does
 * not exist (the extension is being created or dropped).
 */
static double
margin_rel_tuples(const char *relname, Oid *relid)
{
	Oid			nsp = get_namespace_oid("ledger", true);
	Relation	rel;
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	if (!OidIsValid(nsp))
		return -1;
	*relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(*relid))
		return -1;
	rel = try_table_open(*relid, AccessShareLock);
	if (rel == NULL)
		return -1;
	estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	table_close(rel, AccessShareLock);
	return Max(tuples, 1.0);
}

/*
 * Estimated distinct values of column attname of relid, a table of about
 * tuples rows, from ANALYZE's statistics (only for a caller who may read
 * the table, as the pg_stats view shows them); otherwise tuples / divisor.
 */
static double
margin_ndistinct(Oid relid, const char *attname, double tuples,
				 double divisor)
{
	AttrNumber	attnum = get_attnum(relid, attname);
	double		nd = -1;

	if (attnum != InvalidAttrNumber &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
	{
		HeapTuple	tp = SearchSysCache3(STATRELATTINH,
										 ObjectIdGetDatum(relid),
										 Int16GetDatum(attnum),
										 BoolGetDatum(false));

		if (HeapTupleIsValid(tp))
		{
			float4		d = ((Form_pg_statistic) GETSTRUCT(tp))->stadistinct;

			if (d > 0)
				nd = d;
			else if (d < 0)
				nd = -d * tuples;
			ReleaseSysCache(tp);
		}
	}
	if (nd <= 0)
		nd = tuples / divisor;
	return Min(Max(nd, 1.0), tuples);
}

/*
 * ledger.margin_rows_support(internal) RETURNS internal
 *
 * Planner support function of the margin set-returning functions: their
 * row counts follow the positions (margin_legs), the accounts holding
 * positions or collateral (per-account functions) or the account-product
 * pairs (per-product functions), estimated from the tables' size and
 * statistics, so that queries joining them plan for the real size.
 */
Datum
ledger_margin_rows_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestRows *req;
	char	   *fname;
	Oid			pos_relid = InvalidOid;
	Oid			col_relid = InvalidOid;
	double		positions;
	double		rows;

	if (!IsA(rawreq, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestRows *) rawreq;
	fname = get_func_name(req->funcid);
	if (fname == NULL)
		PG_RETURN_POINTER(NULL);

	if (strcmp(fname, "collateral_value") == 0 ||
		strcmp(fname, "_collateral_value") == 0)
	{
		double		holdings = margin_rel_tuples("margin_collateral", &col_relid);

		if (holdings < 0)
			PG_RETURN_POINTER(NULL);
		rows = margin_ndistinct(col_relid, "account", holdings, 2);
	}
	else
	{
		positions = margin_rel_tuples("margin_positions", &pos_relid);
		if (positions < 0)
			PG_RETURN_POINTER(NULL);
		if (strcmp(fname, "margin_legs") == 0)
			rows = positions;
		else if (strcmp(fname, "span_margin_detail") == 0 ||
				 strcmp(fname, "portfolio_margin_detail") == 0 ||
				 strcmp(fname, "strategy_margin_detail") == 0 ||
				 strcmp(fname, "_span_detail") == 0 ||
				 strcmp(fname, "_equity_detail") == 0)
			rows = Min(positions,
					   margin_ndistinct(pos_relid, "account", positions, 10) *
					   margin_ndistinct(pos_relid, "product", positions, 10));
		else
		{
			rows = margin_ndistinct(pos_relid, "account", positions, 10);
			if (strcmp(fname, "margin_requirements") == 0)
			{
				double		holdings = margin_rel_tuples("margin_collateral",
														 &col_relid);

				if (holdings > 0)
					rows = Max(rows, margin_ndistinct(col_relid, "account",
													  holdings, 2));
			}
		}
	}
	req->rows = rows;
	PG_RETURN_POINTER(req);
}

/* ---------- one run at a time ---------- */

/*
 * ledger._margin_run_lock(run regprocedure) RETURNS void
 *
 * The lock that lets one ledger.run_margin_calls (or ledger.run_expiry) run
 * at a time: SHARE UPDATE EXCLUSIVE on the table it appends to
 * (ledger.margin_calls, ledger.exercise_events), until the end of the
 * transaction, for a caller who may execute run.  It conflicts with
 * itself, not with the inserts, reads and sealing of the table.  Both
 * took a transaction-level advisory lock before 2026-12-06, which any role
 * that can connect may take as well (advisory locks have no privileges):
 * a session holding pg_advisory_lock(hashtext('ledger.run_margin_calls'))
 * stopped every run and the margin scheduler, silently, for as long as it
 * stayed.  Taken here without LOCK TABLE's privilege check (which wants
 * UPDATE, DELETE or TRUNCATE on an append-only table) but with the
 * caller's EXECUTE on run, so no other role can hold it against a run.
 */
Datum
ledger_margin_run_lock(PG_FUNCTION_ARGS)
{
	Oid			run = PG_GETARG_OID(0);
	Oid			nsp = get_namespace_oid("ledger", false);
	char	   *fname = get_func_name(run);
	const char *relname = NULL;
	Oid			relid;

	if (fname != NULL && get_func_namespace(run) == nsp)
	{
		if (strcmp(fname, "run_margin_calls") == 0)
			relname = "margin_calls";
		else if (strcmp(fname, "run_expiry") == 0)
			relname = "exercise_events";
	}
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ledger._margin_run_lock() serves ledger.run_margin_calls and ledger.run_expiry only")));
	if (pg_proc_aclcheck(run, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, fname);
	relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ledger.%s\" does not exist", relname)));
	LockRelationOid(relid, ShareUpdateExclusiveLock);
	PG_RETURN_VOID();
}

/* ---------- scheduler ---------- */

/*
 * Read one or two decimal digits at *p, advancing it; -1 if there is no
 * digit there.
 */
static int
margin_read_2digits(const char **p)
{
	int			v;

	if (**p < '0' || **p > '9')
		return -1;
	v = *(*p)++ - '0';
	if (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/*
 * Check ledger.expiry_time: empty, or HH:MM in 00:00 .. 23:59 (H and M of
 * one digit too, leading blanks skipped), digits and the colon only: each
 * pass casts the value to time, which refuses what sscanf's %d read besides
 * ("-0:30", "+7:05", "07: 5", "4294967303:00" passed this check before
 * 2026-12-06, and every pass then logged an ERROR and ran no expiry).
 */
static bool
margin_check_expiry_time(char **newval, void **extra, GucSource source)
{
	const char *p = *newval;
	int			h;
	int			m = -1;

	if (p == NULL || p[0] == '\0')
		return true;
	while (*p == ' ' || *p == '\t')
		p++;
	h = margin_read_2digits(&p);
	if (h >= 0 && *p == ':')
	{
		p++;
		m = margin_read_2digits(&p);
	}
	if (h < 0 || m < 0 || *p != '\0' || h > 23 || m > 59)
	{
		GUC_check_errdetail("The expiry time must be HH:MM (UTC), or empty to disable expiry runs.");
		return false;
	}
	return true;
}

/*
 * The failures in a row of one of the scheduler's runs (by the name of its
 * function): the full report of an error (ERROR, DETAIL, HINT, CONTEXT) is
 * logged at its first failure, when the message changes, and once an hour;
 * in between one WARNING line says it failed again, how many times since
 * when.  A margin book that one run cannot margin (a position in a product
 * with no price) fails every run until it is fixed, and the report's
 * CONTEXT holds the text of margin_requirements' query: about 98 lines a
 * run, 1,963 lines in 20 s with ledger.margin_call_interval = 1s (a review
 * on 2026-12-07; test/t/560_persistent_faults.pl).
 */
#define MARGIN_FULL_REPORT_MS (60 * 60 * 1000)

typedef struct MarginRunFailures
{
	const char *what;
	int			failures;
	TimestampTz first_at;
	TimestampTz reported_at;	/* of the last full report */
	char		message[256];
} MarginRunFailures;

static MarginRunFailures margin_run_failures[2];

static MarginRunFailures *
margin_run_failures_of(const char *what)
{
	int			i;

	for (i = 0; i < lengthof(margin_run_failures); i++)
		if (margin_run_failures[i].what == NULL ||
			strcmp(margin_run_failures[i].what, what) == 0)
		{
			margin_run_failures[i].what = what;
			return &margin_run_failures[i];
		}
	return NULL;
}

/*
 * Run one statement in its own transaction; log an error and go on.  Comes
 * back in the caller's memory context (a transaction's end leaves
 * TopMemoryContext current).
 */
static void
margin_worker_run(const char *what, const char *sql, int nargs, Oid *types,
				  Datum *values)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	MarginRunFailures *volatile f = margin_run_failures_of(what);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, what);
		if (OidIsValid(get_extension_oid("ledger", true)))
		{
			if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not run %s", what);
			/* read the result before SPI_finish frees it */
			if (SPI_processed == 1)
			{
				bool		isnull;
				int32		n = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc,
															1, &isnull));

				if (!isnull && n > 0)
					ereport(LOG,
							(errmsg_plural("%s appended %d ledger row",
										   "%s appended %d ledger rows",
										   n, what, n)));
			}
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		if (f != NULL && f->failures > 0)
			ereport(LOG,
					(errmsg("%s succeeded after %d failures in a row since %s",
							what, f->failures, timestamptz_to_str(f->first_at))));
		if (f != NULL)
			f->failures = 0;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		TimestampTz now = GetCurrentTimestamp();
		bool		full;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		full = f == NULL || f->failures == 0 ||
			strncmp(f->message, edata->message, sizeof(f->message) - 1) != 0 ||
			f->reported_at > now ||
			TimestampDifferenceExceeds(f->reported_at, now, MARGIN_FULL_REPORT_MS);
		if (full)
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcxt);
		if (f != NULL && full)
		{
			if (f->failures == 0)
				f->first_at = now;
			f->reported_at = now;
			strlcpy(f->message, edata->message, sizeof(f->message));
		}
		else if (f != NULL)
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("%s failed again, %d times in a row since %s: %s",
							what, f->failures + 1, timestamptz_to_str(f->first_at),
							edata->message),
					 errhint("The full report was logged at %s; it is logged again when the error changes, and once an hour.",
							 timestamptz_to_str(f->reported_at))));
		if (f != NULL)
			f->failures++;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* One scheduler pass. */
static void
margin_worker_pass(void)
{
	if (margin_call_interval > 0)
	{
		Oid			types[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(margin_call_interval)};

		margin_worker_run("ledger.run_margin_calls",
						  "SELECT ledger.run_margin_calls(pg_catalog.to_timestamp("
						  "pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now()) "
						  "OPERATOR(pg_catalog./) $1) OPERATOR(pg_catalog.*) $1))",
						  1, types, values);
	}
	if (margin_expiry_time != NULL && margin_expiry_time[0] != '\0')
	{
		Oid			types[1] = {TEXTOID};
		Datum		values[1] = {CStringGetTextDatum(margin_expiry_time)};

		margin_worker_run("ledger.run_expiry",
						  "SELECT ledger.run_expiry((pg_catalog.now() AT TIME ZONE 'UTC')::pg_catalog.date) "
						  "WHERE (pg_catalog.now() AT TIME ZONE 'UTC')::pg_catalog.time "
						  "OPERATOR(pg_catalog.>=) $1::pg_catalog.time",
						  1, types, values);
	}
}

/*
 * Whether the scheduler is in a pass: SIGTERM then ends it through die(),
 * cancelling the running statement, as for a backend; otherwise at the top
 * of its loop.
 */
static volatile sig_atomic_t margin_in_pass = false;

/* SIGTERM handler of the scheduler. */
static void
margin_worker_sigterm(SIGNAL_ARGS)
{
	if (margin_in_pass)
		die(postgres_signal_arg);
	else
		SignalHandlerForShutdownRequest(postgres_signal_arg);
}

/* Is the extension installed in the scheduler's database? */
static bool
margin_extension_installed(void)
{
	bool		installed;

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("ledger", true));
	CommitTransactionCommand();
	return installed;
}

/*
 * Main of the margin scheduler, a dynamic worker of the margin launcher
 * connected to ledger.margin_database.
 */
void
ledger_margin_worker_main(Datum main_arg)
{
	MemoryContext passcxt;
	bool		missing_told = false;

	worker_start(InvalidOid, margin_database);
	pqsignal(SIGTERM, margin_worker_sigterm);
	pgstat_report_appname("ledger margin scheduler");
	passcxt = AllocSetContextCreate(TopMemoryContext,
									"ledger margin scheduler pass",
									ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		long		timeout;

		if (ShutdownRequestPending)
			proc_exit(0);
		worker_check();

		/* one WARNING while the extension is missing, not one a pass */
		if (!margin_extension_installed())
		{
			if (!missing_told)
				ereport(WARNING,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("extension \"ledger\" is not installed in database \"%s\" named by \"%s\"",
								margin_database, "ledger.margin_database"),
						 errdetail("The ledger margin scheduler makes no margin calls and runs no expiry until it is installed there."),
						 errhint("Run CREATE EXTENSION ledger in database \"%s\", or set \"%s\" to a database that has the extension and restart the server.",
								 margin_database, "ledger.margin_database")));
			missing_told = true;
		}
		else
		{
			if (missing_told)
				ereport(LOG,
						(errmsg("extension \"ledger\" found in database \"%s\", the ledger margin scheduler runs there",
								margin_database)));
			missing_told = false;

			margin_in_pass = true;
			if (ShutdownRequestPending)
				proc_exit(0);
			/* what a pass allocates outside its transactions dies with it */
			MemoryContextSwitchTo(passcxt);
			margin_worker_pass();
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(passcxt);
			margin_in_pass = false;
		}

		/* without margin calls, look at the expiry time once a minute */
		timeout = margin_call_interval > 0 ? margin_call_interval * 1000L : 60000L;
		worker_sleep(timeout);
	}
}

/* What the margin launcher found of ledger.margin_database. */
typedef enum MarginDatabaseState
{
	MARGIN_DB_UNKNOWN,			/* not looked up yet */
	MARGIN_DB_OPEN,				/* exists and accepts connections */
	MARGIN_DB_MISSING,			/* no such database */
	MARGIN_DB_CLOSED,			/* datallowconn = false */
	MARGIN_DB_INVALID,			/* an interrupted DROP DATABASE left it */
	MARGIN_DB_BUSY				/* locked by DROP or ALTER DATABASE */
} MarginDatabaseState;

/* The scheduler the launcher started, stopped when the launcher exits. */
static BackgroundWorkerHandle *margin_scheduler = NULL;

/* Read ledger.margin_database's row of pg_database (a shared catalog). */
static MarginDatabaseState
margin_read_database(Oid *dboid)
{
	MarginDatabaseState state = MARGIN_DB_MISSING;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	/*
	 * A sequential scan, as the autovacuum launcher's: without a database a
	 * process cannot build the relcache entry of the index while the shared
	 * relcache init file is missing, as it is at server start ("cannot read
	 * pg_class without having selected a database").
	 */
	rel = table_open(DatabaseRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_database_datname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(margin_database));
	scan = systable_beginscan(rel, DatabaseNameIndexId, false, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		*dboid = db->oid;
		if (database_is_invalid_form(db))
			state = MARGIN_DB_INVALID;
		else if (!db->datallowconn)
			state = MARGIN_DB_CLOSED;
		else
			state = MARGIN_DB_OPEN;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return state;
}

/*
 * What ledger.margin_database is now.  MARGIN_DB_BUSY while a DROP DATABASE
 * or ALTER DATABASE holds it: DROP DATABASE marks it invalid before its
 * checkpoint, and a scheduler it terminated (WITH (FORCE)) had its launcher
 * warn of an invalid database, then of a missing one.
 */
static MarginDatabaseState
margin_database_state(void)
{
	MarginDatabaseState state;
	Oid			dboid = InvalidOid;

	StartTransactionCommand();
	state = margin_read_database(&dboid);
	if (state != MARGIN_DB_MISSING)
	{
		LOCKTAG		tag;

		/* as InitPostgres locks the database it connects to, without waiting */
		SET_LOCKTAG_OBJECT(tag, InvalidOid, DatabaseRelationId, dboid, 0);
		if (LockAcquire(&tag, AccessShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
			state = MARGIN_DB_BUSY;
		else
		{
			AcceptInvalidationMessages();
			InvalidateCatalogSnapshot();
			state = margin_read_database(&dboid);
		}
	}
	CommitTransactionCommand();
	return state;
}

/* Log what the launcher found, when it changed. */
static void
margin_report_database_state(MarginDatabaseState state, MarginDatabaseState before)
{
	const char *setting = "ledger.margin_database";

	switch (state)
	{
		case MARGIN_DB_OPEN:
			/* silent at server start; said when it follows a warning */
			if (before != MARGIN_DB_UNKNOWN)
				ereport(LOG,
						(errmsg("database \"%s\" named by \"%s\" accepts connections, starting the ledger margin scheduler",
								margin_database, setting)));
			break;
		case MARGIN_DB_MISSING:
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_DATABASE),
					 errmsg("database \"%s\" named by \"%s\" does not exist",
							margin_database, setting),
					 errdetail("The ledger margin scheduler does not run until the database exists; it is looked for every %d seconds and at each configuration reload.",
							   MARGIN_RETRY_MS / 1000),
					 errhint("Create database \"%s\" and the extension ledger in it, or set \"%s\" to a database that has the extension and restart the server.",
							 margin_database, setting)));
			break;
		case MARGIN_DB_CLOSED:
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("database \"%s\" named by \"%s\" does not accept connections",
							margin_database, setting),
					 errdetail("The ledger margin scheduler does not run until it does; the database is looked at every %d seconds and at each configuration reload.",
							   MARGIN_RETRY_MS / 1000),
					 errhint("Allow connections with ALTER DATABASE %s WITH ALLOW_CONNECTIONS true, or set \"%s\" to another database that has the extension and restart the server.",
							 quote_identifier(margin_database), setting)));
			break;
		case MARGIN_DB_INVALID:
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("database \"%s\" named by \"%s\" is invalid",
							margin_database, setting),
					 errdetail("An interrupted DROP DATABASE left it so; the ledger margin scheduler does not run there."),
					 errhint("Drop it with DROP DATABASE and create it again with the extension ledger, or set \"%s\" to another database that has the extension and restart the server.",
							 setting)));
			break;
		case MARGIN_DB_UNKNOWN:
		case MARGIN_DB_BUSY:
			break;
	}
}

/* At the launcher's exit: its scheduler stops too (a new launcher starts one). */
static void
margin_launcher_exit(int code, Datum arg)
{
	if (margin_scheduler != NULL)
		TerminateBackgroundWorker(margin_scheduler);
}

/* Start the scheduler; false when no background worker slot is free. */
static bool
margin_start_scheduler(void)
{
	BackgroundWorker worker;

	worker_describe(&worker, "ledger_margin_worker_main", "ledger margin scheduler",
					"ledger margin scheduler", BGW_NEVER_RESTART);
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, &margin_scheduler);
}

/*
 * Main of the margin launcher: connected to the shared catalogs only, it
 * starts the scheduler once ledger.margin_database accepts connections, and
 * says once, not at every try, why it cannot.
 */
void
ledger_margin_launcher_main(Datum main_arg)
{
	MarginDatabaseState told = MARGIN_DB_UNKNOWN;
	TimestampTz last_start = 0;
	bool		slots_told = false;

	worker_start(InvalidOid, NULL);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	before_shmem_exit(margin_launcher_exit, (Datum) 0);

	for (;;)
	{
		long		timeout = MARGIN_RETRY_MS;

		/* exit code 1: restarted (bgw_restart_time) if the server goes on */
		if (ShutdownRequestPending)
			proc_exit(1);
		worker_check();

		if (margin_scheduler != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(margin_scheduler, &pid) == BGWH_STOPPED)
			{
				pfree(margin_scheduler);
				margin_scheduler = NULL;
			}
		}

		if (margin_scheduler == NULL)
		{
			MarginDatabaseState state = margin_database_state();
			TimestampTz now = GetCurrentTimestamp();

			if (state == MARGIN_DB_BUSY)
				timeout = 1000; /* look again when it is done */
			else if (state != told)
				margin_report_database_state(state, told);
			if (state != MARGIN_DB_BUSY)
				told = state;

			/*
			 * at most one start a MARGIN_RETRY_MS, a wall clock set back
			 * counting as the last start (worker_elapsed: before 2026-12-06
			 * an hour's step left the scheduler stopped for an hour;
			 * test/t/520_years.pl)
			 */
			if (state == MARGIN_DB_OPEN && !worker_elapsed(&last_start, now, MARGIN_RETRY_MS))
				timeout = MARGIN_RETRY_MS - TimestampDifferenceMilliseconds(last_start, now);
			else if (state == MARGIN_DB_OPEN)
			{
				last_start = now;
				if (margin_start_scheduler())
					slots_told = false;
				else if (!slots_told)
				{
					ereport(WARNING,
							(errmsg("out of background worker slots"),
							 errdetail("The ledger margin scheduler could not start; it is tried again every %d seconds.",
									   MARGIN_RETRY_MS / 1000),
							 errhint("You might need to increase \"%s\".", "max_worker_processes")));
					slots_told = true;
				}
			}
		}
		worker_sleep(timeout);
	}
}

/* ---------- settings ---------- */

/* Define the margin settings; register the scheduler when configured. */
void
margin_init(void)
{
	DefineCustomRealVariable("ledger.exercise_threshold",
							 "Smallest in-the-money amount per unit at which ledger.run_expiry exercises an option.",
							 "Options in the money by less than this (per unit of the underlying) expire unexercised, like OCC's exercise-by-exception threshold.",
							 &ledger_exercise_threshold,
							 0.01, 0.0, 1e12,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("ledger.margin_call_interval",
							"Time between the margin scheduler's ledger.run_margin_calls passes (0: none).",
							"The as_of of each pass is the current time rounded down to a multiple of the interval.",
							&margin_call_interval,
							0, 0, 7 * 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomStringVariable("ledger.expiry_time",
							   "UTC time of day (HH:MM) from which the margin scheduler runs ledger.run_expiry for the day; empty: never.",
							   NULL,
							   &margin_expiry_time,
							   "",
							   PGC_SIGHUP,
							   0,
							   margin_check_expiry_time, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomStringVariable("ledger.margin_database",
							   "Database in which the margin scheduler worker runs; empty: no scheduler.",
							   NULL,
							   &margin_database,
							   "",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);
	/* none in the servers pg_upgrade starts (see sealer_init) */
	if (margin_database != NULL && margin_database[0] != '\0' && !IsBinaryUpgrade)
	{
		BackgroundWorker worker;

		worker_describe(&worker, "ledger_margin_launcher_main", "ledger margin launcher",
						"ledger margin launcher", MARGIN_RETRY_MS / 1000);
		RegisterBackgroundWorker(&worker);
	}
}
