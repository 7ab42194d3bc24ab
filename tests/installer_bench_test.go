package tests

import (
	"context"
	"testing"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/installer"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// BenchmarkInstallerRBAC times `rbac-matrix installer-rbac` over the operator chart's full matrix
// (tests/matrix/operator.yaml): rendering every combination, deriving the installer RBAC, and proving it
// covers every combination. It reports the three phases per run and the number of derived rules.
//
//	go test ./tests/ -run '^$' -bench InstallerRBAC -benchtime 3x
func BenchmarkInstallerRBAC(b *testing.B) {
	spec, err := matrix.LoadSpec("matrix/operator.yaml")
	if err != nil {
		b.Fatal(err)
	}
	opts := installer.Options{ServiceAccount: rbaccheck.ServiceAccountRef{Namespace: "operators", Name: "installer"}}
	var render, derive, prove time.Duration
	rules, combos := 0, 0
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r, err := installer.RenderSpec(context.Background(), spec, 0)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := installer.Derive(r, opts)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if vs := res.Prove(r); len(vs) > 0 {
			b.Fatalf("the derivation does not cover the matrix: %v", vs[0])
		}
		render, derive, prove = render+t1.Sub(t0), derive+t2.Sub(t1), prove+time.Since(t2)
		rules, combos = res.RuleCount(), len(r.Releases)
	}
	n := float64(b.N)
	b.ReportMetric(float64(render.Milliseconds())/n, "render-ms/op")
	b.ReportMetric(float64(derive.Milliseconds())/n, "derive-ms/op")
	b.ReportMetric(float64(prove.Milliseconds())/n, "prove-ms/op")
	b.ReportMetric(float64(rules), "rules")
	b.ReportMetric(float64(combos), "combinations")
}
