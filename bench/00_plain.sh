#!/usr/bin/env bash
#
# bench/00_plain.sh: a plain-table reference for the machine: single-row
# INSERT transactions at 1 and 8 clients (LEDGER_BENCH_SECONDS each).  No
# ledger figure is divided by these: bench/ledger.sh measures its own plain
# baseline, interleaved with the ledger runs, with its own table and script.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

script=$(mktemp)
trap 'rm -f "$script"' EXIT
bench_psql "DROP TABLE IF EXISTS bench_plain;
CREATE TABLE bench_plain (id bigserial PRIMARY KEY, account int NOT NULL,
                          amount numeric(18,2) NOT NULL, at timestamptz NOT NULL DEFAULT now())"
cat >"$script" <<'SQL'
\set account random(1, 100000)
\set amount random(1, 1000000)
INSERT INTO bench_plain (account, amount) VALUES (:account, :amount / 100.0);
SQL

tps1=$(bench_tps 1 "$script")
tps8=$(bench_tps 8 "$script")
[[ -n $tps1 && -n $tps8 ]] || {
	echo "pgbench gave no tps" >&2
	exit 1
}
bench_row "plain INSERT tps, 8 clients" "$tps8" "plain INSERT tps, 1 client" "$tps1"
