package helmv4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// tplChart calls tpl as charts do: one text over many values, texts from the values, a text that
// defines a template (seen by that text alone), nested tpl, and texts that fail to parse or execute.
var tplChart = map[string]string{
	"Chart.yaml":       "apiVersion: v2\nname: t\nversion: 0.1.0\n",
	"values.yaml":      "items: [a, b, c, d]\nlabel: '{{ .Release.Name }}-{{ .Values.suffix }}'\nsuffix: one\n",
	"templates/_h.tpl": `{{- define "t.item" -}}item-{{ . }}{{- end -}}`,
	"templates/t.yaml": `loop:{{ range .Values.items }} {{ tpl "{{ include \"t.item\" .x }}/{{ .n }}" (dict "x" . "n" (len $.Values.items)) }}{{ end }}
label: {{ tpl .Values.label . }}
define: {{ tpl "{{ define \"own\" }}own-{{ .Values.suffix }}{{ end }}{{ include \"own\" . }}" . }}
nested: {{ tpl "{{ tpl \"{{ .Values.suffix }}!\" . }}" . }}
{{- if .Values.otherText }}
other: {{ tpl "{{ include \"own\" . }}" . }}
{{- end }}
{{- if .Values.badParse }}
bad: {{ tpl "{{ if }}" . }}
{{- end }}
{{- if .Values.badExec }}
bad: {{ tpl "{{ fail \"no\" }}" . }}
{{- end }}
`,
}

// The engine keeps each tpl text parsed per bound clone (chartrender.TplFun); every rendering must
// still equal Helm v4's engine, which clones and parses on every call: renderings interleaved over
// rounds, so each case runs with texts the others left parsed.
func TestTplKeptParsedRendersAsHelmV4(t *testing.T) {
	ch := writeChart(t, tplChart)
	cases := []struct {
		values map[string]any
		want   string
	}{
		{nil, "loop: item-a/4 item-b/4 item-c/4 item-d/4\nlabel: rel-one\ndefine: own-one\nnested: one!\n"},
		{map[string]any{"items": []any{"x"}, "suffix": "two"}, "loop: item-x/1\nlabel: rel-two\ndefine: own-two\nnested: two!\n"},
		{map[string]any{"label": "{{ .Release.Namespace }}"}, "label: apps\n"},
		{map[string]any{"otherText": true}, `no template "own"`},
		{map[string]any{"badParse": true}, `cannot parse template "{{ if }}"`},
		{map[string]any{"badExec": true}, "execution error at (t/templates/t.yaml:12:8): no"},
	}
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = renderWith(t, ch, c.values, chartrender.Options{Engine: chartrender.EngineHelm})
		require.Contains(t, want[i], c.want, "case %d, Helm's engine", i)
	}
	// A second chart whose t.item differs: the same tpl texts must see its own templates.
	other := map[string]string{}
	for name, body := range tplChart {
		other[name] = body
	}
	other["templates/_h.tpl"] = `{{- define "t.item" -}}other-{{ . }}{{- end -}}`
	och := writeChart(t, other)
	otherWant := renderWith(t, och, nil, chartrender.Options{Engine: chartrender.EngineHelm})
	require.Contains(t, otherWant, "loop: other-a/4 ")
	for round := 0; round < 3; round++ {
		for i, c := range cases {
			require.Equal(t, want[i], renderWith(t, ch, c.values, chartrender.Options{}), "round %d, case %d", round, i)
		}
		require.Equal(t, otherWant, renderWith(t, och, nil, chartrender.Options{}), "round %d, the other chart", round)
	}
}
