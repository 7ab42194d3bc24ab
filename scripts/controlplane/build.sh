#!/usr/bin/env bash
# Builds the pinned kube-apiserver and etcd from the Go module proxy (no release downloads, no Docker)
# into $WORKLOAD_RBAC_BIN (default ~/.cache/workload-rbac/bin). Each lives in its own Go module under
# tools/controlplane/, so the main module never pulls k8s.io/kubernetes. Idempotent: a binary whose
# version stamp matches is kept. A cold kube-apiserver build took 16 minutes on 2 shared cores (measured; see README).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../versions.env
source "$root/scripts/versions.env"
bin=${WORKLOAD_RBAC_BIN:-$HOME/.cache/workload-rbac/bin}
mkdir -p "$bin"

# Bump when the build recipe changes, so cached binaries are rebuilt.
recipe=2

build() { # name version module-dir package [ldflags]
  local name=$1 version=$2 dir=$3 pkg=$4 ldflags=${5:-} stamp="$bin/.$1.version"
  if ! grep -q "$version" "$root/$dir/go.mod"; then
    echo "build.sh: $dir/go.mod does not pin $name $version (scripts/versions.env): update one of them" >&2
    exit 1
  fi
  if [[ -x "$bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$version/$recipe" ]]; then
    echo "build.sh: $name $version already built: $bin/$name" >&2
    return
  fi
  echo "build.sh: building $name $version from $dir (first time: minutes)" >&2
  local start=$SECONDS
  (cd "$root/$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$version/$recipe" >"$stamp"
  echo "build.sh: built $name in $((SECONDS - start))s" >&2
}

build etcd "$ETCD_VERSION" tools/controlplane/etcd go.etcd.io/etcd/server/v3
# The version the server reports (/version) is stamped at link time, as Kubernetes' own build does.
minor=${KUBERNETES_VERSION#v1.}
minor=${minor%%.*}
build kube-apiserver "$KUBERNETES_VERSION" tools/controlplane/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
echo "$bin"
