#!/bin/bash
# bench/ledger.sh: ledger tables against a plain table, against the storage
# and index a ledger needs without its work, against the PL/pgSQL +
# pgcrypto chain users write today (bench/chain_plpgsql.sql), and against
# OpenSSL's SHA-256 rate.
#
# Run by bench/run.sh, which starts a throwaway cluster
# (shared_preload_libraries=ledger, wal_level=logical) and exports PGHOST,
# PGPORT, PGUSER (a superuser), PGDATABASE and PATH.  The server must run on
# this machine, as the same OS user: CPU times are read from /proc.  This
# script creates the extensions and tables it uses and drops them again.
#
# Figures, each printed beside its baseline from the same run as
#   figure | value | baseline | value | ratio
#  1. pgbench single-row INSERT transactions: 1 client and 8 clients with
#     synchronous_commit on, 8 clients with it off (fsync no longer hides
#     the CPU); plain, ledger and (with commit on) the PL/pgSQL chain.  Also
#     the server CPU per transaction, all processes of the cluster (sealer,
#     WAL writer, autovacuum included).
#                         Target (#13): ledger / plain >= 0.85 at 8 clients,
#                         commit on and off.
#  2. INSERT ... SELECT and COPY of BENCH_ROWS rows, one transaction each,
#     into: a plain table; the same with the ledger's three columns filled by
#     DEFAULTs ("storage floor"); that with the ledger's BRIN index too
#     ("storage and index floor"); a ledger.  Backend CPU (the verdict) and
#     wall time to commit (and, for the ledger, until sealed).
#                         Target (#13): ledger <= 1.5 x plain, both.
#  3. ledger.verify in rows per backend CPU-second, beside "openssl speed
#     sha256" 64-byte hashes per CPU-second (run before and after):
#     a. the bulk ledger (one transaction of BENCH_ROWS rows);
#     b. an OLTP-shaped ledger: BENCH_OLTP_TX single-row transactions
#        written by 8 clients;
#     c. the same ledger again after another ledger of BENCH_OTHER_TX
#        single-row transactions was written to the same database;
#     d. independence measured interleaved: a second database holds an
#        OLTP ledger written the same way and nothing else, and the verify
#        runs alternate between it and the ledger of c, so that both sides
#        of the ratio share the machine's state (b and c are minutes
#        apart, and traded places from run to run).
#     Each OLTP ledger is sealed and vacuumed (with ledger.transactions and
#     ledger.blocks) after it is written, so that no autovacuum of 200,000
#     fresh rows shares the cores with the verify runs.
#                         Targets (#13): b >= 1,000,000 rows per CPU-second;
#                         cost with the other ledger / without within
#                         1.10 (d, the verdict; c / b printed beside it).
#  4. Commit-to-sealed latency (sealed_at - committed_at) under a 2-client
#     pgbench load with the background sealer.  Target (#2): p95 <= 1 s.
#     4b. The same load spread over BENCH_MANY_LEDGERS ledgers of one
#     database, beside one of them alone: tps, p50, p95 (p95 <= 1 s too).
# Then correctness checks and one verdict line per target.  The median of
# BENCH_VERIFY_RUNS verify runs is printed with the range.
#
# Settings (environment):
#   BENCH_SECONDS      pgbench duration per configuration  (default 15)
#   BENCH_ROUNDS       interleaved rounds it is split into (default 3)
#   BENCH_ROWS         rows of the bulk loads              (default 1000000)
#   BENCH_OLTP_TX      transactions of the OLTP ledger     (default 200000)
#   BENCH_OTHER_TX     transactions of the other ledger    (default 1000000)
#   BENCH_VERIFY_RUNS  verify runs per figure              (default 3)
#   BENCH_INDEP_RUNS   interleaved pairs of verify runs of 3d (default 5)
#   BENCH_LAT_SECONDS  duration of the latency load        (default 15)
#   BENCH_LAT_CLIENTS  clients of the latency load         (default 2)
#   BENCH_MANY_LEDGERS ledgers of the spread latency load  (default 300)
#   BENCH_PERF         if "1" and perf works, profile the
#                      ledger's 1-client backend and the
#                      8-client cluster; print top symbols (default 0)
#   BENCH_SHORT        if "1", small sizes for development:
#                      3 s runs, 100,000 bulk rows, 20,000 OLTP and
#                      100,000 other transactions
#   LEDGER_BENCH_PARTS="ledger" (bench/run.sh) runs only this part.

set -u -o pipefail

if [ "${BENCH_SHORT:-0}" = 1 ]; then
    : "${BENCH_SECONDS:=3}" "${BENCH_ROWS:=100000}" "${BENCH_LAT_SECONDS:=5}"
    : "${BENCH_OLTP_TX:=20000}" "${BENCH_OTHER_TX:=100000}"
fi
SECS=${BENCH_SECONDS:-15}
ROWS=${BENCH_ROWS:-1000000}
OLTP_TX=${BENCH_OLTP_TX:-200000}
OTHER_TX=${BENCH_OTHER_TX:-1000000}
VRUNS=${BENCH_VERIFY_RUNS:-3}
IRUNS=${BENCH_INDEP_RUNS:-5}
LAT_SECS=${BENCH_LAT_SECONDS:-15}
LAT_CLIENTS=${BENCH_LAT_CLIENTS:-2}
MANY=${BENCH_MANY_LEDGERS:-300}
PERF=${BENCH_PERF:-0}

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
WORK=$(mktemp -d /tmp/ledger-bench.XXXXXX)
chmod 755 "$WORK"
FAILS=0
CREATED_LEDGER_EXT=0
CREATED_PGCRYPTO=0

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
q() { "${PSQL[@]}" -c "$1"; }

say()  { printf '%s\n' "$*"; }
line() { printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
now()  { date +%s.%N; }
# ratio a b -> a/b with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }
sub()   { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
# secs NS -> seconds with 3 decimals
secs()  { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
# per_cpu_s COUNT NS -> COUNT per CPU-second
per_cpu_s() { awk -v c="$1" -v n="$2" 'BEGIN { if (n + 0 == 0) print 0; else printf "%.0f", c * 1e9 / n }'; }
fail()  { say "ERROR: $*"; FAILS=$((FAILS + 1)); }

TABLES="bench_plain bench_ledger bench_chain bulk_ins_plain bulk_ins_ledger bulk_copy_plain bulk_copy_ledger bulk_ins_wide bulk_copy_wide bulk_ins_widebrin bulk_copy_widebrin bench_oltp bench_other bench_lat"

drop_all() {
    local t
    for t in $TABLES; do
        q "SELECT ledger.drop_ledger('$t'::regclass)
             FROM ledger.ledgers WHERE relation = to_regclass('$t')" >/dev/null 2>&1
        q "DROP TABLE IF EXISTS $t" >/dev/null 2>&1
    done
    q "DROP TABLE IF EXISTS bench_chain_head; DROP FUNCTION IF EXISTS bench_chain_trigger()" >/dev/null 2>&1
    for t in $(q "SELECT relation::text FROM ledger.ledgers WHERE relation::text LIKE 'bench_many_%'" 2>/dev/null); do
        q "SELECT ledger.drop_ledger('$t'::regclass)" >/dev/null 2>&1
        q "DROP TABLE IF EXISTS $t" >/dev/null 2>&1
    done
    q "DROP FUNCTION IF EXISTS bench_many_ins(int, int, int)" >/dev/null 2>&1
}

cleanup() {
    drop_all
    [ "$CREATED_PGCRYPTO" = 1 ] && q "DROP EXTENSION IF EXISTS pgcrypto" >/dev/null 2>&1
    [ "$CREATED_LEDGER_EXT" = 1 ] && q "DROP EXTENSION IF EXISTS ledger CASCADE" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# CPU time of every process of the cluster, in ns: the postmaster with its
# reaped children (cutime, cstime) and its live children (the server runs
# as this OS user on this machine).  A child that exits between two
# readings moves from the second term to the first, so differences count
# it once.
HZ=$(getconf CLK_TCK)
PM_PID=
cluster_cpu_ns() {
    local p ticks
    if [ -z "$PM_PID" ]; then
        p=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
        PM_PID=$(sed 's/^[0-9]* (.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $2 }')
    fi
    [ -r "/proc/$PM_PID/stat" ] || { echo 0; return; }
    # fields after "pid (comm) ": 2 ppid, 12 utime, 13 stime, 14 cutime, 15 cstime
    ticks=$(cat /proc/[0-9]*/stat 2>/dev/null | sed 's/^[0-9]* (.*) //' |
        awk -v pm="$PM_PID" -v me="$(sed 's/^[0-9]* (.*) //' "/proc/$PM_PID/stat" | awk '{ print $12 + $13 + $14 + $15 }')" \
            '$2 == pm { s += $12 + $13 } END { print s + me }')
    awk -v t="$ticks" -v hz="$HZ" 'BEGIN { printf "%.0f", t * 1e9 / hz }'
}

# openssl speed sha256, 64-byte inputs: hashes per CPU-second (openssl
# counts user CPU time unless given -elapsed)
ossl_sha256() {
    local k
    k=$(openssl speed -seconds 3 -bytes 64 sha256 2>/dev/null | awk '$1 == "sha256" { v = $NF; sub(/k$/, "", v); print v }' | tail -1)
    [ -n "$k" ] || k=$(openssl speed -seconds 3 -bytes 64 -evp sha256 2>/dev/null | awk '$1 ~ /sha256/ { v = $NF; sub(/k$/, "", v); print v }' | tail -1)
    awk -v k="${k:-0}" 'BEGIN { printf "%.0f", k * 1000 / 64 }'
}

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------
say "== ledger benchmark =="
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "server: $(q 'SHOW server_version'); shared_buffers=$(q 'SHOW shared_buffers'), max_wal_size=$(q 'SHOW max_wal_size'), wal_level=$(q 'SHOW wal_level'), synchronous_commit=$(q 'SHOW synchronous_commit'), fsync=$(q 'SHOW fsync')"
DB=$(q "SELECT current_database()")
say "settings: BENCH_SECONDS=$SECS BENCH_ROWS=$ROWS BENCH_OLTP_TX=$OLTP_TX BENCH_OTHER_TX=$OTHER_TX BENCH_VERIFY_RUNS=$VRUNS BENCH_INDEP_RUNS=$IRUNS BENCH_LAT_SECONDS=$LAT_SECS BENCH_LAT_CLIENTS=$LAT_CLIENTS BENCH_MANY_LEDGERS=$MANY"

if [ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'")" = 0 ]; then
    q "CREATE EXTENSION ledger" || { say "ERROR: cannot create extension ledger"; exit 1; }
    CREATED_LEDGER_EXT=1
fi
if [ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'")" = 0 ]; then
    q "CREATE EXTENSION pgcrypto" || { say "ERROR: cannot create extension pgcrypto"; exit 1; }
    CREATED_PGCRYPTO=1
fi
say "ledger.seal_interval=$(q 'SHOW ledger.seal_interval'), ledger.block_max_transactions=$(q 'SHOW ledger.block_max_transactions'), ledger.sealer=$(q 'SHOW ledger.sealer')"
[ "$(cluster_cpu_ns)" != 0 ] || say "warning: cannot read the cluster's CPU times from /proc (server not local, or another OS user)"
drop_all

COLS=$BENCH_COLS
q "CREATE TABLE bench_plain ($COLS)" || exit 1
q "CREATE TABLE bench_ledger ($COLS); SELECT ledger.create_ledger('bench_ledger')" >/dev/null || exit 1
"${PSQL[@]}" -f "$HERE/chain_plpgsql.sql" >/dev/null || exit 1

ledger_id() { q "SELECT ledger_id FROM ledger.ledgers WHERE relation = '$1'::regclass"; }

# One pgbench script per table: with -M prepared, a table name cannot be a
# variable.
for t in bench_plain bench_ledger bench_chain bench_oltp bench_other bench_lat; do
    cat > "$WORK/$t.pgb" <<EOF
\set account random(1, 100000)
\set cents random(1, 10000000)
INSERT INTO $t (account, amount, memo, at) VALUES (:account, :cents / 100.0, 'payment to ' || :account, now());
EOF
done

# pgbench_run table clients seconds sync [round] -> TPS, XACTS, WAL, CPU
# (cluster CPU ns); output in $WORK/pgb.<table>.<clients>.<sync>.<round>
pgbench_run() {
    local t=$1 c=$2 s=$3 sync=$4 out="$WORK/pgb.$1.$2.$4.${5:-0}" lsn0 rc tps xacts failed c0 c1
    q "CHECKPOINT" >/dev/null
    lsn0=$(q "SELECT pg_current_wal_lsn()")
    c0=$(cluster_cpu_ns)
    PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -c "$c" -j "$c" -T "$s" -f "$WORK/$t.pgb" >"$out" 2>&1
    rc=$?
    sleep 0.5   # its backends exit and are reaped
    c1=$(cluster_cpu_ns)
    CPU=$((c1 - c0))
    WAL=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out")
    xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
    PGB_OK=1
    if [ $rc -ne 0 ] || [ -z "$tps" ] || [ "${failed:-0}" != 0 ] || grep -qiE 'error|aborted' "$out"; then
        PGB_OK=0
        fail "pgbench $t, $c clients, synchronous_commit=$sync (exit $rc):"
        sed 's/^/    /' "$out" | head -20
    fi
    TPS=${tps:-0}; XACTS=${xacts:-0}
}

# perf_bg label seconds pid,pid,... : profile in the background (BENCH_PERF=1)
perf_bg() {
    ( perf record -q -g -o "$WORK/perf.$1.data" -p "$3" -- sleep "$2" >/dev/null 2>&1 ) 2>/dev/null &
    PERF_JOBS="${PERF_JOBS:-} $!"
}
perf_show() {   # label title
    [ -s "$WORK/perf.$1.data" ] || return 0
    say ""
    say "-- profile: $2 (perf, self time by library and symbol, top 25) --"
    perf report -i "$WORK/perf.$1.data" --no-children --stdio --sort dso,symbol -g none 2>/dev/null \
        | grep -E '^ +[0-9.]+%' | head -25
    say "-- profile: $2 (perf, self time by library) --"
    perf report -i "$WORK/perf.$1.data" --no-children --stdio --sort dso -g none 2>/dev/null \
        | grep -E '^ +[0-9.]+%' | head -8
    say "-- profile: $2 (perf, including callees; selected) --"
    perf report -i "$WORK/perf.$1.data" --children --stdio --sort symbol -g none 2>/dev/null \
        | grep -E '^ +[0-9.]+%' \
        | grep -E ' (ledger_[a-z_]+|canon_[a-z_]+|merkle_[a-z_]+|crypto_[a-z0-9_]+|seal[a-z_]*|ExecBRInsertTriggers|ExecInsert|heap_insert|XLogInsert|XLogFlush|CommitTransaction|CommitTransactionCommand|CatalogTupleInsert|heap_modify_tuple_by_cols|SPI_execute[a-z_]*|ProcessUtility|exec_execute_message|PortalRun) ' | head -30
}
CAN_PERF=0
if [ "$PERF" = 1 ] && command -v perf >/dev/null && perf record -q -o "$WORK/perf.test" -- true >/dev/null 2>&1; then
    CAN_PERF=1
fi

# ---------------------------------------------------------------------------
# 1. pgbench single-row INSERT transactions
# ---------------------------------------------------------------------------
# The -T budget of each configuration is split into ROUNDS interleaved runs
# (plain, ledger, chain, plain, ...), so that drift in a shared machine's
# disk and CPU falls on all alike; tps = transactions / seconds summed over
# the rounds, CPU per transaction = cluster CPU / transactions likewise.
ROUNDS=${BENCH_ROUNDS:-3}
RSECS=$(( SECS / ROUNDS )); [ "$RSECS" -ge 1 ] || RSECS=1
say ""
say "-- 1. pgbench single-row INSERT transactions, -M prepared, ${SECS}s per configuration in $ROUNDS interleaved rounds of ${RSECS}s --"
declare -A X W T C R
LEDGER_ROWS_EXPECTED=0
LEDGER8_OK=1
for cfg in 1:on 8:on 8:off; do
    c=${cfg%:*}; sync=${cfg#*:}
    tables="bench_plain bench_ledger bench_chain"
    [ "$sync" = off ] && tables="bench_plain bench_ledger"
    for t in $tables; do X[$t]=0; W[$t]=0; C[$t]=0; done
    for r in $(seq 1 "$ROUNDS"); do
        for t in $tables; do
            if [ "$CAN_PERF" = 1 ] && [ "$t" = bench_ledger ] && [ "$r" = 1 ] && [ "$sync" = on ]; then
                ( sleep 1
                  if [ "$c" = 1 ]; then
                      pids=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'")
                  else   # every backend and worker of the cluster: includes the sealer
                      pids=$(q "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE pid <> pg_backend_pid()")
                  fi
                  [ -n "$pids" ] && perf_bg "ledger$c" $((RSECS > 3 ? RSECS - 2 : 1)) "$pids"
                  wait ) &
                PERF_JOBS="${PERF_JOBS:-} $!"
            fi
            pgbench_run "$t" "$c" "$RSECS" "$sync" "$r"
            X[$t]=$(( ${X[$t]} + XACTS )); W[$t]=$(( ${W[$t]} + WAL )); C[$t]=$(( ${C[$t]} + CPU ))
            [ "$t" = bench_ledger ] && LEDGER_ROWS_EXPECTED=$((LEDGER_ROWS_EXPECTED + XACTS))
            [ "$t" = bench_ledger ] && [ "$c" = 8 ] && [ "$PGB_OK" = 0 ] && LEDGER8_OK=0
        done
    done
    for t in $tables; do
        T[$t]=$(awk -v x="${X[$t]}" -v s=$((RSECS * ROUNDS)) 'BEGIN { printf "%.1f", x / s }')
    done
    tag="$c client(s), synchronous_commit=$sync"
    R[$cfg]=$(ratio "${T[bench_ledger]}" "${T[bench_plain]}")
    line "insert tps, $tag: ledger" "${T[bench_ledger]}" "plain" "${T[bench_plain]}" "${R[$cfg]}"
    if [ "$sync" = on ]; then
        line "insert tps, $tag: plpgsql chain" "${T[bench_chain]}" "plain" "${T[bench_plain]}" "$(ratio "${T[bench_chain]}" "${T[bench_plain]}")"
        line "insert tps, $tag: ledger" "${T[bench_ledger]}" "plpgsql chain" "${T[bench_chain]}" "$(ratio "${T[bench_ledger]}" "${T[bench_chain]}")"
    fi
    wl=$(awk -v w="${W[bench_ledger]}" -v x="${X[bench_ledger]}" 'BEGIN { printf "%.0f", x ? w / x : 0 }')
    wp=$(awk -v w="${W[bench_plain]}" -v x="${X[bench_plain]}" 'BEGIN { printf "%.0f", x ? w / x : 0 }')
    line "WAL bytes per insert transaction, $tag: ledger (incl. sealer)" "$wl" "plain" "$wp" "$(ratio "$wl" "$wp")"
    cl=$(awk -v c="${C[bench_ledger]}" -v x="${X[bench_ledger]}" 'BEGIN { printf "%.1f", x ? c / x / 1000 : 0 }')
    cp=$(awk -v c="${C[bench_plain]}" -v x="${X[bench_plain]}" 'BEGIN { printf "%.1f", x ? c / x / 1000 : 0 }')
    line "server CPU us per insert transaction, $tag: ledger (incl. sealer)" "$cl" "plain" "$cp" "$(ratio "$cl" "$cp")"
done

# Correctness after the pgbench runs: everything sealed, verify ok, exact count.
q "SELECT ledger.seal('bench_ledger')" >/dev/null
LCOUNT=$(q "SELECT count(*) FROM bench_ledger")
VER=$(q "SELECT ok, rows_checked, transactions_checked, blocks_checked, unsealed_transactions, coalesce(problem, '') FROM ledger.verify('bench_ledger')")
IFS='|' read -r V_OK V_ROWS V_TX V_BLK V_UNS V_PROB <<<"$VER"
line "verify after pgbench: ok=$V_OK, rows_checked" "$V_ROWS" "rows committed by pgbench" "$LEDGER_ROWS_EXPECTED" "$(ratio "$V_ROWS" "$LEDGER_ROWS_EXPECTED")"
say "  (count(*)=$LCOUNT, transactions_checked=$V_TX, blocks_checked=$V_BLK, unsealed=$V_UNS${V_PROB:+, problem: $V_PROB})"
VERIFY_OK=0
if [ "$V_OK" = t ] && [ "$V_ROWS" = "$LEDGER_ROWS_EXPECTED" ] && [ "$LCOUNT" = "$LEDGER_ROWS_EXPECTED" ] && [ "${LEDGER8_OK:-0}" = 1 ]; then
    VERIFY_OK=1
else
    fail "ledger after pgbench: verify ok=$V_OK rows_checked=$V_ROWS count=$LCOUNT expected=$LEDGER_ROWS_EXPECTED 8-client runs ok=${LEDGER8_OK:-0}"
fi

if [ -n "${PERF_JOBS:-}" ]; then
    wait $PERF_JOBS 2>/dev/null
    perf_show ledger1 "1-client ledger run, its backend"
    perf_show ledger8 "8-client ledger run, all backends and workers"
fi

# ---------------------------------------------------------------------------
# 2. Bulk loads
# ---------------------------------------------------------------------------
say ""
say "-- 2. bulk loads of $ROWS rows, one transaction each: backend CPU, and wall time including commit --"
GEN=$(bench_bulk_gen "$ROWS")
"${PSQL[@]}" -c "\\copy ($GEN) TO '$WORK/rows.copy'" || exit 1
# "wide": a plain table with the ledger's three columns, filled by DEFAULTs
# of the same sizes (nothing parsed from the input): the storage a ledger
# row needs, without any of its work.  "widebrin": that with the BRIN index
# every ledger has (proofs find a transaction's rows through it).  Together
# the floor under any design that keeps the hash in the row.
WIDE_COLS=$BENCH_WIDE_COLS
for k in ins copy; do
    q "CREATE TABLE bulk_${k}_plain ($COLS); CREATE TABLE bulk_${k}_wide ($WIDE_COLS);
       CREATE TABLE bulk_${k}_widebrin ($WIDE_COLS);
       CREATE INDEX ON bulk_${k}_widebrin USING brin (ledger_xact) WITH (pages_per_range = 16);
       CREATE TABLE bulk_${k}_ledger ($COLS); SELECT ledger.create_ledger('bulk_${k}_ledger')" >/dev/null || exit 1
done

# wait_sealed table -> prints epoch of the newest sealed_at once the sealer's
# list holds nothing of the ledger
wait_sealed() {
    local id i n
    id=$(ledger_id "$1")
    for i in $(seq 1 3000); do
        n=$(q "SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = $id")
        [ "$n" = 0 ] && break
        sleep 0.01
    done
    [ "$n" = 0 ] || { fail "$1: $n transactions still unsealed after 30 s"; echo 0; return; }
    q "SELECT extract(epoch FROM max(sealed_at)) FROM ledger.blocks WHERE ledger_id = $id"
}

# bulk kind table -> DT (wall seconds), BCPU (backend CPU seconds), WAL,
# SEALED (seconds from start until sealed, ledger only)
bulk() {
    local kind=$1 t=$2 t0 t1 ns lsn0
    q "CHECKPOINT" >/dev/null
    lsn0=$(q "SELECT pg_current_wal_lsn()")
    t0=$(now)
    if [ "$kind" = insert ]; then
        ns=$(bench_cpu_ns_of -c "INSERT INTO $t (account, amount, memo, at) $GEN") || fail "INSERT ... SELECT into $t"
    else
        ns=$(bench_cpu_ns_of -c "\\copy $t (account, amount, memo, at) FROM '$WORK/rows.copy'") || fail "COPY into $t"
    fi
    t1=$(now)
    DT=$(sub "$t1" "$t0")
    BCPU=$(secs "${ns:-0}")
    WAL=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
    SEALED=
    case $t in *ledger) SEALED=$(sub "$(wait_sealed "$t")" "$t0") ;; esac
}

declare -A B BC S BW
for kind in insert copy; do
    k=${kind/insert/ins}
    for v in plain wide widebrin ledger; do
        bulk "$kind" "bulk_${k}_$v"
        B[$kind.$v]=$DT; BC[$kind.$v]=$BCPU; BW[$kind.$v]=$WAL
        [ "$v" = ledger ] && S[$kind]=$SEALED
        n=$(q "SELECT count(*) FROM bulk_${k}_$v")
        [ "$n" = "$ROWS" ] || fail "bulk_${k}_$v holds $n rows, expected $ROWS"
    done
done
for kind in insert copy; do
    K="INSERT ... SELECT"; [ "$kind" = copy ] && K=COPY
    line "$K $ROWS rows, backend CPU (s): ledger" "${BC[$kind.ledger]}" "plain" "${BC[$kind.plain]}" "$(ratio "${BC[$kind.ledger]}" "${BC[$kind.plain]}")"
    line "$K $ROWS rows, wall to commit (s): ledger" "${B[$kind.ledger]}" "plain" "${B[$kind.plain]}" "$(ratio "${B[$kind.ledger]}" "${B[$kind.plain]}")"
    line "$K $ROWS rows, wall to sealed (s): ledger" "${S[$kind]}" "plain" "${B[$kind.plain]}" "$(ratio "${S[$kind]}" "${B[$kind.plain]}")"
    line "$K $ROWS rows, backend CPU (s): storage floor (ledger columns by DEFAULT)" "${BC[$kind.wide]}" "plain" "${BC[$kind.plain]}" "$(ratio "${BC[$kind.wide]}" "${BC[$kind.plain]}")"
    line "$K $ROWS rows, backend CPU (s): storage and index floor (DEFAULTs + BRIN)" "${BC[$kind.widebrin]}" "plain" "${BC[$kind.plain]}" "$(ratio "${BC[$kind.widebrin]}" "${BC[$kind.plain]}")"
    line "$K $ROWS rows, backend CPU (s): ledger" "${BC[$kind.ledger]}" "storage and index floor" "${BC[$kind.widebrin]}" "$(ratio "${BC[$kind.ledger]}" "${BC[$kind.widebrin]}")"
    line "$K $ROWS rows, wall to commit (s): storage and index floor" "${B[$kind.widebrin]}" "plain" "${B[$kind.plain]}" "$(ratio "${B[$kind.widebrin]}" "${B[$kind.plain]}")"
    line "WAL MB of $K: ledger" "$((BW[$kind.ledger] / 1048576))" "plain" "$((BW[$kind.plain] / 1048576))" "$(ratio "${BW[$kind.ledger]}" "${BW[$kind.plain]}")"
done
# the COPY ledger is checked here (the INSERT ... SELECT one by the verify
# runs of 3): sealed, verifying, every row
VC=$(q "SELECT ok || '|' || rows_checked || '|' || coalesce(problem, '') FROM ledger.verify('bulk_copy_ledger')")
[ "$VC" = "true|$ROWS|" ] || fail "bulk_copy_ledger: verify gave $VC (expected true|$ROWS|)"
R_INS=$(ratio "${BC[insert.ledger]}" "${BC[insert.plain]}")
R_COPY=$(ratio "${BC[copy.ledger]}" "${BC[copy.plain]}")
R_INS_W=$(ratio "${B[insert.ledger]}" "${B[insert.plain]}")
R_COPY_W=$(ratio "${B[copy.ledger]}" "${B[copy.plain]}")
say "  (table sizes: plain $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_plain'))"), plain with the ledger's columns $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_wide'))"), ledger $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_ledger'))"))"

# ---------------------------------------------------------------------------
# 3. Verify rate
# ---------------------------------------------------------------------------
# verify_one DB TABLE ROWS -> V1 (rows per backend CPU-second of one verify
# run; a global, not printed, so that a failure counts in this shell)
verify_one() {
    local out="$WORK/verify1.$1.$2" ns
    ns=$(bench_cpu_ns_of -d "$1" -c "\\o $out" -c "SELECT ok, rows_checked FROM ledger.verify('$2')")
    [ "$(cat "$out")" = "t|$3" ] || fail "verify $1.$2: $(cat "$out") (expected t|$3)"
    V1=$(per_cpu_s "$3" "$ns")
}

# verify_cpu table expected-rows -> VMED (median rows per backend
# CPU-second), VRANGE, VWALL (rows per wall second, the median run's)
verify_cpu() {
    local t=$1 n=$2 i t0 t1 rates=() walls=()
    q "SELECT count(*) FROM $t" >/dev/null   # warm the cache
    for i in $(seq 1 "$VRUNS"); do
        t0=$(now)
        verify_one "$DB" "$t" "$n"
        t1=$(now)
        rates+=("$V1")
        walls+=("$(awk -v r="$n" -v d="$(sub "$t1" "$t0")" 'BEGIN { printf "%.0f", r / d }')")
    done
    VMED=$(bench_median "${rates[@]}")
    VRANGE=$(bench_range "${rates[@]}")
    VWALL=$(bench_median "${walls[@]}")
}

say ""
say "-- 3. ledger.verify, one backend, warm cache: rows per backend CPU-second (median of $VRUNS, range), beside openssl speed sha256 per CPU-second --"
HPS0=$(ossl_sha256)
verify_cpu bulk_ins_ledger "$ROWS"
B_MED=$VMED; B_RANGE=$VRANGE; B_WALL=$VWALL

# the OLTP shape: single-row transactions from 8 clients
q "CREATE TABLE bench_oltp ($COLS); SELECT ledger.create_ledger('bench_oltp');
   CREATE TABLE bench_other ($COLS); SELECT ledger.create_ledger('bench_other')" >/dev/null || exit 1
oltp_write() {   # table transactions [database]
    local db=${3:-$DB}
    PGDATABASE=$db PGOPTIONS="-c synchronous_commit=off" pgbench -n -M prepared -c 8 -j 8 -t $(($2 / 8)) -f "$WORK/$1.pgb" >"$WORK/pgb.$1" 2>&1 ||
        { fail "pgbench $1:"; sed 's/^/    /' "$WORK/pgb.$1" | head -20; }
    "${PSQL[@]}" -d "$db" -c "SELECT ledger.seal('$1')" >/dev/null
    # what a settled database looks like, and no autovacuum of these tables
    # sharing the cores with the verify runs timed next
    "${PSQL[@]}" -d "$db" -c "VACUUM (ANALYZE) $1" -c "VACUUM (ANALYZE) ledger.transactions" \
        -c "VACUUM (ANALYZE) ledger.blocks" >/dev/null
}
OLTP_N=$(( OLTP_TX / 8 * 8 )); OTHER_N=$(( OTHER_TX / 8 * 8 ))
oltp_write bench_oltp "$OLTP_N"
verify_cpu bench_oltp "$OLTP_N"
O_MED=$VMED; O_RANGE=$VRANGE; O_WALL=$VWALL
oltp_write bench_other "$OTHER_N"
verify_cpu bench_oltp "$OLTP_N"
O2_MED=$VMED; O2_RANGE=$VRANGE; O2_WALL=$VWALL
# d. interleaved: the same OLTP shape alone in a database of its own
IDB="${DB}_indep"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $IDB" >/dev/null
q "CREATE DATABASE $IDB" >/dev/null
"${PSQL[@]}" -d "$IDB" -c "SET client_min_messages = warning" -c "CREATE EXTENSION ledger" \
    -c "CREATE TABLE bench_oltp ($COLS)" -c "SELECT ledger.create_ledger('bench_oltp')" >/dev/null ||
    fail "cannot set up database $IDB"
oltp_write bench_oltp "$OLTP_N" "$IDB"
"${PSQL[@]}" -d "$IDB" -c "SELECT count(*) FROM bench_oltp" >/dev/null   # warm the cache
I_WITH=(); I_WITHOUT=()
for i in $(seq 1 "$IRUNS"); do
    verify_one "$IDB" bench_oltp "$OLTP_N"; I_WITHOUT+=("$V1")
    verify_one "$DB" bench_oltp "$OLTP_N"; I_WITH+=("$V1")
done
I_WITH_MED=$(bench_median "${I_WITH[@]}"); I_WITHOUT_MED=$(bench_median "${I_WITHOUT[@]}")
I_WITH_RANGE=$(bench_range "${I_WITH[@]}"); I_WITHOUT_RANGE=$(bench_range "${I_WITHOUT[@]}")
q "DROP DATABASE $IDB" >/dev/null
HPS1=$(ossl_sha256)
HPS=$(( (HPS0 + HPS1) / 2 ))
say "  (openssl speed sha256 64-byte hashes per CPU-second: $HPS0 before, $HPS1 after; the mean is the baseline)"
line "verify rows per CPU-second, one transaction of $ROWS rows (range $B_RANGE; wall $B_WALL rows/s)" "$B_MED" "openssl sha256 64-byte hashes per CPU-second" "$HPS" "$(ratio "$B_MED" "$HPS")"
line "verify rows per CPU-second, $OLTP_N single-row transactions of 8 clients (range $O_RANGE; wall $O_WALL rows/s)" "$O_MED" "openssl sha256 64-byte hashes per CPU-second" "$HPS" "$(ratio "$O_MED" "$HPS")"
line "verify rows per CPU-second, the same with another ledger of $OTHER_N transactions (range $O2_RANGE; wall $O2_WALL rows/s)" "$O2_MED" "the same without it, minutes before" "$O_MED" "$(ratio "$O2_MED" "$O_MED")"
line "verify rows per CPU-second, interleaved: with another ledger of $OTHER_N transactions (range $I_WITH_RANGE)" "$I_WITH_MED" "alone in a database of its own (range $I_WITHOUT_RANGE)" "$I_WITHOUT_MED" "$(ratio "$I_WITH_MED" "$I_WITHOUT_MED")"
say "  (transaction records in the database: $(q "SELECT count(*) FROM ledger.transactions"))"
R_INDEP=$(ratio "$I_WITHOUT_MED" "$I_WITH_MED")   # cost with / cost without, interleaved

# ---------------------------------------------------------------------------
# 4. Commit-to-sealed latency
# ---------------------------------------------------------------------------
say ""
say "-- 4. commit-to-sealed latency, $LAT_CLIENTS-client pgbench load for ${LAT_SECS}s, background sealer --"
q "CREATE TABLE bench_lat ($COLS); SELECT ledger.create_ledger('bench_lat')" >/dev/null || exit 1
LID=$(ledger_id bench_lat)
pgbench_run bench_lat "$LAT_CLIENTS" "$LAT_SECS" on
LAT_TPS=$TPS; LAT_X=$XACTS
wait_sealed bench_lat >/dev/null
LAT=$(q "SELECT count(*),
                round(1000 * percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * max(extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                count(DISTINCT t.block_no)
           FROM ledger.transaction_blocks t JOIN ledger.blocks b USING (ledger_id, block_no)
          WHERE t.ledger_id = $LID")
IFS='|' read -r L_N L_P50 L_P95 L_P99 L_MAX L_BLK <<<"$LAT"
SEAL_MS=$(q "SELECT setting FROM pg_settings WHERE name = 'ledger.seal_interval'")
say "  ($L_N transactions at $LAT_TPS tps in $L_BLK blocks; seal_interval ${SEAL_MS} ms)"
line "commit-to-sealed p50 (ms)" "$L_P50" "seal_interval (ms)" "$SEAL_MS" "$(ratio "$L_P50" "$SEAL_MS")"
line "commit-to-sealed p95 (ms)" "$L_P95" "target (ms)" "1000" "$(ratio "$L_P95" 1000)"
line "commit-to-sealed p99 (ms)" "$L_P99" "target (ms)" "1000" "$(ratio "$L_P99" 1000)"
line "commit-to-sealed max (ms)" "$L_MAX" "target (ms)" "1000" "$(ratio "$L_MAX" 1000)"
[ "$L_N" = "$LAT_X" ] || fail "latency ledger: $L_N sealed transactions, pgbench committed $LAT_X"

# 4b. the same load spread over many ledgers of one database (a ledger per
# book or desk): each pass of the sealer seals every ledger with work.  The
# rows go through a PL/pgSQL function choosing the table (pgbench cannot),
# and the baseline is the same function writing to one of them.
say ""
say "-- 4b. commit-to-sealed latency, the same load over $MANY ledgers of one database, beside one of them alone --"
q "DO \$\$ BEGIN FOR i IN 1..$MANY LOOP
     EXECUTE pg_catalog.format('CREATE TABLE bench_many_%s ($COLS)', i);
     PERFORM ledger.create_ledger(pg_catalog.format('bench_many_%s', i)::regclass);
   END LOOP; END \$\$;
   CREATE FUNCTION bench_many_ins(n int, account int, cents int) RETURNS void LANGUAGE plpgsql AS \$\$
   BEGIN EXECUTE pg_catalog.format('INSERT INTO bench_many_%s (account, amount, memo, at) VALUES (\$1, \$2 / 100.0, \$3, now())', n)
     USING account, cents, 'payment to ' || account; END \$\$" >/dev/null || exit 1
for n in 1 "$MANY"; do
    printf '%s\n' "\\set n random(1, $n)" "\\set account random(1, 100000)" "\\set cents random(1, 10000000)" \
        "SELECT bench_many_ins(:n, :account, :cents);" > "$WORK/bench_many_$n.pgb"
done
many_unsealed() {
    q "SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers l USING (ledger_id)
        WHERE t.block_no IS NULL AND l.relation::text LIKE 'bench_many_%'"
}
many_latency() {   # ledgers -> MANY_TPS MANY_P50 MANY_P95 MANY_BACKLOG
    local t0 left n
    t0=$(q "SELECT clock_timestamp()")
    pgbench_run "bench_many_$1" "$LAT_CLIENTS" "$LAT_SECS" on
    MANY_TPS=$TPS
    MANY_BACKLOG=$(many_unsealed)
    for _ in $(seq 1 300); do
        left=$(many_unsealed)
        [ "$left" = 0 ] && break
        sleep 0.1
    done
    # the percentiles below count sealed transactions only: every one the
    # load committed must be among them
    local ok=1
    [ "$left" = 0 ] || { fail "$1 ledger(s): $left transactions still unsealed 30 s after the load"; ok=0; }
    n=$(q "SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers l USING (ledger_id)
            WHERE l.relation::text LIKE 'bench_many_%' AND t.committed_at >= '$t0' AND t.block_no IS NOT NULL")
    [ "$n" = "$XACTS" ] || { fail "$1 ledger(s): $n transactions sealed, pgbench committed $XACTS"; ok=0; }
    IFS='|' read -r MANY_P50 MANY_P95 <<<"$(q "SELECT
          round(1000 * percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
          round(1000 * percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint
        FROM ledger.transaction_blocks t JOIN ledger.blocks b USING (ledger_id, block_no)
        JOIN ledger.ledgers l ON l.ledger_id = t.ledger_id
       WHERE l.relation::text LIKE 'bench_many_%' AND t.committed_at >= '$t0'")"
    # no figure from a failed run (its verdict then misses)
    [ "$ok" = 1 ] || { MANY_P50=failed; MANY_P95=; }
}
many_latency 1
ONE_TPS=$MANY_TPS; ONE_P50=$MANY_P50; ONE_P95=$MANY_P95; ONE_BACKLOG=$MANY_BACKLOG
many_latency "$MANY"
say "  (one ledger: $ONE_TPS tps, $ONE_BACKLOG unsealed when the load stopped, p95 $ONE_P95 ms; $MANY ledgers: $MANY_TPS tps, $MANY_BACKLOG unsealed)"
line "insert tps, $LAT_CLIENTS clients, over $MANY ledgers" "$MANY_TPS" "into one of them" "$ONE_TPS" "$(ratio "$MANY_TPS" "$ONE_TPS")"
line "commit-to-sealed p50 (ms), over $MANY ledgers" "$MANY_P50" "into one of them" "$ONE_P50" "$(ratio "$MANY_P50" "$ONE_P50")"
line "commit-to-sealed p95 (ms), over $MANY ledgers" "$MANY_P95" "target (ms)" "1000" "$(ratio "$MANY_P95" 1000)"

# ---------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------
verdict() {   # name ok-expression(awk) value
    if awk "BEGIN { exit !($2) }"; then say "TARGET PASS: $1 ($3)"; else say "TARGET MISS: $1 ($3)"; fi
}
say ""
say "-- verdict --"
verdict "#13 8-client single-row insert tps, synchronous_commit=on: ledger >= 0.85 x plain" "${R[8:on]} >= 0.85" "${R[8:on]} x"
verdict "#13 8-client single-row insert tps, synchronous_commit=off: ledger >= 0.85 x plain" "${R[8:off]} >= 0.85" "${R[8:off]} x"
verdict "#13 COPY $ROWS rows, backend CPU: ledger <= 1.5 x plain" "$R_COPY <= 1.5" "$R_COPY x; wall to commit $R_COPY_W x"
verdict "#13 INSERT ... SELECT $ROWS rows, backend CPU: ledger <= 1.5 x plain" "$R_INS <= 1.5" "$R_INS x; wall to commit $R_INS_W x"
say "  (the storage and index floor, DEFAULT-filled ledger columns and the BRIN index without any hashing: COPY $(ratio "${BC[copy.widebrin]}" "${BC[copy.plain]}") x, INSERT ... SELECT $(ratio "${BC[insert.widebrin]}" "${BC[insert.plain]}") x plain CPU)"
verdict "#13 verify of $OLTP_N single-row transactions from 8 clients >= 1,000,000 rows per backend CPU-second" "$O_MED >= 1000000" "$O_MED rows per CPU-second, range $O_RANGE"
verdict "#13 verify cost independent of other ledgers: with another ledger of $OTHER_N transactions <= 1.10 x without" "$R_INDEP <= 1.10" "$R_INDEP x"
verdict "#2 verify of one $ROWS-row transaction >= 1,000,000 rows per backend CPU-second" "$B_MED >= 1000000" "$B_MED rows per CPU-second"
verdict "#2 commit-to-sealed p95 <= 1 s" "${L_P95:-999999} <= 1000" "${L_P95} ms"
verdict "#2 commit-to-sealed p95 <= 1 s with the load over $MANY ledgers" "${MANY_P95:-999999} <= 1000" "${MANY_P95} ms"
if [ "$VERIFY_OK" = 1 ]; then
    say "CHECK PASS: 8-client ledger runs without errors; verify ok=true with exactly $LEDGER_ROWS_EXPECTED rows"
else
    say "CHECK FAIL: ledger after pgbench (see ERROR lines)"
fi
[ "$FAILS" = 0 ] || { say "$FAILS error(s)"; exit 1; }
exit 0
