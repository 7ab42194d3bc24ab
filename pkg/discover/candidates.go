// Package discover finds a chart's matrix axes from its values.yaml, values.schema.json and templates, and keeps those a sensitivity pass shows to change its RBAC.
package discover

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// Kinds of candidate axes.
const (
	Boolean    = "boolean"
	Enum       = "enum"
	Namespaces = "namespaces"
)

// Candidate is a values path that may be worth an axis, with the values it would take. When the chart
// sets a default, Values[0] is it; otherwise Values[0] is nil (unset, the chart's own default).
type Candidate struct {
	Path   string        `json:"path"`
	Kind   string        `json:"kind"`
	Source string        `json:"source"` // where it was found: values.yaml, values.schema.json, templates
	Values []interface{} `json:"values"`
	// Undeclared: only templates name it, neither values.yaml nor the schema; no axis is made of it.
	Undeclared bool `json:"undeclared,omitempty"`
}

// Namespace names a namespace candidate takes besides its default.
var exampleNamespaces = []string{"team-a", "team-b"}

// Candidates lists the boolean, enumerated and namespace paths of the chart (its own values and schema;
// the values of its dependencies are left to their own charts), sorted by path. Enums come from a
// schema `enum` or from literals the templates compare the value with (`eq .Values.x "lit"`).
func Candidates(c matrix.Chart) ([]Candidate, error) {
	ch, err := matrix.V3(c)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*Candidate{}
	add := func(c Candidate) {
		if old, ok := byPath[c.Path]; ok {
			if old.Kind == Boolean || (old.Kind == Enum && c.Kind != Enum) {
				return // a boolean stays one; a schema enum beats a guess
			}
		}
		byPath[c.Path] = &c
	}
	walkValues(ch.Values, "", func(path, key string, v interface{}) {
		switch x := v.(type) {
		case bool:
			add(Candidate{Path: path, Kind: Boolean, Source: "values.yaml", Values: []interface{}{x, !x}})
		case string, []interface{}:
			if isNamespaceKey(key) {
				add(Candidate{Path: path, Kind: Namespaces, Source: "values.yaml", Values: namespaceValues(x)})
			}
		}
	})
	if len(ch.Schema) > 0 {
		var schema map[string]interface{}
		if err := json.Unmarshal(ch.Schema, &schema); err != nil {
			return nil, fmt.Errorf("%s: values.schema.json: %w", ch.Name(), err)
		}
		walkSchema(schema, "", func(path, key string, prop map[string]interface{}) {
			def, hasDef := matrix.GetPath(ch.Values, path)
			if enum, ok := prop["enum"].([]interface{}); ok && len(enum) > 0 {
				add(Candidate{Path: path, Kind: Enum, Source: "values.schema.json enum", Values: withDefault(def, hasDef, enum)})
				return
			}
			if hasDef {
				return // values.yaml already said what it is
			}
			switch prop["type"] {
			case "boolean":
				add(Candidate{Path: path, Kind: Boolean, Source: "values.schema.json", Values: []interface{}{nil, false, true}})
			case "string", "array":
				if isNamespaceKey(key) {
					var zero interface{} = ""
					if prop["type"] == "array" {
						zero = []interface{}{}
					}
					add(Candidate{Path: path, Kind: Namespaces, Source: "values.schema.json", Values: append([]interface{}{nil}, namespaceValues(zero)...)})
				}
			}
		})
	}
	for path, lits := range templateLiterals(ch) {
		def, hasDef := matrix.GetPath(ch.Values, path)
		if _, isBool := def.(bool); isBool {
			continue
		}
		undeclared := !matrix.Declares(ch, path)
		vals := make([]interface{}, len(lits))
		for i, l := range lits {
			vals[i] = l
		}
		add(Candidate{Path: path, Kind: Enum, Source: "templates: eq .Values." + path + " " + strings.Join(quoteAll(lits), ", "), Values: withDefault(def, hasDef, vals), Undeclared: undeclared})
	}
	out := make([]Candidate, 0, len(byPath))
	for _, c := range byPath {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// isNamespaceKey tells whether a values key names a namespace or a list of them (namespace,
// watchNamespaces, leaderElectionNamespace, namespacesToWatch ...), not a selector or a flag.
func isNamespaceKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "namespace") && !strings.Contains(k, "selector") && !strings.Contains(k, "label")
}

// namespaceValues are the default then none, one and two namespaces, in the default's shape: a list,
// or a string (one name, or a comma-separated list).
func namespaceValues(def interface{}) []interface{} {
	var alts []interface{}
	if _, isList := def.([]interface{}); isList {
		alts = []interface{}{[]interface{}{}, []interface{}{exampleNamespaces[0]}, []interface{}{exampleNamespaces[0], exampleNamespaces[1]}}
	} else {
		alts = []interface{}{"", exampleNamespaces[0], strings.Join(exampleNamespaces, ",")}
	}
	return withDefault(def, true, alts)
}

// withDefault puts the default (nil when unset) first, then the other values once each.
func withDefault(def interface{}, hasDef bool, vals []interface{}) []interface{} {
	out := []interface{}{def}
	if !hasDef {
		out[0] = nil
	}
	for _, v := range vals {
		dup := false
		for _, o := range out {
			if reflect.DeepEqual(o, v) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func walkValues(m map[string]interface{}, prefix string, visit func(path, key string, v interface{})) {
	for k, v := range m {
		path := join(prefix, k)
		if sub, ok := v.(map[string]interface{}); ok {
			walkValues(sub, path, visit)
			continue
		}
		visit(path, k, v)
	}
}

func walkSchema(s map[string]interface{}, prefix string, visit func(path, key string, prop map[string]interface{})) {
	props, _ := s["properties"].(map[string]interface{})
	for k, p := range props {
		prop, ok := p.(map[string]interface{})
		if !ok {
			continue
		}
		path := join(prefix, k)
		if _, nested := prop["properties"]; nested {
			walkSchema(prop, path, visit)
			continue
		}
		visit(path, k, prop)
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

var (
	valuesRef  = `\$?\.Values((?:\.[A-Za-z0-9_]+)+)`
	eqValueLit = regexp.MustCompile(`\b(?:eq|ne)\s+` + valuesRef + `\s+"([^"]*)"`)
	eqLitValue = regexp.MustCompile(`\b(?:eq|ne)\s+"([^"]*)"\s+` + valuesRef)
)

// templateLiterals maps each values path the chart's own templates compare with string literals to
// those literals, sorted.
func templateLiterals(ch *chart.Chart) map[string][]string {
	seen := map[string]map[string]bool{}
	note := func(path, lit string) {
		path = strings.TrimPrefix(path, ".")
		if seen[path] == nil {
			seen[path] = map[string]bool{}
		}
		seen[path][lit] = true
	}
	for _, t := range ch.Templates {
		text := string(t.Data)
		for _, m := range eqValueLit.FindAllStringSubmatch(text, -1) {
			note(m[1], m[2])
		}
		for _, m := range eqLitValue.FindAllStringSubmatch(text, -1) {
			note(m[2], m[1])
		}
	}
	out := map[string][]string{}
	for path, lits := range seen {
		for l := range lits {
			out[path] = append(out[path], l)
		}
		sort.Strings(out[path])
	}
	return out
}
