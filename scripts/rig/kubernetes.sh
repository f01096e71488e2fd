#!/usr/bin/env bash
# Builds a one-node Kubernetes control plane and node from the Go module proxy:
#   kubernetes.sh VERSION [--e2e]    (e.g. v1.36.3)
# into /var/cache/wincri-rig/kubernetes/VERSION/bin: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kubectl. Skips when every binary is there and reports VERSION.
# --e2e also builds the upstream conformance suite, e2e.test (`go test -c k8s.io/kubernetes/test/e2e`),
# agnhost (static, the test image most conformance tests run) and the ginkgo runner that runs the
# suite in parallel, at the version Kubernetes requires, beside them, skipped when present: only
# scripts/conformance.sh asks for them, the rig and CI do not.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod points each k8s.io/* staging
# module at ./staging with a `v0.0.0` requirement. A wrapper module that requires k8s.io/kubernetes
# and replaces each of those with the published v0.<minor>.<patch> makes `go build` work. etcd is
# built in the same wrapper at the version Kubernetes' own go.mod names, so its dependencies are the
# ones the apiserver's client is built with and one `go build` shares the work of all six.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
VERSION=${1:?usage: kubernetes.sh VERSION [--e2e] (e.g. v1.36.3)}
E2E=
case ${2:-} in
  '') ;;
  --e2e) E2E=1 ;;
  *) rig_die "unknown option ${2}: usage: kubernetes.sh VERSION [--e2e]" ;;
esac
[[ "$VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || rig_die "VERSION must look like v1.36.3, got $VERSION"
MINOR=${BASH_REMATCH[1]}
STAGING_VERSION=v0.$MINOR.${BASH_REMATCH[2]}
OUT=$(rig_kube_bin "$VERSION")
COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

have_version() {
  local c
  for c in "${COMMANDS[@]}" etcd; do [ -x "$OUT/$c" ] || return 1; done
  [ "$("$OUT/kubelet" --version 2>/dev/null)" = "Kubernetes $VERSION" ]
}

have_e2e() {
  [ -x "$OUT/agnhost" ] && [ -x "$OUT/ginkgo" ] && [ "$("$OUT/e2e.test" --version 2>/dev/null)" = "$VERSION" ]
}

if have_version && { [ -z "$E2E" ] || have_e2e; }; then
  rig_log "Kubernetes $VERSION${E2E:+ and its e2e.test} already in $OUT"
  exit 0
fi

rig_log "using $("$GO" version)"
gomod=$("$GO" mod download -json "k8s.io/kubernetes@$VERSION" | jq -r .GoMod)
[ -f "$gomod" ] || rig_die "go mod download k8s.io/kubernetes@$VERSION failed"
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$gomod")
[ -n "$etcd_version" ] || rig_die "k8s.io/kubernetes@$VERSION names no go.etcd.io/etcd/server/v3"

build=$RIG_CACHE/src/kubernetes-$VERSION
rm -rf "$build"
mkdir -p "$build" "$OUT"
{
  echo "module wincri.local/kubernetes-$VERSION"
  echo
  echo "go $(awk '$1 == "go" { print $2; exit }' "$gomod")"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes $VERSION"
  echo "	go.etcd.io/etcd/server/v3 $etcd_version"
  echo ")"
  echo
  echo "replace ("
  # Staging modules are the ones required at v0.0.0 and replaced by a ./staging path.
  awk -v v="$STAGING_VERSION" '$1 ~ /^k8s\.io\// && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' "$gomod"
  echo ")"
} >"$build/go.mod"

# What `kubelet --version` and the apiserver's /version report; without these they say v0.0.0-master.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
etcd_ver=${etcd_version#v}
ldflags+=" -X go.etcd.io/etcd/api/v3/version.Version=$etcd_ver"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=mod"
cd "$build"
if ! have_version; then
  pkgs=(go.etcd.io/etcd/server/v3)
  for c in "${COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  rig_phase "go build Kubernetes $VERSION (etcd $etcd_version)" \
    "$GO" build -trimpath -ldflags "$ldflags" -o "$build/out/" "${pkgs[@]}"
  # go names the binary after the module path's last element before the major version suffix.
  mv "$build/out/server" "$OUT/etcd"
  for c in "${COMMANDS[@]}"; do mv "$build/out/$c" "$OUT/$c"; done
  have_version || rig_die "built binaries do not report version $VERSION"
  rig_log "built Kubernetes $VERSION into $OUT"
fi
if [ -n "$E2E" ] && ! have_e2e; then
  # The same module graph and flags, so the packages the commands share come from the build cache.
  rig_phase "go test -c k8s.io/kubernetes/test/e2e ($VERSION)" \
    "$GO" test -c -vet=off -trimpath -ldflags "$ldflags" -o "$build/out/e2e.test" k8s.io/kubernetes/test/e2e
  rig_phase "go build agnhost and ginkgo ($VERSION)" \
    "$GO" build -trimpath -ldflags "$ldflags" -o "$build/out/" k8s.io/kubernetes/test/images/agnhost \
    github.com/onsi/ginkgo/v2/ginkgo
  mv "$build/out/e2e.test" "$build/out/agnhost" "$build/out/ginkgo" "$OUT/"
  have_e2e || rig_die "built e2e.test does not report version $VERSION"
  rig_log "built e2e.test, agnhost and ginkgo $VERSION into $OUT"
fi
rm -rf "$build"
