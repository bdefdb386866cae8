#!/usr/bin/env bash
# demo.sh - show what milter-annotate changes for a sender (run by `make demo`; not a test).
#
#   sudo tests/e2e/demo.sh       (root: it starts a private Postfix; build first with make)
#
# Starts build/milter-annotate with a small, realistic rule set and a private Postfix on
# 127.0.0.1 that uses it (tests/e2e/mta.sh), sends a few messages with swaks and prints, for
# each, the reply without and with milter-annotate. Then shows a rejection Postfix makes
# itself, which the milter cannot change but observes and logs. For each rejection it prints
# the link of the help page that explains it, in the static help site it exports to
# build/help (`export html`). Everything else runs in a temporary folder that is removed at
# the end; the MTA and the milter are stopped. Last, a real Postfix bounce before and after
# milter-annotate explains it (kept as build/demo-bounce.eml and .html).
# Exits 0 when the demo ran, 1 if something could not be started.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init demo

die() { echo "demo: $*" >&2; exit 1; }

"$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1 || { cat "$E2E_TMP/deps.log" >&2; die "tests/e2e/deps.sh failed"; }

CONF=$E2E_TMP/milter-annotate.conf
cat >"$CONF" <<'EOF'
# milter-annotate demo rules
log = "stderr";
rules = (
  { name = "no-relay"; stage = "rcpt"; rcpt = "@example\\.(net|com)>?$";
    reply = "550 5.7.1 Relaying denied"; },
  { name = "greylist"; stage = "rcpt"; from = "^<?newsender@";
    reply = "451 4.7.1 Greylisted, please try again in 5 minutes"; },
  { name = "lottery"; stage = "header"; header = "Subject: (lottery|you have won)";
    reply = "554 5.7.1 Message content rejected"; }
);
EOF

# The help site the links below lead to; it stays after the demo.
SITE=$REPO_TOP/build/help
"$MA_BIN" -c "$CONF" export html "$SITE" >"$E2E_TMP/export.log" 2>&1 ||
    { cat "$E2E_TMP/export.log" >&2; die "export html failed"; }

# help_page REPLY: the page that explains REPLY: its cause's (as `classify` recognises it),
# else its code's, picked as the reply engine picks an entry: the enhanced code, its
# subject's X.S.0, the basic code, X.0.0.
help_page() {
    local reply=$1 cause ecode f
    cause=$("$MA_BIN" -c "$CONF" classify "$reply" 2>/dev/null)
    if [ -n "$cause" ] && [ "$cause" != none ] && [ -f "$SITE/en/cause/$cause.html" ]; then
        echo "file://$SITE/en/cause/$cause.html"
        return
    fi
    ecode=$(printf '%s\n' "$reply" | sed -nE '1s/^[0-9]{3}[ -][245]\.([0-9]+)\.([0-9]+).*/x.\1.\2/p')
    for f in "$ecode" "${ecode%.*}.0" "${reply:0:3}" x.0.0; do
        if [ -n "$f" ] && [ -f "$SITE/en/code/$f.html" ]; then
            echo "file://$SITE/en/code/$f.html"
            return
        fi
    done
    echo "(none)"
}

if ! e2e_port MPORT || ! e2e_port SPORT; then
    die "no free port"
fi
PF=$E2E_TMP/postfix
ma_start demo "$CONF" "$MPORT" || die "milter-annotate did not start"
pf_start_e2e "$PF" "$SPORT" "inet:127.0.0.1:$MPORT" >"$E2E_TMP/pf_start.log" 2>&1 ||
    { cat "$E2E_TMP/pf_start.log" >&2; die "Postfix did not start"; }

indent() { sed "s/^/${1:-    }/"; }

cat <<EOF

milter-annotate demo
====================
A private Postfix listens on 127.0.0.1:$SPORT and asks milter-annotate (127.0.0.1:$MPORT)
about every message. The milter's rules ($CONF):

$(grep -v '^#' "$CONF" | grep . | indent)

Each rule gives a plain SMTP reply. milter-annotate sends it with an explanation of its code
and a hint on how to fix the problem, taken from its code table.
EOF

# The arguments as one would type them: quoted when they hold anything but plain characters.
shown() {
    local a out=""
    for a in "$@"; do
        case $a in *[!A-Za-z0-9@._:/=-]*) out="$out \"$a\"" ;; *) out="$out $a" ;; esac
    done
    echo "${out# }"
}

n=0
# demo_case TITLE RULE_NAME RULE_REPLY CMD_ERE SWAKS_ARGS...
demo_case() {
    local title=$1 rule=$2 reply=$3 cmd=$4
    shift 4
    n=$((n + 1))
    echo
    echo "$n. $title"
    echo "   swaks --server 127.0.0.1:$SPORT $(shown "$@")"
    swaks_replies "$SPORT" "$@" >/dev/null
    echo
    echo "   What the sender sees without milter-annotate:"
    echo "   (rule \"$rule\"'s reply as configured: Postfix passes a milter's one-line reply on as it"
    echo "   is. Shown, not captured: milter-annotate has no mode that leaves replies bare.)"
    echo "$reply" | indent "      "
    echo
    echo "   What the sender sees with milter-annotate (captured from Postfix by swaks):"
    local got
    got=$(sw_reply_to "$cmd")
    if [ -z "$got" ]; then
        echo "      (no reply captured; swaks said:)"
        printf '%s\n' "$SW_OUT" | tail -n 5 | indent "      "
    else
        printf '%s\n' "$got" | indent "      "
    fi
    echo "   The help page that explains it: $(help_page "$reply")"
}

demo_case "A recipient in a domain this server does not relay for" \
    no-relay "550 5.7.1 Relaying denied" 'RCPT TO:' \
    --from alice@localhost --to someone@example.net --quit-after RCPT
demo_case "A sender seen for the first time (greylisting)" \
    greylist "451 4.7.1 Greylisted, please try again in 5 minutes" 'RCPT TO:' \
    --from newsender@example.org --to bob@localhost --quit-after RCPT
demo_case "A message whose Subject matches a content rule" \
    lottery "554 5.7.1 Message content rejected" '\.$' \
    --from carol@localhost --to bob@localhost --header "Subject: You have won the lottery"

n=$((n + 1))
echo
echo "$n. An ordinary message: no rule matches, nothing changes"
echo "   swaks --server 127.0.0.1:$SPORT --from carol@localhost --to bob@localhost"
swaks_replies "$SPORT" --from carol@localhost --to bob@localhost >/dev/null
echo "   The sender sees:"
sw_reply_to '\.$' | indent "      "

n=$((n + 1))
mark=$(ma_log_lines demo)
echo
echo "$n. A recipient Postfix rejects itself (its own access table, not a milter rule)"
echo "   swaks --server 127.0.0.1:$SPORT --from dave@localhost --to mtareject@localhost --quit-after RCPT"
swaks_replies "$SPORT" --from dave@localhost --to mtareject@localhost --quit-after RCPT >/dev/null
echo "   The sender sees Postfix's own reply, unchanged (a milter cannot rewrite it):"
own=$(sw_reply_to 'RCPT TO:')
printf '%s\n' "$own" | indent "      "
echo "   The help page that explains it: $(help_page "$(printf '%s\n' "$own" | head -n 1)")"
echo "   milter-annotate is told about it (SMFIP_RCPT_REJ) and logs it with its explanation:"
line=""
if wait_for_log "$(ma_logfile demo)" "$mark" 'source=mta' 5; then
    line=$(ma_log_since demo "$mark" | grep -m1 'source=mta' | ma_strip_stamp)
fi
if [ -n "$line" ]; then
    printf '%s\n' "$line" | fold -s -w 90 | indent "      "
else
    echo "      (no log line seen)"
fi

n=$((n + 1))
echo
echo "$n. The same rejection, with the reject-footer map exported from the same table"
echo "   build/milter-annotate export postfix-footer > footer.pcre"
echo "   postconf -e 'smtpd_reject_footer_maps = pcre:footer.pcre'; postfix reload"
"$MA_BIN" -c "$CONF" export postfix-footer >"$E2E_TMP/footer.pcre" ||
    die "export postfix-footer failed"
postconf -c "$PF" -e "smtpd_reject_footer_maps = pcre:$E2E_TMP/footer.pcre"
pf_reload "$PF" >/dev/null 2>&1 || die "postfix reload failed"
sleep 1 # the running smtpd processes finish; new ones read the map
swaks_replies "$SPORT" --from dave@localhost --to mtareject@localhost --quit-after RCPT >/dev/null
echo "   The sender now sees Postfix's own reply with the same explanation:"
own=$(sw_reply_to 'RCPT TO:')
printf '%s\n' "$own" | indent "      "
echo "   The help page that explains it: $(help_page "$(printf '%s\n' "$own" | head -n 1)")"

# ---- a bounce, before and after ---------------------------------------------------------
# A second Postfix (A) delivers to a next hop (B) that refuses two recipients; A's own bounce
# goes through milter-annotate (internal_mail_filter_classes = bounce, non_smtpd_milters) and
# an smtp-sink keeps it, as the sender's server would receive it.
n=$((n + 1))
echo
echo "$n. A bounce, before and after"
if e2e_port AP && e2e_port BP && e2e_port KP; then
    A=$E2E_TMP/pf-a B=$E2E_TMP/pf-b K=$E2E_TMP/sink
    mkdir -p "$A" "$B" "$K"
    chown postfix "$K"
    printf '/^unknown@/\t550 5.1.1 User unknown in virtual mailbox table\n/^full@/\t552 5.2.2 Mailbox full\n' >"$B/refuse"
    printf 'dest.example\tsmtp:[127.0.0.1]:%s\nsender.example\tsmtp:[127.0.0.1]:%s\n' "$BP" "$KP" >"$A/transport"
    smtp-sink -u postfix -d "$K/%Y%m%d%H%M%S." "127.0.0.1:$KP" 10 </dev/null >"$E2E_TMP/sink.out" 2>&1 &
    SINK=$!
    demo_sink_stop() { kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null; }
    E2E_CLEANUP_HOOKS+=(demo_sink_stop)
    if mta_wait_port "$KP" 10 &&
        pf_start_e2e "$B" "$BP" "" "smtpd_recipient_restrictions = check_recipient_access pcre:$B/refuse, reject" \
            >"$E2E_TMP/pf-b.log" 2>&1 &&
        E2E_PF_DELIVER=1 pf_start_e2e "$A" "$AP" "" "internal_mail_filter_classes = bounce
non_smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }
transport_maps = texthash:$A/transport" >"$E2E_TMP/pf-a.log" 2>&1; then
        echo "   swaks --server 127.0.0.1:$AP --from alice@sender.example --to unknown@dest.example,full@dest.example"
        swaks_replies "$AP" --from alice@sender.example --to unknown@dest.example,full@dest.example >/dev/null
        bounce=""
        for ((i = 0; i < 150; i++)); do
            bounce=$(find "$K" -type f 2>/dev/null | head -n 1)
            [ -n "$bounce" ] && break
            sleep 0.2
        done
        if [ -n "$bounce" ]; then
            cp "$bounce" "$REPO_TOP/build/demo-bounce.eml"
            python3 - "$bounce" "$REPO_TOP/build/demo-bounce.html" <<'PYEOF' | indent "   "
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
first = msg.get_payload()[0]
alt = first if first.get_content_type() == "multipart/alternative" else None
if alt is None:
    print("(the bounce was not annotated: %s)" % first.get_content_type())
    sys.exit(0)
text = alt.get_payload()[0].get_content().replace("\r\n", "\n")
ours, _, original = text.partition("----------\n")
original = original.split("\n", 2)[2] if original.count("\n") >= 2 else original
print("Before: the notification Postfix writes (kept, unchanged, at the end of the new one):")
print("")
for line in original.rstrip().split("\n"):
    print("   " + line)
print("")
print("After: what milter-annotate puts first (X-Annotated-By: %s):" % msg["X-Annotated-By"])
print("")
for line in ours.rstrip().split("\n"):
    print("   " + line)
open(sys.argv[2], "w").write(alt.get_payload()[1].get_content())
PYEOF
            echo "   The same in HTML, for people: file://$REPO_TOP/build/demo-bounce.html"
            echo "   The whole bounce: build/demo-bounce.eml (its delivery-status part and the returned"
            echo "   message are byte for byte Postfix's)."
        else
            echo "   (no bounce arrived within 30 s; Postfix A's log: $A/maillog)"
        fi
    else
        echo "   (the Postfix instances for the bounce did not start)"
    fi
else
    echo "   (no free port)"
fi

echo
echo "The help site: file://$SITE/index.html"
echo "(build/milter-annotate export html DIR: every code, cause and comparison, in English,"
echo "Arabic, Russian and Chinese)."
echo
echo "More: build/milter-annotate explain 5.7.1"
echo "      build/milter-annotate compare 451 550 --lang en"
echo "      echo '550 5.1.1 No such user' | build/milter-annotate annotate"
echo "Stopping Postfix and milter-annotate (the milter takes up to 5 s to stop)..."
exit 0
