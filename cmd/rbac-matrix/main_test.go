package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Each fixture (written for these tests) reproduces one classic chart bug; the CLI must exit 1 and
// name the check that catches it.
func TestCheckCatchesEveryClassicBug(t *testing.T) {
	cases := map[string][]string{
		"static-orphan":          {"error [unused-serviceaccount] ServiceAccount ops/registry-api is rendered, but no pod template runs as it"},
		"gated-binding":          {"error [orphaned-binding] ClusterRoleBinding apps-app references ClusterRole apps-app, which is not rendered", "warning [unbound-role] ClusterRole apps-app"},
		"wide-runtime-grant":     {"error [runtime-coverage] ServiceAccount ops/op creates Roles in namespace team-a but does not hold list services; watch services there"},
		"declared-runtime-grant": {"error [runtime-coverage] ServiceAccount ops/op creates Roles in namespace team-a but does not hold list services there"},
		"namespace-leak":         {"error [scope-leak] ClusterRole apps-app is cluster-scoped, but this combination is namespace-scoped"},
		"risky-grants":           {"warning [secrets-read]", "warning [serviceaccount-token]", "warning [pod-exec]", "warning [wildcard]", "warning [automount-token]"},
	}
	for fixture, wants := range cases {
		t.Run(fixture+" is caught", func(t *testing.T) {
			code, out, errOut := runCLI(t, "check", "--spec", "../../tests/fixtures/"+fixture+"/matrix.yaml", "--fail-on", "warning")
			if code != 1 {
				t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, w := range wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// Risky grants are warnings by default: they fail a run only with --fail-on warning.
func TestFailOnChoosesTheSeverityThatFails(t *testing.T) {
	spec := "../../tests/fixtures/risky-grants/matrix.yaml"
	code, out, _ := runCLI(t, "check", "--spec", spec)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") || !strings.Contains(out, "warning [secrets-read]") {
		t.Errorf("default --fail-on error: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "check", "--spec", spec, "--fail-on", "warning")
	if code != 1 || !strings.Contains(out, "0 passed, 2 failed") {
		t.Errorf("--fail-on warning: exit %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "check", "--spec", spec, "--fail-on", "info")
	if code != 2 || !strings.Contains(errOut, `--fail-on: severity "info": use error or warning`) {
		t.Errorf("--fail-on info: exit %d %q", code, errOut)
	}
}

func TestOurChartsReportNoViolation(t *testing.T) {
	specs, err := filepath.Glob("../../tests/matrix/*.yaml")
	if err != nil || len(specs) < 5 {
		t.Fatalf("want a spec per chart in tests/matrix, got %v (%v)", specs, err)
	}
	for _, spec := range specs {
		code, out, errOut := runCLI(t, "check", "--spec", spec, "--quiet", "--fail-on", "warning")
		if code != 0 || !strings.Contains(out, " 0 failed") || !strings.Contains(out, " 0 warnings") {
			t.Errorf("%s: exit %d\n%s%s", spec, code, out, errOut)
		}
	}
}

func TestCheckWithoutASpecAndMachineReadableOutput(t *testing.T) {
	code, out, _ := runCLI(t, "check", "../../charts/operator", "--axis", "rbac.namespaceScoped=false,true", "--axis", "rbac.watchNamespaces=[[],[team-a]]", "--output", "json", "--suppress", "workload-create")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var doc struct {
		Combinations []struct{ Combination string } `json:"combinations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Combinations) != 4 {
		t.Fatalf("json: %v, %d combinations", err, len(doc.Combinations))
	}
	code, out, _ = runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "--output", "junit")
	var suite junitSuite
	if err := xml.Unmarshal([]byte(out), &suite); err != nil || code != 1 || suite.Tests != 4 || suite.Failures != 1 {
		t.Fatalf("junit: exit %d, err %v, %+v", code, err, suite)
	}
}

func TestCanIAndWhoCan(t *testing.T) {
	code, out, _ := runCLI(t, "can-i", "../../charts/operator", "-n", "ops", "--set", "rbac.namespaceScoped=true", "--as", "ops/release-operator", "list", "configmaps", "--in", "ops")
	if code != 0 || !strings.HasPrefix(out, "yes (RoleBinding ops/release-operator grants Role release-operator)") {
		t.Errorf("can-i in scope: exit %d %q", code, out)
	}
	code, out, _ = runCLI(t, "can-i", "../../charts/operator", "-n", "ops", "--set", "rbac.namespaceScoped=true", "--as", "ops/release-operator", "list", "configmaps", "-A")
	if code != 1 || !strings.HasPrefix(out, "no") {
		t.Errorf("can-i cluster-wide in namespace-scoped mode: exit %d %q", code, out)
	}
	_, out, _ = runCLI(t, "who-can", "../../charts/registry-server", "-n", "reg", "--set", "rbac.namespaceScoped=true")
	if !strings.Contains(out, "ServiceAccount reg/release-registry-server  reg    services") {
		t.Errorf("who-can:\n%s", out)
	}
}

func TestBadInputGetsAClearError(t *testing.T) {
	cases := map[string][]string{
		"--output \"xml\": use table, json, junit":       {"check", "../../charts/operator", "--output", "xml"},
		"no chart: give CHART or --spec FILE":            {"check"},
		"--as \"nobody\": want NAMESPACE/SERVICEACCOUNT": {"can-i", "../../charts/operator", "--as", "nobody", "get", "pods"},
		"unknown command \"frobnicate\"":                 {"frobnicate"},
		"this command takes one combination":             {"who-can", "../../charts/operator", "--axis", "rbac.namespaceScoped=false,true"},
	}
	for want, args := range cases {
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", args, code, errOut, want)
		}
	}
	code, _, errOut := runCLI(t, "check", "../../charts/nonexistent")
	if code != exitTool || !strings.Contains(errOut, "load chart ../../charts/nonexistent") {
		t.Errorf("missing chart: exit %d %q", code, errOut)
	}
}

// --set means what it means to helm, so a value copied from a helm command renders the same here.
func TestSetTakesHelmSyntax(t *testing.T) {
	code, out, errOut := runCLI(t, "who-can", "../../charts/operator", "--release-namespace", "ops", "--set", "rbac.watchNamespaces={team-a,team-b}", "--set", "registryAPI.clusterScoped=true")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"ServiceAccount ops/release-operator-registry-api  team-a", "ServiceAccount ops/release-operator-registry-api  team-b"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "check", "../../charts/operator", "--set", "rbac.watchNamespaces={Team_A}")
	if code != 1 || !strings.Contains(out, "'Team_A' does not match pattern") {
		t.Errorf("an invalid namespace from a helm-style list: exit %d\n%s", code, out)
	}
	code, _, errOut = runCLI(t, "check", "../../charts/operator", "--set", "rbac.watchNamespaces[0]=a")
	if code != 2 || !strings.Contains(errOut, "give all of it: rbac.watchNamespaces={x,y}") {
		t.Errorf("an indexed path: exit %d, stderr %q", code, errOut)
	}
}

// Roles and accounts a platform team provides are declared on the command line as in the spec.
func TestExternalRolesAndAccountsFromTheCommandLine(t *testing.T) {
	spec := "../../tests/fixtures/external-roles/matrix.yaml"
	code, out, _ := runCLI(t, "check", "--spec", spec)
	if code != 1 || !strings.Contains(out, "error [orphaned-binding] RoleBinding apps/app-platform references Role platform-reader") {
		t.Fatalf("undeclared: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "check", "--spec", spec, "--external-role", "Role/apps/platform-reader", "--external-serviceaccount", "platform/auditor")
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("declared: exit %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "check", "--spec", spec, "--external-role", "platform-reader")
	if code != 2 || !strings.Contains(errOut, `external role "platform-reader": want Role/NAMESPACE/NAME or ClusterRole/NAME`) {
		t.Errorf("malformed: exit %d %q", code, errOut)
	}
}

// checks.severity in the spec makes a warning an error (and the bad value is named).
func TestPerCheckSeverityFromTheSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(sev string) string {
		p := filepath.Join(dir, "matrix.yaml")
		abs, _ := filepath.Abs("../../tests/fixtures/risky-grants")
		if err := os.WriteFile(p, []byte("chart: "+abs+"\nrelease: {name: rel, namespace: apps}\nchecks:\n  severity: {secrets-read: "+sev+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, out, _ := runCLI(t, "check", "--spec", write("error"))
	if code != 1 || !strings.Contains(out, "error [secrets-read]") || !strings.Contains(out, "warning [serviceaccount-token]") {
		t.Errorf("severity error: exit %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "check", "--spec", write("fatal"))
	if code != exitTool || !strings.Contains(errOut, `checks.severity.secrets-read: severity "fatal": use error or warning`) {
		t.Errorf("bad severity: exit %d %q", code, errOut)
	}
}

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's check list from the registry")

// The README's check list is `rbac-matrix checks --format markdown`.
func TestREADMECheckList(t *testing.T) {
	const begin, end = "<!-- checks:start -->\n", "<!-- checks:end -->"
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	code, want, _ := runCLI(t, "checks", "--format", "markdown")
	if code != 0 || !strings.Contains(want, "| `watch-without-grant` | error |") {
		t.Fatalf("checks --format markdown: exit %d\n%s", code, want)
	}
	if got := readme[i+len(begin) : j]; got != want {
		if *updateReadme {
			if err := os.WriteFile("../../README.md", []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's check list drifted from the registry: run go test ./cmd/rbac-matrix -run TestREADMECheckList -update-readme\nwant:\n%s", want)
	}
}
