#!/usr/bin/env bash
# Installs the Debian 12 host packages the build, the tests and the demo need (only the missing ones).
set -euo pipefail
# To build the module and its prompts; the rest is for the tests and the demo.
BUILD_PACKAGES="libclang-dev clang espeak-ng sox libssl-dev pkg-config"
PACKAGES="$BUILD_PACKAGES debootstrap postgresql openssl chromium"
# `make install` on a PBX installs nothing from here: it says what is missing.
[ "${MINIBOT_INSTALLING:-}" = 1 ] && PACKAGES=$BUILD_PACKAGES
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${MINIBOT_INSTALLING:-}" = 1 ]; then
    echo "make install: missing to build the module and its prompts:$missing (apt install$missing), or build a release archive on another machine (make dist) and run its install.sh here" >&2
    exit 1
fi
echo "[host-deps] installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
