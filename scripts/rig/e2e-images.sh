#!/usr/bin/env bash
# The images the upstream conformance suite (e2e.test) runs on a one-node cluster, built offline and
# pushed to the open registry under their upstream paths (registry.k8s.io/e2e-test-images/agnhost:2.66.1
# -> 127.0.0.1:5000/e2e-test-images/agnhost:2.66.1), which wincri's registry mirrors resolve:
#   e2e-images.sh VERSION          (after kubernetes.sh VERSION --e2e and images.sh)
# The tags are the ones `e2e.test --list-images` names for that release:
#   busybox  images.sh's busybox:1.29-2 with Debian's bash as /bin/sh (see build_images)
#   agnhost  the suite's Swiss-army server, built from k8s.io/kubernetes/test/images/agnhost (static)
#            on that busybox, laid out as upstream's Dockerfile does (/agnhost, /agnhost-2, porter's
#            certificate, /uploads, user-defined-in-image 1000 in group 50000), with curl
#   nonroot  that busybox with USER 1234, as upstream's
#   nginx, nonewprivs, pause   images.sh's nginx:1.14-2, nonewprivs:1.3 and pause:3.10 under the new tags
# Skips when the registry holds every tag and nothing it was built from changed.
# Uses the rig's engine: hold /tmp/wincri-e2e.lock around it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rig_require_root

VERSION=${1:?usage: e2e-images.sh VERSION (e.g. v1.37.2)}
KBIN=$(rig_kube_bin "$VERSION")
[ -x "$KBIN/e2e.test" ] && [ -x "$KBIN/agnhost" ] || rig_die "no e2e.test/agnhost: kubernetes.sh $VERSION --e2e"
R=$RIG_REGISTRY
STAMP_FILE=$RIG_CACHE/e2e-images-$VERSION.stamp
export DOCKER_BUILDKIT=0
CTX=$RIG_CACHE/e2e-images-work

# upstream_refs REPO: the tags of registry.k8s.io/REPO that this release's suite names.
upstream_refs() {
  "$KBIN/e2e.test" --list-images 2>/dev/null | sed -n "s|^registry\.k8s\.io/$1:\(.*\)|\1|p" | sort -u
}

# One line per tag: SOURCE DESTINATION (a SOURCE without a tag is an image built here).
plan() {
  local t src
  for src in agnhost nonroot busybox nginx:1.14-2 nonewprivs:1.3; do
    for t in $(upstream_refs "e2e-test-images/${src%:*}"); do
      case $src in
        *:*) echo "$R/e2e-test-images/$src $R/e2e-test-images/${src%:*}:$t" ;;
        *) echo "$src $R/e2e-test-images/$src:$t" ;;
      esac
    done
  done
  for t in $(upstream_refs pause); do echo "$R/pause:3.10 $R/pause:$t"; done
}

inputs_hash() {
  {
    cat "$RIG_DIR/e2e-images.sh" "$RIG_DIR/lib.sh" "$KBIN/agnhost"
    dpkg-query -W -f='${Version}\n' bash curl libc6
    plan
  } | sha256sum | cut -d' ' -f1
}

# host_tool ROOT PROGRAM [AS]: a Debian program with its shared libraries under ROOT, at AS.
host_tool() {
  local root=$1 prog=$2 as=${3:-$2}
  rig_copy_libs "$root" "$prog"
  mkdir -p "$root$(dirname "$as")"
  cp "$prog" "$root$as"
}

build_images() {
  local go porter
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  porter=$("$go" env GOMODCACHE)/k8s.io/kubernetes@$VERSION/test/images/agnhost/porter
  rm -rf "$CTX"
  mkdir -p "$CTX/busybox/root" "$CTX/agnhost/root"
  # Debian's busybox ash drops variables whose names are not shell identifiers (`data-1`) before it
  # runs a command; upstream's busybox 1.37 passes them on, and the envFrom specs print them with
  # `sh -c env`. bash passes them on too.
  host_tool "$CTX/busybox/root" /usr/bin/bash /bin/sh
  cat >"$CTX/busybox/Dockerfile" <<EOF
FROM $R/e2e-test-images/busybox:1.29-2
COPY root/ /
EOF
  # The lifecycle-hook specs run `curl` inside agnhost, as upstream's image (alpine) has it.
  host_tool "$CTX/agnhost/root" /usr/bin/curl
  cp "$KBIN/agnhost" "$porter/localhost.crt" "$porter/localhost.key" "$CTX/agnhost/"
  cat >"$CTX/agnhost/Dockerfile" <<EOF
FROM wincri-rig-e2e:busybox
COPY root/ /
COPY agnhost localhost.crt localhost.key /
RUN ln -s agnhost /agnhost-2 && mkdir /uploads \\
 && echo 'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh' >>/etc/passwd \\
 && echo 'user-defined-in-image:x:1000:' >>/etc/group \\
 && echo 'group-defined-in-image:x:50000:user-defined-in-image' >>/etc/group \\
 && mkdir -p /home/user-defined-in-image && chown 1000:1000 /home/user-defined-in-image
WORKDIR /
EXPOSE 80 8080 8081 9376 5000
ENTRYPOINT ["/agnhost"]
CMD ["pause"]
EOF
  find "$CTX" -exec touch -h -d "@$RIG_EPOCH" {} +
  rig_docker build -q -t wincri-rig-e2e:busybox "$CTX/busybox" >/dev/null
  rig_docker build -q -t wincri-rig-e2e:agnhost "$CTX/agnhost" >/dev/null
  printf 'FROM wincri-rig-e2e:busybox\nUSER 1234\n' | rig_docker build -q -t wincri-rig-e2e:nonroot - >/dev/null
}

publish() {
  local src dst
  while read -r src dst; do
    case $src in
      agnhost | nonroot | busybox) src=wincri-rig-e2e:$src ;;
      *) rig_docker pull -q "$src" >/dev/null ;;
    esac
    rig_docker tag "$src" "$dst"
    rig_docker push -q "$dst" >/dev/null
    rig_docker rmi "$dst" >/dev/null
  done < <(plan)
  # shellcheck disable=SC2046 # one word per source
  rig_docker rmi -f wincri-rig-e2e:agnhost wincri-rig-e2e:nonroot wincri-rig-e2e:busybox \
    "$R/e2e-test-images/busybox:1.29-2" $(plan | awk '$1 ~ /:/ { print $1 }' | sort -u) \
    >/dev/null 2>&1 || true
  rig_docker image prune -f >/dev/null
}

all_in_registry() {
  local src dst
  while read -r src dst; do rig_in_registry "$dst" || return 1; done < <(plan)
}

main() {
  local want
  [ -n "$(plan | grep '^agnhost ')" ] || rig_die "e2e.test --list-images names no agnhost"
  want=$(inputs_hash)
  if [ "$(cat "$STAMP_FILE" 2>/dev/null)" = "$want" ] && all_in_registry; then
    rig_log "e2e images up to date ($(plan | wc -l) tags)"
    return 0
  fi
  rm -f "$STAMP_FILE"
  rig_phase "build busybox, agnhost and nonroot" build_images
  rig_phase "tag and push $(plan | wc -l) e2e images" publish
  all_in_registry || rig_die "a pushed tag is missing from the registry"
  rm -rf "$CTX"
  echo "$want" >"$STAMP_FILE"
  rig_log "e2e images pushed: $(plan | awk '{print $2}' | tr '\n' ' ')"
}

main "$@"
