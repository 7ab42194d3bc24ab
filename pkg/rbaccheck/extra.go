package rbaccheck

// extraChecks are the checks of watched namespaces and the default ServiceAccount (watch.go), and of
// rules and objects the API server rejects or ignores (rules.go).
func extraChecks() []Check {
	return []Check{
		{"watch-without-grant", "a program told to watch namespaces (env WATCH_NAMESPACE, *_NAMESPACES, --namespace, ...) where its account cannot list and watch what it is granted elsewhere", Error,
			"bind the account's list/watch rules in every namespace it watches (cluster-wide when it watches all), or tell the program only the namespaces it is granted in", checkWatchWithoutGrant},
		{"default-serviceaccount-granted", "grants bound to a namespace's default ServiceAccount, which every pod that names no account runs as", Warning,
			"create a dedicated ServiceAccount, bind the role to it and set serviceAccountName in the pods that need it", checkDefaultServiceAccount},
		{"rejected-rule", "a rule the API server rejects: no verbs, no resources, no apiGroups, nonResourceURLs in a Role or mixed with resources", Error,
			"fix the rule: give verbs, apiGroups ([\"\"] for the core group) and resources, and put nonResourceURLs in a separate ClusterRole rule", checkRejectedRules},
		{"noop-rule", "a rule that grants nothing: resourceNames with create/deletecollection (or list/watch), a Role naming cluster-scoped resources, a `resource/*` entry (Kubernetes has no such wildcard), a \"*\" inside an entry Kubernetes compares literally (`app-*`), an empty entry, or escalate/bind/impersonate on resources where Kubernetes never checks them", Error,
			"drop resourceNames for create, deletecollection, list and watch (give those verbs in a rule without names), grant cluster-scoped resources with a ClusterRole and ClusterRoleBinding, and list subresources by name (deployments/status) or as \"*/status\", write names in full, and drop escalate/bind/impersonate", checkNoopRules},
		{"duplicate-object", "two rendered objects with the same kind, namespace and name", Error,
			"render each object once: guard one copy with the opposite condition, or give them distinct names", checkDuplicates},
	}
}
