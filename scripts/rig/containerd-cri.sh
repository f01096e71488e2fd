#!/usr/bin/env bash
# containerd 2's own CRI, the runtime people pick instead of wincri on Linux: a private containerd
# (the rig's v2.4.2 with the same runc v1.4.4 as Docker 29, from docker29-build.sh's cache) serving
# CRI v1 on its own socket, root, state, CNI bridge and subnet, with the rig's registry mirrors.
# It shares nothing with the Docker 29 engines' containerd, so it needs no lock.
#   containerd-cri.sh start|stop|status
#   WINCRI_CONTAINERD_CGROUP_DRIVER=cgroupfs|systemd (default cgroupfs, as the rig's kubelets use)
#   WINCRI_CONTAINERD_INSTANCE=NAME  a second, separate containerd (own dirs, socket, bridge
#                                    ctrd-NAME, subnet 10.213.25.0/24): cluster.sh's node uses
#                                    `cluster`, so a bench on the default instance never meets a
#                                    kubelet (which removes pods it does not know)
# `start` prints the CRI socket (unix://...) on stdout and is idempotent.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CC_INSTANCE=${WINCRI_CONTAINERD_INSTANCE:-}
CC_DIR=$RIG_STATE/containerd-cri${CC_INSTANCE:+-$CC_INSTANCE}
CC_RUN=$RIG_RUN/ref-containerd24${CC_INSTANCE:+-$CC_INSTANCE}
CC_SOCK=$CC_RUN/containerd.sock
CC_PID=$CC_RUN/containerd.pid
CC_LOG=$RIG_LOGS/containerd-cri${CC_INSTANCE:+-$CC_INSTANCE}.log
CC_CONF=$CC_DIR/config.toml
CC_HOSTS=$CC_DIR/certs.d
CC_CNI=$CC_DIR/net.d
# Apart from wincricni0 10.213.77.0/24 (cni.sh), the engines' 172.31.x bridges, cluster.sh's
# 172.31.238-239.x and 10.96.0.0/24.
CC_BRIDGE=ctrd24cni0
CC_SUBNET=10.213.24.0/24
if [ -n "$CC_INSTANCE" ]; then
  CC_BRIDGE=ctrd-${CC_INSTANCE:0:10}
  CC_SUBNET=10.213.25.0/24
fi
CC_SANDBOX_IMAGE=registry.k8s.io/pause:3.10
CC_CGROUP_DRIVER=${WINCRI_CONTAINERD_CGROUP_DRIVER:-cgroupfs}

cc_bin() { rig_engine_dir containerd "$RIG_CONTAINERD_VERSION"; }
cc_path() { echo "$(rig_engine_dir runc "$RIG_RUNC_VERSION"):$(cc_bin):$PATH"; }

# The socket answers a CRI Version call (not just exists): containerd creates it before the CRI
# plugin has finished loading.
cc_ready() { "$CRICTL" --runtime-endpoint "unix://$CC_SOCK" --timeout 2s version >/dev/null 2>&1; }

# containerd's hosts.toml per upstream registry: pulls go to the rig's mirror over plain HTTP
# (the image keeps its upstream name, as with wincri's --registry-mirror). The rig's own registries
# are listed too, as plain HTTP servers.
write_hosts() {
  local mirror host endpoint server
  rm -rf "$CC_HOSTS"
  for mirror in ${WINCRI_RIG_MIRRORS//,/ }; do
    host=${mirror%%=*} endpoint=${mirror#*=}
    server=https://$host
    [ "$host" = docker.io ] && server=https://registry-1.docker.io
    mkdir -p "$CC_HOSTS/$host"
    printf 'server = "%s"\n\n[host."%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$server" "$endpoint" >"$CC_HOSTS/$host/hosts.toml"
  done
  for host in "$RIG_REGISTRY" "$RIG_AUTH_REGISTRY"; do
    mkdir -p "$CC_HOSTS/$host"
    printf 'server = "http://%s"\n' "$host" >"$CC_HOSTS/$host/hosts.toml"
  done
}

write_cni() {
  rm -rf "$CC_CNI"
  mkdir -p "$CC_CNI"
  cat >"$CC_CNI/10-containerd-cri.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "containerd-cri", "plugins": [
  {"type": "bridge", "bridge": "$CC_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "mtu": $(rig_uplink_mtu),
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$CC_SUBNET"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$CC_DIR/cni-ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
EOF
}

# A `version = 3` config: [grpc] and [ttrpc] stay top-level there (version 4 moves them into
# plugins, and a misplaced section makes containerd listen on the system socket).
write_config() {
  local systemd=false
  case "$CC_CGROUP_DRIVER" in
    cgroupfs) ;;
    systemd) systemd=true ;;
    *) rig_die "WINCRI_CONTAINERD_CGROUP_DRIVER must be cgroupfs or systemd, not '$CC_CGROUP_DRIVER'" ;;
  esac
  cat >"$CC_CONF" <<EOF
version = 3
root = "$CC_DIR/root"
state = "$CC_RUN/state"
[grpc]
  address = "$CC_SOCK"
[ttrpc]
  address = "$CC_SOCK.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$CC_DIR/opt"
# NRI listens on a machine-wide socket (/var/run/nri/nri.sock) that another containerd may own.
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$CC_SANDBOX_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$CC_HOSTS"
[plugins.'io.containerd.cri.v1.runtime']
  # A negative oom_score_adj is refused on these machines; containerd then clamps instead of failing.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    SystemdCgroup = $systemd
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$RIG_CNI_BIN"]
    conf_dir = "$CC_CNI"
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF
}

start() {
  rig_require_root
  if rig_pid_alive "$CC_PID" && cc_ready; then
    rig_log "containerd CRI already running (pid $(cat "$CC_PID"))"
    echo "unix://$CC_SOCK"
    return 0
  fi
  rig_pid_alive "$CC_PID" && rig_die "containerd (pid $(cat "$CC_PID")) runs but its CRI does not answer on $CC_SOCK (log: $CC_LOG)"
  rm -f "$CC_PID"
  [ -x "$CRICTL" ] || rig_die "no crictl at $CRICTL: run scripts/rig/up.sh"
  # The binaries are docker29-build.sh's (a no-op when its stamps are there).
  [ -f "$(cc_bin)/.built" ] && [ -f "$(rig_engine_dir runc "$RIG_RUNC_VERSION")/.built" ] ||
    "$RIG_DIR/docker29-build.sh" >&2
  mkdir -p "$CC_DIR" "$CC_RUN" "$RIG_LOGS"
  write_hosts
  write_cni
  write_config
  rig_log "starting containerd $RIG_CONTAINERD_VERSION CRI (cgroup driver $CC_CGROUP_DRIVER, bridge $CC_BRIDGE $CC_SUBNET)"
  PATH=$(cc_path) setsid containerd --config "$CC_CONF" >>"$CC_LOG" 2>&1 </dev/null &
  echo $! >"$CC_PID"
  rig_wait_for 60 "containerd CRI on $CC_SOCK" cc_ready || {
    tail -n 20 "$CC_LOG" >&2
    rig_die "containerd CRI did not answer (log: $CC_LOG)"
  }
  rig_log "containerd CRI up: unix://$CC_SOCK"
  echo "unix://$CC_SOCK"
}

# Stops containerd; the pods' shims and containers it leaves are removed first through the CRI, so
# no sandbox keeps the bridge's addresses or a netns.
stop() {
  rig_require_root
  if rig_pid_alive "$CC_PID" && cc_ready; then
    local p
    for p in $("$CRICTL" --runtime-endpoint "unix://$CC_SOCK" pods -q 2>/dev/null); do
      "$CRICTL" --runtime-endpoint "unix://$CC_SOCK" stopp "$p" >/dev/null 2>&1 || true
      "$CRICTL" --runtime-endpoint "unix://$CC_SOCK" rmp "$p" >/dev/null 2>&1 || true
    done
  fi
  rig_stop_pid "$CC_PID" "containerd CRI"
  if ip link show "$CC_BRIDGE" >/dev/null 2>&1; then ip link del "$CC_BRIDGE"; fi
}

status() {
  if rig_pid_alive "$CC_PID" && cc_ready; then
    echo "containerd CRI: running (pid $(cat "$CC_PID"), unix://$CC_SOCK, containerd $RIG_CONTAINERD_VERSION, cgroup driver from $CC_CONF)"
  else
    echo "containerd CRI: not running"
    return 1
  fi
}

RIG_CNI_BIN=/usr/lib/cni
rig_dispatch "$@"
