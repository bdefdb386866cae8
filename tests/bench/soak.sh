#!/usr/bin/env bash
# soak.sh - a long run (make soak, not part of make test): SOAK_SESSIONS
# sessions through milter-annotate, with SIGHUP reloads every SOAK_HUP_MS ms
# all along; its resident memory and open descriptors (/proc/PID) must not
# grow between SOAK_FIRST sessions and the end.
#
# For each mode of SOAK_MODES: libmilter mode ("milter") and proxy mode
# ("proxy", in front of build/bench-noop-milter). The load is
# build/bench-milter's full sessions, SOAK_CONC at once, 4 recipients of
# which the 4th is refused and annotated (logged) by a rule, so that the
# annotation path runs on every session. The process is measured at rest
# (its sessions over) after SOAK_FIRST sessions and after SOAK_SESSIONS:
#
#   SOAK mode=milter at=10000 VmRSS_kB=... fds=... threads=...
#
# It fails if VmRSS grew by more than SOAK_RSS_PCT percent and more than
# SOAK_RSS_KB kB (both: a few hundred kB of allocator noise on a 5 MB
# process is no leak), if the descriptors grew at all, if a session failed,
# if a message went unanswered, or if a reload failed.
#
# Environment (defaults in brackets): SOAK_SESSIONS [100000], SOAK_FIRST
# [10000], SOAK_CONC [16], SOAK_HUP_MS [200], SOAK_MODES ["milter proxy"],
# SOAK_RSS_PCT [10], SOAK_RSS_KB [2048], SOAK_KEEP=1 keeps the temporary
# folder (the milters' logs, the driver's reports).
set -u
cd "$(dirname "$0")/../.." || exit 1

: "${SOAK_SESSIONS:=100000}"
: "${SOAK_FIRST:=10000}"
: "${SOAK_CONC:=16}"
: "${SOAK_HUP_MS:=200}"
: "${SOAK_MODES:=milter proxy}"
: "${SOAK_RSS_PCT:=10}"
: "${SOAK_RSS_KB:=2048}"
E2E_KEEP=${SOAK_KEEP:-0}

# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

DRIVER=$REPO_TOP/build/bench-milter
NOOP=$REPO_TOP/build/bench-noop-milter
for b in "$DRIVER" "$NOOP" "$MA_BIN"; do
	[ -x "$b" ] || { echo "soak.sh: $b is missing (make soak builds it)" >&2; exit 1; }
done
e2e_init soak
T0=$SECONDS
FAILS=()
HUP_PID=
soak_cleanup() {
	[ -n "$HUP_PID" ] && kill "$HUP_PID" 2>/dev/null && wait "$HUP_PID" 2>/dev/null
	e2e_cleanup
}
trap soak_cleanup EXIT

noop_start() { # NAME PORT
	local name=$1 port=$2 pid i
	"$NOOP" "inet:$port@127.0.0.1" 2>>"$E2E_TMP/$name.log" </dev/null &
	pid=$!
	E2E_MA_PID["$name"]=$pid
	for ((i = 0; i < E2E_START_TIMEOUT * 10; i++)); do
		_mta_listening "$port" && return 0
		_mta_alive "$pid" || break
		sleep 0.1
	done
	echo "soak.sh: $name does not listen on $port" >&2
	return 1
}

write_conf() { # FILE [UPSTREAM_PORT]
	{
		echo '# milter-annotate soak configuration (tests/bench/soak.sh)'
		echo 'log = "stderr";'
		[ -n "${2:-}" ] && echo "upstream = \"inet:$2@127.0.0.1\";"
		cat <<'EOF'
rules = (
  { name = "no-relay"; stage = "rcpt"; rcpt = "^<?(blocked|noreply)@";
    reply = "550 5.7.1 Relaying denied"; },
  { name = "rcpt3"; stage = "rcpt"; rcpt = "^<?rcpt3-";
    reply = "550 5.1.1 No such user"; },
  { name = "subject"; stage = "header"; header = "Subject: (viagra|lottery)";
    reply = "554 5.7.1 Content refused"; }
);
EOF
	} >"$1"
	"$MA_BIN" -n -c "$1" >/dev/null || { echo "soak.sh: bad $1" >&2; exit 1; }
}

vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# hups PID: SIGHUP every SOAK_HUP_MS ms, until killed.
hups() {
	local secs
	printf -v secs '%d.%03d' $((SOAK_HUP_MS / 1000)) $((SOAK_HUP_MS % 1000))
	while kill -HUP "$1" 2>/dev/null; do sleep "$secs"; done
}

# drive PORT N LABEL: N sessions; its report in $E2E_TMP/LABEL.txt.
drive() {
	timeout 3600 "$DRIVER" -s "inet:$1@127.0.0.1" -c "$SOAK_CONC" -n "$2" -L "$3" -q \
		>"$E2E_TMP/$3.txt" 2>&1
	grep -E '^(RESULT|MESSAGES)|first error' "$E2E_TMP/$3.txt" | sed 's/^/   /'
	grep -q '^RESULT.* errors=0 ' "$E2E_TMP/$3.txt" || FAILS+=("$3: sessions failed")
	awk '/^MESSAGES/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		exit !(v["started"] == v["accepted"] + v["rejected"] + v["tempfailed"] &&
		       v["failed"] == 0 && v["discarded"] == 0) }' "$E2E_TMP/$3.txt" ||
		FAILS+=("$3: a message went unanswered")
}

# measure MODE PID AT: at rest (no session open), print the SOAK line.
measure() {
	local i
	# Sessions end when the driver has seen the close; threads go just after.
	for ((i = 0; i < 20; i++)); do
		[ "$(fds "$2")" -le "${REST_FDS:-1000000}" ] && break
		sleep 0.1
	done
	sleep 1
	M_RSS=$(vm "$2" VmRSS) M_FDS=$(fds "$2") M_THR=$(vm "$2" Threads)
	echo "SOAK mode=$1 at=$3 VmRSS_kB=$M_RSS VmHWM_kB=$(vm "$2" VmHWM) fds=$M_FDS threads=$M_THR"
}

soak_mode() {
	# (not "port": e2e_port has a local of that name)
	local mode=$1 s_port s_up name pid rss1 fds1 allowed grew reloads failed mark
	e2e_port s_port || exit 1
	name=soak-$mode
	if [ "$mode" = proxy ]; then
		e2e_port s_up || exit 1
		noop_start noop "$s_up" || exit 1
		write_conf "$E2E_TMP/$name.conf" "$s_up"
	else
		write_conf "$E2E_TMP/$name.conf"
	fi
	ma_start "$name" "$E2E_TMP/$name.conf" "$s_port" || exit 1
	pid=$(ma_pid "$name")
	mark=$(ma_log_lines "$name")
	echo
	echo "== $mode mode: $SOAK_SESSIONS sessions, $SOAK_CONC at once, SIGHUP every $SOAK_HUP_MS ms"
	REST_FDS=$(fds "$pid")
	hups "$pid" &
	HUP_PID=$!
	drive "$s_port" "$SOAK_FIRST" "$name-first"
	measure "$mode" "$pid" "$SOAK_FIRST"
	rss1=$M_RSS fds1=$M_FDS
	drive "$s_port" "$((SOAK_SESSIONS - SOAK_FIRST))" "$name-rest"
	kill "$HUP_PID" 2>/dev/null
	wait "$HUP_PID" 2>/dev/null
	HUP_PID=
	measure "$mode" "$pid" "$SOAK_SESSIONS"
	reloads=$(ma_log_since "$name" "$mark" | grep -c ' reloaded ')
	failed=$(ma_log_since "$name" "$mark" | grep -c 'reload failed')
	grew=$((M_RSS - rss1))
	allowed=$((rss1 * SOAK_RSS_PCT / 100))
	[ "$allowed" -lt "$SOAK_RSS_KB" ] && allowed=$SOAK_RSS_KB
	echo "SOAK mode=$mode rss_growth_kB=$grew allowed_kB=$allowed fds_growth=$((M_FDS - fds1))" \
		"reloads=$reloads reload_failures=$failed secs=$((SECONDS - T0))"
	[ "$grew" -le "$allowed" ] ||
		FAILS+=("$mode: VmRSS grew by $grew kB from $SOAK_FIRST to $SOAK_SESSIONS sessions (allowed $allowed)")
	[ "$M_FDS" -le "$fds1" ] ||
		FAILS+=("$mode: open descriptors grew from $fds1 to $M_FDS")
	[ "$reloads" -gt 0 ] || FAILS+=("$mode: no reload happened")
	[ "$failed" = 0 ] || FAILS+=("$mode: $failed reloads failed")
	_mta_alive "$pid" || FAILS+=("$mode: the milter died")
	ma_stop "$name"
	[ "$mode" = proxy ] && ma_stop noop
}

for mode in $SOAK_MODES; do
	case $mode in
	milter | proxy) soak_mode "$mode" ;;
	*) echo "soak.sh: unknown mode $mode" >&2; exit 2 ;;
	esac
done
echo
echo "soak.sh: $((SECONDS - T0)) s (temporary folder $E2E_TMP$([ "$E2E_KEEP" = 1 ] && echo ", kept"))"
if [ ${#FAILS[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${FAILS[@]}"
	exit 1
fi
echo "soak: passed"
