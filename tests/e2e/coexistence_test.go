//go:build e2e || kind

package e2e

import (
	"testing"
)

// TestChartsCoexistWithoutCrossGrants installs the operator and the registry server into one namespace,
// and a second release of each into another, all at once: no install conflicts (Helm fails on any
// name collision), and every account is held to its own release's rendering alone, so no release's
// bindings grant another release's accounts anything.
func TestChartsCoexistWithoutCrossGrants(t *testing.T) {
	releases := []struct {
		chart, name, namespace string
		mode                   mode
	}{
		{"operator", "co-op", "rel-co-1", mode{}},
		{"registry-server", "co-reg", "rel-co-1", mode{}},
		{"operator", "co-op", "rel-co-2", mode{clusterScoped: true, watch: []string{"team-a"}}},
		{"registry-server", "co-reg", "rel-co-2", mode{namespaceScoped: true, watch: []string{"team-a", "team-b"}}},
	}
	var all []installed
	for _, r := range releases {
		in := render(t, r.chart, r.name, r.namespace, r.mode)
		helm.install(t, charts[r.chart], r.name, r.namespace, r.mode.values(r.chart))
		all = append(all, in)
	}
	for _, in := range all {
		in := in
		t.Run(in.chart+" "+in.name+" in "+in.namespace, func(t *testing.T) { checkAccounts(t, in) })
	}
	for _, in := range all {
		helm.uninstall(t, in.name, in.namespace)
		expectNoClusterScopedLeft(t, in)
	}
}
