package tests

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v3chart "helm.sh/helm/v3/pkg/chart"
	v4chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// valuesDepsSpecs are charts whose dependencies exercise Helm's dependency processing: conditions, tags,
// aliases, import-values, a nested dependency, globals, nulls and non-table values where a
// dependency's table belongs (conditional), the same without conditions or tags (fixed: processed
// once per chart), and with tags alone (tagged).
var valuesDepsSpecs = []string{"testdata/values-deps/conditional/matrix.yaml", "testdata/values-deps/fixed/matrix.yaml", "testdata/values-deps/tagged/matrix.yaml"}

// TestValuesMatchHelmsOwnPath prepares the values of every combination of every chart the template
// differential test covers, and of the valuesDepsSpecs charts, with each Helm major, through
// RenderValues (chartrender's and helmv4's: the once-per-chart preparation) and through Helm's own
// ProcessDependencies and ToRenderValues (Options.HelmValues), and requires the same result: the
// values the templates see (.Values, .Release, .Capabilities, .Chart) and the processed chart (every
// enabled dependency's path, metadata, values, schema and templates), or the same error.
func TestValuesMatchHelmsOwnPath(t *testing.T) {
	targets := differentialTargets(t)
	for _, p := range valuesDepsSpecs {
		spec, ch, combos := loadSpecChart(t, p)
		targets = append(targets, differentialTarget{p, spec.ChartPath(), ch, combos})
	}
	for _, major := range []string{matrix.HelmV3, matrix.HelmV4} {
		var total, failing atomic.Int64
		for _, tg := range targets {
			var ch matrix.Chart = tg.chart
			if major == matrix.HelmV4 {
				var err error
				if ch, err = matrix.LoadChart(tg.path, major); err != nil {
					if !strings.Contains(err.Error(), `apiVersion "v3" is not a chart Helm`) {
						t.Errorf("%s: Helm v4 cannot load the chart: %v", tg.name, err)
					}
					continue // Helm v4 does not template apiVersion v3 charts
				}
			}
			var n, nFailed atomic.Int64
			var wg sync.WaitGroup
			jobs := make(chan matrix.Combination)
			for w := 0; w < runtime.GOMAXPROCS(0); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for c := range jobs {
						diff, failed := valuesDiff(ch, c.RenderOptions(chartrender.Options{}))
						if diff != "" {
							t.Errorf("Helm %s, %s %s: %s", major, tg.name, c.Name(), diff)
						}
						n.Add(1)
						if failed {
							nFailed.Add(1)
						}
					}
				}()
			}
			for _, c := range tg.combos {
				jobs <- c
			}
			close(jobs)
			wg.Wait()
			t.Logf("Helm %s, %s: %d combinations, %d failing alike", major, tg.name, n.Load(), nFailed.Load())
			total.Add(n.Load())
			failing.Add(nFailed.Load())
		}
		t.Logf("Helm %s: %d combinations, the same values as Helm's own path (%d of them failing with the same error)", major, total.Load(), failing.Load())
		if failing.Load() == 0 || failing.Load() == total.Load() {
			t.Errorf("Helm %s: %d of %d combinations failed: the comparison needs both outcomes", major, failing.Load(), total.Load())
		}
	}
}

// valuesDiff prepares opts' values for ch both ways and says how they differ ("" when they do not),
// and whether both failed.
func valuesDiff(ch matrix.Chart, opts chartrender.Options) (diff string, failed bool) {
	helmOpts := opts
	helmOpts.HelmValues = true
	var helm, ours preparedValues
	switch c := ch.(type) {
	case *v3chart.Chart:
		helm, ours = preparedV3(c, helmOpts), preparedV3(c, opts)
	case *v4chart.Chart:
		helm, ours = preparedV4(c, helmOpts), preparedV4(c, opts)
	default:
		return fmt.Sprintf("unknown chart type %T", ch), false
	}
	if helm.err != "" || ours.err != "" {
		if helm.err != ours.err {
			return fmt.Sprintf("errors differ:\n helm %q\n ours %q", helm.err, ours.err), false
		}
		return "", true
	}
	var diffs []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range helm.top {
			yield(k)
		}
		for k := range ours.top {
			if _, ok := helm.top[k]; !ok {
				yield(k)
			}
		}
	}) {
		if !reflect.DeepEqual(helm.top[k], ours.top[k]) {
			diffs = append(diffs, fmt.Sprintf(".%s differs:\n helm %s\n ours %s", k, asJSON(helm.top[k]), asJSON(ours.top[k])))
		}
	}
	if !reflect.DeepEqual(helm.tree, ours.tree) {
		diffs = append(diffs, fmt.Sprintf("the processed chart differs:\n helm %s\n ours %s", asJSON(helm.tree), asJSON(ours.tree)))
	}
	return strings.Join(diffs, "\n"), false
}

// preparedValues is one RenderValues result: the top-level values, the processed chart as chartNode,
// or the error.
type preparedValues struct {
	top  map[string]interface{}
	tree chartNode
	err  string
}

// chartNode is what the template engine reads of a processed chart, dependencies included.
type chartNode struct {
	Path      string
	Root      bool
	Metadata  interface{}
	Values    map[string]interface{}
	Schema    string
	Templates interface{}
	Deps      []chartNode
}

func preparedV3(ch *v3chart.Chart, opts chartrender.Options) preparedValues {
	c, top, err := chartrender.RenderValues(ch, opts)
	if err != nil {
		return preparedValues{err: err.Error()}
	}
	return preparedValues{top: top, tree: treeOf(c, func(c *v3chart.Chart) (interface{}, map[string]interface{}, []byte, interface{}) {
		return c.Metadata, c.Values, c.Schema, c.Templates
	})}
}

func preparedV4(ch *v4chart.Chart, opts chartrender.Options) preparedValues {
	c, top, err := helmv4.RenderValues(ch, opts)
	if err != nil {
		return preparedValues{err: err.Error()}
	}
	return preparedValues{top: top, tree: treeOf(c, func(c *v4chart.Chart) (interface{}, map[string]interface{}, []byte, interface{}) {
		return c.Metadata, c.Values, c.Schema, c.Templates
	})}
}

// treeOf is c as a chartNode; fields reads a chart's metadata, values, schema and templates.
func treeOf[C interface {
	ChartFullPath() string
	IsRoot() bool
	Dependencies() []C
}](c C, fields func(C) (interface{}, map[string]interface{}, []byte, interface{})) chartNode {
	md, vals, schema, tpls := fields(c)
	n := chartNode{c.ChartFullPath(), c.IsRoot(), md, vals, string(schema), tpls, nil}
	for _, d := range c.Dependencies() {
		n.Deps = append(n.Deps, treeOf(d, fields))
	}
	return n
}

func asJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// The valuesDepsSpecs charts are rendered too, so a value the preparation got wrong shows in the
// output as well: each combination renders the same with both preparations.
func TestValuesDepsChartsRenderAsWithHelmsValues(t *testing.T) {
	for _, p := range valuesDepsSpecs {
		_, ch, combos := loadSpecChart(t, p)
		rendered := 0
		for _, c := range combos {
			opts := c.RenderOptions(chartrender.Options{})
			ours, oerr := renderedFilesWith(ch, opts)
			opts.HelmValues = true
			helm, herr := renderedFilesWith(ch, opts)
			if fmt.Sprint(oerr) != fmt.Sprint(herr) || ours != helm {
				t.Errorf("%s %s:\n helm %v %s\n ours %v %s", p, c.Name(), herr, helm, oerr, ours)
			}
			if herr == nil {
				rendered++
			}
		}
		if rendered == 0 {
			t.Errorf("%s: no combination rendered", filepath.Dir(p))
		}
	}
}

// A chart whose dependencies are enabled whatever the values is processed once and shared between
// renderings; one with conditions or tags is processed per rendering.
func TestFixedDependenciesAreProcessedOnce(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		shared bool
	}{{valuesDepsSpecs[0], false}, {valuesDepsSpecs[1], true}, {valuesDepsSpecs[2], false}} {
		spec, v3, _ := loadSpecChart(t, tc.spec)
		v4, err := matrix.LoadChart(spec.ChartPath(), matrix.HelmV4)
		if err != nil {
			t.Fatal(err)
		}
		a3, _, err := chartrender.RenderValues(v3, chartrender.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b3, _, _ := chartrender.RenderValues(v3, chartrender.Options{Values: map[string]interface{}{"x": 1}})
		a4, _, err := helmv4.RenderValues(v4.(*v4chart.Chart), chartrender.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b4, _, _ := helmv4.RenderValues(v4.(*v4chart.Chart), chartrender.Options{Values: map[string]interface{}{"x": 1}})
		if (a3 == b3) != tc.shared || (a4 == b4) != tc.shared {
			t.Errorf("%s: processed chart shared between renderings: v3 %v, v4 %v; want %v", tc.spec, a3 == b3, a4 == b4, tc.shared)
		}
	}
}
