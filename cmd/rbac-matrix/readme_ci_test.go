package main

import (
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
}
