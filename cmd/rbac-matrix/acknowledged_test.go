package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Audited exceptions (a rule with allow: [secrets-read] and a reason, rendered as the
// workload-rbac.io/allow and workload-rbac.io/reason annotations) pass, and are listed with their
// reason in the summary, the per-combination table and the JSON report.
func TestAcknowledgedExceptionsAreListedWithTheirReason(t *testing.T) {
	spec := "../../tests/matrix/kube-api-gateway.yaml"
	code, out, errOut := runCLI(t, "check", "--spec", spec)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	requireContains(t, out,
		"ACKNOWLEDGED [secrets-read] Role team-a/rel-kube-api-gateway-secrets in 8 of 96 combinations: reads the kubeconfig Secrets of the clusters in the namespaces of rbac.allowedNamespaces only\n",
		"ACKNOWLEDGED [secrets-read] ClusterRole mcp-rel-kube-api-gateway-secrets in 2 of 96 combinations: reads the kubeconfig Secrets of the clusters in every namespace (rbac.clusterWideSecrets=true)\n")

	code, out, _ = runCLI(t, "check", "--spec", spec, "--list")
	if code != 0 || !strings.Contains(out, "acknowledged [secrets-read] ") || !strings.Contains(out, "\n           reason: reads the kubeconfig Secrets") {
		t.Errorf("--list: exit %d, no acknowledged line with its reason:\n%s", code, out)
	}

	code, out, _ = runCLI(t, "check", "--spec", spec, "--output", "json")
	var doc struct {
		Combinations []struct {
			Acknowledged []struct{ Check, Object, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("json: exit %d, %v", code, err)
	}
	n := 0
	for _, c := range doc.Combinations {
		for _, a := range c.Acknowledged {
			if a.Check != "secrets-read" || a.Reason == "" {
				t.Errorf("acknowledged %+v: want secrets-read with a reason", a)
			}
			n++
		}
	}
	if n != 32 { // 8+8+4+4 Roles and 4x2 ClusterRoles, over the 64 valid combinations
		t.Errorf("%d acknowledged findings in the JSON report, want 32", n)
	}
}
