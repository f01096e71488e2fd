#!/usr/bin/env bash
# Builds every image critest v1.36.0 and wincri's tests pull, with nothing fetched from the
# internet: the base is Debian's busybox-static imported as a rootfs, the missing programs are the
# static C sources in test/images/. Images are pushed to the open registry under their upstream
# path (registry.k8s.io/e2e-test-images/busybox:1.29-2 -> 127.0.0.1:5000/e2e-test-images/busybox:1.29-2),
# checked, then removed from the engine so tests start from an engine without them.
# Skips everything when the inputs are unchanged and the registries still hold every tag.
#   images.sh [--force]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rig_require_root

SRC=$RIG_REPO/test/images
BUSYBOX_DYN=$RIG_CACHE/busybox-dynamic
WORK=$RIG_CACHE/images-work
CTX=$WORK/ctx
BIN=$WORK/bin
STAMP_FILE=$RIG_CACHE/images.stamp
BASE=wincri-rig-base:build
# Credentials for the auth registry stay in the rig, never in ~/.docker.
export DOCKER_CONFIG=$RIG_STATE/docker-client
export DOCKER_BUILDKIT=0

R=$RIG_REGISTRY
K=$R/k8s-staging-cri-tools
# One entry per image: "CONTEXT REF [MORE REFS...]"; all refs of an entry name the same image id.
IMAGES=(
  "busybox $R/e2e-test-images/busybox:1.29-2"
  "nginx $R/e2e-test-images/nginx:1.14-2"
  "httpd $R/e2e-test-images/httpd:2.4.39-4"
  "nonewprivs $R/e2e-test-images/nonewprivs:1.3"
  # registry.k8s.io/pause:3.9 and k8s.gcr.io/pause:3.9 both map to this path. 3.10 (wincri's
  # sandbox image) is a different image: critest expects exactly two tags on the 3.9 image.
  "pause-3.9 $R/pause:3.9"
  "pause-3.10 $R/pause:3.10"
  "test-image-latest $K/test-image-latest:latest"
  "test-image-tag-test $K/test-image-tag:test"
  "test-image-tag-all $K/test-image-tag:all"
  "test-image-1 $K/test-image-1:latest"
  "test-image-2 $K/test-image-2:latest"
  "test-image-3 $K/test-image-3:latest"
  "test-image-tags $K/test-image-tags:1 $K/test-image-tags:2 $K/test-image-tags:3"
  "user-uid $K/test-image-user-uid:latest"
  "user-username $K/test-image-user-username:latest"
  "user-uid-group $K/test-image-user-uid-group:latest"
  "user-username-group $K/test-image-user-username-group:latest"
  "predefined-group $K/test-image-predefined-group:latest"
  "hostnet-nginx $K/hostnet-nginx-amd64:latest"
  "wincri-busybox $R/wincri-test/busybox:latest"
  "wincri-private $RIG_AUTH_REGISTRY/wincri-test/private:1"
)

all_refs() {
  local entry
  for entry in "${IMAGES[@]}"; do
    # shellcheck disable=SC2086 # entries are space-separated on purpose
    set -- $entry
    shift
    printf '%s\n' "$@"
  done
}

inputs_hash() {
  {
    cat "$RIG_DIR/images.sh" "$RIG_DIR/lib.sh" "$SRC"/*.c
    dpkg-query -W -f='${Version}\n' busybox-static libc6 gcc
    cat "$BUSYBOX_DYN/.version"
  } | sha256sum | cut -d' ' -f1
}

all_in_registry() {
  local ref
  for ref in $(all_refs); do
    rig_in_registry "$ref" || return 1
  done
}

compile() {
  mkdir -p "$BIN"
  local c
  for c in "$SRC"/*.c; do
    gcc -static -Os -s -Wall -Wextra -Werror -o "$BIN/$(basename "$c" .c)" "$c"
  done
  # Two pause builds that differ only in the version they report, hence two image ids.
  gcc -static -Os -s -DPAUSE_VERSION='"3.9"' -o "$BIN/pause-3.9" "$SRC/pause.c"
  gcc -static -Os -s -DPAUSE_VERSION='"3.10"' -o "$BIN/pause-3.10" "$SRC/pause.c"
}

# The base: busybox as in rig_busybox_root, except /bin/sh, which is Debian's *dynamic* busybox:
# the static build runs applets inside the shell and would never execute a masked /bin/ls.
make_base() {
  local root=$WORK/rootfs
  rig_busybox_root "$root"
  mkdir -p "$root/var/www"
  rm "$root/bin/sh"
  cp "$BUSYBOX_DYN/bin/busybox" "$root/bin/sh"
  rig_copy_libs "$root" "$BUSYBOX_DYN/bin/busybox"
  cp "$BIN/pgrep" "$BIN/ipcs" "$root/bin/"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
users:x:100:
nogroup:x:65534:
EOF
  rig_import "$root" "$BASE" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["sh"]'
}

# context NAME [FILE...]: a fresh build context with the Dockerfile from stdin and FILEs from $BIN.
context() {
  local name=$1 f
  shift
  rm -rf "${CTX:?}/$name"
  mkdir -p "$CTX/$name"
  cat >"$CTX/$name/Dockerfile"
  for f in "$@"; do cp "$BIN/$f" "$CTX/$name/"; done
}

make_contexts() {
  local t spec user
  context busybox <<EOF
FROM $BASE
EOF
  context nginx webserver <<EOF
FROM $BASE
COPY webserver /usr/sbin/nginx
EXPOSE 80
CMD ["nginx", "-n", "nginx", "-P", "/var/run/nginx.pid", "-t", "nginx: master process nginx -g daemon off;"]
EOF
  context hostnet-nginx webserver <<EOF
FROM $BASE
COPY webserver /usr/sbin/nginx
EXPOSE 12003
CMD ["nginx", "-p", "12003", "-n", "nginx", "-P", "/var/run/nginx.pid", "-t", "nginx: master process nginx -g daemon off;"]
EOF
  context httpd webserver <<EOF
FROM $BASE
COPY webserver /usr/local/apache2/bin/httpd
EXPOSE 80
CMD ["/usr/local/apache2/bin/httpd", "-n", "httpd"]
EOF
  context nonewprivs nonewprivs <<EOF
FROM $BASE
COPY nonewprivs /usr/local/bin/nnp
RUN ["/bin/chmod", "4755", "/usr/local/bin/nnp"]
CMD ["/usr/local/bin/nnp"]
EOF
  for t in 3.9 3.10; do
    context "pause-$t" "pause-$t" <<EOF
FROM scratch
COPY pause-$t /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
EOF
  done
  # Like cri-tools' images/image-test: busybox plus a marker file, so each is a distinct image.
  for t in test-image-latest test-image-tag-test test-image-tag-all test-image-1 test-image-2 \
    test-image-3 test-image-tags wincri-busybox wincri-private; do
    context "$t" <<EOF
FROM $BASE
COPY $t /$t
EOF
    echo "$t" >"$CTX/$t/$t"
  done
  for spec in user-uid=1002 user-username=www-data user-uid-group=1003:1004 \
    user-username-group=www-data:1004; do
    t=${spec%%=*}
    user=${spec#*=}
    context "$t" <<EOF
FROM $BASE
USER $user
EOF
  done
  # cri-tools' images/image-predefined-group: default-user (1000) is also in group 50000.
  context predefined-group <<EOF
FROM $BASE
COPY passwd group /etc/
USER 1000
EOF
  cp "$WORK/rootfs/etc/passwd" "$WORK/rootfs/etc/group" "$CTX/predefined-group/"
  echo 'default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh' >>"$CTX/predefined-group/passwd"
  printf 'default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n' >>"$CTX/predefined-group/group"
  find "$CTX" -exec touch -h -d "@$RIG_EPOCH" {} +
}

build_all() {
  local entry name first ref
  for entry in "${IMAGES[@]}"; do
    # shellcheck disable=SC2086
    set -- $entry
    name=$1 first=$2
    shift 2
    rig_docker build -q -t "$first" "$CTX/$name" >/dev/null
    for ref in "$@"; do rig_docker tag "$first" "$ref"; done
  done
}

push_all() {
  echo "$RIG_AUTH_PASS" | rig_docker login -u "$RIG_AUTH_USER" --password-stdin "$RIG_AUTH_REGISTRY" >/dev/null 2>&1
  local ref
  for ref in $(all_refs); do
    rig_docker push -q "$ref" >/dev/null
  done
}

id_of() { rig_docker image inspect -f '{{.Id}}' "$1"; }

# expect WHAT WANT GOT: fail the self-check with a readable message.
expect() {
  if [ "$3" != "$2" ]; then
    rig_log "self-check FAILED: $1: want '$2', got '$3'"
    return 1
  fi
}

# Runs the images the way critest will, before they leave the engine.
self_check() {
  local bb=$R/e2e-test-images/busybox:1.29-2 c ip out
  expect "busybox sh -c 'echo ok'" ok "$(rig_docker run --rm "$bb" sh -c 'echo ok')"
  expect "pgrep sleep" 1 "$(rig_docker run --rm "$bb" sh -c 'sleep 30 & sleep 0.2; pgrep sleep | wc -l')"
  expect "pgrep with no match" 1 "$(rig_docker run --rm "$bb" sh -c 'pgrep nosuch; echo $?')"
  expect "ipcs -m header" 1 "$(rig_docker run --rm "$bb" ipcs -m | grep -c 'Shared Memory Segments')"
  # critest's MaskedPaths spec: /bin/sh must exec /bin/ls, which the mask makes unexecutable.
  out=$(rig_docker run --rm -v /dev/null:/bin/ls:ro "$bb" /bin/sh -c ls 2>&1 || true)
  expect "masked /bin/ls" yes "$(grep -q 'Permission denied' <<<"$out" && echo yes || echo "no ($out)")"
  expect "id -nu as www-data" www-data "$(rig_docker run --rm --user www-data "$bb" id -nu)"
  expect "nonewprivs" "Effective uid: 0" "$(rig_docker run --rm --user 1000 "$R/e2e-test-images/nonewprivs:1.3")"
  expect "nonewprivs with no-new-privileges" "Effective uid: 1000" \
    "$(rig_docker run --rm --user 1000 --security-opt no-new-privileges "$R/e2e-test-images/nonewprivs:1.3")"

  # nginx with a published host port: proves the engine's iptables/docker-proxy path as well.
  local port=12000
  # critest needs 12000 free later; if something (a running critest) holds it, check another port.
  [ -z "$(ss -Hltn "sport = :$port")" ] || port=12099
  c=$(rig_docker run -d -p "$port:80" "$R/e2e-test-images/nginx:1.14-2")
  rig_wait_for 10 "nginx on 127.0.0.1:$port" curl -fsS --max-time 1 "http://127.0.0.1:$port/" || {
    rig_docker rm -f "$c" >/dev/null
    return 1
  }
  # shellcheck disable=SC2016 # expanded by the container's shell
  expect "nginx pid file is the nginx pid" 1 \
    "$(rig_docker exec "$c" sh -c 'pidof nginx | grep -cw "$(cat /var/run/nginx.pid)"')"
  expect "nginx cmdline" 1 "$(rig_docker exec "$c" sh -c 'cat /proc/1/cmdline | grep -c "master process"')"
  rig_docker rm -f "$c" >/dev/null

  c=$(rig_docker run -d "$R/e2e-test-images/httpd:2.4.39-4")
  ip=$(rig_docker inspect -f '{{.NetworkSettings.IPAddress}}' "$c")
  rig_wait_for 10 "httpd on $ip:80" curl -fsS --max-time 1 "http://$ip/" || true
  expect "httpd log" 1 "$(rig_docker logs "$c" 2>&1 | grep -c 'httpd: listening')"
  expect "httpd exec echo" httpd "$(rig_docker exec "$c" echo httpd)"
  rig_docker rm -f "$c" >/dev/null

  c=$(rig_docker run -d "$K/hostnet-nginx-amd64:latest")
  ip=$(rig_docker inspect -f '{{.NetworkSettings.IPAddress}}' "$c")
  rig_wait_for 10 "hostnet-nginx on $ip:12003" curl -fsS --max-time 1 "http://$ip:12003/" || {
    rig_docker rm -f "$c" >/dev/null
    return 1
  }
  rig_docker rm -f "$c" >/dev/null

  # A real pause stops at once on SIGTERM (a shell would take the whole grace period).
  c=$(rig_docker run -d "$R/pause:3.10")
  local t0
  t0=$(rig_now)
  rig_docker stop -t 10 "$c" >/dev/null
  expect "pause exit code" 0 "$(rig_docker inspect -f '{{.State.ExitCode}}' "$c")"
  expect "pause stops fast" yes "$(awk -v s="$(rig_since "$t0")" 'BEGIN { print (s < 3) ? "yes" : "no (" s "s)" }')"
  rig_docker rm -f "$c" >/dev/null

  expect "test-image-1/2/3 distinct ids" 3 \
    "$(for i in 1 2 3; do id_of "$K/test-image-$i:latest"; done | sort -u | wc -l)"
  expect "test-image-tags one id" 1 \
    "$(for i in 1 2 3; do id_of "$K/test-image-tags:$i"; done | sort -u | wc -l)"
  expect "pause 3.9 != 3.10" 2 "$( (id_of "$R/pause:3.9"; id_of "$R/pause:3.10") | sort -u | wc -l)"
  expect "predefined group" "1000 50000" \
    "$(rig_docker run --rm "$K/test-image-predefined-group:latest" id -G)"
  # shellcheck disable=SC2016
  expect "user-username-group" "33:1004" \
    "$(rig_docker run --rm "$K/test-image-user-username-group:latest" sh -c 'echo $(id -u):$(id -g)')"
}

# Pull back through the registries (the auth one with credentials, then without) to prove they serve.
registry_check() {
  rig_docker pull -q "$R/e2e-test-images/busybox:1.29-2" >/dev/null
  rig_docker pull -q "$RIG_AUTH_REGISTRY/wincri-test/private:1" >/dev/null
  remove_local
  rig_docker logout "$RIG_AUTH_REGISTRY" >/dev/null
  if rig_docker pull -q "$RIG_AUTH_REGISTRY/wincri-test/private:1" >/dev/null 2>&1; then
    rig_log "registry check FAILED: $RIG_AUTH_REGISTRY served a pull without credentials"
    return 1
  fi
}

remove_local() {
  local refs
  refs=$(all_refs)
  # shellcheck disable=SC2086
  rig_docker rmi -f $refs "$BASE" >/dev/null 2>&1 || true
  rig_docker image prune -f >/dev/null
}

main() {
  local force=${1:-} want
  [ -f "$BUSYBOX_DYN/.version" ] || rig_die "dynamic busybox missing: run scripts/rig/install.sh"
  want=$(inputs_hash)
  if [ "$force" != --force ] && [ "$(cat "$STAMP_FILE" 2>/dev/null)" = "$want" ] && all_in_registry; then
    rig_log "images up to date ($(all_refs | wc -l) tags in the registries; stamp ${want:0:12})"
    return 0
  fi
  rm -f "$STAMP_FILE"
  rm -rf "$WORK"
  mkdir -p "$WORK" "$DOCKER_CONFIG"
  rig_phase "compile test/images/*.c" compile
  rig_phase "base rootfs import" make_base
  rig_phase "build contexts" make_contexts
  rig_phase "docker build (${#IMAGES[@]} images)" build_all
  rig_phase "self-check" self_check
  rig_phase "push" push_all
  rig_phase "remove local copies" remove_local
  rig_phase "registry pull check" registry_check
  all_in_registry || rig_die "a pushed tag is missing from the registry"
  echo "$want" >"$STAMP_FILE"
  rig_log "images built and pushed: $(all_refs | wc -l) tags"
}

main "$@"
