package matrix

import (
	"encoding/json"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// Declares tells whether the chart knows a dotted values path: its values.yaml sets it, or its
// values.schema.json declares it (through nested `properties`), or the path goes into a dependency
// (by name or alias) that declares the rest.
func Declares(c Chart, path string) bool {
	ch, err := V3(c)
	return err == nil && declares(ch, path)
}

func declares(ch *chart.Chart, path string) bool {
	if _, ok := GetPath(ch.Values, path); ok {
		return true
	}
	if inSchema(ch.Schema, path) {
		return true
	}
	first, rest, ok := strings.Cut(path, ".")
	if !ok {
		return false
	}
	for _, dep := range ch.Metadata.Dependencies {
		if dep.Name != first && dep.Alias != first {
			continue
		}
		for _, sub := range ch.Dependencies() {
			if sub.Name() == dep.Name && declares(sub, rest) {
				return true
			}
		}
	}
	return false
}

func inSchema(raw []byte, path string) bool {
	if len(raw) == 0 {
		return false
	}
	var s map[string]interface{}
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	for _, part := range strings.Split(path, ".") {
		props, _ := s["properties"].(map[string]interface{})
		next, ok := props[part].(map[string]interface{})
		if !ok {
			return false
		}
		s = next
	}
	return true
}
