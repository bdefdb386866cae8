#!/usr/bin/env bash
# Build the mproto fuzzer (clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, against milter/mproto.c only) and run it for
# a bounded time on tests/fuzz/corpus (seeds, read only) and
# build/fuzz/corpus (what the fuzzer finds, kept between runs).
#
# usage: tests/fuzz/run.sh [SECONDS] [libFuzzer options...]   (default 60)
#        tests/fuzz/run.sh --replay FILE|DIR...
#
# A crash leaves its input in build/fuzz/artifacts/ and the exit status is
# not 0. --replay runs inputs through a gcc build (tests/fuzz/standalone.c,
# with ASan and UBSan, no libFuzzer): the seeds by default.
set -eu
cd "$(dirname "$0")/../.."

out=build/fuzz
mkdir -p "$out/corpus" "$out/artifacts"
flags=(-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wshadow
	-Wformat=2 -Wstrict-prototypes -Iinclude)

if [ "${1:-}" = "--replay" ]; then
	shift
	gcc "${flags[@]}" -fsanitize=address,undefined \
		-fno-sanitize-recover=undefined -o "$out/fuzz_mproto_replay" \
		tests/fuzz/fuzz_mproto.c tests/fuzz/standalone.c milter/mproto.c
	[ $# -eq 0 ] && set -- tests/fuzz/corpus
	exec "$out/fuzz_mproto_replay" "$@"
fi

secs=60
case "${1:-}" in
[0-9]*) secs=$1; shift ;;
esac

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang missing, installing it" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends clang >/dev/null || {
		echo "fuzz: apt-get install clang failed (run as root)" >&2
		exit 2
	}
fi
clang --version | head -n 1

clang "${flags[@]}" -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -o "$out/fuzz_mproto" \
	tests/fuzz/fuzz_mproto.c milter/mproto.c

# New inputs go to the first folder; the seeds stay as they are.
exec "$out/fuzz_mproto" -max_total_time="$secs" -timeout=10 \
	-artifact_prefix="$out/artifacts/" -dict=tests/fuzz/mproto.dict \
	-print_final_stats=1 "$@" "$out/corpus" tests/fuzz/corpus
