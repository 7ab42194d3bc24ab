#!/usr/bin/env bash
# Installs the CLI tools the Makefile needs (helm v3, helm4 = Helm v4, ct; golangci-lint with WITH_GOLANGCI_LINT=1) from the Go module proxy into $TOOLS_BIN, so a fresh
# machine with only Go works: no release-binary downloads. Idempotent: a tool at the pinned version is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
TOOLS_BIN=${TOOLS_BIN:-$HOME/.cache/workload-rbac/tools}
mkdir -p "$TOOLS_BIN"

install() { # name version module-path [binary the module builds, when it differs from name]
  local name=$1 version=$2 pkg=$3 built=${4:-$1} stamp="$TOOLS_BIN/.$1.version"
  if [[ -x "$TOOLS_BIN/$name" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
    return
  fi
  echo "install-tools: building $name $version from $pkg" >&2
  # A throw-away module pins the version: `go install pkg@version` asks the proxy for the module's
  # version list (deprecation check), which the proxy refuses for some modules (chart-testing).
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && go mod init tools.local >/dev/null 2>&1 && go get "$pkg@$version" >/dev/null && GOBIN="$tmp/bin" go install "$pkg")
  mv "$tmp/bin/$built" "$TOOLS_BIN/$name"
  rm -rf "$tmp"
  echo "$version" >"$stamp"
}

install helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
# Helm v4's CLI is also called helm; it is installed as helm4 so both majors sit side by side.
install helm4 "$HELM4_VERSION" helm.sh/helm/v4/cmd/helm helm
if [[ "${WITH_CT:-1}" == 1 ]]; then
  install ct "$CT_VERSION" github.com/helm/chart-testing/v3/ct
fi
if [[ "${WITH_GOLANGCI_LINT:-0}" == 1 ]]; then
  # Built with `go install pkg@version` so its own go.mod (and any replace in it) decides its dependencies.
  stamp="$TOOLS_BIN/.golangci-lint.version"
  if [[ ! -x "$TOOLS_BIN/golangci-lint" || "$(cat "$stamp" 2>/dev/null)" != "$GOLANGCI_LINT_VERSION" ]]; then
    echo "install-tools: building golangci-lint $GOLANGCI_LINT_VERSION" >&2
    GOBIN="$TOOLS_BIN" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
    echo "$GOLANGCI_LINT_VERSION" >"$stamp"
  fi
fi
echo "$TOOLS_BIN"
