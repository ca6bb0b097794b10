#!/bin/bash
# Build the libFuzzer targets of test/fuzz (clang-14, ASan + UBSan) and run
# each for FUZZ_SECONDS seconds (default 10).  Prints one line per target;
# exits non-zero if a target fails to build or finds a crash.
#
#   FUZZ_SECONDS=10     run time per target
#   FUZZ_WORKDIR=...    build dir, corpora and logs (default test/fuzz/work)
#   CLANG=clang-14      compiler; PG_CONFIG=pg_config for the server headers
#
# Needs clang-14 and libFuzzer; on Debian 12, libFuzzer for clang-14 is in
# libclang-rt-14-dev (libfuzzer-14-dev only has the standalone library).
# Run as root, this script installs a missing package with apt-get.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${FUZZ_SECONDS:-10}
work=${FUZZ_WORKDIR:-$here/work}
clang=${CLANG:-clang-14}
pg_config=${PG_CONFIG:-pg_config}

mkdir -p "$work"

if ! command -v "$clang" >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -q clang-14 >/dev/null
	else
		echo "fuzz: $clang is missing; install the Debian package clang-14" >&2
		exit 2
	fi
fi

# Can clang link a fuzzer?  If not, libFuzzer's runtime is missing.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' > "$work/probe.c"
if ! "$clang" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -q libclang-rt-14-dev >/dev/null
	fi
	if ! "$clang" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
		echo "fuzz: libFuzzer is missing; install the Debian package libclang-rt-14-dev" >&2
		exit 2
	fi
fi

server_inc=$("$pg_config" --includedir-server) || exit 2
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -Wall -Werror -Wno-unused-parameter
	-Wno-ignored-attributes -Wno-unused-command-line-argument
	-I$top/src -I$server_inc"

# Seed corpora: the published vectors used by the regression tests.
seed() {
	mkdir -p "$work/seed_$1"
	printf '%s' "$3" | xxd -r -p > "$work/seed_$1/$2"
}
ed_pk=d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
ec_pk=0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299
ec_spki=3059301306072a8648ce3d020106082a8648ce3d030107034200$ec_pk
ed_spki=302a300506032b6570032100$ed_pk
r=efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716
s=f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8
sample=73616d706c65
seed pubkey ed 00$ed_pk
seed pubkey ed_spki 00$ed_spki
# BER and a declared unused bit, which OpenSSL alone takes (the second as
# another key: 0x1b became 0x1a); refused since 2026-12-06
seed pubkey ed_spki_ber 0030812a300506032b6570032100$ed_pk
seed pubkey ed_spki_unused 00302a300506032b6570032101${ed_pk%??}1b
seed pubkey ec 01$ec_pk
seed pubkey ec_spki 01$ec_spki
seed pubkey p1363 02$ec_pk
seed pubkey pem "03$(printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAf4U5e33YanA3xoTvKHI+rNR1tDLYSXMP+bA6Dg0uIV8=\n-----END PUBLIC KEY-----\n' | xxd -p | tr -d '\n')"
seed pubkey pem_two "03$(printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAf4U5e33YanA3xoTvKHI+rNR1tDLYSXMP+bA6Dg0uIV8=\n-----END PUBLIC KEY-----\n-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAf4U5e33YanA3xoTvKHI+rNR1tDLYSXMP+bA6Dg0uIV8=\n-----END PUBLIC KEY-----\n' | xxd -p | tr -d '\n')"
seed verify ed 0040e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b
seed verify der 01483046022100${r}022100${s}$sample
seed verify p1363 0240$r$s$sample
# scalars shorter than 32 bytes (sql/sig_ecdsa.sql, "short r" and "short s")
seed verify der_short_r 014730450220009943d24c395701af6fce3eb5a0524f36687825bbcbfc58383a55f939c0d64e02210082bf60d1614081cf146ec118f56cc04a598e108ab9851c64e82fbf4e9a265036$(printf 'ledger: short r' | xxd -p)
seed verify der_short_s 0145304302200801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa8021f45c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420$(printf 'ledger: short s' | xxd -p)
seed verify p1363_short_s 02400801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa80045c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420$(printf 'ledger: short s' | xxd -p)

status=0
for t in pubkey verify; do
	bin="$work/fuzz_$t"
	if ! "$clang" $cflags "$here/fuzz_$t.c" "$top/src/crypto.c" "$here/pg_stub.c" \
		-lcrypto -o "$bin" 2> "$work/build_$t.log"; then
		echo "fuzz_$t: BUILD FAILED (see $work/build_$t.log)"
		status=1
		continue
	fi
	mkdir -p "$work/corpus_$t"
	(cd "$work" && "$bin" -max_total_time="$secs" -max_len=4096 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		"$work/corpus_$t" "$work/seed_$t" > "$work/fuzz_$t.log" 2>&1)
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz_$t.log")
	if [ $rc -eq 0 ]; then
		echo "fuzz_$t: ok, ${runs:-?} runs in ${secs} s, corpus $(ls "$work/corpus_$t" | wc -l) inputs"
	else
		echo "fuzz_$t: CRASH (exit $rc), see $work/fuzz_$t.log and $work/crash-*"
		status=1
	fi
done
exit $status
