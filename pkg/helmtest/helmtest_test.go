package helmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

const operator = "../../charts/operator"

func operatorChecks(t *testing.T) matrix.CheckConfig {
	spec, err := matrix.LoadSpec("../../tests/matrix/operator.yaml")
	require.NoError(t, err)
	return spec.Checks
}

func namespacesOf[T interface{ GetNamespace() string }](objs []T) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetNamespace())
	}
	return out
}

// SetValues as helm --set: a namespace-scoped operator watching team-a renders Roles there and no
// cluster-scoped RBAC, and passes every check the operator's spec holds it to.
func TestRenderTemplateWithSetValues(t *testing.T) {
	out := RenderTemplate(t, &Options{Namespace: "operators", SetValues: map[string]string{
		"rbac.namespaceScoped": "true", "rbac.watchNamespaces": "{team-a}"}}, operator, "rel", nil)
	require.Empty(t, ClusterRoles(out))
	require.Empty(t, ClusterRoleBindings(out))
	require.Contains(t, namespacesOf(Roles(out)), "team-a")
	require.Contains(t, namespacesOf(RoleBindings(out)), "team-a")
	dep := ObjectByName[*appsv1.Deployment](t, out, "rel-operator")
	require.Equal(t, "rel-operator", dep.Spec.Template.Spec.ServiceAccountName)
	require.Len(t, ServiceAccounts(out), 1)
	require.Len(t, Deployments(out), 1)
	ObjectByName[*corev1.ServiceAccount](t, out, "operators/rel-operator") // the release namespace
	RequireNoViolations(t, out, operatorChecks(t))

	cluster := RenderTemplate(t, &Options{Namespace: "operators"}, operator, "rel", nil)
	require.NotEmpty(t, ClusterRoles(cluster), "the default operator watches the cluster")
	require.NotEmpty(t, ClusterRoleBindings(cluster))
}

// ValuesFiles merge in order (later wins) under SetValues; SetStrValues keeps a string a string;
// SetJsonValues takes JSON.
func TestRenderTemplateMergesValuesAsHelmDoes(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	require.NoError(t, os.WriteFile(a, []byte("fullnameOverride: from-a\nrbac: {namespaceScoped: true, watchNamespaces: [team-a]}\n"), 0o644))
	require.NoError(t, os.WriteFile(b, []byte("fullnameOverride: from-b\n"), 0o644))
	out := RenderTemplate(t, &Options{ValuesFiles: []string{a, b}}, operator, "rel", nil)
	ObjectByName[*appsv1.Deployment](t, out, "from-b")
	require.Empty(t, ClusterRoles(out), "a.yaml's namespaceScoped is kept under b.yaml")

	out = RenderTemplate(t, &Options{ValuesFiles: []string{a}, SetValues: map[string]string{"fullnameOverride": "from-set"}}, operator, "rel", nil)
	ObjectByName[*appsv1.Deployment](t, out, "from-set")

	out = RenderTemplate(t, &Options{SetStrValues: map[string]string{"fullnameOverride": "1234"}}, operator, "rel", nil)
	ObjectByName[*corev1.ServiceAccount](t, out, "1234")

	out = RenderTemplate(t, &Options{Namespace: "operators", SetJsonValues: map[string]string{
		"rbac": `{"namespaceScoped": true, "watchNamespaces": ["team-a", "team-b"]}`}}, operator, "rel", nil)
	require.Subset(t, namespacesOf(RoleBindings(out)), []string{"team-a", "team-b"})
	ObjectByName[*rbacv1.RoleBinding](t, out, "team-b/rel-operator")
}

// Show-only templates as helm -s: only their documents, globs allowed, a template that does not
// exist is helm's error. Bad input fails with what is wrong.
func TestRenderTemplateShowOnlyAndErrors(t *testing.T) {
	out := RenderTemplate(t, nil, operator, "rel", []string{"templates/deployment.yaml"})
	require.Len(t, out.Manifests, 1)
	require.Equal(t, "operator/templates/deployment.yaml", out.Manifests[0].Name)
	require.Len(t, Deployments(out), 1)
	require.Empty(t, ServiceAccounts(out))
	require.True(t, strings.HasPrefix(out.String(), "---\n# Source: operator/templates/deployment.yaml\n"), out.String())

	glob := RenderTemplate(t, nil, operator, "rel", []string{"templates/rbac*"})
	require.NotEmpty(t, glob.Manifests)
	for _, m := range glob.Manifests {
		require.Equal(t, "operator/templates/rbac.yaml", m.Name)
	}

	_, err := RenderTemplateE(nil, operator, "rel", []string{"templates/nope.yaml"})
	require.EqualError(t, err, "could not find template templates/nope.yaml in chart")
	_, err = RenderTemplateE(nil, operator, "Bad_Name", nil)
	require.ErrorContains(t, err, `release name "Bad_Name": invalid release name`)
	_, err = RenderTemplateE(&Options{SetValues: map[string]string{"rbac.namespaceScoped": "true", "registryAPI.clusterScoped": "true"}}, operator, "rel", nil)
	require.ErrorContains(t, err, "cannot be combined with registryAPI.clusterScoped=true")
	_, err = RenderTemplateE(&Options{ValuesFiles: []string{"missing.yaml"}}, operator, "rel", nil)
	require.ErrorContains(t, err, "missing.yaml")
	_, err = RenderTemplateE(nil, "no-such-chart", "rel", nil)
	require.ErrorContains(t, err, "no-such-chart")
}

// Objects outside the kinds the checks read are decoded in full too, so tests can assert on them.
func TestEveryObjectIsTyped(t *testing.T) {
	out := RenderTemplate(t, &Options{SetValues: map[string]string{"metrics.enabled": "true"}}, "../../tests/fixtures/zero-config", "rel", nil)
	metrics := ObjectByName[*corev1.Service](t, out, "rel-metrics")
	require.Equal(t, int32(8080), metrics.Spec.Ports[0].Port)
	manifests := DecodeManifests(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n", "apps")
	svc := ObjectByName[*corev1.Service](t, manifests, "apps/web")
	require.Equal(t, int32(80), svc.Spec.Ports[0].Port)
}

// The exported decoder reads what helm template prints back into the same objects.
func TestDecodeManifestsReadsRenderedOutput(t *testing.T) {
	out := RenderTemplate(t, &Options{Namespace: "operators"}, operator, "rel", nil)
	back := DecodeManifests(t, out.String(), "operators")
	require.Equal(t, out.Keys(), back.Keys())
	require.Equal(t, len(ClusterRoles(out)), len(ClusterRoles(back)))
}

// recorder is a testing.TB that records failures instead of stopping the test.
type recorder struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...interface{}) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprint(args...))
}
func (r *recorder) Fatalf(f string, a ...interface{}) { r.Fatal(fmt.Sprintf(f, a...)) }
func (r *recorder) Logf(f string, a ...interface{})   { r.msgs = append(r.msgs, fmt.Sprintf(f, a...)) }

func TestRequireNoViolationsFailsListingTheFindings(t *testing.T) {
	out := RenderTemplate(t, &Options{Namespace: "apps", SetValues: map[string]string{"rbac.create": "true", "clusterWide": "false"}},
		"../../tests/fixtures/gated-binding", "rel", nil)
	rec := &recorder{TB: t}
	RequireNoViolations(rec, out)
	require.True(t, rec.failed, "a binding to a ClusterRole that is not rendered fails the test")
	require.Len(t, rec.msgs, 1)
	require.Contains(t, rec.msgs[0], "error [orphaned-binding]")
	require.Contains(t, rec.msgs[0], "template: gated-binding/templates/all.yaml")
	require.Contains(t, rec.msgs[0], "fix: ")

	ok := RenderTemplate(t, &Options{Namespace: "apps", SetValues: map[string]string{"rbac.create": "true", "clusterWide": "true"}},
		"../../tests/fixtures/gated-binding", "rel", nil)
	rec = &recorder{TB: t}
	RequireNoViolations(rec, ok)
	require.False(t, rec.failed, "%v", rec.msgs)

	// A suppression in the checks config is honoured: the operator's workload-create is declared.
	op := RenderTemplate(t, nil, operator, "rel", nil)
	rec = &recorder{TB: t}
	RequireNoViolations(rec, op)
	require.True(t, rec.failed, "without the spec's suppression the operator's Deployment creation is a finding")
	require.Contains(t, rec.msgs[0], "[workload-create]")
	rec = &recorder{TB: t}
	RequireNoViolations(rec, op, operatorChecks(t))
	require.False(t, rec.failed, "%v", rec.msgs)
}

// ObjectByName fails the test naming what was rendered when the name is not there.
func TestObjectByNameFailsListingWhatIsThere(t *testing.T) {
	out := RenderTemplate(t, nil, operator, "rel", nil)
	rec := &recorder{TB: t}
	ObjectByName[*appsv1.Deployment](rec, out, "nope")
	require.True(t, rec.failed)
	require.Contains(t, rec.msgs[0], `no Deployment named "nope" rendered; Deployment rendered: [default/rel-operator]`)
}
