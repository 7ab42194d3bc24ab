package matrix

import (
	"fmt"

	"helm.sh/helm/v3/pkg/chart"
	v4chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
)

// Chart is a chart either Helm SDK loaded: Helm v3's *chart.Chart (helm.sh/helm/v3/pkg/chart, as
// chartrender.Load gives) or Helm v4's *chart.Chart (helm.sh/helm/v4/pkg/chart/v2, as helmv4.Load
// gives). Both satisfy it, so either can be passed where the matrix takes a chart. A chart renders with
// the Helm major of its SDK unless RunOptions.Helm says otherwise; LoadChart loads a path for a major.
type Chart interface {
	Name() string
	ChartFullPath() string
	IsRoot() bool
	Validate() error
}

// The Helm majors a chart can be rendered with (Spec.Helm, RunOptions.Helm, `--helm`).
const (
	HelmV3 = "v3"
	HelmV4 = "v4"
	// DefaultHelm renders when nothing selects a major: Helm v4, the current one.
	DefaultHelm = HelmV4
)

// CheckHelm refuses a Helm major other than "" (the default), v3 and v4, naming where it came from.
func CheckHelm(where, helm string) error {
	switch helm {
	case "", HelmV3, HelmV4:
		return nil
	}
	return fmt.Errorf("%s %q: the accepted values are v3 and v4 (the Helm major that renders the chart; default v4)", where, helm)
}

// LoadChart loads the chart at path (a directory or a .tgz, with its file:// dependencies) with the SDK
// of Helm major helm ("" is DefaultHelm): Helm v4's loader refuses what `helm template` of Helm v4
// refuses (a Chart.yaml with apiVersion v3), Helm v3's what v3 refuses.
func LoadChart(path, helm string) (Chart, error) {
	if err := CheckHelm("helm", helm); err != nil {
		return nil, err
	}
	if helm == HelmV3 {
		return chartrender.Load(path)
	}
	return helmv4.Load(path)
}

// LoadChart loads the spec's chart with the Helm major the spec selects (Spec.Helm, default v4).
func (s *Spec) LoadChart() (Chart, error) { return LoadChart(s.ChartPath(), s.Helm) }

// HelmOf is the Helm major ch renders with by default: the major of the SDK that loaded it.
func HelmOf(ch Chart) string {
	if _, ok := ch.(*chart.Chart); ok {
		return HelmV3
	}
	return HelmV4
}

// V3 is ch as Helm v3's *chart.Chart, what the code reading a chart without rendering it (values,
// schema, templates: discover, the chart checks, ValidateChart) works on. A Helm v4 chart is converted
// once (helmv4.ToV3) and the conversion kept.
func V3(ch Chart) (*chart.Chart, error) {
	switch c := ch.(type) {
	case *chart.Chart:
		return c, nil
	case *v4chart.Chart:
		return helmv4.ToV3(c)
	}
	return nil, unsupported(ch)
}

func v4Of(ch Chart) (*v4chart.Chart, error) {
	switch c := ch.(type) {
	case *v4chart.Chart:
		return c, nil
	case *chart.Chart:
		return helmv4.FromV3(c)
	}
	return nil, unsupported(ch)
}

func unsupported(ch Chart) error {
	return fmt.Errorf("chart %s: %T is not a chart type the matrix renders: pass a Helm v3 *chart.Chart (helm.sh/helm/v3/pkg/chart) or a Helm v4 *chart.Chart (helm.sh/helm/v4/pkg/chart/v2)", ch.Name(), ch)
}

// Renderer is the function rendering ch with Helm major helm ("" is the major of ch's SDK): Helm v3's
// chartrender.Render (a Helm v3 render error for a function only Helm v4 has says so) or helmv4.Render.
func Renderer(ch Chart, helm string) (func(chartrender.Options) (*chartrender.Result, error), error) {
	if err := CheckHelm("helm", helm); err != nil {
		return nil, err
	}
	if helm == "" {
		helm = HelmOf(ch)
	}
	if helm == HelmV3 {
		c, err := V3(ch)
		if err != nil {
			return nil, err
		}
		return func(o chartrender.Options) (*chartrender.Result, error) {
			res, err := chartrender.Render(c, o)
			return res, helmv4.ExplainV3Error(err)
		}, nil
	}
	c, err := v4Of(ch)
	if err != nil {
		return nil, err
	}
	return func(o chartrender.Options) (*chartrender.Result, error) { return helmv4.Render(c, o) }, nil
}
