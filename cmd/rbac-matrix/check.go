package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

func cmdCheck(args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var c common
	c.register(fs)
	output := fs.String("output", "table", "table, json (schemaVersion 1), junit, sarif (SARIF 2.1.0) or github (workflow annotations)")
	fs.StringVar(output, "o", "table", "shorthand for --output")
	whoCan := fs.Bool("who-can", false, "print the who-can-do-what-where table of every combination (table output)")
	parallel := fs.Int("parallel", 0, "render workers (default: one per CPU)")
	quiet := fs.Bool("quiet", false, "table output: print only combinations with violations, and the summary")
	var z zeroConfig
	z.register(fs)
	var suppress multi
	fs.Var(&suppress, "suppress", "check ID to skip; repeatable")
	failOnFlag := fs.String("fail-on", "error", "error or warning: the lowest severity that fails a combination (exit 1)")
	var extRoles, extAccounts multi
	fs.Var(&extRoles, "external-role", "Role/NAMESPACE/NAME or ClusterRole/NAME provided outside the chart; repeatable")
	fs.Var(&extAccounts, "external-serviceaccount", "NAMESPACE/NAME of a ServiceAccount provided outside the chart; repeatable")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	failOn, err := rbaccheck.ParseSeverity(*failOnFlag)
	if err != nil {
		return 0, usageError{"--fail-on: " + err.Error()}
	}
	if err := validOutput(*output); err != nil {
		return 0, err
	}
	if len(pos) == 1 && isManifestInput(pos[0]) {
		return checkManifests(fs, pos[0], *output, failOn, c.namespace, out)
	}
	spec, err := c.buildSpec(pos)
	if err != nil {
		return 0, err
	}
	for _, id := range suppress {
		if spec.Checks.Suppress == nil {
			spec.Checks.Suppress = map[string]string{}
		}
		spec.Checks.Suppress[id] = "--suppress"
	}
	spec.Checks.ExternalRoles = append(spec.Checks.ExternalRoles, extRoles...)
	spec.Checks.ExternalServiceAccounts = append(spec.Checks.ExternalServiceAccounts, extAccounts...)
	if err := spec.Validate(); err != nil {
		return 0, usageError{err.Error()}
	}
	start := time.Now()
	ch, err := spec.LoadChart()
	if err != nil {
		return 0, err
	}
	combos, err := z.combinations(ch, spec, &c)
	if err != nil {
		return 0, err
	}
	ctx, stop := interruptible()
	defer stop()
	outcomes, interrupted := checkedSoFar(ctx, matrix.Render(ctx, ch, combos, *parallel))
	reports := make([]matrix.Report, len(outcomes))
	sources := make([]map[string]string, len(outcomes))
	for i, o := range outcomes {
		reports[i] = spec.Checks.Evaluate(o)
		sources[i] = sourcesOf(o.Result)
	}
	// Checks of the chart's template sources hold whatever the values: they run once.
	chartReport := matrix.Report{Name: "chart templates", Violations: spec.Checks.EvaluateChart(ch)}
	z.inert = matrix.InertAxes(spec, outcomes)
	result := checkRun{name: ch.Name(), chartDir: spec.ChartPath(), input: "chart", chart: chartReport, reports: reports, sources: sources, failOn: failOn, elapsed: time.Since(start)}
	switch *output {
	case "json":
		doc := result.jsonReport()
		doc.Coverage, doc.Discovered, doc.InertAxes = z.coverage, z.discovered, z.inert
		if err := writeJSON(out, doc); err != nil {
			return 0, err
		}
	default:
		if ok, err := result.writeOutput(out, *output); ok || err != nil {
			if err == nil {
				err = interrupted
			}
			return result.exit(), err
		}
		for _, v := range chartReport.Violations {
			fmt.Fprintf(out, "CHART    %s [%s] %s\n           fix: %s\n", v.Severity, v.Check, v.Message, v.Fix)
		}
		z.writeHeader(out, spec)
		if z.summarize(len(reports)) {
			sum, err := z.reduce(ch, spec, matrix.Summarize(reports))
			if err != nil {
				return 0, err
			}
			writeSummary(out, sum)
		} else {
			writeTable(out, reports, failOn, *whoCan, *quiet)
		}
		z.writeFooter(out, spec.Checks.Suppress)
		writeTotals(out, ch.Name(), reports, failOn, result.elapsed)
	}
	return result.exit(), interrupted
}

// failing reports whether a combination has a violation at or above the --fail-on severity.
func failing(r matrix.Report, failOn rbaccheck.Severity) bool {
	return len(rbaccheck.AtLeast(r.Violations, failOn)) > 0
}

func writeTable(out io.Writer, reports []matrix.Report, failOn rbaccheck.Severity, whoCan, quiet bool) {
	causes := countCauses(reports)
	for _, r := range reports {
		status := "PASS"
		switch {
		case failing(r, failOn):
			status = "FAIL"
		case r.Expected != "":
			status = "REJECTED"
		}
		if quiet && len(r.Violations) == 0 && len(r.Acknowledged) == 0 {
			continue
		}
		detail := fmt.Sprintf("objects=%d errors=%d warnings=%d", r.Objects, r.Errors(), len(r.Violations)-r.Errors())
		if r.Expected != "" {
			detail = "fails as required: " + r.Expected
		}
		more, first := causes.once(r)
		if !first {
			continue // a render failure is reported once per cause
		}
		fmt.Fprintf(out, "%-8s %s: %s%s\n", status, r.Name, detail, more)
		for _, v := range r.Violations {
			fmt.Fprintf(out, "         %s [%s] %s\n           fix: %s\n", v.Severity, v.Check, v.Message, v.Fix)
		}
		for _, v := range r.Acknowledged {
			fmt.Fprintf(out, "         acknowledged [%s] %s\n           reason: %s\n", v.Check, v.Message, v.Reason)
		}
		if whoCan && r.Model != nil {
			for _, line := range strings.Split(strings.TrimRight(r.Model.WhoCan().String(), "\n"), "\n") {
				fmt.Fprintf(out, "         %s\n", line)
			}
		}
	}
}

// writeTotals is the last line of the table and the summary.
func writeTotals(out io.Writer, chart string, reports []matrix.Report, failOn rbaccheck.Severity, elapsed time.Duration) {
	failed, expected, warnings := 0, 0, 0
	for _, r := range reports {
		if failing(r, failOn) {
			failed++
		} else if r.Expected != "" {
			expected++
		}
		warnings += len(r.Violations) - r.Errors()
	}
	fmt.Fprintf(out, "%s: %d combinations checked in %s (%.0f/s): %d passed, %d failed, %d rejected as required, %d warnings\n",
		chart, len(reports), elapsed.Round(time.Millisecond), float64(len(reports))/elapsed.Seconds(), len(reports)-failed-expected, failed, expected, warnings)
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Class   string        `xml:"classname,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
	Output  string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(out io.Writer, chart string, reports []matrix.Report, failOn rbaccheck.Severity, elapsed time.Duration) error {
	s := junitSuite{Name: "rbac-matrix " + chart, Tests: len(reports), Time: elapsed.Seconds()}
	for _, r := range reports {
		c := junitCase{Name: r.Name, Class: chart}
		var lines []string
		for _, v := range r.Violations {
			lines = append(lines, v.String())
		}
		if failing(r, failOn) {
			s.Failures++
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d RBAC violations", len(rbaccheck.AtLeast(r.Violations, failOn))), Text: strings.Join(lines, "\n")}
		} else if len(lines) > 0 {
			c.Output = strings.Join(lines, "\n")
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(out, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(out)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(out, "\n")
	return err
}
