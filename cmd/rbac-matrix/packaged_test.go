package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartpkg"
)

// `rbac-matrix check CHART-VERSION.tgz` checks the chart as packaged: with the library packed inside
// it (clean RBAC), not with the file://../lib beside it on disk (whose RoleBinding names a Role it does
// not render, an orphaned-binding error).
func TestCheckOfAPackagedChartUsesThePackagedLibrary(t *testing.T) {
	fixture := "../../tests/fixtures/packaged-deps"
	root := t.TempDir()
	copyDir := func(from, to string) {
		if err := os.CopyFS(filepath.Join(root, to), os.DirFS(filepath.Join(fixture, from))); err != nil {
			t.Fatal(err)
		}
	}
	copyDir("app", "app")
	copyDir("lib-packaged", "lib")
	tgz, err := chartpkg.Package(filepath.Join(root, "app"), filepath.Join(root, "dist"), chartpkg.Options{HelmHome: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	copyDir("lib-disk", "lib")

	code, out, errOut := runCLI(t, "check", tgz, "-n", "apps", "--fail-on", "warning")
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("check %s: exit %d\n%s%s", filepath.Base(tgz), code, out, errOut)
	}
	code, out, _ = runCLI(t, "check", filepath.Join(root, "app"), "-n", "apps")
	if code != exitFindings || !strings.Contains(out, "[orphaned-binding] RoleBinding apps/app references Role app-disk") {
		t.Errorf("the chart directory takes the library on disk: exit %d\n%s", code, out)
	}
}
