package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// writeSummary prints each finding once, with how many combinations have it and the axis values they
// share, then each rejection cause once.
func writeSummary(out io.Writer, s matrix.Summary) {
	for _, f := range s.Findings {
		fmt.Fprintf(out, "%-8s [%s] %s: %s\n", f.Severity, f.Check, f.Object, where(f.Count, s.Combinations, f.DependsOn))
		msg := f.Message
		if f.Messages > 1 {
			msg = fmt.Sprintf("(%d different messages; the first) %s", f.Messages, msg)
		}
		fmt.Fprintf(out, "         %s\n           fix: %s\n           e.g. %s\n", msg, f.Fix, f.Example)
		if f.Reproduce != nil {
			fmt.Fprintf(out, "           reproduced with every other axis at its first value by: %s\n", strings.Join(f.Reproduce, " "))
		}
	}
	for _, r := range s.Rejections {
		fmt.Fprintf(out, "REJECTED %s\n         %s\n           e.g. %s\n", where(r.Count, s.Combinations, r.DependsOn), strings.Join(strings.Fields(r.Cause), " "), r.Example)
	}
	for _, a := range s.Acknowledged {
		fmt.Fprintf(out, "ACKNOWLEDGED [%s] %s in %d of %d combinations: %s\n", a.Check, a.Object, a.Count, s.Combinations, a.Reason)
	}
}

func where(n, total int, dependsOn []string) string {
	switch {
	case n == total:
		return fmt.Sprintf("in all %d combinations", total)
	case len(dependsOn) == 0:
		return fmt.Sprintf("in %d of %d combinations, no one axis value common to all of them", n, total)
	}
	return fmt.Sprintf("in %d of %d combinations: %s", n, total, strings.Join(dependsOn, ", "))
}

// causeOf is the render-failure cause of r (a required rejection, or a render error), "" for none:
// the table prints each cause once.
func causeOf(r matrix.Report) string {
	if r.Expected != "" {
		return "rejected\x00" + r.Expected
	}
	if len(r.Violations) == 1 && r.Violations[0].Check == "render-error" {
		return "error\x00" + r.Violations[0].Message
	}
	return ""
}
