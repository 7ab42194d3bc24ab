package chartrender_test

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	v4chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// memoTarget is a chart and its combinations: a spec's, or the chart's defaults.
type memoTarget struct {
	name, path string
	combos     []matrix.Combination
}

// memoTargets are every spec under tests/matrix/, every fixture chart under tests/fixtures/ (its
// matrix.yaml, or its defaults) and the dependency charts of tests/testdata/values-deps/.
func memoTargets(t testing.TB) []memoTarget {
	t.Helper()
	var out []memoTarget
	specs, err := filepath.Glob("../../tests/matrix/*.yaml")
	require.NoError(t, err)
	deps, err := filepath.Glob("../../tests/testdata/values-deps/*/matrix.yaml")
	require.NoError(t, err)
	fixtures, err := os.ReadDir("../../tests/fixtures")
	require.NoError(t, err)
	for _, d := range fixtures {
		dir := filepath.Join("../../tests/fixtures", d.Name())
		if _, err := os.Stat(filepath.Join(dir, "matrix.yaml")); err == nil {
			specs = append(specs, filepath.Join(dir, "matrix.yaml"))
		} else if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
			out = append(out, memoTarget{dir, dir, []matrix.Combination{{ReleaseName: "rel", Namespace: "apps"}}})
		}
	}
	for _, p := range append(specs, deps...) {
		spec, err := matrix.LoadSpec(p)
		require.NoError(t, err)
		combos, err := matrix.Expand(spec)
		require.NoError(t, err)
		out = append(out, memoTarget{p, spec.ChartPath(), combos})
	}
	return out
}

// coalesced are the coalesced values of opts for ch (either major) and a function validating them both
// ways (chartrender.CompareSchemaMemo); nil when the values cannot be prepared.
func coalesced(ch matrix.Chart, opts chartrender.Options) (map[string]interface{}, func() chartrender.MemoComparison) {
	opts.SkipSchemaValidation = true
	switch ch := ch.(type) {
	case *chart.Chart:
		c, top, err := chartrender.RenderValues(ch, opts)
		if err != nil {
			return nil, nil
		}
		vals := top["Values"].(chartutil.Values).AsMap()
		return vals, func() chartrender.MemoComparison {
			return chartrender.CompareSchemaMemo(c, vals, func(c *chart.Chart) []byte { return c.Schema }, (*chart.Chart).Dependencies)
		}
	case *v4chart.Chart:
		c, top, err := helmv4.RenderValues(ch, opts)
		if err != nil {
			return nil, nil
		}
		vals, ok := top["Values"].(map[string]interface{})
		if !ok {
			vals = toMap(top["Values"])
		}
		return vals, func() chartrender.MemoComparison {
			return chartrender.CompareSchemaMemo(c, vals, func(c *v4chart.Chart) []byte { return c.Schema }, (*v4chart.Chart).Dependencies)
		}
	}
	return nil, nil
}

// toMap is a named map type (Helm's Values) as a plain map.
func toMap(v interface{}) map[string]interface{} {
	type asMap interface{ AsMap() map[string]interface{} }
	if m, ok := v.(asMap); ok {
		return m.AsMap()
	}
	return nil
}

// TestSchemaMemoMatchesTheLibraryOnEveryCombination validates the coalesced values of every
// combination of every spec and fixture chart, with each Helm major that loads the chart, through the
// schema memo and through the library alone: the same verdict for every schema of the chart tree, and
// the same error text from ValidateValues. Values repeated across combinations (release name and
// namespace axes) are compared once.
func TestSchemaMemoMatchesTheLibraryOnEveryCombination(t *testing.T) {
	var combos, distinct, on, off, invalid int
	unknown := chartrender.MemoUnknown()
	for _, tg := range memoTargets(t) {
		for _, major := range []string{matrix.HelmV3, matrix.HelmV4} {
			ch, err := matrix.LoadChart(tg.path, major)
			if err != nil {
				continue // Helm v4 does not load apiVersion v3 charts
			}
			seen := map[[sha256.Size]byte]bool{}
			for _, c := range tg.combos {
				combos++
				vals, compare := coalesced(ch, c.RenderOptions(chartrender.Options{}))
				if compare == nil {
					continue
				}
				raw, err := json.Marshal(vals)
				require.NoError(t, err)
				if k := sha256.Sum256(raw); seen[k] {
					continue
				} else {
					seen[k] = true
				}
				distinct++
				r := compare()
				on, off = on+r.On, off+r.Off
				require.Empty(t, r.Mismatches, "Helm %s, %s %s: the memo's verdict differs from the library's", major, tg.name, c.Name())
				chartrender.RequireSameError(t, r.PlainErr, r.MemoErr, "Helm %s, %s %s: the error differs", major, tg.name, c.Name())
				if r.PlainErr != nil {
					invalid++
				}
			}
		}
	}
	t.Logf("%d combinations, %d distinct values: %d schema validations through the memo, %d without it (memo off), %d value sets refused alike", combos, distinct, on, off, invalid)
	require.Positive(t, on)
	require.Equal(t, unknown, chartrender.MemoUnknown(), "every value of either major is one the memo decides (no fallback for its type)")
	require.Positive(t, invalid, "the comparison needs refused values too")
	require.Less(t, invalid, distinct, "and accepted ones")
}

// BenchmarkValidateOperatorValues validates the operator's distinct coalesced values (one per
// operation, in turn) with the library alone, through a schema memo made anew for each pass over
// them (a matrix run), and through one memo kept across passes.
func BenchmarkValidateOperatorValues(b *testing.B) {
	spec, err := matrix.LoadSpec("../../tests/matrix/operator.yaml")
	require.NoError(b, err)
	combos, err := matrix.Expand(spec)
	require.NoError(b, err)
	ch, err := chartrender.Load(spec.ChartPath())
	require.NoError(b, err)
	var values []map[string]interface{}
	seen := map[[sha256.Size]byte]bool{}
	for _, c := range combos {
		vals, _ := coalesced(ch, c.RenderOptions(chartrender.Options{}))
		raw, err := json.Marshal(vals)
		require.NoError(b, err)
		if k := sha256.Sum256(raw); vals != nil && !seen[k] {
			seen[k] = true
			values = append(values, vals)
		}
	}
	b.Logf("%d combinations, %d distinct coalesced values", len(combos), len(values))
	plain, newMemo, err := chartrender.SchemaValidators(ch.Schema)
	require.NoError(b, err)
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = plain(values[i%len(values)])
		}
	})
	b.Run("memo-per-matrix", func(b *testing.B) {
		b.ReportAllocs()
		var validate func(map[string]interface{}) error
		for i := 0; b.Loop(); i++ {
			if i%len(values) == 0 {
				validate = newMemo()
			}
			_ = validate(values[i%len(values)])
		}
	})
	b.Run("memo-warm", func(b *testing.B) {
		b.ReportAllocs()
		validate := newMemo()
		for i := 0; b.Loop(); i++ {
			_ = validate(values[i%len(values)])
		}
	})
}
