#!/usr/bin/env bash
# Speaks a recording script (NAME<TAB>text lines) with espeak-ng into Asterisk sound files:
# OUT/NAME.sln16 (16 kHz) and OUT/NAME.sln (8 kHz), so Asterisk never resamples a prompt.
# A NAME.wav recorded by a real voice beside the script replaces the synthetic one.
#   generate.sh SCRIPT OUT_DIR
set -euo pipefail
script=$1
out=$2
voice=${VOICE:-fr}
mkdir -p "$out"
dir=$(dirname "$script")
while IFS=$'\t' read -r name text; do
    case "$name" in ''|'#'*) continue ;; esac
    target="$out/$name.sln16"
    if [ -f "$dir/$name.wav" ]; then
        src="$dir/$name.wav"
    else
        [ -f "$target" ] && [ "$target" -nt "$script" ] && continue
        src="$out/.$name.wav"
        espeak-ng -v "$voice" -s 155 -w "$src" "$text"
    fi
    sox "$src" -t raw -r 16000 -c 1 -b 16 -e signed-integer "$out/$name.sln16"
    sox "$src" -t raw -r 8000 -c 1 -b 16 -e signed-integer "$out/$name.sln"
    [ "$src" = "$out/.$name.wav" ] && rm -f "$src"
done <"$script"
