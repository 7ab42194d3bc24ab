package tests

import (
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// TestSeedChartsRejectContradictions: the seed charts' contradictions fail in the schema (when it can
// express them) and in the templates, each message naming the keys and the fix.
func TestSeedChartsRejectContradictions(t *testing.T) {
	job := func(name, src, stg string) vals {
		return vals{"name": name, "schedule": "0 3 * * *", "sourceSecret": src, "stagingSecret": stg}
	}
	cases := []struct {
		name, chart      string
		values           vals
		schema, template string // substrings; "" = that layer accepts it
	}{
		{"namespace-scoped-only mode", "watchlist-operator", vals{"rbac": vals{"namespaceScoped": true}},
			"rbac.namespaceScoped=true is not supported: CRDs and the cluster-scoped ClusterPeering need a ClusterRole; restrict the operator with rbac.watchNamespaces instead",
			"rbac.namespaceScoped=true is not supported: the operator watches its CRDs (cluster-scoped) and elects its leader through a cluster-scoped ClusterPeering, which only a ClusterRole can grant. Keep rbac.namespaceScoped=false and restrict the namespaces it watches with rbac.watchNamespaces"},
		{"namespace-scoped with the webhook on", "tenant-operator", vals{"rbac": vals{"namespaceScoped": true}},
			"rbac.namespaceScoped=true needs webhook.enabled=false: webhooks register through cluster-scoped ValidatingWebhookConfigurations, which a namespace-scoped operator cannot manage",
			"rbac.namespaceScoped=true needs webhook.enabled=false: admission webhooks register through cluster-scoped ValidatingWebhookConfiguration objects, which a namespace-scoped operator cannot manage. Set webhook.enabled=false"},
		{"a rotation job listed twice", "tenant-operator", vals{"rotationJobs": []interface{}{job("db", "a", "b"), job("db", "c", "d")}},
			"", `rotationJobs lists the job "db" twice: give each job its own name`},
		{"a rotation job writing the Secret it reads", "tenant-operator", vals{"rotationJobs": []interface{}{job("db", "a", "a")}},
			"", `rotationJobs[0] (db): sourceSecret and stagingSecret are both "a"`},
		{"a rotation job without a staging Secret", "tenant-operator", vals{"rotationJobs": []interface{}{vals{"name": "db", "schedule": "x", "sourceSecret": "a"}}},
			"missing property 'stagingSecret'", "rotationJobs[0] (db) has no stagingSecret: set it"},
		{"a rotation job name that is not a DNS label", "tenant-operator", vals{"rotationJobs": []interface{}{job("DB", "a", "b")}},
			"does not match pattern", `rotationJobs[0].name "DB" is not a DNS label`},
		{"cluster-wide Secrets with allowed namespaces", "kube-api-gateway", vals{"rbac": vals{"clusterWideSecrets": true, "allowedNamespaces": strs("team-a")}},
			"rbac.clusterWideSecrets=true cannot be combined with rbac.allowedNamespaces: empty rbac.allowedNamespaces or set rbac.clusterWideSecrets=false",
			"rbac.clusterWideSecrets=true cannot be combined with rbac.allowedNamespaces [team-a]: cluster-wide Secret access already covers every namespace"},
		{"user-token mode without user groups", "kube-api-gateway", vals{"auth": vals{"mode": "userToken", "userGroups": []interface{}{}}},
			"", "auth.mode=userToken needs auth.userGroups: name the groups whose members use the server"},
		{"an unknown auth mode", "kube-api-gateway", vals{"auth": vals{"mode": "oauth"}},
			"value must be one of 'serviceAccount', 'userToken'", `auth.mode "oauth" is neither serviceAccount nor userToken`},
	}
	for _, c := range cases {
		t.Run(c.chart+" rejects "+c.name, func(t *testing.T) {
			withSchema, templatesOnly := renderBothLayers(t, c.chart, c.values)
			if c.schema == "" {
				c.schema = c.template // the schema lets it through: the template's message must come through
			}
			if withSchema == nil || !strings.Contains(withSchema.Error(), c.schema) {
				t.Errorf("with the schema: got %v\nwant an error containing %q", withSchema, c.schema)
			}
			if templatesOnly == nil || !strings.Contains(templatesOnly.Error(), c.template) {
				t.Errorf("templates only: got %v\nwant an error containing %q", templatesOnly, c.template)
			}
		})
	}
}

// renderBothLayers renders a chart of charts/ with values twice: with its values.schema.json, and with
// the schema skipped to reach the templates' own validation. It returns both errors.
func renderBothLayers(t *testing.T, chart string, values map[string]interface{}) (withSchema, templatesOnly error) {
	t.Helper()
	ch, err := chartrender.Load("../charts/" + chart)
	if err != nil {
		t.Fatal(err)
	}
	_, withSchema = chartrender.Render(ch, chartrender.Options{Values: values})
	_, templatesOnly = chartrender.Render(ch, chartrender.Options{Values: values, SkipSchemaValidation: true})
	return withSchema, templatesOnly
}
