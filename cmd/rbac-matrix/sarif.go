package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// located is one finding for CI formats: a violation once, however many combinations have it, with
// the file it points to.
type located struct {
	rbaccheck.Violation
	file         string   // the template (as a path a CI can open where it exists), "" when unknown
	combinations []string // the combinations that have it
}

// locatedFindings groups the run's violations by check, object and message, in report order.
func (r checkRun) locatedFindings() []located {
	var out []located
	index := map[string]int{}
	add := func(v rbaccheck.Violation, template, combination string) {
		k := v.Check + "\x00" + v.Object + "\x00" + v.Message
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, located{Violation: v, file: r.path(template)})
		}
		out[i].combinations = append(out[i].combinations, combination)
	}
	for _, v := range r.chart.Violations {
		add(v, "", r.chart.Name)
	}
	for i, rep := range r.reports {
		for _, v := range rep.Violations {
			add(v, r.template(i, v), rep.Name)
		}
	}
	return out
}

// path turns a template name ("operator/templates/rbac.yaml") into the file in the chart directory
// when it exists there ("charts/operator/templates/rbac.yaml"), so code scanning can open it.
func (r checkRun) path(template string) string {
	if template == "" || r.chartDir == "" {
		return template
	}
	_, rest, ok := strings.Cut(template, "/")
	if !ok {
		return template
	}
	p := filepath.ToSlash(filepath.Join(r.chartDir, rest))
	if _, err := os.Stat(p); err != nil {
		return template
	}
	return p
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string    `json:"id"`
	ShortDescription     sarifText `json:"shortDescription"`
	Help                 sarifText `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifResult struct {
	RuleID     string                 `json:"ruleId"`
	Level      string                 `json:"level"`
	Message    sarifText              `json:"message"`
	Locations  []sarifLocation        `json:"locations,omitempty"`
	Properties map[string]interface{} `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
}

// sarifRules are the rule descriptions of every check ID a finding can carry.
func sarifRules() []sarifRule {
	var rules []sarifRule
	add := func(id, desc, fix string, sev rbaccheck.Severity) {
		r := sarifRule{ID: id, ShortDescription: sarifText{desc}, Help: sarifText{fix}}
		r.DefaultConfiguration.Level = string(sev)
		rules = append(rules, r)
	}
	for _, c := range rbaccheck.BuiltinChecks() {
		add(c.ID, c.Description, c.Remediation, c.Severity)
	}
	add("render-error", "a combination the chart fails to render", "change the value the message names, or declare the combination under checks.expectFailures", rbaccheck.Error)
	add("expected-failure", "a combination that must fail to render did not, or failed otherwise", "add the validation (template fail and values.schema.json)", rbaccheck.Error)
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return rules
}

// writeSARIF prints the run as SARIF 2.1.0 (GitHub code scanning, GitLab, Azure DevOps): the rule is
// the check ID, the level its severity, the location the template where it is known.
func writeSARIF(out io.Writer, r checkRun) error {
	mod, _ := versions()
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "rbac-matrix", Version: mod,
		InformationURI: "https://github.com/workload-rbac/workload-rbac", Rules: sarifRules()}}, Results: []sarifResult{}}
	for _, f := range r.locatedFindings() {
		res := sarifResult{RuleID: f.Check, Level: string(f.Severity), Message: sarifText{f.Message + " (fix: " + f.Fix + ")"},
			Properties: map[string]interface{}{"object": f.Object, "chart": r.name, "combinations": f.combinations}}
		if f.file != "" {
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = f.file
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	return writeJSON(out, sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// writeGitHub prints GitHub Actions workflow commands, one annotation per finding:
// ::error file=charts/x/templates/rbac.yaml,title=[orphaned-binding] ClusterRoleBinding x::message
func writeGitHub(out io.Writer, r checkRun) error {
	for _, f := range r.locatedFindings() {
		props := "title=" + ghProperty(fmt.Sprintf("[%s] %s", f.Check, f.Object))
		if f.file != "" {
			props = "file=" + ghProperty(f.file) + "," + props
		}
		where := ""
		if n := len(f.combinations); n > 0 && f.combinations[0] != r.chart.Name {
			where = fmt.Sprintf(" (in %d combination(s), e.g. %s)", n, f.combinations[0])
		}
		if _, err := fmt.Fprintf(out, "::%s %s::%s\n", f.Severity, props, ghData(f.Message+where+"; fix: "+f.Fix)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(out, "rbac-matrix %s: %d combinations checked, %d failed at --fail-on %s\n", r.name, len(r.reports), r.failed(), r.failOn)
	return err
}

// ghData escapes a workflow command's message as the Actions runner unescapes it.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
