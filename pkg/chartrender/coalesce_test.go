package chartrender

import (
	"testing"

	"github.com/mitchellh/copystructure"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// goValues is a values tree as a Go caller may build it, with what YAML never gives: typed nil lists
// and maps, lists and maps of other types, other number types.
func goValues() map[string]interface{} {
	return map[string]interface{}{
		"nilList":  []interface{}(nil),
		"empty":    []interface{}{},
		"nilMap":   map[string]interface{}(nil),
		"strings":  []string{"a", "b"},
		"labels":   map[string]string{"k": "v"},
		"int32":    int32(3),
		"nested":   map[string]interface{}{"list": []interface{}{map[string]interface{}{"x": nil}, 1.5}, "null": nil},
		"global":   map[string]interface{}{"region": "eu", "list": []interface{}(nil)},
		"sub":      map[string]interface{}{"fromParent": true, "drop": nil},
		"replaced": "scalar over a table",
	}
}

// copyTree copies as copystructure.Copy does, and shares nothing with its source.
func TestCopyTreeIsCopystructure(t *testing.T) {
	want, err := copystructure.Copy(goValues())
	require.NoError(t, err)
	src := goValues()
	got, err := copyTree(src)
	require.NoError(t, err)
	require.Equal(t, want, got)
	got.(map[string]interface{})["nested"].(map[string]interface{})["list"].([]interface{})[0].(map[string]interface{})["x"] = "changed"
	got.(map[string]interface{})["labels"].(map[string]string)["k"] = "changed"
	require.Equal(t, goValues(), src, "the source is untouched")
}

// CoalesceValues gives what Helm v3's chartutil.CoalesceValues gives for Go-built values and a chart
// with a dependency, and modifies neither.
func TestCoalesceValuesIsHelmsForGoValues(t *testing.T) {
	sub := &chart.Chart{Metadata: &chart.Metadata{Name: "sub"}, Values: map[string]interface{}{
		"own": []interface{}(nil), "drop": "default", "global": map[string]interface{}{"subOnly": 1},
	}}
	parent := &chart.Chart{Metadata: &chart.Metadata{Name: "parent"}, Values: goValues()}
	parent.Values["replaced"] = map[string]interface{}{"a": 1}
	parent.AddDependency(sub)
	user := map[string]interface{}{"nilList": []interface{}{1}, "strings": nil, "nested": map[string]interface{}{"list": []interface{}(nil)}, "sub": map[string]interface{}{"drop": nil}, "replaced": "x"}

	want, err := chartutil.CoalesceValues(parent, user)
	require.NoError(t, err)
	got, err := CoalesceValues(parent, user, func(c *chart.Chart) map[string]interface{} { return c.Values }, false)
	require.NoError(t, err)
	require.Equal(t, map[string]interface{}(want), got)
	require.Equal(t, []interface{}{1}, user["nilList"], "the user values are untouched")
	require.Nil(t, sub.Values["own"])
}
