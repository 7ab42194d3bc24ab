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
	_, cached := docCache.get("ns-a", m.Content)
	require.False(t, cached, "a document seen once is not kept: it may be this combination's alone")
	a, err := decodeCached(m, "ns-a")
	require.NoError(t, err)
	_, cached = docCache.get("ns-a", m.Content)
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

// TestTypedKindsDecodeFromTheirJSONAsFromTheirYAML: decodeLean decodes a typed kind from the JSON its
// YAML became; the object must equal what decodeManifest (the universal deserializer on the YAML)
// gives, namespace defaulting included, and a document the JSON path cannot decode still fails with
// decodeManifest's words.
func TestTypedKindsDecodeFromTheirJSONAsFromTheirYAML(t *testing.T) {
	docs := map[string]string{
		"Role":               "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, labels: {a: b}}\nrules:\n- apiGroups: ['']\n  resources: [configmaps]\n  resourceNames: [c]\n  verbs: [get]\n",
		"ClusterRoleBinding": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, name: sa, namespace: ops}]\n",
		"Deployment":         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      serviceAccountName: sa\n      automountServiceAccountToken: false\n      containers: [{name: c, image: 'i:1', ports: [{containerPort: 8080}]}]\n",
		"ConfigMap":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: other}\ndata: {rules.yaml: \"- verbs: [get]\\n\", n: '1'}\n",
		"ServiceAccount":     "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, annotations: {x: 'y'}}\nautomountServiceAccountToken: false\n",
		"CronJob":            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\nspec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}}}}\n",
	}
	for kind, content := range docs {
		m := releaseutil.Manifest{Name: "x/templates/" + kind + ".yaml", Content: content}
		want, err := decodeManifest(m, "ns")
		require.NoError(t, err, kind)
		got, err := decodeLean(m, "ns")
		require.NoError(t, err, kind)
		require.Equal(t, want, got, kind)
		require.Equal(t, kind, Kind(got))
	}
	bad := releaseutil.Manifest{Name: "x/templates/bad.yaml", Content: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [not, a, string]}\n"}
	_, want := decodeManifest(bad, "ns")
	require.Error(t, want)
	_, got := decodeLean(bad, "ns")
	require.Equal(t, want.Error(), got.Error())
}
