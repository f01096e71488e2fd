#!/usr/bin/env bash
# A private Docker engine for the tests: its own containerd, data root, exec root, socket, bridge and
# log, so it can neither see nor disturb a system Docker or containerd on the default paths.
#   dockerd.sh start|stop|status
# With RIG_ENGINE_DIR=D (and RIG_ENGINE_BRIDGE=NAME=CIDR) it starts a second, private engine instead:
# state under D, socket D/run/docker.sock, its own bridge, and iptables off (two dockerds that both
# manage iptables rewrite each other's DOCKER chains; docker-proxy still serves host ports on
# loopback). scripts/rig/cluster.sh uses that for a cluster that needs no share of the rig's engine.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BRIDGE=wincri0
BRIDGE_CIDR=172.31.250.1/24
IPTABLES=true
if [ -n "${RIG_ENGINE_DIR:-}" ]; then
  RIG_STATE=$RIG_ENGINE_DIR/state
  RIG_RUN=$RIG_ENGINE_DIR/run
  RIG_LOGS=$RIG_ENGINE_DIR/logs
  RIG_DOCKER_SOCK=$RIG_RUN/docker.sock
  RIG_DOCKER_HOST=unix://$RIG_DOCKER_SOCK
  BRIDGE=${RIG_ENGINE_BRIDGE%%=*}
  BRIDGE_CIDR=${RIG_ENGINE_BRIDGE#*=}
  IPTABLES=false
fi
DOCKER_PID=$RIG_RUN/docker.pid
DOCKER_EXEC=$RIG_RUN/docker-exec
DOCKER_ROOT=$RIG_STATE/docker
CTRD_PID=$RIG_RUN/containerd.pid
CTRD_SOCK=$RIG_RUN/containerd/containerd.sock
CTRD_CONF=$RIG_STATE/containerd.toml
DAEMON_JSON=$RIG_STATE/daemon.json
DRIVER_FILE=$RIG_STATE/storage-driver

ping_ok() { curl -fsS --max-time 2 --unix-socket "$RIG_DOCKER_SOCK" http://d/_ping >/dev/null 2>&1; }

# dockerd 20.10 adopts /run/containerd/containerd.sock whenever that socket exists (a reference
# containerd someone is running, say), so the rig runs its own containerd and names it explicitly.
start_containerd() {
  if rig_pid_alive "$CTRD_PID"; then return 0; fi
  mkdir -p "$RIG_STATE/containerd" "$RIG_RUN/containerd"
  cat >"$CTRD_CONF" <<EOF
version = 2
root = "$RIG_STATE/containerd"
state = "$RIG_RUN/containerd/state"
# dockerd needs only content, snapshots and the runc v2 shim; the CRI plugin would be dead weight.
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$RIG_STATE/containerd/opt"
EOF
  containerd --config "$CTRD_CONF" >>"$RIG_LOGS/containerd.log" 2>&1 &
  echo $! >"$CTRD_PID"
  rig_wait_for 20 "containerd socket" test -S "$CTRD_SOCK" || {
    tail -n 20 "$RIG_LOGS/containerd.log" >&2
    rig_die "containerd did not start (log: $RIG_LOGS/containerd.log)"
  }
}

# launch_dockerd DRIVER: start dockerd in the background and wait for /_ping. Returns 1 when dockerd
# exited by itself (e.g. the storage driver is not supported here), 2 when it did not answer in 30 s.
launch_dockerd() {
  local driver=$1 mtu
  mtu=$(rig_uplink_mtu)
  rig_log "starting dockerd (storage driver $driver, bridge $BRIDGE $BRIDGE_CIDR, mtu $mtu)"
  # An explicit, empty config file keeps a stray /etc/docker/daemon.json out of the rig.
  echo '{}' >"$DAEMON_JSON"
  dockerd \
    --config-file "$DAEMON_JSON" \
    --containerd "$CTRD_SOCK" \
    --data-root "$DOCKER_ROOT" \
    --exec-root "$DOCKER_EXEC" \
    --pidfile "$DOCKER_PID" \
    -H "$RIG_DOCKER_HOST" \
    --storage-driver "$driver" \
    --bridge "$BRIDGE" \
    --mtu "$mtu" \
    --iptables=$IPTABLES \
    --exec-opt native.cgroupdriver=cgroupfs \
    --log-level info \
    >>"$RIG_LOGS/dockerd.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    ping_ok && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 2
}

start() {
  rig_require_root
  mkdir -p "$RIG_STATE" "$RIG_RUN" "$RIG_LOGS"
  if ping_ok; then
    rig_log "dockerd already running on $RIG_DOCKER_HOST (pid $(cat "$DOCKER_PID" 2>/dev/null || echo '?'))"
    return 0
  fi
  # A dead dockerd leaves its pid file behind and refuses to start while it names a live pid
  # (possibly reused); drop it when the process is gone.
  rig_pid_alive "$DOCKER_PID" || rm -f "$DOCKER_PID"
  rig_ensure_bridge "$BRIDGE" "$BRIDGE_CIDR"
  # Docker switches the FORWARD policy to DROP when it is the one to enable IP forwarding; that
  # would cut CNI bridge pods (wincri's own networking) off. Enabling it first avoids the switch.
  sysctl -qw net.ipv4.ip_forward=1
  start_containerd
  local driver rc=0
  driver=$(cat "$DRIVER_FILE" 2>/dev/null || echo overlay2)
  launch_dockerd "$driver" || rc=$?
  if [ "$rc" -ne 0 ]; then
    if [ "$driver" != overlay2 ]; then
      tail -n 20 "$RIG_LOGS/dockerd.log" >&2
      rig_die "dockerd failed to start (log: $RIG_LOGS/dockerd.log)"
    fi
    rig_log "overlay2 failed, falling back to vfs (slower; see $RIG_LOGS/dockerd.log)"
    driver=vfs
    launch_dockerd vfs || {
      tail -n 20 "$RIG_LOGS/dockerd.log" >&2
      rig_die "dockerd failed to start with vfs too"
    }
  fi
  # Remember vfs only when dockerd refused overlay2 outright: a dockerd that merely did not answer
  # in time (containerd still coming back, a loaded machine) says nothing about the driver, and a
  # remembered vfs would make every later start ~3x slower.
  if [ "$rc" -ne 2 ]; then echo "$driver" >"$DRIVER_FILE"; fi
  rig_log "dockerd up: $RIG_DOCKER_HOST, driver $(rig_docker info -f '{{.Driver}}'), pid $(cat "$DOCKER_PID")"
}

stop() {
  rig_require_root
  # dockerd stops its containers on the way down, so give it time before containerd goes.
  rig_stop_pid "$DOCKER_PID" dockerd 60
  rig_stop_pid "$CTRD_PID" containerd
  rm -f "$RIG_DOCKER_SOCK"
  # The bridge is ours alone; start makes it again.
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
}

status() {
  if ping_ok; then
    echo "dockerd: running (pid $(cat "$DOCKER_PID"), $RIG_DOCKER_HOST, driver $(rig_docker info -f '{{.Driver}}'))"
  else
    echo "dockerd: not running"
    return 1
  fi
}

rig_dispatch "$@"
