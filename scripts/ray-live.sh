#!/usr/bin/env bash
# Proves the Ray (and openYuanrong) clients against a real Ray head node.
#
# Creates, once, a Python virtual environment holding ray[default]==2.60.0 in a cache directory
# (later runs reuse it), starts a head node bound to loopback with its dashboard on
# 127.0.0.1:8265 (2 CPUs, usage stats off), waits until /api/version answers, runs the live tests
# of the facade and of the CLI, and always stops Ray again, also on failure or interrupt.
#
# Exit status: 0 when the live tests pass, or when they cannot run here — no python3, or the
# Python package index unreachable — which it says on a line starting "ray-live: SKIPPED";
# non-zero for anything else.
#
# Environment: GPUJOBS_CACHE (the cache directory), GPUJOBS_RAY_PORT (default 8265),
# GPUJOBS_RECORD=1 (save the server's answers under tests/payloads/ray/live/), GPUJOBS_AFTER_TESTS
# (a command to run after the tests while Ray is up, e.g. `bash scripts/bench-process.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."

RAY_VERSION=2.60.0
PORT="${GPUJOBS_RAY_PORT:-8265}"
CACHE="${GPUJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpujobs}"
VENV="$CACHE/ray-$RAY_VERSION"
export RAY_API_SERVER_ADDRESS="http://127.0.0.1:$PORT"
export RAY_USAGE_STATS_ENABLED=0

say() { echo "ray-live: $*"; }

if ! command -v python3 >/dev/null 2>&1; then
  say "SKIPPED: python3 is not installed, so no Ray head node can run here"
  exit 0
fi

if [ ! -f "$VENV/.installed" ]; then
  say "installing ray[default]==$RAY_VERSION into $VENV (once; later runs reuse it)"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check "ray[default]==$RAY_VERSION"; then
    probe=$(mktemp -d)
    if ! "$VENV/bin/pip" download --quiet --no-deps --disable-pip-version-check -d "$probe" "ray==$RAY_VERSION" >/dev/null 2>&1; then
      say "SKIPPED: the Python package index cannot be reached, so ray[default]==$RAY_VERSION cannot be installed"
      exit 0
    fi
    say "FAILED: installing ray[default]==$RAY_VERSION failed although the package index answers"
    exit 1
  fi
  touch "$VENV/.installed"
fi

stop_ray() { "$VENV/bin/ray" stop --force >/dev/null 2>&1 || true; }
trap stop_ray EXIT
trap 'exit 130' INT TERM

stop_ray # a head node left over from an interrupted run
say "starting a Ray $RAY_VERSION head node on 127.0.0.1 (dashboard :$PORT, 2 CPUs, usage stats off)"
# With the environment's bin first on PATH, as where Ray is installed for real: a job's `python`
# is the one that has Ray (Ray's documented SDK example imports it).
if ! PATH="$VENV/bin:$PATH" "$VENV/bin/ray" start --head --node-ip-address=127.0.0.1 --dashboard-host=127.0.0.1 \
  --dashboard-port="$PORT" --num-cpus=2 --include-dashboard=true --disable-usage-stats \
  >"$CACHE/ray-start.log" 2>&1; then
  cat "$CACHE/ray-start.log"
  say "FAILED: ray start"
  exit 1
fi

answering() {
  python3 - "$RAY_API_SERVER_ADDRESS/api/version" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2).read()
except Exception:
    sys.exit(1)
PY
}
for _ in $(seq 1 120); do
  answering && break
  sleep 1
done
answering || { say "FAILED: the dashboard never answered on $RAY_API_SERVER_ADDRESS"; exit 1; }
say "the dashboard answers on $RAY_API_SERVER_ADDRESS; running the live tests"

# The live tests compare what gpujobs sends with what Ray's own client computes.
export GPUJOBS_RAY_PYTHON="$VENV/bin/python"
source scripts/live-tests.sh
run_live_tests ray_live
