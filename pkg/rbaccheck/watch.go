package rbaccheck

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// WatchDeclaration tells the watch-without-grant check where a workload's program reads the namespaces
// it watches, when the heuristics (WATCH_NAMESPACE, *_NAMESPACES, --namespace, ...) cannot see it.
type WatchDeclaration struct {
	// Workload is "Kind/name" (in any namespace) or "Kind/namespace/name", e.g. "Deployment/op".
	Workload string
	// Env names the env var, or Arg the flag (e.g. "--scope"), that carries the namespaces.
	Env, Arg string
	// Namespaces, when FromValues is set, are the namespaces themselves (read from the values); an
	// empty list means every namespace.
	Namespaces []string
	FromValues bool
}

// watch is one source that tells a program which namespaces to watch.
type watch struct {
	source     string   // e.g. "env WATCH_NAMESPACE of container op"
	namespaces []string // nil with all set: every namespace
	all        bool
}

// SplitNamespaces reads a namespace list given as a comma-separated string ("a, b"), trimming blanks.
func SplitNamespaces(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func newWatch(source, value string) watch {
	nss := SplitNamespaces(value)
	return watch{source: source, namespaces: nss, all: len(nss) == 0}
}

// watchEnv reports whether an env var names namespaces a program watches: WATCH_NAMESPACE(S) (any
// name with WATCH ending in NAMESPACE or NAMESPACES) and any *_NAMESPACES list; an empty value means
// every namespace (the controller-runtime and operator-sdk convention). A singular *_NAMESPACE without
// WATCH (POD_NAMESPACE, LEADER_ELECTION_NAMESPACE, REGISTRY_API_NAMESPACE) names where the program runs
// or puts one thing, not a watch scope: declare it in the spec's checks.watchNamespaces when it is one.
func watchEnv(name string) bool {
	n := strings.ToUpper(name)
	switch {
	case strings.Contains(n, "POD_NAMESPACE") || strings.Contains(n, "LEADER_ELECTION"):
		return false
	case strings.Contains(n, "WATCH") && (strings.HasSuffix(n, "NAMESPACE") || strings.HasSuffix(n, "NAMESPACES")):
		return true
	}
	return strings.HasSuffix(n, "_NAMESPACES")
}

// watchFlags are the command-line flags that name watched namespaces.
var watchFlags = map[string]bool{"namespace": true, "namespaces": true, "watch-namespace": true, "watch-namespaces": true, "watched-namespaces": true}

// flagValues returns the values given to a flag in args, in "--flag=v" or "--flag v" form (one or two
// dashes), and whether the flag appears at all.
func flagValues(args []string, isFlag func(string) bool) (vals []string, names []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !isFlag(name) {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
				continue // a boolean-looking flag: no value to read
			}
			i++
			val = args[i]
		}
		vals, names = append(vals, val), append(names, name)
	}
	return vals, names
}

// watches lists what a pod's containers are told to watch: env vars and flags by the heuristics,
// and the spec's declarations for this workload. Values are resolved as the kubelet does: an env var
// from fieldRef metadata.namespace is the pod's namespace, and $(VAR) in a value or an argument is the
// container's env var VAR; a value that cannot be resolved offline (a ConfigMap or Secret key) is
// skipped.
func (m *Model) watches(p Pod) []watch {
	var out []watch
	for _, c := range p.containers() {
		c := c
		add := func(source, raw, note string) {
			if v, ok := resolveVars(raw, c, p.Namespace); ok {
				out = append(out, newWatch(fmt.Sprintf("%s=%q of container %s%s", source, v, c.Name, note), v))
			}
		}
		args := append(append([]string{}, c.Command...), c.Args...)
		for _, e := range c.Env {
			if watchEnv(e.Name) {
				if v, ok := envValue(e, p.Namespace); ok {
					add("env "+e.Name, v, "")
				}
			}
		}
		vals, names := flagValues(args, func(n string) bool { return watchFlags[n] })
		for i, v := range vals {
			add("flag --"+names[i], v, "")
		}
		for _, d := range m.Options.WatchDeclarations {
			if !d.matches(p) {
				continue
			}
			switch {
			case d.FromValues:
				out = append(out, watch{source: "the spec's checks.watchNamespaces", namespaces: d.Namespaces, all: len(d.Namespaces) == 0})
			case d.Env != "":
				for _, e := range c.Env {
					if v, ok := envValue(e, p.Namespace); ok && e.Name == d.Env {
						add("env "+e.Name, v, " (declared)")
					}
				}
			case d.Arg != "":
				flag := strings.TrimLeft(d.Arg, "-")
				vals, _ := flagValues(args, func(n string) bool { return n == flag })
				for _, v := range vals {
					add("flag --"+flag, v, " (declared)")
				}
			}
		}
	}
	return dedupeWatches(out)
}

// envValue is an env var's value offline: its value, or the pod's namespace for fieldRef
// metadata.namespace; ok is false for other sources.
func envValue(e corev1.EnvVar, podNamespace string) (string, bool) {
	switch {
	case e.ValueFrom == nil:
		return e.Value, true
	case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
		return podNamespace, true
	}
	return "", false
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// resolveVars expands $(VAR) references to the container's env vars; ok is false when one cannot be
// resolved offline.
func resolveVars(s string, c corev1.Container, podNamespace string) (string, bool) {
	ok := true
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := varRef.FindStringSubmatch(ref)[1]
		for _, e := range c.Env {
			if e.Name == name {
				if v, found := envValue(e, podNamespace); found {
					return v
				}
			}
		}
		ok = false
		return ref
	})
	return out, ok
}

func dedupeWatches(ws []watch) []watch {
	seen := map[string]bool{}
	var out []watch
	for _, w := range ws {
		if !seen[w.source] {
			seen[w.source] = true
			out = append(out, w)
		}
	}
	return out
}

func (d WatchDeclaration) matches(p Pod) bool {
	kind, rest, _ := strings.Cut(d.Workload, "/")
	if kind != chartrender.Kind(p.Object) {
		return false
	}
	if ns, name, ok := strings.Cut(rest, "/"); ok {
		return ns == p.Namespace && name == objectName(p.Object)
	}
	return rest == objectName(p.Object)
}

// listWatched returns the list/watch rules, one per verb and resource, that the account holds: the
// ones held outside the pod's own namespace (cluster-wide or in another namespace) when there are any,
// else the ones held in its own namespace. A program that holds grants elsewhere uses those it holds
// only at home for its own plumbing (leader-election leases, its own config), not in what it watches.
// Rules by name or by wildcard, subresources and cluster-scoped resources are left out.
func (m *Model) listWatched(who Subject, home string) []rbacv1.PolicyRule {
	var outside, inside [][3]string // group, resource, verb
	for _, b := range m.bindings() {
		if !m.bindsSubject(b.subjects, b.namespace, who) {
			continue
		}
		rules, _ := m.roleRules(b.roleRef, b.namespace)
		for _, rule := range rules {
			if len(rule.NonResourceURLs) > 0 || len(rule.ResourceNames) > 0 {
				continue
			}
			// validation.BreakdownRule's order (groups, resources, verbs), building only the rules kept.
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					if g == "*" || res == "*" || strings.Contains(res, "/") || ClusterScopedResource(g, res) {
						continue
					}
					for _, v := range rule.Verbs {
						if v != "list" && v != "watch" {
							continue
						}
						list, k := &outside, [3]string{g, res, v}
						if b.namespace == home {
							list = &inside
						}
						if !slices.Contains(*list, k) { // one per verb and resource (the lists are short)
							*list = append(*list, k)
						}
					}
				}
			}
		}
	}
	if len(outside) > 0 {
		return brokenDown(outside)
	}
	return brokenDown(inside)
}

// brokenDown builds the rules of validation.BreakdownRule's form (one group, resource and verb each)
// for the triples, in two allocations; each list is capped, so an append to one copies. None: nil.
func brokenDown(triples [][3]string) []rbacv1.PolicyRule {
	if len(triples) == 0 {
		return nil
	}
	strs := make([]string, 0, 3*len(triples))
	rules := make([]rbacv1.PolicyRule, len(triples))
	for i, t := range triples {
		strs = append(strs, t[:]...)
		at := 3 * i
		rules[i] = rbacv1.PolicyRule{APIGroups: strs[at : at+1 : at+1], Resources: strs[at+1 : at+2 : at+2], Verbs: strs[at+2 : at+3 : at+3]}
	}
	return rules
}

// checkWatchWithoutGrant proves that each pod's account can list and watch, in every namespace its
// program is told to watch (cluster-wide when it watches all), what it is granted list or watch on
// (see listWatched).
func checkWatchWithoutGrant(m *Model) []Finding {
	var out []Finding
	for _, p := range m.Pods {
		ws := m.watches(p)
		if len(ws) == 0 {
			continue
		}
		acct := p.Account()
		need := m.listWatched(acct.AsSubject(), p.Namespace)
		if len(need) == 0 {
			continue
		}
		held := m.grantedIn(acct.AsSubject())
		for _, w := range ws {
			scopes := w.namespaces
			if w.all {
				scopes = []string{""}
			}
			for _, ns := range scopes {
				ok, missing := Covers(m.RulesFor(acct.AsSubject(), ns), need)
				if ok {
					continue
				}
				where := "namespace " + ns
				if ns == "" {
					where = "every namespace"
				}
				out = append(out, Finding{Object: p.Name,
					Message: fmt.Sprintf("%s watches %s (%s), but ServiceAccount %s cannot %s there (its grants are bound %s)",
						p.Name, where, w.source, acct, verbsByResource(missing), held)})
			}
		}
	}
	return out
}

// verbsByResource words broken-down resource rules as "list,watch configmaps; list services".
func verbsByResource(rules []rbacv1.PolicyRule) string {
	verbs := map[string][]string{}
	var order []string
	for _, r := range rules {
		res := r.Resources[0]
		if g := r.APIGroups[0]; g != "" {
			res += "." + g
		}
		if verbs[res] == nil {
			order = append(order, res)
		}
		verbs[res] = append(verbs[res], r.Verbs...)
	}
	sort.Strings(order)
	parts := make([]string, len(order))
	for i, res := range order {
		sort.Strings(verbs[res])
		parts[i] = strings.Join(verbs[res], ",") + " " + res
	}
	return strings.Join(parts, "; ")
}

// grantedIn lists where who holds grants: "cluster" and the namespaces of its RoleBindings.
func (m *Model) grantedIn(who Subject) string {
	set := map[string]bool{}
	for _, b := range m.bindings() {
		if m.bindsSubject(b.subjects, b.namespace, who) {
			if b.namespace == "" {
				set["cluster-wide"] = true
			} else {
				set["in namespace "+b.namespace] = true
			}
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// checkDefaultServiceAccount reports grants bound to a namespace's "default" ServiceAccount.
func checkDefaultServiceAccount(m *Model) []Finding {
	var out []Finding
	for _, b := range m.bindings() {
		for _, s := range b.subjects {
			if s.Kind != rbacv1.ServiceAccountKind || s.Name != "default" {
				continue
			}
			ns := s.Namespace
			if ns == "" {
				ns = b.namespace
			}
			out = append(out, Finding{Object: describe(b.obj),
				Message: fmt.Sprintf("%s grants %s %s to ServiceAccount %s/default: every pod of namespace %s that names no serviceAccountName runs with it",
					describe(b.obj), b.roleRef.Kind, b.roleRef.Name, ns, ns)})
		}
	}
	return out
}

func objectName(o runtime.Object) string {
	if acc, err := meta.Accessor(o); err == nil {
		return acc.GetName()
	}
	return ""
}
