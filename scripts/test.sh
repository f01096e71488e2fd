#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine, as root: installs and starts every part it
# needs (the rig: a private dockerd 20.10, a Docker 29 beside it, registries, images, crictl/critest),
# builds wincri, checks types, lint and the generated code, then runs unit and contract tests, the
# e2e tests on each engine, and the upstream conformance specs that fit one node. The last line is
# "N passed, N failed" over every test that ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/node.sh
mkdir -p .cache

# The cluster pass runs the current Kubernetes release and the one before it (up.sh builds both;
# a release is a ~6.5-minute cold build on 2 cores, docs/kubernetes.md).
export WINCRI_CLUSTER_VERSIONS=${WINCRI_CLUSTER_VERSIONS:-v1.37.2,v1.36.3}

ensure_node
bash scripts/rig/up.sh
npm ci --no-audit --no-fund --loglevel=error
# The streaming tests drive wincri with the real Kubernetes Go client (client-go); its modules come
# from the Go module proxy into the shared module cache, so the test itself builds offline.
(cd test/fixtures/streaming/goclient && GOFLAGS=-mod=mod go mod download)
# The lists bench times wincri with the kubelet's own CRI client (bench/kubelet-client, run by
# hand); vetting it here keeps it compiling against its pinned modules.
(cd bench/kubelet-client && GOFLAGS=-mod=mod go vet .)
# The metrics tests read /metrics with the Prometheus Go client's text parser (a tiny program built
# on first use into .cache/); its modules come from the proxy here.
(cd test/fixtures/metrics/expfmt && GOFLAGS=-mod=mod go mod download)
npm run --silent build
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check
bash scripts/check-generated.sh

# Unit and contract tests may run side by side; e2e files share one engine, registry and host
# ports, so they run one file at a time in a second pass.
status=0
npx vitest run --project unit --project contract --reporter=default --reporter=json \
  --outputFile.json=.cache/vitest-fast.json || status=$?

# e2e ENGINE REPORT [FILE...]: one e2e pass against one of the rig's engines (test/support/rig.ts);
# no FILE means every e2e file.
e2e() {
  local engine=$1 report=$2
  shift 2
  echo "== e2e on $engine: ${*:-every file}"
  WINCRI_E2E_ENGINE=$engine npx vitest run --project e2e --no-file-parallelism --reporter=default \
    --reporter=json --outputFile.json="$report" "$@" || status=$?
}
# Docker 20.10 (API 1.41, Debian's): every e2e file but the cluster's (its own pass, below).
e2e docker20 .cache/vitest-e2e.json --exclude test/e2e/kubernetes.test.ts
# Docker 29 (API 1.56) on its default containerd image store: the files whose outcome depends on
# the engine (CRI through crictl, critest, images, bind mounts, stats, streaming, restarts). Not the
# Dockerfile build (it tests the image, not the engine), nor files
# that exercise wincri alone (the Windows double, engine outages, logs, exec, runtime handlers).
DOCKER29_FILES=(
  test/e2e/lifecycle.test.ts test/e2e/images.test.ts test/e2e/mounts.test.ts test/e2e/stats.test.ts
  test/e2e/streaming.test.ts test/e2e/lifecycle-restart.test.ts test/e2e/critest.test.ts
)
e2e docker29 .cache/vitest-e2e-docker29.json "${DOCKER29_FILES[@]}"
# Docker 29 on the classic overlay2 store: critest, which covers what the store changes.
e2e docker29-overlay2 .cache/vitest-e2e-docker29-overlay2.json test/e2e/critest.test.ts
# critest of the next cri-tools release (v1.37.0, built by up.sh beside v1.36.0) on Docker 29's
# containerd store, the engine where its new image-volume specs run (API 1.48+): the same areas as
# the v1.36.0 pass there, 144 s warm. The passes above keep v1.36.0.
WINCRI_CRITEST_VERSION=1.37.0 e2e docker29 .cache/vitest-e2e-critest-next.json test/e2e/critest.test.ts
# A stock kubelet and control plane over wincri, driven with kubectl, one cluster per Kubernetes
# release in WINCRI_CLUSTER_VERSIONS (scripts/rig/cluster.sh; binaries built by up.sh). Its engine
# is a private dockerd 20.10.
e2e docker20 .cache/vitest-e2e-kubernetes.json test/e2e/kubernetes.test.ts
# The current release's own conformance suite (e2e.test) on that cluster: the sig-node and sig-storage
# [Conformance] specs that fit one node (docs/kubernetes.md, "Conformance"), ~10 minutes warm;
# e2e.test is built beside the cluster's binaries on first use and cached with them.
echo "== conformance: e2e.test's sig-node and sig-storage [Conformance] specs"
WINCRI_CONFORMANCE_REPORT=.cache/conformance bash scripts/conformance.sh || status=$?
node scripts/test-summary.mjs .cache/vitest-fast.json .cache/vitest-e2e.json \
  .cache/vitest-e2e-docker29.json .cache/vitest-e2e-docker29-overlay2.json .cache/vitest-e2e-critest-next.json \
  .cache/vitest-e2e-kubernetes.json .cache/conformance/summary.json
exit "$status"
