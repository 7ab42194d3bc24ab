package matrix_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	v4loader "helm.sh/helm/v4/pkg/chart/loader"
	v4chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// A Helm v4 SDK user passes the chart Helm v4's own loader gave: it renders with Helm v4.
func Example_helmV4Chart() {
	loaded, err := v4loader.Load("../../tests/fixtures/helm-v4-functions")
	if err != nil {
		panic(err)
	}
	ch := loaded.(*v4chart.Chart) // Helm v4's chart type, passed as it is
	spec := &matrix.Spec{Chart: "unused", Release: matrix.Release{Name: "rel", Namespace: "apps"},
		Axes: []matrix.Axis{{Path: "tokenTTL", Values: []interface{}{"1m", "1h"}}}}
	combos, _ := matrix.Expand(spec)
	for _, o := range matrix.Render(context.Background(), ch, combos, 1) {
		r := spec.Checks.Evaluate(o)
		fmt.Printf("%s: objects=%d errors=%d\n", r.Name, r.Objects, r.Errors())
	}
	// Output:
	// tokenTTL=1m: objects=5 errors=0
	// tokenTTL=1h: objects=5 errors=0
}

func fixtureCombos(t *testing.T) (*matrix.Spec, []matrix.Combination) {
	t.Helper()
	spec := &matrix.Spec{Chart: "../../tests/fixtures/helm-v4-functions", Release: matrix.Release{Name: "rel", Namespace: "apps"},
		Axes: []matrix.Axis{{Path: "tokenTTL", Values: []interface{}{"90s"}}}}
	combos, err := matrix.Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec, combos
}

// Either SDK's chart renders with either major; the default is the major of the SDK that loaded it,
// and RunOptions.Helm overrides it. A Helm v4 function fails under Helm v3 with a message that names
// Helm v4 and --helm v4 and a fix that does not blame the values.
func TestChartsOfBothSDKsRenderWithTheSelectedMajor(t *testing.T) {
	spec, combos := fixtureCombos(t)
	v4, err := matrix.LoadChart(spec.ChartPath(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v4.(*v4chart.Chart); !ok || matrix.HelmOf(v4) != matrix.HelmV4 {
		t.Fatalf("LoadChart with the default major gave %T", v4)
	}
	v3, err := matrix.LoadChart(spec.ChartPath(), matrix.HelmV3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		ch     matrix.Chart
		helm   string
		failV3 bool
	}{
		{"v4 chart, default major", v4, "", false},
		{"v3 chart, RunOptions.Helm v4", v3, matrix.HelmV4, false},
		{"v3 chart, default major", v3, "", true},
		{"v4 chart, RunOptions.Helm v3", v4, matrix.HelmV3, true},
	} {
		var got []matrix.Outcome
		err := matrix.RenderStream(context.Background(), tc.ch, func(yield func(matrix.Combination) bool) { yield(combos[0]) },
			matrix.RunOptions{Helm: tc.helm}, func(o matrix.Outcome) error { got = append(got, o); return nil })
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v, %d outcomes", tc.name, err, len(got))
		}
		o := got[0]
		if !tc.failV3 {
			if o.Err != nil || !strings.Contains(o.Result.Manifest(), `tokenExpirationSeconds: "90"`) {
				t.Errorf("%s: %v", tc.name, o.Err)
			}
			continue
		}
		if o.Err == nil {
			t.Errorf("%s: Helm v3 rendered mustToYaml", tc.name)
			continue
		}
		vs := spec.Checks.Evaluate(o).Violations
		if len(vs) != 1 || !strings.Contains(vs[0].Message, "mustToYaml is a Helm v4 template function") || !strings.Contains(vs[0].Message, "--helm v4") ||
			!strings.Contains(vs[0].Fix, "render with --helm v4") || strings.Contains(vs[0].Fix, "value") {
			t.Errorf("%s: %+v", tc.name, vs)
		}
	}
	if err := matrix.RenderStream(context.Background(), v4, nil, matrix.RunOptions{Helm: "v5"}, nil); err == nil || !strings.Contains(err.Error(), `"v5": the accepted values are v3 and v4`) {
		t.Errorf("RunOptions.Helm v5: %v", err)
	}
}

// Spec.Helm selects the loader: Helm v4's refuses a Chart.yaml with apiVersion v3, as helm template
// of Helm v4 does; Helm v3's loads it, as helm v3 does. A bad value is refused naming the field.
func TestSpecHelmSelectsTheLoader(t *testing.T) {
	spec := &matrix.Spec{Chart: "../../tests/fixtures/chart-apiversion-v3"}
	if _, err := spec.LoadChart(); err == nil || !strings.Contains(err.Error(), `apiVersion "v3"`) || !strings.Contains(err.Error(), "apiVersion: v2") {
		t.Errorf("default (v4) loaded an apiVersion v3 chart: %v", err)
	}
	spec.Helm = matrix.HelmV3
	ch, err := spec.LoadChart()
	if err != nil {
		t.Fatal(err)
	}
	if o := matrix.Render(context.Background(), ch, []matrix.Combination{{ReleaseName: "rel", Namespace: "apps"}}, 1)[0]; o.Err != nil || len(o.Result.Objects) != 1 {
		t.Errorf("Helm v3 did not render the apiVersion v3 chart: %v", o.Err)
	}
	spec.Helm = "4"
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), `helm "4": the accepted values are v3 and v4`) {
		t.Errorf("spec helm: 4 gave %v", err)
	}
}
