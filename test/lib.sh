# shellcheck shell=bash
#
# test/lib.sh: shared steps of "make test", "make demo" and "make bench".
#
# Sourced (never run) by test/run.sh, test/demo.sh and bench/run.sh.  It
# provides: the Debian package check, the build and install, the choice of
# an unprivileged OS user (initdb refuses root), a private copy of the
# source tree owned by that user, and throwaway clusters that are always
# stopped again (ledger_cleanup, called from each script's EXIT trap).
#
# Settings (environment):
#   PG_CONFIG             pg_config to build against
#                         (default /usr/lib/postgresql/15/bin/pg_config)
#   LEDGER_SKIP_PACKAGES  1: do not check Debian packages
#   LEDGER_SKIP_BUILD     1: do not build or install (use the extension
#                         installed in PG_CONFIG's PostgreSQL)
#   LEDGER_TEST_USER      OS user for servers when run as root
#                         (default postgres, else ledgertest, created)
#   LEDGER_KEEP           1: keep the temporary directory (always kept on
#                         failure of make test)
#   LEDGER_LOGDIR         where logs are copied (default <repo>/log)

# Packages the harness needs on Debian 12.  pgbench and the PostgreSQL
# server come with postgresql-15; postgresql-contrib-15 is a virtual
# package provided by postgresql-15 on Debian 12, so it is not listed.
# postgresql-server-dev-15 brings clang-14 and llvm-14-dev; the fuzz
# targets (test/fuzz) also need libFuzzer (libclang-rt-14-dev) and xxd;
# test/t/550_coexistence.pl loads pgaudit beside the extension
# (postgresql-15-pgaudit; without it that part of the test is skipped);
# test/t/558_digest_rebuild_race.pl stops a backend with gdb (skipped
# without it).
LEDGER_PACKAGES=(
	postgresql-15
	postgresql-client-15
	postgresql-server-dev-15
	postgresql-15-pgtap
	postgresql-15-pgaudit
	libtap-parser-sourcehandler-pgtap-perl
	libipc-run-perl
	libssl-dev
	make
	gcc
	python3
	python3-cryptography
	openssl
	libclang-rt-14-dev
	xxd
	gdb
)

LEDGER_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
if [[ ! -x $PG_CONFIG ]] && command -v pg_config >/dev/null 2>&1; then
	PG_CONFIG=$(command -v pg_config)
fi
export PG_CONFIG
LEDGER_LOGDIR=${LEDGER_LOGDIR:-$LEDGER_REPO/log}
LEDGER_TMP=""
LEDGER_SRC=""
LEDGER_USER=""
LEDGER_CLUSTERS=()

# Print a step heading.
ledger_say() {
	printf '==> %s\n' "$*" >&2
}

# Print an error and leave with status 2 (setup problem, not a test failure).
ledger_die() {
	printf 'error: %s\n' "$*" >&2
	exit 2
}

# Check the Debian packages; install them when root, else say what to do.
ledger_packages() {
	local missing=() p st
	[[ ${LEDGER_SKIP_PACKAGES:-0} == 1 ]] && return 0
	if ! command -v dpkg-query >/dev/null 2>&1; then
		ledger_say "no dpkg-query: not a Debian system, skipping the package check"
		return 0
	fi
	for p in "${LEDGER_PACKAGES[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[[ $st == installed ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ((EUID == 0)); then
		ledger_say "installing missing packages: ${missing[*]}"
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	else
		printf 'error: missing Debian packages: %s\n' "${missing[*]}" >&2
		printf 'install them with:\n  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y %s\n' \
			"${missing[*]}" >&2
		printf '(or set LEDGER_SKIP_PACKAGES=1 if they are installed another way)\n' >&2
		exit 2
	fi
}

# Make a private PostgreSQL installation under DIR: hard links (or copies)
# of the server's bin, lib and share directories at the same paths below
# DIR, so that PostgreSQL's relocatable-path logic finds share and lib
# beside the copied binaries.  Nothing of ledger is left in it.  Tests,
# the demo and benchmarks install the extension there, never into the
# system's PostgreSQL, so parallel checkouts and the 0.1.0 build used by
# the upgrade test cannot overwrite each other.  Prints the private
# pg_config.  Usage: ledger_private_prefix SYSTEM_PG_CONFIG DIR
ledger_private_prefix() {
	local pgc=$1 dir=$2 d bindir pkglibdir sharedir incdir
	bindir=$("$pgc" --bindir)
	pkglibdir=$("$pgc" --pkglibdir)
	sharedir=$("$pgc" --sharedir)
	incdir=$("$pgc" --includedir-server)
	for d in "$bindir" "$pkglibdir"; do
		[[ -d $dir$d ]] && continue
		mkdir -p "$(dirname "$dir$d")"
		# hard links are refused across file systems, and to files of
		# others when fs.protected_hardlinks is set: then a copy
		cp -al "$d" "$dir$d" 2>/dev/null ||
			{ rm -rf "${dir:?}$d" && cp -a "$d" "$dir$d"; }
	done
	if [[ ! -d $dir$sharedir ]]; then
		mkdir -p "$(dirname "$dir$sharedir")"
		cp -a "$sharedir" "$dir$sharedir"
	fi
	# headers are only read: one link to the whole include tree
	d=$(dirname "$incdir")
	while [[ $d != / && $(dirname "$d") != / && -d $(dirname "$d") &&
		$(basename "$d") != include ]]; do
		d=$(dirname "$d")
	done
	if [[ ! -e $dir$d ]]; then
		mkdir -p "$(dirname "$dir$d")"
		ln -s "$d" "$dir$d"
	fi
	# unlink (never write through) hard links to a system install of ledger
	rm -rf "$dir$pkglibdir"/ledger.so "$dir$pkglibdir"/bitcode/ledger 		"$dir$pkglibdir"/bitcode/ledger.index.bc "$dir$sharedir"/extension/ledger[.-]*
	echo "$dir$bindir/pg_config"
}

# Build the private copy with the Makefile's flags (-Werror) and install it
# into a private PostgreSQL installation under LEDGER_TMP/pg (see
# ledger_private_prefix); PG_CONFIG then names that installation.  The
# caller's checkout and the system's PostgreSQL are not written to.
ledger_build_install() {
	local jobs
	[[ ${LEDGER_SKIP_BUILD:-0} == 1 ]] && return 0
	[[ -x $PG_CONFIG ]] || ledger_die "pg_config not found at $PG_CONFIG (set PG_CONFIG)"
	jobs=$(nproc 2>/dev/null || echo 2)
	LEDGER_SYSTEM_PG_CONFIG=$PG_CONFIG
	PG_CONFIG=$(ledger_private_prefix "$LEDGER_SYSTEM_PG_CONFIG" "$LEDGER_TMP/pg") ||
		ledger_die "could not make a private PostgreSQL installation under $LEDGER_TMP/pg"
	export PG_CONFIG LEDGER_SYSTEM_PG_CONFIG
	ledger_say "building with $PG_CONFIG"
	make -C "$LEDGER_SRC" -j"$jobs" PG_CONFIG="$PG_CONFIG" >&2 ||
		ledger_die "build failed (see the compiler output above)"
	ledger_say "installing into $("$PG_CONFIG" --pkglibdir)"
	make -C "$LEDGER_SRC" install PG_CONFIG="$PG_CONFIG" >&2 ||
		ledger_die "make install failed"
	[[ ${LEDGER_VALGRIND:-0} == 1 ]] && ledger_valgrind_wrap
	[[ ${LEDGER_ASAN:-0} == 1 ]] && ledger_asan_wrap
	return 0
}

# Put a script (standard input) in the place of an installation's postgres,
# which moves to postgres.bin beside it (where it still finds its share
# directory).  Usage: ledger_wrap_postgres BINDIR <<SCRIPT
ledger_wrap_postgres() {
	mv "$1/postgres" "$1/postgres.bin"
	cat >"$1/postgres"
	chmod 755 "$1/postgres"
}

# LEDGER_ASAN=1: ledger.so is built with AddressSanitizer and
# UndefinedBehaviorSanitizer (the Makefile), and every server of the run
# loads their runtimes: the private installation's postgres becomes a
# script that preloads them (and test/asan/nobind.so, which says why) and
# execs the real binary (postgres.bin) under its own name.  Leak checks are
# off (a server frees memory contexts, not every malloc); one report per
# process lands in LEDGER_TMP/asan, and ledger_asan_report counts them.
# The upgrade tests put the new ledger.so into the old releases'
# installations too: theirs are wrapped the same way.
# Usage: ledger_asan_wrap [PG_CONFIG]
ledger_asan_wrap() {
	local bindir libasan libubsan
	bindir=$("${1:-$PG_CONFIG}" --bindir)
	[[ -e $bindir/postgres.bin ]] && return 0
	libasan=$(readlink -f "$(gcc -print-file-name=libasan.so)")
	libubsan=$(readlink -f "$(gcc -print-file-name=libubsan.so)")
	[[ -f $libasan && -f $libubsan ]] ||
		ledger_die "LEDGER_ASAN=1 needs gcc's sanitizer runtimes (apt-get install libasan8 libubsan1)"
	mkdir -p "$LEDGER_TMP/asan"
	chmod 1777 "$LEDGER_TMP/asan"
	[[ -f $LEDGER_TMP/asan/nobind.so ]] ||
		gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$LEDGER_TMP/asan/nobind.so" \
			"$LEDGER_SRC/test/asan/nobind.c" || ledger_die "could not build test/asan/nobind.c"
	ledger_wrap_postgres "$bindir" <<WRAP
#!/bin/bash
LD_PRELOAD="$libasan $libubsan $LEDGER_TMP/asan/nobind.so"
ASAN_OPTIONS="detect_leaks=0:log_path=$LEDGER_TMP/asan/asan:detect_odr_violation=0"
UBSAN_OPTIONS="print_stacktrace=1:log_path=$LEDGER_TMP/asan/ubsan"
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
# argv[0] stays this script: the server records it in postmaster.opts,
# which "pg_ctl restart" runs again
exec -a "\$0" "$bindir/postgres.bin" "\$@"
WRAP
	ledger_say "servers in $bindir run with the sanitizers (reports in $LEDGER_TMP/asan)"
}

# Reports the sanitizers wrote: prints their count, and the first of them on
# stderr.  ASan writes one file per process into LEDGER_TMP/asan; UBSan
# (beside ASan, it ignores its log_path) writes "runtime error:" lines to
# the server's stderr, which is the server log.
# Count what the server logs of the run say crashed: a server process
# killed by SIGILL, SIGABRT, SIGBUS, SIGFPE or SIGSEGV, a failed assertion
# (TRAP), a PANIC.  A crash between two assertions (a background worker's,
# say) made no test fail before (found by a review on 2026-12-06).  Tests
# that kill servers on purpose use SIGKILL or an immediate shutdown, which
# this does not count.  Prints the count; the lines go to stderr.
ledger_crash_report() {
	local re='was terminated by signal (4|6|7|8|11)[^0-9]|^TRAP: |PANIC: ' f n=0
	while IFS= read -r f; do
		n=$((n + $(grep -E -c "$re" "$f")))
		grep -E -m 3 "$re" "$f" | sed "s|^|$f: |" >&2
	done < <(find "$LEDGER_TMP" -name '*.log' ! -name 'regress_log_*' ! -path '*/valgrind/*' \
		-type f -print0 2>/dev/null | xargs -0 -r grep -E -l "$re" 2>/dev/null)
	echo "$n"
}

ledger_asan_report() {
	local dir=$LEDGER_TMP/asan f n=0
	for f in "$dir"/asan.* "$dir"/ubsan.*; do
		[[ -f $f ]] || continue
		n=$((n + 1))
		((n == 1)) && head -n 60 "$f" >&2
	done
	while IFS= read -r f; do
		n=$((n + $(grep -c 'runtime error:' "$f")))
		grep -m 3 -A 12 'runtime error:' "$f" >&2
	done < <(grep -rl --include='*.log' 'runtime error:' "$LEDGER_TMP" 2>/dev/null)
	echo "$n"
}

# LEDGER_VALGRIND=1: every server of the run (and its children) runs under
# valgrind memcheck.  The private installation's postgres becomes a script
# that execs valgrind on the real binary (postgres.bin, beside it, so that
# it still finds its share directory); one log per process lands in
# LEDGER_TMP/valgrind, and ledger_valgrind_report counts the errors whose
# stack passes through ledger.so.
ledger_valgrind_wrap() {
	local bindir
	command -v valgrind >/dev/null ||
		ledger_die "LEDGER_VALGRIND=1 needs valgrind (apt-get install valgrind)"
	bindir=$("$PG_CONFIG" --bindir)
	[[ -e $bindir/postgres.bin ]] && return 0
	mkdir -p "$LEDGER_TMP/valgrind"
	chmod 1777 "$LEDGER_TMP/valgrind"
	ledger_wrap_postgres "$bindir" <<WRAP
#!/bin/sh
exec valgrind --quiet --tool=memcheck --trace-children=no --track-origins=yes \\
	--read-var-info=no --num-callers=30 --error-limit=no \\
	--suppressions="$LEDGER_SRC/test/valgrind.supp" \\
	--log-file="$LEDGER_TMP/valgrind/%p.log" "$bindir/postgres.bin" "\$@"
WRAP
	ledger_say "servers run under valgrind (logs in $LEDGER_TMP/valgrind)"
}

# Errors valgrind reported in ledger's code: prints their count, and the
# first of them (whole stacks) on stderr.
ledger_valgrind_report() {
	local dir=$LEDGER_TMP/valgrind n
	[[ -d $dir ]] || { echo 0; return 0; }
	n=$(awk '/^==[0-9]+== [A-Z]/ { if (err != "" && ours) { c++; if (c <= 5) print err > "/dev/stderr" } err = $0 "\n"; ours = 0; next }
		/^==[0-9]+==    (at|by) / { err = err $0 "\n"; if ($0 ~ /ledger\.so/) ours = 1; next }
		/^==[0-9]+== *$/ { if (err != "" && ours) { c++; if (c <= 5) print err > "/dev/stderr" } err = ""; ours = 0 }
		END { if (err != "" && ours) c++; print c + 0 }' "$dir"/*.log 2>/dev/null || echo 0)
	echo "${n:-0}"
}

# The released versions the upgrade tests start from: version and commit.
# Each is built from the repository's history into its own private
# installation LEDGER_TMP/pg-VERSION, exported as LEDGER_OLD_INSTALL_<v>
# (dots as underscores) for test/t/*upgrade*.pl.
LEDGER_OLD_RELEASES=(
	"0.1.0 26826a2a600755200b9db9701d3486eb31115a9d"
)

# Build every old release (needs the git history of a clone).
ledger_build_old_releases() {
	local rel ver commit dir src pgc var
	for rel in "${LEDGER_OLD_RELEASES[@]}"; do
		read -r ver commit <<<"$rel"
		dir=$LEDGER_TMP/pg-$ver
		src=$LEDGER_TMP/src-$ver
		if ! git -C "$LEDGER_REPO" cat-file -e "$commit^{commit}" 2>/dev/null; then
			# git refuses a clone owned by another user (the usual container CI
			# case): say so, not that the history is missing
			# (not a pipe: under pipefail git's own status would hide grep's)
			local why
			why=$(git -C "$LEDGER_REPO" rev-parse --git-dir 2>&1 || true)
			if [[ $why == *'dubious ownership'* ]]; then
				ledger_die "git refuses $LEDGER_REPO: it is owned by another user than $(id -un) (git's safe.directory);
run make test as the clone's owner, or: git config --global --add safe.directory $LEDGER_REPO"
			fi
			ledger_die "the upgrade test needs release $ver (commit $commit) from the git history;
run make test in a git clone of the repository (not an export), or fetch the full history"
		fi
		mkdir -p "$src"
		git -C "$LEDGER_REPO" archive "$commit" | tar -C "$src" -xf -
		pgc=$(ledger_private_prefix "$LEDGER_SYSTEM_PG_CONFIG" "$dir")
		ledger_say "building release $ver ($commit) into $dir"
		make -C "$src" -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$pgc" >"$LEDGER_TMP/build-$ver.log" 2>&1 &&
			make -C "$src" install PG_CONFIG="$pgc" >>"$LEDGER_TMP/build-$ver.log" 2>&1 ||
			{
				tail -n 40 "$LEDGER_TMP/build-$ver.log" >&2
				ledger_die "could not build release $ver"
			}
		[[ ${LEDGER_ASAN:-0} == 1 ]] && ledger_asan_wrap "$pgc"
		var=LEDGER_OLD_INSTALL_${ver//./_}
		printf -v "$var" '%s' "$(dirname "$("$pgc" --bindir)")"
		export "${var?}"
	done
}

# Choose the OS user that runs servers: root hands over to postgres (or a
# ledgertest user created here); anyone else runs as themselves.
ledger_pick_user() {
	if ((EUID != 0)); then
		LEDGER_USER=$(id -un)
		return 0
	fi
	LEDGER_USER=${LEDGER_TEST_USER:-}
	if [[ -z $LEDGER_USER ]]; then
		if id -u postgres >/dev/null 2>&1; then
			LEDGER_USER=postgres
		else
			LEDGER_USER=ledgertest
		fi
	fi
	if ! id -u "$LEDGER_USER" >/dev/null 2>&1; then
		ledger_say "creating OS user $LEDGER_USER"
		useradd --system --no-create-home --shell /bin/bash "$LEDGER_USER"
	fi
	[[ $(id -u "$LEDGER_USER") != 0 ]] || ledger_die "LEDGER_TEST_USER must not be root"
}

# The PostgreSQL bin directory, first on every PATH we hand out.
ledger_bindir() {
	"$PG_CONFIG" --bindir
}

# Run a command as the unprivileged user, in the given environment.
# Usage: ledger_as_user [VAR=value ...] command [args ...]
ledger_as_user() {
	local path
	path="$(ledger_bindir):/usr/local/bin:/usr/bin:/bin"
	# Temporary files (TAP and pg_regress socket directories among them)
	# go under LEDGER_TMP, so nothing outlives the run; unless that path
	# is too long for a Unix socket path.
	local tmp=${TMPDIR:-/tmp}
	if [[ -d $LEDGER_TMP/tmp && ${#LEDGER_TMP} -le 60 ]]; then
		tmp=$LEDGER_TMP/tmp
	fi
	if ((EUID == 0)); then
		runuser -u "$LEDGER_USER" -- env "PATH=$path" "HOME=$LEDGER_TMP" \
			"USER=$LEDGER_USER" "LOGNAME=$LEDGER_USER" "TMPDIR=$tmp" "$@"
	else
		env "PATH=$path" "TMPDIR=$tmp" "$@"
	fi
}

# Make the private temporary directory and copy the source tree into it
# (without .git and old test output), so that builds and tests never write
# into or chown the caller's checkout.  Usage: ledger_stage NAME
ledger_stage() {
	LEDGER_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ledger-$1.XXXXXX")
	LEDGER_SRC=$LEDGER_TMP/src
	chmod 0755 "$LEDGER_TMP"
	mkdir "$LEDGER_TMP/tmp" "$LEDGER_SRC"
	tar -C "$LEDGER_REPO" -cf - \
		--exclude=./.git --exclude=./log --exclude=./results \
		--exclude=./tmp_check --exclude=./tmp_check_regress \
		--exclude=./tmp_check_iso --exclude=./output_iso \
		--exclude=./regression.diffs --exclude=./regression.out \
		--exclude=./bench/results \
		--exclude='*.o' --exclude='*.bc' --exclude='*.so' . |
		tar -C "$LEDGER_SRC" -xf -
	ledger_say "working directory $LEDGER_TMP (user $LEDGER_USER)"
}

# Everything before the suites: packages, user, private copy, build and
# install (and, given "old-releases", the releases the upgrade tests start
# from), then hand the copy to the user.  Sets LEDGER_TMP and LEDGER_SRC.
# Usage: ledger_setup NAME [old-releases]
ledger_setup() {
	ledger_packages
	ledger_pick_user
	ledger_stage "$1"
	ledger_build_install
	if [[ ${2:-} == old-releases ]]; then
		ledger_build_old_releases
	fi
	if ((EUID == 0)); then
		ledger_chown_tmp
	fi
}

# Hand LEDGER_TMP to the user.  The private installations hold hard links
# to the system's PostgreSQL files, whose owner must not change: there only
# the directories (new ones, made by cp) change hands, so that a test can
# replace the extension's files as a package upgrade would.
ledger_chown_tmp() {
	local d
	for d in "$LEDGER_TMP"/* "$LEDGER_TMP"; do
		case $d in
		"$LEDGER_TMP"/pg | "$LEDGER_TMP"/pg-*)
			find "$d" -type d -exec chown "$LEDGER_USER" {} +
			;;
		"$LEDGER_TMP")
			chown "$LEDGER_USER" "$d"
			;;
		*)
			chown -R "$LEDGER_USER" "$d"
			;;
		esac
	done
}

# Print a TCP port nobody listens on (the clusters listen on a Unix socket
# only, but the port also names the socket and appears in logs).
ledger_free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	ledger_die "could not find a free port"
}

# Create and start a throwaway cluster owned by the user.
# Usage: ledger_cluster_start DATADIR PORT [setting=value ...]
# Sockets go to DATADIR/../sock; the server log to DATADIR/../server.log.
ledger_cluster_start() {
	local datadir=$1 port=$2 base sock
	shift 2
	base=$(dirname "$datadir")
	sock=$base/sock
	ledger_as_user mkdir -p "$sock"
	ledger_as_user initdb -D "$datadir" -A trust -E UTF8 --locale=C.UTF-8 \
		--no-instructions >"$base/initdb.log" 2>&1 ||
		{
			cat "$base/initdb.log" >&2
			ledger_die "initdb failed"
		}
	{
		echo "# added by test/lib.sh"
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$sock'"
		echo "shared_preload_libraries = 'ledger'"
		echo "wal_level = logical"
		echo "max_worker_processes = 16"
		echo "fsync = ${LEDGER_FSYNC:-on}"
		local kv
		for kv in "$@"; do
			echo "$kv"
		done
	} | ledger_as_user tee -a "$datadir/postgresql.conf" >/dev/null
	LEDGER_CLUSTERS+=("$datadir")
	ledger_as_user pg_ctl -D "$datadir" -l "$base/server.log" -w -t 120 start >/dev/null ||
		{
			tail -n 50 "$base/server.log" >&2
			ledger_die "server did not start (log: $base/server.log)"
		}
	export PGHOST=$sock PGPORT=$port PGUSER=$LEDGER_USER
}

# Stop every cluster this script started (immediate mode; idempotent).
ledger_stop_clusters() {
	local d
	for d in "${LEDGER_CLUSTERS[@]+"${LEDGER_CLUSTERS[@]}"}"; do
		if [[ -f $d/postmaster.pid ]]; then
			ledger_as_user pg_ctl -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	LEDGER_CLUSTERS=()
}

# Stop anything left running under the temporary directory: our clusters,
# and TAP or pg_regress nodes whose data directories live there.
ledger_stop_leftovers() {
	local pidfile d
	[[ -n $LEDGER_TMP && -d $LEDGER_TMP ]] || return 0
	while IFS= read -r pidfile; do
		d=$(dirname "$pidfile")
		ledger_as_user pg_ctl -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
	done < <(find "$LEDGER_TMP" -name postmaster.pid -type f 2>/dev/null)
}

# EXIT trap body: stop servers, remove the temporary directory unless kept.
# Usage: ledger_cleanup keep|remove
ledger_cleanup() {
	ledger_stop_clusters
	ledger_stop_leftovers
	if [[ -n $LEDGER_TMP && -d $LEDGER_TMP ]]; then
		if [[ ${1:-} == keep || ${LEDGER_KEEP:-0} == 1 ]]; then
			ledger_say "kept $LEDGER_TMP"
		else
			rm -rf "$LEDGER_TMP"
		fi
	fi
	return 0
}

# EXIT trap of demo.sh and bench/run.sh: clean up, keep the exit status.
ledger_exit_trap() {
	local rc=$?
	ledger_cleanup remove
	exit "$rc"
}

# Print the value of a Makefile variable (e.g. REGRESS) for the tree in $1.
ledger_make_var() {
	make -s --no-print-directory -C "$1" -f Makefile -f - PG_CONFIG="$PG_CONFIG" \
		"ledger-print-$2" <<'EOF'
ledger-print-%:
	@echo $($*)
EOF
}
