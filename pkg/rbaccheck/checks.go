package rbaccheck

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Severity of a violation: errors fail the CLI and the tests; warnings are reported.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// AllowAnnotation on a Role, ClusterRole, binding or ServiceAccount lists check IDs that do not apply
// to it, comma-separated, e.g. workload-rbac.io/allow: "workload-create".
const AllowAnnotation = "workload-rbac.io/allow"

// Violation is one finding, worded so that a user can act on it.
type Violation struct {
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Object   string   `json:"object"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s [%s] %s (fix: %s)", v.Severity, v.Check, v.Message, v.Fix)
}

// Check is one analysis over a model. Add your own next to DefaultChecks.
type Check struct {
	ID          string
	Description string
	Run         func(*Model) []Violation
}

// DefaultChecks are the built-in checks, each with a stable ID.
func DefaultChecks() []Check {
	return append([]Check{
		{"orphaned-binding", "a binding's roleRef names no rendered or built-in role, or a kind it cannot reference", checkOrphanedBindings},
		{"missing-subject", "a binding's ServiceAccount subject is not rendered in its namespace", checkMissingSubjects},
		{"unbound-role", "a rendered Role or ClusterRole that no binding references", checkUnboundRoles},
		{"unused-serviceaccount", "a rendered ServiceAccount no pod runs as and no program is told about", checkUnusedServiceAccounts},
		{"runtime-coverage", "an account that creates Roles at runtime lacks rules it grants", checkRuntimeCoverage},
		{"automount-token", "a pod whose account is granted RBAC mounts the legacy non-expiring token", checkAutomount},
		{"token-not-expiring", "a projected ServiceAccount token without a lifetime of at most one day", checkTokenExpiry},
	}, riskyChecks()...)
}

// Run runs the checks (DefaultChecks when none are given), drops suppressed violations and returns
// the rest sorted by severity, check and object.
func (m *Model) Run(checks ...Check) []Violation {
	if len(checks) == 0 {
		checks = DefaultChecks()
	}
	allowed := m.allowedByAnnotation()
	var out []Violation
	for _, c := range checks {
		if _, off := m.Options.Suppress[c.ID]; off {
			continue
		}
		for _, v := range c.Run(m) {
			if allowed[v.Object][v.Check] {
				continue
			}
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity == Error
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		return a.Message < b.Message
	})
	return out
}

// Errors returns the violations of severity Error.
func Errors(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Severity == Error {
			out = append(out, v)
		}
	}
	return out
}

func (m *Model) allowedByAnnotation() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, o := range m.Objects {
		acc, err := meta.Accessor(o)
		if err != nil {
			continue
		}
		ids := acc.GetAnnotations()[AllowAnnotation]
		if ids == "" {
			continue
		}
		set := map[string]bool{}
		for _, id := range strings.Split(ids, ",") {
			set[strings.TrimSpace(id)] = true
		}
		out[describe(o)] = set
	}
	return out
}

// describe names an object the way violations do: "RoleBinding team-a/x" or "ClusterRole x".
func describe(o runtime.Object) string {
	acc, err := meta.Accessor(o)
	if err != nil {
		return chartrender.Kind(o)
	}
	if acc.GetNamespace() == "" {
		return chartrender.Kind(o) + " " + acc.GetName()
	}
	return chartrender.Kind(o) + " " + acc.GetNamespace() + "/" + acc.GetName()
}

type binding struct {
	obj       runtime.Object
	namespace string // "" for ClusterRoleBindings
	roleRef   rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

func (m *Model) bindings() []binding {
	var out []binding
	for _, b := range m.ClusterRoleBindings {
		out = append(out, binding{b, "", b.RoleRef, b.Subjects})
	}
	for _, b := range m.RoleBindings {
		out = append(out, binding{b, b.Namespace, b.RoleRef, b.Subjects})
	}
	return out
}

func checkOrphanedBindings(m *Model) []Violation {
	var out []Violation
	for _, b := range m.bindings() {
		name := describe(b.obj)
		if b.namespace == "" && b.roleRef.Kind == "Role" {
			out = append(out, Violation{"orphaned-binding", Error, name,
				fmt.Sprintf("%s references Role %s, but a ClusterRoleBinding can only reference a ClusterRole", name, b.roleRef.Name),
				"reference a ClusterRole, or make it a RoleBinding in the Role's namespace"})
			continue
		}
		if _, ok := m.roleRules(b.roleRef, b.namespace); !ok {
			where := "rendered"
			if b.roleRef.Kind == "Role" {
				where = "rendered in namespace " + b.namespace
			}
			out = append(out, Violation{"orphaned-binding", Error, name,
				fmt.Sprintf("%s references %s %s, which is not %s (nor a declared built-in ClusterRole)", name, b.roleRef.Kind, b.roleRef.Name, where),
				"render the role under the same condition as the binding, fix the roleRef name/kind, or declare it as a built-in"})
		}
	}
	return out
}

func (m *Model) external(ref ServiceAccountRef) bool {
	for _, e := range m.Options.ExternalServiceAccounts {
		if e == ref {
			return true
		}
	}
	return false
}

func checkMissingSubjects(m *Model) []Violation {
	var out []Violation
	for _, b := range m.bindings() {
		name := describe(b.obj)
		for _, s := range b.subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			if s.Namespace == "" && b.namespace == "" {
				out = append(out, Violation{"missing-subject", Error, name,
					fmt.Sprintf("%s binds ServiceAccount %s without a namespace", name, s.Name),
					"set subjects[].namespace (a ClusterRoleBinding has no namespace to default to)"})
				continue
			}
			ref := ServiceAccountRef{s.Namespace, s.Name}
			if ref.Namespace == "" {
				ref.Namespace = b.namespace
			}
			if _, ok := m.ServiceAccounts[ref]; !ok && !m.external(ref) {
				out = append(out, Violation{"missing-subject", Error, name,
					fmt.Sprintf("%s binds ServiceAccount %s, which is not rendered in namespace %s", name, ref.Name, ref.Namespace),
					"render the ServiceAccount there under the same condition, bind the name the pods use, or declare it as provided externally"})
			}
		}
	}
	return out
}

func checkUnboundRoles(m *Model) []Violation {
	bound := map[string]bool{}
	for _, b := range m.bindings() {
		if b.roleRef.Kind == "Role" {
			bound["Role "+b.namespace+"/"+b.roleRef.Name] = true
		} else {
			bound["ClusterRole "+b.roleRef.Name] = true
		}
	}
	aggregatedInto := m.aggregatedInto()
	var out []Violation
	for _, r := range m.Roles {
		if !bound[describe(r)] {
			out = append(out, Violation{"unbound-role", Warning, describe(r),
				fmt.Sprintf("%s is rendered but no binding references it", describe(r)),
				"bind it under the same condition it is rendered, or stop rendering it"})
		}
	}
	for _, r := range m.ClusterRoles {
		if !bound[describe(r)] && !aggregatedInto[r.Name] && r.AggregationRule == nil {
			out = append(out, Violation{"unbound-role", Warning, describe(r),
				fmt.Sprintf("%s is rendered but no binding references it", describe(r)),
				"bind it under the same condition it is rendered, or stop rendering it"})
		}
	}
	return out
}

// named reports whether any container (of any pod template) is told the account's name by an env
// value or an argument: the way a program learns which account the pods it creates run as.
func (m *Model) named(name string) bool {
	for _, pt := range m.PodTemplates {
		for _, c := range append(append([]corev1.Container{}, pt.Spec.InitContainers...), pt.Spec.Containers...) {
			for _, e := range c.Env {
				if e.Value == name {
					return true
				}
			}
			for _, a := range append(append([]string{}, c.Command...), c.Args...) {
				if a == name || strings.HasSuffix(a, "="+name) {
					return true
				}
			}
		}
	}
	return false
}

func checkUnusedServiceAccounts(m *Model) []Violation {
	used := map[ServiceAccountRef]bool{}
	for _, pt := range m.PodTemplates {
		name := pt.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		used[ServiceAccountRef{pt.Namespace, name}] = true
	}
	var out []Violation
	for ref, sa := range m.ServiceAccounts {
		if used[ref] || m.named(ref.Name) {
			continue
		}
		out = append(out, Violation{"unused-serviceaccount", Error, describe(sa),
			fmt.Sprintf("ServiceAccount %s is rendered, but no pod template runs as it and no container is told its name, so its grants reach no pod", ref),
			"set serviceAccountName in the pod template, pass the name to the program that creates the pods (env or args), or stop rendering it"})
	}
	return out
}

func checkRuntimeCoverage(m *Model) []Violation {
	var out []Violation
	for _, e := range m.ParseErrors {
		out = append(out, Violation{"runtime-coverage", Error, strings.SplitN(e, ":", 2)[0], e, "fix the ConfigMap's annotations or rules"})
	}
	for _, g := range m.RuntimeGrants {
		out = append(out, m.CheckRuntimeGrant(g)...)
	}
	return out
}

func (m *Model) granted(ref ServiceAccountRef) bool {
	for _, b := range m.bindings() {
		if m.bindsSubject(b.subjects, b.namespace, ref.AsSubject()) {
			return true
		}
	}
	return false
}

func checkAutomount(m *Model) []Violation {
	var out []Violation
	for _, pt := range m.PodTemplates {
		name := pt.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		ref := ServiceAccountRef{pt.Namespace, name}
		if !m.granted(ref) {
			continue
		}
		podOff := pt.Spec.AutomountServiceAccountToken != nil && !*pt.Spec.AutomountServiceAccountToken
		sa := m.ServiceAccounts[ref]
		saOff := sa != nil && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken
		if podOff || (saOff && pt.Spec.AutomountServiceAccountToken == nil) {
			continue
		}
		out = append(out, Violation{"automount-token", Warning, pt.Owner,
			fmt.Sprintf("%s runs as %s, which holds RBAC grants, and automounts its token", pt.Owner, ref),
			"set automountServiceAccountToken: false on the pod and mount a projected serviceAccountToken with expirationSeconds"})
	}
	return out
}

func checkTokenExpiry(m *Model) []Violation {
	var out []Violation
	for _, pt := range m.PodTemplates {
		for _, v := range pt.Spec.Volumes {
			if v.Projected == nil {
				continue
			}
			for _, s := range v.Projected.Sources {
				if s.ServiceAccountToken == nil {
					continue
				}
				if e := s.ServiceAccountToken.ExpirationSeconds; e == nil || *e > 86400 {
					out = append(out, Violation{"token-not-expiring", Warning, pt.Owner,
						fmt.Sprintf("%s projects a ServiceAccount token (volume %s) without a lifetime of at most one day", pt.Owner, v.Name),
						"set serviceAccountToken.expirationSeconds, e.g. 3600"})
				}
			}
		}
	}
	return out
}

// aggregatedInto lists ClusterRoles whose labels match an aggregating ClusterRole's selector: they are
// used through it, not bound directly.
func (m *Model) aggregatedInto() map[string]bool {
	out := map[string]bool{}
	for _, agg := range m.ClusterRoles {
		if agg.AggregationRule == nil {
			continue
		}
		for _, cr := range m.ClusterRoles {
			for _, sel := range agg.AggregationRule.ClusterRoleSelectors {
				if s, err := metav1.LabelSelectorAsSelector(&sel); err == nil && cr.Name != agg.Name && s.Matches(labels.Set(cr.Labels)) {
					out[cr.Name] = true
				}
			}
		}
	}
	return out
}
