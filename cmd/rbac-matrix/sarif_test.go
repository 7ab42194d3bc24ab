package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestSARIFOutput(t *testing.T) {
	code, out, errOut := runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "-o", "sarif")
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				Properties struct {
					Object       string
					Combinations []string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || code != exitFindings || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("exit %d %v\n%s%s", code, err, out, errOut)
	}
	requireSARIF(t, out)
	lines := map[string]int{}
	run := log.Runs[0]
	rules := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if rules[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		rules[r.ID] = true
	}
	levels := map[string]string{}
	for _, r := range run.Results {
		if !rules[r.RuleID] {
			t.Errorf("result with ruleId %s, which no rule describes", r.RuleID)
		}
		if len(r.Locations) != 1 {
			t.Fatalf("result %s without a location", r.RuleID)
		}
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if uri != "../../tests/fixtures/gated-binding/templates/all.yaml" {
			t.Errorf("location %q, want the template file", uri)
		}
		if _, err := os.Stat(uri); err != nil {
			t.Errorf("location %q is no file: %v", uri, err)
		}
		levels[r.RuleID] = r.Level
		lines[r.RuleID] = r.Locations[0].PhysicalLocation.Region.StartLine
	}
	// The lines of all.yaml that write `kind: ClusterRole` and `kind: ClusterRoleBinding`.
	if lines["unbound-role"] != 17 || lines["orphaned-binding"] != 24 {
		t.Errorf("lines %v, want unbound-role at 17 and orphaned-binding at 24", lines)
	}
	if levels["orphaned-binding"] != "error" || levels["unbound-role"] != "warning" || len(levels) != 2 {
		t.Errorf("levels %v, want orphaned-binding error and unbound-role warning", levels)
	}
}

func TestGitHubAnnotations(t *testing.T) {
	code, out, _ := runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "-o", "github")
	want := "::error file=../../tests/fixtures/gated-binding/templates/all.yaml,line=24,title=[orphaned-binding] ClusterRoleBinding apps-app::ClusterRoleBinding apps-app references ClusterRole apps-app, which is not rendered"
	if code != exitFindings || !strings.Contains(out, want) || !strings.Contains(out, "::warning file=../../tests/fixtures/gated-binding/templates/all.yaml,line=17,title=[unbound-role] ClusterRole apps-app::") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if got := ghProperty("a,b:c%\n"); got != "a%2Cb%3Ac%25%0A" {
		t.Errorf("ghProperty: %q", got)
	}
	if got := ghData("50% done\nnext"); got != "50%25 done%0Anext" {
		t.Errorf("ghData: %q", got)
	}
}

// Rendered manifests point to their # Source: template as it is.
func TestSARIFOfManifestsPointsToTheSource(t *testing.T) {
	stdin = strings.NewReader(renderedManifest(t, "../../tests/fixtures/gated-binding", map[string]interface{}{"rbac": map[string]interface{}{"create": true}}))
	defer func() { stdin = os.Stdin }()
	code, out, _ := runCLI(t, "check", "-", "-o", "sarif")
	if code != exitFindings || !strings.Contains(out, `"uri": "gated-binding/templates/all.yaml"`) || !strings.Contains(out, `"ruleId": "orphaned-binding"`) {
		t.Errorf("exit %d\n%s", code, out)
	}
	if strings.Contains(out, `"region"`) {
		t.Errorf("a line of stdin given as a line of the template:\n%s", out)
	}
	requireSARIF(t, out)
}

// Manifests read from a file point to that file and the line where the object starts; the template
// stays a property.
func TestSARIFOfAManifestsFileGivesTheLine(t *testing.T) {
	rendered := "# a GitOps repository's rendered file\n" + renderedManifest(t, "../../tests/fixtures/gated-binding", map[string]interface{}{"rbac": map[string]interface{}{"create": true}})
	file := writeFile(t, t.TempDir(), "rendered.yaml", rendered)
	want := 0
	for i, l := range strings.Split(rendered, "\n") {
		if l == "kind: ClusterRoleBinding" {
			want = i // the apiVersion line above it, 1-based
		}
	}
	code, out, _ := runCLI(t, "check", file, "-o", "sarif")
	requireSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				Properties struct{ Template string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || code != exitFindings || len(log.Runs[0].Results) == 0 {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	r := log.Runs[0].Results[0]
	for _, x := range log.Runs[0].Results {
		if x.RuleID == "orphaned-binding" {
			r = x
		}
	}
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "orphaned-binding" || loc.ArtifactLocation.URI != file || loc.Region.StartLine != want || want < 3 || r.Properties.Template != "gated-binding/templates/all.yaml" {
		t.Errorf("want %s line %d: %+v", file, want, r)
	}
	if lines := strings.Split(rendered, "\n"); !strings.HasPrefix(lines[loc.Region.StartLine-1], "apiVersion:") {
		t.Errorf("line %d is %q, not where the object starts", loc.Region.StartLine, lines[loc.Region.StartLine-1])
	}
}

// Acknowledged exceptions (workload-rbac.io/allow with a reason) are results with an inSource
// suppression carrying the reason, not dropped; GitHub annotations leave them out.
func TestSARIFSuppressionsForAcknowledgedFindings(t *testing.T) {
	spec := "../../tests/matrix/kube-api-gateway.yaml"
	code, out, errOut := runCLI(t, "check", "--spec", spec, "-o", "sarif")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	requireSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct{ Kind, Status, Justification string }
				Properties   struct{ Object string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	suppressed := 0
	for _, r := range log.Runs[0].Results {
		if len(r.Suppressions) != 1 {
			t.Errorf("result %s %s without its suppression (the run passes, so every result is acknowledged)", r.RuleID, r.Properties.Object)
			continue
		}
		s := r.Suppressions[0]
		if r.RuleID != "secrets-read" || s.Kind != "inSource" || s.Status != "accepted" || !strings.HasPrefix(s.Justification, "reads the kubeconfig Secrets") {
			t.Errorf("result %s %s: suppression %+v", r.RuleID, r.Properties.Object, s)
		}
		suppressed++
	}
	if suppressed == 0 {
		t.Errorf("no acknowledged finding in SARIF:\n%s", out)
	}
	if code, out, _ := runCLI(t, "check", "--spec", spec, "-o", "github"); code != 0 || strings.Contains(out, "secrets-read") {
		t.Errorf("github: exit %d, an acknowledged finding annotated:\n%s", code, out)
	}
}

// requireSARIF validates out against the SARIF 2.1.0 JSON schema (OASIS, errata 01).
func requireSARIF(t *testing.T, out string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	schema, err := c.Compile("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("not SARIF 2.1.0: %v", err)
	}
}

// The JSON report is versioned, each combination an axis → typed value map, each finding with its
// check, severity, object and template.
func TestJSONReportIsTypedAndVersioned(t *testing.T) {
	code, out, _ := runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "-o", "json")
	var doc map[string]interface{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFindings {
		t.Fatalf("exit %d %v", code, err)
	}
	if doc["schemaVersion"] != float64(1) || doc["input"] != "chart" || doc["failed"] != float64(1) {
		t.Errorf("header: %v %v %v", doc["schemaVersion"], doc["input"], doc["failed"])
	}
	third := doc["combinations"].([]interface{})[2].(map[string]interface{})
	values := third["values"].(map[string]interface{})
	if values["rbac.create"] != true || values["clusterWide"] != false || third["failed"] != true {
		t.Errorf("combination 3: %v", third)
	}
	f := third["findings"].([]interface{})[0].(map[string]interface{})
	if f["check"] != "orphaned-binding" || f["severity"] != "error" || f["object"] != "ClusterRoleBinding apps-app" || f["template"] != "gated-binding/templates/all.yaml" {
		t.Errorf("finding: %v", f)
	}
}

// A template that writes a kind once gives its line; one that writes it twice (or not at all, as
// when a library include renders the object) gives none rather than a guess.
func TestKindLineOnlyWhenTheTemplateWritesTheKindOnce(t *testing.T) {
	file := writeFile(t, t.TempDir(), "rbac.yaml", "apiVersion: v1\nkind: \"ServiceAccount\"\n---\nkind: Role\n---\n  kind: Role\n{{ include \"lib.rbac\" . }}\n")
	k := kindLines{}
	if got := k.line(file, "ServiceAccount"); got != 2 {
		t.Errorf("ServiceAccount at %d, want 2", got)
	}
	for _, kind := range []string{"Role", "RoleBinding"} {
		if got := k.line(file, kind); got != 0 {
			t.Errorf("%s at %d, want 0 (unknown)", kind, got)
		}
	}
}
