package rbaccheck

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// IsClusterScopedResource tells whether RESOURCE[/SUB][.GROUP] is the resource of a cluster-scoped
// kind (nodes, clusterroles, namespaces, ...): a grant of it is cluster-wide, never "in every
// namespace", and kubectl asks about it without a namespace.
func IsClusterScopedResource(resource string) bool {
	res, _, _ := strings.Cut(resource, ".")
	res, _, _ = strings.Cut(res, "/")
	for kind := range chartrender.ClusterScopedKinds {
		plural := strings.ToLower(kind) + "s"
		if strings.HasSuffix(kind, "s") {
			plural = strings.ToLower(kind) + "es"
		}
		if res == plural {
			return true
		}
	}
	return false
}

// RiskyIDs returns the IDs of the risky-grant checks one rule would trigger ("wildcard" for a rule
// with "*", "secrets-read" for get secrets, ...), in check order: what makes a gained permission risky.
func RiskyIDs(rule rbacv1.PolicyRule) []string {
	var out []string
	if wildcardRule(rule) {
		out = append(out, "wildcard")
	}
	for _, r := range riskyGrants {
		for _, q := range r.requests {
			if RuleAllows(rule, q) {
				out = append(out, r.id)
				break
			}
		}
	}
	return out
}
