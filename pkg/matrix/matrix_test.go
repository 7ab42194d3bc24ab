package matrix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestExpandWalksEveryCombinationInAStableOrder(t *testing.T) {
	s := &Spec{Chart: "x", Release: Release{Name: "r", Namespace: "ns"}, Axes: []Axis{
		{Path: "rbac.namespaceScoped", Values: []interface{}{false, true}},
		{Path: "rbac.watchNamespaces", Values: []interface{}{[]interface{}{}, []interface{}{"a", "b"}}},
		{Namespace: []string{"ops", "team"}},
	}}
	combos, err := Expand(s)
	require.NoError(t, err)
	require.Len(t, combos, 8)
	require.Equal(t, 8, s.Size())
	require.Equal(t, "rbac.namespaceScoped=false rbac.watchNamespaces=[] namespace=ops", combos[0].Name())
	require.Equal(t, "rbac.namespaceScoped=true rbac.watchNamespaces=[a,b] namespace=team", combos[7].Name())
	require.Equal(t, "team", combos[7].Namespace)
	require.Equal(t, "r", combos[7].ReleaseName)
	v, ok := combos[7].Setting("rbac.watchNamespaces")
	require.True(t, ok)
	require.Equal(t, []interface{}{"a", "b"}, v)
	// Each combination owns its values: changing one leaves the others alone.
	combos[3].Values["rbac"].(map[string]interface{})["watchNamespaces"].([]interface{})[0] = "changed"
	v, _ = combos[7].Setting("rbac.watchNamespaces")
	require.Equal(t, []interface{}{"a", "b"}, v)
}

func TestValuesFilesMergeUnderAxisValues(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hard.yaml"), []byte("rbac: {namespaceScoped: true, extra: 1}\n"), 0o644))
	s := &Spec{Chart: "x", Dir: dir, Axes: []Axis{{ValuesFiles: map[string]string{"default": "", "hard": "hard.yaml"}}, {Path: "rbac.namespaceScoped", Values: []interface{}{false}}}}
	combos, err := Expand(s)
	require.NoError(t, err)
	require.Equal(t, "values=hard rbac.namespaceScoped=false", combos[1].Name())
	require.Equal(t, map[string]interface{}{"rbac": map[string]interface{}{"namespaceScoped": false, "extra": float64(1)}}, combos[1].Values)
}

func TestSetPathRefusesToOverwriteAScalar(t *testing.T) {
	v := map[string]interface{}{"rbac": true}
	require.EqualError(t, SetPath(v, "rbac.namespaceScoped", true), "cannot set rbac.namespaceScoped: rbac is true, not a map")
}

func TestLoadSpecNamesTheBadKey(t *testing.T) {
	_, err := LoadSpec(writeSpec(t, "chart: c\naxes:\n  - path: a\n    valeus: [1]\n"))
	require.ErrorContains(t, err, `unknown field "valeus"`)
	_, err = LoadSpec(writeSpec(t, "chart: c\naxes:\n  - path: a\n"))
	require.ErrorContains(t, err, "axes[0] (a) has no values: list the values it takes")
	_, err = LoadSpec(writeSpec(t, "chart: c\naxes:\n  - path: a\n    values: [1]\n    namespace: [x]\n"))
	require.ErrorContains(t, err, "axes[0] sets 2 of path, namespace, releaseName, valuesFiles, kubeVersion, apiVersions: set exactly one")
	_, err = LoadSpec(writeSpec(t, "axes: []\n"))
	require.ErrorContains(t, err, "chart is empty")
}

func TestRenderAndEvaluateTheLibraryFixture(t *testing.T) {
	ch, err := chartrender.Load("../chartrender/testdata/app")
	require.NoError(t, err)
	s := &Spec{Chart: "app", Axes: []Axis{{Path: "broken", Values: []interface{}{false, true}}, {Path: "cluster", Values: []interface{}{false, true}}}}
	combos, err := Expand(s)
	require.NoError(t, err)
	outs := Render(context.Background(), ch, combos, 3)
	require.Len(t, outs, 4)
	require.NoError(t, outs[0].Err)
	require.Error(t, outs[2].Err)

	cfg := CheckConfig{
		ExpectFailures:  []ExpectFailure{{When: map[string]interface{}{"broken": true}, Message: "set broken=false"}},
		NamespaceScoped: []ScopeRule{{When: map[string]interface{}{"cluster": false}}},
	}
	require.Equal(t, "set broken=false", cfg.Evaluate(outs[2]).Expected)
	// cluster=true renders a ClusterRole: not a scope leak (no rule for it) but an unbound role.
	rep := cfg.Evaluate(outs[1])
	require.Contains(t, checkIDs(rep), "unbound-role")
	require.NotContains(t, checkIDs(rep), "scope-leak")
	// An expected failure that renders is itself a violation.
	cfg.ExpectFailures[0].When = map[string]interface{}{"broken": false}
	require.Equal(t, []string{"expected-failure"}, checkIDs(cfg.Evaluate(outs[0])))
}

func TestRenderHonoursCancellation(t *testing.T) {
	ch, err := chartrender.Load("../chartrender/testdata/app")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	combos, _ := Expand(&Spec{Chart: "app", Axes: []Axis{{Path: "name", Values: []interface{}{"a", "b", "c"}}}})
	outs := Render(ctx, ch, combos, 1)
	require.Len(t, outs, 3)
	require.True(t, errors.Is(outs[2].Err, context.Canceled))
}

func checkIDs(r Report) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Check)
	}
	return out
}
