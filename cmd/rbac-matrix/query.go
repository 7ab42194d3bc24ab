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

// renderOne renders the single combination the flags describe; ns is the release namespace it used.
func renderOne(c *common, pos []string) (m *rbaccheck.Model, ns string, err error) {
	res, spec, err := renderResult(c, pos)
	if err != nil {
		return nil, "", err
	}
	return rbaccheck.NewModel(res.Objects, spec.Checks.ModelOptions()), res.Namespace, nil
}

// renderResult renders the single combination the flags describe, or reads rendered manifests.
func renderResult(c *common, pos []string) (*chartrender.Result, *matrix.Spec, error) {
	if c.spec == "" && len(pos) == 1 && isManifestInput(pos[0]) {
		if c.fixesValues() || len(c.axes) > 0 || c.release != "" || c.caps.kubeVersion != "" || len(c.caps.apiVersions) > 0 {
			return nil, nil, usageError{fmt.Sprintf("%s holds rendered manifests: --set, --axis, --release and helm's flags need a chart", pos[0])}
		}
		res, err := chartrender.ReadManifests(pos[0], stdin, c.namespace)
		return res, &matrix.Spec{}, err
	}
	spec, err := c.buildSpec(pos)
	if err != nil {
		return nil, nil, err
	}
	combos, err := matrix.Expand(spec)
	if err != nil {
		return nil, nil, err
	}
	if len(combos) != 1 {
		return nil, nil, usageError{fmt.Sprintf("this command takes one combination, the flags give %d: use --set, not --axis", len(combos))}
	}
	ch, err := spec.LoadChart()
	if err != nil {
		return nil, nil, err
	}
	render, err := matrix.Renderer(ch, "")
	if err != nil {
		return nil, nil, err
	}
	cmb := combos[0]
	res, err := render(cmb.RenderOptions(chartrender.Options{}))
	return res, spec, err
}

// query are the flags of who-can and can-i. -n/--namespace is the request's namespace, as in kubectl;
// --release-namespace is where the chart is installed, and defaults to -n (as helm -n would install it).
type query struct {
	common
	requestNS string
	output    string
}

func (q *query) register(fs *flag.FlagSet) {
	q.registerChart(fs)
	fs.StringVar(&q.namespace, "release-namespace", "", "namespace the chart is installed in (default: the -n namespace, else the spec's, else \"default\")")
	fs.StringVar(&q.requestNS, "namespace", "", "the namespace of the request, as kubectl's -n (default: the release namespace)")
	fs.StringVar(&q.requestNS, "n", "", "shorthand for --namespace")
	fs.StringVar(&q.output, "output", "text", "text or json")
	fs.StringVar(&q.output, "o", "text", "shorthand for --output")
}

// parse parses the flags and applies the release-namespace default.
func (q *query) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if q.output != "text" && q.output != "json" {
		return nil, usageError{fmt.Sprintf("--output %q: use text or json", q.output)}
	}
	if q.namespace == "" {
		q.namespace = q.requestNS
	}
	return pos, nil
}

func cmdWhoCan(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("who-can", flag.ContinueOnError)
	var q query
	q.register(fs)
	pos, err := q.parse(fs, args)
	if err != nil {
		return err
	}
	m, _, err := renderOne(&q.common, pos)
	if err != nil {
		return err
	}
	table := m.WhoCan()
	if q.requestNS != "" {
		// What applies in the namespace: its own grants and the cluster-wide ones.
		var in rbaccheck.Table
		for _, g := range table {
			if g.Scope == "cluster" || g.Scope == q.requestNS {
				in = append(in, g)
			}
		}
		table = in
	}
	if q.output == "json" {
		if table == nil {
			table = rbaccheck.Table{}
		}
		return writeJSON(out, map[string]interface{}{"schemaVersion": schemaVersion, "namespace": q.requestNS, "grants": table})
	}
	_, err = io.WriteString(out, table.String())
	return err
}

func cmdCanI(args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("can-i", flag.ContinueOnError)
	var q query
	q.register(fs)
	as := fs.String("as", "", "the ServiceAccount to ask for, as NAMESPACE/NAME")
	all := fs.Bool("all-namespaces", false, "ask cluster-wide (in every namespace), as kubectl's -A")
	fs.BoolVar(all, "A", false, "shorthand for --all-namespaces")
	in := fs.String("in", "", "deprecated, use -n: the namespace of the request; with --in, -n keeps its old meaning (the release namespace only)")
	pos, err := q.parse(fs, args)
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
	m, releaseNS, err := renderOne(&q.common, pos[:1])
	if err != nil {
		return 0, err
	}
	// --in (the old flag) keeps its old pairing: with it, -n is only the release namespace.
	reqNS := firstNonEmpty(*in, q.requestNS, releaseNS)
	if *all || rbaccheck.IsClusterScopedResource(pos[2]) {
		reqNS = ""
	}
	req := rbaccheck.ParseRequest(pos[1], pos[2], reqNS)
	ok, why := m.CanI(rbaccheck.ServiceAccountRef{Namespace: ns, Name: name}.AsSubject(), req)
	code := exitPass
	if !ok {
		code = exitFindings
	}
	if q.output == "json" {
		return code, writeJSON(out, map[string]interface{}{"schemaVersion": schemaVersion, "allowed": ok, "reason": why,
			"serviceAccount": *as, "verb": req.Verb, "resource": pos[2], "namespace": reqNS})
	}
	answer := "yes"
	if !ok {
		answer = "no"
	}
	fmt.Fprintf(out, "%s (%s)\n", answer, why)
	return code, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
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
