#!/usr/bin/env bash
# Brings the whole rig up, each step idempotent: packages, private dockerd, registries, images,
# crictl/critest, Kubernetes binaries, the node base image; then writes /run/wincri-rig/rig.json and prints the env.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
rig_require_root

write_rig_json() {
  mkdir -p "$RIG_RUN"
  jq -n \
    --arg dockerHost "$WINCRI_RIG_DOCKER_HOST" \
    --arg docker "$WINCRI_RIG_DOCKER" \
    --arg registry "$WINCRI_RIG_REGISTRY" \
    --arg authRegistry "$WINCRI_RIG_AUTH_REGISTRY" \
    --arg authUser "$WINCRI_RIG_AUTH_USER" \
    --arg authPass "$WINCRI_RIG_AUTH_PASS" \
    --arg crictl "$CRICTL" \
    --arg critest "$CRITEST" \
    --arg criToolsVersion "${RIG_CRI_TOOLS_VERSION#v}" \
    --arg criToolsNext "${RIG_CRI_TOOLS_NEXT_VERSION#v}" \
    --arg crictlNext "$(rig_cri_tool crictl "$RIG_CRI_TOOLS_NEXT_VERSION")" \
    --arg critestNext "$(rig_cri_tool critest "$RIG_CRI_TOOLS_NEXT_VERSION")" \
    --arg mirrors "$WINCRI_RIG_MIRRORS" \
    --arg storageDriver "$(cat "$RIG_STATE/storage-driver")" \
    --arg nodeBaseImage wincri-node-base:20 \
    --arg cniBinDir /usr/lib/cni \
    --arg cniConfDir "$RIG_STATE/cni/net.d" \
    --arg cniSubnet 10.213.77.0/24 \
    --arg cniBridge wincricni0 \
    --argjson mtu "$(rig_uplink_mtu)" \
    '{$dockerHost, $docker, $registry, $authRegistry, $authUser, $authPass, $crictl, $critest,
      $criToolsVersion, $criToolsNext, $crictlNext, $critestNext,
      mirrors: ($mirrors | split(",")), $storageDriver, $nodeBaseImage, $cniBinDir, $cniConfDir, $cniSubnet, $cniBridge, $mtu,
      sandboxImage: "registry.k8s.io/pause:3.10",
      privateImage: "\($authRegistry)/wincri-test/private:1",
      testImage: "\($registry)/wincri-test/busybox:latest"}' >"$WINCRI_RIG_JSON.tmp"
  mv "$WINCRI_RIG_JSON.tmp" "$WINCRI_RIG_JSON"
}

t0=$(rig_now)
rig_phase install "$RIG_DIR/install.sh"
rig_phase dockerd "$RIG_DIR/dockerd.sh" start
rig_phase registries "$RIG_DIR/registry.sh" start
rig_phase images "$RIG_DIR/images.sh"
rig_phase cri-tools "$RIG_DIR/cri-tools.sh"
rig_phase cri-tools-next "$RIG_DIR/cri-tools.sh" "$RIG_CRI_TOOLS_NEXT_VERSION"
# The second engine (Docker 29 on containerd 2, both image stores), built from source once.
rig_phase docker29 "$RIG_DIR/docker29.sh" start
# The one-node clusters of test/e2e/kubernetes.test.ts (scripts/rig/cluster.sh starts them).
for v in "${RIG_KUBE_VERSIONS[@]}"; do rig_phase "kubernetes $v" "$RIG_DIR/kubernetes.sh" "$v"; done
rig_phase node-base "$RIG_DIR/node-base.sh"
rig_phase cni "$RIG_DIR/cni.sh"
rig_phase rig.json write_rig_json
rig_log "rig up in $(rig_since "$t0")s"

cat <<EOM

The rig is up. In a shell:   . scripts/rig/env.sh
  WINCRI_RIG_DOCKER_HOST=$WINCRI_RIG_DOCKER_HOST   (client: $WINCRI_RIG_DOCKER -H \$WINCRI_RIG_DOCKER_HOST)
  WINCRI_RIG_REGISTRY=$WINCRI_RIG_REGISTRY   WINCRI_RIG_AUTH_REGISTRY=$WINCRI_RIG_AUTH_REGISTRY ($WINCRI_RIG_AUTH_USER / $WINCRI_RIG_AUTH_PASS)
  CRICTL=$CRICTL   CRITEST=$CRITEST   ($RIG_CRI_TOOLS_VERSION; $RIG_CRI_TOOLS_NEXT_VERSION: CRICTL_NEXT, CRITEST_NEXT)
  WINCRI_RIG_MIRRORS=$WINCRI_RIG_MIRRORS
  facts as JSON: $WINCRI_RIG_JSON
wincri against it:
  node dist/src/main.js serve --docker-host \$WINCRI_RIG_DOCKER_HOST $(printf -- '--registry-mirror %s ' ${WINCRI_RIG_MIRRORS//,/ })
EOM
