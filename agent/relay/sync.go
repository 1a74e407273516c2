package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SyncOptions configure the pack-record sync handler.
type SyncOptions struct {
	// URL receives each event's payload as a JSON POST. Empty means there
	// is no sync endpoint: events are acknowledged locally.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token  string
	Client *http.Client
	Now    func() time.Time
}

// SyncHandler POSTs an event's payload to the seller's endpoint with the
// header Idempotency-Key set to the event id, so a receiver that dedupes by
// that key gets each record exactly once. 2xx and 409 acknowledge; 408,
// 425, 429 and 5xx retry (honouring Retry-After); other 4xx give up.
func SyncHandler(opt SyncOptions) (Handler, error) {
	if opt.URL == "" {
		return func(context.Context, Event) error { return nil }, nil
	}
	u, err := url.Parse(opt.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sync url %q: use an absolute http or https URL", opt.URL)
	}
	client := opt.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, ev Event) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, opt.URL, bytes.NewReader(ev.Payload))
		if err != nil {
			return Permanent(fmt.Errorf("building sync request: %w", err))
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", ev.ID)
		req.Header.Set("X-Packline-Event", ev.Kind)
		req.Header.Set("X-Packline-Order", ev.OrderID())
		if opt.Token != "" {
			req.Header.Set("Authorization", "Bearer "+opt.Token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("posting %s %s: %w", ev.Kind, ev.ID, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		msg := strings.TrimSpace(string(body))
		switch c := resp.StatusCode; {
		case c >= 200 && c < 300, c == http.StatusConflict:
			return nil
		case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500:
			err := fmt.Errorf("sync endpoint answered %s: %s", resp.Status, msg)
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now()); ok {
				return RetryAfter(d, err)
			}
			return err
		default:
			return Permanent(fmt.Errorf("sync endpoint refused %s %s with %s: %s", ev.Kind, ev.ID, resp.Status, msg))
		}
	}, nil
}

// maxRetryAfter bounds a server's Retry-After.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		// Clamp absurd values before they overflow; the relay caps the
		// wait anyway.
		return time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// errNoStore is returned by a nil store adapter.
var errNoStore = errors.New("relay: no store")
