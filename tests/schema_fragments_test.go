package tests

import (
	"testing"
)

// TestEveryChartSchemaRefusesAnUnnamedExistingAccount: the cross-field rule each chart declares in its
// values.schema.fragments.json (serviceAccount.create=false needs serviceAccount.name) reaches the
// generated schema of every chart in charts/ with its exact message, and the library refuses the same
// values when the schema is skipped.
func TestEveryChartSchemaRefusesAnUnnamedExistingAccount(t *testing.T) {
	var cases []invalidCase
	for _, chart := range []string{"operator", "registry-server", "watchlist-operator", "tenant-operator", "kube-api-gateway"} {
		cases = append(cases, invalidCase{"an existing account without its name", chart, "",
			obj{"serviceAccount": obj{"create": false}},
			schemaHead + chart + ":\n- at '/serviceAccount': missing property 'serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as'\n",
			"workload-rbac: serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)"})
	}
	runInvalidCases(t, cases)
}
