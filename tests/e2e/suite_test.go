//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// clusterUnderTest is what the suite needs from a cluster: the real kube-apiserver started by
// pkg/controlplane (build tag e2e) or a kind cluster (build tag kind).
type clusterUnderTest interface {
	AdminConfig() *rest.Config
	ConfigForToken(token string) *rest.Config
	// UserConfig authenticates as groupMember, a person in groupMemberGroup (a user-token chart's NOTES
	// bind that group).
	UserConfig(name string) (*rest.Config, error)
	Version() string
}

// groupMember is a person in groupMemberGroup: on the real kube-apiserver a static token of its own
// (pkg/controlplane Options.Users); on kind, where no token file can be added, the admin impersonates it.
const (
	groupMember      = "jane@example.com"
	groupMemberGroup = "platform-engineers"
)

var (
	cluster clusterUnderTest
	admin   kubernetes.Interface
	helm    helmClient
	charts  = map[string]*chart.Chart{}
)

// The namespaces a release may watch, one it never may, created before any test.
var tenantNamespaces = []string{"team-a", "team-b", "outside"}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// setUp connects the suite to a started cluster; called by each cluster's TestMain.
func setUp(c clusterUnderTest, workDir string) error {
	cluster = c
	var err error
	if admin, err = kubernetes.NewForConfig(c.AdminConfig()); err != nil {
		return err
	}
	kubeconfig, err := writeKubeconfig(workDir, c.AdminConfig())
	if err != nil {
		return err
	}
	helm = helmClient{kubeconfig: kubeconfig}
	for _, name := range []string{"operator", "registry-server"} {
		ch, err := chartrender.Load(filepath.Join(repoRoot(), "charts", name))
		if err != nil {
			return err
		}
		charts[name] = ch
	}
	if err := setUpV4(kubeconfig, workDir); err != nil {
		return err
	}
	for _, ns := range tenantNamespaces {
		if err := ensureNamespace(ns); err != nil {
			return err
		}
	}
	return nil
}

func ensureNamespace(name string) error {
	_, err := admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// report prints the figures the issue asks for, whatever the outcome.
func report(start time.Time, startup time.Duration) {
	fmt.Fprintf(os.Stderr, "e2e: server %s, control plane ready in %s, %d access checks as ServiceAccounts (%d asked again while the authorizer caught up), suite took %s\n",
		cluster.Version(), startup.Round(time.Millisecond), accessChecks.Load(), settleRetries.Load(), time.Since(start).Round(time.Millisecond))
}
