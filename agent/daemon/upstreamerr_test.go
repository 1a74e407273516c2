package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/tiktok"
)

// TestUpstreamErrTellsLinkFromAnswer checks that only link failures make an
// order wait for the link, while answers that waiting cannot fix go to a
// lead with words other than "offline".
func TestUpstreamErrTellsLinkFromAnswer(t *testing.T) {
	timeout := &url.Error{Op: "Get", URL: "https://open-api.tiktokglobalshop.com", Err: context.DeadlineExceeded}
	for _, tt := range []struct {
		name string
		err  error
		want error // nil: neither offline, transient, unclear nor not found
		says string
	}{
		{"refused connection", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, engine.ErrOffline, ""},
		{"timeout", timeout, engine.ErrOffline, ""},
		{"connection reset", fmt.Errorf("reading answer: %w", syscall.ECONNRESET), engine.ErrOffline, ""},
		{"503", &tiktok.APIError{HTTPStatus: 503, Path: "/order/202309/orders"}, engine.ErrTransient, ""},
		{"429", &tiktok.APIError{HTTPStatus: 429, Code: tiktok.CodeRateLimited}, engine.ErrTransient, ""},
		{"unclear purchase", fmt.Errorf("creating package: %w", tiktok.ErrUnclear), engine.ErrUnclear, ""},
		{"missing doc_url", fmt.Errorf("tiktok /fulfillment: %w: no doc_url", tiktok.ErrMalformed), nil, "could not be used"},
		{"business refusal", &tiktok.APIError{Code: 21011001, Message: "Order is AWAITING_COLLECTION"}, nil, "AWAITING_COLLECTION"},
		{"invalid request", fmt.Errorf("%w: weight must be positive", tiktok.ErrInvalidRequest), nil, "weight must be positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := upstreamErr(tt.err)
			if !errors.Is(got, tt.err) {
				t.Errorf("upstreamErr(%v) = %v, lost the cause", tt.err, got)
			}
			for _, class := range []error{engine.ErrOffline, engine.ErrTransient, engine.ErrUnclear, engine.ErrNotFound} {
				if is := errors.Is(got, class); is != (class == tt.want) {
					t.Errorf("upstreamErr(%v) = %v: errors.Is %v is %v", tt.err, got, class, is)
				}
			}
			if tt.says != "" && !strings.Contains(got.Error(), tt.says) {
				t.Errorf("upstreamErr(%v) = %q, want it to say %q", tt.err, got, tt.says)
			}
		})
	}
}
