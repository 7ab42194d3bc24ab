package matrix

import (
	"context"
	"iter"
	"runtime"
	"slices"
	"sync"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Outcome is the rendering of one combination: a Result, or the error Helm gave.
type Outcome struct {
	Combination Combination
	Result      *chartrender.Result
	Err         error
}

// MaxWorkers caps the rendering workers whatever is asked: more than twice the CPUs only adds memory.
func MaxWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// RunOptions tune RenderStream.
type RunOptions struct {
	// Workers renders this many combinations at once (<= 0: GOMAXPROCS); never more than MaxWorkers
	// nor than there are combinations.
	Workers int
	// Render is the base of every rendering's options (engine, crypto, kube version, ...); the
	// release name, namespace and values come from each combination.
	Render chartrender.Options
	// Helm is the Helm major that renders: HelmV4 (helmv4.Render) or HelmV3 (chartrender.Render);
	// "" renders with the major of the SDK that loaded the chart (see Chart).
	Helm string
}

// Render renders every combination of ch in parallel (parallelism <= 0 means GOMAXPROCS workers) and
// returns the outcomes in combination order. It stops early only when ctx is cancelled: the
// combinations not rendered by then carry ctx's error. It holds every outcome until it returns; use
// RenderEach to handle each outcome and drop it.
func Render(ctx context.Context, ch Chart, combos []Combination, parallelism int) []Outcome {
	out := make([]Outcome, 0, len(combos))
	err := RenderEach(ctx, ch, slices.Values(combos), parallelism, func(o Outcome) error {
		out = append(out, o)
		return nil
	})
	for _, c := range combos[len(out):] {
		out = append(out, Outcome{Combination: c, Err: err})
	}
	return out
}

// RenderEach renders the combinations combos yields, as it yields them, and calls fn with each
// outcome in combination order as soon as it and every one before it are done; nothing is kept after
// fn returns. At most a small window of outcomes (twice the workers) is in flight, so memory does not
// grow with the number of combinations. fn runs on the calling goroutine, one call at a time. It
// returns fn's first error (rendering stops), ctx's error when cancelled, or nil.
func RenderEach(ctx context.Context, ch Chart, combos iter.Seq[Combination], workers int, fn func(Outcome) error) error {
	return RenderStream(ctx, ch, combos, RunOptions{Workers: workers}, fn)
}

// RenderStream is RenderEach with options.
func RenderStream(ctx context.Context, ch Chart, combos iter.Seq[Combination], opts RunOptions, fn func(Outcome) error) error {
	renderer, err := Renderer(ch, opts.Helm)
	if err != nil {
		return err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, MaxWorkers())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		i int
		c Combination
	}
	type done struct {
		i int
		o Outcome
	}
	jobs := make(chan job)
	results := make(chan done)
	window := make(chan struct{}, 2*workers) // a slot per outcome dispatched and not yet handed to fn
	var wg sync.WaitGroup
	render := func() {
		defer wg.Done()
		for j := range jobs {
			res, err := renderer(j.c.RenderOptions(opts.Render))
			results <- done{j.i, Outcome{Combination: j.c, Result: res, Err: err}}
		}
	}
	var produced int
	go func() {
		defer func() {
			close(jobs)
			wg.Wait()
			close(results)
		}()
		started := 0
		for c := range combos {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if started < workers { // workers start as combinations come: never more than combinations
				started++
				wg.Add(1)
				go render()
			}
			select {
			case jobs <- job{produced, c}:
				produced++
			case <-ctx.Done():
				return
			}
		}
	}()

	pending := map[int]Outcome{}
	next := 0
	var fnErr error
	for d := range results {
		if fnErr != nil {
			continue // drain: workers finish what they hold
		}
		pending[d.i] = d.o
		for {
			o, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-window
			if err := fn(o); err != nil {
				fnErr = err
				cancel()
				break
			}
		}
	}
	if fnErr != nil {
		return fnErr
	}
	return context.Cause(ctx)
}

// ExpandSeq yields the combinations Expand lists, one at a time, building each only when asked for:
// a matrix of millions of combinations is walked without holding it. The error, if any, ends the
// sequence.
func ExpandSeq(s *Spec) iter.Seq2[Combination, error] {
	return func(yield func(Combination, error) bool) {
		sizes := make([]int, len(s.Axes))
		for i, a := range s.Axes {
			sizes[i] = len(a.options())
			if sizes[i] == 0 {
				return
			}
		}
		row := make([]int, len(sizes))
		for i := 0; ; i++ {
			cs, err := expandRows(s, [][]int{slices.Clone(row)})
			if err != nil {
				yield(Combination{}, err)
				return
			}
			c := cs[0]
			c.Index = i
			if !yield(c, nil) {
				return
			}
			a := len(row) - 1 // the last axis varies fastest
			for ; a >= 0; a-- {
				if row[a]++; row[a] < sizes[a] {
					break
				}
				row[a] = 0
			}
			if a < 0 {
				return
			}
		}
	}
}
