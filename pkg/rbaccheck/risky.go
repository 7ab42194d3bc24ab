package rbaccheck

import (
	"fmt"
	"slices"
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
	// anyName: the rule is risky whatever resourceNames it is pinned to (a pinned write on a
	// ClusterRole still rewrites what its holders are granted).
	anyName bool
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
		req("get,list,watch", "", "secrets", ""), false},
	{"workload-create", Warning, "creates pods or workloads, so it can run any image as any account in its scope", "drop the rule, or annotate the role workload-rbac.io/allow: workload-create when creating workloads is the program's job",
		concat(req("create", "", "pods", ""), req("create", "apps", "deployments", ""), req("create", "apps", "statefulsets", ""), req("create", "apps", "daemonsets", ""),
			req("create", "apps", "replicasets", ""), req("create", "batch", "jobs", ""), req("create", "batch", "cronjobs", "")), false},
	{"pod-exec", Error, "can exec into, attach to or port-forward pods", "drop pods/exec, pods/attach and pods/portforward",
		concat(req("create,get", "", "pods", "exec"), req("create,get", "", "pods", "attach"), req("create,get", "", "pods", "portforward")), false},
	{"nodes-proxy", Error, "can reach kubelets through nodes/proxy", "drop nodes/proxy", req("get,create,update,patch,delete", "", "nodes", "proxy"), false},
	{"serviceaccount-token", Error, "can mint tokens for ServiceAccounts", "drop create on serviceaccounts/token", req("create", "", "serviceaccounts", "token"), false},
	{"webhook-write", Error, "can register admission webhooks that see or change every object", "provision webhook configurations at install time",
		concat(req(writes, "admissionregistration.k8s.io", "validatingwebhookconfigurations", ""), req(writes, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "")), false},
	{"ephemeral-containers", Error, "can add ephemeral containers to running pods", "drop pods/ephemeralcontainers", req("update,patch", "", "pods", "ephemeralcontainers"), false},
	{"persistentvolumes-write", Warning, "can create or change PersistentVolumes (host paths, other tenants' data)", "let a provisioner create volumes; drop the rule",
		req(writes, "", "persistentvolumes", ""), false},
	{"csr-approval", Error, "can approve certificate signing requests", "drop certificatesigningrequests/approval and signers approve",
		concat(req("update,patch", "certificates.k8s.io", "certificatesigningrequests", "approval"), req("approve", "certificates.k8s.io", "signers", "")), false},
	{"rbac-write-cluster", Error, "can write ClusterRoles or ClusterRoleBindings, even ones pinned by name", "provision cluster-wide RBAC at install time; grant roles/rolebindings only",
		concat(req(writes, rbacv1.GroupName, "clusterroles", ""), req(writes, rbacv1.GroupName, "clusterrolebindings", "")), true},
	{"secrets-write", Error, "writes every Secret in its scope", "pin the Secrets it changes with resourceNames (update, patch, delete; create cannot be pinned), or annotate the role workload-rbac.io/allow: secrets-write with a reason",
		req(writes, "", "secrets", ""), false},
}

// ruleSet is a named list of rules to inspect: a rendered role or a runtime grant.
type ruleSet struct {
	name  string
	rules []rbacv1.PolicyRule
	from  ruleSource
	// plain is rules without the wildcard rules; plainUnnamed is plain without resourceNames.
	plain, plainUnnamed []rbacv1.PolicyRule
}

// ruleSource says where a rule set comes from.
type ruleSource int

const (
	inRole ruleSource = iota
	inClusterRole
	inRuntimeGrant
)

// ruleSets lists the Roles, the ClusterRoles and the runtime grants (built once per model).
func (m *Model) ruleSets() []ruleSet { return m.indexed().ruleSets }

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
	checks = append(checks, Check{"escalate-bind-impersonate", "a role that can gain permissions it was not given (escalate or bind on roles, impersonate on users, groups, serviceaccounts, uids or userextras), even pinned by name", Warning,
		"remove the escalate, bind and impersonate verbs", checkEscalation})
	for _, r := range riskyGrants {
		r := r
		resources := requestResources(r.requests)
		checks = append(checks, Check{r.id, "a role that " + r.what, Warning, r.fix, func(m *Model) []Finding {
			var out []Finding
			for _, rs := range m.ruleSets() {
				if !mentionsAny(rs.plain, resources) {
					continue // no rule names a resource of the requests: none can allow one
				}
				rules := rs.plain
				if r.anyName {
					rules = rs.plainUnnamed
				}
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

// requestResources lists the resources the requests ask for as a rule names them ("pods/exec").
func requestResources(reqs []Request) []string {
	var out []string
	for _, q := range reqs {
		res := q.Resource
		if q.Subresource != "" {
			res += "/" + q.Subresource
		}
		if !slices.Contains(out, res) {
			out = append(out, res)
		}
	}
	return out
}

// mentionsAny reports whether a rule names one of the resources literally. Rules without wildcards
// ("*", "*/sub") allow a request only for a resource they name, so when none is named, none of the
// requests for them is allowed.
func mentionsAny(rules []rbacv1.PolicyRule, resources []string) bool {
	for _, r := range rules {
		for _, res := range r.Resources {
			if slices.Contains(resources, res) {
				return true
			}
		}
	}
	return false
}

// withoutNames drops resourceNames, so a rule pinned by name matches the unnamed requests of risky;
// without any, it returns rules itself.
func withoutNames(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	if !slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return r.ResourceNames != nil }) {
		return rules
	}
	out := make([]rbacv1.PolicyRule, len(rules))
	for i, r := range rules {
		r.ResourceNames = nil
		out[i] = r
	}
	return out
}

// checkEscalation reports each role with escalate or bind on roles, or impersonate on an identity,
// pinned by name or not: a pinned bind still binds that role, a pinned impersonate still acts as that
// user. The same verbs on other resources grant nothing (noop-rule reports them).
func checkEscalation(m *Model) []Finding {
	var out []Finding
	for _, rs := range m.ruleSets() {
		for _, rule := range rs.plain {
			if what := escalationGrant(rule); what != "" {
				out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s can gain permissions it was not given (it allows %s)", rs.name, what)})
				break
			}
		}
	}
	return out
}

// escalationGrant names the first escalating request a rule allows ("" when none).
func escalationGrant(rule rbacv1.PolicyRule) string {
	for _, v := range EscalatingVerbs {
		if !has(rule.Verbs, v) {
			continue
		}
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				if verbTakesEffect(v, g, res) {
					return requestString(Request{Verb: v, APIGroup: g, Resource: res})
				}
			}
		}
	}
	return ""
}

// EscalatingVerbs let their holder gain permissions it was not given.
var EscalatingVerbs = []string{"escalate", "bind", "impersonate"}

// verbTakesEffect reports whether Kubernetes ever checks verb on group/resource: escalate and bind
// only on roles and clusterroles (the RBAC storage checks them), impersonate only on users, groups and
// serviceaccounts (core) and uids and userextras/<key> (authentication.k8s.io). Other verbs always do.
func verbTakesEffect(verb, group, resource string) bool {
	switch verb {
	case "escalate", "bind":
		return group == rbacv1.GroupName && (resource == "roles" || resource == "clusterroles")
	case "impersonate":
		return (group == "" && (resource == "users" || resource == "groups" || resource == "serviceaccounts")) ||
			(group == "authentication.k8s.io" && (resource == "uids" || strings.HasPrefix(resource, "userextras/")))
	}
	return true
}

// withoutWildcards drops the rules with a wildcard; without any, it returns rules itself.
func withoutWildcards(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	for i, r := range rules {
		if wildcardRule(r) {
			out := append([]rbacv1.PolicyRule{}, rules[:i]...)
			for _, r := range rules[i+1:] {
				if !wildcardRule(r) {
					out = append(out, r)
				}
			}
			return out
		}
	}
	return rules
}

func wildcardRule(r rbacv1.PolicyRule) bool {
	return containsStar(r.Verbs) || containsStar(r.APIGroups) || containsStar(r.Resources) || wildcardURL(r.NonResourceURLs)
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

// wildcardURL reports a nonResourceURL ending in "*", which matches every URL under its prefix.
func wildcardURL(urls []string) bool {
	for _, u := range urls {
		if strings.HasSuffix(u, "*") {
			return true
		}
	}
	return false
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
