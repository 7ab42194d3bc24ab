package helmv4

import (
	v4chart "helm.sh/helm/v4/pkg/chart"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// valuesOps are Helm v4's pieces of chartrender.ProcessedValues: its chart type, its coalescing and
// its ProcessDependencies.
var valuesOps = chartrender.ValuesOps[*chart.Chart]{
	V4:     true,
	Values: func(c *chart.Chart) map[string]any { return c.Values },
	Requirements: func(c *chart.Chart) []chartrender.Requirement {
		if c.Metadata == nil {
			return nil
		}
		rs := make([]chartrender.Requirement, len(c.Metadata.Dependencies))
		for i, d := range c.Metadata.Dependencies {
			if d == nil {
				rs[i].Nil = true
				continue
			}
			rs[i] = chartrender.Requirement{Condition: d.Condition, Tags: len(d.Tags)}
		}
		return rs
	},
	Clone:   clone,
	Process: func(c *chart.Chart, v map[string]any) error { return chartutil.ProcessDependencies(c, v) },
	Parts:   parts,
}

func parts(c *chart.Chart, ps []any) []any {
	ps = append(ps, c.Metadata, c.Values, c.Schema, c.Templates, c.Dependencies())
	for _, d := range c.Dependencies() {
		ps = parts(d, ps)
	}
	return ps
}

// metadataAsMap is .Chart as Helm v4's ToRenderValues gives it: a fresh map per rendering (templates
// may change it).
func metadataAsMap(c *chart.Chart) map[string]any {
	a, err := v4chart.NewAccessor(c)
	if err != nil {
		return nil
	}
	return a.MetadataAsMap()
}
