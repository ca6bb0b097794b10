#!/bin/bash
# Bulk loads counted in instructions: COPY and INSERT ... SELECT of
# BULK_INSN_ROWS rows (default 50,000) into the four tables of the ledger
# part's bulk figures (plain; the "storage floor", a plain table with the
# ledger's three columns filled by DEFAULTs; the "storage and index floor",
# that with the ledger's BRIN index; a ledger), each load run alone in a
# single-user backend (postgres --single, a fresh copy of one cluster, no
# sealer, no client) under valgrind's callgrind, counting the statement and
# its commit (PortalRun and CommitTransactionCommand).  Instructions do not
# move with the machine's load, so these ratios can be compared between
# runs on a shared host where the CPU-time figures of the ledger part
# cannot (docs/benchmarks-ledger.md).
#
# SHA-256 is printed apart: valgrind's CPU has no SHA extensions, so OpenSSL
# runs its portable code there (about 4,300 instructions a hash), where a
# CPU with them (x86 sha_ni, ARMv8 SHA2) spends a small fraction of that.
# The ledger's figure is given without OpenSSL's instructions and with them.
# Then the single-row transactions of the ledger part's pgbench runs, in the
# same way: OLTP_INSN_TX (default 2,000) INSERTs of one row, each its own
# transaction, into the plain table and into a ledger (the statement and its
# commit, as above: the row trigger, and the record and work-list entry
# written at commit), then the ledger's seal() of all of them in one call
# (what the sealer does for them, in the same functions), shared out per
# transaction.  The 8-client synchronous_commit = off target of the ledger
# part is a ratio of throughputs, which also counts locks, WAL, the client
# and the sealer's own process; these are its instruction counts, for a
# shared host where throughputs move with the load.
# Needs valgrind (callgrind_annotate comes with it).  Not a replacement for
# the ledger part's CPU times: memory and WAL traffic cost more than their
# instruction counts say (docs/benchmarks-ledger.md compares both).
set -u -o pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=${BULK_INSN_ROWS:-50000}
OLTP_TX=${OLTP_INSN_TX:-2000}

say() { printf '%s\n' "$*"; }
fail() {
	say "ERROR: $*"
	exit 1
}

command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
	fail "bulk_insn needs valgrind (apt-get install valgrind)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ledger-bench-insn.XXXXXX")
DATA=$WORK/data
trap 'pg_ctl -D "$DATA" -m immediate stop >/dev/null 2>&1; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

initdb -D "$DATA" -A trust -E UTF8 --locale=C.UTF-8 --no-instructions >"$WORK/initdb.log" 2>&1 ||
	{
		cat "$WORK/initdb.log"
		fail "initdb"
	}
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
shared_preload_libraries = 'ledger'
ledger.sealer = off
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
EOF

# the same rows and tables as bench/ledger.sh's bulk loads (bench/lib.sh)
GEN=$(bench_bulk_gen "$ROWS")
COLS=$BENCH_COLS
WIDE=$BENCH_WIDE_COLS
pg_ctl -D "$DATA" -l "$WORK/server.log" -w start >/dev/null || {
	tail -20 "$WORK/server.log"
	fail "server start"
}
psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -d postgres >/dev/null <<SQL || fail "set-up"
CREATE EXTENSION ledger;
CREATE TABLE t_plain ($COLS);
CREATE TABLE t_wide ($WIDE);
CREATE TABLE t_widebrin ($WIDE);
CREATE INDEX ON t_widebrin USING brin (ledger_xact) WITH (pages_per_range = 16);
CREATE TABLE t_ledger ($COLS);
SELECT ledger.create_ledger('t_ledger');
CHECKPOINT;
SQL
psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -d postgres -c "\\copy ($GEN) TO '$WORK/rows.copy'" >/dev/null ||
	fail "rows file"
pg_ctl -D "$DATA" -m fast -w stop >/dev/null || fail "server stop"

# Instructions of a callgrind output file into TOT, OpenSSL's among them
# into CRYPTO.
count_insn() {
	TOT=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -1)
	[ -n "$TOT" ] || TOT=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1" | head -1)
	[ -n "$TOT" ] || fail "no instruction count in $1"
	CRYPTO=$(callgrind_annotate --inclusive=no "$1" 2>/dev/null |
		awk '/libcrypto/ { gsub(",", "", $1); s += $1 } END { printf "%.0f", s }')
}

# Standard input to a single-user backend of data directory D under
# callgrind, counting statements and commits, into output file OUT (more
# callgrind options after these two).
single_cg() {
	local d=$1 out=$2
	shift 2
	valgrind --tool=callgrind -q --callgrind-out-file="$out" \
		--toggle-collect=PortalRun --toggle-collect=CommitTransactionCommand "$@" \
		postgres --single -D "$d" postgres >"$WORK/single.log" 2>&1
	if grep -q ERROR "$WORK/single.log"; then
		grep ERROR "$WORK/single.log"
		return 1
	fi
}

# one query's one value, by a single-user backend of data directory D
single_value() {
	printf '%s\n' "$2" | postgres --single -D "$1" postgres 2>/dev/null |
		sed -n 's/.*v = "\([^"]*\)".*/\1/p'
}

# one TABLE KIND: the load's instructions into TOT and OpenSSL's among them
# into CRYPTO, after checking that the copy of the cluster holds what the
# load should have left (every row; in the ledger every row stamped and
# hashed, by one transaction)
one() {
	local t=$1 kind=$2 d=$WORK/run stmt out chk n expect
	rm -rf "$d"
	cp -a "$DATA" "$d"
	if [ "$kind" = copy ]; then
		stmt="COPY $t (account, amount, memo, at) FROM '$WORK/rows.copy';"
	else
		# (one line: a single-user backend ends a statement at a newline)
		stmt="INSERT INTO $t (account, amount, memo, at) $(printf '%s' "$GEN" | tr '\n' ' ');"
	fi
	out=$WORK/cg.$t.$kind
	printf '%s\n' "$stmt" | single_cg "$d" "$out" || fail "$kind into $t"
	if [ "$t" = t_plain ]; then
		chk="count(*) || '::'"
		expect="$ROWS::"
	else
		chk="count(*) || ':' || count(*) FILTER (WHERE octet_length(ledger_hash) = 32) || ':' || count(DISTINCT ledger_xact)"
		expect="$ROWS:$ROWS:1"
	fi
	n=$(printf '%s\n' "SELECT $chk AS chk FROM $t;" |
		postgres --single -D "$d" postgres 2>/dev/null | sed -n 's/.*chk = "\([0-9:]*\)".*/\1/p')
	[ "$n" = "$expect" ] || fail "$t holds '$n' (rows:hashed:transactions) after $kind, expected $expect"
	count_insn "$out"
	rm -rf "$d" "$out"
}

per() { awk -v a="$1" -v n="$ROWS" 'BEGIN { printf "%.0f", a / n }'; }

say "# bulk_insn: $ROWS rows a load, callgrind instructions of the statement and its commit, single-user backend"
declare -A I C
for kind in copy insert; do
	K=COPY
	[ "$kind" = insert ] && K="INSERT ... SELECT"
	for t in t_plain t_wide t_widebrin t_ledger; do
		one "$t" "$kind"
		I[$t]=$TOT
		C[$t]=$CRYPTO
	done
	P=$(per "${I[t_plain]}")
	F=$(per "${I[t_widebrin]}")
	L=$(per "$((I[t_ledger] - C[t_ledger]))")
	bench_row "$K, instructions a row: storage floor (ledger columns by DEFAULT)" "$(per "${I[t_wide]}")" plain "$P"
	bench_row "$K, instructions a row: storage and index floor (DEFAULTs + BRIN)" "$F" plain "$P"
	bench_row "$K, instructions a row: ledger without OpenSSL" "$L" plain "$P"
	bench_row "$K, instructions a row: ledger without OpenSSL" "$L" "storage and index floor" "$F"
	bench_row "$K, instructions a row: ledger with OpenSSL's portable SHA-256" "$(per "${I[t_ledger]}")" plain "$P"
done

# ---- single-row transactions ----
# OLTP_WARM (default 200) single-row transactions and a seal() warm each
# backend's caches, as a pgbench client's and the sealer's are; OLTP_TX
# single-row INSERTs follow, a line each (a single-user backend runs each
# line as its own transaction), the rows of the ledger part's pgbench
# script, then a seal() of them.  Each part is counted as the difference
# between two runs that end before and after it, each in a fresh copy of
# the cluster (callgrind's --zero-before and --dump-before lose the
# attribution to functions, which OpenSSL's share needs).
OLTP_WARM=${OLTP_INSN_WARM:-200}
oltp_lines() {
	awk -v n="$2" -v t="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "INSERT INTO %s (account, amount, memo, at) VALUES (%d, %d / 100.0, %s || %d, now());\n",
				t, i % 100000 + 1, (i * 7919) % 10000000, "\047payment to \047", i % 100000 + 1
	}'
}
perx() { awk -v a="$1" -v n="$OLTP_TX" 'BEGIN { printf "%.0f", a / n }'; }

# one run: what stdin says, in a fresh copy of the cluster; then CHECK's
# value must be EXPECT; instructions into TOT and CRYPTO
oltp_run() {
	local check=$1 expect=$2 what=$3 d=$WORK/run n
	rm -rf "$d"
	cp -a "$DATA" "$d"
	single_cg "$d" "$WORK/cg.oltp" || fail "$what"
	n=$(single_value "$d" "$check")
	[ "$n" = "$expect" ] || fail "after $what: '$n', expected '$expect'"
	count_insn "$WORK/cg.oltp"
	rm -rf "$d" "$WORK/cg.oltp"
}
PCHK="SELECT count(*) AS v FROM t_plain;"
IN=$WORK/oltp.sql
oltp_lines t_plain "$OLTP_WARM" >"$IN"
oltp_run "$PCHK" "$OLTP_WARM" "$OLTP_WARM single-row inserts into t_plain" <"$IN"
P1=$TOT
oltp_lines t_plain "$((OLTP_WARM + OLTP_TX))" >"$IN"
oltp_run "$PCHK" "$((OLTP_WARM + OLTP_TX))" "$((OLTP_WARM + OLTP_TX)) single-row inserts into t_plain" <"$IN"
P2=$TOT
# the ledger's check: ok, unsealed, transactions, blocks (genesis, warm-up, counted)
LCHK="SELECT (v).ok || ':' || (v).unsealed_transactions || ':' || (v).transactions_checked || ':' || (SELECT count(*) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 't_ledger'::regclass) AS v FROM (SELECT ledger.verify('t_ledger') AS v) s;"
{
	oltp_lines t_ledger "$OLTP_WARM"
	echo "SELECT ledger.seal('t_ledger');"
} >"$IN"
oltp_run "$LCHK" "true:0:$OLTP_WARM:2" "$OLTP_WARM single-row inserts into t_ledger and seal()" <"$IN"
L1=$TOT
L1C=$CRYPTO
oltp_lines t_ledger "$OLTP_TX" >>"$IN"
oltp_run "$LCHK" "true:$OLTP_TX:$((OLTP_WARM + OLTP_TX)):2" "then $OLTP_TX more" <"$IN"
L2=$TOT
L2C=$CRYPTO
echo "SELECT ledger.seal('t_ledger');" >>"$IN"
oltp_run "$LCHK" "true:0:$((OLTP_WARM + OLTP_TX)):3" "then seal()" <"$IN"
L3=$TOT
L3C=$CRYPTO

say "# single-row transactions: $OLTP_TX after $OLTP_WARM and a seal() to warm up, callgrind instructions of each statement and its commit, then of seal() of them, single-user backend"
OPP=$(perx "$((P2 - P1))")
W=$((L2 - L2C - L1 + L1C))
S=$((L3 - L3C - L2 + L2C))
bench_row "single-row transaction, instructions: ledger writer without OpenSSL" "$(perx "$W")" plain "$OPP"
bench_row "single-row transaction, instructions: ledger writer and its sealing without OpenSSL" "$(perx "$((W + S))")" plain "$OPP"
bench_row "single-row transaction, instructions: ledger writer and its sealing with OpenSSL's portable SHA-256" "$(perx "$((L3 - L1))")" plain "$OPP"
