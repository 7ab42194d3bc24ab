//go:build e2e || kind

package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// runtimeObjects are the objects the operator creates for a registry API in one namespace, for the
// offline model that the registry API's own answers are compared with.
func runtimeObjects(name, ns string, rules []rbacv1.PolicyRule) []runtime.Object {
	return []runtime.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
		},
	}
}

// cleanupRuntime deletes what checkRuntimeGrants created as the operator (Helm does not own it).
func cleanupRuntime(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	_ = admin.RbacV1().RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{})
	_ = admin.RbacV1().Roles(ns).Delete(ctx, name, metav1.DeleteOptions{})
	_ = admin.CoreV1().ServiceAccounts(ns).Delete(ctx, name, metav1.DeleteOptions{})
}
