# shellcheck shell=bash
#
# bench/lib.sh: helpers for benchmark parts (bench/NN_name.sh), which
# bench/run.sh runs with PGHOST, PGPORT, PGUSER and PGDATABASE set.
#
#   bench_psql SQL             run SQL quietly, stop on error
#   bench_tps CLIENTS SCRIPT   pgbench tps of SCRIPT (a file) for
#                              LEDGER_BENCH_SECONDS with CLIENTS clients
#   bench_row FIGURE VALUE BASELINE BASEVALUE
#                              print "figure | value | baseline | value | ratio"

SECONDS_PER_RUN=${LEDGER_BENCH_SECONDS:-10}

bench_psql() {
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null
}

bench_tps() {
	local clients=$1 script=$2 jobs cores
	cores=$(nproc)
	jobs=$((clients < cores ? clients : cores))
	pgbench -n -c "$clients" -j "$jobs" -T "$SECONDS_PER_RUN" -f "$script" 2>&1 |
		awk '/^tps = / { printf "%.0f\n", $3 }'
}

bench_row() {
	local ratio
	ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }')
	printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$ratio"
}
