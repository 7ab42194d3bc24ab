package chartrender

import (
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
)

// document is one YAML document of a rendered file or stream, as releaseutil.SplitManifests cuts it.
type document struct {
	Content string
	// Line is the 1-based line of the text it was cut from where the object starts: its first line
	// that is neither blank nor a comment (so after a `# Source:` line).
	Line int
}

// splitCache keeps a Splitter's result (documents in Helm's order) by splitter and content:
// releaseutil.SplitManifests' regular expression costs tens of milliseconds on a file of megabytes
// (CRDs), and such files render identically in every combination.
var splitCache contentCache[[]document]

// Splitter is one Helm major's releaseutil.SplitManifests: it splits a rendered file into its
// documents, keyed manifest-0, manifest-1, ... Name tells splitters apart in the cache.
type Splitter struct {
	Name  string
	Split func(content string) map[string]string
}

// SplitterV3 is Helm v3's: each document trimmed of surrounding whitespace.
var SplitterV3 = Splitter{"v3", releaseutil.SplitManifests}

// splitDocuments is the one splitter of rendered text, for a chart's rendered templates (collect) and
// for manifests read as input (ReadManifests, DecodeManifests): SplitterV3's documents.
func splitDocuments(content string) []document { return SplitterV3.documents(content) }

// documents are the documents of content as s splits them, in BySplitManifestsOrder (stream
// order), those that hold only comments or blanks left out.
func (s Splitter) documents(content string) []document {
	if docs, ok := splitCache.get(s.Name, content); ok {
		return docs
	}
	docs := s.sorted(content)
	splitCache.put(s.Name, content, docs)
	return docs
}

func (s Splitter) sorted(content string) []document {
	split := s.Split(content)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	docs := make([]document, 0, len(keys))
	// Each document is a substring of content (trimmed or not), found in order after the one
	// before it; line counts the newlines up to it.
	off, line := 0, 1
	for _, k := range keys {
		d := split[k]
		if at := strings.Index(content[off:], d); at >= 0 {
			line += strings.Count(content[off:off+at], "\n")
			off += at
		}
		start := line
		line += strings.Count(d, "\n")
		off += len(d)
		first, ok := firstObjectLine(d)
		if !ok {
			continue
		}
		docs = append(docs, document{Content: d, Line: start + first})
	}
	return docs
}

// firstObjectLine is the 0-based line of d's first line that is neither blank nor a comment; ok is
// false when there is none (the document holds no object).
func firstObjectLine(d string) (int, bool) {
	for i, l := range strings.Split(d, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return i, true
		}
	}
	return 0, false
}
