#!/usr/bin/env bash
# smoke.sh - proves tests/e2e/mta.sh works, without any milter.
#
#   sudo tests/e2e/smoke.sh        (root; runs deps.sh first, which is quick once installed)
#
# Starts a private Postfix on 127.0.0.1:$SMOKE_PF_PORT (2525) with milter_default_action =
# accept and nothing listening on its milter socket, and a private Sendmail on
# 127.0.0.1:$SMOKE_SM_PORT (2526) without a filter (MILTER_PORT=none). For each it checks with
# swaks that an ordinary message is accepted (250) and queued, that mtareject@localhost and
# mtadefer@localhost get the MTA's own reject / defer reply; then stops both and checks that
# their processes are gone. Prints what it saw; exits 0 when all checks pass.
# SMOKE_KEEP=1 keeps the temporary folder (its path is printed).
set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PF_PORT=${SMOKE_PF_PORT:-2525}
SM_PORT=${SMOKE_SM_PORT:-2526}
PF_MILTER=inet:127.0.0.1:${SMOKE_PF_MILTER_PORT:-2599}   # nothing listens there

"$E2E_DIR/deps.sh" || { echo "smoke: deps.sh failed" >&2; exit 1; }
# shellcheck source=mta.sh
. "$E2E_DIR/mta.sh"

WORK=$(mktemp -d /tmp/e2e-smoke.XXXXXX) || exit 1
chmod 755 "$WORK"
PF=$WORK/postfix
SM=$WORK/sendmail
PASS=0
FAIL=0

cleanup() {
    pf_stop "$PF"
    sm_stop "$SM"
    if [ "${SMOKE_KEEP:-0}" = 1 ]; then
        echo "smoke: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ok() { PASS=$((PASS + 1)); echo "  ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "  FAIL - $*"; }

# send PORT TO [swaks options...] -> swaks output in $OUT (CR stripped), exit code in $RC
send() {
    local port=$1 to=$2
    shift 2
    OUT=$(timeout 60 swaks --server "127.0.0.1:$port" --timeout 20 --from a@localhost \
        --to "$to" --header "Subject: e2e smoke" "$@" 2>&1 | tr -d '\r')
    RC=${PIPESTATUS[0]}
    printf '%s\n' "$OUT" | grep -E '^(<-|<\*\*) ' | grep -v '^<-  250-' | sed 's/^/      /'
}

# expect_reply DESCRIPTION EXACT_LINE: the swaks output has the server line EXACT_LINE.
expect_reply() {
    if printf '%s\n' "$OUT" | grep -qxF -e "<** $2" -e "<-  $2"; then
        ok "$1: $2"
    else
        bad "$1: expected \"$2\""
    fi
}

# check_mta NAME PORT QUEUE_IDS_FUNC DIR REJECT_LINE DEFER_LINE QUEUED_REGEX
check_mta() {
    local name=$1 port=$2 qfunc=$3 dir=$4 reject=$5 defer=$6 queued_re=$7 id
    echo "== $name on 127.0.0.1:$port"
    echo "   ordinary message to b@localhost:"
    send "$port" b@localhost
    id=$(printf '%s\n' "$OUT" | sed -nE "s/^<-  $queued_re.*/\\1/p" | tail -n 1)
    if [ "$RC" = 0 ] && [ -n "$id" ]; then
        ok "$name accepted the message (250, queue id $id)"
        if "$qfunc" "$dir" | grep -qxF "$id"; then
            ok "$name has $id in its queue"
        else
            bad "$name: $id is not in its queue (queue: $("$qfunc" "$dir" | tr '\n' ' '))"
        fi
    else
        bad "$name did not accept the message (swaks exit $RC)"
    fi
    echo "   RCPT TO:<mtareject@localhost>:"
    send "$port" mtareject@localhost --quit-after RCPT
    expect_reply "$name rejects mtareject@localhost" "$reject"
    echo "   RCPT TO:<mtadefer@localhost>:"
    send "$port" mtadefer@localhost --quit-after RCPT
    expect_reply "$name defers mtadefer@localhost" "$defer"
}

START=$(date +%s.%N)

echo "== starting Postfix ($PF) and Sendmail ($SM)"
if pf_start "$PF" "$PF_PORT" "$PF_MILTER" "milter_default_action = accept"; then
    ok "pf_start on 127.0.0.1:$PF_PORT"
    check_mta Postfix "$PF_PORT" pf_queue_ids "$PF" \
        "554 5.7.1 <mtareject@localhost>: Recipient address rejected: Rejected by local policy" \
        "450 4.7.1 <mtadefer@localhost>: Recipient address rejected: Deferred by local policy" \
        '250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)'
    if postqueue -c "$PF" -p | grep -q 'b@localhost'; then
        ok "postqueue -c DIR -p lists the message"
    else
        bad "postqueue -c DIR -p does not list the message"
    fi
    if pf_maillog "$PF" | grep -q 'reject: RCPT from .*mtareject@localhost'; then
        ok "Postfix maillog has the RCPT rejection"
    else
        bad "Postfix maillog lacks the RCPT rejection"
    fi
    if pf_reload "$PF" && mta_wait_port "$PF_PORT" 5; then
        ok "pf_reload"
    else
        bad "pf_reload"
    fi
else
    bad "pf_start failed"
fi

if sm_start "$SM" "$SM_PORT" none; then
    ok "sm_start on 127.0.0.1:$SM_PORT (no filter)"
    check_mta Sendmail "$SM_PORT" sm_queue_ids "$SM" \
        "550 5.7.1 <mtareject@localhost>... Rejected by local rule" \
        "450 4.7.1 <mtadefer@localhost>... Deferred by local rule" \
        '250 2\.0\.0 ([0-9A-Za-z]+) Message accepted for delivery'
    if sm_maillog "$SM" | grep -q 'ruleset=check_rcpt, arg1=<mtareject@localhost>.*reject=550 5.7.1'; then
        ok "Sendmail log (DIR/maillog via the syslog shim) has the RCPT rejection"
    else
        bad "Sendmail log lacks the RCPT rejection"
    fi
else
    bad "sm_start failed"
fi

echo "== stopping"
pf_pid=$(tr -dc 0-9 2>/dev/null <"$PF/queue/pid/master.pid")
sm_pid=$(head -n 1 "$SM/sendmail.pid" 2>/dev/null | tr -dc 0-9)
pf_stop "$PF"
sm_stop "$SM"
# Processes of the stopped instances (their process groups / sessions), zombies excepted:
# this machine's init reaps orphans lazily.
left=$( { [ -n "$pf_pid" ] && _mta_tree_pids "$pf_pid"; [ -n "$sm_pid" ] && _mta_tree_pids "$sm_pid"; } | tr '\n' ' ')
if [ -z "$left" ]; then
    ok "no Postfix or Sendmail process of these instances is left (master $pf_pid, sendmail $sm_pid)"
else
    bad "processes left after stop: $left"
fi
for port in "$PF_PORT" "$SM_PORT"; do
    if _mta_listening "$port"; then bad "127.0.0.1:$port still listens"; else ok "127.0.0.1:$port is closed"; fi
done

if command -v pgrep >/dev/null; then
    echo "   pgrep -a master:   $(pgrep -a master | tr '\n' ';')"
    echo "   pgrep -a sendmail: $(pgrep -a sendmail | tr '\n' ';')"
    echo "   (a \"<defunct>\" entry is a zombie that this machine's init has not reaped yet)"
fi
awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== smoke took %.1f s\n", e - s }'
echo "smoke: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
