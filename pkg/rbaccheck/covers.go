package rbaccheck

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Covers reports whether owner's rules cover every permission in servant's, and which broken-down
// rules are missing: Kubernetes' own check (validation.Covers of k8s.io/component-helpers/auth/rbac,
// which the API server's escalation prevention runs), giving the same answer and the same missing
// rules in the same order. It breaks the servant rules down without allocating (validation.Covers
// builds every one-verb rule and three maps per comparison) and allocates only the missing rules;
// TestCoversMatchesComponentHelpers compares the two on generated rule sets.
func Covers(owner, servant []rbacv1.PolicyRule) (bool, []rbacv1.PolicyRule) {
	missing := []rbacv1.PolicyRule{}
	for _, s := range servant {
		// The order of validation.BreakdownRule: groups, resources, verbs, names; then URLs, verbs.
		for _, g := range s.APIGroups {
			for _, res := range s.Resources {
				for _, v := range s.Verbs {
					if len(s.ResourceNames) == 0 {
						if !ownersCoverResource(owner, v, g, res, "", false) {
							missing = append(missing, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}})
						}
						continue
					}
					for _, n := range s.ResourceNames {
						if !ownersCoverResource(owner, v, g, res, n, true) {
							missing = append(missing, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}, ResourceNames: []string{n}})
						}
					}
				}
			}
		}
		for _, u := range s.NonResourceURLs {
			for _, v := range s.Verbs {
				if !ownersCoverURL(owner, v, u) {
					missing = append(missing, rbacv1.PolicyRule{NonResourceURLs: []string{u}, Verbs: []string{v}})
				}
			}
		}
	}
	return len(missing) == 0, missing
}

// ownersCoverResource is validation.ruleCovers of one owner rule against the one-verb, one-group,
// one-resource (and, when named, one-name) rule, for any owner rule.
func ownersCoverResource(owner []rbacv1.PolicyRule, verb, group, resource, name string, named bool) bool {
	for i := range owner {
		o := &owner[i]
		if (len(o.ResourceNames) == 0 || (named && slices.Contains(o.ResourceNames, name))) &&
			(slices.Contains(o.Verbs, rbacv1.VerbAll) || slices.Contains(o.Verbs, verb)) &&
			(slices.Contains(o.APIGroups, rbacv1.APIGroupAll) || slices.Contains(o.APIGroups, group)) &&
			resourceCovered(o.Resources, resource) {
			return true
		}
	}
	return false
}

// resourceCovered is validation.resourceCoversAll for one resource: "*", the resource itself, or, for
// a subresource ("pods/log"), "*/" and what follows the first slash ("*/log").
func resourceCovered(set []string, resource string) bool {
	_, sub, isSub := strings.Cut(resource, "/")
	for _, r := range set {
		if r == rbacv1.ResourceAll || r == resource || (isSub && len(r) == 2+len(sub) && strings.HasPrefix(r, "*/") && r[2:] == sub) {
			return true
		}
	}
	return false
}

// ownersCoverURL is validation.ruleCovers of one owner rule against the one-verb, one-URL rule: the
// owner's groups and resources do not matter, it must have no resourceNames, and one of its URLs is
// the URL or a prefix of it ending in "*".
func ownersCoverURL(owner []rbacv1.PolicyRule, verb, url string) bool {
	for i := range owner {
		o := &owner[i]
		if len(o.ResourceNames) != 0 || (!slices.Contains(o.Verbs, rbacv1.VerbAll) && !slices.Contains(o.Verbs, verb)) {
			continue
		}
		for _, u := range o.NonResourceURLs {
			if u == url || (strings.HasSuffix(u, "*") && strings.HasPrefix(url, strings.TrimRight(u, "*"))) {
				return true
			}
		}
	}
	return false
}
