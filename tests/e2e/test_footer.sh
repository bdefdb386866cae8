#!/usr/bin/env bash
# test_footer.sh - `milter-annotate export postfix-footer` as Postfix's smtpd_reject_footer_maps.
#
#   sudo tests/e2e/test_footer.sh        (root; build first with make)
#
# Exports the footer map with a configuration whose postmaster line holds a literal "$5" and
# the ${code} ${ecode} ${client_addr} variables, then:
#   1. postmap -q on the exported file alone (no Postfix running), for ~35 replies: basic code
#      only, exact enhanced code, unknown detail (5.7.32, 4.4.99, 5.1.100), unknown subject,
#      unknown basic code (571, 499), explicit X.0.0, class mismatch (550 4.1.1, 450 5.2.2), a
#      plain multi-line CRLF reply: the Explanation and How to fix text postmap returns is the
#      one `milter-annotate annotate "<reply>"` adds (the engine's own pick, reply_pick), and
#      the postmaster line carries the reply's code and enhanced code ($1, $2), "$$5" and
#      "$client_address" for the footer layer. Replies already annotated (multi-line, CRLF),
#      2xx and 3xx replies match nothing.
#   2. A private Postfix with smtpd_reject_footer_maps = pcre:<the file> and restrictions that
#      make Postfix reject by itself (mynetworks without 127.0.0.1): relay denied, access map
#      REJECT and DEFER (mta.sh's check_recipient_access, kept), non-FQDN sender, message over
#      message_size_limit, header_checks REJECT; plus a milter-annotate rule at RCPT. For each,
#      the reply the sender sees (swaks) has Postfix's own first line, EXACTLY ONE Explanation
#      and one How to fix line, whose texts are those of the expected code table entry
#      (`milter-annotate explain`) and, line for line, what the milter itself would add; the
#      same code and a same-class enhanced code on every line, <= 512 octets; the site line
#      reads "postmaster@example.org costs $5 (quote CODE ECODE 127.0.0.1)". The milter's
#      own reply gets no second footer.
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init footer
START=$(date +%s.%N)

if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

CONF=$E2E_TMP/milter.conf
FOOTER=$E2E_TMP/footer.pcre
PF=$E2E_TMP/postfix
RULE_TEXT="Refused by the milter rule"
cat >"$CONF" <<EOF
# test_footer.sh: a site line with a literal \$ and every variable, one rule
log = "stderr";
postmaster = "postmaster@example.org costs \$5 (quote \${code} \${ecode} \${client_addr})";
rules = (
  { name = "rcpt-reject"; stage = "rcpt"; rcpt = "^<?blocked@";
    reply = "550 5.7.1 $RULE_TEXT"; }
);
EOF

# ---- helpers ---------------------------------------------------------------------------------

# Whitespace runs as one space, no leading or trailing space.
squeeze() { tr -s ' \t\n' '   ' | sed -E 's/^ //; s/ $//'; }

# sections: reply lines (codes stripped) or footer lines on stdin -> three lines
# "E:<explanation>", "F:<fix>", "P:<postmaster>", each joined with single spaces.
sections() {
    sed -E 's/^[0-9]{3}[- ]([245]\.[0-9]+\.[0-9]+)? ?//' | awk '
        /^Explanation: / { s = "E"; sub(/^Explanation: /, "") }
        /^How to fix: / { s = "F"; sub(/^How to fix: /, "") }
        /^Postmaster: / { s = "P"; sub(/^Postmaster: /, "") }
        /^(Help|Reference): / { s = "" }
        s != "" { gsub(/^ +| +$/, ""); t[s] = t[s] (t[s] == "" ? "" : " ") $0 }
        END { print "E:" t["E"]; print "F:" t["F"]; print "P:" t["P"] }' |
        sed -E 's/  +/ /g'
}

# The footer postmap returns for REPLY, its "\n" made new lines; rc 1 when nothing matches.
pm_footer() {
    local out
    out=$(postmap -c "$PMDIR" -q "$1" "pcre:$FOOTER" 2>"$E2E_TMP/postmap.err") || return 1
    printf '%s\n' "$out" | sed 's/\\n/\n/g'
}

# The lines `annotate` adds to REPLY, from its "Explanation:" line on, codes stripped.
an_added() {
    "$MA_BIN" -c "$CONF" annotate --client-addr 127.0.0.1 "$1" |
        sed -nE '/^[0-9]{3}[- ][0-9.]* ?Explanation: /,$p' | sed '/^$/d'
}

# A section of `explain CODE` (Description, How to fix), joined.
explain_section() {
    "$MA_BIN" -c "$CONF" explain "$1" | awk -v h="$2" '
        $0 == h { f = 1; next } f && NF == 0 { exit } f' | squeeze
}

# ---- the export -------------------------------------------------------------------------------

echo "== export postfix-footer ($E2E_TMP)"
"$MA_BIN" -c "$CONF" export postfix-footer >"$FOOTER" 2>"$E2E_TMP/export.err"
expect_eq "export: exit status 0" 0 "$?"
expect_eq "export: nothing on stderr" "" "$(cat "$E2E_TMP/export.err")"
nrules=$(grep -c '^/' "$FOOTER")
check "export: a pattern for each 4xx/5xx and enhanced entry ($nrules >= 100)" "[ $nrules -ge 100 ]"
expect_eq "export: every line is a comment, empty, or /pattern/<TAB>footer" "" \
    "$(grep -vE '^(#.*|)$' "$FOOTER" | grep -vE '^/\^\(\?s\)\(\?!\.\*Explanation: \).*/	[^	]+$' | head -n 3)"
expect_eq "export: no footer line with a lone '\$' (pcre needs \$1, \$2 or \$\$)" "" \
    "$(grep '^/' "$FOOTER" | cut -f2- | sed -E 's/\$\$|\$[12]//g' | grep -F '$' | head -n 3)"

PMDIR=$E2E_TMP/postmap
mkdir -p "$PMDIR"
: >"$PMDIR/main.cf"
postmap -c "$PMDIR" -q "550 5.7.1 probe" "pcre:$FOOTER" >/dev/null 2>"$E2E_TMP/postmap.err"
expect_eq "postmap reads the file without a warning" "" "$(cat "$E2E_TMP/postmap.err")"

# ---- 1. postmap -q against the engine ---------------------------------------------------------

echo "== postmap -q: the footer's entry is the one 'annotate' picks"
CRLF=$'\r\n'
REPLIES=(
    # basic code only
    "550 Mailbox unavailable"
    "554 Transaction failed"
    "421 Service not available, closing transmission channel"
    "450 Requested mail action not taken: mailbox unavailable"
    "452 Insufficient system storage"
    "451 Requested action aborted: local error in processing"
    "530 Authentication required"
    # exact enhanced code
    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table"
    "554 5.7.1 <u@example.com>: Relay access denied"
    "450 4.7.1 <u@example.com>: Recipient address rejected: Greylisted"
    "452 4.2.2 Mailbox full"
    "552 5.3.4 Error: message file too big"
    "504 5.5.2 <a>: Sender address rejected: need fully-qualified address"
    "450 4.1.8 <s@nx.example>: Sender address rejected: Domain not found"
    "550 5.1.10 Recipient address has null MX"
    "550 5.7.26 Unauthenticated email is not accepted due to the domain's DMARC policy"
    "421 4.7.0 Too many errors, closing connection"
    "550-5.7.1 Policy rejection${CRLF}550 5.7.1 See https://example.com/policy"
    # unknown detail: the subject's X.S.0
    "550 5.7.32 Unknown detail"
    "451 4.4.99 Unknown detail"
    "550 5.1.100 Three-digit detail"
    # unknown subject: the basic code
    "550 5.9.1 Unknown subject"
    # unknown basic code
    "571 Delivery not authorized, message refused"
    "571 5.7.1 Delivery not authorized"
    "499 4.9.9 Unknown everything"
    # explicit X.0.0
    "550 5.0.0 Generic failure"
    "571 5.0.0 Unknown basic code, explicit 5.0.0"
    "421 4.0.0 Shutting down"
    # class mismatch: the basic code's class counts
    "550 4.1.1 Class mismatch"
    "450 5.2.2 Class mismatch"
)
for r in "${REPLIES[@]}"; do
    label=${r//$CRLF/<CRLF>}
    if ! got=$(pm_footer "$r"); then
        fail "postmap: no footer for '$label'"
        continue
    fi
    want=$(an_added "$r")
    g=$(printf '%s\n' "$got" | sections)
    w=$(printf '%s\n' "$want" | sections)
    [ "$(sed -n 1p <<<"$g")" != "E:" ] || fail "postmap '$label': the footer has no Explanation"
    expect_eq "postmap '$label': Explanation as annotate's" "$(sed -n 1p <<<"$w")" "$(sed -n 1p <<<"$g")"
    expect_eq "postmap '$label': How to fix as annotate's" "$(sed -n 2p <<<"$w")" "$(sed -n 2p <<<"$g")"
    code=${r:0:3}
    ecode=$(sed -nE '1s/^[0-9]{3}[- ]([245]\.[0-9]{1,3}\.[0-9]{1,3})( .*)?$/\1/p' <<<"${r%%"$CRLF"*}")
    # shellcheck disable=SC2016 # $$5 and $client_address are literal: the footer layer's
    expect_eq "postmap '$label': postmaster line with \$1 \$2 and escaped \$" \
        "$(printf 'P:postmaster@example.org costs $$5 (quote %s %s $client_address)' "$code" "$ecode" | squeeze)" \
        "$(sed -n 3p <<<"$g")"
done

NOMATCH=(
    "$("$MA_BIN" -c "$CONF" annotate "550 5.7.1 Relaying denied" | sed '/^$/d' | sed 's/$/\r/' |
        tr -d '\n' | sed 's/\r$//; s/\r/\r\n/g')"
    "550-5.1.1 No such user${CRLF}550-5.1.1 Explanation: already explained by a milter${CRLF}550 5.1.1 How to fix: nothing"
    "250 2.0.0 Ok: queued as 4ABCDEF"
    "220 mx.example.com ESMTP"
    "354 End data with <CR><LF>.<CR><LF>"
)
for r in "${NOMATCH[@]}"; do
    label=${r//$CRLF/<CRLF>}
    label=${label:0:70}
    if got=$(pm_footer "$r"); then
        fail "postmap: '$label' got a footer:"
        printf '%s\n' "$got" | head -n 3 | sed 's/^/         | /'
    else
        pass "postmap: '$label' matches nothing"
    fi
done

# ---- 2. Postfix's own rejections with the footer -------------------------------------------------

MPORT='' SPORT=''
if ! e2e_port MPORT || ! e2e_port SPORT; then
    fail "no free ports"
    e2e_finish
fi
printf '/^Subject: headercheck/ REJECT Header refused\n' >"$E2E_TMP/header_checks"
echo "== milter on 127.0.0.1:$MPORT, Postfix on 127.0.0.1:$SPORT with the footer map"
if ! ma_start m "$CONF" "$MPORT"; then
    fail "milter-annotate did not start"
    e2e_finish
fi
if ! pf_start_e2e "$PF" "$SPORT" "inet:127.0.0.1:$MPORT" "mynetworks = 192.0.2.0/24
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_sender_restrictions = reject_non_fqdn_sender
message_size_limit = 2000
header_checks = pcre:$E2E_TMP/header_checks
smtpd_reject_footer_maps = pcre:$FOOTER"; then
    fail "Postfix did not start"
    e2e_finish
fi
pass "Postfix listens on 127.0.0.1:$SPORT (smtpd_reject_footer_maps = pcre:$FOOTER)"
expect_contains "mta.sh's check_recipient_access is still in smtpd_recipient_restrictions" \
    "$(postconf -c "$PF" -h smtpd_recipient_restrictions)" "check_recipient_access pcre:$PF/rcpt_access"
expect_eq "127.0.0.1 is outside mynetworks" "192.0.2.0/24" "$(postconf -c "$PF" -h mynetworks)"

# footer_case NAME CMD_ERE FIRST_LINE ENTRY [MILTER_REPLY] -- SWAKS ARGS...
# ENTRY: the code table entry or cause that must explain it (X.7.1, relay-denied, ...).
# MILTER_REPLY: the rule's
# reply, when the milter answers (the whole reply is then annotate's).
footer_case() {
    local name=$1 cmd=$2 first=$3 entry=$4 rule=${5:-} got code ecode s a w
    shift 5
    echo "-- $name"
    swaks_replies "$SPORT" "$@" >/dev/null
    got=$(sw_reply_to "$cmd")
    printf '%s\n' "$got" | head -n 1 | sed 's/^/   sender got: /'
    expect_eq "$name: first line is the MTA's own" "$first" "$(printf '%s\n' "$got" | head -n 1)"
    expect_eq "$name: exactly one Explanation line" 1 \
        "$(printf '%s\n' "$got" | grep -cE '^[0-9]{3}[- ][0-9.]+ Explanation: ')"
    expect_eq "$name: exactly one How to fix line" 1 \
        "$(printf '%s\n' "$got" | grep -cE '^[0-9]{3}[- ][0-9.]+ How to fix: ')"
    expect_valid_reply "$name: one code, same-class enhanced code on every line, <= 512 octets" "$got"
    s=$(printf '%s\n' "$got" | sections)
    expect_eq "$name: the explanation is $entry's" \
        "E:$(explain_section "$entry" Description)" "$(sed -n 1p <<<"$s")"
    expect_eq "$name: the fix is $entry's" \
        "F:$(explain_section "$entry" "How to fix")" "$(sed -n 2p <<<"$s")"
    code=${first:0:3}
    ecode=$(sed -nE 's/^[0-9]{3}[- ]([245]\.[0-9]+\.[0-9]+) .*/\1/p' <<<"$first")
    expect_eq "$name: site line with a literal \$5, the codes and 127.0.0.1" \
        "P:postmaster@example.org costs \$5 (quote $code $ecode 127.0.0.1)" "$(sed -n 3p <<<"$s")"
    # The text the footer adds is, line for line, what the milter adds to such a reply.
    a=$(printf '%s\n' "$got" | sed -nE '/^[0-9]{3}[- ][0-9.]+ Explanation: /,/^[0-9]{3}[- ][0-9.]+ Postmaster: /p' |
        sed '$d')
    w=$(an_added "${first:0:3} ${first:4}" | sed '/^[0-9]\{3\}[- ][0-9.]* Postmaster: /,$d')
    expect_eq "$name: Explanation and fix lines as the milter writes them" "$w" "$a"
    if [ -n "$rule" ]; then
        expect_eq "$name: the whole reply is the milter's (no footer added)" \
            "$("$MA_BIN" -c "$CONF" annotate --client-addr 127.0.0.1 "$rule" | sed '/^$/d')" "$got"
    fi
}

footer_case "relay denied" 'RCPT TO:' "554-5.7.1 <someone@example.com>: Relay access denied" relay-denied "" \
    --from sender@example.org --to someone@example.com --quit-after RCPT
footer_case "access map REJECT" 'RCPT TO:' \
    "554-5.7.1 <mtareject@localhost>: Recipient address rejected: Rejected by local policy" X.7.1 "" \
    --from sender@example.org --to mtareject@localhost --quit-after RCPT
footer_case "access map DEFER" 'RCPT TO:' \
    "450-4.7.1 <mtadefer@localhost>: Recipient address rejected: Deferred by local policy" X.7.1 "" \
    --from sender@example.org --to mtadefer@localhost --quit-after RCPT
footer_case "non-FQDN sender (answered at RCPT)" 'RCPT TO:' \
    "504-5.5.2 <a>: Sender address rejected: need fully-qualified address" sender-domain-invalid "" \
    --from a --to b@localhost --quit-after RCPT
BODY=$(for i in $(seq 1 40); do printf '%075d\n' "$i"; done)
footer_case "message over message_size_limit (3000 bytes > 2000)" '\.$' \
    "552-5.3.4 Error: message file too big" too-large "" \
    --from sender@example.org --to b@localhost --body "$BODY"
footer_case "header_checks REJECT" '\.$' "550-5.7.1 Header refused" X.7.1 "" \
    --from sender@example.org --to b@localhost --header "Subject: headercheck now"
footer_case "milter-annotate rule at RCPT" 'RCPT TO:' "550-5.7.1 $RULE_TEXT" X.7.1 \
    "550 5.7.1 $RULE_TEXT" \
    --from sender@example.org --to blocked@localhost --quit-after RCPT
expect_contains "an accepted message still passes" \
    "$(swaks_replies "$SPORT" --from sender@example.org --to b@localhost)" "queued as"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_footer took %.1f s\n", e - s }'
e2e_finish
