package chartrender

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Preparing a rendering's values as `helm template` does costs Helm three to six deep copies of every
// chart's defaults by reflection: ProcessDependencies coalesces the values to decide which
// dependencies are enabled, merges every chart's defaults into its parent for import-values, and
// ToRenderValues coalesces them again. Per loaded chart, this file does the part that does not depend
// on the user values once, with Helm's own code, and per rendering only what does:
//
//   - A chart tree whose dependencies declare no condition and no tags (at any depth), and whose
//     dependencies have no dependencies of their own, enables every dependency whatever the values
//     say. Its processed chart — aliases applied, import-values and every dependency's defaults merged
//     into its parent by Helm's ProcessDependencies — is the same for every rendering: it is made once
//     and shared (read-only). The one way user values make Helm's dependency processing fail on such a
//     chart is a dependency's key set to a non-table (or to null when values.yaml lacks that key): that
//     is checked per rendering, with Helm's error.
//   - Any other chart runs Helm's ProcessDependencies on a copy per rendering, as before.
//
// The coalesced values are then coalesce.go's CoalesceValues (Helm's rules, cheap copies). A loaded
// chart is read-only once rendered: a chart whose Metadata, Values, Schema or dependency list is
// replaced is prepared again; one whose values map is edited in place is not (as the template cache).
// Options.HelmValues runs Helm's own functions instead, for the differential test.

// ValuesOps are what preparing values needs of a Helm major's chart type and dependency processing.
type ValuesOps[C CoalesceChart[C]] struct {
	// V4 selects Helm v4's coalescing (chart-default nils dropped).
	V4 bool
	// Values is a chart's values.yaml.
	Values func(C) map[string]interface{}
	// Requirements are a chart's declared dependencies (Chart.yaml), nil entries included.
	Requirements func(C) []Requirement
	// Clone copies what dependency processing mutates, sharing the rest.
	Clone func(C) C
	// Process is Helm's ProcessDependencies for this major, on a clone.
	Process func(C, map[string]interface{}) error
	// Parts appends a loaded chart's parts (its metadata, values, schema, templates and dependency
	// list, recursively) to parts; a chart one of whose parts was replaced is prepared again.
	Parts func(C, []interface{}) []interface{}
}

// Requirement is what preparing values reads of a declared dependency; Nil marks a null entry.
type Requirement struct {
	Nil       bool
	Condition string
	Tags      int
}

// prepared is a loaded chart's values preparation, made once.
type prepared[C any] struct {
	// parts are the loaded chart's parts this was prepared from (kept, so their addresses stay theirs)
	// and identity their addresses.
	parts    []interface{}
	identity []uintptr
	// fixed: the dependency processing does not depend on the user values (see above).
	fixed     bool
	processed C
	// depNames are processed's dependencies in the order Helm coalesces them (first occurrences);
	// inDefaults says whether the loaded chart's values.yaml has a key of that name.
	depNames   []string
	inDefaults []bool

	// verdicts are the schema's verdicts by digest of the user values (validateOnce).
	mu       sync.Mutex
	verdicts map[[sha256.Size]byte]error
}

const preparedMax = 256 // loaded charts kept before the cache starts over

var (
	preparedCache sync.Map // loaded chart (pointer) → *prepared[C]
	preparedCount atomic.Int64
)

func preparedFor[C CoalesceChart[C]](ch C, ops ValuesOps[C]) *prepared[C] {
	parts := ops.Parts(ch, nil)
	id := identity(parts)
	if v, ok := preparedCache.Load(any(ch)); ok {
		if p := v.(*prepared[C]); slices.Equal(p.identity, id) {
			return p
		}
	}
	p := &prepared[C]{parts: parts, identity: id, verdicts: map[[sha256.Size]byte]error{}}
	if fixedDependencies(ch, ops, 0) {
		c := ops.Clone(ch)
		if err := ops.Process(c, map[string]interface{}{}); err == nil {
			p.fixed, p.processed = true, c
			defaults := ops.Values(ch)
			for _, d := range c.Dependencies() {
				if !slices.Contains(p.depNames, d.Name()) {
					_, in := defaults[d.Name()]
					p.depNames = append(p.depNames, d.Name())
					p.inDefaults = append(p.inDefaults, in)
				}
			}
		}
	}
	if preparedCount.Add(1) > preparedMax {
		preparedCache.Clear()
		preparedCount.Store(1)
	}
	preparedCache.Store(any(ch), p)
	return p
}

// fixedDependencies says whether no declared dependency of ch's tree has a condition or tags, and no
// dependency chart has dependencies of its own.
func fixedDependencies[C CoalesceChart[C]](ch C, ops ValuesOps[C], depth int) bool {
	for _, r := range ops.Requirements(ch) {
		if r.Nil || r.Condition != "" || r.Tags > 0 {
			return false
		}
	}
	for _, d := range ch.Dependencies() {
		if depth > 0 || !fixedDependencies(d, ops, depth+1) {
			return false
		}
	}
	return true
}

// ProcessedValues is Helm's dependency processing of ch and its coalescing of user over the result:
// the processed chart (shared between renderings when it does not depend on user: read-only), the
// coalesced values, and an error from the processing (processErr, as Process returns it) or from
// coalescing (err). user is not modified. validateOnce(validate) runs validate, the schema validation
// of the coalesced values, once per distinct user values of ch, and gives its verdict.
func ProcessedValues[C CoalesceChart[C]](ch C, user map[string]interface{}, ops ValuesOps[C]) (c C, vals map[string]interface{}, validateOnce func(validate func() error) error, processErr, err error) {
	if user == nil {
		user = map[string]interface{}{}
	}
	p := preparedFor(ch, ops)
	if p.fixed {
		// The coalescing Helm's processing runs first fails only where a dependency's key is no table.
		for i, name := range p.depNames {
			v, ok := user[name]
			if ok && (v != nil && !istable(v) || v == nil && !p.inDefaults[i]) {
				return c, nil, nil, fmt.Errorf("type mismatch on %s: %t", name, v), nil
			}
		}
		c = p.processed
	} else {
		c = ops.Clone(ch)
		if err := ops.Process(c, DeepCopyValue(user).(map[string]interface{})); err != nil {
			return c, nil, nil, err, nil
		}
	}
	vals, err = CoalesceValues(c, user, ops.Values, ops.V4)
	return c, vals, func(validate func() error) error { return p.validateOnce(user, validate) }, nil, err
}

// validateOnce is validate() once per distinct user values: the coalesced values, so the verdict, are
// a function of the loaded chart and the user values alone. Values holding anything but maps, lists,
// strings, booleans, numbers and nulls are validated every time.
func (p *prepared[C]) validateOnce(user map[string]interface{}, validate func() error) error {
	h := sha256.New()
	if !digestValues(h, user) {
		validations.Add(1)
		return validate()
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	p.mu.Lock()
	verdict, ok := p.verdicts[key]
	p.mu.Unlock()
	if ok {
		return verdict
	}
	validations.Add(1)
	verdict = validate()
	p.mu.Lock()
	if len(p.verdicts) >= validatedMax {
		clear(p.verdicts)
	}
	p.verdicts[key] = verdict
	p.mu.Unlock()
	return verdict
}

// digestValues writes v to h, each node tagged with its type and sized, map keys sorted, so two trees
// have the same digest only when they are equal and of the same types; false for a type it does not know.
func digestValues(h io.Writer, v interface{}) bool {
	var b [binary.MaxVarintLen64 + 1]byte
	put := func(tag byte, n uint64) {
		b[0] = tag
		_, _ = h.Write(b[:1+binary.PutUvarint(b[1:], n)]) // a hash never fails to write
	}
	switch x := v.(type) {
	case nil:
		put('n', 0)
	case bool:
		if x {
			put('t', 0)
		} else {
			put('f', 0)
		}
	case string:
		put('s', uint64(len(x)))
		_, _ = io.WriteString(h, x)
	case int:
		put('i', uint64(x))
	case int64:
		put('I', uint64(x))
	case float64:
		put('F', math.Float64bits(x))
	case []interface{}:
		if x == nil {
			put('L', 0)
			break
		}
		put('l', uint64(len(x)))
		for _, e := range x {
			if !digestValues(h, e) {
				return false
			}
		}
	case map[string]interface{}:
		if x == nil {
			put('M', 0)
			break
		}
		put('m', uint64(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			put('k', uint64(len(k)))
			_, _ = io.WriteString(h, k)
			if !digestValues(h, x[k]) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// identity is the address of each of parts (a map, slice or pointer; 0 for nil), and a slice's length.
func identity(parts []interface{}) []uintptr {
	ids := make([]uintptr, 0, len(parts))
	for _, v := range parts {
		rv := reflect.ValueOf(v)
		switch {
		case !rv.IsValid() || rv.IsNil():
			ids = append(ids, 0)
		case rv.Kind() == reflect.Slice:
			ids = append(ids, uintptr(rv.UnsafePointer()), uintptr(rv.Len()))
		default:
			ids = append(ids, uintptr(rv.UnsafePointer()))
		}
	}
	return ids
}

var opsV3 = ValuesOps[*chart.Chart]{
	Values: func(c *chart.Chart) map[string]interface{} { return c.Values },
	Requirements: func(c *chart.Chart) []Requirement {
		if c.Metadata == nil {
			return nil
		}
		rs := make([]Requirement, len(c.Metadata.Dependencies))
		for i, d := range c.Metadata.Dependencies {
			if d == nil {
				rs[i].Nil = true
				continue
			}
			rs[i] = Requirement{Condition: d.Condition, Tags: len(d.Tags)}
		}
		return rs
	},
	Clone: clone,
	Process: func(c *chart.Chart, v map[string]interface{}) error {
		return chartutil.ProcessDependenciesWithMerge(c, v)
	},
	Parts: partsV3,
}

func partsV3(c *chart.Chart, parts []interface{}) []interface{} {
	parts = append(parts, c.Metadata, c.Values, c.Schema, c.Templates, c.Dependencies())
	for _, d := range c.Dependencies() {
		parts = partsV3(d, parts)
	}
	return parts
}
