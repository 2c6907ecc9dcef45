# What the live scripts (ray-live.sh, slurm-live.sh) share, sourced by them once their server
# answers: `run_live_tests MODULE` runs the live tests, the ignored ones in the `MODULE` modules
# (`ray_live`, `slurm_live`) and the Python package's (`-m live_ray`, `live_slurm`),
# then GPUJOBS_AFTER_TESTS (e.g. scripts/bench-process.sh) while the server is still up.
# Expects the sourcing script's `say`.
run_live_tests() {
  # `--workspace --tests` resolves the same dependency features as the plain
  # `cargo test --workspace` before it, so nothing is rebuilt (naming test targets with `--test`
  # would change them).
  # Every test binary runs (`--no-fail-fast`), and a failure fails the caller even where it
  # runs this inside `||` (where `set -e` does not reach).
  cargo test --workspace --tests --no-fail-fast -- --ignored "$1::" --test-threads=2 || return 1
  # The Python package's live tests (crates/gpujobs-py/tests/test_live_*.py): `ray_live` → `live_ray`.
  local marker="live_${1%_live}"
  say "the Python package against the same server (pytest -m $marker)"
  GPUJOBS_LIVE="${1%_live}" bash scripts/python-tests.sh -m "$marker" || return 1
  say "passed"
  if [ -n "${GPUJOBS_AFTER_TESTS:-}" ]; then
    say "running GPUJOBS_AFTER_TESTS: $GPUJOBS_AFTER_TESTS"
    bash -c "$GPUJOBS_AFTER_TESTS"
  fi
}
