package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// heavyChart is tests/fixtures/heavy with its ~2 MB of CRDs written in, at dir.
type heavyChart struct {
	dir   string
	chart *chart.Chart
}

// heavyFixture copies tests/fixtures/heavy into a temp dir and adds templates/crds.yaml: heavyCRDs
// generated CustomResourceDefinitions, deterministic, about 2 MB together (so no megabytes are
// committed).
func heavyFixture(t testing.TB) heavyChart {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "heavy")
	if err := os.CopyFS(dir, os.DirFS("fixtures/heavy")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "templates", "crds.yaml"), []byte(heavyCRDs()), 0o644); err != nil {
		t.Fatal(err)
	}
	ch, err := chartrender.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return heavyChart{dir, ch}
}

const heavyCRDCount, heavyCRDFields = 40, 92

// heavyCRDs is heavyCRDCount CRDs, each with an openAPIV3Schema of heavyCRDFields described fields.
func heavyCRDs() string {
	var b strings.Builder
	for i := 0; i < heavyCRDCount; i++ {
		fmt.Fprintf(&b, `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets%[1]d.heavy.example.com
spec:
  group: heavy.example.com
  names: {kind: Widget%[1]d, listKind: Widget%[1]dList, plural: widgets%[1]d, singular: widget%[1]d}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
`, i)
		for f := 0; f < heavyCRDFields; f++ {
			fmt.Fprintf(&b, `                field%[1]d:
                  type: object
                  description: Field %[1]d of Widget%[2]d configures one aspect of the widget; it is here to make the schema as large as the CRDs real operators ship, whose descriptions run to paragraphs.
                  properties:
                    enabled: {type: boolean, description: Whether field %[1]d is on.}
                    mode: {type: string, enum: [auto, manual, off], description: How field %[1]d behaves.}
                    replicas: {type: integer, minimum: 0, maximum: 100}
`, f, i)
		}
	}
	return b.String()
}

// combos is every combination of the first n feature flags (2^n), the rest at their defaults.
func (h heavyChart) combos(n int) []matrix.Combination {
	out := make([]matrix.Combination, 0, 1<<n)
	for bits := 0; bits < 1<<n; bits++ {
		features := map[string]interface{}{}
		for f := 0; f < n; f++ {
			on := bits&(1<<f) != 0
			features[fmt.Sprintf("f%d", f)] = on
		}
		out = append(out, matrix.Combination{ReleaseName: "rel", Namespace: "apps", Values: map[string]interface{}{"features": features}})
	}
	return out
}

func TestHeavyFixtureIsHeavy(t *testing.T) {
	h := heavyFixture(t)
	if n := len(heavyCRDs()); n < 1_800_000 || n > 2_500_000 {
		t.Errorf("the heavy fixture's CRDs are %d bytes, want about 2 MB", n)
	}
	defines := 0
	for _, tpl := range h.chart.Templates {
		defines += strings.Count(string(tpl.Data), "{{- define ")
	}
	if defines < 100 {
		t.Errorf("the heavy fixture has %d named templates, want about a hundred", defines)
	}
	res, err := chartrender.Render(h.chart, chartrender.Options{ReleaseName: "rel", Namespace: "apps", Values: h.combos(10)[1023].Values})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range res.Objects {
		kinds[chartrender.Kind(o)]++
	}
	want := map[string]int{"CustomResourceDefinition": heavyCRDCount, "ConfigMap": 10, "Secret": 1, "ServiceAccount": 1, "Role": 1, "RoleBinding": 1, "Deployment": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("all flags on: %d %s, want %d (%v)", kinds[k], k, n, kinds)
		}
	}
	if roles := chartrender.RolesOf(res.Objects); len(roles) == 1 && len(roles[0].Rules) != 11 {
		t.Errorf("all flags on: the Role has %d rules, want 11", len(roles[0].Rules))
	}
}
