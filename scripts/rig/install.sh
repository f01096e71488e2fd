#!/usr/bin/env bash
# Installs the rig's Debian packages. Quick when everything is present: apt is touched only when a
# package is missing, and `apt-get update` then runs once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rig_require_root

# busybox-static is the image base and the host's /bin/busybox. Debian's dynamic `busybox` conflicts
# with it, so that one is only downloaded and unpacked into the cache (images.sh takes its /bin/sh).
PACKAGES=(
  docker.io docker-registry busybox-static containernetworking-plugins socat apache2-utils
  iptables util-linux iproute2 procps gcc libc6-dev curl jq tmux ca-certificates
  # systemd-analyze (the unit tests of packaging/systemd) and systemd-socket-activate (e2e); no init.
  systemd
  # runc's seccomp support (docker29-build.sh) links libseccomp through cgo.
  libseccomp-dev pkg-config
)
BUSYBOX_DYN=$RIG_CACHE/busybox-dynamic
mkdir -p "$RIG_CACHE"

# One dpkg-query for all packages: the quick path of a second run is this and nothing else.
# (Packages dpkg has never heard of print no line, so they count as missing too.)
states=$'\n'$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)$'\n'
missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$states" == *$'\n'"$p installed"$'\n'* ]] || missing+=("$p")
done
have_dyn=$(cat "$BUSYBOX_DYN/.version" 2>/dev/null || true)

updated=
apt_update_once() {
  [ -n "$updated" ] && return 0
  rig_log "apt-get update"
  apt-get update -qq
  updated=1
}

if [ "${#missing[@]}" -gt 0 ]; then
  rig_log "installing: ${missing[*]}"
  apt_update_once
  # No systemd here (PID 1 is not an init that runs units), but the packages' maintainer scripts
  # call invoke-rc.d, which would start /etc/init.d/docker and containerd: a system dockerd on
  # /var/run/docker.sock that nobody asked for. policy-rc.d exit 101 forbids that; create one only
  # for the duration of the install if the machine has none.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  # Recommends would add apparmor (not loaded on these kernels), cgroupfs-mount, git, needrestart.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$RIG_CACHE/apt-install.log" 2>&1 || {
    tail -n 30 "$RIG_CACHE/apt-install.log" >&2
    rig_die "apt-get install failed (full log: $RIG_CACHE/apt-install.log)"
  }
  if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
else
  rig_log "all ${#PACKAGES[@]} packages present"
fi

# The dynamic build is taken at the same version as the installed busybox-static.
want_dyn=$(dpkg-query -W -f='${Version}' busybox-static)
if [ "$have_dyn" != "$want_dyn" ]; then
  apt_update_once
  rig_log "fetching dynamic busybox $want_dyn into $BUSYBOX_DYN"
  mkdir -p "$RIG_CACHE/debs"
  rm -f "$RIG_CACHE"/debs/busybox_*.deb
  # The sandbox user _apt cannot write into this root-only cache; download as root.
  (cd "$RIG_CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "busybox=$want_dyn")
  debs=("$RIG_CACHE"/debs/busybox_*.deb)
  rm -rf "$BUSYBOX_DYN"
  mkdir -p "$BUSYBOX_DYN"
  dpkg-deb -x "${debs[0]}" "$BUSYBOX_DYN"
  echo "$want_dyn" >"$BUSYBOX_DYN/.version"
fi

# The maintainer scripts must not have left an engine behind on the default socket.
if [ -S /var/run/docker.sock ] && pgrep -x dockerd >/dev/null; then
  rig_log "WARNING: a system dockerd is running on /var/run/docker.sock; the rig ignores it"
fi
