#!/usr/bin/env bash
# Run the test suites: unit (cmocka binaries, and the fuzz targets' replays
# of their seed corpora, in $MA_BUILD/tests) and e2e (real Postfix and
# Sendmail, tests/e2e/test_*.sh). Each suite counts as one test per binary
# or script; cmocka prints its own per-case lines above ours.
# Usage: tests/run.sh [unit|e2e [NAME...]]...   (default: both, every test)
#   tests/run.sh unit test_cause fuzz_reply   two unit binaries
#   tests/run.sh e2e test_proxy               one end-to-end script
# A NAME that matches no test of its suite is an error (exit 2).
#
# Environment (make asan and make valgrind set them):
#   MA_BUILD    the build folder to test (default build); the e2e tests
#               honour it too
#   MA_SAN_LOG  the folder the sanitizers write their reports to (their
#               log_path): a test after which one is there fails, and the
#               report is shown
#   MA_VALGRIND=1  the unit binaries run under valgrind memcheck: an error
#               or a leak fails them
set -u
cd "$(dirname "$0")/.."

export MA_BUILD=${MA_BUILD:-build}

# Suites in order, each with the names given after it (none: all).
suites=() names_unit=() names_e2e=() cur=""
for a in "$@"; do
	case $a in
	unit | e2e) suites+=("$a"); cur=$a ;;
	*)
		[ -n "$cur" ] || { echo "run.sh: name '$a' before a suite (unit or e2e)" >&2; exit 2; }
		eval "names_$cur+=(\"\$a\")" ;;
	esac
done
[ ${#suites[@]} -eq 0 ] && suites=(unit e2e)
pass=0 fail=0 failed=()

vg=()
if [ "${MA_VALGRIND:-0}" = 1 ]; then
	vg=(valgrind -q --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--suppressions=tests/valgrind.supp)
fi

# Sanitizer reports the test left (the daemon's too): show them, keep them
# aside, 0 if there was one.
san_reports() {
	local f found=1
	[ -n "${MA_SAN_LOG:-}" ] || return 1
	for f in "$MA_SAN_LOG"/*; do
		[ -f "$f" ] || continue
		echo "sanitizer report $f:"
		sed 's/^/    /' "$f"
		mkdir -p "$MA_SAN_LOG/seen"
		mv "$f" "$MA_SAN_LOG/seen/"
		found=0
	done
	return $found
}

run_one() {
	local name=$1 ok=1
	shift
	echo "== $name"
	"$@" || ok=0
	san_reports && ok=0
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
}

# Whether test NAME (binary or script, without its folder and .sh) was
# asked for in suite S: yes when no name was given for S.
wanted() {
	local s=$1 name=$2 n
	local -n want="names_$s"
	[ ${#want[@]} -eq 0 ] && return 0
	for n in "${want[@]}"; do
		[ "$n" = "$name" ] && return 0
	done
	return 1
}

# Each name given must be a test of its suite: a typo runs nothing.
check_names() {
	local s=$1 n
	shift
	local -n want="names_$s"
	for n in "${want[@]}"; do
		printf '%s\n' "$@" | grep -qx -- "$n" ||
			{ echo "run.sh: no $s test named '$n'" >&2; exit 2; }
	done
}

for s in "${suites[@]}"; do
	case $s in
	unit)
		all=()
		for t in "$MA_BUILD"/tests/test_* "$MA_BUILD"/tests/fuzz_*; do
			[ -x "$t" ] && [ "${t%.d}" = "$t" ] && all+=("${t##*/}")
		done
		check_names unit "${all[@]}"
		for t in "$MA_BUILD"/tests/test_*; do
			[ -x "$t" ] && wanted unit "${t##*/}" || continue
			run_one "unit/${t##*/}" "${vg[@]}" "$t"
		done
		# Every seed and past finding, through the fuzz target's checks.
		for t in "$MA_BUILD"/tests/fuzz_*; do
			[ -x "$t" ] && wanted unit "${t##*/}" || continue
			run_one "unit/${t##*/}" "${vg[@]}" "$t" \
				"tests/fuzz/corpus/${t##*/fuzz_}"
		done ;;
	e2e)
		all=()
		for t in tests/e2e/test_*.sh; do
			n=${t##*/}
			all+=("${n%.sh}")
		done
		check_names e2e "${all[@]}"
		for t in tests/e2e/test_*.sh; do
			n=${t##*/}
			[ -f "$t" ] && wanted e2e "${n%.sh}" || continue
			run_one "e2e/$n" timeout 600 bash "$t"
		done ;;
	*)
		echo "unknown suite: $s" >&2; exit 2 ;;
	esac
done

echo
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
