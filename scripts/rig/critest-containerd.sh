#!/usr/bin/env bash
# A baseline for wincri: runs critest against containerd 2's own CRI (containerd-cri.sh: the rig's
# containerd v2.4.2 and runc v1.4.4, wired to the rig's registry mirrors), so a failure seen with
# wincri can be told apart from a rig or image problem. A containerd this script starts is stopped
# afterwards; one already running is left running.
#   critest-containerd.sh [critest flags...]      e.g. -ginkgo.focus 'Image Manager'
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
rig_require_root

[ -x "$CRITEST" ] || rig_die "no critest: run scripts/rig/up.sh"
already_running=false
bash "$RIG_DIR/containerd-cri.sh" status >/dev/null 2>&1 && already_running=true
sock=$(bash "$RIG_DIR/containerd-cri.sh" start)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { bash "$RIG_DIR/containerd-cri.sh" stop; }
$already_running || trap cleanup EXIT

t0=$(rig_now)
rc=0
"$CRITEST" -runtime-endpoint "$sock" -ginkgo.no-color \
  -ginkgo.skip 'public image with digest' "$@" 2>&1 | tee "$RIG_LOGS/critest-containerd.log" || rc=$?
rig_log "critest against containerd: exit $rc in $(rig_since "$t0")s (log: $RIG_LOGS/critest-containerd.log)"
exit "$rc"
