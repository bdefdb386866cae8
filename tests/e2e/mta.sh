# mta.sh - private Postfix and Sendmail instances on 127.0.0.1 for end-to-end milter tests.
#
# Source it from bash, as root, after tests/e2e/deps.sh has run once:
#
#   . tests/e2e/mta.sh
#   pf_start DIR SMTP_PORT MILTER_SOCKET [EXTRA_MAIN_CF_LINES [EXTRA_MASTER_CF_LINES]]
#                               (E2E_PF_DELIVER=1 in its environment: the queue manager runs)
#   pf_stop DIR                 bounded (SIGTERM, then SIGKILL after $E2E_STOP_TIMEOUT s)
#   pf_reload DIR               postfix reload (after editing DIR/main.cf or DIR/rcpt_access)
#   pf_maillog DIR              prints DIR/maillog
#   pf_queue_ids DIR            ids of the messages Postfix has queued, one a line
#   pf_queue_file DIR ID        the queued message (envelope records, headers, body), postcat
#   pf_queue_message DIR ID     the queued message's headers and body only (postcat -bh), LF
#                               line endings, as Postfix would deliver it (milter changes in)
#   sm_start DIR SMTP_PORT MILTER_PORT|none [EXTRA_MC_LINES]
#   sm_stop DIR                 bounded like pf_stop
#   sm_maillog DIR              prints DIR/maillog (Sendmail's syslog lines)
#   sm_queue_ids DIR            ids of the messages Sendmail has queued, one a line
#   sm_queue_file DIR ID        qf file (envelope + headers), then "---- body (dfID):", df file
#   sm_queue_message DIR ID     the queued message's headers (the qf H lines Sendmail writes
#                               for any mailer; conditional "H?x?" ones left out) and body
#                               (df), LF line endings
#   mta_wait_port PORT [SECS]   wait until 127.0.0.1:PORT listens
#
# Every function returns non-zero on failure and says why on stderr; every wait is bounded.
# DIR: a folder of the caller's (created if missing, e.g. from mktemp -d; made 0755); all of
# an instance's files live in it, nothing is written elsewhere. Use one DIR per instance.
# Start-up waits for the listening socket in /proc/net/tcp, without connecting: a milter
# sees no probe connection. Ports are the caller's; all sockets are on 127.0.0.1.
#
# Postfix (Debian package): config in DIR (main.cf, master.cf = Debian's master.cf.dist with
#   smtpd on 127.0.0.1:SMTP_PORT and chroot off), queue in DIR/queue, log in DIR/maillog
#   (maillog_file). `postqueue -c DIR -p`, `postcat -c DIR -q ID` work (as root).
#   Accepted mail stays queued: the queue manager is disabled (master_service_disable =
#   qmgr.unix), so a message stays in DIR/queue/incoming (one quarantined by a milter goes
#   to DIR/queue/hold) and is never delivered. Expected side effect, one line per message in
#   the maillog: "cleanup[..]: warning: unable to look up public/qmgr: No such file or directory".
#   With E2E_PF_DELIVER=1 in pf_start's environment the queue manager runs instead: mail is
#   delivered (or deferred, or bounced) as main.cf says (give the routing in
#   EXTRA_MAIN_CF_LINES, e.g. transport_maps) and bounce(8) sends notifications.
#   mydestination = localhost, any user@localhost is accepted (local_recipient_maps empty),
#   relaying from 127.0.0.0/8 only. Postfix itself answers (DIR/rcpt_access, pcre):
#     RCPT TO:<mtareject@...> 554 5.7.1 <mtareject@localhost>: Recipient address rejected: Rejected by local policy
#     RCPT TO:<mtadefer@...>  450 4.7.1 <mtadefer@localhost>: Recipient address rejected: Deferred by local policy
#   smtpd_milters = MILTER_SOCKET (Postfix form: inet:127.0.0.1:PORT, unix:/path; "" for
#   none), milter_protocol = 6, milter_default_action = tempfail. EXTRA_MAIN_CF_LINES:
#   "name = value" lines (newline-separated; indented lines continue the previous one),
#   applied with postconf -e so they replace the defaults above. EXTRA_MASTER_CF_LINES are
#   appended to master.cf as they are (e.g. a second smtpd on another port with its own
#   "-o smtpd_milters=..." lines).
#   No change to /etc/postfix: as root, `postfix -c DIR` does not need DIR to be listed in
#   alternate_config_directories (Postfix 3.7, measured), so the list is left alone.
#
# Sendmail (the unpacked Debian packages in $E2E_SENDMAIL_CACHE, see deps.sh): DIR/sendmail.cf
#   built with the unpacked m4 from DIR/sendmail.mc; queue in DIR/queue, pid in
#   DIR/sendmail.pid. DeliveryMode=q (queue only, no queue runner): an accepted message stays
#   as DIR/queue/qfID + dfID. ("d" would be simpler but cf.m4 then drops the check_* rulesets,
#   the local rejection included.) localhost is a local domain, any user@localhost is
#   accepted; hosts are looked up in /etc/hosts only (DIR/service.switch). Sendmail answers:
#     RCPT TO:<mtareject@...> 550 5.7.1 <mtareject@localhost>... Rejected by local rule
#     RCPT TO:<mtadefer@...>  450 4.7.1 <mtadefer@localhost>... Deferred by local rule
#   Filter: INPUT_MAIL_FILTER(`annotate', `S=inet:MILTER_PORT@127.0.0.1, F=T,
#   T=S:10s;R:10s;E:5m'); MILTER_PORT "none" (or "") leaves it out. With F=T and no milter
#   listening, MAIL FROM gets "451 4.3.2 Please try again later". EXTRA_MC_LINES are put in
#   the .mc before the MAILER lines.
#   Log: Sendmail logs only through syslog(3) and this machine has no syslog daemon
#   (no /dev/log); it has no option to log to a file (-L only sets the tag, -d/-D are debug
#   output). So it runs with LD_PRELOAD=syslog-to-file.so (tests/e2e/syslog-to-file.c, built
#   by deps.sh), which appends each syslog line to DIR/maillog, e.g.
#     2026-11-22T19:35:06 sm-test[6877]: <notice> 6AMJZ6ci006877: ruleset=check_rcpt, ...
#   The same shim makes gethostname() return sm-test.localdomain: with the machine's
#   unqualified name Sendmail sleeps 60 s at start-up ("My unqualified host name (vm)
#   unknown; sleeping for retry"), before it has read its .cf.
#
# Environment: E2E_SENDMAIL_CACHE (default <repo top>/build/e2e-cache/sendmail),
#   E2E_START_TIMEOUT (seconds to wait for a port, default 15),
#   E2E_STOP_TIMEOUT (seconds to wait for a stop, default 10).

_MTA_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
_MTA_REPO_TOP=$(cd "$_MTA_E2E_DIR/../.." && pwd -P)
: "${E2E_SENDMAIL_CACHE:=$_MTA_REPO_TOP/build/e2e-cache/sendmail}"
: "${E2E_START_TIMEOUT:=15}"
: "${E2E_STOP_TIMEOUT:=10}"

_mta_err() { echo "mta.sh: $*" >&2; }

# 0 if process PID exists and is not a zombie (this machine's init reaps orphans lazily, so a
# stopped daemon can linger as a zombie, which kill -0 still reports).
_mta_alive() {
    local st
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Live processes that are PID itself or in the process group or session it leads (a Postfix
# master and a detached Sendmail daemon lead their own session; their children stay in it).
# Reads /proc (procps may be missing on a minimal machine).
_mta_tree_pids() {
    local want=$1 f line pid st pg sid rest
    for f in /proc/[0-9]*/stat; do
        { IFS= read -r line <"$f"; } 2>/dev/null || continue
        pid=${line%% *}
        rest=${line##*) }                     # after "(comm) ", comm may hold spaces
        read -r st _ pg sid rest <<<"$rest"
        case $st in Z | X) continue ;; esac
        if [ "$pid" = "$want" ] || [ "$pg" = "$want" ] || [ "$sid" = "$want" ]; then
            echo "$pid"
        fi
    done
}

# _mta_stop_tree WHO PID: SIGTERM PID, wait (bounded) until it and its group/session are gone,
# SIGTERM stragglers after 2 s, SIGKILL whatever is left after $E2E_STOP_TIMEOUT s.
_mta_stop_tree() {
    local who=$1 pid=$2 i pids
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < E2E_STOP_TIMEOUT * 10; i++)); do
        pids=$(_mta_tree_pids "$pid")
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086 # one pid a word
        [ "$i" = 20 ] && kill -TERM $pids 2>/dev/null
        sleep 0.1
    done
    pids=$(_mta_tree_pids "$pid")
    if [ -n "$pids" ]; then
        _mta_err "$who: processes $pids still there after ${E2E_STOP_TIMEOUT}s, killing them"
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
    fi
    return 0
}

# Absolute path of DIR without symlinks (created if missing).
_mta_absdir() {
    [ -n "$1" ] || { _mta_err "no directory given"; return 1; }
    mkdir -p "$1" && (cd "$1" && pwd -P)
}

# 0 if something listens on 127.0.0.1:PORT (or 0.0.0.0:PORT). Reads /proc/net/tcp, so no
# SMTP connection is made (a milter never sees a probe connection).
_mta_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    if [ -r /proc/net/tcp ]; then
        awk -v p=":$hex" '$4 == "0A" && ($2 == "0100007F" p || $2 == "00000000" p) {f=1}
                          END {exit !f}' /proc/net/tcp
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# mta_wait_port PORT [SECONDS]: wait until 127.0.0.1:PORT listens.
mta_wait_port() {
    local port=$1 secs=${2:-$E2E_START_TIMEOUT} i
    for ((i = 0; i < secs * 10; i++)); do
        _mta_listening "$port" && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------------------
# Postfix
# ---------------------------------------------------------------------------------------

# Print Postfix start-up errors (they go to a terminal or syslog only, so use script(1)).
_pf_diagnose() {
    local dir=$1
    echo "---- postfix -c $dir check:" >&2
    script -qc "postfix -c '$dir' check" /dev/null </dev/null 2>&1 | tr -d '\r' | tail -n 20 >&2
    if [ -s "$dir/maillog" ]; then
        echo "---- tail of $dir/maillog:" >&2
        tail -n 20 "$dir/maillog" >&2
    fi
}

pf_start() {
    local dir port=$2 milter=$3 extra=${4:-} extra_master=${5:-} qmgr_line
    if [ $# -lt 3 ]; then
        _mta_err "usage: pf_start DIR SMTP_PORT MILTER_SOCKET [EXTRA_MAIN_CF_LINES [EXTRA_MASTER_CF_LINES]]"
        return 2
    fi
    [ "$(id -u)" = 0 ] || { _mta_err "pf_start: must run as root"; return 1; }
    command -v postfix >/dev/null || { _mta_err "pf_start: no postfix: run tests/e2e/deps.sh"; return 1; }
    dir=$(_mta_absdir "$1") || return 1
    if _pf_master_pid "$dir" >/dev/null; then
        _mta_err "pf_start: a Postfix already runs in $dir"
        return 1
    fi
    if _mta_listening "$port"; then
        _mta_err "pf_start: port 127.0.0.1:$port is already in use"
        return 1
    fi
    chmod 755 "$dir"
    mkdir -p "$dir/data" "$dir/queue"
    chown postfix:postfix "$dir/data"
    if ! runuser -u postfix -- test -r "$dir/." -a -x "$dir/."; then
        _mta_err "pf_start: user postfix cannot reach $dir (a parent folder is not world-searchable: chmod o+x it)"
        return 1
    fi

    # master.cf: Debian's pristine one, smtpd on 127.0.0.1:PORT only, no chroot anywhere.
    awk -v port="$port" '
        /^smtp[ \t]+inet[ \t]/ { print "127.0.0.1:" port "      inet  n       -       n       -       -       smtpd"; next }
        /^[a-zA-Z0-9]/ && NF >= 8 && $5 == "y" { $5 = "n"; print; next }
        { print }' /usr/share/postfix/master.cf.dist >"$dir/master.cf"
    if [ -n "$extra_master" ]; then
        printf '%s\n' "$extra_master" >>"$dir/master.cf"
    fi

    cat >"$dir/rcpt_access" <<'EOF'
# Recipients Postfix itself refuses (tests/e2e/mta.sh)
/^mtareject@/	REJECT Rejected by local policy
/^mtadefer@/	DEFER Deferred by local policy
EOF

    if [ "${E2E_PF_DELIVER:-0}" = 1 ]; then
        qmgr_line="# E2E_PF_DELIVER=1: the queue manager runs, mail is delivered.
master_service_disable ="
    else
        qmgr_line="# Keep accepted mail in the queue: without a queue manager nothing leaves \"incoming\".
master_service_disable = qmgr.unix"
    fi
    cat >"$dir/main.cf" <<EOF
# Private Postfix instance for milter-annotate end-to-end tests (tests/e2e/mta.sh)
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
myhostname = pf-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP Postfix (milter-annotate e2e)
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
smtpd_recipient_restrictions = check_recipient_access pcre:$dir/rcpt_access, permit_mynetworks, reject_unauth_destination
$qmgr_line
smtpd_milters = $milter
milter_protocol = 6
milter_default_action = tempfail
EOF
    # Extra lines replace earlier settings of the same name (postconf -e, no duplicates).
    if [ -n "$extra" ]; then
        local line entry="" entries=()
        while IFS= read -r line || [ -n "$line" ]; do
            case "$line" in
            '' | '#'*) continue ;;
            [[:space:]]*) entry="$entry ${line#"${line%%[![:space:]]*}"}" ;;   # continuation
            *) [ -n "$entry" ] && entries+=("$entry"); entry=$line ;;
            esac
        done <<<"$extra"
        [ -n "$entry" ] && entries+=("$entry")
        if [ ${#entries[@]} -gt 0 ] && ! postconf -c "$dir" -e "${entries[@]}"; then
            _mta_err "pf_start: bad extra main.cf lines: $extra"
            return 1
        fi
    fi

    local out
    if ! out=$(timeout 60 postfix -c "$dir" set-permissions 2>&1); then
        _mta_err "pf_start: postfix set-permissions failed: $out"
        _pf_diagnose "$dir"
        return 1
    fi
    # set-permissions did what start's integrity checks do; skip them (quick-start): they
    # would flag the queue inside the config folder and take seconds.
    touch "$dir/queue/quick-start"
    if ! out=$(timeout 60 script -qc "postfix -c '$dir' start" /dev/null </dev/null 2>&1); then
        _mta_err "pf_start: postfix -c $dir start failed:"
        printf '%s\n' "$out" | tr -d '\r' >&2
        _pf_diagnose "$dir"
        return 1
    fi
    if ! mta_wait_port "$port" "$E2E_START_TIMEOUT"; then
        _mta_err "pf_start: nothing listens on 127.0.0.1:$port after ${E2E_START_TIMEOUT}s"
        printf '%s\n' "$out" | tr -d '\r' >&2
        _pf_diagnose "$dir"
        pf_stop "$dir"
        return 1
    fi
    return 0
}

_pf_master_pid() {
    local f=$1/queue/pid/master.pid p
    [ -f "$f" ] || return 1
    p=$(tr -dc 0-9 <"$f")
    _mta_alive "$p" && echo "$p"
}

pf_stop() {
    local dir pid
    [ -n "${1:-}" ] || { _mta_err "usage: pf_stop DIR"; return 2; }
    [ -d "$1" ] || return 0
    dir=$(cd "$1" && pwd -P)
    # What `postfix stop` does, without its 1-second polling: SIGTERM to the master, which
    # terminates its process group.
    pid=$(_pf_master_pid "$dir") && _mta_stop_tree pf_stop "$pid"
    return 0
}

pf_reload() {
    local dir
    [ -n "${1:-}" ] || { _mta_err "usage: pf_reload DIR"; return 2; }
    dir=$(cd "$1" && pwd -P) || return 1
    _pf_master_pid "$dir" >/dev/null || { _mta_err "pf_reload: no Postfix runs in $dir"; return 1; }
    timeout 30 postfix -c "$dir" reload >/dev/null 2>&1 || {
        _mta_err "pf_reload: postfix -c $dir reload failed"; _pf_diagnose "$dir"; return 1; }
}

pf_maillog() {
    [ -n "${1:-}" ] || { _mta_err "usage: pf_maillog DIR"; return 2; }
    [ -f "$1/maillog" ] && cat "$1/maillog"
    return 0
}

pf_queue_ids() {
    local dir=${1:?usage: pf_queue_ids DIR}
    [ -d "$dir/queue" ] || return 0
    find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" "$dir/queue/hold" \
        -type f 2>/dev/null | sed 's#.*/##' | sort
    return 0
}

pf_queue_file() {
    local dir=${1:?usage: pf_queue_file DIR ID} id=${2:?usage: pf_queue_file DIR ID}
    dir=$(cd "$dir" && pwd -P) || return 1
    postcat -c "$dir" -q "$id"
}

pf_queue_message() {
    local dir=${1:?usage: pf_queue_message DIR ID} id=${2:?usage: pf_queue_message DIR ID}
    dir=$(cd "$dir" && pwd -P) || return 1
    timeout 60 postcat -c "$dir" -bh -q "$id"
}

# ---------------------------------------------------------------------------------------
# Sendmail
# ---------------------------------------------------------------------------------------

_sm_root() { echo "$E2E_SENDMAIL_CACHE/root"; }

_sm_ldpath() {
    local r p d
    r=$(_sm_root)
    p=$r/lib/x86_64-linux-gnu:$r/usr/lib/x86_64-linux-gnu
    for d in "$r"/lib/* "$r"/usr/lib/*; do
        [ -d "$d" ] && case "$d" in *-linux-gnu*) p=$p:$d ;; esac
    done
    echo "$p"
}

# Run the unpacked sendmail binary with the right environment: _sm_run DIR ARGS...
_sm_run() {
    local dir=$1
    shift
    env LD_LIBRARY_PATH="$(_sm_ldpath)" LD_PRELOAD="$E2E_SENDMAIL_CACHE/syslog-to-file.so" \
        E2E_SYSLOG_FILE="$dir/maillog" E2E_HOSTNAME=sm-test.localdomain \
        "$(_sm_root)/usr/libexec/sendmail/sendmail" -C "$dir/sendmail.cf" "$@"
}

_sm_pid() {
    local f=$1/sendmail.pid p
    [ -f "$f" ] || return 1
    p=$(head -n 1 "$f" | tr -dc 0-9)
    _mta_alive "$p" && echo "$p"
}

sm_start() {
    local dir port=$2 mport=$3 extra=${4:-} r
    if [ $# -lt 3 ]; then
        _mta_err "usage: sm_start DIR SMTP_PORT MILTER_PORT|none [EXTRA_MC_LINES]"
        return 2
    fi
    [ "$(id -u)" = 0 ] || { _mta_err "sm_start: must run as root"; return 1; }
    dir=$(_mta_absdir "$1") || return 1
    r=$(_sm_root)
    if [ ! -x "$r/usr/libexec/sendmail/sendmail" ] || [ ! -f "$E2E_SENDMAIL_CACHE/syslog-to-file.so" ]; then
        _mta_err "sm_start: no unpacked Sendmail in $E2E_SENDMAIL_CACHE: run tests/e2e/deps.sh"
        return 1
    fi
    if _sm_pid "$dir" >/dev/null; then
        _mta_err "sm_start: a Sendmail already runs in $dir"
        return 1
    fi
    if _mta_listening "$port"; then
        _mta_err "sm_start: port 127.0.0.1:$port is already in use"
        return 1
    fi
    # Sendmail refuses unsafe (group/world-writable) paths to its files.
    chmod 755 "$dir"
    mkdir -p "$dir/queue"
    chmod 700 "$dir/queue"
    : >"$dir/aliases"
    echo localhost >"$dir/local-host-names"
    # No DNS here: resolve hosts from /etc/hosts only.
    printf 'hosts\tfiles\naliases\tfiles\n' >"$dir/service.switch"
    : >>"$dir/maillog"

    local filter="dnl no milter (MILTER_PORT=none)"
    if [ -n "$mport" ] && [ "$mport" != none ]; then
        filter="INPUT_MAIL_FILTER(\`annotate', \`S=inet:$mport@127.0.0.1, F=T, T=S:10s;R:10s;E:5m')dnl"
    fi
    cat >"$dir/sendmail.mc" <<EOF
divert(-1)
# Private Sendmail instance for milter-annotate end-to-end tests (tests/e2e/mta.sh)
divert(0)dnl
include(\`$r/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`milter-annotate e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`sm-test.localdomain')dnl
define(\`QUEUE_DIR', \`$dir/queue')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`STATUS_FILE', \`$dir/statistics')dnl
define(\`ALIAS_FILE', \`$dir/aliases')dnl
define(\`confCW_FILE', \`$dir/local-host-names')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confHELP_FILE', \`$dir/helpfile')dnl
define(\`confDELIVERY_MODE', \`q')dnl
dnl A busy test machine must not make Sendmail refuse or queue connections.
define(\`confREFUSE_LA', \`1000')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confLOG_LEVEL', \`9')dnl
define(\`confMILTER_LOG_LEVEL', \`9')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings,noexpn,novrfy')dnl
define(\`confSMTP_LOGIN_MSG', \`\$j Sendmail (milter-annotate e2e)')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`nocanonify')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
$filter
$extra
MAILER(\`local')dnl
MAILER(\`smtp')dnl
LOCAL_RULESETS
SLocal_check_rcpt
R\$* mtareject @ \$*	\$#error \$@ 5.7.1 \$: "550 Rejected by local rule"
R\$* mtadefer @ \$*	\$#error \$@ 4.7.1 \$: "450 Deferred by local rule"
EOF
    if ! "$r/usr/bin/m4" "$dir/sendmail.mc" >"$dir/sendmail.cf" 2>"$dir/m4.err"; then
        _mta_err "sm_start: m4 $dir/sendmail.mc failed:"
        cat "$dir/m4.err" >&2
        return 1
    fi
    [ -s "$dir/m4.err" ] && { _mta_err "sm_start: m4 says:"; cat "$dir/m4.err" >&2; }
    local out
    if ! out=$(_sm_run "$dir" -bd -L sm-test 2>&1 </dev/null); then
        _mta_err "sm_start: sendmail -bd failed: $out"
        tail -n 20 "$dir/maillog" >&2
        return 1
    fi
    if ! mta_wait_port "$port" "$E2E_START_TIMEOUT"; then
        _mta_err "sm_start: nothing listens on 127.0.0.1:$port after ${E2E_START_TIMEOUT}s"
        [ -n "$out" ] && printf '%s\n' "$out" >&2
        tail -n 20 "$dir/maillog" >&2
        sm_stop "$dir"
        return 1
    fi
    # The daemon writes its pid file once it listens; sm_stop needs it.
    local i
    for ((i = 0; i < 50; i++)); do
        _sm_pid "$dir" >/dev/null && return 0
        sleep 0.1
    done
    _mta_err "sm_start: 127.0.0.1:$port listens but $dir/sendmail.pid names no live process"
    return 1
}

sm_stop() {
    local dir pid
    [ -n "${1:-}" ] || { _mta_err "usage: sm_stop DIR"; return 2; }
    [ -d "$1" ] || return 0
    dir=$(cd "$1" && pwd -P)
    pid=$(_sm_pid "$dir") && _mta_stop_tree sm_stop "$pid"
    rm -f "$dir/sendmail.pid"
    return 0
}

sm_maillog() {
    [ -n "${1:-}" ] || { _mta_err "usage: sm_maillog DIR"; return 2; }
    [ -f "$1/maillog" ] && cat "$1/maillog"
    return 0
}

sm_queue_ids() {
    local dir=${1:?usage: sm_queue_ids DIR}
    [ -d "$dir/queue" ] || return 0
    find "$dir/queue" -maxdepth 1 -type f -name 'qf*' 2>/dev/null | sed 's#.*/qf##' | sort
    return 0
}

sm_queue_file() {
    local dir=${1:?usage: sm_queue_file DIR ID} id=${2:?usage: sm_queue_file DIR ID}
    [ -f "$dir/queue/qf$id" ] || { _mta_err "sm_queue_file: no qf$id in $dir/queue"; return 1; }
    cat "$dir/queue/qf$id"
    echo "---- body (df$id):"
    cat "$dir/queue/df$id" 2>/dev/null
}

# The headers Sendmail will write whatever the mailer: qf "H" lines (with their folded
# continuation lines), the "H" and an empty "??" condition removed; conditional ones
# ("H?P?Return-Path", "H?x?Full-Name": written only for mailers with that flag, their
# values macro-coded) left out. Then a blank line and the df body as it is.
sm_queue_message() {
    local dir=${1:?usage: sm_queue_message DIR ID} id=${2:?usage: sm_queue_message DIR ID}
    [ -f "$dir/queue/qf$id" ] || { _mta_err "sm_queue_message: no qf$id in $dir/queue"; return 1; }
    LC_ALL=C awk '
        /^H/ { keep = 0
               if ($0 ~ /^H\?[^?]+\?/) next
               sub(/^H(\?\?)?/, ""); keep = 1; print; next }
        /^[ \t]/ { if (keep) print; next }
        { keep = 0 }' "$dir/queue/qf$id"
    echo
    cat "$dir/queue/df$id" 2>/dev/null
}
