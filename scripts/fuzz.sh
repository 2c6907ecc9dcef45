#!/usr/bin/env bash
# Coverage-guided fuzzing of the answer decoders (fuzz/), seeded with every payload in
# tests/payloads/. Needs a nightly toolchain and cargo-fuzz; never run by CI (the property
# tests in tests/decoders.rs are CI's counterpart). Usage: scripts/fuzz.sh [SECONDS per target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly)"; exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
providers=$(ls specs)
for target in decode_job decode_page decode_error; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  # One seed per payload and provider: the first byte picks the provider (the second the status).
  i=0
  for provider in $providers; do
    for payload in $(find "tests/payloads/$provider" -name '*.json'); do
      { printf "\\$(printf '%03o' "$i")"; [ "$target" = decode_error ] && printf '\006'; cat "$payload"; } \
        > "$corpus/$provider-$(basename "$payload" .json)"
    done
    i=$((i + 1))
  done
  echo "== fuzz $target for ${seconds}s"
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus" -- -max_total_time="$seconds" -max_len=65536 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs|==[0-9]+== ERROR|SUMMARY|artifact_prefix)" || true
done
