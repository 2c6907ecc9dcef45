#!/usr/bin/env bash
# The facade's CPU cost over hand-written HTTP as instruction counts, which on a noisy 2-core
# machine repeat where wall times do not: valgrind's callgrind counts every instruction of the
# fan-out benchmark (10,000 gets over all six providers, the local server included), facade and
# hand-written side in the same run, and prints the instructions per get and their ratio.
# Builds the benchmark first (`cargo bench --no-run`); installs valgrind with apt-get if missing.
# Usage: scripts/bench-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-instructions: $*" >&2; }

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing valgrind"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
  else
    say "SKIPPED: valgrind is missing and cannot be installed here (needs root and apt-get)"
    exit 0
  fi
fi

bench=$(cargo bench -p gpujobs-workspace-tests --bench facade --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "facade" and m.get("executable"):
        print(m["executable"])')
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

runs() { # BENCH SAMPLES -> instructions of the whole run
  valgrind --tool=callgrind --callgrind-out-file="$scratch/out" "$bench" --bench "$1" \
    --sample-count "$2" >"$scratch/log" 2>&1
  grep -Eo 'refs: +[0-9,]+' "$scratch/log" | tr -d ', ' | cut -d: -f2
}
# Two samples less one: the instructions of 10,000 gets alone, without the set-up.
sample() { echo $(($(runs "$1" 2) - $(runs "$1" 1))); }
facade=$(sample fanout_facade)
by_hand=$(sample fanout_by_hand)
python3 - "$facade" "$by_hand" <<'EOF'
import sys
facade, by_hand = (int(a) for a in sys.argv[1:])
gets = 10_000
print("| side | instructions for 10,000 gets | per get | ratio |")
print("|---|---|---|---|")
print(f"| hand-written reqwest + serde_json | {by_hand:,} | {by_hand / gets:,.0f} | 1.00 |")
print(f"| facade `get` | {facade:,} | {facade / gets:,.0f} | {facade / by_hand:.2f} |")
print(f"\nThe facade adds {(facade - by_hand) / gets:,.0f} instructions a get (the local server's included on both sides).")
EOF
