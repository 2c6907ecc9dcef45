#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (see deny.toml): licences, banned crates (no OpenSSL),
# duplicate major versions, sources; and RustSec advisories where the database can be fetched.
# Installs the pinned cargo-deny once into a cache directory (about 3 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.20.2
tools=${GPUJOBS_TOOLS:-$HOME/.cache/gpujobs-tools}
deny="$tools/bin/cargo-deny"
if ! "$deny" --version 2>/dev/null | grep -q " $version\$"; then
  echo "deny: installing cargo-deny $version into $tools"
  cargo install --quiet --locked --version "$version" --root "$tools" cargo-deny
fi

"$deny" check --hide-inclusion-graph licenses bans sources

# The advisory database lives on github.com, which some machines (this project's CI
# among them) cannot reach: check where it can be fetched, say so where it cannot.
status=0
log=$("$deny" check --hide-inclusion-graph advisories 2>&1) || status=$?
if grep -q "failed to fetch advisory database" <<<"$log"; then
  echo "deny: advisories SKIPPED: the RustSec database (github.com/RustSec/advisory-db) cannot be fetched from here"
elif [ "$status" -ne 0 ]; then
  echo "$log"
  exit "$status"
else
  echo "deny: advisories ok"
fi
