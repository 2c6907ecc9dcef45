#!/usr/bin/env bash
# The facade's CPU cost over hand-written HTTP as instruction counts, which on a noisy 2-core
# machine repeat where wall times do not: valgrind's callgrind counts every instruction of the
# per-call benchmark of each provider (200 gets) and of the fan-out (10,000 gets over all six
# providers), the local server included, facade and hand-written side in the same run, and
# prints the instructions per get and their ratios.
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

runs() { # SAMPLES FILTER... -> instructions of the whole run
  local samples=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$scratch/out" "$bench" --bench "$@" \
    --sample-count "$samples" >"$scratch/log" 2>&1
  grep -Eo 'refs: +[0-9,]+' "$scratch/log" | tr -d ', ' | cut -d: -f2
}
# Two samples less one: the instructions of one sample alone, without the set-up.
sample() { echo $(($(runs 2 "$@") - $(runs 1 "$@"))); }

# Per provider: one sample of 200 gets of one job, each side on its own.
gets=200
rows=""
# Every provider (their generated crates too), from the one list.
providers=$(bash scripts/providers.sh)
for provider in $providers; do
  say "per call: $provider"
  facade=$(sample --sample-size "$gets" "$provider" --skip get_by_hand --skip fanout)
  by_hand=$(sample --sample-size "$gets" "$provider" --skip get_facade --skip fanout)
  rows+="$provider $by_hand $facade"$'\n'
done
say "fan-out"
fanout_facade=$(sample fanout_facade)
fanout_by_hand=$(sample fanout_by_hand)
python3 - "$gets" "$fanout_facade" "$fanout_by_hand" "$rows" <<'EOF'
import sys
gets, fanout_facade, fanout_by_hand = (int(a) for a in sys.argv[1:4])
print(f"Per call (one sample of {gets} gets of one job, each side alone):\n")
print("| provider | hand-written, per get | facade, per get | ratio |")
print("|---|---|---|---|")
for line in sys.argv[4].splitlines():
    provider, by_hand, facade = line.split()
    by_hand, facade = int(by_hand) / gets, int(facade) / gets
    print(f"| {provider} | {by_hand:,.0f} | {facade:,.0f} | {facade / by_hand:.2f} |")
fanout = 10_000
print("\nFan-out (10,000 gets over all six providers, 64 at a time):\n")
print("| side | instructions for 10,000 gets | per get | ratio |")
print("|---|---|---|---|")
print(f"| hand-written reqwest + serde_json | {fanout_by_hand:,} | {fanout_by_hand / fanout:,.0f} | 1.00 |")
print(f"| facade `get` | {fanout_facade:,} | {fanout_facade / fanout:,.0f} | {fanout_facade / fanout_by_hand:.2f} |")
print(f"\nThe facade adds {(fanout_facade - fanout_by_hand) / fanout:,.0f} instructions a get in the fan-out (the local server's included on both sides).")
EOF
