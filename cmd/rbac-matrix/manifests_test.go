package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// renderedManifest renders a chart in-process and returns what `helm template` would print.
func renderedManifest(t *testing.T, chart string, values map[string]interface{}) string {
	t.Helper()
	ch, err := chartrender.Load(chart)
	if err != nil {
		t.Fatal(err)
	}
	res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: "rel", Namespace: "apps", Values: values})
	if err != nil {
		t.Fatal(err)
	}
	return res.Manifest()
}

// A rendered manifest with a dangling binding is caught from a file, a directory and stdin, and the
// finding names the template the binding came from.
func TestCheckRenderedManifests(t *testing.T) {
	manifest := renderedManifest(t, "../../tests/fixtures/gated-binding", map[string]interface{}{"rbac": map[string]interface{}{"create": true}, "clusterWide": false})
	dir := t.TempDir()
	file := filepath.Join(dir, "rendered.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, arg := range map[string]string{"a file": file, "a directory": dir, "stdin": "-"} {
		t.Run("from "+name, func(t *testing.T) {
			stdin = strings.NewReader(manifest)
			defer func() { stdin = os.Stdin }()
			code, out, errOut := runCLI(t, "check", arg, "-n", "apps")
			if code != exitFindings || !strings.Contains(out, "error [orphaned-binding] ClusterRoleBinding apps-app references ClusterRole apps-app, which is not rendered") ||
				!strings.Contains(out, "template: gated-binding/templates/all.yaml") {
				t.Errorf("exit %d\n%s%s", code, out, errOut)
			}
		})
	}
	stdin = strings.NewReader(manifest)
	defer func() { stdin = os.Stdin }()
	code, out, _ := runCLI(t, "check", "-", "-o", "json")
	var doc jsonReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFindings || doc.Input != "manifests" || len(doc.Combinations) != 1 {
		t.Fatalf("json: exit %d %v\n%s", code, err, out)
	}
	found := false
	for _, f := range doc.Combinations[0].Findings {
		found = found || (f.Check == "orphaned-binding" && f.Template == "gated-binding/templates/all.yaml")
	}
	if !found {
		t.Errorf("no orphaned-binding finding with its template:\n%s", out)
	}
}

// Our operator chart's rendering passes as manifests too, kind: List and all.
func TestCheckRenderedManifestsOfOurChartAndAList(t *testing.T) {
	manifest := renderedManifest(t, "../../charts/operator", nil)
	stdin = strings.NewReader(manifest)
	defer func() { stdin = os.Stdin }()
	code, out, errOut := runCLI(t, "check", "-", "--suppress", "workload-create")
	if code != exitPass || !strings.HasPrefix(out, "PASS     stdin: objects=") {
		t.Errorf("operator manifests: exit %d\n%s%s", code, out, errOut)
	}
	list := "# Source: x/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n---\n# Source: x/templates/rbac.yaml\napiVersion: v1\nkind: List\nitems:\n" +
		"- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}, subjects: [{kind: ServiceAccount, name: sa}]}\n"
	stdin = strings.NewReader(list)
	code, out, _ = runCLI(t, "check", "-")
	if code != exitFindings || !strings.Contains(out, "RoleBinding default/b references Role gone") || !strings.Contains(out, "template: x/templates/rbac.yaml\n") {
		t.Errorf("a List: exit %d\n%s", code, out)
	}
}

func TestCheckRenderedManifestsRejectsChartOnlyFlags(t *testing.T) {
	stdin = strings.NewReader("")
	defer func() { stdin = os.Stdin }()
	code, _, errOut := runCLI(t, "check", "-", "--set", "a=b", "--axis", "x=1,2")
	if code != exitUsage || !strings.Contains(errOut, "--axis, --set need a chart: - holds rendered manifests") {
		t.Errorf("exit %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "check", "-", "--spec", "../../tests/matrix/operator.yaml"); code != exitUsage || !strings.Contains(errOut, "--spec needs a chart") {
		t.Errorf("--spec with manifests: exit %d %q", code, errOut)
	}
	stdin = strings.NewReader("# Source: x/templates/empty.yaml\n")
	code, _, errOut = runCLI(t, "check", "-")
	if code != exitTool || !strings.Contains(errOut, "stdin holds no Kubernetes object: nothing to check") {
		t.Errorf("empty input: exit %d %q", code, errOut)
	}
	stdin = strings.NewReader("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n---\nfoo: bar\n")
	code, _, errOut = runCLI(t, "check", "-")
	if code != exitTool || !strings.Contains(errOut, "stdin (document 2, line 5) (stdin): no kind") {
		t.Errorf("exit %d %q", code, errOut)
	}
}

// The pipeline the README shows: helm template ... | rbac-matrix check -. Needs the helm CLI.
func TestHelmTemplatePipedIntoCheck(t *testing.T) {
	home, _ := os.UserHomeDir()
	helm := filepath.Join(home, ".cache/workload-rbac/tools/helm")
	if _, err := os.Stat(helm); err != nil {
		if helm, err = exec.LookPath("helm"); err != nil {
			t.Skip("SKIP: no helm CLI in ~/.cache/workload-rbac/tools or on PATH (make deps installs it)")
		}
	}
	manifest, err := exec.Command(helm, "template", "rel", "../../tests/fixtures/gated-binding", "-n", "apps", "--set", "rbac.create=true").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	stdin = strings.NewReader(string(manifest))
	defer func() { stdin = os.Stdin }()
	code, out, _ := runCLI(t, "check", "-", "-n", "apps")
	if code != exitFindings || !strings.Contains(out, "[orphaned-binding] ClusterRoleBinding apps-app") || !strings.Contains(out, "template: gated-binding/templates/all.yaml") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// who-can and can-i read rendered manifests too.
func TestWhoCanAndCanIOnManifests(t *testing.T) {
	manifest := renderedManifest(t, "../../tests/fixtures/risky-grants", map[string]interface{}{"debug": true})
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "can-i", file, "--as", "apps/app", "create", "pods/exec", "-n", "apps")
	if code != 0 || !strings.HasPrefix(out, "yes (ClusterRoleBinding ") {
		t.Errorf("can-i on manifests: exit %d %q %s", code, out, errOut)
	}
	stdin = strings.NewReader(manifest)
	defer func() { stdin = os.Stdin }()
	code, out, _ = runCLI(t, "who-can", "-", "-o", "json")
	if code != 0 || !strings.Contains(out, `"subject": "ServiceAccount apps/app"`) {
		t.Errorf("who-can -: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "who-can", file, "--set", "a=b"); code != exitUsage || !strings.Contains(errOut, "holds rendered manifests") {
		t.Errorf("--set on manifests: exit %d %q", code, errOut)
	}
}
