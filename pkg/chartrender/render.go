package chartrender

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// Options are the `helm template` inputs of one rendering.
type Options struct {
	ReleaseName string                 // default "release"
	Namespace   string                 // default "default"
	Values      map[string]interface{} // user values (-f/--set), merged over the chart's values.yaml
	// KubeVersion, e.g. "v1.37.0"; default Helm's built-in capabilities.
	KubeVersion string
	// APIVersions adds to the capabilities' API versions (helm template --api-versions).
	APIVersions []string
	// IsUpgrade renders as `helm upgrade` would (.Release.IsUpgrade).
	IsUpgrade bool
	// SkipSchemaValidation skips values.schema.json, to reach the templates' own validation.
	SkipSchemaValidation bool
}

// Result is one rendering.
type Result struct {
	// Objects are the decoded manifests in Helm's install order.
	Objects []runtime.Object
	// Manifests are the rendered documents in install order, each with the template it came from.
	Manifests []releaseutil.Manifest
	// Notes is the rendered NOTES.txt of the top-level chart ("" when it has none).
	Notes string
	// Namespace is the release namespace the objects were defaulted to.
	Namespace string
}

// Render renders ch with opts as `helm template` would, in-process. Errors from values.schema.json
// and from `fail` in templates come back with Helm's own wording. ch is not modified, so one loaded
// chart can be rendered from many goroutines at once.
func Render(ch *chart.Chart, opts Options) (*Result, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "release"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c := clone(ch)
	vals := deepCopyMap(opts.Values)
	if vals == nil {
		vals = map[string]interface{}{}
	}
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, opts.APIVersions...)
	relOpts := chartutil.ReleaseOptions{Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: 1, IsInstall: !opts.IsUpgrade, IsUpgrade: opts.IsUpgrade}
	// Schema validation is Helm's, with each schema compiled once (schema.go); Helm's own path is used
	// when a schema needs more than itself.
	top, err := chartutil.ToRenderValuesWithSchemaValidation(c, vals, relOpts, caps, true)
	if err != nil {
		return nil, err
	}
	if !opts.SkipSchemaValidation {
		coalesced := top["Values"].(chartutil.Values)
		if err := validateValues(c, coalesced); err != nil {
			if !errors.Is(err, errUseHelm) {
				return nil, err
			}
			if err := chartutil.ValidateAgainstSchema(c, coalesced); err != nil {
				return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", err.Error())
			}
		}
	}
	files, err := engine.Render(c, top)
	if err != nil {
		return nil, err
	}
	res := &Result{Namespace: opts.Namespace}
	notesKey := path.Join(c.Name(), "templates", "NOTES.txt")
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if name == notesKey {
				res.Notes = strings.TrimSpace(content)
			}
			delete(files, name)
		}
	}
	_, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	for _, m := range manifests {
		objs, err := decodeManifest(m, opts.Namespace)
		if err != nil {
			return nil, err
		}
		res.Objects = append(res.Objects, objs...)
		res.Manifests = append(res.Manifests, m)
	}
	return res, nil
}

// Manifest joins the rendered documents as `helm template` prints them.
func (r *Result) Manifest() string {
	var b strings.Builder
	for _, m := range r.Manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, strings.TrimSpace(m.Content))
	}
	return b.String()
}

// Keys lists "Kind/namespace/name" of every object, sorted.
func (r *Result) Keys() []string {
	keys := make([]string, 0, len(r.Objects))
	for _, o := range r.Objects {
		keys = append(keys, ObjectKey(o))
	}
	sort.Strings(keys)
	return keys
}
