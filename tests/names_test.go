package tests

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

func render(t *testing.T, chart, release string, values map[string]interface{}) *chartrender.Result {
	t.Helper()
	ch, err := chartrender.Load("../charts/" + chart)
	if err != nil {
		t.Fatal(err)
	}
	res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: release, Namespace: "ops", Values: values})
	if err != nil {
		t.Fatalf("%s %v: %v", chart, values, err)
	}
	return res
}

func deploymentOf(t *testing.T, res *chartrender.Result) *appsv1.Deployment {
	t.Helper()
	for _, o := range res.Objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			return d
		}
	}
	t.Fatal("no Deployment rendered")
	return nil
}

// TestNamesYAMLWouldRetypeStayStrings: valid names that YAML reads as numbers, booleans or null when
// written bare ("123", "true", "null", "1e3") render as the same strings: every interpolated name is quoted.
func TestNamesYAMLWouldRetypeStayStrings(t *testing.T) {
	res := render(t, "registry-server", "1e3", obj{"serviceAccount": obj{"name": "123"}, "nameOverride": "true", "fullnameOverride": "null"})
	d := deploymentOf(t, res)
	if d.Name != "null" {
		t.Errorf("Deployment name %q, want %q", d.Name, "null")
	}
	if got := d.Spec.Template.Spec.ServiceAccountName; got != "123" {
		t.Errorf("serviceAccountName %q, want %q", got, "123")
	}
	for _, l := range []map[string]string{d.Labels, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels} {
		if l["app.kubernetes.io/name"] != "true" || l["app.kubernetes.io/instance"] != "1e3" {
			t.Errorf("labels %v, want name %q and instance %q", l, "true", "1e3")
		}
	}
	sas := chartrender.ServiceAccountsOf(res.Objects)
	if len(sas) != 1 || sas[0].Name != "123" {
		t.Errorf("ServiceAccounts %v, want one named %q", res.Keys(), "123")
	}
	for _, b := range chartrender.ClusterRoleBindingsOf(res.Objects) {
		if b.Subjects[0].Name != "123" || b.Subjects[0].Namespace != "ops" {
			t.Errorf("%s binds %+v, want ServiceAccount ops/123", b.Name, b.Subjects[0])
		}
	}
}

// TestLongNamesStayUniqueAndValid: with the longest fullnameOverride, or Helm's longest release name,
// every object keeps a distinct, valid name in every mode: the base is truncated, never the component
// suffix, so "<fullname>-registry-api" and "<fullname>-self" never collapse onto "<fullname>".
func TestLongNamesStayUniqueAndValid(t *testing.T) {
	long := strings.Repeat("a", 62) + "z"
	release := strings.Repeat("r", 53)
	type naming struct {
		release string
		values  obj
		full    string
	}
	for _, n := range []naming{
		{"rel", obj{"fullnameOverride": long}, long},
		{release, obj{}, release + "-operator"},
	} {
		for _, mode := range []obj{
			{},
			{"registryAPI": obj{"clusterScoped": true}},
			{"registryAPI": obj{"clusterScoped": true}, "rbac": obj{"watchNamespaces": arr{"team-a"}}},
			{"rbac": obj{"namespaceScoped": true}},
		} {
			values := obj{}
			for k, v := range n.values {
				values[k] = v
			}
			for k, v := range mode {
				values[k] = v
			}
			res := render(t, "operator", n.release, values)
			seen := map[string]bool{}
			for _, o := range res.Objects {
				key := chartrender.ObjectKey(o)
				if seen[key] {
					t.Errorf("%v: two objects are %s", values, key)
				}
				seen[key] = true
				m, _ := meta.Accessor(o)
				if chartrender.IsClusterScoped(o) {
					continue
				}
				if errs := validation.IsDNS1123Label(m.GetName()); len(errs) > 0 {
					t.Errorf("%v: %s: %v", values, key, errs)
				}
			}
			trunc := func(s string, n int) string { return strings.TrimSuffix(s[:min(len(s), n)], "-") }
			want := []string{
				"Role/ops/" + trunc(n.full, 58) + "-self",
				"Deployment/ops/" + n.full,
			}
			if mode["registryAPI"] != nil {
				want = append(want, "ServiceAccount/ops/"+trunc(n.full, 50)+"-registry-api", "ClusterRole/ops-"+trunc(n.full, 50)+"-registry-api")
			} else {
				want = append(want, "ConfigMap/ops/"+trunc(n.full, 44)+"-registry-api-rules")
			}
			for _, k := range want {
				if !seen[k] {
					t.Errorf("%v: no %s in %v", values, k, res.Keys())
				}
			}
			regSA, _ := env(t, res.Objects, "REGISTRY_API_SERVICE_ACCOUNT")
			if regSA != trunc(n.full, 50)+"-registry-api" || regSA == deploymentOf(t, res).Spec.Template.Spec.ServiceAccountName {
				t.Errorf("%v: registry API account %q, operator account %q", values, regSA, deploymentOf(t, res).Spec.Template.Spec.ServiceAccountName)
			}
		}
	}
}
