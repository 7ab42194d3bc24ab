package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// TestSchemaAndLibraryAgreeOnEveryRule: the rule policy is stated twice, in the library's templates
// (workload-rbac.validate.rules) and in the schema fragment generated from pkg/valuesdoc/policy.go.
// Over every rule built from a vocabulary that touches each clause (wildcards, escalating verbs,
// cluster RBAC writes, Secrets, resourceNames with verbs they do not restrict, shapes Kubernetes
// refuses, nonResourceURLs in a Role), in both scopes, the two accept and refuse the same rules.
func TestSchemaAndLibraryAgreeOnEveryRule(t *testing.T) {
	ch, err := chartrender.Load("../charts/registry-server")
	if err != nil {
		t.Fatal(err)
	}
	absent := interface{}(nil)
	vocab := []struct {
		field  string
		values []interface{}
	}{
		{"apiGroups", []interface{}{absent, arr{""}, arr{"rbac.authorization.k8s.io"}}},
		{"resources", []interface{}{absent, arr{"secrets"}, arr{"clusterroles"}, arr{"deployments/*"}}},
		{"resourceNames", []interface{}{absent, arr{"x"}}},
		{"nonResourceURLs", []interface{}{absent, arr{"/healthz"}}},
		{"verbs", []interface{}{absent, arr{"get"}, arr{"list"}, arr{"patch"}, arr{"impersonate"}}},
	}
	rules := []obj{{"why": "one\ntwo", "apiGroups": arr{""}, "resources": arr{"pods"}, "verbs": arr{"get"}}}
	var build func(i int, r obj)
	build = func(i int, r obj) {
		if i == len(vocab) {
			rules = append(rules, r)
			return
		}
		for _, v := range vocab[i].values {
			next := obj{}
			for k, x := range r {
				next[k] = x
			}
			if v != nil {
				next[vocab[i].field] = v
			}
			build(i+1, next)
		}
	}
	build(0, obj{})
	accepted, refused := 0, 0
	for _, namespaceScoped := range []bool{false, true} {
		for _, r := range rules {
			values := obj{"rbac": obj{"namespaceScoped": namespaceScoped, "rules": arr{r}}}
			_, _, schemaErr := chartrender.RenderValues(ch, chartrender.Options{Values: values}) // the schema alone
			_, libErr := chartrender.Render(ch, chartrender.Options{Values: values, SkipSchemaValidation: true})
			schemaRefuses := schemaErr != nil && strings.HasPrefix(schemaErr.Error(), schemaHead)
			if schemaRefuses != (libErr != nil) {
				b, _ := json.Marshal(r)
				t.Errorf("namespaceScoped=%v rule %s: schema refuses=%v (%v), library refuses=%v (%v)", namespaceScoped, b, schemaRefuses, schemaErr, libErr != nil, libErr)
			}
			if libErr != nil {
				refused++
			} else {
				accepted++
			}
		}
	}
	if accepted == 0 || refused == 0 {
		t.Fatalf("the vocabulary must give rules both layers accept and refuse: %d accepted, %d refused", accepted, refused)
	}
	t.Logf("%d rules accepted and %d refused by both layers", accepted, refused)
}
