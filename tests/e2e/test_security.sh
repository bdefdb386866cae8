#!/usr/bin/env bash
# test_security.sh - what milter-annotate does with its privileges and files, in libmilter mode
# and in proxy mode (in front of build/tests/upstream_milter).
#
#   sudo tests/e2e/test_security.sh      (root; build first with: make && make unit-bins)
#
# - user = "nobody", group = "nogroup": once listening, the process runs as them: real,
#   effective, saved and filesystem ids (/proc/PID/status Uid/Gid) are nobody's / nogroup's,
#   no supplementary group but nobody's own; it still answers a session and reloads on SIGHUP;
#   the same detached (no -f, the pid from -P)
# - a user or group that does not exist: the start fails (exit 1) with "no user 'X'" / "no group
#   'X'" on standard error, in the foreground and detached (the parent waits for the child to be
#   set up), and nothing is left running nor listening
# - started by an ordinary user (nobody) with user = "postfix": it cannot drop to it and refuses
#   to run ("cannot drop privileges")
# - socket = "unix:/path" from the configuration: the socket's mode follows umask ("007":
#   srwxrwx---, "077": srwx------) and it belongs to the configured user and group
# - a configuration or code table file writable by others: the start is refused with
#   "FILE: refused: writable by others (chmod o-w FILE)"; on SIGHUP the reload is refused with
#   that line and the rules in force stay
# Prints "N passed, N failed"; exits 1 if any check failed. E2E_KEEP=1 keeps the temp folder.
set -u
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
e2e_init security
START=$(date +%s.%N)

UP_BIN=$MA_BUILD/tests/upstream_milter
if [ ! -x "$UP_BIN" ] || [ ! -x "$MTADRIVER" ]; then
    fail "build/tests is incomplete: run make unit-bins"
    e2e_finish
fi
if [ "$(id -u)" != 0 ]; then
    fail "test_security.sh must run as root"
    e2e_finish
fi
if ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null; then
    fail "no user nobody or no group nogroup on this machine"
    e2e_finish
fi
NOBODY_UID=$(id -u nobody)
NOGROUP_GID=$(getent group nogroup | cut -d: -f3)

if ! e2e_port UPORT || ! e2e_port MPORT; then
    fail "no free ports"
    e2e_finish
fi
UP_PID=
"$UP_BIN" "inet:$UPORT@127.0.0.1" >>"$E2E_TMP/upstream.log" 2>&1 </dev/null &
UP_PID=$!
trap '[ -n "$UP_PID" ] && kill -KILL "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null; e2e_cleanup' EXIT
mta_wait_port "$UPORT" 10 || { fail "upstream_milter does not listen"; e2e_finish; }

declare -A NAME=([M]=libmilter [P]=proxy)

# sec_conf FILE MODE [LINES]: a configuration with one rule (blocked@: 550), in MODE (M or P),
# plus LINES.
sec_conf() {
    local file=$1 mode=$2 lines=${3:-}
    {
        echo '# test_security.sh'
        echo 'log = "stderr";'
        [ "$mode" = P ] && echo "upstream = \"inet:$UPORT@127.0.0.1\";"
        printf '%s\n' "$lines"
        echo 'rules = ( { name = "r"; stage = "rcpt"; rcpt = "^<?blocked@"; reply = "550 5.7.1 Relaying denied"; } );'
    } >"$file"
    chmod 644 "$file"
}

# A session: blocked@ gets the annotated 550.
SESSION='optneg
connect client.example 4 25000 192.0.2.1
helo client.example
mail <a@localhost>
rcpt <blocked@localhost>
expect y 550-5.7.1 Relaying denied
quit'

# ids PID: "Uid Gid Groups" lines of /proc/PID/status, tabs as spaces.
ids() { grep -E '^(Uid|Gid|Groups):' "/proc/$1/status" | tr -s '\t ' ' ' | sed 's/ $//'; }

# ---- the privilege drop ----------------------------------------------------------------------

for mode in M P; do
    name="user nobody, group nogroup (${NAME[$mode]})"
    conf=$E2E_TMP/drop-$mode.conf
    sec_conf "$conf" "$mode" $'user = "nobody";\ngroup = "nogroup";'
    if ! ma_start "drop$mode" "$conf" "$MPORT"; then
        fail "$name: does not start"
        continue
    fi
    pid=$(ma_pid "drop$mode")
    expect_eq "$name: runs as nobody:nogroup (real, effective, saved, fs), no other group" \
        "Uid: $NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID
Gid: $NOGROUP_GID $NOGROUP_GID $NOGROUP_GID $NOGROUP_GID
Groups: $NOGROUP_GID" "$(ids "$pid")"
    mtad "inet:$MPORT@127.0.0.1" "$SESSION"
    expect_eq "$name: answers a session" "0" "$MT_RC" || echo "         $MT_ERR"
    mark=$(ma_log_lines "drop$mode")
    kill -HUP "$pid"
    check "$name: reloads on SIGHUP" "wait_for_log '$(ma_logfile "drop$mode")' $mark ' reloaded ' 5"
    ma_stop "drop$mode"

    # Detached: the parent returns once the child is set up.
    name="user nobody, detached (${NAME[$mode]})"
    pidfile=$E2E_TMP/drop-$mode.pid
    out=$("$MA_BIN" -c "$conf" -p "inet:$MPORT@127.0.0.1" -P "$pidfile" 2>&1 </dev/null)
    rc=$?
    expect_eq "$name: the start succeeds, silently" "0 ''" "$rc '$out'"
    pid=$(cat "$pidfile" 2>/dev/null)
    if [ -n "$pid" ] && mta_wait_port "$MPORT" 10; then
        expect_eq "$name: runs as nobody:nogroup" \
            "Uid: $NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID
Gid: $NOGROUP_GID $NOGROUP_GID $NOGROUP_GID $NOGROUP_GID
Groups: $NOGROUP_GID" "$(ids "$pid")"
        mtad "inet:$MPORT@127.0.0.1" "$SESSION"
        expect_eq "$name: answers a session" "0" "$MT_RC"
        # shellcheck disable=SC2034 # lib.sh's ma_stop reads it
        E2E_MA_PID["detached$mode"]=$pid
        ma_stop "detached$mode"
    else
        fail "$name: no pid file or not listening"
    fi
done

# ---- users and groups it cannot become -------------------------------------------------------

# refused NAME EXPECTED_STDERR ARGS...: the milter, run with ARGS, exits 1 saying so, and leaves
# nothing behind on MPORT.
refused() {
    local name=$1 msg=$2 out rc
    shift 2
    out=$(timeout 30 "$@" 2>&1 </dev/null)
    rc=$?
    expect_eq "$name: the start fails" 1 "$rc"
    expect_contains "$name: says why" "$out" "$msg"
    sleep 0.3
    check "$name: nothing listens on its port" "! _mta_listening $MPORT"
}
for mode in M P; do
    conf=$E2E_TMP/nouser-$mode.conf
    sec_conf "$conf" "$mode" 'user = "nosuchuser-e2e";'
    refused "no such user, foreground (${NAME[$mode]})" "milter-annotate: no user 'nosuchuser-e2e'" \
        "$MA_BIN" -f -c "$conf" -p "inet:$MPORT@127.0.0.1"
    refused "no such user, detached (${NAME[$mode]})" "milter-annotate: no user 'nosuchuser-e2e'" \
        "$MA_BIN" -c "$conf" -p "inet:$MPORT@127.0.0.1"
    conf=$E2E_TMP/nogroup-$mode.conf
    sec_conf "$conf" "$mode" $'user = "nobody";\ngroup = "nosuchgroup-e2e";'
    refused "no such group, detached (${NAME[$mode]})" "milter-annotate: no group 'nosuchgroup-e2e'" \
        "$MA_BIN" -c "$conf" -p "inet:$MPORT@127.0.0.1"
    # Not root: it cannot become postfix, and must not go on as nobody.
    conf=$E2E_TMP/notroot-$mode.conf
    sec_conf "$conf" "$mode" 'user = "postfix";'
    refused "started by nobody with user = postfix (${NAME[$mode]})" \
        "milter-annotate: cannot drop privileges" \
        runuser -u nobody -- "$MA_BIN" -f -c "$conf" -p "inet:$MPORT@127.0.0.1"
done

# ---- a unix socket's mode and owner ------------------------------------------------------------

for mode in M P; do
    for um in 007 077; do
        name="unix socket, umask $um (${NAME[$mode]})"
        sock=$E2E_TMP/s-$mode-$um.sock
        conf=$E2E_TMP/sock-$mode-$um.conf
        sec_conf "$conf" "$mode" "socket = \"unix:$sock\";
umask = \"$um\";
user = \"nobody\";
group = \"nogroup\";"
        log=$E2E_TMP/sock-$mode-$um.log
        "$MA_BIN" -f -c "$conf" 2>"$log" </dev/null &
        pid=$!
        for ((i = 0; i < 50; i++)); do
            [ -S "$sock" ] && grep -q ' starting: ' "$log" && break
            sleep 0.1
        done
        want="srwxrwx--- nobody nogroup"
        [ "$um" = 077 ] && want="srwx------ nobody nogroup"
        expect_eq "$name: mode and owner" "$want" "$(stat -c '%A %U %G' "$sock" 2>&1)"
        mtad "unix:$sock" "$SESSION"
        expect_eq "$name: answers a session on it" 0 "$MT_RC"
        kill -TERM "$pid"
        for ((i = 0; i < E2E_STOP_TIMEOUT * 10; i++)); do
            _mta_alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
done

# ---- files others can write ----------------------------------------------------------------------

for mode in M P; do
    conf=$E2E_TMP/ow-$mode.conf
    sec_conf "$conf" "$mode"
    chmod 666 "$conf"
    refused "configuration writable by others (${NAME[$mode]})" \
        "$conf: refused: writable by others (chmod o-w $conf)" \
        "$MA_BIN" -f -c "$conf" -p "inet:$MPORT@127.0.0.1"
    table=$E2E_TMP/table-$mode.conf
    cp "$REPO_TOP/conf/codes.conf" "$table"
    chmod 646 "$table"
    sec_conf "$conf" "$mode" "codes = \"$table\";"
    refused "code table writable by others (${NAME[$mode]})" \
        "$table: refused: writable by others (chmod o-w $table)" \
        "$MA_BIN" -f -c "$conf" -p "inet:$MPORT@127.0.0.1"

    # Made writable by others while running: the reload is refused, the rules stay.
    name="SIGHUP, configuration made writable by others (${NAME[$mode]})"
    sec_conf "$conf" "$mode"
    if ma_start "ow$mode" "$conf" "$MPORT"; then
        sed -i 's/Relaying denied/Relaying denied (v2)/' "$conf"
        chmod 666 "$conf"
        mark=$(ma_log_lines "ow$mode")
        kill -HUP "$(ma_pid "ow$mode")"
        if wait_for_log "$(ma_logfile "ow$mode")" "$mark" 'reload failed' 5; then
            log=$(ma_log_since "ow$mode" "$mark")
            expect_contains "$name: refused with FILE and why" "$log" \
                "$conf: refused: writable by others (chmod o-w $conf)"
        else
            fail "$name: no 'reload failed' line within 5 s"
        fi
        mtad "inet:$MPORT@127.0.0.1" "$SESSION"
        expect_eq "$name: the rules in force stay" "0 no-v2" \
            "$MT_RC $([[ "$MT_OUT" == *"(v2)"* ]] && echo v2 || echo no-v2)"
        ma_stop "ow$mode"
    else
        fail "$name: does not start"
    fi
done

awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "== test_security took %.1f s\n", e - s }'
e2e_finish
