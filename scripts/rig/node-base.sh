#!/usr/bin/env bash
# Assembles the local image wincri-node-base:20, a stand-in for node:20-bookworm-slim (which
# cannot be pulled here), from the host's own node and npm, for `docker build --build-arg
# BASE_IMAGE=wincri-node-base:20`. Skipped when the image exists with the same inputs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rig_require_root

IMAGE=wincri-node-base:20
NODE=$(command -v node)
NPM_ROOT=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
ROOT=$RIG_CACHE/node-base-rootfs

inputs=$({
  cat "$RIG_DIR/node-base.sh" "$RIG_DIR/lib.sh"
  "$NODE" --version
  cat "$NPM_ROOT/package.json"
  sha256sum /etc/ssl/certs/ca-certificates.crt
} | sha256sum | cut -d' ' -f1)

have=$(rig_docker image inspect -f '{{index .Config.Labels "org.wincri.rig.inputs"}}' "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$inputs" ]; then
  rig_log "$IMAGE up to date (node $("$NODE" --version))"
  exit 0
fi

case "$("$NODE" --version)" in
  v20.*) ;;
  *) rig_log "WARNING: host node is $("$NODE" --version), not 20.x; the image is still tagged :20" ;;
esac

rig_busybox_root "$ROOT"
mkdir -p "$ROOT/usr/lib/node_modules" "$ROOT/etc/ssl/certs" "$ROOT/home/node"
cp "$NODE" "$ROOT/usr/bin/node"
rig_copy_libs "$ROOT" "$NODE"
cp -a "$NPM_ROOT" "$ROOT/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/bin/npx"
# The egress proxy here re-signs TLS with its own CA, which node's built-in CA list does not know;
# the host bundle contains it, and NODE_EXTRA_CA_CERTS makes node (and so npm) trust it.
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
# npm's global config ($prefix/etc/npmrc). A stalled fetch fails after 60 s and is retried instead
# of npm's default 5 minutes; the update check is one registry call nobody reads in a build.
mkdir -p "$ROOT/usr/etc"
printf 'fetch-timeout=60000\nfetch-retries=4\nupdate-notifier=false\nfund=false\naudit=false\n' >"$ROOT/usr/etc/npmrc"
# The official node images have a `node` user (1000); keep that shape.
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$ROOT/etc/group"

old=$(rig_docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
rig_import "$ROOT" "$IMAGE" \
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  "ENV NODE_VERSION=$("$NODE" --version | tr -d v)" \
  "LABEL org.wincri.rig.inputs=$inputs" \
  'CMD ["node"]'
rm -rf "$ROOT"
# The replaced image would linger untagged in an engine that other tests list.
if [ -n "$old" ] && [ "$old" != "$(rig_docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
  rig_docker rmi "$old" >/dev/null 2>&1 || true
fi
rig_log "built $IMAGE: node $(rig_docker run --rm "$IMAGE" node --version), npm $(rig_docker run --rm "$IMAGE" npm --version)"
