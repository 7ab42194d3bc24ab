//go:build e2e || kind

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/installer"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// installersNS holds the installing ServiceAccounts, apart from everything the charts write.
const installersNS = "installers"

// installerCase is one chart's matrix and the account derived for it.
type installerCase struct {
	chart, spec string
	account     rbaccheck.ServiceAccountRef
	// minimal are the settings (as combination names write them) that TestInstallerRBACIsMinimal installs
	// instead of the first value of their axis, so the pattern the chart exists for (Roles in other
	// namespaces, per-job accounts and CronJobs) is among the rules removed one by one.
	minimal []string
}

var installerCases = []installerCase{
	{"operator", "operator.yaml", rbaccheck.ServiceAccountRef{Namespace: installersNS, Name: "operator-installer"}, nil},
	{"registry-server", "registry-server.yaml", rbaccheck.ServiceAccountRef{Namespace: installersNS, Name: "registry-installer"}, nil},
	{"watchlist-operator", "watchlist-operator.yaml", rbaccheck.ServiceAccountRef{Namespace: installersNS, Name: "watchlist-installer"},
		[]string{"rbac.watchNamespaces=[team-a,team-b]"}},
	{"tenant-operator", "tenant-operator.yaml", rbaccheck.ServiceAccountRef{Namespace: installersNS, Name: "tenant-installer"},
		[]string{"values=jobs-two"}},
	{"kube-api-gateway", "kube-api-gateway.yaml", rbaccheck.ServiceAccountRef{Namespace: installersNS, Name: "gateway-installer"},
		[]string{"rbac.allowedNamespaces=[team-a,team-b]"}},
}

// chartOf loads the case's chart (the suite loads only operator and registry-server up front).
func chartOf(t *testing.T, name string) *chart.Chart {
	t.Helper()
	seedChart(t, name)
	return charts[name]
}

// deriveFor renders the chart's full matrix spec (or only the combinations keep accepts) and derives the
// installer RBAC for account.
func deriveFor(t *testing.T, c installerCase, mode string, keep func(matrix.Combination) bool) (*installer.Result, *matrix.Spec, []matrix.Combination) {
	t.Helper()
	spec, err := matrix.LoadSpec(filepath.Join(repoRoot(), "tests", "matrix", c.spec))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rendered, err := installer.RenderSpec(context.Background(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	var combos []matrix.Combination
	all, err := matrix.Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]matrix.Combination{}
	for _, co := range all {
		byName[co.Name()] = co
	}
	kept := rendered.Releases[:0:0]
	for _, rel := range rendered.Releases {
		if co := byName[rel.Combination]; keep == nil || keep(co) {
			kept = append(kept, rel)
			combos = append(combos, co)
		}
	}
	rendered.Releases = kept
	res, err := installer.Derive(rendered, installer.Options{ServiceAccount: c.account, GrantMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	if vs := res.Prove(rendered); len(vs) > 0 {
		t.Fatalf("offline proof fails: %v", vs[0])
	}
	t.Logf("%s (%s mode): %d rules derived over %d combinations in %s", c.chart, mode, res.RuleCount(), len(kept), time.Since(start).Round(time.Millisecond))
	return res, spec, combos
}

// applyRBAC creates (or replaces) the derived objects as admin, then waits for the authorizer to see them.
func applyRBAC(t *testing.T, objs []runtime.Object) {
	t.Helper()
	ctx := context.Background()
	rb := admin.RbacV1()
	for _, o := range objs {
		var err error
		switch x := o.(type) {
		case *rbacv1.ClusterRole:
			if _, err = rb.ClusterRoles().Create(ctx, x, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				_, err = rb.ClusterRoles().Update(ctx, x, metav1.UpdateOptions{})
			}
		case *rbacv1.ClusterRoleBinding:
			if _, err = rb.ClusterRoleBindings().Create(ctx, x, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				_, err = rb.ClusterRoleBindings().Update(ctx, x, metav1.UpdateOptions{})
			}
		case *rbacv1.Role:
			must(ensureNamespace(x.Namespace), "namespace "+x.Namespace)
			if _, err = rb.Roles(x.Namespace).Create(ctx, x, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				_, err = rb.Roles(x.Namespace).Update(ctx, x, metav1.UpdateOptions{})
			}
		case *rbacv1.RoleBinding:
			if _, err = rb.RoleBindings(x.Namespace).Create(ctx, x, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				_, err = rb.RoleBindings(x.Namespace).Update(ctx, x, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			t.Fatalf("apply %s: %v", chartrender.ObjectKey(o), err)
		}
	}
	// The RBAC authorizer reads from informer caches: give it time to see the change (see eventually).
	time.Sleep(time.Second)
}

func deleteRBAC(objs []runtime.Object) {
	ctx := context.Background()
	rb := admin.RbacV1()
	for _, o := range objs {
		switch x := o.(type) {
		case *rbacv1.ClusterRole:
			_ = rb.ClusterRoles().Delete(ctx, x.Name, metav1.DeleteOptions{})
		case *rbacv1.ClusterRoleBinding:
			_ = rb.ClusterRoleBindings().Delete(ctx, x.Name, metav1.DeleteOptions{})
		case *rbacv1.Role:
			_ = rb.Roles(x.Namespace).Delete(ctx, x.Name, metav1.DeleteOptions{})
		case *rbacv1.RoleBinding:
			_ = rb.RoleBindings(x.Namespace).Delete(ctx, x.Name, metav1.DeleteOptions{})
		}
	}
}

// installerHelm runs Helm SDK actions with a real token of the installer account (TokenRequest) and
// returns their errors instead of failing the test, so minimality can tell which step fails.
type installerHelm struct {
	h    helmClient
	cfgs map[string]*action.Configuration // one per namespace, reused (discovery is cached)
}

func (ih installerHelm) config(t *testing.T, ns string) *action.Configuration {
	if ih.cfgs[ns] == nil {
		ih.cfgs[ns] = ih.h.config(t, ns)
	}
	return ih.cfgs[ns]
}

func newInstallerHelm(t *testing.T, sa rbaccheck.ServiceAccountRef) installerHelm {
	t.Helper()
	must(ensureNamespace(sa.Namespace), "namespace "+sa.Namespace)
	_, err := admin.CoreV1().ServiceAccounts(sa.Namespace).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa.Name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	exp := int64(3600)
	tok, err := admin.CoreV1().ServiceAccounts(sa.Namespace).CreateToken(context.Background(), sa.Name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s: %v", sa, err)
	}
	kc, err := writeKubeconfig(t.TempDir(), cluster.ConfigForToken(tok.Status.Token))
	if err != nil {
		t.Fatal(err)
	}
	return installerHelm{h: helmClient{kubeconfig: kc}, cfgs: map[string]*action.Configuration{}}
}

func (ih installerHelm) install(t *testing.T, ch *chart.Chart, name, ns string, vals map[string]interface{}) error {
	in := action.NewInstall(ih.config(t, ns))
	in.ReleaseName, in.Namespace, in.Timeout = name, ns, 30*time.Second
	_, err := in.Run(ch, copyValues(vals))
	return err
}

func (ih installerHelm) upgrade(t *testing.T, ch *chart.Chart, name, ns string, vals map[string]interface{}) error {
	up := action.NewUpgrade(ih.config(t, ns))
	// Keep the history short: Helm decodes every stored revision on each upgrade.
	up.Namespace, up.Timeout, up.MaxHistory = ns, 30*time.Second, 3
	_, err := up.Run(name, ch, copyValues(vals))
	return err
}

func (ih installerHelm) rollback(t *testing.T, name, ns string, revision int) error {
	rb := action.NewRollback(ih.config(t, ns))
	rb.Version, rb.Timeout = revision, 30*time.Second
	return rb.Run(name)
}

func (ih installerHelm) uninstall(t *testing.T, name, ns string) error {
	un := action.NewUninstall(ih.config(t, ns))
	un.Timeout = 30 * time.Second
	_, err := un.Run(name)
	return err
}

// cleanRelease removes whatever a (possibly failed) release left, as admin, and the chart's CRDs, so the
// next attempt starts from an empty cluster (Helm installs crds/ only when they are missing).
func cleanRelease(t *testing.T, ch *chart.Chart, name, ns string) {
	t.Helper()
	un := action.NewUninstall(helm.config(t, ns))
	un.Timeout = 30 * time.Second
	_, _ = un.Run(name)
	deleteCRDs(t, ch)
}

func crdNames(ch *chart.Chart) []string {
	var out []string
	for _, f := range ch.CRDObjects() {
		for _, doc := range strings.Split(string(f.File.Data), "\n---") {
			for _, l := range strings.Split(doc, "\n") {
				if strings.HasPrefix(l, "  name: ") {
					out = append(out, strings.TrimSpace(strings.TrimPrefix(l, "  name: ")))
					break
				}
			}
		}
	}
	return out
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func crdClient(t *testing.T) dynamic.NamespaceableResourceInterface {
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	return dc.Resource(crdGVR)
}

func deleteCRDs(t *testing.T, ch *chart.Chart) {
	t.Helper()
	c := crdClient(t)
	for _, n := range crdNames(ch) {
		_ = c.Delete(context.Background(), n, metav1.DeleteOptions{})
		// With no controller manager the CRD cleanup finalizer may wait; nothing is stored under these
		// CRDs here, so drop it.
		_, _ = c.Patch(context.Background(), n, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	}
	if !eventually(func() bool {
		for _, n := range crdNames(ch) {
			if _, err := c.Get(context.Background(), n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("CRDs %v still there", crdNames(ch))
	}
}

// restoreCRDs installs the chart's CRDs again as admin (other tests expect them).
func restoreCRDs(t *testing.T, ch *chart.Chart) {
	t.Helper()
	if len(ch.CRDObjects()) == 0 {
		return
	}
	cfg := helm.config(t, "default")
	for _, f := range ch.CRDObjects() {
		res, err := cfg.KubeClient.Build(strings.NewReader(string(f.File.Data)), false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.KubeClient.Create(res); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("restore CRDs: %v", err)
		}
	}
}

// valueModes are the combinations installed at the spec's release namespace and name, in matrix order:
// the modes an upgrade can move between (the release namespace and name are fixed for a release).
func valueModes(spec *matrix.Spec, combos []matrix.Combination) []matrix.Combination {
	var out []matrix.Combination
	for _, c := range combos {
		if c.Namespace == spec.Release.Namespace && c.ReleaseName == spec.Release.Name {
			out = append(out, c)
		}
	}
	return out
}

// TestInstallerRBACInstallsUpgradesRollsBackAndUninstalls derives the installer RBAC over each chart's
// full matrix, applies it as admin, and as the installer (a real token) installs the release, upgrades
// it through every valid values combination of the matrix at the spec's release namespace and name,
// rolls back to the previous revision and uninstalls; then installs and uninstalls once in every other release
// namespace of the matrix.
func TestInstallerRBACInstallsUpgradesRollsBackAndUninstalls(t *testing.T) {
	for _, c := range installerCases {
		t.Run(c.chart, func(t *testing.T) {
			res, spec, combos := deriveFor(t, c, installer.GrantEscalate, nil)
			objs := res.Objects()
			applyRBAC(t, objs)
			defer deleteRBAC(objs)
			ch := chartOf(t, c.chart)
			ih := newInstallerHelm(t, c.account)
			name, ns := spec.Release.Name, spec.Release.Namespace
			must(ensureNamespace(ns), ns)
			defer restoreCRDs(t, ch)
			cleanRelease(t, ch, name, ns)
			modes := valueModes(spec, combos)
			start := time.Now()
			if err := ih.install(t, ch, name, ns, modes[0].Values); err != nil {
				t.Fatalf("install as %s (%s): %v", c.account, modes[0].Name(), err)
			}
			for _, m := range modes[1:] {
				if err := ih.upgrade(t, ch, name, ns, m.Values); err != nil {
					t.Fatalf("upgrade as %s to %s: %v", c.account, m.Name(), err)
				}
			}
			if err := ih.rollback(t, name, ns, 0); err != nil {
				t.Fatalf("rollback as %s to the previous revision: %v", c.account, err)
			}
			if err := ih.uninstall(t, name, ns); err != nil {
				t.Fatalf("uninstall as %s: %v", c.account, err)
			}
			others := map[string]bool{}
			for _, co := range combos {
				if co.Namespace != ns && !others[co.Namespace] {
					others[co.Namespace] = true
					cleanRelease(t, ch, co.ReleaseName, co.Namespace)
					if err := ih.install(t, ch, co.ReleaseName, co.Namespace, co.Values); err != nil {
						t.Fatalf("install as %s (%s): %v", c.account, co.Name(), err)
					}
					if err := ih.uninstall(t, co.ReleaseName, co.Namespace); err != nil {
						t.Fatalf("uninstall as %s (%s): %v", c.account, co.Name(), err)
					}
				}
			}
			t.Logf("%s: as %s: install, %d upgrades (every valid combination in %s), rollback, uninstall, and install+uninstall in %d other namespace(s) succeeded in %s",
				c.chart, c.account, len(modes)-1, ns, len(others), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestInstallerRBACIsMinimal derives the installer RBAC for each chart's default combination (in the
// spec's release namespace and name), removes each rule in turn, and runs install, upgrade, rollback and
// uninstall as the installer: some step must fail without each rule. It reports per rule the step that
// needs it. (Done for the default combination only: over the full matrix it would take one full walk per
// rule.)
func TestInstallerRBACIsMinimal(t *testing.T) {
	for _, c := range installerCases {
		t.Run(c.chart, func(t *testing.T) {
			s, err := matrix.LoadSpec(filepath.Join(repoRoot(), "tests", "matrix", c.spec))
			if err != nil {
				t.Fatal(err)
			}
			all, err := matrix.Expand(s)
			if err != nil {
				t.Fatal(err)
			}
			// Every axis at its first value (the chart's defaults in these specs), except the case's
			// minimal settings, at the spec's release namespace.
			first := all[0].Settings
			isDefault := func(co matrix.Combination) bool {
				for i, set := range co.Settings {
					if set != first[i] && !slices.Contains(c.minimal, set) {
						return false
					}
				}
				for _, m := range c.minimal {
					if !slices.Contains(co.Settings, m) {
						return false
					}
				}
				return co.Namespace == s.Release.Namespace
			}
			res, spec, combos := deriveFor(t, c, installer.GrantEscalate, isDefault)
			if len(combos) != 1 {
				t.Fatalf("want the default combination only, got %d", len(combos))
			}
			ch := chartOf(t, c.chart)
			ih := newInstallerHelm(t, c.account)
			name, ns, vals := spec.Release.Name, spec.Release.Namespace, combos[0].Values
			defer restoreCRDs(t, ch)
			scenario := func() (string, error) {
				cleanRelease(t, ch, name, ns)
				if err := ih.install(t, ch, name, ns, vals); err != nil {
					return "install", err
				}
				if err := ih.upgrade(t, ch, name, ns, vals); err != nil {
					return "upgrade", err
				}
				if err := ih.rollback(t, name, ns, 1); err != nil {
					return "rollback", err
				}
				if err := ih.uninstall(t, name, ns); err != nil {
					return "uninstall", err
				}
				return "", nil
			}
			applyRBAC(t, res.Objects())
			if step, err := scenario(); err != nil {
				t.Fatalf("with every derived rule, %s fails: %v", step, err)
			}
			var lines []string
			for _, ref := range res.Refs() {
				rule := res.Rule(ref)
				less := res.Without(ref)
				deleteRBAC(res.Objects())
				applyRBAC(t, less.Objects())
				step, err := scenario()
				scope := "ClusterRole"
				if ref.Namespace != "" {
					scope = "Role in " + ref.Namespace
				}
				if err == nil {
					t.Errorf("rule %s %v is not needed: install, upgrade, rollback and uninstall all succeed without it", scope, rule.PolicyRule)
					continue
				}
				why := "forbidden"
				if !isForbidden(err) {
					// e.g. without update on the release Secrets, install cannot mark the release
					// deployed (Helm only logs that) and the upgrade finds it still pending.
					why = err.Error()
				}
				lines = append(lines, fmt.Sprintf("  %-9s needs %s %s (%s)", step, scope, describeRule(rule.PolicyRule), why))
			}
			deleteRBAC(res.Objects())
			cleanRelease(t, ch, name, ns)
			sort.Strings(lines)
			t.Logf("%s (%s): %d rules, each needed by a step:\n%s", c.chart, combos[0].Name(), res.RuleCount(), strings.Join(lines, "\n"))
		})
	}
}

func isForbidden(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if apierrors.IsForbidden(e) {
			return true
		}
	}
	return strings.Contains(err.Error(), "forbidden")
}

func describeRule(r rbacv1.PolicyRule) string {
	s := strings.Join(r.Verbs, ",") + " " + strings.Join(r.Resources, ",")
	if g := strings.Join(r.APIGroups, ","); g != "" {
		s += "." + g
	}
	if len(r.ResourceNames) > 0 {
		s += " [" + strings.Join(r.ResourceNames, ",") + "]"
	}
	return s
}

// TestInstallerCannotTouchAnotherChartsRelease installs another chart (registry-server; operator for the
// registry-server installer) as admin into the same release namespace, then asks the server, as the installer, whether it may update, patch or delete each of that
// release's objects, and tries to upgrade it with Helm (which must fail). The server's answers must match
// the offline grant. In bind mode every answer must be no. In escalate mode the installer holds what the
// chart's own ClusterRoles grant everywhere (the operator's: Deployments, ServiceAccounts, ConfigMaps,
// Services, Roles, RoleBindings; the registry server's: ConfigMaps; the watchlist and tenant operators':
// Deployments, Services, ConfigMaps, the tenant operator's also Secrets), so only those copied rules may
// allow it: the rules derived for the chart's own objects must allow nothing of the other release.
func TestInstallerCannotTouchAnotherChartsRelease(t *testing.T) {
	for _, c := range installerCases {
		for _, mode := range []string{installer.GrantEscalate, installer.GrantBind} {
			t.Run(c.chart+" "+mode, func(t *testing.T) {
				res, spec, _ := deriveFor(t, c, mode, nil)
				objs := res.Objects()
				applyRBAC(t, objs)
				defer deleteRBAC(objs)
				other := "registry-server"
				if c.chart == other {
					other = "operator"
				}
				ns := spec.Release.Namespace
				must(ensureNamespace(ns), ns)
				chartOf(t, other)
				helm.install(t, charts[other], "other", ns, nil)
				defer helm.uninstall(t, "other", ns)
				in, err := chartrender.Render(charts[other], chartrender.Options{ReleaseName: "other", Namespace: ns})
				if err != nil {
					t.Fatal(err)
				}
				ih := newInstallerHelm(t, c.account) // creates the account
				cs := actAs(t, admin, c.account.Namespace, c.account.Name)
				grant := res.Grant()
				touchable := 0
				for _, o := range in.Objects {
					gr, _, err := res.Mapper.Map(o)
					if err != nil {
						t.Fatal(err)
					}
					m, _ := meta.Accessor(o)
					for _, verb := range []string{"update", "patch", "delete"} {
						req := rbaccheck.Request{Verb: verb, APIGroup: gr.Group, Resource: gr.Resource, Name: m.GetName(), Namespace: m.GetNamespace()}
						rules := grant.ClusterRules
						if req.Namespace != "" {
							rules = append(append([]rbacv1.PolicyRule{}, rules...), grant.NamespaceRules[req.Namespace]...)
						}
						want := rbaccheck.RulesAllow(rules, req)
						got := allowed(t, cs, probe{verb: verb, group: gr.Group, resource: gr.Resource, namespace: req.Namespace, name: req.Name})
						if got != want {
							t.Errorf("%s %s: server says %v, the derived grant says %v", verb, chartrender.ObjectKey(o), got, want)
						}
						if got {
							touchable++
							if mode == installer.GrantBind || rbaccheck.RulesAllow(ownRules(res, req.Namespace), req) {
								t.Errorf("the installer of %s may %s %s of the other chart's release through a rule that is not a copy of the chart's own grants", c.chart, verb, chartrender.ObjectKey(o))
							}
						}
					}
				}
				if err := ih.upgrade(t, charts[other], "other", ns, nil); err == nil {
					t.Errorf("the installer of %s upgraded the other chart's release", c.chart)
				}
				// Helm's storage rule cannot be pinned: the other release's Secret is readable (reported).
				readable := allowed(t, cs, probe{verb: "get", resource: "secrets", namespace: ns, name: rbaccheck.HelmReleaseSecret("other", 1)})
				t.Logf("%s installer (%s mode): may update/patch/delete %d of %d (object, verb) pairs of release other (%s) in %s; helm upgrade of it fails; may read its release Secret: %v",
					c.chart, mode, touchable, 3*len(in.Objects), other, ns, readable)
			})
		}
	}
}

// ownRules are the derived rules of a scope that are not copies of the chart's roles' rules.
func ownRules(res *installer.Result, ns string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, ref := range res.Refs() {
		r := res.Rule(ref)
		if (ref.Namespace == "" || ref.Namespace == ns) && !strings.HasPrefix(r.Note, "escalation prevention") {
			out = append(out, r.PolicyRule)
		}
	}
	return out
}
