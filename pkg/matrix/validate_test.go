package matrix

import (
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

func TestValidateRefusesWhatWouldSilentlyDoNothing(t *testing.T) {
	_, err := LoadSpec(writeSpec(t, "chart: c\naxes:\n  - {path: a.b, values: [1, 2]}\nchecks:\n  namespaceScoped:\n    - when: {a.c: true}\n"))
	require.ErrorContains(t, err, `checks.namespaceScoped[0]: when key "a.c" names no axis, so the rule never matches: use one of the axis paths [a.b]`)
	_, err = LoadSpec(writeSpec(t, "chart: c\naxes:\n  - {path: a.b, values: [1, 2]}\nchecks:\n  expectFailures:\n    - {when: {a.b: 1, x: 2}, message: m}\n"))
	require.ErrorContains(t, err, `checks.expectFailures[0]: when key "x" names no axis`)
	_, err = LoadSpec(writeSpec(t, "chart: c\nchecks:\n  suppress: {wildcards: typo}\n"))
	require.ErrorContains(t, err, `checks.suppress (or --suppress): "wildcards" is no check ID, so it suppresses nothing`)
	_, err = LoadSpec(writeSpec(t, "chart: c\naxes:\n  - {path: a.b, values: [1, 2]}\nchecks:\n  suppress: {wildcard: ok, scope-leak: ok}\n  expectFailures:\n    - {when: {a.b: 1}, message: m}\n"))
	require.NoError(t, err)
}

func TestValidateChartRefusesPathsTheChartDoesNotKnow(t *testing.T) {
	ch, err := chartrender.Load("../../tests/fixtures/zero-config")
	require.NoError(t, err)
	s := &Spec{Chart: "c", Axes: []Axis{{Path: "rbac.create", Values: []interface{}{true}}, {Path: "watchNamespaces", Values: []interface{}{nil}}, {Path: "logLevel", Values: []interface{}{"debug"}}}}
	require.NoError(t, s.ValidateChart(ch))
	s.Axes = append(s.Axes, Axis{Path: "rbac.cluster", Values: []interface{}{true}})
	require.EqualError(t, s.ValidateChart(ch), `axes[3] path "rbac.cluster" is in neither values.yaml nor values.schema.json of chart zero-config, so setting it changes nothing: check the spelling`)
	// A path into a dependency (by name or alias) is declared by the dependency's values or schema.
	parent := &chart.Chart{Metadata: &chart.Metadata{Name: "p", Dependencies: []*chart.Dependency{{Name: "sub", Alias: "s"}}}}
	parent.AddDependency(&chart.Chart{Metadata: &chart.Metadata{Name: "sub"}, Values: map[string]interface{}{"x": map[string]interface{}{"y": true}},
		Schema: []byte(`{"properties": {"z": {"type": "string"}}}`)})
	require.True(t, Declares(parent, "s.x.y"))
	require.True(t, Declares(parent, "sub.x.y"))
	require.True(t, Declares(parent, "s.z"))
	require.False(t, Declares(parent, "s.x.q"))
	require.False(t, Declares(parent, "other.x.y"))
}
