package valuesdoc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestParseReadsDocumentedKeysInOrder(t *testing.T) {
	p := write(t, "values.yaml", `# -- Overrides the name.
nameOverride: ""
rbac:
  # -- Renders Roles only.
  # Second line.
  namespaceScoped: false
  # -- Watched namespaces.
  watchNamespaces: [a]
`)
	rows, err := Parse(p)
	require.NoError(t, err)
	require.Equal(t, []Row{
		{Key: "nameOverride", Type: "string", Default: `""`, Description: "Overrides the name."},
		{Key: "rbac.namespaceScoped", Type: "bool", Default: "false", Description: "Renders Roles only. Second line."},
		{Key: "rbac.watchNamespaces", Type: "list", Default: `["a"]`, Description: "Watched namespaces."},
	}, rows)
}

func TestParseRejectsAnUndocumentedLeaf(t *testing.T) {
	p := write(t, "values.yaml", "rbac:\n  # a plain comment\n  namespaceScoped: false\n")
	_, err := Parse(p)
	require.EqualError(t, err, p+": value rbac.namespaceScoped has no `# --` comment: document it in values.yaml")
}

func TestSpliceReplacesOnlyBetweenMarkers(t *testing.T) {
	start, end := Markers("op")
	out, err := Splice("head\n"+start+"\nold\n"+end+"\ntail\n", "op", "NEW\n")
	require.NoError(t, err)
	require.Equal(t, "head\n"+start+"\nNEW\n"+end+"\ntail\n", out)
	_, err = Splice("no markers", "op", "x")
	require.ErrorContains(t, err, "markers for chart op")
}

func TestMarkdownElidesLongDefaults(t *testing.T) {
	md := Markdown([]Row{{Key: "a", Type: "list", Default: string(make([]byte, 61)), Description: "x|y"}})
	require.Contains(t, md, "| `a` | list | see values.yaml | x\\|y |")
}

// A chart directory in a temp dir with values.yaml and, when fragments is not "", the fragments file.
func chartDir(t *testing.T, values, fragments string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "values.yaml"), []byte(values), 0o644))
	if fragments != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, FragmentsFile), []byte(fragments), 0o644))
	}
	return dir
}

func TestBuildSchemaGeneratesStructureTypesDescriptionsDefaults(t *testing.T) {
	dir := chartDir(t, `# -- Overrides the name.
nameOverride: ""
image:
  # -- The pull policy.
  # @schema {enum: [Always, IfNotPresent]}
  pullPolicy: IfNotPresent
rbac:
  # -- Renders Roles only.
  namespaceScoped: false
  # -- Watched namespaces.
  # @schema {"uniqueItems": true, "items": {"$ref": "#/$defs/namespace"}}
  watchNamespaces: []
  # -- The rules.
  # @schema {items: {$ref: "#/$defs/rule"}, minItems: 1}
  rules:
  - verbs: [get]
# -- Seconds.
# @schema {minimum: 600}
ttl: 3600
`, `{"$defs": {"namespace": {"type": "string"}}, "properties": {"global": {"type": "object"}, "rbac": {"if": {"properties": {"namespaceScoped": {"const": true}}}, "then": {"required": ["a message"]}}}}`)
	out, err := BuildSchema(dir)
	require.NoError(t, err)
	require.JSONEq(t, `{
  "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "demo chart values", "type": "object", "additionalProperties": false,
  "$defs": {"namespace": {"type": "string"}, "ruleItem": `+mustJSON(t, RuleDefs()["ruleItem"])+`, "rule": `+mustJSON(t, RuleDefs()["rule"])+`, "namespacedRule": `+mustJSON(t, RuleDefs()["namespacedRule"])+`},
  "properties": {
    "nameOverride": {"type": "string", "description": "Overrides the name.", "default": ""},
    "image": {"type": "object", "additionalProperties": false, "properties": {
      "pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent"], "description": "The pull policy.", "default": "IfNotPresent"}}},
    "rbac": {"type": "object", "additionalProperties": false, "properties": {
      "namespaceScoped": {"type": "boolean", "description": "Renders Roles only.", "default": false},
      "watchNamespaces": {"type": "array", "uniqueItems": true, "items": {"$ref": "#/$defs/namespace"}, "description": "Watched namespaces.", "default": []},
      "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}, "minItems": 1, "description": "The rules."}},
      "if": {"properties": {"namespaceScoped": {"const": true}}}, "then": {"required": ["a message"]}},
    "ttl": {"type": "integer", "minimum": 600, "description": "Seconds.", "default": 3600},
    "global": {"type": "object"}
  }
}`, string(out))
	rows, err := Parse(filepath.Join(dir, "values.yaml"))
	require.NoError(t, err)
	require.Equal(t, "The pull policy.", rows[1].Description, "a @schema line is not part of the description")
}

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestBuildSchemaRefusesWhatWouldDrift(t *testing.T) {
	for name, c := range map[string]struct{ values, fragments, want string }{
		"an undocumented leaf":                  {"rbac:\n  namespaceScoped: false\n", "", "value rbac.namespaceScoped has no `# --` comment: document it in values.yaml"},
		"a fragment retyping a value":           {"# -- x\na: true\n", `{"properties": {"a": {"type": "string"}}}`, "properties.a.type is generated from values.yaml: remove it (or change values.yaml)"},
		"a fragment replacing a description":    {"# -- x\na: true\n", `{"properties": {"a": {"description": "y"}}}`, "properties.a.description is generated from values.yaml: remove it (or change values.yaml)"},
		"an annotation retyping a value":        {"# -- x\n# @schema {type: string}\na: true\n", "", "value a: # @schema {type: string}: a.type is generated from values.yaml: remove it (or change values.yaml)"},
		"an annotation that is not a map":       {"# -- x\n# @schema [1]\na: true\n", "", "value a: # @schema [1]: write schema keywords as a map, e.g. # @schema {minimum: 1}"},
		"a fragment redefining the rule policy": {"# -- x\na: true\n", `{"$defs": {"rule": {}}}`, "$defs.rule is generated from pkg/valuesdoc/policy.go: remove it"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := BuildSchema(chartDir(t, c.values, c.fragments))
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// Every chart's committed values.schema.json is exactly what BuildSchema generates (make verify checks
// the same through cmd/values-doc -check).
func TestCommittedSchemasAreGenerated(t *testing.T) {
	dirs, err := filepath.Glob("../../charts/*/values.yaml")
	require.NoError(t, err)
	require.Len(t, dirs, 5)
	for _, v := range dirs {
		dir := filepath.Dir(v)
		want, err := BuildSchema(dir)
		require.NoError(t, err, dir)
		got, err := os.ReadFile(filepath.Join(dir, "values.schema.json"))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s/values.schema.json drifted from values.yaml and %s: run make generate-docs", dir, FragmentsFile)
	}
}
