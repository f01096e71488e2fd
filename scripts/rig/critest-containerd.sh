#!/usr/bin/env bash
# A baseline for wincri: runs critest against Debian's containerd (its CRI plugin) wired to the
# rig's registry mirrors, so a failure seen with wincri can be told apart from a rig or image
# problem. The containerd is private (own root, state, socket, CNI bridge) and stops afterwards.
#   critest-containerd.sh [critest flags...]      e.g. -ginkgo.focus 'Image Manager'
# Measured here (containerd 1.6.20, critest v1.36.0): 91 of 93 run specs pass in ~110 s; the two
# failures are containerd 1.6's own (Idempotence: StopPodSandbox/StopContainer of a missing id
# return NotFound).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
rig_require_root

DIR=$RIG_STATE/ref-containerd
RUN=$RIG_RUN/ref-containerd
SOCK=$RUN/containerd.sock
CNI_BRIDGE=refcni0

[ -x "$CRITEST" ] || rig_die "no critest: run scripts/rig/up.sh"
mkdir -p "$DIR/cni" "$RUN"

{
  cat <<EOF
version = 2
root = "$DIR/root"
state = "$RUN/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # A negative oom_score_adj is refused on these machines (reference/environment.md).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni"
EOF
  for mirror in ${WINCRI_RIG_MIRRORS//,/ }; do
    printf '  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]\n    endpoint = ["%s"]\n' \
      "${mirror%%=*}" "${mirror#*=}"
  done
} >"$DIR/config.toml"

cat >"$DIR/cni/10-ref.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "wincri-ref", "plugins": [
  {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "mtu": $(rig_uplink_mtu),
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
EOF

containerd --config "$DIR/config.toml" >"$RIG_LOGS/ref-containerd.log" 2>&1 &
echo $! >"$RUN/containerd.pid"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  rig_stop_pid "$RUN/containerd.pid" "reference containerd"
  if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then ip link del "$CNI_BRIDGE"; fi
}
trap cleanup EXIT
rig_wait_for 20 "reference containerd" test -S "$SOCK" || rig_die "containerd did not start (log: $RIG_LOGS/ref-containerd.log)"

t0=$(rig_now)
rc=0
"$CRITEST" -runtime-endpoint "unix://$SOCK" -ginkgo.no-color \
  -ginkgo.skip 'public image with digest' "$@" 2>&1 | tee "$RIG_LOGS/critest-containerd.log" || rc=$?
rig_log "critest against containerd: exit $rc in $(rig_since "$t0")s (log: $RIG_LOGS/critest-containerd.log)"
exit "$rc"
