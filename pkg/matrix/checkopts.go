package matrix

import (
	"fmt"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// WatchSource declares where a workload's program reads the namespaces it watches: an env var, a
// flag, or a values path (a list, a string, or a comma-separated string; empty means every namespace).
// Workload is "Kind/name" or "Kind/namespace/name". In YAML:
//
//	watchNamespaces:
//	  - {workload: Deployment/rel-op, env: SCOPE_NAMESPACES}
//	  - {workload: Deployment/rel-op, arg: --scope}
//	  - {workload: Deployment/rel-op, valuesPath: scope.namespaces}
type WatchSource struct {
	Workload   string `json:"workload"`
	Env        string `json:"env,omitempty"`
	Arg        string `json:"arg,omitempty"`
	ValuesPath string `json:"valuesPath,omitempty"`
}

// Validate reports the first malformed entry of the new check options, naming it and the fix.
func (cfg CheckConfig) Validate() error {
	for id, s := range cfg.Severity {
		if _, err := rbaccheck.ParseSeverity(s); err != nil {
			return fmt.Errorf("checks.severity.%s: %w", id, err)
		}
	}
	for _, r := range cfg.ExternalRoles {
		if _, err := rbaccheck.ParseRoleRef(r); err != nil {
			return fmt.Errorf("checks.externalRoles: %w", err)
		}
	}
	for _, s := range cfg.ExternalServiceAccounts {
		if _, err := rbaccheck.ParseServiceAccountRef(s); err != nil {
			return fmt.Errorf("checks.externalServiceAccounts: %w", err)
		}
	}
	for i, w := range cfg.WatchNamespaces {
		set := 0
		for _, s := range []string{w.Env, w.Arg, w.ValuesPath} {
			if s != "" {
				set++
			}
		}
		kind, name, _ := strings.Cut(w.Workload, "/")
		if kind == "" || name == "" {
			return fmt.Errorf("checks.watchNamespaces[%d].workload %q: want Kind/name, e.g. Deployment/rel-operator", i, w.Workload)
		}
		if set != 1 {
			return fmt.Errorf("checks.watchNamespaces[%d] (%s) sets %d of env, arg, valuesPath: set exactly one", i, w.Workload, set)
		}
	}
	return nil
}

// validateWatchPaths requires each watchNamespaces valuesPath to be an axis of the spec: the namespaces
// are read from each combination's values, and a path no combination sets would read as "every
// namespace".
func (s *Spec) validateWatchPaths() error {
	axes := map[string]bool{}
	for _, a := range s.Axes {
		axes[a.Path] = true
	}
	for i, w := range s.Checks.WatchNamespaces {
		if w.ValuesPath != "" && !axes[w.ValuesPath] {
			return fmt.Errorf("checks.watchNamespaces[%d].valuesPath %q is not an axis: add an axis (or --set) with its values, since the namespaces are read from each combination", i, w.ValuesPath)
		}
	}
	return nil
}

// addOptions adds the per-check severities and external roles to the model options.
func (cfg CheckConfig) addOptions(opts *rbaccheck.ModelOptions) {
	for id, s := range cfg.Severity {
		if opts.Severity == nil {
			opts.Severity = map[string]rbaccheck.Severity{}
		}
		opts.Severity[id] = rbaccheck.Severity(s) // checked by Validate
	}
	for _, r := range cfg.ExternalRoles {
		if ref, err := rbaccheck.ParseRoleRef(r); err == nil {
			opts.ExternalRoles = append(opts.ExternalRoles, ref)
		}
	}
}

// watchDeclarations resolves the spec's watch sources for one combination: a values path is read
// from the combination's values.
func (cfg CheckConfig) watchDeclarations(c Combination) []rbaccheck.WatchDeclaration {
	var out []rbaccheck.WatchDeclaration
	for _, w := range cfg.WatchNamespaces {
		d := rbaccheck.WatchDeclaration{Workload: w.Workload, Env: w.Env, Arg: w.Arg}
		if w.ValuesPath != "" {
			d.FromValues, d.Namespaces = true, valueList(c, []string{w.ValuesPath})
		}
		out = append(out, d)
	}
	return out
}
