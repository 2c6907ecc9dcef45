#!/usr/bin/env bash
# Proves the Slurm client against real Slurm clusters of one node each, on loopback: Slurm 22.05
# (Debian 12, the host's own packages), 24.11 (Debian 13 trixie) and 26.05 (Debian forky), the
# newer two inside Debian roots made by scripts/slurm-root.sh so the host is left as it is.
#
# Usage: scripts/slurm-live.sh [RELEASE...]   RELEASE: 22.05, 24.11 or 26.05 (default: all three)
#
# For each release it installs Slurm when missing (host packages, or a root made once under
# $GPUJOBS_CACHE/slurm-roots), writes a slurm.conf for one node bound to 127.0.0.1 into a
# temporary directory (nothing under /etc/slurm is touched), starts munged, slurmctld, slurmd and
# — as an unprivileged user, which it insists on — slurmrestd with JWT auth and every API version
# that release serves by default, mints a token with `scontrol token`, runs the live tests of the
# facade and of the CLI, and always stops every daemon it started by process id (and unmounts what
# it mounted into a root), also on failure or interrupt.
#
# Exit status: 0 when the live tests pass for every release that can run here; a release that
# cannot — not root, no apt-get, the Debian archive unreachable — is skipped on a line starting
# "slurm-live: SKIPPED"; non-zero for anything else.
#
# Environment: GPUJOBS_CACHE (where roots are kept; default ~/.cache/gpujobs), GPUJOBS_RECORD=1
# (save the server's answers under tests/payloads/slurm/live/<release>/), GPUJOBS_SLURM_SHELL=1
# (start the cluster of one release, print how to reach it and wait for Ctrl-C instead of running
# the tests), GPUJOBS_AFTER_TESTS (a command to run after the tests while the cluster is up, e.g.
# `bash scripts/bench-process.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${GPUJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpujobs}"
PACKAGES=(slurmctld slurmd slurmrestd slurm-client munge slurm-wlm-basic-plugins slurm-wlm-jwt-plugin)
# slurmrestd refuses to run as root or as SlurmUser; it runs as this user.
REST_USER=nobody

# What each release needs: where it runs, its ports (not Slurm's default 6817/6818, so a system
# Slurm is left alone; distinct, so releases never meet), and what changed in its configuration.
release_settings() {
  case "$1" in
    22.05) SUITE=host ROOT="" REST_PORT=6820 CTLD_PORT=16817 SLURMD_PORT=16818
      # The old hand-written plugins; dbv0.0.* would need slurmdbd.
      REST_PLUGINS=v0.0.36,v0.0.37,v0.0.38 TASK_PLUGIN=task/none ;;
    24.11) SUITE=trixie ROOT="$CACHE/slurm-roots/trixie" REST_PORT=6821 CTLD_PORT=16827 SLURMD_PORT=16828
      # openapi/slurmdbd would need slurmdbd; task/none no longer exists.
      REST_PLUGINS=openapi/slurmctld TASK_PLUGIN=task/affinity ;;
    26.05) SUITE=forky ROOT="$CACHE/slurm-roots/forky" REST_PORT=6822 CTLD_PORT=16837 SLURMD_PORT=16838
      REST_PLUGINS=openapi/slurmctld TASK_PLUGIN=task/affinity ;;
    *) echo "slurm-live: unknown release $1 (expected 22.05, 24.11 or 26.05)" >&2; return 2 ;;
  esac
}

# Runs one release's cluster and tests; its own subshell, so its traps stop exactly what it started.
live() (
  RELEASE=$1
  release_settings "$RELEASE"
  say() { echo "slurm-live $RELEASE: $*"; }
  skip() { echo "slurm-live: SKIPPED: Slurm $RELEASE: $*"; exit 0; }
  [ "$(id -u)" = 0 ] || skip "slurmctld and slurmd run as root here (SlurmUser=root), and this is not root"
  command -v python3 >/dev/null || skip "python3 is needed to wait for slurmrestd"

  if [ -z "$ROOT" ]; then
    installed() {
      for tool in slurmctld slurmd slurmrestd scontrol munged; do command -v "$tool" >/dev/null || return 1; done
      compgen -G "/usr/lib/*/slurm-wlm/auth_jwt.so" >/dev/null
    }
    if ! installed; then
      command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
      say "installing ${PACKAGES[*]} (once)"
      if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
        >/tmp/gpujobs-slurm-apt.log 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || skip "the Debian archive cannot be reached, so Slurm cannot be installed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
          >/tmp/gpujobs-slurm-apt.log 2>&1 || { cat /tmp/gpujobs-slurm-apt.log; say "FAILED: apt-get install"; exit 1; }
      fi
    fi
    found=$(slurmctld -V | awk '{print $2}')
    [[ "$found" == "$RELEASE".* ]] || skip "the host's Slurm is $found, not $RELEASE (Debian 12 has 22.05)"
  else
    status=0
    bash scripts/slurm-root.sh "$SUITE" "$ROOT" || status=$?
    case $status in
      0) ;;
      3) skip "no Debian $SUITE root with Slurm can be made here (said above)" ;;
      *) say "FAILED: making the Debian $SUITE root"; exit 1 ;;
    esac
  fi

  HOST=$(hostname -s)
  if ! getent hosts "$HOST" >/dev/null; then
    # Slurm looks its own node up by host name.
    say "adding '127.0.0.1 $HOST' to /etc/hosts so the node's name resolves"
    echo "127.0.0.1 $HOST" >>/etc/hosts
  fi
  for port in "$CTLD_PORT" "$SLURMD_PORT" "$REST_PORT"; do
    if ! python3 -c "import socket, sys; socket.create_server(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
      say "FAILED: port $port on 127.0.0.1 is in use (a cluster left running?)"
      exit 1
    fi
  done

  # The work directory has the same path on the host and in the root (bind-mounted), so the tests
  # read what the jobs wrote at the path the jobs were given.
  WORK=$(mktemp -d /tmp/gpujobs-slurm.XXXXXX)
  chmod 755 "$WORK"
  mkdir -p "$WORK/state" "$WORK/spool" "$WORK/jobs" "$WORK/munge"
  chmod 1777 "$WORK/jobs"
  PIDS=()
  MOUNTS=()
  in_root() { if [ -n "$ROOT" ]; then chroot "$ROOT" "$@"; else "$@"; fi; }
  # A daemon in the background, its process id kept: chroot, env and setpriv each exec what
  # follows, so the id is the daemon's own (a function run with `&` would be a subshell's).
  start() { # LOG COMMAND...
    local log=$1
    shift
    if [ -n "$ROOT" ]; then chroot "$ROOT" "$@" >"$log" 2>&1 & else "$@" >"$log" 2>&1 & fi
    PIDS+=($!)
  }
  mount_into_root() { # SOURCE TARGET [mount options...]
    local target="$ROOT$2"
    mkdir -p "$target"
    mount "${@:3}" "$1" "$target"
    # A slave: unmounting the copy never unmounts the host's own mounts beneath it.
    mount --make-rslave "$target"
    MOUNTS+=("$target")
  }
  stop_all() {
    # Jobs first (their steps outlive slurmd otherwise), then the daemons, newest first.
    in_root env SLURM_CONF="$WORK/slurm.conf" scancel --quiet --full "--nodelist=$HOST" >/dev/null 2>&1 || true
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
      umount -R "${MOUNTS[i]}" 2>/dev/null || umount -R -l "${MOUNTS[i]}" 2>/dev/null || true
    done
    # Only once nothing is mounted beneath it.
    if ! grep -qF " $WORK" /proc/mounts; then rm -rf "$WORK"; fi
  }
  trap stop_all EXIT
  trap 'exit 130' INT TERM

  if [ -n "$ROOT" ]; then
    mount_into_root proc /proc -t proc
    mount_into_root /dev /dev --rbind
    # slurmd 24.11 wants the cgroup file systems beneath /sys.
    mount_into_root /sys /sys --rbind
    mount_into_root "$WORK" "$WORK" --bind
    grep -q " $HOST\$" "$ROOT/etc/hosts" 2>/dev/null || echo "127.0.0.1 $HOST" >>"$ROOT/etc/hosts"
  fi

  # munged: its own key and socket in $WORK, so a system munged (if any) is left alone.
  dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
  in_root chown -R munge:munge "$WORK/munge" 2>/dev/null || true
  chmod 711 "$WORK/munge" # the socket must be reachable; the key stays 0400
  chmod 400 "$WORK/munge/munge.key"
  MUNGE_SOCKET="$WORK/munge/munge.socket"
  start "$WORK/munged.out" setpriv --reuid=munge --regid=munge --clear-groups munged --foreground --force \
    --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/seed" --log-file="$WORK/munge/munged.log"

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
TaskPlugin=$TASK_PLUGIN
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

  say "starting munged, slurmctld and slurmd for one node '$HOST' on 127.0.0.1 (state in $WORK${ROOT:+, root $ROOT})"
  start "$WORK/slurmctld.out" env SLURM_CONF="$SLURM_CONF" slurmctld -D -i
  start "$WORK/slurmd.out" env SLURM_CONF="$SLURM_CONF" slurmd -D
  say "starting slurmrestd as '$REST_USER' on 127.0.0.1:$REST_PORT ($REST_PLUGINS, JWT)"
  start "$WORK/slurmrestd.out" setpriv --reuid="$REST_USER" --regid="$(id -g "$REST_USER")" --clear-groups \
    env SLURM_JWT=daemon SLURM_CONF="$SLURM_CONF" slurmrestd -a rest_auth/jwt -s "$REST_PLUGINS" "127.0.0.1:$REST_PORT"

  # Never exported: Slurm's own CLI tools switch to JWT when they see SLURM_JWT.
  mint() { in_root env SLURM_CONF="$SLURM_CONF" scontrol token lifespan=7200 username=root 2>/dev/null | sed -n 's/^SLURM_JWT=//p' || true; }
  TOKEN=$(mint)
  for _ in $(seq 1 50); do
    [ -n "$TOKEN" ] && break
    sleep 0.2
    TOKEN=$(mint)
  done
  show_logs() { for f in "$WORK"/*.out "$WORK"/*.log "$WORK"/munge/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; }
  [ -n "$TOKEN" ] || { show_logs; say "FAILED: scontrol token (slurmctld not answering?)"; exit 1; }

  # Ready when the served spec answers and the controller pings UP, in whichever version is served.
  ready() {
    python3 - "http://127.0.0.1:$REST_PORT" "$TOKEN" <<'PY'
import json, re, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    request = urllib.request.Request(base + path, headers={"X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": token})
    return json.load(urllib.request.urlopen(request, timeout=5))
try:
    versions = sorted({m.group(1) for p in get("/openapi/v3")["paths"] for m in [re.match(r"/slurm/(v[0-9.]+)/", p)] if m})
    pings = get(f"/slurm/{versions[-1]}/ping/")["pings"]
except Exception:
    sys.exit(1)
sys.exit(0 if pings and pings[0].get("ping", pings[0].get("responding")) in ("UP", True) else 1)
PY
  }
  idle() { [ "$(in_root env SLURM_CONF="$SLURM_CONF" sinfo -h -n "$HOST" -o %t 2>/dev/null)" = idle ]; }
  for _ in $(seq 1 150); do
    ready && idle && break
    sleep 0.2
  done
  ready || { show_logs; say "FAILED: slurmrestd never answered on 127.0.0.1:$REST_PORT"; exit 1; }
  idle || { show_logs; say "FAILED: node '$HOST' never became idle ($(in_root env SLURM_CONF="$SLURM_CONF" sinfo -h -o %t 2>&1))"; exit 1; }

  export SLURMRESTD_URL="http://127.0.0.1:$REST_PORT" GPUJOBS_SLURM_TOKEN="$TOKEN"
  export GPUJOBS_SLURM_WORKDIR="$WORK/jobs" GPUJOBS_SLURM_RELEASE="$RELEASE"
  if [ "${GPUJOBS_SLURM_SHELL:-}" = 1 ]; then
    say "ready: SLURMRESTD_URL=$SLURMRESTD_URL SLURM_JWT=$TOKEN (user root) SLURM_CONF=$SLURM_CONF${ROOT:+ (inside $ROOT)}"
    say "Ctrl-C stops it"
    while :; do sleep 3600 & wait $!; done # `wait`, so Ctrl-C runs the trap at once
  fi
  say "slurmrestd answers on $SLURMRESTD_URL; running the live tests"
  source scripts/live-tests.sh
  run_live_tests slurm_live
)

releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(22.05 24.11 26.05)
failed=()
for release in "${releases[@]}"; do
  release_settings "$release" >/dev/null || exit 2
  live "$release" || failed+=("$release")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "slurm-live: FAILED for Slurm ${failed[*]}"
  exit 1
fi
