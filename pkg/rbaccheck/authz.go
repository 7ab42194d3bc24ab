// Package rbaccheck analyses rendered Kubernetes RBAC offline, with Kubernetes' own evaluation
// semantics: who can do what where (can-i and a table), orphaned bindings, roles and ServiceAccounts,
// scope leaks, programs told to watch namespaces their account holds no grant in, rules the server
// rejects or ignores, whether an account that creates Roles at runtime holds every rule it grants
// (escalation prevention), and risky grants. It needs no cluster and no Helm: give it the objects.
package rbaccheck

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is one access question, as kube-apiserver's authorizer sees it.
type Request struct {
	Verb        string
	APIGroup    string // "" is the core group
	Resource    string // plural, e.g. "pods"
	Subresource string // e.g. "exec"
	Name        string // the object's name; "" for list, watch, create and collection requests
	// Namespace of the request; "" asks cluster-wide (cluster-scoped objects, or all namespaces).
	Namespace      string
	NonResourceURL string // set for non-resource requests such as /healthz; then only Verb counts
}

// RuleAllows reports whether one PolicyRule authorizes the request, as Kubernetes' RBAC authorizer
// does: "*" matches any verb, group or resource; "*/sub" matches that subresource of any resource; a
// rule with resourceNames only matches requests for one of those names (so never list, watch or
// create); nonResourceURLs match exactly or by a trailing "*" prefix.
func RuleAllows(rule rbacv1.PolicyRule, r Request) bool {
	if !has(rule.Verbs, r.Verb) {
		return false
	}
	if r.NonResourceURL != "" {
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == r.NonResourceURL || (strings.HasSuffix(u, "*") && strings.HasPrefix(r.NonResourceURL, strings.TrimSuffix(u, "*"))) {
				return true
			}
		}
		return false
	}
	if !has(rule.APIGroups, r.APIGroup) || !resourceMatches(rule.Resources, r.Resource, r.Subresource) {
		return false
	}
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == r.Name && r.Name != "" {
			return true
		}
	}
	return false
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}

func resourceMatches(ruleResources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined = resource + "/" + sub
	}
	for _, rr := range ruleResources {
		if rr == "*" || rr == combined || (sub != "" && rr == "*/"+sub) {
			return true
		}
	}
	return false
}

// RulesAllow reports whether any of the rules authorizes the request.
func RulesAllow(rules []rbacv1.PolicyRule, r Request) bool {
	for _, rule := range rules {
		if RuleAllows(rule, r) {
			return true
		}
	}
	return false
}
