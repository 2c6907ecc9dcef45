#!/usr/bin/env bash
# The Python package against Ray's own JobSubmissionClient, on the same real Ray, in the same run
# (BENCHMARKS.md §9): a fresh process importing and doing one get (hyperfine, and its peak
# memory with /usr/bin/time); then, in one warm process per client, get and list latency and
# 1,000 gets' throughput (crates/gpujobs-py/bench/bench_ray.py). Prints Markdown tables.
#
# Runs while a Ray head node is up: `GPUJOBS_AFTER_TESTS="bash scripts/bench-python.sh"
# bash scripts/ray-live.sh`. Builds the package in release (maturin build) and installs it into
# the Ray live script's virtual environment, so both clients run on the same Python.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-python: $*" >&2; }

python=${GPUJOBS_RAY_PYTHON:-}
address=${RAY_API_SERVER_ADDRESS:-}
if [ -z "$python" ] || [ -z "$address" ] || ! curl -sf "$address/api/version" >/dev/null; then
  say "SKIPPED: needs a Ray head node (run through scripts/ray-live.sh, which sets GPUJOBS_RAY_PYTHON and RAY_API_SERVER_ADDRESS)"
  exit 0
fi
command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || {
  say "SKIPPED: hyperfine and GNU time are needed (scripts/bench-process.sh installs them)"
  exit 0
}

say "building the package in release and installing it beside Ray"
"$python" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0"
wheels=$(mktemp -d)
(cd crates/gpujobs-py && "$(dirname "$python")/maturin" build --release --quiet -o "$wheels")
"$python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/gpujobs-*.whl

id="bench-py-$(date +%s%N)"
"$python" - "$id" <<'PY'
import sys, gpujobs
client = gpujobs.Client.from_env("ray")
client.submit("echo bench", id=sys.argv[1])
client.wait(sys.argv[1], timeout=120)
PY

source scripts/bench-measure.sh
WARMUP=${WARMUP:-2} RUNS=${RUNS:-15}
measure "gpujobs: \`import gpujobs\`, one get" "$python" -c "import gpujobs; gpujobs.Client.ray('$address').get('$id')"
measure "Ray: \`from ray.job_submission import JobSubmissionClient\`, one get (its constructor asks /api/version first)" "$python" -c "from ray.job_submission import JobSubmissionClient as C; C('$address').get_job_info('$id')"
measure "gpujobs.ray_compat: the same two lines, the import changed (its constructor asks /api/version first, as Ray's does)" "$python" -c "from gpujobs.ray_compat import JobSubmissionClient as C; C('$address').get_job_info('$id')"

table "A fresh process: import, then one get ($("$python" -c 'import ray; print("Ray", ray.__version__)'))"

echo
echo "### A warm process: get, list, and 1,000 gets"
echo
echo "| client | get (median) | list (median; jobs listed) | 1,000 gets | peak memory (RSS) |"
echo "|---|---|---|---|---|"
for client in gpujobs ray; do
  "$python" crates/gpujobs-py/bench/bench_ray.py "$client" "$address" "$id" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("| %s | %.2f ms | %.2f ms; %d | %.0f gets/s | %.1f MB |" % (r["client"], r["get_ms"], r["list_ms"], r["jobs_listed"], r["gets_per_s"], r["peak_mib"]))'
done
"$python" crates/gpujobs-py/bench/bench_ray.py aiohttp "$address" "$id" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("| bare aiohttp (what the server answers: no client work) | — | — | %.0f gets/s (32 at a time), %.0f (128) | %.1f MB |" % (r["gets_per_s"], r["gets_per_s_128"], r["peak_mib"]))' 
rm -rf "$wheels"
