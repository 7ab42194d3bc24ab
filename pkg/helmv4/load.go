// Package helmv4 loads and renders charts with the Helm v4 SDK exactly as `helm template` of Helm v4.3.1 does, into pkg/chartrender's Result.
package helmv4

import (
	"fmt"
	"os"
	"path/filepath"

	v4chart "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/loader"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Version is the Helm release whose `helm template` this package reproduces (go.mod pins the SDK).
const Version = "v4.3.1"

// Load reads the chart at path (a directory or a .tgz) with Helm v4's loader, then, as
// chartrender.Load does, loads a directory's file:// dependencies from their paths and checks a
// package as packaged. A chart Helm v4 does not template — its
// Chart.yaml says `apiVersion: v3`, which Helm v4's loader reads as an experimental chart type that
// `helm template` then refuses with "invalid chart apiVersion" — is an error naming Chart.yaml's
// apiVersion and the fix.
func Load(path string) (*chart.Chart, error) {
	c, err := loadOne(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", path, err)
	}
	if chartrender.IsPackaged(path) {
		// checked as packaged: its dependencies are those packed inside it (chartrender.Load)
		if err := chartrender.CheckPackagedDeps(c, path, declared); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := chartrender.ResolveFileDeps(c, path, declared, loadOne); err != nil {
		return nil, err
	}
	return c, nil
}

func loadOne(path string) (*chart.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, err
	}
	switch c := ch.(type) {
	case *chart.Chart:
		return c, nil
	default:
		api := "?"
		if a, err := v4chart.NewAccessor(ch); err == nil {
			if v, ok := a.MetadataAsMap()["APIVersion"].(string); ok {
				api = v
			}
		}
		return nil, fmt.Errorf("%s: apiVersion %q is not a chart Helm %s templates (helm template fails with \"invalid chart apiVersion\"; apiVersion v3 charts are experimental in Helm v4): set `apiVersion: v2` in Chart.yaml",
			chartYAML(path), api, Version)
	}
}

func chartYAML(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return filepath.Join(path, "Chart.yaml")
	}
	return path + ": Chart.yaml"
}

func declared(c *chart.Chart) []chartrender.DependencyRef {
	refs := make([]chartrender.DependencyRef, len(c.Metadata.Dependencies))
	for i, d := range c.Metadata.Dependencies {
		refs[i] = chartrender.DependencyRef{Name: d.Name, Repository: d.Repository}
	}
	return refs
}

// clone copies what dependency processing mutates (metadata, values, the dependency tree), sharing
// the read-only templates and files, so concurrent renders of one loaded chart never race.
func clone(c *chart.Chart) *chart.Chart {
	out := *c
	md := *c.Metadata
	md.Dependencies = make([]*chart.Dependency, len(c.Metadata.Dependencies))
	for i, d := range c.Metadata.Dependencies {
		dd := *d
		md.Dependencies[i] = &dd
	}
	out.Metadata = &md
	out.Values, _ = chartrender.DeepCopyValue(c.Values).(map[string]any)
	deps := c.Dependencies()
	out.SetDependencies()
	for _, d := range deps {
		out.AddDependency(clone(d))
	}
	return &out
}
