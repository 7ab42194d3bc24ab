package matrix

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// ExpandWithinSeq yields what ExpandWithin lists, in the same order, with the same coverage, under
// the budget (lazily) and over it (the covering array).
func TestExpandWithinSeqYieldsWhatExpandWithinLists(t *testing.T) {
	spec, err := LoadSpec("../../tests/fixtures/many-flags/matrix.yaml")
	require.NoError(t, err)
	spec.Axes = spec.Axes[:6]
	for _, c := range []struct{ max, strength int }{{0, 2}, {16, 2}, {0, 3}, {20, 3}} {
		want, wantCov, err := ExpandWithin(spec, c.max, c.strength)
		require.NoError(t, err)
		seq, cov, err := ExpandWithinSeq(spec, c.max, c.strength)
		require.NoError(t, err)
		require.Equal(t, wantCov, cov, "max %d strength %d", c.max, c.strength)
		var got []Combination
		var seqErr error
		for c := range Combinations(seq, &seqErr) {
			got = append(got, c)
		}
		require.NoError(t, seqErr)
		require.Len(t, got, len(want))
		for i := range want {
			require.Equal(t, want[i].Settings, got[i].Settings)
			require.Equal(t, want[i].Values, got[i].Values)
		}
	}
	_, _, err = ExpandWithinSeq(spec, 0, 0)
	require.ErrorContains(t, err, "strength 0: give 1 or more")
}

// The tracker keeps digests, and names the same axes InertAxes does.
func TestInertTrackerNamesInertAxesFromDigests(t *testing.T) {
	spec := &Spec{Axes: []Axis{{Path: "a", Values: []interface{}{1, 2}}, {Path: "b", Values: []interface{}{1, 2}}}}
	combos, err := Expand(spec)
	require.NoError(t, err)
	ch := countingChart(t)
	tr := NewInertTracker(spec)
	for _, o := range Render(t.Context(), ch, combos, 1) {
		tr.Add(o)
	}
	require.Equal(t, []string{"a", "b"}, tr.Axes(), "n is unset: every combination renders cm-<no value>... identically")
	tr = NewInertTracker(&Spec{Axes: []Axis{{Path: "n", Values: []interface{}{1, 2}}}})
	for i, o := range Render(t.Context(), ch, []Combination{
		{Settings: []string{"n=1"}, Values: map[string]interface{}{"n": 1}},
		{Settings: []string{"n=2"}, Values: map[string]interface{}{"n": 2}},
	}, 1) {
		require.NoError(t, o.Err, i)
		tr.Add(o)
	}
	require.Empty(t, tr.Axes(), "n changes the ConfigMap's name")
}
