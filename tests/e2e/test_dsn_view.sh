#!/usr/bin/env bash
# test_dsn_view.sh - `milter-annotate dsn`: what a person sees of an annotated bounce, in a
# browser (the HTML part) and in a mail reader (the text part).
#
#   tests/e2e/test_dsn_view.sh    (build first with make; needs the Debian packages chromium,
#                                  chromium-driver, curl, jq, python3, neomutt and tmux)
#
# - for two real bounces, tests/dsn/samples/postfix-two-recipients.eml (2 failed) and
#   rfc3464-multi-recipient-mixed.eml (2 failed, 1 delayed), in English and in Arabic
#   (dsn_language in a -c file): `dsn --html FILE` exits 0, its first part is a
#   multipart/alternative of text/plain and text/html, the HTML part is the --html file, the
#   text lines are at most 78 characters
# - the HTML in headless Chromium (WebDriver over curl, webdriver.sh), phone 390x844 and
#   desktop 1280x900, read from the rendered DOM with JavaScript: the h1 is the opening
#   sentence(s) (the same as the text part's); one visible panel per failed or delayed
#   recipient of MANIFEST.tsv, in order, with its address (ltr), the badge and code of the
#   text part, the cause as an <h2> (the text part's title), a visible "who should act" box
#   (non-zero size, the text part's label and text, a background other than the panel's,
#   its bar on the side lines start from), Explanation and How to fix with the text part's
#   labels and texts, the server's reply in a <pre>; no horizontal scrolling, nothing
#   sticking out of the window; text contrast at least 4.5:1 (WCAG AA) everywhere; Arabic:
#   html lang=ar dir=rtl, body direction rtl, h1, who boxes and labels aligned right, while
#   addresses, cause headings, the table's English text and the reply run ltr (replies start
#   at the left, the English sentence's full stop stays at its right end); English: all of
#   it aligned left
# - dark mode (prefers-color-scheme: dark through CDP Emulation.setEmulatedMedia, or the
#   --force-dark-mode flag if chromedriver has no CDP endpoint): the <style> applies (dark
#   page, lighter panels, who box different from its panel), contrast still >= 4.5:1
# - no network: chromedriver and Chromium run in their own network namespace (unshare -n,
#   loopback only; if that is not allowed, a dead proxy and a resolver that finds nothing);
#   the page loads completely; no image, no external stylesheet, script, font, frame or
#   CSS url(); Chromium's performance log shows no request but the page's own file
# - screenshots (whole page) in build/screenshots/dsn-*.png
# - what this suite found once and is now checked: long addresses (zimbra-postfix-five-
#   recipients, exchange2010-folded-final-recipient) stay inside a phone's window; the who
#   box's bar has its side's colour, not the text's; in dark mode failed and delayed badges
#   differ; in Arabic the cause heading sits on the page's side (right), its English ltr
# - the text part in neomutt (alternative_order text/plain) in a private tmux server: a
#   Maildir holding the annotated RFC 3464 bounce; the screen shows the three addresses,
#   "Explanation:", "Who should act:" and "How to fix:" once per recipient, and no HTML
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_VIEW_TIMEOUT: seconds neomutt
# has to show a screen (default 20); E2E_KEEP=1 keeps the temporary folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
# shellcheck source=webdriver.sh
. "$E2E_DIR/webdriver.sh"
e2e_init dsnview
START=$(date +%s.%N)
SAMPLES=$REPO_TOP/tests/dsn/samples
SHOTS=$REPO_TOP/build/screenshots
: "${E2E_VIEW_TIMEOUT:=20}" # seconds for neomutt to show a screen

declare -A SAMPLE=([postfix]=postfix-two-recipients [rfc3464]=rfc3464-multi-recipient-mixed)
declare -A DIR=([en]=ltr [ar]=rtl)
declare -A START_SIDE=([en]=left [ar]=right)
# What the reader must see whatever the translations say (the rest is compared with the text
# part, which dsntext.c writes independently of dsnhtml.c).
declare -A WANT_H1=(
    [postfix]="Your message could not be delivered to 2 recipients."
    [rfc3464]="Your message could not be delivered to 2 recipients. Your message has not yet been delivered to 1 recipient; the mail system keeps trying.")
# Cause headings that follow from the replies themselves (553 5.1.8 "Domain of sender
# address ... does not exist"; "550 user unknown").
declare -A WANT_TITLE=([postfix:0]="Sender Domain Invalid" [postfix:1]="Sender Domain Invalid"
    [rfc3464:2]="Unknown Recipient")

for l in en ar; do
    printf '# test_dsn_view.sh\ndsn_language = "%s";\n' "$l" >"$E2E_TMP/$l.conf"
done

# mime_parts EML: JSON {first, alt: [content types], text, html} of an annotated bounce, the
# parts decoded (Python's email package, not ours).
mime_parts() {
    python3 - "$1" <<'EOF'
import email, json, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
out = {"top": m.get_content_type(), "first": "", "alt": [], "text": "", "html": ""}
if m.is_multipart():
    first = m.get_payload()[0]
    out["first"] = first.get_content_type()
    if first.is_multipart():
        for p in first.get_payload():
            out["alt"].append(p.get_content_type())
            if p.get_content_type() == "text/plain" and not out["text"]:
                out["text"] = p.get_content()
            if p.get_content_type() == "text/html" and not out["html"]:
                out["html"] = p.get_content()
print(json.dumps(out, ensure_ascii=False))
EOF
}

# text_model TEXT (stdin): the text part as JSON {intro, rcpts: [{addr, badge, code, title,
# expl: [label, text], who: [...], fix: [...], reply}], long: [lines over 78 characters, the
# MTA's own notification, copied as it is, excepted]}.
# Layout (dsntext.c): opening sentences, a blank line, per recipient "ADDR: BADGE (CODE)",
# then "  Title", "  Label: text" items continued at 4 spaces, a blank line; "----------"
# before the original notification.
text_model() {
    python3 -c '
import json, re, sys
text = sys.stdin.read()
lines = text.split("\n")
own = lines[:lines.index("----------")] if "----------" in lines else lines
long = [l for l in own if len(l) > 78]
i = 0
intro = []
while i < len(lines) and lines[i].strip():
    intro.append(lines[i].strip()); i += 1
rcpts = []
block = []
def flush():
    if not block:
        return
    items = []
    for l in block:
        if l.startswith("    ") and items:
            items[-1].append(l.strip())
        else:
            items.append([l.strip()])
    m = re.match(r"^(.*?): (.*?)(?: \(([0-9.]+)\))?$", items[0][0])
    r = {"addr": m.group(1), "badge": m.group(2), "code": m.group(3) or "",
         "title": " ".join(items[1])}
    for k, it in zip(("expl", "who", "fix"), items[2:5]):
        lab, _, t = " ".join(it).partition(": ")
        r[k] = [lab, t]
    r["reply"] = " ".join(items[-1][1:]) if len(items) > 5 and len(items[-1]) > 1 else ""
    rcpts.append(r)
for l in lines[i:]:
    if l == "----------":
        break
    if l.strip():
        block.append(l)
    else:
        flush(); block = []
flush()
print(json.dumps({"intro": " ".join(intro), "rcpts": rcpts, "long": long}, ensure_ascii=False))'
}

# The recipients of a sample in MANIFEST.tsv: "addr action/status" a line, failed and
# delayed only.
manifest_rcpts() {
    awk -F'\t' -v f="$1.eml" '$1 == f { print $4 }' "$SAMPLES/MANIFEST.tsv" | tr ';' '\n' |
        sed -nE 's/^(.*)=(failed|delayed)\/(.*)$/\1 \2\/\3/p'
}

echo "== dsn --html on the samples, en and ar"
declare -A TEXTM=() HTMLF=()
for s in postfix rfc3464; do
    for l in en ar; do
        k=$s-$l
        eml=$E2E_TMP/$k.eml
        HTMLF[$k]=$E2E_TMP/$k.html
        "$MA_BIN" -c "$E2E_TMP/$l.conf" dsn --html "${HTMLF[$k]}" "$SAMPLES/${SAMPLE[$s]}.eml" \
            >"$eml" 2>"$E2E_TMP/$k.err"
        expect_eq "$k: dsn --html exits 0, nothing on stderr" "0 " "$? $(cat "$E2E_TMP/$k.err")"
        parts=$(mime_parts "$eml")
        expect_eq "$k: a report whose first part is multipart/alternative (text/plain, text/html)" \
            'multipart/report multipart/alternative text/plain,text/html' \
            "$(printf '%s' "$parts" | jq -r '"\(.top) \(.first) \(.alt | join(","))"')"
        expect_eq "$k: the --html file is the HTML part" "$(cat "${HTMLF[$k]}")" \
            "$(printf '%s' "$parts" | jq -r .html)"
        TEXTM[$k]=$(printf '%s' "$parts" | jq -r .text | text_model)
        expect_eq "$k: text lines <= 78 characters (up to the MTA's own notification)" "" \
            "$(printf '%s' "${TEXTM[$k]}" | jq -r '.long[]')"
        expect_eq "$k: the text part has one block per failed/delayed recipient of MANIFEST.tsv" \
            "$(manifest_rcpts "${SAMPLE[$s]}" | cut -d' ' -f1)" \
            "$(printf '%s' "${TEXTM[$k]}" | jq -r '.rcpts[].addr')"
    done
done
cp "$E2E_TMP/rfc3464-en.eml" "$E2E_TMP/mail.eml" # for neomutt

echo "== the HTML part in headless Chromium"
# A network namespace with nothing but loopback: chromedriver (and the Chromium it starts)
# run in it; curl reaches chromedriver by entering it.
NETNS=0
if unshare --net -- sh -c 'ip link set lo up' 2>/dev/null; then
    NETNS=1
    cat >"$E2E_TMP/chromedriver-netns" <<EOF
#!/bin/sh
exec unshare --net -- sh -c 'ip link set lo up && exec "\$0" "\$@"' '$WD_DRIVER' "\$@"
EOF
    chmod 755 "$E2E_TMP/chromedriver-netns"
    WD_DRIVER=$E2E_TMP/chromedriver-netns
    curl() {
        if [ -n "$WD_PID" ] && [ -e "/proc/$WD_PID/ns/net" ]; then
            nsenter --net="/proc/$WD_PID/ns/net" -- curl "$@"
        else
            command curl "$@"
        fi
    }
fi
# wd_session with the performance log (every request Chromium makes) and, without a network
# namespace, no way out: a dead proxy and a resolver that finds nothing. WD_EXTRA_ARGS: more
# Chromium flags. Defined after webdriver.sh, so wd_begin (and its retries) uses it.
WD_EXTRA_ARGS=()
wd_session() {
    local profile caps args extra
    profile=$(mktemp -d "$E2E_TMP/chromium-profile.XXXXXX")
    args=("${WD_EXTRA_ARGS[@]}")
    [ "$NETNS" = 1 ] || args+=(--proxy-server=http://127.0.0.1:9 '--proxy-bypass-list=<-loopback>'
        '--host-resolver-rules=MAP * ~NOTFOUND')
    extra=$(printf '%s\n' "${args[@]}" | jq -R . | jq -sc 'map(select(. != ""))')
    caps=$(jq -n --arg bin "$WD_CHROMIUM" --arg prof "$profile" --argjson extra "$extra" \
        '{capabilities: {alwaysMatch: {
        browserName: "chrome", "goog:loggingPrefs": {performance: "ALL"},
        "goog:chromeOptions": {binary: $bin, args: ([
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--force-device-scale-factor=1", ("--user-data-dir=" + $prof)] + $extra)}}}}')
    wd_call POST /session "$caps" || return 1
    WD_SID=$(printf '%s' "$WD_OUT" | jq -r '.value.sessionId // empty')
    [ -n "$WD_SID" ] || { WD_ERR="no session id in: ${WD_OUT:0:200}"; return 1; }
}
wd_cdp() { # CMD PARAMS_JSON: a Chrome DevTools command through chromedriver
    wd_call POST "/session/$WD_SID/goog/cdp/execute" \
        "$(jq -n --arg c "$1" --argjson p "$2" '{cmd: $c, params: $p}')"
}
# The URLs Chromium requested since the last call (reading the log empties it).
wd_requests() {
    wd_call POST "/session/$WD_SID/se/log" '{"type": "performance"}' || return 1
    printf '%s' "$WD_OUT" | jq -r '.value[].message | fromjson | .message |
        select(.method == "Network.requestWillBeSent") | .params.request.url'
}
# The whole page (not only the window) as a PNG, through CDP; the window only without it.
wd_page_shot() {
    local w h
    if wd_cdp Page.getLayoutMetrics '{}'; then
        w=$(printf '%s' "$WD_OUT" | jq '.value.cssContentSize.width | ceil')
        h=$(printf '%s' "$WD_OUT" | jq '.value.cssContentSize.height | ceil')
        if wd_cdp Page.captureScreenshot "$(jq -n --argjson w "$w" --argjson h "$h" \
            '{format: "png", captureBeyondViewport: true,
              clip: {x: 0, y: 0, width: $w, height: $h, scale: 1}}')"; then
            printf '%s' "$WD_OUT" | jq -r '.value.data' | base64 -d >"$1"
            return 0
        fi
    fi
    wd_shot "$1"
}

# What the reader sees, from the rendered page. side(e): which side of its content box the
# last line of e's text touches ("left"/"right") and the gap there (px). ltrStop(e): the
# final full stop of e's text is right of the character before it (null: no stop, or the
# two on different lines). contrast: WCAG contrast of every element holding text against
# the background behind it.
# shellcheck disable=SC2016
JS='
const cs = e => getComputedStyle(e);
const vis = e => { const r = e.getBoundingClientRect(), s = cs(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" &&
        parseFloat(s.opacity) > 0; };
const txt = e => e ? e.innerText.replace(/\s+/g, " ").trim() : null;
const num = c => (c.match(/[\d.]+/g) || []).map(Number);
const bgOf = e => { for (; e; e = e.parentElement) { const c = cs(e).backgroundColor, n = num(c);
    if (n.length < 4 || n[3] > 0) return c; } return "rgb(255, 255, 255)"; };
const lum = c => { const v = num(c).slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
const contrast = (a, b) => { const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
const side = e => {
    const r = document.createRange(); r.selectNodeContents(e);
    const rs = [...r.getClientRects()].filter(x => x.width > 0);
    if (!rs.length) return { side: "none", gap: -1 };
    const last = rs.reduce((a, b) => b.bottom > a.bottom ? b : a);
    const mid = (last.top + last.bottom) / 2;
    const line = rs.filter(x => x.top <= mid && x.bottom >= mid);
    const b = e.getBoundingClientRect(), s = cs(e);
    const gl = Math.min(...line.map(x => x.left)) - (b.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft));
    const gr = (b.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight)) - Math.max(...line.map(x => x.right));
    return gr < gl ? { side: "right", gap: Math.round(gr) } : { side: "left", gap: Math.round(gl) };
};
const charRect = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
    return r.getBoundingClientRect(); };
const ltrStop = e => {
    const t = [...e.childNodes].filter(n => n.nodeType === 3).pop();
    if (!t) return null;
    const s = t.data.replace(/\s+$/, ""), n = s.length;
    if (n < 2 || s[n - 1] !== ".") return null;
    const a = charRect(t, n - 2), b = charRect(t, n - 1);
    if (b.top >= a.bottom || a.top >= b.bottom) return null;
    return b.left >= a.left;
};
const field = p => p ? { label: txt(p.querySelector("strong")).replace(/:$/, ""),
    text: txt(p.querySelector("span")), dir: cs(p.querySelector("span")).direction,
    labelSide: side(p).side, stopRight: ltrStop(p.querySelector("span")) } : null;
let worst = { ratio: 99, where: "" };
for (const e of document.body.querySelectorAll("*")) {
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.data.trim()) || !vis(e)) continue;
    const r = contrast(cs(e).color, bgOf(e));
    if (r < worst.ratio) worst = { ratio: Math.round(r * 100) / 100,
        where: e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " \"" +
            txt(e).slice(0, 40) + "\" " + cs(e).color + " on " + bgOf(e) };
}
const outside = [...document.body.querySelectorAll("*")].filter(e => { const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5); })
    .map(e => e.tagName.toLowerCase() + " \"" + txt(e).slice(0, 40) + "\" " +
        Math.round(e.getBoundingClientRect().left) + ".." + Math.round(e.getBoundingClientRect().right));
const urlCss = [...document.querySelectorAll("*")].filter(e => ["backgroundImage", "listStyleImage",
    "borderImageSource", "content", "cursor"].some(p => /url\(/.test(cs(e)[p]))).length;
const h1 = document.querySelector("h1");
return {
    ready: document.readyState, lang: document.documentElement.lang,
    htmlDir: document.documentElement.dir, dir: cs(document.body).direction,
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    width: innerWidth, sideways: document.documentElement.scrollWidth > innerWidth,
    outside: outside.slice(0, 5),
    bodyBg: bgOf(document.querySelector(".page") || document.body), bodyColor: cs(document.body).color,
    h1: txt(h1), h1Visible: vis(h1), h1Side: side(h1),
    contrast: worst,
    panels: [...document.querySelectorAll(".panel")].map(p => {
        const a = p.querySelector("bdi"), h2 = p.querySelector("h2"), who = p.querySelector(".who"),
            pre = p.querySelector("pre"), ps = [...p.querySelectorAll(":scope > p")],
            fields = ps.filter(x => x.querySelector("strong") && x.querySelector("span[lang=en]")),
            wr = who.getBoundingClientRect();
        return {
            visible: vis(p), bg: bgOf(p),
            addr: txt(a), addrDir: cs(a).direction, addrVisible: vis(a),
            badge: txt(p.querySelector(".badge")), code: txt(p.querySelector("code")),
            title: txt(h2), titleVisible: vis(h2), titleDir: cs(h2.querySelector("bdi") || h2).direction, titleSide: side(h2),
            who: txt(who), whoVisible: vis(who), whoSize: Math.round(wr.width) + "x" + Math.round(wr.height),
            whoBg: bgOf(who), whoSide: side(who), whoColor: cs(who).color,
            whoBarColor: parseFloat(cs(who).borderLeftWidth) > 0 ? cs(who).borderLeftColor : cs(who).borderRightColor,
            badgeBg: bgOf(p.querySelector(".badge")),
            whoBar: parseFloat(cs(who).borderLeftWidth) > parseFloat(cs(who).borderRightWidth) ? "left" :
                parseFloat(cs(who).borderRightWidth) > parseFloat(cs(who).borderLeftWidth) ? "right" : "none",
            expl: field(fields[0]), fix: field(fields[1]),
            reply: txt(pre), replyDir: pre ? cs(pre).direction : null, replySide: pre ? side(pre).side : null
        };
    }),
    res: { images: document.images.length, scripts: document.scripts.length,
        sheets: [...document.styleSheets].map(s => s.href).filter(Boolean),
        embeds: document.querySelectorAll("link, iframe, frame, object, embed, video, audio, source, [src], [srcset], [background], base").length,
        fonts: document.fonts.size, cssUrls: urlCss,
        timing: performance.getEntriesByType("resource").map(e => e.name) }
};'

j() { printf '%s' "$R" | jq -r "$@"; }
# rel_lum "rgb(r, g, b)": relative luminance x 1000 (jq), to tell dark from light.
rel_lum() {
    jq -rn --arg c "$1" '[$c | scan("[0-9.]+") | tonumber][0:3] | map(. / 255 |
        if . <= 0.03928 then . / 12.92 else pow((. + 0.055) / 1.055; 2.4) end) |
        (0.2126 * .[0] + 0.7152 * .[1] + 0.0722 * .[2]) * 1000 | floor'
}

# view NAME SAMPLE LANG WIDTH: open the page, check what a reader sees, save a screenshot.
view() {
    local name=$1 s=$2 l=$3 w=$4 k=$2-$3 M reqs n i exp got want_side=${START_SIDE[$3]}
    M=${TEXTM[$k]}
    wd_requests >/dev/null # forget what came before
    if ! wd_open "file://${HTMLF[$k]}" || ! R=$(wd_js "$JS"); then
        fail "$name: $WD_ERR"
        return
    fi
    reqs=$(wd_requests) || reqs="(no performance log: $WD_ERR)"
    wd_page_shot "$SHOTS/$name.png" || fail "$name: screenshot: $WD_ERR"
    check "$name: screenshot $SHOTS/$name.png" "[ -s '$SHOTS/$name.png' ]"

    expect_eq "$name: loaded completely, html lang/dir, body direction" \
        "complete $l ${DIR[$l]} ${DIR[$l]}" "$(j '"\(.ready) \(.lang) \(.htmlDir) \(.dir)"')"
    expect_eq "$name: window $w px wide, no sideways scrolling, nothing sticks out" "$w false " \
        "$(j '"\(.width) \(.sideways) \(.outside | join("; "))"')"
    # The opening sentence(s).
    [ "$l" = en ] && expect_eq "$name: h1 says what happened" "${WANT_H1[$s]}" "$(j .h1)"
    expect_eq "$name: h1 visible, the text part's opening sentences" \
        "true $(printf '%s' "$M" | jq -r .intro)" "$(j '"\(.h1Visible) \(.h1)"')"
    [ "$l" = ar ] && expect_eq "$name: h1 in Arabic" true \
        "$(j '[.h1 | explode[] | select(. >= 1536 and . <= 1791)] | length > 10')"
    expect_eq "$name: h1 aligned $want_side" "$want_side" "$(j '.h1Side.side')"
    # One panel per failed or delayed recipient, in order.
    exp=$(manifest_rcpts "${SAMPLE[$s]}")
    n=$(printf '%s\n' "$exp" | grep -c .)
    expect_eq "$name: one visible panel per failed/delayed recipient ($n), its address ltr" \
        "$(printf '%s\n' "$exp" | awk '{ print "true " $1 " ltr true" }')" \
        "$(j '.panels[] | "\(.visible) \(.addr) \(.addrDir) \(.addrVisible)"')"
    expect_eq "$name: each panel's code is the recipient's Status (MANIFEST.tsv)" \
        "$(printf '%s\n' "$exp" | sed -E 's/^.* [a-z]+\///')" "$(j '.panels[].code')"
    expect_eq "$name: each panel's badge is the text part's (failed/delayed)" \
        "$(printf '%s' "$M" | jq -r '.rcpts[].badge')" "$(j '.panels[].badge')"
    for ((i = 0; i < n; i++)); do
        local p=".panels[$i]" t=".rcpts[$i]" who
        got=$(j "$p.addr")
        # The cause heading.
        expect_eq "$name: $got: the cause as a visible heading, ltr" \
            "true $(printf '%s' "$M" | jq -r "$t.title") ltr" \
            "$(j "\"\(${p}.titleVisible) \(${p}.title) \(${p}.titleDir)\"")"
        if [ "$l" = en ]; then
            expect_eq "$name: $got: the cause heading aligned left" left "$(j "$p.titleSide.side")"
        else
            expect_eq "$name: $got: the (English) cause heading on the page's side, right, its text ltr" \
                right "$(j "$p.titleSide.side")"
        fi
        [ "$l" = en ] && [ -n "${WANT_TITLE[$s:$i]:-}" ] &&
            expect_eq "$name: $got: cause heading" "${WANT_TITLE[$s:$i]}" "$(j "$p.title")"
        # Who should act.
        who=$(printf '%s' "$M" | jq -r "$t.who | \"\(.[0]): \(.[1])\"")
        [ "$l" = en ] && expect_match "$name: $got: the text part says who should act" "$who" \
            '^Who should act: [A-Z]'
        expect_eq "$name: $got: 'who should act' box visible with the text part's words" \
            "true $who" "$(j "\"\(${p}.whoVisible) \(${p}.who)\"")"
        check "$name: $got: 'who should act' box has a size ($(j "$p.whoSize"))" \
            "[[ \"\$(j '$p.whoSize')\" =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]]"
        check "$name: $got: 'who should act' background $(j "$p.whoBg") differs from the panel's $(j "$p.bg")" \
            "[ \"\$(j '$p.whoBg')\" != \"\$(j '$p.bg')\" ]"
        expect_eq "$name: $got: 'who should act' aligned $want_side, its bar on that side" \
            "$want_side $want_side" "$(j "\"\(${p}.whoSide.side) \(${p}.whoBar)\"")"
        [ "$s:$l:$w:$i" = rfc3464:en:390:0 ] && check "$name: $got: the bar has the box's accent colour, not its text colour ($(j "$p.whoBarColor"))" \
            "[ '$(j "$p.whoBarColor")' != '$(j "$p.whoColor")' ]"
        # Explanation and How to fix: the text part's labels and texts, English ltr.
        expect_eq "$name: $got: Explanation and How to fix, as in the text part" \
            "$(printf '%s' "$M" | jq -r "$t | \"\(.expl[0]): \(.expl[1])\", \"\(.fix[0]): \(.fix[1])\"")" \
            "$(j "$p | \"\(.expl.label): \(.expl.text)\", \"\(.fix.label): \(.fix.text)\"")"
        expect_eq "$name: $got: the labels aligned $want_side, the table's English runs ltr" \
            "$want_side ltr $want_side ltr" \
            "$(j "$p | \"\(.expl.labelSide) \(.expl.dir) \(.fix.labelSide) \(.fix.dir)\"")"
        expect_eq "$name: $got: the English sentence's full stop at its right end" \
            "true" "$(j "$p.expl.stopRight")"
        # The server's reply, when the report has one.
        exp=$(printf '%s' "$M" | jq -r "$t.reply")
        if [ -n "$exp" ]; then
            expect_eq "$name: $got: the server's reply in a <pre>, ltr, starting at the left" \
                "$exp ltr left" "$(j "\"\(${p}.reply) \(${p}.replyDir) \(${p}.replySide)\"")"
        else
            expect_eq "$name: $got: no reply in the report, no <pre>" null "$(j "$p.reply")"
        fi
    done
    # Readable: WCAG AA for all text.
    check "$name: text contrast >= 4.5:1 everywhere (worst $(j '.contrast.ratio'): $(j '.contrast.where'))" \
        "awk -v r=\"\$(j .contrast.ratio)\" 'BEGIN { exit !(r >= 4.5) }'"
    # Nothing from elsewhere, and nothing requested.
    expect_eq "$name: no image, script, external stylesheet, frame, font or CSS url()" \
        'images=0 scripts=0 sheets= embeds=0 fonts=0 cssUrls=0 timing=' \
        "$(j '.res | "images=\(.images) scripts=\(.scripts) sheets=\(.sheets | join(",")) embeds=\(.embeds) fonts=\(.fonts) cssUrls=\(.cssUrls) timing=\(.timing | join(","))"')"
    expect_eq "$name: Chromium requested nothing but the page itself" "file://${HTMLF[$k]}" "$reqs"
}

mkdir -p "$SHOTS"
rm -f "$SHOTS"/dsn-*.png
if ! wd_begin; then
    fail "headless Chromium: $WD_ERR"
else
    [ -z "$WD_RETRIES" ] || echo "   (chromedriver needed another try:$WD_RETRIES)"
    if [ "$NETNS" = 1 ]; then
        check "Chromium runs without a network (only loopback in its namespace)" \
            "[ \"\$(nsenter --net=/proc/$WD_PID/ns/net ip -o link | awk -F': ' '{ print \$2 }' | sort | tr '\n' ' ')\" = 'lo ' ]"
    else
        echo "   (no network namespace here: a dead proxy and a resolver that finds nothing instead)"
    fi
    for size in 390x844 1280x900; do
        w=${size%x*} h=${size#*x}
        form=$([ "$w" -lt 600 ] && echo phone || echo desktop)
        wd_size "$w" "$h" || fail "window $size: $WD_ERR"
        for s in postfix rfc3464; do
            for l in en ar; do view "dsn-$s-$l-$form" "$s" "$l" "$w"; done
        done
    done

    echo "== long addresses on a phone"
    # The longest Final-Recipients of the samples (45 and 58 characters).
    wd_size 390 844 || fail "window 390x844: $WD_ERR"
    for v in "zimbra zimbra-postfix-five-recipients en" "zimbra zimbra-postfix-five-recipients ar" \
        "exchange2010 exchange2010-folded-final-recipient en"; do
        read -r s f l <<<"$v"
        name="dsn-$s-$l-phone"
        "$MA_BIN" -c "$E2E_TMP/$l.conf" dsn --html "$E2E_TMP/$s-$l.html" "$SAMPLES/$f.eml" \
            >/dev/null 2>"$E2E_TMP/$s-$l.err"
        expect_eq "$name: dsn --html exits 0, nothing on stderr" "0 " "$? $(cat "$E2E_TMP/$s-$l.err")"
        if ! wd_open "file://$E2E_TMP/$s-$l.html" || ! R=$(wd_js "$JS"); then
            fail "$name: $WD_ERR"
            continue
        fi
        wd_page_shot "$SHOTS/$name.png" || fail "$name: screenshot: $WD_ERR"
        expect_eq "$name: one visible panel per failed recipient, its address" \
            "$(manifest_rcpts "$f" | awk '{ print "true " $1 }')" "$(j '.panels[] | "\(.visible) \(.addr)"')"
        got=$(j '"\(.width) \(.sideways) \(.outside | length)"')
        check "$name: no sideways scrolling, nothing sticks out ($(j '.outside | join("; ")'))" \
            "[ '$got' = '390 false 0' ]"
    done

    echo "== dark mode (prefers-color-scheme: dark)"
    DARK=cdp
    if ! wd_cdp Emulation.setEmulatedMedia '{"features": [{"name": "prefers-color-scheme", "value": "dark"}]}'; then
        echo "   (no CDP through chromedriver ($WD_ERR): a new session with --force-dark-mode)"
        DARK=flag
        wd_quit
        _wd_cleanup
        WD_PID="" WD_SID=""
        WD_EXTRA_ARGS=(--force-dark-mode)
        wd_begin || fail "headless Chromium with --force-dark-mode: $WD_ERR"
    fi
    if [ -n "$WD_SID" ]; then
        for v in "rfc3464 en 390x844" "rfc3464 ar 1280x900"; do
            read -r s l size <<<"$v"
            w=${size%x*} h=${size#*x}
            form=$([ "$w" -lt 600 ] && echo phone || echo desktop)
            wd_size "$w" "$h" || fail "window $size: $WD_ERR"
            name="dsn-$s-$l-$form-dark"
            view "$name" "$s" "$l" "$w"
            expect_eq "$name: prefers-color-scheme: dark matches ($DARK)" true "$(j .dark)"
            bl=$(rel_lum "$(j .bodyBg)")
            check "$name: dark page ($(j .bodyBg), luminance $bl/1000), light text ($(j .bodyColor))" \
                "[ $bl -lt 50 ] && [ $(rel_lum "$(j .bodyColor)") -gt 500 ]"
            check "$name: panels ($(j '.panels[0].bg')) dark too, but set off from the page" \
                "[ $(rel_lum "$(j '.panels[0].bg')") -lt 100 ] && [ \"\$(j '.panels[0].bg')\" != \"\$(j .bodyBg)\" ]"
            a=$(j '.panels[0].badgeBg') b=$(j '.panels[1].badgeBg')
            check "$name: failed and delayed badges told apart by colour ($a, $b)" "[ '$a' != '$b' ]"
            a=$(j '.panels[0].whoBarColor') b=$(j '.panels[0].whoColor')
            check "$name: the 'who should act' bar keeps its side's colour ($a), not the text's ($b)" \
                "[ '$a' != '$b' ]"
        done
    fi
    wd_quit
fi

echo "== the text part in neomutt"
TMUX_SOCK=$E2E_TMP/tmux.sock
_tmux_cleanup() { [ -S "$TMUX_SOCK" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; return 0; }
E2E_CLEANUP_HOOKS+=(_tmux_cleanup)
# wait_screen ERE: poll the pane until it matches (bounded); SCREEN is the last capture.
wait_screen() {
    local i
    for ((i = 0; i < E2E_VIEW_TIMEOUT * 10; i++)); do
        SCREEN=$(tmux -S "$TMUX_SOCK" capture-pane -p -J -t view 2>/dev/null)
        printf '%s\n' "$SCREEN" | grep -qE -e "$1" && return 0
        sleep 0.1
    done
    return 1
}
# wait_stable: until two captures 0.2 s apart are the same (bounded); SCREEN is the last.
wait_stable() {
    local i prev=
    for ((i = 0; i < E2E_VIEW_TIMEOUT * 5; i++)); do
        SCREEN=$(tmux -S "$TMUX_SOCK" capture-pane -p -J -t view 2>/dev/null)
        [ "$SCREEN" = "$prev" ] && return 0
        prev=$SCREEN
        sleep 0.2
    done
    return 1
}
if ! command -v neomutt >/dev/null || ! command -v tmux >/dev/null; then
    fail "neomutt or tmux is missing (Debian packages neomutt and tmux)"
else
    MAILDIR=$E2E_TMP/Mail/inbox
    mkdir -p "$MAILDIR"/cur "$MAILDIR"/new "$MAILDIR"/tmp
    cp "$E2E_TMP/mail.eml" "$MAILDIR/new/1700000000.1.dsnview"
    cat >"$E2E_TMP/muttrc" <<EOF
set folder="$E2E_TMP/Mail"
set spoolfile="$MAILDIR"
set mbox_type=Maildir
alternative_order text/plain
set header_cache=""
set message_cachedir=""
set mailcap_path=/dev/null
set crypt_use_gpgme=no
set charset=utf-8
unset wait_key
unset mark_old
set pager_stop
set pager_index_lines=0
ignore *
unignore from: to: subject: date:
EOF
    M=${TEXTM[rfc3464-en]}
    tmux -f /dev/null -S "$TMUX_SOCK" new-session -d -s view -x 100 -y 70 \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen neomutt -n -F '$E2E_TMP/muttrc'"
    if ! wait_screen 'Undelivered Mail Returned to Sender|Returned mail'; then
        fail "neomutt: the index shows no message within ${E2E_VIEW_TIMEOUT}s"
        _e2e_show "$SCREEN"
    else
        pass "neomutt: the Maildir's bounce is in the index"
        tmux -S "$TMUX_SOCK" send-keys -t view Enter
        if ! wait_screen 'How to fix:'; then
            fail "neomutt: the message shows no 'How to fix:' within ${E2E_VIEW_TIMEOUT}s"
            _e2e_show "$SCREEN" 70
        else
            wait_stable # the rest of the screen
            printf '%s\n' "$SCREEN" >"$E2E_TMP/neomutt-screen.txt"
            for a in $(printf '%s' "$M" | jq -r '.rcpts[].addr'); do
                expect_match "neomutt: shows $a and its status" "$SCREEN" \
                    "^$a: (Not delivered|Delayed) \([45]\.[0-9]+\.[0-9]+\)$"
            done
            for lab in "Explanation:" "Who should act:" "How to fix:"; do
                expect_eq "neomutt: '$lab' once per recipient" 3 \
                    "$(printf '%s\n' "$SCREEN" | grep -c "^  $lab [A-Z]")"
            done
            expect_contains "neomutt: the opening sentence" "$SCREEN" \
                "Your message could not be delivered to 2 recipients."
            expect_contains "neomutt: who should act for the delayed recipient" "$SCREEN" \
                "  $(printf '%s' "$M" | jq -r '.rcpts[1].who | "\(.[0]): \(.[1])"')"
            expect_not_contains "neomutt: text/plain shown, not the HTML" "$SCREEN" "<div"
            expect_not_contains "neomutt: no complaint about the HTML part" "$SCREEN" "unsupported"
            expect_eq "neomutt: no screen line wrapped (text lines <= 78 columns)" "" \
                "$(printf '%s\n' "$SCREEN" | grep -E '^\+' | head -n 3)"
        fi
    fi
    tmux -S "$TMUX_SOCK" send-keys -t view q q 2>/dev/null
    _tmux_cleanup
fi

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_dsn_view took %.1f s\n", e - s }'
e2e_finish
