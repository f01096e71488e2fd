#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine, as root: installs and starts every part it
# needs (the rig: a private dockerd, registries, images, crictl/critest), builds wincri, checks
# types, lint and the generated code, then runs unit, contract and e2e tests. The last line is
# "N passed, N failed" over every test that ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/node.sh
mkdir -p .cache

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
npx vitest run --project e2e --no-file-parallelism --reporter=default --reporter=json \
  --outputFile.json=.cache/vitest-e2e.json || status=$?
node scripts/test-summary.mjs .cache/vitest-fast.json .cache/vitest-e2e.json
exit "$status"
