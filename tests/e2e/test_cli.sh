#!/usr/bin/env bash
# test_cli.sh - the command line of build/milter-annotate: explain, compare, annotate, -n.
#
#   tests/e2e/test_cli.sh            (no MTA, no root needed; build first with make)
#
# - explain 550 5.1.1 4.1.1 X.1.1: one block per code, each with the sections "Description",
#   "When you see it", "How to fix" (in that order, each with text)
# - explain of a code in no table (571) and of junk: exit 2, one line on stderr per bad code,
#   the other codes still printed
# - explain of every code in ../shared/reference/smtp-codes.tsv (basic codes and the X.s.d
#   registry codes) succeeds (the file must exist)
# - compare A B --lang L for every seed in ../shared/seeds (A, B and the names from its title
#   line "SMTP 211 System Status vs 334 Server Challenge", L from its headings): the same title,
#   the same headings in the same order, the same class sentence ("... is a 2xx Positive
#   Completion response, while ..." / "Both ... belong to the ... category."), the same
#   "Key differences" items in the same order, the names in "For A (Name): ..."
# - annotate: stdin multi-line input, arguments, codes not in the table (571, 540, 4.7.32)
#   falling back while keeping the codes as sent, a non-reply argument (exit 2, the others
#   still printed), CR/LF/NUL/8-bit bytes; every output reply validated (same code on every
#   line, enhanced code of the same class, printable ASCII, <= 512 octets)
# - -n: a broken file prints FILE:LINE and exits 1; conf/milter-annotate.conf exits 0
# - build/tests/replycheck (the reply property check lib.sh applies to every captured reply)
#   fails each kind of bad reply with its reason, passes good ones, and its hook fails a suite
#   for a violation found in a subshell
# Prints "N passed, N failed"; exits 1 if any check failed.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init cli
START=$(date +%s.%N)
SHARED=$REPO_TOP/../shared
# The CLI reads /etc/milter-annotate.conf when it exists and no -c is given: use a known file.
BASE_CONF=$E2E_TMP/base.conf
echo '# test_cli.sh: defaults only' >"$BASE_CONF"
ma() { "$MA_BIN" -c "$BASE_CONF" "$@"; }

# run CMD...: stdout in OUT, stderr in ERR, exit status in RC.
run() {
    "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
    RC=$?
    OUT=$(cat "$E2E_TMP/out")
    ERR=$(cat "$E2E_TMP/err")
}

# The sections of one explain block, in order (block = lines from its header to the next).
# explain_block OUTPUT LABEL: the block whose first line starts with "LABEL ".
explain_block() {
    printf '%s\n' "$1" | awk -v l="$2" '
        prev_blank && /^[0-9X][0-9.]* [A-Z]/ { inb = (index($0, l " ") == 1) }
        NR == 1 { inb = (index($0, l " ") == 1) }
        inb { print }
        { prev_blank = ($0 == "") }'
}

# check_sections NAME BLOCK: headings Description, When you see it, How to fix, in that order,
# each followed by indented text.
check_sections() {
    local name=$1 block=$2 heads
    heads=$(printf '%s\n' "$block" | grep -xE 'Description|When you see it|How to fix' | tr '\n' '|')
    expect_eq "$name: sections in order" "Description|When you see it|How to fix|" "$heads"
    local h
    for h in "Description" "When you see it" "How to fix"; do
        check "$name: '$h' has text" \
            "printf '%s\n' \"\$block\" | grep -xA1 '$h' | tail -n 1 | grep -qE '^  [^ ]'"
    done
}

echo "== explain"
run ma explain 550 5.1.1 4.1.1 X.1.1
expect_eq "explain 550 5.1.1 4.1.1 X.1.1: exit 0" 0 "$RC"
expect_eq "explain 550 5.1.1 4.1.1 X.1.1: nothing on stderr" "" "$ERR"
for code in 550 5.1.1 4.1.1 X.1.1; do
    block=$(explain_block "$OUT" "$code")
    check "explain $code: has its block" "[ -n \"\$block\" ]"
    check_sections "explain $code" "$block"
done
expect_match "explain 4.1.1: the transient class" "$(explain_block "$OUT" 4.1.1)" '^Class: 4xx '
expect_match "explain 5.1.1: the permanent class" "$(explain_block "$OUT" 5.1.1)" '^Class: 5xx '
expect_match "explain 5.1.1: who should act, the sender" "$(explain_block "$OUT" 5.1.1)" \
    '^Who should act$'
expect_match "explain 5.1.1: the sender" "$(explain_block "$OUT" 5.1.1)" '^  The sender \(sender\)$'
run ma explain 5.2.2 greylisted
expect_match "explain 5.2.2: the recipient acts" "$OUT" '^  The recipient \(recipient\)$'
expect_match "explain greylisted: nobody acts" "$OUT" '^  Nobody: the sending server retries by itself \(nobody\)$'

run ma explain 571 junk 550
expect_eq "explain 571 junk 550: exit 2" 2 "$RC"
expect_eq "explain 571 junk 550: one stderr line per bad code" 2 "$(printf '%s\n' "$ERR" | grep -c .)"
expect_match "explain 571: says it is not in the table" "$ERR" '571.*(no such code|not in)'
expect_match "explain junk: says it is not a code" "$ERR" "'junk'"
check_sections "explain 571 junk 550: 550 still printed" "$(explain_block "$OUT" 550)"
run ma explain 571
expect_eq "explain 571 alone: exit 2" 2 "$RC"
expect_eq "explain 571 alone: nothing on stdout" "" "$OUT"
expect_eq "explain 571 alone: one line on stderr" 1 "$(printf '%s\n' "$ERR" | grep -c .)"
run ma explain 'not a code'
expect_eq "explain junk alone: exit 2, one stderr line" "2 1" "$RC $(printf '%s\n' "$ERR" | grep -c .)"

echo "== explain every code of smtp-codes.tsv"
TSV=$SHARED/reference/smtp-codes.tsv
if [ -f "$TSV" ]; then
    codes=$(awk -F'\t' '!/^#/ && $1 != "code" && NF > 1 { print $1 }' "$TSV")
    n=$(printf '%s\n' "$codes" | grep -c .)
    nx=$(printf '%s\n' "$codes" | grep -c '^X\.')
    check "smtp-codes.tsv lists basic and X.s.d codes ($((n - nx)) + $nx)" "[ $((n - nx)) -gt 30 ] && [ $nx -gt 60 ]"
    bad=""
    for c in $codes; do
        out=$(ma explain "$c" 2>&1) || { bad="$bad $c(exit $?: $out)"; continue; }
        case "$out" in "$c "*) ;; *) bad="$bad $c(first line: ${out%%$'\n'*})" ;; esac
        for h in Description "When you see it" "How to fix"; do
            printf '%s\n' "$out" | grep -qxF "$h" || bad="$bad $c(no $h)"
        done
    done
    expect_eq "explain succeeds for all $n codes of smtp-codes.tsv" "" "$bad"
    # All at once, too: one block each.
    # shellcheck disable=SC2086
    run ma explain $codes
    expect_eq "explain of all $n codes in one call: exit 0, $n blocks" "0 $n" \
        "$RC $(printf '%s\n' "$OUT" | grep -cE '^(Description)$')"
else
    fail "missing $TSV (the shared folder is expected at ../shared from the repository top)"
fi

echo "== compare, against the seeds in ../shared/seeds"
declare -A HEADS=(
    [en]="Description|When you see it|How to fix|Key differences|When to use which|Learn more"
    [ar]="الوصف|متى تراه|كيفية الإصلاح|الفروق الرئيسية|متى تستخدم أيًا منهما|اعرف المزيد"
    [ru]="Описание|Когда вы это видите|Как исправить|Ключевые различия|Когда что использовать|Узнать больше"
    [zh]="描述|何时出现|如何修复|主要区别|何时使用哪个|了解更多"
)
# A configuration with help_url: the only way compare prints its "Learn more" section.
HELP_CONF=$E2E_TMP/help.conf
# shellcheck disable=SC2016 # ${code} is the milter's template variable
echo 'help_url = "https://example.org/smtp-help/${code}${ecode}";' >"$HELP_CONF"

# headings TEXT LANG: the heading lines of TEXT, '|'-separated.
headings() { printf '%s\n' "$1" | grep -xE "${HEADS[$2]}" | tr '\n' '|'; }
# The "Key differences" items, numbering removed, reduced to their kind.
diff_items() {
    printf '%s\n' "$1" | awk -v h="$2" -v w="$3" '
        $0 == h { on = 1; next }
        $0 == w { on = 0 }
        on' | sed -E 's/^[0-9]+\.( |$)//' | grep . |
        sed -nE -e 's/^(SMTP [0-9]+):.*/\1:/p' -e 's/^(You encounter [0-9]+) .*/\1/p' \
            -e 's/^([0-9]+ is a .* response, while [0-9]+ is a .* response\.)$/\1/p'
}
class_sentence() {
    printf '%s\n' "$1" | perl -ne 'if (/^((?:Both )?SMTP \d{3} \(.*?(?:response|category)\.)(?: |$)/) { print "$1\n"; exit }'
}

nseeds=0
for seed in "$SHARED"/seeds/*; do
    [ -f "$seed" ] || continue
    nseeds=$((nseeds + 1))
    s=$(cat "$seed")
    name=${seed##*/}
    title=$(printf '%s\n' "$s" | grep -m1 -E '^SMTP [0-9]{3} .+ vs [0-9]{3} .+')
    a=$(printf '%s\n' "$title" | sed -E 's/^SMTP ([0-9]{3}) .*/\1/')
    b=$(printf '%s\n' "$title" | sed -E 's/.* vs ([0-9]{3}) .*/\1/')
    na=$(printf '%s\n' "$title" | sed -E 's/^SMTP [0-9]{3} (.*) vs [0-9]{3} .*/\1/')
    nb=$(printf '%s\n' "$title" | sed -E 's/.* vs [0-9]{3} //')
    lang=""
    for l in en ar ru zh; do
        printf '%s\n' "$s" | grep -qxF "${HEADS[$l]%%|*}" && { lang=$l; break; }
    done
    if [ -z "$title" ] || [ -z "$lang" ]; then
        fail "seed $name: no title line or no known headings"
        continue
    fi
    L=${HEADS[$lang]}
    IFS='|' read -r -a H <<<"$L"
    conf=$BASE_CONF
    printf '%s\n' "$s" | grep -qxF "${H[5]}" && conf=$HELP_CONF   # the seed has "Learn more"
    echo "-- $name: compare $a $b --lang $lang ($na / $nb)"
    run "$MA_BIN" -c "$conf" compare "$a" "$b" --lang "$lang"
    expect_eq "seed $name: exit 0" "0" "$RC"
    expect_eq "seed $name: title" "$title" "$(printf '%s\n' "$OUT" | grep -m1 '^SMTP ')"
    expect_eq "seed $name: headings in the same order" "$(headings "$s" "$lang")" "$(headings "$OUT" "$lang")"
    expect_eq "seed $name: class sentence" "$(class_sentence "$s")" "$(class_sentence "$OUT")"
    expect_eq "seed $name: key differences items" "$(diff_items "$s" "${H[3]}" "${H[4]}")" \
        "$(diff_items "$OUT" "${H[3]}" "${H[4]}")"
    expect_contains "seed $name: names in the advice ($a)" "$OUT" "For $a ($na): "
    expect_contains "seed $name: names in the advice ($b)" "$OUT" "For $b ($nb): "
done
check "seeds found in $SHARED/seeds ($nseeds)" "[ $nseeds -gt 0 ]"

echo "== annotate"
# check_replies NAME OUTPUT: every reply (blank-line separated) of OUTPUT is valid SMTP.
check_replies() {
    local name=$1 all=$2 problems="" block n=0
    while IFS= read -r -d $'\x1e' block; do
        [ -n "$block" ] || continue
        n=$((n + 1))
        problems="$problems$(reply_problems "$block")"
    done < <(printf '%s\n' "$all" | awk 'BEGIN { RS = ""; ORS = "\036" } { print }')
    expect_eq "$name: all $n replies valid (one code, same-class enhanced code, printable, <= 512)" "" "$problems"
}
# Section text of a reply: the "Explanation:" or "How to fix:" paragraph, joined.
section() {
    printf '%s\n' "$1" | sed -E 's/^[0-9]{3}[- ]([0-9]\.[0-9]+\.[0-9]+ )?//' |
        awk -v lead="$2" '
            index($0, lead) == 1 { on = 1; sub(lead " *", ""); printf "%s", $0; next }
            on && /^  / { sub(/^ +/, ""); printf " %s", $0; next }
            { on = 0 }' | tr -s ' '
}
explain_text() { # CODE HEADING: that section of `explain CODE`, joined
    ma explain "$1" | awk -v h="$2" '$0 == h { on = 1; next } on && /^  / { sub(/^ +/, ""); printf "%s%s", sep, $0; sep = " "; next } { on = 0 }'
}

# ---- classify and causes ---------------------------------------------------------------------

echo "== classify"
run "$MA_BIN" -c "$BASE_CONF" classify \
    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org" \
    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table" \
    "450 4.7.1 <u@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html" \
    "550 5.7.1 Message rejected" \
    "250 2.0.0 Ok"
expect_eq "classify: exit 0" 0 "$RC"
expect_eq "classify: one line per reply, the cause or none" "dnsbl-listed
unknown-user
greylisted
none
none" "$OUT"
run sh -c "printf '550-5.7.1 Our system has detected an unusual rate of\n550-5.7.1 unsolicited mail originating from your IP address.\n550 5.7.1 Please retry.\n\nnot a reply\n421 4.3.2 Service shutting down\n' | '$MA_BIN' -c '$BASE_CONF' classify"
expect_eq "classify stdin: a pattern across the reply's lines; junk gives none and exit 2" "bad-reputation
none
server-unavailable" "$OUT"
expect_eq "classify stdin: exit 2 for the junk line" 2 "$RC"
expect_contains "classify stdin: the junk line reported on stderr" "$ERR" "not an SMTP reply"
run "$MA_BIN" -c "$BASE_CONF" classify --why \
    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table" \
    "550 5.1.1 gone" "503 Bad sequence" "550 5.7.1 Message rejected" \
    "550 5.1.1 <a@example.com>: Recipient address rejected: undeliverable address: host mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown"
expect_eq "classify --why: what decided, after the cause; a cause kept away by its unless" 'unknown-user by=pattern pattern="(?:user|recipient|mailbox|account|address|addressee) (?:name )?(?:is )?(?:unknown|not (?:found|known|listed|exist))"
unknown-user by=code code=X.1.1
protocol-error by=code code=503
none by=none
none by=none passed-over=unknown-user unless="\bsaid: ?[45][0-9][0-9]\b"' "$OUT"
run "$MA_BIN" -c "$BASE_CONF" classify --features "550 5.7.1 Relay access denied for 192.0.2.1"
expect_eq "classify --features: codes, words and word pairs" \
    "code=550 class=5 sub=7 det=7.1 w=relay w=access b=relay_access w=denied b=access_denied w=for b=denied_for w=# b=for_# w=# b=#_# w=# b=#_# w=# b=#_# " "$OUT"
run "$MA_BIN" -c "$BASE_CONF" annotate \
    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net"
expect_contains "annotate: the cause's explanation names the captured zone" \
    "$(section "$OUT" 'Explanation:')" "listed on bl.spamcop.net"
expect_eq "annotate: the cause's fix is dnsbl-listed's (zone filled in)" \
    "$(explain_text dnsbl-listed 'How to fix' | sed 's/the blocklist named in the reply/bl.spamcop.net/')" \
    "$(section "$OUT" 'How to fix:')"
run "$MA_BIN" -c "$BASE_CONF" explain relay-denied 550
expect_eq "explain CAUSE CODE: exit 0" 0 "$RC"
expect_eq "explain CAUSE: title line, then the code's block" "relay-denied Relaying Denied
550 Mailbox Unavailable" "$(printf '%s\n' "$OUT" | grep -E '^(relay-denied|550) ')"

run sh -c "printf '550-5.1.1 a\n550 5.1.1 b\n' | '$MA_BIN' -c '$BASE_CONF' annotate"
expect_eq "stdin multi-line: exit 0" 0 "$RC"
expect_eq "stdin multi-line: the two text lines kept" "550-5.1.1 a
550-5.1.1 b" "$(printf '%s\n' "$OUT" | head -n 2)"
expect_eq "stdin multi-line: one reply" 1 "$(printf '%s\n' "$OUT" | grep -c '^550 ')"
# 5.1.1 with no telling text: the cause the code implies (unknown-user).
expect_eq "stdin multi-line: Explanation is unknown-user's (implied by 5.1.1)" \
    "$(explain_text unknown-user Description)" "$(section "$OUT" 'Explanation:')"
expect_eq "stdin multi-line: How to fix is unknown-user's" \
    "$(explain_text unknown-user 'How to fix')" "$(section "$OUT" 'How to fix:')"
check_replies "stdin multi-line" "$OUT"

run ma annotate "550 5.7.1 Relaying denied" "451 4.7.1 Try later"
expect_eq "arguments: exit 0" 0 "$RC"
expect_eq "arguments: two replies, first lines" "550-5.7.1 Relaying denied
451-4.7.1 Try later" "$(printf '%s\n' "$OUT" | awk 'NR == 1 || prev == "" { print } { prev = $0 }' | grep .)"
check_replies "arguments" "$OUT"

run ma annotate "571 5.7.1 Blocked here" "540 Something odd" "450 4.7.32 New policy detail" \
    "571 Blocked, no enhanced code"
expect_eq "codes not in the table: exit 0" 0 "$RC"
r571=$(printf '%s\n' "$OUT" | awk 'BEGIN { RS = "" } NR == 1')
r571b=$(printf '%s\n' "$OUT" | awk 'BEGIN { RS = "" } NR == 4')
r540=$(printf '%s\n' "$OUT" | grep '^540')
r450=$(printf '%s\n' "$OUT" | grep '^450')
expect_eq "571: code kept on every line, 5.7.1 kept" "$(printf '%s\n' "$r571" | wc -l)" \
    "$(printf '%s\n' "$r571" | grep -cE '^571[- ]5\.7\.1( |$)')"
expect_eq "571: falls back to 5.7.1's explanation" "$(explain_text X.7.1 Description)" "$(section "$r571" 'Explanation:')"
expect_eq "571 without enhanced code: 571 kept and 5.0.0 added on every line" "$(printf '%s\n' "$r571b" | wc -l)" \
    "$(printf '%s\n' "$r571b" | grep -cE '^571[- ]5\.0\.0( |$)')"
expect_eq "571 without enhanced code: falls back to X.0.0's explanation" "$(explain_text X.0.0 Description)" \
    "$(section "$r571b" 'Explanation:')"
expect_eq "540: code kept on every line, 5.0.0 added" "$(printf '%s\n' "$r540" | wc -l)" \
    "$(printf '%s\n' "$r540" | grep -cE '^540[- ]5\.0\.0( |$)')"
expect_eq "540: falls back to X.0.0's explanation" "$(explain_text X.0.0 Description)" "$(section "$r540" 'Explanation:')"
expect_eq "4.7.32: kept on every line" "$(printf '%s\n' "$r450" | wc -l)" \
    "$(printf '%s\n' "$r450" | grep -cE '^450[- ]4\.7\.32( |$)')"
expect_eq "4.7.32: falls back to X.7.0's explanation" "$(explain_text X.7.0 Description)" "$(section "$r450" 'Explanation:')"
check_replies "codes not in the table" "$OUT"
# An enhanced code of the other class takes the basic code's class (MTAs act on the basic code).
run ma annotate "550 4.7.1 Wrong class"
expect_eq "550 4.7.1: enhanced class follows the code on every line" "$(printf '%s\n' "$OUT" | grep -c .)" \
    "$(printf '%s\n' "$OUT" | grep -cE '^550[- ]5\.7\.1( |$)')"

run ma annotate "550 5.7.1 first" "hello world" "451 4.3.0 third"
expect_eq "non-reply argument: exit 2" 2 "$RC"
expect_eq "non-reply argument: one line on stderr" 1 "$(printf '%s\n' "$ERR" | grep -c .)"
expect_contains "non-reply argument: names it" "$ERR" "hello world"
expect_eq "non-reply argument: the others still printed" "550-5.7.1 first
451-4.3.0 third" "$(printf '%s\n' "$OUT" | awk 'NR == 1 || prev == "" { print } { prev = $0 }' | grep .)"
check_replies "non-reply argument" "$OUT"

# UTF-8 is transliterated (caf\xc3\xa9: cafe); a byte that is not UTF-8 becomes "?".
printf '550-5.7.1 caf\xc3\xa9 \x01bell\r\n550 5.7.1 nul\x00byte \xff end\x7f\r\n' >"$E2E_TMP/raw"
run sh -c "'$MA_BIN' -c '$BASE_CONF' annotate <'$E2E_TMP/raw'"
expect_eq "CR/NUL/8-bit on stdin: exit 0" 0 "$RC"
expect_eq "CR/NUL/8-bit on stdin: one reply" 1 "$(printf '%s\n' "$OUT" | grep -c '^550 ')"
expect_eq "CR/NUL/8-bit on stdin: text made printable" "550-5.7.1 cafe bell
550-5.7.1 nul byte ? end" "$(printf '%s\n' "$OUT" | head -n 2)"
check_replies "CR/NUL/8-bit on stdin" "$OUT"
run ma annotate "$(printf '550 5.7.1 one\r\ntwo\n\tthree\x1b[31m red')"
expect_eq "CR/LF/ESC in an argument: exit 0" 0 "$RC"
expect_match "CR/LF/ESC in an argument: continuation text kept" "$OUT" '^550-5\.7\.1 two$'
check_replies "CR/LF/ESC in an argument" "$OUT"
run sh -c "printf '\\n\\n421-4.3.2 a\\r\\n\\r\\n' | '$MA_BIN' -c '$BASE_CONF' annotate"
check_replies "blank lines around a reply" "$OUT"
long=$(printf 'x%.0s' $(seq 1 3000))
run ma annotate "550 5.7.1 $long" "552 5.3.4 $(printf 'word%s ' $(seq 1 900))"
expect_eq "very long texts: exit 0" 0 "$RC"
check_replies "very long texts (3000-character word, 900 words)" "$OUT"

echo "== -n"
printf 'rules = (\n  { name = "bad"; stage = "rcpt";\n    rcpt = "^(unclosed";\n    reply = "550 5.7.1 x"; }\n);\n' >"$E2E_TMP/broken.conf"
run "$MA_BIN" -n -c "$E2E_TMP/broken.conf"
expect_eq "-n broken file: exit 1" 1 "$RC"
expect_match "-n broken file: FILE:LINE" "$ERR" "^$E2E_TMP/broken.conf:3: rule 'bad': rcpt regex"
printf 'width = 20;\n' >"$E2E_TMP/width.conf"
run "$MA_BIN" -n -c "$E2E_TMP/width.conf"
expect_eq "-n width = 20: exit 1 with FILE:LINE" "1 yes" \
    "$RC $(printf '%s\n' "$ERR" | grep -q "^$E2E_TMP/width.conf:1: " && echo yes)"
run "$MA_BIN" -n -c "$REPO_TOP/conf/milter-annotate.conf"
expect_eq "-n conf/milter-annotate.conf: exit 0" 0 "$RC"
expect_contains "-n conf/milter-annotate.conf: OK" "$OUT" "configuration OK"

echo "== replycheck (the reply property check every e2e suite applies): it must fail bad input"
# rc_case NAME MODE INPUT EXIT [MESSAGE]: replycheck MODE on INPUT (printf format) exits EXIT
# and, when given, says MESSAGE.
rc_case() {
    local name=$1 mode=$2 input=$3 want=$4 msg=${5:-}
    # shellcheck disable=SC2059 # INPUT is a format on purpose (escapes)
    run sh -c "printf '$input' | '$REPLYCHECK' $mode"
    expect_eq "replycheck $name: exit $want" "$want" "$RC" || _e2e_show "$OUT"
    [ -n "$msg" ] && expect_contains "replycheck $name: says why" "$OUT" "$msg"
}
rc_case "valid replies" "" '220 ready\r\n250-a\r\n250 b\r\n550-5.7.1 x\r\n550 5.7.1 y\r\n250 2.0.0 ok\n' 0
rc_case "valid single refusal (-1)" -1 '451-4.7.1 a\n451 4.7.1 b\n' 0
rc_case "another code on a line" "" '550-5.7.1 a\n551 5.7.1 b\n' 1 "code is not 550"
rc_case "a reply without its last line" "" '550-5.7.1 a\n550-5.7.1 b\n' 1 'ends without a last line'
rc_case "a bad continuation marker" "" '550-5.7.1 a\n550_5.7.1 b\n' 1 "character 4 is not ' '"
rc_case "two replies where one was meant (-1)" -1 '550 5.7.1 a\n550 5.7.1 b\n' 1 "want exactly one"
rc_case "a line without its enhanced code" "" '550-5.7.1 a\n550 b\n' 1 "no enhanced code"
rc_case "an enhanced code of another class" "" '451-4.7.1 a\n451 5.7.1 b\n' 1 "class is not 4"
rc_case "a malformed enhanced code" "" '550 5.7.1234 a\n' 1 "no enhanced code"
rc_case "a control byte" "" '550 5.7.1 a\033[31m\n' 1 "not printable ASCII"
rc_case "an 8-bit byte" "" '550 5.7.1 caf\351\n' 1 "not printable ASCII"
rc_case "513 octets with CRLF" "" "550 5.7.1 $(printf 'x%.0s' $(seq 1 501))\n" 1 "513 octets"
rc_case "512 octets with CRLF" "" "550 5.7.1 $(printf 'x%.0s' $(seq 1 500))\n" 0
rc_case "-m: a valid wire reply" -m 'y 550-5.7.1 100%%%% a\\x0d\\x0a550 5.7.1 b\\0\n' 0
rc_case "-m: a single %% on the wire" -m 'y 550 5.7.1 100%% a\\0\n' 1 "a single '%' on the wire"
rc_case "-m: no NUL at the end" -m 'y 550 5.7.1 a\n' 1 "not one NUL-terminated string"
rc_case "-m: a bare LF in a line" -m 'y 550-5.7.1 a\\x0ab\\x0d\\x0a550 5.7.1 c\\0\n' 1 "a CR or LF"
rc_case "-t: a greeting 421 needs no enhanced code" -t '<** 421 mx Service unavailable\n' 0
rc_case "-t: a MAIL 451 does" -t '<-  220 mx\n -> MAIL FROM:<a@b>\n<** 451 later\n' 1 "no enhanced code"
# The hook: a violation found in a subshell, as in $(swaks_replies ...), fails the suite.
neg=$(bash -c '. "$1/lib.sh"; e2e_init replycheck-neg >/dev/null
    x=$(e2e_replycheck -t "a bad transcript" "<-  250 ok
<** 550 5.7.1 a
<** 550 nope" 2>/dev/null); e2e_finish' _ "$E2E_DIR" 2>&1)
negrc=$?
expect_eq "replycheck hook: a violation in a subshell makes the suite exit 1" 1 "$negrc"
expect_contains "replycheck hook: and is reported" "$neg" "FAIL - reply property check"
expect_contains "replycheck hook: with where and why" "$neg" "a bad transcript"

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_cli took %.1f s\n", e - s }'
e2e_finish
