#!/usr/bin/env bash
#
# bench/margin.sh: SPAN scanning risk of 10,000 accounts x 20 futures-option
# positions (200,000 risk arrays, 3.4 million Black-76 valuations) in one
# query, with the C functions (ledger.span_risk_array + ledger.span_scan)
# and with the PL/pgSQL + plain SQL baseline of bench/margin_plpgsql.sql, in
# the same run.  Each figure is the best of BENCH_MARGIN_RUNS runs (default
# 3; the baseline runs once per 3 C runs, at least once), in seconds.
# BENCH_MARGIN_ACCOUNTS overrides the account count (default 10,000).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

accounts=${BENCH_MARGIN_ACCOUNTS:-10000}
runs=${BENCH_MARGIN_RUNS:-3}
base_runs=$(((runs + 2) / 3))

bench_psql "DROP SCHEMA IF EXISTS bench_margin CASCADE"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -f bench/margin_plpgsql.sql >/dev/null
bench_psql "CREATE TABLE bench_margin.positions AS
SELECT a AS account,
	   CASE WHEN (a + j) % 2 = 0 THEN 'call' ELSE 'put' END AS kind,
	   (100.0 * (1 + (a + j) % 5))::float8 AS f,
	   (100.0 * (1 + (a + j) % 5) * (0.8 + 0.02 * ((a * 7 + j * 3) % 21)))::float8 AS k,
	   (0.05 + ((a + 3 * j) % 12) / 12.0)::float8 AS t,
	   (0.15 + 0.01 * ((a * 3 + j) % 30))::float8 AS sigma,
	   (6.0 * (1 + (a + j) % 5))::float8 AS price_scan,
	   (((a * 13 + j * 7) % 21) - 10)::float8 + CASE WHEN ((a * 13 + j * 7) % 21) = 10 THEN 1 ELSE 0 END AS qty
  FROM generate_series(1, $accounts) a, generate_series(1, 20) j;
ANALYZE bench_margin.positions"

c_sql="SELECT count(*), sum(s) FROM (
  SELECT account, ledger.span_scan(ledger.span_risk_array(kind, f, k, t, 0.03, sigma,
		 price_scan, 0.04, 50), qty) AS s
	FROM bench_margin.positions GROUP BY account) x"
base_sql="SELECT count(*), sum(s) FROM (
  SELECT account, greatest(max(loss), 0) AS s FROM (
	SELECT p.account, sc.i, sum(p.qty * sc.loss) AS loss
	  FROM bench_margin.positions p,
		   unnest(bench_margin.span_risk_array(p.kind, p.f, p.k, p.t, 0.03, p.sigma,
				  p.price_scan, 0.04, 50)) WITH ORDINALITY AS sc(loss, i)
	 GROUP BY p.account, sc.i) y
   GROUP BY account) x"

# time_query SQL: seconds for one run into $elapsed, the result into $result
time_query() {
	local t0 t1
	t0=$(date +%s.%N)
	result=$(psql -X -At -v ON_ERROR_STOP=1 -c "$1")
	t1=$(date +%s.%N)
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

best() { sort -g | head -1; }

c_times=()
for ((i = 0; i < runs; i++)); do
	time_query "$c_sql"
	c_times+=("$elapsed")
	c_result=$result
done
b_times=()
for ((i = 0; i < base_runs; i++)); do
	time_query "$base_sql"
	b_times+=("$elapsed")
	b_result=$result
done
c_best=$(printf '%s\n' "${c_times[@]}" | best)
b_best=$(printf '%s\n' "${b_times[@]}" | best)

# The two computations must agree (the baseline's CDF is accurate to 7.5e-8).
awk -F'|' -v c="$c_result" -v b="$b_result" 'BEGIN {
	split(c, x, "|"); split(b, y, "|");
	if (x[1] != y[1] || (x[2] - y[2]) > 1e-5 * y[2] || (y[2] - x[2]) > 1e-5 * y[2]) {
		printf "margin results differ: C %s, baseline %s\n", c, b > "/dev/stderr"; exit 1
	}
}'
echo "# margin: $accounts accounts x 20 positions; C runs ${c_times[*]} s, baseline runs ${b_times[*]} s; total scanning risk $c_result" >&2

# ratio: how many times faster than the baseline
ratio=$(awk -v a="$b_best" -v b="$c_best" 'BEGIN { printf "%.1f", a / b }')
printf '%s | %s | %s | %s | %s\n' "SPAN margin $accounts accounts x 20 options (s)" "$c_best" \
	"PL/pgSQL + SQL baseline (s)" "$b_best" "$ratio"
bench_psql "DROP SCHEMA bench_margin CASCADE"
