package helmv4

import (
	"errors"
	"fmt"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Render renders ch with opts as `helm template` of Helm v4.3.1 does (action.Install in client-only
// dry-run: dependency processing, kubeVersion check, values coalescing and schema validation by
// util.ToRenderValuesWithSchemaValidation, engine.Engine{} without cluster or DNS, the top chart's
// NOTES.txt only), and decodes the result as chartrender.Render does. Templates run as RenderTemplates
// runs them: on a set parsed once per chart (opts.Engine chartrender.EngineHelm: Helm v4's engine
// itself), with keys from a pool unless opts.RealCrypto. ch is not modified, so one loaded chart can
// be rendered from many goroutines at once.
func Render(ch *chart.Chart, opts chartrender.Options) (*chartrender.Result, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "release"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c, top, err := RenderValues(ch, opts)
	if err != nil {
		return nil, err
	}
	files, err := RenderTemplates(c, top, opts)
	if err != nil {
		return nil, err
	}
	return chartrender.NewResult(files, c.Name(), opts.Namespace, splitter)
}

// splitter is Helm v4's releaseutil.SplitManifests, which keeps the whitespace after a document
// (a block scalar at its end keeps its trailing newline) where Helm v3's trims it.
var splitter = chartrender.Splitter{Name: "v4", Split: releaseutil.SplitManifests}

// RenderValues is the first half of Render: a copy of ch with its dependencies processed and the
// values its templates see (.Values, .Release, .Capabilities, ...), schema-validated unless opts skip it.
func RenderValues(ch *chart.Chart, opts chartrender.Options) (*chart.Chart, common.Values, error) {
	c := clone(ch)
	vals, _ := chartrender.DeepCopyValue(opts.Values).(map[string]any)
	if vals == nil {
		vals = map[string]any{}
	}
	if err := chartutil.ProcessDependencies(c, vals); err != nil {
		return nil, nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps := common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, opts.APIVersions...)
	relOpts := common.ReleaseOptions{Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: 1, IsInstall: !opts.IsUpgrade, IsUpgrade: opts.IsUpgrade}
	// Schema validation is Helm v4's, with each schema compiled once (chartrender.ValidateValues: the
	// same code as util.ValidateAgainstSchema); Helm's own path when a schema needs more than itself.
	top, err := util.ToRenderValuesWithSchemaValidation(c, vals, relOpts, caps, true)
	if err != nil {
		return nil, nil, err
	}
	if !opts.SkipSchemaValidation {
		coalesced := top["Values"].(common.Values)
		err := chartrender.ValidateValues(c, coalesced, func(c *chart.Chart) []byte { return c.Schema }, (*chart.Chart).Dependencies)
		if errors.Is(err, chartrender.ErrUseHelm) {
			if err := util.ValidateAgainstSchema(c, coalesced); err != nil {
				return nil, nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%w", err)
			}
		} else if err != nil {
			return nil, nil, err
		}
	}
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	return c, top, nil
}
