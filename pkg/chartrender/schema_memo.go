package chartrender

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A matrix validates many coalesced values that differ in a few flags and share large subtrees (the
// same default rule lists, the same image settings), and most of a validation is spent in those
// subtrees. schemaMemo answers "does the library accept v?" for the compiled schema, remembering the
// verdict of every (sub-schema, value) pair it decides, so a subtree seen before costs a lookup.
//
// Soundness. Only "valid" is ever taken from the memo: when it says invalid, the library validates v
// (against the schema specialized to v, see specialize: the same error as the root's own Validate, at
// a fraction of the cost) and its answer is the verdict and Helm's error (nil, if the memo was too
// strict: time lost, no wrong verdict). A node s applied to a value v is decided in one of three ways:
//
//   - a boolean schema is its own verdict;
//   - a node the decomposition does not understand (unevaluatedProperties or unevaluatedItems, whose
//     verdict depends on annotations of its in-place sub-schemas) is s.Validate(v), the library whole;
//   - any other node is the conjunction of the library's verdict on its residual (a copy of s without
//     the keywords below; the keys of properties stay, mapped to `true`, so additionalProperties and
//     patternProperties still see them; a residual asserting nothing is not asked, every value the
//     digest admits being one the library accepts as JSON) and the decomposed keywords, each a plain
//     conjunction in the library's validator (validator.go of jsonschema/v6): $ref, every allOf
//     member, then or else as the library's own verdict on if (asked of the library whole, never
//     decomposed, since a wrong branch could turn invalid into valid), each property present in v,
//     and each item under prefixItems/items (draft 2020) or items (earlier drafts). In drafts before
//     2019 a $ref hides its siblings: such a node is type/const/enum/format (the checks the library
//     makes before the $ref) and the $ref alone (v6.0.3's compiler already drops the other siblings;
//     this does not rely on it).
//
// A sub-schema's verdict does not depend on where it is applied, with three exceptions, each of which
// turns the memo off for the whole schema (newSchemaMemo returns nil): $dynamicRef and $recursiveRef
// (resolved through the dynamic scope), a cycle of in-place applicators (the library reports a $ref
// cycle only when entered from the cycle) and vocabulary extensions (opaque). Verdicts are keyed by
// the sub-schema's address and the value: a scalar by itself, a map or list by a SHA-256 of its
// content (types included, keys sorted, children by their own digest).

const memoMax = 1 << 16 // verdicts kept per schema before the memo starts over

var trueSchema = func() *jsonschema.Schema {
	t := true
	return &jsonschema.Schema{Bool: &t}
}()

type schemaMemo struct {
	// nodes are every reachable sub-schema's residual.
	nodes map[*jsonschema.Schema]memoNode

	mu       sync.Mutex
	verdicts map[memoKey]bool
}

type memoNode struct {
	residual *jsonschema.Schema // nil for a node validated whole
	trivial  bool               // the residual asserts nothing: it accepts every value the digest knows
}

type memoKey struct {
	s      *jsonschema.Schema
	whole  bool // the library's verdict on s (an if), not the decomposition's
	scalar any  // v when it is a scalar
	digest [sha256.Size]byte
}

// newSchemaMemo is the memo of root, or nil when the decomposition cannot be trusted for it.
func newSchemaMemo(root *jsonschema.Schema) *schemaMemo {
	m := &schemaMemo{nodes: map[*jsonschema.Schema]memoNode{}, verdicts: map[memoKey]bool{}}
	ok := true
	var walk func(s *jsonschema.Schema)
	walk = func(s *jsonschema.Schema) {
		if s == nil || !ok {
			return
		}
		if _, seen := m.nodes[s]; seen {
			return
		}
		if s.DynamicRef != nil || s.RecursiveRef != nil || len(s.Extensions) > 0 {
			ok = false
			return
		}
		r := residual(s)
		m.nodes[s] = memoNode{r, r != nil && trivial(r)}
		for _, c := range children(s) {
			walk(c)
		}
	}
	walk(root)
	if !ok || inPlaceCycle(root) {
		return nil
	}
	return m
}

// residual is s without the keywords the memo decomposes, or nil when s is validated whole.
func residual(s *jsonschema.Schema) *jsonschema.Schema {
	if s.Bool != nil {
		return s
	}
	if s.UnevaluatedProperties != nil || s.UnevaluatedItems != nil {
		return nil
	}
	if s.DraftVersion < 2019 && s.Ref != nil {
		return &jsonschema.Schema{DraftVersion: s.DraftVersion, Location: s.Location, Types: s.Types, Const: s.Const, Enum: s.Enum, Format: s.Format}
	}
	r := *s
	r.Ref, r.AllOf, r.If, r.Then, r.Else = nil, nil, nil, nil, nil
	if s.Properties != nil {
		r.Properties = make(map[string]*jsonschema.Schema, len(s.Properties))
		for k := range s.Properties {
			r.Properties[k] = trueSchema
		}
	}
	if s.DraftVersion >= 2020 {
		r.PrefixItems = trues(len(s.PrefixItems))
		if s.Items2020 != nil {
			r.Items2020 = trueSchema
		}
	} else {
		switch items := s.Items.(type) {
		case *jsonschema.Schema:
			r.Items = trueSchema
		case []*jsonschema.Schema:
			r.Items = trues(len(items))
		}
	}
	return &r
}

// notAssertions are the fields of a schema that assert nothing about a value: identity, the draft,
// annotations.
var notAssertions = map[string]bool{"DraftVersion": true, "Location": true, "ID": true, "Anchor": true, "RecursiveAnchor": true,
	"DynamicAnchor": true, "Title": true, "Description": true, "Default": true, "Comment": true, "ReadOnly": true,
	"WriteOnly": true, "Examples": true, "Deprecated": true}

// trivial says whether the residual r accepts every JSON value: every exported field is an annotation,
// zero, or `true` where the memo put it (properties, items). A field the library may add later counts
// as an assertion unless zero.
func trivial(r *jsonschema.Schema) bool {
	rv := reflect.ValueOf(r).Elem()
	for _, f := range assertionFields() {
		if rv.Field(f.index).IsZero() {
			continue
		}
		switch {
		case f.name == "Properties":
			for _, p := range r.Properties {
				if p != trueSchema {
					return false
				}
			}
		case f.name == "PrefixItems":
			if !isTrues(r.PrefixItems) {
				return false
			}
		case f.name == "Items2020" && r.Items2020 == trueSchema:
		case f.name == "Items" && (r.Items == trueSchema || isTrues(r.Items)):
		default:
			return false
		}
	}
	return true
}

type schemaField struct {
	index int
	name  string
}

// assertionFields are the exported fields of jsonschema.Schema but those in notAssertions.
var assertionFields = sync.OnceValue(func() []schemaField {
	var out []schemaField
	t := reflect.TypeFor[jsonschema.Schema]()
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !notAssertions[f.Name] {
			out = append(out, schemaField{i, f.Name})
		}
	}
	return out
})

func isTrues(items any) bool {
	l, ok := items.([]*jsonschema.Schema)
	return ok && !slices.ContainsFunc(l, func(s *jsonschema.Schema) bool { return s != trueSchema })
}

func trues(n int) []*jsonschema.Schema {
	if n == 0 {
		return nil
	}
	out := make([]*jsonschema.Schema, n)
	for i := range out {
		out[i] = trueSchema
	}
	return out
}

// inPlace are the sub-schemas the library applies to the same value as s.
func inPlace(s *jsonschema.Schema) []*jsonschema.Schema {
	out := []*jsonschema.Schema{s.Ref, s.Not, s.If, s.Then, s.Else}
	out = append(out, s.AllOf...)
	out = append(out, s.AnyOf...)
	out = append(out, s.OneOf...)
	for _, d := range s.DependentSchemas {
		out = append(out, d)
	}
	for _, d := range s.Dependencies {
		if d, ok := d.(*jsonschema.Schema); ok {
			out = append(out, d)
		}
	}
	return out
}

// children are every sub-schema of s.
func children(s *jsonschema.Schema) []*jsonschema.Schema {
	out := append(inPlace(s), s.PropertyNames, s.UnevaluatedProperties, s.Contains, s.Items2020, s.UnevaluatedItems, s.ContentSchema)
	for _, p := range s.Properties {
		out = append(out, p)
	}
	for _, p := range s.PatternProperties {
		out = append(out, p)
	}
	out = append(out, s.PrefixItems...)
	for _, v := range []any{s.AdditionalProperties, s.Items, s.AdditionalItems} {
		switch v := v.(type) {
		case *jsonschema.Schema:
			out = append(out, v)
		case []*jsonschema.Schema:
			out = append(out, v...)
		}
	}
	return out
}

// inPlaceCycle says whether a chain of in-place applicators leads from a schema reachable from root
// back to itself.
func inPlaceCycle(root *jsonschema.Schema) bool {
	const (
		visiting = 1
		done     = 2
	)
	state := map[*jsonschema.Schema]int{}
	var visit func(s *jsonschema.Schema, edges func(*jsonschema.Schema) []*jsonschema.Schema) bool
	visit = func(s *jsonschema.Schema, edges func(*jsonschema.Schema) []*jsonschema.Schema) bool {
		switch state[s] {
		case visiting:
			return true
		case done:
			return false
		}
		state[s] = visiting
		for _, c := range edges(s) {
			if c != nil && visit(c, edges) {
				return true
			}
		}
		state[s] = done
		return false
	}
	// Every reachable schema, then the in-place graph from each.
	all := map[*jsonschema.Schema]bool{}
	var reach func(s *jsonschema.Schema)
	reach = func(s *jsonschema.Schema) {
		if s == nil || all[s] {
			return
		}
		all[s] = true
		for _, c := range children(s) {
			reach(c)
		}
	}
	reach(root)
	for s := range all {
		if visit(s, inPlace) {
			return true
		}
	}
	return false
}

// valid says whether the library accepts v under the memo's root: true only if it does; false when it
// does not, or when v holds a type the digest does not know.
func (m *schemaMemo) valid(root *jsonschema.Schema, v any) bool {
	valid, _ := m.validate(root, v, false)
	return valid
}

// validate is root.Validate(v), the library's own error: nil when the memo holds v valid; otherwise
// the library's validation of root specialized to v (specialize), unless plainErrors.
func (m *schemaMemo) validate(root *jsonschema.Schema, v any, plainErrors bool) (valid bool, err error) {
	c := memoCalls.Get().(*memoCall)
	defer func() {
		clear(c.digests)
		clear(c.entries[:cap(c.entries)]) // keeps no value alive in the pool
		c.entries = c.entries[:0]
		c.m = nil
		memoCalls.Put(c)
	}()
	c.m = m
	if _, ok := c.digest(v); !ok {
		memoUnknown.Add(1)
		return false, root.Validate(v)
	}
	if c.valid(root, v) {
		return true, nil
	}
	if plainErrors {
		return false, root.Validate(v)
	}
	return false, c.specialize(root, v).Validate(v)
}

// specialize is s for v with every decomposed keyword's sub-schema replaced: by `true` where the memo
// holds the pair valid, by its own specialization otherwise (the rest of s is shared). Validating it
// gives the library's error for s and v, and is much cheaper when most of v is valid: the library
// reports errors where sub-validations fail and nothing for those that pass, and a decomposed keyword
// (see the top of the file) affects its node through its sub-schemas' errors alone, so putting `true`
// where the sub-schema accepts its value changes no error; a node validated whole, the residual's
// keywords and every if stay as they are. An array's items become prefixItems of the same length (or
// for items before 2020, a list of item schemas), one per element, which validate each element as
// before and leave no element to items or additionalItems, as before.
func (c *memoCall) specialize(s *jsonschema.Schema, v any) *jsonschema.Schema {
	if s.Bool != nil {
		return s
	}
	if c.valid(s, v) {
		return trueSchema
	}
	if n, known := c.m.nodes[s]; !known || n.residual == nil {
		return s
	}
	cp := *s
	if s.Ref != nil {
		cp.Ref = c.specialize(s.Ref, v)
	}
	if s.DraftVersion < 2019 && s.Ref != nil {
		return &cp
	}
	if len(s.AllOf) > 0 {
		cp.AllOf = make([]*jsonschema.Schema, len(s.AllOf))
		for i, a := range s.AllOf {
			cp.AllOf[i] = c.specialize(a, v)
		}
	}
	if s.If != nil {
		if c.whole(s.If, v) {
			if s.Then != nil {
				cp.Then = c.specialize(s.Then, v)
			}
		} else if s.Else != nil {
			cp.Else = c.specialize(s.Else, v)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if len(s.Properties) > 0 {
			cp.Properties = make(map[string]*jsonschema.Schema, len(s.Properties))
			for name, p := range s.Properties {
				if pv, ok := x[name]; ok {
					p = c.specialize(p, pv)
				}
				cp.Properties[name] = p
			}
		}
	case []any:
		if s.DraftVersion >= 2020 {
			cp.PrefixItems = make([]*jsonschema.Schema, len(x))
			for i, item := range x {
				switch {
				case i < len(s.PrefixItems):
					cp.PrefixItems[i] = c.specialize(s.PrefixItems[i], item)
				case s.Items2020 != nil:
					cp.PrefixItems[i] = c.specialize(s.Items2020, item)
				default:
					cp.PrefixItems[i] = trueSchema
				}
			}
			cp.Items2020 = nil
		} else {
			switch items := s.Items.(type) {
			case *jsonschema.Schema:
				each := make([]*jsonschema.Schema, len(x))
				for i, item := range x {
					each[i] = c.specialize(items, item)
				}
				cp.Items = each
			case []*jsonschema.Schema:
				each := slices.Clone(items)
				for i, item := range x[:min(len(x), len(items))] {
					each[i] = c.specialize(items[i], item)
				}
				cp.Items = each
			}
		}
	}
	return &cp
}

// memoCall is one validation's scratch: the digest of each map and list of the value by identity.
type memoCall struct {
	m       *schemaMemo
	digests map[ident][sha256.Size]byte
	buf     []byte
	entries []entry
}

type entry struct {
	k string
	v any
}

type ident struct {
	p unsafe.Pointer
	n int // a list's length; -1 for a map
}

// memoUnknown counts the validations left to the library because the value held a type the digest
// does not know (tests read it).
var memoUnknown atomic.Int64

var memoCalls = sync.Pool{New: func() any { return &memoCall{digests: map[ident][sha256.Size]byte{}} }}

func (c *memoCall) valid(s *jsonschema.Schema, v any) bool {
	if s.Bool != nil {
		return *s.Bool
	}
	k, ok := c.key(s, v, false)
	if !ok {
		return false
	}
	if verdict, hit := c.m.lookup(k); hit {
		return verdict
	}
	verdict := c.decide(s, v)
	c.m.store(k, verdict)
	return verdict
}

// whole is the library's own verdict on s for v (memoized).
func (c *memoCall) whole(s *jsonschema.Schema, v any) bool {
	k, ok := c.key(s, v, true)
	if !ok {
		return s.Validate(v) == nil
	}
	if verdict, hit := c.m.lookup(k); hit {
		return verdict
	}
	verdict := s.Validate(v) == nil
	c.m.store(k, verdict)
	return verdict
}

func (c *memoCall) decide(s *jsonschema.Schema, v any) bool {
	n, known := c.m.nodes[s]
	if !known || n.residual == nil {
		return c.whole(s, v)
	}
	if !n.trivial && n.residual.Validate(v) != nil {
		return false
	}
	if s.DraftVersion < 2019 && s.Ref != nil {
		return c.valid(s.Ref, v)
	}
	if s.Ref != nil && !c.valid(s.Ref, v) {
		return false
	}
	for _, a := range s.AllOf {
		if !c.valid(a, v) {
			return false
		}
	}
	if s.If != nil {
		if c.whole(s.If, v) {
			if s.Then != nil && !c.valid(s.Then, v) {
				return false
			}
		} else if s.Else != nil && !c.valid(s.Else, v) {
			return false
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for name, pv := range x {
			if p, ok := s.Properties[name]; ok && !c.valid(p, pv) {
				return false
			}
		}
	case []any:
		if s.DraftVersion >= 2020 {
			for i, item := range x {
				if i < len(s.PrefixItems) {
					if !c.valid(s.PrefixItems[i], item) {
						return false
					}
				} else if s.Items2020 != nil && !c.valid(s.Items2020, item) {
					return false
				}
			}
		} else {
			switch items := s.Items.(type) {
			case *jsonschema.Schema:
				for _, item := range x {
					if !c.valid(items, item) {
						return false
					}
				}
			case []*jsonschema.Schema:
				for i, item := range x[:min(len(x), len(items))] {
					if !c.valid(items[i], item) {
						return false
					}
				}
			}
		}
	}
	return true
}

func (m *schemaMemo) lookup(k memoKey) (verdict, ok bool) {
	m.mu.Lock()
	verdict, ok = m.verdicts[k]
	m.mu.Unlock()
	return verdict, ok
}

func (m *schemaMemo) store(k memoKey, verdict bool) {
	m.mu.Lock()
	if len(m.verdicts) >= memoMax {
		clear(m.verdicts)
	}
	m.verdicts[k] = verdict
	m.mu.Unlock()
}

func (c *memoCall) key(s *jsonschema.Schema, v any, whole bool) (memoKey, bool) {
	k := memoKey{s: s, whole: whole}
	switch x := v.(type) {
	case map[string]any:
		d, ok := c.digests[mapIdent(x)]
		k.digest = d
		return k, ok
	case []any:
		d, ok := c.digests[ident{unsafe.Pointer(unsafe.SliceData(x)), len(x)}]
		k.digest = d
		return k, ok
	}
	if !scalar(v) {
		return k, false
	}
	k.scalar = v
	return k, true
}

func mapIdent(m map[string]any) ident {
	return ident{reflect.ValueOf(m).UnsafePointer(), -1}
}

// scalar says whether v is a value the digest knows that is neither a map nor a list (NaN and the
// infinities are not: the library refuses them as no JSON value).
func scalar(v any) bool {
	switch x := v.(type) {
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case nil, bool, string, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// digest records the digest of v and of every map and list in it (by identity) in c.digests, and
// returns v's; false when v holds a type it does not know. Scalars are written in full, tagged by type.
func (c *memoCall) digest(v any) ([sha256.Size]byte, bool) {
	var id ident
	switch x := v.(type) {
	case map[string]any:
		id = mapIdent(x)
		if d, ok := c.digests[id]; ok {
			return d, true
		}
		// The entries go on c.entries (a stack: the children's own entries go above them and are
		// popped before this map's are read).
		base := len(c.entries)
		for k, e := range x {
			c.entries = append(c.entries, entry{k, e})
		}
		for i := base; i < base+len(x); i++ {
			if _, ok := c.digest(c.entries[i].v); !ok {
				c.entries = c.entries[:base]
				return [sha256.Size]byte{}, false
			}
		}
		entries := c.entries[base:]
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.k, b.k) })
		b := binary.AppendUvarint(append(c.buf[:0], 'm'), uint64(len(x)))
		for _, e := range entries {
			b = c.appendValue(append(binary.AppendUvarint(b, uint64(len(e.k))), e.k...), e.v)
		}
		c.entries = c.entries[:base]
		c.buf = b
	case []any:
		id = ident{unsafe.Pointer(unsafe.SliceData(x)), len(x)}
		if d, ok := c.digests[id]; ok {
			return d, true
		}
		for _, e := range x {
			if _, ok := c.digest(e); !ok {
				return [sha256.Size]byte{}, false
			}
		}
		b := binary.AppendUvarint(append(c.buf[:0], 'l'), uint64(len(x)))
		for _, e := range x {
			b = c.appendValue(b, e)
		}
		c.buf = b
	default:
		return [sha256.Size]byte{}, scalar(v)
	}
	d := sha256.Sum256(c.buf)
	c.digests[id] = d
	return d, true
}

// appendValue appends v to b: a map or list as its recorded digest, a scalar tagged by its Go type.
func (c *memoCall) appendValue(b []byte, v any) []byte {
	u := func(tag byte, n uint64) []byte { return binary.BigEndian.AppendUint64(append(b, tag), n) }
	switch x := v.(type) {
	case map[string]any:
		d := c.digests[mapIdent(x)]
		return append(append(b, 'M'), d[:]...)
	case []any:
		d := c.digests[ident{unsafe.Pointer(unsafe.SliceData(x)), len(x)}]
		return append(append(b, 'L'), d[:]...)
	case nil:
		return append(b, 'n')
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		return append(binary.AppendUvarint(append(b, 's'), uint64(len(x))), x...)
	case json.Number:
		return append(binary.AppendUvarint(append(b, 'j'), uint64(len(x))), x...)
	case float64:
		return u('F', math.Float64bits(x))
	case float32:
		return u('G', uint64(math.Float32bits(x)))
	case int:
		return u('i', uint64(x))
	case int8:
		return u('1', uint64(x))
	case int16:
		return u('2', uint64(x))
	case int32:
		return u('4', uint64(x))
	case int64:
		return u('8', uint64(x))
	case uint:
		return u('u', uint64(x))
	case uint8:
		return u('U', uint64(x))
	case uint16:
		return u('V', uint64(x))
	case uint32:
		return u('W', uint64(x))
	case uint64:
		return u('X', x)
	}
	// Not reached: digest checked every value's type before writing its container.
	return append(b, '?')
}
