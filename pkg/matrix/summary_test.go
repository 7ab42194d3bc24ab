package matrix

import (
	"testing"

	"github.com/stretchr/testify/require"

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
