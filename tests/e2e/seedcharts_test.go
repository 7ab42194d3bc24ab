//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

var seedChartsOnce sync.Mutex

// seedChart loads a chart of charts/ once per suite.
func seedChart(t *testing.T, name string) {
	t.Helper()
	seedChartsOnce.Lock()
	defer seedChartsOnce.Unlock()
	if charts[name] != nil {
		return
	}
	ch, err := chartrender.Load(filepath.Join(repoRoot(), "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	charts[name] = ch
}

// seedCase is one valid values combination of a seed chart, stated in full.
type seedCase struct {
	label  string
	values map[string]interface{}
}

func strList(s ...string) []interface{} {
	out := make([]interface{}, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

var watchLists = [][]string{nil, {"team-a"}, {"team-a", "team-b"}}

func watchlistCases() []seedCase {
	var out []seedCase
	for _, w := range watchLists {
		out = append(out, seedCase{fmt.Sprintf("watching [%s]", strings.Join(w, ",")), map[string]interface{}{"rbac": map[string]interface{}{"watchNamespaces": strList(w...)}}})
	}
	return out
}

func rotationJobs(n int) []interface{} {
	var out []interface{}
	for i, name := range []string{"db", "keys"}[:n] {
		out = append(out, map[string]interface{}{"name": name, "schedule": fmt.Sprintf("%d 3 * * *", i), "sourceSecret": name + "-source", "stagingSecret": name + "-staging"})
	}
	return out
}

func tenantCases() []seedCase {
	var out []seedCase
	for _, scoped := range []bool{false, true} {
		for _, webhook := range []bool{true, false} {
			if scoped && webhook {
				continue // rejected by the chart
			}
			for jobs := 0; jobs <= 2; jobs++ {
				out = append(out, seedCase{fmt.Sprintf("namespaceScoped=%v webhook=%v jobs=%d", scoped, webhook, jobs), map[string]interface{}{
					"rbac": map[string]interface{}{"namespaceScoped": scoped}, "webhook": map[string]interface{}{"enabled": webhook}, "rotationJobs": rotationJobs(jobs)}})
			}
		}
	}
	return out
}

func gatewayCases() []seedCase {
	var out []seedCase
	for _, mode := range []string{"serviceAccount", "userToken"} {
		for _, allowed := range watchLists {
			for _, wide := range []bool{false, true} {
				if wide && len(allowed) > 0 {
					continue // rejected by the chart
				}
				out = append(out, seedCase{fmt.Sprintf("%s allowed [%s] clusterWideSecrets=%v", mode, strings.Join(allowed, ","), wide), map[string]interface{}{
					"auth": map[string]interface{}{"mode": mode}, "rbac": map[string]interface{}{"allowedNamespaces": strList(allowed...), "clusterWideSecrets": wide}}})
			}
		}
	}
	return out
}

// renderSeed renders a seed chart as it is about to be installed; the model the server is held to.
func renderSeed(t *testing.T, chartName, name, namespace string, values map[string]interface{}) (installed, *chartrender.Result) {
	t.Helper()
	res, err := chartrender.Render(charts[chartName], chartrender.Options{ReleaseName: name, Namespace: namespace, Values: copyValues(values)})
	if err != nil {
		t.Fatalf("render %s with %v: %v", chartName, values, err)
	}
	return installed{chart: chartName, name: name, namespace: namespace, objects: res.Objects, model: rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{})}, res
}

// checkSeedAccounts acts as every rendered ServiceAccount with a real token and compares the server's
// answers (every verb on every resource its chart's rules name, and the sentinels, in every tenant
// namespace and cluster-wide) with the rendered RBAC.
func checkSeedAccounts(t *testing.T, in installed) {
	t.Helper()
	namespaces := append([]string{in.namespace}, tenantNamespaces...)
	for _, sa := range in.serviceAccounts() {
		expectMatchesModel(t, actAs(t, admin, sa.Namespace, sa.Name), in.model, sa, probesFor(in.allRules(), namespaces))
	}
}

// tokenConfig is a client config with a real token of the ServiceAccount (see serviceAccountConfig).
func tokenConfig(t *testing.T, sa rbaccheck.ServiceAccountRef) *rest.Config {
	t.Helper()
	return serviceAccountConfig(t, admin, sa.Namespace, sa.Name)
}

// podEnv returns the env var of the chart's Deployment.
func podEnv(in installed, name string) string {
	for _, pt := range chartrender.PodTemplatesOf(in.objects) {
		if !strings.HasPrefix(pt.Owner, "Deployment/") {
			continue
		}
		for _, e := range pt.Spec.Containers[0].Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}

func podArgs(in installed) []string {
	for _, pt := range chartrender.PodTemplatesOf(in.objects) {
		if strings.HasPrefix(pt.Owner, "Deployment/") {
			return pt.Spec.Containers[0].Args
		}
	}
	return nil
}

func deploymentAccount(in installed) rbaccheck.ServiceAccountRef {
	for _, pt := range chartrender.PodTemplatesOf(in.objects) {
		if strings.HasPrefix(pt.Owner, "Deployment/") {
			return rbaccheck.ServiceAccountRef{Namespace: pt.Namespace, Name: pt.Spec.ServiceAccountName}
		}
	}
	return rbaccheck.ServiceAccountRef{}
}

// informerCheck is what one program instance watches: resources in one namespace ("" = all).
type informerCheck struct {
	namespace string
	gvrs      []schema.GroupVersionResource
}

var (
	gvrCRDs        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	gvrPeerings    = schema.GroupVersionResource{Group: "peering.workload-rbac.io", Version: "v1alpha1", Resource: "clusterpeerings"}
	gvrRealms      = schema.GroupVersionResource{Group: "idp.workload-rbac.io", Version: "v1alpha1", Resource: "realms"}
	gvrCPs         = schema.GroupVersionResource{Group: "tenancy.workload-rbac.io", Version: "v1alpha1", Resource: "controlplanes"}
	gvrClusters    = schema.GroupVersionResource{Group: "fleet.workload-rbac.io", Version: "v1alpha1", Resource: "clusters"}
	gvrDeployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrNamespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrSecrets     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	gvrServices    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrConfigMaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrPods        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrLeases      = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}
)

// runInformers starts client-go (dynamic) shared informers as the identity of cfg, as an operator built
// on client-go does, and waits for their caches. It returns whether every cache synced and the errors
// the reflectors reported (a forbidden list or watch among them).
func runInformers(cfg *rest.Config, c informerCheck, timeout time.Duration) (bool, []error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return false, []error{err}
	}
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, c.namespace, nil)
	var mu sync.Mutex
	var errs []error
	for _, gvr := range c.gvrs {
		gvr := gvr
		_ = factory.ForResource(gvr).Informer().SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, fmt.Errorf("%s: %w", gvr.Resource, err))
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	factory.Start(ctx.Done())
	synced := factory.WaitForCacheSync(ctx.Done())
	cancel()
	factory.Shutdown()
	all := len(synced) == len(c.gvrs)
	for _, ok := range synced {
		all = all && ok
	}
	mu.Lock()
	defer mu.Unlock()
	return all, append([]error{}, errs...)
}

// expectInformersSync: the program's caches sync with no forbidden error.
func expectInformersSync(t *testing.T, who string, cfg *rest.Config, c informerCheck) {
	t.Helper()
	accessChecks.Add(int64(len(c.gvrs)))
	synced, errs := runInformers(cfg, c, 20*time.Second)
	for _, err := range errs {
		if apierrors.IsForbidden(err) || strings.Contains(err.Error(), "forbidden") {
			t.Errorf("%s: informer in %q got %v", who, c.namespace, err)
		}
	}
	if !synced {
		t.Errorf("%s: informer caches for %v in %q did not sync (errors: %v)", who, c.gvrs, c.namespace, errs)
	}
}

// expectInformersRefused: outside its scope, the program's informers never sync and the server
// answers 403.
func expectInformersRefused(t *testing.T, who string, cfg *rest.Config, c informerCheck) {
	t.Helper()
	for _, gvr := range c.gvrs {
		accessChecks.Add(1)
		synced, errs := runInformers(cfg, informerCheck{c.namespace, []schema.GroupVersionResource{gvr}}, 3*time.Second)
		forbidden := false
		for _, err := range errs {
			forbidden = forbidden || strings.Contains(err.Error(), "forbidden")
		}
		if synced || !forbidden {
			t.Errorf("%s: informer on %s in %q synced=%v errors=%v, want refused (403)", who, gvr.Resource, c.namespace, synced, errs)
		}
	}
}

// watchScopes turns a comma-separated watch list ("" = all namespaces) into informer namespaces.
func watchScopes(list string) []string {
	if list == "" {
		return []string{metav1.NamespaceAll}
	}
	return strings.Split(list, ",")
}

func TestSeedChartsGrantExactlyWhatTheyRender(t *testing.T) {
	for _, tc := range []struct {
		chart string
		cases []seedCase
		check func(*testing.T, installed, *chartrender.Result, map[string]interface{})
	}{
		{"watchlist-operator", watchlistCases(), checkWatchlistClient},
		{"tenant-operator", tenantCases(), checkTenantClients},
		{"kube-api-gateway", gatewayCases(), checkGatewayClients},
	} {
		seedChart(t, tc.chart)
		for i, c := range tc.cases {
			name := fmt.Sprintf("%s-%d", strings.Split(tc.chart, "-")[0], i)
			t.Run(tc.chart+" "+c.label, func(t *testing.T) {
				in, res := renderSeed(t, tc.chart, name, "rel-"+name, c.values)
				helm.install(t, charts[tc.chart], name, in.namespace, c.values)
				checkSeedAccounts(t, in)
				tc.check(t, in, res, c.values)
				helm.uninstall(t, name, in.namespace)
				expectNoClusterScopedLeft(t, in)
			})
		}
	}
}

// checkWatchlistClient runs the operator's informers with its WATCH_NAMESPACES and its token: CRDs and
// peerings cluster-wide, its namespaced resources in each watched namespace; refused in "outside" when
// it watches a list.
func checkWatchlistClient(t *testing.T, in installed, _ *chartrender.Result, _ map[string]interface{}) {
	op := deploymentAccount(in)
	cfg := tokenConfig(t, op)
	expectInformersSync(t, "watchlist-operator", cfg, informerCheck{"", []schema.GroupVersionResource{gvrCRDs, gvrPeerings}})
	watch := podEnv(in, "WATCH_NAMESPACES")
	namespaced := []schema.GroupVersionResource{gvrRealms, gvrDeployments, gvrServices, gvrConfigMaps}
	for _, ns := range watchScopes(watch) {
		expectInformersSync(t, "watchlist-operator", cfg, informerCheck{ns, namespaced})
	}
	if watch != "" {
		expectInformersRefused(t, "watchlist-operator", cfg, informerCheck{"outside", []schema.GroupVersionResource{gvrRealms}})
		expectInformersRefused(t, "watchlist-operator", cfg, informerCheck{"", []schema.GroupVersionResource{gvrRealms}})
	}
	expectInformersRefused(t, "watchlist-operator", cfg, informerCheck{in.namespace, []schema.GroupVersionResource{gvrSecrets}})
}

// checkTenantClients runs the operator's informers in the scope its --namespace flag gives (all
// namespaces without it) and refuses them outside; each rotation job, with its own token, gets its
// source Secret and patches its staging Secret and nothing else.
func checkTenantClients(t *testing.T, in installed, _ *chartrender.Result, values map[string]interface{}) {
	op := deploymentAccount(in)
	cfg := tokenConfig(t, op)
	scope := metav1.NamespaceAll
	for _, a := range podArgs(in) {
		if v, ok := strings.CutPrefix(a, "--namespace="); ok {
			scope = v
		}
	}
	gvrs := []schema.GroupVersionResource{gvrCPs, gvrSecrets, gvrDeployments, gvrServices, gvrConfigMaps, gvrLeases}
	expectInformersSync(t, "tenant-operator", cfg, informerCheck{scope, gvrs})
	if scope != metav1.NamespaceAll {
		expectInformersRefused(t, "tenant-operator", cfg, informerCheck{"outside", []schema.GroupVersionResource{gvrCPs, gvrSecrets}})
		expectInformersRefused(t, "tenant-operator", cfg, informerCheck{"", []schema.GroupVersionResource{gvrSecrets}})
	}
	jobs, _ := values["rotationJobs"].([]interface{})
	for _, j := range jobs {
		job := j.(map[string]interface{})
		name := job["name"].(string)
		src, stg := job["sourceSecret"].(string), job["stagingSecret"].(string)
		for _, s := range []string{src, stg, "unrelated"} {
			_, err := admin.CoreV1().Secrets(in.namespace).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
		sa := rbaccheck.ServiceAccountRef{Namespace: in.namespace, Name: in.name + "-tenant-operator-rotate-" + name}
		cs := actAs(t, admin, sa.Namespace, sa.Name)
		secrets := cs.CoreV1().Secrets(in.namespace)
		patch := []byte(`{"metadata":{"annotations":{"rotated":"yes"}}}`)
		ctx := context.Background()
		try := func(what string, want bool, call func() error) {
			var err error
			eventually(func() bool {
				accessChecks.Add(1)
				err = call()
				return (err == nil) == want
			})
			if (err == nil) != want || (!want && !apierrors.IsForbidden(err)) {
				t.Errorf("rotation job %s: %s: want allowed=%v, got %v", name, what, want, err)
			}
		}
		try("get its source Secret", true, func() error { _, err := secrets.Get(ctx, src, metav1.GetOptions{}); return err })
		try("patch its staging Secret", true, func() error {
			_, err := secrets.Patch(ctx, stg, types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		})
		try("patch its source Secret", false, func() error {
			_, err := secrets.Patch(ctx, src, types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		})
		try("get an unrelated Secret", false, func() error { _, err := secrets.Get(ctx, "unrelated", metav1.GetOptions{}); return err })
		jobCfg := tokenConfig(t, sa)
		expectInformersRefused(t, "rotation job "+name, jobCfg, informerCheck{in.namespace, []schema.GroupVersionResource{gvrSecrets}})
	}
}

// checkGatewayClients: in serviceAccount mode the server's informers sync with its token (Secrets in
// SECRET_NAMESPACES only); in userToken mode its token is refused everywhere, the objects NOTES print
// are applied, and a member of the user group then holds exactly what the server's account holds in
// serviceAccount mode, its informers syncing where the server's would.
func checkGatewayClients(t *testing.T, in installed, res *chartrender.Result, values map[string]interface{}) {
	sa := deploymentAccount(in)
	read := []schema.GroupVersionResource{gvrClusters, gvrNamespaces, gvrPods, gvrServices, gvrConfigMaps}
	runAs := func(who string, cfg *rest.Config, secretNamespaces string) {
		expectInformersSync(t, who, cfg, informerCheck{"", read})
		switch secretNamespaces {
		case "*":
			expectInformersSync(t, who, cfg, informerCheck{"", []schema.GroupVersionResource{gvrSecrets}})
		case "":
			expectInformersRefused(t, who, cfg, informerCheck{in.namespace, []schema.GroupVersionResource{gvrSecrets}})
		default:
			for _, ns := range strings.Split(secretNamespaces, ",") {
				expectInformersSync(t, who, cfg, informerCheck{ns, []schema.GroupVersionResource{gvrSecrets}})
			}
			expectInformersRefused(t, who, cfg, informerCheck{"outside", []schema.GroupVersionResource{gvrSecrets}})
		}
	}
	secretNS := podEnv(in, "SECRET_NAMESPACES")
	if podEnv(in, "AUTH_MODE") == "serviceAccount" {
		runAs("kube-api-gateway (serviceAccount mode)", tokenConfig(t, sa), secretNS)
		return
	}
	expectInformersRefused(t, "kube-api-gateway's own account (userToken mode)", tokenConfig(t, sa), informerCheck{"", []schema.GroupVersionResource{gvrClusters, gvrPods}})
	objs, err := chartrender.NotesObjects(res.Notes, "Provide exactly these objects:", "")
	if err != nil {
		t.Fatalf("%v:\n%s", err, res.Notes)
	}
	applyObjects(t, objs)
	defer deleteObjects(t, objs)
	// What the server's account would hold in serviceAccount mode with the same values.
	saValues := copyValues(values)
	saValues["auth"] = map[string]interface{}{"mode": "serviceAccount"}
	saMode, _ := renderSeed(t, in.chart, in.name, in.namespace, saValues)
	// A real person in the group NOTES bind, authenticated by a token of its own (not impersonated).
	user, err := cluster.UserConfig(groupMember)
	if err != nil {
		t.Fatal(err)
	}
	userCS, err := kubernetes.NewForConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	namespaces := append([]string{in.namespace}, tenantNamespaces...)
	expectMatchesModel(t, userCS, saMode.model, deploymentAccount(saMode), probesFor(saMode.allRules(), namespaces))
	runAs("a platform-engineers user with the NOTES objects (userToken mode)", user, secretNS)
}

// applyObjects creates the RBAC objects as the admin (a platform team applying what NOTES print).
func applyObjects(t *testing.T, objs []runtime.Object) { forEachRBACObject(t, objs, true) }

// deleteObjects deletes what applyObjects created.
func deleteObjects(t *testing.T, objs []runtime.Object) { forEachRBACObject(t, objs, false) }

// forEachRBACObject creates (or deletes) each Role, ClusterRole and binding as the admin.
func forEachRBACObject(t *testing.T, objs []runtime.Object, create bool) {
	t.Helper()
	ctx := context.Background()
	rbac := admin.RbacV1()
	for _, o := range objs {
		var err error
		switch r := o.(type) {
		case *rbacv1.ClusterRole:
			if create {
				_, err = rbac.ClusterRoles().Create(ctx, r, metav1.CreateOptions{})
			} else {
				err = rbac.ClusterRoles().Delete(ctx, r.Name, metav1.DeleteOptions{})
			}
		case *rbacv1.ClusterRoleBinding:
			if create {
				_, err = rbac.ClusterRoleBindings().Create(ctx, r, metav1.CreateOptions{})
			} else {
				err = rbac.ClusterRoleBindings().Delete(ctx, r.Name, metav1.DeleteOptions{})
			}
		case *rbacv1.Role:
			if create {
				_, err = rbac.Roles(r.Namespace).Create(ctx, r, metav1.CreateOptions{})
			} else {
				err = rbac.Roles(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
			}
		case *rbacv1.RoleBinding:
			if create {
				_, err = rbac.RoleBindings(r.Namespace).Create(ctx, r, metav1.CreateOptions{})
			} else {
				err = rbac.RoleBindings(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
			}
		default:
			t.Fatalf("NOTES print %s, which the test does not apply", chartrender.ObjectKey(o))
		}
		if err != nil {
			t.Errorf("create=%v %s from NOTES: %v", create, chartrender.ObjectKey(o), err)
		}
	}
}

// TestSeedChartsCoexist installs the tenant operator namespace-scoped twice under one release name in
// two namespaces, beside a cluster-wide tenant operator, a watchlist operator and a gateway: no install
// conflicts (Helm fails on any name collision), every account is held to its own release's rendering
// alone, and each namespace-scoped instance is refused in the other's namespace.
func TestSeedChartsCoexist(t *testing.T) {
	releases := []struct {
		chart, name, namespace string
		values                 map[string]interface{}
	}{
		{"tenant-operator", "tenant", "rel-co-t1", map[string]interface{}{"rbac": map[string]interface{}{"namespaceScoped": true}, "webhook": map[string]interface{}{"enabled": false}, "rotationJobs": rotationJobs(1)}},
		{"tenant-operator", "tenant", "rel-co-t2", map[string]interface{}{"rbac": map[string]interface{}{"namespaceScoped": true}, "webhook": map[string]interface{}{"enabled": false}, "rotationJobs": rotationJobs(2)}},
		{"tenant-operator", "tenant", "rel-co-t3", map[string]interface{}{}},
		{"watchlist-operator", "watchlist", "rel-co-t3", map[string]interface{}{"rbac": map[string]interface{}{"watchNamespaces": strList("team-a")}}},
		{"kube-api-gateway", "gateway", "rel-co-t3", map[string]interface{}{"rbac": map[string]interface{}{"allowedNamespaces": strList("team-b")}}},
	}
	var all []installed
	for _, r := range releases {
		seedChart(t, r.chart)
		in, _ := renderSeed(t, r.chart, r.name, r.namespace, r.values)
		helm.install(t, charts[r.chart], r.name, r.namespace, r.values)
		all = append(all, in)
	}
	for _, in := range all {
		in := in
		t.Run(in.chart+" in "+in.namespace, func(t *testing.T) { checkSeedAccounts(t, in) })
	}
	for i, other := range []string{"rel-co-t2", "rel-co-t1"} {
		op := deploymentAccount(all[i])
		expectInformersRefused(t, "namespace-scoped tenant operator of "+all[i].namespace, tokenConfig(t, op), informerCheck{other, []schema.GroupVersionResource{gvrCPs, gvrSecrets}})
	}
	for _, in := range all {
		helm.uninstall(t, in.name, in.namespace)
		expectNoClusterScopedLeft(t, in)
	}
}
