package rbaccheck_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// A ClusterRoleBinding to an account that no pod runs as: an orphaned static binding.
func Example() {
	objs := []runtime.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "registry-api"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "registry-api"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"list"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "registry-api"},
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "registry-api"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "ops", Name: "registry-api"}}},
	}
	m := rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
	for _, v := range m.Run() {
		fmt.Println(v.Check, "-", v.Message)
	}
	ok, why := m.CanI(rbaccheck.ServiceAccountRef{Namespace: "ops", Name: "registry-api"}.AsSubject(),
		rbaccheck.ParseRequest("list", "services", "team-a"))
	fmt.Println(ok, why)
	// Output:
	// unused-serviceaccount - ServiceAccount ops/registry-api is rendered, but no pod template runs as it and no container is told its name, so its grants reach no pod
	// true ClusterRoleBinding registry-api grants ClusterRole registry-api
}
