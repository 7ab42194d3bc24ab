package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDiscoverPrintsEachAxisAndWhy(t *testing.T) {
	code, out, errOut := runCLI(t, "discover", "../../tests/fixtures/zero-config", "-n", "ops", "--release", "rel")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	requireContains(t, out,
		"KEEP mode = [standard,leader-election] (enum, from templates: eq .Values.mode \"leader-election\")\n       mode=leader-election adds RoleBinding/ops/rel-leader-election\n",
		"DROP metrics.enabled = [false,true] (boolean, from values.yaml)\n       changes the rendering, but no RBAC object",
		"zero-config: 7 of 10 candidate axes kept; 432 combinations in their full product\n",
	)
	_, out, _ = runCLI(t, "discover", "../../tests/fixtures/zero-config", "--output", "json")
	var doc struct {
		Candidates []struct {
			Path string
			Kept bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Candidates) != 10 {
		t.Fatalf("json: %v, %+v", err, doc)
	}
	code, _, errOut = runCLI(t, "discover", "../../tests/fixtures/zero-config", "--axis", "a=1,2")
	if code != 2 || !strings.Contains(errOut, "discover finds the axes itself") {
		t.Errorf("discover --axis: exit %d %q", code, errOut)
	}
}

// Without a spec or axes, check discovers the axes, reports the chart's own rejection once (not once
// per combination) and summarises the 432 combinations by check and object.
func TestCheckWithoutAxesDiscoversThemAndSummarises(t *testing.T) {
	code, out, errOut := runCLI(t, "check", "../../tests/fixtures/zero-config", "-n", "ops", "--release", "rel")
	if code != 1 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	requireContains(t, out,
		"AXES     discovered 7 of 10 candidates (rbac-matrix discover says why): controller.leaderElectionNamespace=[\"\",team-a,\"team-a,team-b\"] mode=[standard,leader-election] rbac.clusterWide=[true,false] rbac.create=[true,false] rbac.scopeNamespace=[\"\",team-a,\"team-a,team-b\"] rbac.scoped=[false,true] watchNamespaces=[[],[team-a],[team-a,team-b]]\n",
		"error    [orphaned-binding] RoleBinding ops/rel-leader-election: in 45 of 432 combinations: mode=leader-election, rbac.clusterWide=true, rbac.create=true\n",
		"REJECTED in 36 of 432 combinations: rbac.create=true, rbac.scopeNamespace=\"\", rbac.scoped=true\n",
		"zero-config: 432 combinations checked in ",
		// The fixture also tells the controller to watch every namespace while rbac.scoped=true grants it one.
		"error    [watch-without-grant] Deployment ops/rel-controller: in 66 of 432 combinations: rbac.create=true\n",
		": 297 passed, 99 failed, 36 rejected as required, 0 warnings\n",
	)
	if n := strings.Count(out, "rbac.scopeNamespace is required when rbac.scoped=true"); n != 1 {
		t.Errorf("the required companion value is reported %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "COVERAGE") {
		t.Errorf("432 combinations are under the budget, yet a covering array was used:\n%s", out)
	}
}

// 14 discovered flags are 16,384 combinations, over the default budget: a pairwise covering array of
// 16 still catches the binding gated on a different flag than its role, and Reduce names the two flags.
func TestCheckOverTheBudgetUsesACoveringArray(t *testing.T) {
	code, out, errOut := runCLI(t, "check", "../../tests/fixtures/many-flags", "-n", "apps", "--release", "rel")
	if code != 1 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	requireContains(t, out,
		"COVERAGE pairwise: 100% of 364 value pairs in 16 combinations (full product: 16,384), over --max-combinations 4096\n",
		"error    [orphaned-binding] ClusterRoleBinding apps-app: in 1 of 16 combinations: ",
		"           reproduced with every other axis at its first value by: clusterRole.enabled=false rbac.create=true\n",
	)
	_, out, _ = runCLI(t, "check", "../../tests/fixtures/many-flags", "--strength", "3", "--max-combinations", "100")
	if !strings.Contains(out, "COVERAGE 3-wise: 100% of 2,912 value triples in ") || !strings.Contains(out, "[orphaned-binding]") {
		t.Errorf("strength 3:\n%s", out)
	}
	code, _, errOut = runCLI(t, "check", "../../tests/fixtures/many-flags", "--strength", "0")
	if code != 2 || !strings.Contains(errOut, "--strength 0: give 1 or more") {
		t.Errorf("--strength 0: exit %d %q", code, errOut)
	}
}

// A render error shared by combinations is printed once, with how many share it.
func TestTableReportsARenderErrorOncePerCause(t *testing.T) {
	code, out, _ := runCLI(t, "check", "../../tests/fixtures/zero-config", "--set", "rbac.scoped=true", "--axis", "mode=standard,leader-election", "--axis", "rbac.clusterWide=true,false", "--suppress", "unbound-role")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if n := strings.Count(out, "rbac.scopeNamespace is required"); n != 1 {
		t.Errorf("the cause is printed %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "(and 3 more combinations for the same cause as ") || !strings.Contains(out, " 0 passed, 4 failed") ||
		!strings.Contains(out, "suppressed [unbound-role]: --suppress\n") {
		t.Errorf("output:\n%s", out)
	}
}

// What would silently do nothing is an error; an axis that changes nothing is a warning.
func TestSilentNoOpsAreReported(t *testing.T) {
	code, _, errOut := runCLI(t, "check", "../../tests/fixtures/zero-config", "--axis", "rbac.clusterwide=true,false")
	if code != exitTool || !strings.Contains(errOut, `axes[0] path "rbac.clusterwide" is in neither values.yaml nor values.schema.json of chart zero-config, so setting it changes nothing`) {
		t.Errorf("a misspelt axis: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "check", "../../tests/fixtures/zero-config", "--suppress", "wildcards")
	if code != 2 || !strings.Contains(errOut, `checks.suppress (or --suppress): "wildcards" is no check ID, so it suppresses nothing`) {
		t.Errorf("an unknown --suppress: exit %d %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "check", "../../tests/fixtures/zero-config", "--axis", "metrics.namespace=a,b", "--axis", "rbac.create=true,false")
	if code != 0 || !strings.Contains(out, "warning  axis metrics.namespace: every value renders identically, so it tests nothing") || strings.Contains(out, "axis rbac.create:") {
		t.Errorf("an inert axis: exit %d\n%s%s", code, out, errOut)
	}
}

func requireContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
