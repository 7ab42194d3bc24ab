package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// seedChartPromises are the promises of the charts built from the seed shapes (001-003), by chart name.
var seedChartPromises = map[string]func(*testing.T, matrix.Outcome){
	"watchlist-operator": assertWatchlistOperatorPromises,
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
