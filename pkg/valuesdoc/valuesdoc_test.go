package valuesdoc

import (
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

func TestSchemaGapsNamesKeysTheSchemaLacks(t *testing.T) {
	s := write(t, "values.schema.json", `{"properties":{"rbac":{"properties":{"namespaceScoped":{}}}}}`)
	gaps, err := SchemaGaps(s, []Row{{Key: "rbac.namespaceScoped"}, {Key: "rbac.watchNamespaces"}, {Key: "image.tag"}})
	require.NoError(t, err)
	require.Equal(t, []string{"rbac.watchNamespaces", "image.tag"}, gaps)
}

func TestMarkdownElidesLongDefaults(t *testing.T) {
	md := Markdown([]Row{{Key: "a", Type: "list", Default: string(make([]byte, 61)), Description: "x|y"}})
	require.Contains(t, md, "| `a` | list | see values.yaml | x\\|y |")
}

func TestGenerateSchemaSetsDescriptionsDefaultsAndThePolicy(t *testing.T) {
	rows := []Row{
		{Key: "rbac.namespaceScoped", Type: "bool", Default: "false", Description: "Renders Roles only."},
		{Key: "rbac.rules", Type: "list", Default: `[{"verbs":["get"]}]`, Description: "The rules."},
	}
	in := `{"title": "t", "properties": {"rbac": {"type": "object", "properties": {
  "namespaceScoped": {"type": "boolean", "description": "stale"},
  "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}}}}}`
	out, err := GenerateSchema([]byte(in), rows)
	require.NoError(t, err)
	v, err := decodeOrdered(out)
	require.NoError(t, err)
	top := v.(*Object)
	require.Equal(t, []string{"title", "properties", "$defs"}, top.keys)
	props, _ := top.Get("properties")
	rbac, _ := props.(*Object).Get("rbac")
	rp, _ := rbac.(*Object).Get("properties")
	ns, _ := rp.(*Object).Get("namespaceScoped")
	require.Equal(t, []string{"type", "description", "default"}, ns.(*Object).keys)
	d, _ := ns.(*Object).Get("description")
	require.Equal(t, "Renders Roles only.", d)
	def, _ := ns.(*Object).Get("default")
	require.Equal(t, false, def)
	rules, _ := rp.(*Object).Get("rules")
	_, hasDefault := rules.(*Object).Get("default")
	require.False(t, hasDefault, "a non-empty list default stays in values.yaml")
	defs, _ := top.Get("$defs")
	for _, name := range []string{"ruleItem", "rule", "namespacedRule"} {
		_, ok := defs.(*Object).Get(name)
		require.True(t, ok, name)
	}
}

func TestGenerateSchemaRefusesTypeDriftAndGaps(t *testing.T) {
	_, err := GenerateSchema([]byte(`{"properties": {"a": {"type": "string"}}}`), []Row{{Key: "a", Type: "bool", Default: "false"}})
	require.EqualError(t, err, "a is a bool in values.yaml (default false) but the schema says string: make them agree")
	_, err = GenerateSchema([]byte(`{"properties": {}}`), []Row{{Key: "b.c", Type: "bool", Default: "false"}})
	require.EqualError(t, err, "the schema does not declare b.c: add it")
}
