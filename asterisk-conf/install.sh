#!/usr/bin/env bash
# Installs MiniBot from a release archive (make dist) on the Asterisk 22 it was built for: no
# compiler, no network, no development package. `make install` runs it too, from its staging
# directory. Sample configs never overwrite an operator's files; the module and the library are
# replaced atomically (a running Asterisk never sees a half-written file).
#
#   ./install.sh [--asterisk-conf /etc/asterisk/asterisk.conf] [--asterisk /usr/sbin/asterisk]
#                [--moddir DIR] [--etcdir DIR] [--datadir DIR] [--destdir DIR] [--check-only]
# The directories default to asterisk.conf's astmoddir, astetcdir and astdatadir.
#
# Refuses an Asterisk of another major version, or built with other build options
# (AST_BUILDOPT_SUM): Asterisk itself would refuse the module, or worse, load it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conf=/etc/asterisk/asterisk.conf
asterisk=$(command -v asterisk 2>/dev/null || echo /usr/sbin/asterisk)
destdir=""
moddir=""
etcdir=""
datadir=""
check_only=no
while [ $# -gt 0 ]; do
    case "$1" in
        --asterisk-conf) conf=$2; shift 2 ;;
        --asterisk) asterisk=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --moddir) moddir=$2; shift 2 ;;
        --etcdir) etcdir=$2; shift 2 ;;
        --datadir) datadir=$2; shift 2 ;;
        --check-only) check_only=yes; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    esac
done

die() { echo "install.sh: $*" >&2; exit 1; }

[ -f "$here/BUILDINFO" ] || die "no BUILDINFO beside install.sh: run it from an unpacked release archive (make dist)"
# MINIBOT_VERSION, ASTERISK_VERSION, AST_BUILDOPT_SUM: what the module was built against.
. "$here/BUILDINFO"

# The Asterisk this goes into: its version (asked, or read from the binary when it cannot run
# here, as from a build machine) and its build options.
[ -f "$asterisk" ] || die "no Asterisk at $asterisk: install Asterisk $ASTERISK_VERSION first (or give --asterisk PATH)"
running=$("$asterisk" -V 2>/dev/null | sed -n 's/^Asterisk //p' || true)
if [ -z "$running" ] && grep -qaF "$ASTERISK_VERSION" "$asterisk"; then
    running=$ASTERISK_VERSION
fi
[ -n "$running" ] || die "cannot tell the version of $asterisk (asterisk -V failed): is it Asterisk?"
if [ "${running%%.*}" != "${ASTERISK_VERSION%%.*}" ]; then
    die "this archive is for Asterisk $ASTERISK_VERSION, and $asterisk is Asterisk $running: use an archive built against Asterisk ${running%%.*}'s headers (make dist on a machine with that asterisk-dev)"
fi
if ! grep -qaF "$AST_BUILDOPT_SUM" "$asterisk"; then
    die "$asterisk was built with other build options than this archive's module (AST_BUILDOPT_SUM $AST_BUILDOPT_SUM): Asterisk would refuse to load it; build the archive against this Asterisk's own headers (asterisk-dev of the same build)"
fi
if [ "$running" != "$ASTERISK_VERSION" ]; then
    echo "note: built against Asterisk $ASTERISK_VERSION, installing into $running (same major version and build options)"
fi

if [ -z "$moddir" ] || [ -z "$etcdir" ] || [ -z "$datadir" ]; then
    [ -r "$conf" ] || die "cannot read $conf: give --asterisk-conf, or --moddir, --etcdir and --datadir"
fi
conf_value() { sed -n "s/^[[:space:]]*$1[[:space:]]*=>*[[:space:]]*//p" "$conf" 2>/dev/null | head -n1 || true; }
[ -n "$moddir" ] || moddir=$(conf_value astmoddir); moddir=${moddir:-/usr/lib/x86_64-linux-gnu/asterisk/modules}
[ -n "$etcdir" ] || etcdir=$(conf_value astetcdir); etcdir=${etcdir:-/etc/asterisk}
[ -n "$datadir" ] || datadir=$(conf_value astdatadir); datadir=${datadir:-/usr/share/asterisk}
echo "MiniBot $MINIBOT_VERSION for Asterisk $ASTERISK_VERSION: modules $moddir, configs $etcdir, data $datadir"
[ "$check_only" = yes ] && { echo "check only: nothing installed"; exit 0; }

# Replaces $2 with $1 in one rename.
replace() {
    install -m "$3" "$1" "$(dirname "$2")/.$(basename "$2").new"
    mv -f "$(dirname "$2")/.$(basename "$2").new" "$2"
}

install -d "$destdir$moddir" "$destdir$etcdir" "$destdir$datadir/minibot"
replace "$here/data/minibot/intents.model" "$destdir$datadir/minibot/intents.model" 0644
for dir in "$here"/data/sounds/*/minibot/*/; do
    rel=${dir#"$here/data/"}
    install -d "$destdir$datadir/$rel"
    for f in "$dir"*; do replace "$f" "$destdir$datadir/$rel$(basename "$f")" 0644; done
done
replace "$here/modules/res_minibot.so" "$destdir$moddir/res_minibot.so" 0755
# libvosk.so beside the module: res_minibot.so finds it through its $ORIGIN rpath.
replace "$here/modules/libvosk.so" "$destdir$moddir/libvosk.so" 0644
for f in "$here"/conf/*.conf; do
    t="$destdir$etcdir/$(basename "$f")"
    if [ -e "$t" ]; then
        echo "kept existing $t"
    else
        install -m 0640 "$f" "$t" || die "cannot install $t"
        echo "installed $t"
        # Asterisk runs as the asterisk user on a packaged install: it must read its configs.
        getent group asterisk >/dev/null 2>&1 && chgrp asterisk "$t" 2>/dev/null || true
    fi
done
# A new build of a loaded module takes a restart: Asterisk keeps the old code mapped (a library
# that ran threads is never unloaded), and `module reload` rereads configuration only.
echo "installed res_minibot.so: first install: asterisk -rx 'module load res_minibot.so'; upgrade: asterisk -rx 'core restart gracefully' (no new call, restart once the calls have ended); then asterisk -rx 'minibot check'"
