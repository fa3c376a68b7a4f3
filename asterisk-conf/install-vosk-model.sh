#!/usr/bin/env bash
# Installs the French Vosk model MiniBot's [asr] model points at.
#
#   install-vosk-model.sh [--model small|large] [--from ZIP] [--sha256 HEX] [--dest DIR]
#
#   --model   small: vosk-model-small-fr-0.22 (~40 MB, for many concurrent calls)
#             large: vosk-model-fr-0.22 (~1.4 GB, more accurate, ~2 GB of RAM)
#   --from    a zip already on this machine (no network needed)
#   --sha256  the archive's expected SHA-256: the install stops on a mismatch
#   --dest    parent directory (default /usr/share/vosk); the model lands in DEST/<model name>
#
# Without --from, the archive is downloaded from the Vosk model site. The SHA-256 of what was
# installed is written to DEST/<model>/.sha256: pin it with --sha256 on the next machines.
set -euo pipefail

model=small
from=""
sha256=""
dest=/usr/share/vosk
site=${VOSK_MODEL_SITE:-https://alphacephei.com/vosk/models}

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        --sha256) sha256=$2; shift 2 ;;
        --dest) dest=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
case "$model" in
    small) name=vosk-model-small-fr-0.22 ;;
    large) name=vosk-model-fr-0.22 ;;
    *) echo "--model is small or large" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archive="$work/$name.zip"
if [ -n "$from" ]; then
    [ -f "$from" ] || { echo "no such file: $from" >&2; exit 1; }
    cp "$from" "$archive"
else
    echo "downloading $site/$name.zip" >&2
    python3 - "$site/$name.zip" "$archive" <<'PY' || { echo "download failed (no network? use --from ZIP)" >&2; exit 1; }
import sys, urllib.request, shutil
with urllib.request.urlopen(sys.argv[1], timeout=60) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f, 1 << 20)
PY
fi

actual=$(sha256sum "$archive" | cut -d' ' -f1)
if [ -n "$sha256" ] && [ "$actual" != "$sha256" ]; then
    echo "checksum mismatch for $name.zip: expected $sha256, got $actual" >&2
    exit 1
fi

# Unpack into a staging dir, check it is a Vosk model, then move it into place atomically.
python3 - "$archive" "$work/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad:
        sys.exit(f"corrupt archive member: {bad}")
    for m in z.namelist():
        if m.startswith("/") or ".." in m.split("/"):
            sys.exit(f"unsafe path in archive: {m}")
    z.extractall(sys.argv[2])
PY
root="$work/unpacked"
[ -d "$root/$name" ] && root="$root/$name"
for needed in am/final.mdl conf/mfcc.conf; do
    [ -e "$root/$needed" ] || { echo "$name.zip is not a Vosk model: $needed is missing" >&2; exit 1; }
done
echo "$actual  $name.zip" >"$root/.sha256"
mkdir -p "$dest"
rm -rf "$dest/.$name.new"
mv "$root" "$dest/.$name.new"
rm -rf "$dest/$name.old"
[ -e "$dest/$name" ] && mv "$dest/$name" "$dest/$name.old"
mv "$dest/.$name.new" "$dest/$name"
rm -rf "$dest/$name.old"
echo "installed $dest/$name (sha256 $actual)"
echo "set in minibot.conf:  [asr] model = $dest/$name"
