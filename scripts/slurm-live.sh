#!/usr/bin/env bash
# Proves the Slurm client against a real Slurm 22.05 cluster of one node, on loopback.
#
# Installs, when missing, Debian's Slurm packages (slurmctld slurmd slurmrestd slurm-client munge
# and the JWT plugins), writes a slurm.conf for one node bound to 127.0.0.1 into a temporary
# directory (nothing under /etc/slurm is touched), starts munged, slurmctld, slurmd and — as an
# unprivileged user, which it insists on — slurmrestd on 127.0.0.1:6820 with JWT auth, mints a
# token with `scontrol token`, runs the live tests of the facade and of the CLI, and always stops
# every daemon it started by process id, also on failure or interrupt.
#
# Exit status: 0 when the live tests pass, or when they cannot run here — not root, no apt-get,
# the Debian archive unreachable — which it says on a line starting "slurm-live: SKIPPED";
# non-zero for anything else.
#
# Environment: GPUJOBS_SLURM_PORT (default 6820), GPUJOBS_RECORD=1 (save the server's answers
# under tests/payloads/slurm/live/), GPUJOBS_SLURM_SHELL=1 (start the cluster, print how to reach
# it and wait for Ctrl-C instead of running the tests), GPUJOBS_AFTER_TESTS (a command to run after
# the tests while the cluster is up, e.g. `bash scripts/bench-process.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${GPUJOBS_SLURM_PORT:-6820}"
# Not Slurm's default 6817/6818, so a system Slurm on this machine is left alone.
CTLD_PORT=16817
SLURMD_PORT=16818
PACKAGES=(slurmctld slurmd slurmrestd slurm-client munge slurm-wlm-basic-plugins slurm-wlm-jwt-plugin)
# slurmrestd refuses to run as root or as SlurmUser; it runs as this user.
REST_USER=nobody

say() { echo "slurm-live: $*"; }
skip() { say "SKIPPED: $*"; exit 0; }

installed() {
  for tool in slurmctld slurmd slurmrestd scontrol munged; do command -v "$tool" >/dev/null || return 1; done
  compgen -G "/usr/lib/*/slurm-wlm/auth_jwt.so" >/dev/null
}
if ! installed; then
  [ "$(id -u)" = 0 ] || skip "Slurm is not installed and installing it needs root"
  command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
  say "installing ${PACKAGES[*]} (once)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
    >/tmp/gpujobs-slurm-apt.log 2>&1; then
    if ! apt-get update -qq >/dev/null 2>&1; then
      skip "the Debian archive cannot be reached, so Slurm cannot be installed"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
      >/tmp/gpujobs-slurm-apt.log 2>&1 || { cat /tmp/gpujobs-slurm-apt.log; say "FAILED: apt-get install"; exit 1; }
  fi
fi
[ "$(id -u)" = 0 ] || skip "slurmctld and slurmd run as root here (SlurmUser=root), and this is not root"
command -v python3 >/dev/null || skip "python3 is needed to wait for slurmrestd"

HOST=$(hostname -s)
if ! getent hosts "$HOST" >/dev/null; then
  # Slurm looks its own node up by host name.
  say "adding '127.0.0.1 $HOST' to /etc/hosts so the node's name resolves"
  echo "127.0.0.1 $HOST" >>/etc/hosts
fi

for port in "$CTLD_PORT" "$SLURMD_PORT" "$PORT"; do
  if ! python3 -c "import socket, sys; socket.create_server(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
    say "FAILED: port $port on 127.0.0.1 is in use (a cluster left running? GPUJOBS_SLURM_PORT moves slurmrestd)"
    exit 1
  fi
done

WORK=$(mktemp -d /tmp/gpujobs-slurm.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/jobs" "$WORK/munge"
chmod 1777 "$WORK/jobs"
PIDS=()
stop_all() {
  # Jobs first (their steps outlive slurmd otherwise), then the daemons, newest first.
  SLURM_CONF="$WORK/slurm.conf" scancel --quiet --full "--nodelist=$HOST" >/dev/null 2>&1 || true
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# munged: its own key and socket in $WORK, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$WORK/munge" 2>/dev/null || true
chmod 711 "$WORK/munge" # the socket must be reachable; the key stays 0400
chmod 400 "$WORK/munge/munge.key"
MUNGE_SOCKET="$WORK/munge/munge.socket"
setpriv --reuid=munge --regid=munge --clear-groups munged --foreground --force \
  --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/seed" --log-file="$WORK/munge/munged.log" \
  >"$WORK/munged.out" 2>&1 &
PIDS+=($!)

dd if=/dev/urandom of="$WORK/jwt.key" bs=32 count=1 status=none
chmod 600 "$WORK/jwt.key"
cat >"$WORK/slurm.conf" <<EOF
ClusterName=gpujobs-live
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$WORK/jwt.key
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Known, so a job asking for GPUs is read (and refused: this node has none), not unparseable.
GresTypes=gpu
MpiDefault=none
ReturnToService=2
# No accounting database: finished jobs are forgotten MinJobAge seconds after they end.
MinJobAge=3600
JobCompType=jobcomp/none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
chmod 644 "$WORK/slurm.conf"
export SLURM_CONF="$WORK/slurm.conf"

say "starting munged, slurmctld and slurmd for one node '$HOST' on 127.0.0.1 (state in $WORK)"
slurmctld -D -i >"$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D >"$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
say "starting slurmrestd as '$REST_USER' on 127.0.0.1:$PORT (v0.0.38, JWT)"
setpriv --reuid="$REST_USER" --regid="$(id -g "$REST_USER")" --clear-groups \
  env SLURM_JWT=daemon SLURM_CONF="$SLURM_CONF" slurmrestd -a rest_auth/jwt -s v0.0.38 "127.0.0.1:$PORT" \
  >"$WORK/slurmrestd.out" 2>&1 &
PIDS+=($!)

# Never exported: Slurm's own CLI tools switch to JWT when they see SLURM_JWT.
TOKEN=$(scontrol token lifespan=7200 username=root 2>/dev/null | sed -n 's/^SLURM_JWT=//p' || true)
for _ in $(seq 1 50); do
  [ -n "$TOKEN" ] && break
  sleep 0.2
  TOKEN=$(scontrol token lifespan=7200 username=root 2>/dev/null | sed -n 's/^SLURM_JWT=//p' || true)
done
show_logs() { for f in "$WORK"/*.out "$WORK"/*.log "$WORK"/munge/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; }
[ -n "$TOKEN" ] || { show_logs; say "FAILED: scontrol token (slurmctld not answering?)"; exit 1; }

ready() {
  python3 - "http://127.0.0.1:$PORT/slurm/v0.0.38/ping" "$TOKEN" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": sys.argv[2]})
try:
    pings = json.load(urllib.request.urlopen(request, timeout=2))["pings"]
except Exception:
    sys.exit(1)
sys.exit(0 if pings and pings[0].get("ping") == "UP" else 1)
PY
}
idle() { [ "$(sinfo -h -n "$HOST" -o %t 2>/dev/null)" = idle ]; }
for _ in $(seq 1 100); do
  ready && idle && break
  sleep 0.2
done
ready || { show_logs; say "FAILED: slurmrestd never answered its ping on 127.0.0.1:$PORT"; exit 1; }
idle || { show_logs; say "FAILED: node '$HOST' never became idle ($(sinfo -h -o %t 2>&1))"; exit 1; }

export SLURMRESTD_URL="http://127.0.0.1:$PORT" SLURM_USER_NAME=root GPUJOBS_SLURM_TOKEN="$TOKEN"
export GPUJOBS_SLURM_WORKDIR="$WORK/jobs"
if [ "${GPUJOBS_SLURM_SHELL:-}" = 1 ]; then
  say "ready: SLURMRESTD_URL=$SLURMRESTD_URL SLURM_USER_NAME=root SLURM_JWT=$TOKEN SLURM_CONF=$SLURM_CONF"
  say "Ctrl-C stops it"
  while :; do sleep 3600 & wait $!; done # `wait`, so Ctrl-C runs the trap at once
fi
say "slurmrestd answers on $SLURMRESTD_URL; running the live tests"
# `--workspace --tests` resolves the same dependency features as `cargo test --workspace`, so
# nothing is rebuilt; the live tests are the ignored ones in the `slurm_live` modules.
cargo test --workspace --tests -- --ignored slurm_live:: --test-threads=2
say "passed"
if [ -n "${GPUJOBS_AFTER_TESTS:-}" ]; then
  # e.g. scripts/bench-process.sh, while the server is still up.
  say "running GPUJOBS_AFTER_TESTS: $GPUJOBS_AFTER_TESTS"
  bash -c "$GPUJOBS_AFTER_TESTS"
fi
