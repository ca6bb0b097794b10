#!/usr/bin/env bash
#
# bench/proofs.sh: proofs at scale (issue #12).  In ledgers of 10^3, 10^5
# and 10^7 transactions:
#   1. ledger.prove() of a random row: time (median, p95) and size (JSON
#      text, hashes, and the same content as raw fields: base64 decoded,
#      numbers as 8 bytes), beside one SELECT by primary key on the same
#      table, timed the same way in the same backend; then the same rows
#      again (their pages cached);
#            targets at 10^7: proof <= 2 KB and <= 5 ms;
#   2. ledger.consistency_proof() from the digest of a random older block
#      to the newest: time and size, beside the same SELECT;
# and 3. tools/ledger-audit export over a whole export: rows per CPU-second
#      beside openssl speed sha256 (64-byte inputs per CPU-second; a row
#      costs the verifier about four), and rows per second (wall) beside
#      openssl speed -elapsed (per second of wall time).
# Before the figures of a ledger are printed, PROOF_CHECKS (default 3)
# proofs of random rows are checked by tools/ledger-audit against its
# digest; a ledger whose history is all in one block after the genesis
# prints no consistency_proof() figures (the only digest measure() takes is
# the head's own, and the proof is empty).
#
# Building a ledger of 10^7 transactions by committing 10^7 transactions
# would take hours here, so each ledger is built by the path a restore or a
# superuser's copy takes, with the same code checking every part: one row
# per transaction, inserted with its ledger_xact, ledger_seq (0) and a
# ledger_hash computed by ledger.leaf_hash() over its canonical bytes (the
# row trigger recomputes and checks each one); one transaction record per
# row (root = the row's leaf, the RFC 9162 root of one leaf; committed one
# microsecond apart), loaded in chunks of a million by one statement each,
# and after each chunk ledger.seal(): the statement has the next sealing
# pass put its records on the sealer's work list, and seal() seals them
# into blocks of ledger.block_max_transactions with the production code
# (blocks, chain, history tree and its tiles).  ledger.verify() then recomputes the whole
# ledger before anything is timed.  How long each step took is printed.
#
# Run by bench/run.sh (PGHOST, PGPORT, PGUSER = a superuser, PGDATABASE).
# Settings (environment):
#   PROOF_SIZES    ledger sizes in transactions   (default "1000 100000 10000000")
#   PROOF_SAMPLES  proofs timed per ledger          (default 300)
#   PROOF_EXPORT   ledger size whose export the offline verifier checks
#                  (default 100000; one of PROOF_SIZES)
#   BENCH_SHORT=1  sizes "1000 100000 1000000", 100 samples
set -u -o pipefail

if [ "${BENCH_SHORT:-0}" = 1 ]; then
	: "${PROOF_SIZES:=1000 100000 1000000}" "${PROOF_SAMPLES:=100}"
fi
SIZES=${PROOF_SIZES:-1000 100000 10000000}
SAMPLES=${PROOF_SAMPLES:-300}
EXPORT_SIZE=${PROOF_EXPORT:-100000}
CHUNK=1000000
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/ledger-bench-proofs.XXXXXX)
chmod 755 "$WORK"
FAILS=0

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
q() { PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -c "$1"; }
say() { printf '%s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
row() {
	local ratio
	ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }')
	printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$ratio"
}
fail() { say "ERROR: $*"; FAILS=$((FAILS + 1)); }
pow10() { awk -v n="$1" 'BEGIN { e = int(log(n) / log(10) + 0.5); if (10 ^ e == n) printf "10^%d", e; else print n }'; }

cleanup() {
	local n
	for n in $SIZES; do
		q "SELECT ledger.drop_ledger('bp_$n'::regclass) FROM ledger.ledgers WHERE relation = to_regclass('bp_$n')" \
			>/dev/null 2>&1
		q "DROP TABLE IF EXISTS bp_$n" >/dev/null 2>&1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

say "== proofs: inclusion and consistency proofs at scale, offline verifier rate =="
say "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
say "settings: PROOF_SIZES=\"$SIZES\" PROOF_SAMPLES=$SAMPLES PROOF_EXPORT=$EXPORT_SIZE ledger.block_max_transactions=$(q 'SHOW ledger.block_max_transactions')"

# ---------------------------------------------------------------------------
# Building a ledger of n transactions (see the head of this file)
# ---------------------------------------------------------------------------
build() {
	local n=$1 t=bp_$1 lid base from to t0 t1 t3 t4 ta tb tc rec seal v
	q "DROP TABLE IF EXISTS $t" >/dev/null 2>&1
	q "CREATE TABLE $t (id bigint PRIMARY KEY, payer text NOT NULL, amount numeric(18,2) NOT NULL)" || return 1
	q "SELECT ledger.create_ledger('$t')" >/dev/null || return 1
	lid=$(q "SELECT ledger_id FROM ledger.ledgers WHERE relation = '$t'::regclass")
	# a range of ledger transaction numbers of its own
	base=$(q "SELECT nextval('ledger.transaction_id_seq')")
	q "SELECT setval('ledger.transaction_id_seq', $base + $n)" >/dev/null
	t0=$(now)
	for ((from = 1; from <= n; from += CHUNK)); do
		to=$((from + CHUNK - 1 < n ? from + CHUNK - 1 : n))
		q "INSERT INTO $t (id, payer, amount, ledger_xact, ledger_seq, ledger_hash)
		   SELECT g, 'payer ' || (g % 997), ((g % 100000) / 100.0)::numeric(18,2), $base + g, 0,
		          ledger.leaf_hash(ROW(g, 'payer ' || (g % 997), ((g % 100000) / 100.0)::numeric(18,2),
		                               NULL, NULL, NULL)::$t, $base + g, 0)
		     FROM generate_series($from, $to) g" || return 1
	done
	t1=$(now)
	# the ledger_xact BRIN index took one million rows per statement: rebuilt
	# with every range summarized, as VACUUM leaves a ledger's
	q "REINDEX TABLE $t" >/dev/null
	q "VACUUM ANALYZE $t" >/dev/null
	# per chunk: its records by one statement, then seal(): the statement
	# makes the next sealing pass put them on the work list (records_loaded),
	# and seal() runs that pass.  Nothing is listed by hand: the list takes
	# entries from the extension only (an entry for a transaction a block
	# already held was sealed twice, and this ledger did not verify).
	rec=0 seal=0
	for ((from = 1; from <= n; from += CHUNK)); do
		to=$((from + CHUNK - 1 < n ? from + CHUNK - 1 : n))
		ta=$(now)
		q "INSERT INTO ledger.transactions (ledger_id, xact_id, row_count, root, committed_at)
		   SELECT $lid, ledger_xact, 1, ledger_hash,
		          '2026-01-01 00:00+00'::timestamptz + (ledger_xact - $base) * interval '1 microsecond'
		     FROM $t WHERE ledger_xact BETWEEN $base + $from AND $base + $to" || return 1
		tb=$(now)
		q "SELECT ledger.seal('$t')" >/dev/null || return 1
		tc=$(now)
		rec=$(awk -v a="$rec" -v x="$ta" -v y="$tb" 'BEGIN { printf "%.3f", a + y - x }')
		seal=$(awk -v a="$seal" -v x="$tb" -v y="$tc" 'BEGIN { printf "%.3f", a + y - x }')
	done
	q "VACUUM ANALYZE ledger.transactions, ledger.blocks, ledger.history_tiles" >/dev/null
	t3=$(now)
	v=$(q "SELECT ok || ' ' || rows_checked || ' ' || transactions_checked || ' ' || blocks_checked || ' ' || coalesce(problem, '')
	       FROM ledger.verify('$t')")
	t4=$(now)
	say "built $t: $n transactions of one row, $(q "SELECT count(*) FROM ledger.blocks WHERE ledger_id = $lid") blocks," \
		"history tree size $(q "SELECT ledger.digest('$t')->>'tree_size'"): rows $(secs "$t0" "$t1") s," \
		"records $(printf '%.1f' "$rec") s, sealing $(printf '%.1f' "$seal") s (and $(secs "$t1" "$t3") s in all, with REINDEX and VACUUM); ledger.verify: $v in $(secs "$t3" "$t4") s"
	case $v in
	"true $n $n "*) return 0 ;;
	*) fail "$t does not verify: $v"; return 1 ;;
	esac
}

# ---------------------------------------------------------------------------
# Timing inside one backend: each call timed with clock_timestamp(), after
# a warm-up; the SELECT by primary key the same way, interleaved.
# ---------------------------------------------------------------------------
measure() {
	local n=$1 t=bp_$1
	"${PSQL[@]}" -F ' ' <<SQL
CREATE FUNCTION pg_temp.m(samples int, OUT sel_med float8, OUT sel_p95 float8,
    OUT prove_med float8, OUT prove_p95 float8, OUT prove_bytes float8, OUT prove_hashes float8,
    OUT prove_raw float8,
    OUT cons_med float8, OUT cons_p95 float8, OUT cons_bytes float8, OUT cons_hashes float8,
    OUT sel2_med float8, OUT sel2_p95 float8, OUT prove2_med float8, OUT prove2_p95 float8)
LANGUAGE plpgsql AS \$\$
DECLARE
    sel float8[] := '{}'; prv float8[] := '{}'; cns float8[] := '{}'; sel2 float8[] := '{}'; prv2 float8[] := '{}';
    pb float8[] := '{}'; ph float8[] := '{}'; cb float8[] := '{}'; ch float8[] := '{}'; pr float8[] := '{}';
    ids int8[]; olds jsonb[]; k int8; x int8; s int8; p jsonb; t0 timestamptz; t1 timestamptz; t2 timestamptz;
    u uuid := (SELECT ledger_uuid FROM ledger.ledgers WHERE relation = '$t'::regclass);
    head int8 := (SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id)
                   WHERE l.relation = '$t'::regclass);
BEGIN
    SELECT array_agg(1 + floor(random() * $n)::int8) INTO ids FROM generate_series(1, samples + 20);
    -- old digests: of random blocks before the head (block 1 when there is no other)
    olds := '{}';
    FOR i IN 1 .. samples + 20 LOOP
        k := 1 + floor(random() * greatest(head - 1, 1))::int8;
        olds := olds || (SELECT jsonb_build_object('ledger_uuid', u, 'block', bb.block_no,
                                                   'block_hash', encode(bb.block_hash, 'hex'))
                           FROM ledger.blocks bb JOIN ledger.ledgers l USING (ledger_id)
                          WHERE l.relation = '$t'::regclass AND bb.block_no = k);
    END LOOP;
    FOR i IN 1 .. samples + 20 LOOP
        t0 := clock_timestamp();
        SELECT ledger_xact, ledger_seq INTO x, s FROM $t WHERE id = ids[i];
        t1 := clock_timestamp();
        p := ledger.prove('$t', x, s);
        t2 := clock_timestamp();
        IF i > 20 THEN
            sel := sel || extract(epoch FROM t1 - t0) * 1e6;
            prv := prv || extract(epoch FROM t2 - t1) * 1e6;
            pb := pb || octet_length(p::text)::float8;
            ph := ph || (jsonb_array_length(p->'history'->'path') + jsonb_array_length(p->'transaction'->'path'))::float8;
            -- the same content as raw bytes: base64 strings decoded, numbers
            -- as 8 bytes (the ledger's name and UUID not counted)
            pr := pr || (SELECT sum(CASE WHEN jsonb_typeof(v) = 'number' THEN 8
                                         WHEN jsonb_typeof(v) = 'string' AND v #>> '{}' ~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'
                                              AND v #>> '{}' !~ '^[0-9]*$'
                                         THEN octet_length(decode(v #>> '{}', 'base64')) ELSE 0 END)
                           FROM jsonb_path_query(p, 'strict $.**') v)::float8;
        END IF;
        t1 := clock_timestamp();
        p := ledger.consistency_proof('$t', olds[i]);
        t2 := clock_timestamp();
        IF i > 20 THEN
            cns := cns || extract(epoch FROM t2 - t1) * 1e6;
            cb := cb || octet_length(p::text)::float8;
            ch := ch || jsonb_array_length(p->'path')::float8;
        END IF;
    END LOOP;
    -- the same rows again: what they need is in shared buffers or the OS cache now
    FOR i IN 21 .. samples + 20 LOOP
        t0 := clock_timestamp();
        SELECT ledger_xact, ledger_seq INTO x, s FROM $t WHERE id = ids[i];
        t1 := clock_timestamp();
        p := ledger.prove('$t', x, s);
        t2 := clock_timestamp();
        sel2 := sel2 || extract(epoch FROM t1 - t0) * 1e6;
        prv2 := prv2 || extract(epoch FROM t2 - t1) * 1e6;
    END LOOP;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.95) WITHIN GROUP (ORDER BY v)
      INTO sel2_med, sel2_p95 FROM unnest(sel2) v;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.95) WITHIN GROUP (ORDER BY v)
      INTO prove2_med, prove2_p95 FROM unnest(prv2) v;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.95) WITHIN GROUP (ORDER BY v)
      INTO sel_med, sel_p95 FROM unnest(sel) v;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.95) WITHIN GROUP (ORDER BY v)
      INTO prove_med, prove_p95 FROM unnest(prv) v;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.95) WITHIN GROUP (ORDER BY v)
      INTO cons_med, cons_p95 FROM unnest(cns) v;
    SELECT max(v) INTO prove_bytes FROM unnest(pb) v;
    SELECT max(v) INTO prove_hashes FROM unnest(ph) v;
    SELECT max(v) INTO prove_raw FROM unnest(pr) v;
    SELECT max(v) INTO cons_bytes FROM unnest(cb) v;
    SELECT max(v) INTO cons_hashes FROM unnest(ch) v;
END
\$\$;
SELECT round(sel_med::numeric, 1), round(sel_p95::numeric, 1), round(prove_med::numeric, 1),
       round(prove_p95::numeric, 1), prove_bytes, prove_hashes, prove_raw, round(cons_med::numeric, 1),
       round(cons_p95::numeric, 1), cons_bytes, cons_hashes, round(sel2_med::numeric, 1),
       round(sel2_p95::numeric, 1), round(prove2_med::numeric, 1), round(prove2_p95::numeric, 1)
  FROM pg_temp.m($SAMPLES);
SQL
}

# check_proofs n: proofs of PROOF_CHECKS random rows of bp_n, checked by
# tools/ledger-audit against the ledger's digest (what the timed calls
# return must verify)
check_proofs() {
	local n=$1 t=bp_$1 i id out
	q "SELECT ledger.digest('$t')" >"$WORK/check.digest.json" || { fail "ledger.digest('$t') failed"; return 1; }
	for ((i = 1; i <= ${PROOF_CHECKS:-3}; i++)); do
		id=$(awk -v n="$n" -v s="$RANDOM$i" 'BEGIN { srand(s); print 1 + int(rand() * n) }')
		q "SELECT ledger.prove('$t', ledger_xact, ledger_seq) FROM $t WHERE id = $id" >"$WORK/check.proof.json" ||
			{ fail "ledger.prove of row $id of $t failed"; return 1; }
		if ! out=$(python3 "$HERE/../tools/ledger-audit" inclusion "$WORK/check.proof.json" "$WORK/check.digest.json" 2>&1); then
			fail "the proof of row $id of $t does not verify: $out"
			return 1
		fi
	done
	say "checked: ${PROOF_CHECKS:-3} proofs of random rows of $t verify (tools/ledger-audit inclusion against ledger.digest)"
}

declare -A P95=()
for n in $SIZES; do
	say ""
	say "-- $(pow10 "$n") transactions --"
	if ! build "$n"; then
		fail "could not build a ledger of $n transactions"
		continue
	fi
	read -r sel_med sel_p95 prv_med prv_p95 prv_bytes prv_hashes prv_raw cns_med cns_p95 cns_bytes cns_hashes \
		sel2_med sel2_p95 prv2_med prv2_p95 < <(measure "$n")
	if [ -z "${prv2_p95:-}" ]; then
		fail "measuring the proofs of bp_$n failed"
		continue
	fi
	check_proofs "$n" || continue
	P95[$n]=$prv_p95
	label=$(pow10 "$n")
	head=$(q "SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'bp_$n'::regclass")
	row "prove(), median us, $label tx" "$prv_med" "SELECT by primary key, median us" "$sel_med"
	row "prove(), p95 us, $label tx" "$prv_p95" "SELECT by primary key, p95 us" "$sel_p95"
	row "prove() of the same rows again, median us, $label tx" "$prv2_med" "SELECT by primary key again, median us" "$sel2_med"
	row "prove() of the same rows again, p95 us, $label tx" "$prv2_p95" "SELECT by primary key again, p95 us" "$sel2_p95"
	row "proof size, bytes of JSON (max), $label tx" "$prv_bytes" "hashes in it" "$prv_hashes"
	row "proof size, bytes as raw fields (max), $label tx" "$prv_raw" "bytes of JSON" "$prv_bytes"
	# blocks 0 (the genesis) and 1 only: the older digests measure() takes
	# are block 1's, the head's own, and every proof is empty
	if [ "$head" -ge 2 ]; then
		row "consistency_proof(), median us, $label tx" "$cns_med" "SELECT by primary key, median us" "$sel_med"
		row "consistency_proof(), p95 us, $label tx" "$cns_p95" "SELECT by primary key, p95 us" "$sel_p95"
		row "consistency proof size, bytes of JSON (max), $label tx" "$cns_bytes" "hashes in it" "$cns_hashes"
	else
		say "(consistency_proof() not reported at $label tx: the ledger's history is all in block $head, its head, so the proofs timed were from the head to itself, with $cns_hashes hashes)"
	fi
	if [ "$n" = 10000000 ]; then
		awk -v b="$prv_bytes" -v r="$prv_raw" -v t="$prv_p95" -v m="$prv_med" -v t2="$prv2_p95" 'BEGIN {
			printf "target at 10^7: proof <= 2048 bytes: as JSON %s (%d), as raw fields %s (%d); <= 5000 us: median %s (%.0f), p95 %s (%.0f), p95 again %s (%.0f)\n",
				(b <= 2048 ? "met" : "NOT met"), b, (r <= 2048 ? "met" : "NOT met"), r, (m <= 5000 ? "met" : "NOT met"), m,
				(t <= 5000 ? "met" : "NOT met"), t, (t2 <= 5000 ? "met" : "NOT met"), t2 }'
	fi
done
if [ ${#P95[@]} -ge 2 ]; then
	say ""
	say "growth of the proof's p95 time: $(for n in $SIZES; do [ -n "${P95[$n]:-}" ] && printf '%s tx %s us; ' "$(pow10 "$n")" "${P95[$n]}"; done)"
fi

# ---------------------------------------------------------------------------
# 3. The offline verifier on a full export
# ---------------------------------------------------------------------------
say ""
say "-- tools/ledger-audit export --"
if q "SELECT 1 FROM ledger.ledgers WHERE relation = to_regclass('bp_$EXPORT_SIZE')" | grep -q 1; then
	# the digest first (it seals what is committed), then the export; the
	# tool checks the export against it (without one it would say
	# UNANCHORED, status 3)
	q "SELECT ledger.digest('bp_$EXPORT_SIZE')" >"$WORK/digest.json" ||
		fail "ledger.digest failed"
	"${PSQL[@]}" -c "SELECT * FROM ledger.export('bp_$EXPORT_SIZE')" >"$WORK/export.ndjson" ||
		fail "ledger.export failed"
	TIMEFORMAT='%R %U %S'
	{ time python3 "$HERE/../tools/ledger-audit" export "$WORK/export.ndjson" "$WORK/digest.json" >"$WORK/audit.out" 2>&1; } 2>"$WORK/time.out"
	rc=$?
	read -r wall usr sys <"$WORK/time.out"
	if [ $rc -ne 0 ]; then
		fail "ledger-audit export: $(cat "$WORK/audit.out")"
	else
		# openssl speed counts its user CPU time; with -elapsed, wall time:
		# each side of a ratio counted the same way
		sha=$(openssl speed -seconds 3 -bytes 64 sha256 2>/dev/null | awk '/^sha256/ { v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 / 64 }')
		sha_wall=$(openssl speed -elapsed -seconds 3 -bytes 64 sha256 2>/dev/null | awk '/^sha256/ { v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 / 64 }')
		rps_cpu=$(awk -v n="$EXPORT_SIZE" -v u="$usr" -v s="$sys" 'BEGIN { printf "%.0f", n / (u + s) }')
		rps_wall=$(awk -v n="$EXPORT_SIZE" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
		say "export of $(pow10 "$EXPORT_SIZE") rows: $(wc -c <"$WORK/export.ndjson") bytes; $(cut -c1-120 "$WORK/audit.out")"
		row "ledger-audit export, rows per CPU-second" "$rps_cpu" "openssl sha256, 64-byte inputs per CPU-second" "$sha"
		row "ledger-audit export, rows per second (wall)" "$rps_wall" "openssl sha256, 64-byte inputs per second (wall, openssl speed -elapsed)" "$sha_wall"
	fi
else
	say "(no ledger of $EXPORT_SIZE transactions was built: set PROOF_EXPORT to one of PROOF_SIZES)"
fi

[ "$FAILS" -eq 0 ] || { say "$FAILS failure(s)"; exit 1; }
