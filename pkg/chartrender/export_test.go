package chartrender

// Exported for the package's external tests (schema_memo_matrix_test.go), which import pkg/matrix.

// MemoComparison is CompareSchemaMemo's answer: the errors of both paths, the charts of the tree where
// the memo's verdict differs from the library's, and how many schemas of the tree had the memo on and off.
type MemoComparison struct {
	MemoErr, PlainErr error
	Mismatches        []string
	On, Off           int
}

// CompareSchemaMemo validates vals (coalesced values of ch) with and without the schema memo.
func CompareSchemaMemo[C interface{ Name() string }](ch C, vals map[string]interface{}, schema func(C) []byte, deps func(C) []C) (r MemoComparison) {
	var walk func(c C, v map[string]interface{})
	walk = func(c C, v map[string]interface{}) {
		if raw := schema(c); raw != nil {
			if s, err := compiled(raw); err == nil {
				if s.memo == nil {
					r.Off++
				} else {
					r.On++
					if s.memo.valid(s.root, v) != (s.root.Validate(v) == nil) {
						r.Mismatches = append(r.Mismatches, c.Name())
					}
				}
			}
		}
		for _, d := range deps(c) {
			if sub, ok := v[d.Name()].(map[string]interface{}); ok {
				walk(d, sub)
			}
		}
	}
	walk(ch, vals)
	r.MemoErr, r.PlainErr = validateValuesWith(ch, vals, schema, deps, false), validateValuesWith(ch, vals, schema, deps, true)
	return r
}

// SchemaValidators are raw's compiled schema's validation by the library alone, and a maker of its
// validation through a new memo (as in a matrix run's first use of the schema).
func SchemaValidators(raw []byte) (plain func(map[string]interface{}) error, newMemo func() func(map[string]interface{}) error, err error) {
	s, err := compile(raw)
	if err != nil {
		return nil, nil, err
	}
	return func(v map[string]interface{}) error { return s.Validate(v) }, func() func(map[string]interface{}) error {
		c := &compiledSchema{root: s, memo: newSchemaMemo(s)}
		return func(v map[string]interface{}) error { return c.validate(v) }
	}, nil
}

// RequireSameError is requireSameError (schema_memo_test.go).
var RequireSameError = requireSameError

// MemoUnknown is the number of validations the memo left to the library for a value type it does not know.
func MemoUnknown() int64 { return memoUnknown.Load() }
