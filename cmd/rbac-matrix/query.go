package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// renderOne renders the single combination the flags describe.
func renderOne(c *common, pos []string) (*rbaccheck.Model, error) {
	spec, err := c.buildSpec(pos)
	if err != nil {
		return nil, err
	}
	combos, err := matrix.Expand(spec)
	if err != nil {
		return nil, err
	}
	if len(combos) != 1 {
		return nil, usageError{fmt.Sprintf("this command takes one combination, the flags give %d: use --set, not --axis", len(combos))}
	}
	ch, err := chartrender.Load(spec.ChartPath())
	if err != nil {
		return nil, err
	}
	cmb := combos[0]
	res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: cmb.ReleaseName, Namespace: cmb.Namespace, Values: cmb.Values})
	if err != nil {
		return nil, err
	}
	return rbaccheck.NewModel(res.Objects, spec.Checks.ModelOptions()), nil
}

func cmdWhoCan(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("who-can", flag.ContinueOnError)
	var c common
	c.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	m, err := renderOne(&c, pos)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, m.WhoCan().String())
	return err
}

func cmdCanI(args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("can-i", flag.ContinueOnError)
	var c common
	c.register(fs)
	as := fs.String("as", "", "the ServiceAccount to ask for, as NAMESPACE/NAME")
	in := fs.String("in", "", "the namespace of the request (default: cluster-wide)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 3 {
		return 0, usageError{"can-i takes CHART VERB RESOURCE"}
	}
	ns, name, ok := strings.Cut(*as, "/")
	if !ok || ns == "" || name == "" {
		return 0, usageError{fmt.Sprintf("--as %q: want NAMESPACE/SERVICEACCOUNT", *as)}
	}
	m, err := renderOne(&c, pos[:1])
	if err != nil {
		return 0, err
	}
	ok, why := m.CanI(rbaccheck.ServiceAccountRef{Namespace: ns, Name: name}.AsSubject(), rbaccheck.ParseRequest(pos[1], pos[2], *in))
	if ok {
		fmt.Fprintf(out, "yes (%s)\n", why)
		return 0, nil
	}
	fmt.Fprintf(out, "no (%s)\n", why)
	return 1, nil
}

func cmdChecks(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("checks", flag.ContinueOnError)
	format := fs.String("format", "text", "text or markdown (the README's check list)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	checks := rbaccheck.BuiltinChecks()
	sort.Slice(checks, func(i, j int) bool { return checks[i].ID < checks[j].ID })
	switch *format {
	case "text":
		for _, c := range checks {
			fmt.Fprintf(out, "%-31s %-7s %s\n", c.ID, c.Severity, c.Description)
		}
	case "markdown":
		fmt.Fprint(out, checksMarkdown(checks))
	default:
		return usageError{fmt.Sprintf("--format %q: use text or markdown", *format)}
	}
	return nil
}

// checksMarkdown is the README's check list: errors first, then warnings, each by ID.
func checksMarkdown(checks []rbaccheck.Check) string {
	var b strings.Builder
	b.WriteString("| Check | Default severity | Finds | Fix |\n| --- | --- | --- | --- |\n")
	for _, sev := range []rbaccheck.Severity{rbaccheck.Error, rbaccheck.Warning} {
		for _, c := range checks {
			if c.Severity == sev {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.ID, c.Severity, mdCell(c.Description), mdCell(c.Remediation))
			}
		}
	}
	return b.String()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
