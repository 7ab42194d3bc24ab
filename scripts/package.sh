#!/usr/bin/env bash
# `make package`: packages the library and each chart given with `helm package --dependency-update`
# into DIST. It packages a staged copy of the checkout (same relative layout, so file:// paths hold,
# without any charts/*/charts or Chart.lock), so the checkout itself is never written: a chart's
# package always holds the library as it is in templates-lib now, never a stale vendored copy.
# Usage: scripts/package.sh DIST CHART_DIR...
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:?usage: scripts/package.sh DIST CHART_DIR...}
shift
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for dir in "$@"; do
  mkdir -p "$stage/$(dirname "$dir")"
  cp -R "$dir" "$stage/$dir"
  rm -rf "$stage/$dir/charts" "$stage/$dir/Chart.lock"
done
for dir in "$@"; do
  helm package --dependency-update --destination "$dist" "$stage/$dir"
done
