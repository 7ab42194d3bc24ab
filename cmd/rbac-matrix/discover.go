package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/discover"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// cmdDiscover prints the axes a zero-configuration `check` would use, and why each candidate was kept
// or dropped.
func cmdDiscover(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	var c common
	c.register(fs)
	output := fs.String("output", "table", "table or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return usageError{fmt.Sprintf("--output %q: use table or json", *output)}
	}
	if c.spec != "" || len(c.axes) > 0 {
		return usageError{"discover finds the axes itself: give CHART, and --set for values to hold fixed, not --spec or --axis"}
	}
	spec, err := c.buildSpec(pos)
	if err != nil {
		return err
	}
	ch, err := chartrender.Load(spec.ChartPath())
	if err != nil {
		return err
	}
	decisions, err := discoverAxes(ch, spec)
	if err != nil {
		return err
	}
	if *output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]interface{}{"chart": ch.Name(), "candidates": decisions})
	}
	kept := 0
	size := 1
	for _, d := range decisions {
		verdict := "DROP"
		if d.Kept {
			verdict = "KEEP"
			kept++
			size *= len(d.Values)
		}
		fmt.Fprintf(out, "%s %s = %s (%s, from %s)\n       %s\n", verdict, d.Path, matrix.Axis{Path: d.Path, Values: d.Values}.Label(), d.Kind, d.Source, d.Reason)
	}
	fmt.Fprintf(out, "%s: %d of %d candidate axes kept; %d combinations in their full product\n", ch.Name(), kept, len(decisions), size)
	return nil
}

// discoverAxes runs the sensitivity pass with the spec's release and fixed (--set) values.
func discoverAxes(ch *chart.Chart, spec *matrix.Spec) ([]discover.Decision, error) {
	fixed := map[string]interface{}{}
	for _, a := range spec.Axes {
		if a.Path != "" && len(a.Values) == 1 {
			if err := matrix.SetPath(fixed, a.Path, a.Values[0]); err != nil {
				return nil, err
			}
		}
	}
	return discover.Discover(context.Background(), ch, discover.Options{ReleaseName: spec.Release.Name, Namespace: spec.Release.Namespace, Values: fixed})
}
