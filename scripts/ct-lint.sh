#!/usr/bin/env bash
# `make lint`'s chart-testing step. ct lints every chart (with its ci/*-values.yaml), then checks that
# each chart changed since the last release (scripts/release.env) has a higher version
# (check-version-increment in ct.yaml). ct compares against REMOTE/TARGET_BRANCH, which a clean clone
# (or a clone of main, where origin/main is HEAD itself) does not have as the last release: the local
# ref refs/remotes/last-release/main is pointed at RELEASE_BASE first (ct.yaml: remote last-release,
# target-branch main), so the check works offline on any full clone.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=release.env
source scripts/release.env
if ! git cat-file -e "$RELEASE_BASE^{commit}" 2>/dev/null; then
  echo "ct-lint: the last release $RELEASE_BASE (scripts/release.env) is not in this clone: fetch the full history (git fetch --unshallow)" >&2
  exit 1
fi
git update-ref refs/remotes/last-release/main "$RELEASE_BASE"
ct lint --config ct.yaml --all  # ct turns the version check off with --all itself
ct lint --config ct.yaml
