package engine

import (
	"context"
	"time"
)

func newTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
