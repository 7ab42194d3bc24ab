// Package helmtest renders Helm charts in-process for go tests, shaped like terratest's modules/helm (Options, RenderTemplate, typed objects), and holds them to rbac-matrix's RBAC checks.
package helmtest

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Options are the inputs of one rendering, named as terratest's helm.Options names them. Values are
// merged by Helm's own code (pkg/cli/values) in helm's order: ValuesFiles in order, then
// SetJsonValues, SetValues, SetStrValues and SetFiles.
type Options struct {
	ValuesFiles   []string          // as helm -f, later files win
	SetValues     map[string]string // as helm --set
	SetStrValues  map[string]string // as helm --set-string
	SetJsonValues map[string]string //nolint:revive // terratest's spelling, so options port as they are
	SetFiles      map[string]string // as helm --set-file: path → file whose content is the value
	// Namespace is the release namespace (terratest takes it from KubectlOptions.Namespace); default
	// "default".
	Namespace string
	// KubeVersion and APIVersions are helm template's --kube-version and --api-versions.
	KubeVersion string
	APIVersions []string
	// IsUpgrade renders as helm upgrade would (.Release.IsUpgrade).
	IsUpgrade bool
}

// Output is one rendering: every object decoded in full (typed k8s.io/api objects where client-go
// knows the kind, *unstructured.Unstructured otherwise), in Helm's install order, each with its
// template (Manifests[i].Name, helm's `# Source:`).
type Output struct {
	*chartrender.Result
}

// String is the rendering as `helm template` prints it.
func (o *Output) String() string { return o.Manifest() }

// RenderTemplate renders the chart at chartDir as `helm template releaseName chartDir` with options,
// in-process, keeping only templateFiles when any are given (helm's --show-only: paths relative to
// the chart, globs allowed). It fails the test on any error, as terratest's RenderTemplate does.
func RenderTemplate(t testing.TB, options *Options, chartDir, releaseName string, templateFiles []string) *Output {
	t.Helper()
	out, err := RenderTemplateE(options, chartDir, releaseName, templateFiles)
	if err != nil {
		t.Fatalf("render %s: %v", chartDir, err)
	}
	return out
}

// RenderTemplateE is RenderTemplate returning the error (a schema or `fail` message in Helm's wording)
// instead of failing the test, to assert on charts that must refuse values.
func RenderTemplateE(options *Options, chartDir, releaseName string, templateFiles []string) (*Output, error) {
	if options == nil {
		options = &Options{}
	}
	if err := chartutil.ValidateReleaseName(releaseName); err != nil {
		return nil, fmt.Errorf("release name %q: %w", releaseName, err)
	}
	ch, err := load(chartDir)
	if err != nil {
		return nil, err
	}
	vals, err := options.values()
	if err != nil {
		return nil, err
	}
	res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: releaseName, Namespace: options.Namespace, Values: vals,
		KubeVersion: options.KubeVersion, APIVersions: options.APIVersions, IsUpgrade: options.IsUpgrade})
	if err != nil {
		return nil, err
	}
	if len(templateFiles) > 0 {
		if res, err = showOnly(res, templateFiles); err != nil {
			return nil, err
		}
	}
	objs, err := res.TypedObjects()
	if err != nil {
		return nil, err
	}
	res.Objects = objs
	return &Output{res}, nil
}

// DecodeManifests decodes rendered manifests (the output of `helm template`, of terratest's
// helm.RenderTemplate, `kind: List` included) into an Output, objects without a namespace put in
// namespace ("" is "default"). It is chartrender.DecodeManifests failing the test on error.
func DecodeManifests(t testing.TB, yamlData, namespace string) *Output {
	t.Helper()
	res, err := chartrender.DecodeManifests(yamlData, "manifests", namespace)
	if err != nil {
		t.Fatalf("decode manifests: %v", err)
	}
	return &Output{res}
}

// charts keeps each chart loaded once per test binary: charts do not change while tests run.
var charts sync.Map // absolute path → *chart.Chart

func load(dir string) (*chart.Chart, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if ch, ok := charts.Load(abs); ok {
		return ch.(*chart.Chart), nil
	}
	ch, err := chartrender.Load(dir)
	if err != nil {
		return nil, err
	}
	charts.Store(abs, ch)
	return ch, nil
}

// values merges the options as helm does, through Helm's values.Options.
func (o *Options) values() (map[string]interface{}, error) {
	pairs := func(m map[string]string) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // map order must not decide which of two overlapping paths wins
		out := make([]string, 0, len(m))
		for _, k := range keys {
			out = append(out, k+"="+m[k])
		}
		return out
	}
	v := values.Options{ValueFiles: o.ValuesFiles, Values: pairs(o.SetValues), StringValues: pairs(o.SetStrValues),
		JSONValues: pairs(o.SetJsonValues), FileValues: pairs(o.SetFiles)}
	merged, err := v.MergeValues(nil)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return merged, nil
}

// showOnly keeps the documents of the templates helm's --show-only would print: each pattern is
// matched (filepath.Match) against the template path without the chart's name, and a pattern that
// matches nothing is helm's error.
func showOnly(res *chartrender.Result, patterns []string) (*chartrender.Result, error) {
	keep := make([]bool, len(res.Manifests))
	for _, f := range patterns {
		f = filepath.ToSlash(f)
		missing := true
		for i, m := range res.Manifests {
			_, rel, _ := strings.Cut(m.Name, "/")
			if ok, _ := filepath.Match(f, rel); ok {
				keep[i], missing = true, false
			}
		}
		if missing {
			return nil, fmt.Errorf("could not find template %s in chart", f)
		}
	}
	out := &chartrender.Result{Namespace: res.Namespace, Notes: res.Notes}
	for i, k := range keep {
		if k {
			out.Objects = append(out.Objects, res.Objects[i])
			out.Manifests = append(out.Manifests, res.Manifests[i])
			if i < len(res.Origins) {
				out.Origins = append(out.Origins, res.Origins[i])
			}
		}
	}
	return out, nil
}
