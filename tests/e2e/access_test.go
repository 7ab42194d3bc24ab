//go:build e2e || kind

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// accessChecks counts every question put to the API server as a ServiceAccount (SelfSubjectAccessReviews
// and real calls), for the summary the suite prints; settleRetries counts the questions asked again
// because the server had not yet caught up with a change (see eventually).
var accessChecks, settleRetries atomic.Int64

// settleTimeout bounds how long an answer may lag behind a change Helm just made. kube-apiserver's RBAC
// authorizer reads Roles and bindings from informer caches, so a grant or revocation is seen a few
// milliseconds after the write that made it: asking once, right after `helm install`, is a race (it
// failed CI once). An answer that is still wrong after settleTimeout is a real failure.
const settleTimeout = 10 * time.Second

// eventually calls check until it returns true or settleTimeout passes, and reports whether it did.
func eventually(check func() bool) bool {
	deadline := time.Now().Add(settleTimeout)
	for !check() {
		if time.Now().After(deadline) {
			return false
		}
		settleRetries.Add(1)
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// actAs returns a clientset authenticated with a real, short-lived token of the ServiceAccount
// (TokenRequest), not impersonation: the server authenticates and authorizes it like a pod's token.
func actAs(t testing.TB, admin kubernetes.Interface, namespace, name string) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(serviceAccountConfig(t, admin, namespace, name))
	if err != nil {
		t.Fatalf("client for %s/%s: %v", namespace, name, err)
	}
	return cs
}

// serviceAccountConfig is a client config with a real, short-lived token of the ServiceAccount
// (TokenRequest), for clientsets and for client-go informers alike.
func serviceAccountConfig(t testing.TB, admin kubernetes.Interface, namespace, name string) *rest.Config {
	t.Helper()
	exp := int64(600)
	tok, err := admin.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for ServiceAccount %s/%s: %v", namespace, name, err)
	}
	return cluster.ConfigForToken(tok.Status.Token)
}

// probe is one access question: may the account do verb on group/resource[/subresource] in namespace
// ("" = cluster-wide)?
type probe struct {
	verb, group, resource, subresource, namespace string
	name                                          string // "" asks about every object
}

func (p probe) String() string {
	res := p.resource
	if p.subresource != "" {
		res += "/" + p.subresource
	}
	if p.group != "" {
		res += "." + p.group
	}
	where := "cluster-wide"
	if p.namespace != "" {
		where = "in " + p.namespace
	}
	return fmt.Sprintf("%s %s %s", p.verb, res, where)
}

// allowed asks the server, as the account behind cs, with a SelfSubjectAccessReview.
func allowed(t testing.TB, cs kubernetes.Interface, p probe) bool {
	t.Helper()
	accessChecks.Add(1)
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: p.namespace, Verb: p.verb, Group: p.group, Resource: p.resource, Subresource: p.subresource, Name: p.name,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectAccessReview %s: %v", p, err)
	}
	return r.Status.Allowed
}

// sentinels are requests no account of ours may ever make, whatever the mode.
var sentinels = []probe{
	{verb: "get", resource: "secrets"}, {verb: "list", resource: "secrets"},
	{verb: "create", resource: "pods"}, {verb: "create", resource: "pods", subresource: "exec"},
	{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
	{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"},
	{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "roles"},
	{verb: "bind", group: "rbac.authorization.k8s.io", resource: "roles"},
	{verb: "impersonate", resource: "serviceaccounts"},
	{verb: "create", resource: "serviceaccounts", subresource: "token"},
}

// probesFor lists the questions to ask about one account: every verb on every resource that any rule in
// rules mentions (so both grants and their absence elsewhere are checked), plus the sentinels, in each
// namespace given and cluster-wide.
func probesFor(rules []rbacv1.PolicyRule, namespaces []string) []probe {
	seen := map[probe]bool{}
	var base []probe
	add := func(p probe) {
		if !seen[p] {
			seen[p] = true
			base = append(base, p)
		}
	}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				name, sub, _ := strings.Cut(res, "/")
				for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
					add(probe{verb: v, group: g, resource: name, subresource: sub})
				}
			}
		}
	}
	for _, s := range sentinels {
		add(s)
	}
	var out []probe
	for _, ns := range append([]string{""}, namespaces...) {
		for _, p := range base {
			p.namespace = ns
			out = append(out, p)
		}
	}
	return out
}

// expectMatchesModel asks the server every probe as the account and compares each answer with the
// offline model of the rendered RBAC. Returns how many probes the server allowed.
func expectMatchesModel(t testing.TB, cs kubernetes.Interface, model *rbaccheck.Model, sa rbaccheck.ServiceAccountRef, probes []probe) int {
	t.Helper()
	wants := make([]bool, len(probes))
	for i, p := range probes {
		wants[i], _ = model.CanI(sa.AsSubject(), rbaccheck.Request{
			Verb: p.verb, APIGroup: p.group, Resource: p.resource, Subresource: p.subresource, Namespace: p.namespace,
		})
	}
	gots, differ := askUntilAnswers(t, cs, probes, wants)
	granted := 0
	for _, got := range gots {
		if got {
			granted++
		}
	}
	if len(differ) > 0 {
		mismatches := make([]string, 0, len(differ))
		for _, i := range differ {
			mismatches = append(mismatches, fmt.Sprintf("%s: server says %v, the rendered RBAC says %v", probes[i], gots[i], wants[i]))
		}
		sort.Strings(mismatches)
		t.Errorf("ServiceAccount %s/%s: %d of %d answers differ (still after %s):\n  %s", sa.Namespace, sa.Name, len(mismatches), len(probes), settleTimeout, strings.Join(mismatches, "\n  "))
	}
	return granted
}

// askUntilAnswers asks the server every probe as the account behind cs, then asks the ones whose answer
// differs from wants again until they agree or settleTimeout passes. All probes share that one deadline,
// so a real difference costs settleTimeout once, not once per probe. It returns the last answer to each
// probe and the indexes of those that still differ.
func askUntilAnswers(t testing.TB, cs kubernetes.Interface, probes []probe, wants []bool) (gots []bool, differ []int) {
	t.Helper()
	gots = make([]bool, len(probes))
	differ = make([]int, len(probes))
	for i := range probes {
		differ[i] = i
	}
	eventually(func() bool {
		var still []int
		for _, i := range differ {
			if gots[i] = allowed(t, cs, probes[i]); gots[i] != wants[i] {
				still = append(still, i)
			}
		}
		differ = still
		return len(differ) == 0
	})
	return gots, differ
}

// expectList makes a real list call as the account and checks it is allowed (want true) or forbidden.
func expectList(t testing.TB, cs kubernetes.Interface, resource, namespace string, want bool) {
	t.Helper()
	var err error
	list := func() bool {
		accessChecks.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		switch resource {
		case "configmaps":
			_, err = cs.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{})
		case "secrets":
			_, err = cs.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{})
		case "services":
			_, err = cs.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
		default:
			t.Fatalf("expectList: no real call wired for %s", resource)
		}
		return (want && err == nil) || (!want && apierrors.IsForbidden(err))
	}
	eventually(list)
	where := "cluster-wide"
	if namespace != "" {
		where = "in " + namespace
	}
	switch {
	case want && err != nil:
		t.Errorf("list %s %s: want allowed, got %v", resource, where, err)
	case !want && !apierrors.IsForbidden(err):
		t.Errorf("list %s %s: want 403 Forbidden, got %v", resource, where, err)
	}
}
