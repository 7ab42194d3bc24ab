package tests

import (
	"testing"
)

// TestInvalidValuesFailWithTheirExactMessage: every contradiction and bad input fails, in the schema
// (what `helm template` and editors show first) and, with the schema skipped, in the templates — each
// message naming the key and the fix.
func TestInvalidValuesFailWithTheirExactMessage(t *testing.T) {
	const schemaHead = "values don't meet the specifications of the schema(s) in the following chart(s):\n"
	rule := func(extra map[string]interface{}) []interface{} {
		r := map[string]interface{}{"apiGroups": []interface{}{""}, "resources": []interface{}{"services"}, "verbs": []interface{}{"get"}}
		for k, v := range extra {
			r[k] = v
		}
		return []interface{}{r}
	}
	cases := []struct {
		name, chart      string
		values           map[string]interface{}
		schema, template string // "" = that layer accepts it
	}{
		{"namespace-scoped with a cluster-scoped registry API", "operator",
			map[string]interface{}{"rbac": map[string]interface{}{"namespaceScoped": true}, "registryAPI": map[string]interface{}{"clusterScoped": true}},
			schemaHead + "operator:\n- at '': missing property 'rbac.namespaceScoped=true cannot be combined with registryAPI.clusterScoped=true: set registryAPI.clusterScoped=false or rbac.namespaceScoped=false'\n",
			"execution error at (operator/templates/rbac.yaml:1:4): rbac.namespaceScoped=true cannot be combined with registryAPI.clusterScoped=true: a namespace-scoped install renders no cluster-scoped object. Set registryAPI.clusterScoped=false (the operator then grants the registry API a Role in each watched namespace) or rbac.namespaceScoped=false."},
		{"a duplicate watched namespace", "operator",
			map[string]interface{}{"rbac": map[string]interface{}{"watchNamespaces": []interface{}{"team-a", "team-a"}}},
			schemaHead + "operator:\n- at '/rbac/watchNamespaces': items at 0 and 1 are equal\n",
			"execution error at (operator/templates/rbac.yaml:1:4): workload-rbac: rbac.watchNamespaces lists namespace \"team-a\" twice: remove the duplicate"},
		{"an invalid namespace name", "registry-server",
			map[string]interface{}{"rbac": map[string]interface{}{"watchNamespaces": []interface{}{"Team_A"}}},
			schemaHead + "registry-server:\n- at '/rbac/watchNamespaces/0': 'Team_A' does not match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'\n",
			"execution error at (registry-server/templates/rbac.yaml:2:3): workload-rbac: rbac.watchNamespaces[0] \"Team_A\" is not a valid namespace name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
		{"an existing account without its name", "operator",
			map[string]interface{}{"serviceAccount": map[string]interface{}{"create": false}},
			schemaHead + "operator:\n- at '/serviceAccount': missing property 'serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as'\n",
			"execution error at (operator/templates/registry-api-rules.yaml:18:36): workload-rbac: serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)"},
		{"a wildcard verb", "operator",
			map[string]interface{}{"registryAPI": map[string]interface{}{"rules": rule(map[string]interface{}{"verbs": []interface{}{"*"}})}},
			schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'verbs must not contain the wildcard \"*\": list each one explicitly (least privilege)'\n",
			"execution error at (operator/templates/registry-api-rules.yaml:8:4): workload-rbac: registryAPI.rules[0].verbs contains the wildcard \"*\": list each one explicitly (least privilege)"},
		{"a wildcard API group and resource", "registry-server",
			map[string]interface{}{"rbac": map[string]interface{}{"rules": rule(map[string]interface{}{"apiGroups": []interface{}{"*"}, "resources": []interface{}{"*"}})}},
			schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'apiGroups must not contain the wildcard \"*\": list each one explicitly (least privilege)'\n  - at '/rbac/rules/0': missing property 'resources must not contain the wildcard \"*\": list each one explicitly (least privilege)'\n",
			"execution error at (registry-server/templates/rbac.yaml:2:3): workload-rbac: rbac.rules[0].apiGroups contains the wildcard \"*\": list each one explicitly (least privilege)"},
		{"the bind verb", "registry-server",
			map[string]interface{}{"rbac": map[string]interface{}{"rules": rule(map[string]interface{}{"verbs": []interface{}{"get", "bind"}})}},
			schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'verbs must not grant escalate, bind or impersonate: they let the holder gain permissions it was not given; remove them'\n",
			"execution error at (registry-server/templates/rbac.yaml:2:3): workload-rbac: rbac.rules[0] grants the verb \"bind\", which lets its holder gain permissions it was not given: remove it"},
		{"every Secret, not pinned by name", "registry-server",
			map[string]interface{}{"rbac": map[string]interface{}{"rules": rule(map[string]interface{}{"resources": []interface{}{"secrets"}})}},
			"",
			"execution error at (registry-server/templates/rbac.yaml:2:3): workload-rbac: rbac.rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
		{"writes on ClusterRoleBindings", "registry-server",
			map[string]interface{}{"rbac": map[string]interface{}{"rules": rule(map[string]interface{}{"apiGroups": []interface{}{"rbac.authorization.k8s.io"}, "resources": []interface{}{"clusterrolebindings"}, "verbs": []interface{}{"create"}})}},
			"",
			"execution error at (registry-server/templates/rbac.yaml:2:3): workload-rbac: rbac.rules[0] grants \"create\" on clusterrolebindings: a workload must not write cluster-wide RBAC; provision ClusterRoles at install time with this library instead"},
		{"the registry API running as the operator", "operator",
			map[string]interface{}{"serviceAccount": map[string]interface{}{"name": "shared"}, "registryAPI": map[string]interface{}{"serviceAccount": map[string]interface{}{"name": "shared"}}},
			"",
			"execution error at (operator/templates/rbac.yaml:1:4): registryAPI.serviceAccount.name \"shared\" is the operator's own ServiceAccount: registry API pods would run with the operator's permissions. Pick another name."},
		{"a token that lives for a week", "operator",
			map[string]interface{}{"apiTokenExpirationSeconds": 604800},
			schemaHead + "operator:\n- at '/apiTokenExpirationSeconds': maximum: got 604,800, want 86,400\n",
			"execution error at (operator/templates/deployment.yaml:65:12): workload-rbac: the API token's expirationSeconds 604800 is outside 600..86400: pick a lifetime between 10 minutes and one day (3600 is usual)"},
	}
	for _, c := range cases {
		t.Run(c.chart+" rejects "+c.name, func(t *testing.T) {
			withSchema, templatesOnly := renderBothLayers(t, c.chart, c.values)
			if c.schema == "" {
				c.schema = c.template // the schema lets it through: the template's message must come through
			}
			for _, layer := range []struct {
				name string
				err  error
				want string
			}{{"with the schema", withSchema, c.schema}, {"templates only", templatesOnly, c.template}} {
				if layer.err == nil || layer.err.Error() != layer.want {
					t.Errorf("%s:\n got %v\nwant %q", layer.name, layer.err, layer.want)
				}
			}
		})
	}
}
