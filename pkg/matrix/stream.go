package matrix

import (
	"crypto/sha256"
	"iter"
	"strings"
)

// ExpandWithinSeq is ExpandWithin without holding the full product: within max it yields the
// product's combinations one at a time as they are asked for (ExpandSeq); over max it yields the
// covering array's (a few hundred at most, built at once). The Coverage is known before the first
// combination; its Combinations field is how many the sequence yields.
func ExpandWithinSeq(s *Spec, max, strength int) (iter.Seq2[Combination, error], Coverage, error) {
	if max <= 0 {
		max = DefaultMaxCombinations
	}
	full := s.Size()
	if full > max {
		combos, cov, err := ExpandWithin(s, max, strength)
		if err != nil {
			return nil, cov, err
		}
		return func(yield func(Combination, error) bool) {
			for _, c := range combos {
				if !yield(c, nil) {
					return
				}
			}
		}, cov, nil
	}
	if _, cov, err := ExpandWithin(&Spec{}, max, strength); err != nil { // the strength check, on no axes
		return nil, cov, err
	}
	sizes := make([]int, len(s.Axes))
	for i, a := range s.Axes {
		sizes[i] = len(a.options())
	}
	t := min(strength, len(sizes))
	total := 0
	if full > 0 {
		total = newUncovered(sizes, t).left // the full product covers every tuple
	}
	return ExpandSeq(s), Coverage{Strength: t, Tuples: total, Covered: total, Combinations: full, FullProduct: full}, nil
}

// InertTracker finds InertAxes over a stream of outcomes: it keeps each combination's settings and a
// digest of its rendering (32 bytes), not the rendering.
type InertTracker struct {
	spec     *Spec
	settings [][]string
	digests  [][sha256.Size]byte
}

// NewInertTracker starts an InertTracker for spec's axes.
func NewInertTracker(spec *Spec) *InertTracker { return &InertTracker{spec: spec} }

// Add records one outcome.
func (t *InertTracker) Add(o Outcome) {
	var r string
	if o.Err != nil {
		r = "error: " + o.Err.Error()
	} else {
		r = o.Result.Manifest()
	}
	t.settings = append(t.settings, o.Combination.Settings)
	t.digests = append(t.digests, sha256.Sum256([]byte(r)))
}

// Axes names the inert axes among the outcomes added so far (see InertAxes).
func (t *InertTracker) Axes() []string {
	var out []string
	for ai, a := range t.spec.Axes {
		if len(a.options()) < 2 {
			continue
		}
		seen := map[string][sha256.Size]byte{} // the other settings → a rendering
		compared, differs := false, false
		for i, s := range t.settings {
			if ai >= len(s) {
				continue
			}
			rest := strings.Join(s[:ai], "\x00") + "\x01" + strings.Join(s[ai+1:], "\x00")
			if r, ok := seen[rest]; ok {
				compared = true
				if r != t.digests[i] {
					differs = true
					break
				}
				continue
			}
			seen[rest] = t.digests[i]
		}
		if compared && !differs {
			out = append(out, axisName(a))
		}
	}
	return out
}

// Combinations turns a sequence with errors into one without: it stops at the first error and
// stores it in *err.
func Combinations(seq iter.Seq2[Combination, error], err *error) iter.Seq[Combination] {
	return func(yield func(Combination) bool) {
		for c, e := range seq {
			if e != nil {
				*err = e
				return
			}
			if !yield(c) {
				return
			}
		}
	}
}
