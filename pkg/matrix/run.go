package matrix

import (
	"context"
	"runtime"
	"sync"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Outcome is the rendering of one combination: a Result, or the error Helm gave.
type Outcome struct {
	Combination Combination
	Result      *chartrender.Result
	Err         error
}

// Render renders every combination of ch in parallel (parallelism <= 0 means GOMAXPROCS workers) and
// returns the outcomes in combination order. It stops early only when ctx is cancelled.
func Render(ctx context.Context, ch *chart.Chart, combos []Combination, parallelism int) []Outcome {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	out := make([]Outcome, len(combos))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallelism; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := combos[i]
				res, err := chartrender.Render(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values})
				out[i] = Outcome{Combination: c, Result: res, Err: err}
			}
		}()
	}
	for i := range combos {
		select {
		case jobs <- i:
		case <-ctx.Done():
			for j := i; j < len(combos); j++ {
				out[j] = Outcome{Combination: combos[j], Err: ctx.Err()}
			}
			close(jobs)
			wg.Wait()
			return out
		}
	}
	close(jobs)
	wg.Wait()
	return out
}
