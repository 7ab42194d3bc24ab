package rbaccheck

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// Pools the generated rules draw from: wildcards, subresources ("pods/log", "*/log", "pods/*", a
// second slash), resourceNames, nonResourceURLs with exact and prefix ("/api*", "/a**") forms, and
// empty entries, so every branch of validation.ruleCovers is reached.
var (
	genVerbs     = []string{"get", "list", "watch", "create", "*", ""}
	genGroups    = []string{"", "apps", "x.io", "*"}
	genResources = []string{"pods", "pods/log", "pods/status", "*/log", "*/status", "*", "pods/*", "deployments", "a/b/c", "*/b/c", "b/c", ""}
	genNames     = []string{"a", "b", "*", ""}
	genURLs      = []string{"/healthz", "/healthz/*", "*", "/metrics", "/api*", "/api/v1", "/a**", "/", ""}
)

// pick returns up to max entries drawn from pool (duplicates possible, as in hand-written rules).
func pick(r *rand.Rand, pool []string, max int) []string {
	n := r.Intn(max + 1)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = pool[r.Intn(len(pool))]
	}
	return out
}

func genRule(r *rand.Rand) rbacv1.PolicyRule {
	rule := rbacv1.PolicyRule{Verbs: pick(r, genVerbs, 3)}
	switch r.Intn(4) {
	case 0: // a non-resource rule
		rule.NonResourceURLs = pick(r, genURLs, 3)
	case 1: // mixed, which the API server rejects but Covers still reads
		rule.NonResourceURLs = pick(r, genURLs, 2)
		fallthrough
	default:
		rule.APIGroups, rule.Resources = pick(r, genGroups, 2), pick(r, genResources, 3)
		if r.Intn(3) == 0 {
			rule.ResourceNames = pick(r, genNames, 2)
		}
	}
	return rule
}

func genRules(r *rand.Rand, max int) []rbacv1.PolicyRule {
	n := r.Intn(max + 1)
	if n == 0 {
		return nil
	}
	out := make([]rbacv1.PolicyRule, n)
	for i := range out {
		out[i] = genRule(r)
	}
	return out
}

// TestCoversMatchesComponentHelpers holds the allocation-free Covers to Kubernetes' own
// validation.Covers on generated owner and servant rule sets: the same verdict and the same missing
// rules, in the same order. Half the servants are broken-down rules of the owner, so both verdicts
// come up often.
func TestCoversMatchesComponentHelpers(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	verdicts := map[bool]int{}
	for i := 0; i < 50000; i++ {
		owner := genRules(r, 4)
		servant := genRules(r, 3)
		if i%2 == 0 && len(owner) > 0 {
			var held []rbacv1.PolicyRule
			for _, o := range owner {
				held = append(held, validation.BreakdownRule(o)...)
			}
			servant = nil
			for _, h := range held {
				if r.Intn(2) == 0 {
					servant = append(servant, h)
				}
			}
			servant = append(servant, genRules(r, 1)...)
		}
		wantOK, wantMissing := validation.Covers(owner, servant)
		gotOK, gotMissing := Covers(owner, servant)
		require.Equal(t, wantOK, gotOK, "verdict of Covers(%+v, %+v)", owner, servant)
		require.Equal(t, wantMissing, gotMissing, "missing rules of Covers(%+v, %+v)", owner, servant)
		verdicts[gotOK]++
	}
	require.Greater(t, verdicts[true], 5000, "too few covered cases to compare")
	require.Greater(t, verdicts[false], 5000, "too few uncovered cases to compare")
}

// TestCoversCases pins the semantics the fast path must keep, case by case.
func TestCoversCases(t *testing.T) {
	rule := func(groups, resources, verbs, names []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	s := func(x ...string) []string { return x }
	cases := []struct {
		name          string
		owner, wanted rbacv1.PolicyRule
		covered       bool
	}{
		{"*/log covers a log subresource", rule(s(""), s("*/log"), s("get"), nil), rule(s(""), s("pods/log"), s("get"), nil), true},
		{"*/log does not cover the resource itself", rule(s(""), s("*/log"), s("get"), nil), rule(s(""), s("pods"), s("get"), nil), false},
		{"pods/* is literal, not a wildcard", rule(s(""), s("pods/*"), s("get"), nil), rule(s(""), s("pods/log"), s("get"), nil), false},
		{"*/b/c covers a/b/c (all after the first slash)", rule(s(""), s("*/b/c"), s("get"), nil), rule(s(""), s("a/b/c"), s("get"), nil), true},
		{"*/c does not cover a/b/c", rule(s(""), s("*/c"), s("get"), nil), rule(s(""), s("a/b/c"), s("get"), nil), false},
		{"a named owner does not cover an unnamed request", rule(s(""), s("pods"), s("get"), s("a")), rule(s(""), s("pods"), s("get"), nil), false},
		{"an unnamed owner covers a named one", rule(s(""), s("pods"), s("get"), nil), rule(s(""), s("pods"), s("get"), s("a")), true},
		{"\"*\" as a resourceName is literal", rule(s(""), s("pods"), s("get"), s("*")), rule(s(""), s("pods"), s("get"), s("a")), false},
		{"a group wildcard", rule(s("*"), s("pods"), s("get"), nil), rule(s("x.io"), s("pods"), s("get"), nil), true},
		{"/api* covers /api/v1", rbacv1.PolicyRule{NonResourceURLs: s("/api*"), Verbs: s("get")}, rbacv1.PolicyRule{NonResourceURLs: s("/api/v1"), Verbs: s("get")}, true},
		{"/a** covers /a (every trailing star trimmed)", rbacv1.PolicyRule{NonResourceURLs: s("/a**"), Verbs: s("get")}, rbacv1.PolicyRule{NonResourceURLs: s("/a"), Verbs: s("get")}, true},
		{"a URL owner with names covers no URL", rbacv1.PolicyRule{NonResourceURLs: s("*"), Verbs: s("get"), ResourceNames: s("a")}, rbacv1.PolicyRule{NonResourceURLs: s("/x"), Verbs: s("get")}, false},
		{"a verb wildcard on URLs", rbacv1.PolicyRule{NonResourceURLs: s("/x"), Verbs: s("*")}, rbacv1.PolicyRule{NonResourceURLs: s("/x"), Verbs: s("post")}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, _ := validation.Covers([]rbacv1.PolicyRule{c.owner}, []rbacv1.PolicyRule{c.wanted})
			require.Equal(t, c.covered, want, "the case states validation.Covers' answer")
			got, _ := Covers([]rbacv1.PolicyRule{c.owner}, []rbacv1.PolicyRule{c.wanted})
			require.Equal(t, c.covered, got)
		})
	}
}
