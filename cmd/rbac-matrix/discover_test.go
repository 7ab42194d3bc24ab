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
	for _, want := range []string{
		"KEEP mode = [standard,leader-election] (enum, from templates: eq .Values.mode \"leader-election\")\n       mode=leader-election adds RoleBinding/ops/rel-leader-election\n",
		"DROP metrics.enabled = [false,true] (boolean, from values.yaml)\n       changes the rendering, but no RBAC object",
		"zero-config: 6 of 10 candidate axes kept; 144 combinations in their full product\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
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
