package tests

import (
	"testing"
	"time"

	tthelm "github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/workload-rbac/workload-rbac/pkg/helmtest"
)

// BenchmarkHelmtestVsTerratest times the render assertion a terratest user writes — render the
// operator's Deployment template with --set values and decode it — with terratest's
// helm.RenderTemplate (it forks the helm CLI) + helm.UnmarshalK8SYaml, and with pkg/helmtest's
// RenderTemplate + Deployments, in-process. Both check the same field; the ratio is reported.
func BenchmarkHelmtestVsTerratest(b *testing.B) {
	helm := helmCLI(b) // terratest runs "helm" from PATH; this skips with the reason when it is missing
	spec, _, _ := loadSpecChart(b, "matrix/operator.yaml")
	chart := spec.ChartPath()
	helmDependencyBuild(b, helm, chart)
	set := map[string]string{"rbac.namespaceScoped": "true", "rbac.watchNamespaces": "{team-a}"}
	show := []string{"templates/deployment.yaml"}
	const rounds = 10
	var forked, ours time.Duration
	for n := 0; n < b.N; n++ {
		t0 := time.Now()
		for i := 0; i < rounds; i++ {
			out := tthelm.RenderTemplate(b, &tthelm.Options{SetValues: set, Logger: logger.Discard,
				KubectlOptions: k8s.NewKubectlOptions("", "", "operators")}, chart, "rel", show)
			var dep appsv1.Deployment
			tthelm.UnmarshalK8SYaml(b, out, &dep)
			if dep.Spec.Template.Spec.ServiceAccountName != "rel-operator" {
				b.Fatalf("terratest: serviceAccountName %q", dep.Spec.Template.Spec.ServiceAccountName)
			}
		}
		forked += time.Since(t0)
		t0 = time.Now()
		for i := 0; i < rounds; i++ {
			out := helmtest.RenderTemplate(b, &helmtest.Options{SetValues: set, Namespace: "operators"}, chart, "rel", show)
			if dep := helmtest.Deployments(out); len(dep) != 1 || dep[0].Spec.Template.Spec.ServiceAccountName != "rel-operator" {
				b.Fatalf("helmtest: %v", dep)
			}
		}
		ours += time.Since(t0)
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*rounds) / 1e6 }
	b.ReportMetric(ms(forked), "ms/render-terratest")
	b.ReportMetric(ms(ours), "ms/render-helmtest")
	b.ReportMetric(ms(forked)/ms(ours), "x-faster")
}
