// Command values-doc regenerates (or, with -check, verifies) the values tables in README.md from each
// chart's `# --` commented values.yaml, and fails when a documented key is missing from the chart's
// values.schema.json.
//
//	go run ./cmd/values-doc -readme README.md charts/operator charts/registry-server
//	go run ./cmd/values-doc -check -readme README.md charts/operator charts/registry-server
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/workload-rbac/workload-rbac/pkg/valuesdoc"
)

func main() {
	readme := flag.String("readme", "README.md", "the README holding the tables between values-table markers")
	check := flag.Bool("check", false, "fail instead of writing when the README is out of date")
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

func run(readmePath string, check bool, charts []string) error {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	text := string(data)
	for _, dir := range charts {
		rows, err := valuesdoc.Parse(filepath.Join(dir, "values.yaml"))
		if err != nil {
			return err
		}
		gaps, err := valuesdoc.SchemaGaps(filepath.Join(dir, "values.schema.json"), rows)
		if err != nil {
			return err
		}
		if len(gaps) > 0 {
			return fmt.Errorf("%s/values.schema.json does not declare %v: add them to the schema", dir, gaps)
		}
		if text, err = valuesdoc.Splice(text, filepath.Base(dir), valuesdoc.Markdown(rows)); err != nil {
			return err
		}
	}
	if text == string(data) {
		return nil
	}
	if check {
		return fmt.Errorf("%s is out of date with the charts' values.yaml: run `make generate-docs`", readmePath)
	}
	return os.WriteFile(readmePath, []byte(text), 0o644)
}
