package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A run stopped by a signal reports the combinations it checked, says how many of how many on a
// clear last line, and exits 3 (incomplete), never 0.
func TestInterruptedCheckReportsWhatItChecked(t *testing.T) {
	defer func(f func() (context.Context, context.CancelFunc)) { interruptible = f }(interruptible)
	interruptible = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // as if SIGINT arrived before the first combination was handed out
		return ctx, cancel
	}
	code, out, errOut := runCLI(t, "check", "--spec", "../../tests/matrix/operator.yaml", "--list")
	m := regexp.MustCompile(`rbac-matrix: interrupted: (\d+) of (\d+) combinations checked`).FindStringSubmatch(errOut)
	if code != exitTool || m == nil {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	done, err1 := strconv.Atoi(m[1])
	total, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("counts %q %q", m[1], m[2])
	}
	if done >= total || !strings.Contains(out, fmt.Sprintf(": %d combinations checked in", done)) {
		t.Errorf("%d of %d checked; table:\n%s", done, total, out)
	}
	if strings.Contains(out, "context canceled") {
		t.Errorf("combinations never rendered are reported as render errors:\n%s", out)
	}
}

// The real signal: SIGINT to the process cancels the context check renders under.
func TestInterruptibleListensForSIGINT(t *testing.T) {
	ctx, stop := interruptible()
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
}
