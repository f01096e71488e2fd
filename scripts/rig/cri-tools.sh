#!/usr/bin/env bash
# Builds crictl and critest from sigs.k8s.io/cri-tools through the Go module proxy into
# /var/cache/wincri-rig/bin:  cri-tools.sh [vX.Y.Z]  (default: the rig's main version, built as
# crictl and critest; another version as crictl-X.Y.Z and critest-X.Y.Z beside them). Skips when
# both binaries exist and report the pinned version. The caller's GOMODCACHE/GOCACHE are used as
# they are, so a rebuild is mostly cache hits.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
TAG=${1:-$RIG_CRI_TOOLS_VERSION}
VERSION=${TAG#v}
CRICTL=$(rig_cri_tool crictl "$TAG")
CRITEST=$(rig_cri_tool critest "$TAG")

# Output is captured first: `grep -q` closing the pipe early would fail the pipeline (pipefail).
have_version() {
  local a b
  a=$("$CRICTL" --version 2>/dev/null) && b=$("$CRITEST" -version 2>/dev/null) &&
    [ "$a" = "crictl version $VERSION" ] && grep -q "critest version: $VERSION" <<<"$b"
}

if have_version; then
  rig_log "crictl and critest $VERSION already in $RIG_BIN"
  exit 0
fi

# go.mod of cri-tools v1.36.0 says `go 1.26.2` (v1.37.0: 1.26.6); with GOTOOLCHAIN=local an older go refuses.
rig_log "using $("$GO" version)"
src=$("$GO" mod download -json "sigs.k8s.io/cri-tools@$TAG" | jq -r .Dir)
[ -d "$src" ] || rig_die "go mod download sigs.k8s.io/cri-tools@$TAG failed"

# The module zip keeps vendor/modules.txt but not the vendored packages, hence -mod=mod; and the
# module cache is read-only, hence a writable copy to build in.
build=$RIG_CACHE/src/cri-tools-$TAG
rm -rf "$build"
mkdir -p "$(dirname "$build")" "$RIG_BIN"
cp -r "$src" "$build"
chmod -R u+w "$build"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=mod"
ldflags="-X sigs.k8s.io/cri-tools/pkg/version.Version=$VERSION"
cd "$build"
# cmd/critest holds only a _test.go file: upstream's Makefile builds it with `go test -c`.
rig_phase "go build crictl" "$GO" build -trimpath -ldflags "$ldflags" -o "$CRICTL.tmp" ./cmd/crictl
rig_phase "go test -c critest" "$GO" test -c -trimpath -ldflags "$ldflags" -o "$CRITEST.tmp" ./cmd/critest
mv "$CRICTL.tmp" "$CRICTL"
mv "$CRITEST.tmp" "$CRITEST"
rm -rf "$build"
have_version || rig_die "built binaries do not report version $VERSION"
rig_log "built crictl and critest $VERSION into $RIG_BIN"
