// Package chartrender loads a Helm chart (a directory with its file:// dependencies, or a packaged .tgz
// as packaged) and renders it in-process with the Helm v3 SDK — the same steps as `helm template`
// (dependency processing, values schema validation, the template engine, manifest sorting) without
// forking a process — then decodes the manifests the checks read into typed k8s.io/api objects.
//
// Templates run on a template set parsed once per chart and executed per rendering with Helm's
// function map and semantics (engine.go); Options.Engine = EngineHelm calls Helm's engine.Render
// instead. genPrivateKey, genCA, genSelfSignedCert and genSignedCert take their keys from a small
// per-process pool (crypto.go) unless Options.RealCrypto: certificates keep Helm's shape and
// validity, only the keys repeat between renders. Random output (keys, certificates, randAlphaNum,
// uuidv4) differs between any two `helm template` runs already, so nothing may depend on it.
package chartrender

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Load reads the chart at path (a directory or a .tgz).
//
// A chart directory: every dependency declared in Chart.yaml with a file:// repository is loaded from
// that path (relative to the chart directory), recursively, so a chart and its library are tested
// straight from a checkout without `helm dependency build` — and a stale copy vendored under charts/
// never hides a change to the library (when the path exists it wins; otherwise the vendored copy is
// used). A missing dependency from any other repository is an error that says how to vendor it.
//
// A packaged chart (.tgz) is checked as packaged, as `helm template`/`helm install` of the package
// would render it: its dependencies are the ones packed under charts/ inside it, and a file://
// source on disk never replaces them. A package that lacks a declared dependency is an error that
// says how to repackage it.
func Load(path string) (*chart.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", path, err)
	}
	if IsPackaged(path) {
		if err := CheckPackagedDeps(ch, path, declaredV3); err != nil {
			return nil, err
		}
		return ch, nil
	}
	if err := resolveFileDeps(ch, path); err != nil {
		return nil, err
	}
	return ch, nil
}

// IsPackaged says whether path is a packaged chart (a file, not a chart directory).
func IsPackaged(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// CheckPackagedDeps requires every dependency a packaged chart (and each chart packed in it)
// declares to be packed inside it, the check Helm's own dependency processing skips for a
// dependency that is missing rather than disabled; for a chart of either Helm SDK.
func CheckPackagedDeps[C LoadedChart[C]](ch C, pkg string, declares func(C) []DependencyRef) error {
	present := map[string]bool{}
	for _, d := range ch.Dependencies() {
		present[d.Name()] = true
		if err := CheckPackagedDeps(d, pkg, declares); err != nil {
			return err
		}
	}
	for _, dep := range declares(ch) {
		if !present[dep.Name] {
			return fmt.Errorf("packaged chart %s: chart %s declares dependency %s (%s) but the package has no charts/%s-*.tgz: "+
				"repackage it with `helm package --dependency-update CHART_DIR`", pkg, ch.Name(), dep.Name, dep.Repository, dep.Name)
		}
	}
	return nil
}

func declaredV3(c *chart.Chart) []DependencyRef {
	refs := make([]DependencyRef, len(c.Metadata.Dependencies))
	for i, d := range c.Metadata.Dependencies {
		refs[i] = DependencyRef{Name: d.Name, Repository: d.Repository}
	}
	return refs
}

func resolveFileDeps(ch *chart.Chart, dir string) error {
	return ResolveFileDeps(ch, dir, declaredV3, func(dir string) (*chart.Chart, error) { return loader.Load(dir) })
}

// DependencyRef is a dependency as Chart.yaml declares it.
type DependencyRef struct{ Name, Repository string }

// LoadedChart is what ResolveFileDeps needs of a chart: Helm v3's *chart.Chart and Helm v4's
// *chart.Chart (helm.sh/helm/v4/pkg/chart/v2) both are one.
type LoadedChart[C any] interface {
	Name() string
	Dependencies() []C
	SetDependencies(...C)
	AddDependency(...C)
}

// ResolveFileDeps is Load's dependency step for a chart of either Helm SDK: every dependency of ch
// (loaded from dir) that declares(ch) gives with a file:// repository is loaded with load from that
// path, recursively, replacing a vendored copy when the path exists.
func ResolveFileDeps[C LoadedChart[C]](ch C, dir string, declares func(C) []DependencyRef, load func(dir string) (C, error)) error {
	return resolveDeps(ch, dir, declares, load, map[string]bool{})
}

func resolveDeps[C LoadedChart[C]](ch C, dir string, declares func(C) []DependencyRef, load func(string) (C, error), visiting map[string]bool) error {
	abs, _ := filepath.Abs(dir)
	if visiting[abs] {
		return fmt.Errorf("chart %s: file:// dependencies form a cycle through %s", ch.Name(), abs)
	}
	visiting[abs] = true
	defer delete(visiting, abs)

	present := map[string]C{}
	for _, d := range ch.Dependencies() {
		present[d.Name()] = d
	}
	for _, dep := range declares(ch) {
		local := strings.HasPrefix(dep.Repository, "file://")
		if vendored, ok := present[dep.Name]; ok {
			if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(dep.Repository, "file://"))); !local || err != nil {
				continue // vendored, and no source to prefer
			}
			kept := []C{}
			for _, d := range ch.Dependencies() {
				if any(d) != any(vendored) {
					kept = append(kept, d)
				}
			}
			ch.SetDependencies(kept...)
		}
		if !local {
			return fmt.Errorf("chart %s: dependency %s (%s) is not vendored under charts/: run `helm dependency build %s`",
				ch.Name(), dep.Name, dep.Repository, dir)
		}
		depDir := filepath.Join(dir, strings.TrimPrefix(dep.Repository, "file://"))
		sub, err := load(depDir)
		if err != nil {
			return fmt.Errorf("chart %s: load file:// dependency %s from %s: %w", ch.Name(), dep.Name, depDir, err)
		}
		if sub.Name() != dep.Name {
			return fmt.Errorf("chart %s: dependency %s points at %s, which holds chart %s", ch.Name(), dep.Name, depDir, sub.Name())
		}
		if err := resolveDeps(sub, depDir, declares, load, visiting); err != nil {
			return err
		}
		ch.AddDependency(sub)
	}
	return nil
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
	out.Values = deepCopyMap(c.Values)
	deps := c.Dependencies()
	out.SetDependencies()
	for _, d := range deps {
		out.AddDependency(clone(d))
	}
	return &out
}

func deepCopyMap(m map[string]interface{}) map[string]interface{} {
	if m == nil {
		return nil
	}
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

// DeepCopyValue copies a values tree (maps of string to any, lists, scalars), so that a rendering
// or a matrix combination never shares a map or list with another.
func DeepCopyValue(v interface{}) interface{} { return deepCopyValue(v) }

func deepCopyValue(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return deepCopyMap(x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}
