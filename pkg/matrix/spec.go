// Package matrix declares a chart's values matrix (booleans, enumerations, lists, named values files,
// release names and namespaces), expands it into every combination in a stable order, and renders the
// combinations in parallel, in-process, with pkg/chartrender.
package matrix

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
)

// Spec is a matrix over one chart. In YAML:
//
//	chart: ../charts/operator          # relative to the spec file
//	release: {name: rel, namespace: operators}
//	axes:
//	  - path: rbac.namespaceScoped     # a dotted values path and the values it takes
//	    values: [false, true]
//	  - path: rbac.watchNamespaces
//	    values: [[], [team-a], [team-a, team-b]]
//	  - namespace: [operators, team-a] # the release namespace
//	  - releaseName: [rel, acme]       # the release name
//	  - valuesFiles: {default: "", hardened: values/hardened.yaml}  # named values files
//	  - kubeVersion: [v1.29.0, v1.33.0]  # .Capabilities.KubeVersion, as helm --kube-version
//	  - apiVersions: [[], [monitoring.coreos.com/v1]]  # added to .Capabilities.APIVersions
//	kubeVersion: v1.33.0               # fixed, where no axis varies it (helm --kube-version)
//	apiVersions: [monitoring.coreos.com/v1]  # fixed (helm --api-versions)
//	checks: ...                        # see CheckConfig
//	helm: v4                           # the Helm major that loads and renders the chart: v4 (default) or v3
type Spec struct {
	Chart   string      `json:"chart"`
	Helm    string      `json:"helm,omitempty"`
	Release Release     `json:"release"`
	Axes    []Axis      `json:"axes"`
	Checks  CheckConfig `json:"checks"`
	// KubeVersion and APIVersions are helm template's --kube-version and --api-versions for every
	// combination; a kubeVersion axis overrides the version, an apiVersions axis adds to the list.
	KubeVersion string   `json:"kubeVersion,omitempty"`
	APIVersions []string `json:"apiVersions,omitempty"`
	// Dir is the directory relative paths are resolved against (the spec file's directory).
	Dir string `json:"-"`
}

// Release holds the release name and namespace used where no axis varies them.
type Release struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// Axis is one dimension of the matrix; exactly one of its fields is set.
type Axis struct {
	Path        string            `json:"path,omitempty"`
	Values      []interface{}     `json:"values,omitempty"`
	Namespace   []string          `json:"namespace,omitempty"`
	ReleaseName []string          `json:"releaseName,omitempty"`
	ValuesFiles map[string]string `json:"valuesFiles,omitempty"`
	// KubeVersion varies .Capabilities.KubeVersion, so templates gated on it render both branches.
	KubeVersion []string `json:"kubeVersion,omitempty"`
	// APIVersions varies the API versions added to .Capabilities.APIVersions (each option a list).
	APIVersions [][]string `json:"apiVersions,omitempty"`
}

// LoadSpec reads a matrix spec file. Unknown keys are errors that name the key.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("matrix spec %s: %w", path, err)
	}
	s.Dir = filepath.Dir(path)
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("matrix spec %s: %w", path, err)
	}
	return &s, nil
}

// ChartPath is the chart location resolved against the spec's directory.
func (s *Spec) ChartPath() string { return s.resolve(s.Chart) }

func (s *Spec) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || s.Dir == "" {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// Validate reports the first malformed axis, naming it and the fix.
func (s *Spec) Validate() error {
	if s.Chart == "" {
		return fmt.Errorf("chart is empty: give the chart directory or .tgz, relative to the spec file")
	}
	if err := CheckHelm("helm", s.Helm); err != nil {
		return err
	}
	if err := s.Checks.Validate(); err != nil {
		return err
	}
	if err := s.validateWatchPaths(); err != nil {
		return err
	}
	if s.KubeVersion != "" {
		if err := ValidateKubeVersion("kubeVersion", s.KubeVersion); err != nil {
			return err
		}
	}
	for i, a := range s.Axes {
		set := 0
		for _, b := range []bool{a.Path != "", len(a.Namespace) > 0, len(a.ReleaseName) > 0, len(a.ValuesFiles) > 0, len(a.KubeVersion) > 0, len(a.APIVersions) > 0} {
			if b {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("axes[%d] sets %d of path, namespace, releaseName, valuesFiles, kubeVersion, apiVersions: set exactly one", i, set)
		}
		for _, v := range a.KubeVersion {
			if err := ValidateKubeVersion(fmt.Sprintf("axes[%d] kubeVersion", i), v); err != nil {
				return err
			}
		}
		if a.Path != "" && len(a.Values) == 0 {
			return fmt.Errorf("axes[%d] (%s) has no values: list the values it takes, e.g. values: [false, true]", i, a.Path)
		}
		if a.Path == "" && len(a.Values) > 0 {
			return fmt.Errorf("axes[%d] has values but no path: name the dotted values path they set", i)
		}
		if a.Path != "" && (strings.HasPrefix(a.Path, ".") || strings.HasSuffix(a.Path, ".") || strings.Contains(a.Path, "..")) {
			return fmt.Errorf("axes[%d] path %q is not a dotted values path like rbac.namespaceScoped", i, a.Path)
		}
	}
	return s.validateChecks()
}

// ValidateKubeVersion checks a Kubernetes version as helm --kube-version does
// (chartutil.ParseKubeVersion); where names the setting in the error.
func ValidateKubeVersion(where, v string) error {
	if _, err := chartutil.ParseKubeVersion(v); err != nil {
		return fmt.Errorf("%s %q: %v: give a version such as v1.33.0, as helm --kube-version takes it", where, v, err)
	}
	return nil
}

// validateChecks refuses what would silently do nothing: a `when` key that names no axis, and a
// suppressed check ID that no check has.
func (s *Spec) validateChecks() error {
	axes := map[string]bool{}
	var paths []string
	for _, a := range s.Axes {
		if a.Path != "" {
			axes[a.Path] = true
			paths = append(paths, a.Path)
		}
	}
	whens := map[string]map[string]interface{}{}
	for i, r := range s.Checks.NamespaceScoped {
		whens[fmt.Sprintf("checks.namespaceScoped[%d]", i)] = r.When
	}
	for i, r := range s.Checks.ExpectFailures {
		whens[fmt.Sprintf("checks.expectFailures[%d]", i)] = r.When
	}
	for _, where := range sortedKeys(whens) {
		for _, key := range sortedKeys(whens[where]) {
			if !axes[key] {
				return fmt.Errorf("%s: when key %q names no axis, so the rule never matches: use one of the axis paths %v", where, key, paths)
			}
		}
	}
	known := KnownCheckIDs()
	for _, id := range sortedKeys(s.Checks.Suppress) {
		if !known[id] {
			return fmt.Errorf("checks.suppress (or --suppress): %q is no check ID, so it suppresses nothing: `rbac-matrix checks` lists the IDs", id)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidateChart refuses axis paths the chart does not know (neither its values.yaml nor its
// values.schema.json, nor a dependency's): setting them would change nothing.
func (s *Spec) ValidateChart(c Chart) error {
	ch, err := V3(c)
	if err != nil {
		return err
	}
	for i, a := range s.Axes {
		if a.Path != "" && !declares(ch, a.Path) {
			return fmt.Errorf("axes[%d] path %q is in neither values.yaml nor values.schema.json of chart %s, so setting it changes nothing: check the spelling", i, a.Path, ch.Name())
		}
	}
	return nil
}

// Size is the number of combinations the spec expands to.
func (s *Spec) Size() int {
	n := 1
	for _, a := range s.Axes {
		n *= len(a.options())
	}
	return n
}

type option struct {
	label string
	apply func(*Combination) error
}

func (a Axis) options() []option {
	var out []option
	switch {
	case a.Path != "":
		for _, v := range a.Values {
			v := v
			out = append(out, option{label: a.Path + "=" + compact(v), apply: func(c *Combination) error {
				return SetPath(c.Values, a.Path, deepCopy(v))
			}})
		}
	case len(a.Namespace) > 0:
		for _, ns := range a.Namespace {
			ns := ns
			out = append(out, option{label: "namespace=" + ns, apply: func(c *Combination) error { c.Namespace = ns; return nil }})
		}
	case len(a.ReleaseName) > 0:
		for _, n := range a.ReleaseName {
			n := n
			out = append(out, option{label: "release=" + n, apply: func(c *Combination) error { c.ReleaseName = n; return nil }})
		}
	case len(a.KubeVersion) > 0:
		for _, v := range a.KubeVersion {
			v := v
			out = append(out, option{label: "kubeVersion=" + v, apply: func(c *Combination) error { c.KubeVersion = v; return nil }})
		}
	case len(a.APIVersions) > 0:
		for _, vs := range a.APIVersions {
			vs := vs
			out = append(out, option{label: "apiVersions=" + compact(normalize(vs)), apply: func(c *Combination) error {
				c.APIVersions = append(append([]string{}, c.APIVersions...), vs...)
				return nil
			}})
		}
	default:
		names := make([]string, 0, len(a.ValuesFiles))
		for n := range a.ValuesFiles {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			n, file := n, a.ValuesFiles[n]
			out = append(out, option{label: "values=" + n, apply: func(c *Combination) error {
				if file == "" {
					return nil
				}
				c.ValuesFiles = append(c.ValuesFiles, file)
				return nil
			}})
		}
	}
	return out
}

// Label lists an axis' values as combination names show them: [false,true], [[],[team-a]].
func (a Axis) Label() string {
	return compact(a.Values)
}

// String names an axis and its values: rbac.create=[false,true], kubeVersion=[v1.29.0,v1.30.0].
func (a Axis) String() string {
	switch {
	case a.Path != "":
		return a.Path + "=" + a.Label()
	case len(a.Namespace) > 0:
		return "namespace=" + compact(normalize(a.Namespace))
	case len(a.ReleaseName) > 0:
		return "release=" + compact(normalize(a.ReleaseName))
	case len(a.KubeVersion) > 0:
		return "kubeVersion=" + compact(normalize(a.KubeVersion))
	case len(a.APIVersions) > 0:
		parts := make([]string, len(a.APIVersions))
		for i, vs := range a.APIVersions {
			parts[i] = compact(normalize(vs))
		}
		return "apiVersions=[" + strings.Join(parts, ",") + "]"
	}
	return "values=" + compact(normalize(sortedKeys(a.ValuesFiles)))
}

// ValueLabel writes a value as combination names show it: true, team-a, [team-a,team-b], "".
func ValueLabel(v interface{}) string { return compact(v) }

func compact(v interface{}) string {
	switch x := v.(type) {
	case []string:
		return compact(normalize(x))
	case []interface{}:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = compact(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case string:
		if x == "" || strings.ContainsAny(x, ", ") {
			return strconv.Quote(x)
		}
		return x
	case nil:
		return "null"
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
