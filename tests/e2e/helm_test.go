//go:build e2e || kind

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes an admin kubeconfig for cfg so the Helm SDK (which takes a RESTClientGetter)
// talks to the test cluster.
func writeKubeconfig(dir string, cfg *rest.Config) (string, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, CertificateAuthority: cfg.CAFile}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken, ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, ClientCertificate: cfg.CertFile, ClientKey: cfg.KeyFile}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin"}
	kc.CurrentContext = "e2e"
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*kc, path)
}

// helmClient runs Helm SDK actions against the test cluster, one namespace at a time.
type helmClient struct {
	kubeconfig string
}

// clientGetter is the RESTClientGetter both Helm SDK majors take: kubeconfig, in namespace.
func clientGetter(kubeconfig, namespace string) *genericclioptions.ConfigFlags {
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &kubeconfig
	flags.Namespace = &namespace
	return flags
}

func (h helmClient) config(t testing.TB, namespace string) *action.Configuration {
	t.Helper()
	cfg := new(action.Configuration)
	if err := cfg.Init(clientGetter(h.kubeconfig, namespace), namespace, "secret", func(string, ...interface{}) {}); err != nil {
		t.Fatalf("helm init for namespace %s: %v", namespace, err)
	}
	return cfg
}

// install installs ch as release name in namespace (creating it) and fails the test on error.
func (h helmClient) install(t testing.TB, ch *chart.Chart, name, namespace string, vals map[string]interface{}) *release.Release {
	t.Helper()
	in := action.NewInstall(h.config(t, namespace))
	in.ReleaseName, in.Namespace, in.CreateNamespace, in.Timeout = name, namespace, true, 30*time.Second
	rel, err := in.Run(ch, copyValues(vals))
	if err != nil {
		t.Fatalf("helm install %s -n %s with %v: %v", name, namespace, vals, err)
	}
	return rel
}

// upgrade upgrades the release to vals (not reusing the old values: each mode is stated in full).
func (h helmClient) upgrade(t testing.TB, ch *chart.Chart, name, namespace string, vals map[string]interface{}) *release.Release {
	t.Helper()
	up := action.NewUpgrade(h.config(t, namespace))
	up.Namespace, up.Timeout = namespace, 30*time.Second
	rel, err := up.Run(name, ch, copyValues(vals))
	if err != nil {
		t.Fatalf("helm upgrade %s -n %s to %v: %v", name, namespace, vals, err)
	}
	return rel
}

// uninstall removes the release and fails the test on error.
func (h helmClient) uninstall(t testing.TB, name, namespace string) {
	t.Helper()
	un := action.NewUninstall(h.config(t, namespace))
	un.Timeout = 30 * time.Second
	if _, err := un.Run(name); err != nil {
		t.Fatalf("helm uninstall %s -n %s: %v", name, namespace, err)
	}
}

func copyValues(v map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(v))
	for k, x := range v {
		if m, ok := x.(map[string]interface{}); ok {
			x = copyValues(m)
		}
		out[k] = x
	}
	return out
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("%s: %v", what, err))
	}
}

var _ = os.Getenv
