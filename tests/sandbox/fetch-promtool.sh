#!/usr/bin/env bash
# Prometheus's own rule and config checker, promtool, as the judge of the shipped alert rules
# (docs/monitoring): Debian 12's `prometheus` package, downloaded and unpacked, not installed
# (no service on the host). Idempotent; prints promtool's path.
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}
dir="$CACHE/prometheus"
tool="$dir/root/usr/bin/promtool"
if [ ! -x "$tool" ]; then
    mkdir -p "$dir"
    cd "$dir"
    rm -f prometheus_*.deb
    apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }
    dpkg-deb -x prometheus_*.deb "$dir/root"
    rm -f prometheus_*.deb
fi
echo "$tool"
