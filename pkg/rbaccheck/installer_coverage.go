package rbaccheck

import (
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// InstallerGrant is the RBAC an installer account holds: ClusterRules everywhere (a ClusterRole bound
// by a ClusterRoleBinding) and NamespaceRules[ns] in ns only (a Role bound by a RoleBinding).
type InstallerGrant struct {
	ClusterRules   []rbacv1.PolicyRule
	NamespaceRules map[string][]rbacv1.PolicyRule
}

// rulesIn are the rules that apply to a request in ns ("" for cluster-scoped requests).
func (g InstallerGrant) rulesIn(ns string) []rbacv1.PolicyRule {
	if ns == "" {
		return g.ClusterRules
	}
	return append(append([]rbacv1.PolicyRule{}, g.ClusterRules...), g.NamespaceRules[ns]...)
}

// InstallerRelease is what one `helm install`/`upgrade` of one combination writes: the rendered
// objects (hooks included, told apart by their helm.sh/hook annotation) and the chart's crds/ files.
type InstallerRelease struct {
	Combination string
	Name        string // release name
	Namespace   string // release namespace
	Objects     []runtime.Object
	CRDs        []runtime.Object
}

// ResourceOf maps an object to its API group and plural resource, as the REST mapping of the server
// does, and fails naming the object when it cannot.
type ResourceOf func(runtime.Object) (group, resource string, err error)

// HelmReleaseSecret is the name of the Secret in which Helm's default storage driver keeps revision
// revision of release.
func HelmReleaseSecret(release string, revision int) string {
	return fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, revision)
}

// InstallerCoverage proves offline, with the API server's own semantics (RBAC rule matching, and
// validation.Covers for the escalation check on Roles and bindings), that an account holding g can
// install, upgrade to, roll back to and uninstall rel with the Helm SDK: create, get, update, patch and
// delete of every object by name (hooks: create, get, delete, and list/watch for Jobs and Pods Helm waits
// on; crds/: create and get), Helm's release Secrets in the release namespace, and, for every rendered
// Role, ClusterRole and binding, either holding all the rules granted (escalation prevention) or the
// escalate/bind verb on that role by name. Each violation names the object and the missing permission.
func InstallerCoverage(g InstallerGrant, rel InstallerRelease, resourceOf ResourceOf) []Violation {
	var out []Violation
	miss := func(obj, msg string) {
		out = append(out, Violation{Check: "installer-coverage", Severity: Error, Object: obj,
			Message: fmt.Sprintf("combination %q: %s: %s", rel.Combination, obj, msg),
			Fix:     "derive the installer RBAC again from the current chart (rbac-matrix installer-rbac) and apply it"})
	}
	need := func(obj string, r Request) {
		if !RulesAllow(g.rulesIn(r.Namespace), r) {
			where := "cluster-wide"
			if r.Namespace != "" {
				where = "in namespace " + r.Namespace
			}
			name := ""
			if r.Name != "" {
				name = " " + r.Name
			}
			miss(obj, fmt.Sprintf("the installer cannot %s %s%s %s", r.Verb, groupResource(r.APIGroup, r.Resource), name, where))
		}
	}
	// Helm's storage: a new Secret per revision, the history listed by label, earlier revisions read,
	// marked superseded and deleted on uninstall. Two revisions are asked so a derivation that pinned
	// revision 1 only would fail.
	store := "Helm release " + rel.Namespace + "/" + rel.Name
	for _, v := range []string{"create", "list"} {
		need(store, Request{Verb: v, Resource: "secrets", Namespace: rel.Namespace})
	}
	for _, rev := range []int{1, 2} {
		for _, v := range []string{"get", "update", "delete"} {
			need(store, Request{Verb: v, Resource: "secrets", Namespace: rel.Namespace, Name: HelmReleaseSecret(rel.Name, rev)})
		}
	}
	for _, o := range rel.CRDs {
		objectNeeds(o, rel, resourceOf, need, miss, []string{"get"}, nil)
	}
	for _, o := range rel.Objects {
		named := []string{"get", "update", "patch", "delete"}
		var unnamed []string
		if IsHook(o) {
			named = []string{"get", "delete"}
			if k := chartrender.Kind(o); k == "Job" || k == "Pod" {
				unnamed = []string{"list", "watch"}
			}
		}
		objectNeeds(o, rel, resourceOf, need, miss, named, unnamed)
	}
	out = append(out, escalationNeeds(g, rel)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Message < out[j].Message })
	return out
}

func objectNeeds(o runtime.Object, rel InstallerRelease, resourceOf ResourceOf, need func(string, Request), miss func(string, string), named, unnamed []string) {
	key := chartrender.ObjectKey(o)
	group, resource, err := resourceOf(o)
	if err != nil {
		miss(key, err.Error())
		return
	}
	m, err := meta.Accessor(o)
	if err != nil {
		miss(key, err.Error())
		return
	}
	for _, v := range append([]string{"create"}, unnamed...) {
		need(key, Request{Verb: v, APIGroup: group, Resource: resource, Namespace: m.GetNamespace()})
	}
	for _, v := range named {
		need(key, Request{Verb: v, APIGroup: group, Resource: resource, Namespace: m.GetNamespace(), Name: m.GetName()})
	}
}

// escalationNeeds: to create a Role or ClusterRole the account must hold every rule it grants there, or
// have escalate on it; to create a binding it must hold every rule of the referenced role in the
// binding's scope, or have bind on the role.
func escalationNeeds(g InstallerGrant, rel InstallerRelease) []Violation {
	var out []Violation
	rolesByKey := map[string][]rbacv1.PolicyRule{}
	check := func(obj, ns, verb, resource, name string, rules []rbacv1.PolicyRule) {
		if RulesAllow(g.rulesIn(ns), Request{Verb: verb, APIGroup: rbacv1.GroupName, Resource: resource, Name: name, Namespace: ns}) {
			return
		}
		ok, missing := validation.Covers(g.rulesIn(ns), rules)
		if rules != nil && ok {
			return
		}
		where := "cluster-wide"
		if ns != "" {
			where = "in namespace " + ns
		}
		msg := fmt.Sprintf("combination %q: %s grants rules the installer does not hold %s and it has no %s on %s %s: %s",
			rel.Combination, obj, where, verb, resource, name, describeRules(missing))
		if rules == nil {
			msg = fmt.Sprintf("combination %q: %s references %s %s, which the chart does not render, and the installer has no %s on it %s",
				rel.Combination, obj, resource, name, verb, where)
		}
		out = append(out, Violation{Check: "installer-coverage", Severity: Error, Object: obj, Message: msg,
			Fix: "derive the installer RBAC again from the current chart (rbac-matrix installer-rbac) and apply it"})
	}
	for _, r := range chartrender.RolesOf(rel.Objects) {
		rolesByKey["Role/"+r.Namespace+"/"+r.Name] = nonNil(r.Rules)
		check(chartrender.ObjectKey(r), r.Namespace, "escalate", "roles", r.Name, nonNil(r.Rules))
	}
	for _, r := range chartrender.ClusterRolesOf(rel.Objects) {
		rolesByKey["ClusterRole/"+r.Name] = nonNil(r.Rules)
		check(chartrender.ObjectKey(r), "", "escalate", "clusterroles", r.Name, nonNil(r.Rules))
	}
	refRules := func(ref rbacv1.RoleRef, ns string) ([]rbacv1.PolicyRule, string) {
		if ref.Kind == "Role" {
			return rolesByKey["Role/"+ns+"/"+ref.Name], "roles"
		}
		return rolesByKey["ClusterRole/"+ref.Name], "clusterroles"
	}
	for _, b := range chartrender.RoleBindingsOf(rel.Objects) {
		rules, res := refRules(b.RoleRef, b.Namespace)
		check(chartrender.ObjectKey(b), b.Namespace, "bind", res, b.RoleRef.Name, rules)
	}
	for _, b := range chartrender.ClusterRoleBindingsOf(rel.Objects) {
		rules, res := refRules(b.RoleRef, "")
		check(chartrender.ObjectKey(b), "", "bind", res, b.RoleRef.Name, rules)
	}
	return out
}

// nonNil keeps a role without rules apart from a role that is not rendered (nil).
func nonNil(r []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	if r == nil {
		return []rbacv1.PolicyRule{}
	}
	return r
}

// IsHook tells whether o is a Helm hook (created by Helm around install/upgrade/rollback/delete,
// outside the release manifest).
func IsHook(o runtime.Object) bool {
	m, err := meta.Accessor(o)
	return err == nil && m.GetAnnotations()["helm.sh/hook"] != ""
}

func groupResource(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}
