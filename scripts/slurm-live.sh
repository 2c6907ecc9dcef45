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
# Accounting: each release also runs MariaDB and slurmdbd (their data, sockets, pid files and
# configuration in the same temporary directory, listening on 127.0.0.1 only, on ports of their own
# per release), so an ended job stays known after slurmctld forgets it (MinJobAge=10 s here), and
# slurmrestd also serves the accounting paths (/slurmdb/...). Where MariaDB or slurmdbd cannot be
# installed or started, the release runs without accounting, said on a line starting
# "slurm-live: accounting SKIPPED". The tests see GPUJOBS_SLURM_ACCOUNTING=1 or 0.
#
# Exit status: 0 when the live tests pass for every release that can run here; a release that
# cannot — not root, no apt-get, the Debian archive unreachable — is skipped on a line starting
# "slurm-live: SKIPPED"; non-zero for anything else.
#
# Environment: GPUJOBS_CACHE (where roots are kept; default ~/.cache/gpujobs), GPUJOBS_RECORD=1
# (save the server's answers under tests/payloads/slurm/live/<release>/), GPUJOBS_SLURM_SHELL=1
# (start the cluster of one release, print how to reach it and wait for Ctrl-C instead of running
# the tests), GPUJOBS_AFTER_TESTS (a command to run after the tests while the cluster is up, e.g.
# `bash scripts/bench-process.sh`), GPUJOBS_SLURM_ACCOUNTING=0 (no accounting for any release: no
# MariaDB, no slurmdbd, as before accounting was added), GPUJOBS_SLURM_NO_ACCOUNTING_RELEASES (the
# releases to run without accounting, e.g. "22.05"; default none), GPUJOBS_SLURM_MIN_JOB_AGE
# (seconds slurmctld keeps an ended job; default 10, so a test sees it forgotten),
# GPUJOBS_SLURM_STORE_COMMENT=1 (AccountingStoreFlags=job_comment: the job's comment is kept in the
# accounting record too; Slurm's default, kept here, is not to store it).
#
# The tests see GPUJOBS_SLURM_TOKEN_COMMAND: a command printing a fresh `scontrol token` of its
# first argument's lifespan (seconds), each run counted in that path + ".count" (for the
# contexts' token_command test).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${GPUJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpujobs}"
PACKAGES=(slurmctld slurmd slurmrestd slurm-client munge slurm-wlm-basic-plugins slurm-wlm-jwt-plugin)
ACCOUNTING_PACKAGES=(slurmdbd mariadb-server)
# slurmrestd refuses to run as root or as SlurmUser; it runs as this user.
REST_USER=nobody

# What each release needs: where it runs, its ports (not Slurm's default 6817/6818/6819 nor
# MariaDB's 3306, so a system Slurm or database is left alone; distinct, so releases never meet),
# and what changed in its configuration. REST_PLUGINS is what slurmrestd loads without accounting,
# REST_PLUGINS_DB with it (the accounting plugins fail to load without slurmdbd).
release_settings() {
  case "$1" in
    22.05) SUITE=host ROOT="" REST_PORT=6820 CTLD_PORT=16817 SLURMD_PORT=16818 DBD_PORT=16819 DB_PORT=16816
      # The old hand-written plugins; dbv0.0.38 is the accounting one of the newest.
      REST_PLUGINS=v0.0.36,v0.0.37,v0.0.38 REST_PLUGINS_DB=v0.0.36,v0.0.37,v0.0.38,dbv0.0.38 TASK_PLUGIN=task/none ;;
    24.11) SUITE=trixie ROOT="$CACHE/slurm-roots/trixie" REST_PORT=6821 CTLD_PORT=16827 SLURMD_PORT=16828 DBD_PORT=16829 DB_PORT=16826
      # task/none no longer exists.
      REST_PLUGINS=openapi/slurmctld REST_PLUGINS_DB=openapi/slurmctld,openapi/slurmdbd TASK_PLUGIN=task/affinity ;;
    26.05) SUITE=forky ROOT="$CACHE/slurm-roots/forky" REST_PORT=6822 CTLD_PORT=16837 SLURMD_PORT=16838 DBD_PORT=16839 DB_PORT=16836
      REST_PLUGINS=openapi/slurmctld REST_PLUGINS_DB=openapi/slurmctld,openapi/slurmdbd TASK_PLUGIN=task/affinity ;;
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

  # Accounting unless switched off; no_accounting (below) turns it off when something is missing.
  ACCOUNTING=1
  if [ "${GPUJOBS_SLURM_ACCOUNTING:-}" = 0 ]; then
    ACCOUNTING=0 ACCOUNTING_WHY="off: GPUJOBS_SLURM_ACCOUNTING=0"
  elif [[ " ${GPUJOBS_SLURM_NO_ACCOUNTING_RELEASES:-} " == *" $RELEASE "* ]]; then
    ACCOUNTING=0 ACCOUNTING_WHY="off: $RELEASE is in GPUJOBS_SLURM_NO_ACCOUNTING_RELEASES"
  fi
  [ "$ACCOUNTING" = 1 ] || say "accounting $ACCOUNTING_WHY"
  no_accounting() {
    echo "slurm-live: accounting SKIPPED: $RELEASE: $*"
    ACCOUNTING=0 ACCOUNTING_WHY="SKIPPED: $*"
  }

  if [ -z "$ROOT" ]; then
    # With a policy-rc.d refusing them, so package scripts start no daemon (mariadb-server's would
    # start a MariaDB on port 3306); a policy-rc.d already there is left as it is.
    apt_install() { # PACKAGE...
      local ours=
      [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; ours=1; }
      local status=0
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/tmp/gpujobs-slurm-apt.log 2>&1 || status=$?
      [ -z "$ours" ] || rm -f /usr/sbin/policy-rc.d
      return $status
    }
    installed() {
      for tool in slurmctld slurmd slurmrestd scontrol munged; do command -v "$tool" >/dev/null || return 1; done
      compgen -G "/usr/lib/*/slurm-wlm/auth_jwt.so" >/dev/null
    }
    if ! installed; then
      command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
      say "installing ${PACKAGES[*]} (once)"
      if ! apt_install "${PACKAGES[@]}"; then
        apt-get update -qq >/dev/null 2>&1 || skip "the Debian archive cannot be reached, so Slurm cannot be installed"
        apt_install "${PACKAGES[@]}" || { cat /tmp/gpujobs-slurm-apt.log; say "FAILED: apt-get install"; exit 1; }
      fi
    fi
    found=$(slurmctld -V | awk '{print $2}')
    [[ "$found" == "$RELEASE".* ]] || skip "the host's Slurm is $found, not $RELEASE (Debian 12 has 22.05)"
    accounting_installed() { command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; }
    if [ "$ACCOUNTING" = 1 ] && ! accounting_installed; then
      if ! command -v apt-get >/dev/null; then
        no_accounting "slurmdbd or MariaDB is not installed and there is no apt-get to install them"
      else
        say "installing ${ACCOUNTING_PACKAGES[*]} (once)"
        apt_install "${ACCOUNTING_PACKAGES[@]}" || { apt-get update -qq >/dev/null 2>&1 && apt_install "${ACCOUNTING_PACKAGES[@]}"; } ||
          no_accounting "apt-get install ${ACCOUNTING_PACKAGES[*]} failed (see /tmp/gpujobs-slurm-apt.log)"
      fi
    fi
  else
    status=0
    bash scripts/slurm-root.sh "$SUITE" "$ROOT" || status=$?
    case $status in
      0) ;;
      3) skip "no Debian $SUITE root with Slurm can be made here (said above)" ;;
      *) say "FAILED: making the Debian $SUITE root"; exit 1 ;;
    esac
    # slurm-root.sh installs them as a second step, and says so when it cannot.
    if [ "$ACCOUNTING" = 1 ] && ! chroot "$ROOT" /bin/sh -c 'command -v slurmdbd && command -v mariadbd && command -v mariadb-install-db' >/dev/null; then
      no_accounting "slurmdbd or MariaDB is not installed in $ROOT (see $CACHE/slurm-roots/$SUITE-accounting.log)"
    fi
  fi

  HOST=$(hostname -s)
  if ! getent hosts "$HOST" >/dev/null; then
    # Slurm looks its own node up by host name.
    say "adding '127.0.0.1 $HOST' to /etc/hosts so the node's name resolves"
    echo "127.0.0.1 $HOST" >>/etc/hosts
  fi
  port_free() { python3 -c "import socket, sys; socket.create_server(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null; }
  for port in "$CTLD_PORT" "$SLURMD_PORT" "$REST_PORT"; do
    if ! port_free "$port"; then
      say "FAILED: port $port on 127.0.0.1 is in use (a cluster left running?)"
      exit 1
    fi
  done
  if [ "$ACCOUNTING" = 1 ]; then
    for port in "$DBD_PORT" "$DB_PORT"; do
      port_free "$port" || { no_accounting "port $port on 127.0.0.1 is in use (a cluster left running?)"; break; }
    done
  fi

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
  # Stops the daemons started since the first N (all: 0), newest first, and forgets them.
  stop_since() { # N
    local first=$1 i pid
    for ((i = ${#PIDS[@]} - 1; i >= first; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
    for pid in "${PIDS[@]:first}"; do
      # 10 s: MariaDB flushes its tables before it exits.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    PIDS=("${PIDS[@]:0:first}")
  }
  stop_all() {
    # Jobs first (their steps outlive slurmd otherwise), then the daemons, newest first.
    in_root env SLURM_CONF="$WORK/slurm.conf" scancel --quiet --full "--nodelist=$HOST" >/dev/null 2>&1 || true
    stop_since 0
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

  show_logs_of() { local f; for f in "$@"; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; return 0; }
  # Until COMMAND succeeds, for at most SECONDS, while the daemon started last still runs.
  await() { # SECONDS COMMAND...
    local end=$((SECONDS + $1)) pid=${PIDS[-1]}
    shift
    until "$@" >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || return 1
      [ $SECONDS -lt "$end" ] || return 1
      sleep 0.5
    done
  }
  listening() { python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1"; }

  # MariaDB for slurmdbd: its data directory, socket, pid file and log in $WORK/mariadb, as the
  # mysql user (mariadbd refuses root), on 127.0.0.1 only; a database user for slurmdbd.
  DB_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  DB_SOCKET="$WORK/mariadb/mariadbd.sock"
  start_mariadb() {
    mkdir -p "$WORK/mariadb/data"
    in_root chown -R mysql:mysql "$WORK/mariadb" || { WHY="there is no mysql user${ROOT:+ in $ROOT}"; return 1; }
    in_root mariadb-install-db --no-defaults --user=mysql --datadir="$WORK/mariadb/data" --skip-test-db \
      --auth-root-authentication-method=socket >"$WORK/mariadb-install.out" 2>&1 ||
      { WHY="mariadb-install-db failed (see $WORK/mariadb-install.out)"; return 1; }
    start "$WORK/mariadbd.out" mariadbd --no-defaults --user=mysql --datadir="$WORK/mariadb/data" \
      --socket="$DB_SOCKET" --pid-file="$WORK/mariadb/mariadbd.pid" --log-error="$WORK/mariadb/mariadbd.log" \
      --bind-address=127.0.0.1 --port="$DB_PORT" --skip-name-resolve --innodb-lock-wait-timeout=900
    await 60 in_root mariadb-admin --no-defaults --socket="$DB_SOCKET" -u root ping ||
      { WHY="MariaDB did not start (see $WORK/mariadb/mariadbd.log)"; return 1; }
    # root connects through the socket (unix_socket authentication); slurmdbd by TCP, as 'slurm'.
    # The database made here, not by slurmdbd: slurmdbd 24.11 with MariaDB's client library 11.8.9
    # (trixie) exits on its first start against a server without it ("5027 Number of columns in
    # result (=1) set execeeds maxmimum allowed number of columns (=0)"); with it, it starts.
    in_root mariadb --no-defaults --socket="$DB_SOCKET" -u root -e "
      CREATE DATABASE slurm_acct_db;
      CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
      GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" >"$WORK/mariadb-user.out" 2>&1 ||
      { WHY="creating slurmdbd's database and user failed (see $WORK/mariadb-user.out)"; return 1; }
  }
  # slurmdbd reads slurmdbd.conf beside SLURM_CONF; it must be mode 600 and owned by SlurmUser
  # (root). The same JWT key as slurmctld's, so slurmrestd's requests with a token are accepted.
  start_slurmdbd() {
    # It listens on the address the host name resolves to (NoInAddrAny below): loopback only if so.
    local addr
    addr=$(in_root getent ahostsv4 "$HOST" | awk 'NR == 1 {print $1}')
    [[ "$addr" == 127.* ]] || { WHY="slurmdbd would listen on $addr, what '$HOST' resolves to, not on loopback"; return 1; }
    cat >"$WORK/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$WORK/jwt.key
DbdHost=$HOST
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
# Not on all addresses: on the one the host name resolves to.
CommunicationParameters=NoInAddrAny
SlurmUser=root
LogFile=$WORK/slurmdbd.log
PidFile=$WORK/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
    chown root:root "$WORK/slurmdbd.conf"
    chmod 600 "$WORK/slurmdbd.conf"
    start "$WORK/slurmdbd.out" env SLURM_CONF="$SLURM_CONF" slurmdbd -D
    # It creates its tables before it listens: a minute at most.
    await 90 listening "$DBD_PORT" || { WHY="slurmdbd did not start (see $WORK/slurmdbd.log)"; return 1; }
  }
  # The cluster, an account, and root (who submits) and the REST user in it. Jobs are accepted
  # without this (AccountingStorageEnforce is unset); it makes the records name an account.
  register_cluster() {
    local sacctmgr=(in_root env SLURM_CONF="$SLURM_CONF" timeout 30 sacctmgr -i)
    { "${sacctmgr[@]}" add cluster gpujobs-live &&
      "${sacctmgr[@]}" add account gpujobs Cluster=gpujobs-live Description=gpujobs-live-tests Organization=gpujobs &&
      "${sacctmgr[@]}" add user root,"$REST_USER" Account=gpujobs Cluster=gpujobs-live DefaultAccount=gpujobs
    } >"$WORK/sacctmgr.out" 2>&1 || { WHY="sacctmgr could not register the cluster (see $WORK/sacctmgr.out)"; return 1; }
  }
  # Says in WHY why not when it fails.
  start_accounting() { start_mariadb && start_slurmdbd && register_cluster; }

  dd if=/dev/urandom of="$WORK/jwt.key" bs=32 count=1 status=none
  chmod 600 "$WORK/jwt.key"
  # Written once with accounting (sacctmgr reads it to find slurmdbd) and again without it if
  # accounting cannot start, before slurmctld reads it.
  write_slurm_conf() {
    local accounting="# No accounting database: an ended job is forgotten MinJobAge seconds after it ends."
    if [ "$ACCOUNTING" = 1 ]; then
      accounting="# Accounting through slurmdbd: an ended job stays known there after slurmctld forgets it.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# The MUNGE socket for talking to slurmdbd (AuthInfo is not used for that).
AccountingStoragePass=$MUNGE_SOCKET
JobAcctGatherType=jobacct_gather/linux"
      [ "${GPUJOBS_SLURM_STORE_COMMENT:-}" != 1 ] || accounting+="
AccountingStoreFlags=job_comment"
    fi
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
# Short, so a test sees an ended job forgotten by slurmctld (Slurm's default is 300 s).
MinJobAge=${GPUJOBS_SLURM_MIN_JOB_AGE:-10}
JobCompType=jobcomp/none
$accounting
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
    chmod 644 "$WORK/slurm.conf"
  }
  write_slurm_conf
  export SLURM_CONF="$WORK/slurm.conf"

  if [ "$ACCOUNTING" = 1 ]; then
    started=${#PIDS[@]}
    WHY=
    if start_accounting; then
      say "accounting on: slurmdbd on 127.0.0.1:$DBD_PORT, MariaDB on 127.0.0.1:$DB_PORT"
    else
      show_logs_of "$WORK"/mariadb*.out "$WORK"/mariadb/*.log "$WORK"/slurmdbd.out "$WORK"/slurmdbd.log "$WORK"/sacctmgr.out
      stop_since "$started"
      no_accounting "$WHY"
      write_slurm_conf
    fi
  fi
  if [ "$ACCOUNTING" = 1 ]; then REST_PLUGINS=$REST_PLUGINS_DB; fi

  say "starting slurmctld and slurmd for one node '$HOST' on 127.0.0.1 (state in $WORK${ROOT:+, root $ROOT})"
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
  show_logs() { show_logs_of "$WORK"/*.out "$WORK"/*.log "$WORK"/munge/*.log "$WORK"/mariadb/*.log; }
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
  export GPUJOBS_SLURM_WORKDIR="$WORK/jobs" GPUJOBS_SLURM_RELEASE="$RELEASE" GPUJOBS_SLURM_ACCOUNTING="$ACCOUNTING"
  # A token command for contexts (`token_command = [this, LIFESPAN]`): `scontrol token` of the
  # release (inside its root), each run counted by a line in $0.count.
  TOKEN_COMMAND="$WORK/token-command"
  cat >"$TOKEN_COMMAND" <<SH
#!/bin/sh
echo run >> "$TOKEN_COMMAND.count"
exec ${ROOT:+chroot "$ROOT"} env SLURM_CONF="$SLURM_CONF" scontrol token lifespan="\${1:-600}" username=root
SH
  chmod 755 "$TOKEN_COMMAND"
  export GPUJOBS_SLURM_TOKEN_COMMAND="$TOKEN_COMMAND"
  if [ "${GPUJOBS_SLURM_SHELL:-}" = 1 ]; then
    say "ready: SLURMRESTD_URL=$SLURMRESTD_URL SLURM_JWT=$TOKEN (user root) SLURM_CONF=$SLURM_CONF${ROOT:+ (inside $ROOT)}"
    if [ "$ACCOUNTING" = 1 ]; then
      say "accounting on (GPUJOBS_SLURM_ACCOUNTING=1): slurmdbd 127.0.0.1:$DBD_PORT, MariaDB 127.0.0.1:$DB_PORT, slurmrestd $REST_PLUGINS"
    else
      say "accounting $ACCOUNTING_WHY (GPUJOBS_SLURM_ACCOUNTING=0): slurmrestd $REST_PLUGINS"
    fi
    say "Ctrl-C stops it"
    # `wait`, so Ctrl-C runs the trap at once; the sleep is added to PIDS, so the trap ends it too.
    while :; do start /dev/null sleep 3600; wait "${PIDS[-1]}" || true; unset 'PIDS[-1]'; done
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
