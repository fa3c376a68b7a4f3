#!/usr/bin/env bash
# Speaks a recording script (NAME<TAB>text lines) with espeak-ng into Asterisk sound files:
# OUT/NAME.sln16 (16 kHz) and OUT/NAME.sln (8 kHz), so Asterisk never resamples a prompt.
# The script comes from the words minibot_scenarios.conf gives each prompt (make prompts). Real
# recordings are installed with `minibot prompts install`. Every prompt is trimmed of its leading
# silence: the callee's wait for the bot's answer starts with it.
#   generate.sh SCRIPT OUT_DIR
set -euo pipefail
script=$1
out=$2
voice=${VOICE:-fr}
mkdir -p "$out"
while IFS=$'\t' read -r name text; do
    case "$name" in ''|'#'*) continue ;; esac
    target="$out/$name.sln16"
    [ -f "$target" ] && [ "$target" -nt "$script" ] && [ "$target" -nt "$0" ] && continue
    src="$out/.$name.wav"
    espeak-ng -v "$voice" -s 155 -w "$src" "$text"
    # Leading silence off (below 0.5% of full scale, as the module's load check counts it).
    sox "$src" -t raw -r 16000 -c 1 -b 16 -e signed-integer "$out/$name.sln16" silence 1 0.005 0.5%
    sox "$src" -t raw -r 8000 -c 1 -b 16 -e signed-integer "$out/$name.sln" silence 1 0.005 0.5%
    rm -f "$src"
done <"$script"
