#!/bin/sh
# Option pricing benchmark against a running server (standard PG* variables).
# Prints each function's per-row cost beside the floor sum(sqrt(x)) over the
# same rows.  BENCH_ROWS overrides the row count (default 10,000,000).
set -e
ROWS=${BENCH_ROWS:-10000000}
cd "$(dirname "$0")/.."
psql -X -q -v rows="$ROWS" -f bench/pricing.sql
# Parallel plan check on a regular table (temporary tables are never scanned
# by workers).
psql -X -q -v rows="$ROWS" <<'SQL'
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
CREATE TABLE bench_positions_par AS
SELECT 50 + (i % 1000) * 0.1 AS s, 100::float8 AS k, 0.05 + (i % 13) * 0.3 AS t,
	   0.05 + (i % 77) * 0.01 AS v
FROM generate_series(1, :rows) i;
ANALYZE bench_positions_par;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT sum(ledger.bsm_price('call', s, k, t, 0.02, 0.01, v)) FROM bench_positions_par;
DROP TABLE bench_positions_par;
SQL
