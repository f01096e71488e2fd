#!/usr/bin/env bash
# The CNI network wincri's CNI-mode tests use: Debian's reference plugins (containernetworking-plugins
# in /usr/lib/cni, installed by install.sh) on a bridge of its own, `wincricni0`, with its own
# subnet 10.213.77.0/24 (apart from the engine's wincri0 172.31.250.0/24 and the reference
# containerd's 10.213.24.0/24). Writes the config only; the bridge appears at the first pod.
#   cni.sh            write $RIG_STATE/cni/net.d/10-wincri-rig.conflist (idempotent)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
rig_require_root

CONF_DIR=$RIG_STATE/cni/net.d
CONF=$CONF_DIR/10-wincri-rig.conflist
BIN_DIR=/usr/lib/cni

for plugin in bridge host-local portmap bandwidth loopback; do
  [ -x "$BIN_DIR/$plugin" ] || rig_die "CNI plugin $BIN_DIR/$plugin missing: is containernetworking-plugins installed?"
done
# Read the table once: `ip route show | grep -q` under pipefail fails at random when grep exits
# before ip has written everything (ip dies of SIGPIPE), and that refused a rig whose own bridge
# was still up from an earlier run.
subnet_routes=$(ip route show | grep '^10\.213\.77\.' || true)
if [ -n "$subnet_routes" ] && ! grep -q '^10\.213\.77\.0/24 dev wincricni0 ' <<<"$subnet_routes"; then
  rig_die "10.213.77.0/24 is already routed elsewhere: $subnet_routes"
fi

mkdir -p "$CONF_DIR"
# bridge: the pod's veth on wincricni0, gateway and masquerade for egress, hairpin so a pod reaches
# itself through a host port; host-local: addresses under /var/lib/cni/networks/wincri-rig;
# portmap: host ports (TCP and UDP); bandwidth: the pod's ingress/egress annotations as tc qdiscs;
# loopback: `lo` up in the pod (it passes the previous result through).
want=$(
  cat <<JSON
{
  "cniVersion": "1.0.0",
  "name": "wincri-rig",
  "plugins": [
    {"type": "bridge", "bridge": "wincricni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "mtu": $(rig_uplink_mtu),
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.213.77.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
    {"type": "bandwidth", "capabilities": {"bandwidth": true}},
    {"type": "loopback"}
  ]
}
JSON
)
if [ "$(cat "$CONF" 2>/dev/null || true)" != "$want" ]; then
  printf '%s\n' "$want" >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
  rig_log "CNI config written: $CONF"
else
  rig_log "CNI config present: $CONF"
fi
