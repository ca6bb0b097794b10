#!/bin/bash
# Signed-row insert rates beside OpenSSL's raw verify rate (docs/signing.md).
#
# A part of "make bench" (bench/run.sh): the server is reached through PG*,
# extension ledger exists, and the server runs on this machine (its
# backend's CPU time is read from /proc).  Needs python3-cryptography and
# openssl.  Per algorithm (ed25519, ecdsa-p256), one key, and
# SIGNED_BENCH_N (default 20000) rows signed in advance over the bytes
# ledger.signing_bytes() returns, for each of SIGNED_BENCH_REPS (default 5)
# fresh signed ledgers (id int8, payload text, key_id text, sig bytea).
# Measured, as rows per CPU-second of the backend that does the work:
#   - COPY of the N pre-signed rows (one transaction), once per ledger;
#   - COPY of the same rows into an unsigned ledger of the same shape;
#   - single-row INSERTs of SIGNED_BENCH_M (default 2000) pre-signed rows,
#     each its own transaction, and all in one transaction;
# each beside "openssl speed -seconds 1" of the algorithm run just before
# and just after it (their mean), which openssl counts per CPU-second of
# its own (user) time.  So both sides of every ratio are CPU time, measured
# within seconds of each other: other load on a shared machine (which also
# slows a CPU-second, through the sibling hyperthread and the caches)
# changes both alike.  The COPY figure is the repetition with the median
# ratio; the range of the ratios is printed beside it.
# Target: signed COPY >= 0.9 x openssl.
set -eu
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=${SIGNED_BENCH_N:-20000}
m=${SIGNED_BENCH_M:-2000}
reps=${SIGNED_BENCH_REPS:-5}
tmp=$(mktemp -d)
tag=sb$$
trap 'rm -rf "$tmp"' EXIT

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# openssl's verify/s for one algorithm (ed25519 | ecdsa-p256), 1 s run
ossl_rate() {
	local a=ed25519 pat='Ed25519\\)'
	if [[ $1 != ed25519 ]]; then
		a=ecdsap256
		pat='nistp256\\)'
	fi
	openssl speed -seconds 1 "$a" 2>/dev/null | awk -v p="$pat" '$0 ~ p { print $NF }'
}

# rows per backend CPU-second of psql arguments, and openssl's rate around
# it: prints "rate baseline"
measure() {
	local rows=$1 alg=$2 o1 o2 ns
	shift 2
	o1=$(ossl_rate "$alg")
	ns=$(bench_cpu_ns_of "$@")
	o2=$(ossl_rate "$alg")
	awk -v r="$rows" -v ns="$ns" -v a="$o1" -v b="$o2" \
		'BEGIN { printf "%.0f %.0f\n", (ns > 0) ? r / (ns / 1e9) : 0, (a + b) / 2 }'
}

# rows per backend CPU-second from nanoseconds
rate() { awk -v r="$1" -v ns="$2" 'BEGIN { printf "%.0f", (ns > 0) ? r / (ns / 1e9) : 0 }'; }

for alg in ed25519 ecdsa-p256; do
	key=$tag-$alg
	base=$tmp/$alg
	# key pair; register the public half
	python3 - "$alg" "$base" <<'PY'
import sys
from cryptography.hazmat.primitives.asymmetric import ed25519, ec
from cryptography.hazmat.primitives import serialization
alg, base = sys.argv[1], sys.argv[2]
k = ed25519.Ed25519PrivateKey.generate() if alg == "ed25519" else ec.generate_private_key(ec.SECP256R1())
open(base + ".key", "wb").write(k.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
pub = k.public_key().public_bytes(serialization.Encoding.PEM,
    serialization.PublicFormat.SubjectPublicKeyInfo)
open(base + ".pub", "wb").write(pub)
PY
	q -v pem="$(cat "$base.pub")" >/dev/null <<SQL
SELECT (ledger.add_key('$key', 'bench', '$alg', ledger.public_key_from_pem(:'pem'))).key_id;
SQL
	tables=()
	for ((r = 1; r <= reps; r++)); do
		t=${tag}_${alg//-/_}_$r
		tables+=("$t")
		q >/dev/null <<SQL
CREATE TABLE $t (id int8, payload text, key_id text, sig bytea);
SELECT ledger.create_ledger('$t') IS NOT NULL;
SELECT ledger.require_signatures('$t', 'sig', 'key_id');
CREATE TABLE ${t}_plain (id int8, payload text, key_id text, sig bytea);
SELECT ledger.create_ledger('${t}_plain') IS NOT NULL;
SQL
		# the bytes to sign: rows 1..n for COPY, in the first ledger also
		# n+1..n+2m for the single-row INSERTs
		extra=0
		((r == 1)) && extra=$((2 * m))
		q -c "COPY (SELECT i, encode(ledger.signing_bytes('$t',
		        ROW(i, 'payment ' || i || ' of 100.00 EUR to account 12345678', '$key',
		            NULL, NULL, NULL, NULL)::$t), 'hex')
		        FROM generate_series(1, $((n + extra))) i) TO STDOUT" >"$base.$r.msgs"
		python3 - "$alg" "$base" "$r" "$key" "$n" "$m" "$t" <<'PY'
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
alg, base, r, key, n, m, t = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
k = serialization.load_pem_private_key(open(base + ".key", "rb").read(), None)
copy = open("%s.%s.copy" % (base, r), "w")
ins1 = open(base + ".ins1.sql", "w") if r == "1" else None
ins2 = open(base + ".ins2.sql", "w") if r == "1" else None
if ins2:
    ins2.write("BEGIN;\n")
for line in open("%s.%s.msgs" % (base, r)):
    i, hexmsg = line.split()
    i = int(i)
    msg = bytes.fromhex(hexmsg)
    sig = k.sign(msg) if alg == "ed25519" else k.sign(msg, ec.ECDSA(hashes.SHA256()))
    payload = "payment %d of 100.00 EUR to account 12345678" % i
    ins = "INSERT INTO %s VALUES (%d, '%s', '%s', '\\x%s');\n" % (t, i, payload, key, sig.hex())
    if i <= n:
        copy.write("%d\t%s\t%s\t\\\\x%s\n" % (i, payload, key, sig.hex()))
    elif i <= n + m:
        ins1.write(ins)
    else:
        ins2.write(ins)
if ins2:
    ins2.write("COMMIT;\n")
PY
	done

	q -c "CHECKPOINT" >/dev/null 2>&1 || true
	runs=()
	plains=()
	for ((r = 1; r <= reps; r++)); do
		t=${tables[r - 1]}
		read -r rt bl < <(measure "$n" "$alg" -c "\\copy $t (id, payload, key_id, sig) FROM '$base.$r.copy'")
		runs+=("$(awk -v a="$rt" -v b="$bl" 'BEGIN { printf "%.4f %s %s", a / b, a, b }')")
		plains+=("$(rate "$n" "$(bench_cpu_ns_of -c "\\copy ${t}_plain (id, payload, key_id, sig) FROM '$base.$r.copy'")")")
	done
	read -r r_ins1 b_ins1 < <(measure "$m" "$alg" -f "$base.ins1.sql")
	read -r r_ins2 b_ins2 < <(measure "$m" "$alg" -f "$base.ins2.sql")

	for ((r = 1; r <= reps; r++)); do
		t=${tables[r - 1]}
		want=$n
		((r == 1)) && want=$((n + 2 * m))
		rows=$(q -c "SELECT count(*) FROM $t")
		[[ $rows == "$want" ]] || {
			echo "ERROR: signed.sh: $alg: $rows rows stored in $t, expected $want"
			exit 1
		}
		ok=$(q -c "SELECT ok FROM ledger.verify('$t')")
		[[ $ok == t ]] || {
			echo "ERROR: signed.sh: $alg: ledger.verify('$t') failed"
			exit 1
		}
		# the unsigned baseline too: the same n rows, verifying
		ok=$(q -c "SELECT ok || '|' || rows_checked FROM ledger.verify('${t}_plain')")
		[[ $ok == "true|$n" ]] || {
			echo "ERROR: signed.sh: $alg: ledger.verify('${t}_plain') gave $ok, expected true|$n"
			exit 1
		}
	done

	# the repetition with the median ratio, and the range of the ratios
	read -r ratio r_copy b_copy < <(printf '%s\n' "${runs[@]}" | sort -n | awk -v k=$(((reps + 1) / 2)) 'NR == k')
	range=$(printf '%s\n' "${runs[@]}" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
	r_plain=$(bench_median "${plains[@]}")
	bench_row "signed COPY $alg rows per backend CPU-second (median ratio of $reps runs; ratios $range)" "$r_copy" "openssl speed $alg verify/s (per CPU-second, around the run)" "$b_copy"
	bench_row "signed single-row INSERT $alg rows per backend CPU-second (commit each)" "$r_ins1" "openssl speed $alg verify/s (per CPU-second, around the run)" "$b_ins1"
	bench_row "signed single-row INSERT $alg rows per backend CPU-second (one transaction)" "$r_ins2" "openssl speed $alg verify/s (per CPU-second, around the run)" "$b_ins2"
	bench_row "signed COPY $alg rows per backend CPU-second" "$r_copy" "unsigned ledger COPY rows per backend CPU-second (median of $reps: $(bench_range "${plains[@]}"))" "$r_plain"

	for t in "${tables[@]}"; do
		q -c "SELECT ledger.drop_ledger('$t'), ledger.drop_ledger('${t}_plain')" >/dev/null 2>&1 || true
	done
done
