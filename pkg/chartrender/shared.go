package chartrender

import "text/template"

// What pkg/helmv4's parse-once engine shares with this one: .Files, the parsed-set cache (ParseOnce)
// and the wrappers that make Helm's function map cheap without changing what it returns.

// NewFiles is .Files of a chart whose non-template files are files (name → content): Helm's
// engine.files, the same in Helm v3.22 and v4.3.1 (Get, GetBytes, Glob, AsConfig, AsSecrets, Lines).
func NewFiles(files map[string][]byte) any { return helmFiles(files) }

// PoolCrypto makes genPrivateKey, genCA, genSelfSignedCert and genSignedCert of f (a Helm engine's
// function map, sprig's functions) draw their keys from the per-process pool (crypto.go).
func PoolCrypto(f template.FuncMap) { pooledCrypto(f) }

// CacheRegexps replaces sprig's regex* functions of f with the same functions compiling each pattern
// once per process (regex.go).
func CacheRegexps(f template.FuncMap) { cachedRegexFuncs(f) }

// CacheParses wraps the fromYaml, fromYamlArray, fromJson and fromJsonArray that f holds so each input
// is parsed once per process by that function; every call gets a deep copy, so a template changing
// its result changes no other's. It wraps toYaml and mustToYaml too, so each value is converted
// once per process by its JSON (cacheYAML). scope names the function map: two engines' fromYaml may
// differ.
func CacheParses(f template.FuncMap, scope string) {
	cacheYAML(f, scope)
	for _, name := range []string{"fromYaml", "fromJson"} {
		if parse, ok := f[name].(func(string) map[string]interface{}); ok {
			key := scope + " " + name
			f[name] = func(s string) map[string]interface{} { return cachedParse(key, s, parse) }
		}
	}
	for _, name := range []string{"fromYamlArray", "fromJsonArray"} {
		if parse, ok := f[name].(func(string) []interface{}); ok {
			key := scope + " " + name
			f[name] = func(s string) []interface{} { return cachedParse(key, s, parse) }
		}
	}
}
