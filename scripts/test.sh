#!/usr/bin/env bash
# The tests (the README's test command; `.ci/run` runs it): the Rust workspace's, then the
# Python package's pytest suite against the sandbox (scripts/python-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test --workspace"
cargo test --workspace
echo "== the Python package (crates/gpujobs-py): pytest against the sandbox"
bash scripts/python-tests.sh
