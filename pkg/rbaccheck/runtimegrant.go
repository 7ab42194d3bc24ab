package rbaccheck

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// The ConfigMap convention by which a chart declares the rules a program grants at runtime.
const (
	RuntimeRulesLabel    = "workload-rbac.io/runtime-rules" // "true"
	GrantedByAnnotation  = "workload-rbac.io/granted-by"    // the granting ServiceAccount, in the ConfigMap's namespace
	NamespacesAnnotation = "workload-rbac.io/namespaces"    // "a,b" or "*" for every namespace
	RuntimeRulesKey      = "rules.yaml"                     // a YAML list of PolicyRules
	AllNamespaces        = "*"
)

// RuntimeGrant declares that Grantor creates Roles with Rules (and RoleBindings to them) in each of
// Namespaces at runtime. Kubernetes' escalation prevention rejects such a Role unless the grantor holds
// every rule in that namespace, so the grant is only safe to ship when CheckRuntimeGrant finds nothing.
type RuntimeGrant struct {
	Grantor    ServiceAccountRef
	Namespaces []string // AllNamespaces means any namespace: the rules must be held cluster-wide
	Rules      []rbacv1.PolicyRule
	Source     string // where it was declared, e.g. "ConfigMap ops/rel-operator-registry-api-rules"
}

// RuntimeGrantsFromObjects reads runtime grants from ConfigMaps labelled workload-rbac.io/runtime-rules,
// skipping malformed ones (see RuntimeGrantsFromObjectsWithErrors).
func RuntimeGrantsFromObjects(objs []runtime.Object) []RuntimeGrant {
	g, _ := RuntimeGrantsFromObjectsWithErrors(objs)
	return g
}

// RuntimeGrantsFromObjectsWithErrors reads runtime grants and says what is wrong with malformed ones.
func RuntimeGrantsFromObjectsWithErrors(objs []runtime.Object) ([]RuntimeGrant, []string) {
	var out []RuntimeGrant
	var errs []string
	for _, o := range objs {
		cm, ok := o.(*corev1.ConfigMap)
		if !ok || cm.Labels[RuntimeRulesLabel] != "true" {
			continue
		}
		src := "ConfigMap " + cm.Namespace + "/" + cm.Name
		grantor := cm.Annotations[GrantedByAnnotation]
		nss := cm.Annotations[NamespacesAnnotation]
		rules, err := parseRules(cm.Data[RuntimeRulesKey])
		switch {
		case grantor == "":
			errs = append(errs, src+": no "+GrantedByAnnotation+" annotation: name the ServiceAccount that creates the Roles")
		case nss == "":
			errs = append(errs, src+": no "+NamespacesAnnotation+" annotation: list the namespaces, or \"*\"")
		case err != nil:
			errs = append(errs, fmt.Sprintf("%s: data %s is not a list of PolicyRules: %v", src, RuntimeRulesKey, err))
		default:
			var list []string
			for _, n := range strings.Split(nss, ",") {
				if n = strings.TrimSpace(n); n != "" {
					list = append(list, n)
				}
			}
			out = append(out, RuntimeGrant{Grantor: ServiceAccountRef{cm.Namespace, grantor}, Namespaces: list, Rules: rules, Source: src})
		}
	}
	return out, errs
}

// parsedRules caches, for each distinct rules.yaml text, what yaml.UnmarshalStrict made of it: a
// chart renders the same runtime-rules ConfigMap in most of its combinations, and parsing it was a
// quarter of the checks' time. It holds at most maxParsedRules texts (it starts over when full), so
// memory stays flat however many combinations run.
var parsedRules struct {
	sync.Mutex
	byText map[string]rulesParse
}

const maxParsedRules = 256

type rulesParse struct {
	rules []rbacv1.PolicyRule
	err   error
}

// parseRules reads a rules.yaml as yaml.UnmarshalStrict does; the rules are the caller's own copy.
func parseRules(data string) ([]rbacv1.PolicyRule, error) {
	parsedRules.Lock()
	p, ok := parsedRules.byText[data]
	parsedRules.Unlock()
	if !ok {
		p.err = yaml.UnmarshalStrict([]byte(data), &p.rules)
		parsedRules.Lock()
		if parsedRules.byText == nil || len(parsedRules.byText) >= maxParsedRules {
			parsedRules.byText = map[string]rulesParse{}
		}
		parsedRules.byText[data] = p
		parsedRules.Unlock()
	}
	return copyRules(p.rules), p.err
}

// copyRules deep-copies rules (nil stays nil).
func copyRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	if rules == nil {
		return nil
	}
	out := make([]rbacv1.PolicyRule, len(rules))
	for i := range rules {
		rules[i].DeepCopyInto(&out[i])
	}
	return out
}

// manageRBAC is what creating a Role and a RoleBinding takes, beyond holding the Role's rules.
var manageRBAC = rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}, Verbs: []string{"create"}}

// CheckRuntimeGrant proves that the grantor holds the grant's rules, and create on roles and
// rolebindings, in every namespace of the grant ("*": cluster-wide). Each gap is a runtime-coverage
// violation that lists the missing permissions.
func (m *Model) CheckRuntimeGrant(g RuntimeGrant) []Violation {
	var out []Violation
	c := checkByID("runtime-coverage")
	for _, f := range m.runtimeGrantFindings(g) {
		out = append(out, m.stamp(c, f))
	}
	return out
}

func (m *Model) runtimeGrantFindings(g RuntimeGrant) []Finding {
	var out []Finding
	need := append(append([]rbacv1.PolicyRule{}, g.Rules...), manageRBAC)
	nss := append([]string{}, g.Namespaces...)
	sort.Strings(nss)
	for _, ns := range nss {
		scope, where := ns, "in namespace "+ns
		if ns == AllNamespaces {
			scope, where = "", "cluster-wide (it grants in every namespace)"
		}
		ok, missing := Covers(m.RulesFor(g.Grantor.AsSubject(), scope), need)
		if ok {
			continue
		}
		out = append(out, Finding{Object: g.Source,
			Message: fmt.Sprintf("ServiceAccount %s creates Roles %s but does not hold %s there; Kubernetes will reject them (\"attempting to grant RBAC permissions not currently held\")",
				g.Grantor, where, describeRules(missing))})
	}
	return out
}

func describeRules(rules []rbacv1.PolicyRule) string {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		parts = append(parts, ruleString(r))
	}
	sort.Strings(parts)
	if len(parts) > 6 {
		parts = append(parts[:6], fmt.Sprintf("and %d more", len(parts)-6))
	}
	return strings.Join(parts, "; ")
}

func ruleString(r rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return strings.Join(r.Verbs, ",") + " " + strings.Join(r.NonResourceURLs, ",")
	}
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g != "" {
				x += "." + g
			}
			res = append(res, x)
		}
	}
	s := strings.Join(r.Verbs, ",") + " " + strings.Join(res, ",")
	if len(r.ResourceNames) > 0 {
		s += " [" + strings.Join(r.ResourceNames, ",") + "]"
	}
	return s
}
