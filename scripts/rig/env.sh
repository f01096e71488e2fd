# shellcheck shell=bash
# Source me (bash): `. scripts/rig/env.sh`. Exports where the rig's engine, registries and tools
# are. No `set -euo pipefail` here on purpose: it would change the options of the sourcing shell.
# It defines the rig_* helpers and RIG_* variables of lib.sh in that shell too.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export WINCRI_RIG_DOCKER_HOST=$RIG_DOCKER_HOST
# The Debian client matching the 20.10 engine; /usr/local/bin/docker is an unrelated 28.x client.
export WINCRI_RIG_DOCKER=$RIG_DOCKER_CLI
export WINCRI_RIG_REGISTRY=$RIG_REGISTRY
export WINCRI_RIG_AUTH_REGISTRY=$RIG_AUTH_REGISTRY
export WINCRI_RIG_AUTH_USER=$RIG_AUTH_USER
export WINCRI_RIG_AUTH_PASS=$RIG_AUTH_PASS
export CRICTL=$RIG_BIN/crictl
export CRITEST=$RIG_BIN/critest
CRICTL_NEXT=$(rig_cri_tool crictl "$RIG_CRI_TOOLS_NEXT_VERSION")
CRITEST_NEXT=$(rig_cri_tool critest "$RIG_CRI_TOOLS_NEXT_VERSION")
export CRICTL_NEXT CRITEST_NEXT
# wincri --registry-mirror values: upstream names keep their names, bytes come from the rig.
export WINCRI_RIG_MIRRORS="registry.k8s.io=http://$RIG_REGISTRY,gcr.io=http://$RIG_REGISTRY,k8s.gcr.io=http://$RIG_REGISTRY,docker.io=http://$RIG_REGISTRY"
export WINCRI_RIG_JSON=$RIG_RUN/rig.json
