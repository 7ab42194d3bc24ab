package matrix

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// holdsEveryTuple checks, independently of the generator's bookkeeping, that every t axes take every
// tuple of their levels in some row.
func holdsEveryTuple(t *testing.T, sizes []int, strength int, rows [][]int) {
	t.Helper()
	for _, axes := range subsets(len(sizes), strength) {
		sub := make([]int, len(axes))
		for i, a := range axes {
			sub[i] = sizes[a]
		}
		for _, want := range product(sub) {
			found := false
			for _, r := range rows {
				match := true
				for i, a := range axes {
					if r[a] != want[i] {
						match = false
						break
					}
				}
				if match {
					found = true
					break
				}
			}
			require.True(t, found, "axes %v never take levels %v together", axes, want)
		}
	}
}

func TestCoveringArrayHoldsEveryTupleTheDefaultsAndEachSingleChange(t *testing.T) {
	for _, tc := range []struct {
		sizes    []int
		strength int
		atMost   int
	}{
		{[]int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 2, 30},
		{[]int{3, 2, 4, 2, 2, 3, 2, 2, 2, 2, 2, 2}, 2, 40},
		{[]int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 3, 60},
		{[]int{3, 1, 2}, 2, 6},
	} {
		rows := CoveringArray(tc.sizes, tc.strength)
		holdsEveryTuple(t, tc.sizes, tc.strength, rows)
		require.Equal(t, make([]int, len(tc.sizes)), rows[0], "row 0 is the defaults")
		for a, n := range tc.sizes {
			for v := 1; v < n; v++ {
				want := make([]int, len(tc.sizes))
				want[a] = v
				require.Contains(t, rows, want, "the single change axis %d=%d", a, v)
			}
		}
		require.LessOrEqual(t, len(rows), tc.atMost, "sizes %v t=%d", tc.sizes, tc.strength)
		total, covered := tupleCoverage(tc.sizes, tc.strength, rows)
		require.Equal(t, total, covered)
	}
}

func TestCoverageReadsAsOneLine(t *testing.T) {
	c := Coverage{Strength: 2, Tuples: 1234, Covered: 1234, Combinations: 38, FullProduct: 16384}
	require.Equal(t, "pairwise: 100% of 1,234 value pairs in 38 combinations (full product: 16,384)", c.String())
	c = Coverage{Strength: 3, Tuples: 8, Covered: 7, Combinations: 5, FullProduct: 8}
	require.Equal(t, "3-wise: 87.5% of 8 value triples in 5 combinations (full product: 8)", c.String())
	require.Equal(t, "full product: 4 combinations", Coverage{Strength: 2, Combinations: 4, FullProduct: 4}.String())
}

// The fixture has 14 flags (16,384 combinations). Its ClusterRoleBinding is gated on rbac.create
// (default false) and its ClusterRole on clusterRole.enabled (default true): only the pair
// rbac.create=true, clusterRole.enabled=false orphans the binding, which neither the defaults nor any
// single change from them holds. A pairwise covering array must still catch it.
func TestPairwiseCatchesATwoFlagInteractionAmongFourteenAxes(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/many-flags/matrix.yaml")
	require.NoError(t, err)
	require.Len(t, spec.Axes, 14)
	combos, cov, err := ExpandWithin(spec, 0, 2)
	require.NoError(t, err)
	require.False(t, cov.Full())
	require.Equal(t, 16384, cov.FullProduct)
	require.Equal(t, cov.Tuples, cov.Covered)
	require.Less(t, len(combos), 40)
	require.Equal(t, "pairwise: 100% of 364 value pairs in "+itoa(len(combos))+" combinations (full product: 16,384)", cov.String())

	ch, err := chartrender.Load(spec.ChartPath())
	require.NoError(t, err)
	orphaned := func(combos []Combination) []string {
		var names []string
		for _, o := range Render(context.Background(), ch, combos, 0) {
			for _, v := range spec.Checks.Evaluate(o).Violations {
				if v.Check == "orphaned-binding" {
					names = append(names, o.Combination.Name())
				}
			}
		}
		return names
	}
	// The defaults and the 14 single changes (the first 15 rows) miss the bug ...
	require.Empty(t, orphaned(combos[:15]))
	// ... the pairwise rows catch it.
	caught := orphaned(combos)
	require.NotEmpty(t, caught)
	for _, name := range caught {
		require.True(t, strings.HasPrefix(name, "rbac.create=true clusterRole.enabled=false "), name)
	}
}

func TestExpandWithinKeepsTheFullProductUnderBudget(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/many-flags/matrix.yaml")
	require.NoError(t, err)
	spec.Axes = spec.Axes[:5]
	combos, cov, err := ExpandWithin(spec, 0, 2)
	require.NoError(t, err)
	require.Len(t, combos, 32)
	require.True(t, cov.Full())
	// Over a budget of 16, strength 3 covers every triple of the five flags.
	combos, cov, err = ExpandWithin(spec, 16, 3)
	require.NoError(t, err)
	require.Less(t, len(combos), 32)
	require.Equal(t, 80, cov.Tuples)
	require.Equal(t, cov.Tuples, cov.Covered)
	_, _, err = ExpandWithin(spec, 16, 0)
	require.ErrorContains(t, err, "strength 0: give 1 or more")
}

func itoa(n int) string { return thousands(n) }

// The covering array's failing row changes all 14 flags; Reduce names the two that matter.
func TestReduceNamesTheTwoFlagsOfTheInteraction(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/many-flags/matrix.yaml")
	require.NoError(t, err)
	combos, _, err := ExpandWithin(spec, 0, 2)
	require.NoError(t, err)
	ch, err := chartrender.Load(spec.ChartPath())
	require.NoError(t, err)
	var failing []Combination
	for _, o := range Render(context.Background(), ch, combos, 0) {
		if spec.Checks.Evaluate(o).Errors() > 0 {
			failing = append(failing, o.Combination)
		}
	}
	require.NotEmpty(t, failing)
	got, err := Reduce(context.Background(), ch, spec, failing[0], "orphaned-binding", "ClusterRoleBinding apps-app")
	require.NoError(t, err)
	require.Equal(t, []string{"rbac.create=true", "clusterRole.enabled=false"}, got)
	_, err = Reduce(context.Background(), ch, spec, Combination{Settings: []string{"x=1"}}, "orphaned-binding", "x")
	require.ErrorContains(t, err, `combination "x=1" was not expanded from this spec`)
}

func TestExpandWithinNeverChecksMoreThanTheFullProduct(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/many-flags/matrix.yaml")
	require.NoError(t, err)
	spec.Axes = spec.Axes[:4]
	combos, cov, err := ExpandWithin(spec, 2, 4)
	require.NoError(t, err)
	require.Len(t, combos, 16)
	require.True(t, cov.Full())
}
