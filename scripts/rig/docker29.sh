#!/usr/bin/env bash
# The second engine of the rig: Docker Engine 29 (API 1.56) on containerd 2 and runc 1.4, built from
# source by docker29-build.sh, started beside the 20.10 engine without touching it. Two dockerds share
# one private containerd (each in its own containerd namespace):
#   docker29           the containerd image store (a fresh Docker 29's default)
#   docker29-overlay2  the classic store (--storage-driver overlay2)
# Each has its own socket, data root, exec root, pid file and bridge. iptables stays off: the 20.10
# engine owns the host's DOCKER chains, and host ports still answer on loopback through docker-proxy.
#   docker29.sh build|start|stop|status
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D29_STATE=$RIG_STATE/docker29
D29_RUN=$RIG_RUN/docker29
CTRD_SOCK=$D29_RUN/containerd/containerd.sock
CTRD_PID=$D29_RUN/containerd.pid
CTRD_CONF=$D29_STATE/containerd.toml

# name  socket  storage driver ("" = the containerd image store)  bridge  bridge address
ENGINES=(
  "docker29 $RIG_DOCKER29_SOCK - wincri29 172.31.229.1/24"
  "docker29-overlay2 $RIG_DOCKER29_OVERLAY2_SOCK overlay2 wincri29o 172.31.228.1/24"
)

engine_path() {
  echo "$(rig_engine_dir runc "$RIG_RUNC_VERSION"):$(rig_engine_dir containerd "$RIG_CONTAINERD_VERSION"):$(rig_engine_dir moby "$RIG_MOBY_VERSION"):$PATH"
}

ping_ok() { curl -fsS --max-time 2 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }

# containerd 2 reads a `version = 3` config; in version 3 [grpc] and [ttrpc] are still top-level
# (version 4 moves them, and a misplaced section makes containerd fall back to the system socket).
start_containerd() {
  if rig_pid_alive "$CTRD_PID"; then return 0; fi
  mkdir -p "$D29_STATE/containerd" "$D29_RUN/containerd"
  cat >"$CTRD_CONF" <<EOC
version = 3
root = "$D29_STATE/containerd"
state = "$D29_RUN/containerd/state"
# dockerd needs content, snapshots and the runc shim; containerd's own CRI is not served here.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
EOC
  PATH=$(engine_path) containerd --config "$CTRD_CONF" >>"$RIG_LOGS/docker29-containerd.log" 2>&1 &
  echo $! >"$CTRD_PID"
  rig_wait_for 30 "containerd 2 socket" test -S "$CTRD_SOCK" || {
    tail -n 20 "$RIG_LOGS/docker29-containerd.log" >&2
    rig_die "containerd $RIG_CONTAINERD_VERSION did not start (log: $RIG_LOGS/docker29-containerd.log)"
  }
}

# start_engine NAME SOCKET DRIVER BRIDGE CIDR
start_engine() {
  local name=$1 sock=$2 driver=$3 bridge=$4 cidr=$5 pidfile conf args=()
  pidfile=$D29_RUN/$name.pid
  if ping_ok "$sock"; then
    rig_log "$name already running on unix://$sock"
    return 0
  fi
  rig_pid_alive "$pidfile" || rm -f "$pidfile"
  rig_ensure_bridge "$bridge" "$cidr"
  conf=$D29_STATE/$name.json
  # An explicit, empty config file keeps a stray /etc/docker/daemon.json out.
  echo '{}' >"$conf"
  [ "$driver" = - ] || args+=(--storage-driver "$driver")
  rig_log "starting $name (dockerd $RIG_DOCKER29_VERSION, store ${driver/-/containerd}, bridge $bridge $cidr)"
  PATH=$(engine_path) dockerd \
    --config-file "$conf" \
    --containerd "$CTRD_SOCK" \
    --containerd-namespace "$name" \
    --containerd-plugins-namespace "$name-plugins" \
    --data-root "$D29_STATE/$name" \
    --exec-root "$D29_RUN/$name" \
    --pidfile "$pidfile" \
    -H "unix://$sock" \
    "${args[@]}" \
    --bridge "$bridge" \
    --mtu "$(rig_uplink_mtu)" \
    --iptables=false \
    --ip6tables=false \
    --userland-proxy-path "$(rig_engine_dir moby "$RIG_MOBY_VERSION")/docker-proxy" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --log-level info \
    >>"$RIG_LOGS/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do
    ping_ok "$sock" && break
    kill -0 "$pid" 2>/dev/null || {
      tail -n 20 "$RIG_LOGS/$name.log" >&2
      rig_die "$name exited while starting (log: $RIG_LOGS/$name.log)"
    }
    sleep 0.1
  done
  ping_ok "$sock" || rig_die "$name did not answer in 60 s (log: $RIG_LOGS/$name.log)"
  rig_log "$name up: unix://$sock, $(engine_facts "$sock")"
}

# engine_facts SOCKET: version, API version and store, as the engine reports them.
engine_facts() {
  local v i
  v=$(curl -fsS --unix-socket "$1" http://d/version)
  i=$(curl -fsS --unix-socket "$1" http://d/info)
  printf 'Docker %s, API %s, driver %s' "$(jq -r .Version <<<"$v")" "$(jq -r .ApiVersion <<<"$v")" \
    "$(jq -r '.Driver + ((.DriverStatus // []) | map(select(.[0] == "driver-type") | " (" + .[1] + ")") | join(""))' <<<"$i")"
}

build() { "$RIG_DIR/docker29-build.sh"; }

# The facts the tests read (test/support/rig.ts): each engine's socket and what it reports.
write_facts() {
  local e name sock driver json='{}'
  for e in "${ENGINES[@]}"; do
    read -r name sock driver _ <<<"$e"
    json=$(jq --arg name "$name" --arg host "unix://$sock" --arg store "${driver/-/containerd}" \
      --argjson version "$(curl -fsS --unix-socket "$sock" http://d/version)" \
      '.engines[$name] = {dockerHost: $host, imageStore: $store, version: $version.Version,
        apiVersion: $version.ApiVersion}' <<<"$json")
  done
  echo "$json" >"$RIG_DOCKER29_JSON.tmp"
  mv "$RIG_DOCKER29_JSON.tmp" "$RIG_DOCKER29_JSON"
}

start() {
  rig_require_root
  mkdir -p "$D29_STATE" "$D29_RUN" "$RIG_LOGS"
  build
  # Forwarding on before any dockerd sees it off (see dockerd.sh: it would set FORWARD to DROP).
  sysctl -qw net.ipv4.ip_forward=1
  start_containerd
  local e
  for e in "${ENGINES[@]}"; do
    # shellcheck disable=SC2086 # one line of ENGINES is five words
    start_engine $e
  done
  write_facts
}

stop() {
  rig_require_root
  local e name bridge
  for e in "${ENGINES[@]}"; do
    read -r name _ _ bridge _ <<<"$e"
    rig_stop_pid "$D29_RUN/$name.pid" "$name" 60
    if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge"; fi
  done
  rig_stop_pid "$CTRD_PID" "containerd $RIG_CONTAINERD_VERSION"
  rm -f "$RIG_DOCKER29_JSON"
}

status() {
  local e name sock rc=0
  for e in "${ENGINES[@]}"; do
    read -r name sock _ <<<"$e"
    if ping_ok "$sock"; then
      echo "$name: running (pid $(cat "$D29_RUN/$name.pid"), unix://$sock, $(engine_facts "$sock"))"
    else
      echo "$name: not running"
      rc=1
    fi
  done
  return "$rc"
}

case "${1:-}" in
  build | start | stop | status) "$1" ;;
  *)
    echo "usage: $0 build|start|stop|status" >&2
    exit 2
    ;;
esac
