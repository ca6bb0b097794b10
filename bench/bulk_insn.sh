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
# Needs valgrind (callgrind_annotate comes with it).  Not a replacement for
# the ledger part's CPU times: memory and WAL traffic cost more than their
# instruction counts say (docs/benchmarks-ledger.md compares both).
set -u -o pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=${BULK_INSN_ROWS:-50000}

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
	printf '%s\n' "$stmt" |
		valgrind --tool=callgrind -q --callgrind-out-file="$out" \
			--toggle-collect=PortalRun --toggle-collect=CommitTransactionCommand \
			postgres --single -D "$d" postgres >"$WORK/single.log" 2>&1
	if grep -q ERROR "$WORK/single.log"; then
		grep ERROR "$WORK/single.log"
		fail "$kind into $t"
	fi
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
	TOT=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1)
	[ -n "$TOT" ] || TOT=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" | head -1)
	[ -n "$TOT" ] || fail "no instruction count in $out"
	CRYPTO=$(callgrind_annotate --inclusive=no "$out" 2>/dev/null |
		awk '/libcrypto/ { gsub(",", "", $1); s += $1 } END { printf "%.0f", s }')
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
