package tests

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// evaluateFixture renders every combination of tests/fixtures/NAME/matrix.yaml (after edit changes the
// spec, when given) and evaluates it, by combination name.
func evaluateFixture(t *testing.T, name string, edit func(*matrix.Spec)) map[string]matrix.Report {
	t.Helper()
	spec, ch, combos := loadSpecChart(t, filepath.Join("fixtures", name, "matrix.yaml"))
	if edit != nil {
		edit(spec) // the checks only: the combinations are the spec's as written
	}
	out := map[string]matrix.Report{"chart templates": {Violations: spec.Checks.EvaluateChart(ch)}}
	for _, o := range matrix.Render(context.Background(), ch, combos, 0) {
		out[o.Combination.Name()] = spec.Checks.Evaluate(o)
	}
	return out
}

func lines(vs []rbaccheck.Violation) string {
	var out []string
	for _, v := range vs {
		out = append(out, string(v.Severity)+" ["+v.Check+"] "+v.Message)
	}
	return strings.Join(out, "\n")
}

// Each fixture reproduces one bug seen in real charts: the combination that has it must report exactly
// these findings (and the other combinations nothing).
var fixtureFindings = map[string]map[string][]string{
	"watch-scope-empty-list": {"rbac.namespaced=true rbac.namespaces=[]": {
		`error [watch-without-grant] Deployment apps/app watches every namespace (env WATCH_NAMESPACE="" of container app), but ServiceAccount apps/app cannot list,watch configmaps there (its grants are bound in namespace apps)`}},
	"watch-namespace-string": {"watchNamespace=team-a": {
		`error [watch-without-grant] Deployment apps/app watches namespace team-a (env WATCH_NAMESPACE="team-a" of container app), but ServiceAccount apps/app cannot list,watch deployments.apps there (its grants are bound in namespace apps)`}},
	"watch-clusterrole-off": {"rbac.clusterRole=false namespaces=[]": {
		`error [watch-without-grant] Deployment apps/app watches every namespace (flag --namespaces="" of container app), but ServiceAccount apps/app cannot list,watch services there (its grants are bound in namespace apps)`}},
	"watch-declared-source": {`scope="apps,team-a"`: {
		`error [watch-without-grant] Deployment apps/app watches namespace team-a (flag --scope="apps,team-a" of container app (declared)), but ServiceAccount apps/app cannot list,watch pods there (its grants are bound in namespace apps)`}},
	"default-serviceaccount": {"defaults": {
		`warning [default-serviceaccount-granted] RoleBinding apps/app grants Role app to ServiceAccount apps/default: every pod of namespace apps that names no serviceAccountName runs with it`}},
	"duplicate-objects": {"metrics.enabled=true": {
		`error [duplicate-object] ServiceAccount apps/app is rendered 2 times: the API server keeps one (or the install fails with "already exists")`}},
	"rejected-rules": {"defaults": {
		`error [rejected-rule] ClusterRole apps-app rules[0] {"verbs":["get"],"apiGroups":[""],"resources":["nodes"],"nonResourceURLs":["/healthz"]}: the API server rejects it: it mixes nonResourceURLs with apiGroups or resources (rules cannot apply to both regular resources and non-resource URLs)`,
		`error [rejected-rule] Role apps/app rules[0] {"verbs":["get"],"nonResourceURLs":["/metrics"]}: the API server rejects it: a Role cannot hold nonResourceURLs (namespaced rules cannot apply to non-resource URLs)`,
		`error [rejected-rule] Role apps/app rules[1] {"verbs":["get"],"resources":["configmaps"]}: the API server rejects it: it has resources but no apiGroups (resource rules must supply at least one api group; use [""] for the core group)`,
		`error [rejected-rule] Role apps/app rules[2] {"verbs":null,"apiGroups":[""],"resources":["services"]}: the API server rejects it: it has no verbs (verbs: Required value)`,
		`error [rejected-rule] Role apps/app rules[3] {"verbs":["get"],"apiGroups":[""]}: the API server rejects it: it has no resources and no nonResourceURLs (resource rules must supply at least one resource)`}},
	"unreachable-fail": {"chart templates": {
		`warning [unreachable-fail] templates/_validate.tpl line 11 calls fail outside any define: Helm does not render partials (files starting with _) on their own, so this validation never runs`}},
	"noop-rules": {"defaults": {
		`error [noop-rule] Role apps/app rules[0] {"verbs":["get","create"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["app-config"]} grants less than it says: its create never matches: a create request carries no name to match resourceNames`,
		`error [noop-rule] Role apps/app rules[1] {"verbs":["get","list"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["app-tls"]} grants less than it says: its list matches only requests with fieldSelector metadata.name=<name>: a list of the collection is denied`,
		`error [noop-rule] Role apps/app rules[2] {"verbs":["get"],"apiGroups":[""],"resources":["nodes"]} grants less than it says: nodes are cluster-scoped, and a Role only grants in its namespace`,
		`error [noop-rule] Role apps/app rules[4] {"verbs":["get"],"apiGroups":["apps"],"resources":["deployments/*"]} grants less than it says: "deployments/*" matches no request: Kubernetes has no per-resource subresource wildcard, so list the subresources (e.g. deployments/status)`,
		`error [noop-rule] Role apps/app rules[5] {"verbs":["get","impersonate"],"apiGroups":[""],"resources":["configmaps"]} grants less than it says: the verb "impersonate" grants nothing on configmaps: Kubernetes checks it only on users, groups and serviceaccounts (core) and uids and userextras/<key> (authentication.k8s.io); remove it`,
		`error [noop-rule] Role apps/app rules[6] {"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["app-*"]} grants less than it says: "app-*" is not a pattern: Kubernetes compares resourceNames literally, so it grants nothing but that exact string`}},
}

func TestEachFixtureFailsWithItsExactFinding(t *testing.T) {
	for fixture, want := range fixtureFindings {
		fixture, want := fixture, want
		t.Run(fixture+" reports exactly its finding", func(t *testing.T) {
			for name, r := range evaluateFixture(t, fixture, nil) {
				require := strings.Join(want[name], "\n")
				if got := lines(r.Violations); got != require {
					t.Errorf("%s:\n got: %s\nwant: %s", name, got, require)
				}
			}
		})
	}
}

// The false positives of real-world runs: each fixture must report nothing, and the variant without
// what makes it correct (the spec's declaration, or the pattern the check knows) must still report,
// so the check is not simply switched off.
func TestFalsePositivesAreGone(t *testing.T) {
	clean := []string{"aggregated-clusterroles", "namespaces-as-string", "cluster-scoped-with-namespace"}
	for _, fixture := range clean {
		for name, r := range evaluateFixture(t, fixture, nil) {
			if len(r.Violations) > 0 {
				t.Errorf("%s %s:\n%s", fixture, name, lines(r.Violations))
			}
		}
	}
	// Without the declared aggregator, the platform-labelled ClusterRole is unbound again; the
	// built-in aggregate-to-view and aggregate-to-cluster-reader ones are not.
	r := evaluateFixture(t, "aggregated-clusterroles", func(s *matrix.Spec) { s.Checks.AggregationSelectors = nil })["defaults"]
	if got := lines(r.Violations); got != "warning [unbound-role] ClusterRole apps-widgets-platform-reader is rendered but no binding references it" {
		t.Errorf("without aggregationSelectors: %s", got)
	}
	// Namespaces from a comma-separated string: the Roles in team-b are allowed, but not once the
	// spec stops naming the value that lists them.
	r = evaluateFixture(t, "namespaces-as-string", func(s *matrix.Spec) { s.Checks.NamespaceScoped[0].NamespacesFrom = nil })["namespaced=true namespaces=\"team-a, team-b\""]
	if got := lines(r.Violations); !strings.Contains(got, "error [scope-leak] Role team-b/app is in namespace team-b, outside the allowed namespaces apps") {
		t.Errorf("without namespacesFrom: %s", got)
	}
}

// The watched namespaces can also be declared as a values path: a list, a string or a comma list.
func TestWatchNamespacesDeclaredByValuesPath(t *testing.T) {
	decl := func(s *matrix.Spec) {
		s.Checks.WatchNamespaces = []matrix.WatchSource{{Workload: "Deployment/app", ValuesPath: "scope"}}
	}
	reports := evaluateFixture(t, "watch-declared-source", decl)
	if got := lines(reports["scope=apps"].Violations); got != "" {
		t.Errorf("scope=apps: %s", got)
	}
	want := "error [watch-without-grant] Deployment apps/app watches namespace team-a (the spec's checks.watchNamespaces), but ServiceAccount apps/app cannot list,watch pods there (its grants are bound in namespace apps)"
	if got := lines(reports[`scope="apps,team-a"`].Violations); got != want {
		t.Errorf("scope=apps,team-a:\n got: %s\nwant: %s", got, want)
	}
	spec, _ := matrix.LoadSpec("fixtures/watch-declared-source/matrix.yaml")
	spec.Checks.WatchNamespaces = []matrix.WatchSource{{Workload: "Deployment/app", ValuesPath: "other"}}
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), `checks.watchNamespaces[0].valuesPath "other" is not an axis`) {
		t.Errorf("a values path no combination sets: %v", err)
	}
	spec.Checks.WatchNamespaces = []matrix.WatchSource{{Workload: "Deployment/app", Env: "A", Arg: "--b"}}
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "sets 2 of env, arg, valuesPath: set exactly one") {
		t.Errorf("two sources: %v", err)
	}
}

func TestBuiltinAndExternalRolesAndAccountsAreKnown(t *testing.T) {
	r := evaluateFixture(t, "external-roles", nil)["defaults"]
	want := "error [missing-subject] RoleBinding apps/app-platform binds ServiceAccount auditor, which is not rendered in namespace platform\n" +
		"error [orphaned-binding] RoleBinding apps/app-platform references Role platform-reader, which is not rendered in namespace apps (nor a declared built-in or external role)"
	if got := lines(r.Violations); got != want {
		t.Errorf("undeclared: the built-in kube-system Role must be known, the platform's role and account reported:\n%s", got)
	}
	r = evaluateFixture(t, "external-roles", func(s *matrix.Spec) {
		s.Checks.ExternalRoles = []string{"Role/apps/platform-reader"}
		s.Checks.ExternalServiceAccounts = []string{"platform/auditor"}
	})["defaults"]
	if len(r.Violations) > 0 {
		t.Errorf("declared external: %s", lines(r.Violations))
	}
}

// Our charts (and the library they include) have no template-level finding either.
func TestOurChartsTemplatesHaveNoFinding(t *testing.T) {
	for _, path := range specs {
		spec, ch, _ := loadSpecChart(t, path)
		if vs := spec.Checks.EvaluateChart(ch); len(vs) > 0 {
			t.Errorf("%s:\n%s", path, lines(vs))
		}
	}
}

// Every built-in check is data a user can act on (a description and a remediation) and has a fixture
// under tests/fixtures/ that triggers it.
func TestEveryBuiltinCheckIsDocumentedAndHasAFixture(t *testing.T) {
	triggered := map[string][]string{}
	dirs, err := os.ReadDir("fixtures")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join("fixtures", d.Name(), "matrix.yaml")); err != nil {
			continue
		}
		for _, r := range evaluateFixture(t, d.Name(), nil) {
			for _, v := range r.Violations {
				triggered[v.Check] = append(triggered[v.Check], d.Name())
			}
		}
	}
	var missing []string
	for _, c := range rbaccheck.BuiltinChecks() {
		if c.Description == "" || c.Remediation == "" || (c.Severity != rbaccheck.Error && c.Severity != rbaccheck.Warning) {
			t.Errorf("check %s lacks a description, a remediation or a severity: %+v", c.ID, c)
		}
		if len(triggered[c.ID]) == 0 {
			missing = append(missing, c.ID)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no fixture under tests/fixtures/ triggers: %s", strings.Join(missing, ", "))
	}
}
