#!/usr/bin/env bash
# test_sendmail.sh - milter-annotate behind a real Sendmail 8.17 (private instance on 127.0.0.1).
#
#   sudo tests/e2e/test_sendmail.sh      (root; build first with make)
#
# Starts build/milter-annotate with the rule set of lib.sh (e2e_rules_conf) and a private
# Sendmail (the unpacked Debian packages, see deps.sh and mta.sh) that uses it, then checks with
# swaks, for each rule, the EXACT reply the sender sees (the whole multi-line reply compared
# with `milter-annotate annotate "<rule reply>"`, with the "<address>... " Sendmail puts in
# front of the first line's text at MAIL and RCPT for 450, 550 and 553) plus independent
# spot checks (first line,
# Explanation and How to fix lines, one code and a same-class enhanced code on every line,
# printable, <= 512 octets):
#   - MAIL 5xx and 4xx (rule on from), RCPT 5xx and 4xx (rule on rcpt)
#   - header-stage rule (Subject) and end-of-message rule (header matcher), answered after "."
#   - a reply with "%" arrives with a single "%"; a ~600-character reply arrives wrapped and
#     complete
#   - an accepted message is queued (qfID in sm_queue_ids, its Subject in the queue file)
#   - a recipient Sendmail rejects itself (Local_check_rcpt, mtareject@localhost): Sendmail's
#     reply is unchanged and the milter logs NOTHING for it. Debian's Sendmail 8.17.1.9 is built
#     without _FFR_MILTER_CHECK_REJECTIONS_TOO (`sendmail -d0.1` lists no FFR), and its
#     srvrsmtp.c skips the milter for an RCPT that check_rcpt rejected, although
#     milter-annotate asks for SMFIP_RCPT_REJ. The rule set's "tripwire" rule would show it if
#     Sendmail passed the recipient as an ordinary one.
#   - SIGUSR1: the counters line has the counts of what was sent
#   - SIGHUP with a broken file (bad regex): FILE:LINE logged, old rules stay; SIGHUP with the
#     fixed file (changed reply text): the new text is used
#   - connect-stage 550 (client_addr 127.0.0.0/8): greeting still 220, answered at MAIL
#   - connect-stage 421: the session is closed at once
#   - milter gone (no F= flag): mail flows as without the milter, accepted
# The filter is declared with the package's feature file (init/sendmail/milter-annotate.m4,
# put into the unpacked sendmail-cf's feature folder): FEATURE(`milter-annotate', `SOCKET');
# the Xmilter-annotate line it makes in sendmail.cf is checked first.
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init sendmail
START=$(date +%s.%N)

if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

CONF=$E2E_TMP/milter.conf
SM=$E2E_TMP/sendmail
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

echo "== milter on 127.0.0.1:$MPORT, Sendmail on 127.0.0.1:$SPORT ($E2E_TMP)"
if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate did not start"
    e2e_finish
fi
pass "milter-annotate listens on 127.0.0.1:$MPORT"
# The filter is declared as the Debian package declares it: the feature file
# init/sendmail/milter-annotate.m4, put where sendmail-cf looks for features (the package
# installs it in /usr/share/sendmail/cf/feature; here, the unpacked sendmail-cf's folder:
# written beside and renamed, so that a concurrent m4 never reads half of it), and
# FEATURE(`milter-annotate', `SOCKET') in sendmail.mc instead of mta.sh's INPUT_MAIL_FILTER.
SM_FEATURE=$E2E_SENDMAIL_CACHE/root/usr/share/sendmail/cf/feature/milter-annotate.m4
cp "$REPO_TOP/init/sendmail/milter-annotate.m4" "$SM_FEATURE.$$" && mv -f "$SM_FEATURE.$$" "$SM_FEATURE"
if ! sm_start_e2e "$SM" "$SPORT" none "FEATURE(\`milter-annotate', \`inet:$MPORT@127.0.0.1')dnl"; then
    fail "Sendmail did not start"
    e2e_finish
fi
pass "Sendmail listens on 127.0.0.1:$SPORT (FEATURE(\`milter-annotate', \`inet:$MPORT@127.0.0.1'))"
expect_eq "sendmail.cf: the feature declares the filter (no F= flag, timeouts)" \
    "O InputMailFilters=milter-annotate
Xmilter-annotate, S=inet:$MPORT@127.0.0.1, T=S:10s;R:10s;E:5m" \
    "$(grep -E '^(O InputMailFilters=|X)' "$SM/sendmail.cf")"

# send WHAT SWAKS_ARGS...: one SMTP session (counted for the SIGUSR1 check).
send() {
    echo "-- $1"
    shift
    swaks_replies "$SPORT" "$@" >/dev/null
    e2e_count_session
    # Show the first 4xx/5xx line the sender got, for the reader of the output.
    printf '%s\n' "$SW_REPLIES" | grep -E '^[45][0-9][0-9]' | head -n 1 | sed 's/^/   sender got: /'
}

# rule_case NAME RULE_REPLY CMD_ERE [ADDRESS]: the reply to CMD is the annotated RULE_REPLY.
# At MAIL and RCPT (ADDRESS given) Sendmail puts "<ADDRESS>... " in front of the first line's
# text, but only for the codes 450, 550 and 553 (fmtmsg() in its err.c): a 451 at MAIL, for
# one, comes without it.
rule_case() {
    local name=$1 rule_reply=$2 cmd=$3 addr=${4:-} prefix="" exp first
    case "$addr:${rule_reply:0:3}" in
    ?*:450 | ?*:550 | ?*:553) prefix="$addr... " ;;
    esac
    exp=$(ma_expected_reply "$EXP_CONF" "$rule_reply" "$prefix")
    first=$(printf '%s\n' "$exp" | head -n 1)
    check_annotated "$name" "$(sw_reply_to "$cmd")" "$exp" "$first"
}

# ---- rules at MAIL, RCPT, header, end of message -------------------------------------------

send "MAIL FROM:<mailreject@localhost> (rule mail-reject, 550)" \
    --from mailreject@localhost --to b@localhost
rule_case "MAIL 5xx" "550 5.7.1 Sender address refused by policy" 'MAIL FROM:' '<mailreject@localhost>'
expect_eq "MAIL 5xx: first line text" "550-5.7.1 <mailreject@localhost>... Sender address refused by policy" \
    "$(sw_reply_to 'MAIL FROM:' | head -n 1)"
e2e_count rule X.7.1

send "MAIL FROM:<mailgrey@localhost> (rule mail-tempfail, 451)" \
    --from mailgrey@localhost --to b@localhost
rule_case "MAIL 4xx" "451 4.7.1 Greylisted, please try again later" 'MAIL FROM:' '<mailgrey@localhost>'
expect_eq "MAIL 4xx: first line text (no address: a 451)" "451-4.7.1 Greylisted, please try again later" \
    "$(sw_reply_to 'MAIL FROM:' | head -n 1)"
e2e_count rule X.7.1

send "RCPT TO:<blocked@localhost> (rule rcpt-reject, 550)" \
    --from a@localhost --to blocked@localhost --quit-after RCPT
rule_case "RCPT 5xx" "550 5.7.1 Relaying denied" 'RCPT TO:' '<blocked@localhost>'
expect_eq "RCPT 5xx: first line text" "550-5.7.1 <blocked@localhost>... Relaying denied" \
    "$(sw_reply_to 'RCPT TO:' | head -n 1)"
e2e_count rule X.7.1

send "RCPT TO:<busy@localhost> (rule rcpt-tempfail, 450)" \
    --from a@localhost --to busy@localhost --quit-after RCPT
rule_case "RCPT 4xx" "450 4.2.1 Mailbox busy, try again later" 'RCPT TO:' '<busy@localhost>'
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
rule_case "percent" "550 5.7.1 100% spam" 'RCPT TO:' '<percent@localhost>'
first=$(sw_reply_to 'RCPT TO:' | head -n 1)
expect_eq "percent: a single % arrives" "550-5.7.1 <percent@localhost>... 100% spam" "$first"
expect_not_contains "percent: no doubled %%" "$first" "%%"
e2e_count rule X.7.1

send "RCPT TO:<longreply@localhost> (a $(e2e_long_text | wc -c)-character reply text)" \
    --from a@localhost --to longreply@localhost --quit-after RCPT
LONG=$(e2e_long_text)
rule_case "long reply" "550 5.7.1 $LONG" 'RCPT TO:' '<longreply@localhost>'
got=$(sw_reply_to 'RCPT TO:')
# The reply text is the lines before "Explanation:", codes and indentation removed.
text=$(printf '%s\n' "$got" | sed -E '/^[0-9]{3}-[0-9.]+ Explanation: /,$d' |
    sed -E 's/^[0-9]{3}[- ][0-9]\.[0-9]+\.[0-9]+ +//' | tr '\n' ' ' | sed 's/ $//')
expect_eq "long reply: the whole text arrives, in order, from its start" \
    "<longreply@localhost>... $LONG" "$text"
check "long reply: wrapped on several lines" "[ $(printf '%s\n' "$got" | wc -l) -ge 10 ]"
e2e_count rule X.7.1

# ---- an accepted message ---------------------------------------------------------------------

SUBJ="e2e accepted message $$"
mark=$(ma_log_lines m)
send "an ordinary message (no rule matches)" \
    --from a@localhost --to b@localhost --header "Subject: $SUBJ"
qid=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 ([0-9A-Za-z]+) Message accepted for delivery$/\1/p')
check "accepted: 250 ... ID Message accepted for delivery" "[ -n '$qid' ]"
ids=$(sm_queue_ids "$SM")
check "accepted: the queue is not empty" "[ -n '$ids' ]"
if [ -n "$qid" ]; then
    check "accepted: qf$qid is in the queue" "printf '%s\n' '$ids' | grep -qxF '$qid'"
    expect_contains "accepted: its Subject is in the queue file" \
        "$(sm_queue_file "$SM" "$qid" 2>&1)" "Subject: $SUBJ"
fi
expect_not_contains "accepted: the milter annotated nothing" "$(ma_log_since m "$mark")" "annotated"

# ---- a recipient Sendmail rejects itself --------------------------------------------------------

mark=$(ma_log_lines m)
smark=$(wc -l <"$SM/maillog")
send "RCPT TO:<mtareject@localhost> (Sendmail's Local_check_rcpt rejects it)" \
    --from a@localhost --to mtareject@localhost --quit-after RCPT
expect_eq "MTA rejection: the reply is Sendmail's own, unchanged" \
    "550 5.7.1 <mtareject@localhost>... Rejected by local rule" "$(sw_reply_to 'RCPT TO:')"
expect_match "MTA rejection: Sendmail logged its check_rcpt reject" \
    "$(tail -n +"$((smark + 1))" "$SM/maillog")" 'ruleset=check_rcpt, arg1=<mtareject@localhost>.*reject=550 5\.7\.1'
# Sendmail answered before the next command; give a late milter call time to show up anyway.
send "a second session, so that the first one is surely over" \
    --from a@localhost --to b@localhost --quit-after RCPT
log=$(ma_log_since m "$mark")
expect_not_contains "MTA rejection: Sendmail 8.17 did not pass it to the milter (no log line)" \
    "$log" "mtareject"
expect_not_contains "MTA rejection: no source=mta line at all" "$log" "source=mta"

e2e_signal_checks "<blocked@localhost>"

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
    rule_case "connect 550, answered at MAIL" "550 5.7.1 Mail from your network is not accepted" \
        'MAIL FROM:' '<a@localhost>'
    expect_match "connect 550: logged with stage=connect" "$(ma_log_since m "$mark")" \
        'annotated .* stage=connect .*source="rule=connect"'
else
    fail "connect 550: the milter did not reload"
fi

if reload_to e2e_connect_conf "$CONF" "421 4.3.2 Closing for maintenance"; then
    mark=$(ma_log_lines m)
    smark=$(wc -l <"$SM/maillog")
    send "connect-stage rule 421" --from a@localhost --to b@localhost
    expect_match "connect 421: the first reply is a 421" \
        "$(printf '%s\n' "$SW_REPLIES" | head -n 1)" '^421 '
    expect_eq "connect 421: the session is closed, no command is answered" "" \
        "$(printf '%s\n' "$SW_REPLIES" | tail -n +2)"
    expect_match "connect 421: logged with stage=connect" "$(ma_log_since m "$mark")" \
        'annotated .* stage=connect .*reply="421 4.3.2 Closing for maintenance"'
    if [ "$(printf '%s\n' "$SW_REPLIES" | head -n 1 | cut -c1-3)" != 421 ]; then
        echo "   what Sendmail did instead (its log):"
        tail -n +"$((smark + 1))" "$SM/maillog" | grep -E 'Milter: connect|action=connect' |
            cut -c1-220 | sed 's/^/         | /'
    fi
else
    fail "connect 421: the milter did not reload"
fi

# ---- milter gone: no F= flag (mail never depends on the annotator) -------------------------------

ma_stop m
check "milter stopped: its port is closed" "! _mta_listening $MPORT"
send "a message to a recipient a rule refuses, while the milter is down" --from a@localhost \
    --to blocked@localhost
expect_not_match "milter down: no 4xx or 5xx reply" "$SW_REPLIES" '^[45][0-9][0-9]'
expect_contains "milter down: Sendmail accepts it as without the milter" "$SW_REPLIES" "Message accepted"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_sendmail took %.1f s\n", e - s }'
e2e_finish
