#!/bin/bash
# Signed-row insert rates beside OpenSSL's raw verify rate (docs/signing.md).
#
# A part of "make bench" (bench/run.sh): the server is reached through PG*,
# extension ledger exists.  Needs python3-cryptography and openssl.  Per
# algorithm (ed25519, ecdsa-p256), one key, a fresh signed ledger
#   (id int8, payload text, key_id text, sig bytea)
# and SIGNED_BENCH_N (default 20000) rows signed in advance over the bytes
# ledger.signing_bytes() returns.  Measured:
#   - COPY of the N pre-signed rows (one transaction);
#   - single-row INSERTs of SIGNED_BENCH_M (default 2000) pre-signed rows,
#     each its own transaction (synchronous commit), and all in one;
#   - COPY of N unsigned rows into an unsigned ledger of the same shape;
# beside "openssl speed -seconds 3 ed25519 ecdsap256" verify/s from the same
# run.  All are one-core figures.  Target: signed COPY >= 0.8 x openssl.
set -eu

n=${SIGNED_BENCH_N:-20000}
m=${SIGNED_BENCH_M:-2000}
tmp=$(mktemp -d)
tag=sb$$
trap 'rm -rf "$tmp"' EXIT

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# seconds elapsed running psql on a file or command (wall clock)
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	q "$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

openssl speed -seconds 3 ed25519 ecdsap256 > "$tmp/speed.out" 2>/dev/null
ossl_ed=$(awk '/Ed25519\)/ { print $NF }' "$tmp/speed.out")
ossl_ec=$(awk '/nistp256\)/ { print $NF }' "$tmp/speed.out")

for alg in ed25519 ecdsa-p256; do
	t=${tag}_${alg//-/_}
	key=$tag-$alg
	# key pair; register the public half
	python3 - "$alg" "$tmp/$alg" <<'PY'
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
	q -v pem="$(cat "$tmp/$alg.pub")" >/dev/null <<SQL
CREATE TABLE $t (id int8, payload text, key_id text, sig bytea);
SELECT ledger.create_ledger('$t') IS NOT NULL;
SELECT ledger.require_signatures('$t', 'sig', 'key_id');
CREATE TABLE ${t}_plain (id int8, payload text, key_id text, sig bytea);
SELECT ledger.create_ledger('${t}_plain') IS NOT NULL;
SELECT (ledger.add_key('$key', 'bench', '$alg', ledger.public_key_from_pem(:'pem'))).key_id;
SQL
	# the bytes to sign, then the signatures (rows 1..n for COPY, the rest
	# for single inserts)
	q -c "COPY (SELECT i, encode(ledger.signing_bytes('$t',
	        ROW(i, 'payment ' || i || ' of 100.00 EUR to account 12345678', '$key',
	            NULL, NULL, NULL, NULL)::$t), 'hex')
	        FROM generate_series(1, $((n + 2 * m))) i) TO STDOUT" > "$tmp/$alg.msgs"
	python3 - "$alg" "$tmp/$alg" "$key" "$n" "$m" <<'PY'
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
alg, base, key, n, m = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
k = serialization.load_pem_private_key(open(base + ".key", "rb").read(), None)
copy = open(base + ".copy", "w")
plain = open(base + ".plain", "w")
ins1 = open(base + ".ins1.sql", "w")
ins2 = open(base + ".ins2.sql", "w")
ins2.write("BEGIN;\n")
for line in open(base + ".msgs"):
    i, hexmsg = line.split()
    i = int(i)
    msg = bytes.fromhex(hexmsg)
    sig = k.sign(msg) if alg == "ed25519" else k.sign(msg, ec.ECDSA(hashes.SHA256()))
    payload = "payment %d of 100.00 EUR to account 12345678" % i
    row = "%d\t%s\t%s\t\\\\x%s\n" % (i, payload, key, sig.hex())
    ins = "INSERT INTO %%s VALUES (%d, '%s', '%s', '\\x%s');\n" % (i, payload, key, sig.hex())
    if i <= n:
        copy.write(row)
        plain.write(row)
    elif i <= n + m:
        ins1.write(ins)
    else:
        ins2.write(ins)
ins2.write("COMMIT;\n")
PY
	sed -i "s/%s/$t/" "$tmp/$alg.ins1.sql" "$tmp/$alg.ins2.sql"
	q -c "CHECKPOINT" >/dev/null 2>&1 || true
	s_copy=$(timed -c "\\copy $t (id, payload, key_id, sig) FROM '$tmp/$alg.copy'")
	s_plain=$(timed -c "\\copy ${t}_plain (id, payload, key_id, sig) FROM '$tmp/$alg.plain'")
	s_ins1=$(timed -f "$tmp/$alg.ins1.sql")
	s_ins2=$(timed -f "$tmp/$alg.ins2.sql")
	rows=$(q -c "SELECT count(*) FROM $t")
	[[ $rows == $((n + 2 * m)) ]] || { echo "signed.sh: $alg: $rows rows stored, expected $((n + 2 * m))" >&2; exit 1; }
	ok=$(q -c "SELECT ok FROM ledger.verify('$t')")
	[[ $ok == t ]] || { echo "signed.sh: $alg: ledger.verify failed" >&2; exit 1; }

	ossl=$ossl_ed
	[[ $alg == ed25519 ]] || ossl=$ossl_ec
	rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.0f", r / s }'; }
	r_copy=$(rate "$n" "$s_copy")
	r_plain=$(rate "$n" "$s_plain")
	r_ins1=$(rate "$m" "$s_ins1")
	r_ins2=$(rate "$m" "$s_ins2")
	row() {
		awk -v f="$1" -v a="$2" -v b="$3" -v c="$4" 'BEGIN { printf "%s | %s | %s | %s | %.2f\n", f, a, b, c, (c > 0 ? a / c : 0) }'
	}
	row "signed COPY $alg rows/s" "$r_copy" "openssl speed $alg verify/s" "$ossl"
	row "signed single-row INSERT $alg rows/s (commit each)" "$r_ins1" "openssl speed $alg verify/s" "$ossl"
	row "signed single-row INSERT $alg rows/s (one transaction)" "$r_ins2" "openssl speed $alg verify/s" "$ossl"
	row "signed COPY $alg rows/s" "$r_copy" "unsigned ledger COPY rows/s" "$r_plain"

	q -c "SELECT ledger.drop_ledger('$t'), ledger.drop_ledger('${t}_plain')" >/dev/null 2>&1 || true
done
