# workload-rbac — `make help` lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

TOOLS_BIN ?= $(HOME)/.cache/workload-rbac/tools
export PATH := $(TOOLS_BIN):$(PATH)
CHARTS := charts/operator charts/registry-server charts/watchlist-operator charts/tenant-operator charts/kube-api-gateway
GO_TEST_FLAGS ?=
DIST ?= dist

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Install the pinned helm (v3), helm4 (Helm v4) and ct into $(TOOLS_BIN) from the Go module proxy.
	@bash scripts/install-tools.sh >/dev/null

.PHONY: deps
deps: tools ## Vendor the library into each chart (helm dependency build), as `helm install` from a checkout needs.
	@for c in $(CHARTS); do helm dependency build $$c >/dev/null; done

.PHONY: check
check: ## Main job: render every chart over its full flag matrix, run every RBAC check, print a summary per combination.
	go run ./cmd/rbac-matrix check --spec tests/matrix/operator.yaml
	go run ./cmd/rbac-matrix check --spec tests/matrix/registry-server.yaml
	go run ./cmd/rbac-matrix check --spec tests/matrix/watchlist-operator.yaml
	go run ./cmd/rbac-matrix check --spec tests/matrix/tenant-operator.yaml
	go run ./cmd/rbac-matrix check --spec tests/matrix/kube-api-gateway.yaml

.PHONY: test
test: verify lint test-unit e2e ## The test command: docs/schema drift, chart lint, unit + matrix tests, and the e2e on a real API server.

.PHONY: test-unit
test-unit: ## Go unit tests, the in-process flag-matrix tests of both charts, and example reports.
	go vet ./...
	go vet -tags e2e ./pkg/controlplane/ ./tests/e2e/
	go vet -tags kind ./tests/e2e/
	go test $(GO_TEST_FLAGS) ./...

.PHONY: package
package: tools ## Package the library and every chart (helm package --dependency-update) into $(DIST)/.
	@bash scripts/package.sh $(DIST) templates-lib $(CHARTS)

.PHONY: lint
lint: deps ## helm lint with Helm v3 and v4 (helm4), and ct lint (chart-testing, ct.yaml: every chart, and a version bump for each changed since the last release).
	@for c in $(CHARTS); do helm lint --strict $$c; done
	@for c in $(CHARTS); do helm4 lint --strict $$c; done
	@bash scripts/ct-lint.sh

.PHONY: generate-golden
generate-golden: ## Refresh the checked-in golden who-can tables and full manifests (review the diff).
	go test ./tests/ -run 'TestMatrix|TestManifestGolden' -update

.PHONY: generate-docs
generate-docs: ## Regenerate the README values tables and each values.schema.json from values.yaml (# -- and # @schema) and values.schema.fragments.json.
	go run ./cmd/values-doc -readme README.md $(CHARTS)

.PHONY: verify
verify: verify-docs verify-go verify-versions lint-go ## Fail when generated files drifted, Go code is not gofmt'd, go.mod is not tidy, or golangci-lint finds an issue.

.PHONY: verify-versions
verify-versions: ## Fail when the library or a chart changed since the last release (scripts/release.env) without a higher version.
	@bash scripts/check-versions.sh

.PHONY: lint-go
lint-go: ## golangci-lint (pinned in scripts/versions.env, built once from the module proxy) over every build tag.
	@WITH_CT=0 WITH_GOLANGCI_LINT=1 bash scripts/install-tools.sh >/dev/null
	golangci-lint run ./...
	golangci-lint run --build-tags e2e ./pkg/controlplane/ ./tests/e2e/
	golangci-lint run --build-tags kind ./tests/e2e/

.PHONY: verify-go
verify-go: ## Fail on Go files gofmt would change and on any `go mod tidy` diff.
	@files=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$files" || { echo "gofmt -w these files: $$files" >&2; exit 1; }
	@go mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy (go mod tidy -diff shows what)" >&2; exit 1; }

.PHONY: verify-docs
verify-docs: ## Fail when the README values tables (root and per chart) or values.schema.json (structure, types, descriptions, defaults, rule policy) drifted.
	go run ./cmd/values-doc -check -readme README.md $(CHARTS)

.PHONY: bench
bench: tools ## Per combination vs the forked CLI of the same major (v4 SDK vs `helm4 template`, v3 SDK vs `helm template`): operator, heavy fixture; whole matrix on the default path vs helm4; heavy peak RSS 64 vs 1,024; pkg/helmtest vs terratest; installer.
	go test ./tests/ -run '^$$' -bench . -benchtime 1x -timeout 60m

.PHONY: controlplane
controlplane: ## Build the pinned kube-apiserver and etcd from the Go module proxy (cached).
	bash scripts/controlplane/build.sh

.PHONY: e2e
e2e: controlplane ## End-to-end: install every mode on a real kube-apiserver and act as each ServiceAccount.
	@set -o pipefail; WORKLOAD_RBAC_E2E=1 go test -tags e2e -count=1 -v -timeout 45m ./pkg/controlplane/ ./tests/e2e/ 2>&1 \
	  | grep -vE '^(=== (RUN|PAUSE|CONT)|    --- PASS)'


.PHONY: e2e-kind
e2e-kind: tools ## The same e2e assertions on a kind cluster (needs Docker; skips with the reason without it).
	go test -tags kind -count=1 -timeout 30m -v ./tests/e2e/
