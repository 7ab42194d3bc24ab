package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// interruptible is the context a check renders under: SIGINT or SIGTERM cancel it (tests replace it).
var interruptible = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// checkedSoFar drops the combinations a cancelled run never rendered, and says how many it did.
func checkedSoFar(ctx context.Context, outcomes []matrix.Outcome) ([]matrix.Outcome, error) {
	if ctx.Err() == nil {
		return outcomes, nil
	}
	var done []matrix.Outcome
	for _, o := range outcomes {
		if o.Err == nil || !errors.Is(o.Err, ctx.Err()) {
			done = append(done, o)
		}
	}
	return done, fmt.Errorf("interrupted: %d of %d combinations checked (reported above); the rest were not rendered", len(done), len(outcomes))
}
