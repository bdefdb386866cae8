#!/usr/bin/env bash
# test_postfix.sh - milter-annotate behind a real Postfix (private instance on 127.0.0.1).
#
#   sudo tests/e2e/test_postfix.sh       (root; build first with make)
#
# Starts build/milter-annotate with the rule set of lib.sh (e2e_rules_conf) and a private
# Postfix that uses it, then checks with swaks, for each rule, the EXACT reply the sender
# sees (the whole multi-line reply compared with `milter-annotate annotate "<rule reply>"`)
# plus independent spot checks (first line, Explanation and How to fix lines, one code and a
# same-class enhanced code on every line, printable, <= 512 octets):
#   - MAIL 5xx and 4xx (rule on from), RCPT 5xx and 4xx (rule on rcpt)
#   - header-stage rule (Subject) and end-of-message rule (header matcher), answered after "."
#   - a reply with "%" arrives with a single "%"; a ~600-character reply arrives wrapped and
#     complete
#   - an accepted message is queued (queue id in pf_queue_ids, its Subject in the queue file)
#   - a recipient Postfix rejects itself (mtareject@localhost): the reply is Postfix's own,
#     unchanged, and the milter logs it with source=mta, code=X.7.1, rcpt=<mtareject@localhost>
#   - SIGUSR1: the counters line has the counts of what was sent
#   - SIGHUP with a broken file (bad regex): FILE:LINE logged, old rules stay; SIGHUP with the
#     fixed file (changed reply text): the new text is used
#   - connect-stage 550 (client_addr 127.0.0.0/8): greeting still 220, answered at MAIL
#   - connect-stage 421: the session is closed at once
#   - milter gone (mta-config's default_action=accept): mail flows as without the milter, queued
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init postfix
START=$(date +%s.%N)

if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

CONF=$E2E_TMP/milter.conf
PF=$E2E_TMP/postfix
if ! e2e_port MPORT || ! e2e_port SPORT; then
    fail "no free ports"
    e2e_finish
fi
e2e_rules_conf "$CONF"
# Expected replies come from `annotate` with a valid copy of the file: $CONF is broken on
# purpose later (the site settings, which shape the reply, are the same in every version).
EXP_CONF=$E2E_TMP/expect.conf
cp "$CONF" "$EXP_CONF"
MLOG=$(ma_logfile m)

echo "== milter on 127.0.0.1:$MPORT, Postfix on 127.0.0.1:$SPORT ($E2E_TMP)"
if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate did not start"
    e2e_finish
fi
pass "milter-annotate listens on 127.0.0.1:$MPORT"
if ! pf_start_e2e "$PF" "$SPORT" ""; then
    fail "Postfix did not start"
    e2e_finish
fi
# Configured for the milter from what `milter-annotate mta-config postfix` prints.
if ! MTA_LINES=$(pf_mta_config "$PF" "$CONF" "$MPORT"); then
    fail "mta-config postfix: its lines could not be applied"
    e2e_finish
fi
printf '%s\n' "$MTA_LINES" | sed 's/^/   /'
expect_eq "Postfix configured from mta-config: smtpd_milters, mail flowing if it is down" \
    "{ inet:127.0.0.1:$MPORT, default_action=accept }" \
    "$(postconf -c "$PF" -h smtpd_milters)"
expect_eq "Postfix configured from mta-config: bounces through the milter, accepted if it is down" \
    "{ inet:127.0.0.1:$MPORT, default_action=accept } bounce" \
    "$(postconf -c "$PF" -h non_smtpd_milters) $(postconf -c "$PF" -h internal_mail_filter_classes)"
expect_eq "Postfix configured from mta-config: milter_default_action" "accept" \
    "$(postconf -c "$PF" -h milter_default_action)"
pass "Postfix listens on 127.0.0.1:$SPORT (smtpd_milters = inet:127.0.0.1:$MPORT)"

# send WHAT SWAKS_ARGS...: one SMTP session (counted for the SIGUSR1 check).
send() {
    echo "-- $1"
    shift
    swaks_replies "$SPORT" "$@" >/dev/null
    e2e_count_session
    # Show the first 4xx/5xx line the sender got, for the reader of the output.
    printf '%s\n' "$SW_REPLIES" | grep -E '^[45][0-9][0-9]' | head -n 1 | sed 's/^/   sender got: /'
}

# rule_case NAME RULE_REPLY CMD_ERE: the reply to CMD is the annotated RULE_REPLY.
rule_case() {
    local name=$1 rule_reply=$2 cmd=$3 exp first
    exp=$(ma_expected_reply "$EXP_CONF" "$rule_reply")
    first=$(printf '%s\n' "$exp" | head -n 1)
    check_annotated "$name" "$(sw_reply_to "$cmd")" "$exp" "$first"
}

# ---- rules at MAIL, RCPT, header, end of message -------------------------------------------

send "MAIL FROM:<mailreject@localhost> (rule mail-reject, 550)" \
    --from mailreject@localhost --to b@localhost
rule_case "MAIL 5xx" "550 5.7.1 Sender address refused by policy" 'MAIL FROM:'
expect_eq "MAIL 5xx: first line text" "550-5.7.1 Sender address refused by policy" \
    "$(sw_reply_to 'MAIL FROM:' | head -n 1)"
e2e_count rule X.7.1

send "MAIL FROM:<mailgrey@localhost> (rule mail-tempfail, 451)" \
    --from mailgrey@localhost --to b@localhost
rule_case "MAIL 4xx" "451 4.7.1 Greylisted, please try again later" 'MAIL FROM:'
e2e_count rule X.7.1

mark=$(ma_log_lines m)
send "RCPT TO:<blocked@localhost> (rule rcpt-reject, 550)" \
    --from a@localhost --to blocked@localhost --quit-after RCPT
rule_case "RCPT 5xx" "550 5.7.1 Relaying denied" 'RCPT TO:'
expect_eq "RCPT 5xx: first line text" "550-5.7.1 Relaying denied" "$(sw_reply_to 'RCPT TO:' | head -n 1)"
if wait_for_log "$MLOG" "$mark" 'annotated .*rcpt=<blocked@localhost>' 5; then
    expect_contains "RCPT 5xx: logged with the cause the text names" \
        "$(ma_log_since m "$mark" | grep 'annotated .*rcpt=<blocked@localhost>' | head -n 1)" " cause=relay-denied "
else
    fail "RCPT 5xx: the milter logged no line for rcpt=<blocked@localhost>"
fi
e2e_count rule X.7.1

send "RCPT TO:<busy@localhost> (rule rcpt-tempfail, 450)" \
    --from a@localhost --to busy@localhost --quit-after RCPT
rule_case "RCPT 4xx" "450 4.2.1 Mailbox busy, try again later" 'RCPT TO:'
e2e_count rule X.2.1

send "Subject: forbidden (rule subject, header stage, 554)" \
    --from a@localhost --to b@localhost --header "Subject: forbidden"
rule_case "header stage" "554 5.7.1 Content refused" '\.$'
e2e_count rule X.7.1

send "X-Scan-Result: infected (rule virus, end of message, 550)" \
    --from a@localhost --to b@localhost --header "X-Scan-Result: infected"
rule_case "end of message" "550 5.7.0 Message refused: virus found" '\.$'
e2e_count rule X.7.0

send "RCPT TO:<percent@localhost> (reply text with %)" \
    --from a@localhost --to percent@localhost --quit-after RCPT
rule_case "percent" "550 5.7.1 100% spam" 'RCPT TO:'
first=$(sw_reply_to 'RCPT TO:' | head -n 1)
expect_eq "percent: a single % arrives" "550-5.7.1 100% spam" "$first"
expect_not_contains "percent: no doubled %%" "$first" "%%"
e2e_count rule X.7.1

send "RCPT TO:<longreply@localhost> (a $(e2e_long_text | wc -c)-character reply text)" \
    --from a@localhost --to longreply@localhost --quit-after RCPT
LONG=$(e2e_long_text)
rule_case "long reply" "550 5.7.1 $LONG" 'RCPT TO:'
got=$(sw_reply_to 'RCPT TO:')
# The reply text is the lines before "Explanation:", codes and indentation removed.
text=$(printf '%s\n' "$got" | sed -E '/^[0-9]{3}-[0-9.]+ Explanation: /,$d' |
    sed -E 's/^[0-9]{3}[- ][0-9]\.[0-9]+\.[0-9]+ +//' | tr '\n' ' ' | sed 's/ $//')
expect_eq "long reply: the whole text arrives, in order, from its start" "$LONG" "$text"
check "long reply: wrapped on several lines" "[ $(printf '%s\n' "$got" | wc -l) -ge 10 ]"
e2e_count rule X.7.1

# ---- an accepted message ---------------------------------------------------------------------

SUBJ="e2e accepted message $$"
mark=$(ma_log_lines m)
send "an ordinary message (no rule matches)" \
    --from a@localhost --to b@localhost --header "Subject: $SUBJ"
qid=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/\1/p')
check "accepted: 250 ... queued as ID" "[ -n '$qid' ]"
ids=$(pf_queue_ids "$PF")
check "accepted: the queue is not empty" "[ -n '$ids' ]"
if [ -n "$qid" ]; then
    check "accepted: $qid is in the queue" "printf '%s\n' '$ids' | grep -qxF '$qid'"
    expect_contains "accepted: its Subject is in the queue file" \
        "$(pf_queue_file "$PF" "$qid" 2>&1)" "Subject: $SUBJ"
fi
expect_not_contains "accepted: the milter annotated nothing" "$(ma_log_since m "$mark")" "annotated"

# ---- a recipient Postfix rejects itself ------------------------------------------------------

mark=$(ma_log_lines m)
send "RCPT TO:<mtareject@localhost> (Postfix rejects it itself)" \
    --from a@localhost --to mtareject@localhost --quit-after RCPT
expect_eq "MTA rejection: the reply is Postfix's own, unchanged" \
    "554 5.7.1 <mtareject@localhost>: Recipient address rejected: Rejected by local policy" \
    "$(sw_reply_to 'RCPT TO:')"
if wait_for_log "$MLOG" "$mark" 'annotated .*rcpt=<mtareject@localhost>' 5; then
    line=$(ma_log_since m "$mark" | grep 'annotated .*rcpt=<mtareject@localhost>' | head -n 1)
    expect_contains "MTA rejection: logged with source=mta" "$line" " source=mta "
    expect_contains "MTA rejection: logged with code=X.7.1" "$line" " code=X.7.1 "
    expect_contains "MTA rejection: logged at stage rcpt" "$line" " stage=rcpt "
    expect_contains "MTA rejection: 'Rejected by local policy' names no cause" "$line" " cause=none "
    expect_contains "MTA rejection: the log has Postfix's reply text" "$line" \
        'reply="5.7.1 Recipient address rejected: Rejected by local policy"'
    expect_not_contains "MTA rejection: no rule judged it" "$line" "rule=tripwire"
else
    fail "MTA rejection: the milter logged no line for rcpt=<mtareject@localhost>"
    ma_log_since m "$mark" | sed 's/^/         | /'
fi
e2e_count mta X.7.1

e2e_signal_checks ""

# ---- connect-stage decisions (configuration switched with SIGHUP) ------------------------------

reload_to() { # FILE_WRITER ARGS...: rewrite $CONF, SIGHUP, wait for "reloaded"
    local m
    "$@"
    m=$(ma_log_lines m)
    kill -HUP "$(ma_pid m)"
    wait_for_log "$MLOG" "$m" "reloaded $CONF" 5
}

if reload_to e2e_connect_conf "$CONF" "550 5.7.1 Mail from your network is not accepted"; then
    mark=$(ma_log_lines m)
    send "connect-stage rule 550 (client_addr 127.0.0.0/8)" --from a@localhost --to b@localhost
    expect_match "connect 550: the greeting is still 220" \
        "$(printf '%s\n' "$SW_REPLIES" | head -n 1)" '^220 '
    expect_match "connect 550: EHLO is still accepted" "$(sw_reply_to 'EHLO')" '^250 '
    rule_case "connect 550, answered at MAIL" "550 5.7.1 Mail from your network is not accepted" 'MAIL FROM:'
    expect_match "connect 550: logged with stage=connect" "$(ma_log_since m "$mark")" \
        'annotated .* stage=connect .*source="rule=connect"'
else
    fail "connect 550: the milter did not reload"
fi

if reload_to e2e_connect_conf "$CONF" "421 4.3.2 Closing for maintenance"; then
    mark=$(ma_log_lines m)
    send "connect-stage rule 421" --from a@localhost --to b@localhost
    expect_match "connect 421: the first reply is a 421" \
        "$(printf '%s\n' "$SW_REPLIES" | head -n 1)" '^421 '
    expect_eq "connect 421: the session is closed, no command is answered" "" \
        "$(printf '%s\n' "$SW_REPLIES" | tail -n +2)"
    expect_contains "connect 421: swaks saw the server close" "$SW_OUT" "closed connection"
    expect_match "connect 421: logged with stage=connect" "$(ma_log_since m "$mark")" \
        'annotated .* stage=connect .*reply="421 4.3.2 Closing for maintenance"'
else
    fail "connect 421: the milter did not reload"
fi

# ---- milter gone: default_action=accept (mail never depends on the annotator) --------------------

ma_stop m
check "milter stopped: its port is closed" "! _mta_listening $MPORT"
send "a message to a recipient a rule refuses, while the milter is down" --from a@localhost \
    --to blocked@localhost
expect_not_match "milter down: no 4xx or 5xx reply" "$SW_REPLIES" '^[45][0-9][0-9]'
expect_contains "milter down: Postfix queues it as without the milter" "$SW_REPLIES" "queued as"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_postfix took %.1f s\n", e - s }'
e2e_finish
