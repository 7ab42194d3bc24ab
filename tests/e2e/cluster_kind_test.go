//go:build kind

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tthelm "github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
)

const kindClusterName = "workload-rbac-e2e"

// TestMain creates a kind cluster (needs a Docker engine), runs the same suite as the kube-apiserver
// e2e against it, then deletes the cluster. Without a Docker engine it prints SKIP with the reason.
func TestMain(m *testing.M) {
	start := time.Now()
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n") // the client part first, the reason last
		fmt.Fprintf(os.Stderr, "SKIP: e2e-kind: no Docker engine answers (`docker info`: %v: %s); kind needs one. `make e2e` runs the same suite on a local kube-apiserver.\n", err, lines[len(lines)-1])
		os.Exit(0)
	}
	provider := kindcluster.NewProvider()
	if err := provider.Create(kindClusterName, kindcluster.CreateWithWaitForReady(3*time.Minute)); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e-kind: create kind cluster: %v\n", err)
		os.Exit(1)
	}
	ready := time.Since(start)
	code := func() int {
		defer provider.Delete(kindClusterName, "")
		raw, err := provider.KubeConfig(kindClusterName, false)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: e2e-kind: kubeconfig: %v\n", err)
			return 1
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: e2e-kind: kubeconfig: %v\n", err)
			return 1
		}
		dir, _ := os.MkdirTemp("", "workload-rbac-kind-")
		defer os.RemoveAll(dir)
		kc := &kindCluster{cfg: cfg, kubeconfig: filepath.Join(dir, "kind.kubeconfig")}
		if err := os.WriteFile(kc.kubeconfig, []byte(raw), 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: e2e-kind: %v\n", err)
			return 1
		}
		if err := setUp(kc, dir); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: e2e-kind set-up: %v\n", err)
			return 1
		}
		kindKubeconfig = kc.kubeconfig
		code := m.Run()
		report(start, ready)
		return code
	}()
	os.Exit(code)
}

var kindKubeconfig string

type kindCluster struct {
	cfg        *rest.Config
	kubeconfig string
}

func (k *kindCluster) AdminConfig() *rest.Config { return rest.CopyConfig(k.cfg) }

func (k *kindCluster) ConfigForToken(token string) *rest.Config {
	return &rest.Config{Host: k.cfg.Host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: k.cfg.CAData}}
}

// UserConfig on kind impersonates the user as the admin: kind's API server has no token file to add
// a person to.
func (k *kindCluster) UserConfig(name string) (*rest.Config, error) {
	cfg := rest.CopyConfig(k.cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: []string{groupMemberGroup}}
	return cfg, nil
}

func (k *kindCluster) Version() string {
	dc, err := discovery.NewDiscoveryClientForConfig(k.cfg)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return "kind " + v.GitVersion
}

// TestTerratestInstallsTheNamespaceScopedOperator is the terratest path users of kind know: helm
// install by the CLI (terratest forks helm), then `kubectl auth can-i` as the operator's account.
func TestTerratestInstallsTheNamespaceScopedOperator(t *testing.T) {
	opts := &tthelm.Options{
		KubectlOptions: k8s.NewKubectlOptions("", kindKubeconfig, "tt-ops"),
		SetValues:      map[string]string{"rbac.namespaceScoped": "true"},
		ExtraArgs:      map[string][]string{"install": {"--create-namespace"}},
	}
	chartDir := filepath.Join(repoRoot(), "charts", "operator")
	tthelm.Install(t, opts, chartDir, "tt")
	defer tthelm.Delete(t, opts, "tt", true)
	as := "--as=system:serviceaccount:tt-ops:tt-operator"
	out, err := k8s.RunKubectlAndGetOutputE(t, opts.KubectlOptions, "auth", "can-i", "list", "configmaps", "-n", "tt-ops", as)
	if err != nil || out != "yes" {
		t.Errorf("as the operator, list configmaps in its namespace: want yes, got %q (%v)", out, err)
	}
	out, _ = k8s.RunKubectlAndGetOutputE(t, opts.KubectlOptions, "auth", "can-i", "list", "configmaps", "--all-namespaces", as)
	if out != "no" {
		t.Errorf("namespace-scoped operator, list configmaps cluster-wide: want no, got %q", out)
	}
}

// TestCTInstallRunsOnTheKindCluster runs chart-testing's install through ct.yaml.
func TestCTInstallRunsOnTheKindCluster(t *testing.T) {
	if _, err := exec.LookPath("ct"); err != nil {
		t.Fatalf("ct is not on PATH: run `make tools`")
	}
	cmd := exec.CommandContext(context.Background(), "ct", "install", "--config", filepath.Join(repoRoot(), "ct.yaml"), "--all")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kindKubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ct install: %v\n%s", err, out)
	}
}
