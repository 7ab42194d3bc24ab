package matrix

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// CheckConfig is the `checks:` section of a spec: what the chart promises, so the tool can hold each
// combination to it. In YAML:
//
//	checks:
//	  suppress: {workload-create: "the operator runs registry Deployments"}
//	  externalServiceAccounts: [kube-system/external-dns]
//	  builtinClusterRoles: [view]
//	  namespaceScoped:                 # combinations that must render nothing cluster-scoped
//	    - when: {rbac.namespaceScoped: true}
//	      namespacesFrom: [rbac.watchNamespaces]   # allowed besides the release namespace
//	  severity: {wildcard: error}      # per-check severity (error or warning)
//	  externalRoles: [Role/kube-system/leader-locking, ClusterRole/platform-reader]
//	  aggregationSelectors: [{matchLabels: {example.com/aggregate-to-reader: "true"}}]
//	  watchNamespaces:                 # where a program reads the namespaces it watches
//	    - {workload: Deployment/op, env: SCOPE}           # or arg: --scope, or valuesPath: rbac.namespaces
//	  expectFailures:                  # invalid combinations and the message they must fail with
//	    - when: {rbac.namespaceScoped: true, registryAPI.clusterScoped: true}
//	      message: "cannot be combined with registryAPI.clusterScoped=true"
type CheckConfig struct {
	Suppress                map[string]string `json:"suppress,omitempty"`
	ExternalServiceAccounts []string          `json:"externalServiceAccounts,omitempty"`
	BuiltinClusterRoles     []string          `json:"builtinClusterRoles,omitempty"`
	NamespaceScoped         []ScopeRule       `json:"namespaceScoped,omitempty"`
	ExpectFailures          []ExpectFailure   `json:"expectFailures,omitempty"`
	RuntimeGrants           []RuntimeGrant    `json:"runtimeGrants,omitempty"`
	// Severity overrides a check's default severity: {wildcard: error}.
	Severity map[string]string `json:"severity,omitempty"`
	// ExternalRoles are roles provided outside the chart: Role/NAMESPACE/NAME or ClusterRole/NAME.
	ExternalRoles []string `json:"externalRoles,omitempty"`
	// AggregationSelectors select ClusterRoles an aggregating role outside the chart picks up.
	AggregationSelectors []metav1.LabelSelector `json:"aggregationSelectors,omitempty"`
	// WatchNamespaces declare where a workload's program reads the namespaces it watches, when the
	// watch-without-grant heuristics (WATCH_NAMESPACE, --namespace, ...) cannot see it.
	WatchNamespaces []WatchSource `json:"watchNamespaces,omitempty"`
	// ChartRejections takes a render error from the chart's own fail/required or values.schema.json
	// as the chart refusing the combination (Report.Expected), not as a violation. Zero-configuration
	// runs set it: nobody declared expectFailures, and the chart's own validation is not a bug.
	ChartRejections bool `json:"-"`
}

// KnownCheckIDs are the IDs checks.suppress may name: the built-in checks, scope-leak, and the
// verdicts Evaluate gives itself.
func KnownCheckIDs() map[string]bool {
	ids := map[string]bool{"scope-leak": true, "expected-failure": true, "render-error": true}
	for _, c := range rbaccheck.BuiltinChecks() {
		ids[c.ID] = true
	}
	return ids
}

// IsChartRejection tells whether a render error is the chart's own `fail` or `required` refusing the
// values (Helm's "execution error at (template:line:col): message").
func IsChartRejection(err error) bool {
	return strings.Contains(err.Error(), "execution error at (")
}

// IsSchemaRejection tells whether a render error is values.schema.json refusing the values.
func IsSchemaRejection(err error) bool {
	return strings.Contains(err.Error(), "values don't meet the specifications of the schema")
}

// RuntimeGrant declares, for charts that do not render a runtime-rules ConfigMap, that a
// ServiceAccount creates Roles with Rules at runtime, in Namespaces and in the namespaces listed by the
// values paths NamespacesFrom (neither: every namespace). Grantor is NAME (in the release namespace) or
// NAMESPACE/NAME. The runtime-coverage check proves the grantor holds the rules there.
type RuntimeGrant struct {
	Grantor        string              `json:"grantor"`
	Namespaces     []string            `json:"namespaces,omitempty"`
	NamespacesFrom []string            `json:"namespacesFrom,omitempty"`
	Rules          []rbacv1.PolicyRule `json:"rules"`
}

// ScopeRule declares the combinations (matching When) that must stay inside the release namespace and
// the namespaces listed in the values paths NamespacesFrom.
type ScopeRule struct {
	When           map[string]interface{} `json:"when"`
	NamespacesFrom []string               `json:"namespacesFrom,omitempty"`
}

// ExpectFailure declares the combinations (matching When) that must fail to render with Message.
type ExpectFailure struct {
	When    map[string]interface{} `json:"when"`
	Message string                 `json:"message"`
}

// Matches reports whether every path in when is set to the given value in the combination.
func (c Combination) Matches(when map[string]interface{}) bool {
	for path, want := range when {
		got, ok := c.Setting(path)
		if !ok || !reflect.DeepEqual(normalize(got), normalize(want)) {
			return false
		}
	}
	return true
}

func normalize(v interface{}) interface{} {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case []string:
		out := make([]interface{}, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}

// Report is the verdict on one combination.
type Report struct {
	Combination Combination           `json:"-"`
	Name        string                `json:"combination"`
	Objects     int                   `json:"objects"`
	Expected    string                `json:"expectedFailure,omitempty"` // the failure it had to and did give
	Violations  []rbaccheck.Violation `json:"violations"`
	// Acknowledged are the findings an object's workload-rbac.io/allow annotation accepts, with its
	// workload-rbac.io/reason: audited exceptions, listed and never failing.
	Acknowledged []rbaccheck.Violation `json:"acknowledged,omitempty"`
	Model        *rbaccheck.Model      `json:"-"`
}

// Errors counts the violations of severity error.
func (r Report) Errors() int { return len(rbaccheck.Errors(r.Violations)) }

// ModelOptions turns the config into the model options for one combination.
func (cfg CheckConfig) ModelOptions() rbaccheck.ModelOptions {
	opts := rbaccheck.ModelOptions{Suppress: cfg.Suppress, AggregationSelectors: cfg.AggregationSelectors}
	cfg.addOptions(&opts)
	if len(cfg.BuiltinClusterRoles) > 0 {
		opts.BuiltinClusterRoles = rbaccheck.DefaultBuiltinClusterRoles()
		for _, n := range cfg.BuiltinClusterRoles {
			if _, ok := opts.BuiltinClusterRoles[n]; !ok {
				opts.BuiltinClusterRoles[n] = nil
			}
		}
	}
	for _, s := range cfg.ExternalServiceAccounts {
		ns, name, _ := strings.Cut(s, "/")
		opts.ExternalServiceAccounts = append(opts.ExternalServiceAccounts, rbaccheck.ServiceAccountRef{Namespace: ns, Name: name})
	}
	return opts
}

// Evaluate holds one outcome to the config: expected failures must happen with their message, any
// other render error is a violation, and a rendering runs the default checks, any extra checks, and the
// scope check where a ScopeRule matches.
func (cfg CheckConfig) Evaluate(o Outcome, extra ...rbaccheck.Check) Report {
	r := Report{Combination: o.Combination, Name: o.Combination.Name()}
	for _, ef := range cfg.ExpectFailures {
		if !o.Combination.Matches(ef.When) {
			continue
		}
		switch {
		case o.Err == nil:
			r.Violations = append(r.Violations, rbaccheck.Violation{Check: "expected-failure", Severity: rbaccheck.Error, Object: "values",
				Message: fmt.Sprintf("this combination must fail with %q but rendered", ef.Message), Fix: "add the validation (template fail and values.schema.json)"})
		case !strings.Contains(o.Err.Error(), ef.Message):
			r.Violations = append(r.Violations, rbaccheck.Violation{Check: "expected-failure", Severity: rbaccheck.Error, Object: "values",
				Message: fmt.Sprintf("this combination must fail with %q but failed with: %v", ef.Message, o.Err), Fix: "make the error name the keys and the fix"})
		default:
			r.Expected = ef.Message
		}
		return r
	}
	if o.Err != nil && cfg.ChartRejections && (IsChartRejection(o.Err) || IsSchemaRejection(o.Err)) {
		r.Expected = o.Err.Error()
		return r
	}
	var v4Func *helmv4.V4FuncError
	if errors.As(o.Err, &v4Func) {
		r.Violations = append(r.Violations, rbaccheck.Violation{Check: "render-error", Severity: rbaccheck.Error, Object: "templates",
			Message: o.Err.Error(), Fix: "the chart needs Helm v4 (" + v4Func.Func + " is a Helm v4 template function): render with --helm v4 (helm: v4 in the spec), or drop " + v4Func.Func + " from the templates to support Helm v3"})
		return r
	}
	if o.Err != nil {
		r.Violations = append(r.Violations, rbaccheck.Violation{Check: "render-error", Severity: rbaccheck.Error, Object: "values",
			Message: o.Err.Error(), Fix: "the message names the value at fault: change it, fix the chart if the value is valid, or declare the combination under checks.expectFailures if it must be rejected"})
		return r
	}
	r.Objects = len(o.Result.Objects)
	opts := cfg.ModelOptions()
	for _, g := range cfg.RuntimeGrants {
		ns, name, ok := strings.Cut(g.Grantor, "/")
		if !ok {
			ns, name = o.Result.Namespace, g.Grantor
		}
		nss := append(append([]string{}, g.Namespaces...), valueList(o.Combination, g.NamespacesFrom)...)
		if len(nss) == 0 {
			nss = []string{rbaccheck.AllNamespaces}
		}
		opts.RuntimeGrants = append(opts.RuntimeGrants, rbaccheck.RuntimeGrant{Grantor: rbaccheck.ServiceAccountRef{Namespace: ns, Name: name},
			Namespaces: nss, Rules: g.Rules, Source: "spec runtimeGrants (" + g.Grantor + ")"})
	}
	opts.WatchDeclarations = cfg.watchDeclarations(o.Combination)
	m := rbaccheck.NewModel(o.Result.Objects, opts)
	checks := defaultChecks() // shared, read only: copied below before anything is added
	for _, sr := range cfg.NamespaceScoped {
		if o.Combination.Matches(sr.When) {
			allowed := append([]string{o.Result.Namespace}, valueList(o.Combination, sr.NamespacesFrom)...)
			extra = append(slices.Clip(extra), rbaccheck.ScopeCheck(allowed))
		}
	}
	if len(extra) > 0 {
		checks = append(append(make([]rbaccheck.Check, 0, len(checks)+len(extra)), checks...), extra...)
	}
	r.Model = m
	r.Violations, r.Acknowledged = m.RunAll(checks...)
	return r
}

// defaultChecks is rbaccheck.DefaultChecks, built once: Evaluate only reads it.
var defaultChecks = sync.OnceValue(rbaccheck.DefaultChecks)

// valueList gathers the namespaces at the given values paths of a combination: a list, a string, or
// a comma-separated string ("team-a, team-b").
func valueList(c Combination, paths []string) []string {
	var out []string
	for _, p := range paths {
		v, ok := c.Setting(p)
		if !ok {
			continue
		}
		switch x := v.(type) {
		case []interface{}:
			for _, e := range x {
				out = append(out, rbaccheck.SplitNamespaces(fmt.Sprint(e))...)
			}
		case string:
			out = append(out, rbaccheck.SplitNamespaces(x)...)
		case nil:
		default:
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}
