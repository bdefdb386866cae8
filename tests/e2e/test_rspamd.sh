#!/usr/bin/env bash
# test_rspamd.sh - milter-annotate's proxy mode in front of a real rspamd (Debian package, run as
# a private instance on 127.0.0.1), behind a real Postfix.
#
#   sudo tests/e2e/test_rspamd.sh       (root; build first with make; rspamd from make deps)
#
# rspamd runs from its own folder: LOCAL_CONFDIR with override.d/worker-{proxy,normal,
# controller}.inc (every worker on a private port: the proxy worker with milter = yes and
# self_scan, so that nothing of the system's rspamd, nor its ports, is used) and
# local.d/milter_headers.conf (extended spam headers on every message, local ones included);
# db, run and log owned by _rspamd. Postfix PF -> milter-annotate (proxy, upstream_timeout =
# 4) -> rspamd, and a second Postfix PFD -> rspamd directly, whose answers are "what the MTA
# would have shown" without the proxy. Checks:
#   - a message with the GTUBE string: the reply through the proxy is EXACTLY
#     `milter-annotate annotate "<PFD's reply>"` (rspamd's own lines first, then Explanation and
#     How to fix), logged "annotated ... stage=eom ... source=upstream"
#   - a clean message is queued through the proxy with the same rspamd headers as directly
#     (names), X-Rspamd-Queue-Id is Postfix's queue id (the macros reached rspamd), and the
#     proxy annotated nothing
#   - rspamd frozen (SIGSTOP): the session gets the annotated 451 after upstream_timeout, not a
#     hang; rspamd stopped (SIGTERM): the annotated 451 at once; one upstream-error line each
# rspamd is stopped (bounded) at the end. Prints "N passed, N failed"; exits 1 if any check
# failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init rspamd
START=$(date +%s.%N)
UPSTREAM_TIMEOUT=4
: "${E2E_RSPAMD_START_TIMEOUT:=90}"

if ! command -v rspamd >/dev/null || ! id _rspamd >/dev/null 2>&1; then
    fail "rspamd is not installed (Debian package rspamd): run make deps"
    e2e_finish
fi
if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi
for v in RPORT RNPORT RCPORT MPORT SPORT DPORT; do
    if ! e2e_port "$v"; then
        fail "no free ports"
        e2e_finish
    fi
done

RS=$E2E_TMP/rspamd
PF=$E2E_TMP/postfix
PFD=$E2E_TMP/postfix-direct
CONF=$E2E_TMP/proxy.conf
MLOG=$(ma_logfile m)
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
BARE_TEMPFAIL="451 4.7.1 Service unavailable - try again later"

cat >"$CONF" <<EOF
# milter-annotate in front of rspamd (tests/e2e/test_rspamd.sh)
log = "stderr";
upstream = "inet:$RPORT@127.0.0.1";
on_upstream_error = "tempfail";
upstream_timeout = $UPSTREAM_TIMEOUT;
upstream_reuse = true;
EOF

# ---- rspamd ------------------------------------------------------------------------------------

RS_PID=
rs_stop() {
    [ -n "$RS_PID" ] || return 0
    _mta_stop_tree rspamd "$RS_PID"
    wait "$RS_PID" 2>/dev/null
    RS_PID=
}
trap 'rs_stop; e2e_cleanup' EXIT

mkdir -p "$RS/local.d" "$RS/override.d" "$RS/db" "$RS/run" "$RS/log"
chown _rspamd:_rspamd "$RS/db" "$RS/run" "$RS/log"
chmod 755 "$RS"
# override.d, not local.d: local.d merges, and the workers would also bind their default
# localhost:1133x sockets (the system's rspamd's).
cat >"$RS/override.d/worker-proxy.inc" <<EOF
bind_socket = "127.0.0.1:$RPORT";
milter = yes;
timeout = 120s;
upstream "local" {
  default = yes;
  self_scan = yes;
}
EOF
echo "bind_socket = \"127.0.0.1:$RNPORT\";" >"$RS/override.d/worker-normal.inc"
echo "bind_socket = \"127.0.0.1:$RCPORT\";" >"$RS/override.d/worker-controller.inc"
cat >"$RS/local.d/milter_headers.conf" <<'EOF'
# X-Spamd-Result, X-Rspamd-Server, X-Rspamd-Queue-Id on every message, local mail included.
extended_spam_headers = true;
skip_local = false;
skip_authenticated = false;
EOF

others=$(pgrep -x rspamd 2>/dev/null | tr '\n' ' ')
[ -n "$others" ] && echo "== note: other rspamd processes run here ($others); this test uses none of them"
echo "== rspamd (proxy worker) on 127.0.0.1:$RPORT, milter-annotate on 127.0.0.1:$MPORT," \
    "Postfix on 127.0.0.1:$SPORT (direct: $DPORT) ($E2E_TMP)"
if _mta_listening "$RPORT"; then
    fail "something already listens on 127.0.0.1:$RPORT"
    e2e_finish
fi
t0=$(date +%s.%N)
# Its own session (setsid): the whole tree is stopped, frozen and thawed by session id.
setsid rspamd -f -u _rspamd -g _rspamd --var LOCAL_CONFDIR="$RS" --var DBDIR="$RS/db" \
    --var RUNDIR="$RS/run" --var LOGDIR="$RS/log" -c /etc/rspamd/rspamd.conf \
    >"$RS/stdout.log" 2>&1 </dev/null &
RS_PID=$!
if ! mta_wait_port "$RPORT" "$E2E_RSPAMD_START_TIMEOUT"; then
    fail "rspamd does not listen on 127.0.0.1:$RPORT after ${E2E_RSPAMD_START_TIMEOUT}s"
    tail -n 20 "$RS/stdout.log" "$RS/log/rspamd.log" 2>/dev/null | sed 's/^/         | /'
    e2e_finish
fi
awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "== rspamd listens after %.1f s\n", e - s }'
# The listener is ours (rspamd -f writes no pid file): every process holding 127.0.0.1:RPORT is
# in the session of the rspamd we started.
if command -v ss >/dev/null; then
    holders=$(ss -ltnpH "sport = :$RPORT" 2>/dev/null | grep -oE 'pid=[0-9]+' | cut -d= -f2 | sort -u)
    ours=$(_mta_tree_pids "$RS_PID" | sort -u)
    strangers=$(comm -23 <(printf '%s\n' "$holders") <(printf '%s\n' "$ours") | paste -sd' ')
    holders=$(printf '%s\n' "$holders" | paste -sd' ')
    check "rspamd: only our rspamd holds 127.0.0.1:$RPORT (holders: $holders)" \
        "[ -n '$holders' ] && [ -z '$strangers' ]"
    # ...and it listens on our three ports only, none of the system's (localhost:1133x).
    pidre=$(printf '%s\n' "$ours" | paste -sd'|')
    bound=$(ss -ltnpH 2>/dev/null | grep -E "pid=($pidre)," | awk '{ print $4 }' | sort -u | tr '\n' ' ')
    expect_eq "rspamd: our instance listens on its private ports only" \
        "$(printf '127.0.0.1:%s\n' "$RPORT" "$RNPORT" "$RCPORT" | sort -u | tr '\n' ' ')" "$bound"
fi

if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate (proxy) did not start"
    e2e_finish
fi
if ! pf_start_e2e "$PF" "$SPORT" "inet:127.0.0.1:$MPORT" ||
    ! pf_start_e2e "$PFD" "$DPORT" "inet:127.0.0.1:$RPORT"; then
    fail "Postfix did not start"
    e2e_finish
fi
pass "Postfix -> milter-annotate -> rspamd, and Postfix -> rspamd directly, are up"

# ---- helpers --------------------------------------------------------------------------------------

send() { # PORT WHAT SWAKS_ARGS...: one SMTP session; SW_SECS its duration
    local port=$1 what=$2 t
    shift 2
    echo "-- $what"
    t=$(date +%s.%N)
    swaks_replies "$port" "$@" >/dev/null
    SW_SECS=$(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    printf '%s\n' "$SW_REPLIES" | grep -E '^[45][0-9][0-9]' | head -n 1 | sed 's/^/   sender got: /'
    echo "   ($SW_SECS s)"
}

# annotated_case NAME ACTUAL ORIGINAL: ACTUAL is `annotate ORIGINAL`, begins with ORIGINAL's
# lines, and is a valid annotated reply.
annotated_case() {
    local name=$1 act=$2 orig=$3 exp n
    exp=$(ma_expected_reply "$CONF" "$orig")
    check_annotated "$name" "$act" "$exp" "$(printf '%s\n' "$exp" | head -n 1)"
    n=$(printf '%s\n' "$orig" | wc -l)
    expect_eq "$name: the original reply's $n line(s) come first" \
        "$(printf '%s\n' "$orig" | sed -E 's/^([0-9]{3})[ -]/\1-/')" "$(printf '%s\n' "$act" | head -n "$n")"
}

queue_id() { sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/\1/p'; }

# rspamd's headers in a queue file (postcat output), names only / one header's value.
rs_header_names() {
    printf '%s\n' "$1" | sed -n '/MESSAGE CONTENTS/,/^$/p' |
        grep -oiE '^(X-Spamd?-[A-Za-z-]+|X-Rspamd-[A-Za-z-]+|Authentication-Results):' | sort -u
}
rs_header() { printf '%s\n' "$1" | sed -nE "s/^$2: *//p" | head -n 1; }

one_upstream_error() { # NAME MARK ERROR_ERE
    local lines n
    wait_for_log "$MLOG" "$2" ' upstream-error ' 5
    sleep 0.3
    lines=$(ma_log_since m "$2" | grep -E ' upstream-error ')
    n=$(printf '%s' "$lines" | grep -c .)
    expect_eq "$1: exactly one upstream-error line" 1 "$n" || ma_log_since m "$2" | sed 's/^/         | /'
    expect_match "$1: upstream-error line" "$lines" \
        "upstream-error upstream=inet:$RPORT@127.0.0.1 error=\"$3\" .*action=tempfail\$"
}

# ---- GTUBE: rspamd's rejection, directly and through the proxy -----------------------------------

# rspamd's first scans can be slow while it compiles its expressions: the direct path goes first.
send "$DPORT" "GTUBE directly" --from a@localhost --to b@localhost --header "Subject: gtube" --body "$GTUBE"
direct=$(sw_reply_to '\.$')
expect_match "GTUBE directly: rspamd refuses it with a 5xx" "$direct" '^5[0-9][0-9][ -]5\.[0-9]+\.[0-9]+ '
echo "   rspamd's reply: $direct"

mark=$(ma_log_lines m)
send "$SPORT" "GTUBE through the proxy" --from a@localhost --to b@localhost --header "Subject: gtube" --body "$GTUBE"
annotated_case "GTUBE" "$(sw_reply_to '\.$')" "$direct"
expect_match "GTUBE: logged at stage eom with source=upstream" "$(ma_log_since m "$mark")" \
    "annotated .* stage=eom .*reply=\"$(printf '%s' "$direct" | head -n 1 | sed -E 's/^([0-9]{3})-/\1 /; s/[][\.*^$+?(){}|]/\\&/g')"'.* source=upstream '
expect_not_contains "GTUBE: no upstream-error" "$(ma_log_since m "$mark")" "upstream-error"

# ---- a clean message: queued with rspamd's headers --------------------------------------------------

send "$DPORT" "a clean message directly" --from a@localhost --to b@localhost --header "Subject: clean direct"
dqid=$(queue_id)
check "clean directly: queued" "[ -n '$dqid' ]"
dq=$([ -n "$dqid" ] && pf_queue_file "$PFD" "$dqid" 2>&1)
dnames=$(rs_header_names "$dq")
dlist=$(printf '%s\n' "$dnames" | paste -sd' ')
check "clean directly: rspamd added headers ($dlist)" "[ -n '$dlist' ]"

mark=$(ma_log_lines m)
send "$SPORT" "a clean message through the proxy" --from a@localhost --to b@localhost --header "Subject: clean proxied"
qid=$(queue_id)
check "clean: queued through the proxy" "[ -n '$qid' ]"
q=$([ -n "$qid" ] && pf_queue_file "$PF" "$qid" 2>&1)
expect_eq "clean: rspamd's headers are the same as directly" "$dnames" "$(rs_header_names "$q")"
if printf '%s\n' "$dnames" | grep -qi '^X-Rspamd-Queue-Id:'; then
    expect_eq "clean directly: X-Rspamd-Queue-Id is Postfix's queue id" "$dqid" "$(rs_header "$dq" X-Rspamd-Queue-Id)"
    expect_eq "clean: X-Rspamd-Queue-Id is Postfix's queue id (macro i reached rspamd)" "$qid" \
        "$(rs_header "$q" X-Rspamd-Queue-Id)"
fi
if printf '%s\n' "$dnames" | grep -qi '^X-Spamd-Result:'; then
    expect_match "clean: X-Spamd-Result says no spam" "$(rs_header "$q" X-Spamd-Result)" '^default: False '
fi
expect_not_contains "clean: the proxy annotated nothing" "$(ma_log_since m "$mark")" "annotated"

# upstream_reuse is on: a connection is kept only after an end of message answered "continue"
# (where libmilter takes SMFIC_QUIT_NC); whatever rspamd answered, the next session works.
send "$SPORT" "a second clean message through the proxy" \
    --from a@localhost --to b@localhost --header "Subject: clean again"
qid=$(queue_id)
check "second clean message: queued" "[ -n '$qid' ]"
q=$([ -n "$qid" ] && pf_queue_file "$PF" "$qid" 2>&1)
expect_eq "second clean message: with rspamd's headers" "$dnames" "$(rs_header_names "$q")"
expect_not_contains "second clean message: no upstream-error" "$(ma_log_since m "$mark")" "upstream-error"

# ---- rspamd frozen, then stopped ---------------------------------------------------------------------

# shellcheck disable=SC2046 # one pid a word
kill -STOP $(_mta_tree_pids "$RS_PID") 2>/dev/null
mark=$(ma_log_lines m)
send "$SPORT" "GTUBE while rspamd is frozen (SIGSTOP)" --from a@localhost --to b@localhost --body "$GTUBE"
# shellcheck disable=SC2046
kill -CONT $(_mta_tree_pids "$RS_PID") 2>/dev/null
annotated_case "rspamd frozen: tempfail" "$(sw_reply_to 'MAIL FROM:')" "$BARE_TEMPFAIL"
check "rspamd frozen: answered after upstream_timeout ($UPSTREAM_TIMEOUT s), not a hang (took $SW_SECS s)" \
    "awk 'BEGIN { exit !($SW_SECS >= $UPSTREAM_TIMEOUT - 0.5 && $SW_SECS <= $UPSTREAM_TIMEOUT + 3) }'"
expect_not_contains "rspamd frozen: nothing is queued" "$SW_REPLIES" "queued as"
one_upstream_error "rspamd frozen" "$mark" "[a-z]+: timed out"

t0=$(date +%s.%N)
rs_stop
awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "== rspamd stopped in %.1f s\n", e - s }'
check "rspamd stopped: its port is closed" "! _mta_listening $RPORT"
mark=$(ma_log_lines m)
send "$SPORT" "GTUBE after rspamd stopped" --from a@localhost --to b@localhost --body "$GTUBE"
annotated_case "rspamd stopped: tempfail" "$(sw_reply_to 'MAIL FROM:')" "$BARE_TEMPFAIL"
check "rspamd stopped: answered at once (took $SW_SECS s)" "awk 'BEGIN { exit !($SW_SECS <= 2) }'"
expect_not_contains "rspamd stopped: nothing is queued" "$SW_REPLIES" "queued as"
one_upstream_error "rspamd stopped" "$mark" "connecting: Connection refused"
check "the proxy still runs" "_mta_alive $(ma_pid m)"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_rspamd took %.1f s\n", e - s }'
e2e_finish
