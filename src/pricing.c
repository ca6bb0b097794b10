/*-------------------------------------------------------------------------
 *
 * pricing.c
 *		SQL-callable option pricing: European prices, Greeks, implied
 *		volatilities and American options.
 *
 * These are thin fmgr wrappers over the pure numerics (pricing_core.h).  Each wrapper validates
 * its arguments (NaN and infinities are errors with SQLSTATE 22000, a
 * negative spot, strike, time or volatility is 22023, an unknown option kind
 * or method is 22023), calls the pure numerics and reports a non-finite
 * result as overflow (22003).  Implied volatilities return NULL when the
 * price lies outside the no-arbitrage bounds.  The policies are documented
 * in docs/pricing.md.
 *
 * Memory: nothing survives a call except the blessed tuple descriptor of
 * ledger.option_greeks, cached in fn_extra (fn_mcxt).  The binomial tree's
 * work array is palloc'd in the caller's context and freed on return.
 *
 * Interrupts: the American wrappers point pricing_interrupt_hook at
 * CHECK_FOR_INTERRUPTS before calling the numerics, which call it once per
 * tree step, implied-volatility iteration and finite-difference step, so
 * statement_timeout and pg_terminate_backend stop a long call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "funcscan.h"
#include "ledger.h"
#include "pricing_core.h"

PG_FUNCTION_INFO_V1(ledger_bsm_price);
PG_FUNCTION_INFO_V1(ledger_black76_price);
PG_FUNCTION_INFO_V1(ledger_bachelier_price);
PG_FUNCTION_INFO_V1(ledger_bsm_greeks);
PG_FUNCTION_INFO_V1(ledger_black76_greeks);
PG_FUNCTION_INFO_V1(ledger_bachelier_greeks);
PG_FUNCTION_INFO_V1(ledger_bsm_implied_vol);
PG_FUNCTION_INFO_V1(ledger_black76_implied_vol);
PG_FUNCTION_INFO_V1(ledger_bachelier_implied_vol);
PG_FUNCTION_INFO_V1(ledger_american_price);
PG_FUNCTION_INFO_V1(ledger_american_implied_vol);
PG_FUNCTION_INFO_V1(ledger_american_greeks);
PG_FUNCTION_INFO_V1(ledger_american_price_support);
PG_FUNCTION_INFO_V1(ledger_american_implied_vol_support);

/*
 * The numerics call this between iterations whose number a caller controls
 * (tree steps, implied volatility iterations, finite-difference steps); an
 * ERROR from it leaves them by longjmp, which is safe because they hold no
 * resources (the tree's work array is palloc'd here).
 */
static void
pricing_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Report an option kind other than 'call' or 'put', its first 40 bytes
 * only: the message went whole into the server log and to the client,
 * also for a kind of megabytes.
 */
static pg_noinline void
pricing_kind_error(text *kind)
{
	const char *bytes = VARDATA_ANY(kind);
	int			len = VARSIZE_ANY_EXHDR(kind);
	int			shown = pg_mbcliplen(bytes, len, 40);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid option kind \"%.*s\"%s", shown, bytes,
					shown < len ? "..." : ""),
			 errhint("The option kind must be \"call\" or \"put\".")));
}

/*
 * Parse the option kind: +1 for 'call', -1 for 'put'.  Called once per row,
 * so it compares the bytes in place: a short literal has a one-byte header
 * and is never toasted (PG_GETARG_TEXT_PP does not copy it), and nothing is
 * allocated unless the kind is invalid.
 */
static pg_attribute_always_inline int
pricing_kind(text *kind)
{
	const char *p = VARDATA_ANY(kind);
	Size		len = VARSIZE_ANY_EXHDR(kind);

	if (len == 4 && p[0] == 'c' && p[1] == 'a' && p[2] == 'l' && p[3] == 'l')
		return 1;
	if (len == 3 && p[0] == 'p' && p[1] == 'u' && p[2] == 't')
		return -1;
	pricing_kind_error(kind);
	return 0;					/* keep compiler quiet */
}

/* Parse the American pricing method. */
static PricingAmericanMethod
pricing_method(text *method)
{
	char	   *m = text_to_cstring(method);

	if (strcmp(m, "qdfp") == 0)
		return PRICING_AMERICAN_QDFP;
	if (strcmp(m, "bjs2002") == 0)
		return PRICING_AMERICAN_BJS2002;
	if (strcmp(m, "baw") == 0)
		return PRICING_AMERICAN_BAW;
	if (strcmp(m, "crr") == 0)
		return PRICING_AMERICAN_CRR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid American pricing method \"%s\"", m),
			 errhint("The method must be \"qdfp\", \"baw\", \"bjs2002\" or \"crr\".")));
	return PRICING_AMERICAN_QDFP;	/* keep compiler quiet */
}

/* Reject NaN and infinities (22000); shared with margin.c. */
void
ledger_check_finite(const char *name, double v)
{
	if (unlikely(isnan(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid input for \"%s\": NaN", name),
				 errhint("Inputs must be finite numbers.")));
	if (unlikely(isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid input for \"%s\": %s", name,
						v > 0 ? "Infinity" : "-Infinity"),
				 errhint("Inputs must be finite numbers.")));
}

/*
 * A finite float8 for an error message: the shortest text that reads back as
 * the value the caller passed, whatever the session's extra_float_digits
 * (float8out gave "-1e+02" for -123.456 with extra_float_digits = -15).
 */
static char *
pricing_float8_text(double v)
{
	char	   *buf = palloc(DOUBLE_SHORTEST_DECIMAL_LEN);

	(void) double_to_shortest_decimal_buf(v, buf);
	return buf;
}

/* Reject NaN, infinities (22000) and negative values (22023). */
void
ledger_check_nonneg(const char *name, double v)
{
	ledger_check_finite(name, v);
	if (unlikely(v < 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid input for \"%s\": %s", name,
						pricing_float8_text(v)),
				 errdetail("The value of \"%s\" must not be negative.", name)));
}

/*
 * The arguments every Black-Scholes-Merton function shares, checked in the
 * order of the signature: s, k, t not negative, r and q finite (sigma, where
 * a function takes one, is checked after them by its caller).  Shared with
 * margin.c.
 */
void
ledger_check_bsm_args(double s, double k, double t, double r, double q)
{
	ledger_check_nonneg("s", s);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_finite("q", q);
}

/*
 * Per-row fast paths: one comparison per argument, and the detailed checks
 * (which say which argument is wrong) only when one of them fails.
 */
#define PRICING_FINITE(v)	(fabs(v) <= DBL_MAX)
#define PRICING_NONNEG(v)	((v) >= 0.0 && (v) <= DBL_MAX)

/* Report a non-finite result as overflow. */
static double
pricing_result(double v)
{
	if (unlikely(!isfinite(v)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The option value is not representable as a double precision number.")));
	return v;
}

/*
 * Implied volatility: the upper bound of the price (call s e^-qt, put
 * k e^-rt) must be representable, else every model price of the inputs
 * overflows as the price functions report it (22003), and the comparisons
 * with an infinite bound or forward answered 0 or NULL before.
 */
static void
pricing_iv_bound(int theta, double s, double k, double t, double r, double q)
{
	(void) pricing_result(theta > 0 ? s * exp(-q * t) : k * exp(-r * t));
}

/* Check the binomial step count. */
static int
pricing_steps(int32 steps)
{
	if (steps < 1 || steps > PRICING_CRR_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid number of steps: %d", steps),
				 errdetail("The number of steps must be between 1 and %d.",
						   PRICING_CRR_MAX_STEPS)));
	return steps;
}

/*
 * Longest time to expiry of the American functions, in years.  qdfp's
 * boundary interpolation in sqrt(tau / T) loses accuracy far beyond the
 * maturities it was measured on (15 years), and no exchange lists an
 * American option this long.
 */
#define PRICING_AMERICAN_MAX_T 100.0

/* Check the time to expiry of an American option. */
static void
pricing_american_t(double t)
{
	if (t > PRICING_AMERICAN_MAX_T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid input for \"t\": %s", pricing_float8_text(t)),
				 errdetail("American options are priced for times to expiry up to %g years.",
						   PRICING_AMERICAN_MAX_T)));
}

/* Is desc ledger.option_greeks: eight float8 columns? */
static bool
pricing_greeks_desc_ok(TupleDesc desc)
{
	if (desc->natts != 8)
		return false;
	for (int i = 0; i < 8; i++)
		if (TupleDescAttr(desc, i)->atttypid != FLOAT8OID)
			return false;
	return true;
}

/*
 * Build a ledger.option_greeks datum, caching the tuple descriptor; or,
 * called by funcscan.c's node, store the fields in its row.
 */
static Datum
pricing_greeks_datum(FunctionCallInfo fcinfo, PricingGreeks *g)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	FuncScanRow *row = funcscan_row(fcinfo);
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	double		v[8];
	int			i;

	/* called by funcscan.c's node: the fields, if its row is this one */
	if (row != NULL && pricing_greeks_desc_ok(row->desc))
	{
		row->values[0] = Float8GetDatum(pricing_result(g->price));
		row->values[1] = Float8GetDatum(pricing_result(g->delta));
		row->values[2] = Float8GetDatum(pricing_result(g->gamma));
		row->values[3] = Float8GetDatum(pricing_result(g->vega));
		row->values[4] = Float8GetDatum(pricing_result(g->theta));
		row->values[5] = Float8GetDatum(pricing_result(g->rho));
		row->values[6] = Float8GetDatum(pricing_result(g->vanna));
		row->values[7] = Float8GetDatum(pricing_result(g->volga));
		memset(row->nulls, false, 8 * sizeof(bool));
		row->filled = true;
		return (Datum) 0;
	}
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	v[0] = g->price;
	v[1] = g->delta;
	v[2] = g->gamma;
	v[3] = g->vega;
	v[4] = g->theta;
	v[5] = g->rho;
	v[6] = g->vanna;
	v[7] = g->volga;
	for (i = 0; i < 8; i++)
		values[i] = Float8GetDatum(pricing_result(v[i]));
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * ledger.bsm_price(kind text, s float8, k float8, t float8, r float8,
 *					q float8, sigma float8) RETURNS float8
 */
Datum
ledger_bsm_price(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		q = PG_GETARG_FLOAT8(5);
	double		sigma = PG_GETARG_FLOAT8(6);

	if (unlikely(!(PRICING_NONNEG(s) && PRICING_NONNEG(k) &&
				   PRICING_NONNEG(t) && PRICING_FINITE(r) &&
				   PRICING_FINITE(q) && PRICING_NONNEG(sigma))))
	{
		ledger_check_bsm_args(s, k, t, r, q);
		ledger_check_nonneg("sigma", sigma);
	}
	PG_RETURN_FLOAT8(pricing_result(pricing_bsm_price(theta, s, k, t, r, q, sigma)));
}

/*
 * ledger.black76_price(kind text, f float8, k float8, t float8, r float8,
 *						sigma float8) RETURNS float8
 */
Datum
ledger_black76_price(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		f = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		sigma = PG_GETARG_FLOAT8(5);

	ledger_check_nonneg("f", f);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_nonneg("sigma", sigma);
	PG_RETURN_FLOAT8(pricing_result(pricing_black76_price(theta, f, k, t, r, sigma)));
}

/*
 * ledger.bachelier_price(kind text, f float8, k float8, t float8, r float8,
 *						  sigma_normal float8) RETURNS float8
 */
Datum
ledger_bachelier_price(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		f = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		sigma = PG_GETARG_FLOAT8(5);

	ledger_check_finite("f", f);
	ledger_check_finite("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_nonneg("sigma_normal", sigma);
	PG_RETURN_FLOAT8(pricing_result(pricing_bachelier_price(theta, f, k, t, r, sigma)));
}

/*
 * ledger.bsm_greeks(kind text, s float8, k float8, t float8, r float8,
 *					 q float8, sigma float8) RETURNS ledger.option_greeks
 */
Datum
ledger_bsm_greeks(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		q = PG_GETARG_FLOAT8(5);
	double		sigma = PG_GETARG_FLOAT8(6);
	PricingGreeks g;

	ledger_check_bsm_args(s, k, t, r, q);
	ledger_check_nonneg("sigma", sigma);
	pricing_bsm_greeks(theta, s, k, t, r, q, sigma, &g);
	return pricing_greeks_datum(fcinfo, &g);
}

/*
 * ledger.black76_greeks(kind text, f float8, k float8, t float8, r float8,
 *						 sigma float8) RETURNS ledger.option_greeks
 */
Datum
ledger_black76_greeks(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		f = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		sigma = PG_GETARG_FLOAT8(5);
	PricingGreeks g;

	ledger_check_nonneg("f", f);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_nonneg("sigma", sigma);
	pricing_black76_greeks(theta, f, k, t, r, sigma, &g);
	return pricing_greeks_datum(fcinfo, &g);
}

/*
 * ledger.bachelier_greeks(kind text, f float8, k float8, t float8, r float8,
 *						   sigma_normal float8) RETURNS ledger.option_greeks
 */
Datum
ledger_bachelier_greeks(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		f = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		sigma = PG_GETARG_FLOAT8(5);
	PricingGreeks g;

	ledger_check_finite("f", f);
	ledger_check_finite("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	ledger_check_nonneg("sigma_normal", sigma);
	pricing_bachelier_greeks(theta, f, k, t, r, sigma, &g);
	return pricing_greeks_datum(fcinfo, &g);
}

/*
 * ledger.bsm_implied_vol(kind text, price float8, s float8, k float8,
 *						  t float8, r float8, q float8) RETURNS float8
 */
Datum
ledger_bsm_implied_vol(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		price = PG_GETARG_FLOAT8(1);
	double		s = PG_GETARG_FLOAT8(2);
	double		k = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	double		r = PG_GETARG_FLOAT8(5);
	double		q = PG_GETARG_FLOAT8(6);
	double		vol;

	if (unlikely(!(PRICING_FINITE(price) && PRICING_NONNEG(s) &&
				   PRICING_NONNEG(k) && PRICING_NONNEG(t) &&
				   PRICING_FINITE(r) && PRICING_FINITE(q))))
	{
		ledger_check_finite("price", price);
		ledger_check_bsm_args(s, k, t, r, q);
	}
	if (s == 0.0 || k == 0.0)
		PG_RETURN_NULL();		/* price does not depend on sigma */
	pricing_iv_bound(theta, s, k, t, r, q);
	vol = pricing_bsm_implied_vol(theta, price, s, k, t, r, q);
	if (vol < 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pricing_result(vol));
}

/*
 * ledger.black76_implied_vol(kind text, price float8, f float8, k float8,
 *							  t float8, r float8) RETURNS float8
 */
Datum
ledger_black76_implied_vol(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		price = PG_GETARG_FLOAT8(1);
	double		f = PG_GETARG_FLOAT8(2);
	double		k = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	double		r = PG_GETARG_FLOAT8(5);
	double		vol;

	ledger_check_finite("price", price);
	ledger_check_nonneg("f", f);
	ledger_check_nonneg("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	if (f == 0.0 || k == 0.0)
		PG_RETURN_NULL();		/* price does not depend on sigma */
	vol = pricing_black76_implied_vol(theta, price, f, k, t, r);
	if (vol < 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pricing_result(vol));
}

/*
 * ledger.bachelier_implied_vol(kind text, price float8, f float8, k float8,
 *								t float8, r float8) RETURNS float8
 */
Datum
ledger_bachelier_implied_vol(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		price = PG_GETARG_FLOAT8(1);
	double		f = PG_GETARG_FLOAT8(2);
	double		k = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	double		r = PG_GETARG_FLOAT8(5);
	double		vol;

	ledger_check_finite("price", price);
	ledger_check_finite("f", f);
	ledger_check_finite("k", k);
	ledger_check_nonneg("t", t);
	ledger_check_finite("r", r);
	vol = pricing_bachelier_implied_vol(theta, price, f, k, t, r);
	if (vol < 0.0 || !isfinite(vol))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(vol);
}

/*
 * ledger.american_price(kind text, s float8, k float8, t float8, r float8,
 *						 q float8, sigma float8,
 *						 method text DEFAULT 'qdfp',
 *						 steps integer DEFAULT 500) RETURNS float8
 *
 * Also bound by the 0.1.0 script, whose default method is 'bjs2002'.
 */
Datum
ledger_american_price(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		q = PG_GETARG_FLOAT8(5);
	double		sigma = PG_GETARG_FLOAT8(6);
	PricingAmericanMethod method = pricing_method(PG_GETARG_TEXT_PP(7));
	int			steps = pricing_steps(PG_GETARG_INT32(8));
	double	   *work = NULL;
	double		v;

	ledger_check_bsm_args(s, k, t, r, q);
	ledger_check_nonneg("sigma", sigma);
	pricing_american_t(t);
	pricing_interrupt_hook = pricing_interrupts;
	if (method == PRICING_AMERICAN_CRR)
		work = palloc(mul_size(add_size(steps, 1), sizeof(double)));
	v = pricing_american_price(theta, s, k, t, r, q, sigma, method, steps, work);
	if (work)
		pfree(work);
	PG_RETURN_FLOAT8(pricing_result(v));
}

/*
 * ledger.american_greeks(kind text, s float8, k float8, t float8, r float8,
 *						  q float8, sigma float8) RETURNS ledger.option_greeks
 */
Datum
ledger_american_greeks(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		s = PG_GETARG_FLOAT8(1);
	double		k = PG_GETARG_FLOAT8(2);
	double		t = PG_GETARG_FLOAT8(3);
	double		r = PG_GETARG_FLOAT8(4);
	double		q = PG_GETARG_FLOAT8(5);
	double		sigma = PG_GETARG_FLOAT8(6);
	PricingGreeks g;

	ledger_check_bsm_args(s, k, t, r, q);
	ledger_check_nonneg("sigma", sigma);
	pricing_american_t(t);
	pricing_interrupt_hook = pricing_interrupts;
	pricing_american_greeks(theta, s, k, t, r, q, sigma, &g);
	return pricing_greeks_datum(fcinfo, &g);
}

/*
 * ledger.american_implied_vol(kind text, price float8, s float8, k float8,
 *							   t float8, r float8, q float8,
 *							   method text DEFAULT 'qdfp',
 *							   steps integer DEFAULT 500) RETURNS float8
 *
 * Also bound by the 0.1.0 script, whose default method is 'bjs2002'.
 */
Datum
ledger_american_implied_vol(PG_FUNCTION_ARGS)
{
	int			theta = pricing_kind(PG_GETARG_TEXT_PP(0));
	double		price = PG_GETARG_FLOAT8(1);
	double		s = PG_GETARG_FLOAT8(2);
	double		k = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	double		r = PG_GETARG_FLOAT8(5);
	double		q = PG_GETARG_FLOAT8(6);
	PricingAmericanMethod method = pricing_method(PG_GETARG_TEXT_PP(7));
	int			steps = pricing_steps(PG_GETARG_INT32(8));
	double	   *work = NULL;
	double		vol;

	ledger_check_finite("price", price);
	ledger_check_bsm_args(s, k, t, r, q);
	if (s == 0.0 || k == 0.0)
		PG_RETURN_NULL();		/* price does not depend on sigma */
	pricing_american_t(t);
	pricing_interrupt_hook = pricing_interrupts;
	if (method == PRICING_AMERICAN_CRR)
		work = palloc(mul_size(add_size(steps, 1), sizeof(double)));
	pricing_iv_bound(theta, s, k, t, r, q);
	vol = pricing_american_implied_vol(theta, price, s, k, t, r, q, method,
									   steps, work);
	if (work)
		pfree(work);
	if (vol < 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pricing_result(vol));
}

/*
 * The constant an argument is, looking through a domain's check and a
 * binary-compatible cast (which the planner folds only without a check):
 * NULL if it is none, or a null.  A value its domain refuses fails the call
 * anyway.
 */
static Const *
american_support_const(Node *arg, Oid type)
{
	while (arg != NULL)
	{
		if (IsA(arg, RelabelType))
			arg = (Node *) ((RelabelType *) arg)->arg;
		else if (IsA(arg, CoerceToDomain))
			arg = (Node *) ((CoerceToDomain *) arg)->arg;
		else
			break;
	}
	if (arg == NULL || !IsA(arg, Const) || ((Const *) arg)->constisnull)
		return NULL;
	/* varchar's value is a text's */
	if (((Const *) arg)->consttype != type &&
		!(type == TEXTOID && ((Const *) arg)->consttype == VARCHAROID))
		return NULL;
	return (Const *) arg;
}

/*
 * Planner support of american_price and american_implied_vol: their cost a
 * call from the method and the steps, when the query gives them as
 * constants (docs/pricing.md, "Planner cost").  The declared COST is the
 * default method qdfp's; the methods' times differ by a factor of 12, and a
 * binomial tree's grows with the square of its steps.  Times measured a
 * call on the 2-vCPU VM (2026-12-07), in units of cpu_operator_cost taken as
 * 25 ns: a price by baw 0.8 us (32), bjs2002 1.9 us (76), qdfp 10 us (400),
 * crr 0.6 ns a node (steps squared) and 2 us; an implied volatility about 10
 * prices by qdfp (93 us, 4000), baw 8 us (320), bjs2002 14 us (560) and
 * about 12 trees by crr.
 *
 * A constant of a domain (over text, varchar or int4) counts as one.
 * Anything else (a method or steps given by a parameter or a column, a
 * method this code does not know, which the call refuses) leaves the
 * declared COST: the support function returns NULL and PostgreSQL uses
 * procost.
 */
static Node *
american_support(Node *rawreq, bool implied_vol)
{
	SupportRequestCost *req;
	FuncExpr   *fexpr;
	Const	   *marg;
	Const	   *sarg;
	char	   *m;
	double		units;

	if (!IsA(rawreq, SupportRequestCost))
		return NULL;
	req = (SupportRequestCost *) rawreq;
	if (req->node == NULL || !IsA(req->node, FuncExpr))
		return NULL;
	fexpr = (FuncExpr *) req->node;
	/* defaults and named arguments are expanded by the planner before */
	if (list_length(fexpr->args) != 9)
		return NULL;
	marg = american_support_const((Node *) list_nth(fexpr->args, 7), TEXTOID);
	sarg = american_support_const((Node *) list_nth(fexpr->args, 8), INT4OID);
	if (marg == NULL)
		return NULL;
	m = TextDatumGetCString(marg->constvalue);
	if (strcmp(m, "qdfp") == 0)
		units = implied_vol ? 4000.0 : 400.0;
	else if (strcmp(m, "baw") == 0)
		units = implied_vol ? 320.0 : 32.0;
	else if (strcmp(m, "bjs2002") == 0)
		units = implied_vol ? 560.0 : 76.0;
	else if (strcmp(m, "crr") == 0 && sarg != NULL &&
			 DatumGetInt32(sarg->constvalue) >= 1 &&
			 DatumGetInt32(sarg->constvalue) <= PRICING_CRR_MAX_STEPS)
	{
		double		n = DatumGetInt32(sarg->constvalue);

		units = (0.024 * n * n + 80.0) * (implied_vol ? 12.0 : 1.0);
	}
	else
		units = -1.0;			/* a parameter's steps, or refused at once */
	pfree(m);
	if (units < 0.0)
		return NULL;
	req->startup = 0;
	req->per_tuple = units * cpu_operator_cost;
	return (Node *) req;
}

/* ledger.american_price_support(internal) RETURNS internal */
Datum
ledger_american_price_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(american_support((Node *) PG_GETARG_POINTER(0), false));
}

/* ledger.american_implied_vol_support(internal) RETURNS internal */
Datum
ledger_american_implied_vol_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(american_support((Node *) PG_GETARG_POINTER(0), true));
}
