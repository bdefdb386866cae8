# shellcheck shell=bash
# webdriver.sh - drive headless Chromium through chromedriver's WebDriver HTTP API with curl
# and jq (Debian packages chromium, chromium-driver, curl, jq; no language bindings needed).
# Source it after lib.sh:
#
#   wd_start                    start chromedriver on a free 127.0.0.1 port (bounded wait)
#   wd_session                  open a headless Chromium session (WD_SID), fresh profile
#   wd_begin                    wd_start and wd_session, retried (up to three tries)
#   wd_size W H                 set the window to W x H CSS pixels
#   wd_open URL                 load URL (file:// or http://127.0.0.1...) and wait for it
#   wd_js SCRIPT                run SCRIPT (a function body; "return ..." gives the value)
#                               and print the value as compact JSON
#   wd_shot FILE                save a PNG screenshot of the window
#   wd_quit                     close the session; the EXIT trap stops chromedriver
# Every call is bounded (E2E_WD_TIMEOUT seconds, default 60) and sets WD_OUT (the answer)
# and WD_ERR (WebDriver's error message, empty when it succeeded).
#
# Chromium's flags are the ones this machine needs as root and with no network: no sandbox,
# no GPU, no background connections to Google's services, a fresh profile.

: "${E2E_WD_TIMEOUT:=60}"
WD_PORT=
WD_PID=
WD_SID=
WD_OUT=
WD_ERR=
WD_CHROMIUM=${WD_CHROMIUM:-/usr/bin/chromium}
WD_DRIVER=${WD_DRIVER:-/usr/bin/chromedriver}

_wd_cleanup() {
    [ -n "$WD_SID" ] && wd_quit
    if [ -n "$WD_PID" ]; then
        kill "$WD_PID" 2>/dev/null
        wait "$WD_PID" 2>/dev/null
        WD_PID=
    fi
}

# wd_call METHOD PATH [JSON]
wd_call() {
    local method=$1 path=$2 body=${3:-}
    local args=(-sS --max-time "$E2E_WD_TIMEOUT" -X "$method" -H 'Content-Type: application/json')
    [ -n "$body" ] && args+=(--data-binary "$body")
    WD_OUT=$(curl "${args[@]}" "http://127.0.0.1:$WD_PORT$path" 2>&1)
    WD_ERR=$(printf '%s' "$WD_OUT" |
        jq -r 'if (.value | type) == "object" then .value.error // empty else empty end' 2>/dev/null) ||
        WD_ERR="not JSON: ${WD_OUT:0:200}"
    if [ -n "$WD_ERR" ]; then
        WD_ERR="$WD_ERR: $(printf '%s' "$WD_OUT" | jq -r '.value.message // empty' 2>/dev/null | head -n 3)"
        return 1
    fi
    return 0
}

wd_start() {
    local i
    [ -x "$WD_DRIVER" ] || { WD_ERR="$WD_DRIVER is missing (Debian package chromium-driver)"; return 1; }
    [ -x "$WD_CHROMIUM" ] || { WD_ERR="$WD_CHROMIUM is missing (Debian package chromium)"; return 1; }
    e2e_port WD_PORT || { WD_ERR="no free port"; return 1; }
    "$WD_DRIVER" --port="$WD_PORT" --log-path="$E2E_TMP/chromedriver.log" >/dev/null 2>&1 &
    WD_PID=$!
    E2E_CLEANUP_HOOKS+=(_wd_cleanup)
    for i in $(seq 1 100); do
        if curl -s --max-time 2 "http://127.0.0.1:$WD_PORT/status" 2>/dev/null |
            jq -e '.value.ready == true' >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$WD_PID" 2>/dev/null || break
        sleep 0.2
    done
    WD_ERR="chromedriver did not become ready on port $WD_PORT (log: $E2E_TMP/chromedriver.log)"
    return 1
}

# wd_begin: wd_start then wd_session, up to three tries. Seen here: a
# chromedriver that answered /status and was gone at the next request;
# a fresh one on a fresh port then works. The reasons are kept in WD_RETRIES.
wd_begin() {
    local try
    WD_RETRIES=""
    for try in 1 2 3; do
        if wd_start && wd_session; then
            return 0
        fi
        WD_RETRIES="$WD_RETRIES [try $try: $WD_ERR]"
        _wd_cleanup
        WD_PID="" WD_SID=""
    done
    WD_ERR="$WD_RETRIES"
    return 1
}

wd_session() {
    local profile caps
    profile=$(mktemp -d "$E2E_TMP/chromium-profile.XXXXXX")
    caps=$(jq -n --arg bin "$WD_CHROMIUM" --arg prof "$profile" '{capabilities: {alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {binary: $bin, args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--force-device-scale-factor=1", ("--user-data-dir=" + $prof)]}}}}')
    wd_call POST /session "$caps" || return 1
    WD_SID=$(printf '%s' "$WD_OUT" | jq -r '.value.sessionId // empty')
    [ -n "$WD_SID" ] || { WD_ERR="no session id in: ${WD_OUT:0:200}"; return 1; }
}

wd_size() {
    wd_call POST "/session/$WD_SID/window/rect" "{\"width\": $1, \"height\": $2}"
}

wd_open() {
    wd_call POST "/session/$WD_SID/url" "$(jq -n --arg u "$1" '{url: $u}')"
}

wd_js() {
    wd_call POST "/session/$WD_SID/execute/sync" "$(jq -n --arg s "$1" '{script: $s, args: []}')" ||
        return 1
    printf '%s' "$WD_OUT" | jq -c '.value'
}

wd_shot() {
    wd_call GET "/session/$WD_SID/screenshot" || return 1
    printf '%s' "$WD_OUT" | jq -r '.value' | base64 -d >"$1"
}

wd_quit() {
    local sid=$WD_SID
    WD_SID=
    [ -n "$sid" ] && wd_call DELETE "/session/$sid" >/dev/null
    return 0
}
