// Package valuesdoc turns a chart's values.yaml, commented in the `# --` dialect (with `# @schema`
// keywords), into the values table of a README and the chart's whole values.schema.json.
//
// A documented key is one whose head comment starts with "# --"; the comment lines that follow it (until
// the key) continue the description. Maps without their own comment are walked into; a documented key is
// a leaf of the table even when its value is a map or a list.
package valuesdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Row is one documented value.
type Row struct {
	Key         string // dotted path, e.g. rbac.namespaceScoped
	Type        string // bool, string, int, list, object
	Default     string // the default as compact JSON
	Description string
}

// Parse reads a values.yaml and returns its documented keys in file order. It fails on a leaf (a scalar
// or list) that has no `# --` comment, naming the key, so no value ships undocumented.
func Parse(path string) ([]Row, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the top level is not a map", path)
	}
	var rows []Row
	if err := walk(doc.Content[0], "", &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

func walk(m *yaml.Node, prefix string, rows *[]Row) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := dotted(prefix, k.Value)
		desc, documented := description(k.HeadComment)
		if !documented {
			if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
				if err := walk(v, key, rows); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("value %s has no `# --` comment: document it in values.yaml", key)
		}
		def, err := compactJSON(v)
		if err != nil {
			return fmt.Errorf("value %s: %w", key, err)
		}
		*rows = append(*rows, Row{Key: key, Type: typeOf(v), Default: def, Description: desc})
	}
	return nil
}

func description(head string) (string, bool) {
	lines := strings.Split(head, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# --") {
			start = i
		}
	}
	if start < 0 {
		return "", false
	}
	var parts []string
	for i, l := range lines[start:] {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if strings.HasPrefix(l, annotation) {
			continue
		}
		if i == 0 {
			l = strings.TrimSpace(strings.TrimPrefix(l, "--"))
		}
		if l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " "), true
}

func typeOf(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "object"
	}
	switch v.Tag {
	case "!!bool":
		return "bool"
	case "!!int":
		return "int"
	case "!!float":
		return "number"
	}
	return "string"
}

func compactJSON(v *yaml.Node) (string, error) {
	var x interface{}
	if err := v.Decode(&x); err != nil {
		return "", err
	}
	b, err := json.Marshal(x)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Markdown renders rows as a Markdown table. Long defaults (rule lists) are elided to keep it readable.
func Markdown(rows []Row) string {
	var b bytes.Buffer
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, r := range rows {
		def := r.Default
		if len(def) > 60 {
			def = "see values.yaml"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Key, r.Type, def, mdEscape(r.Description))
	}
	return b.String()
}

// Markers returns the comment lines that delimit the generated table of chart name in a README.
func Markers(chart string) (start, end string) {
	return "<!-- values-table:" + chart + ":start -->", "<!-- values-table:" + chart + ":end -->"
}

// Splice replaces the text between the chart's markers in readme with table. It fails when the markers
// are missing, so a README that lost them is noticed.
func Splice(readme, chart, table string) (string, error) {
	start, end := Markers(chart)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %s ... %s markers for chart %s", start, end, chart)
	}
	return readme[:i+len(start)] + "\n" + table + readme[j:], nil
}

// mdEscape keeps a description literal in a Markdown table: pipes would split the cell and <name> would
// be taken for an HTML tag.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}
