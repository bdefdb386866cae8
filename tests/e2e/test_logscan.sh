#!/usr/bin/env bash
# test_logscan.sh - `milter-annotate logscan` on the logs of a real Postfix and a real Sendmail.
#
#   sudo tests/e2e/test_logscan.sh       (root; build first with make)
#
# Runs traffic through a private Postfix (footer map of `export postfix-footer`, the milter with
# lib.sh's rule set, restrictions that make Postfix reject by itself: relay denied, access map
# REJECT and DEFER, non-FQDN sender, HELO access map with smtpd_delay_reject = no,
# header_checks) and through a private Sendmail (the same milter, its local rule for
# mtareject@ / mtadefer@, a sender without a domain), counting every 4xx/5xx reply each sender
# saw (swaks). Then, on each MTA's maillog:
#   - one output line per rejection the sender saw, each with client 127.0.0.1, the sender, the
#     recipient, the reply (what the sender saw before "Explanation:", without the
#     "<address>... " Sendmail puts in front of a milter's text), the code table entry and
#     the explanation the sender saw (or the entry's, when the MTA's reply had none)
#   - --json: every line is a JSON object (python3 json), the same events as the text output
#   - --summary: the total is the number of rejections, the rows count the events printed
#   - standard input, "-", and FILE then "-" read like the files; a missing FILE: status 2, one
#     line on stderr, the other files still read
#   - unknown lines (junk, binary, a 100 KB line) are skipped silently
#   - -F: events of lines appended later are printed; lines written just before the file is
#     moved away are not lost; after the move, lines of the new file are read; a Sendmail
#     event whose envelope line never comes is printed after two quiet seconds
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init logscan
START=$(date +%s.%N)

if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

CONF=$E2E_TMP/milter.conf
FOOTER=$E2E_TMP/footer.pcre
PF=$E2E_TMP/postfix
SM=$E2E_TMP/sendmail
e2e_rules_conf "$CONF"
"$MA_BIN" -c "$CONF" export postfix-footer >"$FOOTER" || fail "export postfix-footer failed"
printf '/^bad\\.helo$/ REJECT Bad HELO\n' >"$E2E_TMP/helo_access"
printf '/^Subject: headercheck/ REJECT Header refused\n' >"$E2E_TMP/header_checks"

MPORT='' PPORT='' SPORT=''
if ! e2e_port MPORT || ! e2e_port PPORT || ! e2e_port SPORT; then
    fail "no free ports"
    e2e_finish
fi
echo "== milter on 127.0.0.1:$MPORT, Postfix on :$PPORT, Sendmail on :$SPORT ($E2E_TMP)"
if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate did not start"
    e2e_finish
fi
if ! pf_start_e2e "$PF" "$PPORT" "inet:127.0.0.1:$MPORT" "mynetworks = 192.0.2.0/24
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_delay_reject = no
smtpd_helo_restrictions = check_helo_access pcre:$E2E_TMP/helo_access
smtpd_sender_restrictions = reject_non_fqdn_sender
header_checks = pcre:$E2E_TMP/header_checks
smtpd_reject_footer_maps = pcre:$FOOTER"; then
    fail "Postfix did not start"
    e2e_finish
fi
if ! sm_start_e2e "$SM" "$SPORT" "$MPORT"; then
    fail "Sendmail did not start"
    e2e_finish
fi
pass "milter, Postfix and Sendmail are up"

# ---- helpers -----------------------------------------------------------------------------------

squeeze() { tr -s ' \t\n' '   ' | sed -E 's/^ //; s/ $//'; }

explain_description() {
    "$MA_BIN" -c "$CONF" explain "$1" | awk '$0 == "Description" { f = 1; next }
        f && NF == 0 { exit } f' | squeeze
}

# Every 4xx/5xx reply in SW_OUT, one a line: its first line (as "550 5.7.1 text"), a tab, the
# text of its Explanation section joined (empty when it has none).
sw_rejections() {
    printf '%s\n' "$SW_OUT" | awk '
        function flush(   i, l, s, e) {
            if (substr(g[1], 1, 1) == "4" || substr(g[1], 1, 1) == "5") {
                s = ""; e = ""
                for (i = 2; i <= n; i++) {
                    l = g[i]
                    sub(/^[0-9][0-9][0-9][- ]([0-9]\.[0-9]+\.[0-9]+)? ?/, "", l)
                    if (l ~ /^Explanation: /) { s = "E"; sub(/^Explanation: /, "", l) }
                    else if (l ~ /^[A-Z][A-Za-z ]*: / && l !~ /^ /) s = ""
                    if (s == "E") { gsub(/^ +| +$/, "", l); e = e (e == "" ? "" : " ") l }
                }
                print substr(g[1], 1, 3) " " substr(g[1], 5) "\t" e
            }
            n = 0
        }
        /^(<-|<\*\*) / {
            sub(/^(<-|<\*\*)  ?/, "")
            g[++n] = $0
            if (substr($0, 4, 1) != "-") flush()
        }'
}

# session MTA NAME SPEC... -- SWAKS_ARGS...
# One SMTP session; SPEC "FROM|RCPT|ENTRY|FLAGS" for each rejection the sender must get, in
# order. FLAGS: s = drop Sendmail's "<address>... " (a milter's reply logged as the milter sent
# it), b = the log has the enhanced code only (Postfix cleanup). Appends the events logscan
# must print to EXP_<MTA>: "mta|client|<from>|<rcpt>|reply|entry|explanation".
declare -a EXP_postfix=() EXP_sendmail=()
NSESS_postfix=0
session() {
    local mta=$1 name=$2 port specs=() rej=() i from rcpt entry flags first expl reply rec cause
    shift 2
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
    shift
    [ "$mta" = postfix ] && port=$PPORT || port=$SPORT
    [ "$mta" = postfix ] && NSESS_postfix=$((NSESS_postfix + 1))
    swaks_replies "$port" "$@" >/dev/null
    mapfile -t rej < <(sw_rejections)
    echo "-- $mta: $name: ${#rej[@]} rejection(s)"
    if ! expect_eq "$mta $name: the sender got ${#specs[@]} rejection(s)" "${#specs[@]}" "${#rej[@]}"; then
        printf '%s\n' "$SW_REPLIES" | sed 's/^/         | /'
    fi
    for ((i = 0; i < ${#specs[@]} && i < ${#rej[@]}; i++)); do
        IFS='|' read -r from rcpt entry flags <<<"${specs[i]}"
        IFS=$'\t' read -r first expl <<<"${rej[i]}"
        reply=$first
        case $flags in *s*) reply=$(sed -E 's/^([0-9]{3} [0-9.]+ )<[^>]*>\.\.\. /\1/' <<<"$reply") ;; esac
        case $flags in *b*) reply=${reply:4} ;; esac
        # The cause is the classifier's (test_cause checks it on a labelled corpus; the
        # checks after the sessions pin a few); its explanation then stands for the code's.
        cause=$("$MA_BIN" -c "$CONF" classify "$reply" 2>/dev/null)
        if [ -z "$expl" ]; then
            if [ "$cause" != none ]; then expl=$(explain_description "$cause"); else expl=$(explain_description "$entry"); fi
        fi
        rec="$mta|127.0.0.1|<$from>|$([ -n "$rcpt" ] && echo "<$rcpt>" || echo -)|$reply|$entry|$cause|$(squeeze <<<"$expl")"
        if [ "$mta" = postfix ]; then EXP_postfix+=("$rec"); else EXP_sendmail+=("$rec"); fi
    done
}

# JSON lines on stdin -> records (as session makes them); fails on a line that is not JSON.
json_records() {
    python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    o = json.loads(line)
    for k in ("time", "mta", "queue_id", "stage", "client", "from", "rcpt", "reply", "code",
              "cause", "explanation", "fix"):
        if not isinstance(o.get(k), str) or o[k] == "":
            sys.exit("line %d: field %s missing or empty: %s" % (n, k, line))
    print("|".join([o["mta"], o["client"], o["from"], o["rcpt"], o["reply"], o["code"],
                    o["cause"], " ".join(o["explanation"].split())]))'
}

# Text lines (key=value, "quoted" values) on stdin -> records.
cat >"$E2E_TMP/text_records.py" <<'EOF'
import re, sys
pair = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
for line in sys.stdin:
    o = {}
    for k, v in pair.findall(line):
        if v.startswith('"'):
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        o[k] = v
    print("|".join([o.get(k, "?") for k in ("mta", "client", "from", "rcpt", "reply", "code", "cause")]
                   + [" ".join(o.get("explanation", "?").split())]))
EOF
text_records() { python3 "$E2E_TMP/text_records.py"; }

# Wait (bounded) until FILE stops growing for half a second.
wait_quiet() {
    local f=$1 i last=-1 now
    for ((i = 0; i < 50; i++)); do
        now=$(stat -c %s "$f" 2>/dev/null || echo 0)
        [ "$now" = "$last" ] && return 0
        last=$now
        sleep 0.5
    done
}

# ---- traffic: Postfix ---------------------------------------------------------------------------

P=postfix
session $P "relay denied" "sender@example.org|someone@example.com|X.7.1|" -- \
    --from sender@example.org --to someone@example.com --quit-after RCPT
session $P "access map REJECT" "sender@example.org|mtareject@localhost|X.7.1|" -- \
    --from sender@example.org --to mtareject@localhost --quit-after RCPT
session $P "access map DEFER" "sender@example.org|mtadefer@localhost|X.7.1|" -- \
    --from sender@example.org --to mtadefer@localhost --quit-after RCPT
session $P "non-FQDN sender (at MAIL: smtpd_delay_reject = no)" "a||X.5.2|" -- \
    --from a --to b@localhost --quit-after RCPT
session $P "milter rule at MAIL (550)" "mailreject@example.org||X.7.1|" -- \
    --from mailreject@example.org --to b@localhost --quit-after RCPT
session $P "milter rule at MAIL (451)" "mailgrey@example.org||X.7.1|" -- \
    --from mailgrey@example.org --to b@localhost --quit-after RCPT
session $P "milter rule at RCPT (550)" "sender@example.org|blocked@localhost|X.7.1|" -- \
    --from sender@example.org --to blocked@localhost --quit-after RCPT
session $P "milter rule at RCPT (450)" "sender@example.org|busy@localhost|X.2.1|" -- \
    --from sender@example.org --to busy@localhost --quit-after RCPT
session $P "milter header rule (554 after DATA)" "sender@example.org|b@localhost|X.7.1|" -- \
    --from sender@example.org --to b@localhost --header "Subject: forbidden"
session $P "milter end-of-message rule (550 5.7.0)" "sender@example.org|b@localhost|X.7.0|" -- \
    --from sender@example.org --to b@localhost --header "X-Scan-Result: infected"
session $P "three recipients, two refused, message accepted" \
    "sender@example.org|blocked@localhost|X.7.1|" "sender@example.org|mtareject@localhost|X.7.1|" -- \
    --from sender@example.org --to b@localhost,blocked@localhost,mtareject@localhost
session $P "HELO access map (EHLO and HELO refused)" "||X.7.1|" "||X.7.1|" -- \
    --helo bad.helo --from sender@example.org --to b@localhost --quit-after RCPT
session $P "header_checks REJECT" "sender@example.org|b@localhost|X.7.1|b" -- \
    --from sender@example.org --to b@localhost --header "Subject: headercheck now"
session $P "accepted message (no rejection)" -- --from sender@example.org --to b@localhost

# ---- traffic: Sendmail --------------------------------------------------------------------------

S=sendmail
session $S "local rule (550)" "sender@example.org|mtareject@localhost|X.7.1|" -- \
    --from sender@example.org --to mtareject@localhost --quit-after RCPT
session $S "local rule (450)" "sender@example.org|mtadefer@localhost|X.7.1|" -- \
    --from sender@example.org --to mtadefer@localhost --quit-after RCPT
session $S "sender without a domain (check_mail)" "a||X.5.4|" -- \
    --from a --to b@localhost --quit-after RCPT
session $S "milter rule at MAIL (550)" "mailreject@example.org||X.7.1|s" -- \
    --from mailreject@example.org --to b@localhost --quit-after RCPT
session $S "milter rule at MAIL (451)" "mailgrey@example.org||X.7.1|s" -- \
    --from mailgrey@example.org --to b@localhost --quit-after RCPT
session $S "milter rule at RCPT (550)" "sender@example.org|blocked@localhost|X.7.1|s" -- \
    --from sender@example.org --to blocked@localhost --quit-after RCPT
session $S "milter rule at RCPT (450)" "sender@example.org|busy@localhost|X.2.1|s" -- \
    --from sender@example.org --to busy@localhost --quit-after RCPT
session $S "milter header rule (554 after DATA)" "sender@example.org||X.7.1|" -- \
    --from sender@example.org --to b@localhost --header "Subject: forbidden"
session $S "milter end-of-message rule (550 5.7.0)" "sender@example.org||X.7.0|" -- \
    --from sender@example.org --to b@localhost --header "X-Scan-Result: infected"
session $S "three recipients, two refused, message accepted" \
    "sender@example.org|blocked@localhost|X.7.1|s" "sender@example.org|mtareject@localhost|X.7.1|" -- \
    --from sender@example.org --to b@localhost,blocked@localhost,mtareject@localhost
session $S "accepted message (no rejection)" -- --from sender@example.org --to b@localhost

# The logs are written asynchronously: wait for every Postfix session's disconnect line, then
# for both files to be quiet.
for ((i = 0; i < 50; i++)); do
    [ "$(grep -c ' disconnect from ' "$PF/maillog")" -ge "$NSESS_postfix" ] && break
    sleep 0.1
done
wait_quiet "$PF/maillog"
wait_quiet "$SM/maillog"
PFLOG=$E2E_TMP/postfix.maillog
SMLOG=$E2E_TMP/sendmail.maillog
pf_maillog "$PF" >"$PFLOG"
sm_maillog "$SM" >"$SMLOG"

# A few causes pinned by hand: the MTAs' own texts that name one, and one that names none.
cause_of() { # MTA REPLY-SUBSTRING: the cause field of that expected event
    declare -n e="EXP_$1"
    printf '%s\n' "${e[@]}" | grep -F -- "$2" | head -n 1 | cut -d'|' -f7
}
expect_eq "postfix: 'Relay access denied' is relay-denied" relay-denied "$(cause_of postfix 'Relay access denied')"
expect_eq "postfix: 'need fully-qualified address' (sender) is sender-domain-invalid" sender-domain-invalid \
    "$(cause_of postfix 'need fully-qualified address')"
expect_eq "postfix: 'Rejected by local policy' names no cause" none "$(cause_of postfix 'Rejected by local policy')"

# ---- the events, per MTA ------------------------------------------------------------------------

for mta in postfix sendmail; do
    [ "$mta" = postfix ] && log=$PFLOG || log=$SMLOG
    declare -n exp="EXP_$mta"
    echo "== logscan on the $mta maillog: ${#exp[@]} rejection(s) seen by the senders"
    "$MA_BIN" -c "$CONF" logscan --json "$log" >"$E2E_TMP/$mta.json" 2>"$E2E_TMP/$mta.err"
    expect_eq "$mta --json: exit status 0" 0 "$?"
    expect_eq "$mta --json: nothing on stderr" "" "$(cat "$E2E_TMP/$mta.err")"
    jrec=$(json_records <"$E2E_TMP/$mta.json" 2>"$E2E_TMP/$mta.jerr")
    expect_eq "$mta --json: every line is a JSON object with every field set" "" "$(cat "$E2E_TMP/$mta.jerr")"
    expect_eq "$mta: one event per rejection the sender saw" "${#exp[@]}" "$(wc -l <"$E2E_TMP/$mta.json")"
    expect_eq "$mta: client, from, rcpt, reply, code, cause, explanation of each event" \
        "$(printf '%s\n' "${exp[@]}" | sort)" "$(printf '%s\n' "$jrec" | sort)"
    "$MA_BIN" -c "$CONF" logscan "$log" >"$E2E_TMP/$mta.txt" 2>>"$E2E_TMP/$mta.err"
    expect_eq "$mta text: the same events as --json, in the same order" "$jrec" \
        "$(text_records <"$E2E_TMP/$mta.txt")"
    expect_eq "$mta text: nothing on stderr" "" "$(cat "$E2E_TMP/$mta.err")"
    # --summary: total = rejections seen; rows = the events printed, counted per code.
    "$MA_BIN" -c "$CONF" logscan --summary "$log" >"$E2E_TMP/$mta.sum"
    nev=$(wc -l <"$E2E_TMP/$mta.txt")
    expect_eq "$mta --summary: the events, then the summary" "$(cat "$E2E_TMP/$mta.txt")" \
        "$(head -n "$nev" "$E2E_TMP/$mta.sum")"
    expect_eq "$mta --summary: total line" "summary: ${#exp[@]} rejections and deferrals" \
        "$(sed -n "$((nev + 1))p" "$E2E_TMP/$mta.sum")"
    want=$(python3 -c '
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)["reply"].split(" ")
    c[" ".join(r[:2]) if len(r) > 1 and r[1][:1].isdigit() and "." in r[1] else r[0]] += 1
for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
    print(n, k)' "$E2E_TMP/$mta.json")
    got=$(tail -n +"$((nev + 2))" "$E2E_TMP/$mta.sum" | awk '{ print $1, $2 ($3 ~ /^[0-9]\./ ? " " $3 : "") }')
    expect_eq "$mta --summary: one row per code, most frequent first" "$want" "$got"
    unset -n exp
done

# ---- inputs: standard input, "-", unknown lines --------------------------------------------------

echo "== inputs"
PF_TXT=$(cat "$E2E_TMP/postfix.txt")
SM_TXT=$(cat "$E2E_TMP/sendmail.txt")
expect_eq "standard input (no FILE)" "$PF_TXT" "$("$MA_BIN" -c "$CONF" logscan <"$PFLOG")"
expect_eq "'-' reads standard input" "$PF_TXT" "$("$MA_BIN" -c "$CONF" logscan - <"$PFLOG")"
expect_eq "FILE then '-': both, in order" "$PF_TXT"$'\n'"$SM_TXT" \
    "$("$MA_BIN" -c "$CONF" logscan "$PFLOG" - <"$SMLOG")"
NOISY=$E2E_TMP/noisy.log
python3 - "$PFLOG" "$NOISY" <<'EOF'
import random, sys
rnd = random.Random(7)
junk = [b"garbage line", b"", b"Nov 22 20:00:00 host postfix/smtpd[1]: warning: odd reject: thing",
        b"Nov 22 20:00:00 host kernel: [1.5] reject: RCPT from x[1.2.3.4]: 550 5.7.1 no",
        b"x" * 100 * 1024, b"Nov 22 20:00:00 host postfix/smtpd[1]: " + b"y" * 100 * 1024]
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for i, line in enumerate(f):
        out.write(line)
        j = junk[i % len(junk)] if i % 3 else bytes(rnd.choice(
            [c for c in range(1, 256) if c != 10]) for _ in range(300))
        out.write(j + b"\n")
EOF
out=$("$MA_BIN" -c "$CONF" logscan "$NOISY" 2>"$E2E_TMP/noisy.err")
expect_eq "unknown lines (junk, binary, 100 KB) are skipped: same events" "$PF_TXT" "$out"
expect_eq "unknown lines are skipped silently (nothing on stderr)" "" "$(cat "$E2E_TMP/noisy.err")"

out=$("$MA_BIN" -c "$CONF" logscan "$E2E_TMP/missing.log" "$PFLOG" 2>"$E2E_TMP/missing.err")
expect_eq "a missing FILE: exit status 2" 2 "$?"
expect_eq "a missing FILE: said on stderr" \
    "milter-annotate logscan: $E2E_TMP/missing.log: No such file or directory" "$(cat "$E2E_TMP/missing.err")"
expect_eq "a missing FILE: the other files are still read" "$PF_TXT" "$out"

# ---- -F: a growing file, then a rotated one ---------------------------------------------------------

echo "== logscan -F"
FOLLOW=$E2E_TMP/follow.log
HELD=$E2E_TMP/held.log
synthetic() { # a Postfix reject line for recipient $1
    echo "$(date '+%b %e %H:%M:%S') pf-test postfix/smtpd[99]: NOQUEUE: reject: RCPT from" \
        "localhost[127.0.0.1]: 554 5.7.1 <$1@localhost>: Recipient address rejected: Test;" \
        "from=<follow@example.org> to=<$1@localhost> proto=ESMTP helo=<e2e.example>"
}
n=$(wc -l <"$PFLOG")
half=$((n / 2))
head -n "$half" "$PFLOG" >"$FOLLOW"
# Sendmail rejection whose envelope line never comes: printed after two quiet seconds.
grep -m 1 'ruleset=check_rcpt' "$SMLOG" >"$HELD"
(
    sleep 1
    # The rest of the log in three chunks, then a line written just before the file is moved
    # away, a new file, a line appended to it later. A bounded writer.
    rest=$((n - half))
    chunk=$(((rest + 2) / 3))
    for k in 0 1 2; do
        tail -n +"$((half + 1 + k * chunk))" "$PFLOG" | head -n "$chunk" >>"$FOLLOW"
        sleep 0.3
    done
    synthetic before-rotation >>"$FOLLOW"
    mv "$FOLLOW" "$FOLLOW.1"
    synthetic new-file-1 >"$FOLLOW"
    sleep 0.6
    synthetic new-file-2 >>"$FOLLOW"
) &
writer=$!
timeout 5 "$MA_BIN" -c "$CONF" logscan -F "$FOLLOW" >"$E2E_TMP/follow.out" 2>"$E2E_TMP/follow.err" &
follower=$!
timeout 5 "$MA_BIN" -c "$CONF" logscan -F "$HELD" >"$E2E_TMP/held.out" 2>&1 &
held=$!
sleep 3.5
held_early=$(cat "$E2E_TMP/held.out")
wait "$writer"
wait "$follower"
expect_eq "-F: still following when stopped (timeout's status 124)" 124 "$?"
wait "$held"
expect_eq "-F: nothing on stderr" "" "$(cat "$E2E_TMP/follow.err")"
fout=$(grep -v 'from=<follow@example.org>' "$E2E_TMP/follow.out")
expect_eq "-F: the events of the file, those appended later included" "$PF_TXT" "$fout"
for r in before-rotation new-file-1 new-file-2; do
    case $r in
    before-rotation) what="a line written just before the file was moved is read" ;;
    new-file-1) what="after the move, the new file is read" ;;
    *) what="a line appended to the new file later is read" ;;
    esac
    expect_contains "-F: $what (recipients printed)" \
        "$(grep -o 'rcpt=<[^>]*>' "$E2E_TMP/follow.out" | sort -u)" "rcpt=<$r@localhost>"
done
expect_match "-F: a held Sendmail event is printed after two quiet seconds" "$held_early" \
    '^time=.* mta=sendmail .* stage=check_rcpt client=127\.0\.0\.1 .*rcpt=<mtareject@localhost>'
expect_eq "-F: ... and printed once" 1 "$(grep -c . "$E2E_TMP/held.out")"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_logscan took %.1f s\n", e - s }'
e2e_finish
