package matrix

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// DefaultMaxCombinations is the budget above which ExpandWithin samples a covering array instead of
// walking the full product.
const DefaultMaxCombinations = 4096

// Coverage says how a set of combinations covers the t-wise value tuples of a spec's axes.
type Coverage struct {
	Strength     int // t: every t axes, every tuple of their values
	Tuples       int // how many t-tuples of values the axes have
	Covered      int // how many of them some combination holds
	Combinations int // combinations chosen
	FullProduct  int // combinations of the full product
}

// Full reports whether every combination of the product was chosen.
func (c Coverage) Full() bool { return c.Combinations == c.FullProduct }

// String reads like "pairwise: 100% of 1,234 value pairs in 38 combinations (full product: 16,384)".
func (c Coverage) String() string {
	if c.Full() {
		return fmt.Sprintf("full product: %s combinations", thousands(c.FullProduct))
	}
	name, unit := fmt.Sprintf("%d-wise", c.Strength), fmt.Sprintf("%d-tuples of values", c.Strength)
	switch c.Strength {
	case 1:
		name, unit = "each value", "values"
	case 2:
		name, unit = "pairwise", "value pairs"
	case 3:
		name, unit = "3-wise", "value triples"
	}
	pct := 100.0
	if c.Tuples > 0 {
		pct = 100 * float64(c.Covered) / float64(c.Tuples)
	}
	return fmt.Sprintf("%s: %s of %s %s in %s combinations (full product: %s)", name, strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", pct), "0"), ".")+"%",
		thousands(c.Tuples), unit, thousands(c.Combinations), thousands(c.FullProduct))
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ExpandWithin expands the spec's full product when it has at most max combinations (max <= 0:
// DefaultMaxCombinations), and otherwise a t-wise covering array of it (strength t, at least 1; 2 is
// pairwise). The first value of each axis is its default: the covering array always holds the
// combination of the defaults and every combination that changes exactly one axis from them, and then
// enough combinations that every t axes take every tuple of their values in at least one.
func ExpandWithin(s *Spec, max, strength int) ([]Combination, Coverage, error) {
	if max <= 0 {
		max = DefaultMaxCombinations
	}
	if strength < 1 {
		return nil, Coverage{}, fmt.Errorf("strength %d: give 1 or more (2 is pairwise, 3 covers every three values together)", strength)
	}
	sizes := make([]int, len(s.Axes))
	for i, a := range s.Axes {
		sizes[i] = len(a.options())
	}
	full := s.Size()
	var rows [][]int
	if full <= max {
		rows = product(sizes)
	} else {
		rows = CoveringArray(sizes, strength) // never more rows than the product: each new row covers an uncovered tuple
	}
	combos, err := expandRows(s, rows)
	if err != nil {
		return nil, Coverage{}, err
	}
	t := min(strength, len(sizes))
	total, covered := tupleCoverage(sizes, t, rows)
	return combos, Coverage{Strength: t, Tuples: total, Covered: covered, Combinations: len(rows), FullProduct: full}, nil
}

// product lists every row of level indices, the last axis varying fastest.
func product(sizes []int) [][]int {
	rows := [][]int{{}}
	for _, n := range sizes {
		next := make([][]int, 0, len(rows)*n)
		for _, r := range rows {
			for v := 0; v < n; v++ {
				next = append(next, append(append(make([]int, 0, len(sizes)), r...), v))
			}
		}
		rows = next
	}
	return rows
}

// CoveringArray returns rows of level indices (axis i takes 0..sizes[i]-1) in which every t axes take
// every tuple of their levels at least once. Row 0 is all zeros (the defaults); then one row per
// single change from it; then rows chosen greedily, AETG-style: each new row starts from an uncovered
// tuple and fills the other axes, in a shuffled order, with the level that covers the most uncovered
// tuples; the best of several candidates is kept. The shuffle is seeded, so the result is stable.
func CoveringArray(sizes []int, t int) [][]int {
	t = min(t, len(sizes))
	rows := [][]int{make([]int, len(sizes))}
	for i, n := range sizes {
		for v := 1; v < n; v++ {
			r := make([]int, len(sizes))
			r[i] = v
			rows = append(rows, r)
		}
	}
	if t == 0 {
		return rows
	}
	u := newUncovered(sizes, t)
	for _, r := range rows {
		u.cover(r)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const candidates = 20
	for u.left > 0 {
		var best []int
		bestGain := -1
		seedAxes, seedLevels := u.first()
		for c := 0; c < candidates; c++ {
			row := make([]int, len(sizes))
			fixed := make([]bool, len(sizes))
			for k, a := range seedAxes {
				row[a], fixed[a] = seedLevels[k], true
			}
			for _, a := range rng.Perm(len(sizes)) {
				if fixed[a] {
					continue
				}
				bestV, bestN := 0, -1
				for v := 0; v < sizes[a]; v++ {
					row[a] = v
					if n := u.gainAt(row, fixed, a); n > bestN {
						bestV, bestN = v, n
					}
				}
				row[a], fixed[a] = bestV, true
			}
			if g := u.gain(row); g > bestGain {
				best, bestGain = row, g
			}
		}
		u.cover(best)
		rows = append(rows, best)
	}
	return rows
}

// uncovered tracks the t-tuples no chosen row holds yet. A tuple is a t-subset of the axes and a level
// for each; tuples are numbered densely (the subset's offset plus its levels in mixed radix).
type uncovered struct {
	sizes   []int
	subset  [][]int // every t-subset of the axes, increasing
	offset  []int   // first tuple number of each subset
	byAxis  [][]int // the subsets (by index) that hold each axis
	open    []bool  // tuple number → not yet covered
	left    int
	nextOne int
}

func newUncovered(sizes []int, t int) *uncovered {
	u := &uncovered{sizes: sizes, subset: subsets(len(sizes), t), byAxis: make([][]int, len(sizes))}
	n := 0
	for si, axes := range u.subset {
		u.offset = append(u.offset, n)
		size := 1
		for _, a := range axes {
			size *= sizes[a]
			u.byAxis[a] = append(u.byAxis[a], si)
		}
		n += size
	}
	u.open = make([]bool, n)
	for i := range u.open {
		u.open[i] = true
	}
	u.left = n
	return u
}

// subsets lists every k-subset of 0..n-1 in lexicographic order.
func subsets(n, k int) [][]int {
	var out [][]int
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			out = append(out, append([]int{}, cur...))
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(0, nil)
	return out
}

// number is the tuple number of the levels row gives subset si.
func (u *uncovered) number(row []int, si int) int {
	n := 0
	for _, a := range u.subset[si] {
		n = n*u.sizes[a] + row[a]
	}
	return u.offset[si] + n
}

func (u *uncovered) cover(row []int) {
	for si := range u.subset {
		if k := u.number(row, si); u.open[k] {
			u.open[k] = false
			u.left--
		}
	}
}

// first returns the axes and levels of the first uncovered tuple; callers check u.left first.
func (u *uncovered) first() (axes, levels []int) {
	for !u.open[u.nextOne] {
		u.nextOne++
	}
	si := len(u.offset) - 1
	for u.offset[si] > u.nextOne {
		si--
	}
	axes = u.subset[si]
	levels = make([]int, len(axes))
	rest := u.nextOne - u.offset[si]
	for i := len(axes) - 1; i >= 0; i-- {
		levels[i] = rest % u.sizes[axes[i]]
		rest /= u.sizes[axes[i]]
	}
	return axes, levels
}

// gainAt counts the uncovered tuples that hold axis a and otherwise only fixed axes.
func (u *uncovered) gainAt(row []int, fixed []bool, a int) int {
	n := 0
	for _, si := range u.byAxis[a] {
		ok := true
		for _, x := range u.subset[si] {
			if x != a && !fixed[x] {
				ok = false
				break
			}
		}
		if ok && u.open[u.number(row, si)] {
			n++
		}
	}
	return n
}

// gain counts the uncovered tuples a full row holds.
func (u *uncovered) gain(row []int) int {
	n := 0
	for si := range u.subset {
		if u.open[u.number(row, si)] {
			n++
		}
	}
	return n
}

// tupleCoverage counts the t-tuples of the axes and how many the rows hold.
func tupleCoverage(sizes []int, t int, rows [][]int) (total, covered int) {
	u := newUncovered(sizes, t)
	total = u.left
	for _, r := range rows {
		u.cover(r)
	}
	return total, total - u.left
}
