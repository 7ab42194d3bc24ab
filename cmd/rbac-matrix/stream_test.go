package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --real-crypto gives Helm's key generation back: with the key pool, a chart whose only difference
// between two combinations would be its CA key renders identically (so the unused axis is inert);
// with real keys every rendering differs.
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
	args := []string{"check", dir, "-n", "apps", "--release", "r", "--axis", "unused=1,2"}
	code, out, errOut := runCLI(t, args...)
	if code != exitPass || !strings.Contains(out, inert) {
		t.Errorf("pooled keys: exit %d, want the inert-axis warning:\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append(args, "--real-crypto")...)
	if code != exitPass || strings.Contains(out, inert) || !strings.Contains(out, "2 combinations checked") {
		t.Errorf("--real-crypto: exit %d, want fresh keys (no inert axis):\n%s%s", code, out, errOut)
	}
}
