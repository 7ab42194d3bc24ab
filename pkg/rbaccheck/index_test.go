package rbaccheck

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/auth/rbac/validation"
	"sigs.k8s.io/yaml"
)

// Pools for generated models: the verbs, groups and resources the risky, escalation, watch and
// runtime-coverage checks look for, wildcards in each field, and resourceNames.
var (
	modelVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "escalate", "bind", "impersonate", "approve", "*"}
	modelGroups    = []string{"", "apps", "batch", rbacv1.GroupName, "admissionregistration.k8s.io", "certificates.k8s.io", "authentication.k8s.io", "x.io", "*"}
	modelResources = []string{"secrets", "pods", "pods/exec", "pods/attach", "pods/ephemeralcontainers", "deployments", "jobs", "configmaps", "nodes",
		"nodes/proxy", "serviceaccounts", "serviceaccounts/token", "roles", "clusterroles", "clusterrolebindings", "validatingwebhookconfigurations",
		"persistentvolumes", "certificatesigningrequests/approval", "signers", "users", "uids", "leases", "widgets", "*", "*/exec", "*/status"}
	modelNamespaces = []string{"ops", "team-a", "team-b"}
)

func genModelRule(r *rand.Rand) rbacv1.PolicyRule {
	rule := rbacv1.PolicyRule{Verbs: pick(r, modelVerbs, 4), APIGroups: pick(r, modelGroups, 2), Resources: pick(r, modelResources, 4)}
	if r.Intn(4) == 0 {
		rule.ResourceNames = pick(r, []string{"a", "b"}, 2)
	}
	if r.Intn(12) == 0 {
		rule = rbacv1.PolicyRule{Verbs: pick(r, modelVerbs, 2), NonResourceURLs: pick(r, genURLs, 2)}
	}
	return rule
}

func genModelRules(r *rand.Rand) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, r.Intn(5))
	for i := range out {
		out[i] = genModelRule(r)
	}
	return out
}

// genModel renders a random rendering: Roles and ClusterRoles, bindings of them to two accounts, a
// Deployment told (by WATCH_NAMESPACE) to watch some namespaces, and sometimes a runtime-rules
// ConfigMap.
func genModel(r *rand.Rand) []runtime.Object {
	objs := []runtime.Object{sa("ops", "op")}
	for i := 0; i < r.Intn(4); i++ {
		objs = append(objs, &rbacv1.Role{ObjectMeta: om(modelNamespaces[r.Intn(3)], fmt.Sprint("r", i)), Rules: genModelRules(r)})
	}
	for i := 0; i < r.Intn(4); i++ {
		objs = append(objs, &rbacv1.ClusterRole{ObjectMeta: om("", fmt.Sprint("c", i)), Rules: genModelRules(r)})
	}
	for i := 0; i < r.Intn(5); i++ {
		subject := []string{"op", "other"}[r.Intn(2)]
		if r.Intn(3) == 0 {
			objs = append(objs, crb(fmt.Sprint("crb", i), fmt.Sprint("c", r.Intn(4)), "ops", subject))
			continue
		}
		kind, role := "ClusterRole", fmt.Sprint("c", r.Intn(4))
		if r.Intn(2) == 0 {
			kind, role = "Role", fmt.Sprint("r", r.Intn(4))
		}
		objs = append(objs, rb(modelNamespaces[r.Intn(3)], fmt.Sprint("rb", i), kind, role, "ops", subject))
	}
	objs = append(objs, deploy("ops", "op", "op", env("WATCH_NAMESPACE", []string{"", "team-a", "team-a,ops", "team-b,team-a"}[r.Intn(4)])))
	if r.Intn(2) == 0 {
		data, _ := yaml.Marshal(genModelRules(r))
		if r.Intn(5) == 0 {
			data = []byte("- verbs: get\n") // malformed: a string where a list is wanted
		}
		objs = append(objs, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "grants", Labels: map[string]string{RuntimeRulesLabel: "true"},
			Annotations: map[string]string{GrantedByAnnotation: "op", NamespacesAnnotation: []string{"team-a", "*", "ops,team-b"}[r.Intn(3)]}},
			Data: map[string]string{RuntimeRulesKey: string(data)}})
	}
	return objs
}

// The naive forms below are the checks as they were before the model index (index.go): rule sets
// and rules rebuilt on every call, wildcards filtered per call, listWatched through
// validation.BreakdownRule. TestIndexedChecksMatchTheirNaiveForms holds the indexed forms to them.

func naiveRuleSets(m *Model) []ruleSet {
	var out []ruleSet
	for _, r := range m.Roles {
		out = append(out, ruleSet{name: describe(r), rules: r.Rules})
	}
	for _, r := range m.ClusterRoles {
		out = append(out, ruleSet{name: describe(r), rules: r.Rules})
	}
	for _, g := range m.RuntimeGrants {
		out = append(out, ruleSet{name: g.Source, rules: g.Rules})
	}
	return out
}

func naiveWithoutWildcards(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !wildcardRule(r) {
			out = append(out, r)
		}
	}
	return out
}

func naiveRisky(m *Model, r risky) []Finding {
	var out []Finding
	for _, rs := range naiveRuleSets(m) {
		rules := naiveWithoutWildcards(rs.rules)
		if r.anyName {
			unnamed := make([]rbacv1.PolicyRule, len(rules))
			for i, rule := range rules {
				rule.ResourceNames = nil
				unnamed[i] = rule
			}
			rules = unnamed
		}
		for _, q := range r.requests {
			if RulesAllow(rules, q) {
				out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s %s (it allows %s)", rs.name, r.what, requestString(q))})
				break
			}
		}
	}
	return out
}

func naiveEscalation(m *Model) []Finding {
	var out []Finding
	for _, rs := range naiveRuleSets(m) {
		for _, rule := range naiveWithoutWildcards(rs.rules) {
			if what := escalationGrant(rule); what != "" {
				out = append(out, Finding{Object: rs.name, Message: fmt.Sprintf("%s can gain permissions it was not given (it allows %s)", rs.name, what)})
				break
			}
		}
	}
	return out
}

func naiveListWatched(m *Model, who Subject, home string) []rbacv1.PolicyRule {
	seen := map[[4]string]bool{}
	var outside, inside []rbacv1.PolicyRule
	for _, b := range m.bindings() {
		if !m.bindsSubject(b.subjects, b.namespace, who) {
			continue
		}
		rules, _ := m.roleRules(b.roleRef, b.namespace)
		for _, rule := range rules {
			if len(rule.NonResourceURLs) > 0 || len(rule.ResourceNames) > 0 {
				continue
			}
			for _, r := range validation.BreakdownRule(rule) {
				v, g, res := r.Verbs[0], r.APIGroups[0], r.Resources[0]
				if (v != "list" && v != "watch") || g == "*" || res == "*" || strings.Contains(res, "/") || ClusterScopedResource(g, res) {
					continue
				}
				k := [4]string{fmt.Sprint(b.namespace == home), v, g, res}
				if seen[k] {
					continue
				}
				seen[k] = true
				if b.namespace == home {
					inside = append(inside, r)
				} else {
					outside = append(outside, r)
				}
			}
		}
	}
	if len(outside) > 0 {
		return outside
	}
	return inside
}

// naiveRuleFindings is the rejected-rule and noop-rule checks over every rule of every Role and
// ClusterRole, listed afresh.
func naiveRuleFindings(m *Model) (rejectedRules, noopRules []Finding) {
	type owned struct {
		owner      string
		rules      []rbacv1.PolicyRule
		namespaced bool
	}
	var all []owned
	for _, r := range m.Roles {
		all = append(all, owned{describe(r), r.Rules, true})
	}
	for _, r := range m.ClusterRoles {
		all = append(all, owned{describe(r), r.Rules, false})
	}
	for _, o := range all {
		for i, rule := range o.rules {
			if why := rejected(rule, o.namespaced); why != "" {
				rejectedRules = append(rejectedRules, Finding{Object: o.owner, Message: fmt.Sprintf("%s rules[%d] %s: the API server rejects it: %s", o.owner, i, ruleJSON(rule), why)})
				continue
			}
			for _, why := range noop(rule, o.namespaced) {
				noopRules = append(noopRules, Finding{Object: o.owner, Message: fmt.Sprintf("%s rules[%d] %s grants less than it says: %s", o.owner, i, ruleJSON(rule), why)})
			}
		}
	}
	return rejectedRules, noopRules
}

func sortedFindings(fs []Finding) []Finding {
	out := append([]Finding{}, fs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Object != out[j].Object {
			return out[i].Object < out[j].Object
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// TestIndexedChecksMatchTheirNaiveForms runs the risky-grant, escalation, rejected-rule and noop-rule
// checks and listWatched,
// which read the model index, against their naive forms on generated models; and the whole check
// list twice on one model, since the index is built on first use and reused.
func TestIndexedChecksMatchTheirNaiveForms(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	checks := map[string]Check{}
	for _, c := range DefaultChecks() {
		checks[c.ID] = c
	}
	found := map[string]int{}
	for i := 0; i < 3000; i++ {
		objs := genModel(r)
		m := NewModel(objs, ModelOptions{})
		for _, g := range riskyGrants {
			got := checks[g.id].Run(m)
			require.Equal(t, sortedFindings(naiveRisky(m, g)), sortedFindings(got), "%s on %d", g.id, i)
			found[g.id] += len(got)
		}
		wantRejected, wantNoop := naiveRuleFindings(m)
		require.Equal(t, sortedFindings(wantRejected), sortedFindings(checks["rejected-rule"].Run(m)), "rejected-rule on %d", i)
		require.Equal(t, sortedFindings(wantNoop), sortedFindings(checks["noop-rule"].Run(m)), "noop-rule on %d", i)
		got := checks["escalate-bind-impersonate"].Run(m)
		require.Equal(t, sortedFindings(naiveEscalation(m)), sortedFindings(got), "escalation on %d", i)
		found["escalate-bind-impersonate"] += len(got)
		for _, who := range []string{"op", "other"} {
			for _, home := range modelNamespaces {
				subject := ServiceAccountRef{"ops", who}.AsSubject()
				require.Equal(t, naiveListWatched(m, subject, home), m.listWatched(subject, home), "listWatched(%s, %s) on %d", who, home, i)
			}
		}
		first := m.Run(DefaultChecks()...)
		require.Equal(t, first, m.Run(DefaultChecks()...), "a second run over the built index")
		require.Equal(t, first, NewModel(objs, ModelOptions{}).Run(DefaultChecks()...), "a fresh model")
		for _, v := range first {
			found[v.Check]++
		}
	}
	for _, id := range []string{"rejected-rule", "noop-rule", "secrets-read", "workload-create", "pod-exec", "rbac-write-cluster", "secrets-write", "escalate-bind-impersonate", "wildcard", "watch-without-grant", "runtime-coverage"} {
		require.Greater(t, found[id], 20, "the generated models rarely trigger %s", id)
	}
}

// TestParseRulesCachesWithoutSharing: a rules.yaml read from the cache gives what
// yaml.UnmarshalStrict gives (rules or error), and each caller gets its own copy.
func TestParseRulesCachesWithoutSharing(t *testing.T) {
	parsedRules.Lock()
	parsedRules.byText = nil // other tests may have filled it
	parsedRules.Unlock()
	for _, data := range []string{"- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get, list]\n", "- verbs: get\n", "", "- {verbs: [get], bogus: 1}\n"} {
		var want []rbacv1.PolicyRule
		wantErr := yaml.UnmarshalStrict([]byte(data), &want)
		for round := 0; round < 3; round++ {
			got, err := parseRules(data)
			parsedRules.Lock()
			_, cached := parsedRules.byText[data]
			parsedRules.Unlock()
			require.True(t, cached, "parseRules keeps %q", data)
			if wantErr != nil {
				require.EqualError(t, err, wantErr.Error(), "round %d of %q", round, data)
				continue
			}
			require.NoError(t, err)
			require.Equal(t, want, got, "round %d of %q", round, data)
			if len(got) > 0 {
				got[0].Verbs[0] = "changed by a caller"
			}
		}
	}
}

// TestParseRulesCacheIsBounded: however many distinct texts come, the cache holds at most
// maxParsedRules of them.
func TestParseRulesCacheIsBounded(t *testing.T) {
	for i := 0; i < 3*maxParsedRules; i++ {
		rules, err := parseRules(fmt.Sprintf("- {verbs: [get], apiGroups: [\"\"], resources: [r%d]}\n", i))
		require.NoError(t, err)
		require.Equal(t, []string{fmt.Sprint("r", i)}, rules[0].Resources)
	}
	parsedRules.Lock()
	defer parsedRules.Unlock()
	require.LessOrEqual(t, len(parsedRules.byText), maxParsedRules)
	require.NotEmpty(t, parsedRules.byText)
}
