#!/usr/bin/env bash
# A production PBX as the release archive meets it: a Debian sid root with only Asterisk 22's
# runtime packages (no asterisk-dev, no compiler, no sounds but the English core ones, no test
# tools), made once from the test sandbox (same Asterisk build) by copying it and purging the rest.
# Idempotent: a finished root carries a stamp. Prints its path.
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}
SID=${MINIBOT_SANDBOX:-$CACHE/sid}
ROOT=$CACHE/sid-runtime
STAMP="$ROOT/.minibot-runtime-1"
# The copy is of one Asterisk build: a sandbox rebuilt with another one makes it again.
BUILD=$(cat "$SID/var/lib/dpkg/info/asterisk.md5sums" 2>/dev/null | md5sum | cut -c1-32)
exec 9>"$CACHE/.runtime-root.lock"
flock 9
mount_proc() {
    mkdir -p "$ROOT/proc"
    mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
}
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$BUILD" ]; then
    mount_proc
    echo "$ROOT"
    exit 0
fi
[ -x "$SID/usr/sbin/asterisk" ] || { echo "no sandbox at $SID (make sandbox)" >&2; exit 1; }
umount "$ROOT/proc" 2>/dev/null || true
rm -rf "$ROOT"
mkdir -p "$ROOT"
# The sandbox's models, package cache and test files stay behind.
tar -C "$SID" --exclude=./proc --exclude=./opt --exclude=./tmp --exclude=./var/cache/apt/archives -cf - . | tar -C "$ROOT" -xf -
mkdir -p "$ROOT/tmp" && chmod 1777 "$ROOT/tmp"
mount_proc
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
    asterisk-dev sip-tester llama.cpp-tools asterisk-core-sounds-fr asterisk-core-sounds-fr-wav \
    gcc cpp dpkg-dev libtool libc6-dev linux-libc-dev >/dev/null 2>&1
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >/dev/null 2>&1
for gone in usr/include/asterisk.h usr/bin/gcc usr/bin/cc usr/bin/llama-server; do
    [ ! -e "$ROOT/$gone" ] || { echo "runtime root: $gone is still there" >&2; exit 1; }
done
echo "$BUILD" >"$STAMP"
echo "$ROOT"
