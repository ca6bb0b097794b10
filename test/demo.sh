#!/usr/bin/env bash
#
# test/demo.sh: what "make demo" runs.  See docs/testing.md.
#
# The same package check, build and install as "make test", then a
# throwaway cluster (shared_preload_libraries=ledger, wal_level=logical)
# owned by an unprivileged user, database "demo", and test/demo.sql run
# through psql -X -a (every line echoed; narration with \echo).  The
# cluster is stopped and removed at the end, also on failure or Ctrl-C.
#
# demo.sql runs with the working directory at a copy of the source tree,
# PATH starting with PostgreSQL's bin directory, and PGHOST, PGPORT,
# PGUSER and PGDATABASE set, so "\! pgbench ... -f test/demo.d/x.sql"
# reaches the same cluster (test/demo.d/ holds such helper files).
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap ledger_exit_trap EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ledger_setup demo
SRC=$LEDGER_SRC

if [[ ! -f $SRC/test/demo.sql ]]; then
	ledger_die "no test/demo.sql to run"
fi

ledger_cluster_start "$LEDGER_TMP/data" "$(ledger_free_port)" \
	"ledger.seal_interval = ${LEDGER_DEMO_SEAL_INTERVAL:-200ms}"
export PGDATABASE=demo
ledger_as_user createdb demo
ledger_say "cluster up: PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=$PGDATABASE"

status=0
(cd "$SRC" && ledger_as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
	PGDATABASE="$PGDATABASE" LEDGER_DEMO_DIR="$SRC" \
	psql -X -a -v ON_ERROR_STOP=1 -f test/demo.sql) || status=$?

if ((status != 0)); then
	ledger_say "demo failed (psql status $status); server log:"
	tail -n 30 "$LEDGER_TMP/server.log" >&2 || true
	exit 1
fi
ledger_say "demo finished; stopping and removing the cluster"
