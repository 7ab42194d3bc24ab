// Package helmcli finds the helm CLIs of both majors for the tests that fork them, and holds the
// differential test of in-process renders against them (its own package, so its forks get their own
// test timeout beside the tests/ package).
package helmcli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// SkipEnv skips the tests that fork the helm CLIs, for machines without them. Without it a missing
// CLI fails the test.
const SkipEnv = "WORKLOAD_RBAC_SKIP_HELM_CLI"

// CLI finds the CLI of a Helm major: `helm` (v3) and `helm4` (v4), as `make tools` installs them,
// on PATH or in ~/.cache/workload-rbac/tools.
func CLI(t testing.TB, major string) string {
	t.Helper()
	name := map[string]string{matrix.HelmV3: "helm", matrix.HelmV4: "helm4"}[major]
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, ".cache", "workload-rbac", "tools", name); fileExists(p) {
		return p
	}
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s is not installed and %s=1", name, SkipEnv)
	}
	t.Fatalf("%s (Helm %s) is not on PATH nor in ~/.cache/workload-rbac/tools: run `make tools` (or set %s=1 to skip the tests that fork it)", name, major, SkipEnv)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
