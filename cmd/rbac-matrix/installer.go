package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/installer"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// cmdInstallerRBAC derives the RBAC of the account that installs the chart over the whole matrix, proves
// it offline against every combination, and prints it as YAML.
func cmdInstallerRBAC(args []string, out, stderr io.Writer) error {
	fs := flag.NewFlagSet("installer-rbac", flag.ContinueOnError)
	var c common
	c.register(fs)
	sa := fs.String("service-account", "", "the installing account, NAMESPACE/NAME (required)")
	mode := fs.String("grant-mode", installer.GrantEscalate, "escalate (hold every rule the chart's roles grant) or bind (bind/escalate on the chart's roles by name)")
	allowLookup := fs.Bool("allow-lookup", false, "derive from templates that call lookup, rendered without cluster data")
	parallel := fs.Int("parallel", 0, "render workers (default: one per CPU)")
	var resources multi
	fs.Var(&resources, "resource", "Kind.group=plural[,cluster]: the resource of a kind that is neither built in nor defined by the chart's CRDs; repeatable")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	ns, name, ok := strings.Cut(*sa, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return usageError{fmt.Sprintf("--service-account %q: give the installing account as NAMESPACE/NAME", *sa)}
	}
	if *mode != installer.GrantEscalate && *mode != installer.GrantBind {
		return usageError{fmt.Sprintf("--grant-mode %q: use %s or %s", *mode, installer.GrantEscalate, installer.GrantBind)}
	}
	opts := installer.Options{ServiceAccount: rbaccheck.ServiceAccountRef{Namespace: ns, Name: name}, GrantMode: *mode, AllowLookup: *allowLookup,
		Resources: map[string]installer.Resource{}}
	for _, r := range resources {
		k, v, err := installer.ParseResource(r)
		if err != nil {
			return usageError{err.Error()}
		}
		opts.Resources[k] = v
	}
	spec, err := c.buildSpec(pos)
	if err != nil {
		return err
	}
	start := time.Now()
	rendered, err := installer.RenderSpec(context.Background(), spec, *parallel)
	if err != nil {
		return err
	}
	res, err := installer.Derive(rendered, opts)
	if err != nil {
		return err
	}
	if vs := res.Prove(rendered); len(vs) > 0 {
		return fmt.Errorf("the derived RBAC does not cover the chart (a bug in the derivation): %s", vs[0].Message)
	}
	fmt.Fprint(out, res.YAML())
	fmt.Fprintf(stderr, "installer-rbac: %s: %d rules over %d combinations, derived and proved in %s\n", res.Chart, res.RuleCount(), res.Combinations, time.Since(start).Round(time.Millisecond))
	return nil
}
