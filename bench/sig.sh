#!/bin/bash
# Rate of ledger.verify_signature beside OpenSSL's own verify rate.
#
# Needs a running server with the ledger extension created, reached through
# the usual PG* environment variables, plus python3-cryptography and the
# openssl command line.  Signs N (default 5000, env SIG_BENCH_N) random
# 64-byte messages per algorithm with one key each (as a ledger whose rows
# come from one signer: the parsed key is cached per call site), loads them
# into a temporary table, times one verifying pass per algorithm, and runs
# "openssl speed -seconds 3 ed25519 ecdsap256" in the same run.  Both are
# single-core figures; the SQL pass is the best of three, so that other load
# on a shared machine skews it less.
set -eu

n=${SIG_BENCH_N:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$n" > "$tmp/sigs.csv" <<'PY'
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

psql -X -q -v ON_ERROR_STOP=1 > "$tmp/psql.out" <<SQL
CREATE TEMP TABLE sig_bench (alg text, pk bytea, msg bytea, sig bytea);
\copy sig_bench FROM '$tmp/sigs.csv' WITH (FORMAT csv)
-- warm the table and the code
SELECT count(*) FROM sig_bench WHERE alg = 'ed25519' AND ledger.verify_signature(alg, pk, msg, sig);
\timing on
SELECT 'ed25519', count(*) FROM sig_bench WHERE alg = 'ed25519' AND ledger.verify_signature(alg, pk, msg, sig);
SELECT 'ecdsa-p256', count(*) FROM sig_bench WHERE alg = 'ecdsa-p256' AND ledger.verify_signature(alg, pk, msg, sig);
SELECT 'ed25519', count(*) FROM sig_bench WHERE alg = 'ed25519' AND ledger.verify_signature(alg, pk, msg, sig);
SELECT 'ecdsa-p256', count(*) FROM sig_bench WHERE alg = 'ecdsa-p256' AND ledger.verify_signature(alg, pk, msg, sig);
SELECT 'ed25519', count(*) FROM sig_bench WHERE alg = 'ed25519' AND ledger.verify_signature(alg, pk, msg, sig);
SELECT 'ecdsa-p256', count(*) FROM sig_bench WHERE alg = 'ecdsa-p256' AND ledger.verify_signature(alg, pk, msg, sig);
\timing off
SQL

openssl speed -seconds 3 ed25519 ecdsap256 > "$tmp/speed.out" 2>/dev/null

awk -v n="$n" '
	FNR == NR && /^ *(ed25519|ecdsa-p256) *\|/ { split($0, f, "|"); gsub(/ /, "", f[1]); gsub(/ /, "", f[2]); alg = f[1]; ok[alg] = f[2]; next }
	FNR == NR && /^Time:/ && alg != "" { if (!(alg in ms) || $2 < ms[alg]) ms[alg] = $2; alg = ""; next }
	FNR == NR { next }
	/Ed25519\)/ { ossl["ed25519"] = $NF }
	/nistp256\)/ { ossl["ecdsa-p256"] = $NF }
	END {
		split("ed25519 ecdsa-p256", algs, " ")
		for (i = 1; i <= 2; i++) {
			a = algs[i]
			rate = (ms[a] > 0) ? ok[a] / (ms[a] / 1000.0) : 0
			ratio = (ossl[a] > 0) ? rate / ossl[a] : 0
			printf "verify_signature %s verifies/s (%d rows) | %.0f | openssl speed %s verify/s | %.0f | %.2f\n", a, ok[a], rate, a, ossl[a], ratio
			if (ok[a] != n) printf "warning: %d of %d %s signatures verified\n", ok[a], n, a
		}
	}' "$tmp/psql.out" "$tmp/speed.out"
