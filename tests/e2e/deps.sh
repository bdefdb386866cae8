#!/usr/bin/env bash
# deps.sh - install what the end-to-end tests need on a Debian 12 machine.
#
#   tests/e2e/deps.sh
#
# - Debian packages (installed, as root, non-interactively): postfix, postfix-pcre, swaks.
#   Postfix is installed with debconf preseeded to "No configuration", so the system's own
#   instance is not set up to listen on port 25 (the tests run private instances only).
#   `apt-get update` is run only when something is missing.
# - Sendmail cannot be installed beside Postfix, so its packages (sendmail-bin, sendmail-cf, m4,
#   libwrap0) are downloaded with `apt-get download` and unpacked with `dpkg -x` into a cache
#   folder: $E2E_SENDMAIL_CACHE (default: <repo top>/build/e2e-cache/sendmail). The daemon's
#   setgid bit is cleared there so LD_LIBRARY_PATH / LD_PRELOAD work for it.
# - A tiny LD_PRELOAD shim, tests/e2e/syslog-to-file.c, is compiled into the cache (gcc is
#   installed if there is no cc): it writes the private Sendmail's syslog lines to a file and
#   gives it a qualified host name (see mta.sh). Sendmail's shared libraries are checked with
#   ldd; missing ones are installed from sendmail-bin's Depends (plain lib* packages).
#
# Idempotent; takes well under a second when everything is already there.
# Exits non-zero with a message saying what could not be installed.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_TOP=$(cd "$E2E_DIR/../.." && pwd -P)
SM_CACHE=${E2E_SENDMAIL_CACHE:-$REPO_TOP/build/e2e-cache/sendmail}
SM_PKGS=(sendmail-bin sendmail-cf m4 libwrap0)
APT_PKGS=(postfix postfix-pcre swaks)

die() { echo "deps.sh: ERROR: $*" >&2; exit 1; }
note() { echo "deps.sh: $*" >&2; }

installed() { # PKG -> 0 if installed
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

APT_UPDATED=0
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    note "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
}

# --- 1. Debian packages -------------------------------------------------------------------
missing=()
for p in "${APT_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)   # for the syslog shim
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: run this script as root"
    apt_update_once
    # No configuration: the system's own Postfix gets no main.cf and is not started on port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
        || die "debconf-set-selections failed"
    note "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}" >/tmp/e2e-deps-apt.$$.log 2>&1; then
        tail -n 30 /tmp/e2e-deps-apt.$$.log >&2
        rm -f /tmp/e2e-deps-apt.$$.log
        die "apt-get install ${missing[*]} failed (log above)"
    fi
    rm -f /tmp/e2e-deps-apt.$$.log
    for p in "${APT_PKGS[@]}"; do installed "$p" || die "package $p is still not installed"; done
fi
for c in postfix postconf postqueue postcat swaks; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || die "command $c not found after install"
done

# --- 2. Sendmail, unpacked into the cache -------------------------------------------------
SM_BIN=$SM_CACHE/root/usr/libexec/sendmail/sendmail
SM_STAMP=$SM_CACHE/.complete
if [ ! -f "$SM_STAMP" ] || [ ! -x "$SM_BIN" ]; then
    note "fetching ${SM_PKGS[*]} into $SM_CACHE"
    rm -rf "$SM_CACHE/root" "$SM_CACHE/debs" "$SM_STAMP"
    mkdir -p "$SM_CACHE/debs" "$SM_CACHE/root" || die "cannot create $SM_CACHE"
    dl() { (cd "$SM_CACHE/debs" && apt-get download -qq "${SM_PKGS[@]}" >/dev/null 2>&1); }
    if ! dl; then
        [ "$(id -u)" = 0 ] && { apt_update_once; dl || true; }
    fi
    for p in "${SM_PKGS[@]}"; do
        ls "$SM_CACHE/debs/${p}"_*.deb >/dev/null 2>&1 || die "apt-get download $p failed"
    done
    for d in "$SM_CACHE"/debs/*.deb; do
        dpkg -x "$d" "$SM_CACHE/root" || die "dpkg -x $d failed"
    done
    [ -x "$SM_BIN" ] || die "no $SM_BIN after unpacking"
    chmod g-s "$SM_BIN"
    touch "$SM_STAMP"
fi

# Libraries: the daemon must find all of them (libwrap from the cache, the rest from the system).
SM_LDPATH=$SM_CACHE/root/lib/x86_64-linux-gnu:$SM_CACHE/root/usr/lib/x86_64-linux-gnu
for d in "$SM_CACHE"/root/lib/* "$SM_CACHE"/root/usr/lib/*; do
    [ -d "$d" ] && case "$d" in *-linux-gnu*) SM_LDPATH=$SM_LDPATH:$d;; esac
done
sm_libs_missing() { LD_LIBRARY_PATH=$SM_LDPATH ldd "$SM_BIN" 2>&1 | grep 'not found'; }
if sm_libs_missing >/dev/null; then
    # Install the library packages sendmail-bin depends on (plain shared libraries, no daemons).
    [ "$(id -u)" = 0 ] || die "sendmail misses shared libraries and not root: run as root"
    libpkgs=()
    for p in $(dpkg-deb -f "$SM_CACHE"/debs/sendmail-bin_*.deb Depends | tr ',' '\n' |
               sed -e 's/[( ].*//' -e 's/^ *//' | grep '^lib' | grep -v -e '^libwrap0$' -e '^libc6$'); do
        installed "$p" || libpkgs+=("$p")
    done
    if [ ${#libpkgs[@]} -gt 0 ]; then
        apt_update_once
        note "installing sendmail's libraries: ${libpkgs[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${libpkgs[@]}" >/dev/null 2>&1 || die "apt-get install ${libpkgs[*]} failed"
    fi
fi
if sm_libs_missing >/dev/null; then
    sm_libs_missing >&2
    die "the unpacked sendmail misses shared libraries (above): install them with apt-get"
fi

# --- 3. syslog -> file shim for Sendmail ---------------------------------------------------
SHIM_SRC=$E2E_DIR/syslog-to-file.c
SHIM=$SM_CACHE/syslog-to-file.so
if [ ! -f "$SHIM" ] || [ "$SHIM_SRC" -nt "$SHIM" ]; then
    command -v cc >/dev/null 2>&1 || die "no C compiler (cc) to build $SHIM"
    cc -shared -fPIC -O2 -Wall -o "$SHIM.tmp" "$SHIM_SRC" || die "cannot compile $SHIM_SRC"
    mv -f "$SHIM.tmp" "$SHIM"
fi
note "ok (postfix $(postconf -dh mail_version 2>/dev/null), sendmail in $SM_CACHE)"
