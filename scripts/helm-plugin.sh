#!/bin/sh
# The command of the helm plugin (plugin.yaml): runs bin/rbac-matrix with helm's arguments, building it
# from the checkout first when it is missing or older than a Go source (a git pull in a checkout that
# `helm plugin install` linked). `--build-only` (the install and update hooks) only builds. The build
# runs in the checkout's real path (cd -P), so Go's build cache serves it whatever the link is called.
set -eu
dir=${HELM_PLUGIN_DIR:?run me as a helm plugin: helm rbac-matrix ...}
bin=$dir/bin/rbac-matrix
stale() {
  [ ! -x "$bin" ] && return 0
  [ -n "$(find "$dir/cmd" "$dir/pkg" "$dir/go.mod" "$dir/go.sum" -newer "$bin" \( -name '*.go' -o -name 'go.*' \) -print 2>/dev/null | head -n 1)" ]
}
if [ "${1-}" = --build-only ] || stale; then
  command -v go >/dev/null 2>&1 || { echo "helm rbac-matrix: building $bin needs Go (https://go.dev/dl), which is not on PATH" >&2; exit 3; }
  echo "helm rbac-matrix: building $bin (go build ./cmd/rbac-matrix)" >&2
  (cd -P "$dir" && go build -o bin/rbac-matrix ./cmd/rbac-matrix) || { echo "helm rbac-matrix: go build failed in $dir" >&2; exit 3; }
  touch "$bin"
  [ "${1-}" = --build-only ] && exit 0
fi
exec "$bin" "$@"
