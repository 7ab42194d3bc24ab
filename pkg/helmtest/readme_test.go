package helmtest_test

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"os"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/helmtest"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// The README's "from terratest" test, as it is printed there.
func TestNamespaceScopedOperator(t *testing.T) {
	options := &helmtest.Options{
		Namespace: "operators",
		SetValues: map[string]string{"rbac.namespaceScoped": "true", "rbac.watchNamespaces": "{team-a}"},
	}
	out := helmtest.RenderTemplate(t, options, "../../charts/operator", "rel", nil)

	deployment := helmtest.Deployments(out)[0]
	if got := deployment.Spec.Template.Spec.ServiceAccountName; got != "rel-operator" {
		t.Errorf("serviceAccountName %q", got)
	}
	if n := len(helmtest.ClusterRoles(out)); n != 0 {
		t.Errorf("a namespace-scoped operator renders %d ClusterRoles", n)
	}
	role := helmtest.ObjectByName[*rbacv1.Role](t, out, "team-a/rel-operator")
	if len(role.Rules) == 0 {
		t.Error("the Role in team-a grants nothing")
	}
	spec, err := matrix.LoadSpec("../../tests/matrix/operator.yaml") // its suppressions
	if err != nil {
		t.Fatal(err)
	}
	helmtest.RequireNoViolations(t, out, spec.Checks)
}

// The README prints TestNamespaceScopedOperator as it is in this file.
func TestREADMEShowsTheTestAsItIs(t *testing.T) {
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "func TestNamespaceScopedOperator")
	end := strings.Index(string(src), "\n}\n") + 2
	if start < 0 || end < start || !strings.Contains(string(readme), string(src[start:end])) {
		t.Errorf("README.md's \"from terratest\" section lacks TestNamespaceScopedOperator as readme_test.go has it")
	}
}
