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
// the file and line it points to.
type located struct {
	rbaccheck.Violation
	template string // the template it came from (helm's # Source), "" when unknown
	file     string // the template (as a path a CI can open where it exists), or the manifests file; "" when unknown
	// line is the 1-based line in file (0: unknown). For a chart it is the line of the template source
	// that writes the object's `kind:`, given only when that template writes the kind exactly once; for
	// manifests read from a file, the line of that file where the object starts.
	line int
	// acknowledged: an allow annotation accepts it, with Violation.Reason as the justification.
	acknowledged bool
	combinations []string // the combinations that have it
}

// locatedFindings groups the run's violations, then its acknowledged findings, by check, object and
// message, in report order.
func (r checkRun) locatedFindings() []located {
	var out []located
	index := map[string]int{}
	kinds := kindLines{}
	add := func(v rbaccheck.Violation, i int, combination string, acknowledged bool) {
		k := fmt.Sprint(acknowledged) + "\x00" + v.Check + "\x00" + v.Object + "\x00" + v.Message
		at, ok := index[k]
		if !ok {
			at = len(out)
			index[k] = at
			f := located{Violation: v, acknowledged: acknowledged, template: r.template(i, v)}
			f.file, f.line = r.locate(i, v, f.template, kinds)
			out = append(out, f)
		}
		out[at].combinations = append(out[at].combinations, combination)
	}
	for _, v := range r.chart.Violations {
		add(v, -1, r.chart.Name, false)
	}
	for i, rep := range r.reports {
		for _, v := range rep.Violations {
			add(v, i, rep.Name, false)
		}
	}
	for i, rep := range r.reports {
		for _, v := range rep.Acknowledged {
			add(v, i, rep.Name, true)
		}
	}
	return out
}

// locate is the file and line a finding about v.Object in report i points to: the manifests file and
// the object's line there when manifests were read from a file; else the template file in the chart
// directory and the line writing the object's kind (kindLines).
func (r checkRun) locate(i int, v rbaccheck.Violation, template string, kinds kindLines) (string, int) {
	if i >= 0 && i < len(r.origins) {
		if at, ok := r.origins[i][v.Object]; ok && at.File != "stdin" {
			if _, err := os.Stat(at.File); err == nil {
				return filepath.ToSlash(at.File), at.Line
			}
		}
	}
	file := r.path(template)
	if file == template { // not a file of the chart directory
		return file, 0
	}
	kind, _, _ := strings.Cut(v.Object, " ")
	return file, kinds.line(file, kind)
}

// kindLines finds, per template source file, the line that writes `kind: KIND`, kept per file.
type kindLines map[string][]string

// line is the 1-based line of file that writes `kind: kind`, or 0 when none or several do (a loop,
// an include from a library, two objects of the kind): then the file is known but not the line.
func (k kindLines) line(file, kind string) int {
	lines, ok := k[file]
	if !ok {
		data, err := os.ReadFile(file)
		if err == nil {
			lines = strings.Split(string(data), "\n")
		}
		k[file] = lines
	}
	found := 0
	for n, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "kind:"))
		if strings.HasPrefix(strings.TrimSpace(l), "kind:") && strings.Trim(t, `"'`) == kind {
			if found != 0 {
				return 0
			}
			found = n + 1
		}
	}
	return found
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
	RuleID       string                 `json:"ruleId"`
	Level        string                 `json:"level"`
	Message      sarifText              `json:"message"`
	Locations    []sarifLocation        `json:"locations,omitempty"`
	Suppressions []sarifSuppression     `json:"suppressions,omitempty"`
	Properties   map[string]interface{} `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifSuppression is an acknowledged finding: the allow annotation sits on the object in the chart
// (kind inSource), its reason annotation is the justification.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
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
// the check ID, the level its severity, the location the template (and line, see located) where it is
// known. Acknowledged findings are results with an inSource suppression whose justification is the
// object's reason annotation, so code scanning shows them as dismissed rather than losing them.
func writeSARIF(out io.Writer, r checkRun) error {
	mod, _ := versions()
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "rbac-matrix", Version: mod,
		InformationURI: "https://github.com/workload-rbac/workload-rbac", Rules: sarifRules()}}, Results: []sarifResult{}}
	for _, f := range r.locatedFindings() {
		res := sarifResult{RuleID: f.Check, Level: string(f.Severity), Message: sarifText{f.Message + " (fix: " + f.Fix + ")"},
			Properties: map[string]interface{}{"object": f.Object, "chart": r.name, "combinations": f.combinations}}
		if f.template != "" {
			res.Properties["template"] = f.template
		}
		if f.file != "" {
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = f.file
			if f.line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.line}
			}
			res.Locations = []sarifLocation{loc}
		}
		if f.acknowledged {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Status: "accepted", Justification: f.Reason}}
		}
		run.Results = append(run.Results, res)
	}
	return writeJSON(out, sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// writeGitHub prints GitHub Actions workflow commands, one annotation per finding:
// ::error file=charts/x/templates/rbac.yaml,title=[orphaned-binding] ClusterRoleBinding x::message
func writeGitHub(out io.Writer, r checkRun) error {
	for _, f := range r.locatedFindings() {
		if f.acknowledged {
			continue // an audited exception is no annotation
		}
		props := "title=" + ghProperty(fmt.Sprintf("[%s] %s", f.Check, f.Object))
		if f.file != "" {
			if f.line > 0 {
				props = fmt.Sprintf("line=%d,", f.line) + props
			}
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
