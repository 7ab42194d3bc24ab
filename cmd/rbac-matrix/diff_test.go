package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two values sets of one chart: the debug switch of the risky-grants fixture hands its account exec
// and a wildcard; --fail-on-gain fails on that.
func TestDiffTwoValuesSetsOfOneChart(t *testing.T) {
	args := []string{"diff", "../../tests/fixtures/risky-grants", "-n", "apps", "--b-set", "debug=true"}
	code, out, errOut := runCLI(t, args...)
	if code != exitPass || !strings.Contains(out, "B: risky-grants --set debug=true\n") || !strings.Contains(out, "+ ServiceAccount apps/app gains create pods/exec in every namespace (risky: pod-exec)\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, append(args, "--fail-on-gain")...); code != exitFindings {
		t.Errorf("--fail-on-gain with a risky gain: exit %d, want 1", code)
	}
	// An expected risky gain can be suppressed; only the rest fails.
	if code, out, _ := runCLI(t, append(args, "--fail-on-gain", "--suppress", "pod-exec")...); code != exitFindings || !strings.Contains(out, "(risky: wildcard, secrets-read, nodes-proxy)") || strings.Contains(out, "pods/exec in every namespace (risky") {
		t.Errorf("--suppress pod-exec: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, append(args, "--suppress", "pod-exek")...); code != exitUsage || !strings.Contains(errOut, `--suppress "pod-exek" is no check ID`) {
		t.Errorf("unknown --suppress: exit %d %q", code, errOut)
	}
	// The other way round it only loses: nothing risky is gained.
	if code, out, _ := runCLI(t, "diff", "../../tests/fixtures/risky-grants", "-n", "apps", "--a-set", "debug=true", "--fail-on-gain"); code != exitPass || !strings.Contains(out, "- ServiceAccount apps/app loses create pods/exec") {
		t.Errorf("a risky loss: exit %d\n%s", code, out)
	}
}

// The operator chart's two modes: cluster-wide grants become Roles in the watched namespace.
func TestDiffOperatorModesAsMarkdownAndJSON(t *testing.T) {
	args := []string{"diff", "../../charts/operator", "-n", "ops", "--b-set", "rbac.namespaceScoped=true", "--b-set", "rbac.watchNamespaces={team-a}"}
	code, out, errOut := runCLI(t, append(args, "-o", "markdown")...)
	for _, want := range []string{
		"### RBAC changes: `operator` → `operator --set rbac.namespaceScoped=true --set rbac.watchNamespaces={team-a}`",
		"| ServiceAccount ops/release-operator | loses | create, delete, get, list, patch, update, watch | `roles.rbac.authorization.k8s.io` | in every namespace |  |",
		"**Objects removed:** `ClusterRole ops-release-operator`",
	} {
		if code != exitPass || !strings.Contains(out, want) {
			t.Errorf("exit %d, markdown lacks %q\n%s%s", code, want, out, errOut)
		}
	}
	// What it holds in team-a it held there before, through the ClusterRoleBinding: no gain.
	if strings.Contains(out, "| gains |") {
		t.Errorf("narrowing to one namespace gains nothing:\n%s", out)
	}
	// Widening gains every namespace.
	_, out, _ = runCLI(t, "diff", "../../charts/operator", "-n", "ops", "--a-set", "rbac.namespaceScoped=true", "--a-set", "rbac.watchNamespaces={team-a}", "-o", "json")
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		Gained        []struct {
			Subject, Scope, Resource string
			Verbs                    []string
		} `json:"gained"`
		ObjectsAdded []string `json:"objectsAdded"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.SchemaVersion != 1 || len(doc.Gained) == 0 || len(doc.ObjectsAdded) == 0 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	for _, g := range doc.Gained {
		if g.Scope != "cluster" {
			t.Errorf("widening gains in one namespace only: %+v", g)
		}
	}
}

// helm template before and after, as a GitOps repository holds them: manifests against manifests,
// one from stdin.
func TestDiffRenderedManifests(t *testing.T) {
	before := renderedManifest(t, "../../tests/fixtures/risky-grants", nil)
	after := renderedManifest(t, "../../tests/fixtures/risky-grants", map[string]interface{}{"debug": true})
	file := filepath.Join(t.TempDir(), "before.yaml")
	if err := os.WriteFile(file, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin = strings.NewReader(after)
	defer func() { stdin = os.Stdin }()
	code, out, errOut := runCLI(t, "diff", file, "-", "--fail-on-gain")
	if code != exitFindings || !strings.Contains(out, "+ ServiceAccount apps/app gains create pods/exec in every namespace (risky: pod-exec)\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "diff", file, file)
	if code != exitPass || !strings.HasSuffix(out, "no change in permissions or objects\n") {
		t.Errorf("same file: exit %d\n%s", code, out)
	}
	bad := map[string][]string{
		"diff with one chart compares two values sets":    {"diff", "../../charts/operator"},
		"--set, -f and the other helm flags need a chart": {"diff", file, file, "--set", "a=b"},
		"only one of A and B can be stdin":                {"diff", "-", "-"},
		"--output \"yaml\": use text, json or markdown":   {"diff", file, file, "-o", "yaml"},
	}
	for want, args := range bad {
		if code, _, errOut := runCLI(t, args...); code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d %q, want %q", args, code, errOut, want)
		}
	}
	if code, _, errOut := runCLI(t, "diff", "../../charts/nonexistent", file); code != exitTool || !strings.Contains(errOut, "rendering A: load chart") {
		t.Errorf("a missing chart: exit %d %q", code, errOut)
	}
}
