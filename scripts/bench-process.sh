#!/usr/bin/env bash
# Whole-process figures for BENCHMARKS.md: `gpujobs get` and `list` as a user runs them, beside
# the tools people reach for, each measured with hyperfine (wall time) and /usr/bin/time (peak
# memory) in the same run.
#
#   against the sandbox (always):     gpujobs get  vs  curl of the same URL
#   against a real Ray (when RAY_API_SERVER_ADDRESS answers and the `ray` CLI is found):
#                                      gpujobs get/list  vs  ray job status/list  vs  Python JobSubmissionClient
#   against a real Slurm (when SLURMRESTD_URL, SLURM_JWT and SLURM_CONF are set):
#                                      gpujobs get/list  vs  scontrol show job / squeue  vs  curl
#
# Installs hyperfine, curl and GNU time with apt-get when missing (as root), and builds the release
# CLI and sandbox. `GPUJOBS_AFTER_TESTS="bash scripts/bench-process.sh" scripts/ray-live.sh` (or
# slurm-live.sh) runs it while the real server is up. Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-process: $*" >&2; }

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }
  else
    say "SKIPPED: ${need[*]} missing and cannot be installed here (needs root and apt-get)"
    exit 0
  fi
fi

target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p gpujobs-cli -p gpujobs-sandbox
gpujobs="$target/release/gpujobs"
sandbox_bin="$target/release/gpujobs-sandbox"

source scripts/bench-measure.sh

# --- the sandbox
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$sandbox_bin" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port/ray"
for _ in $(seq 1 50); do curl -sf "$base/api/version" >/dev/null 2>&1 && break; sleep 0.1; done
id=$(RAY_API_SERVER_ADDRESS=$base "$gpujobs" -p ray list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
measure "\`gpujobs -p ray get\` (sandbox)" "$gpujobs" -p ray --base-url "$base" get "$id" -o json
measure "\`curl\` of the same URL (sandbox)" curl -sf "$base/api/jobs/$id"
measure "\`gpujobs -p ray list\` (sandbox)" "$gpujobs" -p ray --base-url "$base" list -o json
measure "\`curl\` of the list URL (sandbox)" curl -sf "$base/api/jobs/"
table "Against the sandbox (Ray's wire format)"

# --- a real Ray
ray_cli=$(command -v ray || ls "${GPUJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpujobs}"/ray-*/bin/ray 2>/dev/null | head -1 || true)
if [ -n "${RAY_API_SERVER_ADDRESS:-}" ] && [ -n "$ray_cli" ] && curl -sf "$RAY_API_SERVER_ADDRESS/api/version" >/dev/null; then
  python=$(dirname "$ray_cli")/python
  rid="bench-$(date +%s%N)"
  "$gpujobs" -p ray submit --id "$rid" -- echo bench >/dev/null
  "$gpujobs" -p ray wait "$rid" --timeout 2m >/dev/null || true
  measure "\`gpujobs -p ray get\`" "$gpujobs" -p ray get "$rid" -o json
  measure "\`curl\` of the same URL" curl -sf "$RAY_API_SERVER_ADDRESS/api/jobs/$rid"
  measure "\`ray job status\`" "$ray_cli" job status --address "$RAY_API_SERVER_ADDRESS" "$rid"
  measure "Python \`JobSubmissionClient.get_job_info\`" "$python" -c "from ray.job_submission import JobSubmissionClient as C; C('$RAY_API_SERVER_ADDRESS').get_job_info('$rid')"
  measure "\`gpujobs -p ray list\`" "$gpujobs" -p ray list -o json
  measure "\`ray job list\`" "$ray_cli" job list --address "$RAY_API_SERVER_ADDRESS"
  measure "Python \`JobSubmissionClient.list_jobs\`" "$python" -c "from ray.job_submission import JobSubmissionClient as C; C('$RAY_API_SERVER_ADDRESS').list_jobs()"
  table "Against a real Ray ($("$ray_cli" --version 2>/dev/null | head -1))"
else
  say "no real Ray here (RAY_API_SERVER_ADDRESS unset or not answering, or no ray CLI): Ray rows skipped"
fi

# --- a real Slurm
if [ -n "${SLURMRESTD_URL:-}" ] && [ -n "${GPUJOBS_SLURM_TOKEN:-${SLURM_JWT:-}}" ] && [ -n "${SLURM_CONF:-}" ]; then
  token=${GPUJOBS_SLURM_TOKEN:-${SLURM_JWT#SLURM_JWT=}}
  user=${SLURM_USER_NAME:-${USER:-root}}
  # A working directory of its own, so the job's output file lands there, not in the repository.
  workdir=${GPUJOBS_SLURM_WORKDIR:-$(mktemp -d)}
  sid=$(SLURM_JWT=$token "$gpujobs" -p slurm submit --working-dir "$workdir" --time-limit 10m -o json -- sleep 600 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  measure "\`gpujobs -p slurm get\`" env SLURM_JWT="$token" "$gpujobs" -p slurm get "$sid" -o json
  measure "\`curl\` of the same URL" curl -sf -H "X-SLURM-USER-NAME: $user" -H "X-SLURM-USER-TOKEN: $token" "$SLURMRESTD_URL/slurm/v0.0.38/job/$sid"
  measure "\`scontrol show job\`" scontrol show job "$sid"
  measure "\`gpujobs -p slurm list\`" env SLURM_JWT="$token" "$gpujobs" -p slurm list -o json
  measure "\`squeue\`" squeue
  SLURM_JWT=$token "$gpujobs" -p slurm cancel "$sid" >/dev/null || true
  table "Against a real Slurm ($(scontrol --version))"
else
  say "no real Slurm here (SLURMRESTD_URL, a token and SLURM_CONF needed): Slurm rows skipped"
fi
