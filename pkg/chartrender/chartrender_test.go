package chartrender

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func loadApp(t *testing.T) *Result {
	t.Helper()
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	res, err := Render(ch, Options{ReleaseName: "r", Namespace: "ns1"})
	require.NoError(t, err)
	return res
}

func TestLoadResolvesFileDependenciesThatAreNotVendored(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	require.Len(t, ch.Dependencies(), 1)
	require.Equal(t, "lib", ch.Dependencies()[0].Name())
}

func TestRenderDefaultsNamespacesAndDecodesTypedObjects(t *testing.T) {
	res := loadApp(t)
	require.Equal(t, []string{"Role/ns1/app", "ServiceAccount/ns1/app", "Widget/ns1/w"}, res.Keys())
	require.Len(t, ServiceAccountsOf(res.Objects), 1)
	var sawUnknown bool
	for _, o := range res.Objects {
		if p, ok := o.(*metav1.PartialObjectMetadata); ok {
			sawUnknown = true
			require.Equal(t, "Widget", Kind(p))
			require.Equal(t, "ns1", p.Namespace, "identified objects are defaulted to the release namespace too")
		}
		_, typed := o.(*metav1.PartialObjectMetadata)
		require.Equal(t, TypedKinds[Kind(o)], !typed, "%s: typed only when a check reads its kind", ObjectKey(o))
	}
	require.True(t, sawUnknown, "a kind no check reads is identified, not decoded")
	require.Equal(t, "Installed r in ns1.", res.Notes)
}

func TestClusterScopedObjectsKeepNoNamespace(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	res, err := Render(ch, Options{Namespace: "ns1", Values: map[string]interface{}{"cluster": true}})
	require.NoError(t, err)
	require.Contains(t, res.Keys(), "ClusterRole/app")
	require.True(t, IsClusterScoped(ClusterRolesOf(res.Objects)[0]))
}

func TestSchemaViolationsAndFailMessagesSurfaceVerbatim(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	_, err = Render(ch, Options{Values: map[string]interface{}{"nope": 1}})
	require.ErrorContains(t, err, "additional properties 'nope' not allowed")
	_, err = Render(ch, Options{Values: map[string]interface{}{"broken": true}})
	require.ErrorContains(t, err, "execution error at (app/templates/objects.yaml:1:27): broken=true: set broken=false")
}

func TestLoadNamesTheFixForAMissingRemoteDependency(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n"), 0o644))
	_, err := Load(dir)
	require.ErrorContains(t, err, "dependency redis (https://charts.example.com) is not vendored under charts/: run `helm dependency build")
}

func TestLoadReadsPackagedCharts(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	dir := t.TempDir()
	tgz, err := chartutil.Save(ch, dir)
	require.NoError(t, err)
	packed, err := Load(tgz)
	require.NoError(t, err)
	res, err := Render(packed, Options{Namespace: "ns2"})
	require.NoError(t, err)
	require.Contains(t, res.Keys(), "ServiceAccount/ns2/app")
}

func TestConcurrentRendersOfOneChartDoNotInterfere(t *testing.T) {
	ch, err := Load("testdata/app")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := []string{"a", "b"}[i%2]
			res, err := Render(ch, Options{Values: map[string]interface{}{"name": name}})
			if err == nil && ServiceAccountsOf(res.Objects)[0].Name != name {
				err = os.ErrInvalid
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, "app", ch.Values["name"], "the loaded chart's values are untouched")
}

func TestKindAndKeyWorkForObjectsWithoutTypeMeta(t *testing.T) {
	sa := &corev1.ServiceAccount{}
	sa.Name, sa.Namespace = "x", "y"
	require.Equal(t, "ServiceAccount/y/x", ObjectKey(sa))
}

// The cached schema validation must say exactly what Helm's own validation says.
func TestSchemaErrorsAreHelmsOwnWords(t *testing.T) {
	ch, err := Load("../../charts/operator")
	require.NoError(t, err)
	bad := []map[string]interface{}{
		{"rbac": map[string]interface{}{"namespaceScoped": true}, "registryAPI": map[string]interface{}{"clusterScoped": true}},
		{"rbac": map[string]interface{}{"watchNamespaces": []interface{}{"a", "a"}, "nope": 1}},
		{"apiTokenExpirationSeconds": 5, "image": map[string]interface{}{"pullPolicy": "Sometimes"}},
		{"serviceAccount": map[string]interface{}{"create": false}},
	}
	for _, vals := range bad {
		_, ours := Render(ch, Options{Values: vals})
		require.Error(t, ours)
		c := clone(ch)
		require.NoError(t, chartutil.ProcessDependenciesWithMerge(c, deepCopyMap(vals)))
		_, helms := chartutil.ToRenderValues(c, deepCopyMap(vals), chartutil.ReleaseOptions{Name: "release", Namespace: "default"}, nil)
		require.Error(t, helms)
		// Several errors come in map order, in Helm too: compare the lines as sets.
		require.ElementsMatch(t, strings.Split(helms.Error(), "\n"), strings.Split(ours.Error(), "\n"))
	}
}

func TestAFileDependencySourceWinsOverAStaleVendoredCopy(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"app/templates", "app/charts", "lib/templates"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	for name, body := range map[string]string{
		"lib/Chart.yaml":        "apiVersion: v2\nname: lib\ntype: library\nversion: 0.1.0\n",
		"lib/templates/_x.tpl":  `{{- define "lib.x" -}}fresh{{- end -}}`,
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../lib\n",
		"app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {v: {{ include \"lib.x\" . }}}\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	lib, err := Load(filepath.Join(dir, "lib"))
	require.NoError(t, err)
	lib.Templates[0].Data = []byte(`{{- define "lib.x" -}}stale{{- end -}}`)
	_, err = chartutil.Save(lib, filepath.Join(dir, "app", "charts"))
	require.NoError(t, err)
	ch, err := Load(filepath.Join(dir, "app"))
	require.NoError(t, err)
	require.Len(t, ch.Dependencies(), 1)
	res, err := Render(ch, Options{})
	require.NoError(t, err)
	require.Equal(t, "fresh", ConfigMapsOf(res.Objects)[0].Data["v"])
}
