package chartrender

import (
	"encoding/json"
	"text/template"
)

// Helm's toYaml is sigs.k8s.io/yaml.Marshal: json.Marshal, then the JSON parsed by go-yaml and emitted
// as YAML. The library and most charts call it on the same rules, labels and annotations in every
// combination, and the YAML round trip costs ten times the JSON encoding, so cacheYAML keeps each
// result by the JSON of its value: Marshal's output is a function of that JSON alone. A value JSON
// cannot hold goes to Helm's function every time (toYaml returns "" and mustToYaml panics, as
// before).

// yamlCacheBytes bounds the toYaml cache (JSON keys and YAML results): what a chart converts the
// same way in many combinations is small; what differs per combination is not kept (contentCache).
const yamlCacheBytes = 1 << 20

var yamlResults = contentCache[string]{max: yamlCacheBytes, seens: 1 << 13, weigh: func(key, v string) int { return len(key) + len(v) }}

// cacheYAML wraps the toYaml and mustToYaml of f (each `func(interface{}) string`) with yamlResults.
func cacheYAML(f template.FuncMap, scope string) {
	for _, name := range []string{"toYaml", "mustToYaml"} {
		if conv, ok := f[name].(func(interface{}) string); ok {
			fn := scope + " " + name
			f[name] = func(v interface{}) string { return cachedYAML(fn, v, conv) }
		}
	}
}

func cachedYAML(fn string, v interface{}, conv func(interface{}) string) string {
	js, err := json.Marshal(v)
	if err != nil {
		return conv(v)
	}
	body := string(js)
	if y, ok := yamlResults.get(fn, body); ok {
		return y
	}
	y := conv(v)
	yamlResults.put(fn, body, y)
	return y
}
