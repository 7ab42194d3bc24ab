package rbaccheck

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// risky is a kind of grant that hands its holder more than a workload usually should.
type risky struct {
	id       string
	severity Severity
	what     string
	fix      string
	requests []Request
}

func req(verbs, group, resource, sub string) []Request {
	var out []Request
	for _, v := range strings.Split(verbs, ",") {
		out = append(out, Request{Verb: v, APIGroup: group, Resource: resource, Subresource: sub})
	}
	return out
}

func concat(rs ...[]Request) []Request {
	var out []Request
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

const writes = "create,update,patch,delete,deletecollection"

var riskyGrants = []risky{
	{"secrets-read", Error, "reads every Secret in its scope", "pin the Secrets it needs with resourceNames (get only), or drop the rule",
		req("get,list,watch", "", "secrets", "")},
	{"workload-create", Warning, "creates pods or workloads, so it can run any image as any account in its scope", "drop the rule, or annotate the role workload-rbac.io/allow: workload-create when creating workloads is the program's job",
		concat(req("create", "", "pods", ""), req("create", "apps", "deployments", ""), req("create", "apps", "statefulsets", ""), req("create", "apps", "daemonsets", ""),
			req("create", "apps", "replicasets", ""), req("create", "batch", "jobs", ""), req("create", "batch", "cronjobs", ""))},
	{"escalate-bind-impersonate", Error, "can gain permissions it was not given (escalate, bind or impersonate)", "remove the escalate, bind and impersonate verbs",
		concat(req("escalate,bind", rbacv1.GroupName, "roles", ""), req("escalate,bind", rbacv1.GroupName, "clusterroles", ""),
			req("impersonate", "", "users", ""), req("impersonate", "", "groups", ""), req("impersonate", "", "serviceaccounts", ""))},
	{"pod-exec", Error, "can exec into, attach to or port-forward pods", "drop pods/exec, pods/attach and pods/portforward",
		concat(req("create,get", "", "pods", "exec"), req("create,get", "", "pods", "attach"), req("create,get", "", "pods", "portforward"))},
	{"nodes-proxy", Error, "can reach kubelets through nodes/proxy", "drop nodes/proxy", req("get,create,update,patch,delete", "", "nodes", "proxy")},
	{"serviceaccount-token", Error, "can mint tokens for ServiceAccounts", "drop create on serviceaccounts/token", req("create", "", "serviceaccounts", "token")},
	{"webhook-write", Error, "can register admission webhooks that see or change every object", "provision webhook configurations at install time",
		concat(req(writes, "admissionregistration.k8s.io", "validatingwebhookconfigurations", ""), req(writes, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", ""))},
	{"ephemeral-containers", Error, "can add ephemeral containers to running pods", "drop pods/ephemeralcontainers", req("update,patch", "", "pods", "ephemeralcontainers")},
	{"persistentvolumes-write", Warning, "can create or change PersistentVolumes (host paths, other tenants' data)", "let a provisioner create volumes; drop the rule",
		req(writes, "", "persistentvolumes", "")},
	{"csr-approval", Error, "can approve certificate signing requests", "drop certificatesigningrequests/approval and signers approve",
		concat(req("update,patch", "certificates.k8s.io", "certificatesigningrequests", "approval"), req("approve", "certificates.k8s.io", "signers", ""))},
	{"rbac-write-cluster", Error, "can write ClusterRoles or ClusterRoleBindings", "provision cluster-wide RBAC at install time; grant roles/rolebindings only",
		concat(req(writes, rbacv1.GroupName, "clusterroles", ""), req(writes, rbacv1.GroupName, "clusterrolebindings", ""))},
}

// ruleSet is a named list of rules to inspect: a rendered role or a runtime grant.
type ruleSet struct {
	name  string
	rules []rbacv1.PolicyRule
}

func (m *Model) ruleSets() []ruleSet {
	var out []ruleSet
	for _, r := range m.Roles {
		out = append(out, ruleSet{describe(r), r.Rules})
	}
	for _, r := range m.ClusterRoles {
		out = append(out, ruleSet{describe(r), r.Rules})
	}
	for _, g := range m.RuntimeGrants {
		out = append(out, ruleSet{g.Source, g.Rules})
	}
	return out
}

// riskyChecks are the risky-grant checks: warnings by default (ModelOptions.Severity or the spec's
// checks.severity make them errors). A rule with a wildcard is reported once, by the wildcard check,
// not again by every risky check it also matches.
func riskyChecks() []Check {
	checks := []Check{
		{"wildcard", "a rule with \"*\" in its verbs, apiGroups, resources or nonResourceURLs", Warning,
			"list the verbs, groups and resources the workload needs", checkWildcards},
		{"cluster-admin-binding", "a binding to the cluster-admin ClusterRole", Warning,
			"bind a role with the rules the workload needs", checkClusterAdmin},
	}
	for _, r := range riskyGrants {
		r := r
		checks = append(checks, Check{r.id, "a role that " + r.what, Warning, r.fix, func(m *Model) []Finding {
			var out []Finding
			for _, rs := range m.ruleSets() {
				rules := withoutWildcards(rs.rules)
				for _, q := range r.requests {
					if RulesAllow(rules, q) {
						out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s %s (it allows %s)", rs.name, r.what, requestString(q))})
						break
					}
				}
			}
			return out
		}})
	}
	return checks
}

func withoutWildcards(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !wildcardRule(r) {
			out = append(out, r)
		}
	}
	return out
}

func wildcardRule(r rbacv1.PolicyRule) bool {
	return containsStar(r.Verbs) || containsStar(r.APIGroups) || containsStar(r.Resources) || containsStar(r.NonResourceURLs)
}

func requestString(q Request) string {
	res := q.Resource
	if q.Subresource != "" {
		res += "/" + q.Subresource
	}
	if q.APIGroup != "" {
		res += "." + q.APIGroup
	}
	return q.Verb + " " + res
}

// checkWildcards reports each rule with a wildcard once, saying what it is equivalent to.
func checkWildcards(m *Model) []Finding {
	var out []Finding
	for _, rs := range m.ruleSets() {
		for _, rule := range rs.rules {
			if wildcardRule(rule) {
				out = append(out, Finding{Object: rs.name,
					Message: fmt.Sprintf("%s has the rule %s: equivalent to %s in its scope, including what is added later", rs.name, ruleJSON(rule), wildcardMeaning(rule))})
			}
		}
	}
	return out
}

// wildcardMeaning says in words what a wildcard rule grants, e.g. "every verb on every resource".
func wildcardMeaning(r rbacv1.PolicyRule) string {
	verbs := strings.Join(r.Verbs, ",")
	if containsStar(r.Verbs) {
		verbs = "every verb"
	}
	if len(r.NonResourceURLs) > 0 {
		return verbs + " on non-resource URLs " + strings.Join(r.NonResourceURLs, ",")
	}
	res := strings.Join(r.Resources, ",")
	switch {
	case has(r.Resources, "*") && containsStar(r.APIGroups):
		res = "every resource"
	case has(r.Resources, "*"):
		res = "every resource of API groups " + strings.Join(quoteGroups(r.APIGroups), ",")
	case containsStar(r.APIGroups):
		res += " of every API group"
	}
	return verbs + " on " + res
}

func quoteGroups(gs []string) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = fmt.Sprintf("%q", g)
	}
	return out
}

func containsStar(list []string) bool {
	for _, x := range list {
		if x == "*" || strings.HasPrefix(x, "*/") {
			return true
		}
	}
	return false
}

func checkClusterAdmin(m *Model) []Finding {
	var out []Finding
	for _, b := range m.bindings() {
		if b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == "cluster-admin" {
			out = append(out, Finding{Object: describe(b.obj), Message: fmt.Sprintf("%s grants cluster-admin", describe(b.obj))})
		}
	}
	return out
}

func dedupe(vs []Violation) []Violation {
	seen := map[string]bool{}
	var out []Violation
	for _, v := range vs {
		k := v.Check + "|" + v.Object + "|" + v.Message
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}
