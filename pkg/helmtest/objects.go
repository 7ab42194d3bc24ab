package helmtest

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// ObjectsOf returns the objects of type T (e.g. *rbacv1.Role, *corev1.Service) in install order.
func ObjectsOf[T runtime.Object](out *Output) []T { return chartrender.OfType[T](out.Objects) }

// ObjectByName returns the one object of type T named name; name may be "namespace/name" when the
// same name is rendered in two namespaces. It fails the test when there is none or more than one,
// listing what there is.
func ObjectByName[T runtime.Object](t testing.TB, out *Output, name string) T {
	t.Helper()
	var found []T
	var names []string
	for _, o := range ObjectsOf[T](out) {
		acc, err := meta.Accessor(o)
		if err != nil {
			continue
		}
		names = append(names, acc.GetNamespace()+"/"+acc.GetName())
		if acc.GetName() == name || acc.GetNamespace()+"/"+acc.GetName() == name {
			found = append(found, o)
		}
	}
	var zero T
	kind := typeName(zero)
	switch len(found) {
	case 1:
		return found[0]
	case 0:
		t.Fatalf("no %s named %q rendered; %s rendered: %v", kind, name, kind, names)
	default:
		t.Fatalf("%d objects of kind %s named %q (in different namespaces): name one as namespace/name; rendered: %v", len(found), kind, name, names)
	}
	return zero
}

// typeName is the Go type name of T's element (Role for *rbacv1.Role), for messages.
func typeName(o runtime.Object) string {
	t := reflect.TypeOf(o)
	if t == nil {
		return "object"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Roles are the rendered Roles.
func Roles(out *Output) []*rbacv1.Role { return chartrender.RolesOf(out.Objects) }

// ClusterRoles are the rendered ClusterRoles.
func ClusterRoles(out *Output) []*rbacv1.ClusterRole { return chartrender.ClusterRolesOf(out.Objects) }

// RoleBindings are the rendered RoleBindings.
func RoleBindings(out *Output) []*rbacv1.RoleBinding { return chartrender.RoleBindingsOf(out.Objects) }

// ClusterRoleBindings are the rendered ClusterRoleBindings.
func ClusterRoleBindings(out *Output) []*rbacv1.ClusterRoleBinding {
	return chartrender.ClusterRoleBindingsOf(out.Objects)
}

// ServiceAccounts are the rendered ServiceAccounts.
func ServiceAccounts(out *Output) []*corev1.ServiceAccount {
	return chartrender.ServiceAccountsOf(out.Objects)
}

// ConfigMaps are the rendered ConfigMaps.
func ConfigMaps(out *Output) []*corev1.ConfigMap { return chartrender.ConfigMapsOf(out.Objects) }

// Deployments are the rendered Deployments.
func Deployments(out *Output) []*appsv1.Deployment { return ObjectsOf[*appsv1.Deployment](out) }
