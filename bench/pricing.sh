#!/bin/sh
# Option pricing benchmark against a running server (standard PG* variables).
# Prints each function's per-row cost beside the floor sum(sqrt(s)) over the
# same rows as "figure | value | baseline | value | ratio" lines, then the
# verdicts on the targets of issues 4, 13 and 14.  Before anything is timed,
# every timed function's values are checked (not NULL; against the PL/pgSQL
# Black-Scholes, repricing, no-arbitrage bounds, a binomial tree): a failed
# check prints an ERROR line and the part exits non-zero.  BENCH_ROWS overrides the row count
# (default 10,000,000; the table takes about 90 bytes a row of temp_buffers;
# the American functions run on min(BENCH_ROWS, 20000) rows, the tree on a
# fortieth of those).
set -e
ROWS=${BENCH_ROWS:-10000000}
cd "$(dirname "$0")/.."
echo "# pricing: $ROWS rows, one backend, float8 arguments, best of 3 interleaved rounds (PL/pgSQL: 2), then JIT on"
psql -X -q -At -v rows="$ROWS" -f bench/pricing.sql
# Parallel plan check on a regular table (temporary tables are never scanned
# by workers).
psql -X -q -At -v rows="$ROWS" <<'SQL' | grep -E 'Workers (Planned|Launched)' | sed 's/^ *->* *//; s/^ */# parallel: /'
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_positions_par;
CREATE TABLE bench_positions_par AS
SELECT (50 + (i % 1000) * 0.1)::float8 AS s, 100::float8 AS k,
	   (0.05 + (i % 13) * 0.3)::float8 AS t, (0.05 + (i % 77) * 0.01)::float8 AS v
FROM generate_series(1, :rows) i;
ANALYZE bench_positions_par;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT sum(ledger.bsm_price('call', s, k, t, 0.02, 0.01, v)) FROM bench_positions_par;
DROP TABLE bench_positions_par;
SQL
