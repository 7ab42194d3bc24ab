//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// TestUpgradesBetweenModesLeaveNoStaleGrant upgrades one release through each pair of modes and, after
// every step, compares the RBAC objects on the server with the new rendering (nothing stale remains) and
// acts as each account (access the new mode does not grant is gone).
func TestUpgradesBetweenModesLeaveNoStaleGrant(t *testing.T) {
	paths := map[string][]mode{
		"cluster-wide to namespace-scoped and back":  {{}, {namespaceScoped: true}, {}},
		"registry API cluster-scoped on and off":     {{}, {clusterScoped: true}, {}},
		"workload RBAC off and on":                   {{}, {disableWorkloadRBAC: true}, {}},
		"a watched namespace added and removed":      {{watch: []string{"team-a"}}, {watch: []string{"team-a", "team-b"}}, {watch: []string{"team-a"}}},
		"namespace-scoped watch list grows and goes": {{namespaceScoped: true, watch: []string{"team-b"}}, {namespaceScoped: true, watch: []string{"team-a", "team-b"}}, {namespaceScoped: true}},
	}
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		steps := paths[n]
		t.Run(n, func(t *testing.T) {
			name, ns := fmt.Sprintf("up-%d", i), fmt.Sprintf("rel-up-%d", i)
			for j, m := range steps {
				if j == 0 {
					helm.install(t, charts["operator"], name, ns, m.values("operator"))
				} else {
					helm.upgrade(t, charts["operator"], name, ns, m.values("operator"))
				}
				in := render(t, "operator", name, ns, m)
				expectServerRBACEquals(t, in)
				checkAccounts(t, in)
			}
			helm.uninstall(t, name, ns)
			expectNoClusterScopedLeft(t, render(t, "operator", name, ns, steps[len(steps)-1]))
		})
	}
}

// expectServerRBACEquals lists the release's Roles, ClusterRoles and bindings on the server (by the
// app.kubernetes.io/instance label) and compares their keys with the rendering.
func expectServerRBACEquals(t *testing.T, in installed) {
	t.Helper()
	want := map[string]bool{}
	for _, o := range in.objects {
		switch o.(type) {
		case *rbacv1.Role, *rbacv1.RoleBinding, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
			want[chartrender.ObjectKey(o)] = true
		}
	}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + in.name}
	ctx := context.Background()
	got := map[string]bool{}
	roles, err := admin.RbacV1().Roles("").List(ctx, sel)
	must(err, "list roles")
	for i := range roles.Items {
		got[chartrender.ObjectKey(&roles.Items[i])] = true
	}
	rbs, err := admin.RbacV1().RoleBindings("").List(ctx, sel)
	must(err, "list rolebindings")
	for i := range rbs.Items {
		got[chartrender.ObjectKey(&rbs.Items[i])] = true
	}
	crs, err := admin.RbacV1().ClusterRoles().List(ctx, sel)
	must(err, "list clusterroles")
	for i := range crs.Items {
		got[chartrender.ObjectKey(&crs.Items[i])] = true
	}
	crbs, err := admin.RbacV1().ClusterRoleBindings().List(ctx, sel)
	must(err, "list clusterrolebindings")
	for i := range crbs.Items {
		got[chartrender.ObjectKey(&crbs.Items[i])] = true
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s: stale %s is still on the server", in.mode, k)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s: %s was rendered but is not on the server", in.mode, k)
		}
	}
}
