package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
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
	}
	if levels["orphaned-binding"] != "error" || levels["unbound-role"] != "warning" || len(levels) != 2 {
		t.Errorf("levels %v, want orphaned-binding error and unbound-role warning", levels)
	}
}

func TestGitHubAnnotations(t *testing.T) {
	code, out, _ := runCLI(t, "check", "--spec", "../../tests/fixtures/gated-binding/matrix.yaml", "-o", "github")
	want := "::error file=../../tests/fixtures/gated-binding/templates/all.yaml,title=[orphaned-binding] ClusterRoleBinding apps-app::ClusterRoleBinding apps-app references ClusterRole apps-app, which is not rendered"
	if code != exitFindings || !strings.Contains(out, want) || !strings.Contains(out, "::warning file=../../tests/fixtures/gated-binding/templates/all.yaml,title=[unbound-role] ClusterRole apps-app::") {
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
