package rbaccheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// watcher is an account granted list/watch on configmaps in namespace ns only, run by a Deployment
// whose container is told what to watch by env and args.
func watcher(ns string, env []corev1.EnvVar, args ...string) []runtime.Object {
	d := deploy("ops", "op", "op", env...)
	d.Spec.Template.Spec.Containers[0].Args = args
	return []runtime.Object{sa("ops", "op"), d,
		&rbacv1.Role{ObjectMeta: om(ns, "op"), Rules: []rbacv1.PolicyRule{rule("", "configmaps", "get,list,watch")}},
		rb(ns, "op", "Role", "op", "ops", "op")}
}

func env(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func TestWatchHeuristicsReadEnvAndFlags(t *testing.T) {
	cases := []struct {
		name string
		env  []corev1.EnvVar
		args []string
		want []string // watched namespaces reported as lacking grants ("every" for all)
	}{
		{"WATCH_NAMESPACE comma list", []corev1.EnvVar{env("WATCH_NAMESPACE", "team-a, team-b")}, nil, []string{"namespace team-a", "namespace team-b"}},
		{"empty WATCH_NAMESPACE is every namespace", []corev1.EnvVar{env("WATCH_NAMESPACE", "")}, nil, []string{"every namespace"}},
		{"any *_NAMESPACES list", []corev1.EnvVar{env("TARGET_NAMESPACES", "team-a")}, nil, []string{"namespace team-a"}},
		{"--namespace=x", nil, []string{"--namespace=team-a"}, []string{"namespace team-a"}},
		{"--watch-namespaces x,y as two args", nil, []string{"--watch-namespaces", "team-a,ops"}, []string{"namespace team-a"}},
		{"-namespaces= empty", nil, []string{"-namespaces="}, []string{"every namespace"}},
		{"the granted namespace is fine", []corev1.EnvVar{env("WATCH_NAMESPACE", "ops")}, []string{"--namespace", "ops"}, nil},
		{"POD_NAMESPACE and a singular *_NAMESPACE are not watch scopes", []corev1.EnvVar{env("POD_NAMESPACE", "x"), env("REGISTRY_NAMESPACE", "y"), env("LEADER_ELECTION_NAMESPACE", "z")}, nil, nil},
		{"a flag that only ends in namespace is not one", nil, []string{"--leader-election-namespace=kube-system"}, nil},
		{"$(VAR) in a flag is the container's env var", []corev1.EnvVar{env("TARGETS", "team-b")}, []string{"--namespace=$(TARGETS)"}, []string{"namespace team-b"}},
		{"$(POD_NAMESPACE) from the downward API is the pod's namespace", []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}, []string{"--namespace", "$(POD_NAMESPACE)"}, nil},
		{"WATCH_NAMESPACE from the downward API is the pod's namespace", []corev1.EnvVar{{Name: "WATCH_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}, nil, nil},
		{"a value from a ConfigMap cannot be read offline", []corev1.EnvVar{{Name: "WATCH_NAMESPACE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "ns"}}}}, []string{"--namespace=$(WATCH_NAMESPACE)"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range checkWatchWithoutGrant(NewModel(watcher("ops", c.env, c.args...), ModelOptions{})) {
				require.Contains(t, f.Message, "ServiceAccount ops/op cannot list,watch configmaps there (its grants are bound in namespace ops)")
				for _, w := range []string{"every namespace", "namespace team-a", "namespace team-b"} {
					if strings.Contains(f.Message, "watches "+w+" (") {
						got = append(got, w)
					}
				}
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestWatchDeclarationsNameTheSourceOrTheNamespaces(t *testing.T) {
	objs := watcher("ops", []corev1.EnvVar{env("SCOPE", "team-a")})
	require.Empty(t, checkWatchWithoutGrant(NewModel(objs, ModelOptions{})), "SCOPE is unknown to the heuristics")
	decl := WatchDeclaration{Workload: "Deployment/op", Env: "SCOPE"}
	fs := checkWatchWithoutGrant(NewModel(objs, ModelOptions{WatchDeclarations: []WatchDeclaration{decl}}))
	require.Len(t, fs, 1)
	require.Contains(t, fs[0].Message, `watches namespace team-a (env SCOPE="team-a" of container c (declared))`)
	decl = WatchDeclaration{Workload: "Deployment/ops/op", FromValues: true}
	fs = checkWatchWithoutGrant(NewModel(objs, ModelOptions{WatchDeclarations: []WatchDeclaration{decl}}))
	require.Len(t, fs, 1, "an empty list from the values means every namespace")
	require.Contains(t, fs[0].Message, "watches every namespace (the spec's checks.watchNamespaces)")
	decl.Workload = "StatefulSet/op"
	require.Empty(t, checkWatchWithoutGrant(NewModel(objs, ModelOptions{WatchDeclarations: []WatchDeclaration{decl}})), "another kind is another workload")
}

// A program that holds grants cluster-wide keeps its leader-election lease in its own namespace: that
// Role is its plumbing, not something it watches everywhere.
func TestHomeNamespaceGrantsAreNotAskedForEverywhere(t *testing.T) {
	objs := watcher("ops", []corev1.EnvVar{env("WATCH_NAMESPACE", "")})
	objs = append(objs, &rbacv1.ClusterRole{ObjectMeta: om("", "op"), Rules: []rbacv1.PolicyRule{rule("", "services", "list,watch")}}, crb("op", "op", "ops", "op"))
	require.Empty(t, checkWatchWithoutGrant(NewModel(objs, ModelOptions{})))
	objs[2].(*rbacv1.Role).Namespace, objs[3].(*rbacv1.RoleBinding).Namespace = "team-a", "team-a"
	fs := checkWatchWithoutGrant(NewModel(objs, ModelOptions{}))
	require.Len(t, fs, 1, "a grant in another namespace is part of what it watches")
	require.Contains(t, fs[0].Message, "cannot list,watch configmaps there")
}

func TestOneWildcardRuleIsOneFinding(t *testing.T) {
	objs := healthy()
	objs[2].(*rbacv1.Role).Rules = []rbacv1.PolicyRule{rule("*", "*", "*")}
	vs := NewModel(objs, ModelOptions{}).Run()
	require.Equal(t, []string{"wildcard"}, ids(vs))
	require.Equal(t, `Role ns/app has the rule {"verbs":["*"],"apiGroups":["*"],"resources":["*"]}: equivalent to every verb on every resource in its scope, including what is added later`, vs[0].Message)
	require.Equal(t, Warning, vs[0].Severity)
}

func TestADuplicateIsReportedOnceByItsName(t *testing.T) {
	objs := append(healthy(), &appsv1.Deployment{ObjectMeta: om("ns", "app")})
	vs := NewModel(objs, ModelOptions{}).Run()
	require.Equal(t, []string{"duplicate-object"}, ids(vs))
	require.Equal(t, "Deployment ns/app", vs[0].Object)
}

func TestWildcardMeaningSaysWhatTheRuleGrants(t *testing.T) {
	require.Equal(t, "every verb on pods", wildcardMeaning(rule("", "pods", "*")))
	require.Equal(t, `get,list on every resource of API groups "apps"`, wildcardMeaning(rule("apps", "*", "get,list")))
	require.Equal(t, "get on widgets of every API group", wildcardMeaning(rule("*", "widgets", "get")))
	require.Equal(t, "get on non-resource URLs /metrics*", wildcardMeaning(rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics*"}, Verbs: []string{"get"}}))
}

// The operator-sdk pattern: WATCH_NAMESPACE from the downward API, or --namespace=$(POD_NAMESPACE).
func TestTheDownwardAPINamespaceIsThePodsNamespace(t *testing.T) {
	downward := &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}
	fs := checkWatchWithoutGrant(NewModel(watcher("team-a", []corev1.EnvVar{{Name: "WATCH_NAMESPACE", ValueFrom: downward}}), ModelOptions{}))
	require.Len(t, fs, 1)
	require.Contains(t, fs[0].Message, `watches namespace ops (env WATCH_NAMESPACE="ops" of container c), but ServiceAccount ops/op cannot list,watch configmaps there (its grants are bound in namespace team-a)`)
	fs = checkWatchWithoutGrant(NewModel(watcher("team-a", []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: downward}}, "--namespace", "$(POD_NAMESPACE)"), ModelOptions{}))
	require.Len(t, fs, 1)
	require.Contains(t, fs[0].Message, `watches namespace ops (flag --namespace="ops" of container c)`)
}
