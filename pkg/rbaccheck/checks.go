package rbaccheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

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

// ParseSeverity reads "error" or "warning", naming the value and the choices when it is neither.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Error, Warning:
		return Severity(s), nil
	}
	return "", fmt.Errorf("severity %q: use error or warning", s)
}

// AllowAnnotation on an object lists check IDs that do not apply to it, comma-separated, e.g.
// workload-rbac.io/allow: "workload-create". On a workload (Deployment, StatefulSet, DaemonSet, Job,
// CronJob, Pod) it silences the findings about its pods.
const AllowAnnotation = "workload-rbac.io/allow"

// ReasonAnnotation says why the checks an object's AllowAnnotation names do not apply to it (the
// library renders the rules' reasons there); reports show it beside each acknowledged finding.
const ReasonAnnotation = "workload-rbac.io/reason"

// Violation is one finding, worded so that a user can act on it.
type Violation struct {
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Object   string   `json:"object"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
	// Reason is set on acknowledged findings only: the object's ReasonAnnotation.
	Reason string `json:"reason,omitempty"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s [%s] %s (fix: %s)", v.Severity, v.Check, v.Message, v.Fix)
}

// Finding is what a check reports: the object it is about (named by Describe, or a source such as a
// spec entry) and what is wrong. The runner stamps the check's ID, severity and remediation; Fix, when
// set, replaces the remediation for this finding only.
type Finding struct {
	Object  string
	Message string
	Fix     string
}

// Check is one analysis over a model: data (ID, description, default severity, remediation) and the
// logic that returns findings. Add your own next to DefaultChecks.
type Check struct {
	ID          string
	Description string
	Severity    Severity
	Remediation string
	Run         func(*Model) []Finding
}

// DefaultChecks are the built-in checks, each with a stable ID. The list is built once; each call
// returns a copy the caller may append to or change.
func DefaultChecks() []Check { return slices.Clone(defaultChecks()) }

// defaultChecks builds the list once: it is data and closures over package-level data only.
var defaultChecks = sync.OnceValue(func() []Check {
	checks := []Check{
		{"orphaned-binding", "a binding's roleRef names no rendered or built-in role, or a kind it cannot reference", Error,
			"render the role under the same condition as the binding, fix the roleRef name/kind, or declare it as a built-in or external role", checkOrphanedBindings},
		{"missing-subject", "a binding's ServiceAccount subject is not rendered in its namespace", Error,
			"render the ServiceAccount there under the same condition, bind the name the pods use, or declare it as provided externally", checkMissingSubjects},
		{"unbound-role", "a rendered Role or ClusterRole that no binding references", Warning,
			"bind it under the same condition it is rendered, or stop rendering it", checkUnboundRoles},
		{"unused-serviceaccount", "a rendered ServiceAccount no pod runs as and no program is told about", Error,
			"set serviceAccountName in the pod template, pass the name to the program that creates the pods (env or args), or stop rendering it", checkUnusedServiceAccounts},
		{"runtime-coverage", "an account that creates Roles at runtime lacks rules it grants", Error,
			"add the missing permissions to the ServiceAccount's own rules in that scope, or remove them from the rules it grants", checkRuntimeCoverage},
		{"automount-token", "a pod whose account is granted RBAC automounts its token though the program may never call the API", Warning,
			"set automountServiceAccountToken: false on pods that never call the API; pods that do can keep the automounted (bound, rotated) token or mount a projected serviceAccountToken with expirationSeconds", checkAutomount},
		{"token-not-expiring", "a projected ServiceAccount token without a lifetime of at most one day", Warning,
			"set serviceAccountToken.expirationSeconds, e.g. 3600", checkTokenExpiry},
	}
	return append(append(checks, riskyChecks()...), extraChecks()...)
})

// Run runs the checks (DefaultChecks when none are given), stamps each finding with its check's ID,
// severity (or the override in ModelOptions.Severity) and remediation, drops suppressed findings and
// returns the rest sorted by severity, check and object.
func (m *Model) Run(checks ...Check) []Violation {
	out, _ := m.RunAll(checks...)
	return out
}

// RunAll is Run that also returns the acknowledged findings: those an object's
// workload-rbac.io/allow annotation names, each with the object's workload-rbac.io/reason in Reason.
// They do not fail anything, but a report lists them so an audited exception stays visible.
func (m *Model) RunAll(checks ...Check) (violations, acknowledged []Violation) {
	if len(checks) == 0 {
		checks = DefaultChecks()
	}
	allowed, reasons := m.allowedByAnnotation()
	for _, c := range checks {
		if _, off := m.Options.Suppress[c.ID]; off {
			continue
		}
		for _, f := range c.Run(m) {
			v := m.stamp(c, f)
			if allowed[f.Object][c.ID] {
				v.Reason = reasons[f.Object]
				if v.Reason == "" {
					v.Reason = "(no " + ReasonAnnotation + " annotation)"
				}
				acknowledged = append(acknowledged, v)
				continue
			}
			violations = append(violations, v)
		}
	}
	sortViolations(violations)
	sortViolations(acknowledged)
	return dedupe(violations), dedupe(acknowledged)
}

// stamp turns a check's finding into a violation.
func (m *Model) stamp(c Check, f Finding) Violation {
	sev := c.Severity
	if s, ok := m.Options.Severity[c.ID]; ok {
		sev = s
	}
	fix := c.Remediation
	if f.Fix != "" {
		fix = f.Fix
	}
	return Violation{Check: c.ID, Severity: sev, Object: f.Object, Message: f.Message, Fix: fix}
}

func sortViolations(out []Violation) {
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
}

// Errors returns the violations of severity Error.
func Errors(vs []Violation) []Violation { return AtLeast(vs, Error) }

// AtLeast returns the violations at or above the severity: Error gives errors, Warning everything.
func AtLeast(vs []Violation, s Severity) []Violation {
	var out []Violation
	for _, v := range vs {
		if s == Warning || v.Severity == Error {
			out = append(out, v)
		}
	}
	return out
}

func (m *Model) allowedByAnnotation() (map[string]map[string]bool, map[string]string) {
	out := map[string]map[string]bool{}
	reasons := map[string]string{}
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
		out[Describe(o)] = set
		reasons[Describe(o)] = acc.GetAnnotations()[ReasonAnnotation]
	}
	return out, reasons
}

// Describe names an object everywhere (messages, Violation.Object, annotation lookups):
// "RoleBinding team-a/x" or "ClusterRole x".
func Describe(o runtime.Object) string {
	acc, err := meta.Accessor(o)
	if err != nil {
		return chartrender.Kind(o)
	}
	if acc.GetNamespace() == "" || chartrender.IsClusterScoped(o) {
		return chartrender.Kind(o) + " " + acc.GetName()
	}
	return chartrender.Kind(o) + " " + acc.GetNamespace() + "/" + acc.GetName()
}

func describe(o runtime.Object) string { return Describe(o) }

type binding struct {
	obj       runtime.Object
	namespace string // "" for ClusterRoleBindings
	roleRef   rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

// bindings lists the ClusterRoleBindings, then the RoleBindings (built once per model).
func (m *Model) bindings() []binding { return m.indexed().bindings }

func checkOrphanedBindings(m *Model) []Finding {
	var out []Finding
	for _, b := range m.bindings() {
		name := describe(b.obj)
		if b.namespace == "" && b.roleRef.Kind == "Role" {
			out = append(out, Finding{name,
				fmt.Sprintf("%s references Role %s, but a ClusterRoleBinding can only reference a ClusterRole", name, b.roleRef.Name),
				"reference a ClusterRole, or make it a RoleBinding in the Role's namespace"})
			continue
		}
		if _, ok := m.roleRules(b.roleRef, b.namespace); !ok {
			where := "rendered"
			if b.roleRef.Kind == "Role" {
				where = "rendered in namespace " + b.namespace
			}
			out = append(out, Finding{Object: name,
				Message: fmt.Sprintf("%s references %s %s, which is not %s (nor a declared built-in or external role)", name, b.roleRef.Kind, b.roleRef.Name, where)})
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

func checkMissingSubjects(m *Model) []Finding {
	var out []Finding
	for _, b := range m.bindings() {
		name := describe(b.obj)
		for _, s := range b.subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			if s.Namespace == "" && b.namespace == "" {
				out = append(out, Finding{name, fmt.Sprintf("%s binds ServiceAccount %s without a namespace", name, s.Name),
					"set subjects[].namespace (a ClusterRoleBinding has no namespace to default to)"})
				continue
			}
			ref := ServiceAccountRef{s.Namespace, s.Name}
			if ref.Namespace == "" {
				ref.Namespace = b.namespace
			}
			// Every namespace has a "default" ServiceAccount: binding it is not a missing subject
			// (default-serviceaccount-granted reports the risk instead).
			if _, ok := m.ServiceAccounts[ref]; !ok && !m.external(ref) && ref.Name != "default" {
				out = append(out, Finding{Object: name,
					Message: fmt.Sprintf("%s binds ServiceAccount %s, which is not rendered in namespace %s", name, ref.Name, ref.Namespace)})
			}
		}
	}
	return out
}

func checkUnboundRoles(m *Model) []Finding {
	bound := map[string]bool{}
	for _, b := range m.bindings() {
		if b.roleRef.Kind == "Role" {
			bound["Role "+b.namespace+"/"+b.roleRef.Name] = true
		} else {
			bound["ClusterRole "+b.roleRef.Name] = true
		}
	}
	var out []Finding
	for _, r := range m.Roles {
		if !bound[describe(r)] {
			out = append(out, Finding{Object: describe(r), Message: fmt.Sprintf("%s is rendered but no binding references it", describe(r))})
		}
	}
	for _, r := range m.ClusterRoles {
		if !bound[describe(r)] && !m.aggregated(r) && r.AggregationRule == nil {
			out = append(out, Finding{Object: describe(r), Message: fmt.Sprintf("%s is rendered but no binding references it", describe(r))})
		}
	}
	return out
}

// named reports whether any container (of any pod template) is told the account's name by an env
// value or an argument: the way a program learns which account the pods it creates run as.
func (m *Model) named(name string) bool {
	for _, p := range m.Pods {
		for _, c := range p.containers() {
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

func checkUnusedServiceAccounts(m *Model) []Finding {
	used := map[ServiceAccountRef]bool{}
	for _, p := range m.Pods {
		used[p.Account()] = true
	}
	var out []Finding
	for ref, sa := range m.ServiceAccounts {
		if used[ref] || m.named(ref.Name) {
			continue
		}
		out = append(out, Finding{Object: describe(sa),
			Message: fmt.Sprintf("ServiceAccount %s is rendered, but no pod template runs as it and no container is told its name, so its grants reach no pod", ref)})
	}
	return out
}

func checkRuntimeCoverage(m *Model) []Finding {
	var out []Finding
	for _, e := range m.ParseErrors {
		out = append(out, Finding{strings.SplitN(e, ":", 2)[0], e, "fix the ConfigMap's annotations or rules"})
	}
	for _, g := range m.RuntimeGrants {
		out = append(out, m.runtimeGrantFindings(g)...)
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

func checkAutomount(m *Model) []Finding {
	var out []Finding
	for _, p := range m.Pods {
		ref := p.Account()
		if !m.granted(ref) {
			continue
		}
		podOff := p.Spec.AutomountServiceAccountToken != nil && !*p.Spec.AutomountServiceAccountToken
		sa := m.ServiceAccounts[ref]
		saOff := sa != nil && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken
		if podOff || (saOff && p.Spec.AutomountServiceAccountToken == nil) {
			continue
		}
		out = append(out, Finding{Object: p.Name,
			Message: fmt.Sprintf("%s runs as %s, which holds RBAC grants, and automounts its token: current Kubernetes mounts a bound, rotated token, but if the program never calls the API that token only hands its grants to whoever gets into the pod", p.Name, ref)})
	}
	return out
}

func checkTokenExpiry(m *Model) []Finding {
	var out []Finding
	for _, p := range m.Pods {
		for _, v := range p.Spec.Volumes {
			if v.Projected == nil {
				continue
			}
			for _, s := range v.Projected.Sources {
				if s.ServiceAccountToken == nil {
					continue
				}
				if e := s.ServiceAccountToken.ExpirationSeconds; e == nil || *e > 86400 {
					out = append(out, Finding{Object: p.Name,
						Message: fmt.Sprintf("%s projects a ServiceAccount token (volume %s) without a lifetime of at most one day", p.Name, v.Name)})
				}
			}
		}
	}
	return out
}

// BuiltinChecks are every built-in check: DefaultChecks, the scope check a spec switches on per
// combination, and the TemplateChecks run once per chart. IDs in suppressions and severities name these.
func BuiltinChecks() []Check {
	return append(append(DefaultChecks(), ScopeCheck(nil)), TemplateChecks()...)
}

// checkByID returns the built-in check with the ID; it panics on an unknown ID (a programming error).
func checkByID(id string) Check {
	for _, c := range BuiltinChecks() {
		if c.ID == id {
			return c
		}
	}
	panic("rbaccheck: no built-in check " + id)
}

// aggregated reports whether a ClusterRole is used through aggregation rather than bound directly: it
// carries a label a built-in aggregating role selects (rbac.authorization.k8s.io/aggregate-to-*), or
// one a rendered or declared aggregating ClusterRole selects.
func (m *Model) aggregated(cr *rbacv1.ClusterRole) bool {
	for k, v := range cr.Labels {
		if strings.HasPrefix(k, builtinAggregationPrefix) && v == "true" {
			return true
		}
	}
	selectors := append([]metav1.LabelSelector{}, m.Options.AggregationSelectors...)
	for _, agg := range m.ClusterRoles {
		if agg.AggregationRule != nil && agg.Name != cr.Name {
			selectors = append(selectors, agg.AggregationRule.ClusterRoleSelectors...)
		}
	}
	for _, sel := range selectors {
		if s, err := metav1.LabelSelectorAsSelector(&sel); err == nil && !s.Empty() && s.Matches(labels.Set(cr.Labels)) {
			return true
		}
	}
	return false
}

// builtinAggregationPrefix starts the labels the built-in aggregating ClusterRoles select:
// aggregate-to-view, -edit, -admin (and OpenShift's aggregate-to-cluster-reader).
const builtinAggregationPrefix = "rbac.authorization.k8s.io/aggregate-to-"
