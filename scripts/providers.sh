#!/usr/bin/env bash
# Prints every provider's name, one a line, from the one list (crates/gpujobs/src/registry_macro.rs),
# for the scripts that loop over providers. tests/one_list.rs checks it against ProviderKind::ALL.
set -euo pipefail
cd "$(dirname "$0")/.."
names=$(sed -n 's/^ *"\([a-z]*\)" => .*/\1/p' crates/gpujobs/src/registry_macro.rs)
[ -n "$names" ] || { echo "providers.sh: no providers found in the registry" >&2; exit 1; }
echo "$names"
