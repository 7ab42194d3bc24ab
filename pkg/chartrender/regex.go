package chartrender

import (
	"regexp"
	"sync"
	"text/template"
)

// Sprig compiles the pattern on every regex* call; charts call them in loops (the library's
// validation does, per rule). These are sprig's functions with each pattern compiled once per
// process: same results, same errors, same panics (MustCompile's) for a bad pattern.

var regexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const maxCachedRegexps = 4096

func compileCached(regex string, must bool) (*regexp.Regexp, error) {
	regexCache.Lock()
	r, ok := regexCache.m[regex]
	regexCache.Unlock()
	if ok {
		return r, nil
	}
	if must {
		r = regexp.MustCompile(regex)
	} else {
		var err error
		if r, err = regexp.Compile(regex); err != nil {
			return nil, err
		}
	}
	regexCache.Lock()
	if len(regexCache.m) >= maxCachedRegexps {
		regexCache.m = map[string]*regexp.Regexp{}
	}
	regexCache.m[regex] = r
	regexCache.Unlock()
	return r, nil
}

func mustCompile(regex string) *regexp.Regexp {
	r, _ := compileCached(regex, true)
	return r
}

// A match of a long text (the library matches the JSON of a whole rule list against one pattern,
// in every combination) is kept by pattern and text: matchLongText is the bytes from which a
// text's verdict is kept; shorter texts (names) match faster than a lookup.
const matchLongText = 256

var matches = contentCache[bool]{max: 1 << 20, seens: 1 << 13}

func matchCached(r *regexp.Regexp, regex, s string) bool {
	if len(s) < matchLongText {
		return r.MatchString(s)
	}
	if m, ok := matches.get(regex, s); ok {
		return m
	}
	m := r.MatchString(s)
	matches.put(regex, s, m)
	return m
}

func cachedRegexFuncs(f template.FuncMap) {
	f["regexMatch"] = func(regex, s string) bool {
		r, err := compileCached(regex, false)
		return err == nil && matchCached(r, regex, s)
	}
	f["mustRegexMatch"] = func(regex, s string) (bool, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return false, err
		}
		return matchCached(r, regex, s), nil
	}
	f["regexFindAll"] = func(regex, s string, n int) []string { return mustCompile(regex).FindAllString(s, n) }
	f["mustRegexFindAll"] = func(regex, s string, n int) ([]string, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return []string{}, err
		}
		return r.FindAllString(s, n), nil
	}
	f["regexFind"] = func(regex, s string) string { return mustCompile(regex).FindString(s) }
	f["mustRegexFind"] = func(regex, s string) (string, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return "", err
		}
		return r.FindString(s), nil
	}
	f["regexReplaceAll"] = func(regex, s, repl string) string { return mustCompile(regex).ReplaceAllString(s, repl) }
	f["mustRegexReplaceAll"] = func(regex, s, repl string) (string, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return "", err
		}
		return r.ReplaceAllString(s, repl), nil
	}
	f["regexReplaceAllLiteral"] = func(regex, s, repl string) string {
		return mustCompile(regex).ReplaceAllLiteralString(s, repl)
	}
	f["mustRegexReplaceAllLiteral"] = func(regex, s, repl string) (string, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return "", err
		}
		return r.ReplaceAllLiteralString(s, repl), nil
	}
	f["regexSplit"] = func(regex, s string, n int) []string { return mustCompile(regex).Split(s, n) }
	f["mustRegexSplit"] = func(regex, s string, n int) ([]string, error) {
		r, err := compileCached(regex, false)
		if err != nil {
			return []string{}, err
		}
		return r.Split(s, n), nil
	}
}
