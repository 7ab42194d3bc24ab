package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"iter"
	"sort"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/discover"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// cmdDiscover prints the axes a zero-configuration `check` would use, and why each candidate was kept
// or dropped.
func cmdDiscover(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	var c common
	c.register(fs)
	output := fs.String("output", "table", "table or json")
	fs.StringVar(output, "o", "table", "shorthand for --output")
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
	ch, err := spec.LoadChart()
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
	size := (&matrix.Spec{Axes: discover.Axes(decisions)}).Size()
	for _, d := range decisions {
		verdict := "DROP"
		if d.Kept {
			verdict = "KEEP"
			kept++
		}
		fmt.Fprintf(out, "%s %s = %s (%s, from %s)\n       %s\n", verdict, d.Path, matrix.Axis{Path: d.Path, Values: d.Values}.Label(), d.Kind, d.Source, d.Reason)
	}
	fmt.Fprintf(out, "%s: %d of %d candidate axes kept; %d combinations in their full product\n", ch.Name(), kept, len(decisions), size)
	return nil
}

// discoverAxes runs the sensitivity pass with the spec's release and fixed (--set) values.
func discoverAxes(ch matrix.Chart, spec *matrix.Spec) ([]discover.Decision, error) {
	fixed := map[string]interface{}{}
	for _, a := range spec.Axes {
		if a.Path != "" && len(a.Values) == 1 {
			if err := matrix.SetPath(fixed, a.Path, a.Values[0]); err != nil {
				return nil, err
			}
		}
	}
	return discover.Discover(context.Background(), ch, discover.Options{ReleaseName: spec.Release.Name, Namespace: spec.Release.Namespace, Values: fixed,
		KubeVersion: spec.KubeVersion, APIVersions: spec.APIVersions})
}

// zeroConfig holds the check flags for discovery, budgets and the summary, and what they produced.
type zeroConfig struct {
	maxCombinations, strength int
	summary, list, force      bool

	discovered []discover.Decision
	coverage   matrix.Coverage
	inert      []string
}

// summaryAbove is how many combinations make the summary the default table output.
const summaryAbove = 32

func (z *zeroConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&z.maxCombinations, "max-combinations", matrix.DefaultMaxCombinations, "above this many combinations, check a t-wise covering array of them instead of all")
	fs.IntVar(&z.strength, "strength", 2, "covering array strength t: every t axes take every tuple of their values together (2: pairwise)")
	fs.BoolVar(&z.summary, "summary", false, fmt.Sprintf("table output: group findings by check and object across combinations (the default above %d combinations or over --max-combinations)", summaryAbove))
	fs.BoolVar(&z.list, "list", false, "table output: one block per combination, however many")
	fs.BoolVar(&z.force, "discover", false, "discover the axes although --set is given (without --spec, --axis and --set they are discovered anyway)")
}

// combinations checks the spec against the chart, discovers the axes when none were given, and
// yields the full product (built one combination at a time as rendering asks) or, over the budget, a
// covering array; z.coverage says how many.
func (z *zeroConfig) combinations(ch matrix.Chart, spec *matrix.Spec, c *common) (iter.Seq2[matrix.Combination, error], error) {
	if z.strength < 1 {
		return nil, usageError{fmt.Sprintf("--strength %d: give 1 or more (2 is pairwise)", z.strength)}
	}
	if err := spec.ValidateChart(ch); err != nil {
		return nil, err
	}
	if c.spec == "" && len(c.axes) == 0 && (!c.fixesValues() || z.force) {
		ds, err := discoverAxes(ch, spec)
		if err != nil {
			return nil, err
		}
		z.discovered = ds
		spec.Axes = append(discover.Axes(ds), spec.Axes...)
		spec.Checks.ChartRejections = true
	}
	combos, cov, err := matrix.ExpandWithinSeq(spec, z.maxCombinations, z.strength)
	z.coverage = cov
	return combos, err
}

// summarize tells whether the table is a summary: asked for, or many combinations (over 32, or a
// covering array of more) and not --list.
func (z *zeroConfig) summarize(combinations int) bool {
	return z.summary || ((combinations > summaryAbove || !z.coverage.Full()) && !z.list)
}

func (z *zeroConfig) writeHeader(out io.Writer, spec *matrix.Spec) {
	if z.discovered != nil {
		var axes []string
		for _, a := range discover.Axes(z.discovered) {
			axes = append(axes, a.String())
		}
		fmt.Fprintf(out, "AXES     discovered %d of %d candidates (rbac-matrix discover says why): %s\n", len(axes), len(z.discovered), strings.Join(axes, " "))
	}
	if !z.coverage.Full() {
		fmt.Fprintf(out, "COVERAGE %s, over --max-combinations %d\n", z.coverage, z.maxCombinations)
	}
}

func (z *zeroConfig) writeFooter(out io.Writer, suppressed map[string]string) {
	ids := make([]string, 0, len(suppressed))
	for id := range suppressed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(out, "suppressed [%s]: %s\n", id, suppressed[id])
	}
	for _, a := range z.inert {
		fmt.Fprintf(out, "warning  axis %s: every value renders identically, so it tests nothing: check its path and values, or drop it\n", a)
	}
}

// reduceAtMost bounds the findings reduce renders again for.
const reduceAtMost = 10

// reduce names, when a covering array was checked, the settings that give each error finding with
// every other axis at its first value (matrix.Reduce): a covering array's rows change many axes at
// once, so the values they share say little.
func (z *zeroConfig) reduce(ch matrix.Chart, spec *matrix.Spec, s matrix.Summary) (matrix.Summary, error) {
	if z.coverage.Full() {
		return s, nil
	}
	done := 0
	for i, f := range s.Findings {
		if f.Severity != rbaccheck.Error || f.Check == "render-error" || done == reduceAtMost {
			continue
		}
		done++
		r, err := matrix.Reduce(context.Background(), ch, spec, f.Combination, f.Check, f.Object)
		if err != nil {
			return s, err
		}
		s.Findings[i].Reproduce = r
	}
	return s, nil
}
