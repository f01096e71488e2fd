# shellcheck shell=bash
# Shared by the rig scripts (sourced, never run). One place for paths, logging and timing so
# every script agrees on where the private engine, registries and caches live.

# shellcheck disable=SC2034 # the constants are for the scripts that source this file
{
  RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  RIG_REPO=$(cd "$RIG_DIR/../.." && pwd)

  # State that must survive a teardown (image layers, registry blobs) lives under /var/lib;
  # sockets and pid files under /run; rebuildable artefacts (binaries, debs, stamps) under /var/cache.
  RIG_STATE=/var/lib/wincri-rig
  RIG_RUN=/run/wincri-rig
  RIG_CACHE=/var/cache/wincri-rig
  RIG_LOGS=$RIG_STATE/logs

  RIG_DOCKER_SOCK=$RIG_RUN/docker.sock
  RIG_DOCKER_HOST=unix://$RIG_DOCKER_SOCK
  # Debian's client; /usr/local/bin/docker is a different (28.x) client and must not be picked up by accident.
  RIG_DOCKER_CLI=/usr/bin/docker

  RIG_REGISTRY=127.0.0.1:5000
  RIG_AUTH_REGISTRY=127.0.0.1:5001
  RIG_AUTH_USER=wincri
  RIG_AUTH_PASS=wincri-test-pass

  # crictl/critest: the version every test uses, and the newer one critest also runs (its own
  # spec set, for the CRI version its Kubernetes release speaks).
  RIG_CRI_TOOLS_VERSION=v1.36.0
  RIG_CRI_TOOLS_NEXT_VERSION=v1.37.0
  RIG_BIN=$RIG_CACHE/bin

  # The second engine (docker29.sh): Docker Engine 29 is published as the Go module moby/moby/v2.
  RIG_MOBY_VERSION=v2.0.0-beta.24
  RIG_DOCKER29_VERSION=29.8.0
  RIG_CONTAINERD_VERSION=v2.4.2
  RIG_RUNC_VERSION=v1.4.4
  RIG_DOCKER29_SOCK=$RIG_RUN/docker29.sock
  RIG_DOCKER29_OVERLAY2_SOCK=$RIG_RUN/docker29-overlay2.sock
  RIG_DOCKER29_JSON=$RIG_RUN/docker29.json
}

# rig_engine_dir NAME VERSION: where docker29-build.sh puts (and docker29.sh finds) one built part.
rig_engine_dir() { echo "$RIG_CACHE/engines/$1-$2"; }

# rig_cri_tool NAME VERSION: where crictl or critest of that version lives; the main version keeps
# the plain name, so CRICTL/CRITEST stay where every script and test looks for them.
rig_cri_tool() {
  if [ "$2" = "$RIG_CRI_TOOLS_VERSION" ]; then echo "$RIG_BIN/$1"; else echo "$RIG_BIN/$1-${2#v}"; fi
}

rig_log() { printf '[rig %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
rig_die() { rig_log "ERROR: $*"; exit 1; }

rig_now() { date +%s.%N; }
rig_since() { awk -v a="$1" -v b="$(rig_now)" 'BEGIN { printf "%.1f", b - a }'; }

# rig_phase NAME CMD...: run a step and report its wall time, so slow phases are visible in every log.
rig_phase() {
  local name=$1 t0 rc=0 note=
  shift
  t0=$(rig_now)
  rig_log "== $name"
  "$@" || rc=$?
  [ "$rc" = 0 ] || note=" (FAILED, exit $rc)"
  rig_log "== $name: $(rig_since "$t0")s$note"
  return "$rc"
}

rig_docker() { "$RIG_DOCKER_CLI" -H "$RIG_DOCKER_HOST" "$@"; }

rig_require_root() { [ "$(id -u)" = 0 ] || rig_die "run as root"; }

# rig_pid_alive FILE: true when FILE names a live process.
rig_pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# rig_stop_pid FILE NAME [SECONDS]: TERM, wait (20 s by default), then KILL; only ever the process
# we recorded.
rig_stop_pid() {
  local file=$1 name=$2 secs=${3:-20} pid
  if ! rig_pid_alive "$file"; then
    rm -f "$file"
    rig_log "$name: not running"
    return 0
  fi
  pid=$(cat "$file")
  kill -TERM "$pid"
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    rig_log "$name: still alive after ${secs}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  rig_log "$name: stopped (pid $pid)"
}

# rig_wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.1 s.
rig_wait_for() {
  local secs=$1 what=$2
  shift 2
  for _ in $(seq 1 $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  rig_log "timed out after ${secs}s waiting for $what"
  return 1
}

# rig_dispatch "$@": the start|stop|status entry point of a service script that defines those three.
rig_dispatch() {
  case "${1:-}" in
    start | stop | status) "$1" ;;
    *)
      echo "usage: $0 start|stop|status" >&2
      exit 2
      ;;
  esac
}

# Fixed mtimes (2000-01-01) make rootfs tars, and so layer digests, repeat across rebuilds.
RIG_EPOCH=946684800

# rig_busybox_root DIR: a minimal root filesystem in DIR: Debian's static busybox with every applet
# as a hard link in /bin (as in upstream's busybox image, so masking /bin/ls masks ls alone).
rig_busybox_root() {
  local root=$1 applet
  rm -rf "$root"
  mkdir -p "$root"/{bin,etc,root,tmp,home,proc,sys,dev,run,var/run,usr/bin,usr/sbin,usr/local/bin}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln "$root/bin/busybox" "$root/bin/$applet"
  done
  # Scripts' `#!/usr/bin/env node` lines need env where coreutils would put it.
  ln "$root/bin/busybox" "$root/usr/bin/env"
}

# rig_copy_libs ROOT BINARY...: copy the shared libraries ldd names for BINARYs into ROOT, each at
# its host path (the dynamic loader included).
rig_copy_libs() {
  local root=$1 f
  shift
  for f in $(ldd "$@" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
  done
}

# rig_import ROOT IMAGE CHANGE...: import ROOT as a one-layer IMAGE with reproducible tar metadata.
rig_import() {
  local root=$1 image=$2 change args=()
  shift 2
  for change in "$@"; do args+=(-c "$change"); done
  find "$root" -exec touch -h -d "@$RIG_EPOCH" {} +
  tar -C "$root" --sort=name --mtime="@$RIG_EPOCH" --owner=0 --group=0 --numeric-owner -cf - . |
    rig_docker import "${args[@]}" - "$image" >/dev/null
}

# rig_in_registry REF: the registry lists REF's tag.
rig_in_registry() {
  local ref=$1 host path repo tag auth=()
  host=${ref%%/*}
  path=${ref#*/}
  repo=${path%:*}
  tag=${path##*:}
  [ "$host" = "$RIG_AUTH_REGISTRY" ] && auth=(-u "$RIG_AUTH_USER:$RIG_AUTH_PASS")
  curl -fsS --max-time 5 "${auth[@]}" "http://$host/v2/$repo/tags/list" 2>/dev/null |
    jq -e --arg t "$tag" '.tags // [] | index($t) != null' >/dev/null
}

# rig_ensure_bridge NAME CIDR: a Linux bridge with that address, up. dockerd creates only its default
# docker0; a named --bridge must exist beforehand.
rig_ensure_bridge() {
  local bridge=$1 cidr=$2
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  [[ "$(ip -4 addr show dev "$bridge")" == *"inet $cidr"* ]] || ip addr add "$cidr" dev "$bridge"
  ip link set "$bridge" up
}

# rig_uplink_mtu: the MTU of the default route's device (1400 on these VMs). Container and pod
# interfaces left at 1500 advertise a TCP MSS the path cannot carry, and downloads through NAT
# stall now and then (an `npm ci` in a build container hung for minutes).
rig_uplink_mtu() {
  local dev
  dev=$(ip route show default | awk 'NR == 1 { print $5 }')  # awk reads all: an early exit would SIGPIPE ip under pipefail
  cat "/sys/class/net/${dev:-lo}/mtu" 2>/dev/null || echo 1500
}

# Kubernetes releases the cluster runs, newest first; built by kubernetes.sh. The rig alone builds
# the current release; scripts/test.sh sets WINCRI_CLUSTER_VERSIONS=v1.37.2,v1.36.3 to add the
# previous one (the same variable chooses the releases test/e2e/kubernetes.test.ts runs).
IFS=, read -ra RIG_KUBE_VERSIONS <<<"${WINCRI_CLUSTER_VERSIONS:-v1.37.2}"

# rig_kube_bin VERSION: where kubernetes.sh puts that release's binaries.
rig_kube_bin() { echo "$RIG_CACHE/kubernetes/$1/bin"; }
