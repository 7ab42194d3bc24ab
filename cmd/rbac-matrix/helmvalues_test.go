package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// helm's value flags mean what they mean to helm: -f files merge in order (later wins), --set-json
// takes JSON, --set-string keeps "true" a string (so the schema rejects it for a boolean).
func TestHelmValueFlags(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "rbac:\n  namespaceScoped: true\n  watchNamespaces: [team-a]\n")
	b := writeFile(t, dir, "b.yaml", "rbac:\n  watchNamespaces: [team-b]\n")
	base := []string{"who-can", "../../charts/operator", "--release-namespace", "ops"}
	code, out, errOut := runCLI(t, append(base, "-f", a, "--values", b)...)
	if code != 0 || !strings.Contains(out, "  team-b  ") || strings.Contains(out, "  team-a  ") || strings.Contains(out, "  cluster  ") {
		t.Errorf("-f a -f b: the later file wins, namespace-scoped from a: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append(base, "-f", a, "--set-json", `rbac.watchNamespaces=["team-c","team-d"]`)...)
	if code != 0 || !strings.Contains(out, "  team-c  ") || !strings.Contains(out, "  team-d  ") || strings.Contains(out, "  team-a  ") {
		t.Errorf("--set-json over -f: exit %d\n%s", code, out)
	}
	code, _, errOut = runCLI(t, append(base, "--set-string", "rbac.namespaceScoped=true")...)
	if code != exitTool || !strings.Contains(errOut, "namespaceScoped") || !strings.Contains(errOut, "string") {
		t.Errorf("--set-string gives a string, which the schema rejects: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, append(base, "--set", "rbac.namespaceScoped=true", "--set-json", "rbac.namespaceScoped=false")...)
	if code != exitUsage || !strings.Contains(errOut, "rbac.namespaceScoped is given by --set and by --set-json") {
		t.Errorf("the same path twice: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, append(base, "--release", "Bad_Name")...)
	if code != exitUsage || !strings.Contains(errOut, `--release "Bad_Name": invalid release name`) {
		t.Errorf("release name: exit %d %q", code, errOut)
	}
}

func TestSetFileAndCapabilities(t *testing.T) {
	owner := writeFile(t, t.TempDir(), "owner.txt", "team-platform")
	chart := "../../tests/fixtures/capabilities-gated"
	stdin = strings.NewReader("")
	defer func() { stdin = os.Stdin }()
	// --set-file: the file's content is the value (here the ServiceAccount's name).
	code, out, errOut := runCLI(t, "who-can", chart, "-n", "apps", "--set-file", "name="+owner, "--api-versions", "monitoring.coreos.com/v1")
	if code != 0 || !strings.Contains(out, "ServiceAccount apps/team-platform  apps") {
		t.Errorf("--set-file: exit %d\n%s%s", code, out, errOut)
	}
	cases := []struct {
		name, want string
		args       []string
		absent     bool
	}{
		{"no API version, no ServiceMonitor grant", "servicemonitors", nil, true},
		{"--api-versions renders the gated grant", "servicemonitors.monitoring.coreos.com  get,list,watch", []string{"--api-versions", "monitoring.coreos.com/v1"}, false},
		{"an old --kube-version renders no lease grant", "leases", []string{"--kube-version", "v1.29.0"}, true},
		{"a recent --kube-version renders it", "leases.coordination.k8s.io", []string{"--kube-version", "v1.31.0"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"who-can", chart, "-n", "apps"}, c.args...)...)
			if code != 0 || strings.Contains(out, c.want) != !c.absent {
				t.Errorf("exit %d, want %q present=%v\n%s%s", code, c.want, !c.absent, out, errOut)
			}
		})
	}
	code, _, errOut = runCLI(t, "who-can", chart, "--kube-version", "one.two")
	if code != exitUsage || !strings.Contains(errOut, `--kube-version "one.two": `) || !strings.Contains(errOut, "give a version such as v1.33.0") {
		t.Errorf("a bad --kube-version: exit %d %q", code, errOut)
	}
	code, out, _ = runCLI(t, "diff", chart, "-n", "apps", "--api-versions", "monitoring.coreos.com/v1", "--a-set", "name=x", "--b-set", "name=x")
	if code != 0 || !strings.HasSuffix(out, "no change in permissions or objects\n") {
		t.Errorf("diff with --api-versions on both sides: exit %d\n%s", code, out)
	}
}

// -f fixes values as --set does: check renders the file's values, it does not discover axes over them.
func TestCheckWithAValuesFileRendersIt(t *testing.T) {
	f := writeFile(t, t.TempDir(), "scoped.yaml", "rbac:\n  namespaceScoped: true\n  watchNamespaces: [team-a]\n")
	code, out, errOut := runCLI(t, "check", "../../charts/operator", "-f", f, "--suppress", "workload-create", "-o", "json")
	if code != 0 || !strings.Contains(out, `"combination": "values=`+f+`"`) || strings.Count(out, `"combination":`) != 1 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// --kube-version with several versions is an axis, --api-versions fixed; the spec's kubeVersion and
// apiVersions axes render each .Capabilities-gated branch, and the JSON report names them.
func TestCheckExploresCapabilities(t *testing.T) {
	chart := "../../tests/fixtures/capabilities-gated"
	code, out, errOut := runCLI(t, "check", chart, "-n", "apps", "--kube-version", "v1.29.0,v1.31.0", "--api-versions", "monitoring.coreos.com/v1")
	if code != exitFindings || !strings.Contains(out, "kubeVersion=v1.29.0: objects=3 ") || !strings.Contains(out, "kubeVersion=v1.31.0: objects=5 ") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "check", "--spec", chart+"/matrix.yaml", "-o", "json")
	var rep struct {
		Combinations []struct {
			Values  map[string]interface{}
			Objects int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFindings {
		t.Fatalf("exit %d %v\n%s%s", code, err, out, errOut)
	}
	var got []string
	for _, c := range rep.Combinations {
		got = append(got, fmt.Sprintf("%v %v %d", c.Values["kubeVersion"], c.Values["apiVersions"], c.Objects))
	}
	want := []string{"v1.29.0 [] 1", "v1.29.0 [monitoring.coreos.com/v1] 3", "v1.31.0 [] 3", "v1.31.0 [monitoring.coreos.com/v1] 5"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("combinations %q, want %q", got, want)
	}
	if code, _, errOut := runCLI(t, "check", chart, "--kube-version", "v1.30.0,next"); code != exitUsage || !strings.Contains(errOut, `--kube-version "next"`) {
		t.Errorf("a bad version in the list: exit %d %q", code, errOut)
	}
}
