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
#   bench_bulk_gen ROWS        print the query of the bulk loads' ROWS rows
#   BENCH_COLS                 the columns of the ledger part's tables
#   BENCH_WIDE_COLS            those and the ledger's three columns filled
#                              by DEFAULTs of the same sizes (the "storage
#                              floor" of the bulk loads)

SECONDS_PER_RUN=${LEDGER_BENCH_SECONDS:-10}

# The shapes of the bulk loads, shared by bench/ledger.sh (part 2, CPU
# time) and bench/bulk_insn.sh (instructions), so that their figures
# describe the same rows.
BENCH_COLS="account int, amount numeric, memo text, at timestamptz"
BENCH_WIDE_COLS="$BENCH_COLS, ledger_xact int8 NOT NULL DEFAULT 1234567, ledger_seq int8 NOT NULL DEFAULT 7654321,
           ledger_hash bytea NOT NULL DEFAULT '\\x$(printf '%064d' 0 | tr 0 a)'::bytea"

bench_bulk_gen() {
	printf '%s' "SELECT (i % 100000) + 1, (i % 10000000) / 100.0, 'payment to ' || ((i % 100000) + 1),
            timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
       FROM generate_series(1, $1) AS i"
}

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

# CPU time of the server backends that do the work, for ratios against
# "openssl speed" (which counts per CPU-second).  The server must run on
# this machine: the backend's own /proc entry is read while it is idle.
#
#   bench_cpu_ns_of PSQL-ARGS...  run psql with the arguments (-c/-f, in
#                                 one session) and print the nanoseconds of
#                                 CPU (user + system) its backend used
#   bench_median VALUE...         median of numbers
#   bench_range VALUE...          "min-max" of numbers

bench_cpu_ns_of() {
	local f
	f=$(mktemp)
	# schedstat's first field is ns on CPU; else utime + stime in ticks
	cat >"$f.sh" <<'SH'
if [ -r /proc/$BENCH_BPID/schedstat ]; then
	cut -d' ' -f1 /proc/$BENCH_BPID/schedstat
else
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' /proc/$BENCH_BPID/stat
fi
SH
	printf '%s\n' 'SELECT pg_backend_pid() AS bench_bpid \gset' \
		'\setenv BENCH_BPID :bench_bpid' "\\! sh $f.sh > $f.0" >"$f.pre"
	printf '%s\n' "\\! sh $f.sh > $f.1" >"$f.post"
	psql -X -q -At -v ON_ERROR_STOP=1 -f "$f.pre" "$@" -f "$f.post" >/dev/null
	echo $(($(cat "$f.1") - $(cat "$f.0")))
	rm -f "$f" "$f.sh" "$f.pre" "$f.post" "$f.0" "$f.1"
}

bench_median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_range() {
	printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'
}
