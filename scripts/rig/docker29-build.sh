#!/usr/bin/env bash
# Builds Docker Engine 29 (dockerd, docker-proxy), containerd 2 (containerd, its runc v2 shim) and runc
# from the Go module proxy at pinned versions, each into its own directory under
# /var/cache/wincri-rig/engines/<name>-<version>/, which holds a stamp once the build is whole. A
# second run finds the stamps and builds nothing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

# build_part NAME VERSION TAGS LDFLAGS PACKAGE...: `go install PACKAGE@VERSION` for each package into
# the part's directory, then write the stamp. Nothing is copied out of the module cache: `go install`
# of a versioned package builds the module as published (no wrapper go.mod needed for these three).
build_part() {
  local name=$1 version=$2 tags=$3 ldflags=$4 dir pkg
  shift 4
  dir=$(rig_engine_dir "$name" "$version")
  if [ -f "$dir/.built" ]; then
    rig_log "$name $version already in $dir"
    return 0
  fi
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  for pkg in "$@"; do
    rig_phase "go install $pkg@$version" env GOBIN="$dir.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" \
      "$GO" install -tags "$tags" -ldflags "$ldflags" "$pkg@$version"
  done
  date -u +%FT%TZ >"$dir.tmp/.built"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  rig_log "built $name $version into $dir"
}

rig_log "using $("$GO" version)"
# runc's seccomp support links libseccomp through cgo (Debian's libseccomp-dev, see install.sh).
build_part runc "$RIG_RUNC_VERSION" seccomp \
  "-X main.version=${RIG_RUNC_VERSION#v}" \
  github.com/opencontainers/runc
# btrfs headers are not installed; the overlayfs snapshotter is what these machines use.
build_part containerd "$RIG_CONTAINERD_VERSION" no_btrfs \
  "-X github.com/containerd/containerd/v2/version.Version=$RIG_CONTAINERD_VERSION" \
  github.com/containerd/containerd/v2/cmd/containerd \
  github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2
# nri_no_wasm drops NRI's WebAssembly plugin runtime (a large dependency the engine does not need here).
build_part moby "$RIG_MOBY_VERSION" nri_no_wasm \
  "-X github.com/moby/moby/v2/dockerversion.Version=$RIG_DOCKER29_VERSION" \
  github.com/moby/moby/v2/cmd/dockerd \
  github.com/moby/moby/v2/cmd/docker-proxy
