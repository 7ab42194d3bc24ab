package matrix

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Combination is one point of the matrix: its settings (for naming), the release and the values.
type Combination struct {
	Index       int
	Settings    []string // "path=value", "namespace=x", "release=y", "values=name", "kubeVersion=v", in axis order
	ReleaseName string
	Namespace   string
	Values      map[string]interface{} // merged user values (values files first, then value paths)
	ValuesFiles []string
	// KubeVersion and APIVersions are the capabilities it renders with (helm --kube-version,
	// --api-versions); "" and none mean Helm's defaults.
	KubeVersion string
	APIVersions []string

	applies []func(*Combination) error
	row     []int // the option of each axis, when expanded from a spec
}

// Name is the combination's stable, human-readable name.
func (c Combination) Name() string {
	if len(c.Settings) == 0 {
		return "defaults"
	}
	return strings.Join(c.Settings, " ")
}

// Setting returns the value an axis path was set to in this combination, and whether it was.
func (c Combination) Setting(path string) (interface{}, bool) {
	return GetPath(c.Values, path)
}

// Expand lists every combination of the spec's axes, the last axis varying fastest. Values files are
// read and merged under the axis values.
func Expand(s *Spec) ([]Combination, error) {
	sizes := make([]int, len(s.Axes))
	for i, a := range s.Axes {
		sizes[i] = len(a.options())
	}
	return expandRows(s, product(sizes))
}

// expandRows builds one combination per row, row[i] choosing the option of axis i.
func expandRows(s *Spec, rows [][]int) ([]Combination, error) {
	opts := make([][]option, len(s.Axes))
	for i, a := range s.Axes {
		opts[i] = a.options()
	}
	combos := make([]Combination, len(rows))
	for i, row := range rows {
		c := &combos[i]
		for a, v := range row {
			c.Settings = append(c.Settings, opts[a][v].label)
			c.applies = append(c.applies, opts[a][v].apply)
		}
	}
	out := make([]Combination, len(combos))
	for i, c := range combos {
		n := Combination{Index: i, Settings: c.Settings, ReleaseName: s.Release.Name, Namespace: s.Release.Namespace, Values: map[string]interface{}{}, row: rows[i],
			KubeVersion: s.KubeVersion, APIVersions: s.APIVersions}
		for _, apply := range c.applies {
			if err := apply(&n); err != nil {
				return nil, fmt.Errorf("combination %q: %w", c.Name(), err)
			}
		}
		if len(n.ValuesFiles) > 0 {
			merged := map[string]interface{}{}
			for _, f := range n.ValuesFiles {
				data, err := os.ReadFile(s.resolve(f))
				if err != nil {
					return nil, fmt.Errorf("combination %q: values file: %w", c.Name(), err)
				}
				var v map[string]interface{}
				if err := yaml.Unmarshal(data, &v); err != nil {
					return nil, fmt.Errorf("combination %q: values file %s: %w", c.Name(), f, err)
				}
				merged = mergeMaps(merged, v)
			}
			n.Values = mergeMaps(merged, n.Values)
		}
		out[i] = n
	}
	return out, nil
}

// SetPath sets a dotted path in a nested values map, creating maps on the way. It fails when a
// segment on the way is set to something that is not a map.
func SetPath(values map[string]interface{}, path string, v interface{}) error {
	parts := strings.Split(path, ".")
	m := values
	for i, p := range parts[:len(parts)-1] {
		next, ok := m[p]
		if !ok {
			nm := map[string]interface{}{}
			m[p] = nm
			m = nm
			continue
		}
		nm, ok := next.(map[string]interface{})
		if !ok {
			return fmt.Errorf("cannot set %s: %s is %v, not a map", path, strings.Join(parts[:i+1], "."), next)
		}
		m = nm
	}
	m[parts[len(parts)-1]] = v
	return nil
}

// GetPath reads a dotted path from a nested values map.
func GetPath(values map[string]interface{}, path string) (interface{}, bool) {
	var cur interface{} = values
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func mergeMaps(dst, src map[string]interface{}) map[string]interface{} {
	out := deepCopy(dst).(map[string]interface{})
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(dm, sm)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v interface{}) interface{} { return chartrender.DeepCopyValue(v) }

// RenderOptions are base with the combination's release, namespace, values and capabilities (its
// kube version when set; its API versions added to base's).
func (c Combination) RenderOptions(base chartrender.Options) chartrender.Options {
	o := base
	o.ReleaseName, o.Namespace, o.Values = c.ReleaseName, c.Namespace, c.Values
	if c.KubeVersion != "" {
		o.KubeVersion = c.KubeVersion
	}
	if len(c.APIVersions) > 0 {
		o.APIVersions = append(append([]string{}, base.APIVersions...), c.APIVersions...)
	}
	return o
}
