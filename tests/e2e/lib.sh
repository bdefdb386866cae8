# shellcheck shell=bash
# lib.sh - shared helpers for the milter-annotate end-to-end tests (source it from bash).
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_init NAME               temp folder $E2E_TMP (0755), EXIT trap, counters at 0
#   e2e_port VAR                sets VAR to a free 127.0.0.1 port from 20000-29999 (PID mixed in)
#   ma_start NAME CONF PORT     start build/milter-annotate -f -c CONF -p inet:PORT@127.0.0.1,
#                               log in $E2E_TMP/NAME.log, wait (bounded) until PORT listens
#   ma_stop NAME                SIGTERM, bounded wait, SIGKILL at the end
#   ma_pid NAME / ma_logfile NAME / ma_log_lines NAME
#   ma_log_since NAME MARK      log lines after line MARK (MARK from ma_log_lines)
#   wait_for_log FILE MARK ERE [SECS]  bounded wait until a line after MARK matches ERE
#   pf_start_e2e DIR ... / sm_start_e2e DIR ...   pf_start / sm_start, stopped by the EXIT trap
#   swaks_replies PORT [SWAKS ARGS...]   run swaks (bounded); sets SW_OUT (CR stripped),
#                               SW_RC, SW_REPLIES (every server reply line, "<-  " / "<** "
#                               removed) and prints SW_REPLIES
#   mtad SOCKET SCRIPT [OPTS...]  run build/tests/mtadriver [OPTS] SOCKET on SCRIPT (bounded);
#                               sets MT_OUT, MT_ERR, MT_RC, MT_SECS (its duration)
#   e2e_replycheck MODE WHERE TEXT   check every reply in TEXT with build/tests/replycheck
#                               (MODE -t: a swaks transcript, -m: mtadriver output); a
#                               violation fails the suite at e2e_finish, even when found in a
#                               subshell. swaks_replies and mtad do it for every run (but
#                               with E2E_NO_REPLYCHECK=1: a capture that bypasses the milter,
#                               such as test_proxy's direct Postfix);
#                               e2e_replycheck_file MODE WHERE FILE for other captures
#   sw_reply_to CMD_ERE         the server reply lines that follow the first client line
#                               " -> CMD..." in SW_OUT (e.g. 'MAIL FROM', 'RCPT TO', '\.$')
#   check NAME CMD [ARGS...]    pass if the command succeeds (a single CMD string is eval'ed)
#   expect_eq NAME EXPECTED ACTUAL        (a diff is printed on failure)
#   expect_contains NAME HAYSTACK NEEDLE  (fixed string)
#   expect_not_contains NAME HAYSTACK NEEDLE
#   expect_match NAME TEXT ERE            (some line of TEXT matches ERE)
#   reply_problems TEXT         prints what is wrong with a multi-line SMTP reply (empty: ok)
#   expect_valid_reply NAME TEXT          reply_problems is empty
#   pass MSG / fail MSG         count one result by hand
#   e2e_finish                  prints "N passed, N failed", exits 1 if any failed
#   E2E_CLEANUP_HOOKS+=(FN)     FN runs first in the EXIT trap (a test's own servers)
#
# Every reply a suite captures (swaks, mtadriver) is checked by $MA_BUILD/tests/replycheck: one
# code on every line, an enhanced code of the code's class on every line of a 4xx/5xx, <= 512
# octets a line, printable ASCII, '-' on every line but the last. e2e_finish counts the
# captures checked and fails the suite if any reply broke one of these.
#
# Environment: MA_BUILD (build folder, default build), E2E_KEEP=1 keeps $E2E_TMP; E2E_START_TIMEOUT, E2E_STOP_TIMEOUT (mta.sh);
# E2E_SWAKS_TIMEOUT (seconds for one swaks run, default 30).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_TOP=$(cd "$E2E_DIR/../.." && pwd -P)
# MA_BUILD: the build folder under test (make asan sets build/asan).
MA_BUILD=${MA_BUILD:-build}
case $MA_BUILD in /*) ;; *) MA_BUILD=$REPO_TOP/$MA_BUILD ;; esac
MA_BIN=${MA_BIN:-$MA_BUILD/milter-annotate}
REPLYCHECK=$MA_BUILD/tests/replycheck
MTADRIVER=$MA_BUILD/tests/mtadriver
: "${E2E_SWAKS_TIMEOUT:=30}"
# shellcheck source=mta.sh
. "$E2E_DIR/mta.sh"

E2E_PASS=0
E2E_FAIL=0
E2E_TMP=
E2E_NAME=e2e
E2E_PORTS_GIVEN=" "
E2E_PORT_SEQ=0
declare -A E2E_MA_PID=()
E2E_PF_DIRS=()
E2E_SM_DIRS=()
E2E_CLEANUP_HOOKS=() # functions the EXIT trap calls first (a test's own servers)

# ---- results -------------------------------------------------------------------------

pass() { E2E_PASS=$((E2E_PASS + 1)); printf '  ok   - %s\n' "$*"; }
fail() { E2E_FAIL=$((E2E_FAIL + 1)); printf '  FAIL - %s\n' "$*"; }

check() {
    local name=$1
    shift
    local rc
    if [ $# -eq 1 ]; then
        eval "$1"
    else
        "$@"
    fi
    rc=$?
    if [ "$rc" = 0 ]; then pass "$name"; else fail "$name (condition failed: $*)"; fi
    return "$rc"
}

# Indented diff of two texts, labelled.
_e2e_diff() {
    diff -u --label expected --label actual <(printf '%s\n' "$1") <(printf '%s\n' "$2") |
        sed 's/^/         | /'
}

expect_eq() {
    local name=$1 exp=$2 act=$3
    if [ "$exp" == "$act" ]; then
        pass "$name"
        return 0
    fi
    fail "$name"
    _e2e_diff "$exp" "$act"
    return 1
}

_e2e_show() { printf '%s\n' "$1" | head -n "${2:-40}" | sed 's/^/         | /'; }

expect_contains() {
    local name=$1 hay=$2 needle=$3
    if [[ "$hay" == *"$needle"* ]]; then
        pass "$name"
        return 0
    fi
    fail "$name: missing \"$needle\" in:"
    _e2e_show "$hay"
    return 1
}

expect_not_contains() {
    local name=$1 hay=$2 needle=$3
    if [[ "$hay" != *"$needle"* ]]; then
        pass "$name"
        return 0
    fi
    fail "$name: unexpected \"$needle\" in:"
    _e2e_show "$hay"
    return 1
}

expect_match() {
    local name=$1 text=$2 re=$3
    if printf '%s\n' "$text" | grep -qE -e "$re"; then
        pass "$name"
        return 0
    fi
    fail "$name: no line matches /$re/ in:"
    _e2e_show "$text"
    return 1
}

expect_not_match() {
    local name=$1 text=$2 re=$3
    if ! printf '%s\n' "$text" | grep -qE -e "$re"; then
        pass "$name"
        return 0
    fi
    fail "$name: a line matches /$re/ in:"
    _e2e_show "$text"
    return 1
}

# reply_problems TEXT: one line per problem of a multi-line SMTP reply as the client sees it
# (no CR), by build/tests/replycheck -1: exactly one reply, a 4xx/5xx, every line "DDD-" but
# the last "DDD ", the same code on every line, an enhanced code on every line whose class
# digit is the code's, printable ASCII only, at most 510 octets (512 with CRLF).
reply_problems() {
    printf '%s\n' "$1" | "$REPLYCHECK" -1
}

expect_valid_reply() {
    local name=$1 text=$2 problems
    problems=$(reply_problems "$text")
    if [ -z "$problems" ]; then
        pass "$name"
        return 0
    fi
    fail "$name:"
    _e2e_show "$problems"
    echo "         reply was:"
    _e2e_show "$text"
    return 1
}

# ---- the reply property check ------------------------------------------------------------

# Results go to files, so that a check made in a subshell ($(swaks_replies ...)) still counts.
_e2e_rc_count() { [ -n "$E2E_TMP" ] && echo "$E2E_TMP/replycheck.count"; }
_e2e_rc_bad() { [ -n "$E2E_TMP" ] && echo "$E2E_TMP/replycheck.bad"; }

# _e2e_rc_record WHERE OUTPUT RC
_e2e_rc_record() {
    local where=$1 out=$2 rc=$3
    echo "$where" >>"$(_e2e_rc_count)"
    [ "$rc" = 0 ] && return 0
    { echo "$where (replycheck exit $rc):"; printf '%s\n' "$out" | head -n 20 | sed 's/^/    /'; } \
        >>"$(_e2e_rc_bad)"
    printf '  (reply property violation in %s: reported at the end)\n' "$where" >&2
    return 1
}

e2e_replycheck() {
    local mode=$1 where=$2 text=$3 out rc
    [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ] || return 0
    out=$(printf '%s\n' "$text" | "$REPLYCHECK" "$mode" 2>&1)
    rc=$?
    _e2e_rc_record "$where" "$out" "$rc"
}

e2e_replycheck_file() {
    local mode=$1 where=$2 file=$3 out rc
    [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ] || return 0
    out=$("$REPLYCHECK" "$mode" "$file" 2>&1)
    rc=$?
    _e2e_rc_record "$where" "$out" "$rc"
}

# The verdict on every capture checked, as one result.
_e2e_replycheck_finish() {
    local n=0
    [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ] || return 0
    [ -f "$(_e2e_rc_count)" ] && n=$(wc -l <"$(_e2e_rc_count)")
    [ "$n" = 0 ] && return 0
    if [ -s "$(_e2e_rc_bad)" ]; then
        fail "reply property check: violations in the replies captured ($n captures checked):"
        sed 's/^/         | /' "$(_e2e_rc_bad)"
    else
        pass "reply property check: every reply of the $n captures (swaks, mtadriver) is valid"
    fi
}

e2e_finish() {
    _e2e_replycheck_finish
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" = 0 ] && exit 0
    exit 1
}

# ---- set-up and clean-up ---------------------------------------------------------------

e2e_cleanup() {
    local n d h
    for h in "${E2E_CLEANUP_HOOKS[@]}"; do "$h"; done
    for n in "${!E2E_MA_PID[@]}"; do ma_stop "$n"; done
    for d in "${E2E_PF_DIRS[@]}"; do pf_stop "$d"; done
    for d in "${E2E_SM_DIRS[@]}"; do sm_stop "$d"; done
    if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ]; then
            echo "$E2E_NAME: kept $E2E_TMP"
        else
            rm -rf "$E2E_TMP"
        fi
    fi
}

e2e_init() {
    E2E_NAME=${1:-e2e}
    if [ ! -x "$MA_BIN" ] || [ ! -x "$REPLYCHECK" ]; then
        fail "$MA_BIN or $REPLYCHECK is missing: run make && make unit-bins"
        e2e_finish
    fi
    E2E_TMP=$(mktemp -d "/tmp/e2e-$E2E_NAME.XXXXXX") || exit 1
    chmod 755 "$E2E_TMP"
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM HUP
}

# ---- ports -----------------------------------------------------------------------------

# 0 if any TCP socket (IPv4 or IPv6, any state) uses local port PORT.
_e2e_port_used() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" 'FNR > 1 { split($2, a, ":"); if (a[2] == p) { f = 1; exit } }
                     END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# e2e_port VAR: set VAR to a free port. Not in $(...): the ports handed out are remembered in
# this shell, so that two calls never give the same one.
e2e_port() {
    local i port
    for ((i = 0; i < 500; i++)); do
        E2E_PORT_SEQ=$((E2E_PORT_SEQ + 1))
        port=$((20000 + ($$ * 37 + E2E_PORT_SEQ * 7 + RANDOM) % 10000))
        case "$E2E_PORTS_GIVEN" in *" $port "*) continue ;; esac
        _e2e_port_used "$port" && continue
        E2E_PORTS_GIVEN="$E2E_PORTS_GIVEN$port "
        printf -v "$1" '%s' "$port"
        return 0
    done
    echo "e2e_port: no free port found in 20000-29999" >&2
    return 1
}

# ---- the milter ------------------------------------------------------------------------

ma_logfile() { echo "$E2E_TMP/$1.log"; }
ma_pid() { echo "${E2E_MA_PID[$1]:-}"; }

ma_start() {
    local name=$1 conf=$2 port=$3 log pid i
    log=$(ma_logfile "$name")
    : >>"$log"
    "$MA_BIN" -f -c "$conf" -p "inet:$port@127.0.0.1" 2>>"$log" </dev/null &
    pid=$!
    E2E_MA_PID[$name]=$pid
    for ((i = 0; i < E2E_START_TIMEOUT * 10; i++)); do
        if ! _mta_alive "$pid"; then
            echo "ma_start: milter $name exited at start; its log:" >&2
            sed 's/^/    /' "$log" >&2
            unset "E2E_MA_PID[$name]"
            return 1
        fi
        _mta_listening "$port" && return 0
        sleep 0.1
    done
    echo "ma_start: milter $name does not listen on 127.0.0.1:$port after ${E2E_START_TIMEOUT}s" >&2
    ma_stop "$name"
    return 1
}

# SIGTERM; libmilter notices it within about 5 s (its listener poll). SIGKILL after
# $E2E_STOP_TIMEOUT s.
ma_stop() {
    local name=$1 pid i
    pid=${E2E_MA_PID[$name]:-}
    [ -n "$pid" ] || return 0
    unset "E2E_MA_PID[$name]"
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < E2E_STOP_TIMEOUT * 10; i++)); do
        _mta_alive "$pid" || break
        sleep 0.1
    done
    if _mta_alive "$pid"; then
        echo "ma_stop: milter $name (pid $pid) still runs after ${E2E_STOP_TIMEOUT}s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

ma_log_lines() { wc -l <"$(ma_logfile "$1")" | tr -d ' '; }
ma_log_since() { tail -n +"$(($2 + 1))" "$(ma_logfile "$1")"; }

# wait_for_log FILE MARK ERE [SECS]: wait until a line after line MARK of FILE matches ERE.
wait_for_log() {
    local file=$1 mark=$2 re=$3 secs=${4:-10} i
    for ((i = 0; i < secs * 10; i++)); do
        tail -n +"$((mark + 1))" "$file" | grep -qE -e "$re" && return 0
        sleep 0.1
    done
    return 1
}

# ---- MTAs (stopped by the EXIT trap) -------------------------------------------------------

pf_start_e2e() { E2E_PF_DIRS+=("$1"); pf_start "$@"; }

# pf_mta_config DIR CONF PORT: configure the running private Postfix in DIR for the milter on
# 127.0.0.1:PORT as an administrator would: the postconf -e lines of
# `milter-annotate -c CONF -p inet:PORT@127.0.0.1 mta-config postfix`, applied to DIR, then a
# reload. Prints the lines; non-zero if mta-config or a line fails.
pf_mta_config() {
    local dir=$1 conf=$2 port=$3 lines line
    lines=$("$MA_BIN" -c "$conf" -p "inet:$port@127.0.0.1" mta-config postfix) || return 1
    printf '%s\n' "$lines" | grep '^postconf -e ' | while IFS= read -r line; do
        # The line as printed, aimed at DIR: postconf -c DIR -e '...'.
        eval "postconf -c \"\$dir\" ${line#postconf }" || exit 1
        printf '%s\n' "$line"
    done || return 1
    pf_reload "$dir" >/dev/null 2>&1
}
sm_start_e2e() { E2E_SM_DIRS+=("$1"); sm_start "$@"; }

# ---- SMTP client -------------------------------------------------------------------------

swaks_replies() {
    local port=$1
    shift
    local out
    out=$(timeout "$((E2E_SWAKS_TIMEOUT + 10))" swaks --server "127.0.0.1:$port" \
        --timeout "$E2E_SWAKS_TIMEOUT" --helo e2e.example "$@" 2>&1 </dev/null
        printf '\n%s' "$?")
    # shellcheck disable=SC2034 # for the caller
    SW_RC=${out##*$'\n'}
    SW_OUT=$(printf '%s\n' "${out%$'\n'*}" | tr -d '\r')
    SW_REPLIES=$(printf '%s\n' "$SW_OUT" | sed -nE 's/^(<-|<\*\*)  ?//p')
    # E2E_NO_REPLYCHECK=1: a capture of another milter's reply, broken on purpose.
    [ "${E2E_NO_REPLYCHECK:-0}" = 1 ] ||
        e2e_replycheck -t "swaks to 127.0.0.1:$port $*" "$SW_OUT"
    printf '%s\n' "$SW_REPLIES"
}

# shellcheck disable=SC2034 # MT_* are for the caller
mtad() {
    local sock=$1 script=$2 t0
    shift 2
    t0=$(date +%s.%N)
    MT_OUT=$(printf '%s\n' "$script" | timeout 300 "$MTADRIVER" "$@" "$sock" 2>"$E2E_TMP/mtad.err")
    MT_RC=$?
    MT_ERR=$(cat "$E2E_TMP/mtad.err")
    MT_SECS=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    e2e_replycheck -m "mtadriver to $sock" "$MT_OUT"
    return 0
}

sw_reply_to() {
    printf '%s\n' "$SW_OUT" | awk -v re="$1" '
        state == 0 && /^ -> / && substr($0, 5) ~ "^" re { state = 1; next }
        state == 1 && /^(<-|<\*\*) / { sub(/^(<-|<\*\*)  ?/, ""); print; next }
        state == 1 && /^ -> / { exit }
        state == 1 && /^(===|\*\*\*)/ { exit }'
}

# ---- milter-annotate specifics -------------------------------------------------------------

# ma_expected_reply CONF REPLY [PREFIX]: the reply a sender should see for a rule whose reply
# is REPLY: what `milter-annotate -c CONF annotate REPLY` prints (the same engine and site
# settings as the daemon), without its trailing blank line. PREFIX, if given, is put at the
# start of the first line's text, where Sendmail puts "<address>... " at MAIL and RCPT.
ma_expected_reply() {
    local out
    out=$("$MA_BIN" -c "$1" annotate "$2") || return 1
    printf '%s\n' "$out" | awk -v p="${3:-}" '
        NF == 0 { next }
        NR == 1 && p != "" && match($0, /^[0-9][0-9][0-9][- ][0-9]\.[0-9]+\.[0-9]+ /) {
            $0 = substr($0, 1, RLENGTH) p substr($0, RLENGTH + 1)
        }
        { print }'
}

# check_annotated NAME ACTUAL EXPECTED FIRST_LINE: ACTUAL (the reply lines the sender saw) is
# EXPECTED exactly; independently: its first line is FIRST_LINE, it has an "Explanation:" and
# a "How to fix:" line, and it is valid SMTP (reply_problems).
check_annotated() {
    local name=$1 act=$2 exp=$3 first=$4
    expect_eq "$name: the whole reply is what 'annotate' makes of the rule's reply" "$exp" "$act"
    expect_eq "$name: first line" "$first" "$(printf '%s\n' "$act" | head -n 1)"
    expect_match "$name: has an Explanation line" "$act" '^[45][0-9][0-9]-[45]\.[0-9]+\.[0-9]+ Explanation: [A-Z]'
    expect_match "$name: has a How to fix line" "$act" '^[45][0-9][0-9]-[45]\.[0-9]+\.[0-9]+ How to fix: [A-Z]'
    expect_valid_reply "$name: same code and enhanced class on every line, printable, <= 512 octets" "$act"
}

# A rule reply text of about 600 characters, first word LONGSTART, last word LONGEND.
e2e_long_text() {
    local t="LONGSTART This message was refused because it matched a very long local policy:" i
    for ((i = 1; i <= 200 && ${#t} < 590; i++)); do t="$t clause$i"; done
    echo "$t LONGEND"
}

# e2e_rules_conf FILE [RELAY_TEXT] [EXTRA_RULE_TEXT]: the end-to-end tests' rule set.
# RELAY_TEXT (default "Relaying denied") is the text of the rcpt-reject rule; EXTRA_RULE_TEXT
# is appended to the list as is (used to break the file on purpose).
e2e_rules_conf() {
    local file=$1 relay=${2:-Relaying denied} extra=${3:-}
    cat >"$file" <<EOF
# milter-annotate end-to-end test rules (written by tests/e2e/lib.sh)
log = "stderr";
on_error = "continue";
rules = (
  { name = "mail-reject"; stage = "mail"; from = "^<?mailreject@";
    reply = "550 5.7.1 Sender address refused by policy"; },
  { name = "mail-tempfail"; stage = "mail"; from = "^<?mailgrey@";
    reply = "451 4.7.1 Greylisted, please try again later"; },
  { name = "rcpt-reject"; stage = "rcpt"; rcpt = "^<?blocked@";
    reply = "550 5.7.1 $relay"; },
  { name = "rcpt-tempfail"; stage = "rcpt"; rcpt = "^<?busy@";
    reply = "450 4.2.1 Mailbox busy, try again later"; },
  { name = "percent"; stage = "rcpt"; rcpt = "^<?percent@";
    reply = "550 5.7.1 100% spam"; },
  { name = "long"; stage = "rcpt"; rcpt = "^<?longreply@";
    reply = "550 5.7.1 $(e2e_long_text)"; },
  # Fires only if the MTA hands a recipient it rejected itself to the milter as an ordinary
  # recipient (it must come with {rcpt_mailer} = error instead, and be logged as source=mta).
  { name = "tripwire"; stage = "rcpt"; rcpt = "^<?mtareject@";
    reply = "550 5.7.1 milter rule saw mtareject"; },
  { name = "subject"; stage = "header"; header = "Subject: forbidden";
    reply = "554 5.7.1 Content refused"; },
  { name = "virus"; stage = "eom"; header = "X-Scan-Result: infected";
    reply = "550 5.7.0 Message refused: virus found"; }$extra
);
EOF
}

# e2e_connect_conf FILE REPLY: one connect-stage rule for every loopback client.
e2e_connect_conf() {
    cat >"$1" <<EOF
# milter-annotate end-to-end test: connect-stage rule (written by tests/e2e/lib.sh)
log = "stderr";
rules = (
  { name = "connect"; stage = "connect"; client_addr = [ "127.0.0.0/8" ];
    reply = "$2"; }
);
EOF
}

# Expected counters: e2e_count SOURCE CODE_KEY (SOURCE rule|mta, CODE_KEY e.g. X.7.1) after
# each annotation, e2e_count_session after each SMTP session; e2e_counters_line prints the line
# the milter should log on SIGUSR1 (without time stamp and program name).
declare -A E2E_CODES=()
E2E_SESSIONS=0
E2E_SRC_RULE=0
E2E_SRC_MTA=0
e2e_count_session() { E2E_SESSIONS=$((E2E_SESSIONS + 1)); }
e2e_count() {
    case $1 in rule) E2E_SRC_RULE=$((E2E_SRC_RULE + 1)) ;; mta) E2E_SRC_MTA=$((E2E_SRC_MTA + 1)) ;; esac
    E2E_CODES[$2]=$((${E2E_CODES[$2]:-0} + 1))
}
e2e_counters_line() {
    local line k
    line="counters sessions=$E2E_SESSIONS errors=0 spared=0 source.rule=$E2E_SRC_RULE source.mta=$E2E_SRC_MTA source.upstream=0"
    # Basic codes first (numeric), then enhanced ones by subject and detail.
    for k in $(printf '%s\n' "${!E2E_CODES[@]}" | grep -E '^[0-9]+$' | sort -n); do
        line="$line code.$k=${E2E_CODES[$k]}"
    done
    for k in $(printf '%s\n' "${!E2E_CODES[@]}" | grep -E '^X\.' | sort -t. -k2,2n -k3,3n); do
        line="$line code.$k=${E2E_CODES[$k]}"
    done
    echo "$line"
}

# Strip the "YYYY-MM-DDTHH:MM:SS milter-annotate: " prefix of the milter's stderr log lines.
ma_strip_stamp() { sed -E 's/^[0-9T:-]+ milter-annotate: //'; }

# SIGUSR1 counters, then SIGHUP with a broken file (the old rules stay) and
# with a fixed one (picked up). Uses the calling test's send and rule_case;
# PREFIX is what the MTA puts before the first line's text at RCPT
# (Sendmail: "<blocked@localhost>"), empty for Postfix.
e2e_signal_checks() {
    local prefix=$1 mark log bad_line
    # ---- SIGUSR1: counters -------------------------------------------------------------------------

    mark=$(ma_log_lines m)
    kill -USR1 "$(ma_pid m)"
    if wait_for_log "$MLOG" "$mark" 'milter-annotate: counters ' 5; then
        expect_eq "SIGUSR1: counters line" "$(e2e_counters_line)" \
            "$(ma_log_since m "$mark" | grep ' counters ' | head -n 1 | ma_strip_stamp)"
    else
        fail "SIGUSR1: no counters line logged within 5 s"
    fi

    # ---- SIGHUP: a broken file keeps the old rules, a fixed one is picked up ------------------------

    NEW_TEXT="Relaying denied: authenticate first (v2)"
    e2e_rules_conf "$CONF" "$NEW_TEXT" ',
      { name = "broken"; stage = "rcpt";
        rcpt = "^(unclosed";
        reply = "550 5.7.1 never used"; }'
    bad_line=$(grep -n 'rcpt = "^(unclosed"' "$CONF" | cut -d: -f1)
    check "the broken file fails -n at line $bad_line" \
        "! '$MA_BIN' -n -c '$CONF' >/dev/null 2>&1"
    mark=$(ma_log_lines m)
    kill -HUP "$(ma_pid m)"
    if wait_for_log "$MLOG" "$mark" 'reload failed' 5; then
        log=$(ma_log_since m "$mark")
        expect_contains "SIGHUP broken: FILE:LINE of the bad regex logged" "$log" \
            "$CONF:$bad_line: rule 'broken': rcpt regex cannot be compiled"
        expect_contains "SIGHUP broken: old configuration kept" "$log" \
            "reload failed: keeping the configuration in force"
    else
        fail "SIGHUP broken: no 'reload failed' line within 5 s"
        ma_log_since m "$mark" | sed 's/^/         | /'
    fi
    check "SIGHUP broken: the milter still runs" "_mta_alive $(ma_pid m)"
    send "RCPT TO:<blocked@localhost> after the broken reload" \
        --from a@localhost --to blocked@localhost --quit-after RCPT
    rule_case "after broken reload: old rule" "550 5.7.1 Relaying denied" 'RCPT TO:' ${prefix:+"$prefix"}

    e2e_rules_conf "$CONF" "$NEW_TEXT"
    mark=$(ma_log_lines m)
    kill -HUP "$(ma_pid m)"
    if wait_for_log "$MLOG" "$mark" "reloaded $CONF" 5; then
        pass "SIGHUP fixed: reloaded"
    else
        fail "SIGHUP fixed: no 'reloaded $CONF' line within 5 s"
        ma_log_since m "$mark" | sed 's/^/         | /'
    fi
    send "RCPT TO:<blocked@localhost> after the fixed reload" \
        --from a@localhost --to blocked@localhost --quit-after RCPT
    rule_case "after fixed reload: new text" "550 5.7.1 $NEW_TEXT" 'RCPT TO:' ${prefix:+"$prefix"}
    expect_eq "after fixed reload: first line" "550-5.7.1 ${prefix:+$prefix... }$NEW_TEXT" \
        "$(sw_reply_to 'RCPT TO:' | head -n 1)"
}
