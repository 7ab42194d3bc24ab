package valuesdoc

import (
	"sort"
	"strings"
)

// The library's least-privilege rule policy as the schemas state it: the single source of the
// "$defs/rule" and "$defs/namespacedRule" fragments of every chart schema (values-doc writes them,
// `make verify` fails when a schema drifted). Each list mirrors a fail in templates-lib's
// workload-rbac.validate.rules; tests/policy_agreement_test.go checks that schema and library accept
// and refuse the same rules.
var (
	// RuleFields are the PolicyRule fields a rule may set, in rendering order.
	RuleFields = []string{"apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs"}
	// EscalatingVerbs let their holder gain permissions it was not given.
	EscalatingVerbs = []string{"escalate", "bind", "impersonate"}
	// ClusterRBACResources must never be written by a workload.
	ClusterRBACResources = []string{"clusterroles", "clusterrolebindings"}
	// WriteVerbs are the verbs that change objects.
	WriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
	// UnpinnableVerbs are not restricted to resourceNames by the authorizer.
	UnpinnableVerbs = []string{"list", "watch", "create", "deletecollection"}
	// ClusterScopedResources are the built-in cluster-scoped resources by API group: a Role (or a
	// ClusterRole bound per namespace) grants nothing on them. It mirrors the library's
	// workload-rbac.rules.clusterScopedResources (TestClusterScopedResourcesMatchTheLibrary).
	ClusterScopedResources = map[string][]string{
		"":                             {"nodes", "namespaces", "persistentvolumes", "componentstatuses"},
		"apiextensions.k8s.io":         {"customresourcedefinitions"},
		"apiregistration.k8s.io":       {"apiservices"},
		"rbac.authorization.k8s.io":    {"clusterroles", "clusterrolebindings"},
		"storage.k8s.io":               {"storageclasses", "csidrivers", "csinodes", "volumeattachments"},
		"scheduling.k8s.io":            {"priorityclasses"},
		"networking.k8s.io":            {"ingressclasses"},
		"node.k8s.io":                  {"runtimeclasses"},
		"admissionregistration.k8s.io": {"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings"},
		"certificates.k8s.io":          {"certificatesigningrequests"},
		"authentication.k8s.io":        {"tokenreviews"},
		"authorization.k8s.io":         {"subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"},
		"flowcontrol.apiserver.k8s.io": {"flowschemas", "prioritylevelconfigurations"},
	}
)

// clusterScopedGroups are the keys of ClusterScopedResources in a stable order.
func clusterScopedGroups() []string {
	groups := make([]string, 0, len(ClusterScopedResources))
	for g := range ClusterScopedResources {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	return groups
}

func strs(s []string) []interface{} {
	out := make([]interface{}, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// refuse is the schema idiom for a readable refusal: when cond holds, require a property whose name
// is the message (it can never be present), so editors and Helm print the message.
func refuse(cond *Object, message string) *Object {
	return NewObject("if", cond, "then", NewObject("required", strs([]string{message})))
}

func nonEmpty(field string) *Object {
	return NewObject("required", strs([]string{field}), "properties", NewObject(field, NewObject("minItems", 1)))
}

func containsAny(field string, values []string) *Object {
	return NewObject("properties", NewObject(field, NewObject("contains", NewObject("enum", strs(values)))), "required", strs([]string{field}))
}

func list(items ...interface{}) []interface{} { return items }

// RuleDefs returns the "$defs" entries of the rule policy: "ruleItem", "rule" and "namespacedRule".
func RuleDefs() map[string]*Object {
	props := NewObject("why", NewObject("type", "string"))
	for _, f := range RuleFields {
		items := NewObject("$ref", "#/$defs/ruleItem")
		if f == "apiGroups" {
			items = NewObject("type", "string") // "" is the core group
		}
		p := NewObject("type", "array")
		if f == "verbs" {
			p.Set("minItems", 1)
		}
		p.Set("items", items)
		props.Set(f, p)
	}
	var policy []interface{}
	// perResourceWildcard is "<resource>/*", which Kubernetes matches to no request (it has no
	// per-resource subresource wildcard): refused with its own message, not as a wildcard.
	const perResourceWildcard = `^[^*]+/\*$`
	for _, f := range RuleFields {
		star := NewObject("pattern", `\*`)
		if f == "resources" {
			star.Set("not", NewObject("pattern", perResourceWildcard))
		}
		cond := NewObject("properties", NewObject(f, NewObject("contains", star)), "required", strs([]string{f}))
		policy = append(policy, refuse(cond,
			f+` must not contain the wildcard "*", bare or in a subresource such as "*/scale": list each one explicitly (least privilege)`))
		if f == "resources" {
			policy = append(policy, refuse(NewObject("properties", NewObject(f, NewObject("contains", NewObject("pattern", perResourceWildcard))), "required", strs([]string{f})),
				`resources must not end in "/*": Kubernetes has no per-resource subresource wildcard, so "deployments/*" matches no request: list the subresources by name (e.g. deployments/status)`))
		}
	}
	policy = append(policy,
		refuse(containsAny("verbs", EscalatingVerbs),
			"verbs must not grant "+orList(EscalatingVerbs)+": they let the holder gain permissions it was not given; remove them"),
		refuse(NewObject("properties", NewObject("why", NewObject("pattern", "[\r\n\u0085\u2028\u2029]")), "required", strs([]string{"why"})),
			"why must be one line: a line break would end its YAML comment"),
		refuse(NewObject("not", NewObject("anyOf", list(nonEmpty("resources"), nonEmpty("nonResourceURLs")))),
			"a rule must name resources (with apiGroups) or nonResourceURLs"),
		refuse(NewObject("allOf", list(nonEmpty("resources"), NewObject("not", nonEmpty("apiGroups")))),
			`resources need apiGroups, which Kubernetes requires: add apiGroups ([""] is the core group)`),
		refuse(NewObject("allOf", list(nonEmpty("nonResourceURLs"), NewObject("anyOf", list(nonEmpty("apiGroups"), nonEmpty("resources"), nonEmpty("resourceNames"))))),
			"nonResourceURLs cannot be mixed with apiGroups, resources or resourceNames in one rule (Kubernetes refuses it): split it into two rules"),
		refuse(NewObject("allOf", list(nonEmpty("resourceNames"), containsAny("verbs", UnpinnableVerbs))),
			"resourceNames do not restrict "+orList(UnpinnableVerbs)+": move those verbs to a rule without resourceNames, or drop them"),
		refuse(NewObject(
			"properties", NewObject("apiGroups", NewObject("contains", NewObject("const", "")), "resources", NewObject("contains", NewObject("const", "secrets"))),
			"required", strs([]string{"apiGroups", "resources"}),
			"not", nonEmpty("resourceNames")),
			"secrets must be pinned with resourceNames: a rule must not grant access to every Secret"),
		refuse(NewObject(
			"properties", NewObject(
				"apiGroups", NewObject("contains", NewObject("const", "rbac.authorization.k8s.io")),
				"resources", NewObject("contains", NewObject("enum", strs(ClusterRBACResources))),
				"verbs", NewObject("contains", NewObject("enum", strs(WriteVerbs)))),
			"required", strs([]string{"apiGroups", "resources", "verbs"})),
			"a workload must not write "+strings.Join(ClusterRBACResources, " or ")+": provision ClusterRoles at install time with this library instead"),
	)
	rule := NewObject(
		"type", "object",
		"additionalProperties", false,
		"required", strs([]string{"verbs"}),
		"properties", props,
		"$comment", "Generated by cmd/values-doc from pkg/valuesdoc/policy.go. Each if/then mirrors a fail in the library's workload-rbac.validate.rules (the impossible required key carries the message editors and helm show); tests/invalid_test.go and tests/policy_agreement_test.go check both layers refuse the same rules.",
		"allOf", policy,
	)
	namespacedPolicy := []interface{}{refuse(nonEmpty("nonResourceURLs"),
		"nonResourceURLs are granted only by a ClusterRole bound cluster-wide: remove them from rules that go into Roles or namespace bindings")}
	for _, g := range clusterScopedGroups() {
		resources := ClusterScopedResources[g]
		pattern := "^(" + strings.Join(resources, "|") + ")(/.*)?$"
		namespacedPolicy = append(namespacedPolicy, refuse(NewObject(
			"properties", NewObject(
				"apiGroups", NewObject("contains", NewObject("const", g)),
				"resources", NewObject("contains", NewObject("pattern", pattern))),
			"required", strs([]string{"apiGroups", "resources"})),
			"a cluster-scoped resource ("+strings.Join(resources, ", ")+" of API group \""+g+"\") grants nothing in a Role or namespace binding: grant it with a ClusterRole bound cluster-wide, or remove it"))
	}
	namespaced := NewObject(
		"$comment", "A rule that goes into a Role (or a ClusterRole bound per namespace): Kubernetes refuses nonResourceURLs there, and cluster-scoped resources grant nothing.",
		"allOf", namespacedPolicy,
	)
	return map[string]*Object{
		"ruleItem":       NewObject("type", "string", "minLength", 1),
		"rule":           rule,
		"namespacedRule": namespaced,
	}
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
