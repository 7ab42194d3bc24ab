package tests

import (
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

func isSet(c matrix.Combination, path string) bool {
	v, _ := c.Setting(path)
	b, _ := v.(bool)
	return b
}

func list(c matrix.Combination, path string) []string {
	v, _ := c.Setting(path)
	var out []string
	for _, x := range v.([]interface{}) {
		out = append(out, x.(string))
	}
	return out
}

// env returns an env var of the first container of the rendering's only workload.
func env(t *testing.T, objs []runtime.Object, name string) (string, bool) {
	t.Helper()
	pts := chartrender.PodTemplatesOf(objs)
	if len(pts) != 1 {
		t.Fatalf("want one workload, got %d", len(pts))
	}
	for _, e := range pts[0].Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// grantNamespaces lists where sa's bindings grant it roleName ("" = cluster-wide).
func grantNamespaces(objs []runtime.Object, sa rbaccheck.ServiceAccountRef, roleName string) []string {
	var out []string
	binds := func(subjects []rbacv1.Subject) bool {
		for _, s := range subjects {
			if s.Kind == "ServiceAccount" && s.Name == sa.Name && s.Namespace == sa.Namespace {
				return true
			}
		}
		return false
	}
	for _, b := range chartrender.ClusterRoleBindingsOf(objs) {
		if binds(b.Subjects) && b.RoleRef.Name == roleName {
			out = append(out, "")
		}
	}
	for _, b := range chartrender.RoleBindingsOf(objs) {
		if binds(b.Subjects) && b.RoleRef.Name == roleName {
			out = append(out, b.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// assertWatchEqualsGrants: the program's WATCH_NAMESPACE equals the namespaces its main role is bound
// in (cluster-wide when empty), so the program never watches where it holds nothing, nor holds grants
// where it does not watch.
func assertWatchEqualsGrants(t *testing.T, o matrix.Outcome, sa rbaccheck.ServiceAccountRef, role string) {
	t.Helper()
	watch, _ := env(t, o.Result.Objects, "WATCH_NAMESPACE")
	want := []string{""}
	if watch != "" {
		want = strings.Split(watch, ",")
		sort.Strings(want)
	}
	got := grantNamespaces(o.Result.Objects, sa, role)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("WATCH_NAMESPACE=%q but %s is granted %s in %q", watch, sa, role, got)
	}
	ns := o.Result.Namespace
	switch {
	case len(list(o.Combination, "rbac.watchNamespaces")) > 0:
		if watch != strings.Join(list(o.Combination, "rbac.watchNamespaces"), ",") {
			t.Errorf("WATCH_NAMESPACE=%q, want rbac.watchNamespaces", watch)
		}
	case isSet(o.Combination, "rbac.namespaceScoped") && watch != ns:
		t.Errorf("namespace-scoped without a watch list must watch the release namespace %s, got %q", ns, watch)
	case !isSet(o.Combination, "rbac.namespaceScoped") && watch != "":
		t.Errorf("cluster-wide without a watch list must watch every namespace, got %q", watch)
	}
}

func serviceAccountOf(t *testing.T, objs []runtime.Object) rbaccheck.ServiceAccountRef {
	t.Helper()
	pt := chartrender.PodTemplatesOf(objs)[0]
	return rbaccheck.ServiceAccountRef{Namespace: pt.Namespace, Name: pt.Spec.ServiceAccountName}
}

// mainRole is the name of the role holding a workload's rules: a Role named like the binding, or a
// ClusterRole whose name carries the release namespace.
func mainRole(o matrix.Outcome, base string) string {
	if isSet(o.Combination, "rbac.namespaceScoped") {
		return base
	}
	return o.Result.Namespace + "-" + base
}

func fullname(t *testing.T, o matrix.Outcome) string {
	t.Helper()
	for _, d := range chartrender.PodTemplatesOf(o.Result.Objects) {
		return strings.SplitN(d.Owner, "/", 3)[2]
	}
	t.Fatal("no workload")
	return ""
}

var rbacAndAccountWrites = []rbaccheck.Request{}

func init() {
	for _, res := range []struct{ group, resource string }{
		{rbacv1.GroupName, "roles"}, {rbacv1.GroupName, "rolebindings"}, {rbacv1.GroupName, "clusterroles"},
		{rbacv1.GroupName, "clusterrolebindings"}, {"", "serviceaccounts"},
	} {
		for _, v := range []string{"create", "update", "patch", "delete", "deletecollection"} {
			rbacAndAccountWrites = append(rbacAndAccountWrites, rbaccheck.Request{Verb: v, APIGroup: res.group, Resource: res.resource})
		}
	}
}

func assertOperatorPromises(t *testing.T, o matrix.Outcome) {
	t.Helper()
	objs := o.Result.Objects
	m := rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
	op := serviceAccountOf(t, objs)
	full := fullname(t, o)
	assertWatchEqualsGrants(t, o, op, mainRole(o, full))
	disabled, clusterScoped := isSet(o.Combination, "rbac.disableWorkloadRBAC"), isSet(o.Combination, "registryAPI.clusterScoped")
	regSA, _ := env(t, objs, "REGISTRY_API_SERVICE_ACCOUNT")
	if regSA == "" || regSA == op.Name {
		t.Errorf("REGISTRY_API_SERVICE_ACCOUNT=%q: the registry API needs its own account", regSA)
	}
	if v, _ := env(t, objs, "DISABLE_WORKLOAD_RBAC"); v != map[bool]string{true: "true", false: "false"}[disabled] {
		t.Errorf("DISABLE_WORKLOAD_RBAC=%q, want %v", v, disabled)
	}
	var regObjects []string
	for _, obj := range objs {
		if strings.Contains(chartrender.ObjectKey(obj), "registry-api") && !strings.HasPrefix(chartrender.ObjectKey(obj), "ConfigMap/") {
			regObjects = append(regObjects, chartrender.ObjectKey(obj))
		}
	}
	grants := rbaccheck.RuntimeGrantsFromObjects(objs)
	switch {
	case disabled:
		if len(regObjects) > 0 || len(grants) > 0 {
			t.Errorf("disableWorkloadRBAC renders registry API RBAC %v / runtime grants %d", regObjects, len(grants))
		}
		for _, ns := range []string{"", o.Result.Namespace, "team-a", "team-b"} {
			for _, r := range rbacAndAccountWrites {
				r.Namespace = ns
				if ok, why := m.CanI(op.AsSubject(), r); ok {
					t.Errorf("disableWorkloadRBAC, yet the operator may %s %s in %q (%s)", r.Verb, r.Resource, ns, why)
				}
			}
		}
		if !strings.Contains(o.Result.Notes, "Provide exactly these objects") || !strings.Contains(o.Result.Notes, regSA) {
			t.Errorf("NOTES do not show platform teams the RBAC to provide:\n%s", o.Result.Notes)
		}
	case clusterScoped:
		sa := rbaccheck.ServiceAccountRef{Namespace: o.Result.Namespace, Name: regSA}
		if _, ok := m.ServiceAccounts[sa]; !ok {
			t.Errorf("registryAPI.clusterScoped: the registry API account %s is not rendered", sa)
		}
		assertWatchEqualsGrants(t, o, sa, o.Result.Namespace+"-"+full+"-registry-api")
		if len(grants) > 0 {
			t.Errorf("registryAPI.clusterScoped: the operator must not create RBAC at runtime, found %d grants", len(grants))
		}
		if ns, _ := env(t, objs, "REGISTRY_API_NAMESPACE"); ns != o.Result.Namespace {
			t.Errorf("REGISTRY_API_NAMESPACE=%q, want the release namespace", ns)
		}
		for _, r := range rbacAndAccountWrites {
			r.Namespace = "team-a"
			if ok, _ := m.CanI(op.AsSubject(), r); ok {
				t.Errorf("registry API cluster-scoped, yet the operator may %s %s", r.Verb, r.Resource)
			}
		}
	default:
		if len(grants) != 1 {
			t.Fatalf("runtime RBAC: want one declared runtime grant, got %d", len(grants))
		}
		want := "*"
		if w, _ := env(t, objs, "WATCH_NAMESPACE"); w != "" {
			want = w
		}
		if got := strings.Join(grants[0].Namespaces, ","); got != want || grants[0].Grantor != op {
			t.Errorf("runtime grant by %s in %q, want by %s in %q", grants[0].Grantor, got, op, want)
		}
		if vs := m.CheckRuntimeGrant(grants[0]); len(vs) > 0 {
			t.Errorf("escalation gap: %v", vs)
		}
	}
	for _, ns := range []string{"", "team-a", o.Result.Namespace} {
		for _, r := range []rbaccheck.Request{
			{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "roles"}, {Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "roles"},
			{Verb: "impersonate", Resource: "serviceaccounts"}, {Verb: "create", APIGroup: rbacv1.GroupName, Resource: "clusterroles"},
			{Verb: "create", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"}, {Verb: "get", Resource: "secrets"},
		} {
			r.Namespace = ns
			if ok, why := m.CanI(op.AsSubject(), r); ok {
				t.Errorf("the operator may %s %s in %q (%s)", r.Verb, r.Resource, ns, why)
			}
		}
	}
}

func assertRegistryServerPromises(t *testing.T, o matrix.Outcome) {
	t.Helper()
	objs := o.Result.Objects
	sa := serviceAccountOf(t, objs)
	if isSet(o.Combination, "rbac.disableWorkloadRBAC") {
		if n := len(chartrender.RolesOf(objs)) + len(chartrender.ClusterRolesOf(objs)) + len(chartrender.RoleBindingsOf(objs)) + len(chartrender.ClusterRoleBindingsOf(objs)); n > 0 {
			t.Errorf("disableWorkloadRBAC renders %d RBAC objects", n)
		}
		if !strings.Contains(o.Result.Notes, "Provide exactly these objects") {
			t.Errorf("NOTES do not show the RBAC to provide:\n%s", o.Result.Notes)
		}
		return
	}
	assertWatchEqualsGrants(t, o, sa, mainRole(o, fullname(t, o)))
}

// assertLeastPrivilege: every account and pod refuses the legacy token; pods that talk to the API
// mount a projected token that expires within a day; cluster-scoped names carry the release namespace.
func assertLeastPrivilege(t *testing.T, o matrix.Outcome) {
	t.Helper()
	for _, sa := range chartrender.ServiceAccountsOf(o.Result.Objects) {
		if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("ServiceAccount %s/%s automounts its token", sa.Namespace, sa.Name)
		}
	}
	for _, pt := range chartrender.PodTemplatesOf(o.Result.Objects) {
		if pt.Spec.AutomountServiceAccountToken == nil || *pt.Spec.AutomountServiceAccountToken {
			t.Errorf("%s automounts the ServiceAccount token", pt.Owner)
		}
		if exp := projectedTokenExpiry(pt.Spec); exp == 0 || exp > 86400 {
			t.Errorf("%s has no projected token expiring within a day (expirationSeconds=%d)", pt.Owner, exp)
		}
	}
	for _, obj := range o.Result.Objects {
		if chartrender.IsClusterScoped(obj) && !strings.HasPrefix(strings.SplitN(chartrender.ObjectKey(obj), "/", 2)[1], o.Result.Namespace+"-") {
			t.Errorf("cluster-scoped %s does not carry the release namespace %s", chartrender.ObjectKey(obj), o.Result.Namespace)
		}
	}
}

func projectedTokenExpiry(spec *corev1.PodSpec) int64 {
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil && s.ServiceAccountToken.ExpirationSeconds != nil {
				return *s.ServiceAccountToken.ExpirationSeconds
			}
		}
	}
	return 0
}
