package store

import (
	"testing"
	"time"
)

// TestOutboxDestinationsOrderedApart checks that events of one order bound
// for different destinations do not wait for each other, also when they
// were stored with the bare order id, while events of one destination keep
// their order across the two key forms.
func TestOutboxDestinationsOrderedApart(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	var seqs []uint64
	err := db.Update(func(tx *Tx) error {
		for _, ev := range []struct{ kind, agg string }{
			{"pack.record", "A"},           // 1: old sync record, not due (retried below)
			{"label.purchase", "A"},        // 2: old label purchase: due
			{"label.purchase", "label/A"},  // 3: waits behind 2
			{"pack.record", "sync/A"},      // 4: waits behind 1
			{"label.purchase", "label/B"},  // 5: due
			{"pack.record", "sync/B"},      // 6: due
			{"shop.heartbeat", "sync/B/x"}, // 7: its own key, due
		} {
			got, err := tx.Enqueue(ev.kind, ev.agg, nil)
			if err != nil {
				return err
			}
			seqs = append(seqs, got.Seq)
		}
		return tx.RetryEvent(seqs[0], e.clk.Now().Add(time.Hour), "sync endpoint answered 503")
	})
	if err != nil {
		t.Fatal(err)
	}
	var due []uint64
	if err := db.View(func(tx *Tx) error {
		evs, err := tx.DueEvents(e.clk.Now(), 0)
		for _, ev := range evs {
			due = append(due, ev.Seq)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []uint64{seqs[1], seqs[4], seqs[5], seqs[6]}
	if len(due) != len(want) {
		t.Fatalf("due %v, want %v", due, want)
	}
	for i := range want {
		if due[i] != want[i] {
			t.Fatalf("due %v, want %v", due, want)
		}
	}
	var pending []Event
	if err := db.View(func(tx *Tx) (err error) { pending, err = tx.PendingEvents("A"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 4 {
		t.Errorf("PendingEvents(A) found %d events, want all 4 of order A", len(pending))
	}
}

func TestEventOrderingKey(t *testing.T) {
	for _, tt := range []struct{ kind, agg, key, order string }{
		{"label.purchase", "576", "label/576", "576"},
		{"pack.record", "576", "sync/576", "576"},
		{"pack.record", "sync/576", "sync/576", "576"},
		{"label.purchase", "label/576", "label/576", "576"},
		{"shop.heartbeat", "", "", ""},
	} {
		ev := Event{Kind: tt.kind, Aggregate: tt.agg}
		if got := ev.OrderingKey(); got != tt.key {
			t.Errorf("OrderingKey(%s %q) = %q, want %q", tt.kind, tt.agg, got, tt.key)
		}
		if got := ev.OrderID(); got != tt.order {
			t.Errorf("OrderID(%q) = %q, want %q", tt.agg, got, tt.order)
		}
	}
}
