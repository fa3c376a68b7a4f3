#!/usr/bin/env bash
# Builds, once, a Debian sid root holding Asterisk 22 (and later the LLM server) for tests and the demo.
# Asterisk 22 is only in sid; installing it on the Debian 12 host would upgrade glibc, so it lives in a chroot.
# Idempotent: a finished root carries a stamp and is reused; a half-built one is rebuilt.
set -euo pipefail

ROOT=${MINIBOT_SANDBOX:-${MINIBOT_CACHE:-/var/cache/minibot}/sid}
PACKAGES="asterisk asterisk-modules asterisk-dev asterisk-core-sounds-fr asterisk-core-sounds-fr-wav sip-tester"
STAMP_VERSION=1
STAMP="$ROOT/.minibot-sandbox-$STAMP_VERSION"

log() { echo "[sandbox] $*" >&2; }

# Mirror: whatever the host's apt uses (deb822 or one-line format).
host_mirror() {
    local m=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$m" ] || { log "cannot find a Debian mirror in /etc/apt"; exit 1; }
    echo "$m"
}

mount_proc() {
    mkdir -p "$ROOT/proc"
    mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
}

mkdir -p "${ROOT%/*}"
exec 9>"${ROOT%/*}/.sandbox.lock"
flock 9

if [ -f "$STAMP" ]; then
    mount_proc
    exit 0
fi

command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }

start=$(date +%s)
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    umount "$ROOT/proc" 2>/dev/null || true
    rm -rf "$ROOT"
    mirror=$(host_mirror)
    log "debootstrap sid into $ROOT"
    debootstrap --variant=minbase sid "$ROOT" "$mirror" >"${ROOT%/*}/debootstrap.log" 2>&1 \
        || { tail -20 "${ROOT%/*}/debootstrap.log" >&2; exit 1; }
fi

# sid's Release file may be past Valid-Until on a snapshot mirror; services must not start in the root.
echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99nocheck"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
mount_proc

log "installing $PACKAGES"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

# Packaged owners map to other uids outside; the sandbox runs Asterisk as root.
for d in var/lib/asterisk var/log/asterisk var/spool/asterisk var/run/asterisk; do
    mkdir -p "$ROOT/$d"
    chown -R root:root "$ROOT/$d"
done

touch "$STAMP"
log "ready in $(( $(date +%s) - start )) s: $(chroot "$ROOT" dpkg-query -W -f '${Version}' asterisk)"
