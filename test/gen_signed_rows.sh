#!/bin/bash
# Regenerates the signatures embedded in sql/signed_rows.sql.
set -euo pipefail
# Run from a scratch directory, with a server reachable through PG* and psql
# on PATH; prints "label|tool|alg|key|hex signature" for test/signed_rows.txt.
T=$(cd "$(dirname "$0")" && pwd)
PSQL="psql -X -At -v ON_ERROR_STOP=1"
$PSQL -d postgres -c 'DROP DATABASE IF EXISTS siggen' -c 'CREATE DATABASE siggen' >/dev/null
$PSQL -d siggen -c 'CREATE EXTENSION ledger' -f <(sed -n "/^CREATE TABLE sr_payments /,/^SELECT ledger.require_signatures(.sr_transfers/p" "$T/../sql/signed_rows.sql") >/dev/null
S=$T/sign_rows.py
for k in rfc8032-1 rfc8032-2 rfc8032-3 rfc6979-p256; do python3 $S pem $k > $k.pem; done
while IFS='|' read -r label tbl tool alg key row; do
	cols="$row, NULL, NULL, NULL, NULL"
	$PSQL -d siggen -c "SELECT encode(ledger.signing_bytes('$tbl', ROW($cols)::$tbl), 'hex')" > $label.hex
	xxd -r -p $label.hex > $label.bin
	if [[ $tool == openssl ]]; then
		case $alg in
		ed25519) openssl pkeyutl -sign -rawin -inkey $key.pem -in $label.bin -out $label.sig ;;
		ecdsa-p256) openssl dgst -sha256 -sign $key.pem -out $label.sig $label.bin ;;
		ecdsa-p256-p1363)
			openssl dgst -sha256 -sign $key.pem -out $label.der $label.bin
			# r || s from the DER: the two INTEGERs, each left-padded to 32 bytes
			openssl asn1parse -inform DER -in $label.der | awk -F: '/INTEGER/ {printf "%064s", $NF}' | tr ' ' 0 | xxd -r -p > $label.sig ;;
		esac
		sig=$(xxd -p $label.sig | tr -d '\n')
	else
		sig=$(python3 $S sign $alg $key $(cat $label.hex))
	fi
	echo "$label|$tool|$alg|$key|$sig"
done < "$T/signed_rows.txt"
