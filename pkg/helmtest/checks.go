package helmtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// Violations runs rbac-matrix's checks (rbaccheck.DefaultChecks, with what checks declares: the
// `checks:` section of a matrix spec) on out and returns the report: Violations fail, Acknowledged
// are the findings a workload-rbac.io/allow annotation accepts.
func Violations(out *Output, checks ...matrix.CheckConfig) matrix.Report {
	var cfg matrix.CheckConfig
	for _, c := range checks {
		cfg = c
	}
	return cfg.Evaluate(matrix.Outcome{Combination: matrix.Combination{Namespace: out.Namespace}, Result: out.Result})
}

// RequireNoViolations fails the test when any check finds a violation (error or warning) in out,
// listing each with its check, object, template and fix; acknowledged findings are logged. checks,
// when given, is the spec's `checks:` section (suppressions, external roles, ...).
func RequireNoViolations(t testing.TB, out *Output, checks ...matrix.CheckConfig) {
	t.Helper()
	rep := Violations(out, checks...)
	for _, v := range rep.Acknowledged {
		t.Logf("acknowledged [%s] %s: %s", v.Check, v.Object, v.Reason)
	}
	if len(rep.Violations) == 0 {
		return
	}
	sources := rbaccheck.SourcesOf(out.Result)
	var b strings.Builder
	fmt.Fprintf(&b, "%d RBAC violation(s):", len(rep.Violations))
	for _, v := range rep.Violations {
		fmt.Fprintf(&b, "\n  %s [%s] %s", v.Severity, v.Check, v.Message)
		if s := sources[v.Object]; s != "" {
			fmt.Fprintf(&b, "\n    template: %s", s)
		}
		fmt.Fprintf(&b, "\n    fix: %s", v.Fix)
	}
	t.Fatal(b.String())
}
