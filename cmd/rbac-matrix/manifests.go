package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// stdin is where `check -` reads manifests (tests replace it).
var stdin io.Reader = os.Stdin

// isManifestInput tells rendered manifests ("-", a file that is no packaged chart, a directory
// without Chart.yaml) from a chart. A path that does not exist is taken as a chart, so the error
// names the chart.
func isManifestInput(p string) bool {
	if p == "-" {
		return true
	}
	if _, err := os.Stat(p); err != nil {
		return false
	}
	return !chartrender.IsChartDir(p)
}

// manifestFlags are the check flags that apply to rendered manifests; the others need a chart.
var manifestFlags = map[string]bool{"output": true, "o": true, "fail-on": true, "suppress": true, "external-role": true,
	"external-serviceaccount": true, "namespace": true, "n": true, "quiet": true, "who-can": true}

// checkManifests runs every check that needs no rendering on manifests already rendered (by helm
// template, a GitOps pipeline, or by hand), each finding pointing to its `# Source:` template.
func checkManifests(fs *flag.FlagSet, path, output string, failOn rbaccheck.Severity, namespace string, out io.Writer) (int, error) {
	var cfg matrix.CheckConfig
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !manifestFlags[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
		switch f.Name {
		case "suppress":
			cfg.Suppress = map[string]string{}
			for _, id := range *f.Value.(*multi) {
				cfg.Suppress[id] = "--suppress"
			}
		case "external-role":
			cfg.ExternalRoles = *f.Value.(*multi)
		case "external-serviceaccount":
			cfg.ExternalServiceAccounts = *f.Value.(*multi)
		}
	})
	if len(bad) > 0 {
		sort.Strings(bad)
		verb := "need"
		if len(bad) == 1 {
			verb = "needs"
		}
		return 0, usageError{fmt.Sprintf("%s %s a chart: %s holds rendered manifests, which are checked as they are (render them with the values you want, e.g. helm template --set ...)", strings.Join(bad, ", "), verb, path)}
	}
	if strings.Contains(namespace, ",") {
		return 0, usageError{fmt.Sprintf("--namespace %q: rendered manifests have one default namespace", namespace)}
	}
	if err := (&matrix.Spec{Chart: path, Checks: cfg}).Validate(); err != nil { // the checks config; the path is not read as a chart
		return 0, usageError{err.Error()}
	}
	start := time.Now()
	res, err := chartrender.ReadManifests(path, stdin, namespace)
	if err != nil {
		return 0, err
	}
	name := path
	if path == "-" {
		name = "stdin"
	}
	if len(res.Objects) == 0 {
		return 0, fmt.Errorf("%s holds no Kubernetes object: nothing to check (did the command that rendered it fail?)", name)
	}
	rep := cfg.Evaluate(matrix.Outcome{Combination: matrix.Combination{Settings: []string{"manifests=" + name}, Namespace: res.Namespace}, Result: res})
	result := checkRun{name: name, input: "manifests", reports: []matrix.Report{rep}, sources: []map[string]string{sourcesOf(res)},
		origins: []map[string]chartrender.Origin{rbaccheck.OriginsOf(res)}, failOn: failOn, elapsed: time.Since(start)}
	if ok, err := result.writeOutput(out, output); ok || err != nil {
		return result.exit(), err
	}
	status := "PASS"
	if result.failed() > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(out, "%-8s %s: objects=%d errors=%d warnings=%d\n", status, name, rep.Objects, rep.Errors(), len(rep.Violations)-rep.Errors())
	for _, v := range rep.Violations {
		fmt.Fprintf(out, "         %s [%s] %s\n", v.Severity, v.Check, v.Message)
		if t := result.template(0, v); t != "" {
			fmt.Fprintf(out, "           template: %s\n", t)
		}
		fmt.Fprintf(out, "           fix: %s\n", v.Fix)
	}
	return result.exit(), nil
}
