#!/usr/bin/env bash
#
# bench/run.sh: what "make bench" runs.  See docs/testing.md.
#
# The same package check, build and install as "make test", then one
# throwaway cluster tuned for benchmarks, owned by an unprivileged user.
# Every part script bench/*.sh (except run.sh and lib.sh) runs in name
# order with PGHOST, PGPORT, PGUSER and PGDATABASE=bench (where extension
# ledger is already created) exported, the
# working directory at a copy of the source tree, and PostgreSQL's bin
# directory first on PATH.  Parts print result lines
#   figure | value | baseline | value | ratio
# and their standard output is collected in bench/results/<date>.txt.
#
# LEDGER_BENCH_PARTS    names (without .sh) to run instead of all parts
# LEDGER_BENCH_SECONDS  duration of each pgbench run (default 10), for
#                       parts that use bench/lib.sh
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

trap ledger_exit_trap EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

parts=()
for f in "$LEDGER_REPO"/bench/*.sh; do
	name=$(basename "$f" .sh)
	[[ $name == run || $name == lib ]] && continue
	if [[ -n ${LEDGER_BENCH_PARTS:-} && " $LEDGER_BENCH_PARTS " != *" $name "* ]]; then
		continue
	fi
	parts+=("$name")
done
((${#parts[@]} > 0)) || ledger_die "no benchmark parts (bench/*.sh) to run"

# the bulk_insn part counts instructions under valgrind's callgrind
LEDGER_PACKAGES+=(valgrind)
ledger_setup bench
SRC=$LEDGER_SRC

ledger_cluster_start "$LEDGER_TMP/data" "$(ledger_free_port)" \
	"shared_buffers = 1GB" \
	"synchronous_commit = on" \
	"max_wal_size = 4GB" \
	"checkpoint_timeout = 30min" \
	"max_connections = 100"
export PGDATABASE=bench
ledger_as_user createdb bench
ledger_as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" psql -X -q -v ON_ERROR_STOP=1 -d bench \
	-c 'CREATE EXTENSION ledger' >/dev/null

mkdir -p "$LEDGER_REPO/bench/results"
out=$LEDGER_REPO/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).txt
{
	echo "# ledger benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "# host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
	echo "# server: $(ledger_as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" psql -X -At -d bench -c 'SELECT version()')"
	echo "# commit: $(git -C "$LEDGER_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$LEDGER_REPO" diff --quiet HEAD 2>/dev/null || echo ' (modified)')"
	# read from the server, not restated: fsync follows LEDGER_FSYNC (test/lib.sh)
	echo "# settings: $(ledger_as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" psql -X -At -d bench -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY ord) FROM unnest(ARRAY['shared_buffers', 'synchronous_commit', 'fsync', 'max_wal_size', 'checkpoint_timeout', 'wal_level', 'max_parallel_workers_per_gather', 'jit']) WITH ORDINALITY AS s(name, ord)")"
	echo "# figure | value | baseline | value | ratio"
} | tee "$out"

failed=()
for name in "${parts[@]}"; do
	ledger_say "part $name"
	echo "## $name" | tee -a "$out"
	set +e
	(cd "$SRC" && ledger_as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
		PGDATABASE="$PGDATABASE" LEDGER_BENCH_SECONDS="${LEDGER_BENCH_SECONDS:-10}" \
		LEDGER_BENCH_DIR="$SRC" bash "bench/$name.sh") | tee -a "$out"
	rc=${PIPESTATUS[0]}
	set -e
	if ((rc != 0)); then
		echo "## $name FAILED (status $rc)" | tee -a "$out"
		failed+=("$name")
	fi
done

ledger_say "results in $out"
if ((${#failed[@]} > 0)); then
	ledger_say "failed parts: ${failed[*]}"
	exit 1
fi
