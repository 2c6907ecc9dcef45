#!/usr/bin/env bash
# Builds the Python package (crates/gpujobs-py) into a virtual environment of its own and runs
# its pytest suite against the sandbox, after checking its type stubs against the built module. A run that collects no test fails (pytest exits 5).
#
# Usage: scripts/python-tests.sh [PYTEST ARGS...]
# Environment: GPUJOBS_VENV (default target/python-venv), PYTHON (default python3).
#
# The extension is built by `maturin develop` in the dev profile, into the workspace's target
# directory, so it reuses what `cargo test --workspace` built instead of building the world again
# in release (users install with `pip install ./crates/gpujobs-py`, a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=$(realpath -m "${GPUJOBS_VENV:-target/python-venv}")

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "python-tests: FAILED: $PYTHON is not installed (the Python package needs Python 3.9 or later)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "python-tests: making a virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
# Pinned, so a new release of a tool never turns CI red on its own.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "maturin==1.16.0" "pytest==9.2.*" "pytest-asyncio==1.5.*" "mypy==2.4.*"
echo "python-tests: building the extension (maturin develop, dev profile)"
(cd crates/gpujobs-py && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop --quiet)
echo "python-tests: the type stubs against the built module (mypy.stubtest)"
"$VENV/bin/python" -m mypy.stubtest gpujobs --ignore-missing-stub \
  --allowlist crates/gpujobs-py/stubtest-allowlist.txt
echo "python-tests: pytest"
"$VENV/bin/python" -m pytest crates/gpujobs-py/tests -q -p no:cacheprovider "$@"
