package chartrender

// This file executes a chart's templates the way helm.sh/helm/v3/pkg/engine (v3.22) does for
// `helm template` (Engine{} with no cluster: Strict off, LintMode off, no client, DNS off), but parses
// the template set once and executes it per rendering on a cheap Clone. The per-render pieces that
// Helm keeps unexported (the function map, include/tpl/required/fail, the values scoping of
// recAllTpls, the parse order of sortTemplates, the error cleanup) are reproduced from Helm's
// engine.go and funcs.go (Apache-2.0, The Helm Authors); TestEngineMatchesHelm and the differential
// test in tests/ render with both and require identical output.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"unsafe"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
	goYaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Engine selects how templates are executed.
type Engine int

const (
	// EngineParseOnce (the default) parses a chart's template set once and executes it per
	// rendering with Helm's function map and semantics.
	EngineParseOnce Engine = iota
	// EngineHelm calls Helm's engine.Render on every rendering: exact Helm, every template
	// re-parsed each time.
	EngineHelm
)

// renderable is one template file with the values it executes with (engine.renderable).
type renderable struct {
	data     []byte
	vals     chartutil.Values
	basePath string
}

// helmFiles is engine.files: the chart's non-template files as .Files sees them.
type helmFiles map[string][]byte

func newHelmFiles(from []*chart.File) helmFiles {
	f := make(helmFiles, len(from))
	for _, x := range from {
		f[x.Name] = x.Data
	}
	return f
}

// GetBytes is engine.files.GetBytes.
func (f helmFiles) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get is engine.files.Get.
func (f helmFiles) Get(name string) string { return string(f.GetBytes(name)) }

// Glob is engine.files.Glob.
func (f helmFiles) Glob(pattern string) helmFiles {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	nf := newHelmFiles(nil)
	for name, contents := range f {
		if g.Match(name) {
			nf[name] = contents
		}
	}
	return nf
}

// AsConfig is engine.files.AsConfig.
func (f helmFiles) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets is engine.files.AsSecrets.
func (f helmFiles) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines is engine.files.Lines.
func (f helmFiles) Lines(path string) []string {
	if f == nil || len(f[path]) == 0 {
		return []string{}
	}
	s := string(f[path])
	if s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n")
}

// allTemplates is engine.allTemplates: every template of c and its enabled dependencies, each with
// its scoped values.
func allTemplates(c *chart.Chart, vals chartutil.Values) map[string]renderable {
	templates := make(map[string]renderable)
	recAllTpls(c, templates, vals)
	return templates
}

func recAllTpls(c *chart.Chart, templates map[string]renderable, vals chartutil.Values) map[string]interface{} {
	subCharts := make(map[string]interface{})
	chartMetaData := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}
	next := map[string]interface{}{
		"Chart":        chartMetaData,
		"Files":        newHelmFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(chartutil.Values),
		"Subcharts":    subCharts,
	}
	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := vals.Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}
	for _, child := range c.Dependencies() {
		subCharts[child.Name()] = recAllTpls(child, templates, next)
	}
	newParentID := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil {
			continue
		}
		if strings.EqualFold(c.Metadata.Type, "library") && !strings.HasPrefix(filepath.Base(t.Name), "_") {
			continue
		}
		templates[path.Join(newParentID, t.Name)] = renderable{
			data:     t.Data,
			vals:     next,
			basePath: path.Join(newParentID, "templates"),
		}
	}
	return next
}

// SortTemplates puts template paths in the order Helm's engine parses and executes them (its
// sortTemplates, the same in Helm v3.22 and v4.3.1): deeper paths first, so a chart's own definitions
// win over its dependencies', then by name, descending.
func SortTemplates(keys []string) {
	sort.Sort(sort.Reverse(byPathLen(keys)))
}

type byPathLen []string

func (p byPathLen) Len() int      { return len(p) }
func (p byPathLen) Swap(i, j int) { p[j], p[i] = p[i], p[j] }
func (p byPathLen) Less(i, j int) bool {
	a, b := p[i], p[j]
	ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
	if ca == cb {
		return strings.Compare(a, b) == -1
	}
	return ca < cb
}

// ParsedSet is one template set parsed once: a root template ("gotpl") holding every file, or the
// error parsing stopped at.
type ParsedSet struct {
	// sources holds every template's Data, so no slice whose address is part of the cache key can
	// be freed and its address reused by another template while the entry lives.
	sources [][]byte
	Root    *template.Template
	Err     error
	// clones keeps *BoundClone values between renderings (Acquire, Release).
	clones sync.Pool
}

// BoundClone is a Clone of a parsed set's Root with include and tpl bound to it and to Names (the
// include recursion counters of one rendering). A rendering acquires one, executes on it and
// releases it: cloning the set (and binding include and tpl) once per worker instead of once per
// rendering is Helm's per-render fresh template without its copies. Templates are not changed by
// executing them (tpl parses into a clone of its own), and Names is emptied on every Acquire, so each
// rendering starts as on a fresh Clone.
type BoundClone struct {
	T     *template.Template
	Names map[string]int
}

// Acquire is a BoundClone of s for one rendering: a released one, or a new Clone with Helm's include
// and tpl (IncludeFun, TplFun: the same in both majors, as engine.initFunMap binds them) bound to it
// and its Names.
func (s *ParsedSet) Acquire() (*BoundClone, error) {
	if c, ok := s.clones.Get().(*BoundClone); ok {
		clear(c.Names)
		return c, nil
	}
	t, err := s.Root.Clone()
	if err != nil {
		return nil, err
	}
	c := &BoundClone{T: t, Names: map[string]int{}}
	t.Funcs(template.FuncMap{
		"include": IncludeFun(t, c.Names),
		"tpl":     TplFun(t, c.Names),
	})
	return c, nil
}

// Release gives c back for the next rendering of s.
func (s *ParsedSet) Release(c *BoundClone) { s.clones.Put(c) }

// setCache holds parsed template sets keyed by file names and the identity of their sources, so a
// template whose Data is replaced is parsed again. It is bounded: when full, it is emptied.
var setCache = struct {
	sync.Mutex
	m map[string]*ParsedSet
}{m: map[string]*ParsedSet{}}

const maxCachedSets = 32

func setKey(mode string, names []string, sources [][]byte) string {
	var b strings.Builder
	b.WriteString(mode)
	for i, k := range names {
		d := sources[i]
		var p uintptr
		if len(d) > 0 {
			p = uintptr(unsafe.Pointer(unsafe.SliceData(d)))
		}
		fmt.Fprintf(&b, "\x00%s\x00%x\x00%d", k, p, len(d))
	}
	return b.String()
}

// ParseOnce is what Helm's engine does before it executes anything, done once: the paths of tpls
// (template path → one template, source(it) its Data) in Helm's parse order (SortTemplates), and the
// set parsed from them: a root "gotpl" with missingkey=zero and the function map funcs() gives, each
// template parsed into it in that order, stopping at the first error (returned through parseErr,
// Helm's cleanupParseError). The set is parsed only the first time an engine (major, with or without
// realCrypto: the function map differs) meets these paths with these very sources: a template whose
// Data is replaced is parsed again. The Root of the set is shared: clone it before adding functions
// or executing. pkg/helmv4 uses it.
func ParseOnce[R any](major string, realCrypto bool, tpls map[string]R, source func(R) []byte, funcs func() template.FuncMap, parseErr func(filename string, err error) error) ([]string, *ParsedSet) {
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	SortTemplates(keys)
	sources := make([][]byte, len(keys))
	for i, k := range keys {
		sources[i] = source(tpls[k])
	}
	mode := major + " pool"
	if realCrypto {
		mode = major + " real"
	}
	key := setKey(mode, keys, sources)
	setCache.Lock()
	if s, ok := setCache.m[key]; ok {
		setCache.Unlock()
		return keys, s
	}
	setCache.Unlock()
	s := &ParsedSet{sources: sources}
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	t.Funcs(funcs())
	for i, filename := range keys {
		if _, err := t.New(filename).Parse(string(sources[i])); err != nil {
			s.Err = parseErr(filename, err)
			break
		}
	}
	s.Root = t
	setCache.Lock()
	if len(setCache.m) >= maxCachedSets {
		setCache.m = map[string]*ParsedSet{}
	}
	setCache.m[key] = s
	setCache.Unlock()
	return keys, s
}

// parsedFor is ParseOnce for the Helm v3 engine.
func parsedFor(tpls map[string]renderable, realCrypto bool) ([]string, *ParsedSet) {
	return ParseOnce("v3", realCrypto, tpls, func(r renderable) []byte { return r.data },
		func() template.FuncMap { return baseFuncMap(realCrypto) }, cleanupParseError)
}

// renderTemplates is engine.Render(c, top) on a parsed-once template set.
func renderTemplates(c *chart.Chart, top chartutil.Values, realCrypto bool) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	tpls := allTemplates(c, top)
	keys, set := parsedFor(tpls, realCrypto)
	if set.Err != nil {
		return map[string]string{}, set.Err
	}
	bound, err := set.Acquire()
	if err != nil {
		return map[string]string{}, err
	}
	defer set.Release(bound)
	t := bound.T
	rendered = make(map[string]string, len(keys))
	buf := GetBuffer()
	defer PutBuffer(buf)
	for _, filename := range keys {
		if strings.HasPrefix(path.Base(filename), "_") {
			continue
		}
		vals := tpls[filename].vals
		vals["Template"] = chartutil.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		buf.Reset()
		if err := t.ExecuteTemplate(buf, filename, vals); err != nil {
			return map[string]string{}, cleanupExecError(filename, err)
		}
		rendered[filename] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return rendered, nil
}

// Template output is written to pooled buffers (include and tpl run many times per rendering; a
// fresh builder grows, and allocates, for each), and copied out as a string.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GetBuffer is an empty buffer from the pool; PutBuffer gives it back.
func GetBuffer() *bytes.Buffer {
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// PutBuffer gives b back to the pool (a buffer grown past 1 MiB is dropped).
func PutBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // a CRD file's megabytes are not kept
		buffers.Put(b)
	}
}

const (
	warnStartDelim   = "HELM_ERR_START"
	warnEndDelim     = "HELM_ERR_END"
	recursionMaxNums = 1000
)

var warnRegex = regexp.MustCompile(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string { return warnStartDelim + warn + warnEndDelim }

// IncludeFun is Helm's include (engine.includeFun, the same in Helm v3.22 and v4.3.1, error text
// included) bound to t and the include recursion counters of one rendering, writing each call's
// output to a pooled buffer.
func IncludeFun(t *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		buf := GetBuffer()
		defer PutBuffer(buf)
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: %w", name, fmt.Errorf("unable to execute template"))
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		err := t.ExecuteTemplate(buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
}

// TplFun is Helm's tpl (engine.tplFun, the same in Helm v3.22 and v4.3.1 with Strict off, error text
// included) bound to parent and the include recursion counters of one rendering. Helm clones parent
// and parses the text on every call; here each distinct text is cloned and parsed once per bound
// parent, and the clone (include and tpl bound to it, as Helm binds them) is executed on every later
// call. A clone holds the text's own defines, seen by that text alone, as in Helm; nothing executing
// changes a template, so a kept clone executes as a fresh one. A bound parent serves one rendering at
// a time (ParsedSet.Acquire), and so does its cache.
func TplFun(parent *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	var texts tplCache
	return func(tpl string, vals interface{}) (string, error) {
		t, err := texts.get(tpl, func() (*template.Template, error) { return parseTpl(parent, includedNames, tpl) })
		if err != nil {
			return "", err
		}
		buf := GetBuffer()
		defer PutBuffer(buf)
		if err := t.Execute(buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

// parseTpl is what Helm's tpl does before executing: clone parent, bind include and tpl to the clone,
// parse the text into it under parent's name.
func parseTpl(parent *template.Template, includedNames map[string]int, tpl string) (*template.Template, error) {
	t, err := parent.Clone()
	if err != nil {
		return nil, fmt.Errorf("cannot clone template: %w", err)
	}
	t.Option("missingkey=zero")
	t.Funcs(template.FuncMap{
		"include": IncludeFun(t, includedNames),
		"tpl":     TplFun(t, includedNames),
	})
	t, err = t.New(parent.Name()).Parse(tpl)
	if err != nil {
		return nil, fmt.Errorf("cannot parse template %q: %w", tpl, err)
	}
	return t, nil
}

// tplCache holds one bound parent's parsed tpl texts (or their error), at most tplCacheEntries texts
// and tplCacheBytes of text: a clone of a chart's template set weighs a few kilobytes per hundred
// templates. When full it is emptied.
type tplCache struct {
	m     map[string]tplParsed
	bytes int
}

type tplParsed struct {
	t   *template.Template
	err error
}

const (
	tplCacheEntries = 64
	tplCacheBytes   = 1 << 20
)

func (c *tplCache) get(text string, parse func() (*template.Template, error)) (*template.Template, error) {
	if p, ok := c.m[text]; ok {
		return p.t, p.err
	}
	t, err := parse()
	if c.m == nil || len(c.m) >= tplCacheEntries || c.bytes+len(text) > tplCacheBytes {
		c.m, c.bytes = map[string]tplParsed{}, 0
	}
	c.m[text] = tplParsed{t, err}
	c.bytes += len(text)
	return t, err
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

func cleanupExecError(filename string, err error) error {
	if _, isExecError := err.(template.ExecError); !isExecError {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

// baseFuncMap is engine.funcMap with the per-engine overrides Engine{} applies (required, fail,
// getHostByName); include and tpl are bound per rendering; sprig's regex functions compile each
// pattern once (regex.go), fromYaml and fromJson parse each input once (CacheParses). Unless realCrypto, the key and
// certificate generators draw from a per-process pool of keys (crypto.go).
func baseFuncMap(realCrypto bool) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"include":       func(string, interface{}) string { return "not implemented" },
		"tpl":           func(string, interface{}) interface{} { return "not implemented" },
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, fmt.Errorf("%s", warnWrap(warn))
			} else if _, ok := val.(string); ok && val == "" {
				return val, fmt.Errorf("%s", warnWrap(warn))
			}
			return val, nil
		},
		"fail":          func(msg string) (string, error) { return "", fmt.Errorf("%s", warnWrap(msg)) },
		"getHostByName": func(_ string) string { return "" },
	}
	for k, v := range extra {
		f[k] = v
	}
	cachedRegexFuncs(f)
	CacheParses(f, "v3")
	if !realCrypto {
		pooledCrypto(f)
	}
	return f
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v interface{}) string {
	var data bytes.Buffer
	encoder := goYaml.NewEncoder(&data)
	encoder.SetIndent(2)
	if err := encoder.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

// parsedValues caches what fromYaml, fromYamlArray, fromJson and fromJsonArray parsed, by function
// and input (CacheParses).
var parsedValues contentCache[interface{}]

func cachedParse[T map[string]interface{} | []interface{}](fn string, str string, parse func(string) T) T {
	if v, ok := parsedValues.get(fn, str); ok {
		return deepCopyValue(v).(T)
	}
	v := parse(str)
	parsedValues.put(fn, str, deepCopyValue(v))
	return v
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toTOML(v interface{}) string {
	b := bytes.NewBuffer(nil)
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func fromTOML(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := toml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func sortStrings(s []string) { sort.Strings(s) }
