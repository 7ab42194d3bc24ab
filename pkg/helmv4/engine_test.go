package helmv4

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// engineChart exercises what Helm v4's engine adds over text/template and sprig, in a chart with a
// subchart and a library under charts/.
var engineChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: top\nversion: 1.2.3\n",
	"values.yaml": "greeting: hi\ntplText: '{{ .Values.greeting }}-{{ include \"top.name\" . }}'\nlist: [a, b]\nsub: {color: red}\nwait: 2m\n",
	"files/a.txt": "line1\nline2\n",
	"files/b.cfg": "k=v",
	"templates/_helpers.tpl": `{{- define "top.name" -}}{{ .Chart.Name }}-{{ .Values.greeting }}{{- end -}}
{{- define "top.shadow" -}}top wins{{- end -}}
{{- define "top.rec" -}}{{ if lt (len .) 3 }}{{ include "top.rec" (append . "x") }}{{ else }}{{ . }}{{ end }}{{- end -}}
{{- define "top.loop" -}}{{ include "top.loop" . }}{{- end -}}`,
	"templates/all.yaml": `name: {{ include "top.name" . }}
tpl: {{ tpl .Values.tplText . }}
tplDefine: {{ tpl "{{ define \"inner\" }}in-{{ .Values.greeting }}{{ end }}{{ include \"inner\" . }}" . }}
tplMissing: [{{ tpl "{{ .Values.nope }}" . }}]
template: {{ .Template.Name }} {{ .Template.BasePath }}
root: {{ .Chart.IsRoot }} {{ .Chart.Version }} [{{ .Chart.nope }}]
missing: [{{ .Values.nope }}] [{{ .Values.sub.nope }}] [{{ .Files.nope }}]
subchart: {{ .Subcharts.sub.Values.color }}
v4: {{ mustToYaml (dict "a" 1) }} {{ durationSeconds .Values.wait }} {{ durationMinutes 90 }} {{ mustToToml (dict "b" 2) | quote }}
yaml: {{ toYaml .Values.list | nindent 2 }}
fromYaml: {{ (fromYaml "a: 1").a }} {{ (fromYaml ":bad").Error }} {{ fromYamlArray "[1, 2]" }}
json: {{ toJson .Values.list }} {{ (fromJson "{\"a\":2}").a }} {{ fromJsonArray "[3]" }} {{ (fromJson "nope").Error }}
mutate: {{ range until 3 }}{{ $m := fromYaml "a: {b: 1}" }}{{ $_ := set $m.a "b" 2 }}{{ (fromYaml "a: {b: 1}").a.b }}{{ end }}
files: {{ .Files.Get "files/a.txt" | quote }} {{ .Files.Lines "files/a.txt" }} {{ (.Files.Glob "files/*").AsConfig | nindent 2 }}
lookup: {{ lookup "v1" "Secret" "ns" "n" | len }}
dns: [{{ getHostByName "localhost" }}]
rec: {{ include "top.rec" (list) }}
shadow: {{ include "top.shadow" . }}
lib: {{ include "lib.hello" . }}
regex: {{ regexMatch "^h.$" .Values.greeting }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexMatch "(" "x" }}
ca: {{ $ca := genCA "ca" 3 }}{{ $ca.Cert | nindent 2 }}
signed: {{ (genSignedCert "svc" nil (list "svc.ns") 3 $ca).Cert | nindent 2 }}
key: {{ genPrivateKey "ecdsa" | nindent 2 }}
required: {{ required "set greeting" .Values.greeting }}
{{- if .Values.doFail }}{{ fail "told to fail" }}{{ end }}
{{- if .Values.loop }}{{ include "top.loop" . }}{{ end }}
{{- if .Values.badInclude }}{{ include "nosuch" . }}{{ end }}
{{- if .Values.badTpl }}{{ tpl "{{ include \"nosuch\" . }}" . }}{{ end }}
`,
	"templates/NOTES.txt":                   "notes for {{ .Release.Name }}",
	"charts/sub/Chart.yaml":                 "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
	"charts/sub/values.yaml":                "color: blue\n",
	"charts/sub/templates/cm.yaml":          `sub: {{ .Values.color }} {{ .Template.Name }} {{ .Chart.IsRoot }} {{ include "top.shadow" . }}`,
	"charts/sub/templates/_shadow.tpl":      `{{- define "top.shadow" -}}sub loses{{- end -}}`,
	"charts/lib/Chart.yaml":                 "apiVersion: v2\nname: lib\ntype: library\nversion: 0.1.0\n",
	"charts/lib/templates/_lib.tpl":         `{{- define "lib.hello" -}}hello from {{ .Chart.Name }}{{- end -}}`,
	"charts/lib/templates/not-partial.yaml": "a library's non-partial template is not rendered: {{ fail \"rendered\" }}",
}

// writeChart writes files (path → content) under a new directory and loads it with Load.
func writeChart(t *testing.T, files map[string]string) *chart.Chart {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	ch, err := Load(dir)
	require.NoError(t, err)
	return ch
}

var pemBlock = regexp.MustCompile(`-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END ([A-Z ]+)-----`)

// renderWith renders ch with values through the engine opts select: the files joined in name order
// (PEM blocks as their type: Helm makes new keys every time), or "ERROR: " and the error.
func renderWith(t *testing.T, ch *chart.Chart, values map[string]any, opts chartrender.Options) string {
	t.Helper()
	opts.Values = values
	opts.ReleaseName, opts.Namespace = "rel", "apps"
	c, top, err := RenderValues(ch, opts)
	require.NoError(t, err)
	files, err := RenderTemplates(c, top, opts)
	if err != nil {
		return "ERROR: " + err.Error()
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "== %s\n%s\n", n, files[n])
	}
	return pemBlock.ReplaceAllString(b.String(), "<PEM $1>")
}

// renderBoth renders ch with values through Helm v4's engine.Engine{} and through the parse-once engine.
func renderBoth(t *testing.T, ch *chart.Chart, values map[string]any) (helm, ours string) {
	t.Helper()
	return renderWith(t, ch, values, chartrender.Options{Engine: chartrender.EngineHelm}),
		renderWith(t, ch, values, chartrender.Options{})
}

// Every case renders identically through Helm v4's engine and ours, the failing ones with the same
// error, word for word; the expected pieces pin what each case is about, so neither engine passes by
// failing the same wrong way.
func TestEngineMatchesHelmV4(t *testing.T) {
	ch := writeChart(t, engineChart)
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"defaults", nil, []string{
			"name: top-hi\n", "tpl: hi-top-hi\n", "tplDefine: in-hi\n", "tplMissing: []\n",
			"template: top/templates/all.yaml top/templates\n", "root: true 1.2.3 []\n",
			"missing: [] [] [[]]\n", // .Files is a typed map: missingkey=zero prints its zero value
			"subchart: red\n", "v4: a: 1 120 1.5 \"b = 2\\n\"\n", "mutate: 111\n", "lookup: 0\n", "dns: []\n",
			"rec: [x x x]\n", "shadow: top wins\n", "lib: hello from top\n", "regex: true -W-xxW- false\n",
			"sub: red top/charts/sub/templates/cm.yaml false top wins", "notes for rel", "required: hi",
		}},
		{"required fails", map[string]any{"greeting": ""}, []string{"ERROR: execution error at (top/templates/all.yaml:", "): set greeting"}},
		{"fail", map[string]any{"doFail": true}, []string{"ERROR: execution error at (top/templates/all.yaml:", "): told to fail"}},
		{"include recursion limit", map[string]any{"loop": true}, []string{"ERROR: ", "rendering template has a nested reference name: top.loop: unable to execute template"}},
		// v4's reformatExecErrorMsg: one line per template location, when it can parse the chain
		{"include of a missing template", map[string]any{"badInclude": true}, []string{"ERROR: top/templates/all.yaml:27:31\n  executing \"top/templates/all.yaml\" at <include \"nosuch\" .>:\n    error calling include:\ntemplate: no template \"nosuch\" associated with template \"gotpl\""}},
		{"tpl failing", map[string]any{"badTpl": true}, []string{"ERROR: template: top/templates/all.yaml:28:27: executing", "error calling tpl: error during tpl function execution for \"{{ include \\\"nosuch\\\" . }}\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			helm, ours := renderBoth(t, ch, tc.values)
			require.Equal(t, helm, ours)
			for _, w := range tc.want {
				require.Contains(t, ours, w)
			}
		})
	}
}

// Renderings reuse one clone of the parsed set per worker (chartrender.ParsedSet.Acquire): a
// rendering after a failed one, after one stopped by the include recursion limit, after a tpl that
// defined a template, must still render as a fresh clone does (Helm's engine, which clones nothing
// and parses everything every time), one at a time and from many goroutines at once.
func TestReusedClonesRenderAsFreshOnes(t *testing.T) {
	ch := writeChart(t, engineChart)
	cases := []map[string]any{nil, {"loop": true}, nil, {"doFail": true}, {"badTpl": true}, nil, {"greeting": ""}, nil}
	want := make([]string, len(cases))
	for i, v := range cases {
		want[i] = renderWith(t, ch, v, chartrender.Options{Engine: chartrender.EngineHelm})
	}
	for round := 0; round < 3; round++ {
		for i, v := range cases {
			require.Equal(t, want[i], renderWith(t, ch, v, chartrender.Options{}), "round %d, case %d", round, i)
		}
	}
	var wg sync.WaitGroup
	got := make([][]string, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cases {
				c := (i + g) % len(cases)
				got[g] = append(got[g], fmt.Sprint(c)+"\x00"+renderWith(t, ch, cases[c], chartrender.Options{}))
			}
		}()
	}
	wg.Wait()
	for _, rs := range got {
		for _, r := range rs {
			i, out, _ := strings.Cut(r, "\x00")
			n, _ := strconv.Atoi(i)
			require.Equal(t, want[n], out)
		}
	}
}

// A template that does not parse fails with Helm v4's parse error, in both engines.
func TestParseErrorsAsHelmV4(t *testing.T) {
	ch := writeChart(t, map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: p\nversion: 0.1.0\n",
		"templates/a.yaml": "a: {{ if }}\n",
		"templates/b.yaml": "b: {{ .Values.x \n",
	})
	helm, ours := renderBoth(t, ch, nil)
	require.Equal(t, helm, ours)
	require.Regexp(t, `^ERROR: parse error at \(p/templates/[ab]\.yaml:\d+\): `, ours)
}

// The parsed set is taken from the cache while the templates are the same, and parsed again when a
// template's Data is replaced.
func TestParsedSetIsReusedAndRenewedWhenATemplateChanges(t *testing.T) {
	ch := writeChart(t, map[string]string{"Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n", "templates/t.yaml": "name: a-{{ .Values.v }}"})
	c, top, err := RenderValues(ch, chartrender.Options{Values: map[string]any{"v": 1}})
	require.NoError(t, err)
	tpls := allTemplates(c, top)
	_, set := parsed(tpls, false)
	_, again := parsed(tpls, false)
	_, realSet := parsed(tpls, true)
	require.Same(t, set, again)
	require.NotSame(t, set, realSet, "pooled and real crypto are separate sets")
	require.Contains(t, renderWith(t, ch, map[string]any{"v": 2}, chartrender.Options{}), "name: a-2")
	ch.Templates[0].Data = []byte("name: b-{{ .Values.v }}")
	require.Contains(t, renderWith(t, ch, map[string]any{"v": 3}, chartrender.Options{}), "name: b-3")
}

var cryptoChart = map[string]string{
	"Chart.yaml": "apiVersion: v2\nname: tls\nversion: 0.1.0\n",
	"templates/tls.yaml": `{{- $ca := genCA "ca" 30 }}{{ $cert := genSignedCert "svc" nil (list "svc.apps") 30 $ca -}}
ca: {{ $ca.Cert | b64enc }}
cert: {{ $cert.Cert | b64enc }}
key: {{ $cert.Key | b64enc }}
self: {{ (genSelfSignedCert "self" nil nil 30).Key | b64enc }}
priv: {{ genPrivateKey "rsa" | b64enc }}
`,
}

// renderCrypto renders cryptoChart and returns its fields, decoded.
func renderCrypto(t *testing.T, ch *chart.Chart, opts chartrender.Options) map[string]string {
	t.Helper()
	c, top, err := RenderValues(ch, opts)
	require.NoError(t, err)
	files, err := RenderTemplates(c, top, opts)
	require.NoError(t, err)
	out := map[string]string{}
	re := regexp.MustCompile(`(?m)^(\w+): (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(files["tls/templates/tls.yaml"], -1) {
		b, err := decodeB64(m[2])
		require.NoError(t, err)
		out[m[1]] = b
	}
	require.Len(t, out, 5)
	return out
}

// With the key pool, genCA and genSignedCert still give a CA and a certificate it signed, for the
// names asked; the keys repeat between renders. RealCrypto makes fresh keys on every render, as Helm.
func TestKeyPoolGivesValidCertificatesAndRealCryptoFreshKeys(t *testing.T) {
	ch := writeChart(t, cryptoChart)
	pooled := renderCrypto(t, ch, chartrender.Options{})
	caBlock, _ := pem.Decode([]byte(pooled["ca"]))
	require.NotNil(t, caBlock)
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	require.NoError(t, err)
	require.True(t, ca.IsCA)
	certBlock, _ := pem.Decode([]byte(pooled["cert"]))
	require.NotNil(t, certBlock)
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "svc.apps", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	require.NoError(t, err, "the signed certificate verifies against the CA")
	keyBlock, _ := pem.Decode([]byte(pooled["key"]))
	require.NotNil(t, keyBlock)
	key, err := x509.ParsePKCS1PrivateKey(keyBlock.Bytes)
	require.NoError(t, err)
	require.True(t, key.PublicKey.Equal(cert.PublicKey), "the key is the certificate's")

	again := renderCrypto(t, ch, chartrender.Options{})
	require.Equal(t, pooled["key"], again["key"], "the pool gives the same name the same key")
	real1, real2 := renderCrypto(t, ch, chartrender.Options{RealCrypto: true}), renderCrypto(t, ch, chartrender.Options{RealCrypto: true})
	for _, k := range []string{"key", "self", "priv"} {
		require.NotEqual(t, real1[k], real2[k], "RealCrypto makes a fresh %s, as Helm does", k)
		require.NotEqual(t, pooled[k], real1[k], "RealCrypto's %s is not the pool's", k)
	}
}

func decodeB64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

// A //go:linkname declaration is not type-checked against its target: each one in engine.go must
// declare the very signature Helm v4's pkg/engine (in the module cache) defines, so a Helm upgrade
// that changes one fails here rather than at run time.
func TestLinknamedFunctionsMatchHelmV4(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "helm.sh/helm/v4").Output()
	require.NoError(t, err)
	dir := filepath.Join(strings.TrimSpace(string(out)), "pkg", "engine")
	var helmSrc strings.Builder
	for _, f := range []string{"engine.go", "funcs.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		helmSrc.Write(b)
	}
	ours, err := os.ReadFile("engine.go")
	require.NoError(t, err)
	decls := regexp.MustCompile(`//go:linkname (\w+) helm\.sh/helm/v4/pkg/engine\.(\w+)\nfunc \w+(\(.*)\n`).FindAllStringSubmatch(string(ours), -1)
	require.Len(t, decls, 4, "the linknamed functions of engine.go")
	for _, d := range decls {
		if want := "\nfunc " + d[2] + d[3] + " {"; !strings.Contains(helmSrc.String(), want) {
			t.Errorf("Helm v4's pkg/engine has no %q: the //go:linkname declaration of %s does not match it", strings.TrimSpace(want), d[1])
		}
	}
}
