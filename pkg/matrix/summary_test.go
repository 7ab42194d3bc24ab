package matrix

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/releaseutil"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

func report(settings []string, expected string, vs ...rbaccheck.Violation) Report {
	c := Combination{Settings: settings}
	return Report{Combination: c, Name: c.Name(), Expected: expected, Violations: vs}
}

func TestSummarizeGroupsByCheckAndObjectAndNamesTheSharedAxisValues(t *testing.T) {
	orphan := func(msg string) rbaccheck.Violation {
		return rbaccheck.Violation{Check: "orphaned-binding", Severity: rbaccheck.Error, Object: "ClusterRoleBinding x", Message: msg, Fix: "f"}
	}
	unbound := rbaccheck.Violation{Check: "unbound-role", Severity: rbaccheck.Warning, Object: "ClusterRole x", Message: "m"}
	renderErr := func(msg string) rbaccheck.Violation {
		return rbaccheck.Violation{Check: "render-error", Severity: rbaccheck.Error, Object: "values", Message: msg}
	}
	reports := []Report{
		report([]string{"a=true", "b=false", "ns=x"}, "", orphan("one"), unbound),
		report([]string{"a=true", "b=true", "ns=x"}, "", orphan("two")),
		report([]string{"a=false", "b=false", "ns=x"}, "", unbound),
		report([]string{"a=false", "b=true", "ns=x"}, "", renderErr("needs c")),
		report([]string{"a=true", "b=true", "ns=x"}, "", renderErr("needs d")),
		report([]string{"a=false", "b=true", "ns=x"}, "rejected: set c"),
	}
	s := Summarize(reports)
	require.Equal(t, 6, s.Combinations)
	require.Len(t, s.Findings, 4)
	got := s.Findings[0]
	require.Equal(t, "orphaned-binding", got.Check, "errors first, the most frequent first")
	require.Equal(t, 2, got.Count)
	require.Equal(t, 2, got.Messages)
	require.Equal(t, "one", got.Message)
	require.Equal(t, []string{"a=true"}, got.DependsOn, "ns=x is in every combination: not named")
	require.Equal(t, "a=true b=false ns=x", got.Example)
	require.Equal(t, "render-error", s.Findings[1].Check)
	require.Equal(t, "needs c", s.Findings[1].Message, "each render error message is its own finding")
	require.Equal(t, []string{"a=false", "b=true"}, s.Findings[1].DependsOn)
	require.Equal(t, "needs d", s.Findings[2].Message)
	require.Equal(t, "unbound-role", s.Findings[3].Check)
	require.Equal(t, []string{"b=false"}, s.Findings[3].DependsOn)
	require.Equal(t, []Rejection{{Cause: "rejected: set c", Count: 1, Example: "a=false b=true ns=x", DependsOn: []string{"a=false", "b=true"}}}, s.Rejections)
}

func TestInertAxesNamesOnlyAxesThatNeverChangeTheRendering(t *testing.T) {
	spec := &Spec{Chart: "c", Axes: []Axis{
		{Path: "a", Values: []interface{}{false, true}},
		{Path: "b", Values: []interface{}{false, true}},
		{Path: "fixed", Values: []interface{}{1}},
	}}
	rendered := func(content string) *chartrender.Result {
		return &chartrender.Result{Manifests: []releaseutil.Manifest{{Name: "t.yaml", Content: content}}}
	}
	// The defaults, then each single change (as a covering array starts): a changes the rendering, b
	// does not.
	outs := []Outcome{
		{Combination: Combination{Settings: []string{"a=false", "b=false", "fixed=1"}}, Result: rendered("x")},
		{Combination: Combination{Settings: []string{"a=true", "b=false", "fixed=1"}}, Result: rendered("y")},
		{Combination: Combination{Settings: []string{"a=false", "b=true", "fixed=1"}}, Result: rendered("x")},
	}
	require.Equal(t, []string{"b"}, InertAxes(spec, outs))
	// A render error is a different rendering too.
	outs[2] = Outcome{Combination: outs[2].Combination, Err: errors.New("b needs c")}
	require.Empty(t, InertAxes(spec, outs))
	// Nothing to compare: nothing named.
	require.Empty(t, InertAxes(spec, outs[:1]))
}
