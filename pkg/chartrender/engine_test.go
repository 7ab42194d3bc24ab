package chartrender

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/engine"
)

// writeChart writes files (path -> content) under a temp dir and returns it.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

// pem blocks differ between any two renders (fresh keys, serials, times); compare their shape only.
var pemBlock = regexp.MustCompile(`-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END ([A-Z ]+)-----`)

func normalizePEM(s string) string { return pemBlock.ReplaceAllString(s, "<PEM $1>") }

// renderBoth renders ch with values through Helm's engine.Render and through ours and returns both
// outputs (files joined in name order) or errors.
func renderBoth(t *testing.T, dir string, values map[string]interface{}) (helm, ours string) {
	t.Helper()
	ch, err := Load(dir)
	require.NoError(t, err)
	out := func(e Engine) string {
		c, top, err := RenderValues(ch, Options{Values: values, SkipSchemaValidation: true})
		require.NoError(t, err)
		files, err := RenderTemplates(c, top, Options{Engine: e})
		if err != nil {
			return "ERROR: " + err.Error()
		}
		var b strings.Builder
		for _, k := range sortedKeys(files) {
			fmt.Fprintf(&b, "== %s\n%s\n", k, files[k])
		}
		return normalizePEM(b.String())
	}
	return out(EngineHelm), out(EngineParseOnce)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// engineChart exercises every function and value Helm's engine adds over text/template + sprig.
var engineChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: top\nversion: 1.2.3\ndependencies:\n- {name: sub, version: 0.1.0, repository: file://../sub}\n- {name: lib, version: 0.1.0, repository: file://../lib}\n",
	"values.yaml": "greeting: hi\ntplText: '{{ .Values.greeting }}-{{ include \"top.name\" . }}'\nlist: [a, b]\nsub: {color: red}\n",
	"files/a.txt": "line1\nline2\n",
	"files/b.cfg": "k=v",
	"templates/_helpers.tpl": `{{- define "top.name" -}}{{ .Chart.Name }}-{{ .Values.greeting }}{{- end -}}
{{- define "top.shadow" -}}top wins{{- end -}}
{{- define "top.rec" -}}{{ if lt (len .) 3 }}{{ include "top.rec" (append . "x") }}{{ else }}{{ . }}{{ end }}{{- end -}}`,
	"templates/all.yaml": `name: {{ include "top.name" . }}
tpl: {{ tpl .Values.tplText . }}
tplDefine: {{ tpl "{{ define \"inner\" }}in{{ end }}{{ include \"inner\" . }}" . }}
template: {{ .Template.Name }} {{ .Template.BasePath }}
root: {{ .Chart.IsRoot }} {{ .Chart.Version }}
missing: [{{ .Values.nope }}] [{{ .Values.sub.nope }}]
subchart: {{ .Subcharts.sub.Values.color }}
yaml: {{ toYaml .Values.list | nindent 2 }}
pretty: {{ toYamlPretty (dict "a" (list 1 2)) | nindent 2 }}
fromYaml: {{ (fromYaml "a: 1").a }} {{ (fromYaml ":bad").Error }}
fromYamlArray: {{ fromYamlArray "[1, 2]" }} {{ fromYamlArray "{" }}
json: {{ toJson .Values }} {{ (fromJson "{\"a\":2}").a }} {{ fromJsonArray "[3]" }} {{ (fromJson "nope").Error }}
toml: {{ toToml (dict "a" 1) | quote }} {{ (fromToml "a = 5").a }}
files: {{ .Files.Get "files/a.txt" | quote }} {{ .Files.GetBytes "files/b.cfg" | len }} {{ .Files.Lines "files/a.txt" }}
glob: {{ .Files.Glob "files/*.txt" | len }} {{ (.Files.Glob "files/*").AsConfig | nindent 2 }}
secrets: {{ (.Files.Glob "files/*").AsSecrets | nindent 2 }}
lookup: {{ lookup "v1" "Secret" "ns" "n" | len }}
dns: [{{ getHostByName "example.com" }}]
rec: {{ include "top.rec" (list) }}
shadow: {{ include "top.shadow" . }}
lib: {{ include "lib.hello" . }}
ca: {{ $ca := genCA "ca" 3 }}{{ $ca.Cert | nindent 2 }}{{ $ca.Key | nindent 2 }}
signed: {{ (genSignedCert "svc" nil (list "svc.ns") 3 $ca).Cert | nindent 2 }}
self: {{ (genSelfSignedCert "self" nil nil 3).Key | nindent 2 }}
keys: {{ genPrivateKey "ecdsa" | nindent 2 }}{{ genPrivateKey "ed25519" | nindent 2 }}
required: {{ required "set greeting" .Values.greeting }}
mutate: {{ range until 4 }}{{ $m := fromYaml "a: {b: 1}" }}{{ $_ := set $m.a "b" 2 }}{{ (fromYaml "a: {b: 1}").a.b }}{{ $j := fromJson "{\"c\": {}}" }}{{ $_ := set $j.c "d" 1 }}{{ len (fromJson "{\"c\": {}}").c }}{{ end }}
regex: {{ regexMatch "^h.$" .Values.greeting }} {{ regexMatch "(" "x" }} {{ mustRegexMatch "^y" .Values.greeting }} {{ regexFindAll "[a-z]" "a1b2" -1 }} {{ mustRegexFindAll "[0-9]" "a1b2" 1 }}
regex2: {{ regexFind "b+" "abbbc" }} {{ mustRegexFind "c" "abc" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ mustRegexReplaceAll "a" "banana" "o" }}
regex3: {{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }} {{ mustRegexReplaceAllLiteral "n" "banana" "$" }} {{ regexSplit "z+" "pizza" -1 }} {{ mustRegexSplit "a" "banana" 2 }}
`,
	"templates/NOTES.txt": "notes for {{ .Release.Name }}",
	"../sub/Chart.yaml":   "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
	"../sub/values.yaml":  "color: blue\n",
	"../sub/templates/cm.yaml": `sub: {{ .Values.color }} {{ .Template.Name }} {{ .Chart.IsRoot }} {{ include "top.shadow" . }}
{{ .Values.global | toJson }}`,
	"../sub/templates/_shadow.tpl":  `{{- define "top.shadow" -}}sub loses{{- end -}}`,
	"../lib/Chart.yaml":             "apiVersion: v2\nname: lib\ntype: library\nversion: 0.1.0\n",
	"../lib/templates/_lib.tpl":     `{{- define "lib.hello" -}}hello from {{ .Chart.Name }}{{- end -}}`,
	"../lib/templates/skipped.yaml": "a library's non-partial template is not rendered: {{ fail \"rendered\" }}",
}

func TestEngineMatchesHelm(t *testing.T) {
	root := writeChart(t, prefixed("top/", engineChart))
	dir := filepath.Join(root, "top")
	for name, values := range map[string]map[string]interface{}{
		"defaults":        nil,
		"overrides":       {"greeting": "yo", "sub": map[string]interface{}{"color": "green"}},
		"required fails":  {"greeting": ""},
		"tpl parse error": {"tplText": "{{ .Values.greeting "},
		"tpl exec error":  {"tplText": `{{ fail "from tpl" }}`},
		"tpl include":     {"tplText": `{{ include "lib.hello" . }} {{ tpl "{{ .Values.greeting }}" . }}`},
		"type error":      {"list": "not a list", "tplText": `{{ index .Values.list 3 }}`},
	} {
		t.Run(name, func(t *testing.T) {
			helm, ours := renderBoth(t, dir, values)
			if os.Getenv("SHOW") != "" {
				t.Log(helm)
			}
			require.Equal(t, helm, ours)
			if !strings.HasSuffix(name, "error") && !strings.HasSuffix(name, "fails") {
				require.NotContains(t, helm, "ERROR")
			}
			require.NotContains(t, ours, "not implemented")
		})
	}
	// Templates that fail to parse, fail and recurse forever fail with Helm's words.
	for name, body := range map[string]string{
		"parse error": "{{ .Values.x ",
		"fail":        `{{ fail "stop here" }}`,
		"required":    `{{ required "need x" .Values.x }}`,
		"recursion":   `{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}`,
		"nil pointer": `{{ .Values.a.b.c }}`,
		"bad call":    `{{ include "nope" . }}`,
		"bad regex":   `{{ regexFind "(" "x" }}`,
		"bad must":    `{{ mustRegexReplaceAll "[" "x" "y" }}`,
		"bad split":   `{{ regexSplit "a" "banana" "x" }}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeChart(t, map[string]string{"Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n", "templates/t.yaml": body})
			helm, ours := renderBoth(t, dir, nil)
			require.True(t, strings.HasPrefix(helm, "ERROR: "), helm)
			require.Equal(t, helm, ours)
		})
	}
}

func prefixed(p string, m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[filepath.Clean(p+k)] = v
	}
	return out
}

func TestParsedSetIsReusedAndRenewedWhenATemplateChanges(t *testing.T) {
	dir := writeChart(t, map[string]string{"Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n", "templates/t.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata: {v: '{{ .Values.v }}'}"})
	ch, err := Load(dir)
	require.NoError(t, err)
	c, top, err := RenderValues(ch, Options{Values: map[string]interface{}{"v": 1}})
	require.NoError(t, err)
	tpls := allTemplates(c, top)
	_, set := parsedFor(tpls, false)
	_, again := parsedFor(tpls, false)
	require.Same(t, set, again)
	ch.Templates[0].Data = []byte("kind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\ndata: {v: '{{ .Values.v }}'}")
	res, err := Render(ch, Options{Values: map[string]interface{}{"v": 2}})
	require.NoError(t, err)
	require.Equal(t, []string{"ConfigMap/default/b"}, res.Keys())
}

var _ = engine.Render
