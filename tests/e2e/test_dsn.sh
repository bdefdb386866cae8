#!/usr/bin/env bash
# test_dsn.sh - bounces that explain themselves (issue 15), end to end, against real MTAs on
# 127.0.0.1 (private instances, tests/e2e/mta.sh) and the milter as it runs in production.
#
#   sudo tests/e2e/test_dsn.sh      (root; build first with make && make unit-bins)
#
# The annotated bounces are checked by tests/dsn/check_dsn.py (Python's email package, an
# independent MIME parser): a valid multipart/report; report-type=delivery-status, headers
# the original's plus X-Annotated-By, every part after the first and the bytes around the
# first byte for byte the original's, a multipart/alternative (text/plain utf-8 + text/html)
# first part, and for every failed or delayed recipient a text block with "Explanation:",
# "Who should act:" and "How to fix:" (in the language asked) and an HTML panel.
#
# 1. Postfix's own bounces (internal_mail_filter_classes = bounce, non_smtpd_milters): two
#    identical private Postfix instances that deliver (queue manager on), A-on with a
#    milter with dsn = "on" and A-off with one with dsn = "off", route dest.example to a
#    private Postfix B that refuses recipients with different replies (check_recipient_
#    access pcre) and sender.example to an smtp-sink each, which keeps the bounce that
#    reaches the sender. Every message goes to both, so each annotated bounce is compared
#    with the same bounce made with dsn = "off":
#      - check_dsn.py (off bounce, on bounce), both normalised (see "Per-run fields")
#      - the message/delivery-status part field by field equal to the dsn = "off" one
#    Cases:
#      - one bounce with four recipients refused for four causes (550 5.1.1 user unknown,
#        552 5.2.2 mailbox full, 554 5.7.1 DNSBL, 554 5.7.1 relay access denied): the
#        milter's "annotated" line names each recipient with action, status and its cause
#        (unknown-user, mailbox-full, dnsbl-listed, relay-denied), and each recipient's text
#        block has "Not delivered (STATUS)", the title of that cause (`explain CAUSE`) and
#        the next hop's reply
#      - a delay warning (450 4.2.0 greylisted, delay_warning_time = 1s; postqueue -f
#        retries if Postfix waits): Action: delayed, the log says action=delayed
#        cause=greylisted, the text opens with "...not yet been delivered..." and the
#        recipient is "Delayed (4.2.0)"
#      - an 8-bit returned message (raw UTF-8 body sent with MAIL FROM ... BODY=8BITMIME):
#        the returned message/rfc822 part is byte for byte the dsn = "off" one, with its
#        raw UTF-8, and the bounce leaves with BODY=8BITMIME
#      - a success notice (NOTIFY=SUCCESS, relayed to a next hop without DSN): Action:
#        relayed, so delivered byte for byte as with dsn = "off", no X-Annotated-By, no line
#      - a bounce just under dsn_max_size (sized from a first bounce of A-off): annotated
#      - a bounce just over it: delivered unchanged, byte for byte the dsn = "off" one
#        (normalised), no X-Annotated-By, and the milter logs "dsn-unchanged
#        queue_id=<the bounce's id> source=dsn reason="larger than dsn_max_size (N bytes)""
#    Every bounce arrives: A-on logs status=sent for it (in under 10 s), nothing
#    milter-rejected, -discarded, -held or tempfailed, and at the end A-on's queue holds
#    only the greylisted message (still retried), as A-off's does.
# 2. DSNs from other servers, by SMTP with MAIL FROM:<>, through a private Postfix
#    (smtpd_milters) and a private Sendmail (INPUT_MAIL_FILTER) whose queue managers do not
#    run: every tests/dsn/samples/*.eml; the queued message (headers + body,
#    pf_queue_message / sm_queue_message) against the sample, after taking off the one
#    Received header the MTA puts on top and any Return-Path (Postfix drops it from
#    incoming mail, Sendmail writes its own at delivery), line ends LF on both sides (and a
#    final one: qmail's sample has none, an MTA ends the last line):
#      - DSNs (kind dsn-*): check_dsn.py passes, and the milter's "annotated" line has the
#        MTA's queue id and the failed/delayed recipients of MANIFEST.tsv, in order, with
#        their action and status
#      - not-dsn samples (ARF, qmail's plain bounce, a relayed notice, Postfix's verify
#        report, OpenSMTPD's multipart/mixed, an ordinary multipart/mixed message): queued
#        byte for byte as sent, no log line
#      - the same DSNs from a non-null sender, a DSN already carrying X-Annotated-By (the
#        milter's own output, sent again) and an ordinary message: byte for byte, no line
#      - four transactions in one SMTP session, as an MTA's connection cache sends them (a
#        DSN, the same DSN from a non-null sender, an ordinary message from <>, the DSN
#        again): the two DSNs annotated and logged, the other two byte for byte, no line
# 3. dsn = "off" (a second smtpd of that Postfix, with its own milter and verbose milter
#    logging): DSNs pass byte for byte, the milter logs nothing for them, and Postfix's log
#    of the negotiation shows the milter asked for no body change (no SMFIF_CHGBODY, no
#    SMFIF_ADDHDRS) and not to see the body (SMFIP_NOBODY); the same log for a dsn = "on"
#    milter shows SMFIF_CHGBODY, so the check can see it. A-off's bounces carry no
#    X-Annotated-By and keep Postfix's text/plain first part.
# 4. dsn_language = "ar" (a third smtpd): check_dsn.py --lang ar (the Arabic labels), and no
#    English label in the text part.
# 5. Every swaks reply goes through the reply property check (swaks_replies); so do the
#    transcripts of the sessions sent with Python's smtplib (BODY=8BITMIME, NOTIFY=SUCCESS,
#    several messages in one session), which swaks cannot send.
#
# Per-run fields (normalised before a bounce of A-on is compared with its twin of A-off,
# nothing else is touched; smtp-sink's own X-Client-Addr .. X-Rcpt-Args and Received lines
# and the blank line it appends are taken off first): the queue ids of the two messages involved (the original's, in
# the boundary, X-Postfix-Queue-ID and the returned message's Received header; the bounce's,
# in its Received and Message-Id headers) -> QID-ORIG, QID-BOUNCE; every RFC 5322 date
# (Date, Received, Arrival-Date, Will-Retry-Until) -> DATE; the seconds in Postfix's
# boundary "QID.1796409582/host" -> EPOCH; the time stamp of Postfix's Message-Id
# "<20261204183942.QID@host>" -> STAMP. In the field-by-field comparison of the
# message/delivery-status part: X-Postfix-Queue-ID -> QUEUEID; Arrival-Date,
# Last-Attempt-Date, Will-Retry-Until -> DATE; folded values unfolded.
#
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init dsn
START=$(date +%s.%N)

if ! "$E2E_DIR/deps.sh" >"$E2E_TMP/deps.log" 2>&1; then
    cat "$E2E_TMP/deps.log"
    fail "tests/e2e/deps.sh failed"
    e2e_finish
fi

CHECK_DSN=$REPO_TOP/tests/dsn/check_dsn.py
SAMPLES=$REPO_TOP/tests/dsn/samples
MANIFEST=$SAMPLES/MANIFEST.tsv
DSN_MAX=65536
SENDER=sender@sender.example
TOOL=$E2E_TMP/dsntool.py
W=$E2E_TMP/work
mkdir -p "$W"

# ---- the suite's Python helpers (Python's email package, no MIME code of the milter's) ------

cat >"$TOOL" <<'PY'
"""dsntool - test_dsn.sh's helpers.

  wire SRC DST        SRC as swaks --no-data-fixup sends it after DATA: CRLF line ends, a
                      final CRLF, leading dots doubled, then the closing "." (swaks puts
                      the CRLF after it)
  mta-view MTA SAMPLE QUEUED ORIG_OUT QUEUED_OUT
                      the pair check_dsn.py compares for a sample sent through MTA
                      (postfix|sendmail): ORIG_OUT is SAMPLE with LF line ends and a final
                      LF (what an MTA that changes nothing stores), QUEUED_OUT the queued
                      message without the one Received header the MTA put on top;
                      Return-Path headers are left out of both. Prints a line per problem.
  sink-view DUMP OUT  an smtp-sink -d dump without smtp-sink's own lines (X-Client-Addr ..
                      X-Rcpt-Args, its Received header, the blank line it appends)
  norm IN OUT ID=TOKEN...  the per-run fields of a Postfix bounce (see test_dsn.sh)
  ds FILE             the message/delivery-status fields, "N Name: value" (N: the group,
                      0 the per-message one), unfolded, per-run values replaced
  block FILE RCPT     the text part's block for RCPT, continuation lines joined
  firstline FILE      the first line of the text part
  returned FILE       the last top-level part (the returned message), bytes as in FILE
  session PORT RCPTS [--8bit] [--notify-success] FROM FILE [FROM FILE...]
                      one SMTP session, a transaction per FROM FILE (MAIL FROM:<FROM>, with
                      BODY=8BITMIME if --8bit, RCPT TO:<..> NOTIFY=SUCCESS if
                      --notify-success: swaks can say neither, nor send several messages
                      in one session); prints a swaks-like transcript
  size FILE           octets of FILE with LF line ends made CRLF (its size on the wire)
"""
import email
import email.policy
import re
import smtplib
import sys


def rd(p):
    with open(p, "rb") as f:
        return f.read()


def wr(p, b):
    with open(p, "wb") as f:
        f.write(b)


def crlf(b):
    b = re.sub(rb"(?<!\r)\n", b"\r\n", b)
    return b if b.endswith(b"\r\n") else b + b"\r\n"


def to_lf(b):
    b = b.replace(b"\r\n", b"\n")
    return b if b.endswith(b"\n") else b + b"\n"


def split_msg(b):
    """Logical header lines (continuations kept) and the body, of LF text."""
    i = b.find(b"\n\n")
    head, body = (b, b"") if i < 0 else (b[:i + 1], b[i + 2:])
    hs = []
    for line in head.split(b"\n")[:-1]:
        if line[:1] in (b" ", b"\t") and hs:
            hs[-1] += b"\n" + line
        else:
            hs.append(line)
    return hs, body


def join_msg(hs, body):
    return b"".join(h + b"\n" for h in hs) + b"\n" + body


def hname(h):
    return h.split(b":", 1)[0].strip().lower()


def cmd_wire(src, dst):
    wr(dst, re.sub(rb"(?m)^\.", b"..", crlf(rd(src))) + b".")


def cmd_mta_view(mta, sample, queued, orig_out, queued_out):
    ohs, obody = split_msg(to_lf(rd(sample)))
    qhs, qbody = split_msg(rd(queued))
    by = {"postfix": b"by pf-test.localdomain (Postfix)",
          "sendmail": b"by sm-test.localdomain (8."}[mta]
    if not qhs or hname(qhs[0]) != b"received" or by not in qhs[0] or \
            b"from e2e.example" not in qhs[0]:
        print("the first queued header is not %s's Received header: %r"
              % (mta, qhs[0][:100] if qhs else b""))
    else:
        qhs = qhs[1:]
    ohs = [h for h in ohs if hname(h) != b"return-path"]
    qhs = [h for h in qhs if hname(h) != b"return-path"]
    wr(orig_out, join_msg(ohs, obody))
    wr(queued_out, join_msg(qhs, qbody))


SINK_HDRS = (b"x-client-addr", b"x-client-proto", b"x-helo-args",
             b"x-mail-args", b"x-rcpt-args")


def cmd_sink_view(dump, out):
    hs, body = split_msg(rd(dump))
    while hs and hname(hs[0]) in SINK_HDRS:
        hs.pop(0)
    if hs and hname(hs[0]) == b"received" and b"by smtp-sink" in hs[0]:
        hs.pop(0)
    if body.endswith(b"\n\n"):
        body = body[:-1]
    wr(out, join_msg(hs, body))


DATE = (rb"[A-Z][a-z]{2}, +\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
        rb"(?: \([A-Za-z]+\))?")


def cmd_norm(src, dst, *pairs):
    b = rd(src)
    for p in pairs:
        qid, tok = p.split("=", 1)
        if qid:
            b = b.replace(qid.encode(), tok.encode())
    b = re.sub(DATE, b"DATE", b)
    b = re.sub(rb"(QID-[A-Z]+)\.\d{9,11}/", rb"\1.EPOCH/", b)
    b = re.sub(rb"<\d{14}\.(QID-[A-Z]+)@", rb"<STAMP.\1@", b)
    wr(dst, b)


def cmd_ds(p):
    m = email.message_from_bytes(rd(p), policy=email.policy.compat32)
    for part in m.walk():
        if part.get_content_type() == "message/delivery-status":
            for n, g in enumerate(part.get_payload()):
                for k, v in g.items():
                    v = " ".join(str(v).split())
                    if k.lower() == "x-postfix-queue-id":
                        v = "QUEUEID"
                    elif k.lower() in ("arrival-date", "last-attempt-date",
                                       "will-retry-until"):
                        v = "DATE"
                    print("%d %s: %s" % (n, k, v))
            return


def text_part(p):
    m = email.message_from_bytes(rd(p), policy=email.policy.default)
    for part in m.walk():
        if part.get_content_type() == "text/plain":
            return part.get_content().replace("\r\n", "\n")
    return ""


def cmd_block(p, rcpt):
    for b in text_part(p).split("----------\n", 1)[0].split("\n\n"):
        if b.startswith(rcpt + ":"):
            print(re.sub(r"\n +(?=\S)", " ", re.sub(r"\n  (?=\S)", "\n", b)))


def cmd_firstline(p):
    print(text_part(p).split("\n", 1)[0])


def cmd_returned(p):
    raw = rd(p)
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    b = re.escape(m.get_boundary().encode())
    spans = list(re.finditer(rb"(?m)^--" + b + rb"(--)?[ \t]*\r?$", raw))
    opening = [s for s in spans if s.group(1) is None]
    last = opening[-1]
    nxt = [s for s in spans if s.start() > last.end()]
    sys.stdout.buffer.write(raw[last.end():nxt[0].start() if nxt else len(raw)])


def cmd_session(port, rcpts, *args):
    args = list(args)
    opts, ropts = [], []
    while args and args[0].startswith("--"):
        o = args.pop(0)
        if o == "--8bit":
            opts.append("BODY=8BITMIME")
        elif o == "--notify-success":
            ropts.append("NOTIFY=SUCCESS")

    def show(code, msg):
        lines = msg.split(b"\n") if msg else [b""]
        mark = "<-  " if code < 400 else "<** "
        for i, l in enumerate(lines):
            sep = "-" if i < len(lines) - 1 else " "
            print("%s%d%s%s" % (mark, code, sep, l.decode("ascii", "replace")))
    s = smtplib.SMTP(timeout=30)
    show(*s.connect("127.0.0.1", int(port)))
    print(" -> EHLO e2e.example")
    show(*s.ehlo("e2e.example"))
    for frm, path in zip(args[0::2], args[1::2]):
        frm = "" if frm == "<>" else frm
        print(" -> MAIL FROM:<%s>%s" % (frm, "".join(" " + o for o in opts)))
        show(*s.mail(frm, opts))
        for r in rcpts.split(","):
            print(" -> RCPT TO:<%s>%s" % (r, "".join(" " + o for o in ropts)))
            show(*s.rcpt(r, ropts))
        print(" -> DATA")
        show(*s.docmd("DATA"))
        s.send(re.sub(rb"(?m)^\.", b"..", crlf(rd(path))) + b".\r\n")
        print(" -> .")
        show(*s.getreply())
    print(" -> QUIT")
    show(*s.docmd("QUIT"))
    s.close()


def cmd_size(p):
    print(len(crlf(rd(p))))


CMDS = {"wire": cmd_wire, "mta-view": cmd_mta_view, "sink-view": cmd_sink_view,
        "norm": cmd_norm, "ds": cmd_ds, "block": cmd_block, "firstline": cmd_firstline,
        "returned": cmd_returned, "session": cmd_session, "size": cmd_size}

if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
PY
tool() { timeout 60 python3 "$TOOL" "$@"; }
# section TITLE: a heading with the seconds since the start.
section() { awk -v s="$START" -v e="$(date +%s.%N)" -v t="$*" 'BEGIN { printf "== %s (%.0f s)\n", t, e - s }'; }
check_dsn() { timeout 60 python3 "$CHECK_DSN" "$@" 2>&1; }

# ---- the milters ------------------------------------------------------------------------------

for v in MP_ON MP_OFF MP_AR AP_ON AP_OFF BP KP_ON KP_OFF KP_N SP SP_OFF SP_AR SMP; do
    e2e_port "$v" || { fail "no free port"; e2e_finish; }
done
ma_conf() { # FILE SETTINGS...: a configuration
    local f=$1
    shift
    { echo "# test_dsn.sh"; echo 'log = "stderr";'; printf '%s\n' "$@"; } >"$f"
}
# The one rule matches the HELO Postfix makes up for its own bounces (localhost): it must be
# logged and not applied to them. Every SMTP client here says EHLO e2e.example.
ma_conf "$E2E_TMP/on.conf" 'dsn = "on";' 'dsn_language = "en";' "dsn_max_size = $DSN_MAX;" \
    'rules = ( { name = "no-localhost"; stage = "helo"; helo = "^localhost$";' \
    '            reply = "550 5.7.1 HELO localhost refused"; } );'
ma_conf "$E2E_TMP/off.conf" 'dsn = "off";'
ma_conf "$E2E_TMP/ar.conf" 'dsn = "on";' 'dsn_language = "ar";'
LOG_ON=$(ma_logfile on)
LOG_OFF=$(ma_logfile off)
LOG_AR=$(ma_logfile ar)

echo "== milters: dsn on 127.0.0.1:$MP_ON, off :$MP_OFF, ar :$MP_AR ($E2E_TMP)"
for m in on:$MP_ON off:$MP_OFF ar:$MP_AR; do
    if ! ma_start "${m%%:*}" "$E2E_TMP/${m%%:*}.conf" "${m#*:}"; then
        fail "milter-annotate (${m%%:*}) did not start"
        e2e_finish
    fi
done
pass "three milters listen (dsn on / off / on in Arabic)"

# ---- part 1 set-up: B refuses, A-on and A-off deliver, two smtp-sinks keep the bounces -------

B=$E2E_TMP/pf-b
mkdir -p "$B"
# The next hop's refusals: Postfix answers "<code> <ecode> <rcpt>: Recipient address rejected:
# <text>" to RCPT TO.
cat >"$B/refuse" <<'EOF'
/^unknown@/	550 5.1.1 User unknown in virtual mailbox table
/^full@/	552 5.2.2 Mailbox full
/^listed@/	554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org
/^relay@/	554 5.7.1 Relay access denied
/^grey@/	450 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/dest.example.html
EOF

declare -A SINK_PID=()
dsn_cleanup() {
    local w p i n
    # The milters take seconds to notice SIGTERM (libmilter's listener): tell them all at
    # once, before lib.sh's e2e_cleanup stops (and waits for) each in turn.
    for n in on off ar; do
        p=$(ma_pid "$n")
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    done
    for w in "${!SINK_PID[@]}"; do
        p=${SINK_PID[$w]}
        kill -TERM "$p" 2>/dev/null
        for ((i = 0; i < 50; i++)); do _mta_alive "$p" || break; sleep 0.1; done
        _mta_alive "$p" && kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    SINK_PID=()
}
E2E_CLEANUP_HOOKS+=(dsn_cleanup)

declare -A AP=([on]=$AP_ON [off]=$AP_OFF) KP=([on]=$KP_ON [off]=$KP_OFF) MP=([on]=$MP_ON [off]=$MP_OFF)
declare -A ADIR=([on]=$E2E_TMP/pf-a-on [off]=$E2E_TMP/pf-a-off) KDIR=([on]=$E2E_TMP/sink-on [off]=$E2E_TMP/sink-off)

# The four Postfix instances start side by side (a start takes seconds, mostly
# set-permissions); pf_bg DIR NAME [VAR=VALUE...] -- PF_START_ARGS...
declare -A PF_BG=()
pf_bg() {
    local dir=$1 name=$2 envs=()
    shift 2
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    E2E_PF_DIRS+=("$dir")
    # shellcheck disable=SC2016 # expanded by the inner bash
    (env "${envs[@]}" bash -c '. "$1/mta.sh"; shift; pf_start "$@"' _ "$E2E_DIR" "$@" \
        >"$dir.start.log" 2>&1) &
    PF_BG[$name]=$!:$dir
}
pf_bg_wait() {
    local n ok=0
    for n in "${!PF_BG[@]}"; do
        if ! wait "${PF_BG[$n]%%:*}"; then
            fail "Postfix $n did not start:"
            sed 's/^/         | /' "${PF_BG[$n]#*:}.start.log"
            ok=1
        fi
    done
    PF_BG=()
    return $ok
}

echo "== Postfix B (refuses) on :$BP; A-on :$AP_ON -> milter :$MP_ON, A-off :$AP_OFF -> :$MP_OFF"
# relayed.example: an smtp-sink that does not announce DSN (-N) and keeps nothing, so that a
# NOTIFY=SUCCESS recipient gets Postfix's success notice (Action: relayed).
smtp-sink -u postfix -N "127.0.0.1:$KP_N" 10 </dev/null >"$E2E_TMP/sink-n.out" 2>&1 &
SINK_PID[n]=$!
mta_wait_port "$KP_N" 10 || { fail "smtp-sink -N does not listen on 127.0.0.1:$KP_N"; e2e_finish; }
pf_bg "$B" B -- "$B" "$BP" "" "smtpd_recipient_restrictions = check_recipient_access pcre:$B/refuse, reject"
for w in on off; do
    mkdir -p "${KDIR[$w]}"
    chown postfix "${KDIR[$w]}"
    smtp-sink -u postfix -d "${KDIR[$w]}/%Y%m%d%H%M%S." "127.0.0.1:${KP[$w]}" 10 \
        </dev/null >"$E2E_TMP/sink-$w.out" 2>&1 &
    SINK_PID[$w]=$!
    if ! mta_wait_port "${KP[$w]}" 10; then
        fail "smtp-sink ($w) does not listen on 127.0.0.1:${KP[$w]}"
        e2e_finish
    fi
    mkdir -p "${ADIR[$w]}"
    printf 'dest.example\tsmtp:[127.0.0.1]:%s\nsender.example\tsmtp:[127.0.0.1]:%s\nrelayed.example\tsmtp:[127.0.0.1]:%s\n' \
        "$BP" "${KP[$w]}" "$KP_N" >"${ADIR[$w]}/transport"
    # A Postfix that delivers, whose own bounces (and only they) go through the milter.
    pf_bg "${ADIR[$w]}" "A-$w" E2E_PF_DELIVER=1 -- "${ADIR[$w]}" "${AP[$w]}" "" \
        "internal_mail_filter_classes = bounce
non_smtpd_milters = inet:127.0.0.1:${MP[$w]}
transport_maps = texthash:${ADIR[$w]}/transport
delay_warning_time = 1s
bounce_size_limit = 1000000"
done

# ---- part 2 set-up: a Postfix with three smtpd (on, off, ar) and a Sendmail, mail kept queued -

P=$E2E_TMP/pf-p
S=$E2E_TMP/sm
echo "== Postfix P :$SP (on) :$SP_OFF (off) :$SP_AR (ar); Sendmail :$SMP (on)"
# No header rewriting for 127.0.0.1 (local_header_rewrite_clients empty): the queued headers
# are the sent ones. No queue manager takes the mail, so no in_flow_delay (1 s a message)
# either. The off and ar smtpd log their milter negotiation (debug_peer_list).
mkdir -p "$P"
pf_bg "$P" P -- "$P" "$SP" "inet:127.0.0.1:$MP_ON" "local_header_rewrite_clients =
in_flow_delay = 0" \
    "127.0.0.1:$SP_OFF inet n - n - - smtpd
  -o smtpd_milters=inet:127.0.0.1:$MP_OFF
  -o debug_peer_list=127.0.0.1
  -o debug_peer_level=1
127.0.0.1:$SP_AR inet n - n - - smtpd
  -o smtpd_milters=inet:127.0.0.1:$MP_AR
  -o debug_peer_list=127.0.0.1
  -o debug_peer_level=1"
pf_bg_wait || e2e_finish
pass "Postfix B, A-on, A-off, P and two smtp-sinks run"
for p in "$SP_OFF" "$SP_AR"; do
    mta_wait_port "$p" 10 || { fail "Postfix P does not listen on 127.0.0.1:$p"; e2e_finish; }
done
if ! sm_start_e2e "$S" "$SMP" "$MP_ON"; then
    fail "Sendmail did not start"
    e2e_finish
fi
pass "Postfix P's other smtpd (off, ar) and Sendmail run"

# ==== 1. Postfix's own bounces ==================================================================

section "1. Postfix's own bounces through non_smtpd_milters"

# mkmsg FILE SUBJECT RCPTS [BODY_FILE]: a fixed message (the same bytes to A-on and A-off).
mkmsg() {
    local f=$1 subj=$2 rcpts=$3 body=${4:-}
    {
        printf 'Date: Thu, 01 Jan 2026 00:00:00 +0000\n'
        printf 'From: Sender <%s>\n' "$SENDER"
        printf 'To: %s\n' "$rcpts"
        printf 'Subject: %s\n' "$subj"
        printf 'Message-ID: <%s@sender.example>\n' "${subj// /-}"
        printf 'MIME-Version: 1.0\n'
        if [ -n "$body" ]; then
            printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
            cat "$body"
        else
            printf 'Content-Type: text/plain; charset=us-ascii\n\nA test message of test_dsn.sh.\n'
        fi
    } >"$f"
}

# a_send W MSG RCPTS [8bit|notify]: MSG to A-W (swaks; Python for BODY=8BITMIME or
# NOTIFY=SUCCESS); sets QID.
a_send() {
    local w=$1 msg=$2 rcpts=$3 how=${4:-} out
    QID=
    if [ -n "$how" ]; then
        out=$(tool session "${AP[$w]}" "$rcpts" "--${how/notify/notify-success}" "$SENDER" "$msg" 2>&1)
        e2e_replycheck -t "smtplib ($how) to 127.0.0.1:${AP[$w]}" "$out"
        QID=$(printf '%s\n' "$out" | sed -nE 's/^<-  250 2\.0\.0 Ok: queued as ([0-9A-F]+)$/\1/p')
    else
        tool wire "$msg" "$msg.wire"
        swaks_replies "${AP[$w]}" --from "$SENDER" --to "$rcpts" -ndf --data "@$msg.wire" >/dev/null
        out=$SW_OUT
        QID=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$/\1/p')
    fi
    [ -n "$QID" ] && return 0
    fail "A-$w did not queue $msg:"
    _e2e_show "$out" 20
    return 1
}

# a_wait W ORIG_QID KIND: wait (bounded) until A-W has sent the sender the KIND ("non-delivery",
# "delay" or "delivery status") notification of ORIG_QID and smtp-sink has it; sets BQID (the bounce's queue id)
# and DUMP (the sink's file). A delay warning that Postfix holds back is asked for with
# postqueue -f once ORIG_QID has been deferred.
a_wait() {
    local w=$1 q=$2 kind=$3 log i flushed=0
    log=${ADIR[$w]}/maillog
    BQID=
    DUMP=
    for ((i = 0; i < 300; i++)); do
        BQID=$(sed -nE "s/.*postfix\/bounce\[[0-9]+\]: $q: sender $kind notification: ([0-9A-F]+)$/\1/p" "$log" | tail -n 1)
        if [ -n "$BQID" ] && grep -qE "postfix/smtp\[[0-9]+\]: $BQID: to=<$SENDER>, .* status=sent " "$log"; then
            DUMP=$(grep -lF "X-Postfix-Queue-ID: $q" "${KDIR[$w]}"/* 2>/dev/null | head -n 1)
            [ -n "$DUMP" ] && return 0
        fi
        if [ "$kind" = delay ] && [ -z "$BQID" ] && [ $((i % 30)) = 29 ] &&
            grep -qE "$q: to=<.*status=deferred" "$log"; then
            timeout 30 postqueue -c "${ADIR[$w]}" -f >/dev/null 2>&1
            flushed=$((flushed + 1))
        fi
        sleep 0.1
    done
    fail "A-$w: no $kind notification of $q reached the sender within 30 s (postqueue -f: $flushed)"
    grep -E "$q|${BQID:-NONE}" "$log" | tail -n 12 | sed 's/^/         | /'
    return 1
}

# a_case NAME KIND MSG RCPTS [8bit]: MSG to A-on and A-off, their KIND notifications kept:
#   $W/NAME.W.eml   the bounce as the sender got it (sink-view)
#   $W/NAME.W.norm  the same with the per-run fields normalised
# and Q_ORIG[W], Q_BOUNCE[W] set. Non-zero if either bounce did not arrive.
declare -A Q_ORIG=() Q_BOUNCE=()
a_case() {
    local name=$1 kind=$2 msg=$3 rcpts=$4 how=${5:-} w ok=0
    echo "-- $name: to $rcpts"
    for w in on off; do
        a_send "$w" "$msg" "$rcpts" "$how" || return 1
        Q_ORIG[$w]=$QID
    done
    for w in on off; do
        if a_wait "$w" "${Q_ORIG[$w]}" "$kind"; then
            Q_BOUNCE[$w]=$BQID
            tool sink-view "$DUMP" "$W/$name.$w.eml"
            tool norm "$W/$name.$w.eml" "$W/$name.$w.norm" "${Q_ORIG[$w]}=QID-ORIG" "$BQID=QID-BOUNCE"
            printf '   A-%s: message %s, %s notification %s (%s bytes)\n' "$w" "${Q_ORIG[$w]}" \
                "$kind" "$BQID" "$(tool size "$W/$name.$w.eml")"
        else
            ok=1
        fi
    done
    return $ok
}

# The checks every annotated bounce of A-on passes against its A-off twin.
a_annotated_checks() {
    local name=$1 on=$W/$1.on.eml off=$W/$1.off.eml
    expect_match "$name: the dsn=on bounce carries X-Annotated-By: milter-annotate VERSION" \
        "$(grep -m1 '^X-Annotated-By:' "$on")" '^X-Annotated-By: milter-annotate [0-9]'
    expect_eq "$name: the dsn=off bounce has no X-Annotated-By" "" "$(grep '^X-Annotated-By:' "$off")"
    expect_eq "$name: check_dsn.py (dsn=off bounce, dsn=on bounce; both normalised)" "" \
        "$(check_dsn "$W/$name.off.norm" "$W/$name.on.norm")"
    local ds_off ds_on
    ds_off=$(tool ds "$off")
    ds_on=$(tool ds "$on")
    check "$name: the dsn=off bounce has a message/delivery-status part" "[ -n \"\$ds_off\" ]"
    expect_eq "$name: message/delivery-status field by field as with dsn=off" "$ds_off" "$ds_on"
}

# The milter's log line for the bounce of A-on (queue id Q_BOUNCE[on]).
a_logline() {
    grep -E "milter-annotate: (annotated|dsn-unchanged) queue_id=${Q_BOUNCE[on]} " "$LOG_ON" | head -n 1
}

# The title of a cause, as `explain CAUSE` prints it ("NAME Title").
cause_title() { timeout 30 "$MA_BIN" -c "$E2E_TMP/on.conf" explain "$1" | head -n 1 | cut -d' ' -f2-; }

# ---- several recipients, four causes ----------------------------------------------------------

RC_MULTI="unknown@dest.example,full@dest.example,listed@dest.example,relay@dest.example"
mkmsg "$W/multi.msg" "test_dsn multi" "${RC_MULTI//,/, }"
if a_case multi non-delivery "$W/multi.msg" "$RC_MULTI"; then
    a_annotated_checks multi
    line=$(a_logline)
    echo "   milter: $line" | cut -c1-200
    expect_match "multi: logged as annotated with its queue id, 4 recipients" "$line" \
        "annotated queue_id=${Q_BOUNCE[on]} source=dsn recipients=4 "
    for rc in "unknown@dest.example 550 5.1.1 unknown-user X.1.1" \
        "full@dest.example 552 5.2.2 mailbox-full X.2.2" \
        "listed@dest.example 554 5.7.1 dnsbl-listed X.7.1" \
        "relay@dest.example 554 5.7.1 relay-denied X.7.1"; do
        read -r addr basic st cause code <<<"$rc"
        expect_contains "multi: $addr logged with its cause $cause" "$line" \
            "rcpt=$addr action=failed status=$st cause=$cause code=$code"
        blk=$(tool block "$W/multi.on.eml" "$addr")
        expect_match "multi: $addr: text block says Not delivered ($st)" "$blk" \
            "^$addr: Not delivered \\($st\\)\$"
        title=$(cause_title "$cause")
        check "multi: $addr: the cause's title is known ('$title')" "[ -n \"\$title\" ]"
        expect_eq "multi: $addr: the block's title is the one of $cause" "$title" \
            "$(printf '%s\n' "$blk" | sed -n 2p)"
        expect_contains "multi: $addr: the block quotes the next hop's reply" "$blk" \
            "The server's reply (127.0.0.1): $basic $st <$addr>: Recipient address rejected: "
    done
    expect_contains "multi: the HELO rule matched Postfix's made-up HELO and was not applied" \
        "$(grep -F "rule=no-localhost" "$LOG_ON")" \
        "queue_id=${Q_BOUNCE[on]} stage=helo rule=no-localhost action=none reason=mta-notification"
    expect_contains "multi: A-off's text part is Postfix's own" \
        "$(sed -n '/^Content-Description: Notification/,/^--/p' "$W/multi.off.eml")" \
        "This is the mail system at host pf-test.localdomain."
fi

# ---- a delay warning --------------------------------------------------------------------------

mkmsg "$W/delay.msg" "test_dsn delay" "grey@dest.example"
if a_case delay delay "$W/delay.msg" "grey@dest.example"; then
    a_annotated_checks delay
    expect_contains "delay: the report says Action: delayed" "$(tool ds "$W/delay.on.eml")" \
        "1 Action: delayed"
    line=$(a_logline)
    echo "   milter: $line" | cut -c1-200
    expect_contains "delay: logged as delayed, greylisted" "$line" \
        "annotated queue_id=${Q_BOUNCE[on]} source=dsn recipients=1 rcpt=grey@dest.example action=delayed status=4.2.0 cause=greylisted"
    first=$(tool firstline "$W/delay.on.eml")
    expect_match "delay: the opening sentence says not yet delivered ('$first')" "$first" \
        '^Your message has not yet been delivered'
    expect_not_contains "delay: the opening sentence does not say could not be delivered" \
        "$first" "could not be delivered"
    expect_match "delay: grey@dest.example is Delayed (4.2.0)" \
        "$(tool block "$W/delay.on.eml" grey@dest.example)" '^grey@dest.example: Delayed \(4\.2\.0\)$'
fi

# ---- an 8-bit returned message ----------------------------------------------------------------

printf 'Grüße aus Köln: ünïcödé, 日本語のテキスト, Ελληνικά, русский текст.\n.a line that starts with a dot\nEnd.\n' \
    >"$W/8bit.body"
mkmsg "$W/8bit.msg" "test_dsn 8bit" "unknown@dest.example" "$W/8bit.body"
if a_case 8bit non-delivery "$W/8bit.msg" "unknown@dest.example" 8bit; then
    a_annotated_checks 8bit
    tool returned "$W/8bit.on.eml" >"$W/8bit.on.ret"
    tool returned "$W/8bit.off.eml" >"$W/8bit.off.ret"
    check "8bit: the returned message part holds the raw UTF-8 body line" \
        "grep -qxF \"\$(head -n 1 '$W/8bit.body')\" '$W/8bit.on.ret'"
    expect_contains "8bit: it is message/rfc822, 8bit" "$(head -n 5 "$W/8bit.on.ret")" \
        "Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit"
    tool norm "$W/8bit.on.ret" "$W/8bit.on.ret.norm" "${Q_ORIG[on]}=QID-ORIG" "${Q_BOUNCE[on]}=QID-BOUNCE"
    tool norm "$W/8bit.off.ret" "$W/8bit.off.ret.norm" "${Q_ORIG[off]}=QID-ORIG" "${Q_BOUNCE[off]}=QID-BOUNCE"
    check "8bit: the returned message is byte for byte the dsn=off one (normalised)" \
        "cmp -s '$W/8bit.on.ret.norm' '$W/8bit.off.ret.norm'"
    expect_match "8bit: the annotated bounce left A-on with BODY=8BITMIME" \
        "$(grep -h '^X-Mail-Args:' "$(grep -lF "X-Postfix-Queue-ID: ${Q_ORIG[on]}" "${KDIR[on]}"/*)")" \
        '^X-Mail-Args: <> BODY=8BITMIME'
    expect_match "8bit: logged as annotated" "$(a_logline)" \
        "annotated queue_id=${Q_BOUNCE[on]} source=dsn recipients=1 rcpt=unknown@dest.example action=failed status=5.1.1 cause=unknown-user"
fi

# ---- a success notice (Action: relayed) is no bounce -----------------------------------------

mkmsg "$W/relayed.msg" "test_dsn relayed" "ok@relayed.example"
if a_case relayed "delivery status" "$W/relayed.msg" ok@relayed.example notify; then
    expect_contains "relayed: Postfix's notice says Action: relayed" "$(tool ds "$W/relayed.off.eml")" \
        "1 Action: relayed"
    expect_eq "relayed: no X-Annotated-By" "" "$(grep '^X-Annotated-By:' "$W/relayed.on.eml")"
    if cmp -s "$W/relayed.on.norm" "$W/relayed.off.norm"; then
        pass "relayed: delivered byte for byte as with dsn=off (per-run fields normalised)"
    else
        fail "relayed: the notice differs from the dsn=off one:"
        diff -u --label dsn=off --label dsn=on "$W/relayed.off.norm" "$W/relayed.on.norm" |
            head -n 20 | sed 's/^/         | /'
    fi
    expect_eq "relayed: the milter logged nothing for it" "" "$(a_logline)"
fi

# ---- around dsn_max_size ----------------------------------------------------------------------

# size_msg NAME LINES: a message to unknown@dest.example whose body is LINES lines of the
# same length; NAME is 4 letters (cal0, near, over), so that only LINES changes the size.
size_msg() {
    local i
    for ((i = 0; i < $2; i++)); do printf 'size-%s line %06d %s\n' "$1" "$i" \
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"; done >"$W/$1.body"
    mkmsg "$W/$1.msg" "test_dsn size $1" "unknown@dest.example" "$W/$1.body"
}
echo "-- calibration: how much larger than its message a bounce of A-off is"
size_msg cal0 700
cal_ok=1
if a_send off "$W/cal0.msg" unknown@dest.example && a_wait off "$QID" non-delivery; then
    tool sink-view "$DUMP" "$W/cal0.off.eml"
    OVERHEAD=$(($(tool size "$W/cal0.off.eml") - $(tool size "$W/cal0.msg")))
    PL=$(($(head -n 1 "$W/cal0.body" | wc -c) + 1))  # a body line with its CRLF
    H0=$(($(tool size "$W/cal0.msg") - 700 * PL))   # the message without a body line
    echo "   a bounce is the message + $OVERHEAD octets"
    cal_ok=0
fi
if [ "$cal_ok" = 0 ]; then
    # Aim 300 octets under and over dsn_max_size (within a line of the aim). The milter
    # counts the bounce as it is on the wire (CRLF), which is what `size` gives.
    size_msg near $(((DSN_MAX - 300 - OVERHEAD - H0) / PL))
    size_msg over $(((DSN_MAX + 300 - OVERHEAD - H0 + PL - 1) / PL))
    if a_case near non-delivery "$W/near.msg" unknown@dest.example; then
        sz=$(tool size "$W/near.off.eml")
        check "near: the bounce (as with dsn=off, $sz octets) is within 400 under dsn_max_size $DSN_MAX" \
            "[ $sz -le $DSN_MAX ] && [ $sz -ge $((DSN_MAX - 400)) ]"
        a_annotated_checks near
        expect_match "near: logged as annotated" "$(a_logline)" \
            "annotated queue_id=${Q_BOUNCE[on]} source=dsn recipients=1 rcpt=unknown@dest.example action=failed"
    fi
    if a_case over non-delivery "$W/over.msg" unknown@dest.example; then
        sz=$(tool size "$W/over.off.eml")
        check "over: the bounce ($sz octets) is within 400 over dsn_max_size $DSN_MAX" \
            "[ $sz -gt $DSN_MAX ] && [ $sz -le $((DSN_MAX + 400)) ]"
        expect_eq "over: no X-Annotated-By" "" "$(grep '^X-Annotated-By:' "$W/over.on.eml")"
        if cmp -s "$W/over.on.norm" "$W/over.off.norm"; then
            pass "over: delivered byte for byte as with dsn=off (per-run fields normalised)"
        else
            fail "over: the bounce differs from the dsn=off one:"
            diff -u --label dsn=off --label dsn=on "$W/over.off.norm" "$W/over.on.norm" |
                head -n 20 | sed 's/^/         | /'
        fi
        expect_eq "over: check_dsn.py --same (normalised)" "" \
            "$(check_dsn "$W/over.off.norm" "$W/over.on.norm" --same)"
        expect_eq "over: the milter says why it left it unchanged" \
            "dsn-unchanged queue_id=${Q_BOUNCE[on]} source=dsn reason=\"larger than dsn_max_size ($DSN_MAX bytes)\"" \
            "$(a_logline | ma_strip_stamp)"
    fi
else
    fail "calibration bounce of A-off did not arrive: near/over dsn_max_size not tested"
fi

# ---- every bounce arrived, none held ----------------------------------------------------------

ALOG=${ADIR[on]}/maillog
expect_eq "A-on: no milter reject, discard, hold or tempfail, no milter warning" "" \
    "$(grep -E 'milter-(reject|discard|hold)|warning: .*milter|milter.*(temporary|error)|fatal:|panic:' "$ALOG" | head -n 5)"
bounced=$(grep -cE "postfix/bounce\[[0-9]+\]: [0-9A-F]+: sender (non-delivery|delay|delivery status) notification" "$ALOG")
sent=$(grep -cE "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<$SENDER>, .* status=sent " "$ALOG")
expect_eq "A-on: every notification made ($bounced) was sent to the sender" "$bounced" "$sent"
check "A-on: 6 notifications (multi, delay, 8bit, relayed, near, over)" "[ $bounced = 6 ]"
slow=$(grep -E "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<$SENDER>, .* status=sent " "$ALOG" |
    sed -nE 's/.* delay=([0-9.]+),.*/\1/p' | awk '$1 >= 10' | head -n 1)
expect_eq "A-on: each notification left within 10 s of being made" "" "$slow"
expect_eq "A-on: nothing to the sender deferred or bounced" "" \
    "$(grep -E "to=<$SENDER>, .* status=(deferred|bounced)" "$ALOG" | head -n 3)"
for w in on off; do
    expect_eq "A-$w: the queue holds only the greylisted message" \
        "$(grep -oE "[0-9A-F]+: to=<grey@dest.example>" "${ADIR[$w]}/maillog" | head -n 1 | cut -d: -f1)" \
        "$(pf_queue_ids "${ADIR[$w]}")"
done
expect_eq "A-off's milter (dsn off) logged no bounce" "" \
    "$(grep -E 'annotated|dsn-unchanged' "$LOG_OFF")"

# ==== 2. DSNs from other servers by SMTP =========================================================

# p2_send MTA PORT FILE FROM NAME: FILE by SMTP to x@localhost, MAIL FROM:<FROM>; the queued
# message and the sample as check_dsn.py compares them: $W/NAME.orig, $W/NAME.queued. Sets QID.
p2_send() {
    local mta=$1 port=$2 file=$3 from=$4 name=$5
    QID=
    tool wire "$file" "$W/$name.wire"
    swaks_replies "$port" --from "$from" --to x@localhost -ndf --data "@$W/$name.wire" >/dev/null
    if [ "$mta" = postfix ]; then
        QID=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$/\1/p')
    else
        QID=$(sw_reply_to '\.$' | sed -nE 's/^250 2\.0\.0 ([0-9A-Za-z]+) Message accepted for delivery$/\1/p')
    fi
    if [ -z "$QID" ]; then
        fail "$name: not queued:"
        _e2e_show "$(sw_reply_to '\.$')" 10
        return 1
    fi
    p2_view "$mta" "$file" "$QID" "$name"
}

# p2_view MTA FILE QID NAME: the queued message QID and FILE as check_dsn.py compares them.
p2_view() {
    local mta=$1 file=$2 QID=$3 name=$4 probs
    if [ "$mta" = postfix ]; then
        pf_queue_message "$P" "$QID" >"$W/$name.q"
    else
        sm_queue_message "$S" "$QID" >"$W/$name.q"
    fi
    probs=$(tool mta-view "$mta" "$file" "$W/$name.q" "$W/$name.orig" "$W/$name.queued")
    [ -z "$probs" ] && return 0
    fail "$name: $probs"
    return 1
}

# The failed and delayed recipients of a sample, from MANIFEST.tsv, as the milter logs them.
manifest_rcpts() {
    awk -F'\t' -v f="$1" '$1 == f { print $4 }' "$MANIFEST" | tr ';' '\n' |
        sed -nE 's/^(.*)=(failed|delayed)\/(.*)$/rcpt=\1 action=\2 status=\3/p'
}
log_rcpts() { grep -oE 'rcpt=[^ ]+ action=[^ ]+ status=[^ ]+' <<<"$1"; }

# no_line LOG QID: the milter logged nothing about the message QID.
no_line() { grep -E "(annotated|dsn-unchanged) queue_id=$2( |\$)" "$1" | head -n 1; }

for mta in postfix sendmail; do
    if [ "$mta" = postfix ]; then port=$SP; else port=$SMP; fi
    section "2. $mta: every sample with MAIL FROM:<>"
    for f in "$SAMPLES"/*.eml; do
        b=$(basename "$f" .eml)
        kind=$(awk -F'\t' -v f="$b.eml" '$1 == f { print $3 }' "$MANIFEST")
        n="$mta-$b"
        p2_send "$mta" "$port" "$f" '<>' "$n" || continue
        if [ "$kind" = not-dsn ]; then
            expect_eq "$mta $b (not a DSN): queued byte for byte as sent" "" \
                "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
            expect_eq "$mta $b: no log line" "" "$(no_line "$LOG_ON" "$QID")"
        else
            expect_eq "$mta $b ($kind): check_dsn.py" "" "$(check_dsn "$W/$n.orig" "$W/$n.queued")"
            line=$(grep -E "annotated queue_id=$QID source=dsn " "$LOG_ON" | head -n 1)
            want=$(manifest_rcpts "$b.eml")
            expect_eq "$mta $b: logged with its queue id, MANIFEST's recipients, actions, statuses" \
                "recipients=$(printf '%s\n' "$want" | grep -c .)
$want" "$(grep -oE 'recipients=[0-9]+' <<<"$line")
$(log_rcpts "$line")"
        fi
    done

    section "2. $mta: what must pass untouched"
    for b in postfix-two-recipients yandex-8bit-two-recipients; do
        n="$mta-nonnull-$b"
        if p2_send "$mta" "$port" "$SAMPLES/$b.eml" "postmaster@example.net" "$n"; then
            expect_eq "$mta $b from a non-null sender: byte for byte" "" \
                "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
            expect_eq "$mta $b from a non-null sender: no log line" "" "$(no_line "$LOG_ON" "$QID")"
        fi
    done
    for b in rfc3464-multi-recipient-mixed sendmail-8bit-returned-message; do
        n="$mta-marked-$b"
        timeout 30 "$MA_BIN" -c "$E2E_TMP/on.conf" dsn "$SAMPLES/$b.eml" >"$W/$n.eml" 2>"$W/$n.err"
        expect_match "$mta $b: the milter's own output carries the mark" \
            "$(grep '^X-Annotated-By:' "$W/$n.eml")" '^X-Annotated-By: milter-annotate '
        if p2_send "$mta" "$port" "$W/$n.eml" '<>' "$n"; then
            expect_eq "$mta $b already annotated: byte for byte" "" \
                "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
            expect_eq "$mta $b already annotated: no log line" "" "$(no_line "$LOG_ON" "$QID")"
        fi
    done
    n="$mta-ordinary"
    mkmsg "$W/$n.eml" "test_dsn ordinary" "x@localhost"
    if p2_send "$mta" "$port" "$W/$n.eml" "a@example.org" "$n"; then
        expect_eq "$mta an ordinary message: byte for byte" "" "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
        expect_eq "$mta an ordinary message: no log line" "" "$(no_line "$LOG_ON" "$QID")"
    fi

    # An MTA's SMTP client reuses connections: four transactions in one session, a DSN, the
    # same DSN from a non-null sender, an ordinary message from <>, the DSN again.
    ex=$SAMPLES/exim.eml
    out=$(tool session "$port" x@localhost '<>' "$ex" postmaster@example.net "$ex" \
        '<>' "$W/$mta-ordinary.eml" '<>' "$ex" 2>&1)
    e2e_replycheck -t "smtplib session to 127.0.0.1:$port" "$out"
    mapfile -t ids < <(printf '%s\n' "$out" |
        sed -nE 's/^<-  250 2\.0\.0 (Ok: queued as ([0-9A-F]+)|([0-9A-Za-z]+) Message accepted for delivery)$/\2\3/p')
    if [ "${#ids[@]}" = 4 ]; then
        i=0
        for t in "dsn $ex" "nonnull $ex" "ordinary $W/$mta-ordinary.eml" "dsn-again $ex"; do
            read -r what file <<<"$t"
            n="$mta-session-$i-$what"
            if p2_view "$mta" "$file" "${ids[$i]}" "$n"; then
                case $what in
                dsn*)
                    expect_eq "$mta one session, message $((i + 1)) ($what): check_dsn.py" "" \
                        "$(check_dsn "$W/$n.orig" "$W/$n.queued")"
                    expect_match "$mta one session, message $((i + 1)) ($what): logged" \
                        "$(grep -E "annotated queue_id=${ids[$i]} " "$LOG_ON")" "recipients=1 " ;;
                *)
                    expect_eq "$mta one session, message $((i + 1)) ($what): byte for byte" "" \
                        "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
                    expect_eq "$mta one session, message $((i + 1)) ($what): no log line" "" \
                        "$(no_line "$LOG_ON" "${ids[$i]}")" ;;
                esac
            fi
            i=$((i + 1))
        done
    else
        fail "$mta one session: 4 messages not all queued:"
        _e2e_show "$out" 40
    fi
done

# ==== 3. dsn = "off" ===============================================================================

section "3. dsn = \"off\": Postfix P :$SP_OFF"
PLOG=$P/maillog
for b in postfix-two-recipients sendmail-delay-warning yandex-8bit-two-recipients zimbra-postfix-five-recipients; do
    n="off-$b"
    if p2_send postfix "$SP_OFF" "$SAMPLES/$b.eml" '<>' "$n"; then
        expect_eq "off: $b passes byte for byte" "" "$(check_dsn "$W/$n.orig" "$W/$n.queued" --same)"
    fi
done
expect_eq "off: the milter logged no bounce" "" "$(grep -E 'annotated|dsn-unchanged' "$LOG_OFF")"
# Postfix's verbose log of the negotiation (milter8_connect), for the milter on PORT.
negotiated() {
    awk -v m="milter inet:127.0.0.1:$1 version" '
        index($0, m) { split($0, a, /\[|\]/); pid = a[2]; n = 0; next }
        pid != "" && index($0, "[" pid "]: milter8_connect: ") && n < 2 {
            sub(/.*milter8_connect: /, ""); print; n++ }' "$PLOG" | sort -u
}
neg_off=$(negotiated "$MP_OFF")
neg_ar=$(negotiated "$MP_AR") # filled by part 4
expect_match "off: Postfix logged what the milter asked for" "$neg_off" '^requests '
expect_not_contains "off: no body change asked for (SMFIF_CHGBODY)" "$neg_off" "SMFIF_CHGBODY"
expect_not_contains "off: no header added (SMFIF_ADDHDRS)" "$neg_off" "SMFIF_ADDHDRS"
expect_match "off: and the body is not even sent to it (SMFIP_NOBODY)" "$neg_off" '^events .*SMFIP_NOBODY'

# ==== 4. dsn_language = "ar" =======================================================================

section "4. dsn_language = \"ar\": Postfix P :$SP_AR"
for b in rfc3464-multi-recipient-mixed postfix-two-recipients gmail-delayed; do
    n="ar-$b"
    if p2_send postfix "$SP_AR" "$SAMPLES/$b.eml" '<>' "$n"; then
        expect_eq "ar: $b: check_dsn.py --lang ar" "" "$(check_dsn "$W/$n.orig" "$W/$n.queued" --lang ar)"
        ours=$(TEXT=$(cat "$W/$n.queued") python3 -c '
import email, email.policy, os
m = email.message_from_string(os.environ["TEXT"], policy=email.policy.default)
for p in m.walk():
    if p.get_content_type() == "text/plain":
        print(p.get_content().split("----------", 1)[0]); break')
        expect_not_contains "ar: $b: no English label in the text part" "$ours" "Explanation:"
        expect_match "ar: $b: logged as annotated" "$(grep -E "annotated queue_id=$QID " "$LOG_AR")" "annotated"
    fi
done
neg_ar=$(negotiated "$MP_AR")
expect_match "ar (dsn on): Postfix's log shows SMFIF_CHGBODY asked for (the off check can see it)" \
    "$neg_ar" '^requests .*SMFIF_ADDHDRS.*SMFIF_CHGBODY'

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_dsn took %.1f s\n", e - s }'
e2e_finish
