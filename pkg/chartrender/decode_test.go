package chartrender

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestIdenticalDocumentsAreDecodedOnceAndNeverShared(t *testing.T) {
	m := releaseutil.Manifest{Name: "x/templates/r.yaml", Content: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n"}
	first, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	require.Len(t, RolesOf([]runtime.Object{first}), 1)
	_, cached := docCache.get("ns-a\x00" + m.Content)
	require.False(t, cached, "a document seen once is not kept: it may be this combination's alone")
	a, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	_, cached = docCache.get("ns-a\x00" + m.Content)
	require.True(t, cached, "the decoded document is kept for the next combination")
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

func TestSplitDocumentsIsHelmsSplitInHelmsOrder(t *testing.T) {
	var content string
	for i := 0; i < 12; i++ { // more than 9 documents: Helm orders manifest-10 after manifest-9
		content += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm" + string(rune('a'+i)) + "}\n"
	}
	split := releaseutil.SplitManifests(content)
	splitDocuments(content)
	got := splitDocuments(content)
	require.Len(t, got, 12)
	for i, d := range got {
		require.Equal(t, split["manifest-"+strconv.Itoa(i)], d.Content)
		require.Equal(t, 2+4*i, d.Line, "the line of apiVersion in the file")
	}
	again := splitDocuments(content)
	require.Same(t, &got[0], &again[0], "a file rendered again is split once")
}
