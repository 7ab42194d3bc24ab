package chartrender

import (
	"archive/tar"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartpkg"
)

// packagedFixture packages tests/fixtures/packaged-deps/app with lib-packaged inside it, then puts
// lib-disk where the app's file://../lib points, next to the package. It returns two packages: the one
// `helm package --dependency-update` writes (the library as charts/pkglib/ in it) and a tar of the
// chart directory after `helm dependency update` (the library as charts/pkglib-0.1.0.tgz in it).
func packagedFixture(t *testing.T) []string {
	t.Helper()
	const fixture = "../../tests/fixtures/packaged-deps"
	root := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(root, "app"), os.DirFS(filepath.Join(fixture, "app"))))
	require.NoError(t, os.CopyFS(filepath.Join(root, "lib"), os.DirFS(filepath.Join(fixture, "lib-packaged"))))
	tgz, err := chartpkg.Package(filepath.Join(root, "app"), filepath.Join(root, "dist"), chartpkg.Options{HelmHome: t.TempDir()})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "dist", "app-1.2.3.tgz"), tgz)
	require.Contains(t, tarNames(t, tgz), "app/charts/pkglib/templates/_rbac.tpl", "helm package -u packs the library")
	tarred := filepath.Join(root, "dist", "app-tarred.tgz")
	writeTgz(t, filepath.Join(root, "app"), tarred)
	require.Contains(t, tarNames(t, tarred), "app/charts/pkglib-0.1.0.tgz")
	require.NoError(t, os.RemoveAll(filepath.Join(root, "lib")))
	require.NoError(t, os.CopyFS(filepath.Join(root, "lib"), os.DirFS(filepath.Join(fixture, "lib-disk"))))
	// dist/../lib is the app's file://../lib seen from where the package sits: it exists, and differs.
	_, err = os.Stat(filepath.Join(filepath.Dir(tgz), "../lib/templates/_rbac.tpl"))
	require.NoError(t, err)
	return []string{tgz, tarred}
}

// writeTgz packs dir as tar czf does from dir's parent.
func writeTgz(t *testing.T, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(dir), path)
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data))}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}))
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
}

func tarNames(t *testing.T, tgz string) []string {
	t.Helper()
	f, err := os.Open(tgz)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return names
}

// A packaged chart renders with the library packed inside it; the file:// source on disk (which
// differs) never replaces it.
func TestPackagedChartRendersWithThePackagedDependency(t *testing.T) {
	pkgs := packagedFixture(t)
	for _, tgz := range pkgs {
		ch, err := Load(tgz)
		require.NoError(t, err)
		res, err := Render(ch, Options{Namespace: "apps"})
		require.NoError(t, err)
		require.Len(t, res.Objects, 4)
		for _, o := range res.Objects {
			require.Equal(t, "packaged", libLabel(t, o), "%s: %s rendered from the library on disk", tgz, ObjectKey(o))
		}
	}
	// The chart directory, by contrast, takes the file:// source on disk (tested from a checkout).
	dirChart, err := Load(filepath.Join(filepath.Dir(pkgs[0]), "../app"))
	require.NoError(t, err)
	res, err := Render(dirChart, Options{Namespace: "apps"})
	require.NoError(t, err)
	require.Equal(t, "disk", libLabel(t, res.Objects[0]))
}

// A package without its dependency is an error that says how to repackage it, not a render with
// whatever a file:// path on disk holds.
func TestPackagedChartWithoutItsDependencyIsAnError(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(root, "app"), os.DirFS("../../tests/fixtures/packaged-deps/app")))
	require.NoError(t, os.CopyFS(filepath.Join(root, "lib"), os.DirFS("../../tests/fixtures/packaged-deps/lib-disk")))
	ch, err := Load(filepath.Join(root, "app"))
	require.NoError(t, err)
	ch.SetDependencies() // packaged as `helm package` without --dependency-update would
	tgz, err := chartutil.Save(ch, root)
	require.NoError(t, err)
	_, err = Load(tgz)
	require.EqualError(t, err, "packaged chart "+tgz+": chart app declares dependency pkglib (file://../lib) but the package has no charts/pkglib-*.tgz: repackage it with `helm package --dependency-update CHART_DIR`")
}

func libLabel(t *testing.T, o runtime.Object) string {
	t.Helper()
	m, err := apimeta.Accessor(o)
	require.NoError(t, err)
	return m.GetLabels()["fixture-lib"]
}
