package matrix

import (
	"path"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// EvaluateChart runs the checks of the chart's template sources (rbaccheck.TemplateChecks), once per
// chart: what holds whatever the values are, such as a fail that can never run.
func (cfg CheckConfig) EvaluateChart(c Chart) []rbaccheck.Violation {
	ch, err := V3(c)
	if err != nil {
		return []rbaccheck.Violation{{Check: "render-error", Severity: rbaccheck.Error, Object: "chart", Message: err.Error(), Fix: "pass a chart of either Helm SDK"}}
	}
	opts := cfg.ModelOptions()
	opts.Templates = map[string]string{}
	addTemplates(opts.Templates, ch, "")
	return rbaccheck.NewModel(nil, opts).Run(rbaccheck.TemplateChecks()...)
}

// addTemplates adds the templates of ch and its dependencies, by their path in the chart
// ("templates/_x.tpl", "charts/lib/templates/_y.tpl").
func addTemplates(into map[string]string, ch *chart.Chart, prefix string) {
	for _, t := range ch.Templates {
		into[path.Join(prefix, t.Name)] = string(t.Data)
	}
	for _, dep := range ch.Dependencies() {
		addTemplates(into, dep, path.Join(prefix, "charts", dep.Name()))
	}
}
