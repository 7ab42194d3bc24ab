package rbaccheck

import (
	"encoding/json"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// clusterScopedResources are the built-in cluster-scoped resources, by API group. A Role naming one
// grants nothing: a Role applies to requests in its namespace, and these have none. "namespaces" is
// not listed: a request for namespace X is authorized in namespace X, so a Role in X can grant get on
// its own Namespace.
var clusterScopedResources = map[string][]string{
	"":                             {"nodes", "persistentvolumes", "componentstatuses"},
	"rbac.authorization.k8s.io":    {"clusterroles", "clusterrolebindings"},
	"apiextensions.k8s.io":         {"customresourcedefinitions"},
	"storage.k8s.io":               {"storageclasses", "csidrivers", "csinodes", "volumeattachments", "volumeattributesclasses"},
	"scheduling.k8s.io":            {"priorityclasses"},
	"admissionregistration.k8s.io": {"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"},
	"apiregistration.k8s.io":       {"apiservices"},
	"certificates.k8s.io":          {"certificatesigningrequests", "clustertrustbundles"},
	"networking.k8s.io":            {"ingressclasses", "ipaddresses", "servicecidrs"},
	"node.k8s.io":                  {"runtimeclasses"},
	"flowcontrol.apiserver.k8s.io": {"flowschemas", "prioritylevelconfigurations"},
	"authentication.k8s.io":        {"tokenreviews", "selfsubjectreviews"},
	"authorization.k8s.io":         {"subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"},
	"resource.k8s.io":              {"deviceclasses"},
}

// ClusterScopedResource reports whether a built-in resource (plural, in its API group) is
// cluster-scoped. Unknown resources (custom ones) are taken as namespaced.
func ClusterScopedResource(group, resource string) bool {
	resource, _, _ = strings.Cut(resource, "/")
	for _, r := range clusterScopedResources[group] {
		if r == resource {
			return true
		}
	}
	return false
}

// rejected says why kube-apiserver's validation would reject a rule ("" when it accepts it), as
// k8s.io/kubernetes pkg/apis/rbac/validation.ValidatePolicyRule does.
func rejected(r rbacv1.PolicyRule, namespaced bool) string {
	switch {
	case len(r.Verbs) == 0:
		return "it has no verbs (verbs: Required value)"
	case len(r.NonResourceURLs) > 0 && namespaced:
		return "a Role cannot hold nonResourceURLs (namespaced rules cannot apply to non-resource URLs)"
	case len(r.NonResourceURLs) > 0 && (len(r.APIGroups) > 0 || len(r.Resources) > 0):
		return "it mixes nonResourceURLs with apiGroups or resources (rules cannot apply to both regular resources and non-resource URLs)"
	case len(r.NonResourceURLs) > 0 && len(r.ResourceNames) > 0:
		return "it has resourceNames with nonResourceURLs"
	case len(r.NonResourceURLs) > 0:
		return ""
	case len(r.Resources) == 0:
		return "it has no resources and no nonResourceURLs (resource rules must supply at least one resource)"
	case len(r.APIGroups) == 0:
		return "it has resources but no apiGroups (resource rules must supply at least one api group; use [\"\"] for the core group)"
	}
	return ""
}

func checkRejectedRules(m *Model) []Finding {
	var out []Finding
	for _, rs := range m.ruleSets() {
		if rs.from == inRuntimeGrant {
			continue
		}
		for i, rule := range rs.rules {
			if why := rejected(rule, rs.from == inRole); why != "" {
				out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s rules[%d] %s: the API server rejects it: %s", rs.name, i, ruleJSON(rule), why)})
			}
		}
	}
	return out
}

// ruleJSON shows a rule as written, empty fields left out: {"resources":["pods"],"verbs":["get"]}.
func ruleJSON(r rbacv1.PolicyRule) string {
	b, err := json.Marshal(r)
	if err != nil {
		return ruleString(r)
	}
	return string(b)
}

// noop says what part of an accepted rule can never authorize anything ("" when all of it can).
func noop(r rbacv1.PolicyRule, namespaced bool) []string {
	var out []string
	if len(r.ResourceNames) > 0 {
		for _, v := range r.Verbs {
			switch v {
			case "create", "deletecollection":
				out = append(out, fmt.Sprintf("its %s never matches: a %s request carries no name to match resourceNames", v, v))
			case "list", "watch":
				out = append(out, fmt.Sprintf("its %s matches only requests with fieldSelector metadata.name=<name>: a %s of the collection is denied", v, v))
			}
		}
	}
	for _, res := range r.Resources {
		// Kubernetes matches "*", "resource/sub" and "*/sub", but no "resource/*": such an entry only
		// matches a subresource literally named "*", which no API has.
		if base, sub, ok := strings.Cut(res, "/"); ok && sub == "*" && base != "*" {
			out = append(out, fmt.Sprintf("%q matches no request: Kubernetes has no per-resource subresource wildcard, so list the subresources (e.g. %s/status)", res, base))
		}
	}
	out = append(out, literalStars(r)...)
	for _, v := range EscalatingVerbs {
		switch {
		case !has(r.Verbs, v) || containsStar(r.Verbs):
		case len(r.NonResourceURLs) > 0:
			out = append(out, fmt.Sprintf("the verb %q grants nothing on non-resource URLs: Kubernetes checks it only on %s; remove it", v, escalationTargetNames[v]))
		case len(r.Resources) > 0 && !containsStar(r.APIGroups) && !containsStar(r.Resources) && escalationTargets(r, v) == 0:
			out = append(out, fmt.Sprintf("the verb %q grants nothing on %s: Kubernetes checks it only on %s; remove it", v, strings.Join(r.Resources, ","), escalationTargetNames[v]))
		}
	}
	if namespaced && has(r.APIGroups, "") && has(r.Resources, "namespaces") {
		for _, v := range r.Verbs {
			if v == "list" || v == "watch" || v == "create" || v == "deletecollection" {
				out = append(out, fmt.Sprintf("its %s on namespaces never matches in a Role: only a request for the Role's own Namespace (get, update, patch, delete) is authorized in a namespace", v))
			}
		}
	}
	if namespaced {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if ClusterScopedResource(g, res) {
					name := res
					if g != "" {
						name += "." + g
					}
					out = append(out, fmt.Sprintf("%s are cluster-scoped, and a Role only grants in its namespace", name))
				}
			}
		}
	}
	return out
}

var escalationTargetNames = map[string]string{
	"escalate":    "roles and clusterroles (rbac.authorization.k8s.io)",
	"bind":        "roles and clusterroles (rbac.authorization.k8s.io)",
	"impersonate": "users, groups and serviceaccounts (core) and uids and userextras/<key> (authentication.k8s.io)",
}

// escalationTargets counts the group/resource pairs of r on which Kubernetes checks verb.
func escalationTargets(r rbacv1.PolicyRule, verb string) int {
	n := 0
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			if verbTakesEffect(verb, g, res) {
				n++
			}
		}
	}
	return n
}

// literalStars reports entries that look like patterns but are compared literally: Kubernetes knows
// only "*" (verbs, apiGroups, resources, nonResourceURLs), "*/sub" (resources) and a trailing "*"
// (nonResourceURLs); "app-*" as a resourceName or "deploy*" as a resource grants nothing but that
// exact string. Empty entries match nothing either ("" is only the core API group).
func literalStars(r rbacv1.PolicyRule) []string {
	var out []string
	for _, f := range []struct {
		name  string
		items []string
	}{{"verbs", r.Verbs}, {"apiGroups", r.APIGroups}, {"resources", r.Resources}, {"resourceNames", r.ResourceNames}, {"nonResourceURLs", r.NonResourceURLs}} {
		for _, x := range f.items {
			switch {
			case x == "" && f.name != "apiGroups":
				out = append(out, fmt.Sprintf("an empty entry in %s matches no request", f.name))
			case !strings.Contains(x, "*"), x == "*" && f.name != "resourceNames":
			case f.name == "resources" && (strings.HasPrefix(x, "*/") || strings.HasSuffix(x, "/*")):
				// "*/sub" is a wildcard; "x/*" is reported above
			case f.name == "nonResourceURLs" && strings.HasSuffix(x, "*") && !strings.Contains(strings.TrimSuffix(x, "*"), "*"):
			default:
				out = append(out, fmt.Sprintf("%q is not a pattern: Kubernetes compares %s literally, so it grants nothing but that exact string", x, f.name))
			}
		}
	}
	return out
}

func checkNoopRules(m *Model) []Finding {
	var out []Finding
	for _, rs := range m.ruleSets() {
		if rs.from == inRuntimeGrant {
			continue
		}
		for i, rule := range rs.rules {
			namespaced := rs.from == inRole
			if rejected(rule, namespaced) != "" {
				continue
			}
			for _, why := range noop(rule, namespaced) {
				out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s rules[%d] %s grants less than it says: %s", rs.name, i, ruleJSON(rule), why)})
			}
		}
	}
	return out
}

// checkDuplicates reports objects rendered twice with the same kind, namespace and name: on install
// the second is rejected ("already exists") or silently replaces the first.
func checkDuplicates(m *Model) []Finding {
	count := map[string]int{}
	var order []string
	for _, o := range m.Objects {
		k := describe(o)
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	var out []Finding
	for _, k := range order {
		if count[k] > 1 {
			out = append(out, Finding{Object: k, Message: fmt.Sprintf("%s is rendered %d times: the API server keeps one (or the install fails with \"already exists\")", k, count[k])})
		}
	}
	return out
}
