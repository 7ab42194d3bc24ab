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
	// Engine selects how templates run: EngineParseOnce (default, Helm's functions and semantics on
	// a template set parsed once per chart) or EngineHelm (Helm's engine.Render, re-parsing each time).
	Engine Engine
	// RealCrypto makes genPrivateKey, genCA, genSelfSignedCert and genSignedCert generate fresh keys
	// on every call as Helm does, instead of drawing from a per-process pool (crypto.go).
	RealCrypto bool
	// HelmValues prepares the values with Helm's own ProcessDependencies and ToRenderValues on a copy
	// of the chart every time, instead of values.go's once-per-chart preparation (the same values;
	// the differential test compares the two).
	HelmValues bool
}

// Result is one rendering.
type Result struct {
	// Objects are the decoded manifests in Helm's install order.
	Objects []runtime.Object
	// Manifests are the rendered documents in install order, each with the template it came from.
	Manifests []releaseutil.Manifest
	// Origins say, for each of Manifests, where its object starts in the text it was cut from.
	Origins []Origin
	// Notes is the rendered NOTES.txt of the top-level chart ("" when it has none).
	Notes string
	// Namespace is the release namespace the objects were defaulted to.
	Namespace string
}

// Origin is where a rendered object starts: File is the template (for a chart, whose rendered output
// Line counts in, not its source) or the manifests file read as input ("stdin" for -), Line the
// 1-based line of the object's first non-comment line there.
type Origin struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// Render renders ch with opts as `helm template` would, in-process. Errors from values.schema.json
// and from `fail` in templates come back with Helm's own wording. ch is not modified, so one loaded
// chart can be rendered from many goroutines at once.
func Render(ch *chart.Chart, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	c, top, err := RenderValues(ch, opts)
	if err != nil {
		return nil, err
	}
	files, err := RenderTemplates(c, top, opts)
	if err != nil {
		return nil, err
	}
	return NewResult(files, c.Name(), opts.Namespace, SplitterV3)
}

// NewResult is the Result of the files a template engine rendered for chart top (template path →
// content), as `helm template` treats them: top's NOTES.txt becomes Notes and every other NOTES.txt is
// dropped, the documents are decoded with namespace as the release namespace and ordered as Helm
// installs them; split is the Helm major's releaseutil.SplitManifests. files is emptied of its NOTES.
// pkg/helmv4 builds its results with it.
func NewResult(files map[string]string, top, namespace string, split Splitter) (*Result, error) {
	res := &Result{Namespace: namespace}
	notesKey := path.Join(top, "templates", "NOTES.txt")
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if name == notesKey {
				res.Notes = strings.TrimSpace(content)
			}
			delete(files, name)
		}
	}
	if err := res.collect(files, split); err != nil {
		return nil, fmt.Errorf("chart %s: %w", top, err)
	}
	return res, nil
}

// RenderTemplates runs the templates of c (a chart RenderValues prepared) with top, as
// engine.Render(c, top) does, using the engine opts select; it returns every file by template path.
func RenderTemplates(c *chart.Chart, top chartutil.Values, opts Options) (map[string]string, error) {
	if opts.Engine == EngineHelm {
		return engine.Render(c, top)
	}
	return renderTemplates(c, top, opts.RealCrypto)
}

func (o Options) withDefaults() Options {
	if o.ReleaseName == "" {
		o.ReleaseName = "release"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	return o
}

// RenderValues is the first half of Render: ch with its dependencies processed (shared between
// renderings when the processing does not depend on the values: read-only), and the values its
// templates see (.Values, .Release, .Capabilities, ...), schema-validated unless opts skip it — what
// Helm's ProcessDependenciesWithMerge and ToRenderValuesWithSchemaValidation give, prepared as
// values.go says (opts.HelmValues: by those functions). engine.Render(c, top) then gives the files
// Render decodes; the benchmarks time that part alone.
func RenderValues(ch *chart.Chart, opts Options) (c *chart.Chart, top chartutil.Values, err error) {
	opts = opts.withDefaults()
	if opts.HelmValues {
		return renderValuesHelm(ch, opts)
	}
	c, vals, validateOnce, processErr, err := ProcessedValues(ch, opts.Values, opsV3)
	if processErr != nil {
		return nil, nil, processErr
	}
	caps, err2 := capabilities(opts)
	if err2 != nil {
		return nil, nil, err2
	}
	if err != nil {
		return nil, nil, err
	}
	top = TopValues(opts, c.Metadata, caps, chartutil.Values(vals))
	if !opts.SkipSchemaValidation {
		if err := validateOnce(func() error { return validate(c, vals) }); err != nil {
			return nil, nil, err
		}
	}
	return c, top, nil
}

// TopValues are the values ToRenderValues gives a chart's templates: .Chart (chart), .Capabilities
// (caps), .Release (from opts) and .Values (values, the coalesced values as the Helm major's Values type).
func TopValues(opts Options, chart, caps, values interface{}) map[string]interface{} {
	return map[string]interface{}{
		"Chart":        chart,
		"Capabilities": caps,
		"Release": map[string]interface{}{
			"Name":      opts.ReleaseName,
			"Namespace": opts.Namespace,
			"IsUpgrade": opts.IsUpgrade,
			"IsInstall": !opts.IsUpgrade,
			"Revision":  1,
			"Service":   "Helm",
		},
		"Values": values,
	}
}

// renderValuesHelm is RenderValues by Helm's own functions on a copy of ch.
func renderValuesHelm(ch *chart.Chart, opts Options) (c *chart.Chart, top chartutil.Values, err error) {
	c = clone(ch)
	vals := deepCopyMap(opts.Values)
	if vals == nil {
		vals = map[string]interface{}{}
	}
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, nil, err
	}
	caps, err := capabilities(opts)
	if err != nil {
		return nil, nil, err
	}
	relOpts := chartutil.ReleaseOptions{Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: 1, IsInstall: !opts.IsUpgrade, IsUpgrade: opts.IsUpgrade}
	// Schema validation is Helm's, with each schema compiled once (schema.go); Helm's own path is used
	// when a schema needs more than itself.
	top, err = chartutil.ToRenderValuesWithSchemaValidation(c, vals, relOpts, caps, true)
	if err != nil {
		return nil, nil, err
	}
	if !opts.SkipSchemaValidation {
		if err := validateOnce(ch, c, top["Values"].(chartutil.Values)); err != nil {
			return nil, nil, err
		}
	}
	return c, top, nil
}

// capabilities are Helm's default capabilities with opts' Kubernetes and API versions.
func capabilities(opts Options) (*chartutil.Capabilities, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, opts.APIVersions...)
	return caps, nil
}

// validate is values.schema.json (the chart's and its dependencies') against coalesced, c's values.
func validate(c *chart.Chart, coalesced chartutil.Values) error {
	if err := validateValues(c, coalesced); err != nil {
		if !errors.Is(err, ErrUseHelm) {
			return err
		}
		if err := chartutil.ValidateAgainstSchema(c, coalesced); err != nil {
			return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", err.Error())
		}
	}
	return nil
}

// collect splits the rendered files into documents, decodes each (typed only for TypedKinds, each
// distinct document once per process: decode.go), and orders them as Helm
// installs them (releaseutil.InstallOrder by kind, then template path, then position). Unlike
// releaseutil.SortManifests it does not parse each document a second time, and it keeps hooks: they
// are objects the chart creates too.
func (r *Result) collect(files map[string]string, split Splitter) error {
	type doc struct {
		m     releaseutil.Manifest
		at    Origin
		obj   runtime.Object
		order int
	}
	rank := map[string]int{}
	for i, k := range releaseutil.InstallOrder {
		rank[k] = i
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if !strings.HasPrefix(path.Base(name), "_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []doc
	for _, name := range names {
		for _, d := range split.documents(files[name]) {
			m := releaseutil.Manifest{Name: name, Content: d.Content}
			obj, err := decodeCached(m, r.Namespace)
			if err != nil {
				return err
			}
			order, ok := rank[Kind(obj)]
			if !ok {
				order = len(rank)
			}
			docs = append(docs, doc{m, Origin{name, d.Line}, obj, order})
		}
	}
	sort.SliceStable(docs, func(i, j int) bool {
		if docs[i].order != docs[j].order {
			return docs[i].order < docs[j].order
		}
		return docs[i].order == len(rank) && Kind(docs[i].obj) < Kind(docs[j].obj)
	})
	for _, d := range docs {
		r.Objects = append(r.Objects, d.obj)
		r.Manifests = append(r.Manifests, d.m)
		r.Origins = append(r.Origins, d.at)
	}
	return nil
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
