#!/usr/bin/env bash
# Installs the Debian 12 host packages the build, the tests and the demo need (only the missing ones).
set -euo pipefail
PACKAGES="libclang-dev clang debootstrap espeak-ng sox postgresql libssl-dev pkg-config openssl chromium"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "[host-deps] installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
