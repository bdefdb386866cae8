#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/fuzz_NAME.c, with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, into build/fuzz) and run
# each for a bounded time on its seeds, tests/fuzz/corpus/NAME (read only),
# and on what earlier runs found, build/fuzz/corpus/NAME (kept between runs).
#
# usage: tests/fuzz/run.sh [SECONDS] [NAME...]   (default 30 s, every target)
#        tests/fuzz/run.sh --replay NAME [FILE|DIR...]
#
# A finding (crash, failed check, leak, timeout, out of memory) fails its
# target: the input is left in build/fuzz/artifacts/NAME-*, the report in
# build/fuzz/NAME.log. Prints "N passed, N failed" as tests/run.sh does.
# --replay runs inputs (the seeds by default) through the gcc build of the
# target with tests/fuzz/standalone.c, ASan and UBSan, no libFuzzer.
# Installs clang if it is missing (as root).
set -u
cd "$(dirname "$0")/../.."

out=build/fuzz
all=()
for f in tests/fuzz/fuzz_*.c; do
	n=${f##*/fuzz_}
	all+=("${n%.c}")
done

if [ "${1:-}" = "--replay" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 --replay NAME [FILE|DIR...]" >&2; exit 2; }
	name=$2
	shift 2
	bin=build/asan/tests/fuzz_$name
	nice make -s --no-print-directory BUILD=build/asan \
		SANITIZE=address,undefined "$bin" || exit 2
	[ $# -eq 0 ] && set -- "tests/fuzz/corpus/$name"
	exec "$bin" "$@"
fi

secs=30
case "${1:-}" in
[0-9]*) secs=$1; shift ;;
esac
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang missing, installing it" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
		-y -qq --no-install-recommends clang >/dev/null; } || {
		echo "fuzz: apt-get install clang failed (run as root)" >&2
		exit 2
	}
fi
clang --version | head -n 1

# One set of rules for every build (Makefile): here clang, and libFuzzer's
# coverage on every module.
nice make -s --no-print-directory BUILD=$out CC=clang \
	SANITIZE=fuzzer-no-link,address,undefined fuzz-bins || exit 2
mkdir -p "$out/artifacts"
# libconfig's own leak on a syntax error (see the file) is not a finding;
# it makes libFuzzer look for leaks after most inputs, and that scan is
# quicker with a smaller quarantine (still far more than one input frees).
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export ASAN_OPTIONS=quarantine_size_mb=16

# Inputs longer than the reply engine's and logscan's buffers; the words
# of the parsers libFuzzer does not see (libconfig, PCRE2 patterns, GMime).
opts_for() {
	case $1 in
	reply) echo -max_len=8192 ;;
	logscan) echo -max_len=8192 -dict=tests/fuzz/logscan.dict ;;
	config|codetable) echo -dict=tests/fuzz/libconfig.dict ;;
	mproto) echo -dict=tests/fuzz/mproto.dict ;;
	dsn) echo -dict=tests/fuzz/dsn.dict ;;
	esac
}

pass=0 fail=0 failed=()
for n in "${names[@]}"; do
	bin=$out/fuzz_$n
	[ -x "$bin" ] || { echo "fuzz: no target $n" >&2; exit 2; }
	mkdir -p "$out/corpus/$n"
	echo "== fuzz/$n (${secs}s)"
	# shellcheck disable=SC2046 # one word or none
	nice "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/artifacts/$n-" -print_final_stats=1 \
		$(opts_for "$n") \
		"$out/corpus/$n" "tests/fuzz/corpus/$n" >"$out/$n.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$n.log")
	cov=$(grep -oE 'cov: [0-9]+' "$out/$n.log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "  ok   - ${runs:-?} inputs, ${cov:-cov: ?}"
		pass=$((pass + 1))
	else
		echo "  FAIL - exit $rc, report in $out/$n.log:"
		grep -vE '^#[0-9]+|^INFO:' "$out/$n.log" | tail -n 40 |
			sed 's/^/    /'
		sed -n 's/.*Test unit written to /    input: /p' "$out/$n.log"
		fail=$((fail + 1))
		failed+=("fuzz/$n")
	fi
done

echo
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
