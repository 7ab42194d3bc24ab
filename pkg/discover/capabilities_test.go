package discover

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// Templates gated on .Capabilities become axes when a capability changes the RBAC: the kube versions
// either side of the semverCompare bound, and the API version absent and served. A fixed capability
// is no candidate.
func TestDiscoverFindsCapabilityGates(t *testing.T) {
	ch, err := chartrender.Load("../../tests/fixtures/capabilities-gated")
	require.NoError(t, err)
	ds, err := Discover(context.Background(), ch, Options{ReleaseName: "rel", Namespace: "apps"})
	require.NoError(t, err)
	require.Equal(t, []matrix.Axis{
		{APIVersions: [][]string{{}, {"monitoring.coreos.com/v1"}}},
		{KubeVersion: []string{"v1.29.0", "v1.30.0"}},
	}, Axes(ds))
	for _, d := range ds {
		require.Contains(t, d.Reason, "adds Role/apps/app-", d.Path)
	}

	ds, err = Discover(context.Background(), ch, Options{ReleaseName: "rel", Namespace: "apps", KubeVersion: "v1.31.0", APIVersions: []string{"monitoring.coreos.com/v1"}})
	require.NoError(t, err)
	require.Empty(t, Axes(ds))
	for _, d := range ds {
		require.Equal(t, "set on the command line", d.Reason, d.Path)
	}
}

// A chart without .Capabilities gates gets no capability candidate.
func TestNoCapabilityCandidatesWithoutGates(t *testing.T) {
	ch, err := chartrender.Load("../../charts/operator")
	require.NoError(t, err)
	require.Empty(t, capabilityCandidates(ch))
}
