package rbaccheck_test

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

func staticResources(o runtime.Object) (string, string, error) {
	switch o.(type) {
	case *corev1.ServiceAccount:
		return "", "serviceaccounts", nil
	case *rbacv1.Role:
		return rbacv1.GroupName, "roles", nil
	case *rbacv1.RoleBinding:
		return rbacv1.GroupName, "rolebindings", nil
	}
	return "", "", nil
}

func messages(vs []rbaccheck.Violation) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Message)
	}
	return strings.Join(out, "\n")
}

// InstallerCoverage asks for every verb Helm uses on every object by name, the release Secrets of more
// than one revision, and the escalation check on roles and bindings, satisfied by holding the rules or
// by escalate/bind on the role.
func TestInstallerCoverageAsksWhatHelmDoes(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps"}}
	podRule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps"}, Rules: []rbacv1.PolicyRule{podRule}}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "app"}}
	rel := rbaccheck.InstallerRelease{Combination: "defaults", Name: "rel", Namespace: "apps", Objects: []runtime.Object{sa, role, rb}}
	rule := func(group, res string, names []string, verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{res}, ResourceNames: names, Verbs: verbs}
	}
	base := []rbacv1.PolicyRule{
		rule("", "secrets", nil, "create", "list"), rule("", "secrets", nil, "get", "update", "delete"),
		rule("", "serviceaccounts", nil, "create"), rule("", "serviceaccounts", []string{"app"}, "get", "update", "patch", "delete"),
		rule(rbacv1.GroupName, "roles", nil, "create"), rule(rbacv1.GroupName, "roles", []string{"app"}, "get", "update", "patch", "delete"),
		rule(rbacv1.GroupName, "rolebindings", nil, "create"), rule(rbacv1.GroupName, "rolebindings", []string{"app"}, "get", "update", "patch", "delete"),
	}
	full := rbaccheck.InstallerGrant{NamespaceRules: map[string][]rbacv1.PolicyRule{"apps": append(append([]rbacv1.PolicyRule{}, base...), podRule)}}
	require.Empty(t, rbaccheck.InstallerCoverage(full, rel, staticResources))

	noPods := rbaccheck.InstallerGrant{NamespaceRules: map[string][]rbacv1.PolicyRule{"apps": base}}
	got := messages(rbaccheck.InstallerCoverage(noPods, rel, staticResources))
	require.Contains(t, got, "Role/apps/app grants rules the installer does not hold in namespace apps and it has no escalate on roles app: get pods")
	require.Contains(t, got, "RoleBinding/apps/app grants rules the installer does not hold in namespace apps and it has no bind on roles app")

	bind := rbaccheck.InstallerGrant{NamespaceRules: map[string][]rbacv1.PolicyRule{"apps": append(append([]rbacv1.PolicyRule{}, base...),
		rule(rbacv1.GroupName, "roles", []string{"app"}, "bind", "escalate"))}}
	require.Empty(t, rbaccheck.InstallerCoverage(bind, rel, staticResources), "bind and escalate on the role by name replace holding its rules")

	pinnedStore := rbaccheck.InstallerGrant{NamespaceRules: map[string][]rbacv1.PolicyRule{"apps": append([]rbacv1.PolicyRule{base[0],
		rule("", "secrets", []string{rbaccheck.HelmReleaseSecret("rel", 1)}, "get", "update", "delete"), podRule}, base[2:]...)}}
	require.Contains(t, messages(rbaccheck.InstallerCoverage(pinnedStore, rel, staticResources)),
		"Helm release apps/rel: the installer cannot get secrets sh.helm.release.v1.rel.v2 in namespace apps")

	wrongName := rbaccheck.InstallerGrant{NamespaceRules: map[string][]rbacv1.PolicyRule{"apps": append(append([]rbacv1.PolicyRule{}, full.NamespaceRules["apps"]...),
		rule("", "serviceaccounts", []string{"other"}, "get"))}}
	wrongName.NamespaceRules["apps"][3] = rule("", "serviceaccounts", []string{"other"}, "get", "update", "patch", "delete")
	require.Contains(t, messages(rbaccheck.InstallerCoverage(wrongName, rel, staticResources)),
		"ServiceAccount/apps/app: the installer cannot get serviceaccounts app in namespace apps")
}
