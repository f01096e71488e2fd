#!/usr/bin/env bash
# Two Debian docker-registry instances on loopback (dockerd treats 127.0.0.0/8 as insecure, so
# plain HTTP works): an open one on :5000 that mirrors the upstream image paths, and one with
# htpasswd basic auth on :5001 for pull-with-credentials tests. Their storage persists (a cache).
#   registry.sh start|stop|status
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HTPASSWD=$RIG_STATE/registry-auth.htpasswd

# config NAME ADDR [AUTH]: write NAME's config. Debian's packaged config turns htpasswd auth on
# and uses :5000, so each instance gets its own file instead.
config() {
  local name=$1 addr=$2 auth=${3:-}
  mkdir -p "$RIG_STATE/registry-$name"
  {
    cat <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $RIG_STATE/registry-$name
  delete:
    enabled: true
http:
  addr: $addr
EOF
    if [ -n "$auth" ]; then
      cat <<EOF
auth:
  htpasswd:
    realm: wincri-rig
    path: $HTPASSWD
EOF
    fi
  } >"$RIG_STATE/registry-$name.yml"
}

# answers ADDR: the registry API root answers (200 open, 401 when it wants credentials).
answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/v2/" || true)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

start_one() {
  local name=$1 addr=$2 auth=${3:-}
  local pidfile=$RIG_RUN/registry-$name.pid
  if rig_pid_alive "$pidfile" && answers "$addr"; then
    rig_log "registry $name already running on $addr (pid $(cat "$pidfile"))"
    return 0
  fi
  if answers "$addr"; then
    rig_die "something else already serves $addr; stop it or free the port"
  fi
  config "$name" "$addr" "$auth"
  docker-registry serve "$RIG_STATE/registry-$name.yml" >>"$RIG_LOGS/registry-$name.log" 2>&1 &
  echo $! >"$pidfile"
  rig_wait_for 20 "registry $name on $addr" answers "$addr" || {
    tail -n 20 "$RIG_LOGS/registry-$name.log" >&2
    rig_die "registry $name did not start (log: $RIG_LOGS/registry-$name.log)"
  }
  rig_log "registry $name up on $addr (pid $(cat "$pidfile"))"
}

start() {
  rig_require_root
  mkdir -p "$RIG_STATE" "$RIG_RUN" "$RIG_LOGS"
  # bcrypt (-B) is the only hash docker-registry's htpasswd backend accepts.
  if ! htpasswd -vb "$HTPASSWD" "$RIG_AUTH_USER" "$RIG_AUTH_PASS" >/dev/null 2>&1; then
    htpasswd -Bbc "$HTPASSWD" "$RIG_AUTH_USER" "$RIG_AUTH_PASS" 2>/dev/null
  fi
  start_one open "$RIG_REGISTRY"
  start_one auth "$RIG_AUTH_REGISTRY" htpasswd
}

stop() {
  rig_stop_pid "$RIG_RUN/registry-open.pid" "registry open"
  rig_stop_pid "$RIG_RUN/registry-auth.pid" "registry auth"
}

status_one() {
  if rig_pid_alive "$RIG_RUN/registry-$1.pid" && answers "$2"; then
    echo "registry $1: running on $2 (pid $(cat "$RIG_RUN/registry-$1.pid"))"
  else
    echo "registry $1: not running"
    return 1
  fi
}

status() {
  local rc=0
  status_one open "$RIG_REGISTRY" || rc=1
  status_one auth "$RIG_AUTH_REGISTRY" || rc=1
  return $rc
}

rig_dispatch "$@"
