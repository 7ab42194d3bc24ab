package valuesdoc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// schemaTypes maps a values.yaml type to its JSON Schema type.
var schemaTypes = map[string]string{"bool": "boolean", "int": "integer", "number": "number", "string": "string", "list": "array", "object": "object"}

// FragmentsFile is the file in a chart directory that declares what values.yaml cannot say: the
// chart's own "$defs" and its cross-field rules (if/then, allOf, dependentSchemas), whose messages are
// required keys no value can have, so Helm and editors print them. It is merged into the generated
// schema; it may add keys but not replace one values.yaml generates.
const FragmentsFile = "values.schema.fragments.json"

// annotation starts a comment line holding schema keywords for the key below it, as a YAML (or JSON)
// mapping, e.g. `# @schema {minimum: 600, maximum: 86400}` or `# @schema items: {$ref: "#/$defs/rule"}`.
const annotation = "@schema"

// BuildSchema generates a chart's values.schema.json from dir/values.yaml and dir/FragmentsFile:
//   - every map without a `# --` comment becomes an object with additionalProperties false and a
//     property per key, walked the same way;
//   - every documented key gets the type of its default, its `# --` text as description and, for
//     scalars and empty lists or maps, its default (long defaults such as rule lists stay in values.yaml);
//   - `# @schema` lines add keywords (enum, pattern, minimum, items, ...) to the key below them;
//   - "$defs" gets the fragments' definitions and the rule policy (RuleDefs);
//   - the fragments are merged last.
//
// It fails on an undocumented leaf, a bad annotation, and a fragment that replaces a generated keyword.
func BuildSchema(dir string) ([]byte, error) {
	valuesPath := filepath.Join(dir, "values.yaml")
	data, err := os.ReadFile(valuesPath)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", valuesPath, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the top level is not a map", valuesPath)
	}
	fragments := NewObject()
	fragPath := filepath.Join(dir, FragmentsFile)
	if raw, err := os.ReadFile(fragPath); err == nil {
		v, err := decodeOrdered(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fragPath, err)
		}
		if fragments, _ = v.(*Object); fragments == nil {
			return nil, fmt.Errorf("%s: not a JSON object", fragPath)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	top := NewObject(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"title", filepath.Base(filepath.Clean(dir))+" chart values",
		"type", "object",
		"additionalProperties", false,
	)
	defs := NewObject()
	if d, ok := fragments.Get("$defs"); ok {
		if defs, ok = d.(*Object); !ok {
			return nil, fmt.Errorf("%s: $defs is not an object", fragPath)
		}
	}
	for _, name := range []string{"ruleItem", "rule", "namespacedRule"} {
		if _, ok := defs.Get(name); ok {
			return nil, fmt.Errorf("%s: $defs.%s is generated from pkg/valuesdoc/policy.go: remove it", fragPath, name)
		}
		defs.Set(name, RuleDefs()[name])
	}
	top.Set("$defs", defs)
	props, err := schemaProperties(doc.Content[0], "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", valuesPath, err)
	}
	top.Set("properties", props)
	rest := NewObject()
	for _, k := range fragments.keys {
		if k != "$defs" {
			rest.Set(k, fragments.vals[k])
		}
	}
	if err := merge(top, rest, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", fragPath, err)
	}
	return encodeIndented(top)
}

// schemaProperties returns the "properties" of the map m (at dotted path prefix).
func schemaProperties(m *yaml.Node, prefix string) (*Object, error) {
	props := NewObject()
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := dotted(prefix, k.Value)
		desc, documented := description(k.HeadComment)
		node := NewObject()
		if !documented {
			if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
				return nil, fmt.Errorf("value %s has no `# --` comment: document it in values.yaml", key)
			}
			sub, err := schemaProperties(v, key)
			if err != nil {
				return nil, err
			}
			node.Set("type", "object")
			node.Set("additionalProperties", false)
			node.Set("properties", sub)
			if err := annotate(node, k.HeadComment, key); err != nil {
				return nil, err
			}
			props.Set(k.Value, node)
			continue
		}
		typ := typeOf(v)
		node.Set("type", schemaTypes[typ])
		if err := annotate(node, k.HeadComment, key); err != nil {
			return nil, err
		}
		node.Set("description", desc)
		if (typ != "list" && typ != "object") || len(v.Content) == 0 {
			def, err := compactJSON(v)
			if err != nil {
				return nil, fmt.Errorf("value %s: %w", key, err)
			}
			d, err := decodeOrdered([]byte(def))
			if err != nil {
				return nil, fmt.Errorf("value %s: %w", key, err)
			}
			node.Set("default", d)
		}
		props.Set(k.Value, node)
	}
	return props, nil
}

// annotate merges the `# @schema` lines of a key's head comment into its schema node.
func annotate(node *Object, head, key string) error {
	for _, l := range strings.Split(head, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if !strings.HasPrefix(l, annotation) {
			continue
		}
		var kw yaml.Node
		if err := yaml.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(l, annotation))), &kw); err != nil {
			return fmt.Errorf("value %s: # %s: %w", key, l, err)
		}
		if len(kw.Content) == 0 || kw.Content[0].Kind != yaml.MappingNode {
			return fmt.Errorf("value %s: # %s: write schema keywords as a map, e.g. # @schema {minimum: 1}", key, l)
		}
		v, err := yamlToOrdered(kw.Content[0])
		if err != nil {
			return fmt.Errorf("value %s: # %s: %w", key, l, err)
		}
		if err := merge(node, v.(*Object), key); err != nil {
			return fmt.Errorf("value %s: # %s: %w", key, l, err)
		}
	}
	return nil
}

// yamlToOrdered converts a YAML node to the JSON values of this package, keeping map order.
func yamlToOrdered(n *yaml.Node) (interface{}, error) {
	if n.Kind == yaml.MappingNode {
		o := NewObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlToOrdered(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			o.Set(n.Content[i].Value, v)
		}
		return o, nil
	}
	if n.Kind == yaml.SequenceNode {
		out := []interface{}{}
		for _, c := range n.Content {
			v, err := yamlToOrdered(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	def, err := compactJSON(n)
	if err != nil {
		return nil, err
	}
	return decodeOrdered([]byte(def))
}

// merge adds add's keys to dst, recursing into objects both have; a key both have that is not an
// object in both is a conflict: a fragment or annotation cannot replace what values.yaml generates.
func merge(dst, add *Object, path string) error {
	for _, k := range add.keys {
		p := dotted(path, k)
		old, ok := dst.Get(k)
		if !ok {
			dst.Set(k, add.vals[k])
			continue
		}
		o1, ok1 := old.(*Object)
		o2, ok2 := add.vals[k].(*Object)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s is generated from values.yaml: remove it (or change values.yaml)", p)
		}
		if err := merge(o1, o2, p); err != nil {
			return err
		}
	}
	return nil
}

// dotted joins a key to its parent's dotted path ("" at the top).
func dotted(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
