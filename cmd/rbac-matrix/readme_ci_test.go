package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The README's CI section shows real output: the operator chart's Markdown diff and a manifest check
// piped from helm template (rendered in-process here) must read as the README prints them.
func TestREADMECIExamplesAreCurrent(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	code, diff, errOut := runCLI(t, "diff", "../../charts/operator", "-n", "operators", "--b-set", "rbac.namespaceScoped=true", "--b-set", "rbac.watchNamespaces={team-a}", "-o", "markdown")
	if code != 0 || !strings.Contains(readme, diff) {
		t.Errorf("README.md lacks the current diff output (exit %d %s):\n%s", code, errOut, diff)
	}
	stdin = strings.NewReader(renderedManifest(t, "../../tests/fixtures/gated-binding", map[string]interface{}{"rbac": map[string]interface{}{"create": true}}))
	defer func() { stdin = os.Stdin }()
	_, check, _ := runCLI(t, "check", "-", "-n", "apps")
	if !strings.Contains(readme, check) {
		t.Errorf("README.md lacks the current manifest check output:\n%s", check)
	}
	// The SARIF result as `jq '.runs[0].results[0]'` prints it (two-space indent, keys in order),
	// run from the repository root.
	_, sarif, _ := runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "-o", "sarif")
	var log struct {
		Runs []struct{ Results []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(sarif), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("sarif: %v\n%s", err, sarif)
	}
	var first bytes.Buffer
	if err := json.Indent(&first, log.Runs[0].Results[0], "", "  "); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(first.String(), "../../tests/", "tests/")
	if !strings.Contains(readme, want) {
		t.Errorf("README.md lacks the current SARIF result:\n%s", want)
	}
}
