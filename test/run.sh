#!/usr/bin/env bash
#
# test/run.sh: what "make test" runs.  See docs/testing.md.
#
# Checks the Debian packages (installs them when root), builds with the
# Makefile's -Werror flags, installs, copies the tree to a temporary
# directory owned by an unprivileged user, runs every suite there as that
# user, stops every server it started, and ends with one line
# "N passed, N failed".  Exit status 0 only when nothing failed; 2 for a
# setup problem (missing packages, build failure).
#
# LEDGER_SUITES selects suites (default: all of them, in this order):
#   meta regress isolation pgtap tap fuzz
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SUITES="meta regress isolation pgtap tap fuzz"
# the tests build with Assert() checks on (see the Makefile)
export LEDGER_ASSERTS=1
# under valgrind everything takes about 20 times longer
if [[ ${LEDGER_VALGRIND:-0} == 1 ]]; then
	: "${LEDGER_SUITE_TIMEOUT:=14400}"
fi
# a hang, not a slow machine: the TAP suite takes about 13 minutes on 2
# quiet cores and passed 900 s with a busy loop beside it (2026-12-05), but
# ran past 1,800 s beside three other test runs on the same 2 cores
# (2026-12-06), which failed a run where nothing had failed
: "${LEDGER_SUITE_TIMEOUT:=3600}"
export LEDGER_SUITE_TIMEOUT
SUITES=${LEDGER_SUITES:-$ALL_SUITES}
LOGDIR=$LEDGER_LOGDIR/test
PASSED=0
FAILED=0
SUMMARY=()
FINISHED=0
SRC=""
WATCHDOG=""

for s in $SUITES; do
	[[ " $ALL_SUITES " == *" $s "* ]] ||
		ledger_die "unknown suite \"$s\" in LEDGER_SUITES (known: $ALL_SUITES)"
done

# Stop a suite's watchdog and its sleep: a background job ignores SIGINT,
# and after a Ctrl-C its "sleep" outlived the run, holding make's output
# open (found by a review on 2026-12-06).
stop_watchdog() {
	pkill -TERM -P "$1" 2>/dev/null || true
	kill "$1" 2>/dev/null || true
}

on_exit() {
	local rc=$?
	if [[ -n $WATCHDOG ]]; then
		stop_watchdog "$WATCHDOG"
	fi
	if ((FINISHED == 0)); then
		if ((rc == 130 || rc == 143)); then
			printf 'test/run.sh: interrupted\n' >&2
		else
			printf 'test/run.sh: stopped early (status %d)\n' "$rc" >&2
		fi
		[[ -n $SRC && -d $SRC ]] && collect_logs
		if ((rc == 130 || rc == 143)); then ledger_cleanup remove; else ledger_cleanup keep; fi
		if [[ -n $SRC ]]; then
			echo "$PASSED passed, $((FAILED + 1)) failed"
		fi
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Add a suite's counts to the totals.  Usage: tally SUITE PASSED FAILED SECONDS [note]
tally() {
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	SUMMARY+=("$(printf '%-10s %4d passed, %4d failed  %4ds  %s' "$1" "$2" "$3" "$4" "${5:-}")")
	ledger_say "$1: $2 passed, $3 failed ($4 s)"
}

# The summary line of a memory checker: passed when it reported nothing.
# Usage: tally_checker NAME REPORTS FAILED_TEXT PASSED_TEXT
tally_checker() {
	if (($2 > 0)); then
		tally "$1" 0 1 0 "$3"
	else
		tally "$1" 1 0 0 "$4"
	fi
}

# Count a pg_regress / pg_isolation_regress log.  Prints "passed failed".
# Usage: count_regress LOG STATUS
count_regress() {
	local log=$1 rc=$2 line p=-1 f=0 okl=0 badl=0
	local re_all='All ([0-9]+) tests passed'
	local re_ign='([0-9]+) of ([0-9]+) tests passed, ([0-9]+) failed test'
	local re_fig='([0-9]+) of ([0-9]+) tests failed, ([0-9]+) of these failures ignored'
	local re_fail='([0-9]+) of ([0-9]+) tests failed'
	while IFS= read -r line; do
		if [[ $line =~ $re_all ]]; then
			p=${BASH_REMATCH[1]} f=0
		elif [[ $line =~ $re_ign ]]; then
			p=${BASH_REMATCH[1]} f=0
		elif [[ $line =~ $re_fig ]]; then
			f=$((BASH_REMATCH[1] - BASH_REMATCH[3]))
			p=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
		elif [[ $line =~ $re_fail ]]; then
			f=${BASH_REMATCH[1]}
			p=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
		elif [[ $line =~ ^(ok|not\ ok)\ [0-9]+ ]]; then
			# PostgreSQL 16 and later print TAP-style lines
			[[ ${BASH_REMATCH[1]} == ok ]] && okl=$((okl + 1)) || badl=$((badl + 1))
		elif [[ $line =~ \.\.\.\ +ok ]]; then
			okl=$((okl + 1))
		elif [[ $line =~ \.\.\.\ +FAILED ]]; then
			badl=$((badl + 1))
		fi
	done <"$log"
	if ((p < 0)); then
		# no summary line (crash, or the server never started)
		p=$okl f=$badl
	fi
	if ((rc != 0 && f == 0)); then
		f=1
	fi
	echo "$p $f"
}

# Count a prove / pg_prove log (TAP::Harness summary).  Prints "passed failed".
# Usage: count_prove LOG STATUS
count_prove() {
	local log=$1 rc=$2 line total=-1 f=0 ran_f=0 cur_f=-1 cur_w=0 cur_def=0 cur_perr=0
	local re_files='^Files=[0-9]+, Tests=([0-9]+)'
	local re_rep='\(Wstat: ([0-9]+).* Tests: [0-9]+ Failed: ([0-9]+)\)'
	local re_plan='planned ([0-9]+) tests? but ran ([0-9]+)'
	flush() {
		if ((cur_f >= 0)); then
			ran_f=$((ran_f + cur_f))
			if ((cur_f > 0)); then
				f=$((f + cur_f + cur_def))
			elif ((cur_w != 0 || cur_perr != 0)); then
				f=$((f + (cur_def > 0 ? cur_def : 1)))
			fi
		fi
		cur_f=-1 cur_w=0 cur_def=0 cur_perr=0
	}
	while IFS= read -r line; do
		if [[ $line =~ $re_rep ]]; then
			flush
			cur_w=${BASH_REMATCH[1]} cur_f=${BASH_REMATCH[2]}
		elif [[ $line =~ $re_plan ]]; then
			cur_perr=1
			cur_def=$((BASH_REMATCH[1] - BASH_REMATCH[2]))
			((cur_def >= 0)) || cur_def=0
		elif [[ $line =~ Parse\ errors: ]]; then
			cur_perr=1
		elif [[ $line =~ $re_files ]]; then
			flush
			total=${BASH_REMATCH[1]}
		fi
	done <"$log"
	flush
	if ((total < 0)); then
		# the harness itself did not finish
		echo "0 $((f > 0 ? f : 1))"
		return
	fi
	# Tests= counts assertions that ran; planned ones that never ran are
	# failures but were never in Tests=.
	local p=$((total - ran_f))
	((p >= 0)) || p=0
	if ((rc != 0 && f == 0)); then
		f=1
	fi
	echo "$p $f"
}

# Watchdog of one suite: after LEDGER_SUITE_TIMEOUT seconds it stops the
# servers of the run (which makes a hung test fail at once), then ends the
# run's remaining processes (those working in the copy), by their ids.
watchdog() {
	local name=$1 sp pid
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "${LEDGER_SUITE_TIMEOUT}" &
	sp=$!
	wait "$sp"
	echo "$name" >"$LEDGER_TMP/timed-out"
	printf 'test/run.sh: suite %s timed out after %s s; stopping its servers\n' \
		"$name" "${LEDGER_SUITE_TIMEOUT}" >&2
	# which test files were still running
	ps -o args= -u "$LEDGER_USER" 2>/dev/null | grep -o 'test/[a-z]*/[A-Za-z0-9_.-]*\.\(pl\|sql\|spec\)' |
		sort -u | sed 's/^/test\/run.sh: still running: /' >&2 || true
	ledger_stop_leftovers
	sleep 30
	for pid in $(ps -o pid= -u "$LEDGER_USER" 2>/dev/null); do
		if [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$SRC"* ]]; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
}

# Run a command as the test user in the copy, logging to LOGDIR/NAME.log
# and to the terminal, under the watchdog.  Sets RC.
# Usage: run_logged NAME command...
run_logged() {
	local name=$1 wd
	shift
	rm -f "$LEDGER_TMP/timed-out"
	watchdog "$name" &
	wd=$!
	WATCHDOG=$wd
	set +e
	(cd "$SRC" && ledger_as_user "$@") 2>&1 | tee "$LOGDIR/$name.log"
	RC=${PIPESTATUS[0]}
	set -e
	stop_watchdog "$wd"
	wait "$wd" 2>/dev/null || true
	WATCHDOG=""
	if [[ -f $LEDGER_TMP/timed-out ]]; then
		echo "suite $name TIMED OUT after ${LEDGER_SUITE_TIMEOUT} s" | tee -a "$LOGDIR/$name.log"
		((RC != 0)) || RC=124
	fi
}

# Expand the words of a Makefile list (globs allowed) into existing files.
expand_list() {
	local w f
	for w in $1; do
		for f in $(cd "$SRC" && { compgen -G "$w" || true; }); do
			[[ -f $SRC/$f ]] && echo "$f"
		done
	done
}

suite_meta() {
	local t0=$SECONDS
	if [[ ! -f $SRC/test/check_meta.sh ]]; then
		tally meta 0 0 0 "(no test/check_meta.sh)"
		return
	fi
	run_logged meta bash test/check_meta.sh
	if ((RC == 0)); then tally meta 1 0 $((SECONDS - t0)); else tally meta 0 1 $((SECONDS - t0)); fi
}

# A pg_regress schedule of the files of REGRESS (or LEDGER_REGRESS_TESTS),
# in their order, one at a time, except that a file named in the Makefile's
# REGRESS_BESIDE runs in one parallel group with the file before it (and
# that file's group).  Usage: regress_schedule LIST BESIDE
regress_schedule() {
	local t line=""
	for t in $1; do
		if [[ -n $line && " $2 " == *" $t "* ]]; then
			line+=" $t"
		else
			[[ -z $line ]] || echo "test: $line"
			line=$t
		fi
	done
	[[ -z $line ]] || echo "test: $line"
}

suite_regress() {
	local t0=$SECONDS list counts schedule
	list=${LEDGER_REGRESS_TESTS:-$(ledger_make_var "$SRC" REGRESS)}
	if [[ -z ${list// /} ]]; then
		tally regress 0 0 0 "(REGRESS is empty)"
		return
	fi
	ledger_as_user rm -rf "$SRC/results" "$SRC/regression.diffs" "$SRC/regression.out"
	schedule=$LEDGER_TMP/regress_schedule
	regress_schedule "$list" "$(ledger_make_var "$SRC" REGRESS_BESIDE)" >"$schedule"
	chmod 0644 "$schedule"
	# PGXS runs "pg_regress $(REGRESS_OPTS) $(REGRESS)": the schedule
	# takes the place of the list
	run_logged regress make installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= TAP_TESTS= \
		REGRESS="--schedule=$schedule"
	counts=$(count_regress "$LOGDIR/regress.log" "$RC")
	if [[ -f $SRC/regression.diffs && $RC != 0 ]]; then
		cp "$SRC/regression.diffs" "$LOGDIR/regress.diffs"
		echo "==== regression.diffs ===="
		cat "$SRC/regression.diffs"
	fi
	# shellcheck disable=SC2086
	tally regress ${counts} $((SECONDS - t0))
}

suite_isolation() {
	local t0=$SECONDS list counts
	list=$(ledger_make_var "$SRC" ISOLATION)
	if [[ -z ${list// /} ]]; then
		tally isolation 0 0 0 "(ISOLATION is empty)"
		return
	fi
	ledger_as_user rm -rf "$SRC/output_iso"
	run_logged isolation make installcheck PG_CONFIG="$PG_CONFIG" REGRESS= TAP_TESTS=
	counts=$(count_regress "$LOGDIR/isolation.log" "$RC")
	if [[ -f $SRC/output_iso/regression.diffs && $RC != 0 ]]; then
		cp "$SRC/output_iso/regression.diffs" "$LOGDIR/isolation.diffs"
		echo "==== output_iso/regression.diffs ===="
		cat "$SRC/output_iso/regression.diffs"
	fi
	# shellcheck disable=SC2086
	tally isolation ${counts} $((SECONDS - t0))
}

suite_pgtap() {
	local t0=$SECONDS files=() counts port base conf=()
	mapfile -t files < <(cd "$SRC" && compgen -G 'test/pgtap/*.sql' | sort)
	if ((${#files[@]} == 0)); then
		tally pgtap 0 0 0 "(no test/pgtap/*.sql)"
		return
	fi
	base=$LEDGER_TMP/pgtap
	ledger_as_user mkdir -p "$base"
	port=$(ledger_free_port)
	if [[ -f $SRC/test/ledger.conf ]]; then
		mapfile -t conf < <(grep -v '^[[:space:]]*\(#\|$\)' "$SRC/test/ledger.conf")
	fi
	ledger_cluster_start "$base/data" "$port" "${conf[@]+"${conf[@]}"}"
	ledger_as_user createdb ledger_test
	ledger_as_user psql -X -q -v ON_ERROR_STOP=1 -d ledger_test \
		-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION ledger' >/dev/null
	run_logged pgtap env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
		pg_prove --timer -d ledger_test "${files[@]}"
	counts=$(count_prove "$LOGDIR/pgtap.log" "$RC")
	ledger_stop_clusters
	cp "$base/server.log" "$LOGDIR/pgtap-server.log" 2>/dev/null || true
	# shellcheck disable=SC2086
	tally pgtap ${counts} $((SECONDS - t0))
}

# The TAP files in the order to start them: the slowest first (measured in
# full runs on 2 cores), so that two at a time do not end with one long
# file running alone; the rest in their own order.
TAP_SLOWEST="120_sync_faults 010_tamper 110_sync_tamper 050_workers 160_sync_signed
	240_pg_upgrade 020_concurrency 085_audit_tool 030_crash 200_restore_order"
slow_first() {
	local s f
	for s in $TAP_SLOWEST; do
		for f in "$@"; do
			[[ $(basename "$f" .pl) == "$s" ]] && echo "$f"
		done
	done
	for f in "$@"; do
		[[ " $TAP_SLOWEST " == *[[:space:]]$(basename "$f" .pl)[[:space:]]* ]] || echo "$f"
	done
}

suite_tap() {
	local t0=$SECONDS list files=() counts pgxs flags=() template
	list=${LEDGER_TAP_TESTS:-$(ledger_make_var "$SRC" PROVE_TESTS)}
	mapfile -t files < <(expand_list "${list:-test/t/*.pl}")
	if ((${#files[@]} == 0)); then
		tally tap 0 0 0 "(no TAP tests)"
		return
	fi
	mapfile -t files < <(slow_first "${files[@]}")
	pgxs=$(dirname "$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")")
	# Three files at a time: most of a file's time is spent waiting (servers
	# starting, sealer intervals, subscriptions catching up), not on a
	# core: at two at a time the suite's files used 1,309 CPU-seconds in
	# 1,858 s of their own wall time on two cores (2026-12-07), about 70 %
	# of what the cores could give.  Each file has its own data directories
	# and ports (PG_TEST_PORT_DIR below hands them out under a lock).
	# LEDGER_PROVE_FLAGS=-j1 for one.
	read -ra flags <<<"${LEDGER_PROVE_FLAGS:--j3}"
	ledger_as_user rm -rf "$SRC/tmp_check"
	# One initdb for the whole suite: a node's init copies this data
	# directory instead of running initdb (test/perl/InitdbTemplate.pm).
	# Made as the tests' user with PATH's initdb, the arguments of
	# PostgreSQL::Test::Cluster's init, and the environment (locale and
	# PG* variables) that PostgreSQL::Test::Utils sets up when it is loaded
	# (at run time: its INIT block, which would open a test log, is skipped).
	template=$LEDGER_TMP/initdb-template
	ledger_as_user rm -rf "$template"
	# shellcheck disable=SC2016
	ledger_as_user perl -I "$pgxs/src/test/perl" -e '{ local $SIG{__WARN__} = sub { }; require PostgreSQL::Test::Utils; }
		exec("initdb", "-D", $ARGV[0], "-A", "trust", "-N") or die "initdb: $!\n"' \
		"$template" >"$LOGDIR/initdb-template.log" 2>&1 ||
		{
			cat "$LOGDIR/initdb-template.log" >&2
			ledger_die "initdb of the TAP suite's template failed"
		}
	# The same environment as PGXS's prove_installcheck, with the server's
	# bin directory (psql, pgbench, pg_ctl) first on PATH.
	run_logged tap env TESTDIR="$SRC" PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
		PG_TEST_PORT_DIR="$LEDGER_TMP/portlock" PG_CONFIG="$PG_CONFIG" \
		INITDB_TEMPLATE="$template" \
		prove -I "$pgxs/src/test/perl/" -I "$SRC/test/perl" -I "$SRC" --timer "${flags[@]+"${flags[@]}"}" "${files[@]}"
	counts=$(count_prove "$LOGDIR/tap.log" "$RC")
	ledger_as_user rm -rf "$template"
	if ((RC != 0)); then
		show_tap_logs
	fi
	# shellcheck disable=SC2086
	tally tap ${counts} $((SECONDS - t0))
}

# Fuzz targets are counted from test/fuzz/run.sh's output: its last
# "N passed, N failed" line if it prints one, else one line per target,
# "name: ok ..." or "name: CRASH ..." / "name: BUILD FAILED ...", else 1
# test by exit status.
suite_fuzz() {
	local t0=$SECONDS last line p=0 f=0 re='^([0-9]+) passed, ([0-9]+) failed$'
	if [[ ! -f $SRC/test/fuzz/run.sh ]]; then
		tally fuzz 0 0 0 "(no test/fuzz/run.sh)"
		return
	fi
	run_logged fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash test/fuzz/run.sh
	last=$(grep -E "$re" "$LOGDIR/fuzz.log" | tail -n 1 || true)
	if [[ $last =~ $re ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		while IFS= read -r line; do
			if [[ $line =~ ^[A-Za-z0-9_.-]+:\ ok ]]; then
				p=$((p + 1))
			elif [[ $line =~ ^[A-Za-z0-9_.-]+:\ (CRASH|BUILD\ FAILED|FAILED|TIMEOUT) ]]; then
				f=$((f + 1))
			fi
		done <"$LOGDIR/fuzz.log"
		if ((p + f == 0)); then
			((RC == 0)) && p=1 || f=1
		fi
	fi
	((RC != 0 && f == 0)) && f=1
	tally fuzz "$p" "$f" $((SECONDS - t0))
}

# Print the end of each failed TAP test's log (tmp_check/log/regress_log_*),
# so that a CI log alone shows what went wrong.
show_tap_logs() {
	local line name log re='^(test/t/[^ ]+)\.pl +\(Wstat: ([0-9]+).* Failed: ([0-9]+)\)'
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		[[ ${BASH_REMATCH[2]} != 0 || ${BASH_REMATCH[3]} != 0 ]] || continue
		name=$(basename "${BASH_REMATCH[1]}")
		log=$SRC/tmp_check/log/regress_log_$name
		[[ -f $log ]] || continue
		echo "==== last ${LEDGER_LOG_LINES:-60} lines of tmp_check/log/regress_log_$name ===="
		tail -n "${LEDGER_LOG_LINES:-60}" "$log"
	done <"$LOGDIR/tap.log"
}

# Copy what a developer needs after a failure into LOGDIR.
collect_logs() {
	[[ -d $SRC/tmp_check/log ]] && cp -r "$SRC/tmp_check/log" "$LOGDIR/tap-logs"
	[[ -d $SRC/log ]] && cp -r "$SRC/log" "$LOGDIR/regress-logs"
	[[ -d $SRC/output_iso/log ]] && cp -r "$SRC/output_iso/log" "$LOGDIR/isolation-logs"
	return 0
}

main() {
	local t0=$SECONDS s
	rm -rf "$LOGDIR" 2>/dev/null || true
	mkdir -p "$LOGDIR" 2>/dev/null || true
	if [[ ! -w $LOGDIR ]] || [[ -n $(ls -A "$LOGDIR" 2>/dev/null) ]]; then
		ledger_die "cannot write the test logs to $LOGDIR (user $(id -un));
run make test as a user who can write the checkout, or set LEDGER_LOGDIR to a writable directory"
	fi
	if [[ " $SUITES " == *" tap "* ]]; then
		ledger_setup test old-releases
	else
		ledger_setup test
	fi
	SRC=$LEDGER_SRC
	ledger_say "suites: $SUITES (logs in $LOGDIR)"
	for s in $SUITES; do
		ledger_say "suite $s"
		"suite_$s"
	done
	local n
	if [[ ${LEDGER_VALGRIND:-0} == 1 ]]; then
		n=$(ledger_valgrind_report)
		tally_checker valgrind "$n" "($n errors in ledger.so; logs in $LEDGER_TMP/valgrind)" \
			"(no error in ledger.so)"
	fi
	if [[ ${LEDGER_ASAN:-0} == 1 ]]; then
		n=$(ledger_asan_report)
		tally_checker asan "$n" "($n sanitizer reports; in $LEDGER_TMP/asan and the server logs)" \
			"(no AddressSanitizer or UBSan report)"
	fi
	n=$(ledger_crash_report)
	tally_checker crashes "$n" "($n crashed server processes, failed assertions or PANICs in the server logs)" \
		"(no crashed server process, failed assertion or PANIC in the server logs)"
	collect_logs
	FINISHED=1
	if ((FAILED > 0)); then
		ledger_cleanup keep
	else
		ledger_cleanup remove
	fi
	echo
	echo "==== summary ($((SECONDS - t0)) s; logs in $LOGDIR) ===="
	printf '%s\n' "${SUMMARY[@]}"
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}

main "$@"
