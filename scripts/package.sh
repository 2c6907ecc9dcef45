#!/usr/bin/env bash
# Packages every crate meant for crates.io and verifies each package builds on its own, as
# `cargo publish` would, without uploading anything. Crates marked `publish = false` (xtask, the
# codegen tool and its fixtures, the root test package) are left out by cargo itself.
set -euo pipefail
cd "$(dirname "$0")/.."
published=$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] is None or p["publish"]:
        print(p["name"])')
echo "package: $(echo $published | wc -w) crates: $(echo $published)"
# `cargo package` unpacks each packaged crate into cargo's registry cache to build the ones that
# depend on it, and reuses what it finds there: an earlier run's package of the same version would
# stand in for this one (stale code, false failures). Start from none.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for name in $published; do
  rm -rf "$cargo_home"/registry/src/*/"$name"-[0-9]* "$cargo_home"/registry/cache/*/"$name"-[0-9]*.crate
done
rm -rf "${CARGO_TARGET_DIR:-target}/package"
args=()
for name in $published; do args+=(-p "$name"); done
cargo package --locked --allow-dirty "${args[@]}"
