package main

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

// Every subcommand's --help (and -h) lists each of its flags with its description and exits 0.
func TestHelpListsEveryFlag(t *testing.T) {
	for name := range synopses {
		for _, h := range []string{"--help", "-h"} {
			t.Run(name+" "+h+" lists every flag", func(t *testing.T) {
				code, out, errOut := runCLI(t, name, h)
				if code != exitPass || errOut != "" {
					t.Fatalf("exit %d, stderr %q", code, errOut)
				}
				if !strings.HasPrefix(out, "usage: rbac-matrix "+name) {
					t.Errorf("help does not start with the synopsis:\n%s", out)
				}
				fs := flagSetOf(t, name)
				fs.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(out, "  -"+f.Name) || !strings.Contains(out, firstLine(f.Usage)) {
						t.Errorf("help lacks -%s %q:\n%s", f.Name, f.Usage, out)
					}
				})
			})
		}
	}
}

// flagSetOf captures the flag set a subcommand registers, through the help it returns.
func flagSetOf(t *testing.T, name string) *flag.FlagSet {
	t.Helper()
	var err error
	switch name {
	case "check":
		_, err = cmdCheck([]string{"-h"}, nil)
	case "who-can":
		err = cmdWhoCan([]string{"-h"}, nil)
	case "can-i":
		_, err = cmdCanI([]string{"-h"}, nil)
	case "checks":
		err = cmdChecks([]string{"-h"}, nil)
	case "discover":
		err = cmdDiscover([]string{"-h"}, nil)
	case "diff":
		_, err = cmdDiff([]string{"-h"}, nil, nil)
	case "version":
		err = cmdVersion([]string{"-h"}, nil)
	default:
		t.Fatalf("no flag set for %s", name)
	}
	h, ok := err.(helpRequested)
	if !ok {
		t.Fatalf("%s -h returned %v", name, err)
	}
	return h.fs
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestVersionNamesTheHelmSDKs(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, l := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], "helm.sh/helm/v") {
			want[f[0]] = f[1]
		}
	}
	if code != 0 || !strings.HasPrefix(out, "rbac-matrix ") || len(want) != 2 ||
		!strings.Contains(out, "helm SDK "+want["helm.sh/helm/v4"]+" (--helm v4, the default)\n") ||
		!strings.Contains(out, "helm SDK "+want["helm.sh/helm/v3"]+" (--helm v3)\n") {
		t.Errorf("version: exit %d %q, want both helm SDKs of go.mod %v", code, out, want)
	}
}

// 0 pass, 1 findings, 2 usage, 3 a chart that cannot be loaded or rendered.
func TestExitCodesTellFindingsFromToolErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"a clean chart passes", []string{"check", "--spec", "../../tests/matrix/registry-server.yaml", "--quiet"}, exitPass},
		{"a finding fails", []string{"check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml"}, exitFindings},
		{"an unknown flag is a usage error", []string{"check", "../../charts/operator", "--frobnicate"}, exitUsage},
		{"a missing chart is a tool error", []string{"check", "../../charts/nonexistent"}, exitTool},
		{"a missing chart in who-can is a tool error", []string{"who-can", "../../charts/nonexistent"}, exitTool},
		{"a value the chart cannot render is a tool error in who-can", []string{"who-can", "../../charts/operator", "--set", "rbac.watchNamespaces={Team_A}"}, exitTool},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code, out, errOut := runCLI(t, c.args...); code != c.want {
				t.Errorf("exit %d, want %d\n%s%s", code, c.want, out, errOut)
			}
		})
	}
}

// -n is the request's namespace as in kubectl; --release-namespace is where the chart is installed.
func TestCanINamespacesMeanWhatKubectlMeans(t *testing.T) {
	base := []string{"can-i", "../../charts/operator", "--release-namespace", "ops", "--set", "rbac.namespaceScoped=true", "--set", "rbac.watchNamespaces={team-a}", "--as", "ops/release-operator"}
	cases := []struct {
		name  string
		extra []string
		want  string
	}{
		{"-n asks in a watched namespace", []string{"list", "configmaps", "-n", "team-a"}, "yes (RoleBinding team-a/"},
		{"-n asks in a namespace it holds nothing in", []string{"list", "configmaps", "-n", "team-b"}, "no"},
		{"no -n asks in the release namespace", []string{"create", "events"}, "yes (RoleBinding ops/"},
		{"no -n does not ask in a watched namespace", []string{"list", "configmaps"}, "no"},
		{"-A asks cluster-wide", []string{"list", "configmaps", "-A"}, "no"},
		{"--in still works", []string{"list", "configmaps", "--in", "team-a"}, "yes (RoleBinding team-a/"},
		{"with --in, -n is the release namespace as before", []string{"list", "configmaps", "-n", "ops", "--in", "team-a"}, "yes (RoleBinding team-a/"},
		{"a cluster-scoped resource is asked without a namespace", []string{"list", "clusterroles", "-n", "team-a"}, "no"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(append([]string{}, base...), c.extra...)...)
			if !strings.HasPrefix(out, c.want) || (code == 0) != strings.HasPrefix(c.want, "yes") {
				t.Errorf("exit %d %q %s, want %q", code, out, errOut, c.want)
			}
		})
	}
	code, out, _ := runCLI(t, append(append([]string{}, base...), "list", "configmaps", "-n", "team-a", "-o", "json")...)
	var answer struct {
		SchemaVersion int    `json:"schemaVersion"`
		Allowed       bool   `json:"allowed"`
		Namespace     string `json:"namespace"`
		Reason        string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || code != 0 || !answer.Allowed || answer.Namespace != "team-a" || answer.SchemaVersion != 1 {
		t.Errorf("can-i -o json: exit %d %v %+v\n%s", code, err, answer, out)
	}
}

func TestWhoCanNamespaceAndJSON(t *testing.T) {
	args := []string{"who-can", "../../charts/operator", "--release-namespace", "ops", "--set", "rbac.namespaceScoped=true", "--set", "rbac.watchNamespaces={team-a,team-b}"}
	_, all, _ := runCLI(t, args...)
	_, inA, _ := runCLI(t, append(args, "-n", "team-a")...)
	if !strings.Contains(all, "  team-b  ") || strings.Contains(inA, "  team-b  ") || !strings.Contains(inA, "  team-a  ") {
		t.Errorf("-n team-a keeps team-a's rows only:\nall:\n%s\n-n team-a:\n%s", all, inA)
	}
	code, out, _ := runCLI(t, append(args, "-o", "json", "-n", "team-a")...)
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		Grants        []struct {
			Subject, Scope, Resource string
			Verbs                    []string
		} `json:"grants"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.SchemaVersion != 1 || len(doc.Grants) == 0 {
		t.Fatalf("who-can -o json: exit %d %v\n%s", code, err, out)
	}
	for _, g := range doc.Grants {
		if g.Scope != "team-a" && g.Scope != "cluster" {
			t.Errorf("grant outside team-a: %+v", g)
		}
	}
}
