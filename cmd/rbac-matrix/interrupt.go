package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptible is the context a check renders under: SIGINT or SIGTERM cancel it (tests replace it).
var interruptible = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
