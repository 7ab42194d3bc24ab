//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// mode is one values combination of a chart, stated in full.
type mode struct {
	namespaceScoped, disableWorkloadRBAC, clusterScoped bool
	watch                                               []string
}

func (m mode) values(chartName string) map[string]interface{} {
	watch := make([]interface{}, len(m.watch))
	for i, ns := range m.watch {
		watch[i] = ns
	}
	v := map[string]interface{}{"rbac": map[string]interface{}{
		"namespaceScoped": m.namespaceScoped, "watchNamespaces": watch, "disableWorkloadRBAC": m.disableWorkloadRBAC,
	}}
	if chartName == "operator" {
		v["registryAPI"] = map[string]interface{}{"clusterScoped": m.clusterScoped}
	}
	return v
}

func (m mode) String() string {
	scope := "cluster-wide"
	if m.namespaceScoped {
		scope = "namespace-scoped"
	}
	s := fmt.Sprintf("%s watching [%s]", scope, strings.Join(m.watch, ","))
	if m.clusterScoped {
		s += " registry API cluster-scoped"
	}
	if m.disableWorkloadRBAC {
		s += " workload RBAC disabled"
	}
	return s
}

// managed returns the namespaces the release's workloads are granted in ("" = every namespace).
func (m mode) managed(releaseNS string) []string {
	switch {
	case len(m.watch) > 0:
		return m.watch
	case m.namespaceScoped:
		return []string{releaseNS}
	}
	return []string{""}
}

// validModes lists every valid combination of a chart's flags.
func validModes(chartName string) []mode {
	var out []mode
	for _, ns := range []bool{false, true} {
		for _, watch := range [][]string{nil, {"team-a"}, {"team-a", "team-b"}} {
			for _, disable := range []bool{false, true} {
				for _, cs := range []bool{false, true} {
					if cs && (ns || chartName != "operator") {
						continue // rejected by the chart (operator) or not a key (registry-server)
					}
					out = append(out, mode{namespaceScoped: ns, watch: watch, disableWorkloadRBAC: disable, clusterScoped: cs})
				}
			}
		}
	}
	return out
}

// installed is a release on the server plus its offline rendering, the model its accounts are held to.
type installed struct {
	chart, name, namespace string
	mode                   mode
	objects                []runtime.Object
	model                  *rbaccheck.Model
}

func render(t testing.TB, chartName, name, namespace string, m mode) installed {
	t.Helper()
	res, err := chartrender.Render(charts[chartName], chartrender.Options{ReleaseName: name, Namespace: namespace, Values: m.values(chartName)})
	if err != nil {
		t.Fatalf("render %s %s: %v", chartName, m, err)
	}
	return installed{chart: chartName, name: name, namespace: namespace, mode: m, objects: res.Objects, model: rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{})}
}

// serviceAccounts lists the accounts the release rendered.
func (in installed) serviceAccounts() []rbaccheck.ServiceAccountRef {
	var out []rbaccheck.ServiceAccountRef
	for _, sa := range chartrender.ServiceAccountsOf(in.objects) {
		out = append(out, rbaccheck.ServiceAccountRef{Namespace: sa.Namespace, Name: sa.Name})
	}
	return out
}

// allRules is every rule of every rendered role: the resources the probes ask about.
func (in installed) allRules() []rbacv1.PolicyRule {
	var rules []rbacv1.PolicyRule
	for _, o := range in.objects {
		switch r := o.(type) {
		case *rbacv1.Role:
			rules = append(rules, r.Rules...)
		case *rbacv1.ClusterRole:
			rules = append(rules, r.Rules...)
		}
	}
	return append(rules, runtimeRules(in.objects)...)
}

// checkAccounts acts as every rendered ServiceAccount with a real token and compares the server's
// answers, in every tenant namespace and cluster-wide, with the rendered RBAC. Namespace-scoped modes
// must also grant nothing cluster-wide, and nothing in a namespace outside their scope.
func checkAccounts(t *testing.T, in installed) {
	t.Helper()
	namespaces := append([]string{in.namespace}, tenantNamespaces...)
	confined := in.mode.namespaceScoped || len(in.mode.watch) > 0
	for _, sa := range in.serviceAccounts() {
		cs := actAs(t, admin, sa.Namespace, sa.Name)
		probes := probesFor(in.allRules(), namespaces)
		expectMatchesModel(t, cs, in.model, sa, probes)
		if confined {
			var outside []probe
			for _, p := range probes {
				if p.namespace == "outside" || p.namespace == "" {
					outside = append(outside, p)
				}
			}
			_, allowedOutside := askUntilAnswers(t, cs, outside, make([]bool, len(outside))) // want: all denied
			for _, i := range allowedOutside {
				t.Errorf("%s/%s may %s, outside its scope", sa.Namespace, sa.Name, outside[i])
			}
		}
		// Real calls, not only reviews: list what the rendering says it may list, and never Secrets.
		for _, ns := range append(namespaces, "") {
			for _, res := range []string{"configmaps", "services"} {
				want, _ := in.model.CanI(sa.AsSubject(), rbaccheck.Request{Verb: "list", Resource: res, Namespace: ns})
				expectList(t, cs, res, ns, want)
			}
		}
		expectList(t, cs, "secrets", in.namespace, false)
	}
}

// runtimeRules reads the rules the operator grants at runtime from the rendered ConfigMap.
func runtimeRules(objs []runtime.Object) []rbacv1.PolicyRule {
	var rules []rbacv1.PolicyRule
	for _, g := range rbaccheck.RuntimeGrantsFromObjects(objs) {
		rules = append(rules, g.Rules...)
	}
	return rules
}

func TestEveryValidCombinationGrantsExactlyWhatTheChartRenders(t *testing.T) {
	everyValidMode(t, helmV3{}, "")
}

// TestHelmV4SDKInstallsEveryValidCombination is the same pass with the Helm v4 SDK, which installs
// by server-side apply: every valid combination of both charts, the same access expectations.
func TestHelmV4SDKInstallsEveryValidCombination(t *testing.T) {
	everyValidMode(t, helm4, "v4-")
}

// everyValidMode installs each valid combination of both charts with h as release prefix+chart-i,
// acts as every account, and uninstalls.
func everyValidMode(t *testing.T, h sdk, prefix string) {
	for _, chartName := range []string{"operator", "registry-server"} {
		for i, m := range validModes(chartName) {
			name := fmt.Sprintf("%s%s-%d", prefix, strings.Split(chartName, "-")[0], i)
			t.Run(chartName+" "+m.String(), func(t *testing.T) {
				in := render(t, chartName, name, "rel-"+name, m)
				h.install(t, chartName, name, in.namespace, m.values(chartName))
				if _, v4 := h.(helmV4); v4 {
					expectAppliedServerSide(t, in)
				}
				checkAccounts(t, in)
				if chartName == "operator" {
					checkRuntimeGrants(t, in)
				}
				h.uninstall(t, name, in.namespace)
				expectNoClusterScopedLeft(t, in)
			})
		}
	}
}

// checkRuntimeGrants acts as the operator and does what it does at runtime in each namespace it
// manages: create the registry API's ServiceAccount, Role and RoleBinding. Kubernetes' escalation
// prevention must accept exactly the declared rules and reject one permission more; with
// rbac.disableWorkloadRBAC, or a cluster-scoped registry API, the operator may create no RBAC at all.
func checkRuntimeGrants(t *testing.T, in installed) {
	t.Helper()
	op := actAs(t, admin, in.namespace, in.podServiceAccount())
	grants := rbaccheck.RuntimeGrantsFromObjects(in.objects)
	targets := in.mode.managed(in.namespace)
	if targets[0] == "" {
		targets = []string{in.namespace, "team-a"} // cluster-wide: any namespace; try two
	}
	if len(grants) == 0 {
		for _, ns := range targets {
			expectCreateRole(t, op, ns, in.name+"-probe", []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}, false)
			expectCreateRoleBinding(t, op, ns, in.name+"-probe", false)
		}
		return
	}
	rules := grants[0].Rules
	regSA := in.env("REGISTRY_API_SERVICE_ACCOUNT")
	for _, ns := range targets {
		var err error
		eventually(func() bool {
			accessChecks.Add(1)
			_, err = op.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: regSA}}, metav1.CreateOptions{})
			return err == nil
		})
		if err != nil {
			t.Errorf("as the operator, create ServiceAccount %s in %s: %v", regSA, ns, err)
			continue
		}
		expectCreateRole(t, op, ns, regSA, rules, true)
		expectCreateRoleBinding(t, op, ns, regSA, true)
		wider := append(append([]rbacv1.PolicyRule{}, rules...), rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
		expectCreateRole(t, op, ns, regSA+"-wider", wider, false)
		// The registry API, as its own account, holds exactly the declared rules in that namespace.
		reg := actAs(t, admin, ns, regSA)
		model := rbaccheck.NewModel(append(append([]runtime.Object{}, in.objects...), runtimeObjects(regSA, ns, rules)...), rbaccheck.ModelOptions{})
		expectMatchesModel(t, reg, model, rbaccheck.ServiceAccountRef{Namespace: ns, Name: regSA}, probesFor(rules, append([]string{ns}, "outside")))
		cleanupRuntime(t, ns, regSA)
	}
}

// expectCreateRole creates a Role as cs and checks the server accepts it (want) or answers 403.
func expectCreateRole(t *testing.T, cs kubernetes.Interface, ns, name string, rules []rbacv1.PolicyRule, want bool) {
	t.Helper()
	expectCreate(t, "Role "+name+" in "+ns, " with the declared rules", want, func() error {
		_, err := cs.RbacV1().Roles(ns).Create(context.Background(), &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		return err
	})
}

// expectCreateRoleBinding creates a RoleBinding of Role name to ServiceAccount name as cs and checks the
// server accepts it (want) or answers 403.
func expectCreateRoleBinding(t *testing.T, cs kubernetes.Interface, ns, name string, want bool) {
	t.Helper()
	expectCreate(t, "RoleBinding "+name+" in "+ns, "", want, func() error {
		_, err := cs.RbacV1().RoleBindings(ns).Create(context.Background(), &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
		}, metav1.CreateOptions{})
		return err
	})
}

// expectCreate runs create as the operator and checks the server accepts it (want) or answers 403. A
// 403 where acceptance is wanted is asked again until the authorizer has caught up (eventually); an
// acceptance where 403 is wanted is final. what names the object ("Role x in ns"); detail is added to
// the message when acceptance was wanted.
func expectCreate(t *testing.T, what, detail string, want bool, create func() error) {
	t.Helper()
	var err error
	eventually(func() bool {
		accessChecks.Add(1)
		err = create()
		return !want || !apierrors.IsForbidden(err)
	})
	switch {
	case want && err != nil:
		t.Errorf("as the operator, create %s%s: want accepted, got %v", what, detail, err)
	case !want && !apierrors.IsForbidden(err):
		t.Errorf("as the operator, create %s: want 403 Forbidden, got %v", what, err)
	}
}

// expectNoClusterScopedLeft checks that every cluster-scoped object the release rendered is gone.
func expectNoClusterScopedLeft(t *testing.T, in installed) {
	t.Helper()
	for _, o := range in.objects {
		var err error
		switch r := o.(type) {
		case *rbacv1.ClusterRole:
			_, err = admin.RbacV1().ClusterRoles().Get(context.Background(), r.Name, metav1.GetOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = admin.RbacV1().ClusterRoleBindings().Get(context.Background(), r.Name, metav1.GetOptions{})
		default:
			continue
		}
		if !apierrors.IsNotFound(err) {
			t.Errorf("after uninstall, %s is still there (%v)", chartrender.ObjectKey(o), err)
		}
	}
}

// podServiceAccount is the account the chart's (single) Deployment runs as.
func (in installed) podServiceAccount() string {
	for _, pt := range chartrender.PodTemplatesOf(in.objects) {
		return pt.Spec.ServiceAccountName
	}
	return ""
}

// env is the value the chart gives an env var of its Deployment's first container.
func (in installed) env(name string) string {
	for _, pt := range chartrender.PodTemplatesOf(in.objects) {
		for _, e := range pt.Spec.Containers[0].Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}
