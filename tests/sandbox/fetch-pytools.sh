#!/usr/bin/env bash
# Python tools the tests use as independent judges: the Prometheus client's text-format parser
# (prometheus_client, a pure-Python wheel from PyPI, imported straight from the wheel). Idempotent.
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}
dir="$CACHE/py"
mkdir -p "$dir"
if ! ls "$dir"/prometheus_client-*.whl >/dev/null 2>&1; then
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$dir" "prometheus_client==0.21.1"
fi
ls "$dir"/prometheus_client-*.whl
