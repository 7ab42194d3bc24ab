// Package chartpkg packages charts and moves them through OCI registries with the Helm v3 SDK, the steps of `helm dependency update`, `helm package --dependency-update` and `helm push`.
package chartpkg

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
)

// Options configures the Helm client the operations use.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS to OCI registries (--plain-http), e.g. a registry on loopback.
	PlainHTTP bool
	// HelmHome, when set, holds Helm's repository config, repository cache and registry credentials
	// (instead of HELM_REPOSITORY_CONFIG, HELM_REPOSITORY_CACHE and HELM_REGISTRY_CONFIG), so a test
	// neither reads nor writes the user's Helm files.
	HelmHome string
}

func (o Options) settings() *cli.EnvSettings {
	s := cli.New()
	if o.HelmHome != "" {
		s.RepositoryConfig = filepath.Join(o.HelmHome, "repositories.yaml")
		s.RepositoryCache = filepath.Join(o.HelmHome, "repository")
		s.RegistryConfig = filepath.Join(o.HelmHome, "registry", "config.json")
	}
	return s
}

// RegistryClient is the OCI registry client `helm push`, `helm pull` and `helm dependency update` build.
func (o Options) RegistryClient() (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptEnableCache(true),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(o.settings().RegistryConfig),
	}
	if o.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	c, err := registry.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("helm registry client: %w", err)
	}
	return c, nil
}

// UpdateDependencies fetches every dependency chartDir's Chart.yaml declares (file://, https:// or
// oci://) into chartDir/charts and writes Chart.lock, as `helm dependency update` does.
func UpdateDependencies(chartDir string, o Options) error {
	rc, err := o.RegistryClient()
	if err != nil {
		return err
	}
	s := o.settings()
	m := &downloader.Manager{
		Out:              io.Discard,
		ChartPath:        chartDir,
		Getters:          getter.All(s),
		RegistryClient:   rc,
		RepositoryConfig: s.RepositoryConfig,
		RepositoryCache:  s.RepositoryCache,
	}
	if err := m.Update(); err != nil {
		return fmt.Errorf("helm dependency update %s: %w", chartDir, err)
	}
	return nil
}

// Package updates chartDir's dependencies and packages it into destDir, as
// `helm package --dependency-update -d destDir chartDir` does; it returns the .tgz path.
func Package(chartDir, destDir string, o Options) (string, error) {
	abs, err := filepath.Abs(chartDir)
	if err != nil {
		return "", err
	}
	if err := UpdateDependencies(abs, o); err != nil {
		return "", err
	}
	p := action.NewPackage()
	p.Destination = destDir
	out, err := p.Run(abs, nil)
	if err != nil {
		return "", fmt.Errorf("helm package %s: %w", chartDir, err)
	}
	return out, nil
}

// Push uploads the packaged chart tgz to ref (oci://HOST/PATH/NAME:VERSION; NAME and VERSION must be
// the chart's), as `helm push tgz oci://HOST/PATH` does.
func Push(tgz, ref string, o Options) (*registry.PushResult, error) {
	data, err := os.ReadFile(tgz)
	if err != nil {
		return nil, fmt.Errorf("helm push: %w", err)
	}
	rc, err := o.RegistryClient()
	if err != nil {
		return nil, err
	}
	res, err := rc.Push(data, ref)
	if err != nil {
		return nil, fmt.Errorf("helm push %s to %s: %w", tgz, ref, err)
	}
	return res, nil
}
