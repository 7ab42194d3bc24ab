package helmv4

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	v3chart "helm.sh/helm/v3/pkg/chart"
	v3engine "helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

const fixtures = "../../tests/fixtures/"

// Each of OnlyFuncs parses under Helm v4's engine and is undefined under Helm v3's.
func TestOnlyFuncsAreHelmV4Only(t *testing.T) {
	for _, f := range OnlyFuncs {
		tpl := []byte(fmt.Sprintf("{{ if false }}{{ %s }}{{ end }}", f))
		v4 := &chart.Chart{Metadata: &chart.Metadata{Name: "c", APIVersion: "v2", Version: "0.1.0"},
			Templates: []*common.File{{Name: "templates/x.yaml", Data: tpl}}}
		if _, err := engine.Render(v4, common.Values{"Values": map[string]any{}}); err != nil {
			t.Errorf("%s: Helm v4's engine: %v", f, err)
		}
		v3 := &v3chart.Chart{Metadata: &v3chart.Metadata{Name: "c", APIVersion: "v2", Version: "0.1.0"},
			Templates: []*v3chart.File{{Name: "templates/x.yaml", Data: tpl}}}
		_, err := v3engine.Render(v3, map[string]any{"Values": map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("function %q not defined", f)) {
			t.Errorf("%s: Helm v3's engine gave %v, want it undefined", f, err)
			continue
		}
		var e *V4FuncError
		if got := ExplainV3Error(err); got == nil || !strings.Contains(got.Error(), f+" is a Helm v4 template function") || !asV4(got, &e) || e.Func != f {
			t.Errorf("%s: ExplainV3Error = %v", f, got)
		}
	}
	for _, f := range []string{"nosuch", "mustToJson"} { // neither Helm has it; both have it (sprig's in v3)
		if err := ExplainV3Error(fmt.Errorf(`parse error: function %q not defined`, f)); asV4(err, new(*V4FuncError)) {
			t.Errorf("%s is blamed on Helm v3: %v", f, err)
		}
	}
}

func asV4(err error, target **V4FuncError) bool {
	e, ok := err.(*V4FuncError)
	if ok {
		*target = e
	}
	return ok
}

// The fixture using Helm v4's functions renders with Helm v4's values: 2h is 7200 seconds.
func TestRenderUsesHelmV4Functions(t *testing.T) {
	ch, err := Load(fixtures + "helm-v4-functions")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(ch, chartrender.Options{ReleaseName: "rel", Namespace: "apps", Values: map[string]any{"tokenTTL": "90s"}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest()
	for _, want := range []string{`tokenExpirationSeconds: "90"`, "settings.yaml: |\n    watch: all"} {
		if !strings.Contains(m, want) {
			t.Errorf("rendered manifest lacks %q:\n%s", want, m)
		}
	}
	if got := strings.Join(res.Keys(), " "); got != "ConfigMap/apps/rel-settings Deployment/apps/rel-app Role/apps/rel-app RoleBinding/apps/rel-app ServiceAccount/apps/rel-app" {
		t.Errorf("objects: %s", got)
	}
	if ch.Values["tokenTTL"] != "2h" {
		t.Errorf("Render changed the loaded chart's values: %v", ch.Values)
	}
}

// Helm v4 refuses a chart whose Chart.yaml says apiVersion v3 (helm template: "invalid chart
// apiVersion"); Load names the file, the apiVersion and the fix.
func TestLoadRefusesChartAPIVersionV3(t *testing.T) {
	_, err := Load(fixtures + "chart-apiversion-v3")
	if err == nil {
		t.Fatal("loaded a chart with apiVersion v3")
	}
	for _, want := range []string{"chart-apiversion-v3/Chart.yaml", `apiVersion "v3"`, "invalid chart apiVersion", "set `apiVersion: v2` in Chart.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// A chart converted to Helm v3's types and back is the same chart, and both render the same objects.
func TestConversionKeepsTheChart(t *testing.T) {
	ch, v3 := loadOperator(t)
	if back, _ := FromV3(v3); back != ch {
		t.Error("FromV3(ToV3(ch)) is not ch")
	}
	if len(v3.Dependencies()) != 1 || v3.Dependencies()[0].Name() != "workload-rbac" || len(v3.Templates) != len(ch.Templates) || v3.Metadata.Dependencies[0].Repository != ch.Metadata.Dependencies[0].Repository {
		t.Fatalf("converted chart differs: %d deps, %d templates", len(v3.Dependencies()), len(v3.Templates))
	}
	fresh, err := fromV3(v3) // not the cached original: a real conversion
	if err != nil {
		t.Fatal(err)
	}
	opts := chartrender.Options{ReleaseName: "rel", Namespace: "operators", Values: map[string]any{"rbac": map[string]any{"namespaceScoped": true}}}
	a, err := Render(ch, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(fresh, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chartrender.Render(v3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifest() != b.Manifest() || a.Manifest() != c.Manifest() || a.Notes != c.Notes {
		t.Errorf("renders differ after conversion")
	}
}

// OnlyFuncs is every key of Helm v4's funcMap (read from helm.sh/helm/v4's pkg/engine/funcs.go in the
// module cache) that Helm v3's engine does not know.
func TestOnlyFuncsIsComplete(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "helm.sh/helm/v4").Output()
	if err != nil {
		t.Fatalf("go list -m helm.sh/helm/v4: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "engine", "funcs.go"))
	if err != nil {
		t.Fatal(err)
	}
	body, _, _ := strings.Cut(string(src[strings.Index(string(src), "func funcMap()"):]), "\n}\n")
	var missing []string
	keys := regexp.MustCompile(`(?m)^\s+"([A-Za-z0-9_]+)":`).FindAllStringSubmatch(body, -1)
	if len(keys) < 20 {
		t.Fatalf("found %d funcMap keys in funcs.go: the file changed shape", len(keys))
	}
	for _, k := range keys {
		v3 := &v3chart.Chart{Metadata: &v3chart.Metadata{Name: "c", APIVersion: "v2", Version: "0.1.0"},
			Templates: []*v3chart.File{{Name: "templates/x.yaml", Data: []byte("{{ if false }}{{ " + k[1] + " }}{{ end }}")}}}
		if _, err := v3engine.Render(v3, map[string]any{"Values": map[string]any{}}); err != nil && !IsOnlyFunc(k[1]) {
			missing = append(missing, k[1])
		}
	}
	if len(missing) > 0 {
		t.Errorf("Helm v4 functions Helm v3 lacks, not in OnlyFuncs: %v", missing)
	}
}

// Helm v4 splits documents keeping the whitespace after each, so a block scalar that ends a document
// keeps its trailing newline (`helm4 template` prints it); Helm v3 trims it.
func TestDocumentsSplitAsHelmV4Does(t *testing.T) {
	ch, v3 := loadOperator(t)
	opts := chartrender.Options{ReleaseName: "rel", Namespace: "ops", Values: map[string]any{"rbac": map[string]any{"namespaceScoped": true, "watchNamespaces": []any{"team-a"}}}}
	rules := func(res *chartrender.Result, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Manifests {
			if m.Name == "operator/templates/registry-api-rules.yaml" {
				return m.Content
			}
		}
		t.Fatal("no registry-api-rules.yaml document")
		return ""
	}
	if got := rules(Render(ch, opts)); !strings.HasSuffix(got, "verbs: [\"create\",\"patch\"]\n") {
		t.Errorf("Helm v4 document does not end with the newline:\n%q", got[len(got)-40:])
	}
	if got := rules(chartrender.Render(v3, opts)); !strings.HasSuffix(got, "verbs: [\"create\",\"patch\"]") {
		t.Errorf("Helm v3 document is not trimmed:\n%q", got[len(got)-40:])
	}
}

// loadOperator loads charts/operator with Helm v4's loader, and its conversion to Helm v3's type.
func loadOperator(t *testing.T) (*chart.Chart, *v3chart.Chart) {
	t.Helper()
	ch, err := Load("../../charts/operator")
	if err != nil {
		t.Fatal(err)
	}
	v3, err := ToV3(ch)
	if err != nil {
		t.Fatal(err)
	}
	return ch, v3
}
