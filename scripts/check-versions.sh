#!/usr/bin/env bash
# `make verify-versions`: the library (templates-lib) and each chart in charts/ that changed since the
# last release (RELEASE_BASE in scripts/release.env; committed, staged or not, or new files) must have a
# higher version in its Chart.yaml than it had there. ct checks the charts too (scripts/ct-lint.sh);
# it does not see the library.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=release.env
source scripts/release.env
if ! git cat-file -e "$RELEASE_BASE^{commit}" 2>/dev/null; then
  echo "check-versions: the last release $RELEASE_BASE (scripts/release.env) is not in this clone: fetch the full history (git fetch --unshallow)" >&2
  exit 1
fi
version() { sed -n 's/^version:[[:space:]]*["'\'']\{0,1\}\([^"'\''[:space:]]*\).*/\1/p' | head -1; }
failed=0
for dir in templates-lib charts/*; do
  [[ -f $dir/Chart.yaml ]] || continue
  if git diff --quiet "$RELEASE_BASE" -- "$dir" && [[ -z $(git ls-files --others --exclude-standard -- "$dir") ]]; then
    continue # unchanged since the release
  fi
  old=$(git show "$RELEASE_BASE:$dir/Chart.yaml" 2>/dev/null | version || true)
  [[ -n $old ]] || continue # a new chart
  new=$(version <"$dir/Chart.yaml")
  if [[ $new == "$old" || $(printf '%s\n%s\n' "$old" "$new" | sort -V | tail -1) != "$new" ]]; then
    echo "$dir changed since the last release (${RELEASE_BASE:0:12}, version $old) but its Chart.yaml has version $new: raise the version (and add a CHANGELOG.md entry)" >&2
    failed=1
  fi
done
exit "$failed"
