#!/usr/bin/env bash
# Stops what up.sh started (both engines with their containerds, both registries). Caches stay: image
# layers, registry storage, crictl/critest, so the next up.sh is quick.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rig_require_root

t0=$(rig_now)
rig_phase docker29 "$RIG_DIR/docker29.sh" stop
rig_phase dockerd "$RIG_DIR/dockerd.sh" stop
rig_phase registries "$RIG_DIR/registry.sh" stop
rm -f "$RIG_RUN/rig.json"
rig_log "rig down in $(rig_since "$t0")s (caches kept in $RIG_STATE and $RIG_CACHE)"
