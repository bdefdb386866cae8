#!/usr/bin/env bash
# test_deb.sh - the Debian package from build to purge, on this machine (Debian 12, root).
#
#   bash tests/pkg/test_deb.sh          (make test-deb; CI runs it after make test)
#
#  1. make deb, then lintian --fail-on error,warning on the .deb: an error or a warning fails.
#  2. dpkg -i (apt-get -f install when dependencies are missing), then: milter-annotate -V and
#     -n -c /etc/milter-annotate.conf; the files, owners and modes, the conffiles; the system
#     user and group milter-annotate; the service enabled (systemd's symlink, SysV's rc links)
#     but not started (systemd does not run here: the package starts it only under systemd);
#     systemd-analyze verify on the unit; the help site.
#  3. The daemon started as its systemd unit starts it: the unit's ExecStartPre and ExecStart,
#     installed paths, as its User= and Group= (setpriv, no new privileges, no capabilities),
#     its RuntimeDirectory and UMask, in the background. The only change: -c names a copy of
#     /etc/milter-annotate.conf whose socket is a port of this test's own.
#  4. A private Postfix (tests/e2e/mta.sh) configured with the postconf -e lines that
#     `milter-annotate mta-config postfix` prints, applied with postconf -c DIR -e, then its
#     `postfix reload`. RCPT TO:<blocked@localhost>, which the packaged configuration's rule
#     no-relay rejects, gets the reply the installed binary's `annotate` makes of "550 5.7.1
#     Relaying denied": with Explanation: and How to fix:. An ordinary recipient passes.
#  5. Sendmail: `mta-config sendmail` prints the FEATURE line (the feature file is installed);
#     sendmail.cf built by the unpacked sendmail-cf with FEATURE resolved in
#     /usr/share/sendmail/cf/feature, as Debian's sendmail-cf resolves it, has the right
#     Xmilter-annotate line for the packaged socket; a private Sendmail with the FEATURE line
#     mta-config printed for the test socket gets the same explanation at RCPT.
#  6. An edited /etc/milter-annotate.conf survives installing the package again.
#  7. dpkg -r: the configuration files stay, the rest goes. dpkg --purge: every file the
#     package had is gone, the rc links and systemd's symlink too; the user and group stay
#     (Debian policy: a system user is never removed).
#
# It leaves the machine as it found it: an EXIT trap stops what it started and purges the
# package whatever happened, and deletes the user and group if this test created them. It
# refuses to run when milter-annotate is installed already (it would be purged). Loopback
# only; every wait is bounded. Prints "N passed, N failed"; exits 1 if any check failed.
# TEST_DEB_KEEP=1 keeps its temporary folder.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

REPO_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PKG=milter-annotate
USER_NAME=milter-annotate
BIN=/usr/sbin/milter-annotate
ETC_CONF=/etc/milter-annotate.conf
UNIT=/lib/systemd/system/milter-annotate.service
RUNDIR=/run/milter-annotate
T0=$(date +%s)

# ---- results --------------------------------------------------------------------------------

NPASS=0
NFAIL=0
pass() { NPASS=$((NPASS + 1)); printf '  ok   - %s\n' "$*"; }
fail() { NFAIL=$((NFAIL + 1)); printf '  FAIL - %s\n' "$*"; }
show() { printf '%s\n' "$1" | head -n "${2:-30}" | sed 's/^/         | /'; }
# check NAME CMD...: pass if CMD succeeds. quiet CMD...: CMD with its output discarded.
quiet() { "$@" >/dev/null 2>&1; }
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
expect_eq() {
    if [ "$2" == "$3" ]; then
        pass "$1"
        return 0
    fi
    fail "$1"
    diff -u --label expected --label actual <(printf '%s\n' "$2") <(printf '%s\n' "$3") |
        sed 's/^/         | /'
    return 1
}
expect_contains() {
    if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: no \"$3\" in:"; show "$2"; fi
}
finish() {
    echo "$NPASS passed, $NFAIL failed ($(($(date +%s) - T0)) s)"
    [ "$NFAIL" = 0 ] && exit 0
    exit 1
}
# abort MSG: a failure after which nothing else can be checked.
abort() {
    fail "$*"
    finish
}

[ "$(id -u)" = 0 ] || { echo "test_deb.sh: run as root (it installs and purges the package)" >&2; exit 1; }
pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | tr -d ' '; }
case $(pkg_status) in
'' | un | pn) ;;
*)
    echo "test_deb.sh: $PKG is installed on this machine ($(pkg_status)); this test installs and" \
        "purges it: purge it first (dpkg --purge $PKG)" >&2
    exit 1
    ;;
esac

# ---- clean-up: whatever happens, the machine is left as it was -----------------------------------

TMP=
MPID=
PF=
SM=
HAD_USER=0
HAD_GROUP=0
HAD_RUNDIR=0
getent passwd "$USER_NAME" >/dev/null && HAD_USER=1
getent group "$USER_NAME" >/dev/null && HAD_GROUP=1
[ -e "$RUNDIR" ] && HAD_RUNDIR=1

alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -qE '^[0-9]+ \(.*\) [ZX]' "/proc/$1/stat" 2>/dev/null; }

# stop_milter: SIGTERM, bounded wait (libmilter notices it within about 5 s), SIGKILL after
# 15 s; returns 1 if SIGKILL was needed.
stop_milter() {
    local i rc=0
    [ -n "$MPID" ] || return 0
    kill -TERM "$MPID" 2>/dev/null
    for ((i = 0; i < 150; i++)); do alive "$MPID" || break; sleep 0.1; done
    if alive "$MPID"; then
        echo "  (milter $MPID still runs 15 s after SIGTERM: SIGKILL)"
        kill -KILL "$MPID" 2>/dev/null
        rc=1
    fi
    wait "$MPID" 2>/dev/null
    MPID=
    return "$rc"
}

cleanup() {
    local st
    stop_milter
    [ -x /etc/init.d/$PKG ] && timeout 60 /etc/init.d/$PKG stop >/dev/null 2>&1
    [ -n "$PF" ] && pf_stop "$PF"
    [ -n "$SM" ] && sm_stop "$SM"
    st=$(pkg_status)
    if [ -n "$st" ] && [ "$st" != un ] && [ "$st" != pn ]; then
        echo "== clean-up: dpkg --purge $PKG (status was $st)"
        timeout 300 dpkg --purge "$PKG" </dev/null >/dev/null 2>&1 ||
            echo "test_deb.sh: dpkg --purge $PKG failed in the clean-up: purge it by hand" >&2
    fi
    if [ "$HAD_USER" = 0 ] && getent passwd "$USER_NAME" >/dev/null; then
        userdel "$USER_NAME" 2>/dev/null || echo "test_deb.sh: could not delete user $USER_NAME" >&2
    fi
    if [ "$HAD_GROUP" = 0 ] && getent group "$USER_NAME" >/dev/null; then
        groupdel "$USER_NAME" 2>/dev/null || echo "test_deb.sh: could not delete group $USER_NAME" >&2
    fi
    [ "$HAD_RUNDIR" = 0 ] && [ -d "$RUNDIR" ] && rm -rf "$RUNDIR"
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        if [ "${TEST_DEB_KEEP:-0}" = 1 ]; then echo "test_deb.sh: kept $TMP"; else rm -rf "$TMP"; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

TMP=$(mktemp -d /tmp/test-deb.XXXXXX) || exit 1
chmod 755 "$TMP" # the milter-annotate user reads its configuration copy here

# A free 127.0.0.1 port from 30000-39999 (the e2e tests use 20000-29999), never the same twice.
PORTS_GIVEN=" "
free_port() {
    local i p hex
    for ((i = 0; i < 500; i++)); do
        p=$((30000 + (RANDOM * 7 + $$ + i) % 10000))
        case $PORTS_GIVEN in *" $p "*) continue ;; esac
        hex=$(printf ':%04X ' "$p")
        grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null && continue
        PORTS_GIVEN="$PORTS_GIVEN$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    return 1
}

# ---- 1. build and lint ------------------------------------------------------------------------

echo "== make deb"
if ! timeout 1800 make -C "$REPO_TOP" --no-print-directory deb; then
    abort "make deb failed"
fi
VERSION=$(dpkg-parsechangelog -l "$REPO_TOP/init/debian/changelog" -S Version)
DEB=$REPO_TOP/build/${PKG}_${VERSION}_$(dpkg --print-architecture).deb
[ -f "$DEB" ] || abort "make deb made no $DEB"
pass "make deb: $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KB)"

echo "== lintian"
LINT=$(timeout 900 lintian --fail-on error,warning "$DEB" 2>&1)
rc=$?
LINT=$(printf '%s\n' "$LINT" | grep -v '^running with root privileges')
if [ "$rc" = 0 ]; then
    pass "lintian: no error, no warning${LINT:+ (other tags: $(printf '%s\n' "$LINT" | wc -l))}"
else
    fail "lintian --fail-on error,warning (exit $rc):"
    show "$LINT" 60
fi

echo "== the test's MTAs (tests/e2e/deps.sh: postfix, swaks, the unpacked Sendmail)"
if ! bash "$REPO_TOP/tests/e2e/deps.sh" >"$TMP/deps.log" 2>&1; then
    cat "$TMP/deps.log"
    abort "tests/e2e/deps.sh failed"
fi
# shellcheck source=../e2e/mta.sh
. "$REPO_TOP/tests/e2e/mta.sh"

# ---- 2. install ----------------------------------------------------------------------------------

echo "== dpkg -i $(basename "$DEB")"
if ! timeout 600 dpkg -i "$DEB" </dev/null >"$TMP/dpkg-i.log" 2>&1; then
    if grep -q 'dependency problems' "$TMP/dpkg-i.log"; then
        echo "   dependencies missing: apt-get -f install (they stay installed afterwards)"
        timeout 900 apt-get -f install -y -qq </dev/null >>"$TMP/dpkg-i.log" 2>&1
    fi
fi
if [ "$(pkg_status)" = ii ]; then
    pass "dpkg -i: $PKG is installed (ii)"
else
    show "$(cat "$TMP/dpkg-i.log")" 40
    abort "dpkg -i: $PKG is not installed (status $(pkg_status))"
fi
FILES=$(dpkg -L "$PKG")
printf '%s\n' "$FILES" >"$TMP/files"

expect_eq "milter-annotate -V" "milter-annotate $VERSION" "$("$BIN" -V 2>&1)"
out=$("$BIN" -n -c "$ETC_CONF" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then pass "milter-annotate -n -c $ETC_CONF: $out"; else fail "milter-annotate -n -c $ETC_CONF (exit $rc):"; show "$out"; fi
check "the shipped code table loads (-T /usr/share/$PKG/codes.conf)" \
    quiet "$BIN" -n -c "$ETC_CONF" -T "/usr/share/$PKG/codes.conf"

# path owner:group mode
while read -r path want; do
    got=$(stat -c '%U:%G %a' "$path" 2>/dev/null || echo missing)
    expect_eq "$path: $want" "$want" "$got"
done <<EOF
$BIN root:root 755
$ETC_CONF root:root 644
/etc/default/$PKG root:root 644
/etc/init.d/$PKG root:root 755
$UNIT root:root 644
/usr/share/$PKG/codes.conf root:root 644
/usr/share/$PKG/milter-annotate.conf root:root 644
/usr/share/$PKG/help/index.html root:root 644
/usr/share/$PKG/help/style.css root:root 644
/usr/share/man/man8/milter-annotate.8.gz root:root 644
/usr/share/man/man5/milter-annotate.conf.5.gz root:root 644
/usr/share/doc/$PKG/copyright root:root 644
/usr/share/doc/$PKG/changelog.gz root:root 644
/usr/share/sendmail/cf/feature/milter-annotate.m4 root:root 644
EOF
# (stat -L: /lib is a symlink to usr/lib on a merged-/usr system.)
odd=$(printf '%s\n' "$FILES" | grep -v '^/\.$' | xargs -d '\n' stat -L -c '%U:%G %A %n' |
    grep -vE '^root:root [-d]r[-w][-x]r-[-x]r-[-x] ')
expect_eq "every path of the package: root:root, nothing group- or world-writable" "" "$odd"
check "/etc/milter-annotate.conf is the example configuration (conf/milter-annotate.conf)" \
    cmp -s "$ETC_CONF" "$REPO_TOP/conf/milter-annotate.conf"
check "/usr/share/$PKG/milter-annotate.conf is the example configuration" \
    cmp -s "/usr/share/$PKG/milter-annotate.conf" "$REPO_TOP/conf/milter-annotate.conf"
check "/usr/share/$PKG/codes.conf is conf/codes.conf" \
    cmp -s "/usr/share/$PKG/codes.conf" "$REPO_TOP/conf/codes.conf"
check "the Sendmail feature file is init/sendmail/milter-annotate.m4" \
    cmp -s /usr/share/sendmail/cf/feature/milter-annotate.m4 "$REPO_TOP/init/sendmail/milter-annotate.m4"
check "both man pages are valid gzip" gzip -t /usr/share/man/man8/milter-annotate.8.gz \
    /usr/share/man/man5/milter-annotate.conf.5.gz
expect_eq "conffiles: the configuration, the SysV script and its defaults" \
    "$(printf '%s\n' /etc/default/$PKG /etc/init.d/$PKG $ETC_CONF)" \
    "$(dpkg-query -W -f='${Conffiles}\n' "$PKG" | awk 'NF { print $1 }' | sort)"
expect_eq "nothing in /usr/local" "" "$(printf '%s\n' "$FILES" | grep '^/usr/local' || true)"

# The unit and the SysV script name the installed binary.
unit_key() { sed -n "s/^$1=//p" "$UNIT"; }
expect_eq "unit: ExecStart" "$BIN -f -c $ETC_CONF" "$(unit_key ExecStart)"
expect_eq "unit: User= and Group=" "$USER_NAME $USER_NAME" "$(unit_key User) $(unit_key Group)"
expect_eq "unit: RuntimeDirectory=" "$PKG" "$(unit_key RuntimeDirectory)"
expect_eq "unit and SysV script: no /usr/local path" "" "$(grep -n '/usr/local' "$UNIT" /etc/init.d/$PKG |
    grep -v 'PATH=' || true)"
expect_eq "SysV script: DAEMON=$BIN" "DAEMON=$BIN" "$(grep '^DAEMON=' /etc/init.d/$PKG)"
if command -v systemd-analyze >/dev/null; then
    out=$(timeout 60 systemd-analyze verify "$UNIT" 2>&1)
    # Without man-db the Documentation= pages cannot be looked up: not the unit's fault.
    command -v man >/dev/null || out=$(printf '%s\n' "$out" | grep -v "Command 'man ")
    expect_eq "systemd-analyze verify $UNIT: nothing to say" "" "$out"
fi

# The help site: as many pages as the installed binary writes now, the reply's page among them.
pages=$(find "/usr/share/$PKG/help" -name '*.html' | wc -l)
expect_eq "help site: the pages 'export html' writes" \
    "$("$BIN" export html "$TMP/help" 2>&1 | sed -n 's/.*: \([0-9]*\) pages$/\1/p')" "$pages"
check "help site: en/code/x.7.1.html and en/cause/relay-denied.html" \
    test -f "/usr/share/$PKG/help/en/code/x.7.1.html" -a -f "/usr/share/$PKG/help/en/cause/relay-denied.html"

# The user and group, made by postinst.
pw=$(getent passwd "$USER_NAME")
if [ -n "$pw" ]; then
    IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
    pass "user $USER_NAME exists (uid $uid)$([ "$HAD_USER" = 1 ] && echo ', already before the test')"
    check "user $USER_NAME: a system user (uid < 1000)" test "$uid" -lt 1000
    expect_eq "user $USER_NAME: home and shell" "/nonexistent /usr/sbin/nologin" "$home $shell"
    expect_eq "user $USER_NAME: primary group $USER_NAME" "$USER_NAME" "$(getent group "$gid" | cut -d: -f1)"
else
    fail "no user $USER_NAME after installing"
fi
check "group $USER_NAME exists" quiet getent group "$USER_NAME"

# Enabled, not started: systemd does not run here.
check "systemd: enabled (multi-user.target.wants symlink, made by deb-systemd-helper)" \
    test "$(readlink /etc/systemd/system/multi-user.target.wants/$PKG.service)" = "$UNIT"
rclinks=$(ls /etc/rc[2-5].d/S[0-9][0-9]$PKG 2>/dev/null | wc -l)
check "SysV: enabled in runlevels 2-5 (update-rc.d: $rclinks S links)" test "$rclinks" = 4
running=
for p in /proc/[0-9]*; do [ "$(readlink "$p/exe" 2>/dev/null)" = "$BIN" ] && running="$running ${p#/proc/}"; done
expect_eq "not started on install (systemd does not run here)" "" "${running# }"

# ---- 3. the daemon, as the systemd unit starts it ---------------------------------------------------

if ! free_port MPORT || ! free_port SPORT || ! free_port SMPORT; then abort "no free ports"; fi
CONF=$TMP/milter-annotate.conf
sed "s|^socket = .*|socket = \"inet:$MPORT@127.0.0.1\";|" "$ETC_CONF" >"$CONF"
chmod 644 "$CONF"
expect_eq "the test configuration differs from $ETC_CONF in its socket only" \
    "> socket = \"inet:$MPORT@127.0.0.1\";" "$(diff "$ETC_CONF" "$CONF" | grep '^>')"

# The unit's command lines, their configuration file swapped for the copy.
unit_cmd() { # KEY -> the words of the unit's KEY= line, -c FILE replaced
    local -a w
    read -ra w <<<"$(unit_key "$1" | head -n 1)"
    local i
    for ((i = 0; i < ${#w[@]}; i++)); do [ "${w[i]}" = "$ETC_CONF" ] && w[i]=$CONF; done
    printf '%s\n' "${w[@]}"
}
mapfile -t PRE < <(unit_cmd ExecStartPre)
mapfile -t START < <(unit_cmd ExecStart)
U=$(unit_key User)
G=$(unit_key Group)
RUN_AS=(setpriv "--reuid=$U" "--regid=$G" --init-groups --no-new-privs --bounding-set=-all --inh-caps=-all --)
if [ "$HAD_RUNDIR" = 0 ]; then # RuntimeDirectory= and RuntimeDirectoryMode=
    install -d -o "$U" -g "$G" -m "$(unit_key RuntimeDirectoryMode)" "$RUNDIR"
fi
echo "== as the unit would: ${START[*]} (User=$U Group=$G UMask=$(unit_key UMask))"
out=$(timeout 30 "${RUN_AS[@]}" "${PRE[@]}" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then pass "ExecStartPre as $U: $out"; else fail "ExecStartPre as $U (exit $rc):"; show "$out"; fi
MLOG=$TMP/milter.log
(umask "$(unit_key UMask)" && exec "${RUN_AS[@]}" "${START[@]}") </dev/null >>"$MLOG" 2>&1 &
MPID=$!
for ((i = 0; i < 150; i++)); do
    alive "$MPID" || break
    _mta_listening "$MPORT" && break
    sleep 0.1
done
if ! _mta_listening "$MPORT"; then
    show "$(cat "$MLOG")"
    abort "the installed milter does not listen on 127.0.0.1:$MPORT after 15 s"
fi
pass "the milter listens on 127.0.0.1:$MPORT"
expect_eq "it runs $BIN" "$BIN" "$(readlink "/proc/$MPID/exe")"
expect_eq "it runs as $U:$G (real and effective uid and gid)" \
    "$(id -u "$U") $(id -u "$U") $(getent group "$G" | cut -d: -f3) $(getent group "$G" | cut -d: -f3)" \
    "$(awk '/^Uid:/ { u = $2 " " $3 } /^Gid:/ { g = $2 " " $3 } END { print u, g }' "/proc/$MPID/status")"

# swaks_rcpt PORT RCPT: one session up to RCPT; prints the server's reply lines to RCPT TO.
swaks_rcpt() {
    timeout 60 swaks --server "127.0.0.1:$1" --timeout 30 --helo test-deb.example \
        --from a@localhost --to "$2" --quit-after RCPT 2>&1 </dev/null | tr -d '\r' |
        awk '/^ -> RCPT TO:/ { on = 1; next } on && /^(<-|<\*\*) / { sub(/^(<-|<\*\*)  ?/, ""); print; next }
             on && /^ -> / { exit }'
}
# reply_shape_ok REPLY: one code and enhanced code on every line, "-" on all lines but the last.
reply_shape_ok() {
    printf '%s\n' "$1" | awk 'NR > 1 && prev !~ /^550-5\.7\.1 / { bad = 1 } { prev = $0 }
        END { if (bad || prev !~ /^550 5\.7\.1 /) exit 1 }'
}
EXPECTED=$("$BIN" -c "$CONF" annotate "550 5.7.1 Relaying denied" | sed '/^$/d')

# ---- 4. Postfix, configured by mta-config ----------------------------------------------------------

echo "== Postfix on 127.0.0.1:$SPORT, configured with 'milter-annotate mta-config postfix'"
MTA_PF=$("$BIN" -c "$CONF" mta-config postfix 2>&1)
show "$MTA_PF" 20
expect_contains "mta-config postfix: smtpd_milters names the socket" "$MTA_PF" \
    "postconf -e 'smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }'"
PF=$TMP/postfix
if ! pf_start "$PF" "$SPORT" ""; then
    fail "the private Postfix did not start"
else
    reload=0 bad=
    while IFS= read -r line; do
        case $line in
        '' | '#'*) ;;
        "postconf -e '"*"'") postconf -c "$PF" -e "${line:13:${#line}-14}" || bad="$bad
$line (postconf -c failed)" ;;
        "postfix reload") reload=1 ;;
        *) bad="$bad
$line" ;;
        esac
    done <<<"$MTA_PF"
    expect_eq "every line of mta-config postfix applied (postconf -c DIR -e, postfix reload)" "" "${bad#$'\n'}"
    expect_eq "Postfix's smtpd_milters" "{ inet:127.0.0.1:$MPORT, default_action=accept }" \
        "$(postconf -c "$PF" -h smtpd_milters)"
    if [ "$reload" = 1 ]; then
        mark=$(wc -l <"$PF/maillog")
        pf_reload "$PF"
        for ((i = 0; i < 100; i++)); do
            tail -n +"$((mark + 1))" "$PF/maillog" | grep -q 'reload -- version' && break
            sleep 0.1
        done
        check "postfix reload: done (logged within 10 s)" \
            grep -q 'reload -- version' <(tail -n +"$((mark + 1))" "$PF/maillog")
    else
        fail "mta-config postfix printed no 'postfix reload'"
    fi
    mark=$(wc -l <"$MLOG")
    got=$(swaks_rcpt "$SPORT" blocked@localhost)
    echo "   sender got at RCPT: $(printf '%s\n' "$got" | head -n 1)"
    expect_contains "Postfix: RCPT TO:<blocked@localhost> has an Explanation:" "$got" "Explanation: "
    expect_contains "Postfix: ... and a How to fix:" "$got" "How to fix: "
    expect_eq "Postfix: the reply is what the installed binary's 'annotate' makes of the rule's reply" \
        "$EXPECTED" "$got"
    check "Postfix: one code and enhanced code on every line, '-' on all but the last" reply_shape_ok "$got"
    for ((i = 0; i < 50; i++)); do tail -n +"$((mark + 1))" "$MLOG" | grep -q 'annotated ' && break; sleep 0.1; done
    expect_contains "the milter logged it (rule no-relay)" "$(tail -n +"$((mark + 1))" "$MLOG")" \
        'source="rule=no-relay"'
    got=$(swaks_rcpt "$SPORT" b@localhost)
    if ! expect_eq "Postfix: an ordinary recipient passes" "250 2.1.5 Ok" "$got"; then
        echo "         Postfix's log:"
        show "$(tail -n 15 "$PF/maillog")" 15
        echo "         the milter's log:"
        show "$(tail -n 15 "$MLOG")" 15
    fi
    pf_stop "$PF"
fi

# ---- 5. Sendmail, with the installed FEATURE ---------------------------------------------------------

echo "== Sendmail: FEATURE(\`milter-annotate') from /usr/share/sendmail/cf/feature"
expect_eq "mta-config sendmail, packaged configuration: the FEATURE line" \
    "FEATURE(\`milter-annotate', \`inet:8891@127.0.0.1')dnl" \
    "$("$BIN" -c "$ETC_CONF" mta-config sendmail | grep -v '^dnl ')"
SM_CF=$E2E_SENDMAIL_CACHE/root/usr/share/sendmail/cf
# cf.m4 looks for FEATURE files in its own folder (_CF_DIR_), the unpacked one here; Debian's
# sendmail-cf has its own in /usr/share/sendmail/cf, where the package put the file.
feature_in_debian_place() { printf "pushdef(\`_CF_DIR_', \`/usr/share/sendmail/cf/')%spopdef(\`_CF_DIR_')dnl\n" "$1"; }
mkdir -p "$TMP/cf"
for want in "FEATURE(\`milter-annotate')|inet:8891@127.0.0.1" \
    "FEATURE(\`milter-annotate', \`unix:/run/milter-annotate/m.sock')|unix:/run/milter-annotate/m.sock"; do
    feature=${want%|*}
    cat >"$TMP/cf/t.mc" <<EOF
include(\`$SM_CF/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
$(feature_in_debian_place "$feature")
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
    if timeout 30 "$E2E_SENDMAIL_CACHE/root/usr/bin/m4" "$TMP/cf/t.mc" >"$TMP/cf/t.cf" 2>"$TMP/cf/m4.err" &&
        [ ! -s "$TMP/cf/m4.err" ]; then
        expect_eq "sendmail.cf from $feature: its filter" \
            "O InputMailFilters=milter-annotate
Xmilter-annotate, S=${want#*|}, T=S:10s;R:10s;E:5m" \
            "$(grep -E '^(O InputMailFilters=|X)' "$TMP/cf/t.cf")"
    else
        fail "m4 on an .mc with $feature:"
        show "$(cat "$TMP/cf/m4.err")"
    fi
done

FEATURE_LINE=$("$BIN" -c "$CONF" mta-config sendmail | grep '^FEATURE(')
expect_eq "mta-config sendmail, test configuration" \
    "FEATURE(\`milter-annotate', \`inet:$MPORT@127.0.0.1')dnl" "$FEATURE_LINE"
SM=$TMP/sendmail
if sm_start "$SM" "$SMPORT" none "$(feature_in_debian_place "${FEATURE_LINE%dnl}")"; then
    pass "a private Sendmail with that FEATURE line listens on 127.0.0.1:$SMPORT"
    expect_eq "its sendmail.cf: Xmilter-annotate with the test socket" \
        "Xmilter-annotate, S=inet:$MPORT@127.0.0.1, T=S:10s;R:10s;E:5m" "$(grep '^X' "$SM/sendmail.cf")"
    got=$(swaks_rcpt "$SMPORT" blocked@localhost)
    echo "   sender got at RCPT: $(printf '%s\n' "$got" | head -n 1)"
    expect_eq "Sendmail: the first line, with Sendmail's '<address>... '" \
        "550-5.7.1 <blocked@localhost>... Relaying denied" "$(printf '%s\n' "$got" | head -n 1)"
    expect_contains "Sendmail: RCPT TO:<blocked@localhost> has an Explanation:" "$got" "Explanation: "
    check "Sendmail: one code and enhanced code on every line, '-' on all but the last" reply_shape_ok "$got"
    sm_stop "$SM"
else
    fail "the private Sendmail with the installed FEATURE did not start"
fi

check "the milter stops on SIGTERM within 15 s" stop_milter

# ---- 5b. the SysV script, with the packaged configuration and defaults ----------------------------------

# Where systemd does not run (this machine, a container), the SysV script starts the milter; it
# must drop to the package's user (RUN_AS in /etc/default, passed as -u).
SYSV_PORT=$(sed -n 's/^socket = "inet:\([0-9]*\)@127\.0\.0\.1";$/\1/p' "$ETC_CONF")
SYSV_PIDFILE=$(sed -n 's/^PIDFILE=//p' /etc/default/$PKG)
if [ -z "$SYSV_PORT" ] || _mta_listening "$SYSV_PORT"; then
    fail "SysV: the packaged socket's port (${SYSV_PORT:-none}) is not a free 127.0.0.1 port here"
else
    echo "== /etc/init.d/$PKG start (the packaged configuration: 127.0.0.1:$SYSV_PORT)"
    out=$(timeout 60 /etc/init.d/$PKG start </dev/null 2>&1)
    rc=$?
    if [ "$rc" = 0 ]; then pass "SysV start: exit 0"; else fail "SysV start (exit $rc):"; show "$out"; fi
    for ((i = 0; i < 150; i++)); do _mta_listening "$SYSV_PORT" && break; sleep 0.1; done
    check "SysV: the milter listens on 127.0.0.1:$SYSV_PORT" _mta_listening "$SYSV_PORT"
    SPID=$(cat "$SYSV_PIDFILE" 2>/dev/null)
    check "SysV: $SYSV_PIDFILE names a running $BIN" \
        test -n "$SPID" -a "$(readlink "/proc/$SPID/exe" 2>/dev/null)" = "$BIN"
    expect_eq "SysV: it runs as $USER_NAME:$USER_NAME (real and effective uid and gid), not root" \
        "$(id -u "$USER_NAME") $(id -u "$USER_NAME") $(getent group "$USER_NAME" | cut -d: -f3) $(getent group "$USER_NAME" | cut -d: -f3)" \
        "$(awk '/^Uid:/ { u = $2 " " $3 } /^Gid:/ { g = $2 " " $3 } END { print u, g }' "/proc/$SPID/status" 2>/dev/null)"
    check "SysV status: running" quiet timeout 30 /etc/init.d/$PKG status
    check "SysV reload: exit 0" quiet timeout 30 /etc/init.d/$PKG reload
    sleep 1
    check "SysV reload: the same process still runs" alive "$SPID"
    check "SysV stop: exit 0" quiet timeout 60 /etc/init.d/$PKG stop
    for ((i = 0; i < 150; i++)); do alive "$SPID" || break; sleep 0.1; done
    check "SysV stop: the process is gone (or a zombie for init to reap)" test -n "$SPID" -a "$(alive "$SPID" && echo up)" != up
    check "SysV status after stop: not running" test "$(timeout 30 /etc/init.d/$PKG status >/dev/null 2>&1; echo $?)" != 0
fi

# ---- 6. a local edit survives installing again ---------------------------------------------------------

echo "== the administrator's edit survives dpkg -i"
EDIT="# local edit by test_deb.sh $$"
echo "$EDIT" >>"$ETC_CONF"
if timeout 600 dpkg -i "$DEB" </dev/null >"$TMP/dpkg-i2.log" 2>&1; then
    pass "dpkg -i again (no question asked)"
else
    fail "dpkg -i again failed:"
    show "$(cat "$TMP/dpkg-i2.log")"
fi
check "/etc/milter-annotate.conf keeps the local edit" grep -qxF "$EDIT" "$ETC_CONF"

# ---- 7. remove, then purge -----------------------------------------------------------------------------

echo "== dpkg -r, then dpkg --purge"
timeout 300 dpkg -r "$PKG" </dev/null >"$TMP/dpkg-r.log" 2>&1 || { fail "dpkg -r failed:"; show "$(cat "$TMP/dpkg-r.log")"; }
expect_eq "dpkg -r: configuration files remain (rc)" "rc" "$(pkg_status)"
check "dpkg -r: $BIN is gone" test ! -e "$BIN"
check "dpkg -r: /usr/share/$PKG is gone" test ! -e "/usr/share/$PKG"
check "dpkg -r: $ETC_CONF stays, with the local edit" grep -qxF "$EDIT" "$ETC_CONF"

timeout 300 dpkg --purge "$PKG" </dev/null >"$TMP/dpkg-p.log" 2>&1 || { fail "dpkg --purge failed:"; show "$(cat "$TMP/dpkg-p.log")"; }
expect_eq "dpkg --purge: not installed" "" "$(pkg_status | grep -vxE 'un|pn' || true)"
left=
while IFS= read -r f; do
    [ "$f" = /. ] && continue
    if [ -d "$f" ]; then
        # A folder may stay only if another package owns it too.
        dpkg -S "$f" >/dev/null 2>&1 || left="$left $f"
    elif [ -e "$f" ] || [ -L "$f" ]; then
        left="$left $f"
    fi
done <"$TMP/files"
expect_eq "dpkg --purge: nothing of the package is left (files, conffiles, folders)" "" "${left# }"
expect_eq "dpkg --purge: no rc links, no systemd symlink or state" "" \
    "$(ls -d /etc/rc?.d/*"$PKG" /etc/systemd/system/*.wants/"$PKG".service \
        /var/lib/systemd/deb-systemd-helper-enabled/"$PKG".service.dsh-also \
        /var/lib/systemd/deb-systemd-helper-enabled/*.wants/"$PKG".service 2>/dev/null)"
expect_eq "dpkg --purge: no maintainer scripts left in /var/lib/dpkg/info" "" \
    "$(ls /var/lib/dpkg/info/"$PKG".* 2>/dev/null)"
check "dpkg --purge: user $USER_NAME is kept (Debian policy)" quiet getent passwd "$USER_NAME"
check "dpkg --purge: group $USER_NAME is kept" quiet getent group "$USER_NAME"
[ "$HAD_USER" = 0 ] && echo "   (the clean-up deletes the user and group: this test created them)"

finish
