#!/bin/bash
# bench/sync.sh: sync between institutions (issue #11, docs/replication.md).
#
# Run by bench/run.sh (LEDGER_BENCH_PARTS="sync"), whose cluster is the
# origin.  This part starts a second cluster here (the peer: the same
# PostgreSQL and ledger, shared_preload_libraries = 'ledger') and stops it
# again.  Both are on this machine and share its clock and its cores.
#
# Figures, each beside its baseline from the same run, as
#   figure | value | baseline | value | ratio
#  1. Apply throughput.  The same rows, written at the origin while the
#     subscription is disabled, then applied once it is enabled: into a
#     ledger replica made by ledger.create_subscription (every row, record
#     and block verified on arrival) and, as the baseline, by plain logical
#     replication (CREATE PUBLICATION / CREATE SUBSCRIPTION) into a plain
#     table of the same columns in a database without the extension.  Two
#     shapes: SYNC_ROWS single-row transactions (pgbench, 4 clients), and
#     one bulk transaction of SYNC_BULK_ROWS rows (INSERT ... SELECT).
#     A second baseline, "the ledger's bytes, plain": plain replication of
#     the same rows with the ledger's three columns (ledger_xact, ledger_seq,
#     ledger_hash, filled at the origin) and its BRIN index, and one row per
#     origin transaction into a plain copy of ledger.transactions (same
#     columns, same primary key): what a replica stores, without a trigger
#     or a check; ledger / it is the cost of verifying on arrival.
#     A third, "the ledger's rows without their records, plain": the same
#     rows, ledger columns and BRIN index, and no record: one change per
#     single-row transaction where a ledger needs two (the row, and the
#     record that must arrive in the same transaction for the row to be
#     verified before it is applied).  It and "the ledger's bytes" are also
#     set beside plain replication in binary: the floors of the two designs.
#     Rows/s from ENABLE until the last row (and, for the ledger, the
#     origin's last block) is there; and rows per CPU-second of the apply
#     worker (/proc/<pid>/schedstat: its whole life, start-up included).
#     SYNC_REPS runs of each, plain and ledger interleaved; the medians are
#     printed, the ratios' range beside them.  Target: ledger >= 0.8 x plain.
#     Transfer format: ledger.create_subscription asks for binary; plain
#     replication is measured in its default, text (the target's baseline),
#     and in binary too ("plain logical replication, binary": like for like);
#     the ledger's bytes in binary.
#  2. End-to-end lag at a steady SYNC_RATE rows/s (pgbench --rate, 8 clients,
#     single-row transactions stamping clock_timestamp()): a poller at the peer records
#     when each row becomes visible (every 10 ms, so up to 10 ms of each
#     figure is the poll); p50/p95 of visible - stamped, for the ledger and
#     for plain replication.                     Target: ledger p95 <= 1 s.
#     Every row the origin committed must have been seen by the poller
#     (which stops 4 s after the load) and the ledger replica must verify
#     against the origin's digest, else an ERROR (a row still missing would
#     be left out of the percentiles).
#  3. Signed ledgers (no target in the issue; the shape banks replicate):
#     SYNC_SIGNED_ROWS single-row transactions of a signed ledger per
#     algorithm (Ed25519, ECDSA P-256; rows signed in advance with
#     python3-cryptography over ledger.signing_bytes()), written while the
#     subscription is disabled and applied after ENABLE; the replica checks
#     every signature again on arrival.  Rows per apply-worker CPU-second
#     beside "openssl speed" of the algorithm run just before and just
#     after (per CPU-second too), and beside plain replication's
#     single-row rate of figure 1.
#
# Settings (environment):
#   SYNC_ROWS          rows of the single-row shape          (default 20000)
#   SYNC_BULK_ROWS     rows of the bulk transaction          (default 100000)
#   SYNC_REPS          runs of each apply figure             (default 3)
#   SYNC_RATE          rows/s of figure 2                    (default 1000)
#   SYNC_LAT_SECONDS   duration of each lag run              (default 20)
#   SYNC_SIGNED_ROWS   signed transactions per algorithm     (default 4000)
#   BENCH_SHORT        if "1": 4000 / 20000 rows, 1 run, 8 s lag runs
#   SYNC_CALLGRIND     if "1": instructions instead of times.  The peer runs
#                      under valgrind --tool=callgrind (needs the valgrind
#                      package); figure 1 only, one run of each kind, by
#                      default 2000 single-row transactions and one of
#                      20000 rows; each apply worker is stopped after its
#                      apply and the instructions of its whole life
#                      (start-up included: StartBackgroundWorker, inclusive)
#                      are printed
#   SYNC_CALLGRIND_DIR with SYNC_CALLGRIND=1: a directory (writable by the
#                      benchmark's user) to keep the apply workers' profiles
#                      in, for callgrind_annotate

set -u -o pipefail

if [ "${BENCH_SHORT:-0}" = 1 ]; then
    : "${SYNC_ROWS:=4000}" "${SYNC_BULK_ROWS:=20000}" "${SYNC_REPS:=1}" "${SYNC_LAT_SECONDS:=8}" "${SYNC_SIGNED_ROWS:=1000}"
fi
CALLGRIND=${SYNC_CALLGRIND:-0}
if [ "$CALLGRIND" = 1 ]; then
    : "${SYNC_ROWS:=2000}" "${SYNC_BULK_ROWS:=20000}" "${SYNC_REPS:=1}"
fi
ROWS=${SYNC_ROWS:-20000}
BULK=${SYNC_BULK_ROWS:-100000}
REPS=${SYNC_REPS:-3}
RATE=${SYNC_RATE:-1000}
LAT_SECS=${SYNC_LAT_SECONDS:-20}
SIGNED_ROWS=${SYNC_SIGNED_ROWS:-4000}
SIGNED_ALGS="ed25519 ecdsa-p256"

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ledger-bench-sync.XXXXXX")
chmod 755 "$WORK"
PEER_DATA=$WORK/peer
PEER_SOCK=$WORK/sock
PEER_PORT=$((PGPORT + 1))
FAILS=0

say()  { printf '%s\n' "$*"; }
line() { printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
now()  { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }
fail()  { say "ERROR: $*"; FAILS=$((FAILS + 1)); }

# psql at the origin (db) or at the peer (pdb)
o()  { psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }
p()  { psql -X -q -v ON_ERROR_STOP=1 -At -h "$PEER_SOCK" -p "$PEER_PORT" -d "$1" -c "$2"; }

cleanup() {
    p sync_dst "SELECT ledger.drop_subscription(subname) FROM pg_subscription WHERE subname LIKE 'bench_%'" >/dev/null 2>&1
    p plain_dst "DROP SUBSCRIPTION IF EXISTS bench_plain_sub" >/dev/null 2>&1
    [ -f "$PEER_DATA/postmaster.pid" ] && pg_ctl -D "$PEER_DATA" -m immediate -w stop >/dev/null 2>&1
    o postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_%'" >/dev/null 2>&1
    o postgres "DROP DATABASE IF EXISTS sync_src" >/dev/null 2>&1
    o postgres "DROP DATABASE IF EXISTS plain_src" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# The peer cluster and the four databases
# ---------------------------------------------------------------------------
say "== sync benchmark =="
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
say "settings: SYNC_ROWS=$ROWS SYNC_BULK_ROWS=$BULK SYNC_REPS=$REPS SYNC_RATE=$RATE SYNC_LAT_SECONDS=$LAT_SECS"

mkdir -p "$PEER_SOCK"
initdb -D "$PEER_DATA" -A trust -E UTF8 --locale=C.UTF-8 --no-instructions >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log"; exit 1; }
cat >>"$PEER_DATA/postgresql.conf" <<EOF
port = $PEER_PORT
listen_addresses = ''
unix_socket_directories = '$PEER_SOCK'
shared_preload_libraries = 'ledger'
max_worker_processes = 16
max_logical_replication_workers = 6
wal_retrieve_retry_interval = 200ms
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
EOF
PG_CTL_EXEC=()
if [ "$CALLGRIND" = 1 ]; then
    command -v valgrind >/dev/null || { say "SYNC_CALLGRIND=1 needs valgrind"; exit 1; }
    CG_DIR=$WORK/callgrind
    mkdir -p "$CG_DIR"
    printf '#!/bin/sh\nexec valgrind --tool=callgrind -q --callgrind-out-file=%s/callgrind.out.%%p "%s" "$@"\n' \
        "$CG_DIR" "$(command -v postgres)" >"$WORK/postgres-callgrind"
    chmod 755 "$WORK/postgres-callgrind"
    PG_CTL_EXEC=(-p "$WORK/postgres-callgrind")
fi
pg_ctl -D "$PEER_DATA" "${PG_CTL_EXEC[@]}" -l "$WORK/peer.log" -w -t 600 start >/dev/null ||
    { tail -20 "$WORK/peer.log"; exit 1; }
say "origin: $(o postgres 'SHOW server_version'), synchronous_commit=$(o postgres 'SHOW synchronous_commit'), fsync=$(o postgres 'SHOW fsync'), seal_interval=$(o postgres 'SHOW ledger.seal_interval'); peer: the same build, subscriptions with synchronous_commit=off (PostgreSQL's default for subscriptions)"

o postgres "DROP DATABASE IF EXISTS sync_src" >/dev/null 2>&1
o postgres "DROP DATABASE IF EXISTS plain_src" >/dev/null 2>&1
o postgres "CREATE DATABASE sync_src" && o postgres "CREATE DATABASE plain_src" || exit 1
p postgres "CREATE DATABASE sync_dst" && p postgres "CREATE DATABASE plain_dst" || exit 1
o sync_src "CREATE EXTENSION ledger" && p sync_dst "CREATE EXTENSION ledger" || exit 1

COLS="id bigint PRIMARY KEY, account int NOT NULL, amount numeric(18,2), memo text, sent_at timestamptz NOT NULL DEFAULT clock_timestamp()"
TABLES="one bulk lat"
for t in $TABLES; do
    o sync_src "CREATE SEQUENCE ${t}_ids; CREATE TABLE $t ($COLS); SELECT ledger.create_ledger('$t')" >/dev/null || exit 1
    o plain_src "CREATE SEQUENCE ${t}_ids; CREATE TABLE $t ($COLS)" || exit 1
    p plain_dst "CREATE TABLE $t ($COLS)" || exit 1
done
# the ledger's bytes, plain (see the header)
RECS="ledger_id bigint NOT NULL, xact_id bigint NOT NULL, row_count bigint NOT NULL, root bytea NOT NULL, committed_at timestamptz NOT NULL, PRIMARY KEY (ledger_id, xact_id)"
WIDE="$COLS, ledger_xact bigint, ledger_seq bigint, ledger_hash bytea"
for t in one_w bulk_w one_r bulk_r; do
    o plain_src "CREATE TABLE $t ($WIDE); CREATE INDEX ON $t USING brin (ledger_xact) WITH (pages_per_range = 16)" || exit 1
    p plain_dst "CREATE TABLE $t ($WIDE); CREATE INDEX ON $t USING brin (ledger_xact) WITH (pages_per_range = 16)" || exit 1
done
o plain_src "CREATE SEQUENCE xrec_ids; CREATE TABLE xrec ($RECS)" || exit 1
p plain_dst "CREATE TABLE xrec ($RECS)" || exit 1
# signed ledgers (figure 3): a key per algorithm, made here, its public half
# registered at the origin; the ledgers are published with the others
SIGNED=1
if ! python3 -c 'import cryptography' 2>/dev/null || ! command -v openssl >/dev/null; then
    SIGNED=0
    say "(figure 3 skipped: it needs python3-cryptography and openssl)"
fi
SIG_TABLES=""
if [ "$SIGNED" = 1 ] && [ "$CALLGRIND" != 1 ]; then
    for alg in $SIGNED_ALGS; do
        a=${alg//-/_}
        python3 - "$alg" "$WORK/$a" <<'PY' || exit 1
import sys
from cryptography.hazmat.primitives.asymmetric import ed25519, ec
from cryptography.hazmat.primitives import serialization
alg, base = sys.argv[1], sys.argv[2]
k = ed25519.Ed25519PrivateKey.generate() if alg == "ed25519" else ec.generate_private_key(ec.SECP256R1())
open(base + ".key", "wb").write(k.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
open(base + ".pub", "wb").write(k.public_key().public_bytes(serialization.Encoding.PEM,
    serialization.PublicFormat.SubjectPublicKeyInfo))
PY
        psql -X -q -At -v ON_ERROR_STOP=1 -d sync_src -v pem="$(cat "$WORK/$a.pub")" >/dev/null <<SQL || exit 1
SELECT (ledger.add_key('bench-$alg', 'bench', '$alg', ledger.public_key_from_pem(:'pem'))).key_id;
CREATE TABLE sig_$a (id int8 PRIMARY KEY, payload text, key_id text, sig bytea);
SELECT ledger.create_ledger('sig_$a') IS NOT NULL;
SELECT ledger.require_signatures('sig_$a', 'sig', 'key_id');
SQL
        SIG_TABLES="$SIG_TABLES, 'sig_$a'::regclass"
    done
fi
o sync_src "SELECT ledger.create_publication('bench_pub', ARRAY['one'::regclass, 'bulk'::regclass, 'lat'::regclass$SIG_TABLES])" >/dev/null || exit 1
o plain_src "CREATE PUBLICATION bench_plain_pub FOR TABLE one, bulk, lat, one_w, bulk_w, one_r, bulk_r, xrec" || exit 1
SRC_SYNC="host=$PGHOST port=$PGPORT dbname=sync_src user=$PGUSER"
SRC_PLAIN="host=$PGHOST port=$PGPORT dbname=plain_src user=$PGUSER"
p sync_dst "SELECT ledger.create_subscription('bench_sub', '$SRC_SYNC', 'bench_pub')" >/dev/null || exit 1
p plain_dst "CREATE SUBSCRIPTION bench_plain_sub CONNECTION '$SRC_PLAIN' PUBLICATION bench_plain_pub
    WITH (slot_name = 'bench_plain_sub', copy_data = false)" 2>/dev/null || exit 1

# (copy_data = false: the tables are empty, and a table still waiting for its
# first copy would later be copied by a table synchronization worker with
# COPY, not applied: like ledger.create_subscription, every table is ready
# at once and everything after is applied by the apply worker)

cat >"$WORK/one.pgb" <<'EOF'
\set account random(1, 100000)
INSERT INTO one (id, account, amount, memo) VALUES (nextval('one_ids'), :account, :account / 100.0, 'payment ' || :account);
EOF
cat >"$WORK/one_w.pgb" <<'EOF'
\set account random(1, 100000)
BEGIN;
INSERT INTO one_w (id, account, amount, memo, ledger_xact, ledger_seq, ledger_hash)
VALUES (nextval('one_ids'), :account, :account / 100.0, 'payment ' || :account, currval('one_ids'), 0, sha256(:account::text::bytea));
INSERT INTO xrec VALUES (1, nextval('xrec_ids'), 1, sha256(:account::text::bytea), clock_timestamp());
COMMIT;
EOF
cat >"$WORK/one_r.pgb" <<'EOF'
\set account random(1, 100000)
INSERT INTO one_r (id, account, amount, memo, ledger_xact, ledger_seq, ledger_hash)
VALUES (nextval('one_ids'), :account, :account / 100.0, 'payment ' || :account, currval('one_ids'), 0, sha256(:account::text::bytea));
EOF
cat >"$WORK/lat.pgb" <<'EOF'
\set account random(1, 100000)
INSERT INTO lat (id, account, amount, memo) VALUES (nextval('lat_ids'), :account, :account / 100.0, 'payment ' || :account);
EOF

# wait_until DB-side SQL returning 't' at the peer (sync_dst or plain_dst);
# at most 600 s; polls every 20 ms inside one session
wait_until() {
    local db=$1 cond=$2
    p "$db" "DO \$\$
        DECLARE t0 timestamptz := clock_timestamp();
        BEGIN
            WHILE NOT ($cond) LOOP
                IF clock_timestamp() - t0 > interval '600 s' THEN
                    RAISE EXCEPTION 'timed out: %', \$q\$$cond\$q\$;
                END IF;
                PERFORM pg_sleep(0.02);
            END LOOP;
        END \$\$"
}

# CPU nanoseconds of a process so far (schedstat: time on CPU)
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }

# apply_run KIND(sync|plain) SHAPE(one|bulk) -> APPLY_S, APPLY_ROWS, APPLY_CPU_NS, APPLY_PID
apply_run() {
    local kind=$1 t=$2 sdb ddb sub rows maxid head pid t0 t1 cond
    if [ "$kind" = sync ]; then sdb=sync_src; ddb=sync_dst; sub=bench_sub; else sdb=plain_src; ddb=plain_dst; sub=bench_plain_sub; fi
    [ "$kind" = wide ] && t=${t}_w
    [ "$kind" = rows ] && t=${t}_r
    p "$ddb" "ALTER SUBSCRIPTION $sub DISABLE" || return 1
    wait_until "$ddb" "NOT EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = '$sub' AND pid IS NOT NULL)" || return 1
    # the transfer format: ledger.create_subscription's is binary; plain
    # replication is measured both in its default, text, and in binary; the
    # ledger's bytes in binary, like the ledger
    case $kind in
        plain) p "$ddb" "ALTER SUBSCRIPTION $sub SET (binary = false)" || return 1 ;;
        plainb|wide|rows) p "$ddb" "ALTER SUBSCRIPTION $sub SET (binary = true)" || return 1 ;;
    esac
    if [ "$t" = one ] || [ "$t" = one_w ] || [ "$t" = one_r ]; then
        pgbench -n -c 4 -j 2 -t $((ROWS / 4)) -f "$WORK/$t.pgb" "$sdb" >"$WORK/load.$kind.$t" 2>&1 ||
            { fail "pgbench load of $kind $t"; sed 's/^/    /' "$WORK/load.$kind.$t" | tail -5; return 1; }
    elif [ "$t" = bulk ]; then
        o "$sdb" "INSERT INTO bulk (id, account, amount, memo)
                  SELECT nextval('bulk_ids'), g % 100000, (g % 100000) / 100.0, 'payment ' || (g % 100000)
                    FROM generate_series(1, $BULK) g" || { fail "bulk load of $kind"; return 1; }
    elif [ "$t" = bulk_r ]; then
        o "$sdb" "INSERT INTO bulk_r (id, account, amount, memo, ledger_xact, ledger_seq, ledger_hash)
                  SELECT nextval('bulk_ids'), g % 100000, (g % 100000) / 100.0, 'payment ' || (g % 100000),
                         1, g, sha256(g::text::bytea)
                    FROM generate_series(1, $BULK) g" || { fail "bulk load of $kind"; return 1; }
    else
        o "$sdb" "BEGIN;
                  INSERT INTO bulk_w (id, account, amount, memo, ledger_xact, ledger_seq, ledger_hash)
                  SELECT nextval('bulk_ids'), g % 100000, (g % 100000) / 100.0, 'payment ' || (g % 100000),
                         (SELECT last_value FROM xrec_ids) + 1, g, sha256(g::text::bytea)
                    FROM generate_series(1, $BULK) g;
                  INSERT INTO xrec VALUES (1, nextval('xrec_ids'), $BULK, sha256('bulk'), clock_timestamp());
                  COMMIT" || { fail "bulk load of $kind"; return 1; }
    fi
    # the tables keep the rows of earlier runs: the peer must hold all of them
    rows=$(o "$sdb" "SELECT count(*) FROM $t")
    maxid=$(o "$sdb" "SELECT max(id) FROM $t")
    cond="EXISTS (SELECT 1 FROM $t WHERE id = $maxid) AND (SELECT count(*) FROM $t) >= $rows"
    if [ "$kind" = sync ]; then
        # the origin's blocks of these rows come through the stream too
        o "$sdb" "SELECT ledger.digest('$t')" >/dev/null
        head=$(o "$sdb" "SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = '$t'::regclass")
        cond="$cond AND (SELECT coalesce(max(block_no), -1) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = '$t'::regclass) >= $head"
    fi
    o "$sdb" "CHECKPOINT" >/dev/null
    p "$ddb" "CHECKPOINT" >/dev/null
    t0=$(now)
    p "$ddb" "ALTER SUBSCRIPTION $sub ENABLE" || return 1
    wait_until "$ddb" "EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = '$sub' AND pid IS NOT NULL)" || return 1
    pid=$(p "$ddb" "SELECT pid FROM pg_stat_subscription WHERE subname = '$sub' AND relid IS NULL")
    wait_until "$ddb" "$cond" || return 1
    t1=$(now)
    # a new worker for each run: its whole CPU time, its start-up included
    APPLY_CPU_NS=$(cpu_ns "$pid")
    APPLY_PID=$pid
    APPLY_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    APPLY_ROWS=$rows
    [ "$(p "$ddb" "SELECT count(*) FROM $t")" = "$rows" ] || fail "$kind $t: the peer has $(p "$ddb" "SELECT count(*) FROM $t") rows, the origin $rows"
    if [ "$CALLGRIND" = 1 ]; then
        # the worker writes its profile when it exits
        p "$ddb" "ALTER SUBSCRIPTION $sub DISABLE" || return 1
        wait_until "$ddb" "NOT EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = '$sub' AND pid IS NOT NULL)" || return 1
        local i=0
        while ! grep -q '^totals:' "$CG_DIR/callgrind.out.$pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
        # the worker's own: a forked process's profile also counts what the
        # postmaster did before the fork
        APPLY_INSNS=$(callgrind_annotate --inclusive=yes "$CG_DIR/callgrind.out.$pid" 2>/dev/null |
            awk '/:StartBackgroundWorker / { gsub(",", "", $1); print $1; exit }')
        cp "$CG_DIR/callgrind.out.$pid" "$CG_KEEP/callgrind.out.$kind.$t.$pid"
    fi
    return 0
}

if [ "$CALLGRIND" = 1 ]; then
    CG_KEEP=${SYNC_CALLGRIND_DIR:-$WORK/keep}
    mkdir -p "$CG_KEEP"
    say ""
    say "-- 1. apply instructions (callgrind on the peer's apply worker, its whole life): rows written with the subscription disabled, then applied after ENABLE --"
    for shape in one bulk; do
        if [ "$shape" = one ]; then label="$ROWS single-row transactions"; else label="one transaction of $BULK rows"; fi
        declare -A I=()
        for kind in plain plainb rows wide sync; do
            if apply_run "$kind" "$shape"; then
                I[$kind]=$APPLY_INSNS
                say "  $kind, $label: applied in $APPLY_S s under callgrind, $APPLY_INSNS instructions"
            else
                fail "apply run $kind $shape"; I[$kind]=0
            fi
        done
        line "apply instructions, ledger replica, $label" "${I[sync]}" "plain logical replication" "${I[plain]}" "$(ratio "${I[plain]}" "${I[sync]}")"
        line "apply instructions, ledger replica, $label" "${I[sync]}" "plain logical replication, binary" "${I[plainb]}" "$(ratio "${I[plainb]}" "${I[sync]}")"
        line "apply instructions, ledger replica, $label" "${I[sync]}" "the ledger's bytes, plain" "${I[wide]}" "$(ratio "${I[wide]}" "${I[sync]}")"
        line "apply instructions, the ledger's rows without their records, plain, $label" "${I[rows]}" "plain logical replication, binary" "${I[plainb]}" "$(ratio "${I[plainb]}" "${I[rows]}")"
        line "apply instructions, the ledger's bytes, plain, $label" "${I[wide]}" "the ledger's rows without their records, plain" "${I[rows]}" "$(ratio "${I[rows]}" "${I[wide]}")"
        unset I
    done
    say "  (ratios: baseline / ledger, as the throughput ratios)"
    for t in one bulk; do
        if [ "$(p sync_dst "SELECT ok FROM ledger.verify('$t', \$\$$(o sync_src "SELECT ledger.digest('$t')")\$\$::jsonb)")" != t ]; then
            fail "the ledger replica '$t' does not verify against the origin's digest"
        fi
    done
    [ "$FAILS" = 0 ] || { say "$FAILS errors"; exit 1; }
    exit 0
fi

# ---------------------------------------------------------------------------
# 1. Apply throughput
# ---------------------------------------------------------------------------
say ""
say "-- 1. apply throughput: rows written with the subscription disabled, then applied after ENABLE; $REPS runs each --"
declare -A RATIO=()
# apply_pair WHAT KIND BASELINE BASEKIND [WALL]: the wall and CPU lines of
# KIND's medians (MW, MC) beside BASEKIND's, for the shape in $label
apply_pair() {
    line "apply rows/s (${5:-wall}), $1, $label, median of $REPS" "${MW[$2]}" \
        "$3" "${MW[$4]}" "$(ratio "${MW[$2]}" "${MW[$4]}")"
    line "apply rows per apply-worker CPU-second, $1, $label, median of $REPS" "${MC[$2]}" \
        "$3" "${MC[$4]}" "$(ratio "${MC[$2]}" "${MC[$4]}")"
}
for shape in one bulk; do
    if [ "$shape" = one ]; then n=$ROWS; label="$ROWS single-row transactions"; else n=$BULK; label="one transaction of $BULK rows"; fi
    declare -A W=() C=()
    wr=() cr=() cwr=() cbr=()
    for rep in $(seq 1 "$REPS"); do
        # the order turns from run to run
        case $((rep % 3)) in
            1) kinds="plain plainb rows wide sync" ;;
            2) kinds="sync plain plainb rows wide" ;;
            0) kinds="wide sync plain plainb rows" ;;
        esac
        for kind in $kinds; do
            if apply_run "$kind" "$shape"; then
                # rows/s: the rows of this run only (the tables keep the earlier ones)
                W[$kind.$rep]=$(awk -v r="$n" -v s="$APPLY_S" 'BEGIN { printf "%.0f", r / s }')
                C[$kind.$rep]=$(awk -v r="$n" -v c="$APPLY_CPU_NS" 'BEGIN { printf "%.0f", r / (c / 1e9) }')
                say "  run $rep, $kind, $label: applied in $APPLY_S s, apply worker (pid $APPLY_PID) CPU $(awk -v c="$APPLY_CPU_NS" 'BEGIN { printf "%.3f", c / 1e9 }') s"
            else
                fail "apply run $rep $kind $shape"
                W[$kind.$rep]=0; C[$kind.$rep]=0
            fi
        done
        wr+=("$(ratio "${W[sync.$rep]}" "${W[plain.$rep]}")")
        cr+=("$(ratio "${C[sync.$rep]}" "${C[plain.$rep]}")")
        cwr+=("$(ratio "${C[sync.$rep]}" "${C[wide.$rep]}")")
        cbr+=("$(ratio "${C[sync.$rep]}" "${C[plainb.$rep]}")")
    done
    # the median of each kind's runs, wall and CPU
    declare -A MW=() MC=()
    for kind in plain plainb rows wide sync; do
        vw=() vc=()
        for rep in $(seq 1 "$REPS"); do vw+=("${W[$kind.$rep]}"); vc+=("${C[$kind.$rep]}"); done
        MW[$kind]=$(bench_median "${vw[@]}"); MC[$kind]=$(bench_median "${vc[@]}")
    done
    apply_pair "ledger replica" sync "plain logical replication" plain "wall, ENABLE to caught up"
    apply_pair "ledger replica" sync "plain logical replication, binary" plainb
    apply_pair "ledger replica" sync "the ledger's bytes, plain" wide
    apply_pair "the ledger's bytes, plain" wide "plain logical replication, binary" plainb
    apply_pair "the ledger's rows without their records, plain" rows "plain logical replication, binary" plainb
    say "  ratios of each run: against plain, wall $(bench_range "${wr[@]}"), CPU $(bench_range "${cr[@]}"); against plain binary, CPU $(bench_range "${cbr[@]}"); against the ledger's bytes plain, CPU $(bench_range "${cwr[@]}")"
    [ "$shape" = one ] && PLAIN_ONE_CPU=${MC[plain]}
    RATIO[$shape.wall]=$(ratio "${MW[sync]}" "${MW[plain]}")
    RATIO[$shape.cpu]=$(ratio "${MC[sync]}" "${MC[plain]}")
    unset W C MW MC
done
for t in one bulk; do
    if [ "$(p sync_dst "SELECT ok FROM ledger.verify('$t', \$\$$(o sync_src "SELECT ledger.digest('$t')")\$\$::jsonb)")" != t ]; then
        fail "the ledger replica '$t' does not verify against the origin's digest"
    fi
done

# ---------------------------------------------------------------------------
# 3. Signed ledgers: apply throughput beside openssl speed
# ---------------------------------------------------------------------------
# openssl's verify/s for one algorithm (ed25519 | ecdsa-p256), per CPU-second
ossl_rate() {
    local a=ed25519 pat='Ed25519\\)'
    if [ "$1" != ed25519 ]; then a=ecdsap256; pat='nistp256\\)'; fi
    openssl speed -seconds 1 "$a" 2>/dev/null | awk -v p="$pat" '$0 ~ p { print $NF }'
}
if [ "$SIGNED" = 1 ]; then
    say ""
    say "-- 3. signed ledgers: $SIGNED_ROWS single-row transactions per algorithm, written with the subscription disabled, applied after ENABLE (every signature checked again at the peer) --"
    for alg in $SIGNED_ALGS; do
        a=${alg//-/_}
        t=sig_$a
        # rows signed in advance over the bytes the origin's ledger signs
        o sync_src "COPY (SELECT i, encode(ledger.signing_bytes('$t',
                ROW(i, 'payment ' || i || ' of 100.00 EUR to account 12345678', 'bench-$alg',
                    NULL, NULL, NULL, NULL)::$t), 'hex')
              FROM generate_series(coalesce((SELECT max(id) FROM $t), 0) + 1,
                                   coalesce((SELECT max(id) FROM $t), 0) + $SIGNED_ROWS) i) TO STDOUT" >"$WORK/$a.msgs" ||
            { fail "signing bytes of $t"; continue; }
        python3 - "$alg" "$WORK/$a" "$t" <<'PY' || { fail "signing the rows of $t"; continue; }
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
alg, base, t = sys.argv[1], sys.argv[2], sys.argv[3]
k = serialization.load_pem_private_key(open(base + ".key", "rb").read(), None)
with open(base + ".sql", "w") as out:
    for line in open(base + ".msgs"):
        i, hexmsg = line.split()
        msg = bytes.fromhex(hexmsg)
        sig = k.sign(msg) if alg == "ed25519" else k.sign(msg, ec.ECDSA(hashes.SHA256()))
        out.write("INSERT INTO %s VALUES (%s, 'payment %s of 100.00 EUR to account 12345678', 'bench-%s', '\\x%s');\n"
                  % (t, i, i, alg, sig.hex()))
PY
        p sync_dst "ALTER SUBSCRIPTION bench_sub DISABLE" || { fail "disable for $t"; continue; }
        wait_until sync_dst "NOT EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = 'bench_sub' AND pid IS NOT NULL)" || continue
        psql -X -q -v ON_ERROR_STOP=1 -d sync_src -f "$WORK/$a.sql" >/dev/null || { fail "signed inserts into $t"; continue; }
        rows=$(o sync_src "SELECT count(*) FROM $t")
        o sync_src "SELECT ledger.digest('$t')" >/dev/null
        head=$(o sync_src "SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = '$t'::regclass")
        o sync_src "CHECKPOINT" >/dev/null
        p sync_dst "CHECKPOINT" >/dev/null
        o1=$(ossl_rate "$alg")
        t0=$(now)
        p sync_dst "ALTER SUBSCRIPTION bench_sub ENABLE" || { fail "enable for $t"; continue; }
        wait_until sync_dst "EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = 'bench_sub' AND pid IS NOT NULL)" || continue
        pid=$(p sync_dst "SELECT pid FROM pg_stat_subscription WHERE subname = 'bench_sub' AND relid IS NULL")
        wait_until sync_dst "(SELECT count(*) FROM $t) >= $rows AND (SELECT coalesce(max(block_no), -1) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = '$t'::regclass) >= $head" || continue
        t1=$(now)
        ns=$(cpu_ns "$pid")
        o2=$(ossl_rate "$alg")
        crate=$(awk -v r="$SIGNED_ROWS" -v c="$ns" 'BEGIN { printf "%.0f", (c > 0) ? r / (c / 1e9) : 0 }')
        wrate=$(awk -v r="$SIGNED_ROWS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", r / (b - a) }')
        orate=$(awk -v a="${o1:-0}" -v b="${o2:-0}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
        say "  $alg: applied in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s ($wrate rows/s), apply worker (pid $pid) CPU $(awk -v c="$ns" 'BEGIN { printf "%.3f", c / 1e9 }') s; openssl speed $o1 before, $o2 after"
        line "signed replica ($alg), apply rows per apply-worker CPU-second, $SIGNED_ROWS single-row transactions" "$crate" \
            "openssl speed $alg verify/s (per CPU-second, around the run)" "$orate" "$(ratio "$crate" "$orate")"
        line "signed replica ($alg), apply rows per apply-worker CPU-second, $SIGNED_ROWS single-row transactions" "$crate" \
            "plain logical replication, single-row (figure 1)" "${PLAIN_ONE_CPU:-0}" "$(ratio "$crate" "${PLAIN_ONE_CPU:-0}")"
        if [ "$(p sync_dst "SELECT ok FROM ledger.verify('$t', \$\$$(o sync_src "SELECT ledger.digest('$t')")\$\$::jsonb)")" != t ]; then
            fail "the signed replica '$t' does not verify against the origin's digest"
        fi
    done
fi

# ---------------------------------------------------------------------------
# 2. End-to-end lag at a steady rate
# ---------------------------------------------------------------------------
say ""
say "-- 2. end-to-end lag at $RATE rows/s (single-row transactions), poller every 10 ms at the peer --"
lag_run() {
    local kind=$1 sdb ddb out
    if [ "$kind" = sync ]; then sdb=sync_src; ddb=sync_dst; else sdb=plain_src; ddb=plain_dst; fi
    p "$ddb" "SET client_min_messages = warning; DROP TABLE IF EXISTS seen; CREATE TABLE seen (id bigint PRIMARY KEY, seen_at timestamptz)" || return 1
    # the poller: every 10 ms, the rows that became visible since the last look
    # (each stamped once, when first seen)
    p "$ddb" "DO \$\$
        DECLARE t_end timestamptz := clock_timestamp() + interval '$((LAT_SECS + 5)) s'; last bigint := coalesce((SELECT max(id) FROM lat), 0); floor bigint := last;
        BEGIN
            WHILE clock_timestamp() < t_end LOOP
                -- rows commit out of id order (8 clients): look back 500 ids
                INSERT INTO seen SELECT id, clock_timestamp() FROM lat WHERE id > greatest(last - 500, floor)
                    ON CONFLICT (id) DO NOTHING;
                last := coalesce((SELECT max(id) FROM seen), last);
                PERFORM pg_sleep(0.01);
            END LOOP;
        END \$\$" &
    local poller=$!
    sleep 1
    out=$WORK/lat.$kind
    local first
    first=$(o "$sdb" "SELECT coalesce(max(id), 0) FROM lat") || return 1
    pgbench -n -c 8 -j 2 -T "$LAT_SECS" -R "$RATE" -f "$WORK/lat.pgb" "$sdb" >"$out" 2>&1 ||
        { fail "pgbench lag load ($kind)"; sed 's/^/    /' "$out" | tail -5; }
    wait "$poller" || { fail "lag poller ($kind)"; return 1; }
    LAT_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$out")
    LAT_SCHED=$(sed -n 's/^rate limit schedule lag: avg \([0-9.]*\).*/\1/p' "$out")
    # join at the peer: seen_at there, sent_at as the origin stamped it (replicated)
    LAT=$(p "$ddb" "SELECT round((1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seen_at - l.sent_at)))::numeric, 1)
                       || ' ' || round((1000 * extract(epoch FROM percentile_cont(0.95) WITHIN GROUP (ORDER BY s.seen_at - l.sent_at)))::numeric, 1)
                       || ' ' || round((1000 * extract(epoch FROM max(s.seen_at - l.sent_at)))::numeric, 1)
                       || ' ' || count(*)
                      FROM seen s JOIN lat l USING (id)")
    # every row the origin committed in the run must have been seen: one that
    # arrived after the poller stopped (or never) would be missing from the
    # percentiles, which would then describe only the rows that were fast
    local sent seen
    sent=$(o "$sdb" "SELECT count(*) FROM lat WHERE id > $first")
    seen=$(p "$ddb" "SELECT count(*) FROM seen WHERE id > $first")
    if [ "$sent" != "$seen" ] || [ "${sent:-0}" = 0 ]; then
        fail "lag run ($kind): the origin committed $sent rows, the poller saw $seen of them within $((LAT_SECS + 4)) s of the load's start"
        return 1
    fi
    if [ "$kind" = sync ]; then
        # the origin's digest may name a block sealed just now, which the
        # replica holds a moment later: up to 10 s for it
        local dg ok i
        dg=$(o "$sdb" "SELECT ledger.digest('lat')")
        for ((i = 0; i < 20; i++)); do
            ok=$(p "$ddb" "SELECT ok FROM ledger.verify('lat', \$\$$dg\$\$::jsonb)" 2>/dev/null)
            [ "$ok" = t ] && break
            sleep 0.5
        done
        if [ "$ok" != t ]; then
            fail "the ledger replica 'lat' does not verify against the origin's digest"
            return 1
        fi
    fi
    return 0
}
declare -A L=()
# plain replication in its default format for the lag figures
p plain_dst "ALTER SUBSCRIPTION bench_plain_sub SET (binary = false)" || fail "plain subscription back to text"
sleep 1
for kind in plain sync; do
    if lag_run "$kind"; then
        read -r L[$kind.p50] L[$kind.p95] L[$kind.max] L[$kind.n] <<<"$LAT"
        L[$kind.sched]=${LAT_SCHED:-?}
        L[$kind.tps]=$(awk -v t="${LAT_TPS:-0}" 'BEGIN { printf "%.0f", t }')
        say "  $kind: ${L[$kind.n]} rows at ${LAT_TPS:-?} rows/s (pgbench schedule lag avg ${LAT_SCHED:-?} ms): p50 ${L[$kind.p50]} ms, p95 ${L[$kind.p95]} ms, max ${L[$kind.max]} ms"
    else
        # no figure from a failed run (a 0 would pass the p95 verdict)
        L[$kind.p50]=failed; L[$kind.p95]=failed; L[$kind.tps]=0; L[$kind.sched]=?
    fi
done
line "lag p50 ms, ledger replica at ${L[sync.tps]} rows/s (asked $RATE)" "${L[sync.p50]}" "plain logical replication at ${L[plain.tps]} rows/s" "${L[plain.p50]}" "$(ratio "${L[sync.p50]}" "${L[plain.p50]}")"
line "lag p95 ms, ledger replica at ${L[sync.tps]} rows/s (asked $RATE)" "${L[sync.p95]}" "plain logical replication at ${L[plain.tps]} rows/s" "${L[plain.p95]}" "$(ratio "${L[sync.p95]}" "${L[plain.p95]}")"

# ---------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------
say ""
# a value that is not a number (a failed run) misses
verdict() { if awk -v v="$2" -v t="$3" -v op="$4" 'BEGIN { exit !(v ~ /^[0-9]+([.][0-9]*)?$/ && ((op == "ge") ? v + 0 >= t : v + 0 <= t)) }'; then say "PASS: $1"; else say "MISS: $1"; fi; }
verdict "apply throughput, single-row transactions: ledger/plain = ${RATIO[one.wall]} wall, ${RATIO[one.cpu]} CPU (target >= 0.8)" "${RATIO[one.wall]}" 0.8 ge
verdict "apply throughput, one bulk transaction: ledger/plain = ${RATIO[bulk.wall]} wall, ${RATIO[bulk.cpu]} CPU (target >= 0.8)" "${RATIO[bulk.wall]}" 0.8 ge
verdict "lag p95 at ${L[sync.tps]} rows/s (asked $RATE): ${L[sync.p95]} ms (target <= 1000 ms)" "${L[sync.p95]}" 1000 le
if [ "${L[sync.tps]}" -lt $((RATE * 95 / 100)) ]; then
    say "NOTE: the origin sustained ${L[sync.tps]} of the $RATE rows/s asked (pgbench schedule lag avg ${L[sync.sched]} ms): the lag is measured at that rate"
fi
[ "$FAILS" = 0 ] || { say "$FAILS errors"; exit 1; }
