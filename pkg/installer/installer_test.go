package installer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/installer"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

var account = rbaccheck.ServiceAccountRef{Namespace: "ops", Name: "installer"}

func root(p ...string) string { return filepath.Join(append([]string{"..", ".."}, p...)...) }

func renderSpec(t testing.TB, file string) *installer.Rendered {
	t.Helper()
	spec, err := matrix.LoadSpec(root("tests", "matrix", file))
	require.NoError(t, err)
	r, err := installer.RenderSpec(context.Background(), spec, 0)
	require.NoError(t, err)
	return r
}

func renderChart(t testing.TB, chart string, axes ...matrix.Axis) *installer.Rendered {
	t.Helper()
	spec := &matrix.Spec{Chart: root("tests", "fixtures", chart), Release: matrix.Release{Name: "rel", Namespace: "apps"}, Axes: axes}
	r, err := installer.RenderSpec(context.Background(), spec, 0)
	require.NoError(t, err)
	return r
}

func derive(t testing.TB, r *installer.Rendered, mode string) *installer.Result {
	t.Helper()
	res, err := installer.Derive(r, installer.Options{ServiceAccount: account, GrantMode: mode})
	require.NoError(t, err)
	return res
}

// Every object of every combination of every chart's full matrix is covered, in both grant modes, and
// every derived rule is needed: without it the offline proof fails.
func TestDerivedRBACCoversEveryCombinationAndEachRuleIsNeeded(t *testing.T) {
	for _, spec := range []string{"operator.yaml", "registry-server.yaml", "watchlist-operator.yaml", "tenant-operator.yaml", "kube-api-gateway.yaml"} {
		r := renderSpec(t, spec)
		for _, mode := range []string{installer.GrantEscalate, installer.GrantBind} {
			t.Run(spec+" "+mode, func(t *testing.T) {
				res := derive(t, r, mode)
				require.Greater(t, res.RuleCount(), 5)
				vs := res.Prove(r)
				require.Empty(t, vs, "the derived RBAC must cover every combination; %d violations, the first: %s", len(vs), first(vs))
				for _, ref := range res.Refs() {
					vs := res.Without(ref).Prove(r)
					require.NotEmpty(t, vs, "rule %+v (%v) is not needed by any combination", ref, res.Rule(ref).PolicyRule)
				}
			})
		}
	}
}

// The derivation pins names, keeps create unnamed, places rules in the scope they are needed in and
// never grants wildcards or (in escalate mode) bind/escalate.
func TestDerivedRulesArePinnedScopedAndWildcardFree(t *testing.T) {
	res := derive(t, renderSpec(t, "operator.yaml"), installer.GrantEscalate)
	for _, ref := range res.Refs() {
		r := res.Rule(ref)
		for _, field := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames} {
			require.NotContains(t, field, "*", "rule %v", r.PolicyRule)
		}
		require.NotContains(t, r.Verbs, "bind")
		require.NotContains(t, r.Verbs, "escalate")
		require.NotEmpty(t, r.Needs, "rule %v says nothing about who needs it", r.PolicyRule)
		for _, v := range r.Verbs {
			if v == "create" || v == "list" || v == "watch" {
				require.Empty(t, r.ResourceNames, "%s cannot be pinned, so it must not be in a pinned rule: %v", v, r.PolicyRule)
			}
		}
		unpinnedGet := len(r.ResourceNames) == 0 && contains(r.Verbs, "get")
		if unpinnedGet && contains(r.Resources, "secrets") {
			require.Contains(t, r.Note, "NOT PINNED", "the unpinned Secret rule must say why")
		}
	}
	team := rbaccheck.Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "team-b"}
	require.True(t, rbaccheck.RulesAllow(res.Grant().ClusterRules, team), "the chart writes Roles into team-b")
	// The operator's own ClusterRole grants Deployments everywhere, so in escalate mode the installer
	// holds that too; in bind mode the pinned rule stays.
	deploy := rbaccheck.Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Name: "rel-operator", Namespace: "operators"}
	require.True(t, rbaccheck.RulesAllow(res.Grant().ClusterRules, deploy), "escalate mode holds the operator's cluster-wide Deployment rule")
	bind := derive(t, renderSpec(t, "operator.yaml"), installer.GrantBind).Grant()
	inOperators := append(append([]rbacv1.PolicyRule{}, bind.ClusterRules...), bind.NamespaceRules["operators"]...)
	require.True(t, rbaccheck.RulesAllow(inOperators, deploy))
	deploy.Name = "someone-elses"
	require.False(t, rbaccheck.RulesAllow(inOperators, deploy), "get/patch must be pinned to rendered names")
	deploy.Namespace, deploy.Name = "outside", "rel-operator"
	require.False(t, rbaccheck.RulesAllow(append(bind.ClusterRules, bind.NamespaceRules["outside"]...), deploy), "no rule outside the chart's namespaces")
}

func first(vs []rbaccheck.Violation) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0].String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A chart change (a new object, a new rule, a hook) makes the derivation of the old chart fail the
// proof, naming what is not covered.
func TestChartChangeBreaksOldDerivation(t *testing.T) {
	old := derive(t, renderChart(t, "installer-app"), installer.GrantEscalate)
	vs := old.Prove(renderChart(t, "installer-app"))
	require.Empty(t, vs, "first: %s", first(vs))
	v2 := renderChart(t, "installer-app-v2")
	var msgs []string
	for _, v := range old.Prove(v2) {
		msgs = append(msgs, v.Message)
	}
	all := strings.Join(msgs, "\n")
	require.Contains(t, all, "ConfigMap/apps/rel-settings: the installer cannot create configmaps in namespace apps")
	require.Contains(t, all, "Job/apps/rel-migrate: the installer cannot create jobs.batch in namespace apps")
	require.Contains(t, all, "Role/apps/rel-app grants rules the installer does not hold in namespace apps and it has no escalate on roles rel-app: get pods/log")
	// The new derivation covers the new chart, hook delete included.
	fresh := derive(t, v2, installer.GrantEscalate)
	require.Empty(t, fresh.Prove(v2))
	require.Contains(t, fresh.YAML(), "Job/apps/rel-migrate (hook pre-upgrade, delete policy hook-succeeded)")
}

// The YAML is valid, matches Objects() and is the same on every run.
func TestYAMLIsDeterministicAndDecodes(t *testing.T) {
	r := renderSpec(t, "registry-server.yaml")
	a := derive(t, r, installer.GrantEscalate).YAML()
	for i := 0; i < 5; i++ { // map order differs between runs; the output must not
		require.Equal(t, a, derive(t, r, installer.GrantEscalate).YAML())
	}
	objs := derive(t, r, installer.GrantEscalate).Objects()
	docs := strings.Split(a, "\n---\n")[1:]
	require.Len(t, docs, len(objs))
	for i, d := range docs {
		var role rbacv1.ClusterRole // Roles and ClusterRoles share the shape; bindings decode without rules
		require.NoError(t, yaml.UnmarshalStrict([]byte(d), &map[string]interface{}{}))
		require.NoError(t, yaml.Unmarshal([]byte(d), &role))
		want, err := yaml.Marshal(objs[i])
		require.NoError(t, err)
		var w rbacv1.ClusterRole
		require.NoError(t, yaml.Unmarshal(want, &w))
		require.Equal(t, w.Rules, role.Rules, "document %d", i)
		require.Equal(t, w.Name, role.Name)
	}
}

// Bad input is refused with a message naming the object (or template) and what to pass.
func TestBadInputNamesTheObjectAndTheFix(t *testing.T) {
	_, err := installer.Derive(renderChart(t, "installer-lookup"), installer.Options{ServiceAccount: account})
	require.ErrorContains(t, err, "chart installer-lookup, template templates/cm.yaml calls lookup")
	require.ErrorContains(t, err, "--allow-lookup")
	_, err = installer.Derive(renderChart(t, "installer-lookup"), installer.Options{ServiceAccount: account, AllowLookup: true})
	require.NoError(t, err)

	_, err = installer.Derive(renderChart(t, "installer-unknown-kind"), installer.Options{ServiceAccount: account})
	require.ErrorContains(t, err, "Widget/apps/rel-widget: kind Widget (apiVersion example.com/v1) is not built in")
	require.ErrorContains(t, err, "--resource Widget.example.com=PLURAL")
	key, rsc, err := installer.ParseResource("Widget.example.com=widgets")
	require.NoError(t, err)
	res, err := installer.Derive(renderChart(t, "installer-unknown-kind"), installer.Options{ServiceAccount: account, Resources: map[string]installer.Resource{key: rsc}})
	require.NoError(t, err)
	require.Contains(t, res.YAML(), `resources: ["widgets"]`)
	_, _, err = installer.ParseResource("Widget.example.com")
	require.ErrorContains(t, err, "want Kind.group=plural")

	spec := &matrix.Spec{Chart: root("tests", "fixtures", "installer-app")}
	_, err = installer.RenderSpec(context.Background(), spec, 0)
	require.ErrorContains(t, err, "ServiceAccount/default/release-app and the other namespaced objects go to the release namespace, which is only given at install time: pass --namespace NS")

	_, err = installer.Derive(renderChart(t, "installer-app"), installer.Options{ServiceAccount: rbaccheck.ServiceAccountRef{Name: "x"}})
	require.ErrorContains(t, err, "NAMESPACE/NAME")
	_, err = installer.Derive(renderChart(t, "installer-app"), installer.Options{ServiceAccount: account, GrantMode: "admin"})
	require.ErrorContains(t, err, `grant mode "admin"`)
}
