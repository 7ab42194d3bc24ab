package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// streamer checks each combination as matrix.RenderStream hands it over, prints its table row at
// once when the table is per combination, and keeps only what the outputs need at the end: the report
// without its model, and the template of each object a finding names. Renderings and models are
// dropped as soon as the combination is checked, so memory does not grow with the renderings.
type streamer struct {
	checks  matrix.CheckConfig
	table   *tableWriter // nil: nothing printed per combination
	inert   *matrix.InertTracker
	reports []matrix.Report
	sources []map[string]string
}

func (s *streamer) add(o matrix.Outcome) error {
	rep := s.checks.Evaluate(o)
	s.inert.Add(o)
	if s.table != nil {
		s.table.row(rep)
	}
	rep.Model = nil
	s.reports = append(s.reports, rep)
	s.sources = append(s.sources, findingSources(o.Result, rep))
	return nil
}

// findingSources is sourcesOf for only the objects rep's findings name (nil when none).
func findingSources(res *chartrender.Result, rep matrix.Report) map[string]string {
	if res == nil || len(rep.Violations)+len(rep.Acknowledged) == 0 {
		return nil
	}
	named := map[string]bool{}
	for _, v := range append(append([]rbaccheck.Violation{}, rep.Violations...), rep.Acknowledged...) {
		named[v.Object] = true
	}
	out := map[string]string{}
	for i, o := range res.Objects {
		if d := rbaccheck.Describe(o); named[d] && i < len(res.Manifests) {
			out[d] = res.Manifests[i].Name
		}
	}
	return out
}

// tableWriter prints the per-combination table a row at a time, in combination order; a render
// failure shared by several combinations is printed once, and finish says how many more had it.
type tableWriter struct {
	out           io.Writer
	failOn        rbaccheck.Severity
	whoCan, quiet bool
	first         map[string]string // cause → the combination printed for it
	more          map[string]int    // cause → combinations not printed
	causes        []string          // in the order first seen
}

func newTableWriter(out io.Writer, failOn rbaccheck.Severity, whoCan, quiet bool) *tableWriter {
	return &tableWriter{out: out, failOn: failOn, whoCan: whoCan, quiet: quiet, first: map[string]string{}, more: map[string]int{}}
}

func (t *tableWriter) row(r matrix.Report) {
	if t.quiet && len(r.Violations) == 0 && len(r.Acknowledged) == 0 {
		return
	}
	if k := causeOf(r); k != "" {
		if _, seen := t.first[k]; seen {
			t.more[k]++
			return // a render failure is reported once per cause
		}
		t.first[k] = r.Name
		t.causes = append(t.causes, k)
	}
	status := "PASS"
	switch {
	case failing(r, t.failOn):
		status = "FAIL"
	case r.Expected != "":
		status = "REJECTED"
	}
	detail := fmt.Sprintf("objects=%d errors=%d warnings=%d", r.Objects, r.Errors(), len(r.Violations)-r.Errors())
	if r.Expected != "" {
		detail = "fails as required: " + r.Expected
	}
	fmt.Fprintf(t.out, "%-8s %s: %s\n", status, r.Name, detail)
	for _, v := range r.Violations {
		fmt.Fprintf(t.out, "         %s [%s] %s\n           fix: %s\n", v.Severity, v.Check, v.Message, v.Fix)
	}
	for _, v := range r.Acknowledged {
		fmt.Fprintf(t.out, "         acknowledged [%s] %s\n           reason: %s\n", v.Check, v.Message, v.Reason)
	}
	if t.whoCan && r.Model != nil {
		for _, line := range strings.Split(strings.TrimRight(r.Model.WhoCan().String(), "\n"), "\n") {
			fmt.Fprintf(t.out, "         %s\n", line)
		}
	}
}

// finish prints, per render-failure cause shared by several combinations, how many were not listed.
func (t *tableWriter) finish() {
	for _, k := range t.causes {
		if n := t.more[k]; n > 0 {
			fmt.Fprintf(t.out, "         (and %d more combinations for the same cause as %s, not listed)\n", n, t.first[k])
		}
	}
}
