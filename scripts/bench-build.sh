#!/usr/bin/env bash
# Build weight for BENCHMARKS.md: what a user of the facade compiles with one provider feature
# (Ray, Slurm) against all six, each from clean (its own target directory, the crates.io sources
# already downloaded), in the same run: wall time, the facade's rlib and the generated crates'
# rlibs. With BASELINE (a git revision), the same builds of that revision too, from a worktree,
# in the same run. Then `cargo xtask regen --check` once built.
# Usage: scripts/bench-build.sh [PROFILE] [BASELINE]   (PROFILE: dev)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-dev}
baseline=${2:-}
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/baseline" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
cargo fetch --locked --quiet

# Every provider (their generated crates too), from the one list.
providers=$(bash scripts/providers.sh)

build() { # NAME FEATURES [SOURCE DIRECTORY]
  local dir=$scratch/$1 started ended
  started=$(date +%s.%N)
  (cd "${3:-.}" && CARGO_TARGET_DIR=$dir cargo build --quiet --locked --profile "$profile" -p gpujobs \
    --no-default-features --features "$2")
  ended=$(date +%s.%N)
  local out=$dir/$([ "$profile" = dev ] && echo debug || echo "$profile")
  local facade generated
  facade=$(stat -c %s "$out"/deps/libgpujobs-*.rlib | awk '{ s += $1 } END { print s }')
  generated=$(for p in $providers; do stat -c %s "$out"/deps/libgpujobs_"$p"-*.rlib 2>/dev/null || true; done |
    awk '{ s += $1 } END { print s + 0 }')
  awk -v f="$2${3:+ (baseline $baseline)}" -v t="$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')" \
    -v r="$facade" -v g="$generated" 'BEGIN { printf "| `%s` | %.0f s | %.1f MB | %.1f MB |\n", f, t, r / 1e6, g / 1e6 }'
}

echo "### Building the facade from clean ($profile profile, $(nproc) cores)"
echo
echo "| features | wall time | facade rlib | generated crates' rlibs |"
echo "|---|---|---|---|"
if [ -n "$baseline" ]; then
  git worktree add --quiet --detach "$scratch/baseline" "$baseline"
fi
for features in slurm,rustls ray,rustls all-providers,rustls; do
  build "${features%%,*}" "$features"
  if [ -n "$baseline" ]; then
    build "${features%%,*}-baseline" "$features" "$scratch/baseline"
  fi
done

cargo build --quiet -p xtask
started=$(date +%s.%N)
cargo xtask regen --check >/dev/null
ended=$(date +%s.%N)
echo
awk -v a="$started" -v b="$ended" 'BEGIN { printf "cargo xtask regen --check, once built: %.2f s\n", b - a }'
