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

func riskyChecks() []Check {
	checks := []Check{
		{"wildcard", "a rule with \"*\" in its verbs, apiGroups or resources", checkWildcards},
		{"cluster-admin-binding", "a binding to the cluster-admin ClusterRole", checkClusterAdmin},
	}
	for _, r := range riskyGrants {
		r := r
		checks = append(checks, Check{r.id, "a role that " + r.what, func(m *Model) []Violation {
			var out []Violation
			for _, rs := range m.ruleSets() {
				for _, q := range r.requests {
					if RulesAllow(rs.rules, q) {
						out = append(out, Violation{r.id, r.severity, rs.name,
							fmt.Sprintf("%s %s (it allows %s)", rs.name, r.what, requestString(q)), r.fix})
						break
					}
				}
			}
			return out
		}})
	}
	return checks
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

func checkWildcards(m *Model) []Violation {
	var out []Violation
	for _, rs := range m.ruleSets() {
		for _, rule := range rs.rules {
			for field, list := range map[string][]string{"verbs": rule.Verbs, "apiGroups": rule.APIGroups, "resources": rule.Resources, "nonResourceURLs": rule.NonResourceURLs} {
				if containsStar(list) {
					out = append(out, Violation{"wildcard", Error, rs.name,
						fmt.Sprintf("%s has \"*\" in %s (rule: %s), granting everything that exists now and later", rs.name, field, ruleString(rule)),
						"list the verbs, groups and resources the workload needs"})
				}
			}
		}
	}
	return dedupe(out)
}

func containsStar(list []string) bool {
	for _, x := range list {
		if x == "*" || strings.HasPrefix(x, "*/") {
			return true
		}
	}
	return false
}

func checkClusterAdmin(m *Model) []Violation {
	var out []Violation
	for _, b := range m.bindings() {
		if b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == "cluster-admin" {
			out = append(out, Violation{"cluster-admin-binding", Error, describe(b.obj),
				fmt.Sprintf("%s grants cluster-admin", describe(b.obj)), "bind a role with the rules the workload needs"})
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
