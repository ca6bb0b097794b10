/*-------------------------------------------------------------------------
 *
 * margin.c
 *		The performance-critical part of margining (DESIGN.md section 4;
 *		docs/margin.md): SPAN risk arrays, the scanning aggregates that
 *		combine them, and the portfolio-margin valuation grid.  Everything
 *		else (parameter tables, spread charges and credits, strategy-based
 *		requirements, collateral, margin calls, expiry) is SQL and PL/pgSQL
 *		in sql/install/40_margin.sql.
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
 * state is a float8[] allocated in the aggregate context
 * (AggCheckCallContext) and updated in place, as float8_accum does; the
 * combine function adds two states, so the aggregates run in parallel
 * without serialization functions.  NULL arrays, NULL quantities and NULL
 * elements are errors (22004), not skipped: a position that cannot be
 * margined must not silently lower a requirement.
 *
 * Scheduler
 * ---------
 * When ledger.margin_database is set while preloading, one background
 * worker ("ledger margin scheduler") connects to that database and, every
 * ledger.margin_call_interval seconds (0: never), calls
 * ledger.run_margin_calls with as_of = now() rounded down to a multiple of
 * the interval (so passes within one period are idempotent), and, once the
 * UTC time of day reaches ledger.expiry_time, ledger.run_expiry for today's
 * UTC date (idempotent, so every later pass that day is a no-op).  Each
 * call runs in its own transaction; an error is logged and the next pass
 * tries again.  The handlers only set flags and the latch (worker_spi.c).
 *
 * Memory: the array functions allocate only their result; the aggregates
 * allocate their state once per group; the scheduler's passes run in
 * transaction memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "ledger.h"
#include "margin.h"
#include "pricing_core.h"

PG_FUNCTION_INFO_V1(ledger_span_risk_array);
PG_FUNCTION_INFO_V1(ledger_pm_risk_array);
PG_FUNCTION_INFO_V1(ledger_span_accum);
PG_FUNCTION_INFO_V1(ledger_risk_array_accum);
PG_FUNCTION_INFO_V1(ledger_risk_array_combine);
PG_FUNCTION_INFO_V1(ledger_risk_array_max_loss);
PG_FUNCTION_INFO_V1(ledger_risk_array_final);

/* ledger.exercise_threshold: smallest in-the-money amount exercised */
double		ledger_exercise_threshold = 0.01;

/* Scheduler settings (docs/margin.md, "Scheduling") */
static char *margin_database = NULL;	/* ledger.margin_database */
static int	margin_call_interval = 0;	/* ledger.margin_call_interval, s */
static char *margin_expiry_time = NULL; /* ledger.expiry_time, HH:MM UTC */

PGDLLEXPORT void ledger_margin_worker_main(Datum main_arg);

/* Price move of scenarios 1-14, in scan ranges. */
static const double span_price_move[14] = {
	0.0, 0.0,
	1.0 / 3.0, 1.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0,
	2.0 / 3.0, 2.0 / 3.0, -2.0 / 3.0, -2.0 / 3.0,
	1.0, 1.0, -1.0, -1.0
};

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

/* ---------- argument checks ---------- */

/* Parse an instrument kind: 0 for the underlying, +1 call, -1 put. */
static int
margin_kind(text *kind, const char *underlying)
{
	char	   *p = text_to_cstring(kind);

	if (strcmp(p, "call") == 0)
		return 1;
	if (strcmp(p, "put") == 0)
		return -1;
	if (strcmp(p, underlying) == 0)
		return 0;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid instrument kind \"%s\"", p),
			 errhint("The kind must be \"%s\", \"call\" or \"put\".",
					 underlying)));
	return 0;					/* keep compiler quiet */
}


/* Reject a value outside [0, 1]. */
static void
margin_check_fraction(const char *name, double v)
{
	ledger_check_nonneg(name, v);
	if (unlikely(v > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid input for \"%s\": %s", name,
						float8out_internal(v)),
				 errdetail("The value of \"%s\" must be between 0 and 1.",
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
					 errdetail("A scenario loss is not representable as a double precision number.")));
}

/* Build a one-dimensional float8[] without NULLs from n doubles. */
static ArrayType *
margin_make_array(const double *v, int n)
{
	Size		nbytes = add_size(ARR_OVERHEAD_NONULLS(1),
								  mul_size(sizeof(float8), n));
	ArrayType  *a = (ArrayType *) palloc0(nbytes);

	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	if (n > 0)
		memcpy(ARR_DATA_PTR(a), v, sizeof(float8) * n);
	return a;
}

/*
 * Check a risk array argument: one dimension, float8, no NULLs, finite,
 * and "want" elements (any positive number when want is 0).  Returns the
 * element count.
 */
static int
margin_check_risk_array(ArrayType *a, int want)
{
	int			n;
	const double *v;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "risk array has element type %u", ARR_ELEMTYPE(a));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid risk array: %d dimensions", ARR_NDIM(a)),
				 errdetail("A risk array has one dimension.")));
	n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
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
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("risk array must not contain NULL elements")));
	v = (const double *) ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
		ledger_check_finite("risk array", v[i]);
	return n;
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
	int			kind = margin_kind(PG_GETARG_TEXT_PP(0), "future");
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
	PG_RETURN_ARRAYTYPE_P(margin_make_array(out, MARGIN_SPAN_SCENARIOS));
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
	int			kind = margin_kind(PG_GETARG_TEXT_PP(0), "stock");
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

	ledger_check_nonneg("s", s);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_finite("q", q);
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
	PG_RETURN_ARRAYTYPE_P(margin_make_array(out, points));
}

/* ---------- SQL-callable: aggregates ---------- */

/* Add quantity times a risk array to the state; want as for the check. */
static Datum
margin_accum(FunctionCallInfo fcinfo, int want)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	ArrayType  *a;
	double		qty;
	double	   *sum;
	const double *v;
	int			n;
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "risk array transition function called in non-aggregate context");
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
	qty = PG_GETARG_FLOAT8(2);
	ledger_check_finite("quantity", qty);
	n = margin_check_risk_array(a, want);
	v = (const double *) ARR_DATA_PTR(a);

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);
		double		zero[MARGIN_PM_MAX_POINTS] = {0};

		if (n > MARGIN_PM_MAX_POINTS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid risk array length %d", n),
					 errdetail("A risk array has at most %d scenarios.",
							   MARGIN_PM_MAX_POINTS)));
		state = margin_make_array(zero, n);
		MemoryContextSwitchTo(old);
	}
	else
	{
		state = PG_GETARG_ARRAYTYPE_P(0);
		if (ARR_DIMS(state)[0] != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("risk arrays of different lengths %d and %d",
							ARR_DIMS(state)[0], n),
					 errdetail("All risk arrays of one group must have the same scenarios.")));
	}

	sum = (double *) ARR_DATA_PTR(state);
	for (i = 0; i < n; i++)
		sum[i] += qty * v[i];
	margin_check_result(sum, n);
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * ledger.span_accum(state float8[], risk_array float8[], quantity float8)
 *		RETURNS float8[]: transition of span_scan (16 scenarios)
 */
Datum
ledger_span_accum(PG_FUNCTION_ARGS)
{
	return margin_accum(fcinfo, MARGIN_SPAN_SCENARIOS);
}

/*
 * ledger.risk_array_accum(state float8[], risk_array float8[],
 *		quantity float8) RETURNS float8[]: transition of pm_scan and
 *		risk_array_sum (any length, the same within a group)
 */
Datum
ledger_risk_array_accum(PG_FUNCTION_ARGS)
{
	return margin_accum(fcinfo, 0);
}

/*
 * ledger.risk_array_combine(a float8[], b float8[]) RETURNS float8[]
 */
Datum
ledger_risk_array_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *a;
	ArrayType  *b;
	double	   *sa;
	const double *sb;
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "risk array combine function called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_ARRAYTYPE_P(1);
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		a = margin_make_array((const double *) ARR_DATA_PTR(b),
							  ARR_DIMS(b)[0]);
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_DIMS(a)[0] != ARR_DIMS(b)[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("risk arrays of different lengths %d and %d",
						ARR_DIMS(a)[0], ARR_DIMS(b)[0]),
				 errdetail("All risk arrays of one group must have the same scenarios.")));
	sa = (double *) ARR_DATA_PTR(a);
	sb = (const double *) ARR_DATA_PTR(b);
	for (i = 0; i < ARR_DIMS(a)[0]; i++)
		sa[i] += sb[i];
	margin_check_result(sa, ARR_DIMS(a)[0]);
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * ledger.risk_array_max_loss(state float8[]) RETURNS float8: the largest
 * scenario loss, at least 0 (final function of span_scan and pm_scan)
 */
Datum
ledger_risk_array_max_loss(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	const double *v;
	double		worst = 0.0;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_ARRAYTYPE_P(0);
	v = (const double *) ARR_DATA_PTR(a);
	for (i = 0; i < ARR_DIMS(a)[0]; i++)
		if (v[i] > worst)
			worst = v[i];
	PG_RETURN_FLOAT8(worst);
}

/*
 * ledger.risk_array_final(state float8[]) RETURNS float8[]: a copy of the
 * summed array (final function of risk_array_sum)
 */
Datum
ledger_risk_array_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_ARRAYTYPE_P(0);
	PG_RETURN_ARRAYTYPE_P(margin_make_array((const double *) ARR_DATA_PTR(a),
											ARR_DIMS(a)[0]));
}

/* ---------- scheduler ---------- */

/* Check ledger.expiry_time: empty, or HH:MM in 00:00 .. 23:59. */
static bool
margin_check_expiry_time(char **newval, void **extra, GucSource source)
{
	int			h;
	int			m;
	char		tail;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (sscanf(*newval, "%d:%d%c", &h, &m, &tail) != 2 ||
		h < 0 || h > 23 || m < 0 || m > 59)
	{
		GUC_check_errdetail("The expiry time must be HH:MM (UTC), or empty to disable expiry runs.");
		return false;
	}
	return true;
}

/* Run one statement in its own transaction; log an error and go on. */
static void
margin_worker_run(const char *what, const char *sql, int nargs, Oid *types,
				  Datum *values)
{
	MemoryContext oldcxt = CurrentMemoryContext;

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
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
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

/* Main of the margin scheduler worker. */
void
ledger_margin_worker_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(margin_database, NULL, 0);
	pgstat_report_appname("ledger margin scheduler");

	for (;;)
	{
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		margin_worker_pass();
		/* without margin calls, look at the expiry time once a minute */
		timeout = margin_call_interval > 0 ? margin_call_interval * 1000L : 60000L;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
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
							 PGC_USERSET,
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
	if (margin_database != NULL && margin_database[0] != '\0')
	{
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = 10;
		strlcpy(worker.bgw_library_name, "ledger", BGW_MAXLEN);
		strlcpy(worker.bgw_function_name, "ledger_margin_worker_main", BGW_MAXLEN);
		strlcpy(worker.bgw_name, "ledger margin scheduler", BGW_MAXLEN);
		strlcpy(worker.bgw_type, "ledger margin scheduler", BGW_MAXLEN);
		RegisterBackgroundWorker(&worker);
	}
}
