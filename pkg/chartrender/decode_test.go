package chartrender

import (
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestIdenticalDocumentsAreDecodedOnceAndNeverShared(t *testing.T) {
	m := releaseutil.Manifest{Name: "x/templates/r.yaml", Content: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n"}
	a, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	docCache.Lock()
	var cached int
	for _, ds := range docCache.m {
		for _, d := range ds {
			if d.content == m.Content && d.namespace == "ns-a" {
				cached++
			}
		}
	}
	docCache.Unlock()
	require.Equal(t, 1, cached, "the decoded document is kept for the next combination")
	RolesOf([]runtime.Object{a})[0].Rules[0].Verbs[0] = "delete" // a caller mutating its copy
	b, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	require.Equal(t, "get", RolesOf([]runtime.Object{b})[0].Rules[0].Verbs[0], "each caller gets its own copy")
	RolesOf([]runtime.Object{b})[0].Rules[0].Verbs[0] = "delete"
	again, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	require.Equal(t, "get", RolesOf([]runtime.Object{again})[0].Rules[0].Verbs[0], "each caller gets its own copy")
	c, err := decodeCached(m, "ns-b")
	require.NoError(t, err)
	require.Equal(t, "ns-b", RolesOf([]runtime.Object{c})[0].Namespace, "the release namespace is part of the key")

	_, err = decodeCached(releaseutil.Manifest{Name: "x/templates/bad.yaml", Content: "a: b\n"}, "ns")
	require.ErrorContains(t, err, "x/templates/bad.yaml: Object 'Kind' is missing")
}
