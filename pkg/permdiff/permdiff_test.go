package permdiff

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

func model(objs ...runtime.Object) *rbaccheck.Model {
	return rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
}

var (
	sa       = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "ops"}}
	subjects = []rbacv1.Subject{{Kind: "ServiceAccount", Name: "op", Namespace: "ops"}}
)

func role(verbs ...string) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "team-a"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: verbs}}}
}

var roleBinding = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "team-a"},
	RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "op"}, Subjects: subjects}

func TestComputeSaysWhoGainsAndLosesWhatWhere(t *testing.T) {
	secrets := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "op-secrets"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "op-secrets"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "op-secrets"}, Subjects: subjects}
	a := model(sa, role("get", "watch"), roleBinding)
	b := model(sa, role("get", "list"), roleBinding, secrets, crb)
	d := Compute(a, b)
	require.Equal(t, "+ ServiceAccount ops/op gains get nodes cluster-wide\n"+
		"+ ServiceAccount ops/op gains get,list secrets in every namespace (risky: secrets-read)\n"+
		"+ ServiceAccount ops/op gains list configmaps in namespace team-a\n"+
		"- ServiceAccount ops/op loses watch configmaps in namespace team-a\n"+
		"+ object ClusterRole op-secrets\n"+
		"+ object ClusterRoleBinding op-secrets\n", d.Text())
	require.Len(t, d.RiskyGains(), 1)
	require.Equal(t, []string{"secrets-read"}, d.RiskyGains()[0].Risky)

	back := Compute(b, a)
	require.Empty(t, back.RiskyGains(), "losing a risky grant is no risky gain")
	require.Equal(t, []string{"ClusterRole op-secrets", "ClusterRoleBinding op-secrets"}, back.ObjectsRemoved)
	require.True(t, Compute(a, a).Empty())
	require.Equal(t, "no change in permissions or objects\n", Compute(a, a).Text())
}

func TestRiskyMarksPinnedSecretsAsSafeAndWildcardsAsRisky(t *testing.T) {
	pinned := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "team-a"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}, Verbs: []string{"get"}},
			{APIGroups: []string{"apps"}, Resources: []string{"*"}, Verbs: []string{"get"}}}}
	d := Compute(model(sa), model(sa, pinned, roleBinding))
	require.Len(t, d.Gained, 2)
	var risky []string
	for _, c := range d.Gained {
		risky = append(risky, c.Resource+":"+strings.Join(c.Risky, ","))
	}
	require.ElementsMatch(t, []string{"secrets:", "*.apps:wildcard"}, risky)
	require.Contains(t, d.Text(), "gains get secrets named tls in namespace team-a\n")
	md := d.Markdown("a → b")
	require.Contains(t, md, "> - ServiceAccount ops/op gains get *.apps in namespace team-a (risky: wildcard)\n")
	require.Contains(t, md, "| ServiceAccount ops/op | gains | get | `secrets` named tls | in namespace team-a |  |\n")
	require.Contains(t, md, "**Objects added:** `Role team-a/op`, `RoleBinding team-a/op`\n")
}

// Moving a grant from every namespace into one is a loss, not a gain in that namespace.
func TestNarrowingIsALossOnly(t *testing.T) {
	wide := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "op"}, Rules: role("get").Rules}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "op"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "op"}, Subjects: subjects}
	d := Compute(model(sa, wide, crb), model(sa, role("get"), roleBinding))
	require.Empty(t, d.Gained)
	require.Equal(t, "- ServiceAccount ops/op loses get configmaps in every namespace\n", d.Text()[:strings.Index(d.Text(), "+ object")])
	require.Len(t, Compute(model(sa, role("get"), roleBinding), model(sa, wide, crb)).Gained, 1)
}

func TestSuppressDropsRiskyIDs(t *testing.T) {
	secrets := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "team-a"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create"}}}}
	d := Compute(model(sa), model(sa, secrets, roleBinding))
	require.Len(t, d.RiskyGains(), 2)
	s := d.Suppress(map[string]bool{"workload-create": true})
	require.Len(t, s.RiskyGains(), 1)
	require.Equal(t, []string{"secrets-read"}, s.RiskyGains()[0].Risky)
	require.Len(t, d.RiskyGains(), 2, "Suppress does not change the delta it is called on")
}
