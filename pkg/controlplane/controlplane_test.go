//go:build e2e

package controlplane

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func start(t *testing.T) *ControlPlane {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cp, err := Start(ctx, Options{Users: []User{{Name: "jane@example.com", Groups: []string{"platform-engineers", "auditors"}}}})
	if errors.Is(err, ErrBinariesMissing) && os.Getenv("WORKLOAD_RBAC_E2E") != "1" {
		t.Skipf("SKIP: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	t.Logf("kube-apiserver %s ready in %s", cp.Version(), cp.StartupDuration())
	return cp
}

func TestServiceAccountTokensAreAuthorizedByRBAC(t *testing.T) {
	cp := start(t)
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(cp.AdminConfig())
	if cp.Version() == "" {
		t.Fatal("no server version")
	}
	_, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "probe", &authnv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	sa := kubernetes.NewForConfigOrDie(cp.ConfigForToken(tok.Status.Token))
	canList := func() bool {
		r, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "default", Verb: "list", Resource: "configmaps"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	if canList() {
		t.Fatal("a fresh ServiceAccount may list configmaps: RBAC is not enforced")
	}
	_, err = admin.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "probe"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "probe", Namespace: "default"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer reads bindings from informer caches: the grant is seen a moment after the
	// write, not at once. Asking once right away is a race (it failed CI once).
	deadline := time.Now().Add(10 * time.Second)
	for !canList() {
		if time.Now().After(deadline) {
			t.Fatal("10s after the RoleBinding the ServiceAccount still may not list configmaps")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := sa.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("real list as the ServiceAccount: %v", err)
	}
}

func TestStartNamesTheFixWhenBinariesAreMissing(t *testing.T) {
	_, err := Start(context.Background(), Options{APIServerBin: "/nonexistent/kube-apiserver", EtcdBin: "/nonexistent/etcd"})
	if !errors.Is(err, ErrBinariesMissing) {
		t.Fatalf("want ErrBinariesMissing, got %v", err)
	}
}

// A user of Options.Users authenticates with its own token, as itself and in its groups (what a person
// in a group named by a chart's NOTES is), and an unknown user name is an error naming the fix.
func TestUsersAuthenticateWithTheirOwnTokenAndGroups(t *testing.T) {
	cp := start(t)
	cfg, err := cp.UserConfig("jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := review.Status.UserInfo
	groups := map[string]bool{}
	for _, g := range u.Groups {
		groups[g] = true
	}
	if u.Username != "jane@example.com" || !groups["platform-engineers"] || !groups["auditors"] || !groups["system:authenticated"] {
		t.Errorf("the user token authenticates as %q in %v, want jane@example.com in platform-engineers and auditors", u.Username, u.Groups)
	}
	if _, err := cp.UserConfig("bob"); err == nil || err.Error() != `controlplane: no user "bob": list it in Options.Users` {
		t.Errorf("unknown user: %v", err)
	}
}
