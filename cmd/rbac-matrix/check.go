package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
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
	realCrypto := fs.Bool("real-crypto", false, "genPrivateKey, genCA, genSelfSignedCert and genSignedCert make fresh keys on every call, as Helm does (slow), instead of drawing from a pool of keys made once per run (either Helm major)")
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
	total := z.coverage.Combinations
	// Checks of the chart's template sources hold whatever the values: they run once.
	chartReport := matrix.Report{Name: "chart templates", Violations: spec.Checks.EvaluateChart(ch)}
	st := &streamer{checks: spec.Checks, inert: matrix.NewInertTracker(spec)}
	if *output == "table" && !z.summarize(total) { // the table prints each combination as it is checked
		writeChartFindings(out, chartReport)
		z.writeHeader(out, spec)
		st.table = newTableWriter(out, failOn, *whoCan, *quiet)
	}
	ctx, stop := interruptible()
	defer stop()
	var expandErr error
	runOpts := matrix.RunOptions{Workers: *parallel, Render: chartrender.Options{RealCrypto: *realCrypto}}
	var interrupted error
	if err := matrix.RenderStream(ctx, ch, matrix.Combinations(combos, &expandErr), runOpts, st.add); err != nil {
		if ctx.Err() == nil {
			return 0, err
		}
		interrupted = fmt.Errorf("interrupted: %d of %d combinations checked (reported above); the rest were not rendered", len(st.reports), total)
	}
	if expandErr != nil {
		return 0, expandErr
	}
	reports := st.reports
	z.inert = st.inert.Axes()
	result := checkRun{name: ch.Name(), chartDir: spec.ChartPath(), input: "chart", chart: chartReport, reports: reports, sources: st.sources, failOn: failOn, elapsed: time.Since(start)}
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
		if st.table != nil {
			st.table.finish()
		} else {
			writeChartFindings(out, chartReport)
			z.writeHeader(out, spec)
			sum, err := z.reduce(ch, spec, matrix.Summarize(reports))
			if err != nil {
				return 0, err
			}
			writeSummary(out, sum)
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

func writeChartFindings(out io.Writer, chartReport matrix.Report) {
	for _, v := range chartReport.Violations {
		fmt.Fprintf(out, "CHART    %s [%s] %s\n           fix: %s\n", v.Severity, v.Check, v.Message, v.Fix)
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
