package rbaccheck

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Grant is one row of the "who can do what where" table.
type Grant struct {
	Subject       string   `json:"subject"`  // "ServiceAccount ns/name", "Group x", "User y"
	Scope         string   `json:"scope"`    // "cluster" or a namespace
	Resource      string   `json:"resource"` // resource[/sub][.group], or a non-resource URL
	ResourceNames []string `json:"resourceNames,omitempty"`
	Verbs         []string `json:"verbs"`
}

// Table is the "who can do what where" table of a rendering, in a stable order.
type Table []Grant

// WhoCan lists, for every subject of every binding, what it may do cluster-wide and in each namespace
// it is granted in. Rules are broken down per resource and their verbs merged, so the table reads the
// same however the rules are split across roles.
func (m *Model) WhoCan() Table {
	type key struct{ subject, scope, resource, names string }
	verbs := map[key]map[string]bool{}
	names := map[key][]string{}
	add := func(subject, scope string, rules []rbacv1.PolicyRule) {
		for _, rule := range rules {
			for _, r := range validation.BreakdownRule(rule) {
				res := ""
				if len(r.NonResourceURLs) > 0 {
					res = r.NonResourceURLs[0]
				} else {
					res = r.Resources[0]
					if r.APIGroups[0] != "" {
						res += "." + r.APIGroups[0]
					}
				}
				k := key{subject, scope, res, strings.Join(r.ResourceNames, ",")}
				if verbs[k] == nil {
					verbs[k] = map[string]bool{}
					names[k] = r.ResourceNames
				}
				verbs[k][r.Verbs[0]] = true
			}
		}
	}
	for _, b := range m.bindings() {
		scope := "cluster"
		if b.namespace != "" {
			scope = b.namespace
		}
		rules, _ := m.roleRules(b.roleRef, b.namespace)
		for _, s := range b.subjects {
			add(subjectString(s, b.namespace), scope, rules)
		}
	}
	out := make(Table, 0, len(verbs))
	for k, vs := range verbs {
		list := make([]string, 0, len(vs))
		for v := range vs {
			list = append(list, v)
		}
		sort.Strings(list)
		out = append(out, Grant{Subject: k.subject, Scope: k.scope, Resource: k.resource, ResourceNames: names[k], Verbs: list})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// Less orders grants by subject, then cluster-wide before namespaces, then namespace, resource and
// resource names: the table's order.
func (a Grant) Less(b Grant) bool {
	if a.Subject != b.Subject {
		return a.Subject < b.Subject
	}
	if (a.Scope == "cluster") != (b.Scope == "cluster") {
		return a.Scope == "cluster"
	}
	if a.Scope != b.Scope {
		return a.Scope < b.Scope
	}
	if a.Resource != b.Resource {
		return a.Resource < b.Resource
	}
	return strings.Join(a.ResourceNames, ",") < strings.Join(b.ResourceNames, ",")
}

func subjectString(s rbacv1.Subject, bindingNS string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return "ServiceAccount " + ns + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// String renders the table as aligned text, for golden files and the CLI.
func (t Table) String() string {
	rows := [][]string{{"SUBJECT", "WHERE", "RESOURCE", "VERBS"}}
	for _, g := range t {
		res := g.Resource
		if len(g.ResourceNames) > 0 {
			res += " [" + strings.Join(g.ResourceNames, ",") + "]"
		}
		rows = append(rows, []string{g.Subject, g.Scope, res, strings.Join(g.Verbs, ",")})
	}
	width := make([]int, 4)
	for _, r := range rows {
		for i, c := range r {
			if len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %s\n", width[0], r[0], width[1], r[1], width[2], r[2], r[3])
	}
	return b.String()
}

// ScopeCheck returns a check that every object lies in one of the allowed namespaces and none is
// cluster-scoped: what a namespace-scoped install promises.
func ScopeCheck(allowed []string) Check {
	ok := map[string]bool{}
	for _, ns := range allowed {
		ok[ns] = true
	}
	return Check{ID: "scope-leak", Description: "an object outside the namespaces a namespace-scoped install may touch", Severity: Error,
		Remediation: "render it only in the release namespace or the namespaces the values list", Run: func(m *Model) []Finding {
			var out []Finding
			for _, o := range m.Objects {
				if chartrender.IsClusterScoped(o) {
					out = append(out, Finding{describe(o),
						fmt.Sprintf("%s is cluster-scoped, but this combination is namespace-scoped (allowed: %s)", describe(o), strings.Join(allowed, ", ")),
						"render a Role/RoleBinding (or nothing) in namespace-scoped mode"})
					continue
				}
				if ns := namespaceOf(o); !ok[ns] {
					out = append(out, Finding{Object: describe(o),
						Message: fmt.Sprintf("%s is in namespace %s, outside the allowed namespaces %s", describe(o), ns, strings.Join(allowed, ", "))})
				}
			}
			return out
		}}
}

func namespaceOf(o runtime.Object) string {
	key := chartrender.ObjectKey(o)
	parts := strings.Split(key, "/")
	if len(parts) == 3 {
		return parts[1]
	}
	return ""
}
