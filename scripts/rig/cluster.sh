#!/usr/bin/env bash
# A one-node Kubernetes cluster whose node runs on wincri: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and a kubelet, all on this machine, certificates made here.
#
#   cluster.sh up                  build (cached) and start everything; prints how to use kubectl
#   cluster.sh down                stop everything, remove the node's containers; keeps the binaries
#   cluster.sh status              what runs
#   cluster.sh restart PART        PART = kubelet | wincri | apiserver: stop it and start it again
#
# Settings (environment; `up` records them, so `restart` needs only what changes):
#   WINCRI_CLUSTER_VERSION         Kubernetes release (default v1.37.2; built by kubernetes.sh)
#   WINCRI_CLUSTER_ENGINE          `own`: a private dockerd under the cluster's directory (default);
#                                  `rig`: the rig's dockerd (hold /tmp/wincri-e2e.lock around it);
#                                  `containerd`: no wincri, the kubelet on containerd 2.4's own CRI
#                                  (containerd-cri.sh, instance `cluster`): the reference runtime
#                                  the same tests are checked against
#   WINCRI_CLUSTER_FEATURE_GATES   feature gates for the apiserver and kubelet, e.g. EventedPLEG=true
#   WINCRI_CLUSTER_KUBELET_EXTRA   a file of KubeletConfiguration YAML lines appended to the config
#
# Loopback everywhere except the node's address: the kubelet refuses a loopback node IP (its
# addresses stay empty and the apiserver cannot reach it), so the node gets a bridge of its own.
# The kubelet has its own cgroupRoot, root dir and pod log dir: a kubelet kills pods it finds
# under its cgroup root that it does not know, so it must never share one with another kubelet.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CL_DIR=${WINCRI_CLUSTER_DIR:-/var/lib/wincri-cluster}
CL_RUN=${WINCRI_CLUSTER_RUN:-/run/wincri-cluster}
CL_LOGS=$CL_DIR/logs
CL_PKI=$CL_DIR/pki
CL_SETTINGS=$CL_RUN/settings.env
CL_JSON=$CL_RUN/cluster.json

NODE_NAME=wincri-node
NODE_BRIDGE=wincrik0
NODE_IP=172.31.238.1
ENGINE_BRIDGE=wincrik1=172.31.239.1/24
ETCD_PORT=12379
APISERVER_PORT=16443
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
CM_PORT=20257
SCHEDULER_PORT=20259
CGROUP_ROOT=/wincri-cluster
WINCRI_SOCK=$CL_RUN/wincri.sock
SERVICE_CIDR=10.96.0.0/24
CONTAINERD_INSTANCE=cluster

load_settings() {
  local version=${WINCRI_CLUSTER_VERSION:-} engine=${WINCRI_CLUSTER_ENGINE:-}
  local gates=${WINCRI_CLUSTER_FEATURE_GATES-unset} extra=${WINCRI_CLUSTER_KUBELET_EXTRA-unset}
  # shellcheck disable=SC1090 # written by save_settings
  [ -f "$CL_SETTINGS" ] && . "$CL_SETTINGS"
  VERSION=${version:-${VERSION:-${RIG_KUBE_VERSIONS[0]}}}
  ENGINE=${engine:-${ENGINE:-own}}
  [ "$gates" = unset ] || FEATURE_GATES=$gates
  [ "$extra" = unset ] || KUBELET_EXTRA=$extra
  FEATURE_GATES=${FEATURE_GATES:-}
  KUBELET_EXTRA=${KUBELET_EXTRA:-}
  BIN=$(rig_kube_bin "$VERSION")
  RUNTIME_ENDPOINT=unix://$WINCRI_SOCK
  case $ENGINE in
    rig) DOCKER_HOST_URL=$RIG_DOCKER_HOST ;;
    own) DOCKER_HOST_URL=unix://$CL_DIR/engine/run/docker.sock ;;
    containerd)
      DOCKER_HOST_URL=
      RUNTIME_ENDPOINT=unix://$RIG_RUN/ref-containerd24-$CONTAINERD_INSTANCE/containerd.sock
      ;;
    *) rig_die "WINCRI_CLUSTER_ENGINE must be rig, own or containerd, not $ENGINE" ;;
  esac
}

save_settings() {
  mkdir -p "$CL_RUN"
  printf 'VERSION=%q\nENGINE=%q\nFEATURE_GATES=%q\nKUBELET_EXTRA=%q\n' \
    "$VERSION" "$ENGINE" "$FEATURE_GATES" "$KUBELET_EXTRA" >"$CL_SETTINGS"
}

# ---- certificates ----------------------------------------------------------------------------

# cert NAME CN O USAGE [SAN]: a key and a certificate signed by the cluster CA (kept if present).
cert() {
  local name=$1 cn=$2 o=$3 usage=$4 san=${5:-} ext
  [ -s "$CL_PKI/$name.crt" ] && return 0
  ext=$CL_PKI/$name.ext
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$ext"
  openssl genrsa -out "$CL_PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$CL_PKI/$name.key" -subj "/CN=$cn${o:+/O=$o}" -out "$CL_PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$CL_PKI/$name.csr" -CA "$CL_PKI/ca.crt" -CAkey "$CL_PKI/ca.key" \
    -CAcreateserial -days 3650 -extfile "$ext" -out "$CL_PKI/$name.crt" 2>/dev/null
  rm -f "$CL_PKI/$name.csr" "$ext"
}

# kubeconfig NAME: a kubeconfig for the client certificate NAME.
kubeconfig() {
  local name=$1
  cat >"$CL_PKI/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wincri
  cluster:
    certificate-authority: $CL_PKI/ca.crt
    server: https://127.0.0.1:$APISERVER_PORT
users:
- name: $name
  user:
    client-certificate: $CL_PKI/$name.crt
    client-key: $CL_PKI/$name.key
contexts:
- name: wincri
  context: {cluster: wincri, user: $name}
current-context: wincri
EOF
}

make_pki() {
  mkdir -p "$CL_PKI"
  if [ ! -s "$CL_PKI/ca.crt" ]; then
    openssl genrsa -out "$CL_PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$CL_PKI/ca.key" -subj /CN=wincri-cluster-ca -days 3650 -out "$CL_PKI/ca.crt"
  fi
  [ -s "$CL_PKI/sa.key" ] || openssl genrsa -out "$CL_PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$CL_PKI/sa.key" -pubout -out "$CL_PKI/sa.pub" 2>/dev/null
  cert apiserver kube-apiserver "" serverAuth \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
  cert kubelet-serving "system:node:$NODE_NAME" system:nodes serverAuth "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME"
  cert kubelet "system:node:$NODE_NAME" system:nodes clientAuth
  cert admin wincri-admin system:masters clientAuth
  cert controller-manager system:kube-controller-manager "" clientAuth
  cert scheduler system:kube-scheduler "" clientAuth
  local k
  for k in admin kubelet controller-manager scheduler; do kubeconfig "$k"; done
}

# ---- processes -------------------------------------------------------------------------------

# launch NAME CMD...: start CMD in its own session (a test's process group dying leaves it be),
# output to logs/NAME.log, pid in run/NAME.pid.
launch() {
  local name=$1
  shift
  rig_pid_alive "$CL_RUN/$name.pid" && return 0
  setsid "$@" >>"$CL_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$CL_RUN/$name.pid"
}

https_ok() { curl -fsS --max-time 2 --cacert "$CL_PKI/ca.crt" "$1" >/dev/null 2>&1; }

# wait_for SECONDS WHAT PART CMD...: poll CMD until it succeeds; give up early when PART died.
wait_for() {
  local secs=$1 what=$2 part=$3 i
  shift 3
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    rig_pid_alive "$CL_RUN/$part.pid" || break
    sleep 0.2
  done
  tail -n 30 "$CL_LOGS/$part.log" >&2
  rig_die "$what not ready (log: $CL_LOGS/$part.log)"
}

containerd_cri() { WINCRI_CONTAINERD_INSTANCE=$CONTAINERD_INSTANCE "$RIG_DIR/containerd-cri.sh" "$@"; }

start_engine() {
  case $ENGINE in
    own) RIG_ENGINE_DIR=$CL_DIR/engine RIG_ENGINE_BRIDGE=$ENGINE_BRIDGE "$RIG_DIR/dockerd.sh" start ;;
    containerd) containerd_cri start >/dev/null ;;
  esac
}

stop_engine() {
  case $ENGINE in
    own) RIG_ENGINE_DIR=$CL_DIR/engine RIG_ENGINE_BRIDGE=$ENGINE_BRIDGE "$RIG_DIR/dockerd.sh" stop ;;
    containerd) containerd_cri stop ;;
  esac
}

start_etcd() {
  launch etcd "$BIN/etcd" --name wincri --data-dir "$CL_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "wincri=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --unsafe-no-fsync --log-level warn
  wait_for 30 etcd etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  launch apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none \
    --client-ca-file "$CL_PKI/ca.crt" \
    --tls-cert-file "$CL_PKI/apiserver.crt" --tls-private-key-file "$CL_PKI/apiserver.key" \
    --kubelet-client-certificate "$CL_PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$CL_PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$CL_PKI/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$CL_PKI/sa.pub" --service-account-signing-key-file "$CL_PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false \
    ${FEATURE_GATES:+--feature-gates "$FEATURE_GATES"}
  wait_for 90 kube-apiserver apiserver https_ok "https://127.0.0.1:$APISERVER_PORT/readyz"
}

start_controllers() {
  launch controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$CL_PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$CL_PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$CL_PKI/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$CM_PORT" --leader-elect=false \
    --service-account-private-key-file "$CL_PKI/sa.key" --root-ca-file "$CL_PKI/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR"
  launch scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$CL_PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig "$CL_PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig "$CL_PKI/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false
}

start_wincri() {
  local args=() m
  [ "$ENGINE" != containerd ] || return 0
  [ -f "$RIG_REPO/dist/src/main.js" ] || rig_die "wincri is not built: npm run build"
  for m in ${WINCRI_RIG_MIRRORS//,/ }; do args+=(--registry-mirror "$m"); done
  launch wincri node "$RIG_REPO/dist/src/main.js" serve --listen "unix://$WINCRI_SOCK" \
    --docker-host "$DOCKER_HOST_URL" --root-dir "$CL_DIR/wincri" "${args[@]}"
  wait_for 60 wincri wincri "$CRICTL" --runtime-endpoint "unix://$WINCRI_SOCK" --timeout 2s version
}

ensure_node_bridge() {
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
  [[ "$(ip -4 addr show dev "$NODE_BRIDGE")" == *"inet $NODE_IP/"* ]] || ip addr add "$NODE_IP/24" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
}

# On cgroup v1 each controller has its own hierarchy; the kubelet expects its root in all of them.
ensure_cgroup_root() {
  local c
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p "/sys/fs/cgroup$CGROUP_ROOT"
    return 0
  fi
  for c in /sys/fs/cgroup/*/; do
    [ -L "${c%/}" ] && continue
    [ "$(basename "$c")" = unified ] && continue
    mkdir -p "$c${CGROUP_ROOT#/}"
  done
}

write_kubelet_config() {
  local gates=() g
  IFS=, read -ra gates <<<"$FEATURE_GATES"
  {
    cat <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $CL_PKI/kubelet-serving.crt
tlsPrivateKeyFile: $CL_PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CL_PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: $RUNTIME_ENDPOINT
imageServiceEndpoint: $RUNTIME_ENDPOINT
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
podLogsDir: $CL_DIR/pod-logs
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
containerLogMaxSize: 20Ki
containerLogMaxFiles: 3
containerLogMonitorInterval: 3s
EOF
    # Eviction would start on a busy shared disk at the defaults; an extra file may set its own.
    if [ -z "$KUBELET_EXTRA" ] || ! grep -q '^evictionHard:' "$KUBELET_EXTRA"; then
      echo 'evictionHard: {memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}'
    fi
    if [ ${#gates[@]} -gt 0 ]; then
      echo "featureGates:"
      for g in "${gates[@]}"; do echo "  ${g%%=*}: ${g#*=}"; done
    fi
    [ -z "$KUBELET_EXTRA" ] || cat "$KUBELET_EXTRA"
  } >"$CL_DIR/kubelet-config.yaml"
}

start_kubelet() {
  ensure_node_bridge
  ensure_cgroup_root
  write_kubelet_config
  mkdir -p "$CL_DIR/kubelet" "$CL_DIR/pod-logs"
  launch kubelet "$BIN/kubelet" --config "$CL_DIR/kubelet-config.yaml" \
    --kubeconfig "$CL_PKI/kubelet.kubeconfig" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME" \
    --root-dir "$CL_DIR/kubelet" --cert-dir "$CL_DIR/kubelet/pki" --v 2
  wait_for 60 kubelet kubelet curl -fsS "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
}

kubectl_() { "$BIN/kubectl" --kubeconfig "$CL_PKI/admin.kubeconfig" "$@"; }

node_ready() {
  [ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# The ServiceAccount admission refuses pods until the controller-manager made the namespace's
# default ServiceAccount.
default_sa() { kubectl_ -n default get serviceaccount default; }

write_json() {
  jq -n --arg version "$VERSION" --arg engine "$ENGINE" --arg dockerHost "$DOCKER_HOST_URL" \
    --arg kubectl "$BIN/kubectl" --arg kubeconfig "$CL_PKI/admin.kubeconfig" \
    --arg node "$NODE_NAME" --arg nodeIP "$NODE_IP" --arg runtimeEndpoint "$RUNTIME_ENDPOINT" \
    --arg logs "$CL_LOGS" --arg podLogsDir "$CL_DIR/pod-logs" --arg cgroupRoot "$CGROUP_ROOT" \
    --arg script "$RIG_DIR/cluster.sh" --arg featureGates "$FEATURE_GATES" --arg crictl "$CRICTL" \
    --argjson kubeletPort "$KUBELET_PORT" \
    '{$version, $engine, $dockerHost, $kubectl, $kubeconfig, $node, $nodeIP, $kubeletPort, $runtimeEndpoint,
      $logs, $podLogsDir, $cgroupRoot, $script, $featureGates, $crictl}' >"$CL_JSON"
}

up() {
  rig_require_root
  load_settings
  mkdir -p "$CL_DIR" "$CL_RUN" "$CL_LOGS"
  [ -s "$RIG_RUN/rig.json" ] || rig_die "the rig is not up (scripts/rig/up.sh): its registries serve the images"
  rig_phase "build Kubernetes $VERSION" "$RIG_DIR/kubernetes.sh" "$VERSION"
  # A cluster of another release: start from an empty etcd (no mixed-version state).
  if [ -f "$CL_DIR/etcd.version" ] && [ "$(cat "$CL_DIR/etcd.version")" != "$VERSION" ]; then
    rm -rf "$CL_DIR/etcd"
  fi
  echo "$VERSION" >"$CL_DIR/etcd.version"
  save_settings
  make_pki
  rig_phase engine start_engine
  rig_phase etcd start_etcd
  rig_phase apiserver start_apiserver
  rig_phase controllers start_controllers
  rig_phase wincri start_wincri
  rig_phase kubelet start_kubelet
  wait_for 90 "node $NODE_NAME Ready" kubelet node_ready
  wait_for 60 "default ServiceAccount" controller-manager default_sa
  write_json
  rig_log "cluster $VERSION up: export KUBECONFIG=$CL_PKI/admin.kubeconfig; $BIN/kubectl get nodes"
}

# Pods go first, through the kubelet (their volumes unmount); whatever remains in the engine under
# the kubelet's names is removed next so a later `up` starts clean.
down() {
  rig_require_root
  load_settings
  if rig_pid_alive "$CL_RUN/apiserver.pid" && rig_pid_alive "$CL_RUN/kubelet.pid"; then
    kubectl_ delete pods,deployments,replicasets --all --all-namespaces --wait=true --timeout=60s >/dev/null 2>&1 || true
  fi
  local p
  for p in scheduler controller-manager kubelet apiserver etcd; do rig_stop_pid "$CL_RUN/$p.pid" "$p"; done
  # Only the kubelet's pods (the engine may be the rig's, shared with other tests).
  "$CRICTL" --runtime-endpoint "$RUNTIME_ENDPOINT" --timeout 5s pods -o json 2>/dev/null |
    jq -r '.items[] | select(.labels["io.kubernetes.pod.uid"] != null) | .id' |
    xargs -r "$CRICTL" --runtime-endpoint "$RUNTIME_ENDPOINT" rmp -f >/dev/null 2>&1 || true
  rig_stop_pid "$CL_RUN/wincri.pid" wincri
  stop_engine
  # The kubelet's tmpfs volumes (service account tokens) stay mounted after it stops.
  { grep -o " $CL_DIR/kubelet/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" || true; done
  rm -f "$CL_JSON" "$CL_SETTINGS"
  if ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then ip link del "$NODE_BRIDGE"; fi
}

status() {
  load_settings
  local p
  echo "Kubernetes $VERSION, engine $ENGINE (${DOCKER_HOST_URL:-$RUNTIME_ENDPOINT})"
  for p in etcd apiserver controller-manager scheduler wincri kubelet; do
    if rig_pid_alive "$CL_RUN/$p.pid"; then echo "$p: running (pid $(cat "$CL_RUN/$p.pid"))"; else echo "$p: not running"; fi
  done
}

restart() {
  rig_require_root
  load_settings
  save_settings
  case ${1:-} in
    kubelet)
      rig_stop_pid "$CL_RUN/kubelet.pid" kubelet
      start_kubelet
      ;;
    wincri)
      [ "$ENGINE" != containerd ] || rig_die "the node runs containerd's CRI: there is no wincri to restart"
      rig_stop_pid "$CL_RUN/wincri.pid" wincri
      start_wincri
      ;;
    apiserver)
      rig_stop_pid "$CL_RUN/apiserver.pid" apiserver
      start_apiserver
      ;;
    *) rig_die "usage: cluster.sh restart kubelet|wincri|apiserver" ;;
  esac
  write_json
}

case "${1:-}" in
  up | down | status) "$1" ;;
  restart) restart "${2:-}" ;;
  *)
    echo "usage: $0 up|down|status|restart kubelet|wincri|apiserver" >&2
    exit 2
    ;;
esac
