--
-- The LedgerPricingScan node (src/funcscan.c): ledger's record-returning
-- pricing functions called in FROM.  Every query below runs twice, with
-- the node (ledger.enable_pricing_scan = on, the default) and with
-- PostgreSQL's Function Scan (off), and the two results must be the same
-- rows, NULLs and errors included; each says which plan used the node.
--
\set VERBOSITY terse

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Does the plan of q (EXPLAIN, not run) use the node?
CREATE FUNCTION pg_temp.uses_node(q text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
	line text;
	found bool := false;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		found := found OR line LIKE '%Custom Scan (LedgerPricingScan)%';
	END LOOP;
	RETURN found;
END $$;

-- Run q with the node on, then off: rows, rows that differ (as multisets),
-- and whether each plan used the node.
CREATE FUNCTION pg_temp.both(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	node_on bool;
	node_off bool;
	n bigint;
	differ bigint;
BEGIN
	PERFORM set_config('ledger.enable_pricing_scan', 'on', true);
	node_on := pg_temp.uses_node(q);
	EXECUTE 'CREATE TEMP TABLE both_on AS ' || q;
	PERFORM set_config('ledger.enable_pricing_scan', 'off', true);
	node_off := pg_temp.uses_node(q);
	EXECUTE 'CREATE TEMP TABLE both_off AS ' || q;
	PERFORM set_config('ledger.enable_pricing_scan', 'on', true);
	SELECT count(*) INTO n FROM both_on;
	SELECT count(*) INTO differ
	  FROM ((TABLE both_on EXCEPT ALL TABLE both_off)
			UNION ALL (TABLE both_off EXCEPT ALL TABLE both_on)) d;
	DROP TABLE both_on, both_off;
	RETURN format('%s rows, %s differ, node %s, off: node %s', n, differ,
				  CASE WHEN node_on THEN 'used' ELSE 'not used' END,
				  CASE WHEN node_off THEN 'used' ELSE 'not used' END);
END $$;

-- Positions: calls and puts across moneyness, maturities and volatilities,
-- and rows with a NULL argument (the functions are STRICT: a row of NULLs).
CREATE TABLE ps_pos AS
SELECT i AS id,
	   CASE WHEN i % 2 = 0 THEN 'call' ELSE 'put' END AS kind,
	   (60 + (i % 80))::float8 AS s, 100::float8 AS k,
	   (0.05 + (i % 13) * 0.25)::float8 AS t,
	   (-0.01 + (i % 5) * 0.02)::float8 AS r,
	   ((i % 3) * 0.01)::float8 AS q,
	   CASE WHEN i % 50 = 0 THEN NULL ELSE (0.05 + (i % 31) * 0.02)::float8 END AS v
FROM generate_series(1, 400) i;
ANALYZE ps_pos;

-- Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed., section
-- 2.1: call delta 0.5946 at s=105 k=100 t=0.5 r=0.10 b=0 sigma=0.36
-- (also in QuantLib's test-suite/europeanoption.cpp), through LATERAL.
CREATE TABLE ps_haug AS SELECT 105::float8 AS s;
SELECT round(g.delta::numeric, 4) AS call_delta
  FROM ps_haug x, LATERAL ledger.bsm_greeks('call', x.s, 100, 0.5, 0.10, 0.10, 0.36) g;
SELECT pg_temp.uses_node($$SELECT g.delta FROM ps_haug x,
	   LATERAL ledger.bsm_greeks('call', x.s, 100, 0.5, 0.10, 0.10, 0.36) g$$) AS node;

-- every column, each of the four functions
SELECT pg_temp.both($$SELECT p.id, g.* FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS bsm;
SELECT pg_temp.both($$SELECT p.id, g.* FROM ps_pos p,
	LATERAL ledger.black76_greeks(p.kind, p.s, p.k, p.t, p.r, p.v) g$$) AS black76;
SELECT pg_temp.both($$SELECT p.id, g.* FROM ps_pos p,
	LATERAL ledger.bachelier_greeks(p.kind, p.s, p.k, p.t, p.r, p.v * 100) g$$) AS bachelier;
SELECT pg_temp.both($$SELECT p.id, g.* FROM ps_pos p,
	LATERAL ledger.american_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
	WHERE p.id <= 40$$) AS american;

-- a NULL argument: one row of NULLs, as from the Function Scan
SELECT count(*) AS rows, count(*) FILTER (WHERE g.price IS NULL AND g.delta IS NULL
										   AND g.volga IS NULL) AS null_rows
  FROM ps_pos p, LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g;
SELECT count(*) AS rows, count(g.delta) AS not_null
  FROM (VALUES (NULL::text)) x(kind),
	   LATERAL ledger.bsm_greeks(x.kind, 100, 100, 1, 0.05, 0, 0.2) g;

-- some columns; none; quals on the function's columns; outer joins
SELECT pg_temp.both($$SELECT p.id, g.vanna, g.rho FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS some_columns;
SELECT pg_temp.both($$SELECT count(*) FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS no_column;
SELECT pg_temp.both($$SELECT p.id, g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
	WHERE g.delta > 0.5 AND g.gamma < p.s$$) AS quals;
SELECT pg_temp.both($$SELECT p.id, g.theta FROM ps_pos p
	LEFT JOIN LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
	ON g.delta > 0.5$$) AS left_join;
SELECT pg_temp.both($$SELECT p.id, x FROM ps_pos p
	LEFT JOIN LATERAL (SELECT g.delta * 2 AS x
						 FROM ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g) y
	ON true$$) AS placeholder;
SELECT pg_temp.both($$SELECT p.id, (SELECT g.delta
	FROM ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g) FROM ps_pos p$$) AS subquery;
SELECT pg_temp.both($$SELECT p.id, g.delta, h.delta AS h_delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g,
	LATERAL ledger.bsm_greeks(p.kind, p.s * 1.01, p.k, p.t, p.r, p.q, g.vega / 100 + 0.1) h$$) AS chained;
SELECT pg_temp.both($$SELECT g.* FROM ledger.bsm_greeks('call', 100, 95, 0.5, 0.03, 0.01, 0.25) g$$) AS constants;

-- kept on the Function Scan: the whole row, WITH ORDINALITY, ROWS FROM,
-- volatile arguments
SELECT pg_temp.both($$SELECT p.id, g FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS whole_row;
SELECT pg_temp.both($$SELECT p.id FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
	WHERE g IS NOT NULL$$) AS whole_row_qual;
SELECT pg_temp.both($$SELECT p.id, g.delta, g.o FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v)
	WITH ORDINALITY g(price, delta, gamma, vega, theta, rho, vanna, volga, o)$$) AS ordinality;
SELECT pg_temp.both($$SELECT p.id, g.* FROM ps_pos p,
	LATERAL ROWS FROM (ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v),
					   ledger.black76_greeks(p.kind, p.s, p.k, p.t, p.r, p.v))
	g(price, delta, gamma, vega, theta, rho, vanna, volga,
	  price76, delta76, gamma76, vega76, theta76, rho76, vanna76, volga76)$$) AS rows_from;
SELECT pg_temp.both($$SELECT count(DISTINCT g.delta) FROM ps_pos p,
	ledger.bsm_greeks('call', 100 + random() * 0, 100, 1, 0.05, 0, 0.2) g$$) AS volatile_argument;

-- and under row locks or a data-modifying statement (EvalPlanQual re-reads
-- the row), with functions that are not ledger's or not IMMUTABLE
SELECT pg_temp.uses_node($$SELECT p.id, g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g FOR UPDATE OF p$$) AS for_update;
SELECT pg_temp.uses_node($$UPDATE ps_pos p SET v = g.vega FROM ps_pos p2,
	LATERAL ledger.bsm_greeks(p2.kind, p2.s, p2.k, p2.t, p2.r, p2.q, p2.v) g
	WHERE p2.id = p.id$$) AS in_update;
SELECT pg_temp.uses_node($$WITH x AS (SELECT p.id, g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g)
	DELETE FROM ps_pos WHERE id IN (SELECT id FROM x WHERE delta > 2)$$) AS cte_of_delete;
-- an INSERT ... SELECT has no EvalPlanQual: the node
CREATE TABLE ps_risk (id int, delta float8, vega float8);
SELECT pg_temp.uses_node($$INSERT INTO ps_risk SELECT p.id, g.delta, g.vega FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS in_insert;
INSERT INTO ps_risk SELECT p.id, g.delta, g.vega FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g;
SET ledger.enable_pricing_scan = off;
SELECT count(*) AS rows, count(*) FILTER (WHERE r.delta IS NOT DISTINCT FROM g.delta
										   AND r.vega IS NOT DISTINCT FROM g.vega) AS same
  FROM ps_risk r JOIN ps_pos p USING (id),
	   LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g;
RESET ledger.enable_pricing_scan;
DROP TABLE ps_risk;
CREATE FUNCTION pg_temp.vol_greeks(text, float8, float8, float8, float8, float8, float8)
RETURNS ledger.option_greeks AS '$libdir/ledger', 'ledger_bsm_greeks'
LANGUAGE C VOLATILE STRICT;
SELECT pg_temp.both($$SELECT p.id, g.delta FROM ps_pos p,
	LATERAL pg_temp.vol_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS volatile_c;
CREATE FUNCTION pg_temp.plpgsql_greeks(kind text, s float8) RETURNS ledger.option_greeks
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	RETURN ledger.bsm_greeks(kind, s, 100, 1, 0.05, 0, 0.2);
END $$;
SELECT pg_temp.both($$SELECT p.id, g.delta FROM ps_pos p,
	LATERAL pg_temp.plpgsql_greeks(p.kind, p.s) g$$) AS plpgsql_function;
-- an SQL function the planner inlines is its body: the node calls bsm_greeks
CREATE FUNCTION pg_temp.sql_greeks(kind text, s float8) RETURNS ledger.option_greeks
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT ledger.bsm_greeks(kind, s, 100, 1, 0.05, 0, 0.2) $$;
SELECT pg_temp.both($$SELECT p.id, g.delta FROM ps_pos p,
	LATERAL pg_temp.sql_greeks(p.kind, p.s) g$$) AS inlined_sql_function;

-- errors are the function's, with the node as without
SELECT pg_temp.err($$SELECT g.delta FROM (VALUES (-0.2::float8)) x(v),
	LATERAL ledger.bsm_greeks('call', 100, 100, 1, 0.05, 0, x.v) g$$) AS negative_sigma;
SET ledger.enable_pricing_scan = off;
SELECT pg_temp.err($$SELECT g.delta FROM (VALUES (-0.2::float8)) x(v),
	LATERAL ledger.bsm_greeks('call', 100, 100, 1, 0.05, 0, x.v) g$$) AS negative_sigma_off;
RESET ledger.enable_pricing_scan;
SELECT pg_temp.err($$SELECT g.delta FROM (VALUES ('NaN'::float8), ('Infinity')) x(s),
	LATERAL ledger.bsm_greeks('call', x.s, 100, 1, 0.05, 0, 0.2) g$$) AS nan;
SELECT pg_temp.err($$SELECT g.delta FROM (VALUES ('cal'::text)) x(kind),
	LATERAL ledger.bsm_greeks(x.kind, 100, 100, 1, 0.05, 0, 0.2) g$$) AS bad_kind;
SELECT pg_temp.err($$SELECT g.delta FROM (VALUES (repeat('call', 100000))) x(kind),
	LATERAL ledger.bsm_greeks(x.kind, 100, 100, 1, 0.05, 0, 0.2) g$$) AS oversized_kind;

-- EXECUTE privilege: checked by the node as by the Function Scan
CREATE ROLE ps_reader;
GRANT SELECT ON ps_pos TO ps_reader;
REVOKE EXECUTE ON FUNCTION ledger.bsm_greeks(text, float8, float8, float8, float8, float8, float8) FROM PUBLIC;
SET ROLE ps_reader;
SELECT pg_temp.err($$SELECT g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS revoked;
SET ledger.enable_pricing_scan = off;
SELECT pg_temp.err($$SELECT g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS revoked_off;
RESET ledger.enable_pricing_scan;
RESET ROLE;
GRANT EXECUTE ON FUNCTION ledger.bsm_greeks(text, float8, float8, float8, float8, float8, float8) TO PUBLIC;
SET ROLE ps_reader;
SELECT pg_temp.err($$SELECT g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS granted;
RESET ROLE;
DROP OWNED BY ps_reader;
DROP ROLE ps_reader;

-- parallel workers run the node (the plan is sent to them by name)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT pg_temp.uses_node($$SELECT sum(g.delta) FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS parallel_node;
EXPLAIN (COSTS OFF) SELECT sum(g.delta) FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g;
SELECT pg_temp.both($$SELECT p.id, g.delta, g.volga FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g$$) AS parallel;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- EXPLAIN VERBOSE shows the call, its outer references by name
SET enable_memoize = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT g.delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g WHERE g.gamma > 0;
RESET enable_memoize;

-- a generic plan, its parameters in the call
PREPARE ps_q(float8, float8) AS
SELECT p.id, g.delta, g.vega FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s * $1, p.k, p.t, p.r, p.q, p.v + $2) g;
SET plan_cache_mode = force_generic_plan;
CREATE TEMP TABLE ps_generic AS EXECUTE ps_q(1.1, 0.01);
SET ledger.enable_pricing_scan = off;
CREATE TEMP TABLE ps_generic_off AS
SELECT p.id, g.delta, g.vega FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s * 1.1, p.k, p.t, p.r, p.q, p.v + 0.01) g;
RESET ledger.enable_pricing_scan;
RESET plan_cache_mode;
SELECT count(*) AS rows,
	   (SELECT count(*) FROM ((TABLE ps_generic EXCEPT ALL TABLE ps_generic_off)
							  UNION ALL (TABLE ps_generic_off EXCEPT ALL TABLE ps_generic)) d) AS differ
  FROM ps_generic;
DEALLOCATE ps_q;

-- a scrollable cursor, read backwards
BEGIN;
DECLARE ps_c SCROLL CURSOR FOR
SELECT p.id, round(g.delta::numeric, 10) AS delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
 WHERE p.id <= 5 ORDER BY p.id;
FETCH LAST FROM ps_c;
FETCH BACKWARD 2 FROM ps_c;
FETCH ABSOLUTE 1 FROM ps_c;
COMMIT;
SELECT p.id, round(g.delta::numeric, 10) AS delta FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g
 WHERE p.id <= 5 ORDER BY p.id;

-- track_functions counts the node's calls as the Function Scan's
SET track_functions = 'all';
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE ps_calls AS
SELECT coalesce((SELECT calls FROM pg_stat_user_functions
				  WHERE funcid = 'ledger.bsm_greeks(text, float8, float8, float8, float8, float8, float8)'::regprocedure), 0) AS calls;
SELECT count(g.delta) FROM ps_pos p,
	LATERAL ledger.bsm_greeks(p.kind, p.s, p.k, p.t, p.r, p.q, p.v) g WHERE p.id <= 30;
SELECT pg_stat_force_next_flush();
SELECT (SELECT calls FROM pg_stat_user_functions
		 WHERE funcid = 'ledger.bsm_greeks(text, float8, float8, float8, float8, float8, float8)'::regprocedure)
	   - calls AS counted
  FROM ps_calls;
RESET track_functions;

-- the setting
SHOW ledger.enable_pricing_scan;
SET ledger.enable_pricing_scan = 'maybe';

DROP TABLE ps_haug, ps_pos, ps_generic, ps_generic_off, ps_calls;
