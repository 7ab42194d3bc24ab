package discover

import (
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// The zero-config fixture has ten boolean, enum and namespace knobs (and replicaCount and image.tag,
// which are none of these). Exactly the seven that change RBAC, a pod's account or a namespace the
// controller is told about, or that a rejected value needs, become axes.
func TestDiscoverKeepsExactlyTheRBACRelevantKnobs(t *testing.T) {
	ch, err := chartrender.Load("../../tests/fixtures/zero-config")
	require.NoError(t, err)
	ds, err := Discover(context.Background(), ch, Options{ReleaseName: "rel", Namespace: "ops"})
	require.NoError(t, err)
	var kept, dropped []string
	reasons := map[string]string{}
	for _, d := range ds {
		reasons[d.Path] = d.Reason
		if d.Kept {
			kept = append(kept, d.Path)
		} else {
			dropped = append(dropped, d.Path)
		}
	}
	require.Equal(t, []string{"controller.leaderElectionNamespace", "mode", "rbac.clusterWide", "rbac.create", "rbac.scopeNamespace", "rbac.scoped", "watchNamespaces"}, kept)
	require.Equal(t, []string{"logLevel", "metrics.enabled", "metrics.namespace"}, dropped)

	require.Equal(t, "mode=leader-election adds RoleBinding/ops/rel-leader-election", reasons["mode"])
	require.Contains(t, reasons["rbac.create"], "rbac.create=false removes ClusterRole/ops-rel-controller, removes ClusterRoleBinding/ops-rel-controller")
	require.Contains(t, reasons["controller.leaderElectionNamespace"], "adds Deployment/ops/rel-controller container controller args")
	require.Contains(t, reasons["watchNamespaces"], "changes Deployment/ops/rel-controller container controller env WATCH_NAMESPACE")
	require.Contains(t, reasons["rbac.scoped"], "rbac.scopeNamespace is required when rbac.scoped=true")
	require.Equal(t, "rbac.scoped=true is rejected without it and renders with rbac.scopeNamespace=team-a", reasons["rbac.scopeNamespace"])
	require.Equal(t, "changes the rendering, but no RBAC object, ServiceAccount, pod account or namespace a program is told about", reasons["logLevel"])
	require.Contains(t, reasons["metrics.namespace"], "every value renders exactly as the default does")

	axes := Axes(ds)
	require.Len(t, axes, 7)
	require.Equal(t, "mode", axes[1].Path)
	require.Equal(t, []interface{}{"standard", "leader-election"}, axes[1].Values, "the default first, then the literal the templates compare with")
	require.Equal(t, []interface{}{[]interface{}{}, []interface{}{"team-a"}, []interface{}{"team-a", "team-b"}}, axes[6].Values)
	require.Equal(t, []interface{}{"", "team-a", "team-a,team-b"}, axes[0].Values)
}

func TestDiscoverSkipsWhatTheCommandLineFixes(t *testing.T) {
	ch, err := chartrender.Load("../../tests/fixtures/zero-config")
	require.NoError(t, err)
	ds, err := Discover(context.Background(), ch, Options{Values: map[string]interface{}{"rbac": map[string]interface{}{"clusterWide": false}}})
	require.NoError(t, err)
	for _, d := range ds {
		if d.Path == "rbac.clusterWide" {
			require.False(t, d.Kept)
			require.Equal(t, "set on the command line", d.Reason)
		}
		if d.Path == "rbac.create" {
			require.Contains(t, d.Reason, "removes Role/default/release-controller")
		}
	}
	_, err = Discover(context.Background(), ch, Options{Values: map[string]interface{}{"rbac": map[string]interface{}{"scoped": true}}})
	require.ErrorContains(t, err, "the chart does not render with its defaults")
}

func TestCandidatesFromSchemaAndTemplates(t *testing.T) {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{Name: "c", APIVersion: "v2", Version: "0.1.0"},
		Values:   map[string]interface{}{"tier": "gold", "flags": map[string]interface{}{"on": true}, "rules": []interface{}{}, "namespace": "x"},
		Schema: []byte(`{"properties": {"level": {"enum": ["a", "b"]}, "strict": {"type": "boolean"},
			"extraNamespaces": {"type": "array"}, "flags": {"properties": {"on": {"type": "boolean"}}}}}`),
		Templates: []*chart.File{{Name: "templates/a.yaml", Data: []byte(`{{ if eq .Values.tier "silver" }}{{ end }}{{ if eq "bronze" $.Values.tier }}{{ end }}{{ if ne .Values.profile "strict" }}{{ end }}{{ if eq .Values.flags.on "x" }}{{ end }}`)}},
	}
	cands, err := Candidates(ch)
	require.NoError(t, err)
	got := map[string]Candidate{}
	var paths []string
	for _, c := range cands {
		got[c.Path] = c
		paths = append(paths, c.Path)
	}
	require.True(t, sort.StringsAreSorted(paths))
	require.Equal(t, []string{"extraNamespaces", "flags.on", "level", "namespace", "profile", "strict", "tier"}, paths, "rules is a list but not of namespaces")
	require.Equal(t, []interface{}{"gold", "bronze", "silver"}, got["tier"].Values)
	require.Equal(t, Enum, got["tier"].Kind)
	require.Equal(t, []interface{}{nil, "a", "b"}, got["level"].Values)
	require.Equal(t, []interface{}{true, false}, got["flags.on"].Values, "a boolean stays one when the templates compare it")
	require.Equal(t, []interface{}{nil, false, true}, got["strict"].Values)
	require.Equal(t, []interface{}{nil, []interface{}{}, []interface{}{"team-a"}, []interface{}{"team-a", "team-b"}}, got["extraNamespaces"].Values)
	require.Equal(t, []interface{}{"x", "", "team-a", "team-a,team-b"}, got["namespace"].Values)
	require.True(t, got["profile"].Undeclared)
	require.False(t, got["tier"].Undeclared)
}

// A cancelled discovery says so, rather than blaming the chart's defaults.
func TestDiscoverCancelledIsNotBlamedOnTheDefaults(t *testing.T) {
	ch, err := chartrender.Load("../../tests/fixtures/zero-config")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Discover(ctx, ch, Options{ReleaseName: "rel", Namespace: "apps"})
	require.ErrorIs(t, err, context.Canceled)
	require.NotContains(t, err.Error(), "does not render with its defaults")
}
