#!/usr/bin/env bash
# The seed architecture's Vosk server for the side-by-side bench (tests/bench/seed_vosk_server.py):
# the PyPI packages it imports, pinned, installed into $CACHE/seed-py (nothing on the system
# Python). vosk's package imports srt, requests and tqdm at import time. Idempotent.
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}
dir="$CACHE/seed-py"
stamp="$dir/.complete-1"
if [ ! -e "$stamp" ]; then
    rm -rf "$dir"
    python3 -m pip install -q --disable-pip-version-check --target "$dir" --no-deps \
        vosk==0.3.45 websockets==17.4 webrtcvad-wheels==2.0.14.post1 cffi==2.1.1 pycparser==3.12 \
        srt==3.5.3 requests==2.34.2 tqdm==4.70.1 urllib3==2.8.0 idna==3.20 \
        certifi==2026.10.19.post1 charset_normalizer==3.5.3 2>&1 | grep -v "Running pip as the 'root' user" >&2 || true
    PYTHONPATH="$dir" python3 -c "import vosk, websockets, webrtcvad" 
    touch "$stamp"
fi
echo "$dir"
