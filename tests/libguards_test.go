package tests

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// libConsumer is a chart that consumes the library with no values.schema.json: every bad value reaches
// the library's own guards, so loosening one of them fails a test even where the charts' schemas would
// have refused the value first.
const libConsumer = "fixtures/lib-consumer"

type libCase struct {
	name               string
	release, namespace string // "" = rel / ops
	values             obj
	want               string
}

func renderLib(t *testing.T, c libCase) (*chartrender.Result, error) {
	t.Helper()
	ch, err := chartrender.Load(libConsumer)
	if err != nil {
		t.Fatal(err)
	}
	release, ns := c.release, c.namespace
	if release == "" {
		release = "rel"
	}
	if ns == "" {
		ns = "ops"
	}
	return chartrender.Render(ch, chartrender.Options{ReleaseName: release, Namespace: ns, Values: c.values})
}

// rules1 is one rule for the fixture's rules value.
func rules1(extra obj) obj { return obj{"rules": oneRule(extra)} }

// TestEachLibraryGuardOnItsOwn: each fail of the library, reached without any schema, with its exact
// message (not its template position).
func TestEachLibraryGuardOnItsOwn(t *testing.T) {
	for _, c := range libGuardCases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			_, err := renderLib(t, c)
			if err == nil {
				t.Fatalf("rendered, want %q", c.want)
			}
			if got := failMessage(err); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// policyRules converts rules as written in values to what Kubernetes stores (the why is dropped).
func policyRules(t *testing.T, rules arr) []rbacv1.PolicyRule {
	t.Helper()
	b, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	var out []rbacv1.PolicyRule
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWhyCannotWriteYAML: workload-rbac.rules.render alone (no validation in front of it) keeps every
// why inside its comment: a why that tries to add a wildcard rule renders as the one rule given.
func TestWhyCannotWriteYAML(t *testing.T) {
	for why, comment := range map[string]string{
		"x\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']": "# x - apiGroups: ['*']   resources: ['*']   verbs: ['*']\n",
		"x\r\n- verbs: ['*']": "# x - verbs: ['*']\n",
		"x\u2028- verbs: ['*']\u2029- verbs: ['*']\u0085- verbs: ['*']": "# x - verbs: ['*'] - verbs: ['*'] - verbs: ['*']\n",
		"quotes \" ' and # and key: value":                              "# quotes \" ' and # and key: value\n",
	} {
		rule := obj{"why": why, "apiGroups": arr{""}, "resources": arr{"services"}, "verbs": arr{"get"}}
		res, err := renderLib(t, libCase{values: obj{"rawRules": arr{rule}}})
		if err != nil {
			t.Fatalf("why %q: %v", why, err)
		}
		var got []rbacv1.PolicyRule
		for _, cr := range chartrender.ClusterRolesOf(res.Objects) {
			if cr.Name == "raw-rules" {
				got = cr.Rules
			}
		}
		if want := policyRules(t, arr{rule}); !reflect.DeepEqual(got, want) {
			t.Errorf("why %q rendered rules %+v, want %+v", why, got, want)
		}
		if !strings.Contains(res.Manifest(), "\n  "+comment) {
			t.Errorf("why %q: no comment line %q in\n%s", why, comment, res.Manifest())
		}
	}
}

// TestLibraryRendersWhatKubernetesAccepts: the guards refuse only what they must. nonResourceURLs are
// granted by a ClusterRole bound cluster-wide, Secrets pinned by name may be read, and an empty rule list
// that is not required renders the account and no RBAC.
func TestLibraryRendersWhatKubernetesAccepts(t *testing.T) {
	urls := arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}
	res, err := renderLib(t, libCase{values: obj{"rules": urls}})
	if err != nil {
		t.Fatal(err)
	}
	crs, crbs := chartrender.ClusterRolesOf(res.Objects), chartrender.ClusterRoleBindingsOf(res.Objects)
	if len(crs) != 1 || !reflect.DeepEqual(crs[0].Rules, policyRules(t, urls)) || len(crbs) != 1 || crbs[0].RoleRef.Name != crs[0].Name {
		t.Errorf("cluster-wide nonResourceURLs: got %v", res.Keys())
	}

	pinned := arr{obj{"apiGroups": arr{""}, "resources": arr{"secrets"}, "resourceNames": arr{"token"}, "verbs": arr{"get", "update"}}}
	res, err = renderLib(t, libCase{values: obj{"rules": pinned, "namespaceScoped": true}})
	if err != nil {
		t.Fatal(err)
	}
	roles := chartrender.RolesOf(res.Objects)
	if len(roles) != 1 || roles[0].Namespace != "ops" || !reflect.DeepEqual(roles[0].Rules, policyRules(t, pinned)) {
		t.Errorf("pinned Secret: got %v", res.Keys())
	}

	res, err = renderLib(t, libCase{values: obj{"rules": arr{}, "rulesRequired": false}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Keys(), " "); got != "Pod/ops/rel-lib-consumer ServiceAccount/ops/rel-lib-consumer-lib" {
		t.Errorf("no rules: got %s", got)
	}
}

var libGuardCases = []libCase{
	// workload-rbac.validate.name, through every name it guards.
	{"a release name with a YAML comment", "x #y", "", nil, "workload-rbac: the release name \"x #y\" is not a valid name: use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a release name over 53 characters", strings.Repeat("r", 54), "", nil, "workload-rbac: the release name \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\" is not a valid name: use at most 53 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a release namespace in capitals", "", "Ops", nil, "workload-rbac: the release namespace \"Ops\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a fullnameOverride that is a YAML tag", "", "", obj{"fullnameOverride": "!x"}, "workload-rbac: fullnameOverride \"!x\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a fullnameOverride that is a number", "", "", obj{"fullnameOverride": 12}, "workload-rbac: fullnameOverride is 12 (int), not a string: quote it in the values file, or use --set-string"},
	{"a nameOverride with a dot", "", "", obj{"nameOverride": "a.b"}, "workload-rbac: nameOverride \"a.b\" is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a ServiceAccount name with a YAML comment", "", "", obj{"serviceAccount": obj{"name": "x #y"}}, "workload-rbac: serviceAccount.name \"x #y\" is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	{"a ServiceAccount name that is a boolean", "", "", obj{"serviceAccount": obj{"name": true}}, "workload-rbac: serviceAccount.name is true (bool), not a string: quote it in the values file, or use --set-string"},
	{"a ServiceAccount name over 253 characters", "", "", obj{"serviceAccount": obj{"name": strings.Repeat("a.", 126) + "aa"}}, "workload-rbac: serviceAccount.name \"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.aa\" is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"},
	// workload-rbac.serviceAccount.name.
	{"the default ServiceAccount", "", "", obj{"serviceAccount": obj{"name": "default"}}, "workload-rbac: serviceAccount.name is \"default\", the account every pod of the namespace that names none runs as: binding RBAC to it grants it to all of them. Name a dedicated ServiceAccount"},
	{"an existing account without its name", "", "", obj{"serviceAccount": obj{"create": false}}, "workload-rbac: serviceAccount.create=false needs serviceAccount.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)"},
	// workload-rbac.class.serviceAccount.
	{"a token automount that is a string", "", "", obj{"serviceAccount": obj{"automountServiceAccountToken": "yes"}},
		"workload-rbac: automountServiceAccountToken is yes (string), not true or false: write a boolean (false keeps the legacy token unmounted)"},
	// workload-rbac.validate.namespaces.
	{"a namespace that is a number", "", "", obj{"namespaces": arr{7}}, "workload-rbac: namespaces[0] is 7, not a string: list namespace names, e.g. [team-a, team-b]"},
	{"an invalid namespace", "", "", obj{"namespaces": arr{"team_a"}}, "workload-rbac: namespaces[0] \"team_a\" is not a valid namespace name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{"a duplicate namespace", "", "", obj{"namespaces": arr{"a", "a"}}, "workload-rbac: namespaces lists namespace \"a\" twice: remove the duplicate"},
	// workload-rbac.validate.rules: shape.
	{"rules that are not a list", "", "", obj{"rules": "get services"}, "workload-rbac: rules must be a list of RBAC rules ({apiGroups, resources, verbs}), got get services"},
	{"no rules where rules are required", "", "", obj{"rules": arr{}}, "workload-rbac: rules is empty: list the rules the workload needs, e.g. {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}"},
	{"a rule that is not a map", "", "", obj{"rules": arr{"get services"}}, "workload-rbac: rules[0] is get services, not a rule: write a map {apiGroups, resources, verbs}"},
	{"a why that is not a string", "", "", rules1(obj{"why": 3}), "workload-rbac: rules[0].why is 3, not a string: quote it"},
	{"a why with a line break", "", "", rules1(obj{"why": "x\nverbs: ['*']"}), "workload-rbac: rules[0].why contains a line break, which would end its YAML comment: write the reason on one line"},
	{"a why with a carriage return", "", "", rules1(obj{"why": "x\ry"}), "workload-rbac: rules[0].why contains a line break, which would end its YAML comment: write the reason on one line"},
	{"a why with a next-line character", "", "", rules1(obj{"why": "x\u0085y"}), "workload-rbac: rules[0].why contains a line break, which would end its YAML comment: write the reason on one line"},
	{"a field that is not a list", "", "", rules1(obj{"verbs": "get"}), "workload-rbac: rules[0].verbs is get, not a list: write it as a list, e.g. verbs: [get]"},
	{"an item that is not a string", "", "", rules1(obj{"resources": arr{1}}), "workload-rbac: rules[0].resources[0] is 1, not a string: quote it"},
	{"an empty resource", "", "", rules1(obj{"resources": arr{""}}), "workload-rbac: rules[0].resources[0] is empty: remove it (only apiGroups has an empty entry, the core group \"\")"},
	{"no verbs", "", "", rules1(obj{"verbs": nil}), "workload-rbac: rules[0] has no verbs: list the verbs the workload needs, e.g. [get, list, watch]"},
	{"no resources", "", "", obj{"rules": arr{obj{"verbs": arr{"get"}}}}, "workload-rbac: rules[0] names no resources: add resources (and apiGroups) or nonResourceURLs"},
	{"resources without apiGroups", "", "", rules1(obj{"apiGroups": nil}), "workload-rbac: rules[0] lists resources without apiGroups, which Kubernetes refuses: add apiGroups ([\"\"] is the core group of pods, services, configmaps...)"},
	{"nonResourceURLs with apiGroups", "", "", obj{"rules": arr{obj{"apiGroups": arr{""}, "nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0] mixes nonResourceURLs with apiGroups, resources or resourceNames, which Kubernetes refuses in one rule: split it into two rules"},
	{"nonResourceURLs with resourceNames", "", "", obj{"rules": arr{obj{"resourceNames": arr{"x"}, "nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0] mixes nonResourceURLs with apiGroups, resources or resourceNames, which Kubernetes refuses in one rule: split it into two rules"},
	{"nonResourceURLs in a Role", "", "", obj{"namespaceScoped": true, "rules": arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from rules"},
	{"nonResourceURLs bound per namespace", "", "", obj{"namespaces": arr{"a"}, "rules": arr{obj{"nonResourceURLs": arr{"/healthz"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from rules"},
	// workload-rbac.validate.rules: policy.
	{"a bare wildcard resource", "", "", rules1(obj{"resources": arr{"*"}}), "workload-rbac: rules[0].resources contains the wildcard \"*\": list each one explicitly (least privilege)"},
	{"a wildcard before a subresource", "", "", rules1(obj{"resources": arr{"*/scale"}}), "workload-rbac: rules[0].resources[0] \"*/scale\" hides the wildcard \"*\": list each one explicitly (least privilege)"},
	{"a wildcard subresource", "", "", rules1(obj{"resources": arr{"deployments/*"}}), "workload-rbac: rules[0].resources[0] \"deployments/*\" matches no request: Kubernetes has no per-resource subresource wildcard; list the subresources the workload needs by name, e.g. deployments/status"},
	{"a wildcard resource name", "", "", rules1(obj{"resourceNames": arr{"app-*"}}), "workload-rbac: rules[0].resourceNames[0] \"app-*\" is not a pattern: Kubernetes compares resourceNames literally, so it grants nothing but that exact string: list each one explicitly"},
	{"a pattern in a resource", "", "", rules1(obj{"resources": arr{"deploy*"}}), "workload-rbac: rules[0].resources[0] \"deploy*\" is not a pattern: Kubernetes compares resources literally, so it grants nothing but that exact string: list each one explicitly"},
	{"a wildcard inside a URL", "", "", obj{"rules": arr{obj{"nonResourceURLs": arr{"/apis/*/v1"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0].nonResourceURLs[0] \"/apis/*/v1\" is not a pattern: Kubernetes compares nonResourceURLs literally, so it grants nothing but that exact string: list each one explicitly"},
	{"a wildcard URL", "", "", obj{"rules": arr{obj{"nonResourceURLs": arr{"/apis/*"}, "verbs": arr{"get"}}}}, "workload-rbac: rules[0].nonResourceURLs[0] \"/apis/*\" hides the wildcard \"*\": list each one explicitly (least privilege)"},
	{"a wildcard verb", "", "", rules1(obj{"verbs": arr{"*"}}), "workload-rbac: rules[0].verbs contains the wildcard \"*\": list each one explicitly (least privilege)"},
	{"a wildcard API group", "", "", rules1(obj{"apiGroups": arr{"*"}}), "workload-rbac: rules[0].apiGroups contains the wildcard \"*\": list each one explicitly (least privilege)"},
	{"escalate", "", "", rules1(obj{"verbs": arr{"escalate"}}), "workload-rbac: rules[0] grants the verb \"escalate\", which lets its holder gain permissions it was not given: remove it"},
	{"impersonate", "", "", rules1(obj{"verbs": arr{"impersonate"}}), "workload-rbac: rules[0] grants the verb \"impersonate\", which lets its holder gain permissions it was not given: remove it"},
	{"resourceNames with watch", "", "", rules1(obj{"resourceNames": arr{"x"}, "verbs": arr{"get", "watch"}}), "workload-rbac: rules[0] pins resourceNames but grants \"watch\", which resourceNames do not restrict to those names: move \"watch\" to a rule without resourceNames, or drop it"},
	{"resourceNames with deletecollection", "", "", rules1(obj{"resourceNames": arr{"x"}, "verbs": arr{"deletecollection"}}), "workload-rbac: rules[0] pins resourceNames but grants \"deletecollection\", which resourceNames do not restrict to those names: move \"deletecollection\" to a rule without resourceNames, or drop it"},
	{"patching ClusterRoles", "", "", rules1(obj{"apiGroups": arr{"rbac.authorization.k8s.io"}, "resources": arr{"clusterroles"}, "verbs": arr{"patch"}}), "workload-rbac: rules[0] grants \"patch\" on clusterroles: a workload must not write cluster-wide RBAC; provision ClusterRoles at install time with this library instead"},
	{"every Secret", "", "", rules1(obj{"resources": arr{"configmaps", "secrets"}}), "workload-rbac: rules[0] grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason"},
	// workload-rbac.pod.apiTokenVolume.
	{"a token that lives 5 minutes", "", "", obj{"expirationSeconds": 300}, "workload-rbac: the API token's expirationSeconds 300 is outside 600..86400: pick a lifetime between 10 minutes and one day (3600 is usual)"},
	{"a token that lives two days", "", "", obj{"expirationSeconds": 172800}, "workload-rbac: the API token's expirationSeconds 172800 is outside 600..86400: pick a lifetime between 10 minutes and one day (3600 is usual)"},
}
