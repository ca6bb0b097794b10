#!/bin/bash
# Rate of ledger.verify_signature beside OpenSSL's own verify rate.
#
# Needs a running server on this machine with the ledger extension created,
# reached through the usual PG* environment variables (the backend's CPU
# time is read from /proc), plus python3-cryptography and the openssl
# command line.  Signs N (default 5000, env SIG_BENCH_N) random 64-byte
# messages per algorithm with one key each (as a ledger whose rows come
# from one signer: the parsed key is cached per call site), loads them into
# a table, and times SIG_BENCH_REPS (default 5) verifying passes per
# algorithm, each in the backend's CPU time and beside
# "openssl speed -seconds 1" of the algorithm run just before and just
# after it (openssl counts per CPU-second of its own time).  The figure is
# the pass with the median ratio; the range of the ratios is printed too.
# Every signature must verify, checked before the first pass and after the
# last: else an ERROR line and status 1 (nothing is printed as a figure).
set -eu
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=${SIG_BENCH_N:-5000}
reps=${SIG_BENCH_REPS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql -X -q -c "DROP TABLE IF EXISTS sig_bench" >/dev/null 2>&1 || true' EXIT

python3 - "$n" >"$tmp/sigs.csv" <<'PY'
import os, sys
from cryptography.hazmat.primitives.asymmetric import ed25519, ec
from cryptography.hazmat.primitives import hashes, serialization
n = int(sys.argv[1])
ed = ed25519.Ed25519PrivateKey.generate()
edpk = ed.public_key().public_bytes(serialization.Encoding.Raw,
                                    serialization.PublicFormat.Raw).hex()
e = ec.generate_private_key(ec.SECP256R1())
ecpk = e.public_key().public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint).hex()
for i in range(n):
    m = os.urandom(64)
    print("ed25519,\\x%s,\\x%s,\\x%s" % (edpk, m.hex(), ed.sign(m).hex()))
for i in range(n):
    m = os.urandom(64)
    print("ecdsa-p256,\\x%s,\\x%s,\\x%s" % (ecpk, m.hex(),
          e.sign(m, ec.ECDSA(hashes.SHA256())).hex()))
PY

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS sig_bench;
CREATE TABLE sig_bench (alg text, pk bytea, msg bytea, sig bytea);
\copy sig_bench FROM '$tmp/sigs.csv' WITH (FORMAT csv)
-- warm the table and the code
SELECT count(*) FROM sig_bench WHERE ledger.verify_signature(alg, pk, msg, sig);
SQL

# openssl's verify/s for one algorithm (ed25519 | ecdsa-p256), 1 s run
ossl_rate() {
	local a=ed25519 pat='Ed25519\\)'
	if [[ $1 != ed25519 ]]; then
		a=ecdsap256
		pat='nistp256\\)'
	fi
	openssl speed -seconds 1 "$a" 2>/dev/null | awk -v p="$pat" '$0 ~ p { print $NF }'
}

# Every signature must verify before anything is timed: a pass over
# signatures that fail (or a count short of n) would time something else.
for alg in ed25519 ecdsa-p256; do
	ok=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT count(*) FILTER (WHERE ledger.verify_signature(alg, pk, msg, sig)) || '/' || count(*) FROM sig_bench WHERE alg = '$alg'")
	if [[ $ok != "$n/$n" ]]; then
		echo "ERROR: verify_signature $alg: $ok signatures verified, expected $n/$n"
		exit 1
	fi
done

for alg in ed25519 ecdsa-p256; do
	runs=()
	for ((r = 1; r <= reps; r++)); do
		o1=$(ossl_rate "$alg")
		ns=$(bench_cpu_ns_of -c "SELECT count(*) FROM sig_bench WHERE alg = '$alg' AND ledger.verify_signature(alg, pk, msg, sig)")
		o2=$(ossl_rate "$alg")
		runs+=("$(awk -v n="$n" -v ns="$ns" -v a="$o1" -v b="$o2" \
			'BEGIN { r = n / (ns / 1e9); o = (a + b) / 2; printf "%.4f %.0f %.1f", r / o, r, o }')")
	done
	ok=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM sig_bench WHERE alg = '$alg' AND ledger.verify_signature(alg, pk, msg, sig)")
	if [[ $ok != "$n" ]]; then
		echo "ERROR: verify_signature $alg: $ok of $n signatures verified after the timed passes"
		exit 1
	fi
	read -r _ rate ossl < <(printf '%s\n' "${runs[@]}" | sort -n | awk -v k=$(((reps + 1) / 2)) 'NR == k')
	range=$(printf '%s\n' "${runs[@]}" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
	bench_row "verify_signature $alg verifies per backend CPU-second ($n rows, median ratio of $reps passes; ratios $range)" \
		"$rate" "openssl speed $alg verify/s (per CPU-second, around the pass)" "$ossl"
done
