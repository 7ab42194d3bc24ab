package matrix

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// A kubeVersion and an apiVersions axis render every .Capabilities-gated branch of the fixture: the
// lease grant only from Kubernetes 1.30, the ServiceMonitor grant only where the API is served.
func TestCapabilitiesAxesRenderBothBranches(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/capabilities-gated/matrix.yaml")
	require.NoError(t, err)
	require.NoError(t, spec.Validate())
	combos, err := Expand(spec)
	require.NoError(t, err)
	require.Len(t, combos, 4)
	ch, err := chartrender.Load(spec.ChartPath())
	require.NoError(t, err)
	got := map[string][2]bool{}
	for _, o := range Render(context.Background(), ch, combos, 1) {
		require.NoError(t, o.Err, o.Combination.Name())
		keys := o.Result.Keys()
		got[o.Combination.Name()] = [2]bool{slices.Contains(keys, "Role/apps/app-leases"), slices.Contains(keys, "Role/apps/app-monitoring")}
	}
	require.Equal(t, map[string][2]bool{
		"kubeVersion=v1.29.0 apiVersions=[]":                         {false, false},
		"kubeVersion=v1.29.0 apiVersions=[monitoring.coreos.com/v1]": {false, true},
		"kubeVersion=v1.31.0 apiVersions=[]":                         {true, false},
		"kubeVersion=v1.31.0 apiVersions=[monitoring.coreos.com/v1]": {true, true},
	}, got)

	// The spec's fixed kubeVersion and apiVersions apply where no axis varies them.
	fixed := &Spec{Chart: spec.Chart, Dir: spec.Dir, Release: spec.Release, KubeVersion: "v1.31.0", APIVersions: []string{"monitoring.coreos.com/v1"}}
	combos, err = Expand(fixed)
	require.NoError(t, err)
	out := Render(context.Background(), ch, combos, 1)
	require.NoError(t, out[0].Err)
	require.Subset(t, out[0].Result.Keys(), []string{"Role/apps/app-leases", "Role/apps/app-monitoring"})
}

// A kube version helm would refuse is refused with the setting named and an example.
func TestKubeVersionIsValidatedAsHelmDoes(t *testing.T) {
	for _, s := range []*Spec{
		{Chart: "x", KubeVersion: "one.two"},
		{Chart: "x", Axes: []Axis{{KubeVersion: []string{"v1.30.0", "latest"}}}},
	} {
		err := s.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), "give a version such as v1.33.0, as helm --kube-version takes it")
	}
	require.ErrorContains(t, (&Spec{Chart: "x", KubeVersion: "one.two"}).Validate(), `kubeVersion "one.two": `)
	require.ErrorContains(t, (&Spec{Chart: "x", Axes: []Axis{{KubeVersion: []string{"v1.30"}, APIVersions: [][]string{{"a/v1"}}}}}).Validate(),
		"axes[0] sets 2 of path, namespace, releaseName, valuesFiles, kubeVersion, apiVersions: set exactly one")
}
