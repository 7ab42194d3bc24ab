package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/permdiff"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// cmdDiff prints the permission delta between two renderings: two values sets of one chart, two
// charts (or chart versions), or two rendered manifests.
func cmdDiff(args []string, out, _ io.Writer) (int, error) {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	var release, namespace, output string
	var sets, aSets, bSets multi
	fs.StringVar(&release, "release", "", "release name for both charts (default \"release\")")
	fs.StringVar(&namespace, "namespace", "", "release namespace for both charts, and the namespace of manifest objects that set none (default \"default\")")
	fs.StringVar(&namespace, "n", "", "shorthand for --namespace")
	fs.Var(&sets, "set", "PATH=VALUE for both renderings, as helm --set takes it; repeatable")
	fs.Var(&aSets, "a-set", "PATH=VALUE for rendering A only (before); repeatable")
	fs.Var(&bSets, "b-set", "PATH=VALUE for rendering B only (after); repeatable")
	var shared helmValues
	var caps capabilities
	var aFiles, bFiles multi
	var major string
	shared.register(fs)
	registerMajor(fs, &major)
	caps.register(fs)
	fs.Var(&aFiles, "a-values", "a values file for rendering A only, merged over -f; repeatable")
	fs.Var(&bFiles, "b-values", "a values file for rendering B only, merged over -f; repeatable")
	fs.StringVar(&output, "output", "text", "text, json or markdown (for a pull-request comment)")
	fs.StringVar(&output, "o", "text", "shorthand for --output")
	var suppress multi
	fs.Var(&suppress, "suppress", "a risky-grant check ID whose gains are expected (e.g. workload-create for an operator); repeatable")
	failOnGain := fs.Bool("fail-on-gain", false, "exit 1 when an account gains a risky grant (one a risky-grant check flags, e.g. secrets-read, wildcard)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if output != "text" && output != "json" && output != "markdown" {
		return 0, usageError{fmt.Sprintf("--output %q: use text, json or markdown", output)}
	}
	switch len(pos) {
	case 1:
		if len(aSets)+len(bSets)+len(aFiles)+len(bFiles) == 0 {
			return 0, usageError{"diff with one chart compares two values sets: give --a-set/--a-values and/or --b-set/--b-values (or give two charts or manifests)"}
		}
		pos = append(pos, pos[0])
	case 2:
	default:
		return 0, usageError{"diff takes A and B (charts or manifests), or one CHART with --a-set/--b-set"}
	}
	side := func(path string, own, ownFiles multi) (*rbaccheck.Model, string, error) {
		label := path
		if isManifestInput(path) {
			if len(sets)+len(own)+len(ownFiles)+len(shared.files)+len(shared.setJSON)+len(shared.setString)+len(shared.setFile)+len(shared.setLiteral) > 0 || caps.kubeVersion != "" || len(caps.apiVersions) > 0 {
				return nil, "", usageError{fmt.Sprintf("--set, -f and the other helm flags need a chart: %s holds rendered manifests", path)}
			}
			res, err := chartrender.ReadManifests(path, stdin, namespace)
			if err != nil {
				return nil, "", err
			}
			return rbaccheck.NewModel(res.Objects, rbaccheck.ModelOptions{}), label, nil
		}
		c := common{release: release, namespace: namespace, sets: append(append(multi{}, sets...), own...), helm: shared, major: major, caps: caps}
		c.helm.files = append(append(multi{}, shared.files...), ownFiles...)
		m, _, err := renderOne(&c, []string{path})
		label = filepath.Base(filepath.Clean(path))
		for _, f := range ownFiles {
			label += " -f " + f
		}
		for _, s := range own {
			label += " --set " + s
		}
		return m, label, err
	}
	if pos[0] == "-" && pos[1] == "-" {
		return 0, usageError{"only one of A and B can be stdin (-)"}
	}
	a, aLabel, err := side(pos[0], aSets, aFiles)
	if err != nil {
		return 0, fmt.Errorf("rendering A: %w", err)
	}
	b, bLabel, err := side(pos[1], bSets, bFiles)
	if err != nil {
		return 0, fmt.Errorf("rendering B: %w", err)
	}
	ids := map[string]bool{}
	known := matrix.KnownCheckIDs()
	for _, id := range suppress {
		if !known[id] {
			return 0, usageError{fmt.Sprintf("--suppress %q is no check ID: `rbac-matrix checks` lists them", id)}
		}
		ids[id] = true
	}
	d := permdiff.Compute(a, b).Suppress(ids)
	code := exitPass
	if *failOnGain && len(d.RiskyGains()) > 0 {
		code = exitFindings
	}
	switch output {
	case "json":
		return code, writeJSON(out, struct {
			SchemaVersion int    `json:"schemaVersion"`
			A             string `json:"a"`
			B             string `json:"b"`
			permdiff.Delta
			RiskyGains int `json:"riskyGains"`
		}{schemaVersion, aLabel, bLabel, d, len(d.RiskyGains())})
	case "markdown":
		_, err = io.WriteString(out, d.Markdown(fmt.Sprintf("`%s` → `%s`", aLabel, bLabel)))
	default:
		fmt.Fprintf(out, "A: %s\nB: %s\n", aLabel, bLabel)
		_, err = io.WriteString(out, d.Text())
	}
	return code, err
}
