package relay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestLabelNotHeldBackBySyncOutage checks that a label purchase queued
// behind a pack record of the same order is delivered while the sync
// endpoint answers 503, both for events keyed by destination and for
// events stored with the bare order id.
func TestLabelNotHeldBackBySyncOutage(t *testing.T) {
	for _, tt := range []struct {
		name      string
		sync, lab string
	}{
		{"by destination", OrderingKey(DestSync, "o1"), OrderingKey(DestLabel, "o1")},
		{"stored with the bare order id", "o1", "o1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				if got := r.Header.Get("X-Packline-Order"); got != "o1" {
					t.Errorf("X-Packline-Order = %q, want o1", got)
				}
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
			}))
			defer srv.Close()
			e := newEnv(t)
			e.enqueue("pack.record", tt.sync, map[string]string{"state": "weighed"})
			e.enqueue("label.purchase", tt.lab, map[string]string{"order_id": "o1"})
			e.enqueue("pack.record", tt.sync, map[string]string{"state": "label_bought"})
			r := e.relay()
			sh, err := SyncHandler(SyncOptions{URL: srv.URL, Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			r.Register("pack.record", sh)
			var bought []string
			r.Register("label.purchase", func(ctx context.Context, ev Event) error {
				bought = append(bought, ev.OrderID())
				return nil
			})
			if _, err := r.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(bought) != 1 || bought[0] != "o1" {
				t.Fatalf("label purchases handled: %v, want [o1]", bought)
			}
			if posts.Load() != 1 {
				t.Errorf("sync endpoint got %d posts, want 1 (the second record waits behind the first)", posts.Load())
			}
			left := e.pending("o1")
			if len(left) != 2 || left[0].Kind != "pack.record" || left[1].Kind != "pack.record" || left[0].Attempts != 1 || left[1].Attempts != 0 {
				t.Errorf("pending after the pass: %+v, want both pack records, the first retried once", left)
			}
		})
	}
}

func TestEventOrderID(t *testing.T) {
	for agg, want := range map[string]string{"label/576": "576", "sync/576": "576", "576": "576", "": ""} {
		if got := (Event{Aggregate: agg}).OrderID(); got != want {
			t.Errorf("OrderID of %q = %q, want %q", agg, got, want)
		}
	}
}
