#!/usr/bin/env bash
# test_faults.sh - fault injection: milter-annotate in libmilter mode ("M", rules only) and in
# proxy mode ("P", the same rules in front of build/tests/upstream_milter or the misbehaving
# build/tests/fakeup), driven by build/tests/mtadriver (the MTA's side of the protocol),
# build/tests/bench_milter (load) and real Postfix instances (swaks).
#
#   sudo tests/e2e/test_faults.sh        (root; build first with: make && make unit-bins)
#
# Both milters run with timeout = 3 (MTA side); the proxy with upstream_timeout = 2. A session
# may wait for a peer that much, never more: every wait measured below is bounded by the
# timeout concerned plus a generous slack ($SLACK s, for a loaded machine), never from below.
#
# After every part, in each mode: the process is alive, its open descriptors and threads come
# back to what they were at rest within timeout + slack (no session is left hanging), and a
# fresh session is answered correctly (the rule's annotated 550 at RCPT, an accepted message;
# through the proxy, with the upstream's header). Every part, for M and P:
#   1. the MTA closes the connection at every stage (connect, helo, mail, rcpt, data, header,
#      eoh, body, eom): after the milter's answer, before it (FIN), before it (reset)
#   2. the MTA sends garbage (instead of OPTNEG, after it, random packets of every command
#      letter), truncated packets (then silence: closed within timeout + slack; then close),
#      oversized ones (length 0, 1 MiB + 2 above the protocol's maximum, 0xffffffff), an
#      unknown command: the milter ends that session, within the bound. A second OPTNEG: the
#      proxy ends the session, libmilter ignores it. The MTA silent between two commands: the
#      proxy ends the session after timeout; libmilter only at its 600 s sweep (not tested)
#   3. SIGHUP every 10 ms under load (bench_milter, 8 at once): every message accepted or
#      refused (started = accepted + rejected + tempfailed, none failed, none discarded), the
#      rules applied to every one of them (exactly 20% rejected), every reply valid (replycheck),
#      no session longer than the bound
#   4. the configuration replaced by a broken one under load, then SIGHUP: "reload failed"
#      with FILE:LINE logged, the old rules stay (same exact counts; the old reply text after)
#   5. `ulimit -n 32` and 48 sessions at once: every message answered, none tempfailed for
#      want of a descriptor, SIGHUP still reloads
# Proxy mode only:
#   6. the upstream dies (fakeup die; upstream_milter killed under load), hangs (silent,
#      truncated) or sends garbage (garbage, oversized, unknown reply), at OPTNEG, CONNECT,
#      RCPT or end of message: the session gets the annotated 451 at that step, within
#      upstream_timeout + slack; under load every message is still accounted for
# Through real Postfix (swaks, 4 senders at once, every transcript kept):
#   7. the configuration broken under load then SIGHUP (M and P), and the upstream killed under
#      load (P): every message is queued (its queue id in the queue) or got a 4xx/5xx; none is
#      lost; blocked@ keeps the old rule's annotated reply
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init faults
START=$(date +%s.%N)

UP_BIN=$MA_BUILD/tests/upstream_milter
FAKE_BIN=$MA_BUILD/tests/fakeup
BENCH_BIN=$MA_BUILD/tests/bench_milter
for b in "$UP_BIN" "$FAKE_BIN" "$BENCH_BIN" "$MTADRIVER"; do
    if [ ! -x "$b" ]; then
        fail "$b is missing: run make unit-bins"
        e2e_finish
    fi
done
if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

TIMEOUT=3
UP_TIMEOUT=2
SLACK=7
BOUND=$((TIMEOUT + SLACK))       # a session waiting on the MTA
UP_BOUND=$((UP_TIMEOUT + SLACK)) # a session waiting on the upstream

if ! e2e_port MPORT || ! e2e_port PPORT || ! e2e_port UPORT || ! e2e_port SPM ||
    ! e2e_port SPP; then
    fail "no free ports"
    e2e_finish
fi
declare -A SOCK=([M]="inet:$MPORT@127.0.0.1" [P]="inet:$PPORT@127.0.0.1")
declare -A PORT=([M]=$MPORT [P]=$PPORT)
declare -A CONF=([M]=$E2E_TMP/m.conf [P]=$E2E_TMP/p.conf)
declare -A NAME=([M]=libmilter [P]=proxy)
UPLOG=$E2E_TMP/upstream.log
FAKELOG=$E2E_TMP/fakeup.log

# The bench load's own rules: MAIL of sessions n = 7 (mod 10) and the Subject of n = 3 (mod 10)
# are rejected, recipient 3 of each session is greylisted (the message still goes on).
LOAD_RULES=',
  { name = "load-mail"; stage = "mail"; from = "^<?sender-[0-9]*7@bench";
    reply = "550 5.7.1 Sender refused by policy"; },
  { name = "load-rcpt"; stage = "rcpt"; rcpt = "^<?rcpt3-";
    reply = "451 4.7.1 Greylisted, please try again later"; },
  { name = "load-subject"; stage = "header"; header = "Subject: ^Benchmark message [0-9]*3,";
    reply = "554 5.7.1 Content refused"; }'

# faults_conf MODE [RELAY_TEXT [EXTRA_RULE]]: the configuration of MODE's milter.
faults_conf() {
    local mode=$1 relay=${2:-Relaying denied} extra=${3:-}
    e2e_rules_conf "${CONF[$mode]}.new" "$relay" "$LOAD_RULES$extra"
    echo "timeout = $TIMEOUT;" >>"${CONF[$mode]}.new"
    if [ "$mode" = P ]; then
        printf 'upstream = "inet:%s@127.0.0.1";\nupstream_timeout = %s;\n' \
            "$UPORT" "$UP_TIMEOUT" >>"${CONF[$mode]}.new"
    fi
    # Replaced at once (rename), as an editor or a deployment does.
    mv "${CONF[$mode]}.new" "${CONF[$mode]}"
}
faults_conf M
faults_conf P
cp "${CONF[M]}" "$E2E_TMP/m-good.conf"
cp "${CONF[P]}" "$E2E_TMP/p-good.conf"

# ---- the upstream: upstream_milter or fakeup on 127.0.0.1:UPORT --------------------------------

UP_PID=
FAKE_PID=
_kill_wait() {
    [ -n "$1" ] || return 0
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}
_wait_port_closed() {
    local i
    for ((i = 0; i < 50; i++)); do
        _mta_listening "$1" || return 0
        sleep 0.1
    done
    return 1
}
up_start() {
    "$UP_BIN" "inet:$UPORT@127.0.0.1" >>"$UPLOG" 2>&1 </dev/null &
    UP_PID=$!
    mta_wait_port "$UPORT" 10
}
up_kill() {
    _kill_wait "$UP_PID"
    UP_PID=
    _wait_port_closed "$UPORT"
}
fake_start() { # MODE [CMD]
    "$FAKE_BIN" "$1" "inet:$UPORT@127.0.0.1" ${2:+"$2"} >>"$FAKELOG" 2>&1 </dev/null &
    FAKE_PID=$!
    mta_wait_port "$UPORT" 10
}
fake_kill() {
    _kill_wait "$FAKE_PID"
    FAKE_PID=
    _wait_port_closed "$UPORT"
}
BG_PIDS=()
faults_cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do _kill_wait "$p"; done
    _kill_wait "$UP_PID"
    _kill_wait "$FAKE_PID"
}
trap 'faults_cleanup; e2e_cleanup' EXIT

# ---- the milters -------------------------------------------------------------------------------

# name of MODE's milter for lib.sh's ma_* functions
mname() { echo "ma$1"; }

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# The resting descriptors and threads of each milter, taken once it has served a session.
declare -A REST_FDS=() REST_THREADS=()

# A fresh, complete session, answered as it should be: the rule refuses blocked@ with the
# annotated 550 (valid: replycheck), b@ is accepted, the message goes through to the end (in
# proxy mode the upstream adds its header at the end of message).
fresh_script() {
    local eom="expect c" hdr="expect c"
    [ "$1" = P ] && eom=$'expect h X-Upstream\nexpect c'
    # The proxy tells the MTA not to wait for answers to headers (SMFIP_NR_HDR).
    [ "$1" = P ] && hdr=""
    cat <<EOF
optneg
macro C j mx.faults.example {daemon_name} smtpd v Postfix
connect client.faults.example 4 25000 192.0.2.1
helo client.faults.example
macro M i FRESH1 {mail_addr} a@localhost
mail <a@localhost>
macro R i FRESH1 {rcpt_addr} blocked@localhost {rcpt_mailer} local
rcpt <blocked@localhost>
expect y 550-5.7.1 Relaying denied
macro R i FRESH1 {rcpt_addr} b@localhost {rcpt_mailer} local
rcpt <b@localhost>
expect c
data
header Subject fresh session
$hdr
eoh
body a fresh message
eom
$eom
quit
EOF
}

# after_part MODE PART: the milter lives, comes back to rest, answers a fresh session.
after_part() {
    local mode=$1 part=$2 pid i fds thr
    pid=$(ma_pid "$(mname "$mode")")
    if ! _mta_alive "$pid"; then
        fail "$part (${NAME[$mode]}): the milter died"
        tail -n 5 "$(ma_logfile "$(mname "$mode")")" | sed 's/^/         | /'
        # Start it again, so that one crash does not hide the other results.
        unset "E2E_MA_PID[$(mname "$mode")]"
        start_milter "$mode" || e2e_finish
        return 1
    fi
    pass "$part (${NAME[$mode]}): the milter is alive"
    for ((i = 0; i < (BOUND + UP_TIMEOUT) * 10; i++)); do
        fds=$(fd_count "$pid")
        thr=$(thread_count "$pid")
        [ "$fds" -le "${REST_FDS[$mode]}" ] && [ "$thr" -le "${REST_THREADS[$mode]}" ] && break
        sleep 0.1
    done
    check "$part (${NAME[$mode]}): back to rest within $((BOUND + UP_TIMEOUT)) s ($fds descriptors, rest ${REST_FDS[$mode]}; $thr threads, rest ${REST_THREADS[$mode]})" \
        "[ $fds -le ${REST_FDS[$mode]} ] && [ $thr -le ${REST_THREADS[$mode]} ]"
    mtad "${SOCK[$mode]}" "$(fresh_script "$mode")"
    if [ "$MT_RC" = 0 ]; then
        pass "$part (${NAME[$mode]}): a fresh session is answered correctly"
    else
        fail "$part (${NAME[$mode]}): a fresh session is not answered correctly: $MT_ERR"
        _e2e_show "$MT_OUT" 12
    fi
}

# start_milter MODE [NOFILE]: MODE's milter (with ulimit -n NOFILE), in the foreground, logging
# to its file; it must listen, answer a first session; then its resting state is taken.
start_milter() {
    local mode=$1 nofile=${2:-} name log pid i
    name=$(mname "$mode")
    log=$(ma_logfile "$name")
    if [ -n "$nofile" ]; then
        # exec: the subshell becomes the milter, $! is its pid.
        (ulimit -n "$nofile" && exec "$MA_BIN" -f -c "${CONF[$mode]}" -p "${SOCK[$mode]}") \
            2>>"$log" </dev/null &
    else
        "$MA_BIN" -f -c "${CONF[$mode]}" -p "${SOCK[$mode]}" 2>>"$log" </dev/null &
    fi
    pid=$!
    # shellcheck disable=SC2034 # lib.sh's ma_stop and ma_pid read it
    E2E_MA_PID[$name]=$pid
    for ((i = 0; i < E2E_START_TIMEOUT * 10; i++)); do
        _mta_alive "$pid" || break
        _mta_listening "${PORT[$mode]}" && break
        sleep 0.1
    done
    if ! _mta_listening "${PORT[$mode]}"; then
        fail "milter-annotate (${NAME[$mode]}) does not start; its log:"
        tail -n 5 "$log" | sed 's/^/         | /'
        return 1
    fi
    mtad "${SOCK[$mode]}" "$(fresh_script "$mode")"
    if [ "$MT_RC" != 0 ]; then
        fail "start (${NAME[$mode]}${nofile:+, ulimit -n $nofile}): the first session fails: $MT_ERR"
        return 1
    fi
    sleep 0.3
    REST_FDS[$mode]=$(fd_count "$pid")
    REST_THREADS[$mode]=$(thread_count "$pid")
    pass "start (${NAME[$mode]}${nofile:+, ulimit -n $nofile}): a first session answered; at rest" \
        "${REST_FDS[$mode]} descriptors, ${REST_THREADS[$mode]} threads"
}

if ! up_start; then
    fail "upstream_milter does not listen on 127.0.0.1:$UPORT"
    e2e_finish
fi
echo "== milters: libmilter mode on ${SOCK[M]}, proxy on ${SOCK[P]} -> upstream on" \
    "127.0.0.1:$UPORT ($E2E_TMP)"
for mode in M P; do
    start_milter "$mode" || e2e_finish
done

# ---- 1. the MTA closes the connection at every stage -------------------------------------------

echo "== 1. the MTA closes the connection at every stage"
STEPS=("connect client.faults.example 4 25001 192.0.2.2" "helo client.faults.example"
    "mail <a@localhost>" "rcpt <b@localhost>" "data" "header Subject closing" "eoh"
    "body a body line" "eom")
for mode in M P; do
    n=0 bad=""
    for ((s = 0; s < ${#STEPS[@]}; s++)); do
        for how in after before before-rst; do
            script="optneg"
            for ((k = 0; k < s; k++)); do script+=$'\n'"${STEPS[k]}"; done
            case $how in
            after) script+=$'\n'"${STEPS[s]}"$'\nclose' ;;
            before) script+=$'\n'"nowait ${STEPS[s]}"$'\nclose' ;;
            before-rst) script+=$'\n'"nowait ${STEPS[s]}"$'\nclose rst' ;;
            esac
            # -n: every step is sent, also those the milter negotiated away.
            mtad "${SOCK[$mode]}" "$script" -n
            n=$((n + 1))
            [ "$MT_RC" = 0 ] || bad+=" ${STEPS[s]%% *}/$how($MT_ERR)"
        done
    done
    expect_eq "MTA closes (${NAME[$mode]}): all $n sessions ran up to their close" "" "$bad"
    after_part "$mode" "MTA closes at every stage"
done

# ---- 2. garbage, truncated and oversized packets from the MTA ----------------------------------

echo "== 2. garbage, truncated and oversized packets from the MTA"
OPENING=$'optneg\nconnect client.faults.example 4 25002 192.0.2.3\nhelo client.faults.example'
# mta_case MODE NAME SCRIPT: the milter closes the session (expect eof) within the bound.
mta_case() {
    local mode=$1 name=$2 script=$3
    mtad "${SOCK[$mode]}" "$script"$'\nexpect eof' -t "$((BOUND * 1000 + 5000))"
    if [ "$MT_RC" = 0 ]; then
        check "$name (${NAME[$mode]}): the milter ends the session within $BOUND s ($MT_SECS s)" \
            "awk 'BEGIN { exit !($MT_SECS <= $BOUND) }'"
    else
        fail "$name (${NAME[$mode]}): the session was not ended: $MT_ERR"
        _e2e_show "$MT_OUT" 6
    fi
}
for mode in M P; do
    mta_case "$mode" "an HTTP request instead of OPTNEG" 'bytes 474554202f20485454502f312e310d0a0d0a'
    mta_case "$mode" "garbage after the opening" "$OPENING"$'\nbytes 0badc0ffee0123456789abcdef'
    mta_case "$mode" "a truncated packet, then silence" "$OPENING"$'\nbytes 000000104d3c61'
    mta_case "$mode" "a zero length" "$OPENING"$'\nbytes 00000000'
    mta_case "$mode" "a length 1 MiB + 2 (above the protocol's maximum)" \
        "$OPENING"$'\nbytes 001000024d3c613e00'
    mta_case "$mode" "a length 0xffffffff" "$OPENING"$'\nbytes ffffffff4d3c613e00'
    mta_case "$mode" "an unknown command (Z)" "$OPENING"$'\nraw Z 3c613e00'
    if [ "$mode" = P ]; then
        mta_case P "a second OPTNEG mid-session" "$OPENING"$'\nraw O 000000060000000100000000'
        mta_case P "the MTA falls silent between two commands" "$OPENING"$'\nexpect c'
    else
        # libmilter ignores it (its state machine drops a command out of order) and goes on.
        mtad "${SOCK[M]}" "$OPENING"$'\nraw O 000000060000000100000000\nmail <a@localhost>\nexpect c\nclose'
        expect_eq "a second OPTNEG mid-session (libmilter): ignored, the session goes on" 0 "$MT_RC"
        # Debian's libmilter runs sessions on a worker pool, whose controller looks for idle
        # sessions every 600 s: a session silent between two commands lasts 10-20 minutes,
        # whatever the timeout (which holds within a packet: see the truncated packet above).
        echo "   note: libmilter mode: an MTA silent between two commands is dropped by" \
            "libmilter's 600 s sweep, not after timeout (not tested: see README)"
    fi
    # Truncated, then the MTA goes: nothing to wait for.
    mtad "${SOCK[$mode]}" "$OPENING"$'\nbytes 000000204d3c61\nclose'
    expect_eq "a truncated packet, then close (${NAME[$mode]}): the script ran" 0 "$MT_RC"

    # Random packets of every command letter, malformed data included (a fixed seed: the same
    # packets every run), each session closed by the driver at its end.
    if [ "$mode" = M ]; then RANDOM=4242; else RANDOM=4343; fi
    letters=(A B C D E H K L M N O Q R T U Z)
    nend=0
    for ((i = 0; i < 80; i++)); do
        script="optneg"
        npk=$((RANDOM % 6 + 1))
        for ((k = 0; k < npk; k++)); do
            hex=""
            nby=$((RANDOM % 24))
            for ((b = 0; b < nby; b++)); do
                case $((RANDOM % 4)) in
                0) hex+=00 ;;
                *) printf -v byte '%02x' $((RANDOM % 256)) && hex+=$byte ;;
                esac
            done
            script+=$'\n'"raw ${letters[RANDOM % ${#letters[@]}]} $hex"
        done
        mtad "${SOCK[$mode]}" "$script"$'\nclose'
        [ "$MT_RC" = 0 ] && nend=$((nend + 1))
    done
    # (A session the milter closed early, on a QUIT or a bad packet, stops the driver there.)
    echo "   80 sessions of random packets sent; $nend of them to their end"
    after_part "$mode" "garbage from the MTA"
done

# ---- load helpers ------------------------------------------------------------------------------------

# bench_run MODE LABEL SESSIONS CONC: bench_milter against MODE's milter, full sessions, every
# read and write bounded by the session bound; its report in $E2E_TMP/LABEL.out, its replies in
# LABEL.replies. bench_read LABEL WHAT then sets B_* from its MESSAGES line and has its replies
# checked by replycheck. bench does both.
bench_run() {
    local mode=$1 label=$2 n=$3 c=$4 bound=$((BOUND + UP_TIMEOUT))
    : >"$E2E_TMP/$label.replies"
    "$BENCH_BIN" -s "${SOCK[$mode]}" -c "$c" -n "$n" -q -L "$label" -T "$((bound * 1000))" \
        -y "$E2E_TMP/$label.replies" >"$E2E_TMP/$label.out" 2>&1
}
bench_read() {
    local label=$1 what=$2 line kv k v
    B_label=$label
    B_started=-1 B_accepted=-1 B_rejected=-1 B_tempfailed=-1 B_discarded=-1 B_failed=-1
    B_max_session_ms=-1
    line=$(grep '^MESSAGES ' "$E2E_TMP/$label.out")
    for kv in $line; do
        k=${kv%%=*} v=${kv#*=}
        case $k in started | accepted | rejected | tempfailed | discarded | failed | max_session_ms)
            printf -v "B_$k" '%s' "$v" ;;
        esac
    done
    e2e_replycheck_file -m "bench_milter $label ($what)" "$E2E_TMP/$label.replies"
}
bench() {
    bench_run "$@"
    bench_read "$2" "${NAME[$1]}, $3 sessions"
}

# bench_accounted NAME SESSIONS [EXPECT_REJECTED]: the last bench run answered every message.
bench_accounted() {
    local name=$1 n=$2 rej=${3:-}
    expect_eq "$name: every message accounted for (started = accepted + rejected + tempfailed, none failed nor discarded)" \
        "started=$n sum=$n failed=0 discarded=0" \
        "started=$B_started sum=$((B_accepted + B_rejected + B_tempfailed)) failed=$B_failed discarded=$B_discarded" ||
        grep -E 'first error|^RESULT' "$E2E_TMP/$B_label.out" | sed 's/^/         | /'
    check "$name: no session took longer than $((BOUND + UP_TIMEOUT)) s (longest $B_max_session_ms ms)" \
        "[ $B_max_session_ms -ge 0 ] && [ $B_max_session_ms -le $(((BOUND + UP_TIMEOUT) * 1000)) ]"
    if [ -n "$rej" ]; then
        expect_eq "$name: the rules applied to every message ($rej of $n rejected, the rest accepted)" \
            "rejected=$rej accepted=$((n - rej)) tempfailed=0" \
            "rejected=$B_rejected accepted=$B_accepted tempfailed=$B_tempfailed"
    fi
}
# What the load rules reject of n sessions: n = 3 or 7 (mod 10).
load_rejects() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) if (i % 10 == 3 || i % 10 == 7) r++; print r + 0 }'; }

# hup_loop PID MS STOPFILE: SIGHUP every MS ms until STOPFILE exists (at most 60 s).
hup_loop() {
    local pid=$1 ms=$2 stop=$3 i max secs
    max=$((60000 / ms))
    printf -v secs '%d.%03d' $((ms / 1000)) $((ms % 1000))
    for ((i = 0; i < max; i++)); do
        [ -e "$stop" ] && break
        kill -HUP "$pid" 2>/dev/null || break
        sleep "$secs"
    done
    echo "$i" >"$stop.count"
}

# ---- 3. SIGHUP every 10 ms under load -----------------------------------------------------------

echo "== 3. SIGHUP every 10 ms under load"
for mode in M P; do
    n=4000
    [ "$mode" = P ] && n=2000
    name="SIGHUP every 10 ms under load (${NAME[$mode]})"
    pid=$(ma_pid "$(mname $mode)")
    mark=$(ma_log_lines "$(mname $mode)")
    stop=$E2E_TMP/hup-$mode.stop
    rm -f "$stop"
    hup_loop "$pid" 10 "$stop" &
    hpid=$!
    BG_PIDS+=("$hpid")
    bench "$mode" "hup-$mode" "$n" 8
    touch "$stop"
    wait "$hpid"
    bench_accounted "$name" "$n" "$(load_rejects "$n")"
    reloads=$(ma_log_since "$(mname $mode)" "$mark" | grep -c " reloaded ")
    # Signals that come during a reload make one more (they coalesce): a reload takes about
    # 15 ms in the plain build and several times that under ASan, with the load on both cores
    # (and whatever else the machine runs): the check is that reloads went on, not how fast.
    check "$name: it reloaded all along ($reloads reloads, $(cat "$stop.count") signals)" "[ $reloads -ge 5 ]"
    expect_eq "$name: no reload failed" 0 "$(ma_log_since "$(mname $mode)" "$mark" | grep -c 'reload failed')"
    after_part "$mode" "SIGHUP every 10 ms under load"
done

# ---- 4. the configuration replaced by a broken one under load, then SIGHUP --------------------------

echo "== 4. a broken configuration under load, then SIGHUP"
BROKEN_RULE=',
  { name = "broken"; stage = "rcpt";
    rcpt = "^(unclosed";
    reply = "550 5.7.1 never used"; }'
for mode in M P; do
    n=1500
    [ "$mode" = P ] && n=500
    name="broken configuration under load (${NAME[$mode]})"
    pid=$(ma_pid "$(mname $mode)")
    mark=$(ma_log_lines "$(mname $mode)")
    bench_run "$mode" "broken-$mode" "$n" 8 &
    bpid=$!
    BG_PIDS+=("$bpid")
    sleep 0.5
    faults_conf "$mode" "Relaying denied (v2)" "$BROKEN_RULE"
    bad_line=$(grep -n 'rcpt = "^(unclosed"' "${CONF[$mode]}" | cut -d: -f1)
    kill -HUP "$pid"
    if wait_for_log "$(ma_logfile "$(mname $mode)")" "$mark" 'reload failed' 10; then
        log=$(ma_log_since "$(mname $mode)" "$mark")
        expect_contains "$name: FILE:LINE of the broken rule logged" "$log" \
            "${CONF[$mode]}:$bad_line: rule 'broken': rcpt regex cannot be compiled"
        expect_contains "$name: the old configuration is kept" "$log" \
            "reload failed: keeping the configuration in force"
    else
        fail "$name: no 'reload failed' line within 10 s"
    fi
    wait "$bpid"
    bench_read "broken-$mode" "${NAME[$mode]}, $n sessions"
    bench_accounted "$name" "$n" "$(load_rejects "$n")"
    mtad "${SOCK[$mode]}" "$(fresh_script "$mode")"
    expect_not_contains "$name: afterwards the old reply text is still used" "$MT_OUT" "(v2)"
    after_part "$mode" "broken configuration under load"
    cp "$E2E_TMP/$(echo "$mode" | tr MP mp)-good.conf" "${CONF[$mode]}"
    mark=$(ma_log_lines "$(mname $mode)")
    kill -HUP "$pid"
    wait_for_log "$(ma_logfile "$(mname $mode)")" "$mark" "reloaded ${CONF[$mode]}" 10 ||
        fail "$name: the good configuration back: no 'reloaded' line"
done

# ---- 5. very few descriptors -----------------------------------------------------------------------

echo "== 5. ulimit -n 32, 48 sessions at once"
for mode in M P; do
    n=480
    [ "$mode" = P ] && n=240
    name="ulimit -n 32 (${NAME[$mode]})"
    ma_stop "$(mname $mode)"
    start_milter "$mode" 32 || continue
    pid=$(ma_pid "$(mname $mode)")
    expect_eq "$name: the limit is in force" 32 "$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")"
    stop=$E2E_TMP/fd-$mode.stop
    rm -f "$stop"
    hup_loop "$pid" 200 "$stop" &
    hpid=$!
    BG_PIDS+=("$hpid")
    bench "$mode" "fd-$mode" "$n" 48
    touch "$stop"
    wait "$hpid"
    # No message may be tempfailed for want of a descriptor: the rules' verdicts, exactly.
    bench_accounted "$name" "$n" "$(load_rejects "$n")"
    # A reload needs a descriptor too: under the load it may fail (and keep the old rules);
    # once the load is over it must work.
    mark=$(ma_log_lines "$(mname $mode)")
    kill -HUP "$pid"
    check "$name: SIGHUP reloads afterwards" \
        "wait_for_log '$(ma_logfile "$(mname $mode)")' $mark ' reloaded ' 10"
    after_part "$mode" "ulimit -n 32"
    ma_stop "$(mname $mode)"
    start_milter "$mode" || e2e_finish
done

# ---- 6. the upstream dies, hangs or sends garbage (proxy) -------------------------------------------

echo "== 6. the upstream dies, hangs or sends garbage"
# The script of a whole session; the step the fault is at is followed by the expected 451.
up_script() { # STEP (connect, rcpt, eom)
    local s=$1
    printf '%s\n' optneg "connect client.faults.example 4 25003 192.0.2.4"
    [ "$s" = connect ] && { echo "expect y 451-4.7.1 Service unavailable"; return; }
    printf '%s\n' "helo client.faults.example" "mail <a@localhost>" "rcpt <b@localhost>"
    [ "$s" = rcpt ] && { echo "expect y 451-4.7.1 Service unavailable"; return; }
    printf '%s\n' data "header Subject upstream fault" eoh "body a body line" eom
    echo "expect y 451-4.7.1 Service unavailable"
}
up_kill
# mode trigger step: the upstream misbehaves at trigger (fakeup's CMD), the MTA sees it at step.
for c in "die O connect" "die C connect" "die R rcpt" "die E eom" \
    "silent O connect" "silent R rcpt" "silent E eom" \
    "truncated O connect" "truncated R rcpt" "truncated E eom" \
    "garbage O connect" "garbage E eom" "oversized R rcpt" "unknown-reply E eom" \
    "close-after-optneg - connect" "refuse-optneg - connect"; do
    read -r fmode trig step <<<"$c"
    [ "$trig" = - ] && trig=""
    name="upstream $fmode${trig:+ at $trig}"
    if ! fake_start "$fmode" ${trig:+"$trig"}; then
        fail "$name: fakeup does not listen"
        continue
    fi
    mtad "${SOCK[P]}" "$(up_script "$step")" -t "$((UP_BOUND * 1000 + 5000))"
    if [ "$MT_RC" = 0 ]; then
        check "$name: the annotated 451 at $step within $UP_BOUND s ($MT_SECS s)" \
            "awk 'BEGIN { exit !($MT_SECS <= $UP_BOUND) }'"
    else
        fail "$name: no annotated 451 at $step: $MT_ERR"
        _e2e_show "$MT_OUT" 8
    fi
    fake_kill
done
# Under load: each misbehaviour for 8 sessions at once; every message gets its answer, and
# none is accepted unchecked (on_upstream_error = tempfail; the rules' rejections still come
# first where they are asked before the upstream's failing step).
for c in "die R" "silent R" "garbage E" "truncated O"; do
    read -r fmode trig <<<"$c"
    n=48
    if [ "$fmode" = silent ] || [ "$fmode" = truncated ]; then n=16; fi
    fake_start "$fmode" "$trig" || { fail "fakeup $fmode does not listen"; continue; }
    bench P "up-$fmode" "$n" 8
    bench_accounted "upstream $fmode at $trig under load" "$n"
    expect_eq "upstream $fmode at $trig under load: none accepted, the rest tempfailed" \
        "accepted=0 tempfailed>0" "accepted=$B_accepted tempfailed$([ "$B_tempfailed" -gt 0 ] && echo '>0')"
    fake_kill
done
# The real upstream killed in the middle of a load.
up_start || fail "upstream_milter does not start again"
n=3000 # more than 1 s of load, whatever the machine
(sleep 1 && kill -KILL "$UP_PID") &
kpid=$!
BG_PIDS+=("$kpid")
bench P "up-killed" "$n" 8
wait "$kpid"
bench_accounted "upstream_milter killed under load" "$n"
check "upstream_milter killed under load: some messages went through before ($B_accepted), the rest was tempfailed ($B_tempfailed)" \
    "[ $B_tempfailed -gt 0 ] && [ $B_accepted -gt 0 ]"
wait "$UP_PID" 2>/dev/null
UP_PID=
_wait_port_closed "$UPORT"
up_start || fail "upstream_milter does not start again"
after_part P "upstream faults"

# ---- 7. through real Postfix -----------------------------------------------------------------------

echo "== 7. through real Postfix: a broken configuration and a dying upstream under load"
PF_M=$E2E_TMP/postfix-m
PF_P=$E2E_TMP/postfix-p
if ! pf_start_e2e "$PF_M" "$SPM" "inet:127.0.0.1:$MPORT" ||
    ! pf_start_e2e "$PF_P" "$SPP" "inet:127.0.0.1:$PPORT"; then
    fail "Postfix did not start"
    e2e_finish
fi

# pf_load PORT DIR N: N messages through the Postfix on PORT, 4 senders at once; message k goes
# to blocked@ (k = 0 mod 5: the rule's 550), busy@ (k = 1 mod 5: the rule's 450) or b@ (the rest).
# Every transcript is kept in DIR and checked by replycheck.
pf_load() {
    local port=$1 dir=$2 n=$3 w pids=()
    mkdir -p "$dir"
    for ((w = 0; w < 4; w++)); do
        (
            local k to
            for ((k = w; k < n; k += 4)); do
                case $((k % 5)) in 0) to=blocked@localhost ;; 1) to=busy@localhost ;; *) to=b@localhost ;; esac
                timeout "$((E2E_SWAKS_TIMEOUT + 10))" swaks --server "127.0.0.1:$port" \
                    --timeout "$E2E_SWAKS_TIMEOUT" --helo e2e.example --from "a@localhost" --to "$to" \
                    --header "Subject: load $k" </dev/null 2>&1 | tr -d '\r' >"$dir/$k.txt"
            done
        ) &
        pids+=($!)
    done
    # (not a bare wait: the milters and the upstream are children of this shell too)
    wait "${pids[@]}"
}

# pf_account NAME PFDIR DIR N: every message of DIR is queued (and in PFDIR's queue) or got a
# 4xx/5xx; blocked@ always got the annotated rule reply with RELAY (its first line's text).
pf_account() {
    local name=$1 pfdir=$2 dir=$3 n=$4 relay=$5 f k queued=0 refused=0 lost="" qid ids missing=""
    local blocked_bad=""
    ids=" $(pf_queue_ids "$pfdir" | tr '\n' ' ') "
    for ((k = 0; k < n; k++)); do
        f=$dir/$k.txt
        e2e_replycheck_file -t "$name: message $k" "$f"
        qid=$(sed -nE 's/^<-  250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/\1/p' "$f")
        if [ -n "$qid" ]; then
            queued=$((queued + 1))
            [[ "$ids" == *" $qid "* ]] || missing+=" $qid"
        elif grep -qE '^<\*\* [45][0-9][0-9][ -]' "$f"; then
            refused=$((refused + 1))
        else
            lost+=" $k"
        fi
        if [ $((k % 5)) = 0 ] && ! grep -q "^<\*\* 550-5.7.1 $relay\$" "$f" &&
            ! grep -qE '^<\*\* 4[0-9][0-9][ -]' "$f"; then
            blocked_bad+=" $k"
        fi
    done
    expect_eq "$name: $n sent = $queued queued + $refused refused with a 4xx/5xx" "$n" \
        "$((queued + refused))"
    expect_eq "$name: no message without a verdict" "" "$lost"
    expect_eq "$name: every message reported queued is in Postfix's queue" "" "$missing"
    expect_eq "$name: blocked@ got the old rule's annotated reply (or a tempfail)" "" "$blocked_bad"
    PF_QUEUED=$queued PF_REFUSED=$refused
}

for mode in M P; do
    pfdir=$PF_M port=$SPM
    [ "$mode" = P ] && pfdir=$PF_P port=$SPP
    name="Postfix, broken configuration under load (${NAME[$mode]})"
    pid=$(ma_pid "$(mname $mode)")
    mark=$(ma_log_lines "$(mname $mode)")
    (
        sleep 2
        faults_conf "$mode" "Relaying denied (v2)" "$BROKEN_RULE"
        kill -HUP "$pid"
    ) &
    cpid=$!
    BG_PIDS+=("$cpid")
    pf_load "$port" "$E2E_TMP/pf-broken-$mode" 40
    wait "$cpid"
    check "$name: 'reload failed' logged" \
        "ma_log_since $(mname $mode) $mark | grep -q 'reload failed: keeping the configuration in force'"
    pf_account "$name" "$pfdir" "$E2E_TMP/pf-broken-$mode" 40 "Relaying denied"
    # The old rules all along: blocked@ and busy@ (16) refused, b@ (24) queued.
    expect_eq "$name: the old rules' verdicts, exactly" "queued=24 refused=16" \
        "queued=$PF_QUEUED refused=$PF_REFUSED"
    cp "$E2E_TMP/$(echo "$mode" | tr MP mp)-good.conf" "${CONF[$mode]}"
    kill -HUP "$pid"
    after_part "$mode" "Postfix, broken configuration under load"
done

name="Postfix, upstream killed under load (proxy)"
(sleep 2 && kill -KILL "$UP_PID") &
kpid=$!
BG_PIDS+=("$kpid")
pf_load "$SPP" "$E2E_TMP/pf-upkill" 40
wait "$kpid"
wait "$UP_PID" 2>/dev/null
UP_PID=
pf_account "$name" "$PF_P" "$E2E_TMP/pf-upkill" 40 "Relaying denied"
check "$name: messages were tempfailed once it was gone" \
    "grep -lE '^<\\*\\* 451[ -]4\\.7\\.1 ' $E2E_TMP/pf-upkill/*.txt | grep -q ."
_wait_port_closed "$UPORT"
up_start || fail "upstream_milter does not start again"
after_part P "Postfix, upstream killed under load"
swaks_replies "$SPP" --from a@localhost --to b@localhost --header "Subject: after the faults" >/dev/null
expect_match "Postfix, after everything: a message through the proxy is queued" \
    "$(sw_reply_to '\.$')" '^250 2\.0\.0 Ok: queued as '

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_faults took %.1f s\n", e - s }'
e2e_finish
