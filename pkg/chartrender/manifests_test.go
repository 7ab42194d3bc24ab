package chartrender

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
)

// What `helm template` prints decodes back to the same objects, each with the template it came from.
func TestDecodeManifestsReadsHelmTemplateOutput(t *testing.T) {
	rendered := loadApp(t)
	res, err := DecodeManifests(rendered.Manifest(), "stdin", "ns1")
	require.NoError(t, err)
	require.Equal(t, rendered.Keys(), res.Keys())
	for i, o := range res.Objects {
		require.Equal(t, rendered.Manifests[indexOf(t, rendered, ObjectKey(o))].Name, res.Manifests[i].Name, ObjectKey(o))
		require.True(t, strings.HasPrefix(res.Manifests[i].Name, "app/templates/"), res.Manifests[i].Name)
	}
}

func indexOf(t *testing.T, r *Result, key string) int {
	t.Helper()
	for i, o := range r.Objects {
		if ObjectKey(o) == key {
			return i
		}
	}
	t.Fatalf("%s not rendered", key)
	return -1
}

func TestDecodeManifestsExpandsListsAndDefaultsNamespaces(t *testing.T) {
	stream := `# a comment-only document is skipped
---
# Source: x/templates/rbac.yaml
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: a}
  rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: other}
`
	res, err := DecodeManifests(stream, "in.yaml", "")
	require.NoError(t, err)
	require.Equal(t, []string{"ClusterRole/b", "Role/default/a", "ServiceAccount/other/sa"}, res.Keys())
	require.IsType(t, &rbacv1.Role{}, res.Objects[0])
	require.Equal(t, []string{"x/templates/rbac.yaml", "x/templates/rbac.yaml", "in.yaml"},
		[]string{res.Manifests[0].Name, res.Manifests[1].Name, res.Manifests[2].Name})
	require.Equal(t, []Origin{{"in.yaml", 4}, {"in.yaml", 4}, {"in.yaml", 15}}, res.Origins,
		"each object's line in the stream: a List's items share the List's")
}

func TestReadManifestsRejectsWhatIsNoObjectAndTellsChartsFromManifests(t *testing.T) {
	_, err := DecodeManifests("foo: bar\n", "in.yaml", "")
	require.ErrorContains(t, err, "in.yaml (document 1, line 1) (in.yaml): no kind: every document must be a Kubernetes object")
	_, err = ReadManifests("testdata/app/templates", nil, "")
	require.ErrorContains(t, err, "a template, not a rendered manifest: give the chart directory (with Chart.yaml), or the output of helm template")
	dir := t.TempDir()
	_, err = ReadManifests(dir, nil, "")
	require.ErrorContains(t, err, "has no .yaml, .yml or .json file (and no Chart.yaml, so it is no chart)")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yml"), []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n"), 0o644))
	res, err := ReadManifests(dir, nil, "apps")
	require.NoError(t, err)
	require.Equal(t, []string{"ServiceAccount/apps/a", "ServiceAccount/apps/b"}, res.Keys())
	require.False(t, IsChartDir(dir))
	require.True(t, IsChartDir("testdata/app"))
}

// A chart's objects carry the line where they start in their template's rendered output.
func TestRenderedObjectsCarryTheirLineInTheTemplateOutput(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	opts := Options{ReleaseName: "r", Namespace: "ns1"}
	res, err := Render(ch, opts)
	require.NoError(t, err)
	c, top, err := RenderValues(ch, opts)
	require.NoError(t, err)
	files, err := RenderTemplates(c, top, opts)
	require.NoError(t, err)
	require.Len(t, res.Origins, len(res.Manifests))
	multi := false
	for i, at := range res.Origins {
		require.Equal(t, res.Manifests[i].Name, at.File)
		lines := strings.Split(files[at.File], "\n")
		require.Less(t, at.Line-1, len(lines), at)
		first, _ := firstObjectLine(res.Manifests[i].Content)
		require.Equal(t, strings.Split(res.Manifests[i].Content, "\n")[first], lines[at.Line-1], "%s line %d", at.File, at.Line)
		multi = multi || at.Line > 5
	}
	require.True(t, multi, "some template renders more than one document, so lines differ from 1")
}
