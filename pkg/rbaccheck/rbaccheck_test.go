package rbaccheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func om(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }

func rule(groups, resources, verbs string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: strings.Split(groups, ","), Resources: strings.Split(resources, ","), Verbs: strings.Split(verbs, ","), ResourceNames: names}
}

func sa(ns, name string) *corev1.ServiceAccount {
	f := false
	return &corev1.ServiceAccount{ObjectMeta: om(ns, name), AutomountServiceAccountToken: &f}
}

func deploy(ns, name, account string, env ...corev1.EnvVar) *appsv1.Deployment {
	f, exp := false, int64(3600)
	d := &appsv1.Deployment{ObjectMeta: om(ns, name)}
	d.Spec.Template.Spec = corev1.PodSpec{ServiceAccountName: account, AutomountServiceAccountToken: &f,
		Containers: []corev1.Container{{Name: "c", Env: env}},
		Volumes: []corev1.Volume{{Name: "tok", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}}}}}}}}
	return d
}

func rb(ns, name, kind, role, saNS, saName string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: om(ns, name), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: saNS, Name: saName}}}
}

func crb(name, role, saNS, saName string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: om("", name), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: saNS, Name: saName}}}
}

func TestRuleAllowsFollowsKubernetesSemantics(t *testing.T) {
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"exact match", rule("", "pods", "get"), Request{Verb: "get", Resource: "pods"}, true},
		{"other verb", rule("", "pods", "get"), Request{Verb: "list", Resource: "pods"}, false},
		{"other group", rule("apps", "pods", "get"), Request{Verb: "get", Resource: "pods"}, false},
		{"verb wildcard", rule("", "pods", "*"), Request{Verb: "delete", Resource: "pods"}, true},
		{"resource wildcard covers subresources", rule("", "*", "get"), Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"resource does not cover its subresource", rule("", "pods", "create"), Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"*/scale covers any scale", rule("apps", "*/scale", "update"), Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"resourceNames allow the named get", rule("", "secrets", "get", "tls"), Request{Verb: "get", Resource: "secrets", Name: "tls"}, true},
		{"resourceNames never allow list", rule("", "secrets", "get,list", "tls"), Request{Verb: "list", Resource: "secrets"}, false},
		{"resourceNames do not allow other names", rule("", "secrets", "get", "tls"), Request{Verb: "get", Resource: "secrets", Name: "db"}, false},
		{"non-resource exact", rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}, Request{Verb: "get", NonResourceURL: "/healthz"}, true},
		{"non-resource prefix", rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics*"}, Verbs: []string{"get"}}, Request{Verb: "get", NonResourceURL: "/metrics/cadvisor"}, true},
		{"resource rule never allows a URL", rule("", "pods", "get"), Request{Verb: "get", NonResourceURL: "/healthz"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { require.Equal(t, c.want, RuleAllows(c.rule, c.req)) })
	}
}

func TestCanIScopesRoleBindingsToTheirNamespace(t *testing.T) {
	m := NewModel([]runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: om("", "reader"), Rules: []rbacv1.PolicyRule{rule("", "configmaps", "list")}},
		rb("team-a", "read", "ClusterRole", "reader", "ops", "op"),
	}, ModelOptions{})
	who := ServiceAccountRef{"ops", "op"}.AsSubject()
	ok, why := m.CanI(who, Request{Verb: "list", Resource: "configmaps", Namespace: "team-a"})
	require.True(t, ok)
	require.Contains(t, why, "RoleBinding team-a/read")
	ok, _ = m.CanI(who, Request{Verb: "list", Resource: "configmaps", Namespace: "team-b"})
	require.False(t, ok, "a RoleBinding to a ClusterRole grants in its own namespace only")
	ok, _ = m.CanI(who, Request{Verb: "list", Resource: "configmaps"})
	require.False(t, ok, "and nothing cluster-wide")
}

func TestCanIMatchesServiceAccountGroupsAndAggregation(t *testing.T) {
	m := NewModel([]runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "part", Labels: map[string]string{"agg": "yes"}}, Rules: []rbacv1.PolicyRule{rule("", "services", "get")}},
		&rbacv1.ClusterRole{ObjectMeta: om("", "whole"), AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "yes"}}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: om("", "all-sas"), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "whole"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:serviceaccounts:ops"}}},
	}, ModelOptions{})
	ok, _ := m.CanI(ServiceAccountRef{"ops", "anyone"}.AsSubject(), Request{Verb: "get", Resource: "services", Namespace: "x"})
	require.True(t, ok, "the group system:serviceaccounts:ops holds the aggregated rule")
	ok, _ = m.CanI(ServiceAccountRef{"other", "anyone"}.AsSubject(), Request{Verb: "get", Resource: "services", Namespace: "x"})
	require.False(t, ok)
}

func ids(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Check)
	}
	return out
}

// healthy is a correct workload: account, pod, role and binding.
func healthy() []runtime.Object {
	return []runtime.Object{
		sa("ns", "app"), deploy("ns", "app", "app"),
		&rbacv1.Role{ObjectMeta: om("ns", "app"), Rules: []rbacv1.PolicyRule{rule("", "configmaps", "get,list")}},
		rb("ns", "app", "Role", "app", "ns", "app"),
	}
}

func TestACorrectWorkloadHasNoViolations(t *testing.T) {
	require.Empty(t, NewModel(healthy(), ModelOptions{}).Run())
}

func TestEachCheckCatchesItsBug(t *testing.T) {
	cases := map[string][]runtime.Object{
		"orphaned-binding":      {sa("ns", "app"), deploy("ns", "app", "app"), rb("ns", "x", "Role", "gone", "ns", "app")},
		"missing-subject":       {&rbacv1.Role{ObjectMeta: om("ns", "r"), Rules: []rbacv1.PolicyRule{rule("", "pods", "get")}}, rb("ns", "r", "Role", "r", "ns", "ghost")},
		"unbound-role":          append(healthy(), &rbacv1.ClusterRole{ObjectMeta: om("", "lonely"), Rules: []rbacv1.PolicyRule{rule("", "pods", "get")}}),
		"unused-serviceaccount": append(healthy(), sa("ns", "static-api"), &rbacv1.ClusterRole{ObjectMeta: om("", "api"), Rules: []rbacv1.PolicyRule{rule("", "pods", "get")}}, crb("api", "api", "ns", "static-api")),
		"wildcard":              {sa("ns", "app"), deploy("ns", "app", "app"), &rbacv1.Role{ObjectMeta: om("ns", "r"), Rules: []rbacv1.PolicyRule{rule("", "*", "get")}}, rb("ns", "r", "Role", "r", "ns", "app")},
		"secrets-read":          {sa("ns", "app"), deploy("ns", "app", "app"), &rbacv1.Role{ObjectMeta: om("ns", "r"), Rules: []rbacv1.PolicyRule{rule("", "secrets", "list")}}, rb("ns", "r", "Role", "r", "ns", "app")},
		"cluster-admin-binding": {sa("ns", "app"), deploy("ns", "app", "app"), crb("god", "cluster-admin", "ns", "app")},
		"escalate-bind-impersonate": {sa("ns", "app"), deploy("ns", "app", "app"),
			&rbacv1.Role{ObjectMeta: om("ns", "r"), Rules: []rbacv1.PolicyRule{rule(rbacv1.GroupName, "roles", "escalate")}}, rb("ns", "r", "Role", "r", "ns", "app")},
		"pod-exec": {sa("ns", "app"), deploy("ns", "app", "app"), &rbacv1.Role{ObjectMeta: om("ns", "r"), Rules: []rbacv1.PolicyRule{rule("", "pods/exec", "create")}}, rb("ns", "r", "Role", "r", "ns", "app")},
		"rbac-write-cluster": {sa("ns", "app"), deploy("ns", "app", "app"),
			&rbacv1.ClusterRole{ObjectMeta: om("", "r"), Rules: []rbacv1.PolicyRule{rule(rbacv1.GroupName, "clusterrolebindings", "create")}}, crb("r", "r", "ns", "app")},
	}
	for id, objs := range cases {
		t.Run(id, func(t *testing.T) {
			require.Contains(t, ids(NewModel(objs, ModelOptions{}).Run()), id)
		})
	}
}

func TestABindingToAnAccountNoPodRunsAsIsReportedAsUnused(t *testing.T) {
	// A static ClusterRoleBinding to an account no pod runs as and no container is told about.
	objs := append(healthy(), sa("ns", "static-api"), &rbacv1.ClusterRole{ObjectMeta: om("", "api"), Rules: []rbacv1.PolicyRule{rule("", "pods", "get")}}, crb("api", "api", "ns", "static-api"))
	vs := NewModel(objs, ModelOptions{}).Run()
	require.Len(t, Errors(vs), 1)
	require.Equal(t, "ServiceAccount ns/static-api is rendered, but no pod template runs as it and no container is told its name, so its grants reach no pod", vs[0].Message)
	// Telling the program which account its pods use (an env var) connects it.
	objs[1] = deploy("ns", "app", "app", corev1.EnvVar{Name: "API_SERVICE_ACCOUNT", Value: "static-api"})
	require.Empty(t, NewModel(objs, ModelOptions{}).Run())
}

func TestRuntimeCoverageNamesWhatTheGrantorLacks(t *testing.T) {
	grant := RuntimeGrant{Grantor: ServiceAccountRef{"ns", "app"}, Namespaces: []string{"team-a"}, Source: "test",
		Rules: []rbacv1.PolicyRule{rule("", "services", "get,list")}}
	objs := []runtime.Object{sa("ns", "app"), deploy("ns", "app", "app"),
		&rbacv1.Role{ObjectMeta: om("team-a", "op"), Rules: []rbacv1.PolicyRule{rule("", "services", "get"), rule(rbacv1.GroupName, "roles,rolebindings", "create")}},
		rb("team-a", "op", "Role", "op", "ns", "app")}
	vs := NewModel(objs, ModelOptions{RuntimeGrants: []RuntimeGrant{grant}}).Run()
	require.Equal(t, []string{"runtime-coverage"}, ids(vs))
	require.Contains(t, vs[0].Message, "does not hold list services")
	objs[2].(*rbacv1.Role).Rules[0].Verbs = []string{"get", "list"}
	require.Empty(t, NewModel(objs, ModelOptions{RuntimeGrants: []RuntimeGrant{grant}}).Run())
	grant.Namespaces = []string{AllNamespaces}
	require.Equal(t, []string{"runtime-coverage"}, ids(NewModel(objs, ModelOptions{RuntimeGrants: []RuntimeGrant{grant}}).Run()),
		"a grant in every namespace needs the rules cluster-wide")
}

func TestRuntimeGrantsAreReadFromLabelledConfigMaps(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rules", Labels: map[string]string{RuntimeRulesLabel: "true"},
		Annotations: map[string]string{GrantedByAnnotation: "app", NamespacesAnnotation: "a, b"}},
		Data: map[string]string{RuntimeRulesKey: "- apiGroups: ['']\n  resources: [services]\n  verbs: [get]\n"}}
	gs, errs := RuntimeGrantsFromObjectsWithErrors([]runtime.Object{cm})
	require.Empty(t, errs)
	require.Equal(t, []RuntimeGrant{{Grantor: ServiceAccountRef{"ns", "app"}, Namespaces: []string{"a", "b"}, Source: "ConfigMap ns/rules",
		Rules: []rbacv1.PolicyRule{rule("", "services", "get")}}}, gs)
	delete(cm.Annotations, GrantedByAnnotation)
	_, errs = RuntimeGrantsFromObjectsWithErrors([]runtime.Object{cm})
	require.Equal(t, []string{"ConfigMap ns/rules: no workload-rbac.io/granted-by annotation: name the ServiceAccount that creates the Roles"}, errs)
}

func TestSuppressionByAnnotationAndOption(t *testing.T) {
	objs := healthy()
	objs[2].(*rbacv1.Role).Rules = append(objs[2].(*rbacv1.Role).Rules, rule("apps", "deployments", "create"))
	require.Equal(t, []string{"workload-create"}, ids(NewModel(objs, ModelOptions{}).Run()))
	require.Empty(t, NewModel(objs, ModelOptions{Suppress: map[string]string{"workload-create": "it deploys"}}).Run())
	objs[2].(*rbacv1.Role).Annotations = map[string]string{AllowAnnotation: "workload-create"}
	require.Empty(t, NewModel(objs, ModelOptions{}).Run())
}

func TestAutomountAndExpiringTokens(t *testing.T) {
	objs := healthy()
	d := objs[1].(*appsv1.Deployment)
	d.Spec.Template.Spec.AutomountServiceAccountToken = nil
	objs[0].(*corev1.ServiceAccount).AutomountServiceAccountToken = nil
	d.Spec.Template.Spec.Volumes[0].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds = nil
	require.ElementsMatch(t, []string{"automount-token", "token-not-expiring"}, ids(NewModel(objs, ModelOptions{}).Run()))
}

func TestScopeCheckFlagsClusterObjectsAndOtherNamespaces(t *testing.T) {
	objs := append(healthy(), &rbacv1.ClusterRole{ObjectMeta: om("", "x")}, &corev1.ConfigMap{ObjectMeta: om("elsewhere", "c")})
	vs := NewModel(objs, ModelOptions{}).Run(ScopeCheck([]string{"ns"}))
	require.Len(t, vs, 2)
	require.Contains(t, vs[0].Message+vs[1].Message, "ClusterRole x is cluster-scoped")
	require.Contains(t, vs[0].Message+vs[1].Message, "ConfigMap elsewhere/c is in namespace elsewhere")
}

func TestWhoCanIsStableAndMergesVerbs(t *testing.T) {
	objs := healthy()
	objs[2].(*rbacv1.Role).Rules = []rbacv1.PolicyRule{rule("", "configmaps", "list"), rule("", "configmaps", "get"), rule("apps", "deployments", "get")}
	want := "SUBJECT                WHERE  RESOURCE          VERBS\n" +
		"ServiceAccount ns/app  ns     configmaps        get,list\n" +
		"ServiceAccount ns/app  ns     deployments.apps  get\n"
	require.Equal(t, want, NewModel(objs, ModelOptions{}).WhoCan().String())
}

func TestParseRequestResolvesBuiltinGroups(t *testing.T) {
	require.Equal(t, Request{Verb: "create", APIGroup: rbacv1.GroupName, Resource: "roles", Namespace: "a"}, ParseRequest("create", "roles", "a"))
	require.Equal(t, Request{Verb: "get", APIGroup: "example.io", Resource: "widgets", Subresource: "status"}, ParseRequest("get", "widgets.example.io/status", ""))
	require.Equal(t, Request{Verb: "get", NonResourceURL: "/healthz"}, ParseRequest("get", "/healthz", ""))
}

func TestAnAllowAnnotationOnAWorkloadSilencesItsPodFindings(t *testing.T) {
	objs := healthy()
	d := objs[1].(*appsv1.Deployment)
	d.Spec.Template.Spec.AutomountServiceAccountToken = nil
	objs[0].(*corev1.ServiceAccount).AutomountServiceAccountToken = nil
	vs := NewModel(objs, ModelOptions{}).Run()
	require.Equal(t, []string{"automount-token"}, ids(vs))
	require.Equal(t, "Deployment ns/app", vs[0].Object, "pod findings name the workload as Describe does")
	d.Annotations = map[string]string{AllowAnnotation: "token-not-expiring, automount-token"}
	require.Empty(t, NewModel(objs, ModelOptions{}).Run())
}

func TestTheRunnerStampsIDSeverityAndRemediation(t *testing.T) {
	c := Check{ID: "demo", Description: "d", Severity: Warning, Remediation: "do the thing", Run: func(m *Model) []Finding {
		return []Finding{{Object: "ClusterRole x", Message: "m1"}, {Object: "ClusterRole y", Message: "m2", Fix: "special"}}
	}}
	vs := NewModel(nil, ModelOptions{}).Run(c)
	require.Equal(t, []Violation{{Check: "demo", Severity: Warning, Object: "ClusterRole x", Message: "m1", Fix: "do the thing"}, {Check: "demo", Severity: Warning, Object: "ClusterRole y", Message: "m2", Fix: "special"}}, vs)
	vs = NewModel(nil, ModelOptions{Severity: map[string]Severity{"demo": Error}}).Run(c)
	require.Equal(t, Error, vs[0].Severity, "the spec's per-check severity overrides the default")
	require.Len(t, AtLeast(vs, Error), 2)
}

func TestDescribeNamesAClusterScopedObjectWithoutItsNamespace(t *testing.T) {
	cr := &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{Kind: "ClusterRole"}, ObjectMeta: om("stray", "x")}
	require.Equal(t, "ClusterRole x", Describe(cr))
	require.Equal(t, "Role ns/r", Describe(&rbacv1.Role{TypeMeta: metav1.TypeMeta{Kind: "Role"}, ObjectMeta: om("ns", "r")}))
}

func TestExternalClusterRolesAndBuiltinRolesAreNotOrphans(t *testing.T) {
	objs := append(healthy(), crb("platform", "platform-reader", "ns", "app"), rb("kube-system", "auth", "Role", "extension-apiserver-authentication-reader", "ns", "app"))
	require.Equal(t, []string{"orphaned-binding"}, ids(NewModel(objs, ModelOptions{}).Run()))
	ref, err := ParseRoleRef("ClusterRole/platform-reader")
	require.NoError(t, err)
	require.Empty(t, NewModel(objs, ModelOptions{ExternalRoles: []RoleRef{ref}}).Run())
	ok, _ := NewModel(objs, ModelOptions{}).CanI(ServiceAccountRef{"ns", "app"}.AsSubject(),
		Request{Verb: "get", Resource: "configmaps", Name: "extension-apiserver-authentication", Namespace: "kube-system"})
	require.True(t, ok, "the built-in Role's rules are known")
}
