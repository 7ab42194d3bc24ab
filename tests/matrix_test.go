package tests

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// TestMatrix walks every combination of both charts' flags (tests/matrix/*.yaml): each must render
// without a single violation of the built-in checks (orphans, scope, runtime escalation coverage,
// risky grants), hold the chart's own promises, and match its golden who-can-do-what-where table;
// each invalid combination must fail with its exact message.
func TestMatrix(t *testing.T) {
	for chart, r := range renderAll(t) {
		chart, r := chart, r
		seen := map[string]bool{}
		for _, o := range r.outcomes {
			o := o
			name := sentence(chart, o.Combination)
			t.Run(name, func(t *testing.T) {
				rep := r.spec.Checks.Evaluate(o)
				for _, v := range rep.Violations {
					t.Errorf("%s", v)
				}
				if rep.Expected != "" || o.Err != nil {
					return
				}
				switch chart {
				case "operator":
					assertOperatorPromises(t, o)
				case "registry-server":
					assertRegistryServerPromises(t, o)
				default:
					promises, ok := seedChartPromises[chart]
					if !ok {
						t.Fatalf("no promises declared for chart %s (tests/seedcharts_test.go)", chart)
					}
					promises(t, o)
				}
				assertLeastPrivilege(t, o)
				path := goldenPath(chart, o.Combination)
				seen[filepath.Base(path)] = true
				checkGolden(t, path, rep.Model.WhoCan().String())
			})
		}
		t.Run(chart+" has no stale golden files", func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("testdata", "golden", chart, "*.txt"))
			var stale []string
			for _, f := range files {
				if !seen[filepath.Base(f)] {
					stale = append(stale, f)
				}
			}
			sort.Strings(stale)
			if len(stale) > 0 && *update {
				for _, f := range stale {
					_ = os.Remove(f)
				}
				return
			}
			if len(stale) > 0 {
				t.Errorf("golden files for combinations the matrix no longer has: %s (run `make generate-golden`)", strings.Join(stale, ", "))
			}
		})
	}
}

// sentence names a subtest so that it reads as what it checks.
func sentence(chart string, c matrix.Combination) string {
	return chart + " with " + c.Name()
}
