package tests

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

var update = flag.Bool("update", false, "rewrite the golden who-can tables (testdata/golden) and manifests (testdata/manifests)")

// specs are the matrices of our charts, shared with `make check`.
var specs = []string{"matrix/operator.yaml", "matrix/registry-server.yaml", "matrix/watchlist-operator.yaml", "matrix/tenant-operator.yaml", "matrix/kube-api-gateway.yaml"}

type rendered struct {
	spec     *matrix.Spec
	outcomes []matrix.Outcome
}

var (
	renderOnce sync.Once
	renders    map[string]rendered
	renderErr  error
)

// renderAll renders every combination of both charts once per test binary (in parallel, in-process).
func renderAll(t testing.TB) map[string]rendered {
	t.Helper()
	renderOnce.Do(func() {
		renders = map[string]rendered{}
		for _, path := range specs {
			spec, err := matrix.LoadSpec(path)
			if err != nil {
				renderErr = err
				return
			}
			ch, err := chartrender.Load(spec.ChartPath())
			if err != nil {
				renderErr = err
				return
			}
			combos, err := matrix.Expand(spec)
			if err != nil {
				renderErr = err
				return
			}
			renders[filepath.Base(spec.Chart)] = rendered{spec, matrix.Render(context.Background(), ch, combos, 0)}
		}
	})
	if renderErr != nil {
		t.Fatal(renderErr)
	}
	return renders
}

var unsafeFileChars = regexp.MustCompile(`[^a-zA-Z0-9.=_+-]+`)

// goldenPath names a combination's golden file.
func goldenPath(chart string, c matrix.Combination) string {
	name := strings.NewReplacer(`=[]`, "=none", `=""`, "=default", "[", "", "]", "", ",", "+", " ", "__").Replace(c.Name())
	name = unsafeFileChars.ReplaceAllString(name, "-")
	return filepath.Join("testdata", "golden", chart, name+".txt")
}

// readGolden returns the golden file at path, or with -update rewrites it with got and returns "", false.
func readGolden(t *testing.T, path, got string) (string, bool) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return "", false
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file %s: run `make generate-golden` and review the diff", path)
	}
	return string(want), true
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	want, ok := readGolden(t, path, got)
	if !ok {
		return
	}
	if want != got {
		t.Errorf("who-can table differs from %s (run `make generate-golden` if the change is intended):\n%s", path, lineDiff(want, got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+): the table is sorted, so a set
// difference is the semantic diff.
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[strings.Join(strings.Fields(l), " ")] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var lines []string
	for l := range w {
		if !g[l] {
			lines = append(lines, "- "+l)
		}
	}
	for l := range g {
		if !w[l] {
			lines = append(lines, "+ "+l)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
