# What the whole-process benchmarks (bench-process.sh, bench-python.sh) share, sourced by them:
# `measure NAME COMMAND...` times one command with hyperfine (through no shell; median of RUNS
# runs after WARMUP) and its peak memory with GNU time, as a table row; `table TITLE` prints the
# rows so far as a Markdown table and starts a new one.
rows=()
measure() {
  local name=$1; shift
  local json median peak
  json=$(mktemp)
  hyperfine --shell=none --warmup "${WARMUP:-3}" --runs "${RUNS:-30}" --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null
  median=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$json")
  /usr/bin/time -o "$json" -f '%M' "$@" >/dev/null 2>&1 || true
  peak=$(tail -1 "$json")
  rows+=("| $name | $median ms | $(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }') MB |")
  rm -f "$json"
}
table() {
  echo
  echo "### $1"
  echo
  echo "| command | median wall time | peak memory (RSS) |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
  rows=()
}
