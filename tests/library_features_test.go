package tests

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

type vals = map[string]interface{}

func rule(groups, resources, verbs []interface{}, extra vals) vals {
	r := vals{"apiGroups": groups, "resources": resources, "verbs": verbs}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func strs(s ...string) []interface{} {
	out := make([]interface{}, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func renderFixture(t *testing.T, values vals) (*chartrender.Result, error) {
	t.Helper()
	ch, err := chartrender.Load("fixtures/library-features")
	if err != nil {
		t.Fatal(err)
	}
	return chartrender.Render(ch, chartrender.Options{ReleaseName: "rel", Namespace: "apps", Values: values})
}

var secretsRead = rule(strs(""), strs("secrets"), strs("get", "list", "watch"), nil)

// TestLibraryRefusesWithTheRuleAndTheFix: each library guard fails with a message naming the rule and
// the fix; audited exceptions do not lift the guards that always hold.
func TestLibraryRefusesWithTheRuleAndTheFix(t *testing.T) {
	cases := []struct {
		name   string
		values vals
		want   string
	}{
		{"unpinned secrets without an exception", vals{"rules": []interface{}{secretsRead}},
			"rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
		{"an unpinned Secret write allowed as a read only", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get", "patch"), vals{"allow": strs("secrets-read"), "reason": "x"})}},
			`rules[0] grants "patch" on every Secret: pin the Secrets it changes with resourceNames (create cannot be pinned: drop it), or make it an audited exception with allow: [secrets-write] and a reason`},
		{"an unpinned Secret read allowed as a write only", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get", "create"), vals{"allow": strs("secrets-write"), "reason": "x"})}},
			"rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
		{"an exception without a reason", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get"), vals{"allow": strs("secrets-read")})}},
			"rules[0].allow overrides secrets-read without a reason: add reason:"},
		{"a reason without an exception", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get"), vals{"reason": "x"})}},
			"rules[0] has a reason but no allow list"},
		{"a multi-line reason", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get"), vals{"allow": strs("secrets-read"), "reason": "a\nb"})}},
			"rules[0].reason spans several lines"},
		{"allowing escalate/bind/impersonate", vals{"rules": []interface{}{rule(strs("rbac.authorization.k8s.io"), strs("roles"), strs("bind"), vals{"allow": strs("escalate-bind-impersonate"), "reason": "x"})}},
			`rules[0].allow names "escalate-bind-impersonate", which cannot be overridden`},
		{"allowing wildcards", vals{"rules": []interface{}{rule(strs(""), strs("*"), strs("get"), vals{"allow": strs("wildcard"), "reason": "x"})}},
			`rules[0].allow names "wildcard", which cannot be overridden`},
		{"the bind verb even with an allowed secrets read", vals{"rules": []interface{}{rule(strs(""), strs("secrets"), strs("get", "bind"), vals{"allow": strs("secrets-read"), "reason": "x"})}},
			`rules[0] grants the verb "bind"`},
		{"a wildcard resource even with an allowed secrets read", vals{"rules": []interface{}{rule(strs(""), strs("secrets", "*"), strs("get"), vals{"allow": strs("secrets-read"), "reason": "x"})}},
			`rules[0].resources contains the wildcard "*"`},
		{"resourceNames with list", vals{"rules": []interface{}{rule(strs(""), strs("configmaps"), strs("get", "list"), vals{"resourceNames": strs("a")})}},
			`rules[0] pins resourceNames but grants "list", which resourceNames do not restrict to those names: move "list" to a rule without resourceNames, or drop it`},
		{"resourceNames with watch", vals{"rules": []interface{}{rule(strs(""), strs("configmaps"), strs("watch"), vals{"resourceNames": strs("a")})}},
			`grants "watch", which resourceNames do not restrict`},
		{"resourceNames with create", vals{"rules": []interface{}{rule(strs(""), strs("configmaps"), strs("create"), vals{"resourceNames": strs("a")})}},
			`grants "create", which resourceNames do not restrict`},
		{"resourceNames with deletecollection", vals{"rules": []interface{}{rule(strs(""), strs("configmaps"), strs("deletecollection"), vals{"resourceNames": strs("a")})}},
			`grants "deletecollection", which resourceNames do not restrict`},
		{"a cluster-scoped resource in a namespace-scoped Role", vals{"namespaceScoped": true, "rules": []interface{}{rule(strs("apiextensions.k8s.io"), strs("customresourcedefinitions"), strs("get"), nil)}},
			"rules[0] grants customresourcedefinitions.apiextensions.k8s.io, which is cluster-scoped, in a rule list rendered as a Role (or a ClusterRole bound per namespace), where it grants nothing: move the rule to the cluster rules"},
		{"a core cluster-scoped resource bound per watched namespace", vals{"namespaces": strs("team-a"), "rules": []interface{}{rule(strs(""), strs("nodes/status"), strs("get"), nil)}},
			"rules[0] grants nodes, which is cluster-scoped"},
		{"the chart's own cluster-scoped resource in the namespaced rules", vals{"render": "split", "clusterScopedResources": strs("peers.example.io"), "rules": []interface{}{rule(strs("example.io"), strs("peers"), strs("get"), nil)}},
			"rules[0] grants peers.example.io, which is cluster-scoped"},
		{"a namespace-scoped install of cluster rules", vals{"render": "split", "namespaceScoped": true},
			"clusterRules must be rendered as a ClusterRole (cluster-scoped resources need one), so this workload cannot be namespace-scoped: restrict it with namespaces instead"},
		{"nonResourceURLs in a Role", vals{"namespaceScoped": true, "rules": []interface{}{vals{"nonResourceURLs": strs("/healthz"), "verbs": strs("get")}}},
			"rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from rules"},
		{"nonResourceURLs in the namespaced rules of a split workload that watches every namespace", vals{"render": "split", "rules": []interface{}{vals{"nonResourceURLs": strs("/healthz"), "verbs": strs("get")}}},
			"rules[0] grants nonResourceURLs [/healthz] in a rule list rendered per namespace, where they grant nothing: move the rule to the cluster rules (clusterRules of workload-rbac.render.clusterAndNamespaced)"},
		{"a subject of an unknown kind", vals{"render": "grant", "subjects": []interface{}{vals{"kind": "Team", "name": "x"}}},
			`subjects[0].kind "Team" is not Group, User or ServiceAccount`},
		{"a group without a name", vals{"render": "grant", "subjects": []interface{}{vals{"kind": "Group"}}},
			"subjects[0] (Group) has no name"},
		{"no subjects to grant to", vals{"render": "grant"},
			"subjects is empty: name at least one Group, User or ServiceAccount to bind"},
	}
	for _, c := range cases {
		t.Run("the library rejects "+c.name, func(t *testing.T) {
			_, err := renderFixture(t, c.values)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %q", err, c.want)
			}
		})
	}
}

// TestAuditedExceptionIsAnnotatedAndAcknowledged: an allowed, reasoned secrets read renders with the
// allow and reason annotations, and rbac-matrix's secrets-read check stays quiet for that role only.
func TestAuditedExceptionIsAnnotatedAndAcknowledged(t *testing.T) {
	ex := rule(strs(""), strs("secrets"), strs("get", "list", "watch"), vals{"allow": strs("secrets-read"), "reason": "reads the kubeconfig Secrets of each cluster"})
	wl := rule(strs("apps"), strs("deployments"), strs("create"), vals{"allow": strs("workload-create"), "reason": "runs one server per CR"})
	res, err := renderFixture(t, vals{"rules": []interface{}{ex, wl}})
	if err != nil {
		t.Fatal(err)
	}
	crs := chartrender.ClusterRolesOf(res.Objects)
	if len(crs) != 1 {
		t.Fatalf("want one ClusterRole, got %d", len(crs))
	}
	a := crs[0].Annotations
	if a["workload-rbac.io/allow"] != "secrets-read,workload-create" || a["workload-rbac.io/reason"] != "reads the kubeconfig Secrets of each cluster; runs one server per CR" {
		t.Errorf("annotations %v", a)
	}
	for _, r := range crs[0].Rules {
		if len(r.ResourceNames) > 0 || strings.Contains(r.String(), "allow") {
			t.Errorf("rule rendered with more than its PolicyRule fields: %v", r)
		}
	}
	m := rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{ExternalServiceAccounts: []rbaccheck.ServiceAccountRef{{Namespace: "apps", Name: "app"}}})
	violations, acknowledged := m.RunAll()
	for _, v := range violations {
		if v.Check == "secrets-read" || v.Check == "workload-create" {
			t.Errorf("acknowledged exception still reported: %s", v)
		}
	}
	// Acknowledged, not hidden: each exception is listed with the reason the chart rendered.
	var listed []string
	for _, v := range acknowledged {
		listed = append(listed, v.Check+" "+v.Object+": "+v.Reason)
	}
	wantListed := []string{
		"secrets-read ClusterRole apps-rel-library-features: reads the kubeconfig Secrets of each cluster; runs one server per CR",
		"workload-create ClusterRole apps-rel-library-features: reads the kubeconfig Secrets of each cluster; runs one server per CR",
	}
	if strings.Join(listed, "\n") != strings.Join(wantListed, "\n") {
		t.Errorf("acknowledged:\n got %q\nwant %q", listed, wantListed)
	}
	// Without the annotation the same rules are reported: the acknowledgement is what silences them.
	delete(crs[0].Annotations, "workload-rbac.io/allow")
	var found bool
	for _, v := range rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{}).Run() {
		found = found || v.Check == "secrets-read"
	}
	if !found {
		t.Error("secrets-read is not reported without the allow annotation")
	}
	// A rule list without exceptions renders no annotations.
	res, err = renderFixture(t, vals{})
	if err != nil {
		t.Fatal(err)
	}
	if a := chartrender.ClusterRolesOf(res.Objects)[0].Annotations; len(a) != 0 {
		t.Errorf("annotations without an exception: %v", a)
	}
}

// TestClusterRulesBesideNamespacedRules: cluster rules are a ClusterRole with a ClusterRoleBinding in
// every scope; namespaced rules follow the watched namespaces.
func TestClusterRulesBesideNamespacedRules(t *testing.T) {
	crd := rule(strs("apiextensions.k8s.io"), strs("customresourcedefinitions"), strs("get", "list", "watch"), nil)
	for _, nss := range [][]string{nil, {"team-a"}, {"team-a", "team-b"}} {
		t.Run("watching "+strings.Join(nss, "+"), func(t *testing.T) {
			res, err := renderFixture(t, vals{"render": "split", "clusterRules": []interface{}{crd}, "namespaces": strs(nss...)})
			if err != nil {
				t.Fatal(err)
			}
			sa := rbaccheck.ServiceAccountRef{Namespace: "apps", Name: "app"}
			if got := grantNamespaces(res.Objects, sa, "apps-rel-library-features-cluster"); strings.Join(got, ",") != "" || len(got) != 1 {
				t.Errorf("cluster rules bound in %q, want one ClusterRoleBinding", got)
			}
			want := []string{""}
			if len(nss) > 0 {
				want = nss
			}
			if got := grantNamespaces(res.Objects, sa, "apps-rel-library-features"); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("namespaced rules bound in %q, want %q", got, want)
			}
		})
	}
}

// TestGrantToGroups: render.grant binds Groups and Users, cluster-wide or per namespace.
func TestGrantToGroups(t *testing.T) {
	subjects := []interface{}{vals{"kind": "Group", "name": "platform-engineers"}, vals{"kind": "User", "name": "jane@example.com"}}
	res, err := renderFixture(t, vals{"render": "grant", "subjects": subjects, "namespaces": strs("team-a", "team-b")})
	if err != nil {
		t.Fatal(err)
	}
	m := rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{})
	for _, who := range []rbaccheck.Subject{{Kind: rbacv1.GroupKind, Name: "platform-engineers"}, {Kind: rbacv1.UserKind, Name: "jane@example.com"}} {
		for ns, want := range map[string]bool{"team-a": true, "team-b": true, "team-c": false, "": false} {
			if ok, _ := m.CanI(who, rbaccheck.Request{Verb: "get", Resource: "configmaps", Namespace: ns}); ok != want {
				t.Errorf("%s get configmaps in %q = %v, want %v", who.Name, ns, ok, want)
			}
		}
	}
	if n := len(chartrender.RolesOf(res.Objects)); n != 2 {
		t.Errorf("want a Role per namespace, got %d", n)
	}
	res, err = renderFixture(t, vals{"render": "grant", "subjects": subjects[:1]})
	if err != nil {
		t.Fatal(err)
	}
	crbs := chartrender.ClusterRoleBindingsOf(res.Objects)
	if len(crbs) != 1 || crbs[0].Subjects[0].APIGroup != rbacv1.GroupName || crbs[0].Subjects[0].Kind != "Group" {
		t.Errorf("cluster-wide grant: %+v", crbs)
	}
}
