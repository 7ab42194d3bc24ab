package helmcli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// cliWorkspace copies charts/ and templates-lib/ into a temp dir and vendors the library into each
// chart with cli (helm dependency build), as `helm template` from a checkout needs, without touching
// the checkout.
func cliWorkspace(t *testing.T, cli string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"charts", "templates-lib"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join("..", "..", d))); err != nil {
			t.Fatal(err)
		}
	}
	charts, _ := filepath.Glob(filepath.Join(dir, "charts", "*", "Chart.yaml"))
	for _, c := range charts {
		chartDir := filepath.Dir(c)
		os.RemoveAll(filepath.Join(chartDir, "charts"))
		os.Remove(filepath.Join(chartDir, "Chart.lock"))
		if out, err := exec.Command(cli, "dependency", "build", chartDir).CombinedOutput(); err != nil {
			t.Fatalf("%s dependency build %s: %v\n%s", cli, chartDir, err, out)
		}
	}
	return dir
}

// doc is one rendered document: the template it came from and its parsed YAML as canonical JSON.
type doc struct{ source, body string }

// appendDoc appends content (from template source) parsed to ds, unless it holds no YAML value.
func appendDoc(ds []doc, source, content string) ([]doc, error) {
	var v interface{}
	if err := yaml.Unmarshal([]byte(content), &v); err != nil {
		return ds, fmt.Errorf("%s: %w", source, err)
	}
	if v == nil {
		return ds, nil
	}
	b, _ := json.Marshal(v)
	return append(ds, doc{source, string(b)}), nil
}

func sortDocs(ds []doc) {
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].source != ds[j].source {
			return ds[i].source < ds[j].source
		}
		return ds[i].body < ds[j].body
	})
}

// cliDocs parses `helm template` output: documents separated by ---, each led by "# Source: PATH".
func cliDocs(out string) ([]doc, error) {
	var ds []doc
	var err error
	for _, part := range strings.Split("\n"+out, "\n---") {
		source := ""
		if _, rest, ok := strings.Cut(part, "# Source: "); ok {
			source, _, _ = strings.Cut(rest, "\n")
		}
		if ds, err = appendDoc(ds, source, part); err != nil {
			return nil, err
		}
	}
	sortDocs(ds)
	return ds, nil
}

func resultDocs(res *chartrender.Result) ([]doc, error) {
	var ds []doc
	var err error
	for _, m := range res.Manifests {
		if ds, err = appendDoc(ds, m.Name, m.Content); err != nil {
			return nil, err
		}
	}
	sortDocs(ds)
	return ds, nil
}

// TestRendersEqualHelmTemplateOfBothMajors renders every combination of every spec under tests/matrix/
// (every chart in charts/ over its full matrix) in-process with Helm v3 and with Helm v4, and forks
// the real CLI of the same major (`helm template` v3.22, `helm4 template` v4.3.1) for each: the parsed
// documents must be equal, or both must fail, the CLI with the in-process error message.
func TestRendersEqualHelmTemplateOfBothMajors(t *testing.T) {
	specs, _ := filepath.Glob("../matrix/*.yaml")
	if len(specs) < 5 {
		t.Fatalf("found %d specs under tests/matrix/", len(specs))
	}
	for _, major := range []string{matrix.HelmV3, matrix.HelmV4} {
		t.Run("helm "+major, func(t *testing.T) {
			t.Parallel()
			cli := CLI(t, major)
			work := cliWorkspace(t, cli)
			valuesDir := t.TempDir()
			var equal, failing int
			for _, specPath := range specs {
				spec, err := matrix.LoadSpec(specPath)
				if err != nil {
					t.Fatal(err)
				}
				spec.Helm = major
				ch, err := spec.LoadChart()
				if err != nil {
					t.Fatal(err)
				}
				render, err := matrix.Renderer(ch, major)
				if err != nil {
					t.Fatal(err)
				}
				combos, err := matrix.Expand(spec)
				if err != nil {
					t.Fatal(err)
				}
				chartDir := filepath.Join(work, "charts", filepath.Base(spec.ChartPath()))
				var mu sync.Mutex
				var wg sync.WaitGroup
				jobs := make(chan int)
				for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range jobs {
							ok, failed, err := compareWithCLI(cli, chartDir, filepath.Join(valuesDir, fmt.Sprintf("%s-%d.yaml", filepath.Base(specPath), i)), render, combos[i])
							mu.Lock()
							if err != nil {
								t.Errorf("helm %s, %s, %s: %v", major, specPath, combos[i].Name(), err)
							}
							if ok {
								equal++
								if failed {
									failing++
								}
							}
							mu.Unlock()
						}
					}()
				}
				for i := range combos {
					jobs <- i
				}
				close(jobs)
				wg.Wait()
			}
			t.Logf("helm %s: %d combinations over %d charts equal to %s template (%d of them failing with the same error)", major, equal, len(specs), filepath.Base(cli), failing)
		})
	}
}

// compareWithCLI renders c in-process and with cli, through a values file at valuesFile.
func compareWithCLI(cli, chartDir, valuesFile string, render func(chartrender.Options) (*chartrender.Result, error), c matrix.Combination) (equal, failed bool, err error) {
	data, err := yaml.Marshal(c.Values)
	if err != nil {
		return false, false, err
	}
	if err := os.WriteFile(valuesFile, data, 0o644); err != nil {
		return false, false, err
	}
	cmd := exec.Command(cli, "template", c.ReleaseName, chartDir, "-n", c.Namespace, "-f", valuesFile)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cliErr := cmd.Run()
	res, err := render(chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values})
	switch {
	case err != nil && cliErr == nil:
		return false, false, fmt.Errorf("in-process fails (%v), the CLI renders", err)
	case err == nil && cliErr != nil:
		return false, false, fmt.Errorf("the CLI fails (%v: %s), in-process renders", cliErr, stderr.String())
	case err != nil:
		if !strings.Contains(stderr.String(), err.Error()) {
			return false, false, fmt.Errorf("both fail, differently:\n in-process: %v\n CLI: %s", err, stderr.String())
		}
		return true, true, nil
	}
	want, err := cliDocs(stdout.String())
	if err != nil {
		return false, false, err
	}
	got, err := resultDocs(res)
	if err != nil {
		return false, false, err
	}
	if len(want) != len(got) {
		return false, false, fmt.Errorf("%d documents, the CLI has %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			return false, false, fmt.Errorf("document %d differs:\n CLI: %s %s\n in-process: %s %s", i, want[i].source, want[i].body, got[i].source, got[i].body)
		}
	}
	return true, false, nil
}
