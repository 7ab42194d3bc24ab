package chartrender

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Helm compiles values.schema.json on every render, which is most of a render's cost when one chart is
// rendered hundreds of times. validateValues does what chartutil.ValidateAgainstSchema does — same
// library, same draft handling, same error text — with each schema compiled once. A schema that
// refers to anything outside itself (remote $ref) is left to Helm's own path.

var schemas sync.Map // string(schema bytes) → *compiledSchema, or error for "use Helm's path"

const schemaURL = "file:///values.schema.json"

// compiledSchema is a compiled values.schema.json and its memo (schema_memo.go; nil when the schema
// has a keyword the memo cannot decompose soundly).
type compiledSchema struct {
	root *jsonschema.Schema
	memo *schemaMemo
}

// validate is root.Validate(v): nil when the memo says v is valid (it says so only when the library
// does), the library's own error otherwise.
func (c *compiledSchema) validate(v any) error {
	if c.memo == nil {
		return c.root.Validate(v)
	}
	_, err := c.memo.validate(c.root, v, false)
	return err
}

func compiled(raw []byte) (*compiledSchema, error) {
	// The lookup reads raw as a string without copying it (a schema is tens of KB; Load keeps nothing).
	if v, ok := schemas.Load(unsafe.String(unsafe.SliceData(raw), len(raw))); ok {
		if s, ok := v.(*compiledSchema); ok {
			return s, nil
		}
		return nil, v.(error)
	}
	s, err := compile(raw)
	if err != nil {
		schemas.Store(string(raw), err)
		return nil, err
	}
	c := &compiledSchema{root: s, memo: newSchemaMemo(s)}
	if v, loaded := schemas.LoadOrStore(string(raw), c); loaded {
		if prev, ok := v.(*compiledSchema); ok {
			return prev, nil
		}
	}
	return c, nil
}

func compile(raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// Only this document: any other reference makes compilation fail, and Helm's path takes over.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// validateValues returns Helm's schema error for vals (coalesced values of ch), or nil.
func validateValues(ch *chart.Chart, vals map[string]interface{}) error {
	return ValidateValues(ch, vals, func(c *chart.Chart) []byte { return c.Schema }, (*chart.Chart).Dependencies)
}

// ErrUseHelm is ValidateValues' answer for a schema that refers to anything outside itself: validate
// with Helm's own ValidateAgainstSchema.
var ErrUseHelm = errors.New("schema needs Helm's loader")

// ValidateValues is Helm's schema validation of coalesced values vals for a chart of either SDK (Helm
// v3's chartutil.ValidateAgainstSchema and v4's util.ValidateAgainstSchema are the same code), with
// each schema compiled once: Helm's error, or nil, or ErrUseHelm. schema and deps read a chart's
// values.schema.json and dependencies.
func ValidateValues[C interface{ Name() string }](ch C, vals map[string]interface{}, schema func(C) []byte, deps func(C) []C) error {
	return validateValuesWith(ch, vals, schema, deps, false)
}

// validateValuesWith is ValidateValues; plain validates with the library alone, without the memo (tests
// compare the two).
func validateValuesWith[C interface{ Name() string }](ch C, vals map[string]interface{}, schema func(C) []byte, deps func(C) []C, plain bool) error {
	var sb strings.Builder
	if err := validateTree(ch, vals, &sb, schema, deps, plain); err != nil {
		return err
	}
	if sb.Len() > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", sb.String())
	}
	return nil
}

func validateTree[C interface{ Name() string }](ch C, vals map[string]interface{}, sb *strings.Builder, schema func(C) []byte, deps func(C) []C, plain bool) error {
	if raw := schema(ch); raw != nil {
		s, err := compiled(raw)
		if err != nil {
			return ErrUseHelm
		}
		v := chartutil.Values(vals).AsMap()
		validate := s.validate
		if plain {
			validate = s.root.Validate
		}
		if err := validate(v); err != nil {
			fmt.Fprintf(sb, "%s:\n", ch.Name())
			sb.WriteString(strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaURL+"#'\n") + "\n")
		}
	}
	for _, sub := range deps(ch) {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subVals, ok := raw.(map[string]interface{})
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		if err := validateTree(sub, subVals, sb, schema, deps, plain); err != nil {
			return err
		}
	}
	return nil
}

// A matrix renders the same values many times over (every release name and namespace axis repeats
// them), and the coalesced values are a function of the chart and the user values alone, so the
// verdict of the schema is kept per chart and digest of the coalesced values (their JSON, keys
// sorted) and of every schema in the chart tree (so a chart changed in place is validated again). Only validation is kept: every rendering still runs its templates.

const validatedMax = 4096 // verdicts kept before the cache starts over

type validatedKey struct {
	chart  *chart.Chart // the loaded chart Render was given
	values [sha256.Size]byte
}

var (
	validatedMu sync.Mutex
	validated   = map[validatedKey]error{}
	// validations counts the schema validations run (tests read it).
	validations atomic.Int64
)

// validateOnce is validate(c, coalesced), run once per distinct coalesced values of ch.
func validateOnce(ch, c *chart.Chart, coalesced chartutil.Values) error {
	raw, err := json.Marshal(coalesced)
	if err != nil { // values JSON cannot hold: no key, validate every time
		validations.Add(1)
		return validate(c, coalesced)
	}
	h := sha256.New()
	h.Write(raw)
	addSchemas(h, c)
	key := validatedKey{chart: ch}
	h.Sum(key.values[:0])
	validatedMu.Lock()
	verdict, ok := validated[key]
	validatedMu.Unlock()
	if ok {
		return verdict
	}
	validations.Add(1)
	verdict = validate(c, coalesced)
	validatedMu.Lock()
	if len(validated) >= validatedMax {
		clear(validated)
	}
	validated[key] = verdict
	validatedMu.Unlock()
	return verdict
}

func addSchemas(h hash.Hash, c *chart.Chart) {
	fmt.Fprintf(h, "\x00%s %d\x00", c.Name(), len(c.Schema))
	h.Write(c.Schema)
	for _, d := range c.Dependencies() {
		addSchemas(h, d)
	}
}
