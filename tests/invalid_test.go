package tests

import (
	"regexp"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// templateLocation is the "execution error at (file:line:col): " Helm puts before a template's fail
// message: tests match the message, which is the contract, not where in a template it is raised.
var templateLocation = regexp.MustCompile(`^execution error at \([^)]*\): `)

// failMessage is the message of a template's fail, without Helm's location prefix.
func failMessage(err error) string {
	return templateLocation.ReplaceAllString(err.Error(), "")
}

type invalidCase struct {
	name, chart      string
	release          string // "" = the default release name
	values           map[string]interface{}
	schema, template string // "" = that layer accepts it
}

// obj and arr keep the value tables short.
type obj = map[string]interface{}
type arr = []interface{}

// oneRule is a valid rule on services, with extra fields set or replaced.
func oneRule(extra obj) arr {
	r := obj{"apiGroups": arr{""}, "resources": arr{"services"}, "verbs": arr{"get"}}
	for k, v := range extra {
		if v == nil {
			delete(r, k)
			continue
		}
		r[k] = v
	}
	return arr{r}
}

// registryRules and serverRules set the rule list of each chart.
func registryRules(rules arr) obj { return obj{"registryAPI": obj{"rules": rules}} }
func serverRules(rules arr) obj   { return obj{"rbac": obj{"rules": rules}} }

const schemaHead = "values don't meet the specifications of the schema(s) in the following chart(s):\n"

// TestInvalidValuesFailWithTheirExactMessage: every contradiction and bad input fails, in the schema
// (what `helm template` and editors show first) and, with the schema skipped, in the templates — each
// message naming the key and the fix.
func TestInvalidValuesFailWithTheirExactMessage(t *testing.T) {
	runInvalidCases(t, invalidCases)
}

func runInvalidCases(t *testing.T, cases []invalidCase) {
	t.Helper()
	for _, c := range cases {
		c := c
		t.Run(c.chart+" rejects "+c.name, func(t *testing.T) {
			ch, err := chartrender.Load("../charts/" + c.chart)
			if err != nil {
				t.Fatal(err)
			}
			for _, layer := range []struct {
				skip bool
				want string
			}{{false, c.schema}, {true, c.template}} {
				if layer.want == "" {
					continue
				}
				_, err := chartrender.Render(ch, chartrender.Options{ReleaseName: c.release, Values: c.values, SkipSchemaValidation: layer.skip})
				if err == nil {
					t.Fatalf("skipSchema=%v: rendered, want %q", layer.skip, layer.want)
				}
				got := err.Error()
				if layer.skip {
					got = failMessage(err)
				}
				if got != layer.want {
					t.Errorf("skipSchema=%v:\n got %q\nwant %q", layer.skip, got, layer.want)
				}
			}
			if c.schema == "" {
				if _, err := chartrender.Render(ch, chartrender.Options{ReleaseName: c.release, Values: c.values}); err == nil || failMessage(err) != c.template {
					t.Errorf("with the schema, the template's message must still come through: got %v", err)
				}
			}
		})
	}
}

func TestFailMessageStripsOnlyTheLocation(t *testing.T) {
	err := errString("execution error at (operator/templates/rbac.yaml:1:4): workload-rbac: x (y): z")
	if got := failMessage(err); got != "workload-rbac: x (y): z" {
		t.Fatalf("got %q", got)
	}
	if got := failMessage(errString("parse error: x")); got != "parse error: x" {
		t.Fatalf("got %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

var longName = strings.Repeat("a", 63)

var invalidCases = []invalidCase{
	// Contradictions and existing guards.
	{"namespace-scoped with a cluster-scoped registry API", "operator", "",
		obj{"rbac": obj{"namespaceScoped": true}, "registryAPI": obj{"clusterScoped": true}},
		schemaHead + "operator:\n- at '': 'allOf' failed\n  - at '': missing property 'rbac.namespaceScoped=true cannot be combined with registryAPI.clusterScoped=true: set registryAPI.clusterScoped=false or rbac.namespaceScoped=false'\n",
		"rbac.namespaceScoped=true cannot be combined with registryAPI.clusterScoped=true: a namespace-scoped install renders no cluster-scoped object. Set registryAPI.clusterScoped=false (the operator then grants the registry API a Role in each watched namespace) or rbac.namespaceScoped=false."},
	{"a duplicate watched namespace", "operator", "",
		obj{"rbac": obj{"watchNamespaces": arr{"team-a", "team-a"}}},
		schemaHead + "operator:\n- at '/rbac/watchNamespaces': items at 0 and 1 are equal\n",
		"workload-rbac: rbac.watchNamespaces lists namespace \"team-a\" twice: remove the duplicate"},
	{"an invalid namespace name", "registry-server", "",
		obj{"rbac": obj{"watchNamespaces": arr{"Team_A"}}},
		schemaHead + "registry-server:\n- at '/rbac/watchNamespaces/0': 'Team_A' does not match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'\n",
		"workload-rbac: rbac.watchNamespaces[0] \"Team_A\" is not a valid namespace name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"an existing account without its name", "operator", "",
		obj{"serviceAccount": obj{"create": false}},
		schemaHead + "operator:\n- at '/serviceAccount': missing property 'serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as'\n",
		"workload-rbac: serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)"},
	{"a wildcard verb", "operator", "", registryRules(oneRule(obj{"verbs": arr{"*"}})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'verbs must not contain the wildcard \"*\", bare or in a subresource such as \"*/scale\": list each one explicitly (least privilege)'\n",
		"workload-rbac: registryAPI.rules[0].verbs contains the wildcard \"*\": list each one explicitly (least privilege)"},
	{"a wildcard API group and resource", "registry-server", "",
		serverRules(oneRule(obj{"apiGroups": arr{"*"}, "resources": arr{"*"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'apiGroups must not contain the wildcard \"*\", bare or in a subresource such as \"*/scale\": list each one explicitly (least privilege)'\n  - at '/rbac/rules/0': missing property 'resources must not contain the wildcard \"*\", bare or in a subresource such as \"*/scale\": list each one explicitly (least privilege)'\n",
		"workload-rbac: rbac.rules[0].apiGroups contains the wildcard \"*\": list each one explicitly (least privilege)"},
	{"the bind verb", "registry-server", "", serverRules(oneRule(obj{"verbs": arr{"get", "bind"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'verbs must not grant escalate, bind or impersonate: they let the holder gain permissions it was not given; remove them'\n",
		"workload-rbac: rbac.rules[0] grants the verb \"bind\", which lets its holder gain permissions it was not given: remove it"},
	{"every Secret, not pinned by name", "registry-server", "", serverRules(oneRule(obj{"resources": arr{"secrets"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'secrets must be pinned with resourceNames: a rule must not grant access to every Secret'\n",
		"workload-rbac: rbac.rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
	{"every Secret, not pinned by name, in the registry API's runtime rules", "operator", "", registryRules(oneRule(obj{"resources": arr{"secrets"}})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'secrets must be pinned with resourceNames: a rule must not grant access to every Secret'\n",
		"workload-rbac: registryAPI.rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
	{"writes on ClusterRoleBindings", "registry-server", "",
		serverRules(oneRule(obj{"apiGroups": arr{"rbac.authorization.k8s.io"}, "resources": arr{"clusterrolebindings"}, "verbs": arr{"create"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'a workload must not write clusterroles or clusterrolebindings: provision ClusterRoles at install time with this library instead'\n",
		"workload-rbac: rbac.rules[0] grants \"create\" on clusterrolebindings: a workload must not write cluster-wide RBAC; provision ClusterRoles at install time with this library instead"},
	{"the registry API running as the operator", "operator", "",
		obj{"serviceAccount": obj{"name": "shared"}, "registryAPI": obj{"serviceAccount": obj{"name": "shared"}}},
		"",
		"registryAPI.serviceAccount.name \"shared\" is the operator's own ServiceAccount: registry API pods would run with the operator's permissions. Pick another name."},
	{"the operator running as the registry API's default account", "operator", "",
		obj{"serviceAccount": obj{"name": "release-operator-registry-api"}}, "",
		"serviceAccount.name \"release-operator-registry-api\" is the registry API's default account name: registry API pods would run with the operator's permissions. Pick another serviceAccount.name, or set registryAPI.serviceAccount.name."},
	{"a token that lives for a week", "operator", "", obj{"apiTokenExpirationSeconds": 604800},
		schemaHead + "operator:\n- at '/apiTokenExpirationSeconds': maximum: got 604,800, want 86,400\n",
		"workload-rbac: the API token's expirationSeconds 604800 is outside 600..86400: pick a lifetime between 10 minutes and one day (3600 is usual)"},

	// A why that would write YAML past its comment.
	{"a line break in a why", "operator", "",
		registryRules(oneRule(obj{"why": "x\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get]"})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'why must be one line: a line break would end its YAML comment'\n",
		"workload-rbac: registryAPI.rules[0].why contains a line break, which would end its YAML comment: write the reason on one line"},
	{"a line separator in a why", "registry-server", "", serverRules(oneRule(obj{"why": "x\u2028y"})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'why must be one line: a line break would end its YAML comment'\n",
		"workload-rbac: rbac.rules[0].why contains a line break, which would end its YAML comment: write the reason on one line"},

	// Names Kubernetes refuses, or YAML would read as something else.
	{"a ServiceAccount name with a YAML comment", "operator", "", obj{"serviceAccount": obj{"name": "x #y"}},
		schemaHead + "operator:\n- at '/serviceAccount': 'allOf' failed\n  - at '/serviceAccount': missing property 'serviceAccount.name is not a valid ServiceAccount name: use at most 253 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit'\n",
		"workload-rbac: serviceAccount.name \"x #y\" is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a registry API ServiceAccount name with a YAML comment", "operator", "",
		obj{"registryAPI": obj{"serviceAccount": obj{"name": "op #y"}}},
		schemaHead + "operator:\n- at '/registryAPI/serviceAccount': 'allOf' failed\n  - at '/registryAPI/serviceAccount': missing property 'registryAPI.serviceAccount.name is not a valid ServiceAccount name: use at most 253 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit'\n",
		"workload-rbac: registryAPI.serviceAccount.name \"op #y\" is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a ServiceAccount name that is a YAML tag", "registry-server", "", obj{"serviceAccount": obj{"name": "!x"}},
		schemaHead + "registry-server:\n- at '/serviceAccount': 'allOf' failed\n  - at '/serviceAccount': missing property 'serviceAccount.name is not a valid ServiceAccount name: use at most 253 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit'\n",
		"workload-rbac: serviceAccount.name \"!x\" is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a ServiceAccount name that is a number", "registry-server", "", obj{"serviceAccount": obj{"name": int64(123)}},
		schemaHead + "registry-server:\n- at '/serviceAccount/name': got number, want string\n",
		"workload-rbac: serviceAccount.name is 123 (int64), not a string: quote it in the values file, or use --set-string"},
	{"a fullnameOverride with a YAML comment", "operator", "", obj{"fullnameOverride": "x #y"},
		schemaHead + "operator:\n- at '': missing property 'fullnameOverride is not a valid name: use at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (the chart names its objects with it)'\n",
		"workload-rbac: fullnameOverride \"x #y\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a fullnameOverride longer than 63 characters", "registry-server", "", obj{"fullnameOverride": longName + "b"},
		schemaHead + "registry-server:\n- at '': missing property 'fullnameOverride is not a valid name: use at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (the chart names its objects with it)'\n",
		"workload-rbac: fullnameOverride \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a nameOverride that is a boolean", "registry-server", "", obj{"nameOverride": true},
		schemaHead + "registry-server:\n- at '/nameOverride': got boolean, want string\n",
		"workload-rbac: nameOverride is true (bool), not a string: quote it in the values file, or use --set-string"},
	{"a nameOverride in capitals", "operator", "", obj{"nameOverride": "Op"},
		schemaHead + "operator:\n- at '': missing property 'nameOverride is not a valid name: use at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (the chart names its objects with it)'\n",
		"workload-rbac: nameOverride \"Op\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a release name with a YAML comment", "operator", "x #y", nil,
		"",
		"workload-rbac: the release name \"x #y\" is not a valid name: use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a release name longer than Helm's 53 characters", "registry-server", strings.Repeat("r", 54), nil,
		"",
		"workload-rbac: the release name \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\" is not a valid name: use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},

	// The namespace's default account.
	{"serviceAccount.name=default", "registry-server", "", obj{"serviceAccount": obj{"name": "default", "create": false}},
		schemaHead + "registry-server:\n- at '/serviceAccount': 'allOf' failed\n  - at '/serviceAccount': missing property 'serviceAccount.name must not be \"default\", the account every pod of the namespace that names none runs as: name a dedicated ServiceAccount'\n",
		"workload-rbac: serviceAccount.name is \"default\", the account every pod of the namespace that names none runs as: binding RBAC to it grants it to all of them. Name a dedicated ServiceAccount"},
	{"registryAPI.serviceAccount.name=default", "operator", "", obj{"registryAPI": obj{"serviceAccount": obj{"name": "default"}}},
		schemaHead + "operator:\n- at '/registryAPI/serviceAccount': 'allOf' failed\n  - at '/registryAPI/serviceAccount': missing property 'registryAPI.serviceAccount.name must not be \"default\", the account every pod of the namespace that names none runs as: name a dedicated ServiceAccount'\n",
		"workload-rbac: registryAPI.serviceAccount.name is \"default\", the account every pod of the namespace that names none runs as: binding RBAC to it grants it to all of them. Name a dedicated ServiceAccount"},

	// Rules Kubernetes refuses.
	{"nonResourceURLs in a namespace-scoped Role", "registry-server", "",
		obj{"rbac": obj{"namespaceScoped": true, "rules": arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}},
		schemaHead + "registry-server:\n- at '': 'allOf' failed\n  - at '/rbac/rules/0': 'allOf' failed\n    - at '/rbac/rules/0': missing property 'nonResourceURLs are granted only by a ClusterRole bound cluster-wide: remove them from rules that go into Roles or namespace bindings'\n",
		"workload-rbac: rbac.rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from rbac.rules"},
	{"nonResourceURLs in the runtime rules of the Roles the operator creates", "operator", "",
		registryRules(arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}),
		schemaHead + "operator:\n- at '': 'allOf' failed\n  - at '/registryAPI/rules/0': 'allOf' failed\n    - at '/registryAPI/rules/0': missing property 'nonResourceURLs are granted only by a ClusterRole bound cluster-wide: remove them from rules that go into Roles or namespace bindings'\n",
		"workload-rbac: registryAPI.rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from registryAPI.rules"},
	{"nonResourceURLs bound per watched namespace", "operator", "",
		obj{"rbac": obj{"watchNamespaces": arr{"team-a"}}, "registryAPI": obj{"clusterScoped": true, "rules": arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}},
		schemaHead + "operator:\n- at '': 'allOf' failed\n  - at '/registryAPI/rules/0': 'allOf' failed\n    - at '/registryAPI/rules/0': missing property 'nonResourceURLs are granted only by a ClusterRole bound cluster-wide: remove them from rules that go into Roles or namespace bindings'\n",
		"workload-rbac: registryAPI.rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from registryAPI.rules"},
	{"a cluster-scoped resource in a namespace-scoped Role", "registry-server", "",
		obj{"rbac": obj{"namespaceScoped": true, "rules": arr{obj{"apiGroups": arr{""}, "resources": arr{"nodes"}, "verbs": arr{"get"}}}}},
		schemaHead + "registry-server:\n- at '': 'allOf' failed\n  - at '/rbac/rules/0': 'allOf' failed\n    - at '/rbac/rules/0': missing property 'a cluster-scoped resource (nodes, namespaces, persistentvolumes, componentstatuses of API group \"\") grants nothing in a Role or namespace binding: grant it with a ClusterRole bound cluster-wide, or remove it'\n",
		"workload-rbac: rbac.rules[0] grants nodes, which is cluster-scoped, in a rule list rendered as a Role (or a ClusterRole bound per namespace), where it grants nothing: move the rule to the cluster rules, rendered as a ClusterRole with a ClusterRoleBinding (clusterRules of workload-rbac.render.clusterAndNamespaced)"},
	{"resources without apiGroups", "registry-server", "", serverRules(oneRule(obj{"apiGroups": nil})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'resources need apiGroups, which Kubernetes requires: add apiGroups ([\"\"] is the core group)'\n",
		"workload-rbac: rbac.rules[0] lists resources without apiGroups, which Kubernetes refuses: add apiGroups ([\"\"] is the core group of pods, services, configmaps...)"},
	{"resources with empty apiGroups", "operator", "", registryRules(oneRule(obj{"apiGroups": arr{}})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'resources need apiGroups, which Kubernetes requires: add apiGroups ([\"\"] is the core group)'\n",
		"workload-rbac: registryAPI.rules[0] lists resources without apiGroups, which Kubernetes refuses: add apiGroups ([\"\"] is the core group of pods, services, configmaps...)"},
	{"an empty rule", "registry-server", "", serverRules(arr{obj{}}),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': validation failed\n  - at '/rbac/rules/0': missing property 'verbs'\n  - at '/rbac/rules/0': 'allOf' failed\n    - at '/rbac/rules/0': missing property 'a rule must name resources (with apiGroups) or nonResourceURLs'\n",
		"workload-rbac: rbac.rules[0] has no verbs: list the verbs the workload needs, e.g. [get, list, watch]"},
	{"a rule with verbs only", "registry-server", "", serverRules(arr{obj{"verbs": arr{"get"}}}),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'a rule must name resources (with apiGroups) or nonResourceURLs'\n",
		"workload-rbac: rbac.rules[0] names no resources: add resources (and apiGroups) or nonResourceURLs"},
	{"resources mixed with nonResourceURLs", "registry-server", "", serverRules(oneRule(obj{"nonResourceURLs": arr{"/healthz"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'nonResourceURLs cannot be mixed with apiGroups, resources or resourceNames in one rule (Kubernetes refuses it): split it into two rules'\n",
		"workload-rbac: rbac.rules[0] mixes nonResourceURLs with apiGroups, resources or resourceNames, which Kubernetes refuses in one rule: split it into two rules"},
	{"a wildcard hidden in a subresource", "operator", "",
		registryRules(oneRule(obj{"apiGroups": arr{"apps"}, "resources": arr{"*/scale"}, "verbs": arr{"update"}})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'resources must not contain the wildcard \"*\", bare or in a subresource such as \"*/scale\": list each one explicitly (least privilege)'\n",
		"workload-rbac: registryAPI.rules[0].resources[0] \"*/scale\" hides the wildcard \"*\": list each one explicitly (least privilege)"},
	{"every subresource of a resource", "registry-server", "", serverRules(oneRule(obj{"resources": arr{"pods/*"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'resources must not end in \"/*\": Kubernetes has no per-resource subresource wildcard, so \"deployments/*\" matches no request: list the subresources by name (e.g. deployments/status)'\n",
		"workload-rbac: rbac.rules[0].resources[0] \"pods/*\" matches no request: Kubernetes has no per-resource subresource wildcard; list the subresources the workload needs by name, e.g. pods/status"},
	{"resourceNames with list", "registry-server", "",
		serverRules(oneRule(obj{"resources": arr{"secrets"}, "resourceNames": arr{"token"}, "verbs": arr{"get", "list"}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0': 'allOf' failed\n  - at '/rbac/rules/0': missing property 'resourceNames do not restrict list, watch, create or deletecollection: move those verbs to a rule without resourceNames, or drop them'\n",
		"workload-rbac: rbac.rules[0] pins resourceNames but grants \"list\", which resourceNames do not restrict to those names: move \"list\" to a rule without resourceNames, or drop it"},
	{"resourceNames with create", "operator", "",
		registryRules(oneRule(obj{"resources": arr{"configmaps"}, "resourceNames": arr{"state"}, "verbs": arr{"create"}})),
		schemaHead + "operator:\n- at '/registryAPI/rules/0': 'allOf' failed\n  - at '/registryAPI/rules/0': missing property 'resourceNames do not restrict list, watch, create or deletecollection: move those verbs to a rule without resourceNames, or drop them'\n",
		"workload-rbac: registryAPI.rules[0] pins resourceNames but grants \"create\", which resourceNames do not restrict to those names: move \"create\" to a rule without resourceNames, or drop it"},
	{"an empty verb", "registry-server", "", serverRules(oneRule(obj{"verbs": arr{""}})),
		schemaHead + "registry-server:\n- at '/rbac/rules/0/verbs/0': minLength: got 0, want 1\n",
		"workload-rbac: rbac.rules[0].verbs[0] is empty: remove it (only apiGroups has an empty entry, the core group \"\")"},

	// Empty rule lists.
	{"registryAPI.rules: []", "operator", "", registryRules(arr{}),
		schemaHead + "operator:\n- at '/registryAPI/rules': minItems: got 0, want 1\n",
		"workload-rbac: registryAPI.rules is empty: list the rules the workload needs, e.g. {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}"},
	{"rbac.rules: []", "registry-server", "", serverRules(arr{}),
		schemaHead + "registry-server:\n- at '/rbac/rules': minItems: got 0, want 1\n",
		"workload-rbac: rbac.rules is empty: list the rules the workload needs, e.g. {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}"},
}
