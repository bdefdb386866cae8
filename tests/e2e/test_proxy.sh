#!/usr/bin/env bash
# test_proxy.sh - milter-annotate's proxy mode between a real Postfix (and Sendmail) and an
# upstream milter (build/tests/upstream_milter, a libmilter milter; build/tests/fakeup, a
# misbehaving one that speaks the raw protocol).
#
#   sudo tests/e2e/test_proxy.sh        (root; build first with: make && make unit-bins)
#
# Layout: Postfix PF -> milter-annotate (proxy, one rule: rcpt ^<?blocked@ 550 5.7.1 Relaying
# denied, upstream_timeout = 2) -> upstream_milter on inet; a second Postfix PFD talks to the
# same upstream_milter directly: its replies are "what the MTA would have shown" without the
# proxy. Checks:
#   - for each up-* recipient (reject, temp, bare, baretemp, percent, long, multi) the EXACT
#     reply the sender sees through the proxy is `milter-annotate annotate "<PFD's reply>"`;
#     PFD's reply is the upstream's as expected (bare reject "550 5.7.1 Command rejected",
#     bare tempfail "451 4.7.1 Service unavailable - try again later"); spot checks: "%"
#     arrives single, the 700-character text arrives wrapped, complete and every line valid
#     (same code, enhanced code of its class, printable, <= 512 octets), the multi-line reply
#     keeps its three lines first; each is logged "annotated ... source=upstream"
#   - a rule match (blocked@) is answered by the rule (source="rule=rcpt-reject") and the
#     upstream never sees that recipient
#   - an accepted message is queued with the upstream's X-Upstream header and the recipient
#     it added (up-addrcpt@: smfi_addrcpt); the end-of-message rejection (Subject upcontent)
#   - macros: the macros upstream_milter sees at each callback (UPSTREAM_MACRO_LOG) are the
#     same, names and values (queue id aside), through the proxy and directly
#   - latency: a message with 30 extra headers takes less than 0.5 s longer through the proxy
#     than directly
#   - decisions at a header (X-Up-Verdict: reject, tempfail, accept, discard; headers are
#     pipelined to the upstream, and Postfix does not wait for their answers, SMFIP_NR_HDR):
#     the sender gets at end of data what Postfix gives directly
#     (annotated, logged stage=header), the message is queued or not as directly; three
#     messages in one SMTP session (python3 smtplib) after a header refusal: the upstream,
#     reconnected (it sees the connect twice), still refuses a recipient and adds its header;
#     the proxy's own header rule (X-Block: yes): its annotated refusal at end of data, the
#     upstream gets no end of message
#   - failures, each logged with exactly one upstream-error line per failed session:
#     up-slow@ (upstream sleeps 30 s): tempfail within 1.5-4.5 s; up-die@ (upstream exits):
#     that recipient and the rest of the session get the annotated 451; upstream down from
#     the start: annotated 451 with on_upstream_error = tempfail, the message is queued
#     (without the upstream's header, the rule still applies) with "continue" (SIGHUP);
#     upstream back: the next session works again; a Postfix whose milter_command_timeout
#     (1 s) is below upstream_timeout gives up on up-slow@ first: the proxy then answers a
#     closed connection and must live on
#   - each fakeup mode (close-after-optneg, garbage, oversized, unknown-reply, silent,
#     refuse-optneg; the data-stage modes also at RCPT) on the upstream's port: the session
#     gets the annotated 451, one upstream-error line with the expected error, the proxy
#     process is still alive, and with the real upstream back the next session gets the real
#     upstream's (annotated) answer again
#   - SIGUSR1: the proxy's counters (source.upstream, source.rule) match its log
#   - Sendmail -> a second proxy (upstream = "unix:/path") -> upstream_milter: up-reject@ gets
#     the annotated reply with Sendmail's "<address>... " prefix, an accepted message is
#     queued with X-Upstream
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init proxy
START=$(date +%s.%N)

UP_BIN=$MA_BUILD/tests/upstream_milter
FAKE_BIN=$MA_BUILD/tests/fakeup
for b in "$UP_BIN" "$FAKE_BIN"; do
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

if ! e2e_port UPORT || ! e2e_port MPORT || ! e2e_port SPORT || ! e2e_port DPORT; then
    fail "no free ports"
    e2e_finish
fi
PF=$E2E_TMP/postfix
PFD=$E2E_TMP/postfix-direct
CONF=$E2E_TMP/proxy.conf
CONF_CONT=$E2E_TMP/proxy-continue.conf
MLOG=$(ma_logfile m)
UPLOG=$E2E_TMP/upstream.log
FAKELOG=$E2E_TMP/fakeup.log
MACROS=$E2E_TMP/macros.log
: >"$MACROS"

# proxy_conf FILE ON_UPSTREAM_ERROR UPSTREAM [REUSE]
proxy_conf() {
    cat >"$1" <<EOF
# milter-annotate proxy end-to-end test (tests/e2e/test_proxy.sh)
log = "stderr";
upstream = "$3";
on_upstream_error = "$2";
upstream_timeout = 2;
upstream_reuse = ${4:-false};
rules = (
  { name = "rcpt-reject"; stage = "rcpt"; rcpt = "^<?blocked@";
    reply = "550 5.7.1 Relaying denied"; },
  { name = "hdr-reject"; stage = "header"; header = "X-Block: ^yes$";
    reply = "554 5.7.1 Header refused by rule"; }
);
EOF
}
# Postfix's proxy keeps its upstream connections (upstream_reuse); Sendmail's does not.
proxy_conf "$CONF" tempfail "inet:$UPORT@127.0.0.1" true
proxy_conf "$CONF_CONT" continue "inet:$UPORT@127.0.0.1" true
cp "$CONF" "$E2E_TMP/proxy-tempfail.conf"

# ---- the upstreams: upstream_milter or fakeup on 127.0.0.1:UPORT ---------------------------

UP_PID=
FAKE_PID=
SM_UP_PID=

_wait_port_closed() {
    local i
    for ((i = 0; i < 50; i++)); do
        _mta_listening "$1" || return 0
        sleep 0.1
    done
    return 1
}

_kill_wait() { # PID: SIGKILL, reap
    [ -n "$1" ] || return 0
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

up_start() {
    UPSTREAM_MACRO_LOG=$MACROS "$UP_BIN" "inet:$UPORT@127.0.0.1" >>"$UPLOG" 2>&1 </dev/null &
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
proxy_cleanup() {
    _kill_wait "$UP_PID"
    _kill_wait "$FAKE_PID"
    _kill_wait "$SM_UP_PID"
}
trap 'proxy_cleanup; e2e_cleanup' EXIT

echo "== upstream_milter on 127.0.0.1:$UPORT, proxy on 127.0.0.1:$MPORT," \
    "Postfix on 127.0.0.1:$SPORT (direct: $DPORT) ($E2E_TMP)"
if ! up_start; then
    fail "upstream_milter does not listen on 127.0.0.1:$UPORT"
    cat "$UPLOG"
    e2e_finish
fi
if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate (proxy) did not start"
    e2e_finish
fi
expect_match "the proxy says it is one" "$(cat "$MLOG")" \
    "starting: listening on inet:$MPORT@127.0.0.1, .* proxy to inet:$UPORT@127.0.0.1"
if ! pf_start_e2e "$PF" "$SPORT" "inet:127.0.0.1:$MPORT" ||
    ! pf_start_e2e "$PFD" "$DPORT" "inet:127.0.0.1:$UPORT"; then
    fail "Postfix did not start"
    e2e_finish
fi
pass "Postfix -> proxy -> upstream_milter, and Postfix -> upstream_milter directly, are up"

# ---- helpers ---------------------------------------------------------------------------------

# send PORT WHAT SWAKS_ARGS...: one SMTP session; SW_* set (lib.sh), SW_SECS its duration.
send() {
    local port=$1 what=$2 t0
    shift 2
    echo "-- $what"
    t0=$(date +%s.%N)
    # The direct Postfix shows the upstream's own replies, some too long on purpose: they are
    # not milter-annotate's, so the reply property check is not theirs.
    if [ "$port" = "$DPORT" ]; then
        E2E_NO_REPLYCHECK=1 swaks_replies "$port" "$@" >/dev/null
    else
        swaks_replies "$port" "$@" >/dev/null
    fi
    SW_SECS=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    printf '%s\n' "$SW_REPLIES" | grep -E '^[45][0-9][0-9]' | head -n 1 | sed 's/^/   sender got: /'
    echo "   ($SW_SECS s, at $(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s)"
}

expected() { ma_expected_reply "$CONF" "$1"; }

# The reply lines as one original reply, for annotate (as the MTA showed it).
BARE_TEMPFAIL="451 4.7.1 Service unavailable - try again later"

# annotated_case NAME ACTUAL ORIGINAL: ACTUAL is `annotate ORIGINAL`, its first lines are
# ORIGINAL's (continued with "-"), and it is a valid annotated reply.
annotated_case() {
    local name=$1 act=$2 orig=$3 exp n first_lines
    exp=$(expected "$orig")
    check_annotated "$name" "$act" "$exp" "$(printf '%s\n' "$exp" | head -n 1)"
    n=$(printf '%s\n' "$orig" | wc -l)
    first_lines=$(printf '%s\n' "$orig" | sed -E 's/^([0-9]{3})[ -]/\1-/')
    expect_eq "$name: the original reply's $n line(s) come first" "$first_lines" \
        "$(printf '%s\n' "$act" | head -n "$n")"
}

# log_count MARK ERE: how many proxy log lines after MARK match ERE.
log_count() { ma_log_since m "$1" | grep -cE -e "$2"; }

# one_upstream_error NAME MARK ERROR_ERE ACTION: exactly one upstream-error line after MARK,
# with error="<ERROR_ERE>" and action=ACTION.
one_upstream_error() {
    local name=$1 mark=$2 err=$3 action=$4 lines n
    wait_for_log "$MLOG" "$mark" ' upstream-error ' 5
    sleep 0.3 # the session may still be closing: a second line would come now
    lines=$(ma_log_since m "$mark" | grep -E ' upstream-error ')
    n=$(printf '%s' "$lines" | grep -c .)
    expect_eq "$name: exactly one upstream-error line" 1 "$n" || ma_log_since m "$mark" | sed 's/^/         | /'
    expect_match "$name: upstream-error line" "$lines" \
        "upstream-error upstream=inet:$UPORT@127.0.0.1 error=\"$err\" .*action=$action\$"
}

# proxy_alive NAME [NOTE]: the proxy process still runs; if not, say how it ended (and NOTE)
# and start it again (so that one crash does not hide the other results).
proxy_alive() {
    local pid st
    pid=$(ma_pid m)
    if _mta_alive "$pid"; then
        pass "$1: the proxy process is still alive"
        return 0
    fi
    wait "$pid" 2>/dev/null
    st=$?
    fail "$1: the proxy process died, exit status $st$([ "$st" = 141 ] && echo ' (SIGPIPE)')"
    [ -n "${2:-}" ] && echo "         $2"
    echo "         last proxy log lines:"
    tail -n 3 "$MLOG" | sed 's/^/         | /'
    unset "E2E_MA_PID[m]"
    echo "         (restarting the proxy)"
    ma_start m "$CONF" "$MPORT" || { fail "the proxy does not start again"; e2e_finish; }
    return 1
}

# queued_file PFDIR: the queue file of the message the last session queued ("" if none).
queued_file() {
    local qid
    qid=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/\1/p')
    [ -n "$qid" ] && pf_queue_file "$1" "$qid" 2>&1
}

# accepted_ok NAME: the last session (through the proxy) was queued with X-Upstream: seen.
accepted_ok() {
    local q
    q=$(queued_file "$PF")
    expect_match "$1: the message is queued" "$(sw_reply_to '\.$')" '^250 2\.0\.0 Ok: queued as '
    expect_contains "$1: the queued message has the upstream's header" "$q" "X-Upstream: seen"
}

# ---- the upstream's answers, through the proxy and directly ---------------------------------

LONGTEXT=$(printf 'upstreamwor %.0s' $(seq 58))
LONGTEXT=${LONGTEXT% }
declare -A LITERAL=(
    [up-reject]="550 5.7.1 Rejected by upstream"
    [up-temp]="451 4.7.1 Upstream says later"
    [up-bare]="550 5.7.1 Command rejected"
    [up-baretemp]="$BARE_TEMPFAIL"
    [up-percent]="554 5.7.1 100% upstream"
    [up-long]="550 5.7.1 $LONGTEXT"
    [up-multi]=$'550-5.7.1 Upstream line one\n550-5.7.1 Upstream line two\n550 5.7.1 Upstream line three'
)
declare -A PROXIED=()
for r in up-reject up-temp up-bare up-baretemp up-percent up-long up-multi; do
    send "$DPORT" "RCPT TO:<$r@localhost> directly" --from a@localhost --to "$r@localhost" --quit-after RCPT
    direct=$(sw_reply_to 'RCPT TO:' | sed 's/ *$//')
    expect_eq "$r directly: Postfix shows the upstream's reply" "${LITERAL[$r]}" "$direct"
    mark=$(ma_log_lines m)
    send "$SPORT" "RCPT TO:<$r@localhost> through the proxy" \
        --from a@localhost --to "$r@localhost" --quit-after RCPT
    PROXIED[$r]=$(sw_reply_to 'RCPT TO:')
    if [ "$r" = up-long ]; then # wrapped: its text is checked below
        exp=$(expected "$direct")
        check_annotated "$r" "${PROXIED[$r]}" "$exp" "$(printf '%s\n' "$exp" | head -n 1)"
    else
        annotated_case "$r" "${PROXIED[$r]}" "$direct"
    fi
    line=$(ma_log_since m "$mark" | grep " annotated .*rcpt=<$r@localhost>")
    expect_match "$r: logged with source=upstream" "$line" \
        "annotated .* stage=rcpt .*rcpt=<$r@localhost> reply=\"[45][0-9][0-9] [45]\.7\.1 .* code=X\.7\.1 source=upstream "
done

first=$(printf '%s\n' "${PROXIED[up-percent]}" | head -n 1)
expect_eq "up-percent: a single % arrives" "554-5.7.1 100% upstream" "$first"
expect_not_contains "up-percent: no %% anywhere" "${PROXIED[up-percent]}" "%%"

got=${PROXIED[up-long]}
text=$(printf '%s\n' "$got" | sed -E '/^[0-9]{3}-[0-9.]+ Explanation: /,$d' |
    sed -E 's/^[0-9]{3}[- ][0-9]\.[0-9]+\.[0-9]+ +//' | tr '\n' ' ' | sed 's/ *$//')
expect_eq "up-long: the whole 700-character text arrives, in order" "$LONGTEXT" "$text"
check "up-long: wrapped on several lines" "[ $(printf '%s\n' "$got" | wc -l) -ge 10 ]"
expect_eq "up-multi: its three lines first" \
    $'550-5.7.1 Upstream line one\n550-5.7.1 Upstream line two\n550-5.7.1 Upstream line three' \
    "$(printf '%s\n' "${PROXIED[up-multi]}" | head -n 3)"
expect_eq "up-bare: first line" "550-5.7.1 Command rejected" "$(printf '%s\n' "${PROXIED[up-bare]}" | head -n 1)"
expect_eq "up-baretemp: first line" "451-4.7.1 Service unavailable - try again later" \
    "$(printf '%s\n' "${PROXIED[up-baretemp]}" | head -n 1)"

# ---- the rule first ------------------------------------------------------------------------------

mmark=$(wc -l <"$MACROS")
mark=$(ma_log_lines m)
send "$SPORT" "RCPT TO:<blocked@localhost> (the rule; the upstream would accept)" \
    --from a@localhost --to blocked@localhost --quit-after RCPT
exp=$(expected "550 5.7.1 Relaying denied")
check_annotated "rule" "$(sw_reply_to 'RCPT TO:')" "$exp" "550-5.7.1 Relaying denied"
line=$(ma_log_since m "$mark" | grep ' annotated ')
expect_match "rule: logged with source=\"rule=rcpt-reject\"" "$line" \
    'annotated .*rcpt=<blocked@localhost> reply="550 5.7.1 Relaying denied" .*source="rule=rcpt-reject"'
expect_not_contains "rule: nothing logged with source=upstream" "$line" "source=upstream"
expect_not_contains "rule: the upstream never saw RCPT blocked@" \
    "$(tail -n +"$((mmark + 1))" "$MACROS" | grep '^rcpt ')" "{rcpt_addr}=blocked@localhost"

# ---- accepted mail, modifications, end of message, macros ---------------------------------------

norm_macros() { sed -E 's/^([a-z]+ i)=.*/\1=QUEUEID/'; }
# 30 extra headers: each is one exchange with the upstream, so a per-packet delay shows.
HDRS=()
for ((i = 1; i <= 30; i++)); do HDRS+=(--add-header "X-Filler-$i: value $i"); done
mmark=$(wc -l <"$MACROS")
send "$DPORT" "an accepted message directly (macros recorded, 30 extra headers)" --from a@localhost \
    --to b@localhost,up-addrcpt@localhost --header "Subject: macros direct" "${HDRS[@]}"
direct_secs=$SW_SECS
direct_q=$(queued_file "$PFD")
m_direct=$(tail -n +"$((mmark + 1))" "$MACROS" | norm_macros)
mmark=$(wc -l <"$MACROS")
mark=$(ma_log_lines m)
send "$SPORT" "an accepted message through the proxy (macros recorded, 30 extra headers)" --from a@localhost \
    --to b@localhost,up-addrcpt@localhost --header "Subject: macros direct" "${HDRS[@]}"
check "latency: the proxy adds less than 0.5 s to a 30-header message (direct $direct_secs s, proxied $SW_SECS s)" \
    "awk 'BEGIN { exit !($SW_SECS - $direct_secs < 0.5) }'"
m_proxy=$(tail -n +"$((mmark + 1))" "$MACROS" | norm_macros)
accepted_ok "accepted"
q=$(queued_file "$PF")
expect_contains "accepted: the upstream's added recipient is in the queue file" "$q" "recipient: added@localhost"
expect_contains "accepted directly: the same header" "$direct_q" "X-Upstream: seen"
expect_contains "accepted directly: the same added recipient" "$direct_q" "recipient: added@localhost"
expect_not_contains "accepted: the proxy annotated nothing" "$(ma_log_since m "$mark")" "annotated"
expect_eq "macros: the upstream saw macros at every callback" "connect data eoh eom helo mail rcpt" \
    "$(printf '%s\n' "$m_direct" | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq "macros: the same macro names per callback, through the proxy as directly" \
    "$(printf '%s\n' "$m_direct" | sed 's/=.*//' | sort -u)" \
    "$(printf '%s\n' "$m_proxy" | sed 's/=.*//' | sort -u)"
expect_eq "macros: the same values, callback by callback (queue id aside)" "$m_direct" "$m_proxy"

# upstream_reuse: the proxy's connection to the upstream outlives the session (SMFIC_QUIT_NC)
# and the next session takes it over instead of connecting again.
up_conns() { # the proxy's established connections to the upstream: their local ports
    ss -tnpH state established "( dport = :$UPORT )" | grep "pid=$(ma_pid m)," |
        awk '{ print $3 }' | sort
}
kept=$(up_conns)
expect_eq "upstream_reuse: one connection to the upstream kept after the session" 1 \
    "$(printf '%s' "$kept" | grep -c .)"
send "$SPORT" "an accepted message through the proxy, on the kept connection" --from a@localhost \
    --to b@localhost --header "Subject: reuse"
accepted_ok "reuse"
expect_eq "upstream_reuse: the same connection served the next session, and is kept again" \
    "$kept" "$(up_conns)"
check "upstream_reuse: that connection is a real one ($kept)" "[ -n '$kept' ]"

send "$DPORT" "Subject: upcontent directly" --from a@localhost --to b@localhost --header "Subject: upcontent"
direct=$(sw_reply_to '\.$')
expect_eq "end of message directly: the upstream's reply" "554 5.7.1 Upstream content refused" "$direct"
mark=$(ma_log_lines m)
send "$SPORT" "Subject: upcontent through the proxy (rejected at end of message)" \
    --from a@localhost --to b@localhost --header "Subject: upcontent"
annotated_case "end of message" "$(sw_reply_to '\.$')" "$direct"
expect_match "end of message: logged at stage eom with source=upstream" "$(ma_log_since m "$mark")" \
    'annotated .* stage=eom .*reply="554 5.7.1 Upstream content refused" .*source=upstream '

# ---- the upstream decides at a header: pipelined steps -------------------------------------------
# Headers, end of headers and body reach the upstream without the proxy waiting for each answer
# (the MTA acts on them only at end of message); a decision the upstream takes at a header is
# given at end of message, as the MTA gives it. The header comes before 10 others, which the
# upstream (libmilter) then ignores, so the proxy's connection to it is out of step.
FILL10=("${HDRS[@]:0:20}")
for v in reject tempfail; do
    send "$DPORT" "X-Up-Verdict: $v directly" --from a@localhost --to b@localhost \
        --add-header "X-Up-Verdict: $v" "${FILL10[@]}"
    direct=$(sw_reply_to '\.$')
    want="550 5.7.1 Header refused by upstream"
    [ "$v" = tempfail ] && want="451 4.7.1 Header says later"
    expect_eq "header $v directly: the upstream's reply at end of data" "$want" "$direct"
    mark=$(ma_log_lines m)
    send "$SPORT" "X-Up-Verdict: $v through the proxy" --from a@localhost --to b@localhost \
        --add-header "X-Up-Verdict: $v" "${FILL10[@]}"
    annotated_case "header $v" "$(sw_reply_to '\.$')" "$direct"
    expect_match "header $v: logged at stage header with source=upstream" "$(ma_log_since m "$mark")" \
        "annotated .* stage=header .*reply=\"$want\" .*source=upstream "
    expect_eq "header $v: no upstream-error" 0 "$(log_count "$mark" ' upstream-error ')"
done
for v in accept discard; do
    send "$DPORT" "X-Up-Verdict: $v directly" --from a@localhost --to b@localhost \
        --add-header "X-Up-Verdict: $v" "${FILL10[@]}"
    direct=$(sw_reply_to '\.$' | cut -c1-3)
    direct_q=$(queued_file "$PFD")
    send "$SPORT" "X-Up-Verdict: $v through the proxy" --from a@localhost --to b@localhost \
        --add-header "X-Up-Verdict: $v" "${FILL10[@]}"
    expect_eq "header $v: the same reply code as directly ($direct)" "$direct" "$(sw_reply_to '\.$' | cut -c1-3)"
    q=$(queued_file "$PF")
    expect_eq "header $v: queued through the proxy as directly" "$([ -n "$direct_q" ] && echo yes)" \
        "$([ -n "$q" ] && echo yes)"
    expect_not_contains "header $v: the upstream's end-of-message header is not added" "$q" "X-Upstream"
done

# A header rule of the proxy's own: Postfix is told it need not wait for header answers
# (SMFIP_NR_HDR), so the refusal is held and given at end of data, annotated; the upstream
# sees nothing more of the message (no end-of-message callback).
mark=$(ma_log_lines m)
mmark=$(wc -l <"$MACROS")
send "$SPORT" "X-Block: yes through the proxy (the proxy's header rule, 10 headers after it)" \
    --from a@localhost --to b@localhost --add-header "X-Block: yes" "${FILL10[@]}"
exp=$(expected "554 5.7.1 Header refused by rule")
check_annotated "header rule" "$(sw_reply_to '\.$')" "$exp" "554-5.7.1 Header refused by rule"
expect_match "header rule: logged at stage header with the rule as source" "$(ma_log_since m "$mark")" \
    'annotated .* stage=header .*reply="554 5.7.1 Header refused by rule" .*source="rule=hdr-reject"'
expect_eq "header rule: the upstream got no end of message" 0 \
    "$(tail -n +"$((mmark + 1))" "$MACROS" | grep -c '^eom ')"
expect_eq "header rule: no upstream-error" 0 "$(log_count "$mark" ' upstream-error ')"

# Three messages in one SMTP session (python3 smtplib): refused at a header (the connection to
# the upstream is left out of step), then a recipient the upstream refuses, then an accepted
# message: the proxy starts the upstream connection afresh and the upstream still decides.
mark=$(ma_log_lines m)
mmark=$(wc -l <"$MACROS")
out=$(python3 - "$SPORT" <<'PYEOF' 2>&1
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.example")
def data(body):
    try:
        code, text = s.data(body)
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    return code, text.decode().splitlines()[0]
fill = "".join("X-Filler-%d: value %d\r\n" % (i, i) for i in range(10))
s.mail("a@localhost"); s.rcpt("b@localhost")
print("msg1", *data("Subject: one\r\nX-Up-Verdict: reject\r\n" + fill + "\r\nbody\r\n"))
s.mail("a@localhost")
code, text = s.rcpt("up-reject@localhost")
print("msg2", code, text.decode().splitlines()[0])
s.rset()
s.mail("a@localhost"); s.rcpt("b@localhost")
print("msg3", *data("Subject: three\r\n" + fill + "\r\nbody\r\n"))
s.quit()
PYEOF
)
printf '%s\n' "$out" | sed 's/^/   /'
expect_eq "one session, message 1: refused at the header" "msg1 550 5.7.1 Header refused by upstream" \
    "$(printf '%s\n' "$out" | grep '^msg1')"
expect_eq "one session, message 2: the upstream (reconnected) refuses the recipient" \
    "msg2 550 5.7.1 Rejected by upstream" "$(printf '%s\n' "$out" | grep '^msg2')"
qid=$(printf '%s\n' "$out" | sed -nE 's/^msg3 250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/\1/p')
check "one session, message 3: accepted" "[ -n '$qid' ]"
expect_contains "one session, message 3: the upstream's header is added" \
    "$([ -n "$qid" ] && pf_queue_file "$PF" "$qid" 2>&1)" "X-Upstream: seen"
expect_eq "one session: no upstream-error" 0 "$(log_count "$mark" ' upstream-error ')"
expect_eq "one session: the upstream saw the connect twice (the fresh connection was told again)" 2 \
    "$(tail -n +"$((mmark + 1))" "$MACROS" | grep -c '^connect j=')"

# ---- a bounce through the proxy: annotated after the upstream's own body change --------------------
# The upstream (X-Up-Body: rewrite) replaces the body with one where "Original-Recipient:" reads
# "Original-recipient:"; the report the MTA keeps must be annotated AND carry that change.
{ printf 'X-Up-Body: rewrite\r\n'; cat tests/dsn/samples/postfix-two-recipients.eml; } >"$E2E_TMP/dsn-in.eml"
mark=$(ma_log_lines m)
send "$SPORT" "a bounce (MAIL FROM:<>) through the proxy, the upstream rewriting its body" \
    --from '<>' --to b@localhost --data "$E2E_TMP/dsn-in.eml"
q=$(queued_file "$PF")
expect_contains "bounce via proxy: marked annotated" "$q" "X-Annotated-By: milter-annotate "
expect_contains "bounce via proxy: the human part is now text and HTML" "$q" "Content-Type: multipart/alternative"
expect_contains "bounce via proxy: a recipient explained" "$q" "  Who should act: The sender's mail administrator"
expect_contains "bounce via proxy: the upstream's own body change is kept" "$q" "Original-recipient: rfc822;kijitora@example.net"
expect_not_contains "bounce via proxy: nothing of the body before the upstream's change" "$q" "Original-Recipient:"
expect_contains "bounce via proxy: the upstream's header too" "$q" "X-Upstream: seen"
expect_match "bounce via proxy: one log line, source=dsn" "$(ma_log_since m "$mark")" \
    '^.*annotated queue_id=[0-9A-F]+ source=dsn recipients=2 rcpt=kijitora@example.net action=failed status=5.1.8 cause=sender-domain-invalid code=X.1.8'
send "$SPORT" "the same bounce from a sender that is not null: untouched" \
    --from a@localhost --to b@localhost --data "$E2E_TMP/dsn-in.eml"
q=$(queued_file "$PF")
expect_not_contains "not from <>: no annotation" "$q" "X-Annotated-By"
expect_contains "not from <>: the upstream's change alone" "$q" "Original-recipient: rfc822;kijitora@example.net"

# ---- upstream failures with the real upstream ----------------------------------------------------

mark=$(ma_log_lines m)
send "$SPORT" "RCPT TO:<up-slow@localhost> (the upstream sleeps 30 s; upstream_timeout = 2)" \
    --from a@localhost --to up-slow@localhost --quit-after RCPT
check "up-slow: answered within 1.5-4.5 s (took $SW_SECS s)" \
    "awk 'BEGIN { exit !($SW_SECS >= 1.5 && $SW_SECS <= 4.5) }'"
annotated_case "up-slow: tempfail" "$(sw_reply_to 'RCPT TO:')" "$BARE_TEMPFAIL"
one_upstream_error "up-slow" "$mark" "reading: timed out" tempfail

mark=$(ma_log_lines m)
send "$SPORT" "RCPT TO:<up-die@localhost>, then <b@localhost> (the upstream exits)" \
    --from a@localhost --to up-die@localhost,b@localhost --quit-after RCPT
annotated_case "up-die: that recipient" "$(sw_reply_to 'RCPT TO:<up-die@')" "$BARE_TEMPFAIL"
annotated_case "up-die: the next recipient of the session" "$(sw_reply_to 'RCPT TO:<b@')" "$BARE_TEMPFAIL"
one_upstream_error "up-die" "$mark" "reading: connection closed" tempfail
proxy_alive "up-die"
up_kill # reap it (it exited)

mark=$(ma_log_lines m)
send "$SPORT" "an ordinary message, upstream down from the start (tempfail)" \
    --from a@localhost --to b@localhost
annotated_case "upstream down, tempfail" "$(sw_reply_to 'MAIL FROM:')" "$BARE_TEMPFAIL"
expect_not_contains "upstream down, tempfail: nothing is queued" "$SW_REPLIES" "queued as"
one_upstream_error "upstream down, tempfail" "$mark" "connecting: Connection refused" tempfail

# reload_conf FILE: make FILE the proxy's configuration (SIGHUP).
reload_conf() {
    local m
    cp "$1" "$CONF"
    m=$(ma_log_lines m)
    kill -HUP "$(ma_pid m)"
    wait_for_log "$MLOG" "$m" "reloaded $CONF" 5
}
if reload_conf "$CONF_CONT"; then
    mark=$(ma_log_lines m)
    send "$SPORT" "upstream down, on_upstream_error = continue" \
        --from a@localhost --to blocked@localhost,b@localhost
    check_annotated "upstream down, continue: the rule still applies" "$(sw_reply_to 'RCPT TO:<blocked@')" \
        "$(expected "550 5.7.1 Relaying denied")" "550-5.7.1 Relaying denied"
    expect_eq "upstream down, continue: the other recipient is accepted" "250 2.1.5 Ok" "$(sw_reply_to 'RCPT TO:<b@')"
    q=$(queued_file "$PF")
    expect_match "upstream down, continue: the message is queued" "$(sw_reply_to '\.$')" '^250 2\.0\.0 Ok: queued as '
    expect_not_contains "upstream down, continue: without the upstream's header" "$q" "X-Upstream"
    one_upstream_error "upstream down, continue" "$mark" "connecting: Connection refused" continue
else
    fail "SIGHUP to on_upstream_error = continue: no 'reloaded' line"
fi
reload_conf "$E2E_TMP/proxy-tempfail.conf" || fail "SIGHUP back to tempfail: no 'reloaded' line"

if up_start; then
    mark=$(ma_log_lines m)
    send "$SPORT" "an ordinary message, the upstream back" --from a@localhost --to b@localhost
    accepted_ok "upstream back"
    expect_eq "upstream back: no upstream-error" 0 "$(log_count "$mark" ' upstream-error ')"
else
    fail "upstream_milter does not start again"
fi

# ---- the MTA gives up before the upstream times out ----------------------------------------------

# A third Postfix with milter_command_timeout = 1s (below upstream_timeout = 2): it closes the
# milter connection while the proxy still waits for up-slow's answer; when the proxy's own
# timeout comes, it answers a closed connection. It must live on and serve the next session.
PFT=$E2E_TMP/postfix-impatient
if e2e_port TPORT && pf_start_e2e "$PFT" "$TPORT" "inet:127.0.0.1:$MPORT" "milter_command_timeout = 1s"; then
    mark=$(ma_log_lines m)
    send "$TPORT" "RCPT TO:<up-slow@localhost> via a Postfix that waits only 1 s for the milter" \
        --from a@localhost --to up-slow@localhost --quit-after RCPT
    expect_match "MTA gives up first: Postfix tempfails by itself" "$(sw_reply_to 'RCPT TO:')" '^451 4\.7\.1 '
    one_upstream_error "MTA gives up first" "$mark" "reading: timed out" tempfail
    sleep 0.5 # the proxy has now answered (at 2 s) the connection Postfix closed (at 1 s)
    proxy_alive "MTA gives up first"
    send "$SPORT" "an ordinary message after that" --from a@localhost --to b@localhost
    accepted_ok "MTA gave up first, next session"
    pf_stop "$PFT"
else
    fail "the third Postfix (milter_command_timeout = 1s) did not start"
fi

# ---- misbehaving upstreams (fakeup on the upstream's port) ---------------------------------------

# fake_case MODE CMD ERROR_ERE: fakeup MODE [CMD] in the upstream's place: the session gets the
# annotated tempfail (at MAIL when the upstream fails at or before CONNECT, at RCPT when it
# fails at RCPT), one upstream-error line, the proxy lives on.
fake_case() {
    local mode=$1 cmd=$2 err=$3 name at
    name="fakeup $mode${cmd:+ at $cmd}"
    at='MAIL FROM:'
    [ "$cmd" = R ] && at='RCPT TO:'
    if ! fake_start "$mode" ${cmd:+"$cmd"}; then
        fail "$name: fakeup does not listen"
        return
    fi
    mark=$(ma_log_lines m)
    send "$SPORT" "$name" --from a@localhost --to b@localhost
    expect_not_contains "$name: nothing is queued" "$SW_REPLIES" "queued as"
    sleep 0.3 # let a dying proxy be seen as dead
    # If the proxy died, the reply is Postfix's own (milter_default_action): one failure
    # says so, instead of one per check of the reply.
    if proxy_alive "$name" "the sender got: $(sw_reply_to "$at" | head -n 1)"; then
        annotated_case "$name: tempfail" "$(sw_reply_to "$at")" "$BARE_TEMPFAIL"
        one_upstream_error "$name" "$mark" "$err" tempfail
    fi
    fake_kill
}

# fake_mode MODE ERROR_ERE [ERROR_ERE_AT_RCPT]: the mode at the first command (and at RCPT
# if a third argument is given), then the real upstream back for the next session.
fake_mode() {
    up_kill
    fake_case "$1" "" "$2"
    [ $# -ge 3 ] && fake_case "$1" R "$3"
    if up_start; then
        send "$SPORT" "after fakeup $1: RCPT TO:<up-reject@localhost>, the real upstream back" \
            --from a@localhost --to up-reject@localhost --quit-after RCPT
        expect_eq "after fakeup $1: the proxy serves the real upstream's answer again" \
            "${PROXIED[up-reject]}" "$(sw_reply_to 'RCPT TO:')"
    else
        fail "upstream_milter does not start again"
    fi
}

fake_mode close-after-optneg '[a-z]+: connection closed'
fake_mode garbage 'reading: malformed packet' 'reading: malformed packet'
fake_mode oversized 'reading: oversized packet' 'reading: oversized packet'
fake_mode unknown-reply 'reading: unknown answer 0x5a' 'reading: unknown answer 0x5a'
fake_mode silent 'reading: timed out' 'reading: timed out'
fake_mode refuse-optneg 'negotiating: connection closed'

# ---- SIGUSR1: the counters agree with the log ------------------------------------------------------

start_line=$(grep -n ' starting: ' "$MLOG" | tail -n 1 | cut -d: -f1)
since_start=$(tail -n +"$start_line" "$MLOG")
n_up=$(printf '%s\n' "$since_start" | grep -cE ' annotated .* source=upstream(-error)? ')
n_rule=$(printf '%s\n' "$since_start" | grep -cE ' annotated .* source="rule=')
mark=$(ma_log_lines m)
kill -USR1 "$(ma_pid m)"
if wait_for_log "$MLOG" "$mark" ' counters ' 5; then
    line=$(ma_log_since m "$mark" | grep ' counters ' | head -n 1)
    expect_contains "SIGUSR1: source.upstream counts the upstream's annotated replies" "$line" " source.upstream=$n_up"
    expect_contains "SIGUSR1: source.rule counts the rule's" "$line" " source.rule=$n_rule "
else
    fail "SIGUSR1: no counters line within 5 s"
fi

# ---- Sendmail -> a second proxy (unix socket upstream) -> upstream_milter -----------------------

if ! e2e_port M2PORT || ! e2e_port SMPORT; then
    fail "no free ports for the Sendmail part"
    e2e_finish
fi
SM=$E2E_TMP/sendmail
SMSOCK=$E2E_TMP/upstream.sock
CONF2=$E2E_TMP/proxy-unix.conf
proxy_conf "$CONF2" tempfail "unix:$SMSOCK"
"$UP_BIN" "unix:$SMSOCK" >>"$E2E_TMP/upstream-unix.log" 2>&1 </dev/null &
SM_UP_PID=$!
for ((i = 0; i < 100; i++)); do
    [ -S "$SMSOCK" ] && break
    sleep 0.1
done
if [ -S "$SMSOCK" ] && ma_start m2 "$CONF2" "$M2PORT" && sm_start_e2e "$SM" "$SMPORT" "$M2PORT"; then
    pass "Sendmail -> proxy (upstream unix:$SMSOCK) -> upstream_milter is up"
    mark=$(ma_log_lines m2)
    send "$SMPORT" "Sendmail: RCPT TO:<up-reject@localhost>" \
        --from a@localhost --to up-reject@localhost --quit-after RCPT
    act=$(sw_reply_to 'RCPT TO:')
    exp=$(ma_expected_reply "$CONF2" "550 5.7.1 Rejected by upstream" "<up-reject@localhost>... ")
    check_annotated "Sendmail up-reject" "$act" "$exp" "550-5.7.1 <up-reject@localhost>... Rejected by upstream"
    expect_match "Sendmail up-reject: logged with source=upstream" "$(ma_log_since m2 "$mark")" \
        'annotated .*rcpt=<up-reject@localhost> reply="550 5.7.1 Rejected by upstream" .*source=upstream '
    send "$SMPORT" "Sendmail: an ordinary message" --from a@localhost --to b@localhost \
        --header "Subject: sendmail proxied"
    qid=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 ([0-9A-Za-z]+) Message accepted for delivery$/\1/p')
    check "Sendmail accepted: 250 ... Message accepted" "[ -n '$qid' ]"
    if [ -n "$qid" ]; then
        expect_contains "Sendmail accepted: the queued message has the upstream's header" \
            "$(sm_queue_file "$SM" "$qid" 2>&1)" "X-Upstream: seen"
    fi
else
    fail "Sendmail -> proxy -> upstream_milter (unix socket) did not start"
fi

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_proxy took %.1f s\n", e - s }'
e2e_finish
