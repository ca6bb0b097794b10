#!/bin/bash
# bench/ledger.sh: ledger tables against a plain table and against the
# PL/pgSQL + pgcrypto chain users write today (bench/chain_plpgsql.sql).
#
# Run by bench/run.sh, which starts a throwaway cluster
# (shared_preload_libraries=ledger, wal_level=logical) and exports PGHOST,
# PGPORT, PGUSER (a superuser), PGDATABASE and PATH.  Nothing else is needed:
# this script creates the extensions and tables it uses and drops them again.
#
# Figures, each printed beside its baseline from the same run as
#   figure | value | baseline | value | ratio
#  1. pgbench single-row INSERT transactions, 1 and 8 clients: plain, ledger,
#     PL/pgSQL chain.            Target: ledger 8 clients >= 0.85 x plain.
#  2. bulk INSERT ... SELECT and COPY of BENCH_ROWS rows, ledger vs plain,
#     including the commit (and, for the ledger, until sealed).
#                                Target: <= 1.3 x plain.
#  3. ledger.verify rows/s over the bulk ledger beside openssl sha256 of
#     64-byte inputs on one core.  Target: >= 1,000,000 rows/s.
#  4. commit-to-sealed latency (sealed_at - committed_at) under a 2-client
#     pgbench load with the background sealer.  Target: p95 <= 1 s.
# Then correctness checks and one verdict line per target.
#
# Settings (environment):
#   BENCH_SECONDS      pgbench duration per run            (default 15)
#   BENCH_ROWS         rows of the bulk loads              (default 1000000)
#   BENCH_LAT_SECONDS  duration of the latency load        (default 15)
#   BENCH_LAT_CLIENTS  clients of the latency load         (default 2)
#   BENCH_ROUNDS       interleaved rounds the BENCH_SECONDS
#                      of each pgbench configuration are
#                      split into                          (default 3)
#   BENCH_PERF         if "1" and perf works, profile the
#                      ledger's 1-client backend and the
#                      8-client cluster; print top symbols               (default 0)
#   BENCH_SHORT        if "1", small sizes for development:
#                      3 s runs, 100,000 rows              (default 0)

set -u -o pipefail

if [ "${BENCH_SHORT:-0}" = 1 ]; then
    : "${BENCH_SECONDS:=3}" "${BENCH_ROWS:=100000}" "${BENCH_LAT_SECONDS:=5}"
fi
SECS=${BENCH_SECONDS:-15}
ROWS=${BENCH_ROWS:-1000000}
LAT_SECS=${BENCH_LAT_SECONDS:-15}
LAT_CLIENTS=${BENCH_LAT_CLIENTS:-2}
PERF=${BENCH_PERF:-0}

HERE=$(cd "$(dirname "$0")" && pwd)
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
fail()  { say "ERROR: $*"; FAILS=$((FAILS + 1)); }

TABLES="bench_plain bench_ledger bench_chain bulk_ins_plain bulk_ins_ledger bulk_copy_plain bulk_copy_ledger bulk_ins_wide bulk_copy_wide bench_lat"

drop_all() {
    local t
    for t in $TABLES; do
        q "SELECT ledger.drop_ledger('$t'::regclass)
             FROM ledger.ledgers WHERE relation = to_regclass('$t')" >/dev/null 2>&1
        q "DROP TABLE IF EXISTS $t" >/dev/null 2>&1
    done
    q "DROP TABLE IF EXISTS bench_chain_head; DROP FUNCTION IF EXISTS bench_chain_trigger()" >/dev/null 2>&1
}

cleanup() {
    drop_all
    [ "$CREATED_PGCRYPTO" = 1 ] && q "DROP EXTENSION IF EXISTS pgcrypto" >/dev/null 2>&1
    [ "$CREATED_LEDGER_EXT" = 1 ] && q "DROP EXTENSION IF EXISTS ledger CASCADE" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------
say "== ledger benchmark =="
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
say "server: $(q 'SHOW server_version'); shared_buffers=$(q 'SHOW shared_buffers'), max_wal_size=$(q 'SHOW max_wal_size'), wal_level=$(q 'SHOW wal_level'), synchronous_commit=$(q 'SHOW synchronous_commit'), fsync=$(q 'SHOW fsync')"
say "settings: BENCH_SECONDS=$SECS BENCH_ROWS=$ROWS BENCH_LAT_SECONDS=$LAT_SECS BENCH_LAT_CLIENTS=$LAT_CLIENTS"

if [ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'")" = 0 ]; then
    q "CREATE EXTENSION ledger" || { say "ERROR: cannot create extension ledger"; exit 1; }
    CREATED_LEDGER_EXT=1
fi
if [ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'")" = 0 ]; then
    q "CREATE EXTENSION pgcrypto" || { say "ERROR: cannot create extension pgcrypto"; exit 1; }
    CREATED_PGCRYPTO=1
fi
say "ledger.seal_interval=$(q 'SHOW ledger.seal_interval'), ledger.block_max_transactions=$(q 'SHOW ledger.block_max_transactions'), ledger.sealer=$(q 'SHOW ledger.sealer')"
drop_all

COLS="account int, amount numeric, memo text, at timestamptz"
q "CREATE TABLE bench_plain ($COLS)" || exit 1
q "CREATE TABLE bench_ledger ($COLS); SELECT ledger.create_ledger('bench_ledger')" >/dev/null || exit 1
"${PSQL[@]}" -f "$HERE/chain_plpgsql.sql" >/dev/null || exit 1

ledger_id() { q "SELECT ledger_id FROM ledger.ledgers WHERE relation = '$1'::regclass"; }

# One pgbench script per table: with -M prepared, a table name cannot be a
# variable.
for t in bench_plain bench_ledger bench_chain bench_lat; do
    cat > "$WORK/$t.pgb" <<EOF
\set account random(1, 100000)
\set cents random(1, 10000000)
INSERT INTO $t (account, amount, memo, at) VALUES (:account, :cents / 100.0, 'payment to ' || :account, now());
EOF
done

# pgbench_run table clients seconds -> adds to XACTS_SUM/SECS_SUM/WAL_SUM; output in $WORK/pgb.<table>.<clients>.<round>
pgbench_run() {
    local t=$1 c=$2 s=$3 out="$WORK/pgb.$1.$2.${4:-0}" lsn0 rc tps xacts failed
    q "CHECKPOINT" >/dev/null
    lsn0=$(q "SELECT pg_current_wal_lsn()")
    pgbench -n -M prepared -c "$c" -j "$c" -T "$s" -f "$WORK/$t.pgb" >"$out" 2>&1
    rc=$?
    WAL=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out")
    xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
    PGB_OK=1
    if [ $rc -ne 0 ] || [ -z "$tps" ] || [ "${failed:-0}" != 0 ] || grep -qiE 'error|aborted' "$out"; then
        PGB_OK=0
        fail "pgbench $t, $c clients (exit $rc):"
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
# disk and CPU falls on all three alike; tps = transactions / seconds summed
# over the rounds.
ROUNDS=${BENCH_ROUNDS:-3}
RSECS=$(( SECS / ROUNDS )); [ "$RSECS" -ge 1 ] || RSECS=1
say ""
say "-- 1. pgbench single-row INSERT transactions, -M prepared, ${SECS}s per configuration in $ROUNDS interleaved rounds of ${RSECS}s --"
declare -A X W T
LEDGER_ROWS_EXPECTED=0
LEDGER8_OK=1
for c in 1 8; do
    for t in bench_plain bench_ledger bench_chain; do X[$t.$c]=0; W[$t.$c]=0; done
    for r in $(seq 1 "$ROUNDS"); do
        for t in bench_plain bench_ledger bench_chain; do
            if [ "$CAN_PERF" = 1 ] && [ "$t" = bench_ledger ] && [ "$r" = 1 ]; then
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
            pgbench_run "$t" "$c" "$RSECS" "$r"
            X[$t.$c]=$(( ${X[$t.$c]} + XACTS )); W[$t.$c]=$(( ${W[$t.$c]} + WAL ))
            [ "$t" = bench_ledger ] && LEDGER_ROWS_EXPECTED=$((LEDGER_ROWS_EXPECTED + XACTS))
            [ "$t" = bench_ledger ] && [ "$c" = 8 ] && [ "$PGB_OK" = 0 ] && LEDGER8_OK=0
        done
    done
    for t in bench_plain bench_ledger bench_chain; do
        T[$t.$c]=$(awk -v x="${X[$t.$c]}" -v s=$((RSECS * ROUNDS)) 'BEGIN { printf "%.1f", x / s }')
    done
    line "insert tps, $c client(s): ledger" "${T[bench_ledger.$c]}" "plain" "${T[bench_plain.$c]}" "$(ratio "${T[bench_ledger.$c]}" "${T[bench_plain.$c]}")"
    line "insert tps, $c client(s): plpgsql chain" "${T[bench_chain.$c]}" "plain" "${T[bench_plain.$c]}" "$(ratio "${T[bench_chain.$c]}" "${T[bench_plain.$c]}")"
    line "insert tps, $c client(s): ledger" "${T[bench_ledger.$c]}" "plpgsql chain" "${T[bench_chain.$c]}" "$(ratio "${T[bench_ledger.$c]}" "${T[bench_chain.$c]}")"
    wl=$(awk -v w="${W[bench_ledger.$c]}" -v x="${X[bench_ledger.$c]}" 'BEGIN { printf "%.0f", x ? w / x : 0 }')
    wp=$(awk -v w="${W[bench_plain.$c]}" -v x="${X[bench_plain.$c]}" 'BEGIN { printf "%.0f", x ? w / x : 0 }')
    line "WAL bytes per insert transaction, $c client(s): ledger (incl. sealer)" "$wl" "plain" "$wp" "$(ratio "$wl" "$wp")"
done
R_TPS8=$(ratio "${T[bench_ledger.8]}" "${T[bench_plain.8]}")

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
    fail "ledger after pgbench: verify ok=$V_OK rows_checked=$V_ROWS count=$LCOUNT expected=$LEDGER_ROWS_EXPECTED 8-client run ok=${LEDGER8_OK:-0}"
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
say "-- 2. bulk loads of $ROWS rows, one transaction each, wall time including commit --"
GEN="SELECT (i % 100000) + 1, (i % 10000000) / 100.0, 'payment to ' || ((i % 100000) + 1),
            timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
       FROM generate_series(1, $ROWS) AS i"
"${PSQL[@]}" -c "\\copy ($GEN) TO '$WORK/rows.copy'" || exit 1
# "wide": a plain table with the ledger's three columns filled with constant
# values of the same sizes (the storage a ledger row needs, without any of
# its work): the floor under any design that keeps the hash in the row.
WIDE_COLS="$COLS, ledger_xact int8 NOT NULL, ledger_seq int8 NOT NULL, ledger_hash bytea NOT NULL"
GEN_WIDE="SELECT (i % 100000) + 1, (i % 10000000) / 100.0, 'payment to ' || ((i % 100000) + 1),
            timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second',
            1234567::int8, i::int8, '\\x$(printf '%064d' 0 | tr 0 a)'::bytea
       FROM generate_series(1, $ROWS) AS i"
"${PSQL[@]}" -c "\\copy ($GEN_WIDE) TO '$WORK/rows_wide.copy'" || exit 1
q "CREATE TABLE bulk_ins_wide ($WIDE_COLS); CREATE TABLE bulk_copy_wide ($WIDE_COLS)" >/dev/null || exit 1
q "CREATE TABLE bulk_ins_plain ($COLS); CREATE TABLE bulk_copy_plain ($COLS);
   CREATE TABLE bulk_ins_ledger ($COLS); CREATE TABLE bulk_copy_ledger ($COLS);
   SELECT ledger.create_ledger('bulk_ins_ledger'); SELECT ledger.create_ledger('bulk_copy_ledger')" >/dev/null || exit 1

# wait_sealed table -> prints epoch of the newest sealed_at once nothing is unsealed
wait_sealed() {
    local id i n
    id=$(ledger_id "$1")
    for i in $(seq 1 3000); do
        n=$(q "SELECT count(*) FROM ledger.transactions WHERE ledger_id = $id AND block_no IS NULL")
        [ "$n" = 0 ] && break
        sleep 0.01
    done
    [ "$n" = 0 ] || { fail "$1: $n transactions still unsealed after 30 s"; echo 0; return; }
    q "SELECT extract(epoch FROM max(b.sealed_at)) FROM ledger.transactions t
         JOIN ledger.blocks b USING (ledger_id, block_no) WHERE t.ledger_id = $id"
}

# bulk kind table -> sets DT (seconds), SEALED (seconds from start until sealed)
bulk() {
    local kind=$1 t=$2 t0 t1
    q "CHECKPOINT" >/dev/null
    local lsn0; lsn0=$(q "SELECT pg_current_wal_lsn()")
    t0=$(now)
    if [ "$kind" = insert ] && [ "${t%wide}" != "$t" ]; then
        q "INSERT INTO $t $GEN_WIDE" || fail "INSERT ... SELECT into $t"
    elif [ "$kind" = copy ] && [ "${t%wide}" != "$t" ]; then
        "${PSQL[@]}" -c "\\copy $t FROM '$WORK/rows_wide.copy'" || fail "COPY into $t"
    elif [ "$kind" = insert ]; then
        q "INSERT INTO $t (account, amount, memo, at) $GEN" || fail "INSERT ... SELECT into $t"
    else
        "${PSQL[@]}" -c "\\copy $t (account, amount, memo, at) FROM '$WORK/rows.copy'" || fail "COPY into $t"
    fi
    t1=$(now)
    DT=$(sub "$t1" "$t0")
    WAL=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
    SEALED=
    case $t in *ledger) SEALED=$(sub "$(wait_sealed "$t")" "$t0") ;; esac
}

declare -A B S BW
for kind in insert copy; do
    k=${kind/insert/ins}
    bulk "$kind" "bulk_${k}_plain";  B[$kind.plain]=$DT;  BW[$kind.plain]=$WAL
    bulk "$kind" "bulk_${k}_wide";   B[$kind.wide]=$DT;   BW[$kind.wide]=$WAL
    bulk "$kind" "bulk_${k}_ledger"; B[$kind.ledger]=$DT; BW[$kind.ledger]=$WAL; S[$kind]=$SEALED
done
line "INSERT ... SELECT $ROWS rows (s): ledger, to commit" "${B[insert.ledger]}" "plain" "${B[insert.plain]}" "$(ratio "${B[insert.ledger]}" "${B[insert.plain]}")"
line "INSERT ... SELECT $ROWS rows (s): ledger, to sealed" "${S[insert]}" "plain" "${B[insert.plain]}" "$(ratio "${S[insert]}" "${B[insert.plain]}")"
line "COPY $ROWS rows (s): ledger, to commit" "${B[copy.ledger]}" "plain" "${B[copy.plain]}" "$(ratio "${B[copy.ledger]}" "${B[copy.plain]}")"
line "COPY $ROWS rows (s): ledger, to sealed" "${S[copy]}" "plain" "${B[copy.plain]}" "$(ratio "${S[copy]}" "${B[copy.plain]}")"
line "INSERT ... SELECT $ROWS rows (s): plain with the ledger's columns" "${B[insert.wide]}" "plain" "${B[insert.plain]}" "$(ratio "${B[insert.wide]}" "${B[insert.plain]}")"
line "COPY $ROWS rows (s): plain with the ledger's columns" "${B[copy.wide]}" "plain" "${B[copy.plain]}" "$(ratio "${B[copy.wide]}" "${B[copy.plain]}")"
line "INSERT ... SELECT $ROWS rows (s): ledger, to commit" "${B[insert.ledger]}" "plain with the ledger's columns" "${B[insert.wide]}" "$(ratio "${B[insert.ledger]}" "${B[insert.wide]}")"
line "COPY $ROWS rows (s): ledger, to commit" "${B[copy.ledger]}" "plain with the ledger's columns" "${B[copy.wide]}" "$(ratio "${B[copy.ledger]}" "${B[copy.wide]}")"
line "WAL MB of INSERT ... SELECT: ledger" "$((BW[insert.ledger] / 1048576))" "plain" "$((BW[insert.plain] / 1048576))" "$(ratio "${BW[insert.ledger]}" "${BW[insert.plain]}")"
line "WAL MB of COPY: ledger" "$((BW[copy.ledger] / 1048576))" "plain" "$((BW[copy.plain] / 1048576))" "$(ratio "${BW[copy.ledger]}" "${BW[copy.plain]}")"
R_INS=$(ratio "${B[insert.ledger]}" "${B[insert.plain]}")
R_COPY=$(ratio "${B[copy.ledger]}" "${B[copy.plain]}")
say "  (table sizes: plain $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_plain'))"), plain with the ledger's columns $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_wide'))"), ledger $(q "SELECT pg_size_pretty(pg_table_size('bulk_ins_ledger'))"))"

# ---------------------------------------------------------------------------
# 3. Verify rate
# ---------------------------------------------------------------------------
say ""
say "-- 3. ledger.verify over the $ROWS-row ledger (INSERT ... SELECT), warm cache, one backend --"
q "SELECT count(*) FROM bulk_ins_ledger" >/dev/null   # warm the cache
t0=$(now)
VER=$(q "SELECT ok, rows_checked FROM ledger.verify('bulk_ins_ledger')")
t1=$(now)
IFS='|' read -r BV_OK BV_ROWS <<<"$VER"
VDT=$(sub "$t1" "$t0")
VRATE=$(awk -v r="$BV_ROWS" -v d="$VDT" 'BEGIN { printf "%.0f", r / d }')
[ "$BV_OK" = t ] && [ "$BV_ROWS" = "$ROWS" ] || fail "verify bulk_ins_ledger: ok=$BV_OK rows_checked=$BV_ROWS (expected $ROWS)"
# openssl speed: the 64-byte column of the "sha256" line, in 1000s of bytes/s
OSSL=$(openssl speed -seconds 3 -bytes 64 sha256 2>/dev/null | awk '$1 == "sha256" { v = $NF; sub(/k$/, "", v); print v }' | tail -1)
if [ -z "$OSSL" ]; then
    OSSL=$(openssl speed -seconds 3 -bytes 64 -evp sha256 2>/dev/null | awk '$1 ~ /sha256/ { v = $NF; sub(/k$/, "", v); print v }' | tail -1)
fi
HPS=$(awk -v k="${OSSL:-0}" 'BEGIN { printf "%.0f", k * 1000 / 64 }')
line "verify rows/s (ok=$BV_OK, $BV_ROWS rows in ${VDT}s)" "$VRATE" "openssl sha256 64-byte hashes/s, 1 core" "$HPS" "$(ratio "$VRATE" "$HPS")"

# ---------------------------------------------------------------------------
# 4. Commit-to-sealed latency
# ---------------------------------------------------------------------------
say ""
say "-- 4. commit-to-sealed latency, $LAT_CLIENTS-client pgbench load for ${LAT_SECS}s, background sealer --"
q "CREATE TABLE bench_lat ($COLS); SELECT ledger.create_ledger('bench_lat')" >/dev/null || exit 1
LID=$(ledger_id bench_lat)
pgbench_run bench_lat "$LAT_CLIENTS" "$LAT_SECS"
LAT_TPS=$TPS; LAT_X=$XACTS
wait_sealed bench_lat >/dev/null
LAT=$(q "SELECT count(*),
                round(1000 * percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                round(1000 * max(extract(epoch FROM b.sealed_at - t.committed_at)))::bigint,
                count(DISTINCT t.block_no)
           FROM ledger.transactions t JOIN ledger.blocks b USING (ledger_id, block_no)
          WHERE t.ledger_id = $LID")
IFS='|' read -r L_N L_P50 L_P95 L_P99 L_MAX L_BLK <<<"$LAT"
say "  ($L_N transactions at $LAT_TPS tps in $L_BLK blocks; seal_interval $(q 'SHOW ledger.seal_interval'))"
line "commit-to-sealed p50 (ms)" "$L_P50" "seal_interval (ms)" "$(q "SELECT setting FROM pg_settings WHERE name = 'ledger.seal_interval'")" "$(ratio "$L_P50" "$(q "SELECT setting FROM pg_settings WHERE name = 'ledger.seal_interval'")")"
line "commit-to-sealed p95 (ms)" "$L_P95" "target (ms)" "1000" "$(ratio "$L_P95" 1000)"
line "commit-to-sealed p99 (ms)" "$L_P99" "target (ms)" "1000" "$(ratio "$L_P99" 1000)"
line "commit-to-sealed max (ms)" "$L_MAX" "target (ms)" "1000" "$(ratio "$L_MAX" 1000)"
[ "$L_N" = "$LAT_X" ] || fail "latency ledger: $L_N sealed transactions, pgbench committed $LAT_X"

# ---------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------
verdict() {   # name ok-expression(awk) value
    if awk "BEGIN { exit !($2) }"; then say "TARGET PASS: $1 ($3)"; else say "TARGET MISS: $1 ($3)"; fi
}
say ""
say "-- verdict --"
verdict "ledger 8-client insert tps >= 0.85 x plain" "$R_TPS8 >= 0.85" "$R_TPS8 x"
verdict "bulk INSERT ... SELECT <= 1.3 x plain (to commit)" "$R_INS <= 1.3" "$R_INS x"
verdict "bulk COPY <= 1.3 x plain (to commit)" "$R_COPY <= 1.3" "$R_COPY x"
R_WINS=$(ratio "${B[insert.wide]}" "${B[insert.plain]}"); R_WCOPY=$(ratio "${B[copy.wide]}" "${B[copy.plain]}")
say "  (a plain table with the ledger's three columns and none of its work: INSERT ... SELECT $R_WINS x, COPY $R_WCOPY x plain)"
verdict "verify >= 1,000,000 rows/s" "$VRATE >= 1000000" "$VRATE rows/s"
verdict "commit-to-sealed p95 <= 1 s" "${L_P95:-999999} <= 1000" "${L_P95} ms"
if [ "$VERIFY_OK" = 1 ]; then
    say "CHECK PASS: 8-client ledger run without errors; verify ok=true with exactly $LEDGER_ROWS_EXPECTED rows"
else
    say "CHECK FAIL: ledger after pgbench (see ERROR lines)"
fi
[ "$FAILS" = 0 ] || { say "$FAILS error(s)"; exit 1; }
exit 0
