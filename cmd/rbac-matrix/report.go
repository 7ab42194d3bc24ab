package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// checkRun is one check run, a chart's matrix or rendered manifests: what every output format prints.
type checkRun struct {
	name string // the chart's name, or where the manifests came from
	// chartDir is the chart's directory, to point findings to files in it ("" for manifests).
	chartDir string
	input    string // "chart" or "manifests"
	chart    matrix.Report
	reports  []matrix.Report
	// sources map, per report, each object (as rbaccheck.Describe names it) to its template file.
	sources []map[string]string
	// origins map, per report, each object to where its document starts (manifests input only).
	origins []map[string]chartrender.Origin
	failOn  rbaccheck.Severity
	elapsed time.Duration
}

// sourcesOf maps each rendered object to the template it came from (the `# Source:` of helm template).
func sourcesOf(res *chartrender.Result) map[string]string { return rbaccheck.SourcesOf(res) }

func (r checkRun) template(i int, v rbaccheck.Violation) string {
	if i < 0 || i >= len(r.sources) {
		return ""
	}
	return r.sources[i][v.Object]
}

// failed counts the combinations with a violation at or above --fail-on.
func (r checkRun) failed() int {
	n := 0
	for _, rep := range r.reports {
		if failing(rep, r.failOn) {
			n++
		}
	}
	return n
}

// exit is the run's exit code: findings at or above --fail-on fail it.
func (r checkRun) exit() int {
	if r.failed() > 0 || failing(r.chart, r.failOn) {
		return exitFindings
	}
	return exitPass
}

// jsonFinding is a violation in the JSON report (schemaVersion 1).
type jsonFinding struct {
	rbaccheck.Violation
	Template string `json:"template,omitempty"`
}

// jsonCombination is one combination in the JSON report (schemaVersion 1).
type jsonCombination struct {
	Name            string                 `json:"combination"`
	Values          map[string]interface{} `json:"values"` // axis → value ("namespace", "release", "values" for those axes)
	Objects         int                    `json:"objects"`
	Failed          bool                   `json:"failed"`
	ExpectedFailure string                 `json:"expectedFailure,omitempty"`
	Findings        []jsonFinding          `json:"findings"`
	// Acknowledged are the findings an allow annotation accepts, each with its reason: audited
	// exceptions, listed and never failing.
	Acknowledged []jsonFinding `json:"acknowledged,omitempty"`
}

// jsonReport is the typed, versioned JSON report of `check -o json`.
type jsonReport struct {
	SchemaVersion int                `json:"schemaVersion"`
	Chart         string             `json:"chart"`
	Input         string             `json:"input"`
	FailOn        rbaccheck.Severity `json:"failOn"`
	Failed        int                `json:"failed"`
	Templates     []jsonFinding      `json:"templates"` // findings about the chart's template sources
	Combinations  []jsonCombination  `json:"combinations"`
	Summary       matrix.Summary     `json:"summary"`
	// Set for a chart's matrix only.
	Coverage   interface{} `json:"coverage,omitempty"`
	Discovered interface{} `json:"discovered,omitempty"`
	InertAxes  interface{} `json:"inertAxes,omitempty"`
}

func (r checkRun) jsonReport() jsonReport {
	doc := jsonReport{SchemaVersion: schemaVersion, Chart: r.name, Input: r.input, FailOn: r.failOn, Failed: r.failed(),
		Templates: []jsonFinding{}, Combinations: []jsonCombination{}, Summary: matrix.Summarize(r.reports)}
	for _, v := range r.chart.Violations {
		doc.Templates = append(doc.Templates, jsonFinding{Violation: v})
	}
	for i, rep := range r.reports {
		c := jsonCombination{Name: rep.Name, Values: axisValues(rep.Combination), Objects: rep.Objects, Failed: failing(rep, r.failOn),
			ExpectedFailure: rep.Expected, Findings: []jsonFinding{}}
		for _, v := range rep.Violations {
			c.Findings = append(c.Findings, jsonFinding{Violation: v, Template: r.template(i, v)})
		}
		for _, v := range rep.Acknowledged {
			c.Acknowledged = append(c.Acknowledged, jsonFinding{Violation: v, Template: r.template(i, v)})
		}
		doc.Combinations = append(doc.Combinations, c)
	}
	return doc
}

// axisValues maps each axis of a combination to its value: the typed value for a values path, the
// label's value for a namespace, release, values-file or kubeVersion axis, the list of an apiVersions
// axis.
func axisValues(c matrix.Combination) map[string]interface{} {
	out := map[string]interface{}{}
	for _, s := range c.Settings {
		k, v, _ := strings.Cut(s, "=")
		if k == "apiVersions" {
			out[k] = append([]string{}, c.APIVersions...)
		} else if val, ok := c.Setting(k); ok {
			out[k] = val
		} else {
			out[k] = v
		}
	}
	return out
}

// writeOutput prints the run in a machine format; ok is false for the table, which the caller prints.
func (r checkRun) writeOutput(out io.Writer, format string) (ok bool, err error) {
	switch format {
	case "json":
		return true, writeJSON(out, r.jsonReport())
	case "junit":
		reports := r.reports
		if len(r.chart.Violations) > 0 {
			reports = append([]matrix.Report{r.chart}, reports...)
		}
		return true, writeJUnit(out, r.name, reports, r.failOn, r.elapsed)
	case "sarif":
		return true, writeSARIF(out, r)
	case "github":
		return true, writeGitHub(out, r)
	}
	return false, nil
}

// outputs are the --output formats of check.
var outputs = []string{"table", "json", "junit", "sarif", "github"}

func validOutput(format string) error {
	for _, o := range outputs {
		if o == format {
			return nil
		}
	}
	return usageError{fmt.Sprintf("--output %q: use %s", format, strings.Join(outputs, ", "))}
}
