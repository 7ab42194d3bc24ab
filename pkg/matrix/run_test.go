package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// countingChart renders one ConfigMap named after .Values.n, and fails when .Values.fail is set.
func countingChart(t *testing.T) *chart.Chart {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "cm.yaml"), []byte(
		"{{ if .Values.fail }}{{ fail \"asked to fail\" }}{{ end }}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-{{ .Values.n }}}\n"), 0o644))
	ch, err := chartrender.Load(dir)
	require.NoError(t, err)
	return ch
}

// numbered yields n combinations, recording how many it has yielded so far in *yielded.
func numbered(n int, yielded *atomic.Int64) func(func(Combination) bool) {
	return func(yield func(Combination) bool) {
		for i := 0; i < n; i++ {
			yielded.Store(int64(i + 1))
			if !yield(Combination{Index: i, ReleaseName: "r", Namespace: "ns", Values: map[string]interface{}{"n": i, "fail": i%7 == 3}}) {
				return
			}
		}
	}
}

func TestRenderEachDeliversInOrderWithoutRunningAhead(t *testing.T) {
	ch := countingChart(t)
	const n, workers = 200, 3
	var yielded atomic.Int64
	var seen int
	err := RenderEach(context.Background(), ch, numbered(n, &yielded), workers, func(o Outcome) error {
		require.Equal(t, seen, o.Combination.Index, "outcomes come in combination order")
		if seen%7 == 3 {
			require.ErrorContains(t, o.Err, "asked to fail")
		} else {
			require.NoError(t, o.Err)
			require.Equal(t, []string{fmt.Sprintf("ConfigMap/ns/cm-%d", seen)}, o.Result.Keys())
		}
		// Combinations are drawn lazily: never more than the window ahead of what fn has seen.
		require.LessOrEqual(t, int(yielded.Load()), seen+1+2*workers+1, "the producer ran ahead of the window")
		seen++
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, n, seen)
}

func TestRenderEachStopsOnTheFirstErrorOfFn(t *testing.T) {
	ch := countingChart(t)
	var yielded atomic.Int64
	var seen int
	stop := errors.New("stop")
	err := RenderEach(context.Background(), ch, numbered(1000, &yielded), 2, func(o Outcome) error {
		seen++
		if seen == 5 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 5, seen)
	require.Less(t, int(yielded.Load()), 20, "rendering stopped soon after fn failed")
}

func TestRenderStillReturnsEveryOutcomeInOrder(t *testing.T) {
	ch := countingChart(t)
	var combos []Combination
	var y atomic.Int64
	for c := range numbered(20, &y) {
		combos = append(combos, c)
	}
	out := Render(context.Background(), ch, combos, 0)
	require.Len(t, out, 20)
	for i, o := range out {
		require.Equal(t, i, o.Combination.Index)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out = Render(ctx, ch, combos, 0)
	require.Len(t, out, 20)
	require.ErrorIs(t, out[19].Err, context.Canceled)
}

func TestExpandSeqYieldsWhatExpandLists(t *testing.T) {
	s := &Spec{Chart: "x", Release: Release{Name: "r", Namespace: "ns"}, Axes: []Axis{
		{Path: "a", Values: []interface{}{false, true}},
		{Path: "b", Values: []interface{}{"x", "y", "z"}},
		{Namespace: []string{"ops", "team"}},
	}}
	want, err := Expand(s)
	require.NoError(t, err)
	var got []Combination
	for c, err := range ExpandSeq(s) {
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Index, got[i].Index)
		require.Equal(t, want[i].Name(), got[i].Name())
		require.Equal(t, want[i].Values, got[i].Values)
		require.Equal(t, want[i].Namespace, got[i].Namespace)
	}
}
