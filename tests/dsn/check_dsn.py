#!/usr/bin/env python3
"""check_dsn - check an annotated DSN with Python's email package, an
independent MIME parser.

usage: check_dsn.py ORIGINAL ANNOTATED [--lang en|ar|ru|zh] [--same]

With --same: ANNOTATED must be ORIGINAL byte for byte (not a DSN, or passed
unchanged). Otherwise ANNOTATED must be:
  - a valid multipart/report; report-type=delivery-status whose headers are
    the original's plus X-Annotated-By: milter-annotate VERSION;
  - every part after the first byte-for-byte identical to the original's
    (the message/delivery-status part and the returned message), and the
    bytes around the first part too;
  - a first part that is multipart/alternative (or multipart/mixed holding
    one, then the original part) with text/plain; charset=utf-8, lines of
    ours at most 78 characters, and text/html;
  - for each failed or delayed recipient of the delivery-status part: a
    block in the text part that begins with its address and holds
    "Explanation:", "Who should act:" and "How to fix:" (English), and a
    panel in the HTML part with its address.
Prints one line per failed check and exits 1 if any failed.
"""
import email
import email.policy
import re
import sys

LABELS = {
    "en": ("Explanation:", "Who should act:", "How to fix:"),
    "ar": ("الشرح:", "من عليه التصرف:", "كيفية الإصلاح:"),
    "ru": ("Объяснение:", "Кто должен действовать:", "Как исправить:"),
    "zh": ("说明:", "应由谁处理:", "如何修复:"),
}
fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL " + msg)


def split_top(raw):
    """Header block, body, and the top-level parts' byte spans."""
    m = re.search(rb"\r?\n\r?\n", raw)
    head, body = raw[:m.start()], raw[m.end():]
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    b = msg.get_boundary()
    delim = re.compile(rb"(?m)^--" + re.escape(b.encode()) + rb"(--)?[ \t]*\r?$")
    spans = [(d.start(), d.end(), d.group(1) is not None)
             for d in delim.finditer(body)]
    return head, body, spans


def parts_bytes(body, spans):
    out = []
    for i, (s, e, closing) in enumerate(spans):
        if closing:
            break
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(body)
        out.append(body[e:nxt])
    return out


def recipients(msg):
    rcpts = []
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status",
                                       "message/global-delivery-status"):
            payload = part.get_payload()
            groups = payload if isinstance(payload, list) else []
            for g in groups[1:]:
                action = (g.get("Action") or "").strip().lower()
                if action.startswith("failed") or action.startswith("delayed"):
                    fr = " ".join((g.get("Final-Recipient") or "").split())
                    rcpts.append(fr.split(";", 1)[-1].strip())
    return rcpts


def main():
    args = sys.argv[1:]
    lang = "en"
    if "--lang" in args:
        i = args.index("--lang")
        lang = args[i + 1]
        del args[i:i + 2]
    same = "--same" in args
    args = [a for a in args if a != "--same"]
    orig = open(args[0], "rb").read()
    new = open(args[1], "rb").read()
    if same:
        if orig != new:
            fail("%s: changed, expected byte for byte the same" % args[1])
        return 1 if fails else 0
    msg = email.message_from_bytes(new, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report" or \
            msg.get_param("report-type", "").lower() != "delivery-status":
        fail("not a multipart/report; report-type=delivery-status")
        return 1
    if not str(msg.get("X-Annotated-By", "")).startswith("milter-annotate "):
        fail("no X-Annotated-By: milter-annotate VERSION")
    omsg = email.message_from_bytes(orig, policy=email.policy.default)
    odef = {type(d).__name__ for d in omsg.defects}
    ndef = {type(d).__name__ for d in msg.defects}
    if ndef - odef:
        fail("defects the original did not have: %s" % sorted(ndef - odef))
    ohead, obody, ospans = split_top(orig)
    nhead, nbody, nspans = split_top(new)
    ohs = re.split(rb"\r?\n(?![ \t])", ohead)
    nhs = re.split(rb"\r?\n(?![ \t])", nhead)
    extra = [h for h in nhs if h not in ohs]
    if [h for h in ohs if h not in nhs] or len(extra) != 1 or \
            not extra[0].startswith(b"X-Annotated-By: "):
        fail("headers are not the original's plus X-Annotated-By")
    op, np_ = parts_bytes(obody, ospans), parts_bytes(nbody, nspans)
    if len(op) != len(np_):
        fail("%d parts, the original had %d" % (len(np_), len(op)))
    elif op[1:] != np_[1:]:
        fail("a part after the first is not byte for byte the original's")
    if obody[:ospans[0][0]] != nbody[:nspans[0][0]]:
        fail("the preamble changed")
    if obody[ospans[-1][1]:] != nbody[nspans[-1][1]:]:
        fail("what follows the last delimiter changed")
    first = msg.get_payload()[0]
    alt = first
    if first.get_content_type() == "multipart/mixed":
        alt = first.get_payload()[0]
    if alt.get_content_type() != "multipart/alternative":
        fail("first part is %s" % first.get_content_type())
        return 1
    kinds = [p.get_content_type() for p in alt.get_payload()]
    if kinds != ["text/plain", "text/html"]:
        fail("alternatives are %s" % kinds)
        return 1
    tp, hp = alt.get_payload()
    if (tp.get_content_charset() or "") != "utf-8":
        fail("text/plain charset is %s" % tp.get_content_charset())
    text = tp.get_content().replace("\r\n", "\n")
    html = hp.get_content()
    ours = text.split("----------\n", 1)[0]
    for line in ours.split("\n"):
        if len(line) > 78:
            fail("a line of %d characters: %r" % (len(line), line))
    blocks = re.split(r"\n\n", ours)
    for r in recipients(msg):
        blk = [b for b in blocks if b.startswith(r + ":")]
        if not blk:
            fail("no block for recipient %s" % r)
            continue
        flat = re.sub(r"\n +", " ", blk[0])
        for lbl in LABELS[lang]:
            if lbl not in flat:
                fail("recipient %s: no %r" % (r, lbl))
        if r not in html:
            fail("recipient %s not in the HTML part" % r)
    if "<script" in html.lower() or re.search(r"(src|href)=\"(https?:)?//(?!help\.)", html):
        fail("the HTML part has a script or a remote resource")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
