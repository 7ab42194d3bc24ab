// Command values-doc regenerates (or, with -check, verifies) what derives from each chart's `# --`
// commented values.yaml: the values tables of the root README and of the chart's own README.md (what
// `helm show readme` prints), and its whole values.schema.json (structure, types, descriptions and
// defaults from values.yaml and its `# @schema` annotations, the chart's cross-field rules from
// values.schema.fragments.json, and the rule policy "$defs" of pkg/valuesdoc).
//
//	go run ./cmd/values-doc -readme README.md charts/operator charts/registry-server
//	go run ./cmd/values-doc -check -readme README.md charts/operator charts/registry-server
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/workload-rbac/workload-rbac/pkg/valuesdoc"
)

func main() {
	readme := flag.String("readme", "README.md", "the README holding the tables between values-table markers")
	check := flag.Bool("check", false, "fail instead of writing when a generated file is out of date")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: values-doc [-check] [-readme README.md] CHART_DIR...")
		os.Exit(2)
	}
	if err := run(*readme, *check, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "values-doc:", err)
		os.Exit(1)
	}
}

// run computes every generated file, then writes the ones that changed, or with check lists them.
func run(readmePath string, check bool, charts []string) error {
	want := map[string][]byte{}
	splice := func(path, chart, table string) error {
		text, ok := want[path]
		if !ok {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			text = data
		}
		out, err := valuesdoc.Splice(string(text), chart, table)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		want[path] = []byte(out)
		return nil
	}
	for _, dir := range charts {
		rows, err := valuesdoc.Parse(filepath.Join(dir, "values.yaml"))
		if err != nil {
			return err
		}
		chart, table := filepath.Base(dir), valuesdoc.Markdown(rows)
		for _, readme := range []string{readmePath, filepath.Join(dir, "README.md")} {
			if err := splice(readme, chart, table); err != nil {
				return err
			}
		}
		schemaPath := filepath.Join(dir, "values.schema.json")
		if want[schemaPath], err = valuesdoc.BuildSchema(dir); err != nil {
			return err
		}
	}
	var drifted []string
	for path, data := range want {
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, data) {
			drifted = append(drifted, path)
		}
	}
	sort.Strings(drifted)
	if check {
		if len(drifted) > 0 {
			return fmt.Errorf("out of date with the charts' values.yaml: %s: run `make generate-docs`", strings.Join(drifted, ", "))
		}
		return nil
	}
	for _, path := range drifted {
		if err := os.WriteFile(path, want[path], 0o644); err != nil {
			return err
		}
	}
	return nil
}
