package valuesdoc

import (
	"fmt"
	"strings"
)

// schemaTypes maps a values.yaml type to its JSON Schema type.
var schemaTypes = map[string]string{"bool": "boolean", "int": "integer", "number": "number", "string": "string", "list": "array", "object": "object"}

// GenerateSchema returns schema (a chart's values.schema.json) with the generated parts rewritten: the
// rule policy "$defs" (RuleDefs), and the "description" and "default" of every documented key from
// values.yaml (so editors show the `# --` text on hover). Defaults are written for scalars and empty
// lists or maps; long defaults (rule lists, resources) stay in values.yaml alone. It fails when the
// schema does not declare a documented key, or declares another type than its default in values.yaml.
// Everything else in the schema is kept, in its order.
func GenerateSchema(schema []byte, rows []Row) ([]byte, error) {
	v, err := decodeOrdered(schema)
	if err != nil {
		return nil, err
	}
	top, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("the schema is not a JSON object")
	}
	defs, _ := top.Get("$defs")
	defsObj, ok := defs.(*Object)
	if !ok {
		defsObj = NewObject()
		top.Set("$defs", defsObj)
	}
	for _, name := range []string{"ruleItem", "rule", "namespacedRule"} {
		defsObj.Set(name, RuleDefs()[name])
	}
	for _, r := range rows {
		node := top
		for _, part := range strings.Split(r.Key, ".") {
			props, _ := node.Get("properties")
			po, _ := props.(*Object)
			var next interface{}
			if po != nil {
				next, _ = po.Get(part)
			}
			if node, ok = next.(*Object); !ok {
				return nil, fmt.Errorf("the schema does not declare %s: add it", r.Key)
			}
		}
		if t, ok := node.Get("type"); ok && t != schemaTypes[r.Type] {
			return nil, fmt.Errorf("%s is a %s in values.yaml (default %s) but the schema says %v: make them agree", r.Key, r.Type, r.Default, t)
		}
		node.Set("description", r.Description)
		if (r.Type != "list" && r.Type != "object") || r.Default == "[]" || r.Default == "{}" {
			def, err := decodeOrdered([]byte(r.Default))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Key, err)
			}
			node.Set("default", def)
		}
	}
	return encodeIndented(top)
}
