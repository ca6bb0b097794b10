#!/bin/bash
# Static analysers over the extension's C (src/*.c, test/fuzz/*.c,
# test/pricing_driver.c), with the suppressions of findings triaged as false
# positives or harmless (tools/static-check.supp).  Not part of "make test":
# it takes minutes, and what the analysers report changes with their
# versions.  See docs/testing.md, "Static analysis".
#
#   tools/static-check.sh [clang] [gcc] [cppcheck] [tidy]   (default: all)
#
# Environment: JOBS (parallel files, default 2), PG_CONFIG (pg_config),
# FILES (the C files to analyse instead, separated by blanks),
# OUT (directory for the raw reports, default a temporary one, kept);
# NORUN=1 with OUT set filters the reports of an earlier run again (after
# editing the suppressions) without running the tools.
# Prints each finding not suppressed, "tool|file|check|line text" (the key a
# suppression line repeats), and a count per tool; exits 1 if any is left.
# Needs clang-14 (clang, clang-tidy), gcc 12 and cppcheck (Debian packages
# clang-14, clang-tidy-14, gcc-12, cppcheck); a tool that is missing is
# skipped with a message.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
pg_config=${PG_CONFIG:-pg_config}
inc=$("$pg_config" --includedir-server) || exit 2
jobs=${JOBS:-2}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/static-check.XXXXXX")}
mkdir -p "$out"
supp="$top/tools/static-check.supp"
tools=("$@")
[ ${#tools[@]} -eq 0 ] && tools=(clang gcc cppcheck tidy)

srcs=(src/*.c)
tests=(test/fuzz/*.c test/pricing_driver.c)
if [ -n "${FILES:-}" ]; then
	read -r -a srcs <<< "$FILES"
	tests=()
fi
defs=(-I"$top/src" -I"$inc" -D_GNU_SOURCE -DUSE_ASSERT_CHECKING)
export top inc out

have() { command -v "$1" >/dev/null 2>&1; }

# clang's static analyzer: the default checkers but the insecureAPI ones
# (memcpy "without bounds checking") and unix.Malloc (the code allocates
# with palloc), plus nullability and two array-bound checks.
run_clang()
{
	have clang || { echo "static-check: clang is missing; skipped" >&2; return; }
	printf '%s\n' "${srcs[@]}" "${tests[@]}" | xargs -P "$jobs" -I{} sh -c '
		f={}; b=$(echo "$f" | tr / _)
		clang --analyze '"${defs[*]}"' -fno-strict-aliasing -fwrapv \
			-Xclang -analyzer-checker=core,deadcode,unix,nullability,security.FloatLoopCounter,alpha.unix.cstring.OutOfBounds,alpha.security.ReturnPtrRange \
			-Xclang -analyzer-disable-checker=unix.Malloc,security.insecureAPI \
			-o /dev/null "$f" > "$out/clang_$b.txt" 2>&1'
	cat "$out"/clang_*.txt > "$out/clang.txt"
}

# gcc -fanalyzer, at -O2 as the Makefile builds.
run_gcc()
{
	have gcc || { echo "static-check: gcc is missing; skipped" >&2; return; }
	printf '%s\n' "${srcs[@]}" "${tests[@]}" | xargs -P "$jobs" -I{} sh -c '
		f={}; b=$(echo "$f" | tr / _)
		gcc -fanalyzer -O2 -fno-strict-aliasing -fwrapv -fexcess-precision=standard \
			-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers \
			'"${defs[*]}"' -c -o /dev/null "$f" > "$out/gcc_$b.txt" 2>&1'
	cat "$out"/gcc_*.txt > "$out/gcc.txt"
}

# cppcheck: two checks off that misread PostgreSQL's macros (list_make2's
# compound literals, ARR_DATA_PTR's char * cast to double *).
run_cppcheck()
{
	have cppcheck || { echo "static-check: cppcheck is missing; skipped" >&2; return; }
	cppcheck --enable=warning,performance,portability --inconclusive --library=posix \
		-j "$jobs" "${defs[@]}" -D__GNUC__=12 -D__x86_64__ --max-configs=1 -q \
		--suppress=unknownEvaluationOrder --suppress=invalidPointerCast \
		--template='{file}:{line}:{column}: warning: {message} [{id}]' \
		"${srcs[@]}" "${tests[@]}" > "$out/cppcheck.txt" 2>&1
}

# clang-tidy: bugprone-*, cert-*, two readability checks; off: the checks
# that flag PostgreSQL's conventions wholesale (see docs/testing.md).
run_tidy()
{
	have clang-tidy || { echo "static-check: clang-tidy is missing; skipped" >&2; return; }
	local checks='-*,bugprone-*,cert-*,misc-redundant-expression,readability-misleading-indentation'
	checks+=',-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-cert-dcl37-c'
	checks+=',-cert-dcl51-cpp,-cert-err33-c,-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition'
	checks+=',-cert-dcl03-c,-bugprone-implicit-widening-of-multiplication-result'
	printf '%s\n' "${srcs[@]}" | xargs -P "$jobs" -I{} sh -c '
		f={}; b=$(echo "$f" | tr / _)
		clang-tidy --quiet --checks="'"$checks"'" "$f" -- '"${defs[*]}"' \
			-fno-strict-aliasing -fwrapv > "$out/tidy_$b.txt" 2>/dev/null'
	cat "$out"/tidy_*.txt > "$out/tidy.txt"
}

# "file:line:col: warning: message [check]" lines of a report, as keys
# "tool|file|check|the flagged line's text, blanks squeezed".
keys()
{
	local tool=$1
	[ -f "$out/$tool.txt" ] || return
	grep -E '^[^ :]+\.c:[0-9]+:[0-9]+: (warning|error):' "$out/$tool.txt" |
		sed -E "s|^$top/||" | sort -u |
		while IFS= read -r l; do
			f=${l%%:*}
			rest=${l#*:}
			n=${rest%%:*}
			chk=$(printf '%s' "$l" | sed -nE 's/.*\[([^]]+)\]$/\1/p')
			[ -f "$f" ] || continue
			txt=$(sed -n "${n}p" "$f" | tr -s ' \t' ' ' | sed -E 's/^ //; s/ $//')
			printf '%s|%s|%s|%s\n' "$tool" "$f" "${chk:-?}" "$txt"
		done | sort -u
}

left=0
for t in "${tools[@]}"; do
	s=$(date +%s)
	case ${NORUN:+skip}$t in
		skip*) ;;
		clang) run_clang ;;
		gcc) run_gcc ;;
		cppcheck) run_cppcheck ;;
		tidy) run_tidy ;;
		*) echo "static-check: unknown tool $t" >&2; exit 2 ;;
	esac
	all=$(keys "$t")
	new=$(printf '%s\n' "$all" | grep -v '^$' | grep -vxF -f <(grep -v '^#' "$supp" | grep -v '^$') || true)
	na=$(printf '%s\n' "$all" | grep -c . || true)
	nn=$(printf '%s\n' "$new" | grep -c . || true)
	[ -n "$new" ] && printf '%s\n' "$new"
	echo "static-check: $t: $na findings, $((na - nn)) suppressed, $nn left ($(( $(date +%s) - s )) s; reports in $out)"
	left=$((left + nn))
done
[ "$left" -eq 0 ]
