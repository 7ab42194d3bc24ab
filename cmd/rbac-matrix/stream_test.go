package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// --real-crypto gives Helm's key generation back, on either Helm major: with the key pool, a chart
// whose only difference between two combinations would be its CA key renders identically (so the
// unused axis is inert); with real keys every rendering differs.
func TestRealCryptoFlagGeneratesFreshKeys(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: ca\nversion: 0.1.0\n",
		"values.yaml":         "unused: 1\n",
		"templates/ca.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca}\ndata: {key: {{ (genCA \"ca\" 1).Key | sha256sum | quote }}}\n",
		"templates/_none.tpl": "",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const inert = "warning  axis unused: every value renders identically"
	for _, helm := range []string{"v4", "v3"} {
		args := []string{"check", dir, "-n", "apps", "--release", "r", "--axis", "unused=1,2", "--helm", helm}
		code, out, errOut := runCLI(t, args...)
		if code != exitPass || !strings.Contains(out, inert) {
			t.Errorf("--helm %s, pooled keys: exit %d, want the inert-axis warning:\n%s%s", helm, code, out, errOut)
		}
		code, out, errOut = runCLI(t, append(args, "--real-crypto")...)
		if code != exitPass || strings.Contains(out, inert) || !strings.Contains(out, "2 combinations checked") {
			t.Errorf("--helm %s --real-crypto: exit %d, want fresh keys (no inert axis):\n%s%s", helm, code, out, errOut)
		}
	}
}

// cancelOnRow cancels the run when the first combination's row is written.
type cancelOnRow struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnRow) Write(p []byte) (int, error) {
	if s := string(p); strings.HasPrefix(s, "PASS") || strings.HasPrefix(s, "REJECTED") || strings.HasPrefix(s, "FAIL") {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// The table prints each combination as soon as it is checked: a run stopped when its first row
// appears has rendered only the few combinations in flight, not the whole matrix.
func TestCheckPrintsEachCombinationAsItIsChecked(t *testing.T) {
	defer func(f func() (context.Context, context.CancelFunc)) { interruptible = f }(interruptible)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interruptible = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	out := &cancelOnRow{cancel: cancel}
	var errOut bytes.Buffer
	code := run([]string{"check", "--spec", "../../tests/matrix/operator.yaml", "--list", "--parallel", "2"}, out, &errOut)
	m := regexp.MustCompile(`interrupted: (\d+) of 192 combinations checked`).FindStringSubmatch(errOut.String())
	if code != exitTool || m == nil {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if n, _ := strconv.Atoi(m[1]); n > 1+2*matrix.MaxWorkers() {
		t.Errorf("%d of 192 combinations were checked before the first row was printed", n)
	}
}
