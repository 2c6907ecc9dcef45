#!/usr/bin/env bash
# The specs say what the servers do:
#  1. Spectral (pinned in tools/spectral, ruleset .spectral.yaml) lints every spec with its
#     overlay applied (`cargo xtask overlaid`): zero errors and zero warnings allowed.
#  2. schemathesis (pinned in tools/schemathesis) drives the sandbox with every overlaid spec:
#     response schema, status code, content type and no-5xx checks, a fixed seed, bounded examples.
# Installs both into a cache on first use (npm and PyPI); builds the sandbox it drives first (the
# same build `cargo test --workspace` makes, so in CI nothing is rebuilt; never a binary older
# than the source). Says SKIPPED, with the reason, where a tool cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${GPUJOBS_TOOLS:-$HOME/.cache/gpujobs-tools}
target=${CARGO_TARGET_DIR:-$root/target}
sandbox_bin="$target/debug/gpujobs-sandbox"
# Inside the repository: .spectral.yaml's per-file overrides match paths below it.
overlaid=$root/target/spec-checks
rm -rf "$overlaid" && mkdir -p "$overlaid"

cargo xtask overlaid "$overlaid" >/dev/null
# One spec per provider, or per generated version (`slurm-v0.0.42`).
specs=$(cd "$overlaid" && ls -- *.json | sed 's/\.json$//')

# A Spectral error or warning, or a schemathesis failure, fails the script once every spec is checked.
failed=0
echo "== spectral (tools/spectral, .spectral.yaml) on every overlaid spec"
if command -v npm >/dev/null 2>&1 && (cd tools/spectral && npm ci --silent --no-audit --no-fund >/dev/null 2>&1); then
  for p in $specs; do
    if tools/spectral/node_modules/.bin/spectral lint --quiet --fail-severity warn \
      -r .spectral.yaml "$overlaid/$p.json"; then
      echo "spectral: $p: no errors, no warnings"
    else
      failed=1
      echo "spectral: $p: FAILED (the findings are above)"
    fi
  done
else
  echo "spectral: SKIPPED: npm is missing or could not install tools/spectral"
fi

echo "== schemathesis (tools/schemathesis) against the sandbox, every overlaid spec"
venv="$tools/schemathesis"
want=$(sha256sum tools/schemathesis/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet -r tools/schemathesis/requirements.txt; }; then
    echo "schemathesis: SKIPPED: could not install tools/schemathesis/requirements.txt from PyPI"
    exit "$failed"
  fi
  echo "$want" > "$venv/.requirements"
fi
# The test build's features (not `cargo build -p`, which resolves them differently and rebuilds).
if ! log=$(cargo test --workspace --no-run --locked 2>&1); then
  echo "$log" >&2
  echo "schemathesis: the sandbox does not build (above)" >&2
  exit 1
fi
# One sandbox as the newest Slurm, one as Slurm 22.05 (the only release serving v0.0.38).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
port_22=$(free_port)
"$sandbox_bin" --addr "127.0.0.1:$port" >/dev/null &
sandbox_pid=$!
"$sandbox_bin" --addr "127.0.0.1:$port_22" --slurm-release 22.05 >/dev/null &
sandbox_22_pid=$!
trap 'kill ${sandbox_pid:-} ${sandbox_22_pid:-} 2>/dev/null || true' EXIT
for at in "$port" "$port_22"; do
  for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $at))" 2>/dev/null && break
    sleep 0.1
  done
done
for spec in $specs; do
  p=${spec%%-*}
  log="$overlaid/$spec.log"
  at=$port
  [ "$spec" = slurm-v0.0.38 ] && at=$port_22
  # Slurm's own headers come from its security schemes (schemathesis.toml); a Bearer beside
  # them would be refused as ambiguous, as slurmrestd 23.02 on does.
  bearer=(-H "Authorization: Bearer sandbox-$p-token")
  [ "$p" = slurm ] && bearer=()
  if (cd "$overlaid" && "$venv/bin/schemathesis" --config-file "$root/tools/schemathesis/schemathesis.toml" \
        run "$overlaid/$spec.json" --url "http://127.0.0.1:$at/$p" \
        "${bearer[@]}" --warnings off) >"$log" 2>&1; then
    echo "schemathesis: $spec: $(grep -Eo '[0-9]+ generated, [0-9]+ passed' "$log" || echo passed)"
  else
    failed=1
    echo "schemathesis: $spec: FAILED"
    sed -n '/FAILURES/,$p' "$log"
  fi
done
exit "$failed"
