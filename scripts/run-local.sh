#!/usr/bin/env bash
# Runs wincri on this machine against a local Docker engine, from a fresh Debian machine as root:
# installs Debian's docker.io and starts a private dockerd with a local registry that serves the
# pause and test images (no internet needed: scripts/rig/), builds wincri, then serves the CRI on
# unix:///run/wincri/wincri.sock in the foreground. Extra arguments go to `wincri serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/node.sh

ensure_node
bash scripts/rig/up.sh
. scripts/rig/env.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

mirrors=()
IFS=, read -r -a specs <<<"$WINCRI_RIG_MIRRORS"
for spec in "${specs[@]}"; do mirrors+=(--registry-mirror "$spec"); done

cat <<EOM >&2

wincri is starting on unix:///run/wincri/wincri.sock (engine: $WINCRI_RIG_DOCKER_HOST).
In another shell:  $CRICTL --runtime-endpoint unix:///run/wincri/wincri.sock info
EOM
exec node dist/src/main.js serve --docker-host "$WINCRI_RIG_DOCKER_HOST" "${mirrors[@]}" "$@"
