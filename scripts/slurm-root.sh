#!/usr/bin/env bash
# Makes, once, a Debian root holding a newer Slurm than the host's, for scripts/slurm-live.sh.
#
# Usage: scripts/slurm-root.sh SUITE DIR   (SUITE: trixie for Slurm 24.11, forky for 26.05)
#
# Debian carries newer Slurm releases in newer suites, which need that suite's libc: they run in a
# root made by debootstrap, leaving the host as it is. The root is built in DIR.partial and renamed
# to DIR only when Slurm is installed in it, so an interrupted run leaves nothing half-made behind.
# The mirror is the one the host's apt already uses.
#
# Accounting (slurmdbd and MariaDB) is installed as a second step, also into a root made before it
# was wanted; a root where it cannot be installed still serves Slurm, without accounting (said on
# stderr; slurm-live.sh then skips accounting for that release). Package scripts never start a
# daemon inside the root (a policy-rc.d refusing them), so nothing runs that slurm-live.sh did not
# start itself.
#
# Exit status: 0 when DIR holds a root with Slurm (made now or before); 3 when it cannot be made
# here (not root, no debootstrap and no apt-get to install it, the archive unreachable), with the
# reason on stderr; 1 for anything else.
set -euo pipefail

SUITE=${1:?usage: slurm-root.sh SUITE DIR}
DIR=${2:?usage: slurm-root.sh SUITE DIR}
PACKAGES=(slurmctld slurmd slurmrestd slurm-client munge slurm-wlm-basic-plugins slurm-wlm-jwt-plugin)
ACCOUNTING_PACKAGES=(slurmdbd mariadb-server)

cannot() { echo "$*" >&2; exit 3; }

# Package scripts must not start daemons in the root (mariadb-server's would start a MariaDB in it).
no_daemons() { # ROOTDIR
  printf '#!/bin/sh\n# slurm-root.sh: daemons in this root are started by slurm-live.sh only.\nexit 101\n' \
    >"$1/usr/sbin/policy-rc.d"
  chmod 755 "$1/usr/sbin/policy-rc.d"
}

# apt-get inside the root. Release files of a testing suite may be past their Valid-Until on a
# mirror snapshot. mariadb-server's postinst (systemd-tmpfiles) needs /proc: mounted meanwhile.
# `dpkg --configure -a` finishes what an earlier, interrupted or failed, install left half-done.
apt_in_root() { # ROOTDIR LOG PACKAGE...
  local root=$1 log=$2 status=0
  shift 2
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc" 2>/dev/null || umount -l "$root/proc"' EXIT
  chroot "$root" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive
    dpkg --configure -a &&
    apt-get -o Acquire::Check-Valid-Until=false update -qq &&
    apt-get install -y -qq --no-install-recommends $*" >>"$log" 2>&1 || status=$?
  umount "$root/proc" 2>/dev/null || umount -l "$root/proc"
  trap - EXIT
  return $status
}

# slurmdbd and MariaDB, once; a failure leaves the root as it was, serving Slurm without accounting.
accounting() {
  [ -f "$DIR/.gpujobs-slurm-accounting" ] && return 0
  local log
  log="$(dirname "$DIR")/$SUITE-accounting.log"
  no_daemons "$DIR"
  echo "slurm-root: installing ${ACCOUNTING_PACKAGES[*]} into $DIR (once; log in $log)" >&2
  if apt_in_root "$DIR" "$log" "${ACCOUNTING_PACKAGES[@]}"; then
    chroot "$DIR" dpkg-query -W "${ACCOUNTING_PACKAGES[@]}" >"$DIR/.gpujobs-slurm-accounting.partial"
    mv "$DIR/.gpujobs-slurm-accounting.partial" "$DIR/.gpujobs-slurm-accounting"
  else
    tail -5 "$log" >&2
    echo "slurm-root: accounting packages could not be installed into $DIR (see $log): Slurm without accounting" >&2
  fi
}

if [ -f "$DIR/.gpujobs-slurm-root" ]; then
  [ "$(id -u)" = 0 ] || exit 0 # slurm-live.sh says "not root" itself
  accounting
  exit 0
fi
[ "$(id -u)" = 0 ] || cannot "making a Debian $SUITE root needs root"

if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || cannot "there is no debootstrap, and no apt-get to install it"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1; } ||
    cannot "debootstrap cannot be installed (is the Debian archive reachable?)"
fi

# The host's own mirror: the first http(s) URI in its apt sources.
mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
  /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -1 | awk '{print $2}' || true)
mirror=${mirror:-http://deb.debian.org/debian}
# debootstrap knows forky by the script it shares with sid.
script=/usr/share/debootstrap/scripts/$SUITE
[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid

partial="$DIR.partial"
rm -rf "$partial"
mkdir -p "$(dirname "$DIR")"
log="$(dirname "$DIR")/$SUITE-root.log"
echo "slurm-root: debootstrap $SUITE into $partial from $mirror (once; log in $log)" >&2
if ! debootstrap --variant=minbase "$SUITE" "$partial" "$mirror" "$script" >"$log" 2>&1; then
  grep -qiE 'resolv|connect|Failed getting release|unable to fetch' "$log" &&
    cannot "debootstrap could not fetch $SUITE from $mirror (see $log)"
  tail -20 "$log" >&2
  exit 1
fi
no_daemons "$partial"
if ! apt_in_root "$partial" "$log" "${PACKAGES[@]}"; then
  tail -20 "$log" >&2
  echo "slurm-root: FAILED: installing Slurm inside the $SUITE root (see $log)" >&2
  exit 1
fi
chroot "$partial" slurmctld -V >"$partial/.gpujobs-slurm-root"
mv "$partial" "$DIR"
echo "slurm-root: $DIR holds $(cat "$DIR/.gpujobs-slurm-root")" >&2
accounting
