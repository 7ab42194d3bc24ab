package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// `make package` writes the library and every chart in charts/ to DIST, each chart with the library
// as it is in templates-lib packed inside it, and each package renders as packaged.
func TestMakePackagePacksTheLibraryAndEveryChart(t *testing.T) {
	home, _ := os.UserHomeDir()
	if _, err := os.Stat(filepath.Join(home, ".cache/workload-rbac/tools/helm")); err != nil {
		if _, err := exec.LookPath("helm"); err != nil {
			t.Skip("SKIP: no helm CLI in ~/.cache/workload-rbac/tools or on PATH (make tools installs it)")
		}
	}
	dist := t.TempDir()
	cmd := exec.Command("make", "-s", "package", "DIST="+dist)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}

	lib, err := loader.Load("../templates-lib")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"workload-rbac-" + lib.Metadata.Version + ".tgz"}
	chartDirs, _ := filepath.Glob("../charts/*/Chart.yaml")
	for _, c := range chartDirs {
		ch, err := loader.Load(filepath.Dir(c))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ch.Name()+"-"+ch.Metadata.Version+".tgz")
	}
	entries, _ := os.ReadDir(dist)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	sort.Strings(want)
	if len(chartDirs) < 5 || !slices.Equal(got, want) {
		t.Fatalf("make package wrote %v, want %v", got, want)
	}

	packedLib, err := loader.Load(filepath.Join(dist, "workload-rbac-"+lib.Metadata.Version+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	sameTemplates(t, "the library package", packedLib, lib)
	for _, name := range got {
		if name == "workload-rbac-"+lib.Metadata.Version+".tgz" {
			continue
		}
		ch, err := chartrender.Load(filepath.Join(dist, name)) // the packaged library, never templates-lib
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		deps := ch.Dependencies()
		if len(deps) != 1 || deps[0].Name() != "workload-rbac" || deps[0].Metadata.Version != lib.Metadata.Version {
			t.Errorf("%s packs %d dependencies, want workload-rbac %s alone", name, len(deps), lib.Metadata.Version)
			continue
		}
		sameTemplates(t, name+"'s library", deps[0], lib)
		res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: "rel", Namespace: "apps"})
		if err != nil {
			t.Errorf("%s renders with its defaults: %v", name, err)
		} else if len(chartrender.ServiceAccountsOf(res.Objects)) == 0 {
			t.Errorf("%s rendered no ServiceAccount: %v", name, res.Keys())
		}
	}
}

// sameTemplates fails unless got holds exactly want's templates, byte for byte.
func sameTemplates(t *testing.T, what string, got, want *chart.Chart) {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range want.Templates {
		files[f.Name] = f.Data
	}
	if len(got.Templates) != len(files) {
		t.Errorf("%s has %d templates, templates-lib %d", what, len(got.Templates), len(files))
	}
	for _, f := range got.Templates {
		if !bytes.Equal(f.Data, files[f.Name]) {
			t.Errorf("%s: %s differs from templates-lib's", what, f.Name)
		}
	}
}
