package tests

import (
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// seedChartPromises are the promises of the charts built from the seed shapes (001-003), by chart name.
var seedChartPromises = map[string]func(*testing.T, matrix.Outcome){
	"watchlist-operator": assertWatchlistOperatorPromises,
	"tenant-operator":    assertTenantOperatorPromises,
	"kube-api-gateway":   assertKubeAPIGatewayPromises,
}

func canI(m *rbaccheck.Model, sa rbaccheck.ServiceAccountRef, verb, resource, ns string) bool {
	ok, _ := m.CanI(sa.AsSubject(), rbaccheck.ParseRequest(verb, resource, ns))
	return ok
}

// assertWatchlistOperatorPromises (seed 003): WATCH_NAMESPACES equals rbac.watchNamespaces and where the
// namespaced rules are bound (one ClusterRoleBinding when it watches all); the CRD and cluster-peering
// rules are always cluster-wide; nothing is granted outside the watched namespaces; no Secret access.
func assertWatchlistOperatorPromises(t *testing.T, o matrix.Outcome) {
	objs := o.Result.Objects
	sa := serviceAccountOf(t, objs)
	full := fullname(t, o)
	ns := o.Result.Namespace
	watch, ok := env(t, objs, "WATCH_NAMESPACES")
	if !ok {
		t.Fatal("no WATCH_NAMESPACES env")
	}
	listed := list(o.Combination, "rbac.watchNamespaces")
	if watch != strings.Join(listed, ",") {
		t.Errorf("WATCH_NAMESPACES=%q, want rbac.watchNamespaces %q", watch, listed)
	}
	want := []string{""}
	if watch != "" {
		want = strings.Split(watch, ",")
		sort.Strings(want)
	}
	if got := grantNamespaces(objs, sa, ns+"-"+full); strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
		t.Errorf("namespaced rules bound in %q, want where it watches %q", got, want)
	}
	if got := grantNamespaces(objs, sa, ns+"-"+full+"-cluster"); len(got) != 1 || got[0] != "" {
		t.Errorf("cluster rules bound in %q, want one ClusterRoleBinding", got)
	}
	m := rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
	for _, r := range []string{"customresourcedefinitions.apiextensions.k8s.io", "clusterpeerings.peering.workload-rbac.io"} {
		if !canI(m, sa, "watch", r, "") {
			t.Errorf("the operator cannot watch %s cluster-wide", r)
		}
	}
	if !canI(m, sa, "update", "clusterpeerings.peering.workload-rbac.io", "") {
		t.Error("the operator cannot update the cluster peering (leader election)")
	}
	for _, w := range append([]string{"team-a", "team-b", "team-c", ns}, listed...) {
		inScope := len(listed) == 0 || contains(listed, w)
		if got := canI(m, sa, "list", "realms.idp.workload-rbac.io", w); got != inScope {
			t.Errorf("list realms in %s = %v, want %v (watching %q)", w, got, inScope, watch)
		}
		if canI(m, sa, "get", "secrets", w) {
			t.Errorf("the operator may read Secrets in %s", w)
		}
	}
	if got := canI(m, sa, "list", "realms.idp.workload-rbac.io", ""); got != (len(listed) == 0) {
		t.Errorf("list realms across all namespaces = %v with watch list %q", got, listed)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// podTemplate returns the pod template of the workload with the given ObjectKey prefix ("Deployment/").
func podTemplate(t *testing.T, objs []runtime.Object, prefix string) []chartrender.PodTemplate {
	t.Helper()
	var out []chartrender.PodTemplate
	for _, pt := range chartrender.PodTemplatesOf(objs) {
		if strings.HasPrefix(pt.Owner, prefix) {
			out = append(out, pt)
		}
	}
	return out
}

// assertTenantOperatorPromises (seed 002): namespace-scoped mode renders only namespaced objects in the
// release namespace and passes --namespace; cluster mode's Secret access is an annotated exception;
// the operator writes no RBAC and no ServiceAccount; the webhook rule is pinned to its own
// configuration; every rotation job has its own account and a Role pinned by resourceNames.
func assertTenantOperatorPromises(t *testing.T, o matrix.Outcome) {
	objs := o.Result.Objects
	ns := o.Result.Namespace
	deps := podTemplate(t, objs, "Deployment/")
	if len(deps) != 1 {
		t.Fatalf("want one operator Deployment, got %d", len(deps))
	}
	op := rbaccheck.ServiceAccountRef{Namespace: ns, Name: deps[0].Spec.ServiceAccountName}
	args := strings.Join(deps[0].Spec.Containers[0].Args, " ")
	m := rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
	scoped := isSet(o.Combination, "rbac.namespaceScoped")
	if scoped {
		if !strings.Contains(args, "--namespace="+ns) {
			t.Errorf("namespace-scoped without --namespace=%s: %q", ns, args)
		}
		for _, obj := range objs {
			if chartrender.IsClusterScoped(obj) {
				t.Errorf("namespace-scoped renders the cluster-scoped %s", chartrender.ObjectKey(obj))
			}
		}
		if !canI(m, op, "list", "secrets", ns) || canI(m, op, "get", "secrets", "team-b") || canI(m, op, "list", "secrets", "") {
			t.Error("namespace-scoped: the operator must manage Secrets in its namespace only")
		}
	} else {
		if strings.Contains(args, "--namespace") {
			t.Errorf("cluster mode passes %q", args)
		}
		if !canI(m, op, "list", "secrets", "") {
			t.Error("cluster mode: the operator cannot list Secrets cluster-wide")
		}
		cr := m.ClusterRoles[ns+"-"+fullname(t, o)]
		if cr == nil || !strings.Contains(cr.Annotations["workload-rbac.io/allow"], "secrets-read") || !strings.Contains(cr.Annotations["workload-rbac.io/reason"], "every namespace") {
			t.Errorf("cluster mode: the operator's ClusterRole does not carry the audited secrets-read exception: %v", cr)
		}
	}
	for _, w := range []string{"", ns, "team-b"} {
		for _, r := range rbacAndAccountWrites {
			r.Namespace = w
			if ok, why := m.CanI(op.AsSubject(), r); ok {
				t.Errorf("the operator may %s %s in %q (%s): per-job RBAC is rendered by the chart", r.Verb, r.Resource, w, why)
			}
		}
	}
	webhook := ns + "-" + fullname(t, o) + "-webhook"
	vwc := rbaccheck.Request{Verb: "patch", APIGroup: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: webhook}
	if ok, _ := m.CanI(op.AsSubject(), vwc); ok != isSet(o.Combination, "webhook.enabled") {
		t.Errorf("patch of its own webhook configuration = %v, want webhook.enabled", ok)
	}
	vwc.Name = "someone-elses"
	if ok, _ := m.CanI(op.AsSubject(), vwc); ok {
		t.Error("the operator may patch another webhook configuration")
	}
	jobs, _ := o.Combination.Values["rotationJobs"].([]interface{})
	crons := podTemplate(t, objs, "CronJob/")
	if len(crons) != len(jobs) {
		t.Fatalf("%d rotation jobs, %d CronJobs", len(jobs), len(crons))
	}
	seen := map[string]bool{op.Name: true}
	var secrets []string
	for _, j := range jobs {
		secrets = append(secrets, j.(map[string]interface{})["sourceSecret"].(string), j.(map[string]interface{})["stagingSecret"].(string))
	}
	for i, j := range jobs {
		job := j.(map[string]interface{})
		pt := crons[i]
		sa := rbaccheck.ServiceAccountRef{Namespace: ns, Name: pt.Spec.ServiceAccountName}
		if seen[sa.Name] {
			t.Errorf("%s shares the account %s", pt.Owner, sa)
		}
		seen[sa.Name] = true
		if _, ok := m.ServiceAccounts[sa]; !ok {
			t.Errorf("%s runs as %s, which is not rendered", pt.Owner, sa)
		}
		src, stg := job["sourceSecret"].(string), job["stagingSecret"].(string)
		for _, s := range secrets {
			for _, verb := range []string{"get", "patch", "update", "delete"} {
				want := (s == src && verb == "get") || (s == stg && (verb == "get" || verb == "patch"))
				if ok, _ := m.CanI(sa.AsSubject(), rbaccheck.Request{Verb: verb, Resource: "secrets", Name: s, Namespace: ns}); ok != want {
					t.Errorf("%s: %s secret %s = %v, want %v", pt.Owner, verb, s, ok, want)
				}
			}
		}
		for _, w := range []string{"", ns} {
			for _, verb := range []string{"list", "watch", "create"} {
				if canI(m, sa, verb, "secrets", w) {
					t.Errorf("%s may %s secrets in %q", pt.Owner, verb, w)
				}
			}
		}
		for _, rules := range rolesBoundTo(m, sa) {
			for _, r := range rules {
				if len(r.ResourceNames) == 0 {
					t.Errorf("%s holds an unpinned rule %v", pt.Owner, r)
				}
			}
		}
	}
}

// rolesBoundTo returns the rules of every Role and ClusterRole bound to sa anywhere.
func rolesBoundTo(m *rbaccheck.Model, sa rbaccheck.ServiceAccountRef) [][]rbacv1.PolicyRule {
	var out [][]rbacv1.PolicyRule
	bound := func(subjects []rbacv1.Subject, ns string) bool {
		for _, s := range subjects {
			if rbaccheck.SubjectMatches(s, ns, sa.AsSubject()) {
				return true
			}
		}
		return false
	}
	for _, b := range m.RoleBindings {
		if !bound(b.Subjects, b.Namespace) {
			continue
		}
		if b.RoleRef.Kind == "Role" {
			if r := m.Roles[b.Namespace+"/"+b.RoleRef.Name]; r != nil {
				out = append(out, r.Rules)
			}
		} else if r := m.ClusterRoles[b.RoleRef.Name]; r != nil {
			out = append(out, r.Rules)
		}
	}
	for _, b := range m.ClusterRoleBindings {
		if bound(b.Subjects, "") {
			if r := m.ClusterRoles[b.RoleRef.Name]; r != nil {
				out = append(out, r.Rules)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, []rbacv1.PolicyRule{{}}) // no role at all is a failure too: an empty, unpinned rule
	}
	return out
}

// notesMarker introduces the objects a chart's NOTES ask platform teams or users to provide.
const notesMarker = "Provide exactly these objects:"

// seedNotesObjects decodes the objects NOTES list after notesMarker.
func seedNotesObjects(t *testing.T, notes string) []runtime.Object {
	t.Helper()
	objs, err := chartrender.NotesObjects(notes, notesMarker, "")
	if err != nil {
		t.Fatalf("%v:\n%s", err, notes)
	}
	return objs
}

// gatewayProbes are the requests compared between the server's account and the user groups.
func gatewayProbes(releaseNS string) []rbaccheck.Request {
	var out []rbaccheck.Request
	for _, ns := range []string{"", releaseNS, "team-a", "team-b", "team-c"} {
		for _, res := range []string{"clusters.fleet.workload-rbac.io", "namespaces", "pods", "services", "configmaps", "secrets", "deployments.apps"} {
			for _, verb := range []string{"get", "list", "watch", "create", "update", "delete"} {
				out = append(out, rbaccheck.ParseRequest(verb, res, ns))
			}
		}
	}
	return out
}

// assertKubeAPIGatewayPromises (seed 001): in serviceAccount mode the server's account reads the
// clusters everywhere and kubeconfig Secrets exactly where rbac.allowedNamespaces or
// rbac.clusterWideSecrets say (the latter an annotated exception); in userToken mode it holds no API
// grant at all, and the objects NOTES print give each user group exactly what the account holds in
// serviceAccount mode with the same values.
func assertKubeAPIGatewayPromises(t *testing.T, o matrix.Outcome) {
	objs := o.Result.Objects
	ns := o.Result.Namespace
	sa := serviceAccountOf(t, objs)
	m := rbaccheck.NewModel(objs, rbaccheck.ModelOptions{})
	allowed := list(o.Combination, "rbac.allowedNamespaces")
	wide := isSet(o.Combination, "rbac.clusterWideSecrets")
	mode, _ := o.Combination.Setting("auth.mode")
	if got, _ := env(t, objs, "AUTH_MODE"); got != mode {
		t.Errorf("AUTH_MODE=%q, want %v", got, mode)
	}
	wantEnv := strings.Join(allowed, ",")
	if wide {
		wantEnv = "*"
	}
	if got, _ := env(t, objs, "SECRET_NAMESPACES"); got != wantEnv {
		t.Errorf("SECRET_NAMESPACES=%q, want %q", got, wantEnv)
	}
	if mode == "userToken" {
		for _, w := range []string{"", ns, "team-a", "team-b"} {
			if rules := m.RulesFor(sa.AsSubject(), w); len(rules) > 0 {
				t.Errorf("userToken mode: the server's account holds %v in %q", rules, w)
			}
		}
		twin := strings.Replace(o.Combination.Name(), "auth.mode=userToken", "auth.mode=serviceAccount", 1)
		var saMode *matrix.Outcome
		for i, x := range renderAll(t)["kube-api-gateway"].outcomes {
			if x.Combination.Name() == twin {
				saMode = &renderAll(t)["kube-api-gateway"].outcomes[i]
			}
		}
		if saMode == nil || saMode.Err != nil {
			t.Fatalf("no serviceAccount-mode rendering %q to compare with", twin)
		}
		saModel := rbaccheck.NewModel(saMode.Result.Objects, rbaccheck.ModelOptions{})
		saRef := serviceAccountOf(t, saMode.Result.Objects)
		notes := rbaccheck.NewModel(seedNotesObjects(t, o.Result.Notes), rbaccheck.ModelOptions{})
		for _, ref := range chartrender.ClusterRolesOf(notes.Objects) {
			if strings.Contains(chartrender.ObjectKey(ref), "secrets") && wide && ref.Annotations["workload-rbac.io/allow"] != "secrets-read" {
				t.Errorf("NOTES print the cluster-wide Secret grant without its audited exception: %v", ref.Annotations)
			}
		}
		groups, _ := o.Combination.Values["auth"].(map[string]interface{})
		if groups == nil || groups["userGroups"] == nil {
			groups = map[string]interface{}{"userGroups": []interface{}{"platform-engineers"}}
		}
		for _, g := range groups["userGroups"].([]interface{}) {
			who := rbaccheck.Subject{Kind: rbacv1.GroupKind, Name: g.(string)}
			for _, r := range gatewayProbes(ns) {
				want, _ := saModel.CanI(saRef.AsSubject(), r)
				if got, _ := notes.CanI(who, r); got != want {
					t.Errorf("group %s: %s %s in %q = %v from NOTES, but %v for the server's account in serviceAccount mode", who.Name, r.Verb, r.Resource, r.Namespace, got, want)
				}
			}
		}
		return
	}
	for _, r := range []string{"clusters.fleet.workload-rbac.io", "namespaces", "pods"} {
		if !canI(m, sa, "list", r, "") {
			t.Errorf("serviceAccount mode: the server cannot list %s cluster-wide", r)
		}
	}
	for _, w := range []string{"", ns, "team-a", "team-b", "team-c"} {
		want := wide || (w != "" && contains(allowed, w))
		if got := canI(m, sa, "get", "secrets", w); got != want {
			t.Errorf("get secrets in %q = %v, want %v (allowed %q, cluster-wide %v)", w, got, want, allowed, wide)
		}
		if canI(m, sa, "create", "secrets", w) || canI(m, sa, "delete", "pods", w) {
			t.Errorf("the server may write in %q", w)
		}
	}
	if wide {
		cr := m.ClusterRoles[ns+"-"+fullname(t, o)+"-secrets"]
		if cr == nil || cr.Annotations["workload-rbac.io/allow"] != "secrets-read" || !strings.Contains(cr.Annotations["workload-rbac.io/reason"], "every namespace") {
			t.Errorf("rbac.clusterWideSecrets: the Secret ClusterRole is not an annotated exception: %v", cr)
		}
	}
}
