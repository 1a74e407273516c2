package tiktok

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy controls retries of transient failures: rate limits, 5xx,
// TikTok internal errors, network errors and timeouts. Delays follow
// exponential backoff with full jitter: a random duration in
// [0, min(Cap, Base·2^n)). A Retry-After from the server is honoured as a
// lower bound; one longer than Cap ends the retries so the caller can
// schedule the call later.
type RetryPolicy struct {
	// Base is the first backoff ceiling (default 1s).
	Base time.Duration
	// Cap bounds every delay (default 60s).
	Cap time.Duration
	// MaxAttempts is the total number of tries, the first included
	// (default 5). 1 disables retries.
	MaxAttempts int
	// Sleep waits d or until ctx ends; nil uses a timer. Tests replace it
	// to record the delays.
	Sleep func(ctx context.Context, d time.Duration) error
}

// withDefaults fills the zero fields of p.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Cap <= 0 {
		p.Cap = 60 * time.Second
	}
	if p.Cap < p.Base {
		p.Cap = p.Base
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return p
}

// backoff returns the delay before retry number n (0 for the first retry).
func (p RetryPolicy) backoff(n int) time.Duration {
	ceil := p.Base
	for i := 0; i < n && ceil < p.Cap; i++ {
		ceil *= 2
	}
	if ceil > p.Cap {
		ceil = p.Cap
	}
	return time.Duration(rand.Int64N(int64(ceil)))
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
