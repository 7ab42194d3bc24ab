package matrix_test

import (
	"context"
	"fmt"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// Render the operator chart over two flags and report each combination.
func Example() {
	spec := &matrix.Spec{
		Chart:   "../../charts/operator",
		Release: matrix.Release{Name: "ops", Namespace: "operators"},
		Axes: []matrix.Axis{
			{Path: "rbac.namespaceScoped", Values: []interface{}{false, true}},
			{Path: "registryAPI.clusterScoped", Values: []interface{}{false, true}},
		},
		Checks: matrix.CheckConfig{Suppress: map[string]string{"workload-create": "the operator runs Deployments"}},
	}
	ch, err := chartrender.Load(spec.ChartPath())
	if err != nil {
		panic(err)
	}
	combos, _ := matrix.Expand(spec)
	for _, o := range matrix.Render(context.Background(), ch, combos, 0) {
		r := spec.Checks.Evaluate(o)
		fmt.Printf("%s: objects=%d errors=%d\n", r.Name, r.Objects, r.Errors())
	}
	// Output:
	// rbac.namespaceScoped=false registryAPI.clusterScoped=false: objects=7 errors=0
	// rbac.namespaceScoped=false registryAPI.clusterScoped=true: objects=9 errors=0
	// rbac.namespaceScoped=true registryAPI.clusterScoped=false: objects=7 errors=0
	// rbac.namespaceScoped=true registryAPI.clusterScoped=true: objects=0 errors=1
}
