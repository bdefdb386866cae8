#!/usr/bin/env bash
# test_html.sh - `export html`: the static help site, its files, links and structure, and what
# a reader sees in headless Chromium.
#
#   tests/e2e/test_html.sh        (build first with make; the browser part needs the Debian
#                                  packages chromium, chromium-driver, curl, jq and tidy,
#                                  which `make deps` installs)
#
# - the file names (README "export html"): DIR/index.html, DIR/style.css, DIR/LANG/index.html,
#   LANG/code/550.html and code/x.7.1.html for every code of the table, LANG/cause/NAME.html
#   for every cause, LANG/compare/A-vs-B.html; per language, pages = entries + causes +
#   comparisons (+ the index); the comparisons are every pair of one group (basic codes by
#   their first two digits, enhanced codes by subject), 4yz/5yz twins and every pair a seed
#   page in ../shared/seeds compares, computed here from conf/codes.conf on their own
# - every href and src of every page resolves to a file of the site; no URL leaves the site
#   but the canonical link; every page: <!DOCTYPE html>, <html lang dir> right for its folder
#   (rtl for ar), charset, viewport, a title, one h1, one <main id="main">, a <nav>, no
#   <script>; tidy finds no error or warning
# - --base-url: a canonical link on every page and sitemap.txt with one absolute URL per page;
#   without it, neither; --lang ar,en exports those only; bad --lang and --base-url are refused
# - a table (-T) whose texts hold <, >, &, " and ': escaped everywhere, nothing injected
# - Chromium (WebDriver over curl), phone 390x844 and desktop 1280x900: a code page (550) and
#   a comparison page (211 vs 334, a seed's pair) in English and in Arabic; title, visible
#   headings in the page's language (the comparison's as the seed page has them), body
#   direction rtl/ltr, the table's English text left to right inside the Arabic page, the
#   stylesheet applied, no horizontal scrolling on the phone; screenshots in
#   build/screenshots/html-*.png
# Prints "N passed, N failed"; exits 1 if any check failed.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
# shellcheck source=webdriver.sh
. "$E2E_DIR/webdriver.sh"
e2e_init html
START=$(date +%s.%N)
SHARED=$REPO_TOP/../shared
CODES=$REPO_TOP/conf/codes.conf
SHOTS=$REPO_TOP/build/screenshots
BASE_CONF=$E2E_TMP/base.conf
echo '# test_html.sh: defaults only' >"$BASE_CONF"
ma() { "$MA_BIN" -c "$BASE_CONF" "$@"; }

run() {
    "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
    RC=$?
    OUT=$(cat "$E2E_TMP/out")
    ERR=$(cat "$E2E_TMP/err")
}

declare -A SITE_NAME=([en]="SMTP reply codes" [ar]="رموز ردود SMTP" [ru]="Коды ответов SMTP"
    [zh]="SMTP 回复代码")

# The table's codes (in table order) and causes, read from conf/codes.conf directly.
table_codes() { awk '/^causes = \(/ { exit } /^ *code = "/ { split($0, a, "\""); print a[2] }' "$1"; }
table_causes() { awk '/^causes = \(/ { on = 1 } on && /^ *name = "/ { split($0, a, "\""); print a[2] }' "$1"; }

# The pairs of the seed pages ("SMTP 211 System Status vs 334 Server Challenge").
seed_pairs() {
    local f
    for f in "$SHARED"/seeds/*; do
        [ -f "$f" ] || continue
        grep -m1 -E '^SMTP [0-9]{3} .+ vs [0-9]{3} ' "$f" | sed -E 's/^SMTP ([0-9]{3}) .* vs ([0-9]{3}) .*/\1 \2/'
    done
}

# The comparison pages the table calls for, one "a-vs-b" a line, a first in the table.
expected_pairs() {
    awk -v seeds="$(seed_pairs | tr '\n' ',')" '
        function group(c, p) { if (c ~ /^X/) { split(c, p, "."); return "X" p[2] } return substr(c, 1, 2) }
        function twin(a, b) {
            return a !~ /^X/ && b !~ /^X/ && substr(a, 2) == substr(b, 2) &&
                ((substr(a, 1, 1) == "4" && substr(b, 1, 1) == "5") ||
                 (substr(a, 1, 1) == "5" && substr(b, 1, 1) == "4"))
        }
        BEGIN { n = split(seeds, s, ","); for (i = 1; i <= n; i++) if (s[i] != "") {
            split(s[i], p, " "); seed[p[1] " " p[2]] = 1; seed[p[2] " " p[1]] = 1 } }
        { code[NR] = $0 }
        END {
            for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) {
                a = code[i]; b = code[j]
                if (group(a) == group(b) || twin(a, b) || ((a " " b) in seed))
                    print tolower(a) "-vs-" tolower(b)
            }
        }'
}

# Every internal link of the site's pages, resolved: "page<TAB>target" when the target is not
# a file of the site, "EXTERNAL page<TAB>url" for a URL outside it (canonical links excepted).
bad_links() {
    local site=$1
    find "$site" -name '*.html' -print0 | xargs -0 awk '
        function resolve(dir, rel,    parts, out, n, i, k, path) {
            n = split(dir "/" rel, parts, "/"); k = 0
            for (i = 1; i <= n; i++) {
                if (parts[i] == "" && i > 1 || parts[i] == ".") continue
                if (parts[i] == "..") { if (k > 0) k--; continue }
                out[++k] = parts[i]
            }
            path = out[1]; for (i = 2; i <= k; i++) path = path "/" out[i]
            return path
        }
        {
            line = $0
            while (match(line, /(href|src)="[^"]*"/)) {
                v = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
                sub(/^(href|src)="/, "", v); sub(/"$/, "", v)
                if (v ~ /^[a-zA-Z][a-zA-Z0-9+.-]*:/ || v ~ /^\/\//) {
                    if ($0 !~ /<link rel="canonical"/) print "EXTERNAL " FILENAME "\t" v
                    continue
                }
                sub(/#.*/, "", v)
                if (v == "") continue
                dir = FILENAME; sub(/\/[^\/]*$/, "", dir)
                print FILENAME "\t" resolve(dir, v)
            }
        }' | sort -u >"$E2E_TMP/links"
    find "$site" -type f | sort >"$E2E_TMP/files"
    grep '^EXTERNAL ' "$E2E_TMP/links"
    grep -v '^EXTERNAL ' "$E2E_TMP/links" | sort -t "$(printf '\t')" -k2,2 |
        awk -F'\t' 'NR == FNR { f[$0] = 1; next } !($2 in f)' "$E2E_TMP/files" -
}

# One line per page that breaks a structure rule.
bad_structure() {
    local site=$1
    find "$site" -name '*.html' -print0 | xargs -0 awk -v site="$site" '
        function want_html(f,    rest, l) {
            rest = substr(f, length(site) + 2)
            l = rest ~ /^(en|ar|ru|zh)\// ? substr(rest, 1, 2) : "en"
            return "<html lang=\"" l "\" dir=\"" (l == "ar" ? "rtl" : "ltr") "\">"
        }
        function check() {
            if (file == "") return
            if (!doctype) print file ": no <!DOCTYPE html> first"
            if (!htmltag) print file ": no " want_html(file)
            if (h1 != 1) print file ": " h1 " h1"
            if (mains != 1) print file ": " mains " <main id=\"main\">"
            if (navs < 1) print file ": no <nav>"
            if (!title) print file ": no <title>"
            if (!charset) print file ": no charset"
            if (!viewport) print file ": no viewport"
            if (scripts) print file ": a <script>"
        }
        FNR == 1 { check(); file = FILENAME; doctype = ($0 == "<!DOCTYPE html>")
                   htmltag = h1 = mains = navs = title = charset = viewport = scripts = 0 }
        { if (index($0, "<html ") == 1) htmltag = ($0 == want_html(FILENAME))
          h1 += gsub(/<h1[ >]/, "&"); mains += gsub(/<main id="main">/, "&"); navs += gsub(/<nav[ >]/, "&")
          if ($0 ~ /<title>[^<]+<\/title>/) title = 1
          if ($0 ~ /<meta charset="utf-8">/) charset = 1
          if ($0 ~ /<meta name="viewport" content="width=device-width/) viewport = 1
          if (tolower($0) ~ /<script/) scripts = 1 }
        END { check() }'
}

echo "== export html, every language"
SITE=$E2E_TMP/site
run ma export html "$SITE"
expect_eq "export html DIR: exit 0, nothing on stderr" "0 " "$RC $ERR"
mapfile -t codes < <(table_codes "$CODES")
mapfile -t causes < <(table_causes "$CODES")
expected_pairs < <(printf '%s\n' "${codes[@]}") | sort >"$E2E_TMP/pairs.expected"
npairs=$(grep -c . "$E2E_TMP/pairs.expected")
nseedpairs=$(seed_pairs | grep -c .)
check "the table has codes, causes and comparisons (${#codes[@]}, ${#causes[@]}, $npairs)" \
    "[ ${#codes[@]} -gt 100 ] && [ ${#causes[@]} -gt 0 ] && [ $npairs -gt 100 ]"
check "the seeds show pairs to compare ($nseedpairs)" "[ $nseedpairs -gt 0 ]"
per_lang=$(( ${#codes[@]} + ${#causes[@]} + npairs + 1 ))
expect_eq "export html: pages reported = 4 languages x (entries + causes + comparisons + index) + top" \
    "$SITE: $(( 4 * per_lang + 1 )) pages" "$OUT"
for f in index.html style.css; do check "DIR/$f" "[ -s '$SITE/$f' ]"; done
for l in en ar ru zh; do
    check "$l/index.html" "[ -s '$SITE/$l/index.html' ]"
    expect_eq "$l: code pages = entries" "${#codes[@]}" "$(find "$SITE/$l/code" -name '*.html' | wc -l)"
    expect_eq "$l: cause pages = causes" "${#causes[@]}" "$(find "$SITE/$l/cause" -name '*.html' | wc -l)"
    expect_eq "$l: comparison pages = comparisons" "$npairs" "$(find "$SITE/$l/compare" -name '*.html' | wc -l)"
    expect_eq "$l: all pages = entries + causes + comparisons + index" "$per_lang" \
        "$(find "$SITE/$l" -type f | wc -l)"
done
missing=""
for c in "${codes[@]}"; do
    f=$(printf '%s' "$c" | tr '[:upper:]' '[:lower:]')
    [ -s "$SITE/en/code/$f.html" ] || missing="$missing code/$f.html"
done
for c in "${causes[@]}"; do [ -s "$SITE/en/cause/$c.html" ] || missing="$missing cause/$c.html"; done
expect_eq "every code at code/CODE.html (lowercase), every cause at cause/NAME.html" "" "$missing"
expect_eq "comparison pages: exactly the expected pairs (same group, 4yz/5yz twins, seed pairs)" \
    "$(cat "$E2E_TMP/pairs.expected")" "$(find "$SITE/en/compare" -name '*.html' -printf '%f\n' | sed 's/\.html$//' | sort)"
seedmissing=""
while read -r a b; do
    [ -n "$a" ] || continue
    [ -s "$SITE/en/compare/$a-vs-$b.html" ] || [ -s "$SITE/en/compare/$b-vs-$a.html" ] ||
        seedmissing="$seedmissing $a-vs-$b"
done < <(seed_pairs)
expect_eq "every pair a seed page compares has its page" "" "$seedmissing"
check "550 vs 450 is compared as 450-vs-550 (table order)" "[ -s '$SITE/en/compare/450-vs-550.html' ]"

echo "== every annotated reply's Help link lands on its page"
# help_base_url alone: help_url defaults to "${help_base_url}/en/${page}". Replies: every line of
# the cause corpus (real replies of every kind) and one per code of the table.
HB_CONF=$E2E_TMP/help-base.conf
printf 'help_base_url = "file://%s";\n' "$SITE" >"$HB_CONF"
chmod 600 "$HB_CONF"
{
    cut -f3 "$REPO_TOP"/tests/corpus/causes-*.tsv | grep -E '^[45][0-9]{2}[ -]' | sed -E 's/\\n.*//; s/^([0-9]{3})-/\1 /' | head -n 400
    for c in "${codes[@]}"; do
        case $c in
        X.*) printf '550 5%s Text\n451 4%s Text\n' "${c#X}" "${c#X}" ;;
        [45]*) printf '%s Text\n' "$c" ;;
        esac
    done
} >"$E2E_TMP/help-replies"
"$MA_BIN" -c "$HB_CONF" annotate <"$E2E_TMP/help-replies" >"$E2E_TMP/help-out" 2>/dev/null
nlinks=$(grep -c ' Help: file://' "$E2E_TMP/help-out")
nreplies=$(grep -c . "$E2E_TMP/help-replies")
expect_eq "one Help line per reply" "$nreplies" "$nlinks"
nomatch=$(sed -nE 's/^[0-9]{3}[- ][0-9.]* ?Help: file:\/\/(.*)$/\1/p' "$E2E_TMP/help-out" | sort -u |
    while read -r f; do [ -s "$f" ] || echo "$f"; done)
expect_eq "every Help link names a page export html wrote" "" "$nomatch"
ncause=$(grep -c ' Help: file://.*/en/cause/' "$E2E_TMP/help-out")
check "links to cause pages where a cause was recognised ($ncause)" "[ $ncause -gt 100 ]"
relay=$("$MA_BIN" -c "$HB_CONF" annotate "554 5.7.1 <u@example.com>: Relay access denied" | sed -n 's/.*Help: //p')
expect_eq "Relay access denied links to the relay-denied page" "file://$SITE/en/cause/relay-denied.html" "$relay"
plain=$("$MA_BIN" -c "$HB_CONF" annotate "550 5.7.1 Message rejected" | sed -n 's/.*Help: //p')
expect_eq "a reply with no cause links to its code's page" "file://$SITE/en/code/x.7.1.html" "$plain"

echo "== links and structure"
expect_eq "every href/src resolves to a file of the site, no external URL" "" "$(bad_links "$SITE")"
expect_eq "every page: doctype, html lang/dir, charset, viewport, title, one h1, main, nav, no script" \
    "" "$(bad_structure "$SITE")"
if command -v tidy >/dev/null; then
    tidy_out=$(find "$SITE" -name '*.html' -print0 |
        xargs -0 tidy -q -e --warn-proprietary-attributes no --gnu-emacs yes 2>&1)
    expect_eq "tidy: no error or warning on any page (aria-current is ARIA 1.1, unknown to tidy 5.6)" "" \
        "$(printf '%s\n' "$tidy_out" | head -n 20)"
else
    fail "tidy is missing (Debian package tidy; make deps installs it)"
fi
expect_contains "ar page: the table's text marked English, left to right" \
    "$(cat "$SITE/ar/code/550.html")" '<p lang="en" dir="ltr">'
expect_contains "ar page: the language chooser marks the current page" \
    "$(cat "$SITE/ar/code/550.html")" 'hreflang="ar" lang="ar" dir="rtl" aria-current="page">العربية</a>'
expect_contains "ar page: headings translated" "$(cat "$SITE/ar/code/550.html")" '<h2 id="description">الوصف</h2>'
expect_contains "ru compare page: the seed's heading" "$(cat "$SITE/ru/compare/220-vs-334.html")" \
    '<h2 id="diff">Ключевые различия</h2>'
expect_contains "code page: its causes linked" "$(cat "$SITE/en/code/x.7.1.html")" 'href="../cause/'
expect_contains "cause page: its codes linked" "$(cat "$SITE/en/cause/${causes[0]}.html")" 'href="../code/'
expect_not_contains "no canonical link without --base-url" "$(cat "$SITE/en/code/550.html")" 'rel="canonical"'
check "no sitemap without --base-url" "[ ! -e '$SITE/sitemap.txt' ]"
leftover=$(find "$SITE" -name '*.tmp')
expect_eq "no temporary files left" "" "$leftover"

echo "== --base-url, --lang"
SITE2=$E2E_TMP/site2
run ma export html "$SITE2" --lang ar,en --base-url 'https://help.example.org/smtp/'
expect_eq "--lang ar,en --base-url: exit 0" 0 "$RC"
check "--lang ar,en: only ar and en" "[ -d '$SITE2/ar' ] && [ -d '$SITE2/en' ] && [ ! -e '$SITE2/ru' ] && [ ! -e '$SITE2/zh' ]"
expect_contains "canonical link: base URL, language, file name" "$(cat "$SITE2/ar/code/x.7.1.html")" \
    '<link rel="canonical" href="https://help.example.org/smtp/ar/code/x.7.1.html">'
expect_eq "sitemap.txt: one absolute URL per page" "$(find "$SITE2" -name '*.html' | sort | sed "s|^$SITE2/|https://help.example.org/smtp/|")" \
    "$(sort "$SITE2/sitemap.txt")"
expect_eq "--lang ar,en: links resolve, only the canonical leaves the site" "" "$(bad_links "$SITE2")"
expect_not_contains "--lang ar,en: no link to a language not exported" "$(cat "$SITE2"/index.html "$SITE2"/en/code/550.html)" 'ru/'
run ma export html "$E2E_TMP/site3" --lang en,xx
expect_eq "--lang en,xx: refused (exit 1, one line)" "1 1" "$RC $(printf '%s\n' "$ERR" | grep -c .)"
expect_contains "--lang en,xx: names it" "$ERR" "'xx'"
run ma export html "$E2E_TMP/site3" --base-url 'ftp://x'
expect_eq "--base-url ftp://x: refused" 1 "$RC"
run ma export html "$E2E_TMP/site3" --base-url 'https://x/"><script>'
expect_eq "--base-url with a quote: refused" 1 "$RC"
run ma export html
expect_eq "export html without DIR: usage, exit 2" 2 "$RC"
touch "$E2E_TMP/afile"
run ma export html "$E2E_TMP/afile"
expect_eq "export html onto a file: exit 1, one line" "1 1" "$RC $(printf '%s\n' "$ERR" | grep -c .)"

echo "== HTML escaping, from a table with <, >, &, \" and '"
EVIL=$E2E_TMP/evil.conf
cat >"$EVIL" <<'EOF'
codes = (
  { code = "550"; name = "Evil <b>&amp; \"Name\""; class = "5xx Permanent Negative";
    description = "<script>alert(\"x\")</script> & more."; when = "When a < b & c > d."; fix = "Fix 'it' \"now\"."; who = "sender"; },
  { code = "551"; name = "Other & Co"; class = "5xx Permanent Negative";
    description = "D <i>italic</i>."; when = "W."; fix = "F."; who = "sender"; },
  { code = "X.0.0"; name = "Other <Undefined>"; class = "X.0.XXX Other or Undefined Status";
    description = "D."; when = "W."; fix = "F."; who = "sender"; basic = [ "550" ]; },
  { code = "X.7.1"; name = "Policy \"Refused\""; class = "X.7.XXX Security or Policy Status";
    description = "D."; when = "W."; fix = "F."; who = "sender"; basic = [ "550", "5xx" ]; }
);
causes = (
  { name = "evil-cause"; title = "Evil <em>Cause</em> & \"Co\""; codes = [ "550", "5xx" ];
    patterns = [ "evil (?<zone>[a-z.]+)" ];
    explanation = "Listed on ${zone:-<the list> & co}."; when = "W <x>."; fix = "F & 'G'."; who = "sender"; }
);
EOF
chmod 600 "$EVIL"
SITE4=$E2E_TMP/site4
run "$MA_BIN" -c "$BASE_CONF" -T "$EVIL" export html "$SITE4" --lang en,ar --base-url 'https://example.org/a&b'
expect_eq "-T evil.conf export: exit 0" "0 " "$RC $ERR"
expect_eq "-T evil.conf: 2 x (4 codes + 1 cause + 1 comparison + index) + top" "$SITE4: 15 pages" "$OUT"
all=$(cat "$SITE4"/*.html "$SITE4"/*/*.html "$SITE4"/*/*/*.html)
expect_not_contains "no <script> from the table" "$all" "<script"
expect_not_contains "no <b> from the table" "$all" "<b>"
expect_not_contains "no <em> from the table" "$all" "<em>"
expect_not_contains "no <i> from the table" "$all" "<i>"
p550=$(cat "$SITE4/en/code/550.html")
expect_contains "name escaped (h1)" "$p550" 'Evil &lt;b&gt;&amp;amp; &quot;Name&quot;</span></h1>'
expect_contains "name escaped (title)" "$p550" '<title>550 Evil &lt;b&gt;&amp;amp; &quot;Name&quot; – SMTP reply codes</title>'
expect_contains "description escaped" "$p550" '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more.'
expect_contains "when escaped" "$p550" 'When a &lt; b &amp; c &gt; d.'
expect_contains "fix escaped" "$p550" 'Fix &#39;it&#39; &quot;now&quot;.'
expect_contains "base URL escaped in the canonical link" "$p550" 'href="https://example.org/a&amp;b/en/code/550.html"'
pcause=$(cat "$SITE4/ar/cause/evil-cause.html")
expect_contains "cause title escaped" "$pcause" 'Evil &lt;em&gt;Cause&lt;/em&gt; &amp; &quot;Co&quot;</span></h1>'
expect_contains "cause placeholder: its default, escaped" "$pcause" 'Listed on &lt;the list&gt; &amp; co.'
expect_contains "cause: 5xx listed as a class" "$pcause" '<span class="code">5xx</span>'
expect_contains "comparison of the escaped names" "$(cat "$SITE4/en/compare/550-vs-551.html")" \
    'SMTP 550 Evil &lt;b&gt;&amp;amp; &quot;Name&quot; vs 551 Other &amp; Co'
expect_eq "-T evil.conf: links resolve" "" "$(bad_links "$SITE4")"
expect_eq "-T evil.conf: structure" "" "$(bad_structure "$SITE4")"
if command -v tidy >/dev/null; then
    expect_eq "-T evil.conf: tidy finds nothing" "" \
        "$(find "$SITE4" -name '*.html' -print0 | xargs -0 tidy -q -e --warn-proprietary-attributes no 2>&1 | head)"
fi

echo "== what a reader sees, in headless Chromium"
# The page's title, visible h1-h3 (tag:text), body direction, the first table paragraph's
# direction, the stylesheet's max-width on <main>, and whether the page scrolls sideways.
# shellcheck disable=SC2016
JS='
const vis = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
const hs = [...document.querySelectorAll("main h1, main h2, main h3")].filter(vis)
    .map(e => e.tagName.toLowerCase() + ":" + e.innerText.trim());
const p = document.querySelector("main p[lang=en]") || document.querySelector("main p");
return {
    title: document.title,
    lang: document.documentElement.lang,
    dir: getComputedStyle(document.body).direction,
    textDir: p ? getComputedStyle(p).direction : "",
    headings: hs,
    mainMaxWidth: getComputedStyle(document.querySelector("main")).maxWidth,
    sideways: document.documentElement.scrollWidth > window.innerWidth,
    width: window.innerWidth
};'
# heads JSON: the h2 and h3 that are not a code's own ("h2:211 System Status"), '|'-joined.
heads() { printf '%s' "$1" | jq -r '[.headings[] | select(test("^h1:|^h[23]:[0-9X]") | not) | sub("^h[0-9]:"; "")] | join("|")'; }
field() { printf '%s' "$1" | jq -r ".$2"; }

seed_headings() { # TITLE LANGHEAD: the headings of the seed with that title and language
    local f
    for f in "$SHARED"/seeds/*; do
        if ! grep -qxF "$1" "$f" || ! grep -qxF "$2" "$f"; then continue; fi
        grep -xE 'Description|When you see it|How to fix|Key differences|When to use which|Learn more|الوصف|متى تراه|كيفية الإصلاح|الفروق الرئيسية|متى تستخدم أيًا منهما|اعرف المزيد' "$f" | tr '\n' '|'
        return 0
    done
}

mkdir -p "$SHOTS"
if ! wd_begin; then
    fail "headless Chromium: $WD_ERR"
else
    [ -z "$WD_RETRIES" ] || echo "   (chromedriver needed another try:$WD_RETRIES)"
    t550=$(ma explain 550 | head -n 1)
    cmp_title="SMTP 211 $(ma explain 211 | head -n 1 | cut -d' ' -f2-) vs 334 $(ma explain 334 | head -n 1 | cut -d' ' -f2-)"
    declare -A WANT_CODE=(
        [en]="Description|When you see it|How to fix|Who should act|Causes|Related codes|Comparisons"
        [ar]="الوصف|متى تراه|كيفية الإصلاح|من عليه التصرف|الأسباب|رموز ذات صلة|المقارنات")
    ar_seed=$(seed_headings "$cmp_title" "الوصف")
    check "a seed page compares 211 and 334 in Arabic" "[ -n \"\$ar_seed\" ]"
    declare -A WANT_CMP=(
        [en]="Description|When you see it|How to fix|Description|When you see it|How to fix|Key differences|When to use which|Learn more"
        [ar]="${ar_seed}اعرف المزيد")
    declare -A DIR=([en]=ltr [ar]=rtl)
    for size in 390x844 1280x900; do
        w=${size%x*} h=${size#*x}
        form=$([ "$w" -lt 600 ] && echo phone || echo desktop)
        wd_size "$w" "$h" || fail "window $size: $WD_ERR"
        for l in en ar; do
            for page in code/550 compare/211-vs-334; do
                name="html-$l-${page//\//-}-$form"
                if ! wd_open "file://$SITE/$l/$page.html" || ! r=$(wd_js "$JS"); then
                    fail "$name: $WD_ERR"
                    continue
                fi
                wd_shot "$SHOTS/$name.png" || fail "$name: screenshot: $WD_ERR"
                case $page in
                code/*) want_title="$t550 – ${SITE_NAME[$l]}"; want_heads="${t550}|${WANT_CODE[$l]}"
                        got_heads="$(printf '%s' "$r" | jq -r '.headings[0] | sub("^h1:"; "")')|$(heads "$r")" ;;
                *) want_title="$cmp_title – ${SITE_NAME[$l]}"; want_heads="${cmp_title}|${WANT_CMP[$l]}"
                   got_heads="$(printf '%s' "$r" | jq -r '.headings[0] | sub("^h1:"; "")')|$(heads "$r")" ;;
                esac
                expect_eq "$name: title" "$want_title" "$(field "$r" title)"
                expect_eq "$name: visible headings" "$want_heads" "$got_heads"
                expect_eq "$name: body direction, html lang" "${DIR[$l]} $l" "$(field "$r" dir) $(field "$r" lang)"
                expect_eq "$name: the table's English text runs left to right" ltr "$(field "$r" textDir)"
                expect_eq "$name: stylesheet applied (main max-width 50rem)" 800px "$(field "$r" mainMaxWidth)"
                expect_eq "$name: window ${w} px wide, no sideways scrolling" "$w false" \
                    "$(field "$r" width) $(field "$r" sideways)"
                check "$name: screenshot $SHOTS/$name.png" "[ -s '$SHOTS/$name.png' ]"
            done
        done
    done
    # The comparison's sides: the two codes' own headings, linked to their pages.
    r=$(wd_js 'return [...document.querySelectorAll("main h2 a")].map(a => a.innerText + " " + a.getAttribute("href"));')
    expect_eq "compare page: each side's heading links to its code page" \
        '["211 System Status ../code/211.html","334 Server Challenge ../code/334.html"]' "$r"
    wd_quit
fi

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_html took %.1f s\n", e - s }'
e2e_finish
