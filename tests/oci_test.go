package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the registry's in-memory storage
	helm3loader "helm.sh/helm/v3/pkg/chart/loader"
	helm4action "helm.sh/helm/v4/pkg/action"
	helm4loader "helm.sh/helm/v4/pkg/chart/loader"
	helm4cli "helm.sh/helm/v4/pkg/cli"
	helm4downloader "helm.sh/helm/v4/pkg/downloader"
	helm4getter "helm.sh/helm/v4/pkg/getter"
	helm4registry "helm.sh/helm/v4/pkg/registry"
	helm4release "helm.sh/helm/v4/pkg/release/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartpkg"
	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// startRegistry runs distribution's registry (the OCI registry Helm's own tests use) in-process on
// 127.0.0.1 and a free port, with in-memory storage and no auth, and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the registry listens on it itself, as in Helm's pkg/registry tests
	config := &configuration.Configuration{}
	config.HTTP.Addr = addr
	config.HTTP.DrainTimeout = time.Second
	config.Storage = configuration.Storage{"inmemory": configuration.Parameters{}}
	config.Log.Level = "fatal" // a push's HEAD requests for blobs not there yet are logged as errors
	config.Log.AccessLog.Disabled = true
	reg, err := registry.NewRegistry(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- reg.ListenAndServe() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = reg.Shutdown(ctx)
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-served:
			t.Fatalf("registry on %s: %v", addr, err)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry on %s did not answer /v2/ within 10s", addr)
		}
	}
}

// ociConsumer writes tests/fixtures/oci-consumer into a new directory with a Chart.yaml whose
// workload-rbac dependency is repository at version.
func ociConsumer(t *testing.T, repository, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "oci-consumer")
	if err := os.CopyFS(dir, os.DirFS("fixtures/oci-consumer")); err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "Chart.yaml.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	chartYAML := strings.NewReplacer("{{VERSION}}", version, "{{REPOSITORY}}", repository).Replace(string(tmpl))
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// The library published as an OCI artifact: packaged and pushed with the Helm SDK to a registry on
// loopback, then a consumer chart whose dependency is oci://127.0.0.1:PORT/charts gets it with
// `helm dependency update` and renders the library's RBAC with the Helm v3 SDK (this tool's renderer)
// and with the Helm v4 SDK (helm template's install action), to the same objects.
func TestLibraryFromAnOCIRegistryRendersWithHelmV3AndV4(t *testing.T) {
	host := startRegistry(t)
	v3opts := chartpkg.Options{PlainHTTP: true, HelmHome: t.TempDir()}
	libTgz, err := chartpkg.Package("../templates-lib", t.TempDir(), v3opts)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := helm3loader.Load(libTgz)
	if err != nil {
		t.Fatal(err)
	}
	version := lib.Metadata.Version
	ref := fmt.Sprintf("%s/charts/workload-rbac:%s", host, version)
	pushed, err := chartpkg.Push(libTgz, ref, v3opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pushed %s (%s) as oci://%s, manifest %s", filepath.Base(libTgz), sha256File(t, libTgz)[:12], pushed.Ref, pushed.Manifest.Digest)
	repository := "oci://" + host + "/charts"

	// Helm v3: dependency update with the v3 SDK, then this tool's renderer.
	dir3 := ociConsumer(t, repository, version)
	if err := chartpkg.UpdateDependencies(dir3, v3opts); err != nil {
		t.Fatal(err)
	}
	pulled := filepath.Join(dir3, "charts", "workload-rbac-"+version+".tgz")
	if got, want := sha256File(t, pulled), sha256File(t, libTgz); got != want {
		t.Fatalf("helm v3 dependency update pulled %s (sha256 %s), not the pushed package (%s)", pulled, got, want)
	}
	ch, err := chartrender.Load(dir3)
	if err != nil {
		t.Fatal(err)
	}
	res3, err := chartrender.Render(ch, chartrender.Options{ReleaseName: "rel", Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}

	// Helm v4: dependency update, loader and install action (client-only dry run, as helm template).
	dir4 := ociConsumer(t, repository, version)
	home4 := t.TempDir()
	settings := helm4cli.New()
	settings.RepositoryConfig = filepath.Join(home4, "repositories.yaml")
	settings.RepositoryCache = filepath.Join(home4, "repository")
	settings.RegistryConfig = filepath.Join(home4, "registry", "config.json")
	settings.ContentCache = filepath.Join(home4, "content")
	rc4, err := helm4registry.NewClient(helm4registry.ClientOptPlainHTTP(), helm4registry.ClientOptWriter(io.Discard),
		helm4registry.ClientOptCredentialsFile(settings.RegistryConfig))
	if err != nil {
		t.Fatal(err)
	}
	m := &helm4downloader.Manager{Out: io.Discard, ChartPath: dir4, Getters: helm4getter.All(settings), RegistryClient: rc4,
		RepositoryConfig: settings.RepositoryConfig, RepositoryCache: settings.RepositoryCache, ContentCache: settings.ContentCache}
	if err := m.Update(); err != nil {
		t.Fatalf("helm v4 dependency update: %v", err)
	}
	if got, want := sha256File(t, filepath.Join(dir4, "charts", "workload-rbac-"+version+".tgz")), sha256File(t, libTgz); got != want {
		t.Fatalf("helm v4 dependency update pulled sha256 %s, not the pushed package (%s)", got, want)
	}
	ch4, err := helm4loader.Load(dir4)
	if err != nil {
		t.Fatal(err)
	}
	install := helm4action.NewInstall(helm4action.NewConfiguration())
	install.DryRunStrategy = helm4action.DryRunClient
	install.ReleaseName, install.Namespace, install.Replace = "rel", "apps", true
	rel, err := install.Run(ch4, map[string]any{})
	if err != nil {
		t.Fatalf("helm v4 render: %v", err)
	}
	r4, ok := rel.(*helm4release.Release)
	if !ok {
		t.Fatalf("helm v4 install returned %T", rel)
	}
	res4, err := chartrender.ReadManifests("-", strings.NewReader(r4.Manifest), "apps")
	if err != nil {
		t.Fatal(err)
	}

	want := []string{ // sorted, as Keys returns them
		"ClusterRole/apps-rel-oci-consumer",
		"RoleBinding/team-a/rel-oci-consumer",
		"RoleBinding/team-b/rel-oci-consumer",
		"ServiceAccount/apps/rel-oci-consumer",
	}
	for name, res := range map[string]*chartrender.Result{"helm v3 SDK": res3, "helm v4 SDK": res4} {
		if got := res.Keys(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s rendered %v, want the library's %v", name, got, want)
			continue
		}
		role := chartrender.ClusterRolesOf(res.Objects)[0]
		wantRules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}}
		if !reflect.DeepEqual(role.Rules, wantRules) {
			t.Errorf("%s: ClusterRole rules %+v, want %+v", name, role.Rules, wantRules)
		}
		for _, b := range chartrender.RoleBindingsOf(res.Objects) {
			if b.RoleRef.Name != role.Name || len(b.Subjects) != 1 || b.Subjects[0].Name != "rel-oci-consumer" || b.Subjects[0].Namespace != "apps" {
				t.Errorf("%s: %s binds %+v to %+v", name, chartrender.ObjectKey(b), b.RoleRef, b.Subjects)
			}
		}
		t.Logf("%s: %s", name, strings.Join(res.Keys(), ", "))
	}
	// Every field and rule comment alike, v4 against v3.
	compareManifests(t, "oci-consumer under helm v4 (v3 as the reference)", res3.Manifest(), r4.Manifest)
}
