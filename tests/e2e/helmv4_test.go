//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	actionv4 "helm.sh/helm/v4/pkg/action"
	chartv4 "helm.sh/helm/v4/pkg/chart/v2"
	loaderv4 "helm.sh/helm/v4/pkg/chart/v2/loader"
	kubev4 "helm.sh/helm/v4/pkg/kube"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// sdk installs, upgrades and uninstalls the suite's charts (by name) with one Helm SDK major.
type sdk interface {
	install(t testing.TB, chartName, name, namespace string, vals map[string]interface{})
	upgrade(t testing.TB, chartName, name, namespace string, vals map[string]interface{})
	uninstall(t testing.TB, name, namespace string)
}

// helmV3 is the Helm v3 SDK (helmClient) behind the sdk interface.
type helmV3 struct{}

func (helmV3) install(t testing.TB, chartName, name, namespace string, vals map[string]interface{}) {
	t.Helper()
	helm.install(t, charts[chartName], name, namespace, vals)
}

func (helmV3) upgrade(t testing.TB, chartName, name, namespace string, vals map[string]interface{}) {
	t.Helper()
	helm.upgrade(t, charts[chartName], name, namespace, vals)
}

func (helmV3) uninstall(t testing.TB, name, namespace string) {
	t.Helper()
	helm.uninstall(t, name, namespace)
}

// chartsV4 are the suite's charts loaded by the Helm v4 SDK's loader.
var chartsV4 = map[string]*chartv4.Chart{}

// loadV4 packages ch (loaded by chartrender, its file:// library resolved) into dir and loads the
// package with the Helm v4 SDK: the chart a v4 user installs from `helm package`.
func loadV4(ch *chart.Chart, dir string) (*chartv4.Chart, error) {
	tgz, err := chartutil.Save(ch, dir)
	if err != nil {
		return nil, err
	}
	return loaderv4.Load(tgz)
}

// helmV4 runs Helm v4 SDK actions against the test cluster as the v4 CLI runs them: server-side
// apply on install (the v4 default), no waiting beyond hooks (the CLI's --wait default).
type helmV4 struct {
	kubeconfig string
}

func (h helmV4) config(t testing.TB, namespace string) *actionv4.Configuration {
	t.Helper()
	cfg := actionv4.NewConfiguration(actionv4.ConfigurationSetLogger(slog.DiscardHandler))
	if err := cfg.Init(clientGetter(h.kubeconfig, namespace), namespace, "secret"); err != nil {
		t.Fatalf("helm v4 init for namespace %s: %v", namespace, err)
	}
	return cfg
}

func (h helmV4) install(t testing.TB, chartName, name, namespace string, vals map[string]interface{}) {
	t.Helper()
	in := actionv4.NewInstall(h.config(t, namespace))
	in.ReleaseName, in.Namespace, in.CreateNamespace = name, namespace, true
	in.Timeout, in.WaitStrategy = 30*time.Second, kubev4.HookOnlyStrategy
	if _, err := in.Run(chartsV4[chartName], copyValues(vals)); err != nil {
		t.Fatalf("helm v4 install %s -n %s with %v: %v", name, namespace, vals, err)
	}
}

func (h helmV4) upgrade(t testing.TB, chartName, name, namespace string, vals map[string]interface{}) {
	t.Helper()
	up := actionv4.NewUpgrade(h.config(t, namespace))
	up.Namespace, up.Timeout, up.WaitStrategy = namespace, 30*time.Second, kubev4.HookOnlyStrategy
	if _, err := up.Run(name, chartsV4[chartName], copyValues(vals)); err != nil {
		t.Fatalf("helm v4 upgrade %s -n %s to %v: %v", name, namespace, vals, err)
	}
}

func (h helmV4) uninstall(t testing.TB, name, namespace string) {
	t.Helper()
	un := actionv4.NewUninstall(h.config(t, namespace))
	un.Timeout, un.WaitStrategy = 30*time.Second, kubev4.HookOnlyStrategy
	if _, err := un.Run(name); err != nil {
		t.Fatalf("helm v4 uninstall %s -n %s: %v", name, namespace, err)
	}
}

// setUpV4 loads the suite's charts with the v4 SDK; called by setUp.
func setUpV4(kubeconfig, workDir string) error {
	for name, ch := range charts {
		v4, err := loadV4(ch, workDir)
		if err != nil {
			return err
		}
		chartsV4[name] = v4
	}
	helm4 = helmV4{kubeconfig: kubeconfig}
	return nil
}

var helm4 helmV4

// expectAppliedServerSide checks that the release's RBAC objects on the server were written by
// server-side apply (a managedFields entry with operation Apply), which the Helm v4 SDK does on
// install and the v3 SDK never does: the release really went through v4.
func expectAppliedServerSide(t *testing.T, in installed) {
	t.Helper()
	ctx := context.Background()
	for _, o := range in.objects {
		var meta metav1.Object
		var err error
		switch r := o.(type) {
		case *rbacv1.ClusterRole:
			meta, err = admin.RbacV1().ClusterRoles().Get(ctx, r.Name, metav1.GetOptions{})
		case *rbacv1.Role:
			meta, err = admin.RbacV1().Roles(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		default:
			continue
		}
		if err != nil {
			t.Errorf("get %s: %v", chartrender.ObjectKey(o), err)
			continue
		}
		applied := false
		for _, mf := range meta.GetManagedFields() {
			applied = applied || mf.Operation == metav1.ManagedFieldsOperationApply
		}
		if !applied {
			t.Errorf("%s was not written by server-side apply (managedFields %v): not installed by the Helm v4 SDK", chartrender.ObjectKey(o), meta.GetManagedFields())
		}
	}
}

// TestReleasesMoveBetweenHelmMajors upgrades the operator through modes with the SDK majors taking
// turns (a v3 release taken over by v4, and a v4 release upgraded by v3, as happens while a team moves
// between Helm majors). After every step the RBAC objects on the server are the new rendering's,
// nothing stale, and every account holds exactly what it renders; the last major uninstalls.
func TestReleasesMoveBetweenHelmMajors(t *testing.T) {
	type step struct {
		by   sdk
		mode mode
	}
	paths := []struct {
		name  string
		steps []step
	}{
		{"installed by v3, upgraded and uninstalled by v4", []step{{helmV3{}, mode{}}, {helm4, mode{namespaceScoped: true}}, {helm4, mode{clusterScoped: true, watch: []string{"team-a"}}}}},
		{"installed by v4, upgraded by v3, then v4 again", []step{{helm4, mode{watch: []string{"team-a", "team-b"}}}, {helmV3{}, mode{}}, {helm4, mode{disableWorkloadRBAC: true}}}},
	}
	for i, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			name := fmt.Sprintf("majors-%d", i)
			ns := "rel-" + name
			var in installed
			for j, s := range p.steps {
				if j == 0 {
					s.by.install(t, "operator", name, ns, s.mode.values("operator"))
				} else {
					s.by.upgrade(t, "operator", name, ns, s.mode.values("operator"))
				}
				in = render(t, "operator", name, ns, s.mode)
				expectServerRBACEquals(t, in)
				checkAccounts(t, in)
			}
			p.steps[len(p.steps)-1].by.uninstall(t, name, ns)
			expectNoClusterScopedLeft(t, in)
		})
	}
}
