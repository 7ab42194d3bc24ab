package chartrender

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
)

// memoFor compiles raw as Helm does and makes its memo.
func memoFor(t testing.TB, raw string) (*jsonschema.Schema, *schemaMemo) {
	t.Helper()
	s, err := compile([]byte(raw))
	require.NoError(t, err)
	return s, newSchemaMemo(s)
}

// requireSameVerdicts validates each of values (JSON) with the memo and with the library, cold and
// then warm, in both orders, and requires the same verdict each time, and both verdicts among values.
func requireSameVerdicts(t *testing.T, s *jsonschema.Schema, m *schemaMemo, values ...string) {
	t.Helper()
	require.NotNil(t, m, "the memo is on for this schema")
	seen := map[bool]bool{}
	check := func(raw string) {
		var v any
		require.NoError(t, json.Unmarshal([]byte(raw), &v))
		lib := s.Validate(v)
		require.Equal(t, lib == nil, m.valid(s, v), "value %s: library says %v", raw, lib)
		c := &compiledSchema{root: s, memo: m}
		requireSameError(t, lib, c.validate(v), "value %s: the error text is the library's", raw)
		seen[lib == nil] = true
	}
	for range 2 {
		for _, v := range values {
			check(v)
		}
		for _, v := range slices.Backward(values) {
			check(v)
		}
	}
	require.True(t, seen[true] && seen[false], "the values need both verdicts")
}

// requireSameError requires got to be want, or nil when want is: the same text, or (where several
// properties fail, the library lists them in map order, which differs between two runs of the
// library) the same lines in another order, each list of quoted names in any order.
func requireSameError(t testing.TB, want, got error, msgAndArgs ...any) {
	t.Helper()
	if want == nil || got == nil {
		require.Equal(t, want, got, msgAndArgs...)
		return
	}
	if want.Error() == got.Error() {
		return
	}
	lines := func(err error) []string {
		l := strings.Split(quotedLists.ReplaceAllStringFunc(err.Error(), func(list string) string {
			names := strings.Split(list, ", ")
			slices.Sort(names)
			return strings.Join(names, ", ")
		}), "\n")
		slices.Sort(l)
		return l
	}
	require.Equal(t, lines(want), lines(got), msgAndArgs...)
}

var quotedLists = regexp.MustCompile(`'[^']*'(, '[^']*')+`)

// decided are the sub-schemas (by location) whose verdict the memo holds: the decomposition's reach.
func decided(m *schemaMemo) []string {
	var out []string
	for k := range m.verdicts {
		loc := k.s.Location
		if k.whole {
			loc += " (whole)"
		}
		if !slices.Contains(out, loc) {
			out = append(out, loc)
		}
	}
	slices.Sort(out)
	return out
}

func TestSchemaMemoAdditionalPropertiesSeesProperties(t *testing.T) {
	s, m := memoFor(t, `{"type": "object", "additionalProperties": false,
		"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}`)
	requireSameVerdicts(t, s, m, `{"a": "x"}`, `{"a": 1}`, `{"c": 1}`, `{"a": "x", "b": 2}`, `{"b": "no"}`, `"str"`, `{}`, `{"a": "x", "c": null}`)
	require.Contains(t, decided(m), schemaURL+"#/properties/a", "properties are decided one by one")

	s, m = memoFor(t, `{"properties": {"a": {"type": "string"}}, "patternProperties": {"^a": {"minLength": 2}},
		"additionalProperties": {"type": "boolean"}}`)
	requireSameVerdicts(t, s, m, `{"a": "x"}`, `{"a": "xy"}`, `{"z": true}`, `{"z": 1}`, `{"ab": "q"}`, `{"ab": "qq", "a": "qq", "z": false}`)
}

func TestSchemaMemoIfThenElse(t *testing.T) {
	// An if without then or else accepts everything; type gives the values an invalid one.
	s, m := memoFor(t, `{"if": {"required": ["a"]}, "type": "object"}`)
	requireSameVerdicts(t, s, m, `{"a": 1}`, `{}`, `3`, `{"b": 2}`, `false`)
}

func TestSchemaMemoIfBranches(t *testing.T) {
	s, m := memoFor(t, `{"if": {"properties": {"kind": {"const": "x"}}, "required": ["kind"]},
		"then": {"required": ["x"]}, "else": {"required": ["y"]}}`)
	requireSameVerdicts(t, s, m, `{"kind": "x", "x": 1}`, `{"kind": "x", "y": 1}`, `{"kind": "z", "y": 1}`, `{"kind": "z", "x": 1}`, `{"y": 1}`, `{}`, `[]`)

	s, m = memoFor(t, `{"if": {"required": ["a"]}, "then": {"properties": {"a": {"type": "string"}}}}`)
	requireSameVerdicts(t, s, m, `{"a": "s"}`, `{"a": 1}`, `{"b": 1}`)
	s, m = memoFor(t, `{"if": {"required": ["a"]}, "else": {"required": ["b"]}}`)
	requireSameVerdicts(t, s, m, `{"a": 1}`, `{"b": 1}`, `{"c": 1}`)
	// then and else without if are ignored by the library.
	s, m = memoFor(t, `{"then": false, "else": false, "type": "object"}`)
	requireSameVerdicts(t, s, m, `{}`, `1`)
}

func TestSchemaMemoAllOfNestedInIf(t *testing.T) {
	s, m := memoFor(t, `{"if": {"allOf": [{"required": ["a"]}, {"properties": {"a": {"const": 1}}}]},
		"then": {"allOf": [{"required": ["b"]}, {"properties": {"b": {"allOf": [{"type": "string"}, {"minLength": 2}]}}}]},
		"else": {"not": {"required": ["b"]}}}`)
	requireSameVerdicts(t, s, m, `{"a": 1, "b": "xy"}`, `{"a": 1, "b": "x"}`, `{"a": 1}`, `{"a": 2, "b": 1}`, `{"a": 2}`, `{"b": "xx"}`, `{}`, `{"a": 1, "b": 5}`)
	require.Contains(t, decided(m), schemaURL+"#/if (whole)", "the condition is the library's verdict")
	require.Contains(t, decided(m), schemaURL+"#/then/allOf/1/properties/b/allOf/1", "allOf under then is decomposed")
}

func TestSchemaMemoRefChains(t *testing.T) {
	s, m := memoFor(t, `{"$defs": {"a": {"$ref": "#/$defs/b", "maximum": 9}, "b": {"$ref": "#/$defs/c"}, "c": {"type": "integer", "minimum": 3}},
		"properties": {"n": {"$ref": "#/$defs/a"}, "list": {"items": {"$ref": "#/$defs/b"}}}}`)
	requireSameVerdicts(t, s, m, `{"n": 3}`, `{"n": 2}`, `{"n": 10}`, `{"n": "3"}`, `{"list": [3, 4, 5]}`, `{"list": [3, 1]}`, `{"list": [], "n": 9}`)
	require.Contains(t, decided(m), schemaURL+"#/$defs/c", "the chain is followed")

	// Before 2019-09 a $ref hides its siblings except type, const, enum and format, which run first.
	s, m = memoFor(t, `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"s": {"type": "string", "minLength": 2}},
		"properties": {"x": {"$ref": "#/definitions/s", "maxLength": 1, "type": "string"}, "e": {"$ref": "#/definitions/s", "enum": ["ab", "c"]}}}`)
	requireSameVerdicts(t, s, m, `{"x": "long"}`, `{"x": "l"}`, `{"x": 1}`, `{"e": "ab"}`, `{"e": "c"}`, `{"e": "zz"}`)
}

func TestSchemaMemoItems(t *testing.T) {
	s, m := memoFor(t, `{"prefixItems": [{"type": "string"}], "items": {"type": "integer"}, "minItems": 1, "contains": {"type": "string"}}`)
	requireSameVerdicts(t, s, m, `["a", 1, 2]`, `["a", "b"]`, `[1]`, `[]`, `["a"]`, `{"a": 1}`)
	s, m = memoFor(t, `{"prefixItems": [{"type": "string"}, {"minimum": 3}]}`)
	requireSameVerdicts(t, s, m, `["a", 3]`, `[1, 3]`, `["a", 2]`, `["a"]`, `[]`, `["a", 3, {}]`)
	s, m = memoFor(t, `{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}, {"type": "boolean"}], "additionalItems": false}`)
	requireSameVerdicts(t, s, m, `["a", true]`, `["a", true, 1]`, `["a", 1]`, `["a"]`, `[]`)
	s, m = memoFor(t, `{"$schema": "http://json-schema.org/draft-07/schema#", "items": {"type": "string"}, "uniqueItems": true}`)
	requireSameVerdicts(t, s, m, `["a", "b"]`, `["a", "a"]`, `["a", 1]`)
}

// Keywords left to the residual, which the library validates whole with the node's other keywords.
func TestSchemaMemoResidualKeywords(t *testing.T) {
	s, m := memoFor(t, `{"properties": {"o": {"anyOf": [{"type": "string"}, {"required": ["k"]}]}, "one": {"oneOf": [{"minimum": 1}, {"maximum": 5}]},
		"f": false, "t": true, "d": {"dependentSchemas": {"a": {"required": ["b"]}}, "dependentRequired": {"c": ["d"]}}, "pn": {"propertyNames": {"maxLength": 2}}}}`)
	requireSameVerdicts(t, s, m, `{"o": "s"}`, `{"o": {"k": 1}}`, `{"o": {}}`, `{"one": 0}`, `{"one": 3}`, `{"one": 9}`, `{"f": 1}`, `{"t": 1}`,
		`{"d": {"a": 1}}`, `{"d": {"a": 1, "b": 2}}`, `{"d": {"c": 1}}`, `{"pn": {"ab": 1}}`, `{"pn": {"abc": 1}}`)
}

// unevaluatedProperties depends on what the node's in-place sub-schemas evaluated: such a node is
// validated whole by the library, and so is everything under it.
func TestSchemaMemoLeavesUnevaluatedToTheLibrary(t *testing.T) {
	s, m := memoFor(t, `{"properties": {"x": {"properties": {"a": true}, "allOf": [{"properties": {"b": {"type": "integer"}}}], "unevaluatedProperties": false}, "y": {"type": "string"}}}`)
	require.Nil(t, m.nodes[s.Properties["x"]].residual, "the node with unevaluatedProperties is validated whole")
	requireSameVerdicts(t, s, m, `{"x": {"a": 1, "b": 2}}`, `{"x": {"c": 1}}`, `{"x": {"b": "s"}}`, `{"y": "s", "x": {}}`, `{"y": 1}`)
	require.Contains(t, decided(m), schemaURL+"#/properties/x (whole)")
	require.NotContains(t, decided(m), schemaURL+"#/properties/x/allOf/0", "nothing under it is decomposed")

	s, m = memoFor(t, `{"prefixItems": [true], "allOf": [{"prefixItems": [true, true]}], "unevaluatedItems": false}`)
	require.Nil(t, m.nodes[s].residual)
	requireSameVerdicts(t, s, m, `[1, 2]`, `[1, 2, 3]`)
}

// $dynamicRef and in-place cycles turn the memo off; validation is then the library's alone.
func TestSchemaMemoOffForDynamicRefsAndCycles(t *testing.T) {
	for _, raw := range []string{
		`{"$dynamicAnchor": "n", "properties": {"x": {"$dynamicRef": "#n"}}}`,
		`{"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"$ref": "#/$defs/a"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}`,
	} {
		s, m := memoFor(t, raw)
		require.Nil(t, m, raw)
		c := &compiledSchema{root: s, memo: m}
		v := map[string]any{"x": 1}
		require.Equal(t, fmt.Sprint(s.Validate(v)), fmt.Sprint(c.validate(v)), raw)
	}
	// Recursion through a property (another value each time) keeps the memo.
	s, m := memoFor(t, `{"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "n": {"type": "integer"}}}}, "$ref": "#/$defs/node"}`)
	requireSameVerdicts(t, s, m, `{"next": {"next": {"n": 1}}}`, `{"next": {"next": {"n": "1"}}}`)
}

// A value holding a type the digest does not know (here Helm's Values type, which the library refuses
// as well) is left to the library.
func TestSchemaMemoUnknownTypes(t *testing.T) {
	s, m := memoFor(t, `{"properties": {"a": {"type": "object"}}}`)
	v := map[string]any{"a": chartutil.Values{"b": 1}}
	require.False(t, m.valid(s, v))
	c := &compiledSchema{root: s, memo: m}
	require.Error(t, c.validate(v))
	require.Equal(t, s.Validate(v).Error(), c.validate(v).Error())
}

// The digest tells apart what the library tells apart: types, keys, order of items, nesting.
func TestSchemaMemoDigestSeparatesValues(t *testing.T) {
	values := []any{nil, true, false, "1", 1, int64(1), 1.0, json.Number("1"), []any{}, []any{nil}, map[string]any{},
		map[string]any{"a": nil}, map[string]any{"a": []any{}}, map[string]any{"a": map[string]any{}}, []any{"a", "b"}, []any{"b", "a"},
		map[string]any{"ab": "c"}, map[string]any{"a": "bc"}, []any{[]any{"a"}}, []any{"a"}}
	seen := map[memoKey]int{}
	c := &memoCall{digests: map[ident][32]byte{}}
	for i, v := range values {
		_, ok := c.digest(v)
		require.True(t, ok)
		k, ok := c.key(trueSchema, v, false)
		require.True(t, ok)
		if j, dup := seen[k]; dup {
			t.Errorf("%#v and %#v have the same key", values[j], v)
		}
		seen[k] = i
	}
}

// TestSchemaMemoRandomValues mutates the coalesced defaults of every chart under charts/ (types
// flipped, keys dropped, unknown keys, rules added with wildcards or Secrets, lists emptied, nulls)
// and requires the memo's verdict to be the library's, with one memo per chart kept across all the
// values, so subtrees seen before are answered from it.
func TestSchemaMemoRandomValues(t *testing.T) {
	dirs, err := filepath.Glob("../../charts/*/values.schema.json")
	require.NoError(t, err)
	require.Len(t, dirs, 5)
	trials := 800
	if testing.Short() {
		trials = 100
	}
	rng := rand.New(rand.NewPCG(11, 2026))
	for _, p := range dirs {
		dir := filepath.Dir(p)
		ch, err := Load(dir)
		require.NoError(t, err)
		_, top, err := RenderValues(ch, Options{SkipSchemaValidation: true})
		require.NoError(t, err)
		defaults := top["Values"].(chartutil.Values).AsMap()
		s, m := memoFor(t, string(ch.Schema))
		require.NotNil(t, m, dir)
		valid := 0
		for i := range trials {
			v := DeepCopyValue(defaults).(map[string]any)
			for range 1 + rng.IntN(2) {
				mutate(rng, v)
			}
			lib := s.Validate(v)
			if got := m.valid(s, v); got != (lib == nil) {
				raw, _ := json.Marshal(v)
				t.Fatalf("%s, trial %d: memo says valid=%v, library: %v\nvalues: %s", dir, i, got, lib, raw)
			}
			requireSameError(t, lib, (&compiledSchema{root: s, memo: m}).validate(v), "%s, trial %d", dir, i)
			if lib == nil {
				valid++
			}
		}
		t.Logf("%s: %d values, %d valid, %d verdicts kept", filepath.Base(dir), trials, valid, len(m.verdicts))
		require.Greater(t, valid, trials/20, "%s: the mutations need to leave valid values too", dir)
		require.Less(t, valid, trials*9/10, "%s: the mutations need to break values too", dir)
	}
}

var (
	mutationScalars = []any{"x", "*", 0, 3, 1.5, true, false, nil, "", "kube-system"}
	mutationRules   = []map[string]any{
		{"apiGroups": []any{"*"}, "resources": []any{"pods"}, "verbs": []any{"get"}},
		{"apiGroups": []any{""}, "resources": []any{"*"}, "verbs": []any{"get"}},
		{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get", "list"}},
		{"apiGroups": []any{""}, "resources": []any{"secrets"}, "resourceNames": []any{"tls"}, "verbs": []any{"get"}},
		{"apiGroups": []any{"apps"}, "resources": []any{"deployments/*"}, "verbs": []any{"patch"}},
		{"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{"get"}, "why": "reads its config"},
		{"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{}},
		{"nonResourceURLs": []any{"/metrics"}, "verbs": []any{"get"}},
		{"apiGroups": []any{"rbac.authorization.k8s.io"}, "resources": []any{"clusterroles"}, "verbs": []any{"escalate"}},
	}
)

// mutate changes one random node of v (a map).
func mutate(rng *rand.Rand, v map[string]any) {
	type slot struct {
		parent any // map[string]any or []any
		key    string
		index  int
	}
	var slots []slot
	var walk func(n any)
	walk = func(n any) {
		switch x := n.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(func(yield func(string) bool) {
				for k := range x {
					if !yield(k) {
						return
					}
				}
			}) {
				slots = append(slots, slot{parent: x, key: k})
				walk(x[k])
			}
		case []any:
			for i := range x {
				slots = append(slots, slot{parent: x, index: i})
				walk(x[i])
			}
		}
	}
	walk(v)
	if len(slots) == 0 {
		v["unknownKey"] = "x"
		return
	}
	sl := slots[rng.IntN(len(slots))]
	get := func() any {
		if m, ok := sl.parent.(map[string]any); ok {
			return m[sl.key]
		}
		return sl.parent.([]any)[sl.index]
	}
	set := func(n any) {
		if m, ok := sl.parent.(map[string]any); ok {
			m[sl.key] = n
		} else {
			sl.parent.([]any)[sl.index] = n
		}
	}
	switch op := rng.IntN(10); {
	case op == 0: // drop a key
		if m, ok := sl.parent.(map[string]any); ok {
			delete(m, sl.key)
		} else {
			set(nil)
		}
	case op == 1: // an unknown key next to it
		if m, ok := sl.parent.(map[string]any); ok {
			m["unknown"+sl.key] = mutationScalars[rng.IntN(len(mutationScalars))]
		} else {
			set(map[string]any{})
		}
	case op <= 3: // a scalar of another (or the same) type
		set(mutationScalars[rng.IntN(len(mutationScalars))])
	case op == 4: // a boolean flipped, a string changed
		switch x := get().(type) {
		case bool:
			set(!x)
		case string:
			set(x + "-x")
		default:
			set(nil)
		}
	case op <= 6: // a rule appended to the nearest list, or the value replaced by a list of rules
		r := DeepCopyValue(mutationRules[rng.IntN(len(mutationRules))])
		if l, ok := get().([]any); ok {
			set(append(slices.Clone(l), r))
		} else if l, ok := sl.parent.([]any); ok {
			l[sl.index] = r
		} else {
			set([]any{r})
		}
	case op == 7: // emptied
		switch get().(type) {
		case []any:
			set([]any{})
		case map[string]any:
			set(map[string]any{})
		default:
			set("")
		}
	case op == 8: // a copy of a sibling list element appended (same subtree twice)
		if l, ok := get().([]any); ok && len(l) > 0 {
			set(append(slices.Clone(l), DeepCopyValue(l[rng.IntN(len(l))])))
		} else {
			set([]any{get()})
		}
	default: // a map or list where a scalar was, and the reverse
		switch get().(type) {
		case map[string]any, []any:
			set("x")
		default:
			set(map[string]any{"k": get()})
		}
	}
}

// Workers share a schema's memo: concurrent validations of overlapping values agree with the library
// (run with -race to check the memo's locking).
func TestSchemaMemoConcurrentValidations(t *testing.T) {
	ch, err := Load("../../charts/operator")
	require.NoError(t, err)
	_, top, err := RenderValues(ch, Options{SkipSchemaValidation: true})
	require.NoError(t, err)
	defaults := top["Values"].(chartutil.Values).AsMap()
	s, m := memoFor(t, string(ch.Schema))
	var values []map[string]any
	rng := rand.New(rand.NewPCG(7, 11))
	for range 64 {
		v := DeepCopyValue(defaults).(map[string]any)
		mutate(rng, v)
		values = append(values, v)
	}
	want := make([]string, len(values))
	for i, v := range values {
		want[i] = fmt.Sprint(s.Validate(v))
	}
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := range values {
				j := (i + w*16) % len(values)
				got := fmt.Sprint((&compiledSchema{root: s, memo: m}).validate(values[j]))
				if (got == "<nil>") != (want[j] == "<nil>") {
					errs <- fmt.Errorf("value %d: memo %s, library %s", j, got, want[j])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
}
