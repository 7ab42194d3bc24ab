package helmv4

import (
	"math"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// The toYaml and mustToYaml the parse-once engines cache (chartrender.CacheParses) give what Helm
// v4's own give for every value, the third time as the first (the first call notes the value, the
// second keeps it, the third reads it), and a value kept is not converted again.
func TestCachedToYAMLIsHelms(t *testing.T) {
	type rule struct {
		APIGroups []string `json:"apiGroups"`
		Verbs     []string `json:"verbs,omitempty"`
	}
	values := []interface{}{
		nil, "", "plain", "needs: quoting", "yes", "0755", "multi\nline\n", 1, int64(-3), 1.5, 1e21, true,
		[]interface{}{}, []interface{}{"a", 1, nil, map[string]interface{}{"k": "v"}},
		map[string]interface{}{}, map[string]interface{}{"b": 2, "a": []string{"x", "y"}, "c": map[string]interface{}{"z": nil}},
		map[string]string{"app.kubernetes.io/name": "op", "helm.sh/chart": "op-0.1.0"},
		rule{APIGroups: []string{""}}, []rule{{APIGroups: []string{"apps"}, Verbs: []string{"get", "list"}}},
		// The same JSON from other Go types: one entry serves them all, as Helm's output is the same.
		map[string]interface{}{"n": 1}, map[string]interface{}{"n": 1.0}, map[string]int{"n": 1},
		// Values JSON cannot hold: toYaml gives "", mustToYaml panics.
		math.Inf(1), make(chan int), map[string]interface{}{"f": func() {}},
	}
	for _, name := range []string{"toYaml", "mustToYaml"} {
		helm := helmFuncMap()[name].(func(any) string)
		calls := 0
		f := template.FuncMap{name: func(v any) string { calls++; return helm(v) }}
		chartrender.CacheParses(f, "test "+name)
		cached := f[name].(func(any) string)
		for i, v := range values {
			want, wantPanic := convert(helm, v)
			for call := 1; call <= 3; call++ {
				got, gotPanic := convert(cached, v)
				require.Equal(t, wantPanic, gotPanic, "%s of value %d (%#v), call %d: panics", name, i, v, call)
				require.Equal(t, want, got, "%s of value %d (%#v), call %d", name, i, v, call)
			}
		}
		before := calls
		_, _ = convert(cached, values[15])
		require.Equal(t, before, calls, "%s: a value converted three times is read from the cache", name)
	}
}

func convert(conv func(any) string, v any) (out string, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return conv(v), false
}
